/**
 * Stock splits in the simulated market. On a split's effective date every share becomes `ratio`
 * shares: the tape (minute bars, flows, original daily prices) trades at the new level from that
 * day, volumes scale up, and KIS's adjusted prices of every earlier day are divided by the ratio
 * from that day on (`docs/outcomes.md`).
 *
 * @module
 */

/** A split: from `date` (KST, the first session at the new price) one share is `ratio` shares. */
export interface SimSplit {
  readonly stockCode: string;
  readonly date: string;
  readonly ratio: number;
}

/** The splits of the simulated market. */
export const SIM_SPLITS: readonly SimSplit[] = [
  // 삼성바이오로직스 5-for-1: inside the weeks the tests and the demo look at.
  { stockCode: "207940", date: "2026-11-16", ratio: 5 },
];

/** The ratio of a split taking effect on `date`, else 1. */
export function splitRatioOn(stockCode: string, date: string): number {
  return SIM_SPLITS.find((s) => s.stockCode === stockCode && s.date === date)?.ratio ?? 1;
}

/** Shares one original share has become by `date` (1 before any split). */
export function sharesPerOriginal(stockCode: string, date: string): number {
  return SIM_SPLITS.filter((s) => s.stockCode === stockCode && s.date <= date)
    .reduce((factor, s) => factor * s.ratio, 1);
}

/**
 * What KIS divides the prices of `tradeDate` by (and multiplies its volume by) in the adjusted
 * history it serves on `asOf`: the splits effective after that day and by `asOf`.
 */
export function adjustmentFactor(stockCode: string, tradeDate: string, asOf: string): number {
  return SIM_SPLITS.filter((s) => s.stockCode === stockCode && s.date > tradeDate && s.date <= asOf)
    .reduce((factor, s) => factor * s.ratio, 1);
}
