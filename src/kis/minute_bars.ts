/**
 * Assembling one stock's whole session of minute bars from KIS's newest-first pages
 * (`docs/kis-api.md` §6): page backwards from 15:30 to 09:00, keep only the day asked for, dedupe
 * by minute, sort ascending, and derive each minute's traded value from the cumulative one.
 *
 * @module
 */
import { barTimeOf } from "../time.ts";
import type { MinuteBarRow } from "./schemas.ts";

/** One minute of trading; a minute without trades has no bar. */
export interface MinuteBar {
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

/** The first and last minute of the regular session (KST, `HHMMSS`). */
export const SESSION_FIRST_MINUTE = "090000";
/** The closing-auction minute that ends the regular session. */
export const SESSION_LAST_MINUTE = "153000";
/** Minutes from 09:00 to 15:30, both included. */
export const SESSION_MINUTES = 391;

/** Rows per page: today's TR (FHKST03010200) and the dated TR (FHKST03010230). */
export const PAGE_ROWS = { today: 30, dated: 120 } as const;

/** Fetches the page of rows at or before `anchor` (`HHMMSS`), newest first. */
export type MinutePageFetcher = (anchor: string) => Promise<readonly MinuteBarRow[]>;

/** How to walk one session. */
export interface SessionPaging {
  /** The day, `YYYYMMDD`: rows of other days are dropped. */
  readonly compactDate: string;
  /** The first anchor, `HHMMSS`. */
  readonly firstAnchor: string;
  /** The TR's row cap: a shorter page is the last. */
  readonly pageRows: number;
}

/** `HHMMSS` one minute before `hhmmss` (seconds dropped). */
export function minuteBefore(hhmmss: string): string {
  const minutes = Number(hhmmss.slice(0, 2)) * 60 + Number(hhmmss.slice(2, 4)) - 1;
  const hh = String(Math.floor(minutes / 60)).padStart(2, "0");
  return `${hh}${String(minutes % 60).padStart(2, "0")}00`;
}

/** Minutes from 09:00 to `lastMinute` (`HHMMSS`), both included; 0 before the open. */
export function sessionMinutesUntil(lastMinute: string): number {
  const minutes = (t: string) => Number(t.slice(0, 2)) * 60 + Number(t.slice(2, 4));
  const capped = lastMinute < SESSION_LAST_MINUTE ? lastMinute : SESSION_LAST_MINUTE;
  return Math.max(0, minutes(capped) - minutes(SESSION_FIRST_MINUTE) + 1);
}

/** The fewest pages of `pageRows` that can hold a session up to `lastMinute` (at least one). */
export function plannedPages(pageRows: number, lastMinute = SESSION_LAST_MINUTE): number {
  return Math.max(1, Math.ceil(sessionMinutesUntil(lastMinute) / pageRows));
}

/**
 * Walks the pages backwards and returns the session's rows (one per minute, any order). Stops at
 * 09:00, on a short or empty page, or when a page makes no progress.
 */
export async function fetchSessionRows(
  fetchPage: MinutePageFetcher,
  paging: SessionPaging,
): Promise<MinuteBarRow[]> {
  const byMinute = new Map<string, MinuteBarRow>();
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
    if (oldest <= SESSION_FIRST_MINUTE || page.length < paging.pageRows) break;
    anchor = minuteBefore(oldest);
  }
  return [...byMinute.values()];
}

/** Converts one day's rows to bars, ascending, `value` from the cumulative traded value. */
export function toMinuteBars(tradeDate: string, rows: readonly MinuteBarRow[]): MinuteBar[] {
  const sorted = [...rows].sort((a, b) => a.stck_cntg_hour.localeCompare(b.stck_cntg_hour));
  let previousCumulative = 0;
  return sorted.map((row) => {
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
}
