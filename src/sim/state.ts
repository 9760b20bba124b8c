/**
 * The mutable state one simulator shares between its real and virtual hosts: clock, apps,
 * tokens, rate limits, injected faults, quirks and counters.
 *
 * @module
 */
import { getLogger } from "../log.ts";
import { SimClock } from "./clock.ts";
import { SlidingWindowLimiter } from "./rate_limit.ts";
import { TokenRegistry } from "./tokens.ts";

/** The two KIS environments, one host (port) each. */
export type SimEnv = "real" | "virtual";

/** An app registered with the simulator. */
export interface SimApp {
  appKey: string;
  appSecret: string;
  env: SimEnv;
}

/** Injected failures of quotation requests (`/uapi/…`); OAuth and `/__sim/` are never faulted. */
export interface SimFaults {
  /** Share 0..1 of quotation requests answered HTTP 500 with a non-EGW JSON body or plain text. */
  serverErrorRate: number;
  /**
   * Milliseconds every KIS request takes before the gateway sees it (OAuth included): the
   * network's round trip, all of it spent before the rate counter stamps the request.
   */
  latencyMs: number;
  /** Up to this many milliseconds more, uniformly at random per request (network jitter). */
  latencyJitterMs?: number;
  /** Share 0..1 of successful quotation answers whose body is broken. */
  malformedRate: number;
  /**
   * When set, a malformed answer (chosen by `malformedRate`) keeps valid JSON but has this field
   * set to `"abc"` wherever it occurs, instead of being cut off mid-JSON.
   */
  malformedField?: string;
  /** Stock codes whose quotation requests always fail with HTTP 500 `EGW00002`. */
  failCodes?: string[];
  /** Answer the next N quotation requests with EGW00201 regardless of the rate. */
  rateLimitBurst?: number;
  /**
   * KST `HHMMSS`: the minute-bar TRs leave out rows before it (a hole in KIS's minute history),
   * while the rows they send keep the day's true cumulative values.
   */
  minuteRowsFrom?: string;
}

/** Counters since start or the last reset. */
export interface SimStats {
  /** Every KIS request (OAuth and quotations), not counting `/__sim/`. */
  requests: number;
  /** Quotation requests by the `tr_id` header sent (`""` when absent). */
  byTrId: Record<string, number>;
  /** Distinct tokens minted. */
  tokensIssued: number;
  /** tokenP calls, answered or refused. */
  tokenRequests: number;
  /** Quotation requests refused with EGW00201. */
  rateLimited: number;
  /**
   * The most quotation requests one app key sent in any sliding second (accepted or refused),
   * counted to the millisecond across every client and process.
   */
  peakPerSecond: number;
  /** Quotation requests failed by the `serverErrorRate` or `failCodes` faults. */
  serverErrors: number;
}

/** Behaviours the reference marks unverified; each is switchable. */
export interface SimQuirks {
  /** Minutes after the session's close from which today's investor row is final (default 10). */
  investorFinalMinutes: number;
  /** First-row volume lag of the today-minute TR (§6.1); default off. */
  minuteVolumeLag: boolean;
  /** chk-holiday repeats one date per page (open-trading-api #37); default off. */
  holidayDuplicates: boolean;
  /** Calendar days per chk-holiday page (default 24). */
  holidayPageSize: number;
  /** Daily candles (FHKST03010100) pad a short answer to 100 rows with blank rows; default on. */
  dailyChartPadding: boolean;
  /**
   * Daily program trading (FHPPG04650201) leaves out the past days a stock was halted all day,
   * instead of listing them with no trade; default off.
   */
  programSkipsHaltedDays: boolean;
}

/** The default quirks. */
export const DEFAULT_QUIRKS: SimQuirks = {
  investorFinalMinutes: 10,
  minuteVolumeLag: false,
  holidayDuplicates: false,
  holidayPageSize: 24,
  dailyChartPadding: true,
  programSkipsHaltedDays: false,
};

/** Fault-free settings. */
export const NO_FAULTS: SimFaults = { serverErrorRate: 0, latencyMs: 0, malformedRate: 0 };

function emptyStats(): SimStats {
  return {
    requests: 0,
    byTrId: {},
    tokensIssued: 0,
    tokenRequests: 0,
    rateLimited: 0,
    peakPerSecond: 0,
    serverErrors: 0,
  };
}

/** Everything both hosts of one simulator read and change. */
export class SimState {
  readonly clock: SimClock;
  readonly apps: Map<string, SimApp>;
  readonly tokens: TokenRegistry;
  readonly limiter = new SlidingWindowLimiter();
  readonly quirks: SimQuirks;
  readonly logger = getLogger("sim");
  readonly quiet: boolean;
  rateLimits: Record<SimEnv, number>;
  faults: SimFaults;
  stats: SimStats = emptyStats();

  constructor(init: {
    clock?: Date | string;
    apps: SimApp[];
    rateLimits: Record<SimEnv, number>;
    tokenIssueIntervalSec: number;
    tokenLifetimeSec: number;
    faults?: Partial<SimFaults>;
    quirks?: Partial<SimQuirks>;
    quiet?: boolean;
  }) {
    this.clock = new SimClock(init.clock);
    this.apps = new Map(init.apps.map((app) => [app.appKey, { ...app }]));
    this.tokens = new TokenRegistry(init.tokenIssueIntervalSec, init.tokenLifetimeSec);
    this.rateLimits = { ...init.rateLimits };
    this.faults = { ...NO_FAULTS, ...init.faults };
    this.quirks = { ...DEFAULT_QUIRKS, ...init.quirks };
    this.quiet = init.quiet ?? false;
  }

  /** Merges `faults` into the current ones (fields not given stay as they are). */
  setFaults(faults: Partial<SimFaults>): void {
    this.faults = { ...this.faults, ...faults };
  }

  /** Zeroes every counter. */
  resetStats(): void {
    this.stats = emptyStats();
    this.limiter.resetPeak();
  }

  /** A copy of the counters. */
  snapshotStats(): SimStats {
    return {
      ...this.stats,
      byTrId: { ...this.stats.byTrId },
      peakPerSecond: this.limiter.peak,
    };
  }
}
