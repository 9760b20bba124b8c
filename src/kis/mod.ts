/**
 * The KIS Open API client (`docs/kis-api.md`): import everything from here.
 *
 * @example
 * ```ts
 * const kis = KisClient.fromSettings(config.kis);
 * const { candles } = await kis.sessionMinuteBars("005930", "2026-11-25");
 * ```
 *
 * @module
 */
export {
  KisClient,
  type KisClientOptions,
  type KisEndpointName,
  type PlannedCallKind,
  type SessionWindow,
} from "./client.ts";
export {
  KisApiError,
  KisArgumentError,
  KisCredentialsError,
  KisError,
  KisMalformedResponseError,
  KisRetryExhaustedError,
  KisUnsupportedError,
} from "./errors.ts";
export { DAILY_PAGE_ROWS, type DailyCandle, plannedDailyPages } from "./daily_candles.ts";
export type { MarketDay } from "./market_calendar.ts";
export type { FetchedSession, MinuteCandle } from "./minute_bars.ts";
export { MINUTE_HISTORY_DAYS } from "./minute_bars.ts";
export type {
  InvestorFlowDay,
  KisMinuteRow,
  ProgramTradeDay,
  ProgramTradeSnapshot,
} from "./schemas.ts";
export type { KisStats } from "./transport.ts";
