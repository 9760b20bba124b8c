/**
 * Simulated prices: a chain of daily closes per stock and the minute bars of every session,
 * both deterministic per (stock, date). A session (`sessions.ts`: 09:00–15:30 on an ordinary
 * day) trades continuously from its open until the closing auction (some quiet minutes have no
 * trade and no bar), then prints one closing-auction bar at its close. A halted stock has no bar.
 *
 * @module
 */
import { isKrxTradingDay } from "../calendar.ts";
import { addDays } from "../time.ts";
import { SeededRandom } from "./random.ts";
import { isHalted, sessionMinutesOf } from "./sessions.ts";
import { sharesPerOriginal, splitRatioOn } from "./splits.ts";
import { simStock } from "./stocks.ts";
import { ceilToTick, floorToTick, roundToTick, tickDown, tickUp } from "./ticks.ts";

/** First trading day the simulator has data for; earlier dates have no market. */
export const SIM_HISTORY_START = "2023-01-02";

/** One minute bar in domain units (integer KRW and shares). */
export interface SimMinuteBar {
  /** Minute start, KST `HHMMSS`. */
  time: string;
  open: number;
  high: number;
  low: number;
  /** Last trade of the minute. */
  close: number;
  /** Shares traded in the minute. */
  volume: number;
  /** KRW traded in the minute. */
  value: number;
  /** KRW traded in the day up to and including this minute. */
  cumulativeValue: number;
}

/** A trading day's reference prices. */
export interface SimDay {
  /** KST date `YYYY-MM-DD`. */
  tradeDate: string;
  /** Close of the previous trading day (the base price of this day). */
  previousClose: number;
  /** Opening-auction price. */
  open: number;
  /** Closing-auction price (the close's bar). */
  close: number;
  /** Daily price limits (±30 % of the previous close, on the tick grid). */
  upperLimit: number;
  lowerLimit: number;
  /** Halted all day: no trade, open and close at the previous close. */
  halted: boolean;
}

interface Chain {
  days: Map<string, SimDay>;
  lastDate: string;
  lastClose: number;
}

const chains = new Map<string, Chain>();

function limitsOf(previousClose: number): { upper: number; lower: number } {
  return {
    upper: floorToTick(previousClose * 1.3),
    lower: ceilToTick(previousClose * 0.7),
  };
}

function clamp(value: number, low: number, high: number): number {
  return Math.min(high, Math.max(low, value));
}

function extendChain(code: string, chain: Chain, until: string): void {
  const { basePrice } = simStock(code);
  for (let date = addDays(chain.lastDate, 1); date <= until; date = addDays(date, 1)) {
    if (!isKrxTradingDay(date)) continue;
    const rnd = new SeededRandom(code, date, "day");
    // on a split's date the base price is the last close divided by the split ratio
    const split = splitRatioOn(code, date);
    const previousClose = split === 1 ? chain.lastClose : roundToTick(chain.lastClose / split);
    const { upper, lower } = limitsOf(previousClose);
    if (isHalted(code, date)) {
      chain.days.set(date, {
        tradeDate: date,
        previousClose,
        open: previousClose,
        close: previousClose,
        upperLimit: upper,
        lowerLimit: lower,
        halted: true,
      });
      chain.lastDate = date;
      continue;
    }
    // mean reversion toward the base level keeps years of random walk in a plausible range
    const level = basePrice / sharesPerOriginal(code, date);
    const drift = 0.03 * Math.log(level / previousClose);
    const close = clamp(
      roundToTick(previousClose * Math.exp(drift + 0.02 * rnd.normal())),
      lower,
      upper,
    );
    const open = clamp(roundToTick(previousClose * Math.exp(0.006 * rnd.normal())), lower, upper);
    chain.days.set(date, {
      tradeDate: date,
      previousClose,
      open,
      close,
      upperLimit: upper,
      lowerLimit: lower,
      halted: false,
    });
    chain.lastDate = date;
    chain.lastClose = close;
  }
}

/** The reference prices of `tradeDate`, or `undefined` when the market is closed or before history. */
export function simDay(stockCode: string, tradeDate: string): SimDay | undefined {
  if (tradeDate < SIM_HISTORY_START || !isKrxTradingDay(tradeDate)) return undefined;
  let chain = chains.get(stockCode);
  if (!chain) {
    chain = {
      days: new Map(),
      lastDate: addDays(SIM_HISTORY_START, -1),
      lastClose: roundToTick(simStock(stockCode).basePrice),
    };
    chains.set(stockCode, chain);
  }
  if (tradeDate > chain.lastDate) extendChain(stockCode, chain, tradeDate);
  return chain.days.get(tradeDate);
}

const BAR_CACHE_LIMIT = 4_000;
const barCache = new Map<string, readonly SimMinuteBar[]>();

function generateBars(stockCode: string, day: SimDay): SimMinuteBar[] {
  if (day.halted) return [];
  const rnd = new SeededRandom(stockCode, day.tradeDate, "bars");
  const stock = simStock(stockCode);
  const skipChance = stock.dailyVolume >= 1_000_000 ? 0.01 : 0.04;
  const { continuous, auction } = sessionMinutesOf(day.tradeDate);
  const lastIndex = continuous.length - 1;
  // Indexes into `continuous` of the minutes that trade (the first always does).
  const traded = continuous.flatMap((_, i) => i === 0 || !rnd.chance(skipChance) ? [i] : []);
  const minutes = traded.map((i) => continuous[i]);
  const steps = minutes.length + 1;
  const sigma = 0.015 / Math.sqrt(steps);
  const walk = [0];
  for (let k = 1; k <= steps; k++) walk.push(walk[k - 1] + sigma * rnd.normal());
  const logOpen = Math.log(day.open);
  const logClose = Math.log(day.close);
  const pointAt = (k: number) =>
    clamp(
      roundToTick(
        Math.exp(
          logOpen + (k / steps) * (logClose - logOpen) + walk[k] - (k / steps) * walk[steps],
        ),
      ),
      day.lowerLimit,
      day.upperLimit,
    );

  const volumeTarget = stock.dailyVolume * sharesPerOriginal(stockCode, day.tradeDate) *
    Math.exp(0.35 * rnd.normal());
  const weights = traded.map((t) => {
    const shape = 1 + 2 * Math.exp(-t / 25) + 1.2 * Math.exp(-(lastIndex - t) / 40);
    return shape * Math.exp(0.6 * rnd.normal()) * (t === 0 ? 6 : 1);
  });
  const continuousWeight = weights.reduce((a, b) => a + b, 0);
  weights.push(continuousWeight * 0.06);
  const totalWeight = continuousWeight * 1.06;

  const bars: SimMinuteBar[] = [];
  let cumulativeValue = 0;
  let previousClose = day.open;
  minutes.forEach((time, k) => {
    const open = k === 0 ? day.open : previousClose;
    const close = pointAt(k + 1);
    let high = Math.max(open, close);
    let low = Math.min(open, close);
    for (let n = rnd.int(0, 2); n > 0; n--) high = Math.min(day.upperLimit, tickUp(high));
    for (let n = rnd.int(0, 2); n > 0; n--) low = Math.max(day.lowerLimit, tickDown(low));
    const volume = Math.max(1, Math.round(volumeTarget * weights[k] / totalWeight));
    const value = volume * Math.round((open + high + low + close) / 4);
    cumulativeValue += value;
    bars.push({ time, open, high, low, close, volume, value, cumulativeValue });
    previousClose = close;
  });
  // the closing auction matches every order at one price
  const auctionVolume = Math.max(
    1,
    Math.round(volumeTarget * weights[minutes.length] / totalWeight),
  );
  const auctionValue = auctionVolume * day.close;
  cumulativeValue += auctionValue;
  bars.push({
    time: auction,
    open: day.close,
    high: day.close,
    low: day.close,
    close: day.close,
    volume: auctionVolume,
    value: auctionValue,
    cumulativeValue,
  });
  return bars;
}

/**
 * Every bar of the session of `tradeDate`, ascending (whole session, regardless of the sim
 * clock); empty on closed days and before {@link SIM_HISTORY_START}.
 */
export function sessionBars(stockCode: string, tradeDate: string): SimMinuteBar[] {
  const key = `${stockCode}|${tradeDate}`;
  let bars = barCache.get(key);
  if (!bars) {
    const day = simDay(stockCode, tradeDate);
    bars = day ? generateBars(stockCode, day) : [];
    if (barCache.size >= BAR_CACHE_LIMIT) barCache.delete(barCache.keys().next().value!);
    barCache.set(key, bars);
  }
  return bars.map((bar) => ({ ...bar }));
}

/** Seconds since midnight of `HHMMSS`. */
export function secondsOf(hhmmss: string): number {
  return +hhmmss.slice(0, 2) * 3600 + +hhmmss.slice(2, 4) * 60 + +hhmmss.slice(4, 6);
}

/** Second of the minute at which the first trade of a bar prints (0 for the auctions). */
export function firstTradeSecond(stockCode: string, tradeDate: string, time: string): number {
  const { open, auction } = sessionMinutesOf(tradeDate);
  if (time === open || time === auction) return 0;
  return new SeededRandom(stockCode, tradeDate, time, "first").int(0, 4);
}

/**
 * How much of a bar has printed at `second` of its minute: 0 before its first trade, 1 when
 * the minute is complete.
 */
export function barProgress(
  stockCode: string,
  tradeDate: string,
  time: string,
  second: number,
): number {
  const first = firstTradeSecond(stockCode, tradeDate, time);
  if (second < first) return 0;
  return Math.min(1, (second - first + 1) / (60 - first));
}

/** The bar as printed so far when `progress` (0 < progress ≤ 1) of its minute has traded. */
export function partialBar(
  bar: SimMinuteBar,
  progress: number,
  priorCumulative: number,
): SimMinuteBar {
  if (progress >= 1) return { ...bar };
  const volume = Math.max(1, Math.floor(bar.volume * progress));
  const close = roundToTick(bar.open + (bar.close - bar.open) * progress);
  const high = Math.max(bar.open, close);
  const low = Math.min(bar.open, close);
  const value = volume * Math.round((bar.open + high + low + close) / 4);
  return {
    time: bar.time,
    open: bar.open,
    high,
    low,
    close,
    volume,
    value,
    cumulativeValue: priorCumulative + value,
  };
}

/**
 * The bars of `tradeDate` as they stood at KST time `hhmmss` of that day, ascending; the newest
 * is partial while its minute runs. `"240000"` gives the whole session.
 */
export function sessionBarsAt(
  stockCode: string,
  tradeDate: string,
  hhmmss: string,
): SimMinuteBar[] {
  const cutoff = secondsOf(hhmmss);
  const result: SimMinuteBar[] = [];
  const { auction } = sessionMinutesOf(tradeDate);
  for (const bar of sessionBars(stockCode, tradeDate)) {
    const start = secondsOf(bar.time);
    if (cutoff < start) break;
    const progress = bar.time === auction || cutoff >= start + 60
      ? 1
      : barProgress(stockCode, tradeDate, bar.time, cutoff - start);
    if (progress === 0) break;
    const prior = result.at(-1)?.cumulativeValue ?? 0;
    result.push(partialBar(bar, progress, prior));
  }
  return result;
}
