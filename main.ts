/**
 * `deno task start`: the Archivist service. Wires the configuration, the archive, the HTTP API,
 * the `Deno.cron` collection jobs, the catch-up of missed days, the daily backup and pruning, the
 * metrics and the alert webhook; on SIGINT/SIGTERM it finishes the requests in flight, closes the
 * database and exits 0.
 *
 * @module
 */
import { catchUp } from "./collectors/catch_up.ts";
import { cronRunScope, registerCronJobs } from "./collectors/schedule.ts";
import { alertingRunObserver, AlertWebhook, writeAlert } from "./src/alert.ts";
import { createApp } from "./src/http/app.ts";
import { InsecureBindingError } from "./src/http/auth.ts";
import { AllowedHosts } from "./src/http/host_check.ts";
import { Metrics } from "./src/http/metrics.ts";
import { type HttpServer, PortInUseError, serveHttp } from "./src/http/server.ts";
import { KisClient } from "./src/kis/mod.ts";
import { EXIT_USAGE, startCommand } from "./src/cli/entry.ts";
import { getLogger } from "./src/log.ts";
import { registerMaintenance } from "./src/maintenance.ts";

const log = getLogger("service");
const service = await startCommand("archivist.jsonl", { writes: "optional" });
const { config, archivist } = service;

const client = config.kis ? KisClient.fromSettings(config.kis) : undefined;
const alerts = config.alertWebhook ? new AlertWebhook(config.alertWebhook) : undefined;
const observer = alerts ? alertingRunObserver(alerts) : undefined;
const collectionOff = "KIS_APP_KEY and KIS_APP_SECRET are not set; run `deno task sim` to try " +
  "the bundled simulator, or set them in .env";
// Deno.cron jobs are registered at the top level, before the first await on I/O below.
if (client) {
  registerCronJobs({ archivist, client, config, observer });
} else {
  log.warning(`Collection is off: ${collectionOff}. The HTTP API still serves.`);
}
registerMaintenance({ archivist, config, alerts });
if (alerts) {
  archivist.observe({ writeStatus: (status) => alerts.send(writeAlert(status, archivist.path)) });
}

const hosts = new AllowedHosts(config.host, config.allowedHosts);
const app = createApp({
  archivist,
  token: config.token,
  hosts,
  metrics: new Metrics({ archivist, kis: client ? () => client.stats : undefined }),
  collection: () => client ? { enabled: true } : { enabled: false, reason: collectionOff },
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

const startupCatchUp = client
  ? catchUp({
    archivist,
    client,
    days: config.catchUpDays,
    runScope: cronRunScope(config.logDir),
    observer,
  }).then(
    (summary) =>
      log.info("Catch-up on start: {missing} missing runs, {runs} made", {
        missing: summary.missing.length,
        runs: summary.runs.length,
      }),
    (error) => log.error("Catch-up on start failed: {error}", { error }),
  )
  : Promise.resolve();

let stopping = false;
async function stop(signal: Deno.Signal): Promise<void> {
  if (stopping) return;
  stopping = true;
  log.info("{signal}: finishing requests in flight, then closing the database", { signal });
  await server.shutdown();
  await Promise.race([startupCatchUp, new Promise((resolve) => setTimeout(resolve, 5_000))]);
  await Promise.race([alerts?.settled(), new Promise((resolve) => setTimeout(resolve, 5_000))]);
  await service[Symbol.asyncDispose]();
  Deno.exit(0);
}
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  Deno.addSignalListener(signal, () => void stop(signal));
}
