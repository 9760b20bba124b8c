/**
 * Which days the market is open: KIS's holiday calendar (CTCA0903R), fetched at most once a KST
 * day and stored; where KIS does not offer it (virtual server) or fails, the Archivist answers from
 * the built-in KRX calendar — and says so loudly once the weeks ahead reach past what that knows.
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

/**
 * Keeps one archive's calendar fresh for one process. Create one per process (the service, a
 * command) and pass it to every collection: it remembers a failed attempt of the day, so KIS is
 * asked at most once a day, and rejected credentials are rethrown all day without asking again.
 */
export class CalendarRefresher {
  readonly #archivist: Archivist;
  readonly #client: Pick<CollectorClient, "marketCalendar">;
  /** This process's last failed attempt: its KST day and a credentials error. */
  #attempt?: { readonly day: string; readonly rejected?: KisCredentialsError };
  /** The KST day the unknown-calendar warning was last logged. */
  #warnedOn?: string;

  constructor(archivist: Archivist, client: Pick<CollectorClient, "marketCalendar">) {
    this.#archivist = archivist;
    this.#client = client;
  }

  /**
   * Makes sure KIS's calendar around today is stored: asks KIS unless it was fetched (or tried
   * without success by this refresher) earlier the same KST day. Where KIS fails, the built-in
   * calendar stands in; only rejected credentials (a configuration error) and a failing database
   * write throw.
   */
  async refresh(now: Date): Promise<CalendarRefresh> {
    const outcome = await this.#refresh(now);
    this.#warnIfUnknownAhead(now);
    return outcome;
  }

  async #refresh(now: Date): Promise<CalendarRefresh> {
    const archivist = this.#archivist;
    const today = kstDate(now);
    const fetchedAt = await archivist.calendarFetchedAt();
    if (fetchedAt !== null && kstDate(new Date(fetchedAt)) === today) return "fresh";
    if (this.#attempt?.day === today) {
      if (this.#attempt.rejected) throw this.#attempt.rejected;
      return "unavailable";
    }
    this.#attempt = { day: today };
    let days: MarketDay[];
    try {
      days = await this.#client.marketCalendar(
        addDays(today, -CALENDAR_SPAN_DAYS),
        addDays(today, CALENDAR_SPAN_DAYS),
      );
    } catch (error) {
      if (error instanceof KisCredentialsError) {
        this.#attempt = { day: today, rejected: error };
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
    this.#attempt = undefined;
    return "fetched";
  }

  #warnIfUnknownAhead(now: Date): void {
    const health = this.#archivist.calendarHealth(now);
    const today = kstDate(now);
    if (!health.warning || this.#warnedOn === today) return;
    this.#warnedOn = today;
    log.warning("Trading calendar: {warning}", { warning: health.warning });
  }
}

/** One refresh with a refresher of its own (one-shot commands, benchmarks). */
export function refreshMarketCalendar(
  archivist: Archivist,
  client: Pick<CollectorClient, "marketCalendar">,
  now: Date,
): Promise<CalendarRefresh> {
  return new CalendarRefresher(archivist, client).refresh(now);
}
