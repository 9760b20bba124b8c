/**
 * The dashboard's reads of the archive (`db/dashboard_reads.ts`) on a real file.
 */
import assert from "node:assert/strict";
import { recentTradingDays } from "../collectors/dates.ts";
import { stockDayKey } from "../db/dashboard_reads.ts";
import { isKrxTradingDay } from "../src/calendar.ts";
import { barTimeOf, kstInstant } from "../src/time.ts";
import { tempArchive } from "./helpers.ts";

const bar = (code: string, date: string, hhmm: string) => ({
  stock_code: code,
  bar_time: barTimeOf(date, hhmm),
  open: 100,
  high: 110,
  low: 90,
  close: 105,
  volume: 10,
  value: 1_050,
});

Deno.test("dashboard reads: a stock-day's first bar and flow row; every pair present", async () => {
  await using archive = await tempArchive();
  const { archivist } = archive;
  await archivist.upsertMinuteBars([
    bar("005930", "2026-11-26", "090500"),
    bar("005930", "2026-11-26", "153000"),
    // 23:59 UTC of the 26th is 08:59 KST of the 27th: the 27th's, not the 26th's.
    { ...bar("005930", "2026-11-27", "085900") },
  ]);
  await archivist.upsertFlowSnapshots([
    { stock_code: "000660", trade_date: "2026-11-26", volume: 0, individual_net_buy: 0 },
    { stock_code: "000660", trade_date: "2026-11-27", volume: 10, individual_net_buy: null },
  ]);
  const records = await archivist.stockDayRecords(
    ["005930", "000660"],
    ["2026-11-26", "2026-11-27"],
  );
  assert.equal(records.size, 4);
  const samsung26 = records.get(stockDayKey("005930", "2026-11-26"))!;
  assert.equal(samsung26.firstBar, barTimeOf("2026-11-26", "090500"));
  assert.equal(samsung26.flow, null);
  assert.equal(
    records.get(stockDayKey("005930", "2026-11-27"))!.firstBar,
    barTimeOf("2026-11-27", "085900"),
  );
  assert.deepEqual(records.get(stockDayKey("000660", "2026-11-26"))!.flow, {
    volume: 0,
    investors: true,
  });
  assert.deepEqual(records.get(stockDayKey("000660", "2026-11-27"))!.flow, {
    volume: 10,
    investors: false,
  });
  assert.equal(records.get(stockDayKey("000660", "2026-11-27"))!.firstBar, null);
});

Deno.test("dashboard reads: the newest run that collected, per job and day, with its failures", async () => {
  await using archive = await tempArchive();
  const { archivist } = archive;
  const outcome = { stocksDone: 1, stocksFailed: 1, rowsWritten: 1, kisCalls: 2 };
  const older = await archivist.startRun({
    job: "flow",
    tradeDate: "2026-11-26",
    trigger: "schedule",
    stocksTotal: 2,
  });
  await archivist.recordRunFailure(older, "005930", "old error");
  await archivist.finishRun(older, { ...outcome, status: "partial" });
  const newer = await archivist.startRun({
    job: "flow",
    tradeDate: "2026-11-26",
    trigger: "catch-up",
    stocksTotal: 2,
  });
  await archivist.recordRunFailure(newer, "000660", "new error");
  await archivist.finishRun(newer, { ...outcome, status: "partial" });
  // A run skipped for a held lease says nothing about the day: the partial one stays newest.
  await archivist.recordSkippedRun(
    { job: "flow", tradeDate: "2026-11-26", trigger: "schedule" },
    "another collection holds the lease",
  );
  const runs = await archivist.latestRunsOfDays(["2026-11-26", "2026-11-27"]);
  assert.equal(runs.length, 1);
  assert.equal(runs[0].run_id, newer);
  assert.deepEqual(runs[0].failures, [{ stock_code: "000660", error: "new error" }]);
});

Deno.test("dashboard reads: entries newest trade day first, numbered pages, name filter, totals", async () => {
  await using archive = await tempArchive();
  const { archivist } = archive;
  const at = (date: string, time: string) => kstInstant(date, time).toISOString();
  await archivist.logDecisions([
    {
      stock_code: "005930",
      stock_name: "삼성전자",
      final_decision: "BUY",
      thinking_called: null,
      decided_at: at("2026-11-27", "10:00"),
    },
    // Logged later but for an earlier day (a backfill): it sorts with its own day.
    {
      stock_code: "000660",
      stock_name: "SK하이닉스",
      final_decision: "SELL",
      thinking_called: null,
      decided_at: at("2026-11-25", "10:00"),
    },
    {
      stock_code: "005930",
      stock_name: "삼성전자",
      final_decision: "HOLD",
      thinking_called: null,
      decided_at: at("2026-11-26", "10:00"),
    },
    {
      stock_code: "005935",
      stock_name: "삼성전자우",
      final_decision: "BUY",
      thinking_called: null,
      decided_at: at("2026-11-26", "11:00"),
    },
  ]);
  const all = await archivist.browseDecisions({ page: 1, pageSize: 2 });
  assert.equal(all.total, 4);
  assert.deepEqual(all.rows.map((r) => r.trade_date), ["2026-11-27", "2026-11-26"]);
  assert.equal(all.rows[1].final_decision, "BUY", "within a day, newest logged first");
  const second = await archivist.browseDecisions({ page: 2, pageSize: 2 });
  assert.deepEqual(second.rows.map((r) => r.trade_date), ["2026-11-26", "2026-11-25"]);

  const named = await archivist.browseDecisions({
    stockNameContains: "삼성전자",
    page: 1,
    pageSize: 10,
  });
  assert.equal(named.total, 3);
  const buys = await archivist.browseDecisions({
    stockNameContains: "삼성",
    finalDecision: "BUY",
    page: 1,
    pageSize: 10,
  });
  assert.equal(buys.total, 2);
  // LIKE's wildcards in the text are literal.
  const literal = await archivist.browseDecisions({
    stockNameContains: "%",
    page: 1,
    pageSize: 10,
  });
  assert.equal(literal.total, 0);
  await assert.rejects(
    archivist.browseDecisions({ page: 0, pageSize: 10 }),
    /page: expected a page number from 1/,
  );
});

Deno.test("dashboard reads: entries by outcome status, and the outcomes of a page's rows", async () => {
  await using archive = await tempArchive();
  const { archivist } = archive;
  // 25 trading days of candles at 100원; T5 of the first day closes at 110, its T3 rises to 105.
  const days = recentTradingDays("2026-11-20", 25, { isTradingDay: isKrxTradingDay });
  await archivist.upsertDailyPrices(days.map((trade_date, i) => ({
    stock_code: "005930",
    trade_date,
    open: 100,
    high: i === 3 ? 105 : i === 5 ? 110 : 100,
    low: 100,
    close: i === 5 ? 110 : 100,
    volume: 1_000,
    value: 100_000,
  })));
  const at = (date: string) => kstInstant(date, "10:00").toISOString();
  const entry = { stock_code: "005930", stock_name: "삼성전자", thinking_called: null };
  const logged = await archivist.logDecisions([
    { ...entry, final_decision: "BUY", decided_at: at(days[0]) }, // T1…T20 stored: complete
    { ...entry, final_decision: "SELL", decided_at: at(days[10]) }, // T15 on missing: partial
    { ...entry, final_decision: "HOLD", decided_at: at("2026-11-25") }, // no candle: pending
  ]);
  const [complete, partial, pending] = logged.ids;
  for (
    const [status, expected] of [
      ["complete", [complete]],
      ["partial", [partial]],
      ["pending", [pending]],
    ] as const
  ) {
    const page = await archivist.browseDecisions({ outcomeStatus: status, page: 1, pageSize: 10 });
    assert.deepEqual(page.rows.map((row) => row.log_id), expected, status);
    assert.equal(page.total, 1, status);
    // The same entries as the outcome listing's filter.
    const listed = await archivist.listDecisionOutcomes({ status, limit: 1000 });
    assert.deepEqual(listed.items.map((item) => item.log_id), expected, status);
  }

  const outcomes = await archivist.decisionOutcomesOf([complete, partial, pending, 999]);
  assert.equal(outcomes.size, 3, "an unknown log_id has no outcome");
  const tenPct = (110 / 100 - 1) * 100;
  assert.equal(outcomes.get(complete)!.ret_5d_pct, tenPct);
  assert.equal(outcomes.get(complete)!.edge_5d_pct, tenPct);
  assert.equal(outcomes.get(partial)!.edge_1d_pct, 0, "a flat SELL");
  assert.equal(outcomes.get(pending)!.reference_close, null);
  assert.equal((await archivist.decisionOutcomesOf([])).size, 0);

  // A rejection logged just now has its outcome at once; regret at the threshold asked for.
  const rejected = await archivist.logRejections([
    { ...entry, rejection_stage: "GATE", logged_at: at(days[0]) },
  ]);
  const id = rejected.ids[0];
  const at4 = (await archivist.rejectionOutcomesOf([id])).get(id)!;
  assert.equal(at4.max_high_5d_pct, tenPct);
  assert.equal(at4.regret, true);
  const at12 = (await archivist.rejectionOutcomesOf([id], { thresholdPct: 12 })).get(id)!;
  assert.equal(at12.regret, false);
  assert.equal(at12.good_rejection, false, "5-day return +10 %: not a good rejection");
  const gate = await archivist.browseRejections({
    rejectionStage: "GATE",
    outcomeStatus: "complete",
    page: 1,
    pageSize: 10,
  });
  assert.deepEqual(gate.rows.map((row) => row.log_id), [id]);
  await assert.rejects(
    archivist.rejectionOutcomesOf([id], { thresholdPct: 0 }),
    /threshold_pct: expected a percentage above 0/,
  );
});

Deno.test("entry listings: `from` finds entries whose trade day is later than their KST day", async () => {
  await using archive = await tempArchive();
  const { archivist } = archive;
  // Friday 2026-11-27 after the close and on Saturday: both apply to Monday 2026-11-30.
  await archivist.logRejections([
    { stock_code: "005930", logged_at: kstInstant("2026-11-27", "15:45").toISOString() },
    { stock_code: "005930", logged_at: kstInstant("2026-11-28", "11:00").toISOString() },
    { stock_code: "005930", logged_at: kstInstant("2026-11-26", "11:00").toISOString() },
  ]);
  const friday = await archivist.listRejections({ from: "2026-11-27", to: "2026-11-27" });
  assert.deepEqual(friday.items.map((r) => r.trade_date), ["2026-11-30"]);
  const fromFriday = await archivist.browseRejections({
    from: "2026-11-27",
    page: 1,
    pageSize: 10,
  });
  assert.equal(fromFriday.total, 2);
  const fromInstant = await archivist.listRejections({ from: "2026-11-28T10:00:00+09:00" });
  assert.equal(fromInstant.items.length, 1);
});

Deno.test("dashboard reads: names from the watchlist first, else Scout's latest; counts; bar days", async () => {
  await using archive = await tempArchive();
  const { archivist } = archive;
  await archivist.addToWatchlist([{ stock_code: "005930", stock_name: "삼성전자" }]);
  await archivist.logRejections([
    { stock_code: "005930", stock_name: "삼성전자(옛 이름)" },
    { stock_code: "000660", stock_name: "하이닉스" },
    { stock_code: "000660", stock_name: "SK하이닉스" },
  ]);
  const names = await archivist.stockNames(["005930", "000660", "035420"]);
  assert.deepEqual([...names.entries()].sort(), [["000660", "SK하이닉스"], ["005930", "삼성전자"]]);

  const counts = await archivist.archiveCounts();
  assert.deepEqual(counts, {
    decisions: 0,
    rejections: 3,
    flowRows: 0,
    watchlistActive: 1,
    runs: 0,
  });

  await archivist.upsertMinuteBars([
    bar("005930", "2026-11-20", "090000"),
    bar("005930", "2026-11-25", "090000"),
    bar("005930", "2026-11-27", "153000"),
  ]);
  assert.deepEqual(await archivist.barDays("005930"), {
    latest: "2026-11-27",
    previous: "2026-11-25",
    next: null,
  });
  assert.deepEqual(await archivist.barDays("005930", "2026-11-24"), {
    latest: "2026-11-20",
    previous: "2026-11-20",
    next: "2026-11-25",
  });
  assert.deepEqual(await archivist.barDays("000660"), { latest: null, previous: null, next: null });
});
