import assert from "node:assert/strict";
import { recentTradingDays } from "../collectors/dates.ts";
import { runCollection } from "../collectors/run.ts";
import { decisionEntrySchema } from "../db/entries.ts";
import { TradingDays } from "../db/outcomes.ts";
import { isKrxTradingDay } from "../src/calendar.ts";
import { servedDailyCandle } from "../src/sim/daily_chart.ts";
import { collectFixture } from "./collectors_fixture.ts";

const DAY = "2026-11-25";

Deno.test("daily: a first collection stores 120 trading days per target, later runs one page", async () => {
  await using fx = await collectFixture();
  await fx.archivist.addToWatchlist([{ stock_code: "005930", stock_name: "삼성전자" }]);
  // A rejection awaiting its outcome makes its stock a target too.
  await fx.archivist.logRejections([{ stock_code: "000660", logged_at: `${DAY}T10:00:00+09:00` }]);
  const first = await runCollection(fx.deps, { job: "daily", tradeDate: DAY, trigger: "manual" });
  assert.equal(first.status, "succeeded", first.reason ?? "");
  assert.equal(first.stocksTotal, 2);
  assert.equal(first.kisCalls, 4, "120 days are two pages of 100");
  assert.equal(first.rowsWritten, 240);
  const expectedDays = recentTradingDays(DAY, 120, { isTradingDay: isKrxTradingDay });
  for (const code of ["005930", "000660"]) {
    const stored = await fx.archivist.dailyPrices(code, "2026-01-01", DAY);
    assert.deepEqual(stored.map((r) => r.trade_date), expectedDays, code);
    const now = fx.sim.now();
    for (const row of stored) {
      const { previousClose: _, tradeDate: __, ...truth } = servedDailyCandle(
        code,
        row.trade_date,
        now,
      )!;
      const { stock_code: _c, trade_date: _d, ...candle } = row;
      assert.deepEqual(candle, truth, `${code} ${row.trade_date}`);
    }
  }
  const [rejection] = (await fx.archivist.listRejectionOutcomes({})).items;
  assert.equal(rejection.status, "partial");
  const [dayCandle] = await fx.archivist.dailyPrices("000660", DAY, DAY);
  assert.equal(rejection.reference_close, dayCandle.close);

  const again = await runCollection(fx.deps, { job: "daily", tradeDate: DAY, trigger: "manual" });
  assert.equal(again.status, "succeeded");
  assert.equal(again.kisCalls, 2, "one page from the last stored day");
  assert.deepEqual({ ...again.writes }, { inserted: 0, updated: 0, unchanged: 2 });

  fx.sim.setClock("2026-11-26T16:20:00+09:00");
  const next = await runCollection(fx.deps, {
    job: "daily",
    tradeDate: "2026-11-26",
    trigger: "manual",
  });
  assert.equal(next.kisCalls, 2);
  assert.deepEqual({ ...next.writes }, { inserted: 2, updated: 0, unchanged: 2 });
  const [updated] = (await fx.archivist.listRejectionOutcomes({})).items;
  assert.ok(updated.ret_1d_pct !== null, "the next day's candle gave the rejection its T1");
});

Deno.test("daily: a split restates the history, which is replaced whole; outcomes use the new prices", async () => {
  await using fx = await collectFixture({ clock: "2026-11-13T16:05:00+09:00" });
  await fx.archivist.logDecisions([decisionEntrySchema.parse({
    stock_code: "207940",
    final_decision: "BUY",
    decided_at: "2026-11-10T10:00:00+09:00",
  })]);
  const before = await runCollection(fx.deps, {
    job: "daily",
    tradeDate: "2026-11-13",
    trigger: "manual",
  });
  assert.equal(before.status, "succeeded");
  const [unadjusted] = (await fx.archivist.listDecisionOutcomes({})).items;
  assert.ok(unadjusted.reference_close! > 700_000);

  fx.sim.setClock(`${DAY}T16:05:00+09:00`);
  const after = await runCollection(fx.deps, { job: "daily", tradeDate: DAY, trigger: "manual" });
  assert.equal(after.status, "succeeded", after.reason ?? "");
  assert.equal(after.kisCalls, 3, "one page showed the change, two fetched the history again");
  const span = await fx.archivist.dailyPriceSpan("207940");
  const stored = await fx.archivist.dailyPrices("207940", span!.first, span!.last);
  assert.equal(stored.length, 128);
  const now = fx.sim.now();
  for (const row of stored) {
    assert.equal(
      row.close,
      servedDailyCandle("207940", row.trade_date, now)!.close,
      row.trade_date,
    );
  }
  const [adjusted] = (await fx.archivist.listDecisionOutcomes({})).items;
  assert.equal(adjusted.reference_close, Math.round(unadjusted.reference_close! / 5));
  // T5 is 2026-11-17, after the split: the return does not straddle it.
  assert.ok(Math.abs(adjusted.ret_5d_pct!) < 30, `ret_5d ${adjusted.ret_5d_pct}`);
  assert.equal(
    adjusted.ret_5d_pct,
    (stored.find((r) => r.trade_date === "2026-11-17")!.close / adjusted.reference_close! - 1) *
      100,
  );
});

Deno.test("daily: an entry older than the stored history makes the first collection reach back for it", async () => {
  await using fx = await collectFixture();
  await fx.archivist.logDecisions([decisionEntrySchema.parse({
    stock_code: "035420",
    final_decision: "HOLD",
    decided_at: "2026-03-03T10:00:00+09:00",
  })]);
  const report = await runCollection(fx.deps, { job: "daily", tradeDate: DAY, trigger: "manual" });
  assert.equal(report.status, "succeeded");
  const span = await fx.archivist.dailyPriceSpan("035420");
  const baseline = new TradingDays(isKrxTradingDay).before("2026-03-03")[0];
  assert.equal(span!.first, baseline);
  const [outcome] = (await fx.archivist.listDecisionOutcomes({})).items;
  assert.equal(outcome.status, "complete");
});

Deno.test("daily: an unknown stock fails alone and is recorded; no target is a recorded skip", async () => {
  await using fx = await collectFixture();
  const skipped = await runCollection(fx.deps, { job: "daily", tradeDate: DAY, trigger: "manual" });
  assert.equal(skipped.status, "skipped");
  assert.match(skipped.reason ?? "", /no decision or rejection awaits its outcome/);

  const report = await runCollection(fx.deps, {
    job: "daily",
    tradeDate: DAY,
    trigger: "manual",
    codes: ["005930", "999999"],
  });
  assert.equal(report.status, "partial");
  assert.deepEqual(report.failures.map((f) => f.stockCode), ["999999"]);
  assert.match(report.failures[0].error, /no daily candle of 999999 for 2026-11-25/);
  const [run] = await fx.archivist.listRuns({ job: "daily", tradeDate: DAY, limit: 1 });
  assert.deepEqual(run.failures.map((f) => f.stock_code), ["999999"]);
  assert.equal((await fx.archivist.dailyPriceSpan("005930"))!.last, DAY);
});

Deno.test("daily: before 15:40 KST the day's candle is not final and the run is a recorded skip", async () => {
  await using fx = await collectFixture({ clock: `${DAY}T15:35:00+09:00` });
  const report = await runCollection(fx.deps, {
    job: "daily",
    tradeDate: DAY,
    trigger: "manual",
    codes: ["005930"],
  });
  assert.equal(report.status, "skipped");
  assert.match(report.reason ?? "", /final only from 15:40 KST/);
});
