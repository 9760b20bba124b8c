/**
 * The same API answers on both backends: one archive on SQLite and one on PostgreSQL are fed the
 * same requests and writes, then every read route (the dashboard's pages included) is asked the
 * same questions and must answer byte for byte alike (run ids, random by design, and the size of
 * the database aside). Runs in the PostgreSQL pass.
 *
 * @module
 */
import assert from "node:assert/strict";
import type { DailyPrice, FlowSnapshot, StockMinutePrice } from "../db/schema.ts";
import { isKrxTradingDay } from "../src/calendar.ts";
import { barTimeOf, datesBetween } from "../src/time.ts";
import { startTestApi, type TestApi } from "./fixtures/http_harness.ts";
import { createTestDatabase, testPostgresTemplate } from "./fixtures/postgres.ts";
import { tempDir } from "./helpers.ts";

const template = testPostgresTemplate();
const DAYS = datesBetween("2026-09-01", "2026-11-20").filter(isKrxTradingDay);
const NOW = new Date("2026-11-20T08:00:00.000Z");

/** Feeds `api` the same history: candles, bars, flows, a watchlist, entries and runs. */
async function feed(api: TestApi): Promise<void> {
  const candles: DailyPrice[] = ["005930", "000660"].flatMap((stock_code, s) =>
    DAYS.map((trade_date, i) => ({
      stock_code,
      trade_date,
      open: 50_000 + 100 * i + s,
      high: 50_700 + 137 * (i % 7) + 100 * i,
      low: 49_300 + 100 * i - 53 * (i % 5),
      close: 50_000 + 100 * i + 71 * ((i * 3) % 11) - 300,
      volume: 1_000_000 + 7_919 * ((i * 13) % 17),
      value: (1_000_000 + i) * 50_000,
    }))
  );
  await api.archivist.upsertDailyPrices(candles);
  const bars: StockMinutePrice[] = Array.from({ length: 30 }, (_, i) => ({
    stock_code: "005930",
    bar_time: barTimeOf("2026-11-20", "090000") + 60 * i,
    open: 60_000 + i,
    high: 60_100 + i,
    low: 59_900 + i,
    close: 60_050 + i,
    volume: 1_000 + i,
    value: (1_000 + i) * 60_050,
  }));
  await api.archivist.upsertMinuteBars(bars);
  const flow: FlowSnapshot = {
    stock_code: "005930",
    trade_date: "2026-11-20",
    close_price: 60_079,
    volume: 17_234_567,
    individual_net_buy: -1_938_572,
    foreign_net_buy: 465_171,
    institution_net_buy: 1_402_113,
    program_net_buy: null,
    individual_net_buy_value: -105_264_000_000,
    foreign_net_buy_value: 25_259_000_000,
    institution_net_buy_value: 76_134_000_000,
    program_net_buy_value: null,
  };
  await api.archivist.upsertFlowSnapshots([flow]);
  await api.post("/v1/watchlist", { entries: [{ stock_code: "005930", stock_name: "삼성전자" }] });

  const decisions = DAYS.slice(10, 40).map((day, i) => ({
    stock_code: i % 3 === 0 ? "000660" : "005930",
    stock_name: i % 3 === 0 ? "SK하이닉스" : "삼성전자",
    final_decision: ["BUY", "SELL", "HOLD", "NO_DECISION"][i % 4],
    hunter_score: i % 5 === 0 ? null : 35 + i * 2.5,
    market_regime: [null, "BULL", "BEAR"][i % 3],
    gate_result: i % 4 === 1 ? "REJECT" : "PASS",
    dominant_keywords: i % 2 ? ["반도체", "AI"] : null,
    thinking_called: i % 2 === 0,
    cost_estimate: 0.0125 * i,
    decided_at: `${day}T${i % 2 ? "10:15" : "15:45"}:00+09:00`,
  }));
  for (const decision of decisions) {
    assert.equal((await api.post("/v1/decisions", decision)).status, 201);
  }
  const rejections = DAYS.slice(5, 45).map((day, i) => ({
    stock_code: i % 2 ? "000660" : "005930",
    rejection_stage: [null, "HUNTER", "GATE", "JUDGE"][i % 4],
    rejection_reason: [null, "과열", "거래량 부족"][i % 3],
    hunter_score_at_time: 40 + i,
    logged_at: `${day}T09:${String(10 + i).padStart(2, "0")}:00+09:00`,
  }));
  const batch = await api.post("/v1/shadow-radar", rejections, { "idempotency-key": "batch-1" });
  assert.equal(batch.status, 201);

  for (const [job, status] of [["flow", "succeeded"], ["intraday", "partial"]] as const) {
    const runId = await api.archivist.startRun({
      job,
      tradeDate: "2026-11-20",
      trigger: "manual",
      stocksTotal: 2,
    });
    if (status === "partial") await api.archivist.recordRunFailure(runId, "000660", "EGW00201");
    await api.archivist.finishRun(runId, {
      status,
      stocksDone: 2,
      stocksFailed: status === "partial" ? 1 : 0,
      rowsWritten: 30,
      kisCalls: 4,
    });
  }
}

/** What every read route answers, run ids replaced by their order. */
async function answers(api: TestApi): Promise<Record<string, unknown>> {
  const urls = [
    "/health",
    "/v1/decisions?limit=7",
    "/v1/decisions?stock_code=000660&from=2026-10-01&to=2026-10-31",
    "/v1/shadow-radar?trade_date=2026-10-01",
    "/v1/shadow-radar?limit=1000",
    "/v1/watchlist",
    "/v1/runs",
    "/v1/minute-bars/005930?date=2026-11-20",
    "/v1/market-flow/005930?from=2026-11-01&to=2026-11-20",
    "/v1/daily-prices/005930?from=2026-10-01&to=2026-10-31",
    "/v1/outcomes/decisions?limit=1000",
    "/v1/outcomes/decisions?status=complete&final_decision=BUY",
    "/v1/outcomes/rejections?threshold_pct=1.5",
    "/v1/outcomes/rejections?rejection_stage=GATE&status=pending",
    "/v1/reports/regret",
    "/v1/reports/regret?from=2026-10-01&to=2026-10-31&threshold_pct=2",
    "/v1/reports/scorecard",
    "/v1/reports/daily-packet?date=2026-10-15",
    // The dashboard (its reads in db/dashboard_reads.ts).
    "/",
    "/runs",
    "/decisions",
    "/decisions?status=complete&stock=%ED%95%98%EC%9D%B4%EB%8B%89%EC%8A%A4",
    "/rejections?stage=GATE&from=2026-09-15&to=2026-10-30",
    "/rejections?status=pending",
    "/stocks/005930",
    "/stocks/005930?date=2026-11-20",
    "/stocks/000660",
    "/reports/regret",
    "/reports/regret?from=2026-10-01&to=2026-10-31&threshold_pct=2",
    "/reports/scorecard",
  ];
  const result: Record<string, unknown> = {};
  for (const url of urls) {
    const response = await api.request(url);
    const text = await response.text();
    const runIds = [...new Set(text.match(/[0-9a-f]{8}-[0-9a-f-]{27}/g) ?? [])];
    result[url] = {
      status: response.status,
      body: runIds.reduce((t, id, i) => t.replaceAll(id, `run-${i}`), text)
        // A file and its log, or what the server counts: never alike.
        .replace(/(<dt>Database<\/dt>\s*<dd>)[^<]*/, "$1(size)"),
    };
  }
  return result;
}

Deno.test({
  name: "backends: SQLite and PostgreSQL give the same answers to the same history",
  ignore: template === undefined,
  fn: async () => {
    await using dir = await tempDir();
    await using database = await createTestDatabase(template!);
    const now = () => NOW;
    await using sqlite = await startTestApi({
      archivistNow: now,
      location: `${dir.path}/archive.db`,
    });
    await using postgres = await startTestApi({ archivistNow: now, location: database.url });
    assert.equal(sqlite.archivist.dialect, "sqlite");
    assert.equal(postgres.archivist.dialect, "postgres");
    await feed(sqlite);
    await feed(postgres);
    const expected = await answers(sqlite);
    const actual = await answers(postgres);
    for (const url of Object.keys(expected)) {
      assert.deepEqual(actual[url], expected[url], url);
    }
    // The comparison compared something: entries, outcomes and reports are all there.
    const outcomes = JSON.parse(
      (expected["/v1/outcomes/decisions?limit=1000"] as { body: string }).body,
    );
    assert.equal(outcomes.items.length, 30);
    assert.ok(outcomes.items.some((i: { status: string }) => i.status === "complete"));
    const pages = Object.entries(expected).filter(([url]) =>
      !url.startsWith("/v1/") && url !== "/health"
    );
    for (const [url, page] of pages) {
      const { status, body } = page as { status: number; body: string };
      assert.equal(status, 200, url);
      assert.match(body, /<table|<svg|<canvas|class="chart/, `${url} shows something`);
    }
  },
});
