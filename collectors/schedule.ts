/**
 * The scheduled jobs: market flows at `config.schedule.flow` (16:00 KST), minute bars at
 * `config.schedule.intraday` (16:05 KST) and daily candles at `config.schedule.daily` (16:10 KST),
 * Monday to Friday. `Deno.cron` reads UTC, so each KST
 * time becomes a UTC cron expression; when the conversion crosses midnight the weekdays move back
 * a day (08:30 KST Mon–Fri = `30 23 * * 0-4`).
 *
 * Each scheduled run first catches up the job's missed days (oldest first), then collects the
 * latest day, writing its records to `${logDir}/cron/<job>-<tradeDate>-<runId>.jsonl`.
 *
 * @module
 */
import { Cron } from "croner";
import type { CollectionJob } from "../db/schema.ts";
import type { Config } from "../src/config.ts";
import { KisCredentialsError } from "../src/kis/mod.ts";
import { getLogger, withRunLog } from "../src/log.ts";
import { KST_OFFSET_MS, kstIso } from "../src/time.ts";
import { refreshMarketCalendar } from "./calendar.ts";
import { catchUp, type CatchUpSummary } from "./catch_up.ts";
import { scheduledTradeDate } from "./dates.ts";
import { type CollectorDeps, runCollection, type RunReport, type RunScope } from "./run.ts";

const log = getLogger("collect", "schedule");

const WEEKDAY_NAMES = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

/** KST weekdays the market jobs run: Monday to Friday (0 = Sunday). */
export const MARKET_WEEKDAYS: readonly number[] = [1, 2, 3, 4, 5];

/** One scheduled job as given to `Deno.cron`. */
export interface ScheduledJob {
  /** Unique `Deno.cron` name, e.g. `archivist-flow`. */
  readonly name: string;
  readonly job: CollectionJob;
  /** Human schedule in KST, e.g. `16:00 Mon–Fri`. */
  readonly kst: string;
  /** The same schedule as a KST cron expression, e.g. `0 16 * * 1-5`. */
  readonly kstCron: string;
  /** The UTC cron expression given to `Deno.cron`, e.g. `0 7 * * 1-5`. */
  readonly utcCron: string;
  /** The next run strictly after `now`, as KST ISO-8601 (`2026-11-26T16:00:00+09:00`). */
  nextRunKst(now?: Date): string;
}

/** Weekday numbers as a cron field: `*` for all, ranges where consecutive (`0-4`, `1,3,5`). */
export function weekdayField(days: readonly number[]): string {
  const sorted = [...new Set(days.map((d) => ((d % 7) + 7) % 7))].sort((a, b) => a - b);
  if (sorted.length === 7) return "*";
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; i++) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j] + 1) j++;
    parts.push(j > i ? `${sorted[i]}-${sorted[j]}` : `${sorted[i]}`);
    i = j;
  }
  return parts.join(",");
}

function weekdayNames(days: readonly number[]): string {
  const field = weekdayField(days);
  if (field === "*") return "daily";
  return field.split(",").map((part) =>
    part.split("-").map((d) => WEEKDAY_NAMES[Number(d)]).join("–")
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

function scheduledJob(name: string, job: CollectionJob, hhmm: string): ScheduledJob {
  const minutes = parseHhmm(hhmm);
  const utcCron = kstToUtcCron(hhmm);
  return {
    name,
    job,
    kst: `${hhmm} ${weekdayNames(MARKET_WEEKDAYS)}`,
    kstCron: `${minutes % 60} ${Math.floor(minutes / 60)} * * ${weekdayField(MARKET_WEEKDAYS)}`,
    utcCron,
    nextRunKst(now = new Date()) {
      const next = new Cron(utcCron, { timezone: "UTC" }).nextRun(now);
      if (!next) throw new Error(`cron expression ${utcCron} never runs`);
      return kstIso(next);
    },
  };
}

/**
 * The job table: flows, minute bars and daily candles at their configured KST times, Monday to
 * Friday.
 */
export function scheduledJobs(config: Pick<Config, "schedule">): ScheduledJob[] {
  return [
    scheduledJob("archivist-flow", "flow", config.schedule.flow),
    scheduledJob("archivist-intraday", "intraday", config.schedule.intraday),
    scheduledJob("archivist-daily", "daily", config.schedule.daily),
  ];
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
  readonly config: Pick<Config, "schedule" | "catchUpDays" | "logDir">;
  /** `Deno.cron` by default; tests pass a recorder. */
  readonly cron?: (name: string, schedule: string, handler: () => Promise<void>) => unknown;
}

/** What one scheduled firing did. */
export interface ScheduledRun {
  /** Catch-up of the job's earlier missed days. */
  readonly catchUp: CatchUpSummary;
  /** The run of the latest day (a closed day is recorded as skipped). */
  readonly report: RunReport;
}

/**
 * One firing of `job`'s schedule: catches up the job's missed earlier days, then collects the
 * latest closed trading day (today at 16:00), each run logging to its own file under `cron/`.
 */
export async function runScheduledJob(
  deps: ScheduleDeps,
  job: CollectionJob,
): Promise<ScheduledRun> {
  const { archivist, config } = deps;
  const collectorDeps: CollectorDeps = { ...deps, runScope: cronRunScope(config.logDir) };
  const now = (deps.now ?? (() => new Date()))();
  try {
    await refreshMarketCalendar(archivist, deps.client, now);
  } catch (error) {
    // Rejected credentials are recorded as the failed run below; anything else is a real fault.
    if (!(error instanceof KisCredentialsError)) throw error;
  }
  const tradeDate = scheduledTradeDate(job, now, (date) => archivist.isTradingDay(date));
  const summary = await catchUp({
    ...collectorDeps,
    days: config.catchUpDays,
    jobs: [job],
    before: tradeDate,
  });
  const report = await runCollection(collectorDeps, { job, tradeDate, trigger: "schedule" });
  return { catchUp: summary, report };
}

/**
 * Registers every scheduled job with `Deno.cron` (call at the top level of `main.ts`). A handler
 * never throws: a failure is logged and recorded, and the next firing catches up.
 */
export function registerCronJobs(deps: ScheduleDeps): ScheduledJob[] {
  const cron = deps.cron ?? Deno.cron;
  const jobs = scheduledJobs(deps.config);
  for (const scheduled of jobs) {
    cron(scheduled.name, scheduled.utcCron, async () => {
      try {
        await runScheduledJob(deps, scheduled.job);
      } catch (error) {
        log.error("Scheduled {job} failed: {error}; the next firing catches up", {
          job: scheduled.job,
          error,
        });
      }
    });
    log.info("Scheduled {job} at {kst} KST (Deno.cron {utcCron} UTC), next {next}", {
      job: scheduled.job,
      kst: scheduled.kst,
      utcCron: scheduled.utcCron,
      next: scheduled.nextRunKst(),
    });
  }
  return jobs;
}
