/**
 * Keeping the derived outcome tables equal to their definitions (`outcomes.ts`): every entry has
 * one outcome row, computed when the entry is first seen and recomputed when the candles (or the
 * calendar days) it reads change, always inside the transaction of the change.
 *
 * Invariant: every entry with a `log_id` up to the largest one in its outcome table has its row.
 * So each refresh first catches up entries logged since ({@link catchUpOutcomesIn}), then
 * recomputes. That holds where one writer commits at a time (SQLite). On PostgreSQL, writers on
 * several connections commit in any order, so an entry may become visible after a larger
 * `log_id` was caught up: there the entries without a row are found by an anti-join instead.
 *
 * @module
 */
import type { Kysely, Transaction } from "kysely";
import type { TradingDayRule } from "../src/calendar.ts";
import { reusableStatement } from "./compiled.ts";
import type { DialectName } from "./dialect.ts";
import {
  type Candle,
  decisionEdges,
  type PriceOutcome,
  priceOutcome,
  TradingDays,
  volumeShock,
} from "./outcomes.ts";
import type { Database, DecisionOutcomeRow, FinalDecision, RejectionOutcomeRow } from "./schema.ts";

/** What outcome computation needs from the Archivist. */
export interface OutcomeContext {
  /** The trading calendar (KIS's where stored, else the built-in one). */
  readonly isTradingDay: TradingDayRule;
  /** The clock for `computed_at`. */
  readonly now: () => Date;
  /** The backend, whose SQL the reused statements are compiled for. */
  readonly dialect: DialectName;
}

/** Outcome rows inserted or changed by a refresh. */
export interface OutcomeRefresh {
  /** Rows created for entries seen for the first time. */
  readonly created: number;
  /** Existing rows whose values changed. */
  readonly updated: number;
}

const DECISION_COLUMNS = [
  "log_id",
  "stock_code",
  "trade_date",
  "final_decision",
  "status",
  "reference_close",
  "close_1d",
  "close_5d",
  "close_20d",
  "ret_1d_pct",
  "ret_5d_pct",
  "ret_20d_pct",
  "max_high_5d_pct",
  "min_low_5d_pct",
  "edge_1d_pct",
  "edge_5d_pct",
  "edge_20d_pct",
  "computed_at",
] as const satisfies readonly (keyof DecisionOutcomeRow)[];

const REJECTION_COLUMNS = [
  "log_id",
  "stock_code",
  "trade_date",
  "status",
  "reference_close",
  "close_1d",
  "close_5d",
  "close_20d",
  "ret_1d_pct",
  "ret_5d_pct",
  "ret_20d_pct",
  "max_high_5d_pct",
  "min_low_5d_pct",
  "max_volume_5d",
  "mean_volume_20d",
  "vol_shock",
  "computed_at",
] as const satisfies readonly (keyof RejectionOutcomeRow)[];

/** Columns that identify the entry rather than describe its outcome. */
const IDENTITY = new Set(["log_id", "stock_code", "trade_date", "final_decision", "computed_at"]);

type OutcomeTableName = "decision_outcome" | "rejection_outcome";

/** Rows per upsert statement (18 columns × 50 rows). */
const CHUNK_ROWS = 50;

/** One decision or rejection whose outcome is computed. */
interface DecisionKey {
  readonly log_id: number;
  readonly stock_code: string;
  readonly trade_date: string;
  readonly final_decision: FinalDecision;
}
type RejectionKey = Omit<DecisionKey, "final_decision">;

function decisionRow(
  key: DecisionKey,
  price: PriceOutcome,
  computedAt: string,
): DecisionOutcomeRow {
  return {
    log_id: key.log_id,
    stock_code: key.stock_code,
    trade_date: key.trade_date,
    final_decision: key.final_decision,
    ...price,
    ...decisionEdges(key.final_decision, price),
    computed_at: computedAt,
  };
}

function rejectionRow(
  key: RejectionKey,
  price: PriceOutcome,
  candles: ReadonlyMap<string, Candle>,
  days: TradingDays,
  computedAt: string,
): RejectionOutcomeRow {
  return {
    log_id: key.log_id,
    stock_code: key.stock_code,
    trade_date: key.trade_date,
    ...price,
    ...volumeShock(key.trade_date, candles, days),
    computed_at: computedAt,
  };
}

/** Upserts outcome rows (every column in the table's order), one compiled statement per size. */
async function upsertOutcomes<Row extends Record<string, unknown>>(
  trx: Transaction<Database>,
  dialect: DialectName,
  table: OutcomeTableName,
  columns: readonly (keyof Row & string)[],
  rows: readonly Row[],
): Promise<void> {
  // Both outcome tables share this statement shape; Kysely cannot type a union of their inserts.
  const db = trx as unknown as Kysely<Pick<Database, "rejection_outcome">>;
  const values = columns.filter((c) => !IDENTITY.has(c) || c === "computed_at");
  for (let i = 0; i < rows.length; i += CHUNK_ROWS) {
    const chunk = rows.slice(i, i + CHUNK_ROWS);
    const ordered = chunk.map((row) => Object.fromEntries(columns.map((c) => [c, row[c]])));
    const statement = reusableStatement(
      dialect,
      `${table}-upsert:${chunk.length}`,
      chunk.flatMap((row) => columns.map((c) => row[c])),
      () =>
        db.insertInto(table as "rejection_outcome")
          .values(ordered as unknown as RejectionOutcomeRow[])
          .onConflict((oc) =>
            oc.column("log_id").doUpdateSet((eb) =>
              Object.fromEntries(
                values.map((c) => [c, eb.ref(`excluded.${c as keyof RejectionOutcomeRow}`)]),
              )
            )
          )
          .compile(),
    );
    await trx.executeQuery(statement);
  }
}

function sameOutcome<Row extends Record<string, unknown>>(
  columns: readonly (keyof Row & string)[],
  a: Row,
  b: Row,
): boolean {
  return columns.every((c) => IDENTITY.has(c) || a[c] === b[c]);
}

/** A stock's candles between two days, by day. */
async function candlesOf(
  trx: Transaction<Database>,
  stockCode: string,
  from: string,
  to: string,
): Promise<Map<string, Candle>> {
  const rows = await trx.selectFrom("stock_daily_price")
    .select(["trade_date", "high", "low", "close", "volume"])
    .where("stock_code", "=", stockCode)
    .where("trade_date", ">=", from).where("trade_date", "<=", to).execute();
  return new Map(rows.map((row) => [row.trade_date, row]));
}

function groupByStock<T extends { stock_code: string }>(rows: readonly T[]): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const row of rows) {
    let group = groups.get(row.stock_code);
    if (!group) groups.set(row.stock_code, group = []);
    group.push(row);
  }
  return groups;
}

function dateSpan(rows: readonly { trade_date: string }[]): { from: string; to: string } {
  let from = rows[0].trade_date, to = from;
  for (const { trade_date } of rows) {
    if (trade_date < from) from = trade_date;
    if (trade_date > to) to = trade_date;
  }
  return { from, to };
}

/** Computes the outcome rows of one stock's entries from its stored candles. */
async function computeStock(
  trx: Transaction<Database>,
  days: TradingDays,
  stockCode: string,
  decisions: readonly DecisionKey[],
  rejections: readonly RejectionKey[],
  computedAt: string,
): Promise<{ decisions: DecisionOutcomeRow[]; rejections: RejectionOutcomeRow[] }> {
  const all = [...decisions, ...rejections];
  if (all.length === 0) return { decisions: [], rejections: [] };
  const entries = dateSpan(all);
  const span = days.span(entries.from, entries.to);
  const candles = await candlesOf(trx, stockCode, span.from, span.to);
  const prices = new Map<string, PriceOutcome>();
  const priceOn = (date: string) => {
    let price = prices.get(date);
    if (!price) prices.set(date, price = priceOutcome(date, candles, days));
    return price;
  };
  return {
    decisions: decisions.map((key) => decisionRow(key, priceOn(key.trade_date), computedAt)),
    rejections: rejections.map((key) =>
      rejectionRow(key, priceOn(key.trade_date), candles, days, computedAt)
    ),
  };
}

/**
 * The entries of `table` (as `e`) that have no row in `outcomes` yet: those above its largest
 * `log_id` where one writer commits at a time (`serial`), else found by an anti-join (see the
 * module comment).
 */
function withoutOutcome(
  db: Kysely<Database>,
  serial: boolean,
  table: "llm_decision_ledger" | "shadow_radar_log",
  outcomes: OutcomeTableName,
) {
  // Both pairs of tables share the columns used here: one query typed as the decisions'.
  const entries = db as unknown as Kysely<
    Pick<Database, "llm_decision_ledger" | "decision_outcome">
  >;
  const outcome = outcomes as "decision_outcome";
  return entries.selectFrom(`${table} as e` as "llm_decision_ledger as e").where((eb) =>
    serial
      ? eb(
        "e.log_id",
        ">",
        eb.selectFrom(outcome).select((s) => s.fn.coalesce(s.fn.max("log_id"), s.lit(0)).as("m")),
      )
      : eb.not(eb.exists(
        eb.selectFrom(`${outcome} as o` as "decision_outcome as o").select("o.log_id")
          .whereRef("o.log_id", "=", "e.log_id"),
      ))
  );
}

/**
 * Creates the outcome rows of entries logged since the last refresh (both kinds), computed from
 * the stored candles. Cheap when there are none.
 */
export async function catchUpOutcomesIn(
  trx: Transaction<Database>,
  context: OutcomeContext,
  days = new TradingDays(context.isTradingDay),
): Promise<number> {
  const serial = context.dialect === "sqlite";
  const decisions = await withoutOutcome(trx, serial, "llm_decision_ledger", "decision_outcome")
    .select(["e.log_id", "e.stock_code", "e.trade_date", "e.final_decision"])
    .orderBy("e.log_id").execute();
  const rejections = await withoutOutcome(trx, serial, "shadow_radar_log", "rejection_outcome")
    .select(["e.log_id", "e.stock_code", "e.trade_date"])
    .orderBy("e.log_id").execute();
  if (decisions.length === 0 && rejections.length === 0) return 0;
  const computedAt = context.now().toISOString();
  const decisionRows: DecisionOutcomeRow[] = [];
  const rejectionRows: RejectionOutcomeRow[] = [];
  const decisionsByStock = groupByStock(decisions);
  const rejectionsByStock = groupByStock(rejections);
  for (const stockCode of new Set([...decisionsByStock.keys(), ...rejectionsByStock.keys()])) {
    const rows = await computeStock(
      trx,
      days,
      stockCode,
      decisionsByStock.get(stockCode) ?? [],
      rejectionsByStock.get(stockCode) ?? [],
      computedAt,
    );
    decisionRows.push(...rows.decisions);
    rejectionRows.push(...rows.rejections);
  }
  // Ascending log_id keeps the invariant even if a later statement of the batch failed alone.
  decisionRows.sort((a, b) => a.log_id - b.log_id);
  rejectionRows.sort((a, b) => a.log_id - b.log_id);
  await upsertOutcomes(trx, context.dialect, "decision_outcome", DECISION_COLUMNS, decisionRows);
  await upsertOutcomes(trx, context.dialect, "rejection_outcome", REJECTION_COLUMNS, rejectionRows);
  return decisionRows.length + rejectionRows.length;
}

/** Which entries of a stock to recompute: all, or those reading a day from `from` to `to`. */
export type OutcomeScope = "all" | { readonly from: string; readonly to: string };

/**
 * Recomputes the outcomes of `stockCode`'s entries that read a day in `scope` (after its candles
 * changed there), after catching up new entries; writes only rows whose values changed.
 */
export async function recomputeStockOutcomesIn(
  trx: Transaction<Database>,
  context: OutcomeContext,
  stockCode: string,
  scope: OutcomeScope,
  days = new TradingDays(context.isTradingDay),
): Promise<OutcomeRefresh> {
  const created = await catchUpOutcomesIn(trx, context, days);
  // An entry of D reads the 20 trading days before D to the 20th after: the entries reading a
  // changed day lie within 20 trading days of it, on either side.
  const entryRange = scope === "all"
    ? undefined
    : { from: days.before(scope.from)[0], to: days.after(scope.to)[19] };
  let decisionQuery = trx.selectFrom("decision_outcome").selectAll()
    .where("stock_code", "=", stockCode);
  let rejectionQuery = trx.selectFrom("rejection_outcome").selectAll()
    .where("stock_code", "=", stockCode);
  if (entryRange) {
    decisionQuery = decisionQuery.where("trade_date", ">=", entryRange.from)
      .where("trade_date", "<=", entryRange.to);
    rejectionQuery = rejectionQuery.where("trade_date", ">=", entryRange.from)
      .where("trade_date", "<=", entryRange.to);
  }
  const storedDecisions = await decisionQuery.execute();
  const storedRejections = await rejectionQuery.execute();
  const computed = await computeStock(
    trx,
    days,
    stockCode,
    storedDecisions,
    storedRejections,
    context.now().toISOString(),
  );
  const decisions = computed.decisions.filter((row, i) =>
    !sameOutcome(DECISION_COLUMNS, row, storedDecisions[i])
  );
  const rejections = computed.rejections.filter((row, i) =>
    !sameOutcome(REJECTION_COLUMNS, row, storedRejections[i])
  );
  await upsertOutcomes(trx, context.dialect, "decision_outcome", DECISION_COLUMNS, decisions);
  await upsertOutcomes(trx, context.dialect, "rejection_outcome", REJECTION_COLUMNS, rejections);
  return { created, updated: decisions.length + rejections.length };
}

/**
 * Recomputes, for every stock, the entries reading a day from `from` to `to` (after the calendar
 * of those days changed: T1…T20 moved).
 */
export async function recomputeOutcomesAroundIn(
  trx: Transaction<Database>,
  context: OutcomeContext,
  from: string,
  to: string,
): Promise<OutcomeRefresh> {
  const days = new TradingDays(context.isTradingDay);
  const created = await catchUpOutcomesIn(trx, context, days);
  const range = { from: days.before(from)[0], to: days.after(to)[19] };
  const stocks = new Set<string>();
  for (const table of ["decision_outcome", "rejection_outcome"] as const) {
    const rows = await trx.selectFrom(table).select("stock_code").distinct()
      .where("trade_date", ">=", range.from).where("trade_date", "<=", range.to).execute();
    for (const row of rows) stocks.add(row.stock_code);
  }
  let updated = 0;
  for (const stockCode of [...stocks].sort()) {
    updated += (await recomputeStockOutcomesIn(trx, context, stockCode, { from, to }, days))
      .updated;
  }
  return { created, updated };
}

/** Whether entries were logged since outcomes were last caught up (a cheap check for reads). */
export async function outcomesBehind(
  db: Kysely<Database>,
  dialect: DialectName,
): Promise<boolean> {
  if (dialect === "postgres") {
    // Commit order is not log_id order here (see the module comment): look for a missing row.
    const missing = await db.selectNoFrom((eb) => [
      eb.exists(
        withoutOutcome(db, false, "llm_decision_ledger", "decision_outcome").select("e.log_id"),
      ).as("decisions"),
      eb.exists(
        withoutOutcome(db, false, "shadow_radar_log", "rejection_outcome").select("e.log_id"),
      ).as("rejections"),
    ]).executeTakeFirstOrThrow();
    return Boolean(missing.decisions) || Boolean(missing.rejections);
  }
  const row = await db.selectNoFrom((eb) => [
    eb.selectFrom("llm_decision_ledger").select((s) => s.fn.max("log_id").as("m")).as("decisions"),
    eb.selectFrom("decision_outcome").select((s) => s.fn.max("log_id").as("m")).as("decided"),
    eb.selectFrom("shadow_radar_log").select((s) => s.fn.max("log_id").as("m")).as("rejections"),
    eb.selectFrom("rejection_outcome").select((s) => s.fn.max("log_id").as("m")).as("rejected"),
  ]).executeTakeFirstOrThrow();
  return (row.decisions ?? 0) > (row.decided ?? 0) || (row.rejections ?? 0) > (row.rejected ?? 0);
}
