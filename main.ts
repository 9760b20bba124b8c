/**
 * `deno task start`: the Archivist service. Wires the configuration, the archive, the HTTP API,
 * the `Deno.cron` collection jobs and the catch-up of missed days; on SIGINT/SIGTERM it finishes
 * the requests in flight, closes the database and exits 0.
 *
 * @module
 */
import { catchUp } from "./collectors/catch_up.ts";
import { cronRunScope, registerCronJobs } from "./collectors/schedule.ts";
import { createApp } from "./src/http/app.ts";
import { InsecureBindingError } from "./src/http/auth.ts";
import { type HttpServer, PortInUseError, serveHttp } from "./src/http/server.ts";
import { KisClient } from "./src/kis/mod.ts";
import { EXIT_USAGE, startCommand } from "./src/cli/entry.ts";
import { getLogger } from "./src/log.ts";

const log = getLogger("service");
const service = await startCommand("archivist.jsonl");
const { config, archivist } = service;

const client = config.kis ? KisClient.fromSettings(config.kis) : undefined;
const collectionOff = "KIS_APP_KEY and KIS_APP_SECRET are not set; run `deno task sim` to try " +
  "the bundled simulator, or set them in .env";
if (client) {
  // Deno.cron jobs are registered at the top level, before the first await on I/O below.
  registerCronJobs({ archivist, client, config, shard: config.shard });
} else {
  log.warning(`Collection is off: ${collectionOff}. The HTTP API still serves.`);
}

const app = createApp({
  archivist,
  token: config.token,
  regretThresholdPct: config.regretThresholdPct,
  collection: () => client ? { enabled: true } : { enabled: false, reason: collectionOff },
  schedule: config.schedule,
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

const startupCatchUp = client
  ? catchUp({
    archivist,
    client,
    days: config.catchUpDays,
    runScope: cronRunScope(config.logDir),
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

let stopping = false;
async function stop(signal: Deno.Signal): Promise<void> {
  if (stopping) return;
  stopping = true;
  log.info("{signal}: finishing requests in flight, then closing the database", { signal });
  await server.shutdown();
  await Promise.race([startupCatchUp, new Promise((resolve) => setTimeout(resolve, 5_000))]);
  await service[Symbol.asyncDispose]();
  Deno.exit(0);
}
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  Deno.addSignalListener(signal, () => void stop(signal));
}
