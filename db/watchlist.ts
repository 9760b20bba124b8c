/**
 * The watchlist (stocks to collect every day) and the collection targets derived from it and
 * from recent rejections. Entries are never deleted, only deactivated, so their names persist.
 *
 * @module
 */
import type { Kysely, Transaction } from "kysely";
import { addDays, kstInstant } from "../src/time.ts";
import type { WatchlistEntry } from "./entries.ts";
import type { Database, WatchlistRow } from "./schema.ts";
import type { WriteCounts } from "./write_counts.ts";

/** The watchlist, active entries only unless `includeInactive`. */
export function watchlist(
  db: Kysely<Database>,
  options: { includeInactive?: boolean },
): Promise<WatchlistRow[]> {
  let query = db.selectFrom("watchlist").selectAll().orderBy("stock_code");
  if (!options.includeInactive) query = query.where("is_active", "=", 1);
  return query.execute();
}

/** Adds or re-activates `entries` inside `trx` (a given name replaces the stored one). */
export async function upsertWatchlistIn(
  trx: Transaction<Database>,
  entries: readonly WatchlistEntry[],
  now: () => Date,
): Promise<WriteCounts> {
  let inserted = 0, updated = 0, unchanged = 0;
  const updatedAt = now().toISOString();
  for (const entry of new Map(entries.map((e) => [e.stock_code, e])).values()) {
    const existing = await trx.selectFrom("watchlist").select(["stock_name", "is_active"])
      .where("stock_code", "=", entry.stock_code).executeTakeFirst();
    const name = entry.stock_name ?? existing?.stock_name ?? null;
    if (!existing) {
      await trx.insertInto("watchlist").values({
        stock_code: entry.stock_code,
        stock_name: name,
        is_active: 1,
        added_at: updatedAt,
        updated_at: updatedAt,
      }).execute();
      inserted++;
    } else if (existing.is_active !== 1 || existing.stock_name !== name) {
      await trx.updateTable("watchlist")
        .set({ stock_name: name, is_active: 1, updated_at: updatedAt })
        .where("stock_code", "=", entry.stock_code).execute();
      updated++;
    } else {
      unchanged++;
    }
  }
  return { inserted, updated, unchanged };
}

/** Makes exactly `entries` the active watchlist inside `trx`; others stay stored but inactive. */
export async function replaceWatchlistIn(
  trx: Transaction<Database>,
  entries: readonly WatchlistEntry[],
  now: () => Date,
): Promise<WriteCounts & { deactivated: number }> {
  const codes = entries.map((e) => e.stock_code);
  let deactivate = trx.updateTable("watchlist")
    .set({ is_active: 0, updated_at: now().toISOString() }).where("is_active", "=", 1);
  if (codes.length > 0) deactivate = deactivate.where("stock_code", "not in", codes);
  const result = await deactivate.executeTakeFirst();
  const counts = await upsertWatchlistIn(trx, entries, now);
  return { ...counts, deactivated: Number(result.numUpdatedRows) };
}

/** Deactivates `stockCodes` inside `trx`; returns how many were active. */
export async function removeFromWatchlistIn(
  trx: Transaction<Database>,
  stockCodes: readonly string[],
  now: () => Date,
): Promise<number> {
  if (stockCodes.length === 0) return 0;
  const result = await trx.updateTable("watchlist")
    .set({ is_active: 0, updated_at: now().toISOString() })
    .where("stock_code", "in", stockCodes).where("is_active", "=", 1).executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/**
 * The stocks to collect for `tradeDate`: the active watchlist, every stock rejected in the 7
 * days up to that day, and `extraCodes`; deduplicated, sorted.
 */
export async function collectionTargets(
  db: Kysely<Database>,
  tradeDate: string,
  extraCodes: readonly string[],
): Promise<string[]> {
  const watched = await db.selectFrom("watchlist").select("stock_code")
    .where("is_active", "=", 1).execute();
  const rejected = await db.selectFrom("shadow_radar_log").select("stock_code").distinct()
    .where("logged_at", ">=", kstInstant(addDays(tradeDate, -7)).toISOString())
    .where("logged_at", "<", kstInstant(addDays(tradeDate, 1)).toISOString())
    .execute();
  return [
    ...new Set([...watched, ...rejected].map((r) => r.stock_code).concat(extraCodes)),
  ].sort();
}
