/**
 * One collection run: the job of one trade date over its targets, recorded in `collection_run`.
 *
 * A run first checks the day (market closed, data not final yet, no targets: recorded as skipped
 * with the reason), then takes the collection lease, collects every target stock with a small
 * concurrency (a stock's failure is recorded as it happens and never stops the others), and
 * finishes the run as succeeded, partial or failed with counts, rows written and KIS calls.
 *
 * @module
 */
import type { Archivist, WriteCounts } from "../db/archivist.ts";
import type { CollectionJob, RunStatus, RunTrigger } from "../db/schema.ts";
import { addCounts, NO_WRITES } from "../db/write_counts.ts";
import { KisCredentialsError, KisUnsupportedError } from "../src/kis/mod.ts";
import { getLogger } from "../src/log.ts";
import { kstIso } from "../src/time.ts";
import { refreshMarketCalendar } from "./calendar.ts";
import type { CollectorClient } from "./client.ts";
import { createDailyCollector } from "./daily.ts";
import { isReady, READY_KST } from "./dates.ts";
import { createFlowCollector } from "./flow.ts";
import { createIntradayCollector } from "./intraday.ts";
import {
  acquireCollectionLease,
  type CollectionLease,
  LEASE_BUSY_REASON,
  type LeaseOptions,
} from "./lease.ts";
import { forEachConcurrent } from "./pool.ts";
import { inShard, type Shard, shardLabel } from "./shard.ts";

const log = getLogger("collect");

/** Stocks collected at once by default: enough to keep the client's pacer busy. */
export const DEFAULT_CONCURRENCY = 4;

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
  readonly stocksDone: number;
  readonly stocksFailed: number;
  readonly rowsWritten: number;
  readonly kisCalls: number;
}

/** How a run ended. */
export interface RunReport extends RunInfo {
  readonly status: Exclude<RunStatus, "running">;
  /** Why it was skipped, failed or partial; null when it succeeded. */
  readonly reason: string | null;
  readonly stocksDone: number;
  readonly stocksFailed: number;
  /** Rows inserted or changed (identical rows are not counted). */
  readonly rowsWritten: number;
  /** What the upserts did. */
  readonly writes: WriteCounts;
  /** Requests sent to KIS by this run (retries included). */
  readonly kisCalls: number;
  /** Each failed stock and its error. */
  readonly failures: readonly { readonly stockCode: string; readonly error: string }[];
  /** True when KIS refused the credentials and the run stopped early: a configuration error. */
  readonly credentialsRejected: boolean;
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
  /** Stocks collected at once; default {@link DEFAULT_CONCURRENCY}. */
  readonly concurrency?: number;
  /** Lease tuning (how long to wait for another collection). */
  readonly lease?: LeaseOptions;
  readonly observer?: RunObserver;
  readonly runScope?: RunScope;
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
  /** Only the targets of this part, when several collectors split them. */
  readonly shard?: Shard;
}

const directScope: RunScope = (_run, work) => work();

function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  return error.name === "Error" ? error.message : `${error.name}: ${error.message}`;
}

/** Records a run that did not collect: skipped, or failed before any stock (bad credentials). */
async function recordNoCollection(
  deps: CollectorDeps,
  request: RunRequest,
  reason: string,
  status: "skipped" | "failed" = "skipped",
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
    rowsWritten: 0,
    writes: NO_WRITES,
    kisCalls: 0,
    failures: [],
    credentialsRejected: status === "failed",
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

/**
 * The stocks `job` collects on `tradeDate`: for flows and minute bars the collection targets,
 * for daily candles the watchlist and every stock awaiting an outcome; plus `codes`; of those,
 * the ones of `shard` when several collectors split them.
 */
export async function collectionTargetsOf(
  archivist: Archivist,
  job: CollectionJob,
  tradeDate: string,
  codes: readonly string[],
  shard?: Shard,
): Promise<string[]> {
  const targets = job === "daily"
    ? await archivist.dailyCollectionTargets(codes)
    : await archivist.collectionTargets(tradeDate, codes);
  return targets.filter((code) => inShard(code, shard));
}

/** The targets of `request`, or why it cannot collect now. */
async function checkDay(
  deps: CollectorDeps,
  request: RunRequest,
  now: Date,
): Promise<{ readonly skip: string } | { readonly targets: string[] }> {
  const { archivist } = deps;
  const { job, tradeDate } = request;
  if (!archivist.isTradingDay(tradeDate)) return { skip: `market closed on ${tradeDate}` };
  if (!isReady(job, tradeDate, now)) {
    return {
      skip: `${job} data of ${tradeDate} is final only from ${READY_KST[job]} KST that day ` +
        `(now ${kstIso(now)}); run again later`,
    };
  }
  const targets = await collectionTargetsOf(
    archivist,
    job,
    tradeDate,
    request.codes ?? [],
    request.shard,
  );
  if (targets.length === 0 && request.shard) {
    return { skip: `no collection targets in shard ${shardLabel(request.shard)}` };
  }
  if (targets.length === 0) {
    return {
      skip: job === "daily"
        ? "no collection targets: the watchlist is empty, no decision or rejection awaits its " +
          "outcome and no codes were given"
        : "no collection targets: the watchlist is empty, no stock was rejected in the last " +
          "7 days and no codes were given",
    };
  }
  return { targets };
}

/**
 * Makes one run: skips it (recorded, with the reason) when the market is closed that day, its
 * data is not final yet, there is nothing to collect, or another collection keeps the lease past
 * the wait; otherwise collects every target.
 */
export async function runCollection(deps: CollectorDeps, asked: RunRequest): Promise<RunReport> {
  const request = { ...asked, shard: asked.shard ?? deps.shard };
  const now = (deps.now ?? (() => new Date()))();
  try {
    await refreshMarketCalendar(deps.archivist, deps.client, now);
  } catch (error) {
    if (!(error instanceof KisCredentialsError)) throw error;
    return await recordNoCollection(deps, request, error.message, "failed");
  }
  const day = await checkDay(deps, request, now);
  if ("skip" in day) return await recordNoCollection(deps, request, day.skip);
  const lease = await acquireCollectionLease(deps.archivist, deps.lease, request.shard);
  if (!lease) return await recordNoCollection(deps, request, LEASE_BUSY_REASON);
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
      const report = await collectStocks(deps, run, targets, lease, tally);
      await archivist.finishRun(runId, report);
      log.info(
        "Finished {job} for {tradeDate}: {status}, {stocksDone}/{stocksTotal} stocks, " +
          "{rowsWritten} rows written, {kisCalls} KIS calls in {seconds} s",
        { ...report },
      );
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

async function collectStocks(
  deps: CollectorDeps,
  run: RunInfo,
  targets: readonly string[],
  lease: CollectionLease,
  tally: Tally,
): Promise<RunReport> {
  const { archivist, client } = deps;
  const now = deps.now ?? (() => new Date());
  const started = performance.now();
  const callsBefore = client.stats.calls;
  const collect = run.job === "flow"
    ? createFlowCollector({ archivist, client, tradeDate: run.tradeDate, now })
    : run.job === "daily"
    ? createDailyCollector({ archivist, client, tradeDate: run.tradeDate })
    : createIntradayCollector({ archivist, client, tradeDate: run.tradeDate });
  log.info("Collecting {job} for {tradeDate}: {stocksTotal} stocks ({trigger})", { ...run });
  deps.observer?.runStarted?.(run);

  let writes = NO_WRITES;
  let stocksDone = 0;
  const failures: { stockCode: string; error: string }[] = [];
  // Errors no other stock can escape: stop at once instead of failing every stock alike.
  let abort: { readonly reason: string; readonly credentials: boolean } | undefined;
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

  await forEachConcurrent(targets, deps.concurrency ?? DEFAULT_CONCURRENCY, async (stockCode) => {
    if (abort || lease.lost) return;
    let error: string | undefined;
    try {
      const written = await collect(stockCode);
      writes = addCounts(writes, written);
      stocksDone++;
    } catch (cause) {
      error = describeError(cause);
      failures.push({ stockCode, error });
      if (cause instanceof KisCredentialsError || cause instanceof KisUnsupportedError) {
        abort ??= { reason: cause.message, credentials: cause instanceof KisCredentialsError };
      }
      log.warning("{job} of {stockCode} for {tradeDate} failed: {error}", {
        ...run,
        stockCode,
        error,
      });
      await archivist.recordRunFailure(run.runId, stockCode, error);
    }
    const counts = progress();
    await archivist.recordRunProgress(run.runId, counts);
    deps.observer?.stockFinished?.({ ...run, stockCode, error, ...counts });
  });

  const counts = progress();
  const base = {
    ...run,
    ...counts,
    writes,
    failures,
    seconds: Math.round(performance.now() - started) / 1000,
  };
  if (abort) {
    return {
      ...base,
      status: "failed",
      reason: abort.reason,
      credentialsRejected: abort.credentials,
    };
  }
  if (lease.lost) {
    return {
      ...base,
      status: "failed",
      reason: "lost the collection lease to another process; stopped before the end",
      credentialsRejected: false,
    };
  }
  const status = failures.length === 0 ? "succeeded" : stocksDone === 0 ? "failed" : "partial";
  const reason = failures.length === 0
    ? null
    : `${failures.length} of ${targets.length} stocks failed; first: ${failures[0].stockCode}: ${
      failures[0].error
    }`;
  return { ...base, status, reason, credentialsRejected: false };
}
