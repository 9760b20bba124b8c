/**
 * The shape of a KRX regular session per trade date: when it opens, when the closing auction
 * starts and when it closes, in KST. The one place that knows; everything else (the KIS client's
 * paging, when a job's data is final, the trade date of an entry, the simulator) asks here.
 *
 * What is known in advance (`docs/kis-api.md` §8):
 * - an ordinary day runs 09:00–15:30, the closing auction 15:20–15:30;
 * - the year's first trading day opens an hour late, at 10:00, and closes at 15:30;
 * - on CSAT (수능) days the whole session moves an hour: 10:00–16:30, auction 16:20–16:30;
 * - a day the user declares (configuration: `ARCHIVIST_SESSIONS`), e.g. a close KRX delayed.
 *
 * A close delayed after an outage cannot be known in advance: collection checks what KIS returns
 * (bars after the expected close mean the session ran late) and treats the day accordingly.
 *
 * @module
 */
import type { TradingDayRule } from "./calendar.ts";
import { addDays, kstInstant } from "./time.ts";

/** Why a session has its shape. */
export type SessionKind = "regular" | "year-opening" | "csat" | "configured";

/** One trading day's regular session, times as KST `HH:MM`. */
export interface SessionShape {
  /** KST date `YYYY-MM-DD`. */
  readonly tradeDate: string;
  /** First minute: the opening auction prints its bar here. */
  readonly open: string;
  /** Start of the closing auction (single-price matching, no bars until the close). */
  readonly closingAuction: string;
  /** End of the session: the closing auction's bar carries this minute. */
  readonly close: string;
  /** Why it has this shape. */
  readonly kind: SessionKind;
}

/** An ordinary day: 09:00–15:30, closing auction from 15:20. */
export const REGULAR_SESSION = { open: "09:00", closingAuction: "15:20", close: "15:30" } as const;

/** Minutes of the closing auction before the close. */
export const CLOSING_AUCTION_MINUTES = 10;

/** The year's first trading day opens at 10:00 (KRX's opening ceremony); it closes as usual. */
export const YEAR_OPENING_SESSION = {
  open: "10:00",
  closingAuction: "15:20",
  close: "15:30",
} as const;

/** CSAT days: the whole session one hour later, 10:00–16:30. */
export const CSAT_SESSION = { open: "10:00", closingAuction: "16:20", close: "16:30" } as const;

/**
 * CSAT (대학수학능력시험) days: a Thursday in mid-November, announced by the Ministry of Education
 * a year or more ahead (2028학년도: 2027-11-18). Add later years here, or configure them.
 */
export const CSAT_DAYS: ReadonlySet<string> = new Set([
  "2023-11-16",
  "2024-11-14",
  "2025-11-13",
  "2026-11-19",
  "2027-11-18",
]);

/** A session the user declares for one day (`ARCHIVIST_SESSIONS`). */
export interface SessionOverride {
  readonly tradeDate: string;
  /** KST `HH:MM`. */
  readonly open: string;
  /** KST `HH:MM`; the closing auction is the ten minutes before. */
  readonly close: string;
}

const HHMM = /^([01]\d|2[0-3]):([0-5]\d)$/;
const OVERRIDE = /^(\d{4}-\d{2}-\d{2})=(\d{2}:\d{2})-(\d{2}:\d{2})$/;

/** Minutes since KST midnight of `HH:MM` (or `HHMM`, `HHMMSS`: seconds are dropped). */
export function minuteOfDay(time: string): number {
  const digits = time.replaceAll(":", "");
  return Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4));
}

/** `HH:MM` of a minute of the day. */
export function hhmmOf(minute: number): string {
  return `${String(Math.floor(minute / 60)).padStart(2, "0")}:${
    String(minute % 60).padStart(2, "0")
  }`;
}

/**
 * Parses `ARCHIVIST_SESSIONS`: comma-separated `YYYY-MM-DD=HH:MM-HH:MM` (open–close, KST), e.g.
 * `2026-03-05=09:00-16:00`. Throws a RangeError naming the bad entry and the expected form.
 */
export function parseSessionOverrides(text: string): SessionOverride[] {
  const entries = text.split(",").map((e) => e.trim()).filter((e) => e !== "");
  const seen = new Set<string>();
  return entries.map((entry) => {
    const match = OVERRIDE.exec(entry);
    const [, tradeDate, open, close] = match ?? [];
    const problem = !match
      ? "expected YYYY-MM-DD=HH:MM-HH:MM (KST open-close)"
      : !isCalendarDate(tradeDate)
      ? "not a calendar date"
      : !HHMM.test(open) || !HHMM.test(close)
      ? "times must be HH:MM between 00:00 and 23:59"
      : minuteOfDay(close) - minuteOfDay(open) <= CLOSING_AUCTION_MINUTES
      ? "the close must come more than 10 minutes after the open"
      : seen.has(tradeDate)
      ? "the same day is given twice"
      : undefined;
    if (problem) throw new RangeError(`${JSON.stringify(entry)}: ${problem}`);
    seen.add(tradeDate);
    return { tradeDate, open, close };
  });
}

function isCalendarDate(value: string): boolean {
  const [y, m, d] = value.split("-").map(Number);
  return new Date(Date.UTC(y, m - 1, d)).toISOString().slice(0, 10) === value;
}

/**
 * The built-in knowledge plus the user's declared sessions. Pass one instance to whatever needs
 * session shapes (the archive, the collectors); it keeps no other state.
 */
export class SessionRules {
  readonly #overrides: ReadonlyMap<string, SessionOverride>;

  constructor(overrides: readonly SessionOverride[] = []) {
    this.#overrides = new Map(overrides.map((o) => [o.tradeDate, o]));
  }

  /** The days the user declared. */
  get overrides(): readonly SessionOverride[] {
    return [...this.#overrides.values()];
  }

  /**
   * The session of `tradeDate`, assumed a trading day. `isOpen` decides which day is the year's
   * first trading day (KIS's calendar where known).
   */
  sessionOf(tradeDate: string, isOpen: TradingDayRule): SessionShape {
    const declared = this.#overrides.get(tradeDate);
    if (declared) {
      return {
        tradeDate,
        open: declared.open,
        closingAuction: hhmmOf(minuteOfDay(declared.close) - CLOSING_AUCTION_MINUTES),
        close: declared.close,
        kind: "configured",
      };
    }
    if (CSAT_DAYS.has(tradeDate)) return { tradeDate, ...CSAT_SESSION, kind: "csat" };
    if (isFirstTradingDayOfYear(tradeDate, isOpen)) {
      return { tradeDate, ...YEAR_OPENING_SESSION, kind: "year-opening" };
    }
    return { tradeDate, ...REGULAR_SESSION, kind: "regular" };
  }
}

/** Whether no trading day precedes `tradeDate` in its year. */
function isFirstTradingDayOfYear(tradeDate: string, isOpen: TradingDayRule): boolean {
  const newYear = `${tradeDate.slice(0, 4)}-01-01`;
  // No year's closures run past mid-January: later days are never the first.
  if (tradeDate > `${tradeDate.slice(0, 4)}-01-20`) return false;
  for (let date = addDays(tradeDate, -1); date >= newYear; date = addDays(date, -1)) {
    if (isOpen(date)) return false;
  }
  return true;
}

/** The instant the session closes. */
export function closeOf(session: SessionShape): Date {
  return kstInstant(session.tradeDate, session.close);
}

/** Minutes from the open to the close, both included: the most bars the session can have. */
export function sessionMinutes(session: Pick<SessionShape, "open" | "close">): number {
  return minuteOfDay(session.close) - minuteOfDay(session.open) + 1;
}
