/**
 * Fixture of the collector tests: a simulator on loopback, a real archive file and a KIS client
 * pointed at the simulator, all closed on dispose.
 *
 * @module
 */
import { Archivist } from "../db/archivist.ts";
import type { CollectorDeps } from "../collectors/run.ts";
import { candleValuesOf } from "../db/candles.ts";
import type { StockMinutePrice } from "../db/schema.ts";
import { KisClient } from "../src/kis/mod.ts";
import { sessionBars } from "../src/sim/market.ts";
import { barTimeOf } from "../src/time.ts";
import { freshLocation } from "./helpers.ts";
import {
  DEMO_REAL_APP_KEY,
  DEMO_REAL_APP_SECRET,
  DEMO_VIRTUAL_APP_KEY,
  DEMO_VIRTUAL_APP_SECRET,
  type KisSimulator,
  type SimFaults,
  type SimQuirks,
  startSimulator,
} from "../src/sim/server.ts";

/** The simulator's bars of a day of `code` as `stock_minute_price` rows: what collection must store. */
export function truthRows(code: string, day: string): StockMinutePrice[] {
  return sessionBars(code, day).map((bar) => ({
    stock_code: code,
    bar_time: barTimeOf(day, bar.time),
    ...candleValuesOf(bar),
  }));
}

/** Wednesday 2026-11-25, 16:05 KST: after the close, flows final. */
export const SIM_CLOCK = "2026-11-25T16:05:00+09:00";

/** Five listed stocks of the simulator. */
export const FIVE_STOCKS = ["000660", "005380", "005930", "035420", "051910"] as const;

/** What {@link collectFixture} sets up. */
export interface CollectFixture extends AsyncDisposable {
  readonly sim: KisSimulator;
  readonly archivist: Archivist;
  readonly client: KisClient;
  readonly dir: string;
  /** The archive's `ARCHIVIST_DB`: a file in `dir`, or a database of the PostgreSQL pass. */
  readonly location: string;
  /** Deps for the collectors: the simulator's clock, no waiting for the lease. */
  readonly deps: CollectorDeps;
  /** A further client on the same key (another "process"). */
  newClient(): KisClient;
}

/** Options of {@link collectFixture}. */
export interface FixtureOptions {
  readonly clock?: string;
  readonly env?: "real" | "virtual";
  readonly faults?: Partial<SimFaults>;
  readonly quirks?: Partial<SimQuirks>;
}

/** Starts a simulator, opens an archive in a temp dir and builds a client. */
export async function collectFixture(options: FixtureOptions = {}): Promise<CollectFixture> {
  const sim = await startSimulator({
    rateLimit: { real: 1000, virtual: 1000 },
    tokenIssueIntervalSec: 1,
    clock: options.clock ?? SIM_CLOCK,
    faults: options.faults,
    quirks: options.quirks,
    quiet: true,
  });
  const dir = await Deno.makeTempDir({ prefix: "archivist-collect-test-" });
  const fresh = await freshLocation(dir);
  const archivist = await Archivist.open(fresh.location, { now: () => sim.now() });
  const env = options.env ?? "real";
  const newClient = () =>
    new KisClient({
      env,
      baseUrl: env === "real" ? sim.realUrl : sim.virtualUrl,
      appKey: env === "real" ? DEMO_REAL_APP_KEY : DEMO_VIRTUAL_APP_KEY,
      appSecret: env === "real" ? DEMO_REAL_APP_SECRET : DEMO_VIRTUAL_APP_SECRET,
      rateLimit: 1000,
      tokenCachePath: `${dir}/token-${env}.json`,
      now: () => sim.now(),
      tokenIssueIntervalMs: 1000,
      retry: { attempts: 2, baseDelayMs: 5, maxDelayMs: 20 },
    });
  const client = newClient();
  return {
    sim,
    archivist,
    client,
    dir,
    location: fresh.location,
    newClient,
    deps: { archivist, client, now: () => sim.now(), lease: { waitMs: 0 } },
    async [Symbol.asyncDispose]() {
      await archivist.close();
      await fresh[Symbol.asyncDispose]();
      await sim.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}
