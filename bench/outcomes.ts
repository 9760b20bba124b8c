/**
 * `deno task bench outcomes`: a year of adjusted daily candles for 500 stocks and 100,000
 * decisions and rejections. Times the full-year regret report and scorecard (targets ≤ 500 ms
 * each) and the arrival of one more day's candles for every stock, outcomes recomputed in the
 * same transaction (target ≤ 2 s).
 *
 * Baselines, measured in the same run on the same file: for the reports, one raw `node:sqlite`
 * scan joining every entry with its outcome; for the day, a raw prepared-statement loop writing
 * the same candles and rewriting as many outcome rows as the day changed.
 *
 * @module
 */
import { DatabaseSync } from "node:sqlite";
import { Archivist } from "../db/archivist.ts";
import type { DailyPrice } from "../db/schema.ts";
import { CONNECTION_PRAGMAS } from "../db/sqlite.ts";
import { isKrxTradingDay } from "../src/calendar.ts";
import { SeededRandom } from "../src/sim/random.ts";
import { scoutEntries, type ScoutStock } from "../src/sim/scout.ts";
import { addDays } from "../src/time.ts";
import { round } from "./round.ts";

const STOCKS = 500;
const ENTRIES = 100_000;
/** The year of candles ends the day before the arriving one. */
const ARRIVING_DAY = "2026-11-25";
const REPORT_TARGET_MS = 500;
const DAY_TARGET_MS = 2_000;

/** The trading days of the year before `day` (built-in calendar), ascending. */
function yearBefore(day: string): string[] {
  const days: string[] = [];
  for (let date = addDays(day, -365); date < day; date = addDays(date, 1)) {
    if (isKrxTradingDay(date)) days.push(date);
  }
  return days;
}

function benchStocks(): ScoutStock[] {
  return Array.from({ length: STOCKS }, (_, i) => {
    const code = String(100_000 + i * 7).padStart(6, "0");
    return { stock_code: code, stock_name: `벤치종목${code}` };
  });
}

/** A random walk of candles per stock over `days`, deterministic. */
function candlesOf(
  stocks: readonly ScoutStock[],
  days: readonly string[],
): Map<string, DailyPrice[]> {
  const byStock = new Map<string, DailyPrice[]>();
  for (const { stock_code } of stocks) {
    const random = new SeededRandom(stock_code, "bench-candles");
    let close = 1_000 + random.int(0, 200_000);
    byStock.set(
      stock_code,
      days.map((trade_date) => {
        const open = Math.max(1, Math.round(close * (1 + 0.01 * random.normal())));
        close = Math.max(1, Math.round(open * (1 + 0.02 * random.normal())));
        const high = Math.round(Math.max(open, close) * (1 + 0.01 * random.next()));
        const low = Math.max(1, Math.round(Math.min(open, close) * (1 - 0.01 * random.next())));
        const volume = random.int(10_000, 2_000_000);
        return { stock_code, trade_date, open, high, low, close, volume, value: volume * close };
      }),
    );
  }
  return byStock;
}

/** The median of `runs` timings of `work`, in ms. */
async function medianMs(runs: number, work: () => Promise<unknown> | unknown): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    await work();
    times.push(performance.now() - started);
  }
  return times.sort((a, b) => a - b)[Math.floor(runs / 2)];
}

/** Runs the benchmark and returns its result line. */
export async function benchOutcomes(): Promise<Record<string, unknown>> {
  const dir = await Deno.makeTempDir({ prefix: "archivist-bench-outcomes-" });
  const path = `${dir}/outcomes.db`;
  const archivist = await Archivist.open(path, {
    now: () => new Date(`${ARRIVING_DAY}T09:00:00Z`),
  });
  try {
    const stocks = benchStocks();
    const days = yearBefore(ARRIVING_DAY);
    const history = candlesOf(stocks, [...days, ARRIVING_DAY]);
    for (let i = 0; i < stocks.length; i += 50) {
      await archivist.upsertDailyPrices(
        stocks.slice(i, i + 50).flatMap((s) => history.get(s.stock_code)!.slice(0, -1)),
      );
    }
    const generated = scoutEntries({
      tradingDays: days,
      stocks,
      decisionsPerDay: Math.ceil(ENTRIES * 0.4 / days.length),
      rejectionsPerDay: Math.ceil(ENTRIES * 0.6 / days.length),
      seed: "bench",
    });
    const decisions = generated.decisions.slice(0, ENTRIES * 0.4);
    const rejections = generated.rejections.slice(0, ENTRIES * 0.6);
    for (let i = 0; i < decisions.length; i += 1000) {
      await archivist.logDecisions(decisions.slice(i, i + 1000) as never);
    }
    for (let i = 0; i < rejections.length; i += 1000) {
      await archivist.logRejections(rejections.slice(i, i + 1000) as never);
    }
    let started = performance.now();
    const caughtUp = await archivist.refreshOutcomes();
    const catchUpMs = performance.now() - started;

    // Warm up both reports (JIT, page cache) before timing them.
    await archivist.regretReport();
    await archivist.scorecard();
    const regretMs = await medianMs(3, () => archivist.regretReport());
    const scorecardMs = await medianMs(3, () => archivist.scorecard());
    const regret = await archivist.regretReport();

    const raw = new DatabaseSync(path);
    for (const pragma of CONNECTION_PRAGMAS) raw.exec(pragma);
    const scan = raw.prepare(`SELECT count(*) AS n, sum(o.ret_5d_pct) AS s
      FROM shadow_radar_log e JOIN rejection_outcome o ON o.log_id = e.log_id`);
    scan.all();
    const scanMs = await medianMs(3, () => scan.all());

    const arriving = stocks.map((s) => history.get(s.stock_code)!.at(-1)!);
    started = performance.now();
    const day = await archivist.upsertDailyPrices(arriving);
    const dayMs = performance.now() - started;

    // The raw floor of that write: the same candles (a day later) and as many outcome rewrites.
    const insert = raw.prepare(`INSERT INTO stock_daily_price
      (stock_code, trade_date, open, high, low, close, volume, value) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`);
    const touch = raw.prepare(
      "UPDATE rejection_outcome SET computed_at = ?, ret_1d_pct = ret_1d_pct WHERE log_id = ?",
    );
    started = performance.now();
    raw.exec("BEGIN IMMEDIATE");
    for (const c of arriving) {
      insert.run(
        c.stock_code,
        addDays(ARRIVING_DAY, 1),
        c.open,
        c.high,
        c.low,
        c.close,
        c.volume,
        c.value,
      );
    }
    for (let id = 1; id <= day.outcomes.updated; id++) touch.run("raw", id);
    raw.exec("COMMIT");
    const rawDayMs = performance.now() - started;
    raw.close();

    return {
      bench: "outcomes",
      stocks: STOCKS,
      candles: days.length * STOCKS,
      entries: decisions.length + rejections.length,
      outcomes_created: caughtUp,
      catch_up_ms: round(catchUpMs),
      regret_ms: round(regretMs),
      scorecard_ms: round(scorecardMs),
      scan_baseline_ms: round(scanMs),
      regret_ratio: round(regretMs / scanMs),
      scorecard_ratio: round(scorecardMs / scanMs),
      day_ms: round(dayMs),
      day_outcomes_updated: day.outcomes.updated,
      day_raw_baseline_ms: round(rawDayMs),
      day_ratio: round(dayMs / rawDayMs),
      regrets: regret.regrets,
      reports_within_target: regretMs <= REPORT_TARGET_MS && scorecardMs <= REPORT_TARGET_MS,
      day_within_target: dayMs <= DAY_TARGET_MS,
    };
  } finally {
    await archivist.close();
    await Deno.remove(dir, { recursive: true });
  }
}

if (import.meta.main) console.log(JSON.stringify(await benchOutcomes()));
