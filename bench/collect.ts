/**
 * Benchmark of collection: 200 stocks, one past trading day, flows and minute bars, against the
 * simulator at 20 requests per second. The floor is the fewest calls the API allows (investor +
 * program + the minute-bar pages a session needs) at the limit; `ratio` = floor / measured time.
 *
 * @module
 */
import { Archivist } from "../db/archivist.ts";
import { refreshMarketCalendar } from "../collectors/calendar.ts";
import { runCollection } from "../collectors/run.ts";
import { sessionBars } from "../src/sim/market.ts";
import { round } from "./round.ts";
import { simulatedKis } from "./simulated_kis.ts";

const LIMIT = 20;
const STOCKS = 200;
const TRADE_DATE = "2026-11-24";
/** Rows per page of the dated minute-bar TR (FHKST03010230). */
const DATED_PAGE_ROWS = 120;

/** 200 distinct listed codes of the simulator. */
function benchCodes(): string[] {
  return Array.from({ length: STOCKS }, (_, i) => String(100_000 + i * 37).padStart(6, "0"));
}

/** Fewest calls for a stock: investor + program + the pages its session's bars fill. */
function fewestCalls(code: string): number {
  return 2 + Math.max(1, Math.ceil(sessionBars(code, TRADE_DATE).length / DATED_PAGE_ROWS));
}

/** Runs the benchmark and returns its result line. */
export async function benchCollect(): Promise<Record<string, unknown>> {
  const dir = await Deno.makeTempDir({ prefix: "archivist-bench-collect-" });
  const { sim, client } = await simulatedKis(LIMIT, dir);
  const archivist = await Archivist.open(`${dir}/archivist.db`, { now: () => sim.now() });
  try {
    const codes = benchCodes();
    await archivist.addToWatchlist(codes.map((stock_code) => ({ stock_code })));
    const deps = { archivist, client, now: () => sim.now() };
    // Token and the day's calendar come first, as on any day: they are not per-stock work.
    await refreshMarketCalendar(archivist, client, sim.now());
    // Let the pacer's window of those calls pass, so the timed part starts from a quiet second.
    await new Promise((resolve) => setTimeout(resolve, 1100));

    const callsBefore = client.stats.calls;
    const started = performance.now();
    const flow = await runCollection(deps, {
      job: "flow",
      tradeDate: TRADE_DATE,
      trigger: "manual",
    });
    const intraday = await runCollection(deps, {
      job: "intraday",
      tradeDate: TRADE_DATE,
      trigger: "manual",
    });
    const seconds = (performance.now() - started) / 1000;
    const calls = client.stats.calls - callsBefore;
    const floorSeconds = codes.reduce((sum, code) => sum + fewestCalls(code), 0) / LIMIT;
    return {
      bench: "collect",
      stocks: STOCKS,
      calls,
      seconds: round(seconds),
      floor_seconds: round(floorSeconds),
      ratio: round(floorSeconds / seconds),
      limit: LIMIT,
      stocks_failed: flow.stocksFailed + intraday.stocksFailed,
      rows_written: flow.rowsWritten + intraday.rowsWritten,
      rate_limit_errors: sim.stats().rateLimited,
    };
  } finally {
    await archivist.close();
    await sim.close();
    await Deno.remove(dir, { recursive: true });
  }
}
