/**
 * The `intraday` job for one stock: the whole session's minute bars of the run's trade date
 * (FHKST03010230 for a past day, FHKST03010200 for today), upserted into `stock_minute_price`.
 *
 * @module
 */
import type { Archivist, WriteCounts } from "../db/archivist.ts";
import type { MinuteBar as MinuteBarRow } from "../db/schema.ts";
import type { MinuteBar } from "../src/kis/mod.ts";
import type { CollectorClient } from "./client.ts";

/** Minute bars from the client as rows of `stock_minute_price`. */
export function minuteBarRowsOf(stockCode: string, bars: readonly MinuteBar[]): MinuteBarRow[] {
  return bars.map((bar) => ({
    stock_code: stockCode,
    bar_time: bar.barTime,
    open: bar.open,
    high: bar.high,
    low: bar.low,
    close: bar.close,
    volume: bar.volume,
    value: bar.value,
  }));
}

/** What a minute-bar collector needs for one run. */
export interface IntradayCollectorOptions {
  readonly archivist: Archivist;
  readonly client: CollectorClient;
  /** The session to collect. */
  readonly tradeDate: string;
}

/**
 * A collector of one run's minute bars: call it per stock; it returns what was written, or throws
 * when KIS fails or has no bar of that session (unknown or suspended stock).
 */
export function createIntradayCollector(
  options: IntradayCollectorOptions,
): (stockCode: string) => Promise<WriteCounts> {
  const { archivist, client, tradeDate } = options;
  return async (stockCode) => {
    const bars = await client.sessionMinuteBars(stockCode, tradeDate);
    if (bars.length === 0) {
      throw new Error(
        `KIS returned no minute bars of ${stockCode} for ${tradeDate}: check that the code is ` +
          "listed and was not suspended that day",
      );
    }
    return await archivist.upsertMinuteBars(minuteBarRowsOf(stockCode, bars));
  };
}
