/**
 * Shared test fixtures: temporary directories and archives that clean up after themselves.
 *
 * @module
 */
import { DatabaseSync } from "node:sqlite";
// @ts-types="@types/pg"
import pg from "pg";
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

/** Rows of `table` at `location`, read over a connection of its own (not the Archivist's). */
export async function rowCount(location: string, table: string): Promise<number> {
  if (!/^postgres(ql)?:\/\//.test(location)) {
    const db = new DatabaseSync(location);
    try {
      return Number((db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n);
    } finally {
      db.close();
    }
  }
  const client = new pg.Client({ connectionString: location });
  await client.connect();
  try {
    return Number((await client.query(`SELECT count(*) AS n FROM ${table}`)).rows[0].n);
  } finally {
    await client.end();
  }
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

/** Runs one of the project's commands (`src/cli/*.ts`) as a real process in `cwd`. */
export async function runCli(
  script: string,
  args: readonly string[],
  options: { cwd: string; env?: Record<string, string> },
): Promise<CommandResult> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--config", `${ROOT}deno.json`, `${ROOT}${script}`, ...args],
    cwd: options.cwd,
    clearEnv: true,
    env: { ...passThroughEnv(), NO_COLOR: "1", ...options.env },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}
