/**
 * The scheduled jobs: market flows at `config.schedule.flow` (16:00 KST), minute bars at
 * `config.schedule.intraday` (16:05 KST) and daily candles at `config.schedule.daily` (16:10 KST),
 * Monday to Friday, each unless switched off. `Deno.cron` reads UTC, so each KST
 * time becomes a UTC cron expression; when the conversion crosses midnight the weekdays move back
 * a day (08:30 KST Mon–Fri = `30 23 * * SUN-THU`).
 *
 * Weekdays are written as names, never numbers: `Deno.cron` numbers them 1 (Sunday) to 7
 * (Saturday) and refuses 0, while croner (and POSIX cron) number them 0 (Sunday) to 6, so `1-5`
 * would mean Sunday–Thursday to one and Monday–Friday to the other. `MON-FRI` means the same to
 * both.
 *
 * Each scheduled run first catches up the job's missed days (oldest first), then collects the
 * latest day, writing its records to `${logDir}/cron/<job>-<tradeDate>-<runId>.jsonl`.
 *
 * A firing before today's data is final (16:05 on a CSAT day, whose session closes at 16:30)
 * waits for it when that is at most {@link MAX_SCHEDULE_WAIT_MINUTES} away, then collects today;
 * a firing further away (an 08:30 schedule) collects the latest day that is final. When the day
 * cannot be collected yet (KIS shows today's session running late, or another collection holds
 * the lease), the run is recorded and tried again every {@link LATE_SESSION_SETTLE_MINUTES}
 * minutes, until {@link LATE_SESSION_GIVE_UP_KST}; catch-up collects the day whole later in any
 * case. A stop signal ends every wait.
 *
 * @module
 */
import { Cron } from "croner";
import { COLLECTION_JOBS, type CollectionJob } from "../db/schema.ts";
import type { Config } from "../src/config.ts";
import { KisCredentialsError } from "../src/kis/mod.ts";
import { getLogger, withRunLog } from "../src/log.ts";
import { abortableSleep, KST_OFFSET_MS, kstDate, kstInstant, kstIso } from "../src/time.ts";
import { CalendarRefresher } from "./calendar.ts";
import { catchUp, type CatchUpSummary } from "./catch_up.ts";
import { latestReadyTradeDate, readyAt } from "./dates.ts";
import {
  type CollectorDeps,
  LATE_SESSION_SETTLE_MINUTES,
  runCollection,
  type RunReport,
  type RunScope,
} from "./run.ts";

const log = getLogger("collect", "schedule");

const WEEKDAY_NAMES = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
/** Cron day names, indexed 0 = Sunday: read alike by `Deno.cron` and croner. */
const CRON_DAY_NAMES = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

/** KST weekdays the market jobs run: Monday to Friday (0 = Sunday). */
export const MARKET_WEEKDAYS: readonly number[] = [1, 2, 3, 4, 5];

/** Every KST weekday (0 = Sunday): the daily maintenance. */
export const EVERY_DAY: readonly number[] = [0, 1, 2, 3, 4, 5, 6];

/** A KST wall-clock time on some weekdays, as shown to users and as given to `Deno.cron`. */
export interface CronSchedule {
  /** Human schedule in KST, e.g. `16:00 Mon–Fri` or `18:00 daily`. */
  readonly kst: string;
  /** The same schedule as a KST cron expression, e.g. `0 16 * * MON-FRI`. */
  readonly kstCron: string;
  /** The UTC cron expression given to `Deno.cron`, e.g. `0 7 * * MON-FRI`. */
  readonly utcCron: string;
  /** The next run strictly after `now`, as KST ISO-8601 (`2026-11-26T16:00:00+09:00`). */
  nextRunKst(now?: Date): string;
}

/** One scheduled collection job as given to `Deno.cron`. */
export interface ScheduledJob extends CronSchedule {
  /** Unique `Deno.cron` name, e.g. `archivist-flow`. */
  readonly name: string;
  readonly job: CollectionJob;
}

/** Runs of consecutive weekdays (0 = Sunday), e.g. `[[0, 4]]` for Sunday–Thursday. */
function weekdayRuns(days: readonly number[]): [number, number][] {
  const sorted = [...new Set(days.map((d) => ((d % 7) + 7) % 7))].sort((a, b) => a - b);
  const runs: [number, number][] = [];
  for (let i = 0; i < sorted.length; i++) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j] + 1) j++;
    runs.push([sorted[i], sorted[j]]);
    i = j;
  }
  return runs;
}

/**
 * Weekdays (0 = Sunday) as a cron field of day names: `*` for all, ranges where consecutive
 * (`SUN-THU`, `MON,WED-FRI`).
 */
export function weekdayField(days: readonly number[]): string {
  const runs = weekdayRuns(days);
  if (runs.length === 1 && runs[0][1] - runs[0][0] === 6) return "*";
  return runs.map(([first, last]) =>
    first === last ? CRON_DAY_NAMES[first] : `${CRON_DAY_NAMES[first]}-${CRON_DAY_NAMES[last]}`
  ).join(",");
}

function weekdayNames(days: readonly number[]): string {
  const runs = weekdayRuns(days);
  if (runs.length === 1 && runs[0][1] - runs[0][0] === 6) return "daily";
  return runs.map(([first, last]) =>
    first === last ? WEEKDAY_NAMES[first] : `${WEEKDAY_NAMES[first]}–${WEEKDAY_NAMES[last]}`
  ).join(", ");
}

function parseHhmm(hhmm: string): number {
  const match = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(hhmm);
  if (!match) throw new RangeError(`expected a KST time as HH:MM (got ${JSON.stringify(hhmm)})`);
  return Number(match[1]) * 60 + Number(match[2]);
}

/**
 * The UTC cron expression of a KST wall-clock time on KST weekdays (0 = Sunday): the time moves
 * back 9 hours and, when that crosses midnight, every weekday moves back one day.
 */
export function kstToUtcCron(
  hhmm: string,
  kstWeekdays: readonly number[] = MARKET_WEEKDAYS,
): string {
  const offsetMinutes = KST_OFFSET_MS / 60_000;
  const kstMinutes = parseHhmm(hhmm);
  const utcMinutes = kstMinutes - offsetMinutes;
  const dayShift = utcMinutes < 0 ? -1 : 0;
  const minutes = (utcMinutes + 24 * 60) % (24 * 60);
  const days = kstWeekdays.map((d) => d + dayShift);
  return `${minutes % 60} ${Math.floor(minutes / 60)} * * ${weekdayField(days)}`;
}

/**
 * The schedule of a KST time `hhmm` on KST weekdays (0 = Sunday; default Monday to Friday).
 * Throws a `RangeError` for a time that is not `HH:MM`.
 */
export function kstSchedule(
  hhmm: string,
  kstWeekdays: readonly number[] = MARKET_WEEKDAYS,
): CronSchedule {
  const minutes = parseHhmm(hhmm);
  const utcCron = kstToUtcCron(hhmm, kstWeekdays);
  return {
    kst: `${hhmm} ${weekdayNames(kstWeekdays)}`,
    kstCron: `${minutes % 60} ${Math.floor(minutes / 60)} * * ${weekdayField(kstWeekdays)}`,
    utcCron,
    nextRunKst(now = new Date()) {
      const next = new Cron(utcCron, { timezone: "UTC" }).nextRun(now);
      if (!next) throw new Error(`cron expression ${utcCron} never runs`);
      return kstIso(next);
    },
  };
}

function scheduledJob(name: string, job: CollectionJob, hhmm: string): ScheduledJob {
  return { name, job, ...kstSchedule(hhmm) };
}

/** How long a firing waits for today's data to become final before settling for the latest. */
export const MAX_SCHEDULE_WAIT_MINUTES = 120;

/** KST time after which a firing stops waiting for a session that ran late (catch-up remains). */
export const LATE_SESSION_GIVE_UP_KST = "20:00";

/** The enabled jobs at their configured KST times, Monday to Friday. */
export function scheduledJobs(config: Pick<Config, "schedule" | "enabledJobs">): ScheduledJob[] {
  return config.enabledJobs.map((job) =>
    scheduledJob(`archivist-${job}`, job, config.schedule[job])
  );
}

/** The log file of one scheduled (or scheduler-made catch-up) run. */
export function cronLogPath(logDir: string, job: CollectionJob, tradeDate: string, runId: string) {
  return `${logDir}/cron/${job}-${tradeDate}-${runId}.jsonl`;
}

/** Routes each run's records to its own file under `${logDir}/cron/` (scheduled and catch-up runs). */
export function cronRunScope(logDir: string): RunScope {
  return (run, work) =>
    withRunLog(run.runId, cronLogPath(logDir, run.job, run.tradeDate, run.runId), work);
}

/** What the scheduler needs: collection deps (its own run scope) plus the configuration. */
export interface ScheduleDeps extends Omit<CollectorDeps, "runScope"> {
  readonly config: Pick<Config, "schedule" | "enabledJobs" | "catchUpDays" | "logDir">;
  /** `Deno.cron` by default; tests pass a recorder. */
  readonly cron?: (name: string, schedule: string, handler: () => Promise<void>) => unknown;
  /** Waits between tries (ms), resolving false when `signal` aborts; tests shorten it. */
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<boolean>;
}

/** What one scheduled firing did. */
export interface ScheduledRun {
  /** Catch-up of the job's earlier missed days. */
  readonly catchUp: CatchUpSummary;
  /** The run of the latest day (a closed day is recorded as skipped). */
  readonly report: RunReport;
}

/**
 * The day a firing at `now` collects, and how long to wait for it: today when the market is
 * closed (the run records the closure) or when today's data becomes final within
 * {@link MAX_SCHEDULE_WAIT_MINUTES}; else the latest day whose data is final.
 */
export function scheduledTradeDate(
  job: CollectionJob,
  now: Date,
  calendar: Parameters<typeof latestReadyTradeDate>[2],
): { readonly tradeDate: string; readonly waitMs: number } {
  const today = kstDate(now);
  if (!calendar.isTradingDay(today)) return { tradeDate: today, waitMs: 0 };
  const waitMs = readyAt(job, calendar.session(today)).getTime() - now.getTime();
  if (waitMs <= MAX_SCHEDULE_WAIT_MINUTES * 60_000) {
    return { tradeDate: today, waitMs: Math.max(0, waitMs) };
  }
  return { tradeDate: latestReadyTradeDate(job, now, calendar), waitMs: 0 };
}

/**
 * One firing of `job`'s schedule: catches up the job's missed earlier days, then collects the
 * latest trading day (today, waiting for its close where needed), each run logging to its own
 * file under `cron/`.
 */
export async function runScheduledJob(
  deps: ScheduleDeps,
  job: CollectionJob,
): Promise<ScheduledRun> {
  const { archivist, config } = deps;
  const calendar = deps.calendar ?? new CalendarRefresher(archivist, deps.client);
  const collectorDeps: CollectorDeps = {
    ...deps,
    calendar,
    runScope: cronRunScope(config.logDir),
  };
  const clock = deps.now ?? (() => new Date());
  const sleep = deps.sleep ?? abortableSleep;
  try {
    await calendar.refresh(clock());
  } catch (error) {
    // Rejected credentials are recorded as the failed run below; anything else is a real fault.
    if (!(error instanceof KisCredentialsError)) throw error;
  }
  const { tradeDate, waitMs } = scheduledTradeDate(job, clock(), archivist);
  const summary = await catchUp({
    ...collectorDeps,
    days: config.catchUpDays,
    jobs: [job],
    before: tradeDate,
  });
  if (waitMs > 0) {
    const session = archivist.session(tradeDate);
    log.info(
      "{job} of {tradeDate} is final only at {ready} KST (the session closes at " +
        "{close}); waiting for it",
      {
        job,
        tradeDate,
        ready: kstIso(readyAt(job, session)),
        close: session.close,
      },
    );
    // Measured again after catch-up, which may have taken a while.
    await sleep(readyAt(job, session).getTime() - clock().getTime(), deps.signal);
  }
  let report = await runCollection(collectorDeps, { job, tradeDate, trigger: "schedule" });
  const giveUp = kstInstant(tradeDate, LATE_SESSION_GIVE_UP_KST).getTime();
  // Not final yet (a session KIS shows running late), or another collection holds the lease:
  // look again later the same evening.
  while (
    report.status === "skipped" && report.retryLater &&
    clock().getTime() + LATE_SESSION_SETTLE_MINUTES * 60_000 < giveUp &&
    await sleep(LATE_SESSION_SETTLE_MINUTES * 60_000, deps.signal)
  ) {
    report = await runCollection(collectorDeps, { job, tradeDate, trigger: "schedule" });
  }
  return { catchUp: summary, report };
}

/** The registered jobs, and a way to wait for the firings in flight (before shutting down). */
export interface CronRegistration {
  readonly jobs: readonly ScheduledJob[];
  /** Resolves once no firing is running (each stops early when the deps' signal aborts). */
  idle(): Promise<void>;
}

/**
 * Registers every enabled job with `Deno.cron` (call at the top level of `main.ts`). A handler
 * never throws: a failure is logged and recorded, and the next firing catches up.
 */
export function registerCronJobs(deps: ScheduleDeps): CronRegistration {
  const cron = deps.cron ?? Deno.cron;
  const jobs = scheduledJobs(deps.config);
  const inFlight = new Set<Promise<void>>();
  for (const job of COLLECTION_JOBS.filter((j) => !deps.config.enabledJobs.includes(j))) {
    log.info("{job} is switched off (ARCHIVIST_{JOB}_ENABLED=false): not scheduled", {
      job,
      JOB: job.toUpperCase(),
    });
  }
  for (const scheduled of jobs) {
    cron(scheduled.name, scheduled.utcCron, () => {
      if (deps.signal?.aborted) return Promise.resolve();
      const firing = runScheduledJob(deps, scheduled.job).then(
        () => undefined,
        (error) =>
          log.error("Scheduled {job} failed: {error}; the next firing catches up", {
            job: scheduled.job,
            error,
          }),
      );
      inFlight.add(firing);
      return firing.finally(() => inFlight.delete(firing));
    });
    log.info("Scheduled {job} at {kst} KST (Deno.cron {utcCron} UTC), next {next}", {
      job: scheduled.job,
      kst: scheduled.kst,
      utcCron: scheduled.utcCron,
      next: scheduled.nextRunKst(),
    });
  }
  return {
    jobs,
    async idle() {
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
    },
  };
}
