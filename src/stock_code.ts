/**
 * What a KRX stock code looks like: six characters (`005930`), or `Q` and six digits for an ETN
 * (`Q500001`). One rule for the archive, the HTTP API, the CLIs and the KIS client.
 *
 * @module
 */

/** A KRX short code, as KIS takes it in `FID_INPUT_ISCD` (`docs/kis-api.md` §4). */
export const STOCK_CODE_PATTERN: RegExp = /^(?:[0-9A-Z]{6}|Q\d{6})$/;

/** Whether `value` is a KRX short code. */
export function isStockCode(value: unknown): value is string {
  return typeof value === "string" && STOCK_CODE_PATTERN.test(value);
}
