/**
 * KRX tick sizes (호가가격단위) of the unified table in force since 2023-01-25, for stocks on
 * KOSPI and KOSDAQ alike.
 *
 * @module
 */

/** Upper price bounds (exclusive) and their tick size in KRW; above the last bound, 1,000. */
export const KRX_TICK_TABLE: readonly { readonly below: number; readonly tick: number }[] = [
  { below: 2_000, tick: 1 },
  { below: 5_000, tick: 5 },
  { below: 20_000, tick: 10 },
  { below: 50_000, tick: 50 },
  { below: 200_000, tick: 100 },
  { below: 500_000, tick: 500 },
];

/** The tick size of a price in KRW. */
export function tickSize(price: number): number {
  for (const step of KRX_TICK_TABLE) if (price < step.below) return step.tick;
  return 1_000;
}

/** Whether `price` is a valid quote on the KRX grid. */
export function isOnTick(price: number): boolean {
  return Number.isInteger(price) && price > 0 && price % tickSize(price) === 0;
}

/** The nearest valid quote to `price` (every band boundary is valid in both bands). */
export function roundToTick(price: number): number {
  const tick = tickSize(price);
  return Math.max(1, Math.round(price / tick) * tick);
}

/** The valid quote one tick above `price`. */
export function tickUp(price: number): number {
  return price + tickSize(price);
}

/** The valid quote one tick below `price` (never below 1). */
export function tickDown(price: number): number {
  return Math.max(1, price - tickSize(price - 1));
}

/** The highest valid quote at or below `price`. */
export function floorToTick(price: number): number {
  const tick = tickSize(price);
  return Math.floor(price / tick) * tick;
}

/** The lowest valid quote at or above `price`. */
export function ceilToTick(price: number): number {
  const tick = tickSize(price);
  return Math.ceil(price / tick) * tick;
}
