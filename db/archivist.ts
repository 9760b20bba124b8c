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
import { type Kysely, sql, type Transaction } from "kysely";
import { getLogger } from "../src/log.ts";
import { SessionRules, type SessionShape } from "../src/session.ts";
import { isTradeDate, kstDate } from "../src/time.ts";
import {
  type CollectionRunReport,
  finishRunIn,
  lastRuns,
  lastShardRuns,
  listRuns,
  markInterruptedRunsIn,
  recordRunFailureIn,
  recordRunProgressIn,
  runningRunShards,
  type RunOutcome,
  type RunStart,
  type RunSummary,
  runSummary,
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
  decisionOutcomesOf,
  type EntryBrowseFilter,
  type EntryBrowsePage,
  latestRunsOfDays,
  rejectionOutcomesOf,
  type StockDayRecord,
  stockDayRecords,
  stockNames,
} from "./dashboard_reads.ts";
import type { DecisionEntry, RejectionEntry, WatchlistEntry } from "./entries.ts";
import { type EntryFilter, listEntries } from "./entry_listing.ts";
import type { DialectName, SqlDialect } from "./dialect.ts";
import { copyArchive, type CopyObserver, type CopyReport } from "./copy.ts";
import { databaseBytes } from "./database_size.ts";
import {
  DECISIONS,
  type EntryRequest,
  entryRequestsInOneStatement,
  logEntryRequestsIn,
  type LoggedEntries,
  REJECTIONS,
} from "./entry_log.ts";
import {
  ArchiveBusyError,
  ArchiveInputError,
  ArchiveNotSyncedError,
  ArchiveWriteError,
  IdempotencyConflictError,
} from "./errors.ts";
import { flowSnapshots, upsertFlowSnapshotsIn } from "./flow_snapshots.ts";
import {
  CommitNotSyncedError,
  DEFAULT_LOCK_TIMEOUT_MS,
  GroupCommit,
  type GroupCommitStats,
  type WriteBatch,
  WriteLockTimeoutError,
} from "./group_commit.ts";
import type { IdempotencyOptions } from "./idempotency.ts";
import {
  acquireLeaseIn,
  leaseHolder,
  liveLeasesIn,
  releaseLeaseIn,
  renewLeaseIn,
  takeOverLeaseIn,
} from "./lease.ts";
import { calendarFetchedAt, type MarketCalendar, saveMarketCalendarIn } from "./market_calendar.ts";
import { type MigrationOutcome, SCHEMA_VERSION } from "./migrations.ts";
import {
  minuteBars,
  stocksWithMinuteBars,
  upsertMinuteBarsIn,
  validateMinuteBar,
} from "./minute_bars.ts";
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
import {
  PRUNE_BATCH_ROWS,
  pruneBatchIn,
  type PruneCutoffs,
  type PruneReport,
} from "./retention.ts";
import type {
  CollectionJob,
  CollectionRunRow,
  DailyPrice,
  DailyPriceRow,
  Database,
  DecisionRow,
  FlowSnapshot,
  FlowSnapshotRow,
  ShadowRadarRow,
  StockMinutePrice,
  StockMinutePriceRow,
  WatchlistRow,
} from "./schema.ts";
import { openDatabase, type OpenDatabaseOptions, type OpenedDatabase } from "./open.ts";
import type { SqliteFault } from "./sqlite_errors.ts";
import { RESTORE_COMMAND } from "./sqlite_file.ts";
import {
  collectionTargets,
  removeFromWatchlistIn,
  replaceWatchlistIn,
  upsertWatchlistIn,
  watchlist,
} from "./watchlist.ts";
import type { WriteCounts } from "./write_counts.ts";

export type { CollectionRunReport, RunOutcome, RunStart, RunSummary } from "./collection_runs.ts";
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
export { ArchiveFileError } from "./sqlite_file.ts";
export type { Page } from "./paging.ts";
export type { PruneCutoffs, PruneReport } from "./retention.ts";
export type { WriteCounts } from "./write_counts.ts";

const log = getLogger("archive");

/** What a write of daily candles did, to the candles and to the outcomes reading them. */
export interface DailyPriceWrite extends WriteCounts {
  /** Stored days no longer in a replaced history. */
  readonly deleted: number;
  /** Outcome rows created or changed in the same transaction. */
  readonly outcomes: OutcomeRefresh;
}

/** What the archive knows of the trading calendar, for `/health`. */
export interface CalendarHealth {
  /** The last day whose open/closed status is known (built-in calendar or KIS's). */
  readonly knownThrough: string;
  /** Set when today or the next weeks lie beyond it: holidays there are not known. */
  readonly warning?: string;
}

/**
 * Whether writes work: `failing` from a write that failed for a fault of the file or the disk
 * (full, I/O error, read-only, damaged, a failed sync) until a write succeeds again (a damaged
 * archive stays failing: it needs a restore).
 */
export interface WriteStatus {
  readonly status: "ok" | "failing";
  /** The fault, e.g. `full`, `corrupt`, `sync`. */
  readonly fault?: SqliteFault | "sync";
  /** The database's own message, e.g. "database or disk is full". */
  readonly cause?: string;
  /** When writes started failing (UTC ISO). */
  readonly since?: string;
}

/** What `/health` shows about the archive. */
export interface ArchiveHealth {
  /** `corrupt` once a damaged page was met; `unreachable` when not even `SELECT 1` answers. */
  readonly database: "ok" | "unreachable" | "corrupt";
  /** The file cannot be written by this process: reads only. */
  readonly readOnly: boolean;
  readonly writes: WriteStatus;
  readonly schemaVersion: number;
  readonly failedWrites: number;
  readonly lastRuns: Partial<Record<CollectionJob, CollectionRunRow>>;
  readonly calendar: CalendarHealth;
  readonly error?: string;
}

/** Days ahead of today that must lie within the known calendar before `/health` warns. */
export const CALENDAR_WARNING_DAYS = 30;

/** Counters of the write path since the archive was opened. */
export interface WriteStats extends GroupCommitStats {
  /** Writes that failed (refused input is not counted). */
  readonly failedWrites: number;
}

/**
 * When a write counts as stored: `normal` once committed to the write-ahead log (it survives a
 * killed process), `full` once that log is also synced to the device (it survives power loss).
 */
export type SyncMode = "normal" | "full";

/** Default {@link SyncMode}: an acknowledged write survives a power cut. */
export const DEFAULT_SYNC_MODE: SyncMode = "full";

/** Told what the archive's write path does (metrics, alerts). */
export interface ArchiveObserver {
  /** A group commit stored `writes` writes in one transaction. */
  commit?(writes: number): void;
  /** Writes started failing, or work again. */
  writeStatus?(status: WriteStatus): void;
}

/** Options of {@link Archivist.open}. */
export interface ArchivistOptions {
  /** PostgreSQL only: connections in the pool (default 10). */
  readonly poolSize?: number;
  /** The clock, for receipt times and trade dates (tests pin it). */
  readonly now?: () => Date;
  /** When a write resolves; default {@link DEFAULT_SYNC_MODE}. */
  readonly sync?: SyncMode;
  /** Session shapes: the built-in knowledge plus the user's declared days (`ARCHIVIST_SESSIONS`). */
  readonly sessions?: SessionRules;
  /**
   * How long a write waits for the write lock another process holds, then fails with
   * `ArchiveBusyError` (ms); default 5 000.
   */
  readonly lockTimeoutMs?: number;
  /** Makes a commit durable (tests inject a failing one); default: sync the write-ahead log. */
  readonly persist?: () => Promise<void>;
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

/** A write that joins a batch: it runs with the other items of its batch in the same group. */
interface BatchItem<T> {
  readonly join: (commits: GroupCommit<Database>) => Promise<T>;
}

function batchItem<Item, T>(batch: WriteBatch<Database, Item, T>, item: Item): BatchItem<T> {
  return { join: (commits) => commits.runBatched(batch, item) };
}

/** Times a write that lost a deadlock or serialization conflict to another process is retried. */
const CONFLICT_RETRIES = 5;

/** What a read's catch-up loses its race to when {@link GroupCommit.onLockHeldElsewhere} calls. */
const LOCK_HELD = Symbol("lock held elsewhere");

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
  /** The file cannot be written by this process: every write is refused, reads work. */
  readonly readOnly: boolean;
  /**
   * When writes resolve: as asked on SQLite; on PostgreSQL as the server's `synchronous_commit`
   * makes a COMMIT durable (`normal` when it is `off`).
   */
  readonly sync: SyncMode;
  readonly #db: Kysely<Database>;
  /** The writes, committed in groups (several at once on PostgreSQL). */
  readonly #commits: GroupCommit<Database>;
  readonly #sql: SqlDialect;
  readonly #fault: (error: unknown) => SqliteFault | undefined;
  readonly #release: () => void;
  readonly #lockTimeoutMs: number;
  readonly #now: () => Date;
  readonly #calendar: MarketCalendar;
  /** Decisions of requests committing together share their statements. */
  readonly #decisions: WriteBatch<Database, EntryRequest<DecisionEntry>, LoggedEntries>;
  /** Rejections of requests committing together share their statements. */
  readonly #rejections: WriteBatch<Database, EntryRequest<RejectionEntry>, LoggedEntries>;
  readonly #observers = new Set<ArchiveObserver>();
  #failedWrites = 0;
  #writeStatus: WriteStatus = { status: "ok" };

  private constructor(opened: OpenedDatabase, options: ArchivistOptions) {
    this.path = opened.location;
    this.dialect = opened.dialect.name;
    this.readOnly = opened.readOnly;
    this.sync = opened.sync;
    this.#db = opened.db;
    this.#sql = opened.dialect;
    this.#fault = opened.fault;
    this.#release = opened.release;
    this.#lockTimeoutMs = options.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS;
    this.#commits = new GroupCommit(opened.db, {
      ...opened.commit,
      onCommit: (writes) => this.#observers.forEach((o) => o.commit?.(writes)),
    });
    this.migration = opened.migration;
    this.#calendar = opened.calendar;
    this.#now = options.now ?? (() => new Date());
    this.#decisions = {
      run: (trx, requests) =>
        logEntryRequestsIn(trx, this.#sql, DECISIONS, requests, this.#calendar, this.#now),
      oneStatement: entryRequestsInOneStatement,
    };
    this.#rejections = {
      run: (trx, requests) =>
        logEntryRequestsIn(trx, this.#sql, REJECTIONS, requests, this.#calendar, this.#now),
      oneStatement: entryRequestsInOneStatement,
    };
  }

  /**
   * Opens the archive `location` names (a SQLite file, created when missing, or a `postgres://`
   * URL) and migrates it to the latest schema. Throws `ArchiveLocationError` for a location that
   * is neither; `ArchiveFileError` for a path that cannot hold the archive, a file of another
   * application or a damaged one (`ArchiveCorruptError`); `ArchiveUnreachableError` for a server
   * that cannot be reached or refuses the login; `SchemaTooNewError` when the database was
   * written by a newer Archivist. A file this process cannot write opens read-only.
   */
  static async open(location: string, options: ArchivistOptions = {}): Promise<Archivist> {
    // Errors met while opening come before the Archivist that notices them.
    const noticing: { archivist?: Archivist } = {};
    const opening: OpenDatabaseOptions = {
      sync: options.sync ?? DEFAULT_SYNC_MODE,
      lockTimeoutMs: options.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS,
      sessions: options.sessions ?? new SessionRules(),
      persist: options.persist,
      poolSize: options.poolSize,
      onError: (error) => {
        const archivist = noticing.archivist;
        if (archivist) archivist.#noticeFault(error);
      },
    };
    const opened = await openDatabase(location, opening);
    if (opening.sync === "full" && opened.sync === "normal") {
      log.warning(
        "ARCHIVIST_SYNC={asked}, but the PostgreSQL server acknowledges commits with " +
          "synchronous_commit = off: an acknowledged write survives this process, not a crash " +
          "of the server. Set synchronous_commit = on for the database or role to make it full.",
        { asked: opening.sync },
      );
    }
    noticing.archivist = new Archivist(opened, options);
    return noticing.archivist;
  }

  /** Writes that failed since the archive was opened (refused input is not counted). */
  get failedWrites(): number {
    return this.#failedWrites;
  }

  /** Commits, syncs, lock timeouts and failed writes since the archive was opened. */
  get writeStats(): WriteStats {
    return { ...this.#commits.stats, failedWrites: this.#failedWrites };
  }

  /** Whether writes work, and since when they fail. */
  get writeStatus(): WriteStatus {
    return this.#writeStatus;
  }

  /** Tells `observer` what the write path does until the returned handle is disposed. */
  observe(observer: ArchiveObserver): Disposable {
    this.#observers.add(observer);
    return { [Symbol.dispose]: () => this.#observers.delete(observer) };
  }

  /** Closes the database after the writes in flight have committed. */
  async close(): Promise<void> {
    await this.#commits.idle();
    this.#release();
    await this.#db.destroy();
  }

  /** Same as {@link close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** Records a fault of the file met by any statement (a read too): a damage stops writes. */
  #noticeFault(error: unknown): void {
    const fault = this.#fault(error);
    if (fault === "corrupt") this.#failing("corrupt", error);
  }

  #failing(fault: NonNullable<WriteStatus["fault"]>, error: unknown): void {
    if (this.#writeStatus.fault === "corrupt") return;
    const cause = (error as Error)?.message ?? String(error);
    const changed = this.#writeStatus.status === "ok" || this.#writeStatus.fault !== fault;
    this.#writeStatus = {
      status: "failing",
      fault,
      cause,
      since: changed ? new Date().toISOString() : this.#writeStatus.since,
    };
    if (changed) {
      log.error("Writes are failing ({fault}): {cause}", { fault, cause });
      this.#observers.forEach((o) => o.writeStatus?.(this.#writeStatus));
    }
  }

  #recovered(): void {
    if (this.#writeStatus.status === "ok" || this.#writeStatus.fault === "corrupt") return;
    log.info("Writes work again after {fault} (failing since {since})", { ...this.#writeStatus });
    this.#writeStatus = { status: "ok" };
    this.#observers.forEach((o) => o.writeStatus?.(this.#writeStatus));
  }

  /** Why every write is refused before it is tried, if it is. */
  #refusal(operation: string): ArchiveWriteError | undefined {
    if (this.readOnly) {
      return new ArchiveWriteError(
        operation,
        `the archive ${this.path} is read-only for this process; make the file and its folder ` +
          "writable (or fix the file system) and restart",
      );
    }
    if (this.#writeStatus.fault === "corrupt") {
      return new ArchiveWriteError(
        operation,
        `the archive ${this.path} is damaged (${this.#writeStatus.cause}); stop the service and ` +
          `restore a backup with \`${RESTORE_COMMAND}\``,
      );
    }
    return undefined;
  }

  async #write<T>(
    operation: string,
    context: Record<string, unknown>,
    work: ((trx: Transaction<Database>) => Promise<T>) | BatchItem<T>,
  ): Promise<T> {
    const refusal = this.#refusal(operation);
    if (refusal) {
      this.#failedWrites++;
      throw refusal;
    }
    let value: T;
    try {
      value = await this.#runInGroup(operation, work);
    } catch (error) {
      if (error instanceof ArchiveInputError || error instanceof IdempotencyConflictError) {
        log.warning("{operation} refused: {error}", { operation, ...context, error });
        throw error;
      }
      this.#failedWrites++;
      if (error instanceof WriteLockTimeoutError) {
        log.warning("{operation} gave up waiting for the write lock after {waitedMs} ms", {
          operation,
          ...context,
          waitedMs: error.waitedMs,
        });
        throw new ArchiveBusyError(operation, error.waitedMs, { cause: error });
      }
      if (error instanceof CommitNotSyncedError) {
        this.#failing("sync", error.cause);
        log.error("{operation} was stored but not synced: {error}", {
          operation,
          ...context,
          error,
        });
        throw new ArchiveNotSyncedError(operation, error.value, error.cause);
      }
      const fault = this.#fault(error);
      if (fault === "busy") {
        // PostgreSQL: a lock another session held past the lock timeout (lock_timeout).
        log.warning("{operation} gave up waiting for a lock after {waitedMs} ms", {
          operation,
          ...context,
          waitedMs: this.#lockTimeoutMs,
        });
        throw new ArchiveBusyError(operation, this.#lockTimeoutMs, { cause: error });
      }
      if (fault) this.#failing(fault, error);
      log.error("{operation} failed: {error}", { operation, ...context, error });
      throw new ArchiveWriteError(operation, (error as Error).message, { cause: error });
    }
    this.#recovered();
    return value;
  }

  /**
   * Runs `work` in the next write group. A write that lost a deadlock (or a serialization
   * conflict) to another process runs again, whole, in a later group.
   */
  async #runInGroup<T>(
    operation: string,
    work: ((trx: Transaction<Database>) => Promise<T>) | BatchItem<T>,
  ): Promise<T> {
    for (let attempt = 1;; attempt++) {
      try {
        const commits = this.#commits;
        return await (typeof work === "function" ? commits.run(work) : work.join(commits));
      } catch (error) {
        if (attempt > CONFLICT_RETRIES || !this.#sql.isTransientConflict(error)) throw error;
        log.info("{operation} conflicted with another writer; retrying", { operation });
      }
    }
  }

  // ── Health ────────────────────────────────────────────────────────────────────────────────

  /** Database reachability, write status, schema version, failed writes and the last runs. */
  async health(): Promise<ArchiveHealth> {
    const base = {
      readOnly: this.readOnly,
      writes: this.#writeStatus,
      schemaVersion: SCHEMA_VERSION,
      failedWrites: this.#failedWrites,
    };
    try {
      await sql`SELECT 1`.execute(this.#db);
      const lastRuns = await this.lastRuns();
      const corrupt = this.#writeStatus.fault === "corrupt";
      return {
        ...base,
        writes: this.#writeStatus,
        database: corrupt ? "corrupt" : "ok",
        lastRuns,
        calendar: this.calendarHealth(),
        ...(corrupt ? { error: this.#writeStatus.cause } : {}),
      };
    } catch (error) {
      return {
        ...base,
        writes: this.#writeStatus,
        database: this.#writeStatus.fault === "corrupt" ? "corrupt" : "unreachable",
        lastRuns: {},
        calendar: this.calendarHealth(),
        error: (error as Error).message,
      };
    }
  }

  /**
   * How far the trading calendar is known, with a warning once today plus
   * {@link CALENDAR_WARNING_DAYS} lies beyond it: past that day weekdays are only assumed open.
   */
  calendarHealth(now: Date = this.#now()): CalendarHealth {
    const knownThrough = this.#calendar.knownThrough();
    const horizon = kstDate(now.getTime() + CALENDAR_WARNING_DAYS * 86_400_000);
    if (horizon <= knownThrough) return { knownThrough };
    return {
      knownThrough,
      warning: `the KRX trading calendar is known only through ${knownThrough}: later weekdays ` +
        "are assumed open and their holidays are not known. Use real KIS keys (KIS keeps the " +
        "calendar) or upgrade Archivist for a newer built-in calendar (src/calendar.ts).",
    };
  }

  // ── Trading calendar ──────────────────────────────────────────────────────────────────────

  /** Whether the market opens on `tradeDate`: KIS's calendar where stored, else the built-in one. */
  isTradingDay(tradeDate: string): boolean {
    return this.#calendar.isTradingDay(tradeDate);
  }

  /** The session of a trading day (open, closing auction and close in KST). */
  session(tradeDate: string): SessionShape {
    return this.#calendar.session(tradeDate);
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

  /**
   * The KST trading day an instant applies to: after that day's close (15:30, 16:30 on CSAT
   * days), the next trading day.
   */
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
      batchItem(this.#decisions, { entries, idempotency }),
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
      batchItem(this.#rejections, { entries, idempotency }),
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
  upsertMinuteBars(bars: readonly StockMinutePrice[]): Promise<WriteCounts> {
    const stocks = new Set(bars.map((b) => b.stock_code));
    return this.#write("upsertMinuteBars", { bars: bars.length, stocks: stocks.size }, (trx) => {
      bars.forEach(validateMinuteBar);
      return upsertMinuteBarsIn(trx, this.dialect, bars);
    });
  }

  /** One KST trading day's bars of a stock, ascending. */
  minuteBars(stockCode: string, tradeDate: string): Promise<StockMinutePriceRow[]> {
    return minuteBars(this.#db, stockCode, tradeDate);
  }

  /** Of `stockCodes`, those with at least one bar stored on the KST day `tradeDate`. */
  stocksWithMinuteBars(tradeDate: string, stockCodes: readonly string[]): Promise<Set<string>> {
    return stocksWithMinuteBars(this.#db, tradeDate, stockCodes);
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
   * read always equals the definitions); a cheap check when there are none. An archive that
   * refuses writes (read-only, damaged) is read as stored: entries without a row read as pending.
   */
  async refreshOutcomes(): Promise<number> {
    if (this.#refusal("refreshOutcomes") || !await outcomesBehind(this.#db, this.dialect)) {
      return 0;
    }
    return await this.#write(
      "refreshOutcomes",
      {},
      (trx) => catchUpOutcomesIn(trx, this.#outcomeContext),
    );
  }

  /**
   * {@link refreshOutcomes} before a read, which never waits for nor fails on it: while another
   * process holds the write lock (a SQLite browser with unsaved changes) the read does not wait
   * for it, and while writes fail (a full disk, a failed sync) the fault is in `/health` and the
   * log already. The read then serves what is stored, as on a read-only archive (an entry without
   * its outcome row reads as pending), and the catch-up is left to run once it can.
   */
  async #refreshBeforeRead(operation: string): Promise<void> {
    const refresh = this.refreshOutcomes();
    let stopWatching = () => {};
    const lockHeld = new Promise<typeof LOCK_HELD>((resolve) => {
      stopWatching = this.#commits.onLockHeldElsewhere(() => resolve(LOCK_HELD));
    });
    try {
      if (await Promise.race([refresh, lockHeld]) === LOCK_HELD) {
        // The catch-up goes on waiting for the lock; its outcome is logged by #write.
        refresh.catch(() => {});
        log.info("{operation} reads the outcomes as stored: another process holds the write lock", {
          operation,
        });
      }
    } catch (error) {
      const writesFail = error instanceof ArchiveBusyError ||
        error instanceof ArchiveNotSyncedError ||
        (error instanceof ArchiveWriteError && this.#writeStatus.status === "failing");
      if (!writesFail) throw error;
      log.warning("{operation} reads the outcomes as stored: {error}", {
        operation,
        error: (error as Error).message,
      });
    } finally {
      stopWatching();
    }
  }

  /** Decisions with their outcomes matching `filter` (and `finalDecision`), oldest first. */
  async listDecisionOutcomes(
    filter: OutcomeFilter & { readonly finalDecision?: DecisionRow["final_decision"] },
  ): Promise<Page<DecisionOutcome>> {
    await this.#refreshBeforeRead("listDecisionOutcomes");
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
    await this.#refreshBeforeRead("listRejectionOutcomes");
    return await listRejectionOutcomes(this.#db, { ...filter, thresholdPct });
  }

  /** The regret report of the rejections in `range` (all when open). */
  async regretReport(
    range: ReportRange & { readonly thresholdPct?: number } = {},
  ): Promise<RegretReport> {
    const thresholdPct = checkThreshold("regretReport", range.thresholdPct);
    await this.#refreshBeforeRead("regretReport");
    return await regretReport(this.#db, range, thresholdPct);
  }

  /** The scorecard of the decisions in `range` (all when open). */
  async scorecard(range: ReportRange = {}): Promise<Scorecard> {
    await this.#refreshBeforeRead("scorecard");
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
    await this.#refreshBeforeRead("dailyPacket");
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

  /** The shards (null: unsharded) of the runs still `running`. */
  runningRunShards(): Promise<(string | null)[]> {
    return runningRunShards(this.#db);
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

  /** Stored runs by job and status, each job's latest finished run and its last success. */
  runSummary(): Promise<RunSummary> {
    return runSummary(this.#db);
  }

  /** Of `tradeDates`, those on which `job` has a succeeded run. */
  succeededDates(job: CollectionJob, tradeDates: readonly string[]): Promise<Set<string>> {
    return succeededDates(this.#db, job, tradeDates);
  }

  // ── Retention ─────────────────────────────────────────────────────────────────────────────

  /**
   * Deletes idempotency records and finished runs older than `cutoffs.before`, and minute bars
   * older than `cutoffs.minuteBarsBefore` when given, in batches of small transactions.
   */
  async prune(cutoffs: PruneCutoffs): Promise<PruneReport> {
    let total: PruneReport = { idempotencyRecords: 0, runs: 0, minuteBars: 0 };
    for (;;) {
      const batch = await this.#write(
        "prune",
        { before: cutoffs.before.toISOString() },
        (trx) => pruneBatchIn(trx, cutoffs),
      );
      total = {
        idempotencyRecords: total.idempotencyRecords + batch.idempotencyRecords,
        runs: total.runs + batch.runs,
        minuteBars: total.minuteBars + batch.minuteBars,
      };
      const full = Math.max(batch.idempotencyRecords, batch.runs, batch.minuteBars);
      if (full < PRUNE_BATCH_ROWS) return total;
    }
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

  /** The names of the leases held now (not expired), on the database's clock. */
  liveLeases(): Promise<string[]> {
    // A transaction of its own: PostgreSQL's clock is read inside it.
    return this.#write("liveLeases", {}, (trx) => liveLeasesIn(trx, this.#sql));
  }

  /** Who holds the lease `name` now, if anyone (its expiry aside). */
  leaseHolder(name: string): Promise<string | undefined> {
    return leaseHolder(this.#db, name);
  }

  /** Takes the lease from `gone`, a holder found dead; false when another took it meanwhile. */
  takeOverLease(name: string, gone: string, holder: string, ttlMs: number): Promise<boolean> {
    return this.#write(
      "takeOverLease",
      { name, gone, holder },
      (trx) => takeOverLeaseIn(trx, this.#sql, name, gone, holder, ttlMs),
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
  async browseDecisions(
    filter: EntryBrowseFilter & { readonly finalDecision?: DecisionRow["final_decision"] },
  ): Promise<EntryBrowsePage<DecisionRow>> {
    if (filter.outcomeStatus) await this.#refreshBeforeRead("browseDecisions");
    return await browseEntries(
      this.#db,
      "browseDecisions",
      "llm_decision_ledger",
      "decided_at",
      filter,
      ["final_decision", filter.finalDecision],
    );
  }

  /** One numbered page of rejections, newest first, with the number matching. */
  async browseRejections(
    filter: EntryBrowseFilter & {
      readonly rejectionStage?: NonNullable<ShadowRadarRow["rejection_stage"]>;
    },
  ): Promise<EntryBrowsePage<ShadowRadarRow>> {
    if (filter.outcomeStatus) await this.#refreshBeforeRead("browseRejections");
    return await browseEntries(
      this.#db,
      "browseRejections",
      "shadow_radar_log",
      "logged_at",
      filter,
      ["rejection_stage", filter.rejectionStage],
    );
  }

  /** The outcomes of the decisions `logIds` (e.g. a page's), keyed by `log_id`. */
  async decisionOutcomesOf(logIds: readonly number[]): Promise<Map<number, DecisionOutcome>> {
    await this.#refreshBeforeRead("decisionOutcomesOf");
    return await decisionOutcomesOf(this.#db, logIds);
  }

  /**
   * The outcomes of the rejections `logIds`, keyed by `log_id`; `regret` at `thresholdPct`
   * (default {@link DEFAULT_REGRET_THRESHOLD_PCT}).
   */
  async rejectionOutcomesOf(
    logIds: readonly number[],
    options: { readonly thresholdPct?: number } = {},
  ): Promise<Map<number, RejectionOutcome>> {
    const thresholdPct = checkThreshold("rejectionOutcomesOf", options.thresholdPct);
    await this.#refreshBeforeRead("rejectionOutcomesOf");
    return await rejectionOutcomesOf(this.#db, logIds, thresholdPct);
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
