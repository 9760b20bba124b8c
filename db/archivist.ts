/**
 * The Archivist: the one way in to the archive. Every write of every kind (decisions, rejections,
 * flow snapshots, minute bars, watchlist, collection runs) goes through a typed method here, runs
 * in one transaction, and reports what it did. A failing write reaches the caller as a typed error,
 * is logged with its context and counted for `/health`; it never takes the process down.
 *
 * @module
 */
import { type Kysely, sql, type Transaction } from "kysely";
import { isKrxTradingDay, nextTradingDay } from "../src/calendar.ts";
import { getLogger } from "../src/log.ts";
import {
  addDays,
  isTradeDate,
  KST_OFFSET_MS,
  kstDate,
  kstInstant,
  SESSION_CLOSE_KST,
} from "../src/time.ts";
import type { DecisionEntry, RejectionEntry, WatchlistEntry } from "./entries.ts";
import { ArchiveInputError, ArchiveWriteError, IdempotencyConflictError } from "./errors.ts";
import {
  decisionRow,
  type EntryStamp,
  type EntryTable,
  type InsertedEntry,
  insertEntryRow,
  rejectionRow,
} from "./entry_rows.ts";
import { GroupCommit } from "./group_commit.ts";
import { migrateToLatest, type MigrationOutcome, SCHEMA_VERSION } from "./migrations.ts";
import { upsertMinuteBarsIn, validateMinuteBar } from "./minute_bars.ts";
import {
  type CollectionJob,
  type CollectionRunRow,
  type Database,
  type DecisionRow,
  type FinalDecision,
  FLOW_VALUE_COLUMNS,
  type FlowSnapshot,
  type FlowSnapshotRow,
  type MinuteBar,
  type MinuteBarRow,
  type RunStatus,
  type RunTrigger,
  type ShadowRadarRow,
  type WatchlistRow,
} from "./schema.ts";
import { openKysely, type StatementRunner, syncWriteAheadLog } from "./sqlite.ts";
import { NO_WRITES, type WriteCounts } from "./write_counts.ts";

export type { WriteCounts } from "./write_counts.ts";

const log = getLogger("archive");

const DAY_MS = 86_400_000;
/** Minute of the KST day at which the session closes (15:30 → 930). */
const CLOSE_MINUTE_KST = SESSION_CLOSE_KST.split(":").reduce((h, m) => +h * 60 + +m, 0);

/** The stored ids of one logged batch, and whether it was a replay of an earlier request. */
export interface LoggedEntries {
  /** `log_id` of each entry, in request order. */
  readonly ids: readonly number[];
  /** The KST trading day each entry applies to, in request order. */
  readonly tradeDates: readonly string[];
  /** True when the answer is the stored one of an earlier request with the same key. */
  readonly replayed: boolean;
}

/** Request-level idempotency: the key and a fingerprint of the request it belongs to. */
export interface IdempotencyOptions {
  /** The client's `Idempotency-Key`. */
  readonly key: string;
  /** A digest of the canonical request; the same key with another fingerprint is a conflict. */
  readonly fingerprint: string;
}

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

/** One page of a listing, oldest first, with the cursor of the next page (null at the end). */
export interface Page<T> {
  readonly items: readonly T[];
  readonly nextCursor: string | null;
}

/** A collection run as started by a collector. */
export interface RunStart {
  readonly job: CollectionJob;
  readonly tradeDate: string;
  readonly trigger: RunTrigger;
  readonly stocksTotal: number;
}

/** How a collection run ended. */
export interface RunOutcome {
  readonly status: Exclude<RunStatus, "running">;
  readonly reason?: string | null;
  readonly stocksDone: number;
  readonly stocksFailed: number;
  readonly rowsWritten: number;
  readonly kisCalls: number;
}

/** A collection run with the stocks that failed in it. */
export interface CollectionRunReport extends CollectionRunRow {
  readonly failures: readonly { readonly stock_code: string; readonly error: string }[];
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
  /** The clock, for receipt times and trade dates (tests pin it). */
  readonly now?: () => Date;
  /** When a write resolves; default `normal`. */
  readonly sync?: SyncMode;
}

function encodeCursor(logId: number): string {
  return btoa(`log:${logId}`).replaceAll("=", "");
}

function decodeCursor(operation: string, cursor: string): number {
  try {
    const match = /^log:(\d+)$/.exec(atob(cursor));
    if (match) return Number(match[1]);
  } catch {
    // Not base64: reported below like any other bad cursor.
  }
  throw new ArchiveInputError(operation, "expected the nextCursor of a previous page", "cursor");
}

function instantBound(operation: string, field: string, value: string, end: boolean): string {
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

/**
 * The archive over one SQLite file. Open it with {@link Archivist.open}; close it with
 * {@link Archivist.close} (or `await using`).
 */
export class Archivist implements AsyncDisposable {
  /** The database file. */
  readonly path: string;
  /** What opening did to the schema. */
  readonly migration: MigrationOutcome;
  readonly #db: Kysely<Database>;
  readonly #commits: GroupCommit<Database>;
  readonly #run: StatementRunner;
  readonly #now: () => Date;
  #failedWrites = 0;
  #calendar = new Map<string, boolean>();
  /** `tradeDateFor` answers by KST day and side of the close; cleared when the calendar changes. */
  readonly #tradeDates = new Map<number, string>();

  private constructor(
    path: string,
    opened: ReturnType<typeof openKysely<Database>>,
    migration: MigrationOutcome,
    options: ArchivistOptions,
  ) {
    this.path = path;
    this.#db = opened.db;
    this.#run = opened.sqlite.runInTransaction;
    this.#commits = new GroupCommit(
      opened.db,
      options.sync === "full" && path !== ":memory:" ? () => syncWriteAheadLog(path) : undefined,
    );
    this.migration = migration;
    this.#now = options.now ?? (() => new Date());
  }

  /**
   * Opens (creating when missing) the archive at `path` and migrates it to the latest schema.
   * Throws `SchemaTooNewError` when the file was written by a newer Archivist.
   */
  static async open(path: string, options: ArchivistOptions = {}): Promise<Archivist> {
    if (path !== ":memory:") {
      const dir = path.replace(/[/\\][^/\\]*$/, "");
      if (dir !== path) await Deno.mkdir(dir, { recursive: true });
    }
    const opened = openKysely<Database>(path);
    const { db } = opened;
    try {
      const migration = await migrateToLatest(db as Kysely<unknown>, path);
      const archivist = new Archivist(path, opened, migration, options);
      await archivist.#loadCalendar();
      return archivist;
    } catch (error) {
      await db.destroy();
      throw error;
    }
  }

  /** Writes that failed since the archive was opened (refused input is not counted). */
  get failedWrites(): number {
    return this.#failedWrites;
  }

  /** Closes the database after the writes in flight have committed. */
  async close(): Promise<void> {
    await this.#commits.idle();
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
      return await this.#commits.run(work);
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

  async #loadCalendar(): Promise<void> {
    const rows = await this.#db.selectFrom("market_calendar").select(["trade_date", "is_open"])
      .execute();
    this.#calendar = new Map(rows.map((r) => [r.trade_date, r.is_open === 1]));
    this.#tradeDates.clear();
  }

  /** Whether the market opens on `tradeDate`: KIS's calendar where stored, else the built-in one. */
  isTradingDay(tradeDate: string): boolean {
    return this.#calendar.get(tradeDate) ?? isKrxTradingDay(tradeDate);
  }

  /** Whether KIS's calendar for `tradeDate` is stored. */
  hasCalendarDay(tradeDate: string): boolean {
    return this.#calendar.has(tradeDate);
  }

  /** When the stored calendar was last fetched from KIS (UTC ISO), or null. */
  async calendarFetchedAt(): Promise<string | null> {
    const row = await this.#db.selectFrom("market_calendar")
      .select((eb) => eb.fn.max("fetched_at").as("fetched_at")).executeTakeFirst();
    return row?.fetched_at ?? null;
  }

  /** Stores KIS's open/closed days (CTCA0903R), replacing what was known of those dates. */
  async saveMarketCalendar(
    days: readonly { tradeDate: string; isOpen: boolean }[],
  ): Promise<WriteCounts> {
    const counts = await this.#write("saveMarketCalendar", { days: days.length }, async (trx) => {
      const fetchedAt = this.#now().toISOString();
      let written = NO_WRITES;
      for (const day of days) {
        if (!isTradeDate(day.tradeDate)) {
          throw new ArchiveInputError("saveMarketCalendar", "expected YYYY-MM-DD", "tradeDate");
        }
        const known = this.#calendar.get(day.tradeDate);
        await trx.insertInto("market_calendar")
          .values({ trade_date: day.tradeDate, is_open: day.isOpen ? 1 : 0, fetched_at: fetchedAt })
          .onConflict((oc) =>
            oc.column("trade_date").doUpdateSet({
              is_open: day.isOpen ? 1 : 0,
              fetched_at: fetchedAt,
            })
          ).execute();
        written = {
          inserted: written.inserted + (known === undefined ? 1 : 0),
          updated: written.updated + (known !== undefined && known !== day.isOpen ? 1 : 0),
          unchanged: written.unchanged + (known === day.isOpen ? 1 : 0),
        };
      }
      return written;
    });
    for (const day of days) this.#calendar.set(day.tradeDate, day.isOpen);
    this.#tradeDates.clear();
    return counts;
  }

  /** The KST trading day an instant applies to: after the 15:30 close, the next trading day. */
  tradeDateFor(instant: Date): string {
    const kstMs = instant.getTime() + KST_OFFSET_MS;
    const minuteOfDay = Math.floor((kstMs % DAY_MS) / 60_000);
    const afterClose = minuteOfDay >= CLOSE_MINUTE_KST;
    const key = Math.floor(kstMs / DAY_MS) * 2 + (afterClose ? 1 : 0);
    let tradeDate = this.#tradeDates.get(key);
    if (tradeDate === undefined) {
      const date = kstDate(instant);
      const isOpen = (d: string) => this.isTradingDay(d);
      tradeDate = isOpen(date) && !afterClose ? date : nextTradingDay(date, isOpen);
      this.#tradeDates.set(key, tradeDate);
    }
    return tradeDate;
  }

  // ── Decisions and rejections ──────────────────────────────────────────────────────────────

  async #replay(
    trx: Transaction<Database>,
    scope: string,
    idempotency: IdempotencyOptions | undefined,
  ): Promise<LoggedEntries | undefined> {
    if (!idempotency) return undefined;
    const stored = await trx.selectFrom("idempotent_request").select(["fingerprint", "response"])
      .where("scope", "=", scope).where("idempotency_key", "=", idempotency.key)
      .executeTakeFirst();
    if (!stored) return undefined;
    if (stored.fingerprint !== idempotency.fingerprint) {
      throw new IdempotencyConflictError(idempotency.key);
    }
    return { ...JSON.parse(stored.response), replayed: true };
  }

  async #remember(
    trx: Transaction<Database>,
    scope: string,
    idempotency: IdempotencyOptions | undefined,
    result: LoggedEntries,
  ): Promise<void> {
    if (!idempotency) return;
    await trx.insertInto("idempotent_request").values({
      idempotency_key: idempotency.key,
      scope,
      fingerprint: idempotency.fingerprint,
      response: JSON.stringify({ ids: result.ids, tradeDates: result.tradeDates }),
      created_at: this.#now().toISOString(),
    }).execute();
  }

  #entryKey(
    entry: { idempotency_key?: string | null },
    index: number,
    total: number,
    key?: string,
  ) {
    if (entry.idempotency_key) return entry.idempotency_key;
    if (!key) return null;
    return total === 1 ? key : `${key}#${index}`;
  }

  async #logEntries<Entry extends { idempotency_key?: string | null }>(
    operation: string,
    scope: string,
    entries: readonly Entry[],
    idempotency: IdempotencyOptions | undefined,
    happenedAt: (entry: Entry) => string | undefined,
    insert: (trx: Transaction<Database>, entry: Entry, stamp: EntryStamp) => Promise<InsertedEntry>,
  ): Promise<LoggedEntries> {
    return await this.#write(operation, { entries: entries.length }, async (trx) => {
      const replay = await this.#replay(trx, scope, idempotency);
      if (replay) return replay;
      const receivedAt = this.#now();
      const receivedIso = receivedAt.toISOString();
      const ids: number[] = [];
      const tradeDates: string[] = [];
      for (const [index, entry] of entries.entries()) {
        const at = happenedAt(entry);
        const instant = at ? new Date(at) : receivedAt;
        const row = await insert(trx, entry, {
          idempotencyKey: this.#entryKey(entry, index, entries.length, idempotency?.key),
          happenedAt: at ? instant.toISOString() : receivedIso,
          receivedAt: receivedIso,
          tradeDate: this.tradeDateFor(instant),
        });
        ids.push(row.log_id);
        tradeDates.push(row.trade_date);
      }
      const result = { ids, tradeDates, replayed: false };
      await this.#remember(trx, scope, idempotency, result);
      return result;
    });
  }

  /**
   * Logs Judge decisions, all or nothing. With `idempotency`, a repeat of the same request returns
   * the first answer and writes nothing; the same key with another request is a conflict. An entry
   * whose own `idempotency_key` is already stored keeps its first row.
   */
  logDecisions(
    entries: readonly DecisionEntry[],
    idempotency?: IdempotencyOptions,
  ): Promise<LoggedEntries> {
    return this.#logEntries(
      "logDecisions",
      "decisions",
      entries,
      idempotency,
      (entry) => entry.decided_at,
      (trx, entry, stamp) =>
        insertEntryRow(trx, this.#run, "llm_decision_ledger", decisionRow(entry, stamp)),
    );
  }

  /** Logs rejected candidates, all or nothing; idempotency as in {@link logDecisions}. */
  logRejections(
    entries: readonly RejectionEntry[],
    idempotency?: IdempotencyOptions,
  ): Promise<LoggedEntries> {
    return this.#logEntries(
      "logRejections",
      "shadow-radar",
      entries,
      idempotency,
      (entry) => entry.logged_at,
      (trx, entry, stamp) =>
        insertEntryRow(trx, this.#run, "shadow_radar_log", rejectionRow(entry, stamp)),
    );
  }

  /** Decisions matching `filter` (and `finalDecision`), oldest first, one page at a time. */
  listDecisions(
    filter: EntryFilter & { readonly finalDecision?: DecisionRow["final_decision"] },
  ): Promise<Page<DecisionRow>> {
    return this.#listEntries("listDecisions", "llm_decision_ledger", "decided_at", filter, [
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
    return this.#listEntries("listRejections", "shadow_radar_log", "logged_at", filter, [
      "rejection_stage",
      filter.rejectionStage,
    ]);
  }

  async #listEntries<Row extends { log_id: number }>(
    operation: string,
    table: EntryTable,
    timeColumn: "decided_at" | "logged_at",
    filter: EntryFilter,
    [kindColumn, kind]: readonly ["final_decision" | "rejection_stage", string | undefined],
  ): Promise<Page<Row>> {
    const limit = this.#limit(operation, filter.limit);
    // Both entry tables share every filtered column but the time and the kind: one typed query.
    const db = this.#db as unknown as Kysely<Pick<Database, "llm_decision_ledger">>;
    const time = timeColumn as "decided_at";
    let query = db.selectFrom(table as "llm_decision_ledger").selectAll().orderBy("log_id")
      .limit(limit + 1);
    if (filter.cursor) query = query.where("log_id", ">", decodeCursor(operation, filter.cursor));
    if (filter.stockCode) query = query.where("stock_code", "=", filter.stockCode);
    if (filter.tradeDate) query = query.where("trade_date", "=", filter.tradeDate);
    if (kind) query = query.where(kindColumn as "final_decision", "=", kind as FinalDecision);
    if (filter.from) {
      query = query.where(time, ">=", instantBound(operation, "from", filter.from, false));
    }
    if (filter.to) query = query.where(time, "<", instantBound(operation, "to", filter.to, true));
    return this.#page(await query.execute() as unknown as Row[], limit);
  }

  #limit(operation: string, limit = 100): number {
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
      throw new ArchiveInputError(operation, "expected an integer from 1 to 1000", "limit");
    }
    return limit;
  }

  #page<T extends { log_id: number }>(rows: T[], limit: number): Page<T> {
    const items = rows.slice(0, limit);
    return {
      items,
      nextCursor: rows.length > limit ? encodeCursor(items[items.length - 1].log_id) : null,
    };
  }

  // ── Collected market data ─────────────────────────────────────────────────────────────────

  /** Upserts minute bars in one transaction; identical bars are left untouched. */
  upsertMinuteBars(bars: readonly MinuteBar[]): Promise<WriteCounts> {
    const stocks = new Set(bars.map((b) => b.stock_code));
    return this.#write("upsertMinuteBars", { bars: bars.length, stocks: stocks.size }, (trx) => {
      bars.forEach(validateMinuteBar);
      return upsertMinuteBarsIn(trx, bars);
    });
  }

  /** One KST trading day's bars of a stock, ascending. */
  minuteBars(stockCode: string, tradeDate: string): Promise<MinuteBarRow[]> {
    const start = kstInstant(tradeDate).getTime() / 1000;
    return this.#db.selectFrom("stock_minute_price").selectAll()
      .where("stock_code", "=", stockCode)
      .where("bar_time", ">=", start).where("bar_time", "<", start + 86_400)
      .orderBy("bar_time").execute();
  }

  /** Upserts daily flow rows keyed by (stock, trade date, data type), in one transaction. */
  upsertFlowSnapshots(snapshots: readonly FlowSnapshot[]): Promise<WriteCounts> {
    return this.#write("upsertFlowSnapshots", { rows: snapshots.length }, async (trx) => {
      let inserted = 0, updated = 0, unchanged = 0;
      const updatedAt = this.#now().toISOString();
      for (const [index, snapshot] of snapshots.entries()) {
        const dataType = snapshot.data_type ?? "DAILY";
        if (!isTradeDate(snapshot.trade_date)) {
          throw new ArchiveInputError(
            "upsertFlowSnapshots",
            "expected a KST date YYYY-MM-DD",
            `snapshots[${index}].trade_date`,
          );
        }
        for (const column of FLOW_VALUE_COLUMNS) {
          const value = snapshot[column];
          if (value !== null && value !== undefined && !Number.isSafeInteger(value)) {
            throw new ArchiveInputError(
              "upsertFlowSnapshots",
              `expected an integer or null, got ${value}`,
              `snapshots[${index}].${column}`,
            );
          }
        }
        const existing = await trx.selectFrom("market_flow_snapshot").select(FLOW_VALUE_COLUMNS)
          .where("stock_code", "=", snapshot.stock_code)
          .where("trade_date", "=", snapshot.trade_date)
          .where("data_type", "=", dataType).executeTakeFirst();
        const values = Object.fromEntries(
          FLOW_VALUE_COLUMNS.map((c) => [c, snapshot[c] ?? null]),
        ) as Record<typeof FLOW_VALUE_COLUMNS[number], number | null>;
        if (!existing) {
          await trx.insertInto("market_flow_snapshot").values({
            stock_code: snapshot.stock_code,
            trade_date: snapshot.trade_date,
            data_type: dataType,
            ...values,
            created_at: updatedAt,
            updated_at: updatedAt,
          }).execute();
          inserted++;
        } else if (FLOW_VALUE_COLUMNS.some((c) => existing[c] !== values[c])) {
          await trx.updateTable("market_flow_snapshot").set({ ...values, updated_at: updatedAt })
            .where("stock_code", "=", snapshot.stock_code)
            .where("trade_date", "=", snapshot.trade_date)
            .where("data_type", "=", dataType).execute();
          updated++;
        } else {
          unchanged++;
        }
      }
      return { inserted, updated, unchanged };
    });
  }

  /** Daily flow rows of a stock between two KST dates (inclusive), ascending. */
  flowSnapshots(stockCode: string, from: string, to: string): Promise<FlowSnapshotRow[]> {
    return this.#db.selectFrom("market_flow_snapshot").selectAll()
      .where("stock_code", "=", stockCode).where("data_type", "=", "DAILY")
      .where("trade_date", ">=", from).where("trade_date", "<=", to)
      .orderBy("trade_date").execute();
  }

  // ── Watchlist ─────────────────────────────────────────────────────────────────────────────

  /** The watchlist, active entries only unless `includeInactive`. */
  watchlist(options: { includeInactive?: boolean } = {}): Promise<WatchlistRow[]> {
    let query = this.#db.selectFrom("watchlist").selectAll().orderBy("stock_code");
    if (!options.includeInactive) query = query.where("is_active", "=", 1);
    return query.execute();
  }

  /** Adds or re-activates entries (a given name replaces the stored one). */
  addToWatchlist(entries: readonly WatchlistEntry[]): Promise<WriteCounts> {
    return this.#write(
      "addToWatchlist",
      { entries: entries.length },
      (trx) => this.#upsertWatchlist(trx, entries),
    );
  }

  /** Makes exactly `entries` the active watchlist; others stay stored but inactive. */
  replaceWatchlist(
    entries: readonly WatchlistEntry[],
  ): Promise<WriteCounts & { deactivated: number }> {
    return this.#write("replaceWatchlist", { entries: entries.length }, async (trx) => {
      const codes = entries.map((e) => e.stock_code);
      let deactivate = trx.updateTable("watchlist")
        .set({ is_active: 0, updated_at: this.#now().toISOString() }).where("is_active", "=", 1);
      if (codes.length > 0) deactivate = deactivate.where("stock_code", "not in", codes);
      const result = await deactivate.executeTakeFirst();
      const counts = await this.#upsertWatchlist(trx, entries);
      return { ...counts, deactivated: Number(result.numUpdatedRows) };
    });
  }

  /** Deactivates entries; returns how many were active. */
  removeFromWatchlist(stockCodes: readonly string[]): Promise<number> {
    return this.#write("removeFromWatchlist", { codes: stockCodes.length }, async (trx) => {
      if (stockCodes.length === 0) return 0;
      const result = await trx.updateTable("watchlist")
        .set({ is_active: 0, updated_at: this.#now().toISOString() })
        .where("stock_code", "in", stockCodes).where("is_active", "=", 1).executeTakeFirst();
      return Number(result.numUpdatedRows);
    });
  }

  async #upsertWatchlist(
    trx: Transaction<Database>,
    entries: readonly WatchlistEntry[],
  ): Promise<WriteCounts> {
    let inserted = 0, updated = 0, unchanged = 0;
    const now = this.#now().toISOString();
    for (const entry of new Map(entries.map((e) => [e.stock_code, e])).values()) {
      const existing = await trx.selectFrom("watchlist").select(["stock_name", "is_active"])
        .where("stock_code", "=", entry.stock_code).executeTakeFirst();
      const name = entry.stock_name ?? existing?.stock_name ?? null;
      if (!existing) {
        await trx.insertInto("watchlist").values({
          stock_code: entry.stock_code,
          stock_name: name,
          is_active: 1,
          added_at: now,
          updated_at: now,
        }).execute();
        inserted++;
      } else if (existing.is_active !== 1 || existing.stock_name !== name) {
        await trx.updateTable("watchlist").set({ stock_name: name, is_active: 1, updated_at: now })
          .where("stock_code", "=", entry.stock_code).execute();
        updated++;
      } else {
        unchanged++;
      }
    }
    return { inserted, updated, unchanged };
  }

  /**
   * The stocks to collect for `tradeDate`: the active watchlist, every stock rejected in the 7
   * days up to that day, and `extraCodes`; deduplicated, sorted.
   */
  async collectionTargets(
    tradeDate: string,
    extraCodes: readonly string[] = [],
  ): Promise<string[]> {
    const watched = await this.#db.selectFrom("watchlist").select("stock_code")
      .where("is_active", "=", 1).execute();
    const rejected = await this.#db.selectFrom("shadow_radar_log").select("stock_code").distinct()
      .where("logged_at", ">=", kstInstant(addDays(tradeDate, -7)).toISOString())
      .where("logged_at", "<", kstInstant(addDays(tradeDate, 1)).toISOString())
      .execute();
    return [
      ...new Set([...watched, ...rejected].map((r) => r.stock_code).concat(extraCodes)),
    ].sort();
  }

  // ── Collection runs ───────────────────────────────────────────────────────────────────────

  /** Records the start of a collection run; returns its id. */
  startRun(start: RunStart): Promise<string> {
    return this.#write("startRun", { ...start }, async (trx) => {
      const runId = crypto.randomUUID();
      await trx.insertInto("collection_run").values({
        run_id: runId,
        job: start.job,
        trade_date: start.tradeDate,
        status: "running",
        reason: null,
        trigger: start.trigger,
        started_at: this.#now().toISOString(),
        finished_at: null,
        stocks_total: start.stocksTotal,
      }).execute();
      return runId;
    });
  }

  /** Records a stock that failed in a run, as it happens (so a crash loses nothing). */
  recordRunFailure(runId: string, stockCode: string, error: string): Promise<void> {
    return this.#write("recordRunFailure", { runId, stockCode }, async (trx) => {
      await trx.insertInto("collection_run_failure").values({
        run_id: runId,
        stock_code: stockCode,
        error,
      })
        .onConflict((oc) => oc.columns(["run_id", "stock_code"]).doUpdateSet({ error })).execute();
    });
  }

  /** Records a stock's progress within a running run. */
  recordRunProgress(
    runId: string,
    progress: Pick<RunOutcome, "stocksDone" | "stocksFailed" | "rowsWritten" | "kisCalls">,
  ): Promise<void> {
    return this.#write("recordRunProgress", { runId }, async (trx) => {
      await trx.updateTable("collection_run").set({
        stocks_done: progress.stocksDone,
        stocks_failed: progress.stocksFailed,
        rows_written: progress.rowsWritten,
        kis_calls: progress.kisCalls,
      }).where("run_id", "=", runId).execute();
    });
  }

  /** Records how a run ended. */
  finishRun(runId: string, outcome: RunOutcome): Promise<void> {
    return this.#write("finishRun", { runId, status: outcome.status }, async (trx) => {
      const result = await trx.updateTable("collection_run").set({
        status: outcome.status,
        reason: outcome.reason ?? null,
        finished_at: this.#now().toISOString(),
        stocks_done: outcome.stocksDone,
        stocks_failed: outcome.stocksFailed,
        rows_written: outcome.rowsWritten,
        kis_calls: outcome.kisCalls,
      }).where("run_id", "=", runId).executeTakeFirst();
      if (Number(result.numUpdatedRows) !== 1) {
        throw new ArchiveInputError("finishRun", `no run ${runId}`, "runId");
      }
    });
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

  /** Marks runs left `running` by a process that died as failed (call while holding the lease). */
  markInterruptedRuns(): Promise<number> {
    return this.#write("markInterruptedRuns", {}, async (trx) => {
      const result = await trx.updateTable("collection_run").set({
        status: "failed",
        reason: "interrupted: the process ended before the run finished",
        finished_at: this.#now().toISOString(),
      }).where("status", "=", "running").executeTakeFirst();
      return Number(result.numUpdatedRows);
    });
  }

  /** Recent runs, newest first, with their failed stocks. */
  async listRuns(
    options: { limit?: number; job?: CollectionJob; tradeDate?: string } = {},
  ): Promise<CollectionRunReport[]> {
    const limit = this.#limit("listRuns", options.limit ?? 50);
    let query = this.#db.selectFrom("collection_run").selectAll()
      .orderBy("started_at", "desc").orderBy(sql`rowid`, "desc").limit(limit);
    if (options.job) query = query.where("job", "=", options.job);
    if (options.tradeDate) query = query.where("trade_date", "=", options.tradeDate);
    const runs = await query.execute();
    if (runs.length === 0) return [];
    const failures = await this.#db.selectFrom("collection_run_failure").selectAll()
      .where("run_id", "in", runs.map((r) => r.run_id)).orderBy("stock_code").execute();
    return runs.map((run) => ({
      ...run,
      failures: failures.filter((f) => f.run_id === run.run_id)
        .map(({ stock_code, error }) => ({ stock_code, error })),
    }));
  }

  /** The latest run of each job. */
  async lastRuns(): Promise<Partial<Record<CollectionJob, CollectionRunRow>>> {
    // rowid orders runs by insertion, which breaks ties between equal start instants.
    const runs = await this.#db.selectFrom("collection_run").selectAll()
      .where(sql<boolean>`rowid IN (SELECT max(rowid) FROM collection_run GROUP BY job)`)
      .execute();
    return Object.fromEntries(runs.map((r) => [r.job, r]));
  }

  /** Of `tradeDates`, those on which `job` has a succeeded run. */
  async succeededDates(job: CollectionJob, tradeDates: readonly string[]): Promise<Set<string>> {
    if (tradeDates.length === 0) return new Set();
    const rows = await this.#db.selectFrom("collection_run").select("trade_date").distinct()
      .where("job", "=", job).where("status", "=", "succeeded")
      .where("trade_date", "in", tradeDates).execute();
    return new Set(rows.map((r) => r.trade_date));
  }

  // ── Lease (one collection at a time across processes) ─────────────────────────────────────

  /** Takes the lease `name` for `holder` unless another holder's lease is still valid. */
  acquireLease(name: string, holder: string, ttlMs: number): Promise<boolean> {
    return this.#write("acquireLease", { name, holder }, async (trx) => {
      const now = Date.now();
      await trx.insertInto("collection_lease").values({ name, holder, expires_at: now + ttlMs })
        .onConflict((oc) =>
          oc.column("name").doUpdateSet({ holder, expires_at: now + ttlMs })
            .where((eb) =>
              eb.or([
                eb("collection_lease.expires_at", "<", now),
                eb("collection_lease.holder", "=", holder),
              ])
            )
        ).execute();
      const lease = await trx.selectFrom("collection_lease").select("holder").where(
        "name",
        "=",
        name,
      )
        .executeTakeFirstOrThrow();
      return lease.holder === holder;
    });
  }

  /** Extends a held lease; false when it was lost to another holder. */
  renewLease(name: string, holder: string, ttlMs: number): Promise<boolean> {
    return this.#write("renewLease", { name, holder }, async (trx) => {
      const result = await trx.updateTable("collection_lease").set({
        expires_at: Date.now() + ttlMs,
      })
        .where("name", "=", name).where("holder", "=", holder).executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    });
  }

  /** Gives a held lease back. */
  releaseLease(name: string, holder: string): Promise<void> {
    return this.#write("releaseLease", { name, holder }, async (trx) => {
      await trx.deleteFrom("collection_lease").where("name", "=", name).where("holder", "=", holder)
        .execute();
    });
  }
}
