import assert from "node:assert/strict";
import { catchUp } from "../collectors/catch_up.ts";
import { COLLECTION_LEASE, LEASE_BUSY_REASON } from "../collectors/lease.ts";
import { runCollection } from "../collectors/run.ts";
import { sessionBars } from "../src/sim/market.ts";
import { collectFixture } from "./collectors_fixture.ts";

// Friday 2026-11-27 17:00 KST: the machine was off for most of the week.
const CLOCK = "2026-11-27T17:00:00+09:00";

Deno.test("catch-up finds the missing and partial days of each job and fills them, oldest first", async () => {
  await using fx = await collectFixture({ clock: CLOCK });
  await fx.archivist.addToWatchlist([{ stock_code: "005930" }, { stock_code: "000660" }]);
  const ran = await runCollection(fx.deps, {
    job: "flow",
    tradeDate: "2026-11-25",
    trigger: "schedule",
  });
  assert.equal(ran.status, "succeeded");
  fx.sim.setFaults({ failCodes: ["000660"] });
  const partial = await runCollection(fx.deps, {
    job: "intraday",
    tradeDate: "2026-11-26",
    trigger: "schedule",
  });
  assert.equal(partial.status, "partial");
  fx.sim.setFaults({ failCodes: [] });

  const summary = await catchUp({ ...fx.deps, days: 3 });
  assert.equal(summary.skipped, null);
  assert.deepEqual(summary.missing.map((m) => `${m.tradeDate} ${m.job}`), [
    "2026-11-25 intraday",
    "2026-11-25 daily",
    "2026-11-26 flow",
    "2026-11-26 intraday",
    "2026-11-26 daily",
    "2026-11-27 flow",
    "2026-11-27 intraday",
    "2026-11-27 daily",
  ]);
  assert.deepEqual(summary.runs.map((r) => `${r.tradeDate} ${r.job} ${r.trigger} ${r.status}`), [
    "2026-11-25 intraday catch-up succeeded",
    "2026-11-25 daily catch-up succeeded",
    "2026-11-26 flow catch-up succeeded",
    "2026-11-26 intraday catch-up succeeded",
    "2026-11-26 daily catch-up succeeded",
    "2026-11-27 flow catch-up succeeded",
    "2026-11-27 intraday catch-up succeeded",
    "2026-11-27 daily catch-up succeeded",
  ]);
  for (const day of ["2026-11-25", "2026-11-26", "2026-11-27"]) {
    for (const code of ["005930", "000660"]) {
      assert.equal(
        (await fx.archivist.minuteBars(code, day)).length,
        sessionBars(code, day).length,
        `${code} ${day}`,
      );
      assert.equal((await fx.archivist.flowSnapshots(code, day, day)).length, 1, `${code} ${day}`);
    }
  }

  fx.sim.resetStats();
  const again = await catchUp({ ...fx.deps, days: 3 });
  assert.deepEqual(again.missing, []);
  assert.deepEqual(again.runs, []);
  assert.equal(fx.sim.stats().requests, 0, "nothing left to collect, nothing asked");
});

Deno.test("catch-up leaves out the day the scheduler collects itself, and yields to a running collection", async () => {
  await using fx = await collectFixture({ clock: CLOCK });
  await fx.archivist.addToWatchlist([{ stock_code: "005930" }]);
  const summary = await catchUp({ ...fx.deps, days: 2, jobs: ["flow"], before: "2026-11-27" });
  assert.deepEqual(summary.checked, [{ job: "flow", tradeDate: "2026-11-26" }]);
  assert.deepEqual(summary.runs.map((r) => r.tradeDate), ["2026-11-26"]);

  assert.ok(await fx.archivist.acquireLease(COLLECTION_LEASE, "another-process", 60_000));
  const busy = await catchUp({ ...fx.deps, days: 2 });
  assert.equal(busy.skipped, LEASE_BUSY_REASON);
  assert.deepEqual(busy.runs, []);
  assert.deepEqual(await fx.archivist.listRuns({ tradeDate: "2026-11-27" }), []);
});

Deno.test("catch-up with virtual keys leaves past minute bars out without failed runs", async () => {
  await using fx = await collectFixture({ clock: CLOCK, env: "virtual" });
  await fx.archivist.addToWatchlist([{ stock_code: "005930" }]);
  const summary = await catchUp({ ...fx.deps, days: 3 });
  // Flows and daily candles of the three days and today's minute bars run (FHKST03010100 is
  // offered on virtual keys); past minute bars cannot.
  assert.deepEqual(summary.runs.map((r) => `${r.tradeDate} ${r.job} ${r.status}`), [
    "2026-11-25 flow succeeded",
    "2026-11-25 daily succeeded",
    "2026-11-26 flow succeeded",
    "2026-11-26 daily succeeded",
    "2026-11-27 flow succeeded",
    "2026-11-27 intraday succeeded",
    "2026-11-27 daily succeeded",
  ]);
  assert.equal((await fx.archivist.dailyPriceSpan("005930"))?.last, "2026-11-27");
  assert.deepEqual(summary.notRun.map((n) => `${n.tradeDate} ${n.job}`), [
    "2026-11-25 intraday",
    "2026-11-26 intraday",
  ]);
  assert.match(summary.notRun[0].reason, /virtual .* minute bars of today only/);
  const runs = await fx.archivist.listRuns();
  assert.ok(runs.every((r) => r.status === "succeeded"), "no failed or skipped run recorded");
});

Deno.test("catch-up with nothing to collect records no run and says how to add stocks", async () => {
  await using fx = await collectFixture({ clock: CLOCK });
  const summary = await catchUp({ ...fx.deps, days: 5 });
  assert.equal(summary.missing.length, 15, "5 days of 3 jobs");
  assert.equal(summary.notRun.length, 15);
  assert.match(summary.notRun[0].reason, /watchlist is empty.*watchlist add 005930/);
  const daily = summary.notRun.find((n) => n.job === "daily");
  assert.match(daily?.reason ?? "", /no decision or rejection awaits its outcome/);
  assert.deepEqual(summary.runs, []);
  assert.deepEqual(await fx.archivist.listRuns(), []);
});
