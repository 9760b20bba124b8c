/**
 * The KIS Open API client: the quotations Archivist collects (investor flows, program trading,
 * minute bars, market calendar), with token reuse, pacing, retries and validated, typed rows.
 * Library code: settings come in explicitly and nothing is read from the environment.
 *
 * @module
 */
import type { KisSettings } from "../config.ts";
import { getLogger } from "../log.ts";
import { REGULAR_SESSION, sessionMinutes, type SessionShape } from "../session.ts";
import { isStockCode } from "../stock_code.ts";
import { isTradeDate, kstDate, kstTime, toCompactDate } from "../time.ts";
import {
  ADJUSTED_PRICES,
  type DailyCandle,
  dailyCandlesResponseSchema,
  fetchDailyCandles,
} from "./daily_candles.ts";
import { ENDPOINTS, type KisEndpoint } from "./endpoints.ts";
import { KisArgumentError, KisUnsupportedError } from "./errors.ts";
import { DEFAULT_RETRY, type RetryPolicy } from "./http.ts";
import { type MarketDay, walkMarketCalendar } from "./market_calendar.ts";
import {
  type FetchedSession,
  fetchSessionRows,
  LATEST_ANCHOR,
  PAGE_ROWS,
  plannedPages,
  sessionMinutesUntil,
  toCandles,
} from "./minute_bars.ts";
import { FilePaceLog, paceFilePath, Pacer } from "./pacer.ts";
import {
  holidayResponseSchema,
  type InvestorFlowDay,
  investorFlowsResponseSchema,
  minuteBarsResponseSchema,
  programTradeDailyResponseSchema,
  type ProgramTradeDay,
  programTradeIntradayResponseSchema,
  type ProgramTradeSnapshot,
} from "./schemas.ts";
import { tokenCacheKey, TokenProvider } from "./token.ts";
import { type KisStats, KisTransport } from "./transport.ts";

const log = getLogger("kis", "client");

/** How to reach KIS and how hard to push it. */
export interface KisClientOptions {
  /** `real` (실전) or `virtual` (모의투자). */
  env: "real" | "virtual";
  /** REST base URL (the simulator's in tests). */
  baseUrl: string;
  /** App key; never logged or put in an error. */
  appKey: string;
  /** App secret; never logged or put in an error. */
  appSecret: string;
  /**
   * Max requests in any sliding second for this app key, shared by every client and process
   * using it (their send times are kept beside the token cache, under a lock).
   */
  rateLimit: number;
  /** JSON file keeping the access token between runs (mode 0600); pacing state lies beside it. */
  tokenCachePath: string;
  /** Clock for "today" and token expiry; default real time. */
  now?: () => Date;
  /** Least time between two token issuances of one app key (ms); default 60 000. */
  tokenIssueIntervalMs?: number;
  /** Retry policy; defaults 6 attempts, 200 ms doubling, capped at 5 000 ms. */
  retry?: { attempts?: number; baseDelayMs?: number; maxDelayMs?: number };
  /** Per-request timeout (ms); default 10 000. */
  timeoutMs?: number;
}

/** What {@link KisClient.plannedCalls} can estimate. */
export type PlannedCallKind = "sessionMinuteBars";

/** The part of a session's shape the minute-bar paging needs: its open and close (KST `HH:MM`). */
export type SessionWindow = Pick<SessionShape, "open" | "close">;

/** What the client calls each endpoint by. */
export type KisEndpointName = keyof typeof ENDPOINTS;

const MARKET = "J";

/** One client per app key and purpose; clients with the same key share pacing and the token. */
export class KisClient {
  readonly #env: "real" | "virtual";
  readonly #now: () => Date;
  readonly #transport: KisTransport;
  /** Requests per sliding second this client keeps to (all users of the key together). */
  readonly rateLimit: number;

  constructor(options: KisClientOptions) {
    const retry: RetryPolicy = { ...DEFAULT_RETRY, ...options.retry };
    if (!Number.isInteger(retry.attempts) || retry.attempts < 1) {
      throw new RangeError("KisClientOptions.retry.attempts must be a whole number ≥ 1");
    }
    const baseUrl = options.baseUrl.replace(/\/+$/, "");
    const timeoutMs = options.timeoutMs ?? 10_000;
    this.#env = options.env;
    this.#now = options.now ?? (() => new Date());
    this.rateLimit = options.rateLimit;
    const tokens = new TokenProvider({
      env: options.env,
      baseUrl,
      appKey: options.appKey,
      appSecret: options.appSecret,
      cachePath: options.tokenCachePath,
      now: this.#now,
      issueIntervalMs: options.tokenIssueIntervalMs ?? 60_000,
      retry,
      timeoutMs,
    });
    const paceLog = new FilePaceLog(
      paceFilePath(options.tokenCachePath),
      tokenCacheKey(options.env, options.appKey).then((key) => `${baseUrl}|${key}`),
    );
    this.#transport = new KisTransport({
      baseUrl,
      appKey: options.appKey,
      appSecret: options.appSecret,
      pacer: new Pacer(options.rateLimit, { log: paceLog }),
      tokens,
      retry,
      timeoutMs,
    });
  }

  /** A client from the validated configuration, with optional overrides (clock, retry…). */
  static fromSettings(settings: KisSettings, extra: Partial<KisClientOptions> = {}): KisClient {
    return new KisClient({ ...settings, ...extra });
  }

  /** Whether this client's environment offers `endpoint` (the virtual server lacks some). */
  offers(endpoint: KisEndpointName): boolean {
    return this.#env === "real" || ENDPOINTS[endpoint].virtual;
  }

  /** Requests sent by this client so far (retries included), retries, and requests per tr_id. */
  get stats(): KisStats {
    return this.#transport.stats;
  }

  /** FHKST01010900: the last 30 business days of flows by investor class, newest first. */
  async investorFlows(stockCode: string): Promise<InvestorFlowDay[]> {
    const endpoint = this.#endpoint("investorFlows");
    const { body } = await this.#transport.get({
      endpoint,
      query: { FID_COND_MRKT_DIV_CODE: MARKET, FID_INPUT_ISCD: checkCode(endpoint, stockCode) },
      schema: investorFlowsResponseSchema,
    });
    return body.output;
  }

  /**
   * FHPPG04650201 (real only): about 30 business days of program trading ending at `endDate`
   * (`YYYY-MM-DD`; default today), newest first.
   */
  async programTradeDaily(stockCode: string, endDate?: string): Promise<ProgramTradeDay[]> {
    const endpoint = this.#endpoint("programTradeDaily");
    const { body } = await this.#transport.get({
      endpoint,
      query: {
        FID_COND_MRKT_DIV_CODE: MARKET,
        FID_INPUT_ISCD: checkCode(endpoint, stockCode),
        FID_INPUT_DATE_1: endDate === undefined ? "" : toCompactDate(checkDate(endpoint, endDate)),
      },
      schema: programTradeDailyResponseSchema,
    });
    return body.output;
  }

  /** FHPPG04650101 (real only): today's latest ≤ 30 program-trading snapshots, newest first. */
  async programTradeIntraday(stockCode: string): Promise<ProgramTradeSnapshot[]> {
    const endpoint = this.#endpoint("programTradeIntraday");
    const { body } = await this.#transport.get({
      endpoint,
      query: { FID_COND_MRKT_DIV_CODE: MARKET, FID_INPUT_ISCD: checkCode(endpoint, stockCode) },
      schema: programTradeIntradayResponseSchema,
    });
    return body.output;
  }

  /**
   * The whole regular session of `tradeDate` (`YYYY-MM-DD`, KST) as minute candles, ascending:
   * today through FHKST03010200 (30 rows a call), a past day through FHKST03010230 (120 rows a
   * call, real only). Minutes without trades have no candle. Every row KIS has of the day is
   * returned, also after `session.close` (a session that ran late); `session.open` only stops the
   * paging early. The result says whether the first candle is the day's first trade.
   */
  async sessionMinuteBars(
    stockCode: string,
    tradeDate: string,
    session: SessionWindow = REGULAR_SESSION,
  ): Promise<FetchedSession> {
    const now = this.#now();
    const today = kstDate(now);
    const endpoint = this.#minuteBarEndpoint(tradeDate, today);
    const code = checkCode(endpoint, stockCode);
    const compactDate = toCompactDate(tradeDate);
    const isToday = tradeDate === today;
    const clock = kstTime(now).replaceAll(":", "");
    let dayVolume: number | undefined;
    const rows = await fetchSessionRows(async (anchor) => {
      const query: Record<string, string> = isToday
        ? {
          FID_ETC_CLS_CODE: "",
          FID_COND_MRKT_DIV_CODE: MARKET,
          FID_INPUT_ISCD: code,
          FID_INPUT_HOUR_1: anchor,
          FID_PW_DATA_INCU_YN: "N",
        }
        : {
          FID_COND_MRKT_DIV_CODE: MARKET,
          FID_INPUT_ISCD: code,
          FID_INPUT_HOUR_1: anchor,
          FID_INPUT_DATE_1: compactDate,
          FID_PW_DATA_INCU_YN: "N",
          FID_FAKE_TICK_INCU_YN: "",
        };
      const { body } = await this.#transport.get({
        endpoint,
        query,
        schema: minuteBarsResponseSchema,
      });
      if (isToday) dayVolume ??= body.output1?.acml_vol ?? undefined;
      return body.output2;
    }, {
      compactDate,
      // Today: now (a later anchor means now anyway). A past day: late enough for any close.
      firstAnchor: isToday ? clock : LATEST_ANCHOR,
      pageRows: isToday ? PAGE_ROWS.today : PAGE_ROWS.dated,
      firstMinute: `${session.open.replace(":", "")}00`,
    });
    const fetched = { ...toCandles(tradeDate, rows), dayVolume };
    log.debug("Assembled {count} minute candles of {stockCode} on {tradeDate}", {
      count: fetched.candles.length,
      stockCode,
      tradeDate,
    });
    return fetched;
  }

  /**
   * FHKST03010100 (real and virtual): the daily candles of `fromDate` to `toDate` (`YYYY-MM-DD`,
   * both included), ascending, one per trading day: adjusted prices (수정주가) unless
   * `original`. KIS answers 100 days a call; longer ranges take several.
   */
  async dailyCandles(
    stockCode: string,
    fromDate: string,
    toDate: string,
    options: { readonly original?: boolean } = {},
  ): Promise<DailyCandle[]> {
    const endpoint = this.#endpoint("dailyCandles");
    const code = checkCode(endpoint, stockCode);
    checkDate(endpoint, fromDate);
    checkDate(endpoint, toDate);
    if (fromDate > toDate) {
      throw new KisArgumentError(endpoint.trId, `fromDate ${fromDate} is after toDate ${toDate}`);
    }
    return await fetchDailyCandles(
      async (from, to) => {
        const { body } = await this.#transport.get({
          endpoint,
          query: {
            FID_COND_MRKT_DIV_CODE: MARKET,
            FID_INPUT_ISCD: code,
            FID_INPUT_DATE_1: from,
            FID_INPUT_DATE_2: to,
            FID_PERIOD_DIV_CODE: "D",
            FID_ORG_ADJ_PRC: options.original ? ADJUSTED_PRICES.original : ADJUSTED_PRICES.adjusted,
          },
          schema: dailyCandlesResponseSchema,
        });
        return body.output2;
      },
      fromDate,
      toDate,
    );
  }

  /**
   * CTCA0903R (real only): every calendar day from `fromDate` to `toDate` (`YYYY-MM-DD`, both
   * included) and whether the market opens, ascending, deduplicated. KIS asks for at most one
   * call a day: cache the result.
   */
  async marketCalendar(fromDate: string, toDate: string): Promise<MarketDay[]> {
    const endpoint = this.#endpoint("marketCalendar");
    checkDate(endpoint, fromDate);
    checkDate(endpoint, toDate);
    if (fromDate > toDate) {
      throw new KisArgumentError(endpoint.trId, `fromDate ${fromDate} is after toDate ${toDate}`);
    }
    return await walkMarketCalendar(
      async (page) =>
        await this.#transport.get({
          endpoint,
          query: { BASS_DT: page.bassDt, CTX_AREA_NK: page.ctxAreaNk, CTX_AREA_FK: page.ctxAreaFk },
          trCont: page.trCont,
          schema: holidayResponseSchema,
        }),
      fromDate,
      toDate,
    );
  }

  /**
   * The fewest requests {@link sessionMinuteBars} needs for a full `session` of `tradeDate`
   * (4 for an ordinary past day, up to 14 for today), for dry runs.
   */
  plannedCalls(
    kind: PlannedCallKind,
    tradeDate: string,
    session: SessionWindow = REGULAR_SESSION,
  ): number {
    if (kind !== "sessionMinuteBars") {
      throw new KisArgumentError("", `cannot plan calls of ${JSON.stringify(kind)}`);
    }
    const now = this.#now();
    const today = kstDate(now);
    // Same checks as the real run: a dry run must fail where the run would.
    this.#minuteBarEndpoint(tradeDate, today);
    if (tradeDate !== today) return plannedPages(PAGE_ROWS.dated, sessionMinutes(session));
    const clock = kstTime(now);
    const last = clock < session.close ? clock : session.close;
    return plannedPages(PAGE_ROWS.today, sessionMinutesUntil(session.open, last));
  }

  #minuteBarEndpoint(tradeDate: string, today: string): KisEndpoint {
    const endpoint = tradeDate === today
      ? ENDPOINTS.todayMinuteBars
      : this.#endpoint("datedMinuteBars");
    checkDate(endpoint, tradeDate);
    if (tradeDate > today) {
      throw new KisArgumentError(
        endpoint.trId,
        `no minute bars for ${tradeDate}: it is after today (${today} KST)`,
      );
    }
    return endpoint;
  }

  #endpoint(name: keyof typeof ENDPOINTS): KisEndpoint {
    const endpoint: KisEndpoint = ENDPOINTS[name];
    if (this.#env === "virtual" && !endpoint.virtual) {
      throw new KisUnsupportedError(endpoint.trId, endpoint.title);
    }
    return endpoint;
  }
}

function checkCode(endpoint: KisEndpoint, stockCode: string): string {
  if (!isStockCode(stockCode)) {
    throw new KisArgumentError(
      endpoint.trId,
      `stock code ${JSON.stringify(stockCode)} is not a KRX code: expected 6 characters like ` +
        `005930 (or Q and 6 digits for an ETN)`,
    );
  }
  return stockCode;
}

function checkDate(endpoint: KisEndpoint, date: string): string {
  if (!isTradeDate(date)) {
    throw new KisArgumentError(
      endpoint.trId,
      `date ${JSON.stringify(date)} is not a calendar date written YYYY-MM-DD`,
    );
  }
  return date;
}
