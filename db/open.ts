/**
 * Opening the archive's database on either backend, with what the Archivist needs of each to
 * write the same way on both: the query builder, the {@link SqlDialect}, the migrated schema, and
 * how its groups of writes commit.
 *
 * - SQLite (a file): the file is checked first (`sqlite_file.ts`); one writer, so one write group;
 *   the savepoints around each write run on the connection directly; with `ARCHIVIST_SYNC=full` a
 *   write resolves once the write-ahead log is synced; a write lock held by another process is
 *   waited for asynchronously (`BEGIN IMMEDIATE` answers busy at once).
 * - PostgreSQL (a `postgres://` URL): a pool; several write groups commit at once, each on a
 *   connection of its own; a write resolves once its COMMIT returned, which the server makes
 *   durable as its `synchronous_commit` says; a lock held by another session is waited for up to
 *   the lock timeout (the server's `lock_timeout`), then the write fails as busy.
 *
 * @module
 */
import { type Kysely, sql } from "kysely";
import type { SessionRules } from "../src/session.ts";
import type { SyncMode } from "./archivist.ts";
import {
  ArchiveUnreachableError,
  describeLocation,
  parseArchiveLocation,
  POSTGRES_DIALECT,
  type SqlDialect,
  sqliteDialect,
} from "./dialect.ts";
import type { GroupCommitOptions } from "./group_commit.ts";
import { waitWhileBusy } from "./lock_wait.ts";
import { MarketCalendar } from "./market_calendar.ts";
import {
  appliedMigrations,
  migrateToLatest,
  type MigrationOutcome,
  MIGRATIONS,
  SCHEMA_VERSION,
} from "./migrations.ts";
import { DEFAULT_POOL_SIZE, isConnectionError, openPostgres, postgresFault } from "./postgres.ts";
import type { Database } from "./schema.ts";
import { openKysely, WalSync } from "./sqlite.ts";
import { isBusyError, type SqliteFault, sqliteFault } from "./sqlite_errors.ts";
import {
  ArchiveFileError,
  inspectArchive,
  markArchive,
  openFailure,
  prepareArchiveFile,
} from "./sqlite_file.ts";

/**
 * Groups of writes committing at once on PostgreSQL (SQLite has one writer: one group). Two: while
 * one waits for the server, the next gathers the writes arriving meanwhile; more groups commit
 * fewer writes each, for the same round trips (measured with `deno task bench ingest`).
 */
export const POSTGRES_WRITE_GROUPS = 2;

/** What opening needs. */
export interface OpenDatabaseOptions {
  /** When writes resolve (SQLite: `full` syncs the write-ahead log). */
  readonly sync: SyncMode;
  /** How long a write waits for a lock another process holds (ms). */
  readonly lockTimeoutMs: number;
  /** Session shapes for the calendar. */
  readonly sessions: SessionRules;
  /** Makes a commit durable (tests inject a failing one); default per backend. */
  readonly persist?: () => Promise<void>;
  /** PostgreSQL: connections in the pool; default {@link DEFAULT_POOL_SIZE}. */
  readonly poolSize?: number;
  /** Told of every SQLite error of any statement, reads too (a damaged file stops writes). */
  readonly onError: (error: unknown) => void;
}

/** An open, migrated database and how its writes commit. */
export interface OpenedDatabase {
  readonly db: Kysely<Database>;
  readonly dialect: SqlDialect;
  /** The location, safe to print: the file, or the URL without its password. */
  readonly location: string;
  readonly migration: MigrationOutcome;
  readonly calendar: MarketCalendar;
  /** The file cannot be written by this process (SQLite): reads only. */
  readonly readOnly: boolean;
  /** When an acknowledged write is durable (PostgreSQL: per the server's `synchronous_commit`). */
  readonly sync: SyncMode;
  /** How groups of writes commit (how many at once, with what). */
  readonly commit: GroupCommitOptions;
  /** What an error of a statement says about the database itself (full, read-only, …), if any. */
  readonly fault: (error: unknown) => SqliteFault | undefined;
  /** Closes what the backend holds besides its connections (SQLite: the log file). */
  readonly release: () => void;
}

/**
 * Opens (a SQLite file: creating it when missing) and migrates the archive `location` names.
 * Throws `ArchiveLocationError` for a location that is neither a file nor a PostgreSQL URL,
 * `ArchiveFileError` for a file that cannot hold the archive, `ArchiveUnreachableError` for a
 * server that cannot be reached or refuses the login, `SchemaTooNewError` for a newer schema.
 */
export function openDatabase(
  location: string,
  options: OpenDatabaseOptions,
): Promise<OpenedDatabase> {
  const where = parseArchiveLocation(location);
  return where.dialect === "postgres"
    ? openPostgresDatabase(where.url, describeLocation(where), options)
    : openSqliteDatabase(where.path, options);
}

async function openSqliteDatabase(
  path: string,
  options: OpenDatabaseOptions,
): Promise<OpenedDatabase> {
  const file = await prepareArchiveFile(path);
  const identity = inspectArchive(path, file);
  let opened: ReturnType<typeof openKysely<Database>>;
  try {
    opened = openKysely<Database>(path, { readOnly: file.readOnly, onError: options.onError });
  } catch (error) {
    throw openFailure(path, error);
  }
  const { db, sqlite } = opened;
  try {
    const migration = file.readOnly
      ? await checkReadOnlySchema(db, path)
      : await waitWhileBusy(async () => {
        const outcome = await migrateToLatest(db as Kysely<unknown>, path);
        if (identity.unmarked) markArchive(sqlite.connection);
        return outcome;
      }, options.lockTimeoutMs);
    const durable = options.sync === "full" && path !== ":memory:";
    const wal = durable && !options.persist ? new WalSync(path) : undefined;
    return {
      db,
      dialect: sqliteDialect(sqlite.runInTransaction),
      location: path,
      migration,
      calendar: await MarketCalendar.load(db, options.sessions),
      readOnly: file.readOnly,
      sync: options.sync,
      commit: {
        persist: durable ? options.persist ?? (() => wal!.sync()) : undefined,
        isBusy: isBusyError,
        lockTimeoutMs: options.lockTimeoutMs,
        // Through the query builder the savepoints doubled the cost of a write.
        execute: (statement) => sqlite.connection.exec(statement),
      },
      fault: sqliteFault,
      release: () => wal?.close(),
    };
  } catch (error) {
    await db.destroy();
    throw openFailure(path, error);
  }
}

async function openPostgresDatabase(
  url: string,
  location: string,
  options: OpenDatabaseOptions,
): Promise<OpenedDatabase> {
  const poolSize = options.poolSize ?? DEFAULT_POOL_SIZE;
  const { db } = openPostgres<Database>(url, { poolSize, lockTimeoutMs: options.lockTimeoutMs });
  // Whatever fails before the first connection is made (refused, TLS, authentication, DNS) is a
  // server this host cannot use, however pg words it.
  let connected = false;
  try {
    // Another host may be migrating: wait for it however long it takes (the Migrator's advisory
    // lock), not just the lock timeout of writes.
    const migration = await db.connection().execute(async (connection) => {
      connected = true;
      await sql`SET lock_timeout = 0`.execute(connection);
      try {
        return await migrateToLatest(connection as Kysely<unknown>, location, "postgres");
      } finally {
        await sql`RESET lock_timeout`.execute(connection);
      }
    });
    const { rows } = await sql<{ setting: string }>`
      SELECT current_setting('synchronous_commit') AS setting`.execute(db);
    return {
      db,
      dialect: POSTGRES_DIALECT,
      location,
      migration,
      calendar: await MarketCalendar.load(db, options.sessions),
      readOnly: false,
      // `off` acknowledges a COMMIT before its log is flushed: it survives this process, not a
      // crash of the server. Any other setting flushes first (to the standbys too, as set).
      sync: rows[0].setting === "off" ? "normal" : "full",
      commit: {
        persist: options.persist,
        isBusy: (error) => postgresFault(error) === "busy",
        // Leave connections to the reads.
        concurrency: Math.max(1, Math.min(POSTGRES_WRITE_GROUPS, poolSize - 2)),
        // A savepoint and its release are two round trips per write: only when a write failed.
        optimistic: true,
      },
      fault: postgresFault,
      release: () => {},
    };
  } catch (error) {
    await db.destroy();
    if (!connected || isConnectionError(error)) {
      throw new ArchiveUnreachableError(location, error);
    }
    throw error;
  }
}

/** The schema of a file opened read-only: it cannot be migrated, so it must be current. */
async function checkReadOnlySchema(
  db: Kysely<Database>,
  path: string,
): Promise<MigrationOutcome> {
  const applied = await appliedMigrations(db as Kysely<unknown>);
  const missing = Object.keys(MIGRATIONS).filter((name) => !applied.includes(name));
  if (missing.length > 0) {
    throw new ArchiveFileError(
      path,
      `is read-only for this process and needs schema migrations (${missing.join(", ")})`,
      "Make the file and its folder writable and run `deno task migrate`.",
    );
  }
  return { applied: [], schemaVersion: SCHEMA_VERSION };
}
