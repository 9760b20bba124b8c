/**
 * Which trading day a collection is for, and from when each job's data of a day is final (KST).
 *
 * The rule: minute bars of a day are complete once the session has closed (15:30 KST, the
 * closing-auction bar); investor flows only once KIS has finalised them (15:40 KST: before that
 * today's row carries zeros). The default day of a job is the latest trading day whose data is
 * final at that instant, so at 15:35 on a trading day `intraday` means today and `flow` the day
 * before.
 *
 * @module
 */
import type { CollectionJob } from "../db/schema.ts";
import { previousTradingDay, type TradingDayRule } from "../src/calendar.ts";
import { kstDate, kstInstant, SESSION_CLOSE_KST } from "../src/time.ts";

/** KST time after which KIS's investor flows of the day are final (`kis-api.md` §4). */
export const FLOW_FINAL_KST = "15:40";

/**
 * KST time after which a day's candle is final: after the closing auction (15:30) and its
 * processing; later after-hours volume, if KIS adds it, heals on the next day's run.
 */
export const DAILY_FINAL_KST = "15:40";

/** KST wall-clock time from which each job's data of a trading day is final. */
export const READY_KST: Readonly<Record<CollectionJob, string>> = {
  flow: FLOW_FINAL_KST,
  intraday: SESSION_CLOSE_KST,
  daily: DAILY_FINAL_KST,
};

/** The instant from which `job`'s data of `tradeDate` is final. */
export function readyAt(job: CollectionJob, tradeDate: string): Date {
  return kstInstant(tradeDate, READY_KST[job]);
}

/** Whether `job`'s data of `tradeDate` is final at `now`. */
export function isReady(job: CollectionJob, tradeDate: string, now: Date): boolean {
  return now.getTime() >= readyAt(job, tradeDate).getTime();
}

/** The latest trading day whose `job` data is final at `now`: the default day of a run. */
export function latestReadyTradeDate(
  job: CollectionJob,
  now: Date,
  isOpen: TradingDayRule,
): string {
  const today = kstDate(now);
  return isOpen(today) && isReady(job, today, now) ? today : previousTradingDay(today, isOpen);
}

/**
 * The day a scheduled run collects: today when the market is closed (so the run records the
 * closure as skipped) or when today's data is final, else the latest day whose data is final.
 */
export function scheduledTradeDate(job: CollectionJob, now: Date, isOpen: TradingDayRule): string {
  const today = kstDate(now);
  return isOpen(today) ? latestReadyTradeDate(job, now, isOpen) : today;
}

/** The last `count` trading days up to and including `latest`, oldest first. */
export function recentTradingDays(latest: string, count: number, isOpen: TradingDayRule): string[] {
  if (count <= 0) return [];
  const days = [isOpen(latest) ? latest : previousTradingDay(latest, isOpen)];
  while (days.length < count) days.unshift(previousTradingDay(days[0], isOpen));
  return days;
}
