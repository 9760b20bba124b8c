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
  type DatabaseConnection,
  type Driver,
  Kysely,
  type SqliteDatabase,
  SqliteDialect,
  type SqliteDialectConfig,
  SqliteDriver,
  type SqliteStatement,
} from "kysely";
import { immutableUrl } from "./sqlite_file.ts";

/** Pragmas applied to every connection. */
export const CONNECTION_PRAGMAS: readonly string[] = [
  "PRAGMA journal_mode = WAL",
  // A committed WAL write survives a killed process; the Archivist also syncs it (WalSync).
  "PRAGMA synchronous = NORMAL",
  "PRAGMA foreign_keys = ON",
  // node:sqlite's busy handler sleeps on the calling thread: while another process held the write
  // lock, the whole service froze. SQLITE_BUSY comes back at once instead, and writers wait for
  // the lock asynchronously (GroupCommit), so reads and /health keep answering meanwhile.
  "PRAGMA busy_timeout = 0",
  "PRAGMA temp_store = MEMORY",
];

/** Pragmas of a read-only connection: the journal mode is the file's, and cannot be set. */
const READ_ONLY_PRAGMAS: readonly string[] = CONNECTION_PRAGMAS.filter((pragma) =>
  !pragma.includes("journal_mode")
);

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

/** Told of every error SQLite raises on the connection, before it reaches the caller. */
export type ErrorObserver = (error: unknown) => void;

class NodeSqliteStatement implements SqliteStatement {
  readonly reader: boolean;
  readonly #statement: StatementSync;
  readonly #observe: ErrorObserver;

  constructor(statement: StatementSync, observe: ErrorObserver) {
    this.#statement = statement;
    this.#statement.setReadBigInts(true);
    this.#observe = observe;
    this.reader = statement.columns().length > 0;
  }

  all(parameters: ReadonlyArray<unknown>): unknown[] {
    try {
      return this.#statement.all(...parameters.map(bindable)).map((row) =>
        toSafeNumbers(row as Record<string, unknown>)
      );
    } catch (error) {
      this.#observe(error);
      throw error;
    }
  }

  run(
    parameters: ReadonlyArray<unknown>,
  ): { changes: number | bigint; lastInsertRowid: number | bigint } {
    try {
      return this.#statement.run(...parameters.map(bindable));
    } catch (error) {
      this.#observe(error);
      throw error;
    }
  }

  *iterate(parameters: ReadonlyArray<unknown>): IterableIterator<unknown> {
    try {
      for (const row of this.#statement.iterate(...parameters.map(bindable))) {
        yield toSafeNumbers(row as Record<string, unknown>);
      }
    } catch (error) {
      this.#observe(error);
      throw error;
    }
  }
}

/** Runs a compiled write on the connection directly: for hot paths inside a held transaction. */
export type StatementRunner = (
  query: CompiledQuery,
) => { changes: number | bigint; lastInsertRowid: number | bigint };

/** How {@link NodeSqliteDatabase} opens its file. */
export interface OpenOptions {
  /**
   * Open without write access: for a file the process may not write. It is opened `immutable`
   * (SQLite then needs neither a `-wal` nor a `-shm` file, which a read-only folder cannot hold).
   */
  readonly readOnly?: boolean;
  /** Told of every error of a statement (the Archivist watches for a damaged or full disk). */
  readonly onError?: ErrorObserver;
}

/** A `node:sqlite` database in the shape Kysely's `SqliteDialect` expects. */
export class NodeSqliteDatabase implements SqliteDatabase {
  /** The underlying connection, for pragmas and raw benchmarks. */
  readonly connection: DatabaseSync;
  readonly #statements = new Map<string, NodeSqliteStatement>();
  readonly #observe: ErrorObserver;

  /** Opens (creating when missing) the database file at `path`, or `:memory:`. */
  constructor(path: string, options: OpenOptions = {}) {
    this.#observe = options.onError ?? (() => {});
    if (options.readOnly && path !== ":memory:") {
      this.connection = new DatabaseSync(immutableUrl(path), { readOnly: true });
    } else {
      this.connection = new DatabaseSync(path);
    }
    try {
      for (const pragma of options.readOnly ? READ_ONLY_PRAGMAS : CONNECTION_PRAGMAS) {
        this.connection.exec(pragma);
      }
    } catch (error) {
      this.connection.close();
      throw error;
    }
  }

  prepare(sql: string): SqliteStatement {
    // A deferred BEGIN can fail with SQLITE_BUSY when it upgrades to a write; IMMEDIATE waits instead.
    if (sql === "begin") sql = "begin immediate";
    let statement = this.#statements.get(sql);
    if (statement) {
      // Re-insert to keep the map in least-recently-used order.
      this.#statements.delete(sql);
    } else {
      let prepared: StatementSync;
      try {
        prepared = this.connection.prepare(sql);
      } catch (error) {
        this.#observe(error);
        throw error;
      }
      statement = new NodeSqliteStatement(prepared, this.#observe);
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
 * Flushes the write-ahead log of one database file to the device (fdatasync) on Deno's blocking
 * thread pool: after {@link WalSync.sync} resolves, every transaction committed before the call
 * survives power loss, as with `synchronous = FULL`, without stalling the event loop for the sync.
 */
export class WalSync {
  /** The `-wal` file. */
  readonly path: string;
  #file: Deno.FsFile | undefined;
  #syncs = 0;

  /** Syncs the write-ahead log of the database at `databasePath`. */
  constructor(databasePath: string) {
    this.path = `${databasePath}-wal`;
  }

  /** Syncs that reached the device so far. */
  get syncs(): number {
    return this.#syncs;
  }

  /**
   * Syncs the log. The file stays open between syncs (one thread-pool hop per sync instead of
   * three): SQLite deletes or replaces the log only when the last connection closes, and the
   * Archivist's own connection stays open until {@link close}. A missing log is an error, never
   * a silent success: a write is acknowledged only after its log reached the device.
   */
  async sync(): Promise<void> {
    this.#file ??= await Deno.open(this.path, { read: true });
    await this.#file.syncData();
    this.#syncs++;
  }

  /** Closes the log file (before the connection, so SQLite may delete it). */
  close(): void {
    this.#file?.close();
    this.#file = undefined;
  }
}

/**
 * Kysely's SQLite driver, except that a rollback after SQLite already ended the transaction by
 * itself (it does on SQLITE_FULL, SQLITE_IOERR and SQLITE_CORRUPT) is skipped: sending it fails
 * with "cannot rollback - no transaction is active", and that error would replace the real cause.
 */
class ArchiveSqliteDriver extends SqliteDriver {
  readonly #database: NodeSqliteDatabase;

  constructor(config: SqliteDialectConfig & { database: NodeSqliteDatabase }) {
    super(config);
    this.#database = config.database;
  }

  override async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    if (!this.#database.connection.isTransaction) return;
    await super.rollbackTransaction(connection);
  }
}

class ArchiveSqliteDialect extends SqliteDialect {
  readonly #database: NodeSqliteDatabase;

  constructor(database: NodeSqliteDatabase) {
    super({ database });
    this.#database = database;
  }

  override createDriver(): Driver {
    return new ArchiveSqliteDriver({ database: this.#database });
  }
}

/** Opens a typed Kysely instance over a `node:sqlite` file with Archivist's pragmas. */
export function openKysely<DB>(
  path: string,
  options: OpenOptions = {},
): { db: Kysely<DB>; sqlite: NodeSqliteDatabase } {
  const sqlite = new NodeSqliteDatabase(path, options);
  return { db: new Kysely<DB>({ dialect: new ArchiveSqliteDialect(sqlite) }), sqlite };
}
