/**
 * The `intraday` job for one stock: the whole session's minute bars of the run's trade date
 * (FHKST03010230 for a past day, FHKST03010200 for today) as rows of `stock_minute_price`.
 *
 * A day is stored only whole. Bars that do not reach back to the day's first trade (KIS's
 * cumulative value of the first bar holds trading no fetched bar explains) fail the stock and
 * store nothing, rather than give the first bar a value that absorbed earlier minutes. A stock
 * without a single bar is halted (KIS's daily data shows no trade: done, 0 bars, with the reason)
 * or unknown (a failure).
 *
 * @module
 */
import type { Archivist } from "../db/archivist.ts";
import { candleValuesOf } from "../db/candles.ts";
import type { StockMinutePrice } from "../db/schema.ts";
import { MINUTE_HISTORY_DAYS, type MinuteCandle, type SessionWindow } from "../src/kis/mod.ts";
import { addDays, kstTime } from "../src/time.ts";
import type { CollectorClient } from "./client.ts";
import { haltedNote, pastDayTrading } from "./day_trading.ts";
import type { StockCollector } from "./stock_result.ts";

/** Minute candles from the client as rows of `stock_minute_price`. */
export function minutePriceRowsOf(
  stockCode: string,
  candles: readonly MinuteCandle[],
): StockMinutePrice[] {
  return candles.map((candle) => ({
    stock_code: stockCode,
    bar_time: candle.barTime,
    ...candleValuesOf(candle),
  }));
}

/** What a minute-bar collector needs for one run. */
export interface IntradayCollectorOptions {
  readonly archivist: Archivist;
  readonly client: CollectorClient;
  /** The session to collect. */
  readonly tradeDate: string;
  /** Its expected shape (the paging stops at its open). */
  readonly session: SessionWindow;
  /** Whether `tradeDate` is today (KIS's summary then tells the day's volume). */
  readonly isToday: boolean;
  /** Today's KST date: a day beyond KIS's minute history is said to be. */
  readonly today: string;
}

/**
 * A collector of one run's minute bars: call it per stock; it resolves with the session's rows
 * (or none, with the reason, for a stock halted all day), or throws when KIS fails, the day is
 * incomplete or the stock unknown.
 */
export function createIntradayCollector(options: IntradayCollectorOptions): StockCollector {
  const { archivist, client, tradeDate, session, isToday, today } = options;
  return async (stockCode) => {
    const fetched = await client.sessionMinuteBars(stockCode, tradeDate, session);
    const { candles } = fetched;
    if (fetched.missingEarlierValue > 0) {
      throw new Error(
        `KIS's minute bars of ${stockCode} on ${tradeDate} start at ` +
          `${kstTime(candles[0].barTime * 1000).slice(0, 5)} but its first cumulative value ` +
          `holds ${fetched.missingEarlierValue} KRW traded before: earlier bars are missing, so ` +
          "the day is incomplete and nothing was stored; run again",
      );
    }
    if (candles.length === 0) {
      const day = isToday
        ? (fetched.dayVolume === undefined ? undefined : { volume: fetched.dayVolume })
        : await pastDayTrading(client, stockCode, tradeDate);
      if (day?.volume === 0) {
        return {
          write: () => Promise.resolve({ inserted: 0, updated: 0, unchanged: 0 }),
          note: haltedNote(tradeDate),
        };
      }
      throw new Error(
        day === undefined
          ? `KIS returned no minute bars of ${stockCode} for ${tradeDate} and no daily data ` +
            "of that day: check that the code is listed"
          : `KIS returned no minute bars of ${stockCode} for ${tradeDate} although ` +
            `${day.volume ?? "some"} shares traded that day; ` +
            (tradeDate < addDays(today, -MINUTE_HISTORY_DAYS)
              ? `KIS keeps about ${MINUTE_HISTORY_DAYS} days of minute bars, and this day is ` +
                "older: running again will not help"
              : "run again"),
      );
    }
    const rows = minutePriceRowsOf(stockCode, candles);
    return {
      write: () => archivist.upsertMinuteBars(rows),
      lastBarTime: candles[candles.length - 1].barTime,
    };
  };
}
