import assert from "node:assert/strict";
import { recentTradingDays } from "../collectors/dates.ts";
import { runCollection } from "../collectors/run.ts";
import { decisionEntrySchema } from "../db/entries.ts";
import { TradingDays } from "../db/outcomes.ts";
import { isKrxTradingDay } from "../src/calendar.ts";
import { servedDailyCandle } from "../src/sim/daily_chart.ts";
import { sessionBars, SIM_HALTED_STOCK_CODE } from "../src/sim/market.ts";
import { datesBetween } from "../src/time.ts";
import { collectFixture } from "./collectors_fixture.ts";

const DAY = "2026-11-25";

Deno.test("daily: a first collection stores 120 trading days per target, a rerun skips what is stored, later runs one page", async () => {
  await using fx = await collectFixture();
  await fx.archivist.addToWatchlist([{ stock_code: "005930", stock_name: "삼성전자" }]);
  // A rejection awaiting its outcome makes its stock a target too.
  await fx.archivist.logRejections([{ stock_code: "000660", logged_at: `${DAY}T10:00:00+09:00` }]);
  const first = await runCollection(fx.deps, { job: "daily", tradeDate: DAY, trigger: "manual" });
  assert.equal(first.status, "succeeded", first.reason ?? "");
  assert.equal(first.stocksTotal, 2);
  assert.equal(first.kisCalls, 5, "120 days are two pages of 100, plus today's newest bar");
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
  assert.equal(again.alreadyStored, 2);
  assert.equal(again.kisCalls, 0, "the day's candles are stored: nothing asked");
  const refetched = await runCollection(fx.deps, {
    job: "daily",
    tradeDate: DAY,
    trigger: "manual",
    refetch: true,
  });
  assert.equal(refetched.kisCalls, 3, "--refetch: one page from the last stored day; the bar");
  assert.deepEqual({ ...refetched.writes }, { inserted: 0, updated: 0, unchanged: 2 });

  fx.sim.setClock("2026-11-26T16:20:00+09:00");
  const next = await runCollection(fx.deps, {
    job: "daily",
    tradeDate: "2026-11-26",
    trigger: "manual",
  });
  assert.equal(next.kisCalls, 3, "a page a stock and today's newest bar");
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
  assert.equal(after.kisCalls, 4, "one page showed the change, two fetched the history again");
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

Deno.test("daily: a stored day is fetched again when an entry awaiting its outcome needs older days", async () => {
  await using fx = await collectFixture();
  const report = await runCollection(fx.deps, {
    job: "daily",
    tradeDate: DAY,
    trigger: "manual",
    codes: ["035420"],
  });
  assert.equal(report.status, "succeeded");
  const first = (await fx.archivist.dailyPriceSpan("035420"))!.first;
  await fx.archivist.logDecisions([decisionEntrySchema.parse({
    stock_code: "035420",
    final_decision: "BUY",
    decided_at: "2026-03-03T10:00:00+09:00",
  })]);
  const again = await runCollection(fx.deps, { job: "daily", tradeDate: DAY, trigger: "manual" });
  assert.equal(again.alreadyStored, 0, "the day is stored but the history does not reach back");
  const baseline = new TradingDays(isKrxTradingDay).before("2026-03-03")[0];
  assert.ok(baseline < first);
  assert.equal((await fx.archivist.dailyPriceSpan("035420"))!.first, baseline);
  const [outcome] = (await fx.archivist.listDecisionOutcomes({})).items;
  assert.equal(outcome.status, "complete");
});

Deno.test("daily: a hole an older backfill left in the history is fetched when an entry inside it awaits its outcome", async () => {
  await using fx = await collectFixture();
  const codes = ["035420"];
  await runCollection(fx.deps, { job: "daily", tradeDate: DAY, trigger: "manual", codes });
  // One old day collected on its own: stored history now spans 2026-01-05…DAY with a hole.
  await runCollection(fx.deps, { job: "daily", tradeDate: "2026-01-05", trigger: "manual", codes });
  await fx.archivist.logDecisions([decisionEntrySchema.parse({
    stock_code: "035420",
    final_decision: "BUY",
    decided_at: "2026-03-03T10:00:00+09:00",
  })]);
  const again = await runCollection(fx.deps, { job: "daily", tradeDate: DAY, trigger: "manual" });
  assert.equal(again.status, "succeeded", again.reason ?? "");
  assert.equal(again.alreadyStored, 0, "the day is stored but the entry's days are not");
  const [outcome] = (await fx.archivist.listDecisionOutcomes({})).items;
  assert.equal(outcome.status, "complete");
  const baseline = new TradingDays(isKrxTradingDay).before("2026-03-03")[0];
  const stored = await fx.archivist.dailyPrices("035420", baseline, DAY);
  assert.deepEqual(
    stored.map((r) => r.trade_date),
    datesBetween(baseline, DAY).filter(isKrxTradingDay),
  );
  const rerun = await runCollection(fx.deps, { job: "daily", tradeDate: DAY, trigger: "manual" });
  assert.equal(rerun.kisCalls, 0, "once whole, the stock is not asked again");
});

Deno.test("daily: a CSAT day's candle is taken from 16:40, its whole session to the 16:30 auction", async () => {
  const csat = "2026-11-19";
  await using fx = await collectFixture({ clock: `${csat}T16:35:00+09:00` });
  const request = { job: "daily", tradeDate: csat, trigger: "manual", codes: ["005930"] } as const;
  const early = await runCollection(fx.deps, request);
  assert.equal(early.status, "skipped");
  assert.match(early.reason ?? "", /final only from 16:40 KST .*closes at 16:30/);
  assert.equal(early.retryLater, true);

  fx.sim.setClock(`${csat}T16:45:00+09:00`);
  const report = await runCollection(fx.deps, request);
  assert.equal(report.status, "succeeded", report.reason ?? "");
  const bars = sessionBars("005930", csat);
  assert.equal(bars.at(-1)!.time, "163000");
  const [candle] = await fx.archivist.dailyPrices("005930", csat, csat);
  assert.equal(candle.close, bars.at(-1)!.close);
  assert.equal(candle.volume, bars.reduce((n, b) => n + b.volume, 0));
  assert.equal(candle.value, bars.at(-1)!.cumulativeValue);
});

Deno.test("daily: today's candle of a close that ran late is held back until the session settles", async () => {
  // The simulated KRX closed 2026-11-05 at 16:00; Archivist expects 15:30 (daily final at 15:40).
  const delayed = "2026-11-05";
  await using fx = await collectFixture({ clock: `${delayed}T15:45:00+09:00` });
  const request = {
    job: "daily",
    tradeDate: delayed,
    trigger: "manual",
    codes: ["005930"],
  } as const;
  const early = await runCollection(fx.deps, request);
  assert.equal(early.status, "skipped", early.reason ?? "");
  assert.equal(early.retryLater, true);
  assert.match(early.reason ?? "", /ran until 15:44, past its expected 15:30 close.*not final yet/);
  assert.deepEqual(await fx.archivist.dailyPrices("005930", delayed, delayed), []);

  fx.sim.setClock(`${delayed}T16:20:00+09:00`);
  const report = await runCollection(fx.deps, request);
  assert.equal(report.status, "succeeded", report.reason ?? "");
  assert.match(report.reason ?? "", /ran until 16:00, past its expected 15:30 close/);
  const bars = sessionBars("005930", delayed);
  assert.equal(bars.at(-1)!.time, "160000");
  const [candle] = await fx.archivist.dailyPrices("005930", delayed, delayed);
  assert.equal(candle.close, bars.at(-1)!.close);
  assert.equal(candle.volume, bars.reduce((n, b) => n + b.volume, 0));
});

Deno.test("daily: a stock halted all day is done with a flat zero-volume candle and a note", async () => {
  const day = "2026-11-24";
  await using fx = await collectFixture({ clock: `${day}T16:20:00+09:00` });
  await fx.archivist.logRejections([{
    stock_code: SIM_HALTED_STOCK_CODE,
    logged_at: "2026-11-20T10:00:00+09:00",
  }]);
  const report = await runCollection(fx.deps, { job: "daily", tradeDate: day, trigger: "manual" });
  assert.equal(report.status, "succeeded", report.reason ?? "");
  assert.equal(report.stocksFailed, 0);
  assert.match(report.reason ?? "", new RegExp(`${SIM_HALTED_STOCK_CODE}: halted all day`));
  const stored = await fx.archivist.dailyPrices(SIM_HALTED_STOCK_CODE, "2026-11-20", day);
  const [traded, ...halted] = stored;
  assert.deepEqual(stored.map((r) => r.trade_date), ["2026-11-20", "2026-11-23", day]);
  for (const row of halted) {
    assert.deepEqual([row.open, row.high, row.low, row.close, row.volume, row.value], [
      traded.close,
      traded.close,
      traded.close,
      traded.close,
      0,
      0,
    ]);
  }
  const [rejection] = (await fx.archivist.listRejectionOutcomes({})).items;
  assert.equal(rejection.ret_1d_pct, 0, "a halted day's return is flat, not unknown");
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

Deno.test("daily: a code KIS does not know, a target only for its entries' outcomes, is done with a note, not a failure every day", async () => {
  await using fx = await collectFixture();
  await fx.archivist.logDecisions([decisionEntrySchema.parse({
    stock_code: "999999",
    final_decision: "BUY",
    decided_at: `${DAY}T10:00:00+09:00`,
  })]);
  const report = await runCollection(fx.deps, { job: "daily", tradeDate: DAY, trigger: "manual" });
  assert.equal(report.status, "succeeded", report.reason ?? "");
  assert.deepEqual([report.stocksDone, report.stocksFailed], [1, 0]);
  assert.deepEqual(report.notes.map((n) => n.stockCode), ["999999"]);
  assert.match(report.notes[0].note, /no daily candle of 999999 .*await their outcomes/);
  const [outcome] = (await fx.archivist.listDecisionOutcomes({})).items;
  assert.equal(outcome.status, "pending", "never guessed");
  // Asked for by name (or on the watchlist), the same code is a failure to fix.
  await fx.archivist.addToWatchlist([{ stock_code: "999999" }]);
  const watched = await runCollection(fx.deps, { job: "daily", tradeDate: DAY, trigger: "manual" });
  assert.equal(watched.status, "failed");
  assert.match(watched.failures[0]?.error ?? "", /check that the code is listed/);
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
