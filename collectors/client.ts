/**
 * The part of the KIS client the collectors use (a `KisClient` satisfies it; tests may pass a
 * stand-in).
 *
 * @module
 */
import type { KisClient } from "../src/kis/mod.ts";

/**
 * The KIS calls collection makes, plus the client's request counter, its rate limit (to size the
 * concurrency) and what its environment offers.
 */
export type CollectorClient = Pick<
  KisClient,
  | "investorFlows"
  | "programTradeDaily"
  | "sessionMinuteBars"
  | "marketCalendar"
  | "dailyCandles"
  | "plannedCalls"
  | "stats"
  | "rateLimit"
  | "offers"
>;
