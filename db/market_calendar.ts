/**
 * KIS's trading calendar: the stored open/closed days, held in memory so that the trade date of
 * an entry costs no query, and the rule that maps an instant to the KST trading day it applies to.
 *
 * @module
 */
import type { Kysely, Transaction } from "kysely";
import { isKrxTradingDay, nextTradingDay } from "../src/calendar.ts";
import { isTradeDate, KST_OFFSET_MS, kstDate, SESSION_CLOSE_KST } from "../src/time.ts";
import { ArchiveInputError } from "./errors.ts";
import type { Database } from "./schema.ts";
import { NO_WRITES, type WriteCounts } from "./write_counts.ts";

const DAY_MS = 86_400_000;
/** Minute of the KST day at which the session closes (15:30 → 930). */
const CLOSE_MINUTE_KST = SESSION_CLOSE_KST.split(":").reduce((h, m) => +h * 60 + +m, 0);

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
  /** `tradeDateFor` answers by KST day and side of the close; cleared when the calendar changes. */
  readonly #tradeDates = new Map<number, string>();

  private constructor(days: Map<string, boolean>) {
    this.#days = days;
  }

  /** Reads the stored calendar. */
  static async load(db: Kysely<Database>): Promise<MarketCalendar> {
    const rows = await db.selectFrom("market_calendar").select(["trade_date", "is_open"])
      .execute();
    return new MarketCalendar(new Map(rows.map((r) => [r.trade_date, r.is_open === 1])));
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
    for (const day of days) this.#days.set(day.tradeDate, day.isOpen);
    this.#tradeDates.clear();
  }

  /** The KST trading day an instant applies to: after the 15:30 close, the next trading day. */
  tradeDateFor(instant: Date): string {
    const kstMs = instant.getTime() + KST_OFFSET_MS;
    const minuteOfDay = Math.floor((kstMs % DAY_MS) / 60_000);
    const afterClose = minuteOfDay >= CLOSE_MINUTE_KST;
    const key = Math.floor(kstMs / DAY_MS) * 2 + (afterClose ? 1 : 0);
    let tradeDate = this.#tradeDates.get(key);
    if (tradeDate === undefined) {
      const date = kstDate(instant);
      const isOpen = (d: string) => this.isTradingDay(d);
      tradeDate = isOpen(date) && !afterClose ? date : nextTradingDay(date, isOpen);
      this.#tradeDates.set(key, tradeDate);
    }
    return tradeDate;
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
