/**
 * Several collectors on one archive (`collect --shard i/n`): the targets split by a stable hash,
 * each stock collected by exactly one shard, shards running at once under their own leases, runs
 * recorded per shard and shown by `/health`. Runs on both backends.
 *
 * @module
 */
import assert from "node:assert/strict";
import { Archivist } from "../db/archivist.ts";
import { LEASE_BUSY_REASON } from "../collectors/lease.ts";
import { catchUp } from "../collectors/catch_up.ts";
import { runCollection } from "../collectors/run.ts";
import { inShard, parseShard } from "../collectors/shard.ts";
import { createApp } from "../src/http/app.ts";
import { AllowedHosts } from "../src/http/host_check.ts";
import { previousTradingDay } from "../src/calendar.ts";
import { DEMO_REAL_APP_KEY, DEMO_REAL_APP_SECRET, startSimulator } from "../src/sim/server.ts";
import { kstDate } from "../src/time.ts";
import { collectFixture, FIVE_STOCKS } from "./collectors_fixture.ts";
import { runCli, tempDir } from "./helpers.ts";

const DAY = "2026-11-24";
/** The latest day whose flows are final at the fixture's clock (16:05 KST of 2026-11-25). */
const LATEST_FLOW_DAY = "2026-11-25";

Deno.test("shard: i/n is parsed strictly; every code falls in exactly one part, always the same", () => {
  assert.deepEqual(parseShard("2/3"), { index: 2, count: 3 });
  for (const bad of ["0/3", "4/3", "1/0", "1-3", "a/b", "1/1001", ""]) {
    assert.throws(() => parseShard(bad), /expected a shard as i\/n/, bad);
  }
  const codes = Array.from({ length: 500 }, (_, i) => String(i * 197).padStart(6, "0"));
  for (const count of [1, 2, 3, 7]) {
    const sizes = Array.from({ length: count }, () => 0);
    for (const code of codes) {
      const parts = sizes.map((_, i) => inShard(code, { index: i + 1, count }));
      assert.equal(parts.filter(Boolean).length, 1, `${code} in one part of ${count}`);
      sizes[parts.indexOf(true)]++;
    }
    // Roughly even: no part holds less than half its share.
    assert.ok(Math.min(...sizes) > codes.length / count / 2, `${count}: ${sizes}`);
  }
  // The hash is part of the contract between hosts: it must not change between versions.
  assert.deepEqual(
    FIVE_STOCKS.map((code) => [1, 2].find((i) => inShard(code, { index: i, count: 2 }))),
    [2, 2, 1, 2, 2],
  );
});

Deno.test("shard: two hosts split the targets, collect at once, and each stock once", async () => {
  await using fx = await collectFixture({ faults: { latencyMs: 10 } });
  // The second host: its own connection to the archive and its own KIS client.
  await using otherArchive = await Archivist.open(fx.location, { now: () => fx.sim.now() });
  const other = { ...fx.deps, archivist: otherArchive, client: fx.newClient() };
  const request = (index: number) =>
    ({
      job: "intraday",
      tradeDate: DAY,
      trigger: "manual",
      codes: [...FIVE_STOCKS],
      shard: { index, count: 2 },
    }) as const;
  const [first, second] = await Promise.all([
    runCollection(fx.deps, request(1)),
    runCollection(other, request(2)),
  ]);
  assert.deepEqual([first.status, second.status], ["succeeded", "succeeded"]);
  assert.deepEqual([first.stocksTotal, second.stocksTotal], [1, 4]);
  assert.equal(first.kisCalls + second.kisCalls, 20, "4 pages per stock, no stock twice");
  for (const code of FIVE_STOCKS) {
    assert.ok((await fx.archivist.minuteBars(code, DAY)).length > 300, code);
  }

  const runs = await fx.archivist.listRuns({ job: "intraday" });
  assert.deepEqual(runs.map((r) => r.shard).sort(), ["1/2", "2/2"]);
  const app = createApp({ archivist: fx.archivist, hosts: new AllowedHosts("127.0.0.1") });
  const response = await app.request("/health");
  const health = await response.json();
  assert.deepEqual(
    health.shard_runs.map((r: { shard: string; status: string }) => [r.shard, r.status]),
    [["1/2", "succeeded"], ["2/2", "succeeded"]],
  );

  // A service's shard (ARCHIVIST_SHARD) applies to requests that name none.
  const scheduled = await runCollection({ ...fx.deps, shard: { index: 1, count: 2 } }, {
    job: "flow",
    tradeDate: DAY,
    trigger: "schedule",
    codes: [...FIVE_STOCKS],
  });
  assert.deepEqual([scheduled.status, scheduled.stocksTotal], ["succeeded", 1]);
  assert.equal((await fx.archivist.listRuns({ job: "flow" }))[0].shard, "1/2");

  // The same shard on two hosts at once: one collects, the other is skipped.
  const [a, b] = await Promise.all([
    runCollection(fx.deps, request(2)),
    runCollection(other, request(2)),
  ]);
  assert.deepEqual([a.status, b.status].sort(), ["skipped", "succeeded"]);
  assert.equal((a.status === "skipped" ? a : b).reason, LEASE_BUSY_REASON);
});

Deno.test("shard: a shard's run left running is not another shard's to mark failed", async () => {
  await using fx = await collectFixture();
  const left = await fx.archivist.startRun({
    job: "flow",
    tradeDate: DAY,
    trigger: "manual",
    stocksTotal: 4,
    shard: "2/2",
  });
  await runCollection(fx.deps, {
    job: "intraday",
    tradeDate: DAY,
    trigger: "manual",
    codes: [...FIVE_STOCKS],
    shard: { index: 1, count: 2 },
  });
  const [run] = await fx.archivist.listRuns({ job: "flow" });
  assert.equal(run.run_id, left);
  assert.equal(run.status, "running", "shard 2/2 may still be collecting on its host");
  assert.equal(await fx.archivist.markInterruptedRuns("2/2"), 1);
});

Deno.test("shard: runs of another split left running by a dead collector are marked failed by the next one", async () => {
  await using fx = await collectFixture();
  // A killed `collect all` without a shard, and a killed collector of a split in 3.
  const whole = await fx.archivist.startRun({
    job: "flow",
    tradeDate: DAY,
    trigger: "manual",
    stocksTotal: 5,
  });
  const third = await fx.archivist.startRun({
    job: "daily",
    tradeDate: DAY,
    trigger: "manual",
    stocksTotal: 2,
    shard: "1/3",
  });
  const twin = await fx.archivist.startRun({
    job: "intraday",
    tradeDate: DAY,
    trigger: "manual",
    stocksTotal: 2,
    shard: "2/2",
  });
  const report = await runCollection(fx.deps, {
    job: "intraday",
    tradeDate: DAY,
    trigger: "manual",
    codes: [...FIVE_STOCKS],
    shard: { index: 1, count: 2 },
  });
  assert.equal(report.status, "succeeded", report.reason ?? "");
  const status = async (runId: string) =>
    (await fx.archivist.listRuns()).find((run) => run.run_id === runId)?.status;
  assert.equal(await status(whole), "failed", "no unsharded collector holds a lease");
  assert.equal(await status(third), "failed", "no collector of a split in 3 holds a lease");
  assert.equal(await status(twin), "running", "shard 2/2 may still be collecting on its host");
});

Deno.test("shard: a collector splitting the targets another way is refused while one runs; the same split is not", async () => {
  await using fx = await collectFixture();
  // A collector on another host runs as shard 1/3.
  assert.ok(await fx.archivist.acquireLease("collection:1/3", "elsewhere:1:x", 60_000));
  const run = (shard?: { index: number; count: number }) =>
    runCollection(fx.deps, {
      job: "flow",
      tradeDate: DAY,
      trigger: "manual",
      codes: [...FIVE_STOCKS],
      shard,
    });
  for (const shard of [{ index: 1, count: 2 }, undefined]) {
    const refused = await run(shard);
    assert.equal(refused.status, "failed");
    assert.match(refused.reason ?? "", /another collector is running as shard 1\/3/);
    assert.match(
      refused.reason ?? "",
      /give every host the same n in --shard i\/n or ARCHIVIST_SHARD/,
    );
    assert.equal(refused.kisCalls, 0);
    // Not a credentials problem: `collect` exits 1 (tried again later), not 2.
    assert.deepEqual([refused.credentialsRejected, refused.retryLater], [false, true]);
  }
  assert.deepEqual(await fx.archivist.liveLeases(), ["collection:1/3"], "nothing left held");
  const caughtUp = await catchUp({ ...fx.deps, days: 2, jobs: ["flow"], shard: parseShard("2/2") });
  assert.match(caughtUp.skipped ?? "", /another collector is running as shard 1\/3/);
  // Another part of the same split collects beside it.
  const beside = await run({ index: 2, count: 3 });
  assert.equal(beside.status, "succeeded", beside.reason ?? "");
  assert.deepEqual(await fx.archivist.liveLeases(), ["collection:1/3"]);
});

Deno.test("shard: a collector of this machine killed while splitting another way does not hold up a shard", async () => {
  await using fx = await collectFixture();
  const ended = await new Deno.Command(Deno.execPath(), { args: ["--version"], stdout: "null" })
    .spawn();
  await ended.status;
  // An unsharded collector of this machine was killed: its lease is still live for 15 s.
  assert.ok(
    await fx.archivist.acquireLease("collection", `${Deno.hostname()}:${ended.pid}:x`, 60_000),
  );
  const run = await runCollection(fx.deps, {
    job: "flow",
    tradeDate: DAY,
    trigger: "manual",
    codes: [...FIVE_STOCKS],
    shard: { index: 1, count: 2 },
  });
  assert.equal(run.status, "succeeded", run.reason ?? "");
  assert.equal(run.stocksTotal, 1);
});

Deno.test("shard: a day is done only when every shard of its split succeeded", async () => {
  await using fx = await collectFixture();
  const finish = async (shard: string | null, status: "succeeded" | "partial") => {
    const runId = await fx.archivist.startRun({
      job: "flow",
      tradeDate: DAY,
      trigger: "manual",
      stocksTotal: 1,
      shard,
    });
    await fx.archivist.finishRun(runId, {
      status,
      stocksDone: 1,
      stocksFailed: 0,
      rowsWritten: 1,
      kisCalls: 1,
    });
  };
  const done = async () => [...await fx.archivist.succeededDates("flow", [DAY])];
  await finish("1/3", "succeeded");
  await finish("2/3", "succeeded");
  await finish("3/3", "partial");
  await finish("1/2", "succeeded");
  assert.deepEqual(await done(), [], "a shard of each split is missing");
  await finish("3/3", "succeeded");
  assert.deepEqual(await done(), [DAY]);
});

Deno.test("collect CLI: a bad --shard is a usage error naming the form", async () => {
  await using dir = await tempDir();
  const result = await runCli("src/cli/collect.ts", ["flow", "--shard", "3/2"], {
    cwd: dir.path,
    env: { ARCHIVIST_DB: `${dir.path}/a.db` },
  });
  assert.equal(result.code, 2);
  assert.match(result.stderr, /--shard: expected a shard as i\/n/);
});

Deno.test("shard: every job of the table collects only its part, daily candles too; a shard without a target of the day succeeds, saying so", async () => {
  await using fx = await collectFixture();
  const shard = { index: 1, count: 2 };
  const daily = await runCollection(fx.deps, {
    job: "daily",
    tradeDate: DAY,
    trigger: "manual",
    codes: [...FIVE_STOCKS],
    shard,
  });
  assert.deepEqual([daily.status, daily.stocksTotal], ["succeeded", 1]);
  assert.equal((await fx.archivist.dailyPrices("005930", DAY, DAY)).length, 1, "its one stock");
  assert.equal(await fx.archivist.dailyPriceSpan("035420"), null, "not another part's");

  // 000660 falls in part 2: part 1 has nothing to collect, and has collected its part whole.
  const none = await runCollection(fx.deps, {
    job: "flow",
    tradeDate: DAY,
    trigger: "manual",
    codes: ["000660"],
    shard,
  });
  assert.deepEqual([none.status, none.stocksTotal, none.kisCalls], ["succeeded", 0, 0]);
  assert.match(none.reason ?? "", /no target falls in shard 1\/2/);
});

Deno.test("shard: catch-up on each host collects its part of a missed day; the day is done once both are", async () => {
  await using fx = await collectFixture();
  await fx.archivist.addToWatchlist(FIVE_STOCKS.map((stock_code) => ({ stock_code })));
  const catchUpOn = (index: number) =>
    catchUp({ ...fx.deps, days: 1, jobs: ["flow"], shard: { index, count: 2 } });
  const first = await catchUpOn(1);
  assert.deepEqual(first.runs.map((r) => [r.tradeDate, r.status, r.stocksTotal]), [
    [LATEST_FLOW_DAY, "succeeded", 1],
  ]);
  assert.deepEqual([...await fx.archivist.succeededDates("flow", [LATEST_FLOW_DAY])], []);
  const second = await catchUpOn(2);
  assert.deepEqual(second.runs.map((r) => [r.status, r.stocksTotal]), [["succeeded", 4]]);
  assert.deepEqual(second.runs.map((r) => r.tradeDate), [LATEST_FLOW_DAY]);
  assert.deepEqual(
    await fx.archivist.succeededDates("flow", [LATEST_FLOW_DAY]),
    new Set([LATEST_FLOW_DAY]),
  );
  assert.deepEqual((await catchUpOn(1)).missing, [], "nothing left for either host");
});

Deno.test("collect CLI: ARCHIVIST_SHARD narrows every job's targets as --shard does; --shard wins", async () => {
  await using dir = await tempDir();
  await using sim = await startSimulator({
    rateLimit: { real: 1000 },
    tokenIssueIntervalSec: 1,
    quiet: true,
  });
  const day = previousTradingDay(kstDate(new Date()));
  const env = {
    ARCHIVIST_DB: `${dir.path}/a.db`,
    ARCHIVIST_LOG_DIR: `${dir.path}/logs`,
    ARCHIVIST_SHARD: "1/2",
    KIS_BASE_URL: sim.realUrl,
    KIS_APP_KEY: DEMO_REAL_APP_KEY,
    KIS_APP_SECRET: DEMO_REAL_APP_SECRET,
    KIS_TOKEN_CACHE: `${dir.path}/token.json`,
  };
  const dryRun = (...args: string[]) =>
    runCli(
      "src/cli/collect.ts",
      ["all", "--date", day, "--codes", FIVE_STOCKS.join(","), "--dry-run", ...args],
      { cwd: dir.path, env },
    );
  const mine = await dryRun();
  assert.equal(mine.code, 0, mine.stderr);
  for (const job of ["flow", "intraday", "daily"]) {
    assert.match(mine.stdout, new RegExp(`${job} ${day}: 1 stocks`), job);
  }
  assert.equal(mine.stdout.match(/ {2}targets: 005930\n/g)?.length, 3, mine.stdout);
  const other = await dryRun("--shard", "2/2");
  assert.equal(other.code, 0, other.stderr);
  assert.equal(
    other.stdout.match(/ {2}targets: 000660, 005380, 035420, 051910\n/g)?.length,
    3,
    other.stdout,
  );
  assert.equal(sim.stats().requests, 0);

  // A real run collects only this host's part and records its shard: ARCHIVIST_SHARD, then
  // --shard over it.
  const collect = (...args: string[]) =>
    runCli(
      "src/cli/collect.ts",
      ["flow", "--date", day, "--codes", FIVE_STOCKS.join(","), ...args],
      { cwd: dir.path, env },
    );
  const first = await collect();
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stdout, new RegExp(`flow ${day}: succeeded, 1/1 stocks`), first.stdout);
  const second = await collect("--shard", "2/2");
  assert.equal(second.code, 0, second.stderr);
  assert.match(second.stdout, new RegExp(`flow ${day}: succeeded, 4/4 stocks`), second.stdout);
  await using archivist = await Archivist.open(env.ARCHIVIST_DB);
  assert.deepEqual(
    (await archivist.lastShardRuns()).map((r) => [r.shard, r.stocks_total, r.status]),
    [["1/2", 1, "succeeded"], ["2/2", 4, "succeeded"]],
  );
  assert.deepEqual(await archivist.succeededDates("flow", [day]), new Set([day]));

  // Another host splits by 3: refused, saying why, as a failure to retry (1), not bad keys (2).
  assert.ok(await archivist.acquireLease("collection:1/3", "elsewhere:1:x", 60_000));
  const refused = await collect("--shard", "2/2", "--refetch");
  assert.equal(refused.code, 1, refused.stdout);
  assert.match(refused.stdout, /flow \S+: failed \(another collector is running as shard 1\/3/);
  assert.doesNotMatch(refused.stderr, /credentials/);
});
