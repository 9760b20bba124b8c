/**
 * Korean market time: KST is UTC+9 all year (no daylight saving since 1988), so every conversion
 * is plain arithmetic. A trading day is a KST date written `YYYY-MM-DD`; an instant is UTC.
 *
 * @module
 */

/** KST offset from UTC in milliseconds. */
export const KST_OFFSET_MS = 9 * 60 * 60 * 1000;

const DATE_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;

/**
 * The years a date may name (inclusive). Dates are counted from (a year of candles back, the day
 * after a range's end): near 0000 or 9999 that count leaves four-digit years, which `Date` and
 * ISO text do not round-trip, so a date outside is refused where it is parsed.
 */
export const DATE_YEARS = { first: 1900, last: 2999 } as const;

/** What a value that {@link isTradeDate} refuses was expected to be. */
export const TRADE_DATE_EXPECTED =
  `expected a KST date YYYY-MM-DD from ${DATE_YEARS.first} to ${DATE_YEARS.last}, e.g. 2026-11-26`;

/** Whether `value` is a real calendar date written `YYYY-MM-DD` within {@link DATE_YEARS}. */
export function isTradeDate(value: string): boolean {
  const match = DATE_PATTERN.exec(value);
  if (!match || +match[1] < DATE_YEARS.first || +match[1] > DATE_YEARS.last) return false;
  const date = new Date(Date.UTC(+match[1], +match[2] - 1, +match[3]));
  return date.toISOString().slice(0, 10) === value;
}

/** The KST calendar date of an instant, `YYYY-MM-DD`. */
export function kstDate(instant: Date | number): string {
  return new Date(+instant + KST_OFFSET_MS).toISOString().slice(0, 10);
}

/** The KST wall-clock time of an instant, `HH:MM:SS`. */
export function kstTime(instant: Date | number): string {
  return new Date(+instant + KST_OFFSET_MS).toISOString().slice(11, 19);
}

/** An instant as KST ISO-8601 with offset, e.g. `2026-11-26T16:05:00+09:00`. */
export function kstIso(instant: Date | number): string {
  return new Date(+instant + KST_OFFSET_MS).toISOString().slice(0, 19) + "+09:00";
}

/** The UTC instant of a KST date and wall-clock time (`HH:MM` or `HH:MM:SS` or `HHMMSS`). */
export function kstInstant(tradeDate: string, time = "00:00:00"): Date {
  const digits = time.replaceAll(":", "").padEnd(6, "0");
  const [y, m, d] = tradeDate.split("-").map(Number);
  return new Date(
    Date.UTC(y, m - 1, d, +digits.slice(0, 2), +digits.slice(2, 4), +digits.slice(4, 6)) -
      KST_OFFSET_MS,
  );
}

/** Unix seconds (UTC) of the start of a KST minute: the `bar_time` of a minute bar. */
export function barTimeOf(tradeDate: string, hhmmss: string): number {
  return kstInstant(tradeDate, hhmmss).getTime() / 1000;
}

/** `YYYYMMDD` (KIS) to `YYYY-MM-DD`. */
export function fromCompactDate(yyyymmdd: string): string {
  return `${yyyymmdd.slice(0, 4)}-${yyyymmdd.slice(4, 6)}-${yyyymmdd.slice(6, 8)}`;
}

/** `YYYY-MM-DD` to `YYYYMMDD` (KIS). */
export function toCompactDate(tradeDate: string): string {
  return tradeDate.replaceAll("-", "");
}

/** The date `days` calendar days after `tradeDate` (negative goes back). */
export function addDays(tradeDate: string, days: number): string {
  const [y, m, d] = tradeDate.split("-").map(Number);
  return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10);
}

/** Day of week of a date: 0 Sunday … 6 Saturday. */
export function weekday(tradeDate: string): number {
  const [y, m, d] = tradeDate.split("-").map(Number);
  return new Date(Date.UTC(y, m - 1, d)).getUTCDay();
}

/** Whether a date falls on Saturday or Sunday. */
export function isWeekend(tradeDate: string): boolean {
  const day = weekday(tradeDate);
  return day === 0 || day === 6;
}

/** Every date from `from` to `to`, both included, ascending. */
export function datesBetween(from: string, to: string): string[] {
  const dates: string[] = [];
  for (let date = from; date <= to; date = addDays(date, 1)) dates.push(date);
  return dates;
}

/** Resolves true after `ms`, or false as soon as `signal` aborts. */
export function abortableSleep(ms: number, signal?: AbortSignal): Promise<boolean> {
  if (signal?.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const done = (completed: boolean) => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      resolve(completed);
    };
    const onAbort = () => done(false);
    const timer = setTimeout(() => done(true), Math.max(0, ms));
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
