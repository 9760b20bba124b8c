/**
 * KIS's trading calendar: the stored open/closed days, held in memory so that the trade date of
 * an entry costs no query; each day's session shape (`src/session.ts`); and the rule that maps an
 * instant to the KST trading day it applies to (after that day's close: the next trading day).
 *
 * @module
 */
import type { Kysely, Transaction } from "kysely";
import { isKrxTradingDay, KRX_CALENDAR_KNOWN_THROUGH, nextTradingDay } from "../src/calendar.ts";
import { minuteOfDay, SessionRules, type SessionShape } from "../src/session.ts";
import { isTradeDate, KST_OFFSET_MS, kstDate } from "../src/time.ts";
import { ArchiveInputError } from "./errors.ts";
import type { Database } from "./schema.ts";
import { NO_WRITES, type WriteCounts } from "./write_counts.ts";

const DAY_MS = 86_400_000;

/** A day of KIS's calendar (CTCA0903R). */
export interface CalendarDay {
  readonly tradeDate: string;
  readonly isOpen: boolean;
}

/**
 * The stored calendar in memory, with the trade dates it implies. Change it only through
 * {@link MarketCalendar.record}, after the write that stored the days resolved.
 */
export class MarketCalendar {
  readonly #days: Map<string, boolean>;
  readonly #sessions: SessionRules;
  /**
   * `tradeDateFor` by KST day number: that day's close (minute of the day, -1 when closed), the
   * day itself and the next trading day. Cleared when the calendar changes.
   */
  readonly #byDay = new Map<number, { close: number; date: string; next: string }>();
  #storedThrough = "";

  private constructor(days: Map<string, boolean>, sessions: SessionRules) {
    this.#days = days;
    this.#sessions = sessions;
    for (const date of days.keys()) if (date > this.#storedThrough) this.#storedThrough = date;
  }

  /** Reads the stored calendar; `sessions` adds the user's declared sessions to the built-in. */
  static async load(
    db: Kysely<Database>,
    sessions: SessionRules = new SessionRules(),
  ): Promise<MarketCalendar> {
    const rows = await db.selectFrom("market_calendar").select(["trade_date", "is_open"])
      .execute();
    return new MarketCalendar(new Map(rows.map((r) => [r.trade_date, r.is_open === 1])), sessions);
  }

  /** The session of a trading day: built-in knowledge, else what the user declared. */
  session(tradeDate: string): SessionShape {
    return this.#sessions.sessionOf(tradeDate, (d) => this.isTradingDay(d));
  }

  /**
   * The last day whose open/closed status is known rather than assumed: the later of the
   * built-in calendar's end and KIS's last stored day.
   */
  knownThrough(): string {
    return this.#storedThrough > KRX_CALENDAR_KNOWN_THROUGH
      ? this.#storedThrough
      : KRX_CALENDAR_KNOWN_THROUGH;
  }

  /** Whether the market opens on `tradeDate`: KIS's calendar where stored, else the built-in one. */
  isTradingDay(tradeDate: string): boolean {
    return this.#days.get(tradeDate) ?? isKrxTradingDay(tradeDate);
  }

  /** KIS's answer for `tradeDate`, or undefined when that day is not stored. */
  stored(tradeDate: string): boolean | undefined {
    return this.#days.get(tradeDate);
  }

  /** Takes in days that were just stored. */
  record(days: readonly CalendarDay[]): void {
    for (const day of days) {
      this.#days.set(day.tradeDate, day.isOpen);
      if (day.tradeDate > this.#storedThrough) this.#storedThrough = day.tradeDate;
    }
    this.#byDay.clear();
  }

  /**
   * The KST trading day an instant applies to: that day until its session closes (15:30, or
   * 16:30 on a CSAT day), after that the next trading day.
   */
  tradeDateFor(instant: Date): string {
    const kstMs = instant.getTime() + KST_OFFSET_MS;
    const dayNumber = Math.floor(kstMs / DAY_MS);
    let day = this.#byDay.get(dayNumber);
    if (day === undefined) {
      const date = kstDate(instant);
      const isOpen = (d: string) => this.isTradingDay(d);
      day = {
        close: isOpen(date) ? minuteOfDay(this.session(date).close) : -1,
        date,
        next: nextTradingDay(date, isOpen),
      };
      this.#byDay.set(dayNumber, day);
    }
    const minute = Math.floor((kstMs - dayNumber * DAY_MS) / 60_000);
    return minute < day.close ? day.date : day.next;
  }
}

/**
 * Stores `days` inside `trx`, replacing what was known of those dates; counts against `calendar`,
 * which the caller updates once the write resolved.
 */
export async function saveMarketCalendarIn(
  trx: Transaction<Database>,
  calendar: MarketCalendar,
  days: readonly CalendarDay[],
  now: () => Date,
): Promise<WriteCounts> {
  const fetchedAt = now().toISOString();
  let written = NO_WRITES;
  for (const day of days) {
    if (!isTradeDate(day.tradeDate)) {
      throw new ArchiveInputError("saveMarketCalendar", "expected YYYY-MM-DD", "tradeDate");
    }
    const known = calendar.stored(day.tradeDate);
    await trx.insertInto("market_calendar")
      .values({ trade_date: day.tradeDate, is_open: day.isOpen ? 1 : 0, fetched_at: fetchedAt })
      .onConflict((oc) =>
        oc.column("trade_date").doUpdateSet({
          is_open: day.isOpen ? 1 : 0,
          fetched_at: fetchedAt,
        })
      ).execute();
    written = {
      inserted: written.inserted + (known === undefined ? 1 : 0),
      updated: written.updated + (known !== undefined && known !== day.isOpen ? 1 : 0),
      unchanged: written.unchanged + (known === day.isOpen ? 1 : 0),
    };
  }
  return written;
}

/** When the stored calendar was last fetched from KIS (UTC ISO), or null. */
export async function calendarFetchedAt(db: Kysely<Database>): Promise<string | null> {
  const row = await db.selectFrom("market_calendar")
    .select((eb) => eb.fn.max("fetched_at").as("fetched_at")).executeTakeFirst();
  return row?.fetched_at ?? null;
}
