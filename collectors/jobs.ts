/**
 * The collection jobs, one entry each: what the job collects, which stocks it collects, whether
 * the KIS environment can serve a day, what is already stored, the per-stock collector and the
 * calls a run costs. A new job is one more entry here, a collector module and its ready time in
 * `dates.ts`; the runner, catch-up, schedule, configuration and CLI take it from this table.
 *
 * @module
 */
import type { Archivist } from "../db/archivist.ts";
import type { CollectionJob } from "../db/schema.ts";
import type { SessionShape } from "../src/session.ts";
import { datesBetween } from "../src/time.ts";
import type { CollectorClient } from "./client.ts";
import { inShard, type Shard } from "./shard.ts";
import {
  createDailyCollector,
  FIRST_HISTORY_DAYS,
  plannedDailyCalls,
  storedDailyStocks,
} from "./daily.ts";
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
  /** The stocks the run was asked for by name (`--codes`), beside the job's own targets. */
  readonly codes: readonly string[];
}

/** The KIS calls a dry run plans for one run. */
export interface CallPlan {
  /** Calls for all the stocks to fetch. */
  readonly calls: number;
  /** Calls per stock, when every stock costs the same. */
  readonly perStock?: number;
  /** Why the count is what it is, e.g. `covered by the backfill's first day`. */
  readonly detail?: string;
}

/** One collection job. */
export interface JobSpec {
  /** What the job collects, for messages, e.g. `minute bars`. */
  readonly what: string;
  /** The stocks a run of `tradeDate` collects: the job's targets plus `codes`, sorted. */
  targets(archivist: Archivist, tradeDate: string, codes: readonly string[]): Promise<string[]>;
  /** What is true when {@link targets} finds none (without codes), e.g. `the watchlist is empty`. */
  readonly noTargets: readonly string[];
  /** Why the client's KIS environment cannot collect the job's `tradeDate`, or null. */
  unavailable(client: CollectorClient, tradeDate: string, today: string): string | null;
  /** Of `stockCodes`, those whose data of the run's day is already stored complete. */
  stored(context: JobContext, stockCodes: readonly string[]): Promise<Set<string>>;
  /** The per-stock collector of one run. */
  collector(context: JobContext): StockCollector;
  /**
   * Whether a run must hold its writes until every stock is in and the day proven final:
   * today's minute bars and candles, where a session that ran late shows only in the bars.
   */
  holdsWrites(context: JobContext): boolean;
  /**
   * The KIS calls collecting `stockCodes` (none of them stored) takes at least (dry runs), when
   * `earlierDays` of the same job run before it in the same command.
   */
  plannedCalls(
    context: JobContext,
    stockCodes: readonly string[],
    earlierDays: readonly string[],
  ): Promise<CallPlan>;
}

/** Trading days one flow answer covers: a backfill's first day brings the 29 others too. */
const FLOW_DAYS_PER_CALL = 30;

const WATCHLIST_EMPTY = "the watchlist is empty";

/** The flow and minute-bar targets: the watchlist, the last 7 days' rejections and `codes`. */
const recentTargets = (archivist: Archivist, tradeDate: string, codes: readonly string[]) =>
  archivist.collectionTargets(tradeDate, codes);

/** Every job, by name. */
export const JOBS: Readonly<Record<CollectionJob, JobSpec>> = {
  flow: {
    what: "investor and program flows",
    targets: recentTargets,
    noTargets: [WATCHLIST_EMPTY, "no stock was rejected in the last 7 days"],
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
    plannedCalls: (context, codes, earlierDays) => {
      const { calendar, client, tradeDate } = context;
      const covered = earlierDays.length > 0 &&
        datesBetween(earlierDays[0], tradeDate).filter((d) => calendar.isTradingDay(d)).length <=
          FLOW_DAYS_PER_CALL;
      const perStock = covered ? 0 : client.offers("programTradeDaily") ? 2 : 1;
      return Promise.resolve({
        calls: perStock * codes.length,
        perStock,
        detail: covered ? "covered by the backfill's first day" : undefined,
      });
    },
  },
  intraday: {
    what: "minute bars",
    targets: recentTargets,
    noTargets: [WATCHLIST_EMPTY, "no stock was rejected in the last 7 days"],
    unavailable: (client, tradeDate, today) =>
      tradeDate === today || client.offers("datedMinuteBars")
        ? null
        : "the virtual (모의투자) server offers minute bars of today only (FHKST03010230 is " +
          "real-only): past days cannot be collected with these keys",
    stored: (context, codes) => context.archivist.stocksWithMinuteBars(context.tradeDate, codes),
    collector: (context) =>
      createIntradayCollector({ ...context, isToday: context.tradeDate === context.today }),
    holdsWrites: (context) => context.tradeDate === context.today,
    plannedCalls: (context, codes) => {
      const perStock = context.client.plannedCalls(
        "sessionMinuteBars",
        context.tradeDate,
        context.session,
      );
      return Promise.resolve({ calls: perStock * codes.length, perStock });
    },
  },
  daily: {
    what: "daily candles",
    targets: (archivist, _tradeDate, codes) => archivist.dailyCollectionTargets(codes),
    noTargets: [WATCHLIST_EMPTY, "no decision or rejection awaits its outcome"],
    // FHKST03010100 is offered on virtual keys too, for any past day.
    unavailable: () => null,
    stored: (context, codes) =>
      storedDailyStocks(context.archivist, context.calendar, context.tradeDate, codes),
    collector: (context) => createDailyCollector(context),
    // Today's candle runs until the session is over, which a late close shows only in the bars.
    holdsWrites: (context) => context.tradeDate === context.today,
    plannedCalls: async (context, codes, earlierDays) => {
      let calls = 0, first = 0;
      for (const code of codes) {
        const plan = await plannedDailyCalls(
          context.archivist,
          context.calendar,
          code,
          context.tradeDate,
          earlierDays.length > 0,
        );
        calls += plan.calls;
        if (plan.first) first++;
      }
      // Today's run asks once for the newest minute bar: has the session closed?
      if (context.tradeDate === context.today && codes.length > 0) calls++;
      return { calls, detail: `${first} first collections of ${FIRST_HISTORY_DAYS} days` };
    },
  },
};

/** The stocks of one run: this collector's part of the day's targets. */
export interface RunTargets {
  /** The stocks this run collects, sorted. */
  readonly targets: string[];
  /** How many stocks the day's run collects over every shard (`targets.length` unsharded). */
  readonly total: number;
}

/**
 * The stocks a run of `job` on `tradeDate` collects: the job's targets plus `codes`, and of those
 * the ones of `shard` when several collectors split them (`collect --shard`, `ARCHIVIST_SHARD`).
 * The one place a shard narrows the targets, for every job of the table.
 */
export async function jobTargets(
  archivist: Archivist,
  job: CollectionJob,
  tradeDate: string,
  codes: readonly string[],
  shard?: Shard,
): Promise<RunTargets> {
  const all = await JOBS[job].targets(archivist, tradeDate, codes);
  return { targets: all.filter((code) => inShard(code, shard)), total: all.length };
}

/**
 * Why runs of `jobs` have nothing to collect, and how to give them something, e.g. "nothing to
 * collect: the watchlist is empty and no stock was rejected in the last 7 days. Add stocks …".
 */
export function noTargetsReason(jobs: readonly CollectionJob[]): string {
  const conditions = [...new Set(jobs.flatMap((job) => JOBS[job].noTargets))];
  const joined = conditions.length > 1
    ? `${conditions.slice(0, -1).join(", ")} and ${conditions[conditions.length - 1]}`
    : conditions.join("");
  return `nothing to collect: ${joined}. Add stocks with ` +
    "`deno task watchlist add 005930 삼성전자` (or `deno task watchlist import stocks.csv`), or " +
    "give codes: `deno task collect all --codes 005930`";
}
