/**
 * Benchmark of collection: 200 stocks, one past trading day, flows and minute bars, against the
 * simulator (in a process of its own, like a real gateway) at 20 requests per second — once on
 * loopback, once at a real network's latency (300 ms round trip plus 0–100 ms of jitter, all of
 * it before the simulator's rate counter sees the request). The floor is the fewest calls the
 * API allows (investor + program + the minute-bar pages a session needs) at the limit; `ratio` =
 * floor / measured time, for each network.
 *
 * @module
 */
import { Archivist } from "../db/archivist.ts";
import { refreshMarketCalendar } from "../collectors/calendar.ts";
import { runCollection } from "../collectors/run.ts";
import { sessionBars } from "../src/sim/market.ts";
import type { SimFaults } from "../src/sim/server.ts";
import { round } from "./round.ts";
import { remoteSimulatedKis } from "./simulated_kis.ts";

const LIMIT = 20;
const STOCKS = 200;
const TRADE_DATE = "2026-11-24";
/** Rows per page of the dated minute-bar TR (FHKST03010230). */
const DATED_PAGE_ROWS = 120;
/** A real network: 300 ms round trips with 0–100 ms of jitter. */
const WAN: Partial<SimFaults> = { latencyMs: 300, latencyJitterMs: 100 };

/** 200 distinct listed codes of the simulator. */
function benchCodes(): string[] {
  return Array.from({ length: STOCKS }, (_, i) => String(100_000 + i * 37).padStart(6, "0"));
}

/** Fewest calls for a stock: investor + program + the pages its session's bars fill. */
function fewestCalls(code: string): number {
  return 2 + Math.max(1, Math.ceil(sessionBars(code, TRADE_DATE).length / DATED_PAGE_ROWS));
}

/** One timed collection of both jobs over the 200 stocks on a fresh simulator and archive. */
async function timedCollection(faults: Partial<SimFaults>): Promise<Record<string, number>> {
  const dir = await Deno.makeTempDir({ prefix: "archivist-bench-collect-" });
  const { sim, client } = await remoteSimulatedKis(LIMIT, dir);
  const archivist = await Archivist.open(`${dir}/archivist.db`, { now: () => sim.now() });
  try {
    const codes = benchCodes();
    await archivist.addToWatchlist(codes.map((stock_code) => ({ stock_code })));
    const deps = { archivist, client, now: () => sim.now() };
    // The simulator computes years of each stock's prices on first use; a real gateway does
    // not, so that happens before the clock starts.
    await sim.warm(codes, "2026-10-01", TRADE_DATE);
    await sim.setFaults(faults);
    // Token and the day's calendar come first, as on any day: they are not per-stock work.
    await refreshMarketCalendar(archivist, client, sim.now());
    // Let the window of those calls pass, so the timed part starts from a quiet second.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await sim.resetStats();

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
    const floorSeconds = codes.reduce((sum, code) => sum + fewestCalls(code), 0) / LIMIT;
    const stats = await sim.stats();
    return {
      calls: client.stats.calls - callsBefore,
      seconds: round(seconds),
      floor_seconds: round(floorSeconds),
      ratio: round(floorSeconds / seconds),
      stocks_failed: flow.stocksFailed + intraday.stocksFailed,
      rows_written: flow.rowsWritten + intraday.rowsWritten,
      rate_limit_errors: stats.rateLimited,
      peak_per_second: stats.peakPerSecond,
    };
  } finally {
    await archivist.close();
    await sim.close();
    await Deno.remove(dir, { recursive: true });
  }
}

/** Runs the benchmark and returns its result line. */
export async function benchCollect(): Promise<Record<string, unknown>> {
  const loopback = await timedCollection({});
  const wan = await timedCollection(WAN);
  return {
    bench: "collect",
    stocks: STOCKS,
    limit: LIMIT,
    ...loopback,
    wan_rtt_ms: `${WAN.latencyMs}+0..${WAN.latencyJitterMs}`,
    wan_calls: wan.calls,
    wan_seconds: wan.seconds,
    wan_ratio: wan.ratio,
    wan_stocks_failed: wan.stocks_failed,
    wan_rate_limit_errors: wan.rate_limit_errors,
    wan_peak_per_second: wan.peak_per_second,
  };
}
