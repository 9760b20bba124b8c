/**
 * How much room the archive takes: the SQLite file with its write-ahead log, or the PostgreSQL
 * database as the server counts it.
 *
 * @module
 */
import { type Kysely, sql } from "kysely";
import type { DialectName } from "./dialect.ts";
import type { Database } from "./schema.ts";

/** Bytes of the archive at `path` on `dialect`; null for an in-memory database. */
export async function databaseBytes(
  db: Kysely<Database>,
  dialect: DialectName,
  path: string,
): Promise<number | null> {
  if (dialect === "postgres") {
    const { rows } = await sql<{ bytes: number }>`
      SELECT pg_database_size(current_database()) AS bytes`.execute(db);
    return Number(rows[0].bytes);
  }
  if (path === ":memory:") return null;
  let total = 0;
  for (const file of [path, `${path}-wal`]) {
    try {
      total += (await Deno.stat(file)).size;
    } catch {
      // No write-ahead log right now, or the file is not readable: count what is.
    }
  }
  return total;
}
