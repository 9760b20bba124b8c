/**
 * Which trading day a collection is for, and from when each job's data of a day is final.
 *
 * The rule: a job's data of a day is final a fixed time after that day's close — the close of
 * *that* session (`src/session.ts`: 15:30 on an ordinary day, 16:30 on a CSAT day). Minute bars
 * are complete at the close (the closing auction's bar); investor flows only once KIS has
 * finalised them, ten minutes later (before that today's row carries zeros); a day's candle
 * (FHKST03010100) is taken no earlier than the flows, once the closing auction has been
 * processed (16:40 on a CSAT day). The default day of a job is the latest trading day whose data
 * is final at that instant, so at 15:35 on an ordinary trading day `intraday` means today and
 * `flow` and `daily` the day before.
 *
 * @module
 */
import type { CollectionJob } from "../db/schema.ts";
import { previousTradingDay } from "../src/calendar.ts";
import { closeOf, hhmmOf, minuteOfDay, type SessionShape } from "../src/session.ts";
import { kstDate } from "../src/time.ts";

/** Minutes after the session's close from which each job's data of the day is final. */
export const READY_AFTER_CLOSE_MINUTES: Readonly<Record<CollectionJob, number>> = {
  flow: 10,
  intraday: 0,
  // The day's candle sums the whole session, closing auction included: no earlier than flows.
  daily: 10,
};

/** What the date rules need to know of the calendar (the Archivist provides both). */
export interface TradingCalendar {
  /** Whether the market opens on a day. */
  isTradingDay(tradeDate: string): boolean;
  /** The session of a trading day. */
  session(tradeDate: string): SessionShape;
}

/** The instant from which `job`'s data of the day of `session` is final. */
export function readyAt(job: CollectionJob, session: SessionShape): Date {
  return new Date(closeOf(session).getTime() + READY_AFTER_CLOSE_MINUTES[job] * 60_000);
}

/** KST `HH:MM` from which `job`'s data of the day of `session` is final, e.g. `15:40`. */
export function readyKst(job: CollectionJob, session: SessionShape): string {
  return hhmmOf(minuteOfDay(session.close) + READY_AFTER_CLOSE_MINUTES[job]);
}

/** Whether `job`'s data of the day of `session` is final at `now`. */
export function isReady(job: CollectionJob, session: SessionShape, now: Date): boolean {
  return now.getTime() >= readyAt(job, session).getTime();
}

/** The latest trading day whose `job` data is final at `now`: the default day of a run. */
export function latestReadyTradeDate(
  job: CollectionJob,
  now: Date,
  calendar: TradingCalendar,
): string {
  const today = kstDate(now);
  const isOpen = (d: string) => calendar.isTradingDay(d);
  return isOpen(today) && isReady(job, calendar.session(today), now)
    ? today
    : previousTradingDay(today, isOpen);
}

/** The last `count` trading days up to and including `latest`, oldest first. */
export function recentTradingDays(
  latest: string,
  count: number,
  calendar: Pick<TradingCalendar, "isTradingDay">,
): string[] {
  if (count <= 0) return [];
  const isOpen = (d: string) => calendar.isTradingDay(d);
  const days = [isOpen(latest) ? latest : previousTradingDay(latest, isOpen)];
  while (days.length < count) days.unshift(previousTradingDay(days[0], isOpen));
  return days;
}
