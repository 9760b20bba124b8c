/**
 * Listing logged decisions and rejections: filters by stock, time, trade date and kind, oldest
 * first, one page at a time.
 *
 * @module
 */
import type { Kysely } from "kysely";
import { addDays, isTradeDate, kstDate, kstInstant } from "../src/time.ts";
import type { EntryTable } from "./entry_rows.ts";
import { ArchiveInputError } from "./errors.ts";
import { decodeCursor, type Page, pageLimit, pageOf } from "./paging.ts";
import type { Database, FinalDecision } from "./schema.ts";

/** Filters of a decision or rejection listing. */
export interface EntryFilter {
  readonly stockCode?: string;
  /** From this instant (ISO with offset) or KST day (`YYYY-MM-DD`), inclusive. */
  readonly from?: string;
  /** To this instant (inclusive) or through this KST day. */
  readonly to?: string;
  /** Only entries applying to this KST trading day. */
  readonly tradeDate?: string;
  /** Page size, 1–1000 (default 100). */
  readonly limit?: number;
  /** The `nextCursor` of the previous page. */
  readonly cursor?: string;
}

/** The UTC instant a `from` (or, with `end`, exclusive `to`) bound stands for. */
export function instantBound(
  operation: string,
  field: string,
  value: string,
  end: boolean,
): string {
  if (isTradeDate(value)) return kstInstant(end ? addDays(value, 1) : value).toISOString();
  const time = Date.parse(value);
  if (!/[Tt ]\d{2}:\d{2}/.test(value) || Number.isNaN(time)) {
    throw new ArchiveInputError(
      operation,
      "expected a KST date YYYY-MM-DD or an ISO-8601 instant with offset",
      field,
    );
  }
  return new Date(end ? time + 1 : time).toISOString();
}

/** The columns both entry tables share, typed as the ledger's (the time and kind columns differ). */
type EntryDatabase = Pick<Database, "llm_decision_ledger">;

/**
 * The rows of `table` matching `filter` (its cursor and limit aside) and, when given, `kind` in
 * `kindColumn`: a query the caller orders and pages.
 */
export function filteredEntries(
  db: Kysely<Database>,
  operation: string,
  table: EntryTable,
  timeColumn: "decided_at" | "logged_at",
  filter: Omit<EntryFilter, "limit" | "cursor">,
  [kindColumn, kind]: readonly ["final_decision" | "rejection_stage", string | undefined],
) {
  // Both entry tables share every filtered column but the time and the kind: one typed query.
  const entries = db as unknown as Kysely<EntryDatabase>;
  const time = timeColumn as "decided_at";
  let query = entries.selectFrom(table as "llm_decision_ledger");
  if (filter.stockCode) query = query.where("stock_code", "=", filter.stockCode);
  if (filter.tradeDate) query = query.where("trade_date", "=", filter.tradeDate);
  if (kind) query = query.where(kindColumn as "final_decision", "=", kind as FinalDecision);
  if (filter.from) {
    const from = instantBound(operation, "from", filter.from, false);
    // An entry's trade day is never before the KST day it happened on: the same bound on
    // trade_date lets SQLite read only those days through the trade-day index.
    query = query.where(time, ">=", from).where("trade_date", ">=", kstDate(new Date(from)));
  }
  if (filter.to) query = query.where(time, "<", instantBound(operation, "to", filter.to, true));
  return query;
}

/** The page of `table` matching `filter` and, when given, `kind` in `kindColumn`. */
export async function listEntries<Row extends { log_id: number }>(
  db: Kysely<Database>,
  operation: string,
  table: EntryTable,
  timeColumn: "decided_at" | "logged_at",
  filter: EntryFilter,
  kind: readonly ["final_decision" | "rejection_stage", string | undefined],
): Promise<Page<Row>> {
  const limit = pageLimit(operation, filter.limit);
  let query = filteredEntries(db, operation, table, timeColumn, filter, kind).selectAll()
    .orderBy("log_id").limit(limit + 1);
  if (filter.cursor) query = query.where("log_id", ">", decodeCursor(operation, filter.cursor));
  return pageOf(await query.execute() as unknown as Row[], limit);
}
