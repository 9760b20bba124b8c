/**
 * Adjusted daily candles (`stock_daily_price`): the upsert that tells which days changed, the
 * replacement of a stock's whole history (after a split KIS adjusts every earlier day), and reads.
 *
 * @module
 */
import type { Kysely, Transaction } from "kysely";
import { isStockCode } from "../src/stock_code.ts";
import { isTradeDate } from "../src/time.ts";
import { CANDLE_VALUES, validateCandleValues } from "./candles.ts";
import { ArchiveInputError } from "./errors.ts";
import type { DailyPrice, DailyPriceRow, Database } from "./schema.ts";
import type { WriteCounts } from "./write_counts.ts";

/** The value columns of a candle: what a write compares. */
export const DAILY_PRICE_VALUES = CANDLE_VALUES;

/** Rows per insert statement: 8 columns × 100 rows stays far below SQLite's parameter limit. */
const CHUNK_ROWS = 100;

/** The first and last stored day of a stock and how many days are stored. */
export interface DailyPriceSpan {
  readonly first: string;
  readonly last: string;
  readonly days: number;
}

/** Days of one stock whose candle was inserted or changed by a write. */
export interface ChangedDays {
  readonly stockCode: string;
  readonly from: string;
  readonly to: string;
}

/** Refuses a candle that is not whole, positive and consistent, naming the field. */
export function validateDailyPrice(operation: string, candle: DailyPrice, index: number): void {
  const where = `candles[${index}]`;
  if (!isStockCode(candle.stock_code)) {
    throw new ArchiveInputError(operation, "expected a KRX stock code", `${where}.stock_code`);
  }
  if (!isTradeDate(candle.trade_date)) {
    throw new ArchiveInputError(operation, "expected a KST date YYYY-MM-DD", `${where}.trade_date`);
  }
  validateCandleValues(operation, where, candle);
}

async function insertRows(trx: Transaction<Database>, rows: readonly DailyPrice[]): Promise<void> {
  for (let i = 0; i < rows.length; i += CHUNK_ROWS) {
    await trx.insertInto("stock_daily_price").values(rows.slice(i, i + CHUNK_ROWS))
      .onConflict((oc) =>
        oc.columns(["stock_code", "trade_date"]).doUpdateSet((eb) =>
          Object.fromEntries(DAILY_PRICE_VALUES.map((c) => [c, eb.ref(`excluded.${c}`)]))
        )
      ).execute();
  }
}

function candleOf(row: DailyPrice): DailyPrice {
  const { stock_code, trade_date, open, high, low, close, volume, value } = row;
  return { stock_code, trade_date, open, high, low, close, volume, value };
}

/**
 * Upserts `candles` inside `trx` (validated by the caller); identical candles are left untouched.
 * Returns the counts and, per stock, the span of days inserted or changed.
 */
export async function upsertDailyPricesIn(
  trx: Transaction<Database>,
  candles: readonly DailyPrice[],
): Promise<{ counts: WriteCounts; changed: ChangedDays[] }> {
  const byStock = new Map<string, Map<string, DailyPrice>>();
  for (const candle of candles) {
    let days = byStock.get(candle.stock_code);
    if (!days) byStock.set(candle.stock_code, days = new Map());
    days.set(candle.trade_date, candleOf(candle));
  }
  let inserted = 0, updated = 0, unchanged = 0;
  const changed: ChangedDays[] = [];
  const writes: DailyPrice[] = [];
  for (const [stockCode, days] of byStock) {
    const dates = [...days.keys()].sort();
    const stored = new Map(
      (await trx.selectFrom("stock_daily_price").selectAll()
        .where("stock_code", "=", stockCode)
        .where("trade_date", ">=", dates[0]).where("trade_date", "<=", dates[dates.length - 1])
        .execute()).map((row) => [row.trade_date, row]),
    );
    const written: string[] = [];
    for (const [date, candle] of days) {
      const previous = stored.get(date);
      if (!previous) inserted++;
      else if (DAILY_PRICE_VALUES.some((c) => previous[c] !== candle[c])) updated++;
      else {
        unchanged++;
        continue;
      }
      writes.push(candle);
      written.push(date);
    }
    if (written.length > 0) {
      written.sort();
      changed.push({ stockCode, from: written[0], to: written[written.length - 1] });
    }
  }
  await insertRows(trx, writes);
  return { counts: { inserted, updated, unchanged }, changed };
}

/**
 * Replaces every stored candle of `stockCode` with `candles` inside `trx`; returns the counts
 * against what was stored and how many stored days are gone.
 */
export async function replaceDailyPricesIn(
  trx: Transaction<Database>,
  stockCode: string,
  candles: readonly DailyPrice[],
): Promise<{ counts: WriteCounts; deleted: number }> {
  const stored = new Map(
    (await trx.selectFrom("stock_daily_price").selectAll().where("stock_code", "=", stockCode)
      .execute()).map((row) => [row.trade_date, row]),
  );
  const fresh = new Map(candles.map((c) => [c.trade_date, candleOf(c)]));
  let inserted = 0, updated = 0, unchanged = 0;
  for (const [date, candle] of fresh) {
    const previous = stored.get(date);
    if (!previous) inserted++;
    else if (DAILY_PRICE_VALUES.some((c) => previous[c] !== candle[c])) updated++;
    else unchanged++;
  }
  const deleted = [...stored.keys()].filter((date) => !fresh.has(date)).length;
  await trx.deleteFrom("stock_daily_price").where("stock_code", "=", stockCode).execute();
  await insertRows(trx, [...fresh.values()]);
  return { counts: { inserted, updated, unchanged }, deleted };
}

/** A stock's adjusted candles between two KST dates (inclusive), ascending. */
export function dailyPrices(
  db: Kysely<Database>,
  stockCode: string,
  from: string,
  to: string,
): Promise<DailyPriceRow[]> {
  return db.selectFrom("stock_daily_price").selectAll()
    .where("stock_code", "=", stockCode)
    .where("trade_date", ">=", from).where("trade_date", "<=", to)
    .orderBy("trade_date").execute();
}

/** The stored span of a stock's candles, or null when none is stored. */
export async function dailyPriceSpan(
  db: Kysely<Database>,
  stockCode: string,
): Promise<DailyPriceSpan | null> {
  const row = await db.selectFrom("stock_daily_price")
    .select((eb) => [
      eb.fn.min("trade_date").as("first"),
      eb.fn.max("trade_date").as("last"),
      eb.fn.countAll<number>().as("days"),
    ])
    .where("stock_code", "=", stockCode).executeTakeFirstOrThrow();
  return row.first === null || row.last === null
    ? null
    : { first: row.first, last: row.last, days: Number(row.days) };
}
