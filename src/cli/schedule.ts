/**
 * `deno task schedule`: prints each scheduled job with its schedule in KST, the UTC cron
 * expression given to `Deno.cron`, and its next run in KST.
 *
 * @module
 */
import { Cron } from "croner";
import { scheduledJobs } from "../../collectors/schedule.ts";
import { loadConfig } from "../config.ts";
import { dailyUtcCron } from "../maintenance.ts";
import { kstIso } from "../time.ts";
import { exitOnUsageError } from "./entry.ts";

const config = await loadConfig().catch(exitOnUsageError);
const now = new Date();
const rows = [
  ["job", "schedule (KST)", "Deno.cron (UTC)", "next run (KST)"],
  ...scheduledJobs(config).map((job) => [job.job, job.kst, job.utcCron, job.nextRunKst(now)]),
];
// The daily backup and pruning (src/maintenance.ts).
const maintenance = dailyUtcCron(config.maintenanceTimeKst);
rows.push([
  "maintenance",
  `${config.maintenanceTimeKst} daily`,
  maintenance,
  kstIso(new Cron(maintenance, { timezone: "UTC" }).nextRun(now)!),
]);
const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
for (const row of rows) {
  console.log(row.map((cell, column) => cell.padEnd(widths[column])).join("  ").trimEnd());
}
console.log(
  `\nEach scheduled run first catches up its job's missed trading days (the last ${config.catchUpDays}); ` +
    "the service also catches up when it starts.",
);
