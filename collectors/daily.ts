/**
 * The `daily` job for one stock: its adjusted daily candles (FHKST03010100) up to the run's trade
 * date, into `stock_daily_price`, where writing them recomputes the outcomes that read them.
 *
 * The first time a stock is collected its last {@link FIRST_HISTORY_DAYS} trading days are
 * fetched (and further back if an entry awaiting its outcome needs it); after that, from the last
 * stored day on. KIS's adjusted prices of earlier days change after a split or rights issue: when
 * a day already stored comes back with other prices, the stock's whole stored history is fetched
 * again and replaced in one transaction, so no return ever straddles an adjustment.
 *
 * @module
 */
import type { Archivist, DailyPriceWrite } from "../db/archivist.ts";
import { TradingDays } from "../db/outcomes.ts";
import type { DailyPrice, DailyPriceRow } from "../db/schema.ts";
import type { DailyCandle } from "../src/kis/mod.ts";
import { getLogger } from "../src/log.ts";
import type { CollectorClient } from "./client.ts";
import { recentTradingDays } from "./dates.ts";

const log = getLogger("collect", "daily");

/** Trading days fetched the first time a stock is collected: a 20-day baseline and far more. */
export const FIRST_HISTORY_DAYS = 120;

/** Candles from the client as rows of `stock_daily_price`. */
export function dailyPriceRowsOf(stockCode: string, candles: readonly DailyCandle[]): DailyPrice[] {
  return candles.map((candle) => ({
    stock_code: stockCode,
    trade_date: candle.tradeDate,
    open: candle.open,
    high: candle.high,
    low: candle.low,
    close: candle.close,
    volume: candle.volume,
    value: candle.value,
  }));
}

/** Stored days whose prices KIS now reports otherwise: the history was adjusted. */
export function adjustedDays(
  stored: readonly DailyPriceRow[],
  fetched: readonly DailyCandle[],
): string[] {
  const byDate = new Map(fetched.map((candle) => [candle.tradeDate, candle]));
  return stored.filter((row) => {
    const candle = byDate.get(row.trade_date);
    return candle !== undefined && (candle.open !== row.open || candle.high !== row.high ||
      candle.low !== row.low || candle.close !== row.close);
  }).map((row) => row.trade_date);
}

/** What a daily-candle collector needs for one run. */
export interface DailyCollectorOptions {
  readonly archivist: Archivist;
  readonly client: CollectorClient;
  /** The run's trade date: its candle must come back. */
  readonly tradeDate: string;
}

const earlier = (a: string, b: string | null) => b !== null && b < a ? b : a;
const later = (a: string, b: string) => b > a ? b : a;

/**
 * A collector of one run's daily candles: call it per stock; it returns what was written, or
 * throws when KIS fails or has no candle of the run's day (unknown or suspended stock).
 */
export function createDailyCollector(
  options: DailyCollectorOptions,
): (stockCode: string) => Promise<DailyPriceWrite> {
  const { archivist, client, tradeDate } = options;
  const isOpen = (date: string) => archivist.isTradingDay(date);
  const days = new TradingDays(isOpen);
  return async (stockCode) => {
    const span = await archivist.dailyPriceSpan(stockCode);
    const awaiting = await archivist.openOutcomeStart(stockCode);
    // The oldest entry awaiting its outcome reads the 20 trading days before its own.
    const needed = awaiting === null ? null : days.before(awaiting)[0];
    const from = span === null
      ? earlier(recentTradingDays(tradeDate, FIRST_HISTORY_DAYS, isOpen)[0], needed)
      : earlier(
        earlier(span.last, tradeDate),
        needed !== null && needed < span.first ? needed : null,
      );
    const candles = await client.dailyCandles(stockCode, from, tradeDate);
    if (!candles.some((candle) => candle.tradeDate === tradeDate)) {
      throw new Error(
        `KIS returned no daily candle of ${stockCode} for ${tradeDate} (${candles.length} days ` +
          `from ${from}): check that the code is listed and was not suspended that day`,
      );
    }
    if (span !== null) {
      const stored = await archivist.dailyPrices(stockCode, from, tradeDate);
      const changed = adjustedDays(stored, candles);
      if (changed.length > 0) {
        const first = earlier(span.first, from);
        const last = later(span.last, tradeDate);
        const history = await client.dailyCandles(stockCode, first, last);
        const written = await archivist.replaceDailyPrices(
          stockCode,
          dailyPriceRowsOf(stockCode, history),
        );
        log.info(
          "Adjusted prices of {stockCode} changed ({changed} stored days differ, from " +
            "{firstChanged}): replaced its history {first}…{last} ({days} days), " +
            "{outcomes} outcomes recomputed",
          {
            stockCode,
            changed: changed.length,
            firstChanged: changed[0],
            first,
            last,
            days: history.length,
            outcomes: written.outcomes.updated,
          },
        );
        return written;
      }
    }
    return await archivist.upsertDailyPrices(dailyPriceRowsOf(stockCode, candles));
  };
}
