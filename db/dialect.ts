/**
 * The two backends of the archive and the few places where their SQL differs. Everything else is
 * one Kysely query for both; what differs is a member of {@link SqlDialect}, handed explicitly to
 * the module that needs it.
 *
 * `ARCHIVIST_DB` names the backend: a `postgres://` or `postgresql://` URL is a PostgreSQL server,
 * anything else a SQLite file. A value that looks like another URL is refused rather than taken
 * for a file name.
 *
 * @module
 */
import { type CompiledQuery, sql, type Transaction } from "kysely";
import type { Database } from "./schema.ts";

/** The backends Archivist runs on. */
export type DialectName = "sqlite" | "postgres";

/** Where the archive lives, as parsed from `ARCHIVIST_DB`. */
export type ArchiveLocation =
  | { readonly dialect: "sqlite"; readonly path: string }
  | { readonly dialect: "postgres"; readonly url: string };

/** `ARCHIVIST_DB` names neither a SQLite file nor a PostgreSQL URL. */
export class ArchiveLocationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ArchiveLocationError";
  }
}

/** The PostgreSQL server named by `ARCHIVIST_DB` could not be reached or refused the login. */
export class ArchiveUnreachableError extends Error {
  constructor(location: string, cause: unknown) {
    super(
      `Cannot open the archive at ${location}: ${(cause as Error)?.message ?? cause}. Check ` +
        "ARCHIVIST_DB (host, port, user, password and database; the database must exist) and " +
        "that the server accepts connections from this host.",
      { cause },
    );
    this.name = "ArchiveUnreachableError";
  }
}

const URL_SCHEME = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//;
const POSTGRES_SCHEMES = new Set(["postgres", "postgresql"]);

/**
 * Parses an `ARCHIVIST_DB` value: a `postgres://` / `postgresql://` URL (user, password, host,
 * port and database as libpq reads them) or a SQLite file path. Throws
 * {@link ArchiveLocationError} for another scheme or a URL without a host or database.
 */
export function parseArchiveLocation(value: string): ArchiveLocation {
  const scheme = URL_SCHEME.exec(value)?.[1]?.toLowerCase();
  if (scheme === undefined) {
    if (/^postgres(ql)?:/i.test(value)) {
      throw new ArchiveLocationError(
        "expected postgres://user:password@host:5432/database (the `//` is missing)",
      );
    }
    return { dialect: "sqlite", path: value };
  }
  if (!POSTGRES_SCHEMES.has(scheme)) {
    throw new ArchiveLocationError(
      `expected a SQLite file path or a postgres:// URL; ${scheme}:// is not supported`,
    );
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ArchiveLocationError("expected postgres://user:password@host:5432/database");
  }
  if (url.hostname === "" && !url.searchParams.has("host")) {
    throw new ArchiveLocationError(
      "expected a host in the PostgreSQL URL, e.g. postgres://archivist@127.0.0.1:5432/archivist",
    );
  }
  if (url.pathname.replace(/^\//, "") === "") {
    throw new ArchiveLocationError(
      "expected a database name in the PostgreSQL URL, e.g. postgres://…@host:5432/archivist",
    );
  }
  return { dialect: "postgres", url: value };
}

/** `location` safe to print and log: a PostgreSQL URL without its password. */
export function describeLocation(location: ArchiveLocation): string {
  if (location.dialect === "sqlite") return location.path;
  const url = new URL(location.url);
  if (url.password !== "") url.password = "***";
  return url.toString();
}

/** The password in `location`'s URL (as written and decoded), for the logs to redact; else none. */
export function locationSecrets(location: string): string[] {
  const where = parseArchiveLocation(location);
  if (where.dialect === "sqlite") return [];
  const { password } = new URL(where.url);
  return password === "" ? [] : [...new Set([password, decodeURIComponent(password)])];
}

/** What differs between the backends, for the modules whose SQL is not portable. */
export interface SqlDialect {
  readonly name: DialectName;
  /**
   * How new entry rows learn their ids. `returning` (PostgreSQL): many rows in one insert that
   * says `RETURNING` (each statement is a round trip to the server). `connection` (SQLite): one
   * row per insert, run on the connection directly, skipping Kysely's executor (the hot path of
   * entry logging; only inside a transaction the caller holds), the id read from the connection;
   * undefined when the row conflicted.
   */
  readonly entryIds:
    | { readonly via: "returning" }
    | { readonly via: "connection"; readonly run: (query: CompiledQuery) => number | undefined };
  /**
   * Makes other transactions that lock one of `keys` wait until `trx` ends. SQLite has one
   * writer at a time already (`BEGIN IMMEDIATE`); PostgreSQL takes a transaction-scoped advisory
   * lock on a hash of each key (no table is locked), in one statement, in sorted order (two
   * transactions locking the same keys take them in the same order).
   */
  readonly lockKeys: (trx: Transaction<Database>, keys: readonly string[]) => Promise<void>;
  /**
   * Unix milliseconds by the clock every process compares leases with: the host's on SQLite (one
   * machine shares the file), the server's on PostgreSQL (hosts' clocks may disagree).
   */
  readonly clockMs: (trx: Transaction<Database>) => Promise<number>;
  /**
   * Whether `error` is a transient conflict between concurrent transactions (PostgreSQL's
   * deadlock or serialization failure) after which the whole transaction may simply run again.
   */
  readonly isTransientConflict: (error: unknown) => boolean;
}

/** The SQLite side of {@link SqlDialect}, over a runner of the connection's statements. */
export function sqliteDialect(
  run: (query: CompiledQuery) => { changes: number | bigint; lastInsertRowid: number | bigint },
): SqlDialect {
  return {
    name: "sqlite",
    entryIds: {
      via: "connection",
      run: (query) => {
        const result = run(query);
        return Number(result.changes) === 1 ? Number(result.lastInsertRowid) : undefined;
      },
    },
    lockKeys: () => Promise.resolve(),
    clockMs: () => Promise.resolve(Date.now()),
    isTransientConflict: () => false,
  };
}

/** SQLSTATEs after which PostgreSQL asks the client to retry the transaction. */
const TRANSIENT_SQLSTATES = new Set(["40001", "40P01"]);

/** The PostgreSQL side of {@link SqlDialect}. */
export const POSTGRES_DIALECT: SqlDialect = {
  name: "postgres",
  entryIds: { via: "returning" },
  lockKeys: async (trx, keys) => {
    if (keys.length === 0) return;
    // hashtextextended: a 64-bit hash, so unrelated keys almost never wait for each other.
    await sql`SELECT pg_advisory_xact_lock(hashtextextended(key, 0))
      FROM unnest(${[...new Set(keys)].sort()}::text[]) WITH ORDINALITY AS locked (key, n)
      ORDER BY n`.execute(trx);
  },
  clockMs: async (trx) => {
    const { rows } = await sql<{ ms: number }>`
      SELECT floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint AS ms`.execute(trx);
    return Number(rows[0].ms);
  },
  isTransientConflict: (error) => {
    for (let e: unknown = error; e instanceof Error; e = e.cause) {
      const code = (e as { code?: unknown }).code;
      if (typeof code === "string" && TRANSIENT_SQLSTATES.has(code)) return true;
    }
    return false;
  },
};
