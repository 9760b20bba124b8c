/**
 * Minute bars: their upsert, the archive's hot path (hundreds of thousands of rows per backfill),
 * and the read of one stock's trading day.
 *
 * Bars go in multi-row `INSERT … ON CONFLICT DO UPDATE … WHERE changed` statements, compiled once
 * per chunk size (`compiled.ts`), so the cost per row stays near a raw prepared-statement loop.
 *
 * @module
 */
import type { CompiledQuery, Kysely, Transaction } from "kysely";
import { isStockCode } from "../src/stock_code.ts";
import { kstInstant } from "../src/time.ts";
import { CANDLE_VALUES, validateCandleValues } from "./candles.ts";
import { reusableStatement } from "./compiled.ts";
import type { DialectName } from "./dialect.ts";
import { ArchiveInputError } from "./errors.ts";
import type { Database, StockMinutePrice, StockMinutePriceRow } from "./schema.ts";
import type { WriteCounts } from "./write_counts.ts";

/** Columns of `stock_minute_price` in the order the statement binds them. */
export const BAR_COLUMNS = [
  "stock_code",
  "bar_time",
  "open",
  "high",
  "low",
  "close",
  "volume",
  "value",
] as const satisfies readonly (keyof StockMinutePrice)[];

const VALUE_COLUMNS = CANDLE_VALUES;

/** Rows per statement: 8 columns × 120 rows stays far below SQLite's parameter limit. */
const CHUNK_ROWS = 120;

function upsertStatement(
  db: Kysely<Database>,
  dialect: DialectName,
  chunk: readonly StockMinutePrice[],
): CompiledQuery {
  const parameters = chunk.flatMap((bar) => BAR_COLUMNS.map((column) => bar[column]));
  return reusableStatement(
    dialect,
    `minute-bar-upsert:${chunk.length}`,
    parameters,
    () =>
      db.insertInto("stock_minute_price")
        .values(
          chunk.map((bar) =>
            Object.fromEntries(BAR_COLUMNS.map((c) => [c, bar[c]])) as StockMinutePrice
          ),
        )
        .onConflict((conflict) =>
          conflict.columns(["stock_code", "bar_time"])
            .doUpdateSet((eb) =>
              Object.fromEntries(VALUE_COLUMNS.map((c) => [c, eb.ref(`excluded.${c}`)]))
            )
            .where((eb) =>
              eb.or(
                VALUE_COLUMNS.map((c) =>
                  eb(`stock_minute_price.${c}`, "is distinct from", eb.ref(`excluded.${c}`))
                ),
              )
            )
        )
        .compile(),
  );
}

/** Refuses a bar that is not whole, positive and consistent, naming the field. */
export function validateMinuteBar(bar: StockMinutePrice, index: number): void {
  const where = `bars[${index}]`;
  if (!isStockCode(bar.stock_code)) {
    throw new ArchiveInputError(
      "upsertMinuteBars",
      "expected a KRX stock code",
      `${where}.stock_code`,
    );
  }
  if (!Number.isSafeInteger(bar.bar_time) || bar.bar_time % 60 !== 0) {
    throw new ArchiveInputError(
      "upsertMinuteBars",
      "expected unix seconds at the start of a minute",
      `${where}.bar_time`,
    );
  }
  validateCandleValues("upsertMinuteBars", where, bar);
}

/** Keeps the last bar of each (stock, minute) so one statement never touches a key twice. */
function dedupe(bars: readonly StockMinutePrice[]): Map<string, Map<number, StockMinutePrice>> {
  const byStock = new Map<string, Map<number, StockMinutePrice>>();
  for (const bar of bars) {
    let minutes = byStock.get(bar.stock_code);
    if (!minutes) byStock.set(bar.stock_code, minutes = new Map());
    minutes.set(bar.bar_time, bar);
  }
  return byStock;
}

async function countExisting(
  trx: Transaction<Database>,
  stockCode: string,
  minutes: Map<number, StockMinutePrice>,
): Promise<number> {
  let low = Infinity;
  let high = -Infinity;
  for (const barTime of minutes.keys()) {
    if (barTime < low) low = barTime;
    if (barTime > high) high = barTime;
  }
  if (high - low < 24 * 3600) {
    // One session: count its stored minutes without decoding them, then subtract the ones not sent.
    const stored = await trx.selectFrom("stock_minute_price").select("bar_time")
      .where("stock_code", "=", stockCode).where("bar_time", ">=", low).where(
        "bar_time",
        "<=",
        high,
      )
      .execute();
    return stored.reduce((n, row) => n + (minutes.has(row.bar_time) ? 1 : 0), 0);
  }
  let existing = 0;
  const keys = [...minutes.keys()];
  for (let i = 0; i < keys.length; i += 500) {
    const row = await trx.selectFrom("stock_minute_price")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .where("stock_code", "=", stockCode).where("bar_time", "in", keys.slice(i, i + 500))
      .executeTakeFirstOrThrow();
    existing += Number(row.n);
  }
  return existing;
}

/**
 * Upserts `bars` inside `trx`; returns how many were inserted, updated and already identical.
 * The caller validates and owns the transaction.
 */
export async function upsertMinuteBarsIn(
  trx: Transaction<Database>,
  dialect: DialectName,
  bars: readonly StockMinutePrice[],
): Promise<WriteCounts> {
  let inserted = 0;
  let existing = 0;
  let changed = 0;
  const pending: StockMinutePrice[] = [];
  const flush = async (rows: StockMinutePrice[]) => {
    const result = await trx.executeQuery(upsertStatement(trx, dialect, rows));
    changed += Number(result.numAffectedRows ?? 0n);
  };
  for (const [stockCode, minutes] of dedupe(bars)) {
    const stored = await countExisting(trx, stockCode, minutes);
    existing += stored;
    inserted += minutes.size - stored;
    for (const bar of minutes.values()) {
      pending.push(bar);
      if (pending.length === CHUNK_ROWS) await flush(pending.splice(0));
    }
  }
  if (pending.length > 0) await flush(pending);
  const updated = changed - inserted;
  return { inserted, updated, unchanged: existing - updated };
}

/** One KST trading day's bars of a stock, ascending. */
export function minuteBars(
  db: Kysely<Database>,
  stockCode: string,
  tradeDate: string,
): Promise<StockMinutePriceRow[]> {
  const start = kstInstant(tradeDate).getTime() / 1000;
  return db.selectFrom("stock_minute_price").selectAll()
    .where("stock_code", "=", stockCode)
    .where("bar_time", ">=", start).where("bar_time", "<", start + 86_400)
    .orderBy("bar_time").execute();
}

/** Of `stockCodes`, those with at least one bar on the KST day `tradeDate`. */
export async function stocksWithMinuteBars(
  db: Kysely<Database>,
  tradeDate: string,
  stockCodes: readonly string[],
): Promise<Set<string>> {
  const start = kstInstant(tradeDate).getTime() / 1000;
  const found = new Set<string>();
  // One probe per stock on the primary key: reads one row, never the day's bars.
  for (const stockCode of stockCodes) {
    const row = await db.selectFrom("stock_minute_price").select("bar_time")
      .where("stock_code", "=", stockCode)
      .where("bar_time", ">=", start).where("bar_time", "<", start + 86_400)
      .limit(1).executeTakeFirst();
    if (row) found.add(stockCode);
  }
  return found;
}
