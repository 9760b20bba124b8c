/**
 * The `daily` job for one stock: its adjusted daily candles (FHKST03010100) up to the run's trade
 * date, into `stock_daily_price`, where writing them recomputes the outcomes that read them.
 *
 * The first time a stock is collected its last {@link FIRST_HISTORY_DAYS} trading days are
 * fetched (and further back if an entry awaiting its outcome needs it); after that, from the last
 * stored day on. KIS's adjusted prices of earlier days change after a split or rights issue: when
 * a day already stored comes back with other prices, the stock's whole stored history is fetched
 * again and replaced in one transaction, so no return ever straddles an adjustment.
 *
 * A stock halted all day still has its day's candle: KIS shows no trade as a zero-volume candle
 * at the previous close (`docs/kis-api.md` §6.4). It is stored like any other (the outcomes read
 * a flat day) and the run notes the halt.
 *
 * Today's candle is KIS's running one while the session trades, and a close delayed after an
 * outage is not known in advance: a run of today also reads the newest minute bar after the
 * expected close (one call a run: the session is the market's, not a stock's), so the run holds
 * the candles back until the session is proven over, as it does today's minute bars
 * (`docs/kis-api.md` §8).
 *
 * @module
 */
import type { Archivist } from "../db/archivist.ts";
import { candleValuesOf } from "../db/candles.ts";
import { TradingDays } from "../db/outcomes.ts";
import type { DailyPrice, DailyPriceRow } from "../db/schema.ts";
import { type DailyCandle, plannedDailyPages, type SessionWindow } from "../src/kis/mod.ts";
import { getLogger } from "../src/log.ts";
import { datesBetween } from "../src/time.ts";
import type { CollectorClient } from "./client.ts";
import { recentTradingDays, type TradingCalendar } from "./dates.ts";
import type { StockCollector } from "./stock_result.ts";

const log = getLogger("collect", "daily");

/** Trading days fetched the first time a stock is collected: a 20-day baseline and far more. */
export const FIRST_HISTORY_DAYS = 120;

/** Candles from the client as rows of `stock_daily_price`. */
export function dailyPriceRowsOf(stockCode: string, candles: readonly DailyCandle[]): DailyPrice[] {
  return candles.map((candle) => ({
    stock_code: stockCode,
    trade_date: candle.tradeDate,
    ...candleValuesOf(candle),
  }));
}

/** Stored days whose prices KIS now reports otherwise: the history was adjusted. */
export function adjustedDays(
  stored: readonly DailyPriceRow[],
  fetched: readonly DailyCandle[],
): string[] {
  const byDate = new Map(fetched.map((candle) => [candle.tradeDate, candle]));
  return stored.filter((row) => {
    const candle = byDate.get(row.trade_date);
    return candle !== undefined && (candle.open !== row.open || candle.high !== row.high ||
      candle.low !== row.low || candle.close !== row.close);
  }).map((row) => row.trade_date);
}

const earlier = (a: string, b: string | null) => b !== null && b < a ? b : a;
const later = (a: string, b: string) => b > a ? b : a;

/** Whether a trading day from `from` to `to` has no stored candle of `stockCode`. */
async function hasHole(
  archivist: Archivist,
  calendar: Pick<TradingCalendar, "isTradingDay">,
  stockCode: string,
  from: string,
  to: string,
): Promise<boolean> {
  const stored = new Set(
    (await archivist.dailyPrices(stockCode, from, to)).map((row) => row.trade_date),
  );
  return datesBetween(from, to).some((day) => calendar.isTradingDay(day) && !stored.has(day));
}

/**
 * The first day a run of `tradeDate` must fetch for a stock, whether it has any history, and
 * whether that history lacks days before the usual start (`behind`: not "already stored").
 */
async function fetchStart(
  archivist: Archivist,
  calendar: Pick<TradingCalendar, "isTradingDay">,
  stockCode: string,
  tradeDate: string,
): Promise<{
  readonly from: string;
  readonly span: { first: string; last: string } | null;
  readonly behind: boolean;
}> {
  const span = await archivist.dailyPriceSpan(stockCode);
  const awaiting = await archivist.openOutcomeStart(stockCode);
  // The oldest entry awaiting its outcome reads the 20 trading days before its own.
  const needed = awaiting === null
    ? null
    : new TradingDays((d) => calendar.isTradingDay(d)).before(awaiting)[0];
  if (span === null) {
    const from = earlier(recentTradingDays(tradeDate, FIRST_HISTORY_DAYS, calendar)[0], needed);
    return { from, span, behind: true };
  }
  const start = earlier(span.last, tradeDate);
  // Before the stored history, or inside a hole in it (an older day collected on its own by
  // `--date`): the entry would wait forever on days no later run fetches.
  const reachBack = needed !== null && needed < start &&
    (needed < span.first || await hasHole(archivist, calendar, stockCode, needed, span.last));
  return reachBack ? { from: needed, span, behind: true } : { from: start, span, behind: false };
}

/**
 * Of `stockCodes`, those whose candle of `tradeDate` is stored and whose history reaches back as
 * far as their entries awaiting an outcome need: a run has nothing to fetch for them.
 */
export async function storedDailyStocks(
  archivist: Archivist,
  calendar: Pick<TradingCalendar, "isTradingDay">,
  tradeDate: string,
  stockCodes: readonly string[],
): Promise<Set<string>> {
  const stored = new Set<string>();
  for (const stockCode of stockCodes) {
    const [row] = await archivist.dailyPrices(stockCode, tradeDate, tradeDate);
    if (!row) continue;
    const { behind } = await fetchStart(archivist, calendar, stockCode, tradeDate);
    if (!behind) stored.add(stockCode);
  }
  return stored;
}

/**
 * KIS calls a run of `tradeDate` plans for `stockCode` (dry runs): its first history, or one page
 * per 100 trading days since its last stored day; one page when an earlier run of the same
 * command (`afterEarlierRun`) will have stored the days before.
 */
export async function plannedDailyCalls(
  archivist: Archivist,
  calendar: Pick<TradingCalendar, "isTradingDay">,
  stockCode: string,
  tradeDate: string,
  afterEarlierRun: boolean,
): Promise<{ readonly calls: number; readonly first: boolean }> {
  if (afterEarlierRun) return { calls: 1, first: false };
  const { from, span } = await fetchStart(archivist, calendar, stockCode, tradeDate);
  const days = datesBetween(from, tradeDate).filter((d) => calendar.isTradingDay(d)).length;
  return { calls: plannedDailyPages(days), first: span === null };
}

/** What a daily-candle collector needs for one run. */
export interface DailyCollectorOptions {
  readonly archivist: Archivist;
  readonly client: CollectorClient;
  /** Open days: how far back a first collection reaches. */
  readonly calendar: Pick<TradingCalendar, "isTradingDay">;
  /** The run's trade date: its candle must come back. */
  readonly tradeDate: string;
  /** Its expected session: today's run looks for bars after its close. */
  readonly session: SessionWindow;
  /** Today's KST date: a run of today checks that the session is over. */
  readonly today: string;
  /** The stocks asked for by name: with the watchlist's, a missing candle of theirs fails. */
  readonly codes: readonly string[];
}

/**
 * The minute (unix seconds) of today's newest bar, or undefined when there is none: the paging
 * stops at the expected close, so one page of FHKST03010200 anchored now, more only for a session
 * that ran far past its close.
 */
async function barAfterClose(
  client: CollectorClient,
  stockCode: string,
  tradeDate: string,
  session: SessionWindow,
): Promise<number | undefined> {
  const fetched = await client.sessionMinuteBars(stockCode, tradeDate, {
    open: session.close,
    close: session.close,
  });
  return fetched.candles.at(-1)?.barTime;
}

/**
 * A collector of one run's daily candles: call it per stock; it resolves with the candles to
 * write (the whole history again when KIS adjusted it), or throws when KIS fails or has no candle
 * of the run's day of a stock asked for (watchlist, `--codes`: unknown, or not listed that day).
 * A stock collected only for its entries' outcomes is done then, with a note saying why.
 */
export function createDailyCollector(options: DailyCollectorOptions): StockCollector {
  const { archivist, client, calendar, tradeDate, session, today, codes } = options;
  let asked: Promise<Set<string>> | undefined;
  // Stocks a user asked for (the watchlist, `--codes`), not only entries awaiting outcomes.
  const askedFor = (stockCode: string) =>
    (asked ??= archivist.watchlist().then((rows) =>
      new Set([...codes, ...rows.map((row) => row.stock_code)])
    )).then((set) => set.has(stockCode));
  // Asked once a run; again only when the stock asked had no bar (halted) or the call failed.
  let newestBar: Promise<number | undefined> | undefined;
  const sessionEnd = (stockCode: string) => {
    const probe = newestBar ??= barAfterClose(client, stockCode, tradeDate, session);
    const forget = () => {
      if (newestBar === probe) newestBar = undefined;
    };
    probe.then((time) => time === undefined && forget(), forget);
    return probe;
  };
  return async (stockCode) => {
    const { from, span } = await fetchStart(archivist, calendar, stockCode, tradeDate);
    const lastBarTime = tradeDate === today ? await sessionEnd(stockCode) : undefined;
    const candles = await client.dailyCandles(stockCode, from, tradeDate);
    const day = candles.find((candle) => candle.tradeDate === tradeDate);
    if (!day) {
      const missing = `KIS returned no daily candle of ${stockCode} for ${tradeDate} ` +
        `(${candles.length} days from ${from})`;
      if (await askedFor(stockCode)) {
        throw new Error(`${missing}: check that the code is listed and was listed that day`);
      }
      // A target only for its entries' outcomes (a code Scout mistyped, a delisted stock): a
      // failure would repeat on every run while they wait, and no run could mend it.
      return {
        note: `${missing}: a target only because entries of it await their outcomes, which ` +
          "stay pending while KIS has no candle; not a listed stock?",
        write: () => archivist.upsertDailyPrices(dailyPriceRowsOf(stockCode, candles)),
      };
    }
    const note = day.volume === 0
      ? `halted all day: KIS's daily candle of ${tradeDate} shows no trade (stored flat at the ` +
        "previous close)"
      : undefined;
    if (span !== null) {
      const stored = await archivist.dailyPrices(stockCode, from, tradeDate);
      const changed = adjustedDays(stored, candles);
      if (changed.length > 0) {
        const first = earlier(span.first, from);
        const last = later(span.last, tradeDate);
        const history = await client.dailyCandles(stockCode, first, last);
        return {
          note,
          lastBarTime,
          write: async () => {
            const written = await archivist.replaceDailyPrices(
              stockCode,
              dailyPriceRowsOf(stockCode, history),
            );
            log.info(
              "Adjusted prices of {stockCode} changed ({changed} stored days differ, from " +
                "{firstChanged}): replaced its history {first}…{last} ({days} days), " +
                "{outcomes} outcomes recomputed",
              {
                stockCode,
                changed: changed.length,
                firstChanged: changed[0],
                first,
                last,
                days: history.length,
                outcomes: written.outcomes.updated,
              },
            );
            return written;
          },
        };
      }
    }
    return {
      note,
      lastBarTime,
      write: () => archivist.upsertDailyPrices(dailyPriceRowsOf(stockCode, candles)),
    };
  };
}
