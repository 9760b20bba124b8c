/**
 * Collection of KIS market data into the archive: one run (`runCollection`), catch-up of missed
 * days (`catchUp`) and the scheduled jobs (`scheduledJobs`, `registerCronJobs`).
 *
 * @example
 * ```ts
 * const client = KisClient.fromSettings(config.kis);
 * const calendar = new CalendarRefresher(archivist, client);
 * registerCronJobs({ archivist, client, calendar, config });
 * await catchUp({ archivist, client, calendar, days: config.catchUpDays });
 * ```
 *
 * @module
 */
export { type CalendarRefresh, CalendarRefresher, refreshMarketCalendar } from "./calendar.ts";
export { catchUp, type CatchUpDeps, type CatchUpSummary, type MissingRun } from "./catch_up.ts";
export type { CollectorClient } from "./client.ts";
export {
  adjustedDays,
  createDailyCollector,
  dailyPriceRowsOf,
  FIRST_HISTORY_DAYS,
  plannedDailyCalls,
  storedDailyStocks,
} from "./daily.ts";
export {
  isReady,
  latestReadyTradeDate,
  READY_AFTER_CLOSE_MINUTES,
  readyAt,
  readyKst,
  recentTradingDays,
  type TradingCalendar,
} from "./dates.ts";
export {
  createFlowCollector,
  flowSnapshotsOf,
  isCompleteFlowRow,
  isUnfinishedInvestorDay,
  keepStoredValues,
} from "./flow.ts";
export { createIntradayCollector, minutePriceRowsOf } from "./intraday.ts";
export { type CallPlan, type JobContext, JOBS, type JobSpec, noTargetsReason } from "./jobs.ts";
export { DayNotFinalError, type StockCollector, type StockResult } from "./stock_result.ts";
export {
  acquireCollectionLease,
  COLLECTION_LEASE,
  CollectionLease,
  DEFAULT_LEASE,
  LEASE_BUSY_REASON,
  LEASE_STOPPED_REASON,
  type LeaseOptions,
  ShardLayoutError,
} from "./lease.ts";
export {
  type CollectorDeps,
  DEFAULT_CONCURRENCY,
  defaultConcurrency,
  LATE_SESSION_SETTLE_MINUTES,
  runCollection,
  runHoldingLease,
  type RunInfo,
  type RunObserver,
  type RunReport,
  type RunRequest,
  type RunScope,
  type StockNote,
  type StockProgress,
} from "./run.ts";
export { abortableSleep } from "../src/time.ts";
export {
  cronLogPath,
  type CronRegistration,
  cronRunScope,
  type CronSchedule,
  EVERY_DAY,
  kstSchedule,
  kstToUtcCron,
  LATE_SESSION_GIVE_UP_KST,
  MARKET_WEEKDAYS,
  MAX_SCHEDULE_WAIT_MINUTES,
  registerCronJobs,
  runScheduledJob,
  type ScheduleDeps,
  type ScheduledJob,
  scheduledJobs,
  type ScheduledRun,
  scheduledTradeDate,
  weekdayField,
} from "./schedule.ts";
