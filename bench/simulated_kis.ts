/**
 * What the KIS benchmarks share: the bundled simulator at a rate limit — in this process, or in
 * a process of its own like a real gateway (`deno task sim`, driven over `/__sim`) — and a client
 * paced to the same limit on the simulator's clock.
 *
 * @module
 */
import { readUntil } from "../src/child_output.ts";
import { KisClient } from "../src/kis/mod.ts";
import {
  DEMO_REAL_APP_KEY,
  DEMO_REAL_APP_SECRET,
  type KisSimulator,
  type SimFaults,
  type SimStats,
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
  return { sim, client: benchClient(sim, limit, dir) };
}

function benchClient(sim: Pick<KisSimulator, "realUrl" | "now">, limit: number, dir: string) {
  return new KisClient({
    env: "real",
    baseUrl: sim.realUrl,
    appKey: DEMO_REAL_APP_KEY,
    appSecret: DEMO_REAL_APP_SECRET,
    rateLimit: limit,
    tokenCachePath: `${dir}/token.json`,
    now: () => sim.now(),
    tokenIssueIntervalMs: 1000,
  });
}

/** A simulator in a process of its own, as far as the benchmarks use one. */
export interface RemoteSimulator extends AsyncDisposable {
  readonly realUrl: string;
  now(): Date;
  stats(): Promise<SimStats>;
  resetStats(): Promise<void>;
  setFaults(faults: Partial<SimFaults>): Promise<void>;
  /** Computes the market of `codes` from `from` to `to` ahead (`POST /__sim/warm`). */
  warm(codes: readonly string[], from: string, to: string): Promise<void>;
  close(): Promise<void>;
}

const SIM_MAIN = new URL("../src/sim/main.ts", import.meta.url).pathname;
const CONFIG = new URL("../deno.json", import.meta.url).pathname;

/**
 * `deno task sim` in a child process at `limit` requests per second, on ephemeral ports and the
 * benchmark clock, and a client paced to the same limit: the simulator's work then never holds
 * up the client's event loop, as a real gateway's never does.
 */
export async function remoteSimulatedKis(
  limit: number,
  dir: string,
): Promise<{ sim: RemoteSimulator; client: KisClient }> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--config",
      CONFIG,
      SIM_MAIN,
      "--port",
      "0",
      "--virtual-port",
      "0",
      "--rate-limit",
      String(limit),
      "--clock",
      BENCH_CLOCK,
    ],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const { match, printed } = await readUntil(child, /real host:\s+(\S+)\n/);
  if (!match) throw new Error(`the simulator did not start: ${printed}`);
  const realUrl = match[1];
  const control = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${realUrl}/__sim/${path}`, {
      method,
      headers: { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!response.ok) throw new Error(`simulator ${method} ${path}: ${await response.text()}`);
    return await response.json();
  };
  // The child's clock runs from BENCH_CLOCK; follow it with the offset it reports.
  const { now } = await control("GET", "clock");
  const offset = Date.parse(now) - Date.now();
  let closed: Promise<void> | undefined;
  const sim: RemoteSimulator = {
    realUrl,
    now: () => new Date(Date.now() + offset),
    stats: () => control("GET", "stats"),
    resetStats: async () => void await control("DELETE", "stats"),
    setFaults: async (faults) => void await control("PUT", "faults", faults),
    warm: async (codes, from, to) => void await control("POST", "warm", { codes, from, to }),
    close: () =>
      closed ??= (async () => {
        child.kill("SIGTERM");
        await child.status;
      })(),
    [Symbol.asyncDispose]: () => sim.close(),
  };
  return { sim, client: benchClient(sim, limit, dir) };
}
