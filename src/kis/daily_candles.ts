/**
 * 국내주식기간별시세 (FHKST03010100, `inquire-daily-itemchartprice`) with daily periods
 * (`docs/kis-api.md` §6.4): the response schema, the walk back through a date range, and the rows
 * as candles. KIS answers at most 100 rows a call, newest first, between `FID_INPUT_DATE_1` and
 * `FID_INPUT_DATE_2`; older pages come from moving `FID_INPUT_DATE_2` to the day before the
 * oldest row returned. Short answers may be padded with rows whose date is blank: they are
 * dropped, like rows without a close. A day without trade (a halt) is a flat candle at its close.
 *
 * @module
 */
import { z } from "zod";
import { addDays, fromCompactDate, toCompactDate } from "../time.ts";
import { kisCompactDate, kisOptionalNumber, kisRequiredNumber } from "./schemas.ts";

/** Rows per call of FHKST03010100. */
export const DAILY_PAGE_ROWS = 100;

/** `FID_ORG_ADJ_PRC`: `0` adjusted prices (수정주가), `1` original prices (원주가). */
export const ADJUSTED_PRICES = { adjusted: "0", original: "1" } as const;

/** One `output2` row: a trading day's candle. */
export const dailyCandleRowSchema = z.object({
  /** Business day `YYYYMMDD`. */
  stck_bsop_date: kisCompactDate,
  /** Open (KRW; adjusted with `FID_ORG_ADJ_PRC=0`). */
  stck_oprc: kisRequiredNumber,
  /** High (KRW). */
  stck_hgpr: kisRequiredNumber,
  /** Low (KRW). */
  stck_lwpr: kisRequiredNumber,
  /** Close (KRW). */
  stck_clpr: kisRequiredNumber,
  /** Volume of the day (shares). */
  acml_vol: kisRequiredNumber,
  /** Traded value of the day (KRW). */
  acml_tr_pbmn: kisRequiredNumber,
  /** 락 구분 (ex-rights/dividend code), `00` none. */
  flng_cls_code: z.string().optional(),
  /** 분할 비율 (split ratio), when the day carries one. */
  prtt_rate: kisOptionalNumber,
  /** 변경 여부: `Y` on a day whose prices were modified. */
  mod_yn: z.string().optional(),
});

/** A raw daily row as KIS sends it. */
export type DailyCandleRow = z.output<typeof dailyCandleRowSchema>;

function isPadding(row: unknown): boolean {
  if (typeof row !== "object" || row === null) return true;
  const date = (row as Record<string, unknown>).stck_bsop_date;
  return typeof date !== "string" || date.trim() === "";
}

/** FHKST03010100 body: `output2` newest first, padding rows dropped before validation. */
export const dailyCandlesResponseSchema = z.object({
  output2: z.preprocess(
    (value) =>
      value === undefined || value === null || value === ""
        ? []
        : Array.isArray(value)
        ? value.filter((row) => !isPadding(row))
        : value,
    z.array(dailyCandleRowSchema),
  ),
});

/** A trading day's candle. */
export interface DailyCandle {
  /** KST date `YYYY-MM-DD`. */
  readonly tradeDate: string;
  /** KRW. */
  readonly open: number;
  /** KRW. */
  readonly high: number;
  /** KRW. */
  readonly low: number;
  /** KRW. */
  readonly close: number;
  /** Shares traded. */
  readonly volume: number;
  /** KRW traded. */
  readonly value: number;
}

/** Fetches the page of rows from `from` to `to` (both `YYYYMMDD`), newest first, padding dropped. */
export type DailyPageFetcher = (from: string, to: string) => Promise<readonly DailyCandleRow[]>;

/**
 * Walks back from `to` to `from` (`YYYY-MM-DD`, both included) and returns the candles, ascending,
 * one per day. Stops at `from`, on an empty or short page, or when a page brings nothing new.
 */
export async function fetchDailyCandles(
  fetchPage: DailyPageFetcher,
  from: string,
  to: string,
): Promise<DailyCandle[]> {
  const first = toCompactDate(from);
  const byDate = new Map<string, DailyCandleRow>();
  let end = toCompactDate(to);
  while (true) {
    const page = await fetchPage(first, end);
    const last = end;
    // Rows outside the range asked for are not what was asked for: following them could loop.
    const rows = page.filter((row) => row.stck_bsop_date >= first && row.stck_bsop_date <= last);
    if (rows.length === 0) break;
    const known = byDate.size;
    for (const row of rows) {
      if (!byDate.has(row.stck_bsop_date)) byDate.set(row.stck_bsop_date, row);
    }
    if (byDate.size === known) break;
    const oldest = rows.reduce(
      (min, row) => row.stck_bsop_date < min ? row.stck_bsop_date : min,
      last,
    );
    if (oldest <= first || page.length < DAILY_PAGE_ROWS) break;
    end = toCompactDate(addDays(fromCompactDate(oldest), -1));
  }
  return [...byDate.values()]
    .sort((a, b) => a.stck_bsop_date.localeCompare(b.stck_bsop_date))
    .flatMap((row) => {
      const candle = candleOf(row);
      return candle ? [candle] : [];
    });
}

/**
 * A row as a candle. A day without any trade (a halt: volume 0) is a flat candle at its close,
 * the base price, whether KIS repeats that price in open/high/low or leaves them 0 as KRX's own
 * tables do; a row without a close, or a traded day without a price, is no candle.
 */
function candleOf(row: DailyCandleRow): DailyCandle | undefined {
  if (row.stck_clpr <= 0) return undefined;
  const tradeDate = fromCompactDate(row.stck_bsop_date);
  if (row.acml_vol === 0) {
    const price = (value: number) => value > 0 ? value : row.stck_clpr;
    return {
      tradeDate,
      open: price(row.stck_oprc),
      high: price(row.stck_hgpr),
      low: price(row.stck_lwpr),
      close: row.stck_clpr,
      volume: 0,
      value: row.acml_tr_pbmn,
    };
  }
  if (row.stck_oprc <= 0 || row.stck_lwpr <= 0) return undefined;
  return {
    tradeDate,
    open: row.stck_oprc,
    high: row.stck_hgpr,
    low: row.stck_lwpr,
    close: row.stck_clpr,
    volume: row.acml_vol,
    value: row.acml_tr_pbmn,
  };
}

/** The fewest calls {@link fetchDailyCandles} needs for `tradingDays` days (at least one). */
export function plannedDailyPages(tradingDays: number): number {
  return Math.max(1, Math.ceil(tradingDays / DAILY_PAGE_ROWS));
}
