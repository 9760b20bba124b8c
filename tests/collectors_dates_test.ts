import assert from "node:assert/strict";
import {
  isReady,
  latestReadyTradeDate,
  readyKst,
  recentTradingDays,
  type TradingCalendar,
} from "../collectors/dates.ts";
import { scheduledTradeDate } from "../collectors/schedule.ts";
import { isKrxTradingDay } from "../src/calendar.ts";
import { SessionRules } from "../src/session.ts";

const at = (iso: string) => new Date(iso);

/** The built-in calendar and sessions, plus what a test declares. */
function calendar(rules = new SessionRules()): TradingCalendar {
  return {
    isTradingDay: isKrxTradingDay,
    session: (tradeDate) => rules.sessionOf(tradeDate, isKrxTradingDay),
  };
}

Deno.test("latestReadyTradeDate: bars from the 15:30 close, flows from 15:40 KST", () => {
  const cases: [string, string, string][] = [
    // [instant, intraday, flow]
    ["2026-11-25T15:29:59+09:00", "2026-11-24", "2026-11-24"],
    ["2026-11-25T15:35:00+09:00", "2026-11-25", "2026-11-24"],
    ["2026-11-25T15:40:00+09:00", "2026-11-25", "2026-11-25"],
    ["2026-11-25T23:59:00+09:00", "2026-11-25", "2026-11-25"],
    // 01:00 KST Thursday is still Wednesday in UTC: the KST day decides.
    ["2026-11-26T01:00:00+09:00", "2026-11-25", "2026-11-25"],
    // Monday morning: Friday.
    ["2026-11-30T08:00:00+09:00", "2026-11-27", "2026-11-27"],
    // Christmas (Friday) evening: Thursday.
    ["2026-12-25T18:00:00+09:00", "2026-12-24", "2026-12-24"],
  ];
  for (const [instant, intraday, flow] of cases) {
    assert.equal(latestReadyTradeDate("intraday", at(instant), calendar()), intraday, instant);
    assert.equal(latestReadyTradeDate("flow", at(instant), calendar()), flow, instant);
    // A day's candle is taken no earlier than its flows.
    assert.equal(latestReadyTradeDate("daily", at(instant), calendar()), flow, instant);
  }
  const day = calendar().session("2026-11-25");
  assert.equal(isReady("flow", day, at("2026-11-25T06:39:59Z")), false);
  assert.equal(isReady("flow", day, at("2026-11-25T06:40:00Z")), true);
});

Deno.test("readiness follows each day's close: CSAT 16:30, a declared late close", () => {
  // 2026-11-19 is a CSAT day: the session runs 10:00–16:30.
  const csat = calendar().session("2026-11-19");
  assert.deepEqual([csat.open, csat.closingAuction, csat.close, csat.kind], [
    "10:00",
    "16:20",
    "16:30",
    "csat",
  ]);
  assert.equal(readyKst("intraday", csat), "16:30");
  assert.equal(readyKst("flow", csat), "16:40");
  assert.equal(readyKst("daily", csat), "16:40", "the candle waits for the 16:30 auction");
  assert.equal(
    latestReadyTradeDate("intraday", at("2026-11-19T16:05:00+09:00"), calendar()),
    "2026-11-18",
    "at 16:05 on a CSAT day the session still runs",
  );
  assert.equal(
    latestReadyTradeDate("intraday", at("2026-11-19T16:30:00+09:00"), calendar()),
    "2026-11-19",
  );
  const declared = calendar(
    new SessionRules([{ tradeDate: "2026-11-26", open: "09:00", close: "16:00" }]),
  );
  assert.equal(readyKst("flow", declared.session("2026-11-26")), "16:10");
  assert.equal(
    latestReadyTradeDate("flow", at("2026-11-26T15:45:00+09:00"), declared),
    "2026-11-25",
  );
});

Deno.test("scheduledTradeDate: today (waiting for its close when near), a closed day kept", () => {
  assert.deepEqual(scheduledTradeDate("flow", at("2026-12-25T16:00:00+09:00"), calendar()), {
    tradeDate: "2026-12-25",
    waitMs: 0,
  });
  assert.deepEqual(scheduledTradeDate("flow", at("2026-11-25T16:00:00+09:00"), calendar()), {
    tradeDate: "2026-11-25",
    waitMs: 0,
  });
  assert.deepEqual(
    scheduledTradeDate("intraday", at("2026-11-19T16:05:00+09:00"), calendar()),
    { tradeDate: "2026-11-19", waitMs: 25 * 60_000 },
    "16:05 on a CSAT day waits 25 minutes for the 16:30 close",
  );
  assert.deepEqual(scheduledTradeDate("flow", at("2026-11-25T08:30:00+09:00"), calendar()), {
    tradeDate: "2026-11-24",
    waitMs: 0,
  });
});

Deno.test("recentTradingDays: the last N trading days, oldest first, skipping closures", () => {
  assert.deepEqual(recentTradingDays("2026-12-28", 4, calendar()), [
    "2026-12-22",
    "2026-12-23",
    "2026-12-24",
    "2026-12-28",
  ]);
  assert.deepEqual(recentTradingDays("2026-12-27", 1, calendar()), ["2026-12-24"]);
  assert.deepEqual(recentTradingDays("2026-12-28", 0, calendar()), []);
});
