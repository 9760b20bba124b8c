/**
 * The bundled KIS simulator: two loopback HTTP hosts (real and virtual) faithful to
 * `docs/kis-api.md`, sharing one simulated clock, app registry, token registry and rate limiter.
 *
 * ```ts
 * await using sim = await startSimulator({ clock: "2025-01-10T16:00:00+09:00" });
 * // point the client at sim.realUrl with DEMO_REAL_APP_KEY / DEMO_REAL_APP_SECRET
 * ```
 *
 * @module
 */
import { createKisApp } from "./kis_app.ts";
import {
  type SimApp,
  type SimEnv,
  type SimFaults,
  type SimQuirks,
  SimState,
  type SimStats,
} from "./state.ts";

export type { SimApp, SimEnv, SimFaults, SimQuirks, SimStats };

/** App key of the built-in real-environment demo app (36 characters, like KIS keys). */
export const DEMO_REAL_APP_KEY = "PSSIMREAL0DC45D3A61E00DB56ABF4586D06";
/** App secret of the built-in real-environment demo app (180 characters). */
export const DEMO_REAL_APP_SECRET =
  "Ub4DFvjItMBNGRm58IT8m5ZsrkOdfP5Ma3otkz01hpKOaShedTaS56VbLHf7Z8LVeB24Q9ShtD6B1oEYDskBdKff+o0QYi25sivNkOIzIj84Pj7LrjVeMiJbs2cQilFkqdOtcwQPqvPXPUw9sbiBCwd+ryw7hARyOp91zMjka3tPnCADfuCy";
/** App key of the built-in virtual-environment (모의투자) demo app. */
export const DEMO_VIRTUAL_APP_KEY = "PSSIMVIRTUAL9C3DE2F91914C3B9AB26AE05";
/** App secret of the built-in virtual-environment demo app. */
export const DEMO_VIRTUAL_APP_SECRET =
  "KrZB5dycga4RGNeSV3Mioe7zILEaAzBQ2lhSpdsMFIfypth0Z9vOqyJml+werErWbbxU3Go8LEAiEWvu7vUE1EEXIoTAdu3GDSOXm6ncSoWV9zcnjtTGzo2zBeqti5Gj4h2HKvPP9jMEF5tyBRZG1qbBkMMOH1+6osO+S+3vCekRpks4y+ro";

/** The published per-app-key limits (2026-04-20 notice): 18 real, 1 virtual per second. */
export const DEFAULT_RATE_LIMITS: Readonly<Record<SimEnv, number>> = { real: 18, virtual: 1 };

/** How to start a simulator; every field is optional. */
export interface SimulatorOptions {
  /** Bind address of both hosts (default `127.0.0.1`). */
  hostname?: string;
  /** Real host port (default 0: ephemeral). */
  port?: number;
  /** Virtual host port (default 0: ephemeral). */
  virtualPort?: number;
  /** Accepted quotation requests per app key per sliding second (default 18 / 1). */
  rateLimit?: { real?: number; virtual?: number };
  /** Minimum seconds between tokenP calls of one app key (default 60). */
  tokenIssueIntervalSec?: number;
  /** Token validity in seconds (default 86400). */
  tokenLifetimeSec?: number;
  /** Initial simulated instant; it then runs forward with real time (default: the real now). */
  clock?: Date | string;
  /** Registered apps (default: the two demo apps). */
  apps?: { appKey: string; appSecret: string; env: "real" | "virtual" }[];
  /** Faults injected from the start. */
  faults?: Partial<SimFaults>;
  /** Unverified behaviours to switch on or tune (see {@link SimQuirks}). */
  quirks?: Partial<SimQuirks>;
  /** No logging at all. */
  quiet?: boolean;
}

/** A running simulator. */
export interface KisSimulator extends AsyncDisposable {
  /** Base URL of the real (실전) host, e.g. `http://127.0.0.1:41234`. */
  readonly realUrl: string;
  /** Base URL of the virtual (모의투자) host. */
  readonly virtualUrl: string;
  /** The simulated instant. */
  now(): Date;
  /** Jumps the simulated clock; time continues from there with real time. */
  setClock(instant: Date | string): void;
  /** Merges `faults` into the active faults. */
  setFaults(faults: Partial<SimFaults>): void;
  /** Changes the per-app-key limits. */
  setRateLimit(limits: { real?: number; virtual?: number }): void;
  /** Every issued token now answers EGW00123. */
  expireTokens(): void;
  /** A copy of the counters. */
  stats(): SimStats;
  /** Zeroes the counters. */
  resetStats(): void;
  /** Stops both hosts (idempotent). */
  close(): Promise<void>;
}

/** The demo apps registered when no `apps` are given. */
export const DEMO_APPS: readonly SimApp[] = [
  { appKey: DEMO_REAL_APP_KEY, appSecret: DEMO_REAL_APP_SECRET, env: "real" },
  { appKey: DEMO_VIRTUAL_APP_KEY, appSecret: DEMO_VIRTUAL_APP_SECRET, env: "virtual" },
];

function urlOf(hostname: string, port: number): string {
  const host = hostname.includes(":") && !hostname.startsWith("[") ? `[${hostname}]` : hostname;
  return `http://${host}:${port}`;
}

function serve(
  state: SimState,
  env: SimEnv,
  hostname: string,
  port: number,
): Deno.HttpServer<Deno.NetAddr> {
  const app = createKisApp(state, env);
  return Deno.serve({ hostname, port, onListen: () => {} }, app.fetch);
}

/** `limits` without its unset entries, so an absent flag keeps the default. */
function definedOnly(
  limits: { real?: number; virtual?: number } | undefined,
): Partial<Record<SimEnv, number>> {
  return Object.fromEntries(Object.entries(limits ?? {}).filter(([, v]) => v !== undefined));
}

/** Starts both hosts and resolves once they listen. */
export async function startSimulator(options: SimulatorOptions = {}): Promise<KisSimulator> {
  const hostname = options.hostname ?? "127.0.0.1";
  const state = new SimState({
    clock: options.clock,
    apps: options.apps ?? [...DEMO_APPS],
    rateLimits: { ...DEFAULT_RATE_LIMITS, ...definedOnly(options.rateLimit) },
    tokenIssueIntervalSec: options.tokenIssueIntervalSec ?? 60,
    tokenLifetimeSec: options.tokenLifetimeSec ?? 86_400,
    faults: options.faults,
    quirks: options.quirks,
    quiet: options.quiet,
  });
  const real = serve(state, "real", hostname, options.port ?? 0);
  let virtual: Deno.HttpServer<Deno.NetAddr>;
  try {
    virtual = serve(state, "virtual", hostname, options.virtualPort ?? 0);
  } catch (error) {
    await real.shutdown();
    throw error;
  }
  let closing: Promise<void> | undefined;
  const close = () => closing ??= Promise.all([real.shutdown(), virtual.shutdown()]).then(() => {});
  const simulator: KisSimulator = {
    realUrl: urlOf(hostname, real.addr.port),
    virtualUrl: urlOf(hostname, virtual.addr.port),
    now: () => state.clock.now(),
    setClock: (instant) => state.clock.set(instant),
    setFaults: (faults) => state.setFaults(faults),
    setRateLimit: (limits) => {
      state.rateLimits = { ...state.rateLimits, ...definedOnly(limits) };
    },
    expireTokens: () => {
      state.tokens.expireAll();
    },
    stats: () => state.snapshotStats(),
    resetStats: () => state.resetStats(),
    close,
    [Symbol.asyncDispose]: close,
  };
  if (!state.quiet) {
    state.logger.info("KIS simulator listening: real {realUrl}, virtual {virtualUrl}", {
      realUrl: simulator.realUrl,
      virtualUrl: simulator.virtualUrl,
    });
  }
  return simulator;
}
