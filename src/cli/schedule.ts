/**
 * `deno task schedule`: prints each scheduled job with its schedule in KST, the UTC cron
 * expression given to `Deno.cron`, and its next run in KST: the collection jobs, then the daily
 * maintenance (backup and pruning, `src/maintenance.ts`).
 *
 * @module
 */
import { scheduledJobs } from "../../collectors/schedule.ts";
import { serverBackupAdvice } from "../../db/backup.ts";
import { COLLECTION_JOBS } from "../../db/schema.ts";
import { jobSwitchVariable, loadConfig } from "../config.ts";
import { maintenanceSchedule } from "../maintenance.ts";
import { exitOnUsageError } from "./entry.ts";

const config = await loadConfig().catch(exitOnUsageError);
const now = new Date();
const maintenance = maintenanceSchedule(config);
const rows = [
  ["job", "schedule (KST)", "Deno.cron (UTC)", "next run (KST)"],
  ...scheduledJobs(config).map((job) => [job.job, job.kst, job.utcCron, job.nextRunKst(now)]),
  ...COLLECTION_JOBS.filter((job) => !config.enabledJobs.includes(job)).map((job) => [
    job,
    "off",
    "-",
    `(${jobSwitchVariable(job)}=false)`,
  ]),
  ["maintenance", maintenance.kst, maintenance.utcCron, maintenance.nextRunKst(now)],
];
const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
for (const row of rows) {
  console.log(row.map((cell, column) => cell.padEnd(widths[column])).join("  ").trimEnd());
}
console.log(
  `\nEach scheduled run first catches up its job's missed trading days (the last ${config.catchUpDays}); ` +
    "the service also catches up when it starts.",
);
const { backup, retention } = config;
const serverBackup = serverBackupAdvice(config.databasePath);
console.log(
  `The maintenance ${
    backup.keep === 0
      ? "(no backup: ARCHIVIST_BACKUP_KEEP=0) "
      : serverBackup
      ? "(no backup: a PostgreSQL archive is backed up with the server's tools, e.g. pg_dump) "
      : `backs the archive up into ${backup.dir}/ (keeping the newest ${backup.keep}), then `
  }prunes records older than ${retention.days} days` +
    (retention.minuteBarDays === undefined ? "." : ` (minute bars: ${retention.minuteBarDays}).`),
);
