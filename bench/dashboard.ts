/**
 * `deno task bench dashboard`: how long the dashboard's pages take to render on the server over a
 * year of data for 200 stocks (flows, adjusted daily candles, runs with failures, 40,000
 * decisions and rejections with their outcomes) with minute bars for the 20 trading days the
 * coverage grid reads. Requests go through the whole app in-process (`app.fetch`), so the time is
 * the server's, not the network's.
 *
 * Budget: the overview and a stock page in ≤ 150 ms each (median). Baselines, same run: the
 * decisions page (100 rows with outcomes as HTML) against `GET /v1/decisions?limit=100` and
 * `GET /v1/outcomes/decisions?limit=100` (as many rows and outcomes as JSON); each report page
 * against its report's JSON route. The JSON reads a stock page's charts make in the browser (a
 * year of candles, the stock's entries with outcomes, a day of minute bars, three months of
 * flows) are timed too.
 *
 * @module
 */
import { DatabaseSync } from "node:sqlite";
import { recentTradingDays } from "../collectors/dates.ts";
import { Archivist } from "../db/archivist.ts";
import { CONNECTION_PRAGMAS } from "../db/sqlite.ts";
import { isKrxTradingDay } from "../src/calendar.ts";
import { createApp } from "../src/http/app.ts";
import { AllowedHosts } from "../src/http/host_check.ts";
import { SeededRandom } from "../src/sim/random.ts";
import { addDays, barTimeOf, kstInstant } from "../src/time.ts";
import { round } from "./round.ts";

const STOCKS = 200;
const FLOW_DAYS = 250;
const BAR_DAYS = 20;
const DECISIONS_PER_DAY = 40;
const REJECTIONS_PER_DAY = 120;
const BUDGET_MS = 150;
const NOW = kstInstant("2026-11-27", "17:00");
const RUNS = 15;

/** Writes the year into the archive file at `path` with raw statements (seeding is not timed). */
function seed(path: string, codes: readonly string[], days: readonly string[]): void {
  const db = new DatabaseSync(path);
  for (const pragma of CONNECTION_PRAGMAS) db.exec(pragma);
  const random = new SeededRandom("bench", "dashboard");
  const next = () => random.next();
  db.exec("BEGIN");
  const watch = db.prepare(
    "INSERT INTO watchlist (stock_code, stock_name, is_active) VALUES (?, ?, 1)",
  );
  codes.forEach((code, i) => watch.run(code, `종목${String(i).padStart(3, "0")}전자`));
  const flow = db.prepare(`INSERT INTO market_flow_snapshot (stock_code, trade_date, close_price,
    volume, individual_net_buy, foreign_net_buy, institution_net_buy, program_net_buy,
    individual_net_buy_value, foreign_net_buy_value, institution_net_buy_value,
    program_net_buy_value) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
  const run = db.prepare(`INSERT INTO collection_run (run_id, job, trade_date, status, reason,
    trigger, started_at, finished_at, stocks_total, stocks_done, stocks_failed, rows_written,
    kis_calls) VALUES (?, ?, ?, ?, ?, 'schedule', ?, ?, ?, ?, ?, ?, ?)`);
  const failure = db.prepare(
    "INSERT INTO collection_run_failure (run_id, stock_code, error) VALUES (?, ?, ?)",
  );
  const decision = db.prepare(`INSERT INTO llm_decision_ledger (timestamp, decided_at, trade_date,
    stock_code, stock_name, hunter_score, market_regime, dominant_keywords, gate_result,
    final_decision, final_reason) VALUES (?, ?, ?, ?, ?, ?, 'BULL', '["반도체"]', 'PASS', ?, ?)`);
  const rejection = db.prepare(`INSERT INTO shadow_radar_log (timestamp, logged_at, trade_date,
    stock_code, stock_name, rejection_stage, rejection_reason, hunter_score_at_time, trigger_type,
    trigger_value) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'FILTER_REJECT', ?)`);
  const candle = db.prepare("INSERT INTO stock_daily_price VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
  const close = new Map(codes.map((code) => [code, 70_000]));
  const kinds = ["BUY", "SELL", "HOLD", "NO_DECISION"];
  const stages = ["HUNTER", "GATE", "JUDGE"];
  for (const [d, day] of days.entries()) {
    for (const code of codes) {
      const net = () => Math.round((next() - 0.5) * 400_000);
      const [f, i, p] = [net(), net(), net()];
      flow.run(
        code,
        day,
        70_000,
        5_000_000,
        -(f + i),
        f,
        i,
        p,
        -(f + i) * 70_000,
        f * 70_000,
        i * 70_000,
        p * 70_000,
      );
    }
    for (const job of ["flow", "intraday"]) {
      const runId = `${job}-${day}`;
      const failed = codes.filter(() => next() < 0.01);
      const started = kstInstant(day, job === "flow" ? "16:00" : "16:05");
      run.run(
        runId,
        job,
        day,
        failed.length > 0 ? "partial" : "succeeded",
        failed.length > 0 ? `${failed.length} of ${codes.length} stocks failed` : null,
        started.toISOString(),
        new Date(started.getTime() + 95_000).toISOString(),
        codes.length,
        codes.length - failed.length,
        failed.length,
        codes.length * (job === "flow" ? 1 : 381),
        codes.length * (job === "flow" ? 2 : 5),
      );
      for (const code of failed) failure.run(runId, code, "KIS answered 500 three times");
    }
    for (let n = 0; n < DECISIONS_PER_DAY; n++) {
      const at = new Date(kstInstant(day, "09:00").getTime() + n * 9 * 60_000).toISOString();
      const code = codes[Math.floor(next() * codes.length)];
      decision.run(at, at, day, code, "종목", 30 + next() * 70, kinds[n % 4], "근거");
    }
    for (let n = 0; n < REJECTIONS_PER_DAY; n++) {
      const at = new Date(kstInstant(day, "09:00").getTime() + n * 3 * 60_000).toISOString();
      const code = codes[Math.floor(next() * codes.length)];
      rejection.run(at, at, day, code, "종목", stages[n % 3], "사유", next() * 100, next() * 100);
    }
    for (const code of codes) {
      const open = Math.max(100, Math.round(close.get(code)! * (1 + 0.01 * (next() - 0.5))));
      const last = Math.max(100, Math.round(open * (1 + 0.04 * (next() - 0.5))));
      const volume = 500_000 + Math.round(next() * 4_500_000);
      candle.run(
        code,
        day,
        open,
        Math.max(open, last) + 100,
        Math.max(1, Math.min(open, last) - 100),
        last,
        volume,
        volume * last,
      );
      close.set(code, last);
    }
    if (d >= days.length - BAR_DAYS) {
      const bar = db.prepare("INSERT INTO stock_minute_price VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
      for (const code of codes) {
        const open = barTimeOf(day, "09:00");
        let price = 70_000;
        for (let m = 0; m < 381; m++) {
          const close = Math.max(100, Math.round(price * (1 + (next() - 0.5) * 0.004)));
          const minute = m === 380 ? barTimeOf(day, "15:30") : open + m * 60;
          bar.run(
            code,
            minute,
            price,
            Math.max(price, close) + 10,
            Math.min(price, close) - 10,
            close,
            1_000,
            1_000 * close,
          );
          price = close;
        }
      }
    }
  }
  db.exec("COMMIT");
  db.close();
}

async function median(fetch: () => Promise<void>): Promise<number> {
  for (let i = 0; i < 3; i++) await fetch();
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const started = performance.now();
    await fetch();
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

/** Runs the benchmark and returns its result line. */
export async function benchDashboard(): Promise<Record<string, unknown>> {
  const dir = await Deno.makeTempDir({ prefix: "archivist-bench-dashboard-" });
  try {
    const path = `${dir}/archivist.db`;
    await (await Archivist.open(path)).close();
    const codes = Array.from(
      { length: STOCKS },
      (_, i) => String(100_000 + i * 7).padStart(6, "0"),
    );
    const days = recentTradingDays("2026-11-27", FLOW_DAYS, { isTradingDay: isKrxTradingDay });
    seed(path, codes, days);

    const archivist = await Archivist.open(path);
    // Every entry gets its outcome row (not timed): the pages read them, they do not make them.
    await archivist.refreshOutcomes();
    const app = createApp({
      archivist,
      hosts: new AllowedHosts("127.0.0.1"),
      now: () => NOW,
      schedule: { flow: "16:00", intraday: "16:05", daily: "16:10" },
      collection: () => ({ enabled: true }),
    });
    const get = (path: string) => async () => {
      const response = await app.fetch(new Request(`http://127.0.0.1${path}`));
      if (response.status !== 200) {
        throw new Error(`dashboard bench: ${path} answered ${response.status}`);
      }
      await response.text();
    };
    const lastDay = days[days.length - 1];
    const code = codes[0];
    const overview = await median(get("/"));
    const stock = await median(get(`/stocks/${code}?date=${lastDay}`));
    const yearAgo = addDays(lastDay, -365);
    const stockCharts = await median(async () => {
      for (
        const path of [
          `/v1/daily-prices/${code}?from=${yearAgo}&to=${lastDay}`,
          `/v1/outcomes/decisions?stock_code=${code}&from=${yearAgo}&limit=1000`,
          `/v1/outcomes/rejections?stock_code=${code}&from=${yearAgo}&limit=1000`,
          `/v1/minute-bars/${code}?date=${lastDay}`,
          `/v1/market-flow/${code}?from=${addDays(lastDay, -92)}&to=${lastDay}`,
        ]
      ) await get(path)();
    });
    const decisionsPage = await median(get("/decisions"));
    const decisionsJson = await median(async () => {
      await get("/v1/decisions?limit=100")();
      await get("/v1/outcomes/decisions?limit=100")();
    });
    const regretPage = await median(get("/reports/regret"));
    const regretJson = await median(get("/v1/reports/regret"));
    const scorecardPage = await median(get("/reports/scorecard"));
    const scorecardJson = await median(get("/v1/reports/scorecard"));
    await archivist.close();
    return {
      bench: "dashboard",
      stocks: STOCKS,
      flow_days: FLOW_DAYS,
      daily_candle_days: FLOW_DAYS,
      minute_bar_days: BAR_DAYS,
      entries: days.length * (DECISIONS_PER_DAY + REJECTIONS_PER_DAY),
      overview_ms: round(overview),
      stock_page_ms: round(stock),
      budget_ms: BUDGET_MS,
      overview_vs_budget: round(overview / BUDGET_MS),
      stock_page_vs_budget: round(stock / BUDGET_MS),
      decisions_page_ms: round(decisionsPage),
      decisions_json_ms: round(decisionsJson),
      decisions_page_vs_json: round(decisionsPage / decisionsJson),
      stock_charts_json_ms: round(stockCharts),
      regret_page_ms: round(regretPage),
      regret_json_ms: round(regretJson),
      regret_page_vs_json: round(regretPage / regretJson),
      scorecard_page_ms: round(scorecardPage),
      scorecard_json_ms: round(scorecardJson),
      scorecard_page_vs_json: round(scorecardPage / scorecardJson),
    };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
