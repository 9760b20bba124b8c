/**
 * The reads behind the dashboard: archive counts, what the archive holds per stock and trading day
 * (for the coverage grid), the newest collection run of each job and day, entries newest first
 * with a total for paging, stock names, and the trading days a stock has minute bars on.
 *
 * Each answers with a handful of statements whatever the archive's size: the minute bars are only
 * read through their primary key (stock, minute), never scanned whole.
 *
 * @module
 */
import { type Kysely, sql } from "kysely";
import { addDays, kstDate, kstInstant } from "../src/time.ts";
import { type CollectionRunReport, RUN_COLUMNS, withFailures } from "./collection_runs.ts";
import { type EntryFilter, filteredEntries } from "./entry_listing.ts";
import type { EntryTable } from "./entry_rows.ts";
import { ArchiveInputError } from "./errors.ts";
import {
  type DecisionOutcome,
  decisionOutcomes,
  type RejectionOutcome,
  rejectionOutcomes,
  toRejectionOutcome,
} from "./outcome_listing.ts";
import type { Database, OutcomeStatus } from "./schema.ts";

/** How many rows each kind of record has. */
export interface ArchiveCounts {
  readonly decisions: number;
  readonly rejections: number;
  /** Daily flow rows (one per stock and trading day). */
  readonly flowRows: number;
  /** Stocks on the active watchlist. */
  readonly watchlistActive: number;
  /** Collection runs recorded. */
  readonly runs: number;
}

/** Row counts of the archive's tables (minute bars aside: counting them reads the whole table). */
export async function archiveCounts(db: Kysely<Database>): Promise<ArchiveCounts> {
  const row = await db.selectNoFrom((eb) => [
    eb.selectFrom("llm_decision_ledger").select(eb.fn.countAll<number>().as("n")).as(
      "decisions",
    ),
    eb.selectFrom("shadow_radar_log").select(eb.fn.countAll<number>().as("n")).as("rejections"),
    eb.selectFrom("market_flow_snapshot").select(eb.fn.countAll<number>().as("n")).as("flowRows"),
    eb.selectFrom("watchlist").select(eb.fn.countAll<number>().as("n")).where("is_active", "=", 1)
      .as("watchlistActive"),
    eb.selectFrom("collection_run").select(eb.fn.countAll<number>().as("n")).as("runs"),
  ]).executeTakeFirstOrThrow();
  return {
    decisions: Number(row.decisions),
    rejections: Number(row.rejections),
    flowRows: Number(row.flowRows),
    watchlistActive: Number(row.watchlistActive),
    runs: Number(row.runs),
  };
}

/** What the archive holds of one stock on one trading day. */
export interface StockDayRecord {
  readonly stockCode: string;
  readonly tradeDate: string;
  /** Unix seconds of the day's first stored minute bar, or null when it has none. */
  readonly firstBar: number | null;
  /** The day's flow row, when one is stored. */
  readonly flow: {
    /** Shares traded that day as KIS reported it (0: no trade, e.g. a halt), or null. */
    readonly volume: number | null;
    /** Whether the investor columns are filled (the program ones may be absent by design). */
    readonly investors: boolean;
  } | null;
}

const DAY_SECONDS = 86_400;

/** `{stock}|{date}`: the key of a stock's trading day in the maps below. */
export function stockDayKey(stockCode: string, tradeDate: string): string {
  return `${stockCode}|${tradeDate}`;
}

/**
 * For each of `stockCodes` and each of `tradeDates` (KST days), what is stored: its first minute
 * bar and its flow row. Keyed by {@link stockDayKey}; every pair is present.
 */
export async function stockDayRecords(
  db: Kysely<Database>,
  stockCodes: readonly string[],
  tradeDates: readonly string[],
): Promise<Map<string, StockDayRecord>> {
  const records = new Map<string, StockDayRecord>();
  if (stockCodes.length === 0 || tradeDates.length === 0) return records;
  const codes = [...new Set(stockCodes)];
  const dates = [...new Set(tradeDates)].sort();
  // One primary-key seek per stock and day: counting the bars would read every one of them
  // (~1.5 M for 200 stocks over 20 days, ten times slower).
  const spans = await sql<{ code: string; date: string; first_bar: number | null }>`
    WITH codes(code) AS (VALUES ${sql.join(codes.map((code) => sql`(${code})`))}),
      days(date, day_start) AS (VALUES ${
    sql.join(
      // Typed: PostgreSQL reads an untyped parameter in VALUES as text.
      dates.map((date) => sql`(${date}, CAST(${kstInstant(date).getTime() / 1000} AS BIGINT))`),
    )
  })
    SELECT code, date,
      (SELECT bar_time FROM stock_minute_price WHERE stock_code = code AND bar_time >= day_start
        AND bar_time < day_start + ${DAY_SECONDS} ORDER BY bar_time LIMIT 1) AS first_bar
    FROM codes, days`.execute(db);
  const flows = await db.selectFrom("market_flow_snapshot")
    .select(["stock_code", "trade_date", "volume", "individual_net_buy"])
    .where("stock_code", "in", codes).where("data_type", "=", "DAILY")
    // A range per stock reads the (stock, day) index in one pass; 4,000 point lookups do not.
    .where("trade_date", ">=", dates[0]).where("trade_date", "<=", dates[dates.length - 1])
    .execute();
  const flowRows = new Map(flows.map((row) => [stockDayKey(row.stock_code, row.trade_date), row]));
  for (const span of spans.rows) {
    const key = stockDayKey(span.code, span.date);
    const flow = flowRows.get(key);
    records.set(key, {
      stockCode: span.code,
      tradeDate: span.date,
      firstBar: span.first_bar === null ? null : Number(span.first_bar),
      flow: flow ? { volume: flow.volume, investors: flow.individual_net_buy !== null } : null,
    });
  }
  return records;
}

/**
 * The newest run of each job on each of `tradeDates` that tried to collect (a run skipped because
 * another held the lease says nothing about the day), with its failed stocks; newest first.
 */
export async function latestRunsOfDays(
  db: Kysely<Database>,
  tradeDates: readonly string[],
): Promise<CollectionRunReport[]> {
  if (tradeDates.length === 0) return [];
  const dates = [...tradeDates];
  // rowid orders runs by insertion, which breaks ties between equal start instants.
  const runs = await db.selectFrom("collection_run").select(RUN_COLUMNS)
    .where(sql<boolean>`rowid IN (
      SELECT max(rowid) FROM collection_run
      WHERE status <> 'skipped' AND trade_date IN (${sql.join(dates)})
      GROUP BY job, trade_date)`)
    .orderBy("trade_date", "desc").orderBy("job").execute();
  return withFailures(db, runs);
}

/** Filters of an entry listing read newest first, one numbered page at a time. */
export interface EntryBrowseFilter extends Omit<EntryFilter, "limit" | "cursor"> {
  /** Only entries whose stock name contains this text. */
  readonly stockNameContains?: string;
  /**
   * Only entries whose outcome is in this state (an entry without an outcome row is pending).
   * Outcome rows must be caught up first (`Archivist.refreshOutcomes`).
   */
  readonly outcomeStatus?: OutcomeStatus;
  /** 1-based page number. */
  readonly page: number;
  /** Rows per page, 1–1000. */
  readonly pageSize: number;
}

/** One numbered page of entries, newest first, and how many match in all. */
export interface EntryBrowsePage<Row> {
  readonly rows: readonly Row[];
  readonly total: number;
}

/**
 * The page `filter.page` of `table`'s entries matching `filter` (and `kind`), newest trade day
 * first and, within a day, newest logged first; with the number that match.
 */
export async function browseEntries<Row>(
  db: Kysely<Database>,
  operation: string,
  table: EntryTable,
  timeColumn: "decided_at" | "logged_at",
  filter: EntryBrowseFilter,
  kind: readonly ["final_decision" | "rejection_stage", string | undefined],
): Promise<EntryBrowsePage<Row>> {
  const { page, pageSize } = filter;
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 1000) {
    throw new ArchiveInputError(operation, "expected an integer from 1 to 1000", "pageSize");
  }
  if (!Number.isInteger(page) || page < 1) {
    throw new ArchiveInputError(operation, "expected a page number from 1", "page");
  }
  let query = filteredEntries(db, operation, table, timeColumn, filter, kind);
  if (filter.stockNameContains) {
    const escaped = filter.stockNameContains.replace(/[\\%_]/g, (c) => `\\${c}`);
    // Case-insensitive for ASCII letters on both backends, as SQLite's LIKE is.
    query = query.where(sql<boolean>`lower(stock_name) LIKE lower(${`%${escaped}%`}) ESCAPE '\\'`);
  }
  if (filter.outcomeStatus) {
    // Both outcome tables share the filtered columns: typed as the decisions'.
    const outcomes = db.selectFrom(OUTCOME_TABLES[table] as "decision_outcome").select("log_id");
    // As the outcome listings read it: an entry without a row yet is pending.
    query = filter.outcomeStatus === "pending"
      ? query.where("log_id", "not in", outcomes.where("status", "<>", "pending"))
      : query.where("log_id", "in", outcomes.where("status", "=", filter.outcomeStatus));
  }
  const counted = await query.select((eb) => eb.fn.countAll<number>().as("n"))
    .executeTakeFirstOrThrow();
  // Newest trade day first, then as logged: the trade-day index serves it without a sort.
  const rows = await query.selectAll().orderBy("trade_date", "desc").orderBy("log_id", "desc")
    .limit(pageSize).offset((page - 1) * pageSize).execute();
  return { rows: rows as unknown as Row[], total: Number(counted.n) };
}

/** The outcome table of each entry table. */
const OUTCOME_TABLES = {
  llm_decision_ledger: "decision_outcome",
  shadow_radar_log: "rejection_outcome",
} as const satisfies Record<EntryTable, keyof Database>;

/**
 * The outcomes of the decisions `logIds` (one page of a listing), keyed by `log_id`; an entry
 * without an outcome row yet is pending with every value null, as in the outcome listings.
 */
export async function decisionOutcomesOf(
  db: Kysely<Database>,
  logIds: readonly number[],
): Promise<Map<number, DecisionOutcome>> {
  if (logIds.length === 0) return new Map();
  const rows = await decisionOutcomes(db).where("e.log_id", "in", [...logIds]).execute();
  return new Map(rows.map((row) => [row.log_id, row]));
}

/** The outcomes of the rejections `logIds`, `regret` at `thresholdPct`, keyed by `log_id`. */
export async function rejectionOutcomesOf(
  db: Kysely<Database>,
  logIds: readonly number[],
  thresholdPct: number,
): Promise<Map<number, RejectionOutcome>> {
  if (logIds.length === 0) return new Map();
  const rows = await rejectionOutcomes(db).where("e.log_id", "in", [...logIds]).execute();
  return new Map(rows.map((row) => [row.log_id, toRejectionOutcome(row, thresholdPct)]));
}

/**
 * The Korean names of `stockCodes` the archive knows: the watchlist's, else the name Scout sent
 * with its latest decision or rejection of the stock. Codes without a name are absent.
 */
export async function stockNames(
  db: Kysely<Database>,
  stockCodes: readonly string[],
): Promise<Map<string, string>> {
  const names = new Map<string, string>();
  if (stockCodes.length === 0) return names;
  const codes = [...new Set(stockCodes)];
  const watched = await db.selectFrom("watchlist").select(["stock_code", "stock_name"])
    .where("stock_code", "in", codes).where("stock_name", "is not", null).execute();
  for (const row of watched) names.set(row.stock_code, row.stock_name!);
  const missing = codes.filter((code) => !names.has(code));
  for (const table of ["llm_decision_ledger", "shadow_radar_log"] as const) {
    const unnamed = missing.filter((code) => !names.has(code));
    if (unnamed.length === 0) break;
    // The row of each stock's largest log_id with a name: the latest name sent.
    const entries = db as unknown as Kysely<Pick<Database, "llm_decision_ledger">>;
    const rows = await entries.selectFrom(table as "llm_decision_ledger")
      .select(["stock_code", "stock_name"])
      .where(
        "log_id",
        "in",
        (eb) =>
          eb.selectFrom(table as "llm_decision_ledger").select((s) => s.fn.max("log_id").as("m"))
            .where("stock_code", "in", unnamed).where("stock_name", "is not", null)
            .groupBy("stock_code"),
      )
      .execute();
    for (const row of rows) names.set(row.stock_code, row.stock_name!);
  }
  return names;
}

/** The trading days around a chosen one on which a stock has minute bars. */
export interface BarDays {
  /** The latest day with bars on or before the chosen day (or at all, without one), or null. */
  readonly latest: string | null;
  /** The closest day with bars before the chosen day, or null. */
  readonly previous: string | null;
  /** The closest day with bars after the chosen day, or null. */
  readonly next: string | null;
}

/** The days with minute bars of `stockCode` around `tradeDate` (or the latest ones, without it). */
export async function barDays(
  db: Kysely<Database>,
  stockCode: string,
  tradeDate?: string,
): Promise<BarDays> {
  const seek = async (direction: "before" | "from", instant: number) => {
    const row = await db.selectFrom("stock_minute_price").select("bar_time")
      .where("stock_code", "=", stockCode)
      .where("bar_time", direction === "before" ? "<" : ">=", instant)
      .orderBy("bar_time", direction === "before" ? "desc" : "asc").limit(1)
      .executeTakeFirst();
    return row ? kstDate(row.bar_time * 1000) : null;
  };
  if (tradeDate === undefined) {
    const latest = await seek("before", Number.MAX_SAFE_INTEGER);
    return {
      latest,
      previous: latest ? await seek("before", kstInstant(latest).getTime() / 1000) : null,
      next: null,
    };
  }
  const start = kstInstant(tradeDate).getTime() / 1000;
  const end = kstInstant(addDays(tradeDate, 1)).getTime() / 1000;
  const latest = await seek("before", end);
  return {
    latest,
    previous: await seek("before", start),
    next: await seek("from", end),
  };
}
