/**
 * Which days the market is open: KIS's holiday calendar (CTCA0903R), fetched at most once a KST
 * day and stored; where KIS does not offer it (virtual server) or fails, the Archivist answers from
 * the built-in KRX calendar.
 *
 * @module
 */
import type { Archivist } from "../db/archivist.ts";
import { KisCredentialsError, KisUnsupportedError, type MarketDay } from "../src/kis/mod.ts";
import { getLogger } from "../src/log.ts";
import { addDays, kstDate } from "../src/time.ts";
import type { CollectorClient } from "./client.ts";

const log = getLogger("collect", "calendar");

/** Calendar days fetched before and after today: covers catch-up and the weeks ahead. */
export const CALENDAR_SPAN_DAYS = 31;

/** How a calendar refresh went. */
export type CalendarRefresh = "fetched" | "fresh" | "unavailable";

/** This process's last failed attempt per archive: the KST day, and a credentials error. */
const attempted = new WeakMap<Archivist, { day: string; rejected?: KisCredentialsError }>();

/**
 * Makes sure KIS's calendar around today is stored: asks KIS unless it was fetched (or tried
 * without success by this process) earlier the same KST day. Where KIS fails, the built-in
 * calendar stands in; only rejected credentials (a configuration error, rethrown all day without
 * asking again) and a failing database write throw.
 */
export async function refreshMarketCalendar(
  archivist: Archivist,
  client: CollectorClient,
  now: Date,
): Promise<CalendarRefresh> {
  const today = kstDate(now);
  const fetchedAt = await archivist.calendarFetchedAt();
  if (fetchedAt !== null && kstDate(new Date(fetchedAt)) === today) return "fresh";
  const attempt = attempted.get(archivist);
  if (attempt?.day === today) {
    if (attempt.rejected) throw attempt.rejected;
    return "unavailable";
  }
  attempted.set(archivist, { day: today });
  let days: MarketDay[];
  try {
    days = await client.marketCalendar(
      addDays(today, -CALENDAR_SPAN_DAYS),
      addDays(today, CALENDAR_SPAN_DAYS),
    );
  } catch (error) {
    if (error instanceof KisCredentialsError) {
      attempted.set(archivist, { day: today, rejected: error });
      throw error;
    }
    if (error instanceof KisUnsupportedError) {
      log.info("KIS offers no market calendar here; using the built-in KRX calendar");
    } else {
      log.warning("Could not fetch KIS's market calendar, using the built-in one: {error}", {
        error,
      });
    }
    return "unavailable";
  }
  await archivist.saveMarketCalendar(days);
  log.info("Stored KIS's market calendar: {count} days around {today}", {
    count: days.length,
    today,
  });
  return "fetched";
}
