import assert from "node:assert/strict";
import { Archivist } from "../db/archivist.ts";
import { SCHEMA_VERSION } from "../db/migrations.ts";
import { DEMO_REAL_APP_KEY, DEMO_REAL_APP_SECRET, startSimulator } from "../src/sim/server.ts";
import { startService } from "./fixtures/service.ts";
import { freshLocation, isPostgresLocation, runCli, tempDir } from "./helpers.ts";

Deno.test("service: without KIS credentials it serves, says once that collection is off, exits 0", async () => {
  await using dir = await tempDir();
  // The default file, or in the PostgreSQL pass a database named by ARCHIVIST_DB.
  await using fresh = await freshLocation(`${dir.path}/data`);
  const service = await startService(
    dir.path,
    isPostgresLocation(fresh.location) ? { ARCHIVIST_DB: fresh.location } : {},
  );
  const health = await (await fetch(`${service.url}/health`)).json();
  assert.equal(health.status, "ok");
  assert.equal(health.schema_version, SCHEMA_VERSION);
  assert.equal(health.collection.enabled, false);
  assert.match(health.collection.reason, /KIS_APP_KEY/);
  const posted = await fetch(`${service.url}/v1/decisions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ stock_code: "005930", final_decision: "HOLD" }),
  });
  assert.equal(posted.status, 201);
  await posted.body?.cancel();

  const { code, stderr } = await service.stop();
  assert.equal(code, 0);
  assert.equal(stderr.match(/Collection is off/g)?.length, 1);
  await using archivist = await Archivist.open(fresh.location);
  assert.equal((await archivist.listDecisions({})).items.length, 1);
  await Deno.stat(`${dir.path}/logs/archivist.jsonl`);
});

Deno.test("service: with credentials, catch-up on start collects the watchlist's last trading day", async () => {
  await using dir = await tempDir();
  await using sim = await startSimulator({
    rateLimit: { real: 1000 },
    tokenIssueIntervalSec: 1,
    quiet: true,
  });
  await using fresh = await freshLocation(dir.path);
  const dbPath = fresh.location;
  {
    await using archivist = await Archivist.open(dbPath);
    await archivist.addToWatchlist([{ stock_code: "005930" }, { stock_code: "000660" }]);
  }
  const service = await startService(dir.path, {
    ARCHIVIST_DB: dbPath,
    ARCHIVIST_CATCH_UP_DAYS: "1",
    KIS_BASE_URL: sim.realUrl,
    KIS_APP_KEY: DEMO_REAL_APP_KEY,
    KIS_APP_SECRET: DEMO_REAL_APP_SECRET,
    KIS_RATE_LIMIT: "100",
  });
  let runs: { job: string; status: string; stocks_done: number }[] = [];
  for (let i = 0; i < 100 && runs.filter((r) => r.status === "succeeded").length < 3; i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    runs = (await (await fetch(`${service.url}/v1/runs`)).json()).items;
  }
  const health = await (await fetch(`${service.url}/health`)).json();
  const { code, stderr } = await service.stop();
  assert.equal(code, 0, stderr);
  assert.deepEqual(
    runs.map((r) => [r.job, r.status, r.stocks_done]).sort(),
    [["daily", "succeeded", 2], ["flow", "succeeded", 2], ["intraday", "succeeded", 2]],
  );
  assert.equal(health.collection.enabled, true);
  assert.doesNotMatch(stderr, new RegExp(DEMO_REAL_APP_SECRET.slice(0, 24)));
  const cronLogs = [...Deno.readDirSync(`${dir.path}/logs/cron`)].map((e) => e.name);
  assert.equal(cronLogs.length, 3);
  assert.ok(
    cronLogs.every((name) =>
      /^(flow|intraday|daily)-\d{4}-\d{2}-\d{2}-[0-9a-f-]+\.jsonl$/.test(name)
    ),
  );
});

Deno.test("service: with credentials and an empty watchlist, one line says how to add stocks; no run, no log file", async () => {
  await using dir = await tempDir();
  await using sim = await startSimulator({
    rateLimit: { real: 1000 },
    tokenIssueIntervalSec: 1,
    quiet: true,
  });
  await using fresh = await freshLocation(dir.path);
  const service = await startService(dir.path, {
    ARCHIVIST_DB: fresh.location,
    ARCHIVIST_CATCH_UP_DAYS: "5",
    KIS_BASE_URL: sim.realUrl,
    KIS_APP_KEY: DEMO_REAL_APP_KEY,
    KIS_APP_SECRET: DEMO_REAL_APP_SECRET,
    KIS_RATE_LIMIT: "100",
  });
  // A stop waits for catch-up on start, which looks at its 5 days × 3 jobs.
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const runs = (await (await fetch(`${service.url}/v1/runs`)).json()).items;
  const stopped = await service.stop();
  assert.equal(stopped.code, 0, stopped.stderr);
  assert.match(stopped.stderr, /Catch-up on start: 15 missing runs, 0 made/);
  const lines = stopped.stderr.split("\n").filter((line) => /nothing to collect/.test(line));
  assert.equal(lines.length, 1, lines.join("\n"));
  assert.match(lines[0], /watchlist is empty.*deno task watchlist add 005930.*--codes/);
  assert.deepEqual(runs, []);
  const cron = `${dir.path}/logs/cron`;
  const cronLogs = (() => {
    try {
      return [...Deno.readDirSync(cron)].map((entry) => entry.name);
    } catch {
      return []; // Never created: no run wrote a log.
    }
  })();
  assert.deepEqual(cronLogs, [], "no run's log file");
});

Deno.test("service: a port already in use stops a second service with exit 2 and the fix", async () => {
  await using dir = await tempDir();
  const first = await startService(dir.path);
  const port = new URL(first.url).port;
  const second = await runCli("main.ts", [], {
    cwd: dir.path,
    env: { ARCHIVIST_PORT: port, ARCHIVIST_DB: `${dir.path}/second.db` },
  });
  assert.equal((await first.stop()).code, 0);
  assert.equal(second.code, 2);
  assert.match(
    second.stderr,
    new RegExp(`127\\.0\\.0\\.1:${port} is already in use.*ARCHIVIST_PORT`),
  );
});

Deno.test("service: any KST schedule time registers; SIGTERM mid-collection stops the requests, records the run, sends its alert, closes, exits 0", async () => {
  await using dir = await tempDir();
  // The alert webhook: each alert, and whether the service still answered when it arrived.
  const alerts: { event: string; serviceAnswered: boolean }[] = [];
  let serviceUrl = "";
  await using webhook = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (r) => {
    const { event } = await r.json();
    const serviceAnswered = await fetch(`${serviceUrl}/health`).then(
      async (response) => (await response.body?.cancel(), true),
      () => false,
    );
    alerts.push({ event, serviceAnswered });
    return new Response(null, { status: 204 });
  });
  await using sim = await startSimulator({
    rateLimit: { real: 1000 },
    tokenIssueIntervalSec: 1,
    faults: { latencyMs: 200 },
    quiet: true,
  });
  await using fresh = await freshLocation(dir.path);
  const dbPath = fresh.location;
  const codes = ["005930", "000660", "035420", "051910", "005380", "035720", "068270", "105560"];
  {
    await using archivist = await Archivist.open(dbPath);
    await archivist.addToWatchlist(codes.map((stock_code) => ({ stock_code })));
  }
  const service = await startService(dir.path, {
    ARCHIVIST_DB: dbPath,
    ARCHIVIST_CATCH_UP_DAYS: "2",
    // Before midnight UTC: the weekdays move back a day (Deno.cron refused `0-4`).
    ARCHIVIST_FLOW_TIME_KST: "08:30",
    ARCHIVIST_INTRADAY_TIME_KST: "00:00",
    KIS_BASE_URL: sim.realUrl,
    KIS_APP_KEY: DEMO_REAL_APP_KEY,
    KIS_APP_SECRET: DEMO_REAL_APP_SECRET,
    KIS_RATE_LIMIT: "4",
    KIS_TOKEN_CACHE: `${dir.path}/token.json`,
    ARCHIVIST_ALERT_WEBHOOK: `http://127.0.0.1:${webhook.addr.port}/hook`,
  });
  serviceUrl = service.url;
  let running = false;
  for (let i = 0; i < 200 && !running; i++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    const runs = (await (await fetch(`${service.url}/v1/runs`)).json()).items;
    running = runs.some((r: { status: string }) => r.status === "running");
  }
  assert.ok(running, "a catch-up run was in flight");
  const { code, stderr } = await service.stop();
  assert.equal(code, 0, stderr);
  assert.doesNotMatch(stderr, /Invalid cron schedule|database is closed|broke off/i);
  await using archivist = await Archivist.open(dbPath);
  const runs = await archivist.listRuns();
  assert.ok(runs.length > 0);
  assert.deepEqual(runs.filter((r) => r.status === "running"), [], "no run left running");
  assert.ok(
    runs.some((r) =>
      r.status === "failed" && /interrupted: the process was stopping/.test(r.reason ?? "")
    ),
    JSON.stringify(runs.map((r) => [r.job, r.trade_date, r.status, r.reason])),
  );
  // The interrupted run's alert went out before the exit, once no request was taken any more.
  assert.ok(alerts.some((a) => a.event === "run_failed"), JSON.stringify(alerts));
  assert.deepEqual(alerts.filter((a) => a.serviceAnswered), [], "requests stopped first");
});
