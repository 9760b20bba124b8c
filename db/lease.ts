/**
 * The collection lease: one named row that lets a single process collect at a time, across
 * processes sharing the database (a file on one host, or a PostgreSQL server shared by many). A
 * holder renews it before it expires; an expired lease is free to take. The take is one upsert
 * that locks the lease's row, so two processes never both win it; expiries are compared on the
 * clock of the dialect (the server's on PostgreSQL, where hosts' clocks may disagree).
 *
 * @module
 */
import type { Kysely, Transaction } from "kysely";
import type { SqlDialect } from "./dialect.ts";
import type { Database } from "./schema.ts";

/** Takes the lease `name` for `holder` inside `trx` unless another holder's is still valid. */
export async function acquireLeaseIn(
  trx: Transaction<Database>,
  dialect: SqlDialect,
  name: string,
  holder: string,
  ttlMs: number,
): Promise<boolean> {
  // Wall-clock time, not the Archivist's clock: expiries are compared between processes.
  const now = await dialect.clockMs(trx);
  await trx.insertInto("collection_lease").values({ name, holder, expires_at: now + ttlMs })
    .onConflict((oc) =>
      oc.column("name").doUpdateSet({ holder, expires_at: now + ttlMs })
        .where((eb) =>
          eb.or([
            eb("collection_lease.expires_at", "<", now),
            eb("collection_lease.holder", "=", holder),
          ])
        )
    ).execute();
  const lease = await trx.selectFrom("collection_lease").select("holder")
    .where("name", "=", name).executeTakeFirstOrThrow();
  return lease.holder === holder;
}

/** Extends `holder`'s lease inside `trx`; false when it was lost to another holder. */
export async function renewLeaseIn(
  trx: Transaction<Database>,
  dialect: SqlDialect,
  name: string,
  holder: string,
  ttlMs: number,
): Promise<boolean> {
  const expiresAt = await dialect.clockMs(trx) + ttlMs;
  const result = await trx.updateTable("collection_lease").set({ expires_at: expiresAt })
    .where("name", "=", name).where("holder", "=", holder).executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Gives `holder`'s lease back inside `trx`. */
export async function releaseLeaseIn(
  trx: Transaction<Database>,
  name: string,
  holder: string,
): Promise<void> {
  await trx.deleteFrom("collection_lease").where("name", "=", name).where("holder", "=", holder)
    .execute();
}

/** The current holder of the lease `name`, if any (expired or not). */
export async function leaseHolder(
  db: Kysely<Database>,
  name: string,
): Promise<string | undefined> {
  const lease = await db.selectFrom("collection_lease").select("holder").where("name", "=", name)
    .executeTakeFirst();
  return lease?.holder;
}

/**
 * Gives the lease `name` to `holder` inside `trx` if `gone` still holds it (a holder found dead);
 * false when someone else took it meanwhile.
 */
export async function takeOverLeaseIn(
  trx: Transaction<Database>,
  dialect: SqlDialect,
  name: string,
  gone: string,
  holder: string,
  ttlMs: number,
): Promise<boolean> {
  const expiresAt = await dialect.clockMs(trx) + ttlMs;
  const result = await trx.updateTable("collection_lease")
    .set({ holder, expires_at: expiresAt })
    .where("name", "=", name).where("holder", "=", gone).executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Names of the leases that have not expired, on the dialect's clock, inside `trx`. */
export async function liveLeasesIn(
  trx: Transaction<Database>,
  dialect: SqlDialect,
): Promise<string[]> {
  const now = await dialect.clockMs(trx);
  const rows = await trx.selectFrom("collection_lease").select("name")
    .where("expires_at", ">=", now).orderBy("name").execute();
  return rows.map((row) => row.name);
}
