import assert from "node:assert/strict";
import { runCollection } from "../collectors/run.ts";
import { sessionBars, SIM_HALTED_STOCK_CODE } from "../src/sim/market.ts";
import { barTimeOf } from "../src/time.ts";
import { collectFixture, FIVE_STOCKS, truthRows } from "./collectors_fixture.ts";

const DAY = "2026-11-24";

Deno.test("intraday: every bar of a 5-stock day equals the simulator's truth; a rerun changes nothing", async () => {
  await using fx = await collectFixture();
  const request = {
    job: "intraday",
    tradeDate: DAY,
    trigger: "manual",
    codes: [...FIVE_STOCKS],
  } as const;
  const report = await runCollection(fx.deps, request);
  assert.equal(report.status, "succeeded");
  assert.equal(report.stocksDone, 5);
  assert.equal(report.kisCalls, 20, "4 dated minute-bar pages per stock");

  let total = 0;
  for (const code of FIVE_STOCKS) {
    const truth = truthRows(code, DAY);
    assert.ok(truth.length > 300);
    assert.deepEqual(await fx.archivist.minuteBars(code, DAY), truth, code);
    total += truth.length;
  }
  assert.equal(report.writes.inserted, total);
  assert.equal(report.rowsWritten, total);

  const again = await runCollection(fx.deps, request);
  assert.deepEqual(
    [again.status, again.stocksDone, again.alreadyStored, again.kisCalls],
    ["succeeded", 5, 5, 0],
    "stored days are not fetched again",
  );
  const rerun = await runCollection(fx.deps, { ...request, refetch: true });
  assert.equal(rerun.status, "succeeded");
  assert.deepEqual(rerun.writes, { inserted: 0, updated: 0, unchanged: total });
  const [latest] = await fx.archivist.listRuns({ job: "intraday" });
  assert.equal(latest.rows_written, 0);
  assert.equal(latest.kis_calls, 20);
});

Deno.test("intraday: an unlisted code fails alone, with an error naming it", async () => {
  await using fx = await collectFixture();
  const report = await runCollection(fx.deps, {
    job: "intraday",
    tradeDate: DAY,
    trigger: "manual",
    codes: ["005930", "999999"],
  });
  assert.equal(report.status, "partial");
  assert.deepEqual(report.failures.map((f) => f.stockCode), ["999999"]);
  assert.match(report.failures[0].error, /no minute bars of 999999 for 2026-11-24/);
  assert.equal(
    (await fx.archivist.minuteBars("005930", DAY)).length,
    sessionBars("005930", DAY).length,
  );
});

Deno.test("intraday: today's session after the close comes from the today TR, complete", async () => {
  await using fx = await collectFixture();
  const today = "2026-11-25";
  const report = await runCollection(fx.deps, {
    job: "intraday",
    tradeDate: today,
    trigger: "manual",
    codes: ["035420"],
  });
  assert.equal(report.status, "succeeded");
  const stored = await fx.archivist.minuteBars("035420", today);
  assert.deepEqual(
    stored.map((b) => [b.bar_time, b.close, b.volume, b.value]),
    sessionBars("035420", today).map((b) => [barTimeOf(today, b.time), b.close, b.volume, b.value]),
  );
});

Deno.test("intraday: a past day on the virtual server is unavailable, not a failure", async () => {
  await using fx = await collectFixture({ env: "virtual" });
  const report = await runCollection(fx.deps, {
    job: "intraday",
    tradeDate: DAY,
    trigger: "manual",
    codes: [...FIVE_STOCKS],
  });
  assert.equal(report.status, "skipped");
  assert.match(report.reason ?? "", /unavailable: the virtual .* minute bars of today only/);
  assert.equal(report.kisCalls, 0);
  assert.equal(report.stocksFailed, 0);
  // Today's session is served by the virtual server's today TR.
  const today = await runCollection(fx.deps, {
    job: "intraday",
    tradeDate: "2026-11-25",
    trigger: "manual",
    codes: ["005930"],
  });
  assert.equal(today.status, "succeeded", today.reason ?? "");
});

Deno.test("intraday: a halt is read from KIS's daily candle where the program series leaves the day out", async () => {
  await using fx = await collectFixture({ quirks: { programSkipsHaltedDays: true } });
  const report = await runCollection(fx.deps, {
    job: "intraday",
    tradeDate: DAY,
    trigger: "manual",
    codes: ["005930", SIM_HALTED_STOCK_CODE],
  });
  assert.equal(report.status, "succeeded", report.reason ?? "");
  assert.deepEqual([report.stocksDone, report.stocksFailed], [2, 0]);
  assert.deepEqual(report.notes.map((n) => n.stockCode), [SIM_HALTED_STOCK_CODE]);
  assert.match(report.notes[0].note, /halted all day/);
  assert.deepEqual(await fx.archivist.minuteBars(SIM_HALTED_STOCK_CODE, DAY), []);
  assert.equal(fx.sim.stats().byTrId.FHPPG04650201 ?? 0, 0, "the daily candle answered");
});

Deno.test("intraday: a day beyond KIS's year of minute bars fails saying running again will not help", async () => {
  await using fx = await collectFixture();
  const report = await runCollection(fx.deps, {
    job: "intraday",
    tradeDate: "2025-11-13",
    trigger: "manual",
    codes: ["005930"],
  });
  assert.equal(report.status, "failed");
  assert.match(report.failures[0]?.error ?? "", /about 365 days of minute bars.*will not help/);
  const recent = await runCollection(fx.deps, {
    job: "intraday",
    tradeDate: DAY,
    trigger: "manual",
    codes: ["005930"],
  });
  assert.equal(recent.status, "succeeded", "a day within the year is served");
});
