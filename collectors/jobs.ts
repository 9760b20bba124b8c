/**
 * The collection jobs, one entry each: what the job collects, whether the KIS environment can
 * serve a day, what is already stored, the per-stock collector and the calls a stock costs.
 * A new job (e.g. daily candles) is one more entry here, a collector module and its ready time in
 * `dates.ts`; the runner, catch-up, schedule and CLI take it from this table.
 *
 * @module
 */
import type { Archivist } from "../db/archivist.ts";
import type { CollectionJob } from "../db/schema.ts";
import type { SessionShape } from "../src/session.ts";
import type { CollectorClient } from "./client.ts";
import type { TradingCalendar } from "./dates.ts";
import { createFlowCollector, storedFlowStocks } from "./flow.ts";
import { createIntradayCollector } from "./intraday.ts";
import type { StockCollector } from "./stock_result.ts";

/** What a job needs to collect one day. */
export interface JobContext {
  readonly archivist: Archivist;
  readonly client: CollectorClient;
  readonly calendar: TradingCalendar;
  /** KST date `YYYY-MM-DD` of the run. */
  readonly tradeDate: string;
  /** Its session's expected shape. */
  readonly session: SessionShape;
  /** Today's KST date. */
  readonly today: string;
  readonly now: () => Date;
}

/** One collection job. */
export interface JobSpec {
  /** What the job collects, for messages, e.g. `minute bars`. */
  readonly what: string;
  /** Why the client's KIS environment cannot collect the job's `tradeDate`, or null. */
  unavailable(client: CollectorClient, tradeDate: string, today: string): string | null;
  /** Of `stockCodes`, those whose data of the run's day is already stored complete. */
  stored(context: JobContext, stockCodes: readonly string[]): Promise<Set<string>>;
  /** The per-stock collector of one run. */
  collector(context: JobContext): StockCollector;
  /**
   * Whether a run must hold its writes until every stock is in and the day proven final:
   * today's minute bars, where a session that ran late shows only once all are seen.
   */
  holdsWrites(context: JobContext): boolean;
  /** KIS calls one stock costs at least (dry runs). */
  plannedCalls(context: JobContext): number;
}

/** Every job, by name. */
export const JOBS: Readonly<Record<CollectionJob, JobSpec>> = {
  flow: {
    what: "investor and program flows",
    unavailable: () => null,
    stored: (context, codes) =>
      storedFlowStocks(
        context.archivist,
        context.tradeDate,
        codes,
        context.client.offers("programTradeDaily"),
      ),
    collector: (context) => createFlowCollector(context),
    holdsWrites: () => false,
    plannedCalls: (context) => context.client.offers("programTradeDaily") ? 2 : 1,
  },
  intraday: {
    what: "minute bars",
    unavailable: (client, tradeDate, today) =>
      tradeDate === today || client.offers("datedMinuteBars")
        ? null
        : "the virtual (모의투자) server offers minute bars of today only (FHKST03010230 is " +
          "real-only): past days cannot be collected with these keys",
    stored: (context, codes) => context.archivist.stocksWithMinuteBars(context.tradeDate, codes),
    collector: (context) =>
      createIntradayCollector({ ...context, isToday: context.tradeDate === context.today }),
    holdsWrites: (context) => context.tradeDate === context.today,
    plannedCalls: (context) =>
      context.client.plannedCalls("sessionMinuteBars", context.tradeDate, context.session),
  },
};
