/**
 * Benchmark of the KIS client against the bundled simulator: how close to the rate limit it
 * runs without a single EGW00201, and how few calls a session of minute bars costs.
 *
 * @module
 */
import { previousTradingDay } from "../src/calendar.ts";
import { round } from "./round.ts";
import { simulatedKis } from "./simulated_kis.ts";
import { kstDate } from "../src/time.ts";

const LIMIT = 20;
const REQUESTS = 600;
const CALLERS = 8;
const CODES = ["005930", "000660", "035420", "051910", "005380", "035720", "068270", "105560"];

/** Runs the benchmark and returns its result line. */
export async function benchKis(): Promise<Record<string, unknown>> {
  const dir = await Deno.makeTempDir({ prefix: "archivist-bench-kis-" });
  const { sim, client } = await simulatedKis(LIMIT, dir);
  try {
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
