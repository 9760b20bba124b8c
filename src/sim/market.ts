/**
 * The simulator's synthetic Korean market, deterministic per (stock, date): the truth that the
 * HTTP simulator serves and that tests compare collected data with, in domain units (integer KRW
 * and shares).
 *
 * @module
 */
import { isKrxTradingDay, previousTradingDay } from "../calendar.ts";
import { kstDate, kstTime } from "../time.ts";
import { sessionBarsAt, SIM_HISTORY_START, simDay } from "./prices.ts";
import { isHalted, sessionMinutesOf } from "./sessions.ts";
import { simStock } from "./stocks.ts";

export {
  barProgress,
  firstTradeSecond,
  sessionBars,
  sessionBarsAt,
  SIM_HISTORY_START,
  type SimDay,
  simDay,
  type SimMinuteBar,
} from "./prices.ts";
export {
  investorDay,
  programDay,
  programSnapshots,
  type SimInvestorDay,
  type SimInvestorFlow,
  type SimProgramDay,
  type SimProgramSnapshot,
  type SimProgramTotals,
} from "./flows.ts";
export { isListedStock, SIM_UNLISTED_STOCK_CODE, type SimStock, simStock } from "./stocks.ts";
export {
  isHalted,
  type SessionMinutes,
  sessionMinutesOf,
  SIM_DELAYED_CLOSES,
  SIM_HALTED_STOCK_CODE,
  SIM_HALTS,
  type SimHalt,
  simSession,
} from "./sessions.ts";
export { isOnTick, KRX_TICK_TABLE, roundToTick, tickSize } from "./ticks.ts";

/** The quote of a stock at one instant: the latest session that has printed. */
export interface SimQuote {
  /** KST date of that session. */
  tradeDate: string;
  /** KST `HHMMSS` the figures are as of (`240000` for a completed earlier session). */
  asOf: string;
  /** Last price. */
  price: number;
  /** The session's base price (previous close). */
  previousClose: number;
  /** Shares traded so far in that session. */
  volume: number;
  /** KRW traded so far in that session. */
  valueKrw: number;
  /** Korean name. */
  name: string;
}

/** `HHMMSS` of an instant in KST. */
export function kstHhmmss(instant: Date): string {
  return kstTime(instant).replaceAll(":", "");
}

/**
 * The quote at `instant`: today's session so far once it has printed, else the last completed
 * session; `undefined` when there is none in the simulated history.
 */
export function quoteAt(stockCode: string, instant: Date): SimQuote | undefined {
  let tradeDate = kstDate(instant);
  let asOf = kstHhmmss(instant);
  const open = isKrxTradingDay(tradeDate) && asOf >= sessionMinutesOf(tradeDate).open;
  if (open && isHalted(stockCode, tradeDate) && tradeDate >= SIM_HISTORY_START) {
    // A halted stock's quote today: nothing traded, the price stays at the previous close.
    const day = simDay(stockCode, tradeDate)!;
    return {
      tradeDate,
      asOf,
      price: day.previousClose,
      previousClose: day.previousClose,
      volume: 0,
      valueKrw: 0,
      name: simStock(stockCode).name,
    };
  }
  let bars = isKrxTradingDay(tradeDate) ? sessionBarsAt(stockCode, tradeDate, asOf) : [];
  if (bars.length === 0) {
    tradeDate = previousTradingDay(tradeDate);
    asOf = "240000";
    bars = sessionBarsAt(stockCode, tradeDate, asOf);
  }
  if (tradeDate < SIM_HISTORY_START || bars.length === 0) return undefined;
  const last = bars.at(-1)!;
  return {
    tradeDate,
    asOf,
    price: last.close,
    previousClose: simDay(stockCode, tradeDate)!.previousClose,
    volume: bars.reduce((sum, bar) => sum + bar.volume, 0),
    valueKrw: last.cumulativeValue,
    name: simStock(stockCode).name,
  };
}
