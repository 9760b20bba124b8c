/**
 * `deno task copy` as a real process: SQLite → PostgreSQL and back, verified, idempotent,
 * resumable, and refusing to call a differing target verified. Runs in the PostgreSQL pass.
 *
 * @module
 */
import assert from "node:assert/strict";
// @ts-types="@types/pg"
import pg from "pg";
import { Archivist } from "../db/archivist.ts";
import type { DailyPrice, StockMinutePrice } from "../db/schema.ts";
import { isKrxTradingDay } from "../src/calendar.ts";
import { barTimeOf, datesBetween } from "../src/time.ts";
import { createTestDatabase, testPostgresTemplate } from "./fixtures/postgres.ts";
import { runCli, tempDir } from "./helpers.ts";

const template = testPostgresTemplate();
const DAYS = datesBetween("2026-10-01", "2026-11-20").filter(isKrxTradingDay);

/** An archive with something in every copied table. */
async function seed(path: string): Promise<void> {
  await using archivist = await Archivist.open(path, {
    now: () => new Date("2026-11-20T08:00:00.000Z"),
  });
  await archivist.addToWatchlist([{ stock_code: "005930", stock_name: "삼성전자" }]);
  await archivist.saveMarketCalendar([{ tradeDate: "2026-11-20", isOpen: true }]);
  const candles: DailyPrice[] = DAYS.map((trade_date, i) => ({
    stock_code: "005930",
    trade_date,
    open: 50_000 + 10 * i,
    high: 51_000 + 10 * i,
    low: 49_000 + 10 * i,
    close: 50_500 + 7 * i,
    volume: 1_000 + i,
    value: 9_007_199_254_740_000 + i,
  }));
  await archivist.upsertDailyPrices(candles);
  const bars: StockMinutePrice[] = DAYS.flatMap((day) =>
    Array.from({ length: 40 }, (_, i) => ({
      stock_code: i % 2 ? "000660" : "005930",
      bar_time: barTimeOf(day, "090000") + 60 * i,
      open: 100 + i,
      high: 110 + i,
      low: 90 + i,
      close: 105 + i,
      volume: i,
      value: 105 * i,
    }))
  );
  await archivist.upsertMinuteBars(bars);
  await archivist.upsertFlowSnapshots([{
    stock_code: "005930",
    trade_date: "2026-11-20",
    close_price: 50_800,
    volume: 1_234,
    individual_net_buy: -5,
    foreign_net_buy: 3,
    institution_net_buy: 2,
    program_net_buy: null,
    individual_net_buy_value: -250_000,
    foreign_net_buy_value: 150_000,
    institution_net_buy_value: 100_000,
    program_net_buy_value: null,
  }]);
  await archivist.logDecisions(
    DAYS.slice(0, 20).map((day, i) => ({
      stock_code: "005930",
      final_decision: i % 2 ? "BUY" : "SELL",
      hunter_score: 50 + i / 3,
      thinking_called: i % 2,
      cost_estimate: 0.1 * i,
      dominant_keywords: ["반도체"],
      decided_at: `${day}T10:00:00+09:00`,
    })),
    { key: "req-1", fingerprint: "f-1" },
  );
  await archivist.logRejections(
    DAYS.slice(0, 10).map((day) => ({
      stock_code: "000660",
      rejection_stage: "GATE",
      logged_at: `${day}T09:30:00+09:00`,
    })),
  );
  for (const status of ["succeeded", "partial"] as const) {
    const runId = await archivist.startRun({
      job: "intraday",
      tradeDate: "2026-11-20",
      trigger: "manual",
      stocksTotal: 2,
    });
    if (status === "partial") await archivist.recordRunFailure(runId, "000660", "timeout");
    await archivist.finishRun(runId, {
      status,
      stocksDone: 2,
      stocksFailed: status === "partial" ? 1 : 0,
      rowsWritten: 1,
      kisCalls: 2,
    });
  }
  await archivist.refreshOutcomes();
}

/** What the archive at `path` answers, for comparing two archives. */
async function contents(path: string): Promise<unknown> {
  await using archivist = await Archivist.open(path);
  return {
    decisions: await archivist.listDecisionOutcomes({ limit: 1000 }),
    rejections: await archivist.listRejections({ limit: 1000 }),
    runs: await archivist.listRuns(),
    last: await archivist.lastRuns(),
    bars: await archivist.minuteBars("000660", DAYS[3]),
    candles: await archivist.dailyPrices("005930", DAYS[0], DAYS[DAYS.length - 1]),
    flows: await archivist.flowSnapshots("005930", "2026-11-01", "2026-11-30"),
    watchlist: await archivist.watchlist(),
    scorecard: await archivist.scorecard(),
  };
}

Deno.test({
  name: "copy CLI: SQLite to PostgreSQL and back, verified; again writes nothing; resumes",
  ignore: template === undefined,
  fn: async () => {
    await using dir = await tempDir();
    await using database = await createTestDatabase(template!);
    const sqlite = `${dir.path}/source.db`;
    await seed(sqlite);
    const copy = (from: string, to: string) =>
      runCli("src/cli/copy.ts", [from, to], { cwd: dir.path });

    const first = await copy(sqlite, database.url);
    assert.equal(first.code, 0, first.stdout + first.stderr);
    assert.match(first.stdout, /Every table verified/);
    assert.match(first.stdout, /✓ stock_minute_price +1400 rows → 1400 \(1400 copied now\)/);
    assert.doesNotMatch(first.stdout, /✗/);
    assert.deepEqual(await contents(database.url), await contents(sqlite));

    const again = await copy(sqlite, database.url);
    assert.equal(again.code, 0);
    assert.match(again.stdout, /✓ llm_decision_ledger +20 rows → 20 \(0 copied now\)/);

    // A copy stopped part-way: the target holds a prefix of each table.
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      await client.query(`DELETE FROM decision_outcome WHERE log_id > 12`);
      await client.query(`DELETE FROM llm_decision_ledger WHERE log_id > 12`);
      await client.query(`DELETE FROM stock_minute_price WHERE stock_code = '005930'`);
    } finally {
      await client.end();
    }
    const resumed = await copy(sqlite, database.url);
    assert.equal(resumed.code, 0, resumed.stdout + resumed.stderr);
    assert.match(resumed.stdout, /✓ llm_decision_ledger +20 rows → 20 \(8 copied now\)/);
    assert.match(resumed.stdout, /✓ stock_minute_price +1400 rows → 1400 \(700 copied now\)/);

    // The source gained a row below where the target's rows end (it was in use during the copy):
    // the copy run again fills the gap instead of calling the table different forever.
    {
      await using source = await Archivist.open(sqlite);
      await source.upsertMinuteBars([{
        stock_code: "000660",
        bar_time: barTimeOf(DAYS[0], "090000") + 120,
        open: 1,
        high: 1,
        low: 1,
        close: 1,
        volume: 1,
        value: 1,
      }]);
    }
    const caughtUp = await copy(sqlite, database.url);
    assert.equal(caughtUp.code, 0, caughtUp.stdout + caughtUp.stderr);
    assert.match(caughtUp.stdout, /✓ stock_minute_price +1401 rows → 1401 \(1 copied now\)/);
    const original = await contents(sqlite);

    // Back to a new SQLite file: the same archive again.
    const back = `${dir.path}/back.db`;
    const returned = await copy(database.url, back);
    assert.equal(returned.code, 0, returned.stdout + returned.stderr);
    assert.deepEqual(await contents(back), original);

    // Ids keep counting after the copied ones on PostgreSQL.
    await using copied = await Archivist.open(database.url);
    const { ids } = await copied.logDecisions([
      { stock_code: "005930", final_decision: "HOLD", thinking_called: null },
    ]);
    assert.deepEqual(ids, [21]);
  },
});

Deno.test("copy CLI: a source file that does not exist is a usage error; nothing is created", async () => {
  await using dir = await tempDir();
  const result = await runCli("src/cli/copy.ts", ["typo.db", "target.db"], { cwd: dir.path });
  assert.equal(result.code, 2, result.stdout + result.stderr);
  assert.match(result.stderr, /<from>: there is no archive file at typo\.db/);
  assert.doesNotMatch(result.stdout, /verified/);
  assert.deepEqual([...Deno.readDirSync(dir.path)].map((e) => e.name), []);
});

Deno.test({
  name: "copy CLI: a target with other values under the same keys is not called verified",
  ignore: template === undefined,
  fn: async () => {
    await using dir = await tempDir();
    await using database = await createTestDatabase(template!);
    const sqlite = `${dir.path}/source.db`;
    await seed(sqlite);
    {
      await using target = await Archivist.open(database.url);
      await target.addToWatchlist([{ stock_code: "005930", stock_name: "다른 이름" }]);
    }
    const result = await runCli("src/cli/copy.ts", [sqlite, database.url], { cwd: dir.path });
    assert.equal(result.code, 1);
    assert.match(result.stdout, /✗ watchlist/);
    assert.match(result.stderr, /Some tables differ/);

    const usage = await runCli("src/cli/copy.ts", [sqlite, "mysql://h/db"], { cwd: dir.path });
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /<to>: .*mysql/);
  },
});
