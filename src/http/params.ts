/**
 * Query and path parameters shared by several routes, as zod schemas (validated by
 * `@hono/zod-openapi` and shown in the OpenAPI document).
 *
 * @module
 */
import { z } from "zod";
import { instantSchema, stockCodeSchema } from "../../db/entries.ts";
import type { EntryFilter } from "../../db/entry_listing.ts";
import { addDays, isTradeDate, kstDate, TRADE_DATE_EXPECTED } from "../time.ts";
import { invalidRequest } from "./problem.ts";

/** A KST trading day `YYYY-MM-DD` that exists in the calendar. */
export const tradeDateSchema = z.string()
  .refine(isTradeDate, { error: TRADE_DATE_EXPECTED })
  .meta({ description: "KST trading day", example: "2026-11-26" });

/** A KST date (whole day) or an ISO-8601 instant with offset. */
export const dateOrInstantSchema = z.string()
  .refine((value) => isTradeDate(value) || instantSchema.safeParse(value).success, {
    error: "expected a KST date YYYY-MM-DD or an ISO-8601 instant with offset",
  })
  .meta({ example: "2026-11-26" });

/** `?limit=`: a whole number from 1 to `max`. */
export function limitSchema(max: number, fallback: number) {
  return z.coerce.number({ error: `expected a whole number from 1 to ${max}` })
    .int({ error: `expected a whole number from 1 to ${max}` })
    .min(1, { error: `expected a whole number from 1 to ${max}` })
    .max(max, { error: `expected a whole number from 1 to ${max}` })
    .optional()
    .meta({ description: `Page size (default ${fallback})`, example: fallback });
}

/** `{code}` in a path: a KRX stock code. */
export const stockCodeParamsSchema = z.strictObject({
  code: stockCodeSchema.meta({ param: { name: "code", in: "path" } }),
});

/** Filters shared by the decision and rejection listings. */
export const entryListQueryShape = {
  stock_code: stockCodeSchema.optional(),
  from: dateOrInstantSchema.optional().meta({
    description: "From this instant, or from the start of this KST day (inclusive)",
  }),
  to: dateOrInstantSchema.optional().meta({
    description: "Up to this instant, or through the end of this KST day (inclusive)",
  }),
  trade_date: tradeDateSchema.optional().meta({
    description: "Only entries applying to this KST trading day",
  }),
  limit: limitSchema(1000, 100),
  cursor: z.string().max(200, { error: "expected the next_cursor of a previous page" }).optional()
    .meta({ description: "The next_cursor of the previous page" }),
};

/** The Archivist's filter of a query validated with {@link entryListQueryShape}. */
export function entryFilterOf(query: {
  readonly stock_code?: string;
  readonly from?: string;
  readonly to?: string;
  readonly trade_date?: string;
  readonly limit?: number;
  readonly cursor?: string;
}): EntryFilter {
  return {
    stockCode: query.stock_code,
    from: query.from,
    to: query.to,
    tradeDate: query.trade_date,
    limit: query.limit,
    cursor: query.cursor,
  };
}

/** The query of a `?from=&to=` day range (see {@link dayRange} for the defaults). */
export const dayRangeQuerySchema = z.strictObject({
  from: tradeDateSchema.optional().meta({ description: "First KST date (inclusive)" }),
  to: tradeDateSchema.optional().meta({ description: "Last KST date (inclusive)" }),
});

/** Longest span one day-range request may cover, in calendar days. */
export const MAX_DAY_SPAN_DAYS = 3660;

/**
 * The KST days a `?from=&to=` request covers: `to` defaults to today, `from` to `defaultSpanDays`
 * before `to`; refused (naming `from`) when reversed or longer than {@link MAX_DAY_SPAN_DAYS}.
 */
export function dayRange(
  query: { readonly from?: string; readonly to?: string },
  now: (() => Date) | undefined,
  defaultSpanDays: number,
): { from: string; to: string } {
  const to = query.to ?? kstDate((now ?? (() => new Date()))());
  const from = query.from ?? addDays(to, -defaultSpanDays);
  if (from > to) {
    throw invalidRequest([{ field: "from", message: `expected a date on or before to (${to})` }]);
  }
  if (addDays(from, MAX_DAY_SPAN_DAYS) < to) {
    throw invalidRequest([{
      field: "from",
      message: `expected at most ${MAX_DAY_SPAN_DAYS} days before to; split the range`,
    }]);
  }
  return { from, to };
}
