/**
 * Reading outcomes: each decision or rejection with what the market did after it, filtered like
 * the entry listings (stock, time, trade date, kind, status), oldest first, one page at a time.
 * `regret` and `good_rejection` depend on a threshold and are derived here, at read time.
 *
 * @module
 */
import { type Kysely, sql } from "kysely";
import { type EntryFilter, instantBound } from "./entry_listing.ts";
import { ArchiveInputError } from "./errors.ts";
import { isGoodRejection, isRegret, type PriceOutcome } from "./outcomes.ts";
import { decodeCursor, type Page, pageLimit, pageOf } from "./paging.ts";
import type {
  Database,
  FinalDecision,
  OutcomeStatus,
  RejectionOutcomeRow,
  RejectionStage,
} from "./schema.ts";

/** The outcome columns an item shows (both kinds); its status is said apart. */
type PriceColumns = Omit<PriceOutcome, "status">;

/** A decision with its outcome. */
export interface DecisionOutcome extends PriceColumns {
  readonly log_id: number;
  readonly stock_code: string;
  readonly stock_name: string | null;
  readonly decided_at: string;
  readonly trade_date: string;
  readonly final_decision: FinalDecision;
  readonly hunter_score: number | null;
  readonly market_regime: string | null;
  readonly gate_result: string | null;
  readonly status: OutcomeStatus;
  readonly edge_1d_pct: number | null;
  readonly edge_5d_pct: number | null;
  readonly edge_20d_pct: number | null;
}

/** A rejection with its outcome; `regret` and `good_rejection` at the threshold asked for. */
export interface RejectionOutcome extends PriceColumns {
  readonly log_id: number;
  readonly stock_code: string;
  readonly stock_name: string | null;
  readonly logged_at: string;
  readonly trade_date: string;
  readonly rejection_stage: RejectionStage | null;
  readonly rejection_reason: string | null;
  readonly hunter_score_at_time: number | null;
  readonly status: OutcomeStatus;
  readonly regret: boolean | null;
  readonly good_rejection: boolean | null;
  readonly vol_shock: boolean | null;
  readonly max_volume_5d: RejectionOutcomeRow["max_volume_5d"];
  readonly mean_volume_20d: RejectionOutcomeRow["mean_volume_20d"];
}

/** Filters of an outcome listing: the entry filters plus the outcome's status. */
export interface OutcomeFilter extends EntryFilter {
  readonly status?: OutcomeStatus;
}

const PRICE_COLUMNS = [
  "o.reference_close",
  "o.close_1d",
  "o.close_5d",
  "o.close_20d",
  "o.ret_1d_pct",
  "o.ret_5d_pct",
  "o.ret_20d_pct",
  "o.max_high_5d_pct",
  "o.min_low_5d_pct",
] as const;

/** An entry logged after the last refresh has no row yet: it is pending. */
const STATUS = sql<OutcomeStatus>`coalesce(o.status, 'pending')`;

/** Decisions joined with their outcomes: the base of listings and reports. */
export function decisionOutcomes(db: Kysely<Database>) {
  return db.selectFrom("llm_decision_ledger as e")
    .leftJoin("decision_outcome as o", "o.log_id", "e.log_id")
    .select([
      "e.log_id",
      "e.stock_code",
      "e.stock_name",
      "e.decided_at",
      "e.trade_date",
      "e.final_decision",
      "e.hunter_score",
      "e.market_regime",
      "e.gate_result",
      STATUS.as("status"),
      ...PRICE_COLUMNS,
      "o.edge_1d_pct",
      "o.edge_5d_pct",
      "o.edge_20d_pct",
    ]);
}

/** Rejections joined with their outcomes: the base of listings and reports. */
export function rejectionOutcomes(db: Kysely<Database>) {
  return db.selectFrom("shadow_radar_log as e")
    .leftJoin("rejection_outcome as o", "o.log_id", "e.log_id")
    .select([
      "e.log_id",
      "e.stock_code",
      "e.stock_name",
      "e.logged_at",
      "e.trade_date",
      "e.rejection_stage",
      "e.rejection_reason",
      "e.hunter_score_at_time",
      STATUS.as("status"),
      ...PRICE_COLUMNS,
      "o.max_volume_5d",
      "o.mean_volume_20d",
      "o.vol_shock",
    ]);
}

type RejectionRow = Awaited<ReturnType<ReturnType<typeof rejectionOutcomes>["execute"]>>[number];

/** A joined rejection row as an item, `regret` and `good_rejection` at `thresholdPct`. */
export function toRejectionOutcome(row: RejectionRow, thresholdPct: number): RejectionOutcome {
  return {
    ...row,
    regret: isRegret(row.max_high_5d_pct, thresholdPct),
    good_rejection: isGoodRejection(row.max_high_5d_pct, row.ret_5d_pct, thresholdPct),
    vol_shock: row.vol_shock === null ? null : row.vol_shock === 1,
  };
}

/** The instants an entry filter's `from`/`to` stand for (`to` exclusive). */
export function timeBounds(
  operation: string,
  filter: Pick<EntryFilter, "from" | "to">,
): { from?: string; to?: string } {
  const from = filter.from === undefined
    ? undefined
    : instantBound(operation, "from", filter.from, false);
  const to = filter.to === undefined ? undefined : instantBound(operation, "to", filter.to, true);
  if (from !== undefined && to !== undefined && from >= to) {
    throw new ArchiveInputError(
      operation,
      `expected a time on or before to (${filter.to})`,
      "from",
    );
  }
  return { from, to };
}

/**
 * The filters both kinds share, on a query over `e` (the entry) and `o` (its outcome). Typed on
 * the decisions' query; the rejections' has the same filtered columns but its time column.
 */
function filtered<Q extends ReturnType<typeof decisionOutcomes>>(
  operation: string,
  query: Q,
  time: "e.decided_at" | "e.logged_at",
  filter: OutcomeFilter,
): Q {
  const bounds = timeBounds(operation, filter);
  let q = query as ReturnType<typeof decisionOutcomes>;
  const at = time as "e.decided_at";
  if (filter.cursor) q = q.where("e.log_id", ">", decodeCursor(operation, filter.cursor));
  if (filter.stockCode) q = q.where("e.stock_code", "=", filter.stockCode);
  if (filter.tradeDate) q = q.where("e.trade_date", "=", filter.tradeDate);
  if (bounds.from) q = q.where(at, ">=", bounds.from);
  if (bounds.to) q = q.where(at, "<", bounds.to);
  if (filter.status === "pending") {
    q = q.where((eb) => eb.or([eb("o.status", "is", null), eb("o.status", "=", "pending")]));
  } else if (filter.status) {
    q = q.where("o.status", "=", filter.status);
  }
  return q as Q;
}

/** One page of decisions with their outcomes, oldest first. */
export async function listDecisionOutcomes(
  db: Kysely<Database>,
  filter: OutcomeFilter & { readonly finalDecision?: FinalDecision },
): Promise<Page<DecisionOutcome>> {
  const operation = "listDecisionOutcomes";
  const limit = pageLimit(operation, filter.limit);
  let query = filtered(operation, decisionOutcomes(db), "e.decided_at", filter);
  if (filter.finalDecision) query = query.where("e.final_decision", "=", filter.finalDecision);
  return pageOf(await query.orderBy("e.log_id").limit(limit + 1).execute(), limit);
}

/** One page of rejections with their outcomes, oldest first. */
export async function listRejectionOutcomes(
  db: Kysely<Database>,
  filter: OutcomeFilter & {
    readonly rejectionStage?: RejectionStage;
    readonly thresholdPct: number;
  },
): Promise<Page<RejectionOutcome>> {
  const operation = "listRejectionOutcomes";
  const limit = pageLimit(operation, filter.limit);
  const base = rejectionOutcomes(db) as unknown as ReturnType<typeof decisionOutcomes>;
  let query = filtered(operation, base, "e.logged_at", filter) as unknown as ReturnType<
    typeof rejectionOutcomes
  >;
  if (filter.rejectionStage) query = query.where("e.rejection_stage", "=", filter.rejectionStage);
  const page = pageOf(await query.orderBy("e.log_id").limit(limit + 1).execute(), limit);
  return {
    items: page.items.map((row) => toRejectionOutcome(row, filter.thresholdPct)),
    nextCursor: page.nextCursor,
  };
}

/** Rejections with their outcomes matching the time filter, for reports (unpaged query). */
export function filteredRejectionOutcomes(
  db: Kysely<Database>,
  operation: string,
  filter: OutcomeFilter,
) {
  const base = rejectionOutcomes(db) as unknown as ReturnType<typeof decisionOutcomes>;
  return filtered(operation, base, "e.logged_at", filter) as unknown as ReturnType<
    typeof rejectionOutcomes
  >;
}

/** Decisions with their outcomes matching the time filter, for reports (unpaged query). */
export function filteredDecisionOutcomes(
  db: Kysely<Database>,
  operation: string,
  filter: OutcomeFilter,
) {
  return filtered(operation, decisionOutcomes(db), "e.decided_at", filter);
}
