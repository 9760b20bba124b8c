/**
 * What the KIS benchmarks share: the bundled simulator at a rate limit, and a client paced to
 * the same limit on the simulator's clock.
 *
 * @module
 */
import { KisClient } from "../src/kis/mod.ts";
import {
  DEMO_REAL_APP_KEY,
  DEMO_REAL_APP_SECRET,
  type KisSimulator,
  startSimulator,
} from "../src/sim/server.ts";

/** The simulator's clock in the benchmarks: after the close of a regular trading day. */
export const BENCH_CLOCK = "2026-11-25T16:05:00+09:00";

/** A simulator enforcing `limit` requests per sliding second, and a client paced to `limit`. */
export async function simulatedKis(
  limit: number,
  dir: string,
): Promise<{ sim: KisSimulator; client: KisClient }> {
  const sim = await startSimulator({
    rateLimit: { real: limit },
    tokenIssueIntervalSec: 1,
    clock: BENCH_CLOCK,
    quiet: true,
  });
  const client = new KisClient({
    env: "real",
    baseUrl: sim.realUrl,
    appKey: DEMO_REAL_APP_KEY,
    appSecret: DEMO_REAL_APP_SECRET,
    rateLimit: limit,
    tokenCachePath: `${dir}/token.json`,
    now: () => sim.now(),
    tokenIssueIntervalMs: 1000,
  });
  return { sim, client };
}
