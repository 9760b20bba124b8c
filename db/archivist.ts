/**
 * The Archivist: the one way in to the archive. Every write of every kind (decisions, rejections,
 * flow snapshots, minute bars, watchlist, collection runs) goes through a typed method here, runs
 * in one transaction, and reports what it did. A failing write reaches the caller as a typed error,
 * is logged with its context and counted for `/health`; it never takes the process down.
 *
 * The methods stay thin: the SQL of each concern lives in its own module, as a function of the
 * transaction (writes) or the database (reads).
 *
 * @module
 */
import { dirname } from "node:path";
import { type Kysely, sql, type Transaction } from "kysely";
import { getLogger } from "../src/log.ts";
import { isTradeDate } from "../src/time.ts";
import {
  type CollectionRunReport,
  finishRunIn,
  lastRuns,
  lastShardRuns,
  listRuns,
  markInterruptedRunsIn,
  recordRunFailureIn,
  recordRunProgressIn,
  type RunOutcome,
  type RunStart,
  startRunIn,
  succeededDates,
} from "./collection_runs.ts";
import {
  dailyPrices,
  type DailyPriceSpan,
  dailyPriceSpan,
  replaceDailyPricesIn,
  upsertDailyPricesIn,
  validateDailyPrice,
} from "./daily_prices.ts";
import {
  type ArchiveCounts,
  archiveCounts,
  type BarDays,
  barDays,
  browseEntries,
  type EntryBrowseFilter,
  type EntryBrowsePage,
  latestRunsOfDays,
  type StockDayRecord,
  stockDayRecords,
  stockNames,
} from "./dashboard_reads.ts";
import type { DecisionEntry, RejectionEntry, WatchlistEntry } from "./entries.ts";
import { type EntryFilter, listEntries } from "./entry_listing.ts";
import {
  ArchiveUnreachableError,
  describeLocation,
  type DialectName,
  parseArchiveLocation,
  POSTGRES_DIALECT,
  type SqlDialect,
  sqliteDialect,
} from "./dialect.ts";
import { copyArchive, type CopyObserver, type CopyReport } from "./copy.ts";
import { databaseBytes } from "./database_size.ts";
import { DECISIONS, logEntriesIn, type LoggedEntries, REJECTIONS } from "./entry_log.ts";
import { ArchiveInputError, ArchiveWriteError, IdempotencyConflictError } from "./errors.ts";
import { flowSnapshots, upsertFlowSnapshotsIn } from "./flow_snapshots.ts";
import { GroupCommit } from "./group_commit.ts";
import type { IdempotencyOptions } from "./idempotency.ts";
import { acquireLeaseIn, releaseLeaseIn, renewLeaseIn } from "./lease.ts";
import { calendarFetchedAt, MarketCalendar, saveMarketCalendarIn } from "./market_calendar.ts";
import { migrateToLatest, type MigrationOutcome, SCHEMA_VERSION } from "./migrations.ts";
import { minuteBars, upsertMinuteBarsIn, validateMinuteBar } from "./minute_bars.ts";
import {
  type DecisionOutcome,
  listDecisionOutcomes,
  listRejectionOutcomes,
  type OutcomeFilter,
  type RejectionOutcome,
} from "./outcome_listing.ts";
import {
  catchUpOutcomesIn,
  type OutcomeContext,
  type OutcomeRefresh,
  outcomesBehind,
  recomputeOutcomesAroundIn,
  recomputeStockOutcomesIn,
} from "./outcome_refresh.ts";
import {
  type DailyPacket,
  dailyPacket,
  type RegretReport,
  regretReport,
  type ReportRange,
  type Scorecard,
  scorecard,
} from "./outcome_reports.ts";
import { DEFAULT_REGRET_THRESHOLD_PCT, TradingDays } from "./outcomes.ts";
import { openOutcomeStart, openOutcomeStocks } from "./outcome_targets.ts";
import type { Page } from "./paging.ts";
import type {
  CollectionJob,
  CollectionRunRow,
  DailyPrice,
  DailyPriceRow,
  Database,
  DecisionRow,
  FlowSnapshot,
  FlowSnapshotRow,
  MinuteBar,
  MinuteBarRow,
  ShadowRadarRow,
  WatchlistRow,
} from "./schema.ts";
import { DEFAULT_POOL_SIZE, isConnectionError, openPostgres } from "./postgres.ts";
import { openKysely, syncWriteAheadLog } from "./sqlite.ts";
import {
  collectionTargets,
  removeFromWatchlistIn,
  replaceWatchlistIn,
  upsertWatchlistIn,
  watchlist,
} from "./watchlist.ts";
import type { WriteCounts } from "./write_counts.ts";

export type { CollectionRunReport, RunOutcome, RunStart } from "./collection_runs.ts";
export type { DailyPriceSpan } from "./daily_prices.ts";
export type { DecisionOutcome, OutcomeFilter, RejectionOutcome } from "./outcome_listing.ts";
export type { OutcomeRefresh } from "./outcome_refresh.ts";
export type {
  DailyPacket,
  PacketCase,
  RegretCounts,
  RegretReport,
  ReportRange,
  Scorecard,
  ScoreFigures,
} from "./outcome_reports.ts";
export type {
  ArchiveCounts,
  BarDays,
  EntryBrowseFilter,
  EntryBrowsePage,
  StockDayRecord,
} from "./dashboard_reads.ts";
export type { CopyObserver, CopyReport, TableCopy } from "./copy.ts";
export type { EntryFilter } from "./entry_listing.ts";
export type { LoggedEntries } from "./entry_log.ts";
export type { IdempotencyOptions } from "./idempotency.ts";
export type { Page } from "./paging.ts";
export type { WriteCounts } from "./write_counts.ts";

const log = getLogger("archive");

/** What a write of daily candles did, to the candles and to the outcomes reading them. */
export interface DailyPriceWrite extends WriteCounts {
  /** Stored days no longer in a replaced history. */
  readonly deleted: number;
  /** Outcome rows created or changed in the same transaction. */
  readonly outcomes: OutcomeRefresh;
}

/** What `/health` shows about the archive. */
export interface ArchiveHealth {
  readonly database: "ok" | "unreachable";
  readonly schemaVersion: number;
  readonly failedWrites: number;
  readonly lastRuns: Partial<Record<CollectionJob, CollectionRunRow>>;
  readonly error?: string;
}

/**
 * When a write counts as stored: `normal` once committed to the write-ahead log (it survives a
 * killed process), `full` once that log is also synced to the device (it survives power loss).
 */
export type SyncMode = "normal" | "full";

/** Options of {@link Archivist.open}. */
export interface ArchivistOptions {
  /** PostgreSQL only: connections in the pool (default 10). */
  readonly poolSize?: number;
  /** The clock, for receipt times and trade dates (tests pin it). */
  readonly now?: () => Date;
  /** When a write resolves; default `normal`. */
  readonly sync?: SyncMode;
}

/** `thresholdPct` (default 4) if it is a positive finite percentage; refused otherwise. */
function checkThreshold(operation: string, thresholdPct = DEFAULT_REGRET_THRESHOLD_PCT): number {
  if (!Number.isFinite(thresholdPct) || thresholdPct <= 0 || thresholdPct > 1000) {
    throw new ArchiveInputError(
      operation,
      `expected a percentage above 0 and at most 1000, got ${thresholdPct}`,
      "threshold_pct",
    );
  }
  return thresholdPct;
}

/** An open database and what differs in its SQL. */
interface Opened {
  readonly db: Kysely<Database>;
  readonly dialect: SqlDialect;
  /** Makes every commit made before the call durable, when acknowledging waits for it. */
  readonly persist?: () => Promise<void>;
  /**
   * Groups committing at once: one on SQLite (one writer); several on PostgreSQL, whose writes
   * wait on round trips rather than on a lock, each group on a connection of the pool.
   */
  readonly groups: number;
}

/** Opens the database `ARCHIVIST_DB` names: a PostgreSQL URL or a SQLite file (created). */
async function openDatabase(location: string, options: ArchivistOptions): Promise<Opened> {
  const where = parseArchiveLocation(location);
  if (where.dialect === "postgres") {
    // PostgreSQL acknowledges a COMMIT once its log is on disk (synchronous_commit, the server's
    // setting): nothing to add for ARCHIVIST_SYNC=full.
    const poolSize = options.poolSize ?? DEFAULT_POOL_SIZE;
    return {
      db: openPostgres<Database>(where.url, { poolSize }).db,
      dialect: POSTGRES_DIALECT,
      // Leave connections to the reads.
      groups: Math.max(1, Math.min(POSTGRES_GROUPS, poolSize - 2)),
    };
  }
  const { path } = where;
  if (path !== ":memory:") await Deno.mkdir(dirname(path), { recursive: true });
  const { db, sqlite } = openKysely<Database>(path);
  return {
    db,
    dialect: sqliteDialect(sqlite.runInTransaction),
    persist: options.sync === "full" && path !== ":memory:"
      ? () => syncWriteAheadLog(path)
      : undefined,
    groups: 1,
  };
}

/** Write groups in flight at once on PostgreSQL. */
const POSTGRES_GROUPS = 4;

/** Times a write that lost a deadlock or serialization conflict to another process is retried. */
const CONFLICT_RETRIES = 5;

/**
 * The archive over one SQLite file or one PostgreSQL database. Open it with
 * {@link Archivist.open}; close it with {@link Archivist.close} (or `await using`).
 */
export class Archivist implements AsyncDisposable {
  /** The database: its file, or its PostgreSQL URL without the password. */
  readonly path: string;
  /** The backend: `sqlite` or `postgres`. */
  readonly dialect: DialectName;
  /** What opening did to the schema. */
  readonly migration: MigrationOutcome;
  readonly #db: Kysely<Database>;
  /** The write groups; a write joins the next in turn. */
  readonly #commits: readonly GroupCommit<Database>[];
  #nextGroup = 0;
  readonly #sql: SqlDialect;
  readonly #now: () => Date;
  readonly #calendar: MarketCalendar;
  #failedWrites = 0;

  private constructor(
    path: string,
    opened: Opened,
    migration: MigrationOutcome,
    calendar: MarketCalendar,
    options: ArchivistOptions,
  ) {
    this.path = path;
    this.dialect = opened.dialect.name;
    this.#db = opened.db;
    this.#sql = opened.dialect;
    this.#commits = Array.from(
      { length: opened.groups },
      () => new GroupCommit(opened.db, opened.persist),
    );
    this.migration = migration;
    this.#calendar = calendar;
    this.#now = options.now ?? (() => new Date());
  }

  /**
   * Opens the archive `location` names (a SQLite file, created when missing, or a `postgres://`
   * URL) and migrates it to the latest schema. Throws `ArchiveLocationError` for a location that
   * is neither, `SchemaTooNewError` when the database was written by a newer Archivist.
   */
  static async open(location: string, options: ArchivistOptions = {}): Promise<Archivist> {
    const path = describeLocation(parseArchiveLocation(location));
    const opened = await openDatabase(location, options);
    const { db } = opened;
    try {
      const migration = await migrateToLatest(db as Kysely<unknown>, path, opened.dialect.name);
      return new Archivist(path, opened, migration, await MarketCalendar.load(db), options);
    } catch (error) {
      await db.destroy();
      if (opened.dialect.name === "postgres" && isConnectionError(error)) {
        throw new ArchiveUnreachableError(path, error);
      }
      throw error;
    }
  }

  /** Writes that failed since the archive was opened (refused input is not counted). */
  get failedWrites(): number {
    return this.#failedWrites;
  }

  /** Closes the database after the writes in flight have committed. */
  async close(): Promise<void> {
    await Promise.all(this.#commits.map((commits) => commits.idle()));
    await this.#db.destroy();
  }

  /** Same as {@link close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #write<T>(
    operation: string,
    context: Record<string, unknown>,
    work: (trx: Transaction<Database>) => Promise<T>,
  ): Promise<T> {
    try {
      for (let attempt = 1;; attempt++) {
        try {
          const commits = this.#commits[this.#nextGroup++ % this.#commits.length];
          return await commits.run(work);
        } catch (error) {
          // Another process won a deadlock or serialization conflict: the work runs again whole.
          if (attempt > CONFLICT_RETRIES || !this.#sql.isTransientConflict(error)) throw error;
          log.info("{operation} conflicted with another writer; retrying", { operation });
        }
      }
    } catch (error) {
      if (error instanceof ArchiveInputError || error instanceof IdempotencyConflictError) {
        log.warning("{operation} refused: {error}", { operation, ...context, error });
        throw error;
      }
      this.#failedWrites++;
      log.error("{operation} failed: {error}", { operation, ...context, error });
      throw new ArchiveWriteError(operation, (error as Error).message, { cause: error });
    }
  }

  // ── Health ────────────────────────────────────────────────────────────────────────────────

  /** Database reachability, schema version, failed writes and the last run of each job. */
  async health(): Promise<ArchiveHealth> {
    try {
      await sql`SELECT 1`.execute(this.#db);
      return {
        database: "ok",
        schemaVersion: SCHEMA_VERSION,
        failedWrites: this.#failedWrites,
        lastRuns: await this.lastRuns(),
      };
    } catch (error) {
      return {
        database: "unreachable",
        schemaVersion: SCHEMA_VERSION,
        failedWrites: this.#failedWrites,
        lastRuns: {},
        error: (error as Error).message,
      };
    }
  }

  // ── Trading calendar ──────────────────────────────────────────────────────────────────────

  /** Whether the market opens on `tradeDate`: KIS's calendar where stored, else the built-in one. */
  isTradingDay(tradeDate: string): boolean {
    return this.#calendar.isTradingDay(tradeDate);
  }

  /** Whether KIS's calendar for `tradeDate` is stored. */
  hasCalendarDay(tradeDate: string): boolean {
    return this.#calendar.stored(tradeDate) !== undefined;
  }

  /** When the stored calendar was last fetched from KIS (UTC ISO), or null. */
  calendarFetchedAt(): Promise<string | null> {
    return calendarFetchedAt(this.#db);
  }

  /** Stores KIS's open/closed days (CTCA0903R), replacing what was known of those dates. */
  async saveMarketCalendar(
    days: readonly { tradeDate: string; isOpen: boolean }[],
  ): Promise<WriteCounts> {
    const counts = await this.#write(
      "saveMarketCalendar",
      { days: days.length },
      (trx) => saveMarketCalendarIn(trx, this.#calendar, days, this.#now),
    );
    const moved = days.filter((day) => this.#calendar.isTradingDay(day.tradeDate) !== day.isOpen)
      .map((day) => day.tradeDate).sort();
    // Only now: a write that failed or was retried must not have changed what is known.
    this.#calendar.record(days);
    if (moved.length > 0) {
      // Open days changed: T1…T20 of the entries around them moved.
      const from = moved[0], to = moved[moved.length - 1];
      await this.#write(
        "recomputeOutcomes",
        { from, to },
        (trx) => recomputeOutcomesAroundIn(trx, this.#outcomeContext, from, to),
      );
    }
    return counts;
  }

  /** The KST trading day an instant applies to: after the 15:30 close, the next trading day. */
  tradeDateFor(instant: Date): string {
    return this.#calendar.tradeDateFor(instant);
  }

  // ── Decisions and rejections ──────────────────────────────────────────────────────────────

  /**
   * Logs Judge decisions, all or nothing. With `idempotency`, a repeat of the same request returns
   * the first answer and writes nothing; the same key with another request is a conflict. An entry
   * whose own `idempotency_key` is already stored keeps its first row.
   */
  logDecisions(
    entries: readonly DecisionEntry[],
    idempotency?: IdempotencyOptions,
  ): Promise<LoggedEntries> {
    return this.#write(
      "logDecisions",
      { entries: entries.length },
      (trx) =>
        logEntriesIn(trx, this.#sql, DECISIONS, entries, idempotency, this.#calendar, this.#now),
    );
  }

  /** Logs rejected candidates, all or nothing; idempotency as in {@link logDecisions}. */
  logRejections(
    entries: readonly RejectionEntry[],
    idempotency?: IdempotencyOptions,
  ): Promise<LoggedEntries> {
    return this.#write(
      "logRejections",
      { entries: entries.length },
      (trx) =>
        logEntriesIn(trx, this.#sql, REJECTIONS, entries, idempotency, this.#calendar, this.#now),
    );
  }

  /** Decisions matching `filter` (and `finalDecision`), oldest first, one page at a time. */
  listDecisions(
    filter: EntryFilter & { readonly finalDecision?: DecisionRow["final_decision"] },
  ): Promise<Page<DecisionRow>> {
    return listEntries(this.#db, "listDecisions", "llm_decision_ledger", "decided_at", filter, [
      "final_decision",
      filter.finalDecision,
    ]);
  }

  /** Rejections matching `filter` (and `rejectionStage`), oldest first, one page at a time. */
  listRejections(
    filter: EntryFilter & {
      readonly rejectionStage?: NonNullable<ShadowRadarRow["rejection_stage"]>;
    },
  ): Promise<Page<ShadowRadarRow>> {
    return listEntries(this.#db, "listRejections", "shadow_radar_log", "logged_at", filter, [
      "rejection_stage",
      filter.rejectionStage,
    ]);
  }

  // ── Collected market data ─────────────────────────────────────────────────────────────────

  /** Upserts minute bars in one transaction; identical bars are left untouched. */
  upsertMinuteBars(bars: readonly MinuteBar[]): Promise<WriteCounts> {
    const stocks = new Set(bars.map((b) => b.stock_code));
    return this.#write("upsertMinuteBars", { bars: bars.length, stocks: stocks.size }, (trx) => {
      bars.forEach(validateMinuteBar);
      return upsertMinuteBarsIn(trx, this.dialect, bars);
    });
  }

  /** One KST trading day's bars of a stock, ascending. */
  minuteBars(stockCode: string, tradeDate: string): Promise<MinuteBarRow[]> {
    return minuteBars(this.#db, stockCode, tradeDate);
  }

  /** Upserts daily flow rows keyed by (stock, trade date, data type), in one transaction. */
  upsertFlowSnapshots(snapshots: readonly FlowSnapshot[]): Promise<WriteCounts> {
    return this.#write(
      "upsertFlowSnapshots",
      { rows: snapshots.length },
      (trx) => upsertFlowSnapshotsIn(trx, snapshots, this.#now),
    );
  }

  /** Daily flow rows of a stock between two KST dates (inclusive), ascending. */
  flowSnapshots(stockCode: string, from: string, to: string): Promise<FlowSnapshotRow[]> {
    return flowSnapshots(this.#db, stockCode, from, to);
  }

  // ── Daily candles and outcomes ────────────────────────────────────────────────────────────

  /** The calendar and clock outcomes are computed with. */
  get #outcomeContext(): OutcomeContext {
    return {
      isTradingDay: (date) => this.#calendar.isTradingDay(date),
      now: this.#now,
      dialect: this.dialect,
    };
  }

  /**
   * Upserts adjusted daily candles in one transaction (identical ones left untouched) and, in the
   * same transaction, recomputes the outcomes of every entry reading a changed day.
   */
  upsertDailyPrices(candles: readonly DailyPrice[]): Promise<DailyPriceWrite> {
    const operation = "upsertDailyPrices";
    return this.#write(operation, { candles: candles.length }, async (trx) => {
      candles.forEach((candle, i) => validateDailyPrice(operation, candle, i));
      const { counts, changed } = await upsertDailyPricesIn(trx, candles);
      const context = this.#outcomeContext;
      const days = new TradingDays(context.isTradingDay);
      let created = await catchUpOutcomesIn(trx, context, days);
      let updated = 0;
      for (const span of changed) {
        const refresh = await recomputeStockOutcomesIn(trx, context, span.stockCode, span, days);
        created += refresh.created;
        updated += refresh.updated;
      }
      return { ...counts, deleted: 0, outcomes: { created, updated } };
    });
  }

  /**
   * Replaces a stock's whole stored history with `candles` (after KIS adjusted it, e.g. for a
   * split) and recomputes all of its outcomes, in one transaction.
   */
  replaceDailyPrices(stockCode: string, candles: readonly DailyPrice[]): Promise<DailyPriceWrite> {
    const operation = "replaceDailyPrices";
    return this.#write(operation, { stockCode, candles: candles.length }, async (trx) => {
      candles.forEach((candle, i) => {
        validateDailyPrice(operation, candle, i);
        if (candle.stock_code !== stockCode) {
          throw new ArchiveInputError(
            operation,
            `expected only candles of ${stockCode}`,
            `candles[${i}].stock_code`,
          );
        }
      });
      const { counts, deleted } = await replaceDailyPricesIn(trx, stockCode, candles);
      const outcomes = await recomputeStockOutcomesIn(trx, this.#outcomeContext, stockCode, "all");
      return { ...counts, deleted, outcomes };
    });
  }

  /** A stock's adjusted daily candles between two KST dates (inclusive), ascending. */
  dailyPrices(stockCode: string, from: string, to: string): Promise<DailyPriceRow[]> {
    return dailyPrices(this.#db, stockCode, from, to);
  }

  /** The first and last stored day of a stock's candles, or null when none is stored. */
  dailyPriceSpan(stockCode: string): Promise<DailyPriceSpan | null> {
    return dailyPriceSpan(this.#db, stockCode);
  }

  /**
   * Gives entries logged since the last refresh their outcome rows (reads call it first, so a
   * read always equals the definitions); a cheap check when there are none.
   */
  async refreshOutcomes(): Promise<number> {
    if (!await outcomesBehind(this.#db, this.dialect)) return 0;
    return await this.#write(
      "refreshOutcomes",
      {},
      (trx) => catchUpOutcomesIn(trx, this.#outcomeContext),
    );
  }

  /** Decisions with their outcomes matching `filter` (and `finalDecision`), oldest first. */
  async listDecisionOutcomes(
    filter: OutcomeFilter & { readonly finalDecision?: DecisionRow["final_decision"] },
  ): Promise<Page<DecisionOutcome>> {
    await this.refreshOutcomes();
    return await listDecisionOutcomes(this.#db, filter);
  }

  /**
   * Rejections with their outcomes matching `filter` (and `rejectionStage`), oldest first;
   * `regret` at `thresholdPct` (default {@link DEFAULT_REGRET_THRESHOLD_PCT}).
   */
  async listRejectionOutcomes(
    filter: OutcomeFilter & {
      readonly rejectionStage?: NonNullable<ShadowRadarRow["rejection_stage"]>;
      readonly thresholdPct?: number;
    },
  ): Promise<Page<RejectionOutcome>> {
    const thresholdPct = checkThreshold("listRejectionOutcomes", filter.thresholdPct);
    await this.refreshOutcomes();
    return await listRejectionOutcomes(this.#db, { ...filter, thresholdPct });
  }

  /** The regret report of the rejections in `range` (all when open). */
  async regretReport(
    range: ReportRange & { readonly thresholdPct?: number } = {},
  ): Promise<RegretReport> {
    const thresholdPct = checkThreshold("regretReport", range.thresholdPct);
    await this.refreshOutcomes();
    return await regretReport(this.#db, range, thresholdPct);
  }

  /** The scorecard of the decisions in `range` (all when open). */
  async scorecard(range: ReportRange = {}): Promise<Scorecard> {
    await this.refreshOutcomes();
    return await scorecard(this.#db, range);
  }

  /** The council packet of the KST day `date`. */
  async dailyPacket(
    date: string,
    options: { readonly thresholdPct?: number } = {},
  ): Promise<DailyPacket> {
    if (!isTradeDate(date)) {
      throw new ArchiveInputError("dailyPacket", "expected a KST date YYYY-MM-DD", "date");
    }
    const thresholdPct = checkThreshold("dailyPacket", options.thresholdPct);
    await this.refreshOutcomes();
    return await dailyPacket(this.#db, date, thresholdPct);
  }

  /**
   * The stocks the `daily` job collects: the active watchlist, `extraCodes`, and every stock with
   * a decision or rejection whose outcome is not complete; deduplicated, sorted.
   */
  async dailyCollectionTargets(extraCodes: readonly string[] = []): Promise<string[]> {
    await this.refreshOutcomes();
    const watched = await this.watchlist();
    return [
      ...new Set([
        ...watched.map((w) => w.stock_code),
        ...extraCodes,
        ...await openOutcomeStocks(this.#db),
      ]),
    ].sort();
  }

  /** The earliest trade date of a stock's entries whose outcome is not complete, or null. */
  async openOutcomeStart(stockCode: string): Promise<string | null> {
    await this.refreshOutcomes();
    return await openOutcomeStart(this.#db, stockCode);
  }

  // ── Watchlist ─────────────────────────────────────────────────────────────────────────────

  /** The watchlist, active entries only unless `includeInactive`. */
  watchlist(options: { includeInactive?: boolean } = {}): Promise<WatchlistRow[]> {
    return watchlist(this.#db, options);
  }

  /** Adds or re-activates entries (a given name replaces the stored one). */
  addToWatchlist(entries: readonly WatchlistEntry[]): Promise<WriteCounts> {
    return this.#write(
      "addToWatchlist",
      { entries: entries.length },
      (trx) => upsertWatchlistIn(trx, entries, this.#now),
    );
  }

  /** Makes exactly `entries` the active watchlist; others stay stored but inactive. */
  replaceWatchlist(
    entries: readonly WatchlistEntry[],
  ): Promise<WriteCounts & { deactivated: number }> {
    return this.#write(
      "replaceWatchlist",
      { entries: entries.length },
      (trx) => replaceWatchlistIn(trx, entries, this.#now),
    );
  }

  /** Deactivates entries; returns how many were active. */
  removeFromWatchlist(stockCodes: readonly string[]): Promise<number> {
    return this.#write(
      "removeFromWatchlist",
      { codes: stockCodes.length },
      (trx) => removeFromWatchlistIn(trx, stockCodes, this.#now),
    );
  }

  /**
   * The stocks to collect for `tradeDate`: the active watchlist, every stock rejected in the 7
   * days up to that day, and `extraCodes`; deduplicated, sorted.
   */
  collectionTargets(tradeDate: string, extraCodes: readonly string[] = []): Promise<string[]> {
    return collectionTargets(this.#db, tradeDate, extraCodes);
  }

  // ── Collection runs ───────────────────────────────────────────────────────────────────────

  /** Records the start of a collection run; returns its id. */
  startRun(start: RunStart): Promise<string> {
    return this.#write("startRun", { ...start }, (trx) => startRunIn(trx, start, this.#now));
  }

  /** Records a stock that failed in a run, as it happens (so a crash loses nothing). */
  recordRunFailure(runId: string, stockCode: string, error: string): Promise<void> {
    return this.#write(
      "recordRunFailure",
      { runId, stockCode },
      (trx) => recordRunFailureIn(trx, runId, stockCode, error),
    );
  }

  /** Records a stock's progress within a running run. */
  recordRunProgress(
    runId: string,
    progress: Pick<RunOutcome, "stocksDone" | "stocksFailed" | "rowsWritten" | "kisCalls">,
  ): Promise<void> {
    return this.#write(
      "recordRunProgress",
      { runId },
      (trx) => recordRunProgressIn(trx, runId, progress),
    );
  }

  /** Records how a run ended. */
  finishRun(runId: string, outcome: RunOutcome): Promise<void> {
    return this.#write(
      "finishRun",
      { runId, status: outcome.status },
      (trx) => finishRunIn(trx, runId, outcome, this.#now),
    );
  }

  /** Records a run that did not collect (closed market, collection off, lease held elsewhere). */
  async recordSkippedRun(start: Omit<RunStart, "stocksTotal">, reason: string): Promise<string> {
    const runId = await this.startRun({ ...start, stocksTotal: 0 });
    await this.finishRun(runId, {
      status: "skipped",
      reason,
      stocksDone: 0,
      stocksFailed: 0,
      rowsWritten: 0,
      kisCalls: 0,
    });
    return runId;
  }

  /**
   * Marks runs of `shard` (default: unsharded runs) left `running` by a process that died as
   * failed (call while holding that shard's lease).
   */
  markInterruptedRuns(shard: string | null = null): Promise<number> {
    return this.#write(
      "markInterruptedRuns",
      { shard },
      (trx) => markInterruptedRunsIn(trx, this.#now, shard),
    );
  }

  /** Recent runs, newest first, with their failed stocks. */
  listRuns(
    options: { limit?: number; job?: CollectionJob; tradeDate?: string } = {},
  ): Promise<CollectionRunReport[]> {
    return listRuns(this.#db, options);
  }

  /** The latest run of each job. */
  lastRuns(): Promise<Partial<Record<CollectionJob, CollectionRunRow>>> {
    return lastRuns(this.#db);
  }

  /** The latest run of each job on each shard (`collect --shard`), by job then shard. */
  lastShardRuns(): Promise<CollectionRunRow[]> {
    return lastShardRuns(this.#db);
  }

  /** Of `tradeDates`, those on which `job` has a succeeded run. */
  succeededDates(job: CollectionJob, tradeDates: readonly string[]): Promise<Set<string>> {
    return succeededDates(this.#db, job, tradeDates);
  }

  // ── Lease (one collection at a time across processes) ─────────────────────────────────────

  /** Takes the lease `name` for `holder` unless another holder's lease is still valid. */
  acquireLease(name: string, holder: string, ttlMs: number): Promise<boolean> {
    return this.#write(
      "acquireLease",
      { name, holder },
      (trx) => acquireLeaseIn(trx, this.#sql, name, holder, ttlMs),
    );
  }

  /** Extends a held lease; false when it was lost to another holder. */
  renewLease(name: string, holder: string, ttlMs: number): Promise<boolean> {
    return this.#write(
      "renewLease",
      { name, holder },
      (trx) => renewLeaseIn(trx, this.#sql, name, holder, ttlMs),
    );
  }

  /** Gives a held lease back. */
  releaseLease(name: string, holder: string): Promise<void> {
    return this.#write(
      "releaseLease",
      { name, holder },
      (trx) => releaseLeaseIn(trx, name, holder),
    );
  }

  // ── Copy between backends ─────────────────────────────────────────────────────────────────

  /**
   * Copies every table into `target` (another archive, typically on the other backend), resuming
   * where the target's rows end, then verifies each table by row count and checksum.
   */
  copyTo(target: Archivist, observer?: CopyObserver): Promise<CopyReport> {
    return copyArchive(
      { db: this.#db, dialect: this.dialect },
      {
        db: target.#db,
        dialect: target.dialect,
        write: (work) => target.#write("copy", {}, work),
      },
      observer,
    );
  }

  // ── Reads for the dashboard ───────────────────────────────────────────────────────────────

  /** Bytes the archive takes (the file and its log, or the PostgreSQL database); null in memory. */
  databaseBytes(): Promise<number | null> {
    return databaseBytes(this.#db, this.dialect, this.path);
  }

  /** Row counts of the archive's tables (minute bars aside). */
  archiveCounts(): Promise<ArchiveCounts> {
    return archiveCounts(this.#db);
  }

  /** What is stored per stock and KST trading day (bars, flow row), keyed `{code}|{date}`. */
  stockDayRecords(
    stockCodes: readonly string[],
    tradeDates: readonly string[],
  ): Promise<Map<string, StockDayRecord>> {
    return stockDayRecords(this.#db, stockCodes, tradeDates);
  }

  /** The newest run that collected, per job and day of `tradeDates`, with its failed stocks. */
  latestRunsOfDays(tradeDates: readonly string[]): Promise<CollectionRunReport[]> {
    return latestRunsOfDays(this.#db, tradeDates);
  }

  /** One numbered page of decisions, newest first, with the number matching. */
  browseDecisions(
    filter: EntryBrowseFilter & { readonly finalDecision?: DecisionRow["final_decision"] },
  ): Promise<EntryBrowsePage<DecisionRow>> {
    return browseEntries(this.#db, "browseDecisions", "llm_decision_ledger", "decided_at", filter, [
      "final_decision",
      filter.finalDecision,
    ]);
  }

  /** One numbered page of rejections, newest first, with the number matching. */
  browseRejections(
    filter: EntryBrowseFilter & {
      readonly rejectionStage?: NonNullable<ShadowRadarRow["rejection_stage"]>;
    },
  ): Promise<EntryBrowsePage<ShadowRadarRow>> {
    return browseEntries(this.#db, "browseRejections", "shadow_radar_log", "logged_at", filter, [
      "rejection_stage",
      filter.rejectionStage,
    ]);
  }

  /** The Korean names the archive knows for `stockCodes` (watchlist first, then Scout's). */
  stockNames(stockCodes: readonly string[]): Promise<Map<string, string>> {
    return stockNames(this.#db, stockCodes);
  }

  /** The days with minute bars of a stock around `tradeDate` (or its latest, without one). */
  barDays(stockCode: string, tradeDate?: string): Promise<BarDays> {
    return barDays(this.#db, stockCode, tradeDate);
  }
}
