/**
 * The KRX trading calendar known without asking KIS: weekends plus the exchange's published
 * closures. It is the fallback where KIS's holiday endpoint (CTCA0903R, real only) is unavailable,
 * and the bundled simulator's own calendar.
 *
 * @module
 */
import { addDays, isWeekend } from "./time.ts";

/** Weekday closures of the Korea Exchange, 2024–2027 (holidays, substitutes, year-end). */
export const KRX_CLOSED_DAYS: ReadonlySet<string> = new Set([
  // 2024
  "2024-01-01",
  "2024-02-09",
  "2024-02-12",
  "2024-03-01",
  "2024-04-10",
  "2024-05-01",
  "2024-05-06",
  "2024-05-15",
  "2024-06-06",
  "2024-08-15",
  "2024-09-16",
  "2024-09-17",
  "2024-09-18",
  "2024-10-01",
  "2024-10-03",
  "2024-10-09",
  "2024-12-25",
  "2024-12-31",
  // 2025
  "2025-01-01",
  "2025-01-27",
  "2025-01-28",
  "2025-01-29",
  "2025-01-30",
  "2025-03-03",
  "2025-05-01",
  "2025-05-05",
  "2025-05-06",
  "2025-06-03",
  "2025-06-06",
  "2025-08-15",
  "2025-10-03",
  "2025-10-06",
  "2025-10-07",
  "2025-10-08",
  "2025-10-09",
  "2025-12-25",
  "2025-12-31",
  // 2026
  "2026-01-01",
  "2026-02-16",
  "2026-02-17",
  "2026-02-18",
  "2026-03-02",
  "2026-05-01",
  "2026-05-05",
  "2026-05-25",
  "2026-06-03",
  "2026-08-17",
  "2026-09-24",
  "2026-09-25",
  "2026-10-05",
  "2026-10-09",
  "2026-12-25",
  "2026-12-31",
  // 2027
  "2027-01-01",
  "2027-02-08",
  "2027-02-09",
  "2027-03-01",
  "2027-05-05",
  "2027-05-13",
  "2027-08-16",
  "2027-09-14",
  "2027-09-15",
  "2027-09-16",
  "2027-10-04",
  "2027-10-11",
  "2027-12-27",
  "2027-12-31",
]);

/**
 * The last day the built-in calendar knows: the end of its last year. Beyond it, a weekday is
 * only assumed open; KIS's calendar (real environment) or a newer Archivist must say.
 */
export const KRX_CALENDAR_KNOWN_THROUGH = `${
  Math.max(...[...KRX_CLOSED_DAYS].map((day) => Number(day.slice(0, 4))))
}-12-31`;

/** Whether the stock market opens on `tradeDate` according to the built-in calendar. */
export function isKrxTradingDay(tradeDate: string): boolean {
  return !isWeekend(tradeDate) && !KRX_CLOSED_DAYS.has(tradeDate);
}

/** Answers whether the market is open on a date; KIS's calendar where known, else built-in. */
export type TradingDayRule = (tradeDate: string) => boolean;

/** The first trading day strictly after `tradeDate`. */
export function nextTradingDay(
  tradeDate: string,
  isOpen: TradingDayRule = isKrxTradingDay,
): string {
  let date = addDays(tradeDate, 1);
  while (!isOpen(date)) date = addDays(date, 1);
  return date;
}

/** The last trading day strictly before `tradeDate`. */
export function previousTradingDay(
  tradeDate: string,
  isOpen: TradingDayRule = isKrxTradingDay,
): string {
  let date = addDays(tradeDate, -1);
  while (!isOpen(date)) date = addDays(date, -1);
  return date;
}
