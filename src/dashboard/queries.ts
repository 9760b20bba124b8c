/**
 * The query strings of the dashboard's pages as zod schemas: what a filter form may send, blank
 * fields meaning "no filter", and a message per field that says what is expected.
 *
 * @module
 */
import { z } from "zod";
import { COLLECTION_JOBS, OUTCOME_STATUSES } from "../../db/schema.ts";
import { thresholdSchema } from "../http/outcome_schemas.ts";
import { isStockCode } from "../stock_code.ts";
import { isTradeDate, TRADE_DATE_EXPECTED } from "../time.ts";

/** A blank form field is no filter. */
const blankAsUnset = (value: unknown) =>
  typeof value === "string" && value.trim() === "" ? undefined : value;

/** An optional KST date `YYYY-MM-DD`. */
export const optionalDateField = z.preprocess(
  blankAsUnset,
  z.string().trim().refine(isTradeDate, { error: TRADE_DATE_EXPECTED }).optional(),
);

/** Where the text of a `stock` filter points: a code, or part of a name. */
export type StockFilter =
  | { readonly stockCode: string }
  | { readonly stockNameContains: string }
  | Record<string, never>;

/** A `stock` filter: a KRX code (`005930`) or part of a Korean name (`삼성`). */
export function stockFilterOf(text: string | undefined): StockFilter {
  if (text === undefined) return {};
  const code = text.toUpperCase();
  return isStockCode(code) ? { stockCode: code } : { stockNameContains: text };
}

/** The query of a decision or rejection listing; `kind` names its enum filter. */
export function entryQuerySchema<Kind extends string>(
  kind: { readonly param: string; readonly values: readonly [Kind, ...Kind[]] },
) {
  return z.object({
    from: optionalDateField,
    to: optionalDateField,
    stock: z.preprocess(
      blankAsUnset,
      z.string().trim().max(40, { error: "expected a stock code or part of a name" }).optional(),
    ),
    kind: z.preprocess(
      blankAsUnset,
      z.enum(kind.values, { error: `expected one of ${kind.values.join(", ")}` }).optional(),
    ),
    status: z.preprocess(
      blankAsUnset,
      z.enum(OUTCOME_STATUSES, { error: `expected one of ${OUTCOME_STATUSES.join(", ")}` })
        .optional(),
    ),
    page: z.preprocess(
      blankAsUnset,
      z.coerce.number({ error: "expected a page number" }).int({ error: "expected a page number" })
        .min(1, { error: "expected a page number from 1" }).max(10_000_000).default(1),
    ),
  }).refine(ordered, REVERSED);
}

/** `to` is not before `from`, when both are given. */
function ordered(q: { readonly from?: string; readonly to?: string }): boolean {
  return !q.from || !q.to || q.from <= q.to;
}

/** The refusal of a reversed range, on `to`. */
const REVERSED = { error: "expected a date on or after from", path: ["to"] };

/** The query of a report page: its KST days and, for the regret report, the threshold. */
export const reportQuerySchema = z.object({
  from: optionalDateField,
  to: optionalDateField,
  // The API's own schema: the same bounds and message as `/v1/reports/regret`.
  threshold_pct: z.preprocess(blankAsUnset, thresholdSchema),
}).refine(ordered, REVERSED);

/** The query of a stock page. */
export const stockQuerySchema = z.object({ date: optionalDateField });

/** The query of the runs page. */
export const runsQuerySchema = z.object({
  job: z.preprocess(
    blankAsUnset,
    z.enum(COLLECTION_JOBS, { error: `expected one of ${COLLECTION_JOBS.join(", ")}` }).optional(),
  ),
  date: optionalDateField,
});

/** zod's issues as `field: message` lines, naming `rename[field]` where a param is renamed. */
export function issueLines(
  issues: readonly z.core.$ZodIssue[],
  rename: Record<string, string> = {},
): string[] {
  return issues.map((issue) => {
    const field = String(issue.path[0] ?? "query");
    return `${rename[field] ?? field}: ${issue.message}`;
  });
}
