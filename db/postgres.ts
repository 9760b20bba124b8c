/**
 * A Kysely `PostgresDialect` database over a `pg` pool, reading values back in the shapes the
 * SQLite adapter gives them, so every query module and every API answer is the same on both:
 *
 * - `bigint` (and integral `numeric`, e.g. `sum(bigint)`): a number where it is safe, a bigint
 *   beyond 2^53 (pg's default is a string);
 * - `numeric` with a fraction: a number;
 * - `timestamptz`: UTC ISO-8601 text with milliseconds (`2026-11-26T07:05:00.000Z`), as stored in
 *   SQLite and returned by the API (pg's default is a `Date`);
 * - `boolean`: 1 or 0, as SQLite stores flags (written as 1/0 too: PostgreSQL reads `'1'`/`'0'`
 *   as booleans).
 *
 * @module
 */
// @ts-types="@types/pg"
import pg from "pg";
import { Kysely, PostgresDialect } from "kysely";
import { getLogger } from "../src/log.ts";
import { preparedStatementName } from "./compiled.ts";
import type { SqliteFault } from "./sqlite_errors.ts";

const log = getLogger("archive", "postgres");

/** Type OIDs of PostgreSQL's catalog (`pg_type`) that Archivist reads differently from pg. */
const OID = { bool: 16, int8: 20, numeric: 1700, timestamptz: 1184 } as const;

/** Connections a process keeps open by default. */
export const DEFAULT_POOL_SIZE = 10;

function integer(text: string): number | bigint {
  const value = Number(text);
  return Number.isSafeInteger(value) ? value : BigInt(text);
}

const parseTimestamptz = pg.types.getTypeParser(OID.timestamptz) as (text: string) => Date;

/** pg's parser of `oid` as Archivist reads it (see the module comment). */
function typeParser(oid: number, format?: string): (text: string) => unknown {
  switch (oid) {
    case OID.bool:
      return (text) => text === "t" ? 1 : 0;
    case OID.int8:
      return integer;
    case OID.numeric:
      return (text) => /^-?\d+$/.test(text) ? integer(text) : Number(text);
    case OID.timestamptz:
      return (text) => parseTimestamptz(text).toISOString();
    default:
      return pg.types.getTypeParser(oid, format as "text");
  }
}

/**
 * A pg client that runs the hot paths' reused statements (`compiled.ts`) as named prepared
 * statements: each connection parses and plans them once instead of on every write.
 */
class PreparingClient extends pg.Client {
  // deno-lint-ignore no-explicit-any
  override query(config: any, values?: any, callback?: any): any {
    const name = typeof config === "string" && Array.isArray(values) && callback === undefined
      ? preparedStatementName(config)
      : undefined;
    if (name === undefined) return super.query(config, values, callback);
    return super.query({ name, text: config, values });
  }
}

/** Options of {@link openPostgres}. */
export interface PostgresOptions {
  /** Connections in the pool; default {@link DEFAULT_POOL_SIZE}. */
  readonly poolSize?: number;
  /**
   * How long a statement waits for a lock another session holds before it fails (the server's
   * `lock_timeout`, ms); default: as the server says (usually forever).
   */
  readonly lockTimeoutMs?: number;
}

/** A pool on the server at `url` and a typed Kysely instance over it. */
export function openPostgres<DB>(
  url: string,
  options: PostgresOptions = {},
): { db: Kysely<DB>; pool: pg.Pool } {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.poolSize ?? DEFAULT_POOL_SIZE,
    application_name: "archivist",
    ...(options.lockTimeoutMs ? { lock_timeout: options.lockTimeoutMs } : {}),
    Client: PreparingClient,
    types: { getTypeParser: typeParser as typeof pg.types.getTypeParser },
  });
  // An idle connection the server closed (restart, timeout) must not take the process down; the
  // pool replaces it on the next query.
  pool.on("error", (error) => {
    log.warning("An idle PostgreSQL connection failed: {error}", { error });
  });
  return { db: new Kysely<DB>({ dialect: new PostgresDialect({ pool }) }), pool };
}

/**
 * Whether `error` says the server could not be reached or refused the login (not a query's
 * fault), for the message that names the fix.
 */
export function isConnectionError(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code;
  return typeof code === "string" &&
    (["ECONNREFUSED", "ENOTFOUND", "ETIMEDOUT", "EHOSTUNREACH"].includes(code) ||
      code === "28P01" || code === "28000" || code === "3D000");
}

/** SQLSTATEs of faults of the server, as the archive names them (`sqlite_errors.ts`). */
const FAULT_SQLSTATES: Readonly<Record<string, SqliteFault>> = {
  // lock_timeout ran out while another session held a lock this write needs.
  "55P03": "busy",
  "53100": "full",
  // A standby, or default_transaction_read_only.
  "25006": "read-only",
  "58030": "io",
  // The server shut down or restarts, or does not take connections now.
  "57P01": "cannot-open",
  "57P02": "cannot-open",
  "57P03": "cannot-open",
};

/**
 * The fault of the server `error` (or an error in its `cause` chain) reports, named like the
 * SQLite file's faults (`busy`, `full`, `read-only`, `io`; a server that cannot be reached is
 * `cannot-open`); undefined for an error of the request itself.
 */
export function postgresFault(error: unknown): SqliteFault | undefined {
  for (let e = error, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string") {
      if (code in FAULT_SQLSTATES) return FAULT_SQLSTATES[code];
      if (code.startsWith("08") || isConnectionError(e)) return "cannot-open";
    }
    // pg's own errors when a connection drops carry no code.
    if (/^Connection terminated|^Client has encountered a connection error/.test(e.message)) {
      return "cannot-open";
    }
  }
  return undefined;
}
