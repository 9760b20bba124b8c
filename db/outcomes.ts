/**
 * The outcome definitions (`docs/outcomes.md`), as pure functions of a stock's adjusted daily
 * candles and the trading calendar. For an entry with trade date D, T1…T20 are the trading days
 * after D; a value needs the candle of each day it reads and is null until that day is archived,
 * never guessed (a missing day is not skipped over).
 *
 * @module
 */
import { nextTradingDay, previousTradingDay, type TradingDayRule } from "../src/calendar.ts";
import type {
  DecisionOutcomeTable,
  FinalDecision,
  OutcomeStatus,
  RejectionOutcomeTable,
} from "./schema.ts";

/** Trading days after D that outcomes look at (T1…T20). */
export const HORIZON_DAYS = 20;
/** Trading days after D of the high/low window (T1…T5). */
export const WINDOW_DAYS = 5;
/** Trading days before D whose mean volume is the baseline of `vol_shock`. */
export const BASELINE_DAYS = 20;
/** `vol_shock`: the largest volume of T1…T5 is at least this many times the baseline. */
export const VOL_SHOCK_MULTIPLE = 3;
/** Default `regret` threshold: `max_high_5d_pct` at or above it, in percent. */
export const DEFAULT_REGRET_THRESHOLD_PCT = 4;

/** What the definitions read of a day's candle. */
export interface Candle {
  readonly high: number;
  readonly low: number;
  readonly close: number;
  readonly volume: number;
}

/** The trading days around entry dates, memoised per date (many entries share a date). */
export class TradingDays {
  readonly #isOpen: TradingDayRule;
  readonly #after = new Map<string, readonly string[]>();
  readonly #before = new Map<string, readonly string[]>();

  constructor(isOpen: TradingDayRule) {
    this.#isOpen = isOpen;
  }

  /** T1…T20: the {@link HORIZON_DAYS} trading days after `date`, ascending. */
  after(date: string): readonly string[] {
    let days = this.#after.get(date);
    if (!days) {
      const list: string[] = [];
      for (let day = date; list.length < HORIZON_DAYS;) {
        list.push(day = nextTradingDay(day, this.#isOpen));
      }
      this.#after.set(date, days = list);
    }
    return days;
  }

  /** The {@link BASELINE_DAYS} trading days before `date`, ascending. */
  before(date: string): readonly string[] {
    let days = this.#before.get(date);
    if (!days) {
      const list: string[] = [];
      for (let day = date; list.length < BASELINE_DAYS;) {
        list.unshift(day = previousTradingDay(day, this.#isOpen));
      }
      this.#before.set(date, days = list);
    }
    return days;
  }

  /** The first and last day any entry dated from `from` to `to` reads. */
  span(from: string, to: string): { readonly from: string; readonly to: string } {
    return { from: this.before(from)[0], to: this.after(to)[HORIZON_DAYS - 1] };
  }
}

/** The price columns of an outcome. */
export type PriceOutcome = Pick<
  DecisionOutcomeTable,
  | "status"
  | "reference_close"
  | "close_1d"
  | "close_5d"
  | "close_20d"
  | "ret_1d_pct"
  | "ret_5d_pct"
  | "ret_20d_pct"
  | "max_high_5d_pct"
  | "min_low_5d_pct"
>;

/** (price / reference − 1) × 100, unrounded; null when either is unknown. */
function percentOf(price: number | null, reference: number | null): number | null {
  return price === null || reference === null ? null : (price / reference - 1) * 100;
}

/** Every candle of `days`, or null when one of them is not archived. */
function allOf(
  days: readonly string[],
  candles: ReadonlyMap<string, Candle>,
): Candle[] | null {
  const found: Candle[] = [];
  for (const day of days) {
    const candle = candles.get(day);
    if (!candle) return null;
    found.push(candle);
  }
  return found;
}

/** The price outcome of an entry of trade date `tradeDate`. */
export function priceOutcome(
  tradeDate: string,
  candles: ReadonlyMap<string, Candle>,
  days: TradingDays,
): PriceOutcome {
  const reference = candles.get(tradeDate)?.close ?? null;
  const after = days.after(tradeDate);
  const closeOn = (k: number) => candles.get(after[k - 1])?.close ?? null;
  const close1 = closeOn(1), close5 = closeOn(5), close20 = closeOn(HORIZON_DAYS);
  const window = allOf(after.slice(0, WINDOW_DAYS), candles);
  const ret20 = percentOf(close20, reference);
  const status: OutcomeStatus = reference === null
    ? "pending"
    : ret20 === null
    ? "partial"
    : "complete";
  return {
    status,
    reference_close: reference,
    close_1d: close1,
    close_5d: close5,
    close_20d: close20,
    ret_1d_pct: percentOf(close1, reference),
    ret_5d_pct: percentOf(close5, reference),
    ret_20d_pct: ret20,
    max_high_5d_pct: window && percentOf(Math.max(...window.map((c) => c.high)), reference),
    min_low_5d_pct: window && percentOf(Math.min(...window.map((c) => c.low)), reference),
  };
}

/** The edges of a decision: its return for BUY, minus it for SELL, null otherwise. */
export function decisionEdges(
  finalDecision: FinalDecision,
  outcome: PriceOutcome,
): Pick<DecisionOutcomeTable, "edge_1d_pct" | "edge_5d_pct" | "edge_20d_pct"> {
  const edge = (ret: number | null) =>
    ret === null || (finalDecision !== "BUY" && finalDecision !== "SELL")
      ? null
      : finalDecision === "BUY"
      ? ret
      // A flat SELL has edge 0, not -0.
      : 0 - ret;
  return {
    edge_1d_pct: edge(outcome.ret_1d_pct),
    edge_5d_pct: edge(outcome.ret_5d_pct),
    edge_20d_pct: edge(outcome.ret_20d_pct),
  };
}

/** The volume columns of a rejection: T1…T5's largest volume against the 20 days before D. */
export function volumeShock(
  tradeDate: string,
  candles: ReadonlyMap<string, Candle>,
  days: TradingDays,
): Pick<RejectionOutcomeTable, "max_volume_5d" | "mean_volume_20d" | "vol_shock"> {
  const window = allOf(days.after(tradeDate).slice(0, WINDOW_DAYS), candles);
  const baseline = allOf(days.before(tradeDate), candles);
  const maxVolume = window && Math.max(...window.map((c) => c.volume));
  const meanVolume = baseline && baseline.reduce((sum, c) => sum + c.volume, 0) / BASELINE_DAYS;
  return {
    max_volume_5d: maxVolume,
    mean_volume_20d: meanVolume,
    vol_shock: maxVolume === null || meanVolume === null
      ? null
      : maxVolume >= VOL_SHOCK_MULTIPLE * meanVolume
      ? 1
      : 0,
  };
}

/** `regret`: `max_high_5d_pct` ≥ `thresholdPct`; null while unknown. */
export function isRegret(maxHigh5dPct: number | null, thresholdPct: number): boolean | null {
  return maxHigh5dPct === null ? null : maxHigh5dPct >= thresholdPct;
}

/** `good_rejection`: not a regret and `ret_5d_pct` ≤ 0; null while unknown. */
export function isGoodRejection(
  maxHigh5dPct: number | null,
  ret5dPct: number | null,
  thresholdPct: number,
): boolean | null {
  const regret = isRegret(maxHigh5dPct, thresholdPct);
  if (regret === null) return null;
  if (regret) return false;
  return ret5dPct === null ? null : ret5dPct <= 0;
}
