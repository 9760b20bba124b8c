/**
 * What minute bars and daily candles share: whole, non-negative values and a consistent range.
 *
 * @module
 */
import { ArchiveInputError } from "./errors.ts";

/** The value columns of a bar or candle: prices (KRW), volume (shares) and value (KRW). */
export const CANDLE_VALUES = ["open", "high", "low", "close", "volume", "value"] as const;

/** A bar or candle's values. */
export type CandleValues = Record<typeof CANDLE_VALUES[number], number>;

/** The values of a bar or candle, without whatever else it carries (its date or time). */
export function candleValuesOf(candle: CandleValues): CandleValues {
  return Object.fromEntries(
    CANDLE_VALUES.map((column) => [column, candle[column]]),
  ) as CandleValues;
}

/**
 * Refuses, for `operation`, values that are not non-negative integers or prices that are not
 * 0 < low ≤ open, close ≤ high, naming the field under `where` (e.g. `bars[3]`).
 */
export function validateCandleValues(operation: string, where: string, candle: CandleValues): void {
  for (const column of CANDLE_VALUES) {
    const value = candle[column];
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new ArchiveInputError(
        operation,
        `expected a non-negative integer, got ${value}`,
        `${where}.${column}`,
      );
    }
  }
  if (
    candle.low <= 0 || candle.low > Math.min(candle.open, candle.close) ||
    candle.high < Math.max(candle.open, candle.close)
  ) {
    throw new ArchiveInputError(
      operation,
      `expected 0 < low ≤ open, close ≤ high (got O${candle.open} H${candle.high} ` +
        `L${candle.low} C${candle.close})`,
      where,
    );
  }
}
