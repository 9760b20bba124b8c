/**
 * Simulated investor and program-trading flows, derived from the session's minute bars so that
 * every figure agrees with the tape: volumes add up to the day's volume and values are
 * quantities times the prices traded.
 *
 * @module
 */
import { SeededRandom } from "./random.ts";
import {
  barProgress,
  partialBar,
  secondsOf,
  sessionBars,
  simDay,
  type SimMinuteBar,
} from "./prices.ts";
import { sessionMinutesOf } from "./sessions.ts";

/** Shares and KRW bought and sold, and their nets. */
export interface SimTrading {
  /** Shares bought. */
  buyQty: number;
  /** Shares sold. */
  sellQty: number;
  /** buyQty − sellQty. */
  netQty: number;
  /** KRW bought. */
  buyValueKrw: number;
  /** KRW sold. */
  sellValueKrw: number;
  /** buyValueKrw − sellValueKrw. */
  netValueKrw: number;
}

/** One investor class's trading of a day; values are whole million KRW (see {@link investorDay}). */
export type SimInvestorFlow = SimTrading;

/** The investor breakdown of one trading day (the final figures, as after the close). */
export interface SimInvestorDay {
  /** KST date `YYYY-MM-DD`. */
  tradeDate: string;
  /** Closing-auction price (the close's bar). */
  close: number;
  /** Previous trading day's close. */
  previousClose: number;
  /** Shares traded in the day: the sum of the bar volumes. */
  volume: number;
  /** KRW traded in the day: the sum of the bar values. */
  valueKrw: number;
  /** 개인 (`prsn`). */
  individual: SimInvestorFlow;
  /** 외국인 (`frgn`). */
  foreign: SimInvestorFlow;
  /** 기관계 (`orgn`). */
  institution: SimInvestorFlow;
  /** 기타법인: not reported by KIS; it absorbs the remainder so all classes net to zero. */
  otherCorporation: SimInvestorFlow;
}

const MILLION = 1_000_000;

function sharesOf(rnd: SeededRandom, base: readonly number[]): number[] {
  const raw = base.map((b) => b * Math.exp(0.25 * rnd.normal()));
  const sum = raw.reduce((a, b) => a + b, 0);
  return raw.map((r) => r / sum);
}

function splitVolume(volume: number, shares: number[]): number[] {
  const parts = shares.map((s) => Math.floor(volume * s));
  parts[0] += volume - parts.reduce((a, b) => a + b, 0);
  return parts;
}

function toMillions(krw: number): number {
  return Math.round(krw / MILLION) * MILLION;
}

/**
 * The investor flows of `tradeDate`, or `undefined` on closed days. Buy and sell volumes of the
 * four classes each add up to the day's volume, so the nets of all four sum to zero and
 * `individual + foreign + institution` nets are small. Values are the class's quantity times the
 * day's average price (±0.3 %), **rounded to whole million KRW** so that the API's 백만원 figures
 * times 1,000,000 equal these exactly; nets are buy − sell of the rounded values.
 */
export function investorDay(stockCode: string, tradeDate: string): SimInvestorDay | undefined {
  return structuredClone(remember(investorDays, stockCode, tradeDate, computeInvestorDay));
}

/**
 * Days computed before, per `stock|date`: the daily answers ask for 30–60 days a request, and
 * recomputing them would stall the simulator's event loop (and so its rate counter's clock).
 */
const DAY_CACHE_LIMIT = 20_000;
const investorDays = new Map<string, SimInvestorDay | undefined>();
const programDays = new Map<string, SimProgramDay | undefined>();

function remember<T>(
  cache: Map<string, T>,
  stockCode: string,
  tradeDate: string,
  compute: (stockCode: string, tradeDate: string) => T,
): T {
  const key = `${stockCode}|${tradeDate}`;
  if (cache.has(key)) return cache.get(key)!;
  const value = compute(stockCode, tradeDate);
  if (cache.size >= DAY_CACHE_LIMIT) cache.delete(cache.keys().next().value!);
  cache.set(key, value);
  return value;
}

function computeInvestorDay(stockCode: string, tradeDate: string): SimInvestorDay | undefined {
  const day = simDay(stockCode, tradeDate);
  if (!day) return undefined;
  const bars = sessionBars(stockCode, tradeDate);
  const volume = bars.reduce((sum, bar) => sum + bar.volume, 0);
  if (volume === 0) {
    // Halted all day: every class traded nothing.
    const none = emptyTotals();
    return {
      tradeDate,
      close: day.close,
      previousClose: day.previousClose,
      volume: 0,
      valueKrw: 0,
      individual: none,
      foreign: { ...none },
      institution: { ...none },
      otherCorporation: { ...none },
    };
  }
  const valueKrw = bars.at(-1)!.cumulativeValue;
  const averagePrice = valueKrw / volume;
  const rnd = new SeededRandom(stockCode, tradeDate, "investors");
  const buys = splitVolume(volume, sharesOf(rnd, [0.52, 0.27, 0.17, 0.04]));
  const sells = splitVolume(volume, sharesOf(rnd, [0.52, 0.27, 0.17, 0.04]));
  const flows = buys.map((buyQty, i): SimInvestorFlow => {
    const sellQty = sells[i];
    const buyValueKrw = toMillions(buyQty * averagePrice * (1 + 0.003 * rnd.normal()));
    const sellValueKrw = toMillions(sellQty * averagePrice * (1 + 0.003 * rnd.normal()));
    return {
      buyQty,
      sellQty,
      netQty: buyQty - sellQty,
      buyValueKrw,
      sellValueKrw,
      netValueKrw: buyValueKrw - sellValueKrw,
    };
  });
  return {
    tradeDate,
    close: day.close,
    previousClose: day.previousClose,
    volume,
    valueKrw,
    individual: flows[0],
    foreign: flows[1],
    institution: flows[2],
    otherCorporation: flows[3],
  };
}

/** Cumulative program trading (차익 + 비차익) in shares and KRW. */
export type SimProgramTotals = SimTrading;

/** Program trading of a whole day, with the day's price and volume. */
export interface SimProgramDay extends SimProgramTotals {
  tradeDate: string;
  close: number;
  previousClose: number;
  /** Shares traded in the day by everyone. */
  volume: number;
  /** KRW traded in the day by everyone. */
  valueKrw: number;
}

/** One snapshot of the intraday program tape (HTS [0465]): totals so far at `time`. */
export interface SimProgramSnapshot extends SimProgramTotals {
  /** KST `HHMMSS` of the snapshot. */
  time: string;
  /** Last price at that moment. */
  price: number;
  /** Shares traded in the day so far by everyone. */
  volume: number;
}

interface ProgramBar {
  bar: SimMinuteBar;
  buyQty: number;
  sellQty: number;
}

function programBars(stockCode: string, tradeDate: string): ProgramBar[] {
  const rnd = new SeededRandom(stockCode, tradeDate, "program");
  const buyShare = 0.06 + 0.14 * rnd.next();
  const sellShare = 0.06 + 0.14 * rnd.next();
  return sessionBars(stockCode, tradeDate).map((bar) => ({
    bar,
    buyQty: Math.min(bar.volume, Math.round(bar.volume * buyShare * Math.exp(0.4 * rnd.normal()))),
    sellQty: Math.min(
      bar.volume,
      Math.round(bar.volume * sellShare * Math.exp(0.4 * rnd.normal())),
    ),
  }));
}

function priceOf(bar: SimMinuteBar): number {
  return bar.value / bar.volume;
}

function addTotals(into: SimProgramTotals, buyQty: number, sellQty: number, price: number): void {
  into.buyQty += buyQty;
  into.sellQty += sellQty;
  into.buyValueKrw += buyQty * price;
  into.sellValueKrw += sellQty * price;
  into.netQty = into.buyQty - into.sellQty;
  into.netValueKrw = into.buyValueKrw - into.sellValueKrw;
}

function emptyTotals(): SimProgramTotals {
  return { buyQty: 0, sellQty: 0, netQty: 0, buyValueKrw: 0, sellValueKrw: 0, netValueKrw: 0 };
}

/**
 * Program trading of `tradeDate` (whole day), or `undefined` on closed days. Each minute's
 * program buys and sells are a share of that minute's volume, valued at that minute's average
 * price (integer KRW), so the totals equal the last intraday snapshot.
 */
export function programDay(stockCode: string, tradeDate: string): SimProgramDay | undefined {
  const day = remember(programDays, stockCode, tradeDate, computeProgramDay);
  return day && { ...day };
}

function computeProgramDay(stockCode: string, tradeDate: string): SimProgramDay | undefined {
  const day = simDay(stockCode, tradeDate);
  if (!day) return undefined;
  const totals = emptyTotals();
  let volume = 0;
  let valueKrw = 0;
  for (const { bar, buyQty, sellQty } of programBars(stockCode, tradeDate)) {
    addTotals(totals, buyQty, sellQty, priceOf(bar));
    volume += bar.volume;
    valueKrw += bar.value;
  }
  return {
    tradeDate,
    close: day.close,
    previousClose: day.previousClose,
    volume,
    valueKrw,
    ...totals,
  };
}

const snapshotCache = new Map<string, SimProgramSnapshot[]>();
const SNAPSHOT_CACHE_LIMIT = 500;

function daySnapshots(stockCode: string, tradeDate: string): SimProgramSnapshot[] {
  const key = `${stockCode}|${tradeDate}`;
  const cached = snapshotCache.get(key);
  if (cached) return cached;
  const rnd = new SeededRandom(stockCode, tradeDate, "snapshots");
  const snapshots: SimProgramSnapshot[] = [];
  const before = emptyTotals();
  let volumeBefore = 0;
  const { auction } = sessionMinutesOf(tradeDate);
  for (const { bar, buyQty, sellQty } of programBars(stockCode, tradeDate)) {
    const seconds = bar.time === auction ? [0] : [
      ...new Set(Array.from({ length: rnd.int(0, 4) }, () => rnd.int(0, 59))),
    ].sort((a, b) => a - b);
    for (const second of seconds) {
      const progress = bar.time === auction
        ? 1
        : barProgress(stockCode, tradeDate, bar.time, second);
      if (progress === 0) continue;
      const printed = partialBar(bar, progress, 0);
      const totals = { ...before };
      addTotals(
        totals,
        Math.floor(buyQty * progress),
        Math.floor(sellQty * progress),
        priceOf(bar),
      );
      snapshots.push({
        time: String(secondsToHhmmss(secondsOf(bar.time) + second)),
        price: printed.close,
        volume: volumeBefore + printed.volume,
        ...totals,
      });
    }
    addTotals(before, buyQty, sellQty, priceOf(bar));
    volumeBefore += bar.volume;
  }
  if (snapshotCache.size >= SNAPSHOT_CACHE_LIMIT) {
    snapshotCache.delete(snapshotCache.keys().next().value!);
  }
  snapshotCache.set(key, snapshots);
  return snapshots;
}

function secondsToHhmmss(seconds: number): string {
  const hh = Math.floor(seconds / 3600);
  const mm = Math.floor((seconds % 3600) / 60);
  const ss = seconds % 60;
  return [hh, mm, ss].map((n) => String(n).padStart(2, "0")).join("");
}

/**
 * The intraday program snapshots of `tradeDate` up to KST `untilHhmmss` (inclusive), ascending.
 * The last one of the day (the closing auction's) equals {@link programDay}.
 */
export function programSnapshots(
  stockCode: string,
  tradeDate: string,
  untilHhmmss = "240000",
): SimProgramSnapshot[] {
  const cutoff = secondsOf(untilHhmmss);
  return daySnapshots(stockCode, tradeDate)
    .filter((s) => secondsOf(s.time) <= cutoff)
    .map((s) => ({ ...s }));
}
