/**
 * The simulated exchange's sessions and trading halts: KRX's known session shapes
 * (`src/session.ts`: 10:00 openings on the year's first day, CSAT days 10:00–16:30), plus
 * events only the simulated market knows in advance, so clients must detect them from the data:
 *
 * - a close delayed after an outage ({@link SIM_DELAYED_CLOSES});
 * - stocks halted all day ({@link SIM_HALTS}): no bars, a daily row with no trade.
 *
 * @module
 */
import { isKrxTradingDay } from "../calendar.ts";
import {
  CLOSING_AUCTION_MINUTES,
  hhmmOf,
  minuteOfDay,
  SessionRules,
  type SessionShape,
} from "../session.ts";

/**
 * Days the simulated KRX closed late, and the close it ran to (KST): continuous trading runs
 * until ten minutes before it, the closing auction prints at it. Archivist does not know these.
 */
export const SIM_DELAYED_CLOSES: Readonly<Record<string, string>> = {
  "2026-11-05": "16:00",
};

/** A stock the simulated exchange halted all day over a span of days. */
export interface SimHalt {
  readonly stockCode: string;
  /** First halted day, `YYYY-MM-DD`. */
  readonly from: string;
  /** Last halted day, `YYYY-MM-DD`. */
  readonly to: string;
}

/** The listed stock that is halted in {@link SIM_HALTS}. */
export const SIM_HALTED_STOCK_CODE = "003620";

/** Trading halts (거래정지) of whole days. */
export const SIM_HALTS: readonly SimHalt[] = [
  { stockCode: SIM_HALTED_STOCK_CODE, from: "2026-11-23", to: "2026-11-27" },
];

const KNOWN_SESSIONS = new SessionRules();

/** The session the simulated exchange ran (or will run) on a trading day. */
export function simSession(tradeDate: string): SessionShape {
  const shape = KNOWN_SESSIONS.sessionOf(tradeDate, isKrxTradingDay);
  const close = SIM_DELAYED_CLOSES[tradeDate];
  if (!close) return shape;
  return {
    ...shape,
    closingAuction: hhmmOf(minuteOfDay(close) - CLOSING_AUCTION_MINUTES),
    close,
  };
}

/** Whether `stockCode` did not trade at all on `tradeDate`. */
export function isHalted(stockCode: string, tradeDate: string): boolean {
  return SIM_HALTS.some((halt) =>
    halt.stockCode === stockCode && tradeDate >= halt.from && tradeDate <= halt.to
  );
}

/** `HHMMSS` of a minute of the day. */
export function hhmmss(minute: number): string {
  return hhmmOf(minute).replace(":", "") + "00";
}

/** The session's bar times: continuous minutes (`HHMMSS`) and the closing auction's minute. */
export interface SessionMinutes {
  /** Open … the minute before the closing auction. */
  readonly continuous: readonly string[];
  /** The closing auction's bar, at the close. */
  readonly auction: string;
  /** The opening auction's bar, at the open. */
  readonly open: string;
}

const minutesCache = new Map<string, SessionMinutes>();

/** The minutes a session of `tradeDate` can print bars at. */
export function sessionMinutesOf(tradeDate: string): SessionMinutes {
  let minutes = minutesCache.get(tradeDate);
  if (!minutes) {
    const session = simSession(tradeDate);
    const first = minuteOfDay(session.open);
    const last = minuteOfDay(session.closingAuction) - 1;
    minutes = {
      continuous: Array.from({ length: last - first + 1 }, (_, i) => hhmmss(first + i)),
      auction: hhmmss(minuteOfDay(session.close)),
      open: hhmmss(first),
    };
    if (minutesCache.size > 2_000) minutesCache.clear();
    minutesCache.set(tradeDate, minutes);
  }
  return minutes;
}
