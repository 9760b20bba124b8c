/**
 * The HTTP API alone over one database file, without collection: for the durability test and the
 * ingest benchmark, which need the service in a process of its own.
 *
 *     deno run -A src/http/standalone.ts --db data/x.db [--port 0] [--hostname 127.0.0.1]
 *       [--sync normal|full] [--lock-timeout-ms N]
 *
 * Prints one line `listening <url>` on stdout once it accepts requests; SIGTERM or SIGINT shut
 * it down gracefully.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { Archivist, DEFAULT_SYNC_MODE, type SyncMode } from "../../db/archivist.ts";
import { createPrivateFiles } from "../cli/entry.ts";
import { createApp } from "./app.ts";
import { AllowedHosts } from "./host_check.ts";
import { serveHttp } from "./server.ts";
import { readUntil } from "../child_output.ts";

/** A standalone API process and the URL it listens on. */
export interface StandaloneApi {
  readonly url: string;
  readonly process: Deno.ChildProcess;
}

/** Options of {@link spawnStandaloneApi}. */
export interface StandaloneOptions {
  /** `ARCHIVIST_SYNC` of the service; default `full`. */
  readonly sync?: SyncMode;
  /** Port to listen on; default 0 (a free one). */
  readonly port?: number;
  /** How long a write waits for the write lock (ms). */
  readonly lockTimeoutMs?: number;
}

/**
 * Starts this module as a child process serving `dbPath` on loopback; resolves once it listens.
 * The caller ends it (`process.kill`) and awaits `process.status`.
 */
export async function spawnStandaloneApi(
  dbPath: string,
  options: StandaloneOptions = {},
): Promise<StandaloneApi> {
  const process = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      new URL(import.meta.url).pathname,
      "--db",
      dbPath,
      "--port",
      String(options.port ?? 0),
      "--sync",
      options.sync ?? DEFAULT_SYNC_MODE,
      ...(options.lockTimeoutMs === undefined
        ? []
        : ["--lock-timeout-ms", String(options.lockTimeoutMs)]),
    ],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const { match, printed } = await readUntil(process, /^listening (\S+)\n/);
  if (!match) {
    process.kill("SIGKILL");
    await process.status;
    throw new Error(`the standalone API did not start; it printed: ${JSON.stringify(printed)}`);
  }
  return { url: match[1], process };
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      db: { type: "string" },
      port: { type: "string", default: "0" },
      hostname: { type: "string", default: "127.0.0.1" },
      sync: { type: "string", default: DEFAULT_SYNC_MODE },
      "lock-timeout-ms": { type: "string" },
    },
  });
  if (!values.db || (values.sync !== "normal" && values.sync !== "full")) {
    console.error(
      "usage: standalone.ts --db <file> [--port N] [--hostname H] [--sync normal|full] " +
        "[--lock-timeout-ms N]",
    );
    Deno.exit(2);
  }
  createPrivateFiles();
  const lockTimeout = values["lock-timeout-ms"];
  const archivist = await Archivist.open(values.db, {
    sync: values.sync,
    lockTimeoutMs: lockTimeout === undefined ? undefined : Number(lockTimeout),
  });
  const hosts = new AllowedHosts(values.hostname);
  const server = await serveHttp(
    createApp({
      archivist,
      hosts,
      collection: () => ({ enabled: false, reason: "standalone API" }),
    }),
    { hostname: values.hostname, port: Number(values.port), tokenRequired: false, hosts },
  );
  console.log(`listening ${server.url}`);
  const stop = async () => {
    await server.shutdown();
    await archivist.close();
    Deno.exit(0);
  };
  Deno.addSignalListener("SIGTERM", stop);
  Deno.addSignalListener("SIGINT", stop);
}
