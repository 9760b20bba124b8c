/**
 * `deno task start`: the Archivist service. Wires the configuration, the archive, the HTTP API,
 * the `Deno.cron` collection jobs, the catch-up of missed days, the daily backup and pruning, the
 * metrics and the alert webhook. On SIGINT/SIGTERM it stops accepting requests and finishes those
 * in flight, lets the collections in flight finish their current stocks and record themselves
 * (interrupted, completed by the next run) and a maintenance in flight finish, closes the database
 * and exits 0.
 *
 * @module
 */
import { CalendarRefresher } from "./collectors/calendar.ts";
import { catchUp } from "./collectors/catch_up.ts";
import { JOBS, noTargetsReason } from "./collectors/jobs.ts";
import { type CronRegistration, cronRunScope, registerCronJobs } from "./collectors/schedule.ts";
import { alertingRunObserver, AlertWebhook, writeAlert } from "./src/alert.ts";
import { createApp } from "./src/http/app.ts";
import { InsecureBindingError } from "./src/http/auth.ts";
import { AllowedHosts } from "./src/http/host_check.ts";
import { Metrics } from "./src/http/metrics.ts";
import { type HttpServer, PortInUseError, serveHttp } from "./src/http/server.ts";
import { KisClient } from "./src/kis/mod.ts";
import { EXIT_USAGE, exitOnUsageError, startCommand } from "./src/cli/entry.ts";
import { ConfigError } from "./src/config.ts";
import { getLogger } from "./src/log.ts";
import { serverBackupAdvice } from "./db/backup.ts";
import { backupFolderProblem, registerMaintenance } from "./src/maintenance.ts";
import { kstDate } from "./src/time.ts";

const log = getLogger("service");
/** How long a stop waits for the collections and the maintenance in flight (ms). */
const STOP_WAIT_MS = 60_000;
/** How long a stop waits for the alerts still being sent (ms). */
const ALERT_WAIT_MS = 5_000;
const service = await startCommand("archivist.jsonl", { writes: "optional" });
const { config, archivist } = service;

// A read-only archive is served for reading; collecting into it would only fail stock by stock.
const collectionOff = !config.kis
  ? "KIS_APP_KEY and KIS_APP_SECRET are not set; run `deno task sim` to try the bundled " +
    "simulator, or set them in .env"
  : archivist.readOnly
  ? `the archive ${archivist.path} is read-only for this process; make it writable and restart`
  : undefined;
const client = config.kis && !collectionOff ? KisClient.fromSettings(config.kis) : undefined;
const alerts = config.alertWebhook ? new AlertWebhook(config.alertWebhook) : undefined;
const observer = alerts ? alertingRunObserver(alerts) : undefined;
/** Aborted on SIGINT/SIGTERM: collections finish their current stocks and stop. */
const stopping = new AbortController();
const calendar = client ? new CalendarRefresher(archivist, client) : undefined;
let cron: CronRegistration | undefined;
// Deno.cron jobs are registered at the top level, before the first await on I/O below.
if (client) {
  cron = registerCronJobs({
    archivist,
    client,
    calendar,
    config,
    observer,
    signal: stopping.signal,
    shard: config.shard,
  });
} else {
  log.warning(`Collection is off: ${collectionOff}. The HTTP API still serves.`);
}
const maintenance = registerMaintenance({ archivist, config, alerts, signal: stopping.signal });
const backupProblem = config.backup.keep > 0 && !serverBackupAdvice(archivist.path) &&
  await backupFolderProblem(config.backup.dir);
if (backupProblem) {
  await archivist.close();
  exitOnUsageError(new ConfigError([`ARCHIVIST_BACKUP_DIR: ${backupProblem}`]));
}
if (alerts) {
  archivist.observe({ writeStatus: (status) => alerts.send(writeAlert(status, archivist.path)) });
}

const hosts = new AllowedHosts(config.host, config.allowedHosts);
const app = createApp({
  archivist,
  token: config.token,
  hosts,
  metrics: new Metrics({ archivist, kis: client ? () => client.stats : undefined }),
  regretThresholdPct: config.regretThresholdPct,
  collection: () => client ? { enabled: true } : { enabled: false, reason: collectionOff },
  schedule: config.schedule,
  enabledJobs: config.enabledJobs,
  maintenance: maintenance.schedule,
});
let server: HttpServer;
try {
  server = await serveHttp(app, {
    hostname: config.host,
    port: config.port,
    tokenRequired: config.token !== undefined,
    hosts,
  });
} catch (error) {
  if (!(error instanceof PortInUseError || error instanceof InsecureBindingError)) throw error;
  console.error(error.message);
  await service[Symbol.asyncDispose]();
  Deno.exit(EXIT_USAGE);
}
console.log(
  `Archivist is serving ${server.url} (database ${archivist.path}${
    archivist.readOnly ? ", READ-ONLY: writes are refused" : ""
  })`,
);

const saidNoTargets = client !== undefined && await hasNoTargets();
if (saidNoTargets) log.warning(`Collection has ${noTargetsReason(config.enabledJobs)}`);
const startupCatchUp = client
  ? catchUp({
    archivist,
    client,
    calendar,
    days: config.catchUpDays,
    jobs: config.enabledJobs,
    runScope: cronRunScope(config.logDir),
    observer,
    signal: stopping.signal,
    saidNoTargets,
    shard: config.shard,
  }).then(
    (summary) =>
      log.info("Catch-up on start: {missing} missing runs, {runs} made", {
        missing: summary.missing.length,
        runs: summary.runs.length,
      }),
    (error) => log.error("Catch-up on start failed: {error}", { error }),
  )
  : Promise.resolve();

/** Whether no enabled job has a stock to collect today (said once, instead of a skip per run). */
async function hasNoTargets(): Promise<boolean> {
  const today = kstDate(new Date());
  for (const job of config.enabledJobs) {
    if ((await JOBS[job].targets(archivist, today, [])).length > 0) return false;
  }
  return true;
}

/** Resolves true once `work` settles, false after `ms`. */
function within(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    work.then(() => true),
    new Promise<false>((resolve) => timer = setTimeout(() => resolve(false), ms)),
  ]).finally(() => clearTimeout(timer));
}

async function stop(signal: Deno.Signal): Promise<void> {
  if (stopping.signal.aborted) return;
  stopping.abort();
  log.info("{signal}: finishing requests and collections in flight, then closing the database", {
    signal,
  });
  // No new request is accepted; those in flight are answered (their writes committed).
  await server.shutdown();
  // Collections stop after the stocks in flight (seconds) and record how far they got; a
  // maintenance finishes its backup. The database must stay open until they have.
  const settled = await within(
    Promise.all([startupCatchUp, cron?.idle(), maintenance.idle()]),
    STOP_WAIT_MS,
  );
  if (!settled) {
    // A request hanging in KIS's retries: leave without closing under it. Committed rows are
    // safe (WAL); the next start marks the unfinished run as interrupted.
    log.error("Collections did not stop within {seconds} s; exiting without waiting for them", {
      seconds: STOP_WAIT_MS / 1000,
    });
    Deno.exit(1);
  }
  // The alerts of runs that just ended (interrupted ones included) go out before the exit.
  if (alerts) await within(alerts.settled(), ALERT_WAIT_MS);
  await service[Symbol.asyncDispose]();
  Deno.exit(0);
}
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  Deno.addSignalListener(signal, () => void stop(signal));
}
