/**
 * Collection of KIS market data into the archive: one run (`runCollection`), catch-up of missed
 * days (`catchUp`) and the scheduled jobs (`scheduledJobs`, `registerCronJobs`).
 *
 * @example
 * ```ts
 * const client = KisClient.fromSettings(config.kis);
 * registerCronJobs({ archivist, client, config });
 * await catchUp({ archivist, client, days: config.catchUpDays, runScope: cronRunScope(config.logDir) });
 * ```
 *
 * @module
 */
export { type CalendarRefresh, refreshMarketCalendar } from "./calendar.ts";
export { catchUp, type CatchUpDeps, type CatchUpSummary, type MissingRun } from "./catch_up.ts";
export type { CollectorClient } from "./client.ts";
export {
  adjustedDays,
  createDailyCollector,
  dailyPriceRowsOf,
  FIRST_HISTORY_DAYS,
} from "./daily.ts";
export {
  DAILY_FINAL_KST,
  FLOW_FINAL_KST,
  isReady,
  latestReadyTradeDate,
  READY_KST,
  readyAt,
  recentTradingDays,
  scheduledTradeDate,
} from "./dates.ts";
export { createFlowCollector, flowSnapshotsOf, keepStoredValues } from "./flow.ts";
export { createIntradayCollector, minuteBarRowsOf } from "./intraday.ts";
export {
  acquireCollectionLease,
  COLLECTION_LEASE,
  CollectionLease,
  DEFAULT_LEASE,
  LEASE_BUSY_REASON,
  type LeaseOptions,
} from "./lease.ts";
export {
  collectionTargetsOf,
  type CollectorDeps,
  DEFAULT_CONCURRENCY,
  runCollection,
  runHoldingLease,
  type RunInfo,
  type RunObserver,
  type RunReport,
  type RunRequest,
  type RunScope,
  type StockProgress,
} from "./run.ts";
export {
  cronLogPath,
  cronRunScope,
  kstToUtcCron,
  MARKET_WEEKDAYS,
  registerCronJobs,
  runScheduledJob,
  type ScheduleDeps,
  type ScheduledJob,
  scheduledJobs,
  type ScheduledRun,
  weekdayField,
} from "./schedule.ts";
