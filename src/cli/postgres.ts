/**
 * `deno task postgres [--port N]`: a throwaway PostgreSQL to try Archivist on, from Debian's
 * `postgresql` package: starts a server in a temporary folder on loopback, creates and migrates
 * the database `archivist`, prints its `ARCHIVIST_DB` URL, and on Ctrl-C stops the server and
 * removes the folder with everything in it. For a real archive, point `ARCHIVIST_DB` at a server
 * you keep (README, "PostgreSQL").
 *
 * @module
 */
import { Command, InvalidArgumentError } from "commander";
import { Archivist } from "../../db/archivist.ts";
import { adminQuery, startThrowawayPostgres } from "../throwaway_postgres.ts";
import { exitOnUsageError, parseCommandLine, UsageError } from "./entry.ts";

const program = new Command("postgres")
  .description("Start a throwaway PostgreSQL to try Archivist on; Ctrl-C stops and removes it.")
  .option("--port <N>", "the port (default: a free one)", (value) => {
    const port = Number(value);
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
      throw new InvalidArgumentError("expected a TCP port from 1 to 65535");
    }
    return port;
  })
  .exitOverride();
try {
  parseCommandLine(program, Deno.args, "postgres");
} catch (error) {
  exitOnUsageError(error);
}
const { port } = program.opts<{ port?: number }>();
const server = await startThrowawayPostgres({ durable: true, port }).catch((error) =>
  exitOnUsageError(new UsageError((error as Error).message))
);
const url = server.url("archivist");
try {
  await adminQuery(url, "CREATE DATABASE archivist");
  await (await Archivist.open(url)).close();
} catch (error) {
  await server.stop();
  throw error;
}
console.log(
  `PostgreSQL is running with an empty archive. In another terminal:\n\n` +
    `  export ARCHIVIST_DB=${url}\n  deno task start     # or collect, report, copy …\n\n` +
    "Ctrl-C stops the server and deletes its data.",
);
// Serve until a signal: a timer keeps the process alive, signal listeners alone do not.
const alive = setInterval(() => {}, 60_000);
const stop = () => {
  clearInterval(alive);
  server.stop().finally(() => Deno.exit(0));
};
Deno.addSignalListener("SIGINT", stop);
Deno.addSignalListener("SIGTERM", stop);
