/**
 * The one description of Archivist's tables: the Kysely `Database` interface. Migrations create
 * exactly this; every query is typed against it.
 *
 * Conventions: an instant is UTC ISO-8601 text (`2026-11-26T07:05:00.000Z`); a trading day is a KST
 * date `YYYY-MM-DD`; prices, volumes and amounts are integers (KRW, shares, KRW).
 *
 * @module
 */
import type { ColumnType, Generated, Insertable, Selectable } from "kysely";

/** The decisions Judge can take (enforced by a CHECK constraint). */
export const FINAL_DECISIONS = ["BUY", "SELL", "HOLD", "NO_DECISION"] as const;
/** A Judge decision. */
export type FinalDecision = typeof FINAL_DECISIONS[number];

/** The stages that can reject a candidate (enforced by a CHECK constraint). */
export const REJECTION_STAGES = ["HUNTER", "GATE", "JUDGE"] as const;
/** A rejecting stage. */
export type RejectionStage = typeof REJECTION_STAGES[number];

/** The collection jobs. */
export const COLLECTION_JOBS = ["flow", "intraday", "daily"] as const;
/**
 * A collection job: `flow` (investor + program flows), `intraday` (minute bars) or `daily`
 * (adjusted daily candles, from which outcomes are computed).
 */
export type CollectionJob = typeof COLLECTION_JOBS[number];

/** Outcomes of a collection run; `running` until it finishes. */
export const RUN_STATUSES = ["running", "succeeded", "partial", "failed", "skipped"] as const;
/** The status of a collection run. */
export type RunStatus = typeof RUN_STATUSES[number];

/** What started a collection run. */
export const RUN_TRIGGERS = ["schedule", "catch-up", "manual", "demo"] as const;
/** What started a collection run. */
export type RunTrigger = typeof RUN_TRIGGERS[number];

/** How far an entry's outcome is known (see `docs/outcomes.md`). */
export const OUTCOME_STATUSES = ["pending", "partial", "complete"] as const;
/**
 * `pending`: no reference close yet; `partial`: some later days missing; `complete`: the 20-day
 * return is known.
 */
export type OutcomeStatus = typeof OUTCOME_STATUSES[number];

/** UTC instant as ISO-8601 text. */
export type Instant = string;
/** KST trading day `YYYY-MM-DD`. */
export type TradeDate = string;

/** `stock_minute_price`: one row per traded minute (WITHOUT ROWID). */
export interface StockMinutePriceTable {
  /** KRX short code, e.g. `005930`. */
  stock_code: string;
  /** Unix seconds (UTC) of the minute's start. */
  bar_time: number;
  /** KRW. */
  open: number;
  /** KRW. */
  high: number;
  /** KRW. */
  low: number;
  /** KRW. */
  close: number;
  /** Shares traded in the minute. */
  volume: number;
  /** KRW traded in the minute. */
  value: number;
}

/**
 * `stock_daily_price`: one adjusted daily candle per (stock, trading day) (WITHOUT ROWID). Prices
 * are KIS's 수정주가: after a split the whole stored history of the stock is replaced.
 */
export interface StockDailyPriceTable {
  /** KRX short code. */
  stock_code: string;
  /** KST trading day. */
  trade_date: TradeDate;
  /** Adjusted open, KRW. */
  open: number;
  /** Adjusted high, KRW. */
  high: number;
  /** Adjusted low, KRW. */
  low: number;
  /** Adjusted close, KRW. */
  close: number;
  /** Shares traded that day (adjusted like the prices). */
  volume: number;
  /** KRW traded that day. */
  value: number;
}

/** Columns every outcome row has, decision or rejection (percentages unrounded). */
interface OutcomeColumns {
  /** The entry's `log_id`. */
  log_id: number;
  /** Copied from the entry (immutable there), to find a stock's outcomes by day. */
  stock_code: string;
  /** The entry's trade date D. */
  trade_date: TradeDate;
  status: OutcomeStatus;
  /** Adjusted close of D, KRW. */
  reference_close: number | null;
  /** Adjusted close of T1, KRW. */
  close_1d: number | null;
  /** Adjusted close of T5, KRW. */
  close_5d: number | null;
  /** Adjusted close of T20, KRW. */
  close_20d: number | null;
  /** Percent. */
  ret_1d_pct: number | null;
  /** Percent. */
  ret_5d_pct: number | null;
  /** Percent. */
  ret_20d_pct: number | null;
  /** Highest high of T1…T5 against the reference close, percent. */
  max_high_5d_pct: number | null;
  /** Lowest low of T1…T5 against the reference close, percent. */
  min_low_5d_pct: number | null;
  /** When the row was last computed (UTC). */
  computed_at: Instant;
}

/** `decision_outcome`: what the market did after each decision (derived; recomputed). */
export interface DecisionOutcomeTable extends OutcomeColumns {
  /** Copied from the decision: the edges depend on it. */
  final_decision: FinalDecision;
  /** Percent: the return for BUY, minus it for SELL, null otherwise. */
  edge_1d_pct: number | null;
  /** Percent. */
  edge_5d_pct: number | null;
  /** Percent. */
  edge_20d_pct: number | null;
}

/** `rejection_outcome`: what the market did after each rejection (derived; recomputed). */
export interface RejectionOutcomeTable extends OutcomeColumns {
  /** Largest daily volume of T1…T5, shares. */
  max_volume_5d: number | null;
  /** Mean daily volume of the 20 trading days before D, shares. */
  mean_volume_20d: number | null;
  /** 1 when `max_volume_5d` ≥ 3 × `mean_volume_20d`, 0 when not, null while unknown. */
  vol_shock: number | null;
}

/** `market_flow_snapshot`: daily net buying by investor class, in shares and KRW. */
export interface MarketFlowSnapshotTable {
  snapshot_id: Generated<number>;
  stock_code: string;
  /** KST trading day the flows belong to. */
  trade_date: TradeDate;
  /** Always `DAILY` for collected rows. */
  data_type: ColumnType<"DAILY" | "INTRADAY", "DAILY" | "INTRADAY" | undefined>;
  /** Closing price, KRW. */
  close_price: number | null;
  /** Shares traded that day. */
  volume: number | null;
  /** Net buy, shares. */
  individual_net_buy: number | null;
  /** Net buy, shares. */
  foreign_net_buy: number | null;
  /** Net buy, shares. */
  institution_net_buy: number | null;
  /** Program net buy, shares (null where KIS does not offer program data). */
  program_net_buy: number | null;
  /** Net buy, KRW; KIS reports it in million KRW, so it is a multiple of 1,000,000 (±0.5 M). */
  individual_net_buy_value: number | null;
  /** Net buy, KRW; a multiple of 1,000,000 (KIS reports million KRW). */
  foreign_net_buy_value: number | null;
  /** Net buy, KRW; a multiple of 1,000,000 (KIS reports million KRW). */
  institution_net_buy_value: number | null;
  /** Program net buy, KRW, exact (KIS reports program values in KRW). */
  program_net_buy_value: number | null;
  /** Unit of the `*_net_buy` and `volume` columns: always `shares`. */
  quantity_unit: ColumnType<"shares", "shares" | undefined, never>;
  /** Unit of the `*_value` columns and `close_price`: always `KRW`. */
  value_unit: ColumnType<"KRW", "KRW" | undefined, never>;
  schema_v: ColumnType<string, string | undefined>;
  created_at: ColumnType<Instant, Instant | undefined, never>;
  updated_at: ColumnType<Instant, Instant | undefined>;
}

/** `llm_decision_ledger`: why each Judge decision was taken. */
export interface LlmDecisionLedgerTable {
  log_id: Generated<number>;
  /** Unique when present: a retried write with the same key stores nothing new. */
  idempotency_key: string | null;
  /** Scout's run, when it sends one. */
  run_id: string | null;
  /** The original TIMESTAMP: the decision instant (UTC). */
  timestamp: Instant;
  /** When the decision was taken (UTC). */
  decided_at: Instant;
  /** KST trading day the decision applies to (after that day's close, 15:30 or 16:30 on CSAT days: the next trading day). */
  trade_date: TradeDate;
  stock_code: string;
  stock_name: string | null;
  hunter_score: number | null;
  market_regime: string | null;
  /** JSON array text, e.g. `["리튬","전쟁"]`. */
  dominant_keywords: string | null;
  debate_log: string | null;
  counter_position_logic: string | null;
  /** 0 or 1. */
  thinking_called: number | null;
  thinking_reason: string | null;
  cost_estimate: number | null;
  /** PASS / REJECT in the original. */
  gate_result: string | null;
  final_decision: FinalDecision;
  final_reason: string | null;
  schema_v: ColumnType<string, string | undefined>;
  created_at: ColumnType<Instant, Instant | undefined, never>;
}

/** `shadow_radar_log`: candidates rejected, to find missed opportunities. */
export interface ShadowRadarLogTable {
  log_id: Generated<number>;
  idempotency_key: string | null;
  run_id: string | null;
  /** The original TIMESTAMP: the rejection instant (UTC). */
  timestamp: Instant;
  /** When the rejection was logged (UTC). */
  logged_at: Instant;
  /** KST trading day the rejection applies to. */
  trade_date: TradeDate;
  stock_code: string;
  stock_name: string | null;
  rejection_stage: RejectionStage | null;
  rejection_reason: string | null;
  hunter_score_at_time: number | null;
  trigger_type: string | null;
  trigger_value: number | null;
  schema_v: ColumnType<string, string | undefined>;
  created_at: ColumnType<Instant, Instant | undefined, never>;
}

/** `watchlist`: the stocks collected every trading day while active. */
export interface WatchlistTable {
  stock_code: string;
  stock_name: string | null;
  /** 1 active, 0 kept but not collected. */
  is_active: ColumnType<number, number | undefined>;
  added_at: ColumnType<Instant, Instant | undefined, never>;
  updated_at: ColumnType<Instant, Instant | undefined>;
}

/** `collection_run`: one row per collection run, its outcome and counts. */
export interface CollectionRunTable {
  run_id: string;
  job: CollectionJob;
  trade_date: TradeDate;
  status: RunStatus;
  /** Why a run was skipped or failed as a whole. */
  reason: string | null;
  trigger: RunTrigger;
  started_at: Instant;
  finished_at: Instant | null;
  stocks_total: ColumnType<number, number | undefined>;
  stocks_done: ColumnType<number, number | undefined>;
  stocks_failed: ColumnType<number, number | undefined>;
  rows_written: ColumnType<number, number | undefined>;
  kis_calls: ColumnType<number, number | undefined>;
  /** The part `i/n` of the targets when collectors split them (`collect --shard`); else null. */
  shard: ColumnType<string | null, string | null | undefined>;
}

/** `collection_run_failure`: each stock that failed in a run, with its error. */
export interface CollectionRunFailureTable {
  run_id: string;
  stock_code: string;
  error: string;
}

/** `collection_lease`: one holder at a time per name, across processes. */
export interface CollectionLeaseTable {
  name: string;
  holder: string;
  /** Unix milliseconds after which another process may take the lease. */
  expires_at: number;
}

/** `market_calendar`: KRX open/closed days as KIS reported them (CTCA0903R `opnd_yn`). */
export interface MarketCalendarTable {
  trade_date: TradeDate;
  /** 1 the stock market is open, 0 closed. */
  is_open: number;
  /** When the day was fetched (UTC). */
  fetched_at: Instant;
}

/** `idempotent_request`: answers of POSTs sent with an `Idempotency-Key`, for replays. */
export interface IdempotentRequestTable {
  idempotency_key: string;
  /** What the key was used for, e.g. `decisions`. */
  scope: string;
  /** SHA-256 of the canonical request body. */
  fingerprint: string;
  /** The stored answer, JSON. */
  response: string;
  created_at: Instant;
}

/** Every table of the archive. */
export interface Database {
  stock_minute_price: StockMinutePriceTable;
  market_flow_snapshot: MarketFlowSnapshotTable;
  llm_decision_ledger: LlmDecisionLedgerTable;
  shadow_radar_log: ShadowRadarLogTable;
  watchlist: WatchlistTable;
  collection_run: CollectionRunTable;
  collection_run_failure: CollectionRunFailureTable;
  collection_lease: CollectionLeaseTable;
  market_calendar: MarketCalendarTable;
  idempotent_request: IdempotentRequestTable;
  stock_daily_price: StockDailyPriceTable;
  decision_outcome: DecisionOutcomeTable;
  rejection_outcome: RejectionOutcomeTable;
}

/** A row of `stock_minute_price` as written: one traded minute of a stock. */
export type StockMinutePrice = Insertable<StockMinutePriceTable>;
/** The value columns of `market_flow_snapshot`: what a collection writes and compares. */
export const FLOW_VALUE_COLUMNS = [
  "close_price",
  "volume",
  "individual_net_buy",
  "foreign_net_buy",
  "institution_net_buy",
  "program_net_buy",
  "individual_net_buy_value",
  "foreign_net_buy_value",
  "institution_net_buy_value",
  "program_net_buy_value",
] as const satisfies readonly (keyof MarketFlowSnapshotTable)[];

/** A daily flow row as written (`data_type` defaults to `DAILY`). */
export type FlowSnapshot = Omit<
  Insertable<MarketFlowSnapshotTable>,
  "snapshot_id" | "created_at" | "updated_at" | "quantity_unit" | "value_unit" | "schema_v"
>;
/** A stored decision. */
export type DecisionRow = Selectable<LlmDecisionLedgerTable>;
/** A stored rejection. */
export type ShadowRadarRow = Selectable<ShadowRadarLogTable>;
/** A stored flow row. */
export type FlowSnapshotRow = Selectable<MarketFlowSnapshotTable>;
/** A stored row of `stock_minute_price`. */
export type StockMinutePriceRow = Selectable<StockMinutePriceTable>;
/** A stored collection run. */
export type CollectionRunRow = Selectable<CollectionRunTable>;
/** A stored watchlist entry. */
export type WatchlistRow = Selectable<WatchlistTable>;
/** An adjusted daily candle as written. */
export type DailyPrice = Insertable<StockDailyPriceTable>;
/** A stored adjusted daily candle. */
export type DailyPriceRow = Selectable<StockDailyPriceTable>;
/** A stored decision outcome. */
export type DecisionOutcomeRow = Selectable<DecisionOutcomeTable>;
/** A stored rejection outcome. */
export type RejectionOutcomeRow = Selectable<RejectionOutcomeTable>;
