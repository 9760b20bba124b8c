/**
 * `deno task start`: the Archivist service. Wires the configuration, the archive, the HTTP API,
 * the `Deno.cron` collection jobs and the catch-up of missed days; on SIGINT/SIGTERM it finishes
 * the requests in flight, lets the collections in flight finish their current stocks and record
 * themselves (interrupted, completed by the next run), closes the database and exits 0.
 *
 * @module
 */
import { CalendarRefresher } from "./collectors/calendar.ts";
import { catchUp } from "./collectors/catch_up.ts";
import { JOBS, noTargetsReason } from "./collectors/jobs.ts";
import { type CronRegistration, cronRunScope, registerCronJobs } from "./collectors/schedule.ts";
import { createApp } from "./src/http/app.ts";
import { InsecureBindingError } from "./src/http/auth.ts";
import { type HttpServer, PortInUseError, serveHttp } from "./src/http/server.ts";
import { KisClient } from "./src/kis/mod.ts";
import { EXIT_USAGE, startCommand } from "./src/cli/entry.ts";
import { getLogger } from "./src/log.ts";
import { kstDate } from "./src/time.ts";

const log = getLogger("service");
/** How long a stop waits for the collections in flight to record themselves (ms). */
const STOP_WAIT_MS = 60_000;
const service = await startCommand("archivist.jsonl");
const { config, archivist } = service;

const client = config.kis ? KisClient.fromSettings(config.kis) : undefined;
const collectionOff = "KIS_APP_KEY and KIS_APP_SECRET are not set; run `deno task sim` to try " +
  "the bundled simulator, or set them in .env";
/** Aborted on SIGINT/SIGTERM: collections finish their current stocks and stop. */
const stopping = new AbortController();
const calendar = client ? new CalendarRefresher(archivist, client) : undefined;
let cron: CronRegistration | undefined;
if (client) {
  // Deno.cron jobs are registered at the top level, before the first await on I/O below.
  cron = registerCronJobs({ archivist, client, calendar, config, signal: stopping.signal });
} else {
  log.warning(`Collection is off: ${collectionOff}. The HTTP API still serves.`);
}

const app = createApp({
  archivist,
  token: config.token,
  regretThresholdPct: config.regretThresholdPct,
  collection: () => client ? { enabled: true } : { enabled: false, reason: collectionOff },
  schedule: config.schedule,
  enabledJobs: config.enabledJobs,
});
let server: HttpServer;
try {
  server = serveHttp(app, {
    hostname: config.host,
    port: config.port,
    tokenRequired: config.token !== undefined,
  });
} catch (error) {
  if (!(error instanceof PortInUseError || error instanceof InsecureBindingError)) throw error;
  console.error(error.message);
  await service[Symbol.asyncDispose]();
  Deno.exit(EXIT_USAGE);
}
console.log(`Archivist is serving ${server.url} (database ${archivist.path})`);

if (client && await hasNoTargets()) {
  log.warning(`Collection has ${noTargetsReason(config.enabledJobs)}`);
}
const startupCatchUp = client
  ? catchUp({
    archivist,
    client,
    calendar,
    days: config.catchUpDays,
    jobs: config.enabledJobs,
    runScope: cronRunScope(config.logDir),
    signal: stopping.signal,
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

async function stop(signal: Deno.Signal): Promise<void> {
  if (stopping.signal.aborted) return;
  stopping.abort();
  log.info("{signal}: finishing requests and collections in flight, then closing the database", {
    signal,
  });
  await server.shutdown();
  // Collections stop after the stocks in flight (seconds) and record how far they got; the
  // database must stay open until they have.
  const settled = await Promise.race([
    Promise.all([startupCatchUp, cron?.idle()]).then(() => true),
    new Promise<false>((resolve) => setTimeout(() => resolve(false), STOP_WAIT_MS)),
  ]);
  if (!settled) {
    // A request hanging in KIS's retries: leave without closing under it. Committed rows are
    // safe (WAL); the next start marks the unfinished run as interrupted.
    log.error("Collections did not stop within {seconds} s; exiting without waiting for them", {
      seconds: STOP_WAIT_MS / 1000,
    });
    Deno.exit(1);
  }
  await service[Symbol.asyncDispose]();
  Deno.exit(0);
}
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  Deno.addSignalListener(signal, () => void stop(signal));
}
