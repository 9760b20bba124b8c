/**
 * Shared test fixtures: temporary directories and archives that clean up after themselves.
 *
 * @module
 */
import { DatabaseSync } from "node:sqlite";
// @ts-types="@types/pg"
import pg from "pg";
import { readUntil } from "../src/child_output.ts";
import { Archivist, type ArchivistOptions } from "../db/archivist.ts";
import { createTestDatabase, testPostgresTemplate } from "./fixtures/postgres.ts";

/** A temporary directory removed on dispose. */
export async function tempDir(): Promise<{ path: string } & AsyncDisposable> {
  const path = await Deno.makeTempDir({ prefix: "archivist-test-" });
  return {
    path,
    [Symbol.asyncDispose]: () => Deno.remove(path, { recursive: true }),
  };
}

/** A fresh archive location for a test: a file in `dir`, or a database of the PostgreSQL pass. */
export interface TestLocation extends AsyncDisposable {
  /** What `ARCHIVIST_DB` would say: the file's path or the database's URL. */
  readonly location: string;
}

/**
 * A fresh archive location: `dir/file` normally; in the PostgreSQL pass of `deno task test` a new
 * database copied from the migrated template, dropped on dispose.
 */
export async function freshLocation(dir: string, file = "archivist.db"): Promise<TestLocation> {
  const template = testPostgresTemplate();
  if (!template) return { location: `${dir}/${file}`, [Symbol.asyncDispose]: async () => {} };
  const database = await createTestDatabase(template);
  return { location: database.url, [Symbol.asyncDispose]: () => database[Symbol.asyncDispose]() };
}

/** Whether `location` is a PostgreSQL database (in the PostgreSQL pass), not a SQLite file. */
export function isPostgresLocation(location: string): boolean {
  return /^postgres(ql)?:\/\//.test(location);
}

/**
 * Runs `statement` at `location` over a connection of its own (not the Archivist's), as another
 * program would; its rows. SQLite runs it with `all()` when it returns rows, else `exec()`.
 */
export async function queryOn(
  location: string,
  statement: string,
): Promise<Record<string, unknown>[]> {
  if (!isPostgresLocation(location)) {
    const db = new DatabaseSync(location);
    try {
      const prepared = db.prepare(statement);
      if (prepared.columns().length > 0) return prepared.all() as Record<string, unknown>[];
      prepared.run();
      return [];
    } finally {
      db.close();
    }
  }
  const client = new pg.Client({ connectionString: location });
  await client.connect();
  try {
    return (await client.query(statement)).rows;
  } finally {
    await client.end();
  }
}

/** Rows of `table` at `location`, read over a connection of its own (not the Archivist's). */
export async function rowCount(location: string, table: string): Promise<number> {
  return Number((await queryOn(location, `SELECT count(*) AS n FROM ${table}`))[0].n);
}

/**
 * An Archivist on a fresh file in a temporary directory (or a fresh PostgreSQL database in the
 * PostgreSQL pass); all go away on dispose. `path` is what `ARCHIVIST_DB` would say.
 */
export async function tempArchive(
  options: ArchivistOptions = {},
): Promise<{ archivist: Archivist; path: string; dir: string } & AsyncDisposable> {
  const dir = await Deno.makeTempDir({ prefix: "archivist-test-" });
  const fresh = await freshLocation(dir);
  const archivist = await Archivist.open(fresh.location, options);
  return {
    archivist,
    path: fresh.location,
    dir,
    [Symbol.asyncDispose]: async () => {
      await archivist.close();
      await fresh[Symbol.asyncDispose]();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

const ROOT = new URL("../", import.meta.url).pathname;

/** What a command printed and how it exited. */
export interface CommandResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** The variables a child `deno` needs to find itself and its cache, and nothing else. */
function passThroughEnv(): Record<string, string> {
  return Object.fromEntries(
    ["PATH", "HOME", "DENO_DIR", "XDG_CACHE_HOME"].flatMap((name) => {
      const value = Deno.env.get(name);
      return value === undefined ? [] : [[name, value]];
    }),
  );
}

/** One of the project's commands (`src/cli/*.ts`) as a process in `cwd`, with a clean environment. */
function cliCommand(
  script: string,
  args: readonly string[],
  options: { cwd: string; env?: Record<string, string> },
): Deno.Command {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--config", `${ROOT}deno.json`, `${ROOT}${script}`, ...args],
    cwd: options.cwd,
    clearEnv: true,
    env: { ...passThroughEnv(), NO_COLOR: "1", ...options.env },
    stdout: "piped",
    stderr: "piped",
  });
}

/** Runs one of the project's commands (`src/cli/*.ts`) as a real process in `cwd`. */
export async function runCli(
  script: string,
  args: readonly string[],
  options: { cwd: string; env?: Record<string, string> },
): Promise<CommandResult> {
  const output = await cliCommand(script, args, options).output();
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

/** A command started by {@link spawnCli}: what it printed up to a line, and its end. */
export interface SpawnedCli {
  /** Everything it printed on stdout up to and including the awaited text. */
  readonly printed: string;
  /** SIGTERM, then how it ended (`stdout`: what it printed up to the awaited text). */
  stop(): Promise<CommandResult>;
}

/** Starts one of the project's commands and resolves once its stdout shows `until`. */
export async function spawnCli(
  script: string,
  args: readonly string[],
  options: { cwd: string; env?: Record<string, string>; until: RegExp },
): Promise<SpawnedCli> {
  const child = cliCommand(script, args, options).spawn();
  const stderr = new Response(child.stderr).text();
  const { match, printed } = await readUntil(child, options.until);
  const stop = async () => {
    try {
      child.kill("SIGTERM");
    } catch {
      // Already ended.
    }
    const { code } = await child.status;
    return { code, stdout: printed, stderr: await stderr };
  };
  if (!match) {
    const ended = await stop();
    throw new Error(`${script} ended before ${options.until}: ${ended.stdout}\n${ended.stderr}`);
  }
  return { printed, stop };
}

/** Records a finished collection run of `job` for `tradeDate` (and each failed stock); its id. */
export async function recordFinishedRun(
  archivist: Archivist,
  run: {
    job: "flow" | "intraday";
    tradeDate: string;
    status: "succeeded" | "partial" | "failed";
    failed?: readonly string[];
  },
): Promise<string> {
  const failed = run.failed ?? [];
  const runId = await archivist.startRun({
    job: run.job,
    tradeDate: run.tradeDate,
    trigger: "schedule",
    stocksTotal: failed.length + 1,
  });
  for (const stockCode of failed) await archivist.recordRunFailure(runId, stockCode, "HTTP 500");
  await archivist.finishRun(runId, {
    status: run.status,
    reason: failed.length > 0 ? `${failed.length} stocks failed` : null,
    stocksDone: run.status === "failed" ? 0 : 1,
    stocksFailed: failed.length,
    rowsWritten: 1,
    kisCalls: 3,
  });
  return runId;
}
