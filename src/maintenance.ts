/**
 * The daily maintenance of a long-running archive, at `ARCHIVIST_MAINTENANCE_TIME_KST` every day:
 * a checked backup into `ARCHIVIST_BACKUP_DIR` keeping the newest `ARCHIVIST_BACKUP_KEEP`, then
 * pruning of idempotency records, run records and per-run log files older than
 * `ARCHIVIST_RETENTION_DAYS` (minute bars only with `ARCHIVIST_MINUTE_BAR_RETENTION_DAYS`). A
 * PostgreSQL archive is pruned alike but not backed up: the server's tools do that.
 *
 * @module
 */
import { join } from "node:path";
import { type CronSchedule, EVERY_DAY, kstSchedule } from "../collectors/schedule.ts";
import type { Archivist, PruneReport } from "../db/archivist.ts";
import {
  backupArchive,
  type BackupResult,
  pruneBackups,
  serverBackupAdvice,
} from "../db/backup.ts";
import type { AlertWebhook } from "./alert.ts";
import type { Config } from "./config.ts";
import { getLogger } from "./log.ts";

const log = getLogger("maintenance");

const DAY_MS = 86_400_000;

/** What maintenance needs. */
export interface MaintenanceDeps {
  readonly archivist: Archivist;
  readonly config: Pick<Config, "backup" | "retention" | "logDir" | "maintenanceTimeKst">;
  /** The clock; default real time. */
  readonly now?: () => Date;
  /** Told when the backup fails. */
  readonly alerts?: AlertWebhook;
}

/** What one maintenance did. */
export interface MaintenanceReport {
  /** The backup taken (absent when backups are off or it failed). */
  readonly backup?: BackupResult;
  /** Why the backup failed. */
  readonly backupError?: string;
  /** Why no backup was taken although backups are on (a PostgreSQL archive). */
  readonly backupSkipped?: string;
  /** Old backups removed to keep the newest N. */
  readonly removedBackups: readonly string[];
  /** Rows pruned from the archive. */
  readonly pruned: PruneReport;
  /** Per-run log files removed. */
  readonly removedRunLogs: number;
}

/** Removes per-run log files (`${logDir}/cron/*.jsonl`) last written before `before`. */
export async function pruneRunLogs(logDir: string, before: Date): Promise<number> {
  const folder = join(logDir, "cron");
  let removed = 0;
  try {
    for await (const entry of Deno.readDir(folder)) {
      if (!entry.isFile || !entry.name.endsWith(".jsonl")) continue;
      const path = join(folder, entry.name);
      const { mtime } = await Deno.stat(path);
      if (mtime && mtime < before) {
        await Deno.remove(path);
        removed++;
      }
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return removed;
}

/** Backs up, then prunes; a failed backup is reported (and alerted) and pruning still runs. */
export async function runMaintenance(deps: MaintenanceDeps): Promise<MaintenanceReport> {
  const { archivist, config } = deps;
  const now = (deps.now ?? (() => new Date()))();
  let backup: BackupResult | undefined;
  let backupError: string | undefined;
  let removedBackups: string[] = [];
  const backupSkipped = config.backup.keep > 0 ? serverBackupAdvice(archivist.path) : undefined;
  if (config.backup.keep > 0 && !backupSkipped) {
    try {
      backup = await backupArchive(archivist.path, config.backup.dir, {
        readOnly: archivist.readOnly,
        now: () => now,
      });
      removedBackups = await pruneBackups(config.backup.dir, archivist.path, config.backup.keep);
      log.info("Backed up the archive to {path} ({bytes} bytes, integrity ok) in {seconds} s", {
        ...backup,
      });
    } catch (error) {
      backupError = (error as Error).message;
      log.error("The daily backup failed: {error}", { error: backupError });
      deps.alerts?.send({
        event: "backup_failed",
        text: `the daily backup failed: ${backupError}`,
        details: { database: archivist.path, folder: config.backup.dir, error: backupError },
      });
    }
  }
  const before = new Date(now.getTime() - config.retention.days * DAY_MS);
  const minuteBarDays = config.retention.minuteBarDays;
  const pruned = archivist.readOnly
    ? { idempotencyRecords: 0, runs: 0, minuteBars: 0 }
    : await archivist.prune({
      before,
      minuteBarsBefore: minuteBarDays === undefined
        ? undefined
        : new Date(now.getTime() - minuteBarDays * DAY_MS),
    });
  const removedRunLogs = await pruneRunLogs(config.logDir, before);
  log.info(
    "Pruned {idempotencyRecords} idempotency records, {runs} runs, {minuteBars} minute bars and " +
      "{removedRunLogs} run logs older than {days} days",
    { ...pruned, removedRunLogs, days: config.retention.days },
  );
  return { backup, backupError, backupSkipped, removedBackups, pruned, removedRunLogs };
}

/**
 * Why the daily backups cannot go into `dir` (a file there, a folder that cannot be created), or
 * undefined once the folder exists: checked at start, so that a wrong `ARCHIVIST_BACKUP_DIR` is
 * said then and not by the first backup's failure at night.
 */
export async function backupFolderProblem(dir: string): Promise<string | undefined> {
  const fix = "set ARCHIVIST_BACKUP_DIR to a folder this user can create and write";
  try {
    if (!(await Deno.stat(dir)).isDirectory) {
      return `${JSON.stringify(dir)} is not a folder; ${fix}`;
    }
    return undefined;
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) {
      return `${JSON.stringify(dir)} cannot be used (${(error as Error).message}); ${fix}`;
    }
  }
  try {
    await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
    return undefined;
  } catch (error) {
    const why = (error as Error).message.replace(/ \(os error \d+\).*$/, "");
    return `the folder ${JSON.stringify(dir)} cannot be created (${why}); ${fix}`;
  }
}

/** The daily maintenance's schedule: `ARCHIVIST_MAINTENANCE_TIME_KST`, every day of the week. */
export function maintenanceSchedule(config: Pick<Config, "maintenanceTimeKst">): CronSchedule {
  return kstSchedule(config.maintenanceTimeKst, EVERY_DAY);
}

/** The registered maintenance, and a way to wait for a firing in flight (before shutting down). */
export interface MaintenanceRegistration {
  readonly schedule: CronSchedule;
  /** Resolves once no maintenance is running. */
  idle(): Promise<void>;
}

/**
 * Registers the daily maintenance with `Deno.cron` (at the top level of `main.ts`), beside the
 * collection jobs. A failure is logged; the next day runs again. Once `signal` aborts (the
 * service is stopping) a firing does nothing, so the database can close.
 */
export function registerMaintenance(
  deps: MaintenanceDeps & { readonly signal?: AbortSignal },
  cron: (name: string, schedule: string, handler: () => Promise<void>) => unknown = Deno.cron,
): MaintenanceRegistration {
  const schedule = maintenanceSchedule(deps.config);
  let inFlight: Promise<void> | undefined;
  cron("archivist-maintenance", schedule.utcCron, () => {
    if (deps.signal?.aborted) return Promise.resolve();
    const firing = runMaintenance(deps).then(
      () => undefined,
      (error) => log.error("Daily maintenance failed: {error}", { error }),
    );
    inFlight = firing.finally(() => inFlight = undefined);
    return inFlight;
  });
  const skipped = deps.config.backup.keep > 0 ? serverBackupAdvice(deps.archivist.path) : undefined;
  log.info(
    `Daily ${skipped ? "pruning" : "backup and pruning"} at {kst} KST (Deno.cron {utcCron} UTC), ` +
      "next {next}" + (skipped ? "; no daily backup: {skipped}" : ""),
    { kst: schedule.kst, utcCron: schedule.utcCron, next: schedule.nextRunKst(), skipped },
  );
  return {
    schedule,
    async idle() {
      while (inFlight) await inFlight;
    },
  };
}
