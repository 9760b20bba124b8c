/**
 * How the dashboard writes numbers and times (`src/dashboard/format.ts`).
 */
import assert from "node:assert/strict";
import {
  formatBytes,
  formatDuration,
  formatInt,
  formatKrw,
  formatKrwCompact,
  formatKstDateTime,
  formatKstSchedule,
  formatRate,
  formatShares,
  formatSignedPct,
  formatSignedShares,
  signClass,
  truncate,
} from "../src/dashboard/format.ts";

Deno.test("format: thousands separators and units; a missing value is a dash", () => {
  assert.equal(formatInt(1_234_567), "1,234,567");
  assert.equal(formatKrw(71_500), "71,500원");
  assert.equal(formatShares(12_345), "12,345주");
  assert.equal(formatSignedShares(12_345), "+12,345주");
  assert.equal(formatSignedShares(-3_000), "-3,000주");
  assert.equal(formatKrw(null), "–");
  assert.equal(formatBytes(5 * 1024 * 1024 + 300_000), "5.3 MB");
  assert.equal(formatBytes(512), "512 B");
});

Deno.test("format: large KRW amounts in 억원 and 만원, signed", () => {
  assert.equal(formatKrwCompact(1_234_000_000), "+12.3억원");
  assert.equal(formatKrwCompact(-4_150_000_000), "-41.5억원");
  assert.equal(formatKrwCompact(56_000_000), "+5,600만원");
  assert.equal(formatKrwCompact(9_000), "+9,000원");
  assert.equal(formatKrwCompact(0), "0원");
});

Deno.test("format: instants in KST, durations, schedules, truncation", () => {
  assert.equal(formatKstDateTime("2026-11-27T06:40:05.000Z"), "2026-11-27 15:40:05");
  // 23:30 UTC is the next KST day.
  assert.equal(formatKstDateTime("2026-11-26T23:30:00Z"), "2026-11-27 08:30:00");
  assert.equal(formatDuration("2026-11-27T07:00:00Z", "2026-11-27T07:02:05Z"), "2 min 05 s");
  assert.equal(formatDuration("2026-11-27T07:00:00Z", "2026-11-27T07:00:09Z"), "9 s");
  assert.equal(formatDuration("2026-11-27T07:00:00Z", null), "running");
  assert.equal(formatKstSchedule("2026-11-30T16:00:00+09:00"), "2026-11-30 (Mon) 16:00");
  assert.equal(truncate("abcdef", 4), "abc…");
  assert.equal(truncate("abc", 4), "abc");
});

Deno.test("format: returns signed in percent with two decimals, rates as percent, sign colours", () => {
  assert.equal(formatSignedPct(2.3149), "+2.31%");
  assert.equal(formatSignedPct(-0.874), "-0.87%");
  assert.equal(formatSignedPct(0), "0.00%");
  assert.equal(formatSignedPct(1234.5), "+1,234.50%");
  assert.equal(formatSignedPct(null), "–");
  assert.equal(formatRate(3 / 7), "42.9%");
  assert.equal(formatRate(1), "100.0%");
  assert.equal(formatRate(null), "–");
  assert.equal(signClass(0.01), "up");
  assert.equal(signClass(-3), "down");
  assert.equal(signClass(0), undefined);
  assert.equal(signClass(null), undefined);
});
