import assert from "node:assert/strict";
import {
  isReady,
  latestReadyTradeDate,
  recentTradingDays,
  scheduledTradeDate,
} from "../collectors/dates.ts";
import { isKrxTradingDay } from "../src/calendar.ts";

const at = (iso: string) => new Date(iso);

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
    assert.equal(latestReadyTradeDate("intraday", at(instant), isKrxTradingDay), intraday, instant);
    assert.equal(latestReadyTradeDate("flow", at(instant), isKrxTradingDay), flow, instant);
  }
  assert.equal(isReady("flow", "2026-11-25", at("2026-11-25T06:39:59Z")), false);
  assert.equal(isReady("flow", "2026-11-25", at("2026-11-25T06:40:00Z")), true);
});

Deno.test("scheduledTradeDate: a closed today is kept so the run records the closure", () => {
  assert.equal(
    scheduledTradeDate("flow", at("2026-12-25T16:00:00+09:00"), isKrxTradingDay),
    "2026-12-25",
  );
  assert.equal(
    scheduledTradeDate("flow", at("2026-11-25T16:00:00+09:00"), isKrxTradingDay),
    "2026-11-25",
  );
  assert.equal(
    scheduledTradeDate("flow", at("2026-11-25T08:30:00+09:00"), isKrxTradingDay),
    "2026-11-24",
  );
});

Deno.test("recentTradingDays: the last N trading days, oldest first, skipping closures", () => {
  assert.deepEqual(recentTradingDays("2026-12-28", 4, isKrxTradingDay), [
    "2026-12-22",
    "2026-12-23",
    "2026-12-24",
    "2026-12-28",
  ]);
  assert.deepEqual(recentTradingDays("2026-12-27", 1, isKrxTradingDay), ["2026-12-24"]);
  assert.deepEqual(recentTradingDays("2026-12-28", 0, isKrxTradingDay), []);
});
