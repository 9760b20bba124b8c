/**
 * Walking 국내휴장일조회 (CTCA0903R) over a date range (`docs/kis-api.md` §7): follow `tr_cont`
 * M/F with the returned context keys, else restart at the day after the last one returned, until
 * the range is covered; KIS repeats dates sometimes, so days are deduplicated by `bass_dt`.
 *
 * @module
 */
import { addDays, fromCompactDate, toCompactDate } from "../time.ts";
import type { z } from "zod";
import type { holidayResponseSchema } from "./schemas.ts";

/** One calendar day as KIS's calendar knows it. */
export interface MarketDay {
  /** KST date `YYYY-MM-DD`. */
  readonly tradeDate: string;
  /** Whether the stock market opens that day (`opnd_yn`). */
  readonly isOpen: boolean;
}

/** One request of the walk: start date, continuation keys and header. */
export interface CalendarPageRequest {
  /** `BASS_DT`, `YYYYMMDD`. */
  readonly bassDt: string;
  /** `CTX_AREA_NK` (`""` on a first page). */
  readonly ctxAreaNk: string;
  /** `CTX_AREA_FK` (`""` on a first page). */
  readonly ctxAreaFk: string;
  /** Request header `tr_cont`. */
  readonly trCont: "" | "N";
}

/** One answer of the walk. */
export interface CalendarPage {
  /** The parsed body. */
  readonly body: z.output<typeof holidayResponseSchema>;
  /** Response header `tr_cont`. */
  readonly trCont: string;
}

/** Sends one CTCA0903R request. */
export type CalendarPageFetcher = (request: CalendarPageRequest) => Promise<CalendarPage>;

/** The market days from `fromDate` to `toDate` (both `YYYY-MM-DD`, included), ascending. */
export async function walkMarketCalendar(
  fetchPage: CalendarPageFetcher,
  fromDate: string,
  toDate: string,
): Promise<MarketDay[]> {
  const days = new Map<string, boolean>();
  let request: CalendarPageRequest = {
    bassDt: toCompactDate(fromDate),
    ctxAreaNk: "",
    ctxAreaFk: "",
    trCont: "",
  };
  let covered = "";
  while (covered < toDate) {
    const page = await fetchPage(request);
    for (const row of page.body.output) days.set(fromCompactDate(row.bass_dt), row.opnd_yn === "Y");
    const last = page.body.output.reduce((max, row) => {
      const date = fromCompactDate(row.bass_dt);
      return date > max ? date : max;
    }, covered);
    if (last <= covered) {
      // A continuation that repeats itself: restart plainly after what is known, once.
      if (request.trCont !== "N" || covered === "") break;
      request = {
        bassDt: toCompactDate(addDays(covered, 1)),
        ctxAreaNk: "",
        ctxAreaFk: "",
        trCont: "",
      };
      continue;
    }
    covered = last;
    const more = page.trCont === "M" || page.trCont === "F";
    request = more
      ? {
        bassDt: request.bassDt,
        ctxAreaNk: page.body.ctx_area_nk.trim(),
        ctxAreaFk: page.body.ctx_area_fk.trim(),
        trCont: "N",
      }
      : { bassDt: toCompactDate(addDays(last, 1)), ctxAreaNk: "", ctxAreaFk: "", trCont: "" };
  }
  return [...days]
    .filter(([date]) => date >= fromDate && date <= toDate)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([tradeDate, isOpen]) => ({ tradeDate, isOpen }));
}
