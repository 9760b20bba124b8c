/**
 * Catch-up: a machine that was off at 16:00 loses nothing. For each job it looks at the last
 * `days` trading days whose data is final, finds those without a succeeded run, and runs them
 * oldest first (trigger `catch-up`), holding the collection lease across all of them.
 *
 * @module
 */
import { COLLECTION_JOBS, type CollectionJob } from "../db/schema.ts";
import { KisCredentialsError } from "../src/kis/mod.ts";
import { getLogger } from "../src/log.ts";
import { refreshMarketCalendar } from "./calendar.ts";
import { latestReadyTradeDate, recentTradingDays } from "./dates.ts";
import { acquireCollectionLease, LEASE_BUSY_REASON } from "./lease.ts";
import { type CollectorDeps, runHoldingLease, type RunReport } from "./run.ts";

const log = getLogger("collect", "catch-up");

/** What catch-up needs: collection deps plus how far back to look. */
export interface CatchUpDeps extends CollectorDeps {
  /** Trading days to look back, the latest final one included (`config.catchUpDays`). */
  readonly days: number;
  /** Jobs to check; default both. */
  readonly jobs?: readonly CollectionJob[];
  /** Only days before this one (the scheduler collects that day itself right after). */
  readonly before?: string;
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
  /** The runs made for them, in order. */
  readonly runs: readonly RunReport[];
  /** Why nothing ran (the lease stayed taken, KIS refused the credentials), else null. */
  readonly skipped: string | null;
}

/** Pairs in collection order: oldest day first, flows before minute bars on a day. */
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
  try {
    await refreshMarketCalendar(archivist, deps.client, now);
  } catch (error) {
    if (!(error instanceof KisCredentialsError)) throw error;
    log.error("Catch-up did not run: {error}", { error });
    return { checked: [], missing: [], runs: [], skipped: error.message };
  }
  const isOpen = (date: string) => archivist.isTradingDay(date);
  const checked = (deps.jobs ?? COLLECTION_JOBS).flatMap((job) =>
    recentTradingDays(latestReadyTradeDate(job, now, isOpen), deps.days, isOpen)
      .filter((tradeDate) => deps.before === undefined || tradeDate < deps.before)
      .map((tradeDate) => ({ job, tradeDate }))
  ).sort(byDayThenJob);
  if (checked.length === 0) return { checked, missing: [], runs: [], skipped: null };

  const lease = await acquireCollectionLease(archivist, deps.lease, deps.shard);
  if (!lease) {
    log.warning("Catch-up did not run: {reason}; it tries again with the next scheduled job", {
      reason: LEASE_BUSY_REASON,
    });
    return { checked, missing: checked, runs: [], skipped: LEASE_BUSY_REASON };
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
    if (missing.length > 0) {
      log.info("Catch-up: {count} run(s) missing: {runs}", {
        count: missing.length,
        runs: missing.map((m) => `${m.job} ${m.tradeDate}`).join(", "),
      });
    }
    const runs: RunReport[] = [];
    for (const { job, tradeDate } of missing) {
      if (lease.lost) break;
      runs.push(await runHoldingLease(deps, { job, tradeDate, trigger: "catch-up" }, lease));
    }
    return { checked, missing, runs, skipped: null };
  } finally {
    await lease.release();
  }
}
