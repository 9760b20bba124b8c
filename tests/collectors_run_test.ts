import assert from "node:assert/strict";
import { COLLECTION_LEASE, LEASE_BUSY_REASON } from "../collectors/lease.ts";
import { runCollection, type StockProgress } from "../collectors/run.ts";
import { collectFixture, FIVE_STOCKS } from "./collectors_fixture.ts";

Deno.test("run: a holiday is recorded as skipped, with no rows and no stock request", async () => {
  await using fx = await collectFixture({ clock: "2026-12-28T16:05:00+09:00" });
  for (const job of ["flow", "intraday"] as const) {
    const report = await runCollection(fx.deps, {
      job,
      tradeDate: "2026-12-25",
      trigger: "manual",
      codes: ["005930"],
    });
    assert.equal(report.status, "skipped");
    assert.equal(report.reason, "market closed on 2026-12-25");
  }
  const runs = await fx.archivist.listRuns({ tradeDate: "2026-12-25" });
  assert.deepEqual(runs.map((r) => [r.job, r.status, r.reason]).sort(), [
    ["flow", "skipped", "market closed on 2026-12-25"],
    ["intraday", "skipped", "market closed on 2026-12-25"],
  ]);
  assert.deepEqual(await fx.archivist.minuteBars("005930", "2026-12-25"), []);
  assert.deepEqual(await fx.archivist.flowSnapshots("005930", "2026-12-25", "2026-12-25"), []);
  const stats = fx.sim.stats();
  assert.deepEqual(Object.keys(stats.byTrId), ["CTCA0903R"], "only the calendar was asked");
  assert.equal(fx.archivist.hasCalendarDay("2026-12-25"), true, "KIS's calendar was stored");
});

Deno.test("run: nothing to collect is recorded as skipped", async () => {
  await using fx = await collectFixture();
  const report = await runCollection(fx.deps, {
    job: "flow",
    tradeDate: "2026-11-24",
    trigger: "manual",
  });
  assert.equal(report.status, "skipped");
  assert.match(report.reason ?? "", /nothing to collect: the watchlist is empty/);
  assert.match(report.reason ?? "", /deno task watchlist add 005930/);
  assert.match(report.reason ?? "", /--codes/);
});

Deno.test("run: the targets are the watchlist plus the codes given; progress is reported per stock", async () => {
  await using fx = await collectFixture();
  await fx.archivist.addToWatchlist([{ stock_code: "005930" }, { stock_code: "000660" }]);
  const seen: StockProgress[] = [];
  const report = await runCollection(
    { ...fx.deps, observer: { stockFinished: (p) => seen.push(p) } },
    { job: "flow", tradeDate: "2026-11-24", trigger: "manual", codes: ["035420", "005930"] },
  );
  assert.equal(report.stocksTotal, 3);
  assert.deepEqual(seen.map((p) => p.stockCode).sort(), ["000660", "005930", "035420"]);
  assert.deepEqual(seen.map((p) => p.stocksDone).sort(), [1, 2, 3]);
  assert.equal(Math.max(...seen.map((p) => p.kisCalls)), 6);
  assert.equal(report.kisCalls, 6);
});

Deno.test("run: two concurrent runs do not both collect", async () => {
  await using fx = await collectFixture({ faults: { latencyMs: 20 } });
  const request = (job: "flow" | "intraday") =>
    ({ job, tradeDate: "2026-11-24", trigger: "manual", codes: [...FIVE_STOCKS] }) as const;
  // Another process: its own client, same archive file.
  const other = { ...fx.deps, client: fx.newClient() };
  const [a, b] = await Promise.all([
    runCollection(fx.deps, request("intraday")),
    runCollection(other, request("flow")),
  ]);
  const statuses = [a.status, b.status].sort();
  assert.deepEqual(statuses, ["skipped", "succeeded"]);
  const skipped = a.status === "skipped" ? a : b;
  assert.equal(skipped.reason, LEASE_BUSY_REASON);
  assert.equal(skipped.kisCalls, 0);

  // Waiting instead: the second starts only after the first has finished. Both wait: which one
  // reaches the lease first depends on the backend's timing.
  const waiting = { ...other, lease: { waitMs: 30_000, pollMs: 20 } };
  const [c, d] = await Promise.all([
    runCollection({ ...fx.deps, lease: waiting.lease }, request("intraday")),
    runCollection(waiting, request("flow")),
  ]);
  assert.equal(c.status, "succeeded");
  assert.equal(d.status, "succeeded");
  const runs = await fx.archivist.listRuns({ limit: 2 });
  const [first, second] = runs.toSorted((x, y) => x.started_at.localeCompare(y.started_at));
  assert.ok(first.finished_at! <= second.started_at, "the runs did not overlap");
});

Deno.test("run: a run left running by a dead process is marked failed by the next one", async () => {
  await using fx = await collectFixture();
  const orphan = await fx.archivist.startRun({
    job: "flow",
    tradeDate: "2026-11-23",
    trigger: "schedule",
    stocksTotal: 5,
  });
  // The dead process's lease has expired.
  assert.ok(await fx.archivist.acquireLease(COLLECTION_LEASE, "dead-process", -1));
  const report = await runCollection(fx.deps, {
    job: "flow",
    tradeDate: "2026-11-24",
    trigger: "manual",
    codes: ["005930"],
  });
  assert.equal(report.status, "succeeded");
  const [run] = await fx.archivist.listRuns({ tradeDate: "2026-11-23" });
  assert.equal(run.run_id, orphan);
  assert.equal(run.status, "failed");
  assert.match(run.reason ?? "", /interrupted/);
});
