/**
 * Assembling one stock's whole session of minute candles from KIS's newest-first pages
 * (`docs/kis-api.md` §6): page backwards from the first anchor to the session's open, keep only
 * the day asked for, dedupe by minute, sort ascending, and derive each minute's traded value from
 * the cumulative one.
 *
 * The first anchor of a past day is {@link LATEST_ANCHOR}, not the expected close: a page ends at
 * the newest row anyway, so a session that ran late (a delayed close) costs no extra call and is
 * not cut off. Today's first anchor is the current time (KIS treats a later one as "now").
 *
 * @module
 */
import { minuteOfDay, REGULAR_SESSION } from "../session.ts";
import { barTimeOf } from "../time.ts";
import type { KisMinuteRow } from "./schemas.ts";

/** One traded minute as the client assembles it from KIS's rows; a minute without trades has none. */
export interface MinuteCandle {
  /** Unix seconds (UTC) of the KST minute's start. */
  readonly barTime: number;
  /** First price of the minute (KRW). */
  readonly open: number;
  /** Highest price (KRW). */
  readonly high: number;
  /** Lowest price (KRW). */
  readonly low: number;
  /** Last price (KRW). */
  readonly close: number;
  /** Shares traded in the minute. */
  readonly volume: number;
  /** KRW traded in the minute. */
  readonly value: number;
}

/** One stock's session as fetched. */
export interface FetchedSession {
  /** The day's candles, ascending. */
  readonly candles: MinuteCandle[];
  /**
   * KRW traded before the first candle that no fetched row accounts for: the first row's
   * cumulative value minus the most its own minute can have traded (volume × high). 0 when the
   * fetch reaches back to the day's first trade; more means earlier rows are missing, so the day
   * is incomplete and the first candle's value unknown.
   */
  readonly missingEarlierValue: number;
  /**
   * Shares traded in the day per KIS's summary (`output1.acml_vol`) when the session is today's;
   * undefined for a past day (the dated TR summarises today, not the day asked for).
   */
  readonly dayVolume?: number;
}

/** Rows per page: today's TR (FHKST03010200) and the dated TR (FHKST03010230). */
export const PAGE_ROWS = { today: 30, dated: 120 } as const;

/**
 * How far back KIS serves a past day's minute bars (FHKST03010230), in calendar days: about a
 * year (`docs/kis-api.md` §6.2); an older day comes back empty however often it is asked.
 */
export const MINUTE_HISTORY_DAYS = 365;

/** A past day's first anchor: later than any KRX session runs (NXT's after-market ends 20:00). */
export const LATEST_ANCHOR = "200000";

/** Fetches the page of rows at or before `anchor` (`HHMMSS`), newest first. */
export type MinutePageFetcher = (anchor: string) => Promise<readonly KisMinuteRow[]>;

/** How to walk one session. */
export interface SessionPaging {
  /** The day, `YYYYMMDD`: rows of other days are dropped. */
  readonly compactDate: string;
  /** The first anchor, `HHMMSS`. */
  readonly firstAnchor: string;
  /** The TR's row cap: a shorter page is the last. */
  readonly pageRows: number;
  /** The session's first minute, `HHMMSS` (default 090000): nothing older is asked for. */
  readonly firstMinute?: string;
}

/** `HHMMSS` one minute before `hhmmss` (seconds dropped). */
export function minuteBefore(hhmmss: string): string {
  const minutes = Number(hhmmss.slice(0, 2)) * 60 + Number(hhmmss.slice(2, 4)) - 1;
  const hh = String(Math.floor(minutes / 60)).padStart(2, "0");
  return `${hh}${String(minutes % 60).padStart(2, "0")}00`;
}

/**
 * Minutes a session opening at `open` can have printed by `lastMinute`, both included (times as
 * `HH:MM` or `HHMMSS`); 0 before the open.
 */
export function sessionMinutesUntil(open: string, lastMinute: string): number {
  return Math.max(0, minuteOfDay(lastMinute) - minuteOfDay(open) + 1);
}

/** The fewest pages of `pageRows` that can hold `minutes` candles (at least one call). */
export function plannedPages(pageRows: number, minutes: number): number {
  return Math.max(1, Math.ceil(minutes / pageRows));
}

/**
 * Walks the pages backwards and returns the session's rows (one per minute, any order). Stops at
 * the session's first minute, on a short or empty page, or when a page makes no progress.
 */
export async function fetchSessionRows(
  fetchPage: MinutePageFetcher,
  paging: SessionPaging,
): Promise<KisMinuteRow[]> {
  const firstMinute = paging.firstMinute ?? `${REGULAR_SESSION.open.replace(":", "")}00`;
  const byMinute = new Map<string, KisMinuteRow>();
  let anchor = paging.firstAnchor;
  while (true) {
    const page = await fetchPage(anchor);
    const cursor = anchor;
    // A row later than the anchor is not what was asked for: following it could loop forever.
    const rows = page.filter((row) =>
      row.stck_bsop_date === paging.compactDate && row.stck_cntg_hour <= cursor
    );
    if (rows.length === 0) break;
    const known = byMinute.size;
    for (const row of rows) {
      const minute = row.stck_cntg_hour.slice(0, 4);
      if (!byMinute.has(minute)) byMinute.set(minute, row);
    }
    if (byMinute.size === known) break;
    const oldest = rows.reduce(
      (min, row) => row.stck_cntg_hour < min ? row.stck_cntg_hour : min,
      cursor,
    );
    if (oldest <= firstMinute || page.length < paging.pageRows) break;
    anchor = minuteBefore(oldest);
  }
  return [...byMinute.values()];
}

/**
 * Converts one day's rows to candles, ascending, each `value` the difference of the cumulative
 * traded value to the previous row's; reports how much earlier trading the first row's
 * cumulative value holds that no row explains.
 */
export function toCandles(
  tradeDate: string,
  rows: readonly KisMinuteRow[],
): Omit<FetchedSession, "dayVolume"> {
  const sorted = [...rows].sort((a, b) => a.stck_cntg_hour.localeCompare(b.stck_cntg_hour));
  const first = sorted[0];
  // A minute cannot trade more than its volume at its highest price; the rest came before it.
  const missingEarlierValue = first
    ? Math.max(0, first.acml_tr_pbmn - first.cntg_vol * first.stck_hgpr)
    : 0;
  let previousCumulative = 0;
  const candles = sorted.map((row) => {
    const value = row.acml_tr_pbmn - previousCumulative;
    previousCumulative = row.acml_tr_pbmn;
    return {
      barTime: barTimeOf(tradeDate, `${row.stck_cntg_hour.slice(0, 4)}00`),
      open: row.stck_oprc,
      high: row.stck_hgpr,
      low: row.stck_lwpr,
      close: row.stck_prpr,
      volume: row.cntg_vol,
      value,
    };
  });
  return { candles, missingEarlierValue };
}
