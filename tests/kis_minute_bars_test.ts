import assert from "node:assert/strict";
import { candleValuesOf } from "../db/candles.ts";
import {
  fetchSessionRows,
  LATEST_ANCHOR,
  minuteBefore,
  plannedPages,
  sessionMinutesUntil,
  toCandles,
} from "../src/kis/minute_bars.ts";
import type { KisClient } from "../src/kis/mod.ts";
import type { KisMinuteRow } from "../src/kis/schemas.ts";
import { sessionBars, type SimMinuteBar } from "../src/sim/market.ts";
import type { KisSimulator } from "../src/sim/server.ts";
import { barTimeOf } from "../src/time.ts";
import { realClient, withSim } from "./fixtures/kis_sim.ts";

const DAY = "20261124";

/** The minute of the day of `hhmm`. */
const minuteOf = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(2, 4));

/** KRW a row's minute trades: its volume at its close. */
const valueOf = (hhmm: string) => minuteOf(hhmm) * (1000 + minuteOf(hhmm));

/**
 * A row for minute `hhmm`; its cumulative value is the sum of the minutes of `traded` up to it
 * (default: every minute from 09:00), so the first row of a day holds only its own trading.
 */
function row(hhmm: string, date = DAY, traded?: readonly string[]): KisMinuteRow {
  const minute = minuteOf(hhmm);
  const before = traded ?? Array.from(
    { length: minute - 540 + 1 },
    (_, i) =>
      `${String(Math.floor((540 + i) / 60)).padStart(2, "0")}${
        String((540 + i) % 60).padStart(2, "0")
      }`,
  );
  return {
    stck_bsop_date: date,
    stck_cntg_hour: `${hhmm}00`,
    stck_prpr: 1000 + minute,
    stck_oprc: 999 + minute,
    stck_hgpr: 1001 + minute,
    stck_lwpr: 998 + minute,
    cntg_vol: minute,
    acml_tr_pbmn: before.filter((m) => m <= hhmm).reduce((sum, m) => sum + valueOf(m), 0),
  };
}

/** Every traded minute of a session: 09:00–15:19 then the 15:30 closing auction. */
function sessionMinutes(skip: ReadonlySet<string> = new Set()): string[] {
  const minutes: string[] = [];
  for (let m = 9 * 60; m <= 15 * 60 + 30; m++) {
    const hhmm = `${String(Math.floor(m / 60)).padStart(2, "0")}${String(m % 60).padStart(2, "0")}`;
    if ((hhmm >= "1520" && hhmm < "1530") || skip.has(hhmm)) continue;
    minutes.push(hhmm);
  }
  return minutes;
}

/** A fake KIS: newest-first rows at or before the anchor, `cap` per page. */
function fakeServer(rows: readonly KisMinuteRow[], cap: number) {
  const anchors: string[] = [];
  const fetchPage = (anchor: string) => {
    anchors.push(anchor);
    const page = rows.filter((r) => r.stck_cntg_hour <= anchor)
      .sort((a, b) => b.stck_cntg_hour.localeCompare(a.stck_cntg_hour))
      .slice(0, cap);
    return Promise.resolve(page);
  };
  return { anchors, fetchPage };
}

Deno.test("minuteBefore steps back one minute across the hour", () => {
  assert.equal(minuteBefore("100000"), "095900");
  assert.equal(minuteBefore("153000"), "152900");
  assert.equal(minuteBefore("130645"), "130500");
});

Deno.test("plannedPages: 4 calls for a past day, 14 for a full day today, fewer intraday", () => {
  assert.equal(plannedPages(120, sessionMinutesUntil("09:00", "15:30")), 4);
  assert.equal(plannedPages(30, sessionMinutesUntil("09:00", "15:30")), 14);
  assert.equal(plannedPages(30, sessionMinutesUntil("09:00", "093000")), 2);
  assert.equal(plannedPages(30, sessionMinutesUntil("09:00", "080000")), 1);
  assert.equal(plannedPages(120, sessionMinutesUntil("10:00", "16:30")), 4, "a CSAT day");
});

Deno.test("a past session pages backwards in 4 calls of 120 rows, gaps and auction survive", async () => {
  const rows = sessionMinutes(new Set(["1001", "1002", "1344"])).map((m) => row(m));
  const server = fakeServer(rows, 120);
  const got = await fetchSessionRows(server.fetchPage, {
    compactDate: DAY,
    firstAnchor: LATEST_ANCHOR,
    pageRows: 120,
  });
  assert.equal(server.anchors.length, 4);
  assert.equal(server.anchors[0], LATEST_ANCHOR);
  const bars = toCandles("2026-11-24", got).candles;
  assert.equal(bars.length, rows.length);
  assert.deepEqual(
    bars.map((b) => b.barTime),
    rows.map((r) => barTimeOf("2026-11-24", r.stck_cntg_hour)),
  );
  assert.equal(bars.at(-1)?.barTime, barTimeOf("2026-11-24", "153000"));
  assert.equal(bars.at(-2)?.barTime, barTimeOf("2026-11-24", "151900"));
});

Deno.test("today pages 30 rows at a time from the anchor", async () => {
  const rows = sessionMinutes().filter((m) => m <= "1045").map((m) => row(m));
  const server = fakeServer(rows, 30);
  const got = await fetchSessionRows(server.fetchPage, {
    compactDate: DAY,
    firstAnchor: "104512",
    pageRows: 30,
  });
  assert.equal(got.length, 106);
  assert.equal(server.anchors.length, 4);
  assert.deepEqual(server.anchors.slice(0, 2), ["104512", "101500"]);
});

Deno.test("rows of other days and rows after the anchor are ignored, duplicates collapse", async () => {
  const pages = new Map<string, KisMinuteRow[]>([
    ["153000", [row("1600"), row("1530"), row("1519"), row("1519"), row("1518", "20261123")]],
  ]);
  const anchors: string[] = [];
  const got = await fetchSessionRows((anchor) => {
    anchors.push(anchor);
    return Promise.resolve(pages.get(anchor) ?? []);
  }, { compactDate: DAY, firstAnchor: "153000", pageRows: 5 });
  assert.deepEqual(got.map((r) => r.stck_cntg_hour).sort(), ["151900", "153000"]);
  assert.deepEqual(anchors, ["153000", "151800"]);
});

Deno.test("a server that ignores the anchor stops the walk instead of looping", async () => {
  let calls = 0;
  const page = sessionMinutes().slice(-30).reverse().map((m) => row(m));
  const got = await fetchSessionRows(() => {
    calls++;
    return Promise.resolve(page);
  }, { compactDate: DAY, firstAnchor: "153000", pageRows: 30 });
  assert.equal(calls, 2);
  assert.equal(got.length, 30);
});

Deno.test("bar values are differences of the cumulative value; the first bar keeps its own", () => {
  const traded = ["0900", "0901", "0905"];
  const rows = [row("0901", DAY, traded), row("0900", DAY, traded), row("0905", DAY, traded)];
  const { candles: bars, missingEarlierValue } = toCandles("2026-11-24", rows);
  assert.equal(missingEarlierValue, 0);
  const cumulative = (hhmm: string) => row(hhmm, DAY, traded).acml_tr_pbmn;
  assert.deepEqual(bars.map((b) => b.value), [
    cumulative("0900"),
    cumulative("0901") - cumulative("0900"),
    cumulative("0905") - cumulative("0901"),
  ]);
  const first = row("0900", DAY, traded);
  assert.deepEqual(bars[0], {
    barTime: barTimeOf("2026-11-24", "090000"),
    open: first.stck_oprc,
    high: first.stck_hgpr,
    low: first.stck_lwpr,
    close: first.stck_prpr,
    volume: first.cntg_vol,
    value: first.acml_tr_pbmn,
  });
});

function withSimClient(
  clock: string,
  test: (sim: KisSimulator, client: KisClient) => Promise<void>,
): Promise<void> {
  return withSim((sim, dir) => test(sim, realClient(sim, `${dir}/token.json`)), { clock });
}

function expected(tradeDate: string, truth: readonly SimMinuteBar[]) {
  return truth.map((bar) => ({
    barTime: barTimeOf(tradeDate, bar.time),
    ...candleValuesOf(bar),
  }));
}

Deno.test("a whole past day over HTTP equals the simulator's bars, in 4 calls", async () => {
  await withSimClient("2026-11-25T16:05:00+09:00", async (sim, client) => {
    for (const [code, date] of [["005930", "2026-11-24"], ["207940", "2026-06-02"]]) {
      const before = client.stats.calls;
      const fetched = await client.sessionMinuteBars(code, date);
      const truth = sessionBars(code, date);
      assert.ok(truth.length > 300, `${code} ${date} has a session`);
      assert.deepEqual(fetched.candles, expected(date, truth));
      assert.equal(fetched.missingEarlierValue, 0);
      assert.equal(client.stats.calls - before, 4, `${code} ${date}`);
    }
    assert.equal(client.plannedCalls("sessionMinuteBars", "2026-11-24"), 4);
    assert.equal(sim.stats().byTrId.FHKST03010230, 8);
  });
});

Deno.test("late sessions: CSAT 10:00–16:30 and a delayed close come whole, in as few calls", async () => {
  await withSimClient("2026-11-25T16:05:00+09:00", async (_sim, client) => {
    // 2026-11-19 (CSAT) ran 10:00–16:30; the old 15:30 anchor cut its last hour off.
    const csat = await client.sessionMinuteBars("005930", "2026-11-19", {
      open: "10:00",
      close: "16:30",
    });
    const truth = sessionBars("005930", "2026-11-19");
    assert.equal(truth[0].time, "100000");
    assert.equal(truth.at(-1)!.time, "163000");
    assert.deepEqual(csat.candles, expected("2026-11-19", truth));
    // 2026-11-05 closed at 16:00 in the simulated market; the client was told nothing of it.
    const before = client.stats.calls;
    const delayed = await client.sessionMinuteBars("005930", "2026-11-05");
    assert.deepEqual(delayed.candles, expected("2026-11-05", sessionBars("005930", "2026-11-05")));
    assert.equal(delayed.candles.at(-1)!.barTime, barTimeOf("2026-11-05", "160000"));
    assert.equal(client.stats.calls - before, 4, "the late anchor costs no extra call");
    // The year's first trading day opens at 10:00.
    const opening = await client.sessionMinuteBars("005930", "2026-01-02", {
      open: "10:00",
      close: "15:30",
    });
    assert.equal(opening.candles[0].barTime, barTimeOf("2026-01-02", "100000"));
    assert.equal(opening.missingEarlierValue, 0);
  });
});

Deno.test("rows missing before the first bar show as value traded earlier, not as its value", () => {
  // KIS answered from 09:03 on although the day traded from 09:00.
  const rows = ["0903", "0904", "0905"].map((m) => row(m));
  const { candles, missingEarlierValue } = toCandles("2026-11-24", rows);
  assert.equal(
    missingEarlierValue,
    rows[0].acml_tr_pbmn - rows[0].cntg_vol * rows[0].stck_hgpr,
  );
  assert.ok(missingEarlierValue >= valueOf("0900") + valueOf("0901") + valueOf("0902") - 200_000);
  assert.equal(candles.length, 3);
  // A stock whose first trade of the day came at 09:03 is whole.
  const late = ["0903", "0904"].map((m) => row(m, DAY, ["0903", "0904"]));
  assert.equal(toCandles("2026-11-24", late).missingEarlierValue, 0);
});

Deno.test("today after the close: the whole session in at most 14 calls of FHKST03010200", async () => {
  await withSimClient("2026-11-25T16:05:00+09:00", async (sim, client) => {
    const fetched = await client.sessionMinuteBars("000660", "2026-11-25");
    assert.deepEqual(fetched.candles, expected("2026-11-25", sessionBars("000660", "2026-11-25")));
    assert.equal(
      fetched.dayVolume,
      sessionBars("000660", "2026-11-25").reduce((sum, bar) => sum + bar.volume, 0),
    );
    assert.ok(client.stats.calls <= 14, `${client.stats.calls} calls`);
    assert.equal(sim.stats().byTrId.FHKST03010200, client.stats.calls);
    assert.equal(client.plannedCalls("sessionMinuteBars", "2026-11-25"), 14);
  });
});

Deno.test("today intraday: bars up to now, the newest one partial", async () => {
  await withSimClient("2026-11-25T10:15:30+09:00", async (_sim, client) => {
    const { candles: bars } = await client.sessionMinuteBars("005930", "2026-11-25");
    const truth = expected("2026-11-25", sessionBars("005930", "2026-11-25"));
    assert.equal(bars.at(-1)?.barTime, barTimeOf("2026-11-25", "101500"));
    assert.deepEqual(bars.slice(0, -1), truth.slice(0, bars.length - 1));
    assert.ok(bars.at(-1)!.volume <= truth[bars.length - 1].volume);
    assert.ok(client.stats.calls <= 3, `${client.stats.calls} calls for 76 minutes`);
    assert.equal(client.plannedCalls("sessionMinuteBars", "2026-11-25"), 3);
  });
});

Deno.test("EGW00201 answers in the middle of paging lose no page", async () => {
  await withSimClient("2026-11-25T16:05:00+09:00", async (sim, client) => {
    await client.investorFlows("005930");
    sim.setFaults({ rateLimitBurst: 3 });
    const { candles } = await client.sessionMinuteBars("035420", "2026-11-23");
    assert.deepEqual(candles, expected("2026-11-23", sessionBars("035420", "2026-11-23")));
    assert.equal(sim.stats().rateLimited, 3);
    assert.equal(client.stats.retries, 3);
  });
});

Deno.test("a closed day or an unlisted code gives no bars", async () => {
  await withSimClient("2026-11-25T16:05:00+09:00", async (_sim, client) => {
    assert.deepEqual((await client.sessionMinuteBars("005930", "2026-11-22")).candles, []);
    assert.deepEqual((await client.sessionMinuteBars("999999", "2026-11-24")).candles, []);
    assert.equal(client.stats.calls, 2);
  });
});
