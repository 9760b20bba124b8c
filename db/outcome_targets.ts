/**
 * What the `daily` job must collect for the outcomes: the stocks with an entry whose outcome is
 * not complete, and how far back a stock's history must reach for them.
 *
 * @module
 */
import type { Kysely } from "kysely";
import type { Database } from "./schema.ts";

const OUTCOME_TABLES = ["decision_outcome", "rejection_outcome"] as const;

/** Stocks with a decision or rejection whose outcome is not complete (uses the partial index). */
export async function openOutcomeStocks(db: Kysely<Database>): Promise<string[]> {
  const stocks = new Set<string>();
  for (const table of OUTCOME_TABLES) {
    const rows = await db.selectFrom(table).select("stock_code").distinct()
      .where("status", "<>", "complete").execute();
    for (const row of rows) stocks.add(row.stock_code);
  }
  return [...stocks].sort();
}

/** The earliest trade date of `stockCode`'s entries whose outcome is not complete, or null. */
export async function openOutcomeStart(
  db: Kysely<Database>,
  stockCode: string,
): Promise<string | null> {
  let earliest: string | null = null;
  for (const table of OUTCOME_TABLES) {
    const row = await db.selectFrom(table).select((eb) => eb.fn.min("trade_date").as("first"))
      .where("stock_code", "=", stockCode).where("status", "<>", "complete")
      .executeTakeFirst();
    const first = row?.first ?? null;
    if (first !== null && (earliest === null || first < earliest)) earliest = first;
  }
  return earliest;
}
