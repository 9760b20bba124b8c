/**
 * One collection run: the job of one trade date over its targets, recorded in `collection_run`.
 *
 * A run first checks the day (market closed, data not final yet, a day the KIS environment cannot
 * serve, no targets: recorded as skipped with the reason), then takes the collection lease, skips
 * the stocks whose data of the day is already stored (unless asked to refetch), and collects the
 * rest with enough stocks at once to keep the client's pacer busy. A stock's failure is recorded
 * as it happens and never stops the others.
 *
 * A run never records an incomplete day as succeeded. Today's minute bars are written only once
 * every stock is in and the session proven over: bars after the expected close mean it ran late,
 * and such a day counts as final only once its newest bar is {@link LATE_SESSION_SETTLE_MINUTES}
 * old; until then the run is recorded as skipped ("not final yet") and nothing is stored. A run
 * stopped by the caller's signal (the service shutting down) finishes the stocks in flight and is
 * recorded as interrupted; the next run collects what it left.
 *
 * @module
 */
import type { Archivist, WriteCounts } from "../db/archivist.ts";
import type { CollectionJob, RunStatus, RunTrigger } from "../db/schema.ts";
import { addCounts, NO_WRITES } from "../db/write_counts.ts";
import { KisCredentialsError, KisUnsupportedError } from "../src/kis/mod.ts";
import { getLogger } from "../src/log.ts";
import { closeOf, type SessionShape } from "../src/session.ts";
import { kstDate, kstIso, kstTime } from "../src/time.ts";
import { CalendarRefresher } from "./calendar.ts";
import type { CollectorClient } from "./client.ts";
import { isReady, readyKst } from "./dates.ts";
import { type JobContext, JOBS, jobTargets, noTargetsReason } from "./jobs.ts";
import {
  acquireCollectionLease,
  type CollectionLease,
  LEASE_BUSY_REASON,
  LEASE_STOPPED_REASON,
  type LeaseOptions,
  ShardLayoutError,
} from "./lease.ts";
import { forEachConcurrent } from "./pool.ts";
import { type Shard, shardLabel } from "./shard.ts";
import { DayNotFinalError, type StockResult } from "./stock_result.ts";

const log = getLogger("collect");

/** Stocks collected at once at least; more when the rate limit allows (one per request/s). */
export const DEFAULT_CONCURRENCY = 4;

/** Minutes a late session's newest bar must be old before the day counts as over. */
export const LATE_SESSION_SETTLE_MINUTES = 10;

/** Stocks collected at once for a client: enough to keep its pacer's window full. */
export function defaultConcurrency(client: Pick<CollectorClient, "rateLimit">): number {
  return Math.max(DEFAULT_CONCURRENCY, Math.ceil(client.rateLimit));
}

/** A run as it starts. */
export interface RunInfo {
  readonly runId: string;
  readonly job: CollectionJob;
  readonly tradeDate: string;
  readonly trigger: RunTrigger;
  readonly stocksTotal: number;
}

/** Progress after each stock of a run. */
export interface StockProgress extends RunInfo {
  /** The stock just finished. */
  readonly stockCode: string;
  /** Its error, when it failed. */
  readonly error?: string;
  /** Why it needed no data or no call (halted, already stored). */
  readonly note?: string;
  readonly stocksDone: number;
  readonly stocksFailed: number;
  readonly rowsWritten: number;
  readonly kisCalls: number;
}

/** A note on a stock that was done. */
export interface StockNote {
  readonly stockCode: string;
  readonly note: string;
}

/** How a run ended. */
export interface RunReport extends RunInfo {
  readonly status: Exclude<RunStatus, "running">;
  /** Why it was skipped, failed or partial, or notes on a succeeded run; else null. */
  readonly reason: string | null;
  readonly stocksDone: number;
  readonly stocksFailed: number;
  /** Of the stocks done, those already stored: no KIS call was made for them. */
  readonly alreadyStored: number;
  /** Rows inserted or changed (identical rows are not counted). */
  readonly rowsWritten: number;
  /** What the upserts did. */
  readonly writes: WriteCounts;
  /** Requests sent to KIS by this run (retries included). */
  readonly kisCalls: number;
  /** Each failed stock and its error. */
  readonly failures: readonly { readonly stockCode: string; readonly error: string }[];
  /** Stocks done with something to know, e.g. halted all day. */
  readonly notes: readonly StockNote[];
  /** True when KIS refused the credentials and the run stopped early: a configuration error. */
  readonly credentialsRejected: boolean;
  /**
   * True when the day was not collected now but can be later: its data is not final yet, the
   * run was interrupted, or another collection kept the lease.
   */
  readonly retryLater: boolean;
  /** Wall-clock duration. */
  readonly seconds: number;
}

/** Callbacks for progress displays. */
export interface RunObserver {
  /** A run started collecting (not called for skipped runs). */
  runStarted?(run: RunInfo): void;
  /** A stock finished, successfully or not. */
  stockFinished?(progress: StockProgress): void;
  /** A run ended (skipped runs included). */
  runFinished?(report: RunReport): void;
}

/** Wraps the work of each run (e.g. the scheduler routes its records to a per-run log file). */
export type RunScope = <T>(run: RunInfo, work: () => Promise<T>) => Promise<T>;

/** What collection needs. */
export interface CollectorDeps {
  readonly archivist: Archivist;
  readonly client: CollectorClient;
  /** The clock; default real time. Tests pass the simulator's. */
  readonly now?: () => Date;
  /** Stocks collected at once; default {@link defaultConcurrency} of the client. */
  readonly concurrency?: number;
  /** Lease tuning (how long to wait for another collection). */
  readonly lease?: LeaseOptions;
  readonly observer?: RunObserver;
  readonly runScope?: RunScope;
  /** Keeps KIS's calendar fresh across runs; default a refresher of each call's own. */
  readonly calendar?: CalendarRefresher;
  /** Aborted when the process is stopping: runs finish the stocks in flight and stop. */
  readonly signal?: AbortSignal;
  /** This collector's part of the targets when several split them (a request may name its own). */
  readonly shard?: Shard;
}

/** One run to make. */
export interface RunRequest {
  readonly job: CollectionJob;
  /** KST trade date `YYYY-MM-DD`. */
  readonly tradeDate: string;
  readonly trigger: RunTrigger;
  /** Codes collected in addition to the collection targets. */
  readonly codes?: readonly string[];
  /** Ask KIS again for stocks whose data of the day is already stored (corrections). */
  readonly refetch?: boolean;
  /** Only the targets of this part, when several collectors split them. */
  readonly shard?: Shard;
}

const directScope: RunScope = (_run, work) => work();

function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  return error.name === "Error" ? error.message : `${error.name}: ${error.message}`;
}

/** Why a run did not collect. */
interface NoCollection {
  readonly reason: string;
  readonly status: "skipped" | "failed";
  readonly retryLater: boolean;
  /** KIS refused the credentials (not another failure before any stock, e.g. a shard layout). */
  readonly credentials?: boolean;
}

/**
 * Records a run that did not collect: skipped, or failed before any stock (bad credentials, a
 * collector splitting the targets another way).
 */
async function recordNoCollection(
  deps: CollectorDeps,
  request: RunRequest,
  { reason, status, retryLater, credentials = false }: NoCollection,
): Promise<RunReport> {
  const { archivist } = deps;
  const { job, tradeDate, trigger } = request;
  const shard = request.shard && shardLabel(request.shard);
  const runId = status === "skipped"
    ? await archivist.recordSkippedRun({ job, tradeDate, trigger, shard }, reason)
    : await archivist.startRun({ job, tradeDate, trigger, stocksTotal: 0, shard });
  if (status === "failed") {
    await archivist.finishRun(runId, {
      status,
      reason,
      stocksDone: 0,
      stocksFailed: 0,
      rowsWritten: 0,
      kisCalls: 0,
    });
  }
  const report: RunReport = {
    runId,
    job,
    tradeDate,
    trigger,
    stocksTotal: 0,
    status,
    reason,
    stocksDone: 0,
    stocksFailed: 0,
    alreadyStored: 0,
    rowsWritten: 0,
    writes: NO_WRITES,
    kisCalls: 0,
    failures: [],
    notes: [],
    credentialsRejected: credentials,
    retryLater,
    seconds: 0,
  };
  await (deps.runScope ?? directScope)(report, () => {
    const properties = { job, tradeDate, reason };
    if (status === "skipped") log.info("Skipped {job} for {tradeDate}: {reason}", properties);
    else log.error("{job} for {tradeDate} failed before collecting: {reason}", properties);
    return Promise.resolve();
  });
  deps.observer?.runFinished?.(report);
  return report;
}

/** The targets of `request`, or why it cannot collect now. */
async function checkDay(
  deps: CollectorDeps,
  request: RunRequest,
  now: Date,
): Promise<{ readonly skip: NoCollection } | { readonly targets: string[] }> {
  const { archivist, client } = deps;
  const { job, tradeDate } = request;
  const today = kstDate(now);
  if (tradeDate > today) {
    throw new RangeError(`cannot collect ${job} of ${tradeDate}: it is after today (${today})`);
  }
  const skip = (reason: string, retryLater = false) => ({
    skip: { reason, status: "skipped" as const, retryLater },
  });
  if (!archivist.isTradingDay(tradeDate)) return skip(`market closed on ${tradeDate}`);
  const session = archivist.session(tradeDate);
  if (!isReady(job, session, now)) {
    return skip(
      `${job} data of ${tradeDate} is final only from ${readyKst(job, session)} KST that day ` +
        `(the session closes at ${session.close}; now ${kstIso(now)}); run again later`,
      true,
    );
  }
  const unavailable = JOBS[job].unavailable(client, tradeDate, today);
  if (unavailable) return skip(`${job} of ${tradeDate} unavailable: ${unavailable}`);
  const { targets, total } = await jobTargets(
    archivist,
    job,
    tradeDate,
    request.codes ?? [],
    request.shard,
  );
  // A shard none of whose stocks the day has still collects its part whole: nothing.
  if (total === 0) return skip(noTargetsReason([job]));
  return { targets };
}

/**
 * Makes one run: skips it (recorded, with the reason) when the market is closed that day, its
 * data is not final yet, the environment cannot serve it, there is nothing to collect, or another
 * collection keeps the lease past the wait; otherwise collects every target. A date after today
 * is a caller's mistake: it throws a RangeError and records nothing.
 */
export async function runCollection(deps: CollectorDeps, asked: RunRequest): Promise<RunReport> {
  const request = { ...asked, shard: asked.shard ?? deps.shard };
  const now = (deps.now ?? (() => new Date()))();
  const calendar = deps.calendar ?? new CalendarRefresher(deps.archivist, deps.client);
  try {
    await calendar.refresh(now);
  } catch (error) {
    if (!(error instanceof KisCredentialsError)) throw error;
    return await recordNoCollection(deps, request, {
      reason: error.message,
      status: "failed",
      retryLater: false,
      credentials: true,
    });
  }
  const day = await checkDay(deps, request, now);
  if ("skip" in day) return await recordNoCollection(deps, request, day.skip);
  let lease;
  try {
    lease = await acquireCollectionLease(deps.archivist, deps.lease, deps.signal, request.shard);
  } catch (error) {
    if (!(error instanceof ShardLayoutError)) throw error;
    return await recordNoCollection(deps, request, {
      reason: error.message,
      status: "failed",
      retryLater: true,
    });
  }
  if (!lease) {
    return await recordNoCollection(deps, request, {
      reason: deps.signal?.aborted ? LEASE_STOPPED_REASON : LEASE_BUSY_REASON,
      status: "skipped",
      retryLater: true,
    });
  }
  try {
    return await runHoldingLease(deps, request, lease);
  } finally {
    await lease.release();
  }
}

/**
 * Makes one run while the caller holds the collection lease (catch-up holds it across its runs);
 * a day that cannot be collected is recorded as skipped.
 */
export async function runHoldingLease(
  deps: CollectorDeps,
  asked: RunRequest,
  lease: CollectionLease,
): Promise<RunReport> {
  const request = { ...asked, shard: asked.shard ?? deps.shard };
  const day = await checkDay(deps, request, (deps.now ?? (() => new Date()))());
  if ("skip" in day) return await recordNoCollection(deps, request, day.skip);
  const { archivist } = deps;
  const { job, tradeDate, trigger } = request;
  const { targets } = day;
  const runId = await archivist.startRun({
    job,
    tradeDate,
    trigger,
    stocksTotal: targets.length,
    shard: request.shard && shardLabel(request.shard),
  });
  const run: RunInfo = { runId, job, tradeDate, trigger, stocksTotal: targets.length };
  const tally: Tally = { stocksDone: 0, stocksFailed: 0, rowsWritten: 0, kisCalls: 0 };
  return await (deps.runScope ?? directScope)(run, async () => {
    try {
      const report = await collectStocks(deps, run, request, targets, lease, tally);
      await archivist.finishRun(runId, report);
      log.info(
        "Finished {job} for {tradeDate}: {status}, {stocksDone}/{stocksTotal} stocks " +
          "({alreadyStored} already stored), {rowsWritten} rows written, {kisCalls} KIS calls " +
          "in {seconds} s",
        { ...report },
      );
      if (report.reason) log.info("{job} for {tradeDate}: {reason}", { ...report });
      deps.observer?.runFinished?.(report);
      return report;
    } catch (error) {
      // A broken archive write ends the run; it is recorded, then reaches the caller.
      log.error("Run {runId} of {job} for {tradeDate} broke off: {error}", { ...run, error });
      await archivist.finishRun(runId, {
        status: "failed",
        reason: `broke off: ${describeError(error)}`,
        ...tally,
      }).catch((finishError) =>
        log.error("Could not record the end of run {runId}: {error}", { runId, error: finishError })
      );
      throw error;
    }
  });
}

/** The running counts of a run, kept current after each stock. */
interface Tally {
  stocksDone: number;
  stocksFailed: number;
  rowsWritten: number;
  kisCalls: number;
}

/** Why a run stopped before its last stock. */
interface Stop {
  readonly reason: string;
  readonly status: "failed" | "skipped";
  readonly credentials: boolean;
  readonly retryLater: boolean;
}

async function collectStocks(
  deps: CollectorDeps,
  run: RunInfo,
  request: RunRequest,
  targets: readonly string[],
  lease: CollectionLease,
  tally: Tally,
): Promise<RunReport> {
  const { archivist, client } = deps;
  const now = deps.now ?? (() => new Date());
  const started = performance.now();
  const callsBefore = client.stats.calls;
  const session = archivist.session(run.tradeDate);
  const context: JobContext = {
    archivist,
    client,
    calendar: archivist,
    tradeDate: run.tradeDate,
    session,
    today: kstDate(now()),
    now,
    codes: request.codes ?? [],
  };
  const spec = JOBS[run.job];
  const collect = spec.collector(context);
  const holdWrites = spec.holdsWrites(context);
  const stored = request.refetch ? new Set<string>() : await spec.stored(context, targets);
  log.info(
    "Collecting {job} for {tradeDate}: {stocksTotal} stocks ({stored} already stored), " +
      "{trigger}",
    { ...run, stored: stored.size },
  );
  deps.observer?.runStarted?.(run);

  let writes = NO_WRITES;
  let stocksDone = 0;
  const failures: { stockCode: string; error: string }[] = [];
  const notes: StockNote[] = [];
  if (targets.length === 0 && request.shard) {
    notes.push({ stockCode: "*", note: `no target falls in shard ${shardLabel(request.shard)}` });
  }
  const held: { stockCode: string; result: StockResult }[] = [];
  let lastBarTime = 0;
  let stop: Stop | undefined;
  const progress = (): Tally => {
    const counts = {
      stocksDone,
      stocksFailed: failures.length,
      rowsWritten: writes.inserted + writes.updated,
      kisCalls: client.stats.calls - callsBefore,
    };
    Object.assign(tally, counts);
    return counts;
  };
  const stopping = () => stop !== undefined || lease.lost || deps.signal?.aborted === true;

  await forEachConcurrent(
    targets,
    deps.concurrency ?? defaultConcurrency(client),
    async (stockCode) => {
      if (stopping()) return;
      let error: string | undefined;
      let note: string | undefined;
      if (stored.has(stockCode)) {
        stocksDone++;
        note = "already stored";
      } else {
        try {
          const result = await collect(stockCode);
          if (result.lastBarTime !== undefined && result.lastBarTime > lastBarTime) {
            lastBarTime = result.lastBarTime;
          }
          if (holdWrites) {
            held.push({ stockCode, result });
          } else {
            // Awaited first: `writes` must be read after the write, other stocks add to it too.
            const written = await result.write();
            writes = addCounts(writes, written);
          }
          stocksDone++;
          note = result.note;
          if (note) notes.push({ stockCode, note });
        } catch (cause) {
          if (cause instanceof DayNotFinalError) {
            stop ??= {
              reason: cause.message,
              status: "skipped",
              credentials: false,
              retryLater: true,
            };
            return;
          }
          error = describeError(cause);
          failures.push({ stockCode, error });
          if (cause instanceof KisCredentialsError || cause instanceof KisUnsupportedError) {
            stop ??= {
              reason: cause.message,
              status: "failed",
              credentials: cause instanceof KisCredentialsError,
              retryLater: false,
            };
          }
          log.warning("{job} of {stockCode} for {tradeDate} failed: {error}", {
            ...run,
            stockCode,
            error,
          });
          await archivist.recordRunFailure(run.runId, stockCode, error);
        }
      }
      const counts = progress();
      await archivist.recordRunProgress(run.runId, counts);
      deps.observer?.stockFinished?.({ ...run, stockCode, error, note, ...counts });
    },
  );

  const processed = stocksDone + failures.length;
  if (!stop && lease.lost) {
    stop = {
      reason: "lost the collection lease to another process; stopped before the end",
      status: "failed",
      credentials: false,
      retryLater: true,
    };
  }
  if (!stop && processed < targets.length && deps.signal?.aborted) {
    stop = {
      reason: `interrupted: the process was stopping after ${processed} of ${targets.length} ` +
        "stocks; the next run or catch-up collects the rest",
      status: "failed",
      credentials: false,
      retryLater: true,
    };
  }
  const late = lastBarTime > closeOf(session).getTime() / 1000 ? lastBarTime : 0;
  if (!stop && late && run.tradeDate === context.today) {
    const settled = now().getTime() - late * 1000 >= LATE_SESSION_SETTLE_MINUTES * 60_000;
    if (!settled) {
      stop = {
        reason: lateSessionNote(session, late) + ` and may still be running at ` +
          `${kstTime(now()).slice(0, 5)}: not final yet, nothing stored; it is collected once ` +
          `its last bar is ${LATE_SESSION_SETTLE_MINUTES} minutes old`,
        status: "skipped",
        credentials: false,
        retryLater: true,
      };
    }
  }
  if (!stop) {
    // The day is final: write what was held back for it (today's bars).
    for (const { result } of held.splice(0)) {
      const written = await result.write();
      writes = addCounts(writes, written);
      await archivist.recordRunProgress(run.runId, progress());
    }
    if (late) notes.push({ stockCode: "*", note: lateSessionNote(session, late) });
  } else if (held.length > 0) {
    log.info("{job} for {tradeDate}: {count} stocks fetched but not stored: {reason}", {
      ...run,
      count: held.length,
      reason: stop.reason,
    });
  }

  const counts = progress();
  const base = {
    ...run,
    ...counts,
    stocksDone: stop?.status === "skipped" ? 0 : counts.stocksDone,
    writes,
    failures,
    notes,
    alreadyStored: stored.size,
    seconds: Math.round(performance.now() - started) / 1000,
  };
  if (stop) {
    return {
      ...base,
      status: stop.status,
      reason: stop.reason,
      credentialsRejected: stop.credentials,
      retryLater: stop.retryLater,
    };
  }
  const status = failures.length === 0 ? "succeeded" : stocksDone === 0 ? "failed" : "partial";
  return {
    ...base,
    status,
    reason: runReason(targets.length, failures, notes),
    credentialsRejected: false,
    retryLater: false,
  };
}

/** "The session of D ran until 16:00, past its expected 15:30 close". */
function lateSessionNote(session: SessionShape, lastBarTime: number): string {
  return `the session of ${session.tradeDate} ran until ${
    kstTime(lastBarTime * 1000).slice(0, 5)
  }, past its expected ${session.close} close (a delayed close?)`;
}

/** The failures first, then notes on done stocks (halts, a session that ran late); else null. */
function runReason(
  total: number,
  failures: readonly { stockCode: string; error: string }[],
  notes: readonly StockNote[],
): string | null {
  const parts: string[] = [];
  if (failures.length > 0) {
    parts.push(
      `${failures.length} of ${total} stocks failed; first: ${failures[0].stockCode}: ${
        failures[0].error
      }`,
    );
  }
  for (const { stockCode, note } of notes) {
    parts.push(stockCode === "*" ? note : `${stockCode}: ${note}`);
  }
  return parts.length > 0 ? parts.join("; ") : null;
}
