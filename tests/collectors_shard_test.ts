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
import { runCollection } from "../collectors/run.ts";
import { inShard, parseShard } from "../collectors/shard.ts";
import { createApp } from "../src/http/app.ts";
import { AllowedHosts } from "../src/http/host_check.ts";
import { collectFixture, FIVE_STOCKS } from "./collectors_fixture.ts";
import { runCli, tempDir } from "./helpers.ts";

const DAY = "2026-11-24";

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
