import assert from "node:assert/strict";
import type { DecisionEntry, RejectionEntry } from "../db/entries.ts";
import {
  ArchiveInputError,
  ArchiveNotSyncedError,
  ArchiveWriteError,
  IdempotencyConflictError,
} from "../db/errors.ts";
import type { FlowSnapshot, StockMinutePrice } from "../db/schema.ts";
import { barTimeOf } from "../src/time.ts";
import { rowCount, tempArchive } from "./helpers.ts";

function dayOfBars(stockCode: string, minutes: number): StockMinutePrice[] {
  return Array.from({ length: minutes }, (_, i) => ({
    stock_code: stockCode,
    bar_time: barTimeOf("2026-11-25", "090000") + i * 60,
    open: 54_000 + i * 100,
    high: 54_200 + i * 100,
    low: 53_900 + i * 100,
    close: 54_100 + i * 100,
    volume: 1_000 + i,
    value: (1_000 + i) * (54_100 + i * 100),
  }));
}

Deno.test("minute bars: insert, rerun unchanged, then update changed values", async () => {
  await using archive = await tempArchive();
  const { archivist } = archive;
  const bars = [...dayOfBars("005930", 390), ...dayOfBars("000660", 390)];
  assert.deepEqual(await archivist.upsertMinuteBars(bars), {
    inserted: 780,
    updated: 0,
    unchanged: 0,
  });
  assert.deepEqual(await archivist.upsertMinuteBars(bars), {
    inserted: 0,
    updated: 0,
    unchanged: 780,
  });
  const corrected = bars.map((b, i) =>
    i % 10 === 0 ? { ...b, close: b.high, volume: b.volume + 1 } : b
  );
  corrected.push({ ...bars[0], bar_time: bars[0].bar_time - 60 });
  assert.deepEqual(await archivist.upsertMinuteBars(corrected), {
    inserted: 1,
    updated: 78,
    unchanged: 702,
  });
  const stored = await archivist.minuteBars("005930", "2026-11-25");
  assert.equal(stored.length, 391);
  assert.deepEqual(stored[1], corrected[0]);
  assert.deepEqual(stored[2], bars[1]);
});

Deno.test("minute bars: a bad bar names its field and nothing of the batch is stored", async () => {
  await using archive = await tempArchive();
  const { archivist } = archive;
  const bars = dayOfBars("005930", 10);
  bars[7] = { ...bars[7], low: bars[7].high + 1 };
  await assert.rejects(archivist.upsertMinuteBars(bars), (error: unknown) => {
    assert.ok(error instanceof ArchiveInputError);
    assert.match(error.message, /bars\[7\]/);
    return true;
  });
  const fractional = dayOfBars("005930", 3);
  fractional[2] = { ...fractional[2], volume: 1.5 };
  await assert.rejects(archivist.upsertMinuteBars(fractional), /bars\[2\]\.volume/);
  assert.equal(await rowCount(archive.path, "stock_minute_price"), 0);
  assert.equal(archivist.failedWrites, 0, "refused input is not a failed write");
});

const flow = (overrides: Partial<FlowSnapshot> = {}): FlowSnapshot => ({
  stock_code: "005930",
  trade_date: "2026-11-25",
  close_price: 54_300,
  volume: 17_234_567,
  individual_net_buy: -1_938_572,
  foreign_net_buy: 465_171,
  institution_net_buy: 1_402_113,
  program_net_buy: 222_212,
  individual_net_buy_value: -105_264_000_000,
  foreign_net_buy_value: 25_259_000_000,
  institution_net_buy_value: 76_134_000_000,
  program_net_buy_value: 12_066_111_600,
  ...overrides,
});

Deno.test("flow snapshots: insert, rerun unchanged, corrected values update", async () => {
  await using archive = await tempArchive();
  const { archivist } = archive;
  const rows = [flow(), flow({ trade_date: "2026-11-24", program_net_buy: null })];
  assert.deepEqual(await archivist.upsertFlowSnapshots(rows), {
    inserted: 2,
    updated: 0,
    unchanged: 0,
  });
  assert.deepEqual(await archivist.upsertFlowSnapshots(rows), {
    inserted: 0,
    updated: 0,
    unchanged: 2,
  });
  assert.deepEqual(
    await archivist.upsertFlowSnapshots([flow({ foreign_net_buy: 1 }), rows[1]]),
    { inserted: 0, updated: 1, unchanged: 1 },
  );
  const stored = await archivist.flowSnapshots("005930", "2026-11-01", "2026-11-30");
  assert.deepEqual(stored.map((r) => [r.trade_date, r.foreign_net_buy, r.program_net_buy]), [
    ["2026-11-24", 465_171, null],
    ["2026-11-25", 1, 222_212],
  ]);
  assert.equal(stored[0].quantity_unit, "shares");
  assert.equal(stored[0].value_unit, "KRW");
  assert.equal(stored[0].data_type, "DAILY");
});

Deno.test("flow snapshots: a bad row names its field and the batch writes nothing", async () => {
  await using archive = await tempArchive();
  await assert.rejects(
    archive.archivist.upsertFlowSnapshots([flow(), flow({ trade_date: "2026-13-01" })]),
    /snapshots\[1\]\.trade_date/,
  );
  await assert.rejects(
    archive.archivist.upsertFlowSnapshots([flow({ volume: 0.5 })]),
    /snapshots\[0\]\.volume/,
  );
  assert.equal(await rowCount(archive.path, "market_flow_snapshot"), 0);
});

const decision = (overrides: Partial<DecisionEntry> = {}): DecisionEntry => ({
  stock_code: "005930",
  stock_name: "삼성전자",
  hunter_score: 72.5,
  market_regime: "BULL",
  dominant_keywords: ["반도체", "HBM"],
  debate_log: "Bull: ... Bear: ...",
  counter_position_logic: "valuation",
  thinking_called: 1,
  thinking_reason: "close call",
  cost_estimate: 0.0123,
  gate_result: "PASS",
  final_decision: "BUY",
  final_reason: "momentum",
  ...overrides,
});

Deno.test("decisions: stored with trade dates; after the close they apply to the next trading day", async () => {
  await using archive = await tempArchive({ now: () => new Date("2026-11-27T06:45:00Z") });
  const { archivist } = archive;
  const result = await archivist.logDecisions([
    decision({ decided_at: "2026-11-25T10:15:00+09:00" }),
    decision({ decided_at: "2026-11-25T15:31:00+09:00", final_decision: "HOLD" }),
    decision({ decided_at: "2026-12-24T16:00:00+09:00", final_decision: "SELL" }),
    decision(),
  ]);
  assert.equal(result.replayed, false);
  assert.deepEqual(result.tradeDates, ["2026-11-25", "2026-11-26", "2026-12-28", "2026-11-30"]);
  const page = await archivist.listDecisions({});
  assert.equal(page.items.length, 4);
  assert.deepEqual(page.items.map((r) => r.log_id), result.ids);
  assert.equal(page.items[0].dominant_keywords, '["반도체","HBM"]');
  assert.equal(page.items[0].decided_at, "2026-11-25T01:15:00.000Z");
  assert.equal(page.items[3].decided_at, "2026-11-27T06:45:00.000Z");
});

Deno.test("decisions: an idempotent repeat writes nothing; another body with the key conflicts", async () => {
  await using archive = await tempArchive();
  const { archivist } = archive;
  const key = { key: "scout-run-1", fingerprint: "sha-a" };
  const first = await archivist.logDecisions([decision(), decision({ stock_code: "000660" })], key);
  const again = await archivist.logDecisions([decision(), decision({ stock_code: "000660" })], key);
  assert.deepEqual(again, { ...first, replayed: true });
  await assert.rejects(
    archivist.logDecisions([decision()], { key: "scout-run-1", fingerprint: "sha-b" }),
    IdempotencyConflictError,
  );
  assert.equal(await rowCount(archive.path, "llm_decision_ledger"), 2);
});

Deno.test("decisions: an enforced enumeration refuses the whole batch", async () => {
  await using archive = await tempArchive();
  await assert.rejects(
    archive.archivist.logDecisions([
      decision(),
      decision({ final_decision: "MAYBE" as DecisionEntry["final_decision"] }),
    ]),
    (error: unknown) => {
      assert.ok(error instanceof ArchiveWriteError);
      assert.match(error.message, /CHECK constraint failed|violates check constraint/);
      return true;
    },
  );
  assert.equal(await rowCount(archive.path, "llm_decision_ledger"), 0);
  assert.equal(archive.archivist.failedWrites, 1);
});

Deno.test("decisions and rejections: filters and a stable cursor page through everything", async () => {
  await using archive = await tempArchive();
  const { archivist } = archive;
  const entries = Array.from({ length: 25 }, (_, i) =>
    decision({
      stock_code: i % 2 ? "000660" : "005930",
      decided_at: `2026-11-${String(10 + (i % 5)).padStart(2, "0")}T10:00:00+09:00`,
    }));
  await archivist.logDecisions(entries);
  const seen: number[] = [];
  let cursor: string | undefined;
  do {
    const page = await archivist.listDecisions({ limit: 4, cursor, stockCode: "005930" });
    seen.push(...page.items.map((r) => r.log_id));
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  assert.equal(seen.length, 13);
  assert.deepEqual(seen, [...seen].sort((a, b) => a - b));
  const day = await archivist.listDecisions({ from: "2026-11-12", to: "2026-11-12" });
  assert.equal(day.items.length, 5);
  await assert.rejects(archivist.listDecisions({ cursor: "bogus" }), /cursor/);

  const rejection: RejectionEntry = {
    stock_code: "035420",
    rejection_stage: "HUNTER",
    trigger_type: "FILTER_REJECT",
    hunter_score_at_time: 41,
    logged_at: "2026-11-20T09:30:00+09:00",
  };
  await archivist.logRejections([rejection, { ...rejection, rejection_stage: "JUDGE" }]);
  const judged = await archivist.listRejections({ rejectionStage: "JUDGE" });
  assert.deepEqual(judged.items.map((r) => r.rejection_stage), ["JUDGE"]);
  assert.equal(judged.items[0].trade_date, "2026-11-20");
});

Deno.test("watchlist: add, replace and remove report what they did", async () => {
  await using archive = await tempArchive();
  const { archivist } = archive;
  assert.deepEqual(
    await archivist.addToWatchlist([
      { stock_code: "005930", stock_name: "삼성전자" },
      { stock_code: "000660", stock_name: "SK하이닉스" },
    ]),
    { inserted: 2, updated: 0, unchanged: 0 },
  );
  assert.deepEqual(
    await archivist.replaceWatchlist([
      { stock_code: "000660", stock_name: "SK하이닉스" },
      { stock_code: "035420", stock_name: "NAVER" },
    ]),
    { inserted: 1, updated: 0, unchanged: 1, deactivated: 1 },
  );
  assert.deepEqual((await archivist.watchlist()).map((w) => w.stock_code), ["000660", "035420"]);
  assert.equal(await archivist.removeFromWatchlist(["035420", "999999"]), 1);
  assert.equal((await archivist.watchlist({ includeInactive: true })).length, 3);
});

Deno.test("collection targets: active watchlist + 7 days of rejections + extra codes", async () => {
  await using archive = await tempArchive();
  const { archivist } = archive;
  await archivist.addToWatchlist([{ stock_code: "005930" }, { stock_code: "000660" }]);
  await archivist.removeFromWatchlist(["000660"]);
  await archivist.logRejections([
    { stock_code: "035420", logged_at: "2026-11-20T10:00:00+09:00" },
    { stock_code: "051910", logged_at: "2026-11-10T10:00:00+09:00" },
  ]);
  assert.deepEqual(await archivist.collectionTargets("2026-11-25", ["005380", "005930"]), [
    "005380",
    "005930",
    "035420",
  ]);
});

Deno.test("collection runs: start, failures, finish, last run per job, succeeded dates", async () => {
  await using archive = await tempArchive();
  const { archivist } = archive;
  const runId = await archivist.startRun({
    job: "intraday",
    tradeDate: "2026-11-25",
    trigger: "manual",
    stocksTotal: 3,
  });
  await archivist.recordRunFailure(runId, "000660", "KIS EGW00201 after 6 attempts");
  await archivist.finishRun(runId, {
    status: "partial",
    stocksDone: 2,
    stocksFailed: 1,
    rowsWritten: 760,
    kisCalls: 12,
  });
  await archivist.recordSkippedRun(
    { job: "flow", tradeDate: "2026-12-25", trigger: "schedule" },
    "market closed",
  );
  const [skipped, partial] = await archivist.listRuns();
  assert.equal(skipped.status, "skipped");
  assert.equal(partial.status, "partial");
  assert.deepEqual(partial.failures, [{
    stock_code: "000660",
    error: "KIS EGW00201 after 6 attempts",
  }]);
  const last = await archivist.lastRuns();
  assert.equal(last.intraday?.run_id, runId);
  assert.equal(last.flow?.status, "skipped");
  assert.deepEqual([...await archivist.succeededDates("intraday", ["2026-11-25"])], []);
  await assert.rejects(
    archivist.finishRun("no-such-run", {
      status: "failed",
      stocksDone: 0,
      stocksFailed: 0,
      rowsWritten: 0,
      kisCalls: 0,
    }),
    /no run/,
  );
});

Deno.test("lease: one holder at a time; expiry lets another take it", async () => {
  await using archive = await tempArchive();
  const { archivist } = archive;
  assert.equal(await archivist.acquireLease("collection", "a", 60_000), true);
  assert.equal(await archivist.acquireLease("collection", "b", 60_000), false);
  assert.equal(await archivist.renewLease("collection", "a", 1), true);
  await new Promise((resolve) => setTimeout(resolve, 5));
  assert.equal(await archivist.acquireLease("collection", "b", 60_000), true);
  assert.equal(await archivist.renewLease("collection", "a", 60_000), false);
  await archivist.releaseLease("collection", "b");
  assert.equal(await archivist.acquireLease("collection", "a", 60_000), true);
});

Deno.test("calendar: KIS's days override the built-in calendar", async () => {
  await using archive = await tempArchive();
  const { archivist } = archive;
  assert.equal(archivist.isTradingDay("2026-11-25"), true);
  assert.deepEqual(
    await archivist.saveMarketCalendar([{ tradeDate: "2026-11-25", isOpen: false }]),
    { inserted: 1, updated: 0, unchanged: 0 },
  );
  assert.equal(archivist.isTradingDay("2026-11-25"), false);
  assert.equal(archivist.tradeDateFor(new Date("2026-11-25T01:00:00Z")), "2026-11-26");
  assert.ok(await archivist.calendarFetchedAt());
});

Deno.test("group commit: concurrent writes share one commit; one failure leaves its neighbours stored", async () => {
  await using archive = await tempArchive();
  const { archivist } = archive;
  const before = archivist.writeStats.commits;
  const writes = Array.from({ length: 40 }, (_, i) =>
    archivist.logDecisions([
      decision({
        stock_code: "005930",
        final_decision: (i === 17 ? "MAYBE" : "HOLD") as DecisionEntry["final_decision"],
        idempotency_key: `entry-${i}`,
      }),
    ]));
  const settled = await Promise.allSettled(writes);
  assert.equal(settled.filter((s) => s.status === "rejected").length, 1);
  assert.equal(settled[17].status, "rejected");
  const ids = settled.flatMap((s) => s.status === "fulfilled" ? s.value.ids : []);
  assert.equal(new Set(ids).size, 39);
  assert.equal(await rowCount(archive.path, "llm_decision_ledger"), 39);
  assert.equal(archivist.failedWrites, 1);
  assert.equal(archivist.writeStats.commits - before, 1, "the 40 writes shared one commit");
});

Deno.test("sync full (the default): writes resolve after one shared sync of the log reached the device", async () => {
  await using archive = await tempArchive();
  const { archivist } = archive;
  assert.equal(archivist.sync, "full");
  const before = archivist.writeStats;
  const results = await Promise.all(
    Array.from({ length: 20 }, (_, i) => archivist.logDecisions([decision({ hunter_score: i })])),
  );
  assert.equal(new Set(results.flatMap((r) => r.ids)).size, 20);
  assert.equal(await rowCount(archive.path, "llm_decision_ledger"), 20);
  const after = archivist.writeStats;
  assert.equal(after.commits - before.commits, 1, "one commit for the 20 writes");
  // PostgreSQL: the server flushes its log before a COMMIT returns (synchronous_commit).
  const syncs = archivist.dialect === "sqlite" ? 1 : 0;
  assert.equal(after.syncs - before.syncs, syncs, "one fdatasync of the log for the 20 writes");
});

Deno.test("sync normal: writes resolve once committed, with no sync", async () => {
  await using archive = await tempArchive({ sync: "normal" });
  const { archivist } = archive;
  await Promise.all([1, 2, 3].map((i) => archivist.logDecisions([decision({ hunter_score: i })])));
  assert.equal(archivist.writeStats.syncs, 0);
  assert.equal(await rowCount(archive.path, "llm_decision_ledger"), 3);
});

Deno.test("a failed sync reports the stored ids, never 'nothing stored'", async () => {
  await using archive = await tempArchive({
    persist: () => Promise.reject(new Error("fdatasync: Input/output error")),
  });
  const { archivist } = archive;
  await assert.rejects(
    archivist.logDecisions([decision({ idempotency_key: "k-1" })]),
    (error: unknown) => {
      assert.ok(error instanceof ArchiveNotSyncedError);
      assert.ok(!(error instanceof ArchiveWriteError), "not the 'nothing stored' error");
      assert.deepStrictEqual((error.value as { ids: number[] }).ids, [1]);
      assert.match(error.message, /was stored, but syncing it to the device failed/);
      return true;
    },
  );
  assert.equal(await rowCount(archive.path, "llm_decision_ledger"), 1);
  assert.equal(archivist.writeStatus.status, "failing");
  assert.equal(archivist.writeStatus.fault, "sync");
});

Deno.test("collected data: concurrent writes of a collection share one commit and one full sync; a bad one fails alone", async () => {
  await using archive = await tempArchive({ sync: "full" });
  const { archivist } = archive;
  const runId = await archivist.startRun({
    job: "intraday",
    tradeDate: "2026-11-25",
    trigger: "manual",
    stocksTotal: 3,
  });
  const broken = dayOfBars("000660", 5).map((bar, i) =>
    i === 2 ? { ...bar, low: bar.high + 1 } : bar
  );
  const before = archivist.writeStats;
  const [bars, bad, flows, failure] = await Promise.allSettled([
    archivist.upsertMinuteBars(dayOfBars("005930", 30)),
    archivist.upsertMinuteBars(broken),
    archivist.upsertFlowSnapshots([flow()]),
    archivist.recordRunFailure(runId, "000660", "a bar with its low above its high"),
  ]);
  assert.equal(archivist.writeStats.commits - before.commits, 1, "one transaction");
  const syncs = archivist.dialect === "sqlite" ? 1 : 0;
  assert.equal(archivist.writeStats.syncs - before.syncs, syncs, "one sync (by the server on PG)");
  assert.deepEqual([bars.status, flows.status, failure.status], [
    "fulfilled",
    "fulfilled",
    "fulfilled",
  ]);
  assert.equal(bad.status, "rejected");
  assert.ok((bad as PromiseRejectedResult).reason instanceof ArchiveInputError);
  assert.equal(
    await rowCount(archive.path, "stock_minute_price"),
    30,
    "none of the bad stock's bars",
  );
  assert.equal(await rowCount(archive.path, "market_flow_snapshot"), 1);
  assert.equal(archivist.failedWrites, 0, "refused input is not a failed write");
});
