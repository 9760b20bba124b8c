/**
 * Benchmark of the KIS client against the bundled simulator: how close to the rate limit it
 * runs without a single EGW00201, and how few calls a session of minute bars costs.
 *
 * @module
 */
import { previousTradingDay } from "../src/calendar.ts";
import { KisClient } from "../src/kis/mod.ts";
import { DEMO_REAL_APP_KEY, DEMO_REAL_APP_SECRET, startSimulator } from "../src/sim/server.ts";
import { kstDate } from "../src/time.ts";

const LIMIT = 20;
const REQUESTS = 600;
const CALLERS = 8;
const CODES = ["005930", "000660", "035420", "051910", "005380", "035720", "068270", "105560"];
const CLOCK = "2026-11-25T16:05:00+09:00";

/** Runs the benchmark and returns its result line. */
export async function benchKis(): Promise<Record<string, unknown>> {
  const sim = await startSimulator({
    rateLimit: { real: LIMIT },
    tokenIssueIntervalSec: 1,
    clock: CLOCK,
  });
  const dir = await Deno.makeTempDir({ prefix: "archivist-bench-kis-" });
  try {
    const client = new KisClient({
      env: "real",
      baseUrl: sim.realUrl,
      appKey: DEMO_REAL_APP_KEY,
      appSecret: DEMO_REAL_APP_SECRET,
      rateLimit: LIMIT,
      tokenCachePath: `${dir}/token.json`,
      now: () => sim.now(),
      tokenIssueIntervalMs: 1000,
    });
    let next = 0;
    const started = performance.now();
    await Promise.all(Array.from({ length: CALLERS }, async () => {
      while (next < REQUESTS) {
        await client.investorFlows(CODES[next++ % CODES.length]);
      }
    }));
    const seconds = (performance.now() - started) / 1000;
    const achieved = REQUESTS / seconds;
    const rateLimitErrors = sim.stats().rateLimited;

    const today = kstDate(sim.now());
    const callsFor = async (tradeDate: string) => {
      const before = client.stats.calls;
      await client.sessionMinuteBars("005930", tradeDate);
      return client.stats.calls - before;
    };
    return {
      bench: "kis",
      limit: LIMIT,
      requests: REQUESTS,
      callers: CALLERS,
      seconds: round(seconds),
      achieved_rps: round(achieved),
      ratio: round(achieved / LIMIT),
      rate_limit_errors: rateLimitErrors,
      calls_per_past_day: await callsFor(previousTradingDay(today)),
      calls_per_today: await callsFor(today),
    };
  } finally {
    await sim.close();
    await Deno.remove(dir, { recursive: true });
  }
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}
