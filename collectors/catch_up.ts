/**
 * Catch-up: a machine that was off at 16:00 loses nothing. For each job it looks at the last
 * `days` trading days whose data is final, finds those without a succeeded run, and runs them
 * oldest first (trigger `catch-up`), holding the collection lease across all of them.
 *
 * Days that cannot be collected are said once and not run, so they are no daily failure: a day
 * the KIS environment cannot serve (past minute bars with virtual keys), and days without any
 * stock to collect (an empty watchlist: one line saying how to add stocks).
 *
 * @module
 */
import { COLLECTION_JOBS, type CollectionJob } from "../db/schema.ts";
import { KisCredentialsError } from "../src/kis/mod.ts";
import { getLogger } from "../src/log.ts";
import { kstDate } from "../src/time.ts";
import { CalendarRefresher } from "./calendar.ts";
import { latestReadyTradeDate, recentTradingDays } from "./dates.ts";
import { JOBS, jobTargets, noTargetsReason } from "./jobs.ts";
import {
  acquireCollectionLease,
  LEASE_BUSY_REASON,
  LEASE_STOPPED_REASON,
  ShardLayoutError,
} from "./lease.ts";
import { type CollectorDeps, runHoldingLease, type RunReport } from "./run.ts";

const log = getLogger("collect", "catch-up");

/** What catch-up needs: collection deps plus how far back to look. */
export interface CatchUpDeps extends CollectorDeps {
  /** Trading days to look back, the latest final one included (`config.catchUpDays`). */
  readonly days: number;
  /** Jobs to check; default all of them. */
  readonly jobs?: readonly CollectionJob[];
  /** Only days before this one (the scheduler collects that day itself right after). */
  readonly before?: string;
  /**
   * The caller has said already that there is nothing to collect (the service, at start): runs
   * left for want of targets are then logged at debug level, so the user reads it once.
   */
  readonly saidNoTargets?: boolean;
}

/** A job and day that had no succeeded run. */
export interface MissingRun {
  readonly job: CollectionJob;
  readonly tradeDate: string;
}

/** What catch-up found and did. */
export interface CatchUpSummary {
  /** The (job, day) pairs looked at, oldest first. */
  readonly checked: readonly MissingRun[];
  /** Those without a succeeded run, oldest first. */
  readonly missing: readonly MissingRun[];
  /** Of those, the ones not run: the environment cannot serve them, or nothing to collect. */
  readonly notRun: readonly (MissingRun & { readonly reason: string })[];
  /** The runs made for them, in order. */
  readonly runs: readonly RunReport[];
  /** Why nothing ran (the lease stayed taken, KIS refused the credentials), else null. */
  readonly skipped: string | null;
}

/**
 * The missing runs that cannot collect anything, each said once in the log instead of being
 * recorded as a skipped or failed run every day: days the environment cannot serve, and days
 * without targets.
 */
async function unrunnable(
  deps: CatchUpDeps,
  missing: readonly MissingRun[],
  today: string,
): Promise<(MissingRun & { readonly reason: string })[]> {
  const notRun: (MissingRun & { readonly reason: string })[] = [];
  const withoutTargets: MissingRun[] = [];
  for (const { job, tradeDate } of missing) {
    const unavailable = JOBS[job].unavailable(deps.client, tradeDate, today);
    if (unavailable) {
      notRun.push({ job, tradeDate, reason: unavailable });
    } else if ((await jobTargets(deps.archivist, job, tradeDate, [], deps.shard)).total === 0) {
      withoutTargets.push({ job, tradeDate });
    }
  }
  const runsOf = (runs: readonly MissingRun[]) =>
    runs.map((n) => `${n.job} ${n.tradeDate}`).join(", ");
  for (const reason of new Set(notRun.map((n) => n.reason))) {
    const runs = runsOf(notRun.filter((n) => n.reason === reason));
    log.warning("Catch-up leaves {runs}: {reason}", { runs, reason });
  }
  if (withoutTargets.length > 0) {
    // One line for every job: an empty watchlist is one fact, said with how to add stocks.
    const reason = noTargetsReason([...new Set(withoutTargets.map((n) => n.job))]);
    const said = { runs: runsOf(withoutTargets), reason };
    if (deps.saidNoTargets) log.debug("Catch-up leaves {runs}: {reason}", said);
    else log.warning("Catch-up leaves {runs}: {reason}", said);
    notRun.push(...withoutTargets.map((n) => ({ ...n, reason })));
  }
  return notRun;
}

/** Pairs in collection order: oldest day first, then the jobs in `COLLECTION_JOBS` order. */
function byDayThenJob(a: MissingRun, b: MissingRun): number {
  return a.tradeDate.localeCompare(b.tradeDate) ||
    COLLECTION_JOBS.indexOf(a.job) - COLLECTION_JOBS.indexOf(b.job);
}

/**
 * Finds the recent trading days of each job without a succeeded run and runs them, oldest first.
 * Days are checked after taking the lease, so a run another process just finished is not redone.
 */
export async function catchUp(deps: CatchUpDeps): Promise<CatchUpSummary> {
  const { archivist } = deps;
  const now = (deps.now ?? (() => new Date()))();
  const calendar = deps.calendar ?? new CalendarRefresher(archivist, deps.client);
  try {
    await calendar.refresh(now);
  } catch (error) {
    if (!(error instanceof KisCredentialsError)) throw error;
    log.error("Catch-up did not run: {error}", { error });
    return { checked: [], missing: [], notRun: [], runs: [], skipped: error.message };
  }
  const checked = (deps.jobs ?? COLLECTION_JOBS).flatMap((job) =>
    recentTradingDays(latestReadyTradeDate(job, now, archivist), deps.days, archivist)
      .filter((tradeDate) => deps.before === undefined || tradeDate < deps.before)
      .map((tradeDate) => ({ job, tradeDate }))
  ).sort(byDayThenJob);
  if (checked.length === 0) return { checked, missing: [], notRun: [], runs: [], skipped: null };

  let lease;
  try {
    lease = await acquireCollectionLease(archivist, deps.lease, deps.signal, deps.shard);
  } catch (error) {
    if (!(error instanceof ShardLayoutError)) throw error;
    log.error("Catch-up did not run: {reason}", { reason: error.message });
    return { checked, missing: checked, notRun: [], runs: [], skipped: error.message };
  }
  if (!lease) {
    const reason = deps.signal?.aborted ? LEASE_STOPPED_REASON : LEASE_BUSY_REASON;
    log.warning("Catch-up did not run: {reason}; it tries again with the next scheduled job", {
      reason,
    });
    return { checked, missing: checked, notRun: [], runs: [], skipped: reason };
  }
  try {
    const missing: MissingRun[] = [];
    for (const job of new Set(checked.map((c) => c.job))) {
      const dates = checked.filter((c) => c.job === job).map((c) => c.tradeDate);
      const succeeded = await archivist.succeededDates(job, dates);
      missing.push(
        ...dates.filter((d) => !succeeded.has(d)).map((tradeDate) => ({ job, tradeDate })),
      );
    }
    missing.sort(byDayThenJob);
    const notRun = await unrunnable(deps, missing, kstDate(now));
    const toRun = missing.filter((m) =>
      !notRun.some((n) => n.job === m.job && n.tradeDate === m.tradeDate)
    );
    if (toRun.length > 0) {
      log.info("Catch-up: {count} run(s) missing: {runs}", {
        count: toRun.length,
        runs: toRun.map((m) => `${m.job} ${m.tradeDate}`).join(", "),
      });
    }
    const runs: RunReport[] = [];
    for (const { job, tradeDate } of toRun) {
      if (lease.lost || deps.signal?.aborted) break;
      runs.push(await runHoldingLease(deps, { job, tradeDate, trigger: "catch-up" }, lease));
    }
    return { checked, missing, notRun, runs, skipped: null };
  } finally {
    await lease.release();
  }
}
