/**
 * What KIS's daily data says a stock traded on a past day: how the collectors tell a stock halted
 * all day (done, nothing to store, with the reason) from one whose data is missing (a failure that
 * the next run retries).
 *
 * @module
 */
import type { CollectorClient } from "./client.ts";

/** A stock's trading on one day as KIS's daily data tells it. */
export interface DayTrading {
  /** Shares traded (0: halted all day); absent when the source has no volume. */
  readonly volume?: number;
}

/**
 * What KIS's daily data says `stockCode` traded on `tradeDate`: the day's candle (FHKST03010100,
 * on real and virtual keys) where KIS has one, else the daily program-trading row's volume
 * (`acml_vol`) where offered, else the investor row, which has no volume but shows any trading as
 * a net or a price change (volume unknown then); undefined when KIS has no row of that day for the
 * stock. The candle comes first: it is KIS's own daily record of the stock's trading, and a
 * server may leave a day without trades out of the program-trading series.
 */
export async function pastDayTrading(
  client: CollectorClient,
  stockCode: string,
  tradeDate: string,
): Promise<DayTrading | undefined> {
  if (client.offers("dailyCandles")) {
    const candles = await client.dailyCandles(stockCode, tradeDate, tradeDate);
    const candle = candles.find((c) => c.tradeDate === tradeDate);
    if (candle) return { volume: candle.volume };
  }
  if (client.offers("programTradeDaily")) {
    const days = await client.programTradeDaily(stockCode, tradeDate);
    const day = days.find((d) => d.tradeDate === tradeDate);
    if (day) return { volume: day.acml_vol ?? undefined };
  }
  const days = await client.investorFlows(stockCode);
  const day = days.find((d) => d.tradeDate === tradeDate);
  if (!day) return undefined;
  const traded = [day.prsn_ntby_qty, day.frgn_ntby_qty, day.orgn_ntby_qty, day.prdy_vrss]
    .some((n) => n !== null && n !== 0);
  return traded ? {} : { volume: 0 };
}

/** The note of a stock that was done without data because it did not trade on `tradeDate`. */
export function haltedNote(tradeDate: string): string {
  return `halted all day: KIS's daily data shows no trade on ${tradeDate}`;
}
