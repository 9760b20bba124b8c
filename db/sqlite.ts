/**
 * A Kysely `SqliteDialect` database backed by `node:sqlite` (built into Deno).
 *
 * `node:sqlite` binds parameters as spread arguments and has no statement cache; this adapter
 * gives it the better-sqlite3 shape Kysely expects, caches prepared statements by SQL text, binds
 * booleans as 0/1, and reads integers losslessly: a number where it is safe, a bigint beyond 2^53.
 *
 * @module
 */
import { DatabaseSync, type SQLInputValue, type StatementSync } from "node:sqlite";
import {
  type CompiledQuery,
  Kysely,
  type SqliteDatabase,
  SqliteDialect,
  type SqliteStatement,
} from "kysely";

/** Pragmas applied to every connection. */
export const CONNECTION_PRAGMAS: readonly string[] = [
  "PRAGMA journal_mode = WAL",
  // A committed WAL write survives a killed process; the Archivist also syncs it (syncWriteAheadLog).
  "PRAGMA synchronous = NORMAL",
  "PRAGMA foreign_keys = ON",
  "PRAGMA busy_timeout = 10000",
  "PRAGMA temp_store = MEMORY",
];

const STATEMENT_CACHE_SIZE = 200;

function bindable(value: unknown): SQLInputValue {
  if (typeof value === "boolean") return value ? 1 : 0;
  return value as SQLInputValue;
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const MIN_SAFE = BigInt(Number.MIN_SAFE_INTEGER);

/** A plain object (node:sqlite returns null-prototype rows) with safe integers as numbers. */
function toSafeNumbers(row: Record<string, unknown>): Record<string, unknown> {
  const plain: Record<string, unknown> = {};
  for (const key in row) {
    const value = row[key];
    plain[key] = typeof value === "bigint" && value <= MAX_SAFE && value >= MIN_SAFE
      ? Number(value)
      : value;
  }
  return plain;
}

class NodeSqliteStatement implements SqliteStatement {
  readonly reader: boolean;
  readonly #statement: StatementSync;

  constructor(statement: StatementSync) {
    this.#statement = statement;
    this.#statement.setReadBigInts(true);
    this.reader = statement.columns().length > 0;
  }

  all(parameters: ReadonlyArray<unknown>): unknown[] {
    return this.#statement.all(...parameters.map(bindable)).map((row) =>
      toSafeNumbers(row as Record<string, unknown>)
    );
  }

  run(
    parameters: ReadonlyArray<unknown>,
  ): { changes: number | bigint; lastInsertRowid: number | bigint } {
    return this.#statement.run(...parameters.map(bindable));
  }

  *iterate(parameters: ReadonlyArray<unknown>): IterableIterator<unknown> {
    for (const row of this.#statement.iterate(...parameters.map(bindable))) {
      yield toSafeNumbers(row as Record<string, unknown>);
    }
  }
}

/** Runs a compiled write on the connection directly: for hot paths inside a held transaction. */
export type StatementRunner = (
  query: CompiledQuery,
) => { changes: number | bigint; lastInsertRowid: number | bigint };

/** A `node:sqlite` database in the shape Kysely's `SqliteDialect` expects. */
export class NodeSqliteDatabase implements SqliteDatabase {
  /** The underlying connection, for pragmas and raw benchmarks. */
  readonly connection: DatabaseSync;
  readonly #statements = new Map<string, NodeSqliteStatement>();

  /** Opens (creating when missing) the database file at `path`, or `:memory:`. */
  constructor(path: string) {
    this.connection = new DatabaseSync(path);
    for (const pragma of CONNECTION_PRAGMAS) this.connection.exec(pragma);
  }

  prepare(sql: string): SqliteStatement {
    // A deferred BEGIN can fail with SQLITE_BUSY when it upgrades to a write; IMMEDIATE waits instead.
    if (sql === "begin") sql = "begin immediate";
    let statement = this.#statements.get(sql);
    if (statement) {
      // Re-insert to keep the map in least-recently-used order.
      this.#statements.delete(sql);
    } else {
      statement = new NodeSqliteStatement(this.connection.prepare(sql));
      if (this.#statements.size >= STATEMENT_CACHE_SIZE) {
        this.#statements.delete(this.#statements.keys().next().value!);
      }
    }
    this.#statements.set(sql, statement);
    return statement;
  }

  /**
   * Runs `query` on the connection, skipping Kysely's executor: only inside a transaction the
   * caller holds, where no other query can interleave.
   */
  readonly runInTransaction: StatementRunner = (query) =>
    this.prepare(query.sql).run(query.parameters);

  close(): void {
    this.#statements.clear();
    if (this.connection.isOpen) this.connection.close();
  }
}

/**
 * Flushes the write-ahead log of the database file at `path` to disk (fdatasync) on Deno's blocking
 * thread pool: after it resolves, every transaction committed before the call survives power loss,
 * as with `synchronous = FULL`, but without stalling the event loop for the sync.
 */
export async function syncWriteAheadLog(path: string): Promise<void> {
  let wal: Deno.FsFile;
  try {
    // Opened by path each time, so a log SQLite recreated is never missed.
    wal = await Deno.open(`${path}-wal`, { read: true });
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return;
    throw error;
  }
  try {
    await wal.syncData();
  } finally {
    wal.close();
  }
}

/** Opens a typed Kysely instance over a `node:sqlite` file with Archivist's pragmas. */
export function openKysely<DB>(path: string): { db: Kysely<DB>; sqlite: NodeSqliteDatabase } {
  const sqlite = new NodeSqliteDatabase(path);
  return { db: new Kysely<DB>({ dialect: new SqliteDialect({ database: sqlite }) }), sqlite };
}
