import assert from "node:assert/strict";
import {
  investorDay,
  programDay,
  quoteAt,
  sessionBars,
  SIM_HALTED_STOCK_CODE,
  simSession,
} from "../src/sim/market.ts";
import { DEMO_REAL_APP_KEY, DEMO_REAL_APP_SECRET } from "../src/sim/server.ts";
import { realClient, withSim } from "./fixtures/kis_sim.ts";

Deno.test("sim sessions: CSAT 10:00–16:30, the year's first day from 10:00, a delayed close", () => {
  const cases: [string, string, string, string][] = [
    // [day, first bar, last continuous bar, closing auction]
    ["2026-11-25", "090000", "151900", "153000"],
    ["2026-11-19", "100000", "161900", "163000"], // CSAT
    ["2026-01-02", "100000", "151900", "153000"], // the year's first trading day
    ["2025-11-13", "100000", "161900", "163000"], // CSAT
    ["2026-11-05", "090000", "154900", "160000"], // closed 30 minutes late (simulated outage)
  ];
  for (const [day, first, lastContinuous, auction] of cases) {
    for (const code of ["005930", "000660"]) {
      const bars = sessionBars(code, day);
      assert.equal(bars[0].time, first, `${code} ${day} opens`);
      assert.equal(bars.at(-1)!.time, auction, `${code} ${day} auction`);
      assert.ok(bars.at(-2)!.time <= lastContinuous, `${code} ${day} continuous trading`);
      assert.ok(bars.every((b, i) => i === 0 || bars[i - 1].time < b.time));
      // The day's figures agree with its bars, however long the session.
      const volume = bars.reduce((sum, b) => sum + b.volume, 0);
      assert.equal(programDay(code, day)!.volume, volume);
    }
  }
  assert.equal(simSession("2026-11-05").close, "16:00");
  assert.equal(simSession("2026-11-19").kind, "csat");
});

Deno.test("sim halts: a stock halted all day has no bar and a daily row without trade", () => {
  const day = "2026-11-24";
  assert.deepEqual(sessionBars(SIM_HALTED_STOCK_CODE, day), []);
  const investors = investorDay(SIM_HALTED_STOCK_CODE, day)!;
  assert.equal(investors.volume, 0);
  assert.equal(investors.close, investors.previousClose);
  assert.deepEqual(
    [investors.individual.netQty, investors.foreign.netQty, investors.institution.netQty],
    [0, 0, 0],
  );
  assert.equal(programDay(SIM_HALTED_STOCK_CODE, day)!.volume, 0);
  const quote = quoteAt(SIM_HALTED_STOCK_CODE, new Date("2026-11-24T11:00:00+09:00"))!;
  assert.deepEqual([quote.tradeDate, quote.volume], [day, 0]);
  // Before and after the halt it trades.
  assert.ok(sessionBars(SIM_HALTED_STOCK_CODE, "2026-11-20").length > 0);
  assert.ok(sessionBars(SIM_HALTED_STOCK_CODE, "2026-11-30").length > 0);
});

Deno.test("sim HTTP: today's investor row is final 10 minutes after that day's close", async () => {
  await withSim(async (sim, dir) => {
    const client = realClient(sim, `${dir}/token.json`);
    // CSAT day: at 16:35 the session (closed at 16:30) is over but the figures not final yet.
    sim.setClock("2026-11-19T16:35:00+09:00");
    const [early] = await client.investorFlows("005930");
    assert.equal(early.tradeDate, "2026-11-19");
    assert.deepEqual([early.prsn_ntby_qty, early.frgn_ntby_qty], [0, 0]);
    sim.setClock("2026-11-19T16:40:00+09:00");
    const [final] = await client.investorFlows("005930");
    assert.equal(final.prsn_ntby_qty, investorDay("005930", "2026-11-19")!.individual.netQty);
  });
});

Deno.test("sim HTTP: a halted stock's minute TRs answer no rows and a day volume of 0", async () => {
  await withSim(async (sim, dir) => {
    const client = realClient(sim, `${dir}/token.json`);
    sim.setClock("2026-11-24T16:05:00+09:00");
    const today = await client.sessionMinuteBars(SIM_HALTED_STOCK_CODE, "2026-11-24");
    assert.deepEqual(today.candles, []);
    assert.equal(today.dayVolume, 0);
    const [row] = await client.programTradeDaily(SIM_HALTED_STOCK_CODE, "2026-11-24");
    assert.deepEqual([row.tradeDate, row.acml_vol], ["2026-11-24", 0]);
  });
});

Deno.test("sim rate counter: the peak of any sliding second counts every client of a key", async () => {
  await withSim(async (sim) => {
    const token = await (await fetch(`${sim.realUrl}/oauth2/tokenP`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        grant_type: "client_credentials",
        appkey: DEMO_REAL_APP_KEY,
        appsecret: DEMO_REAL_APP_SECRET,
      }),
    })).json();
    const ask = () =>
      fetch(
        `${sim.realUrl}/uapi/domestic-stock/v1/quotations/inquire-investor?` +
          "FID_COND_MRKT_DIV_CODE=J&FID_INPUT_ISCD=005930",
        {
          headers: {
            authorization: `Bearer ${token.access_token}`,
            appkey: DEMO_REAL_APP_KEY,
            appsecret: DEMO_REAL_APP_SECRET,
            tr_id: "FHKST01010900",
          },
        },
      ).then((r) => r.body?.cancel());
    // Two "processes" (plain fetches) of one key: 4 + 3 requests within a second.
    await Promise.all([ask(), ask(), ask(), ask()]);
    await Promise.all([ask(), ask(), ask()]);
    const stats = sim.stats();
    assert.equal(stats.peakPerSecond, 7);
    assert.equal(stats.rateLimited, 2, "the limit of 5 refused the 6th and 7th");
    sim.resetStats();
    assert.equal(sim.stats().peakPerSecond, 0);
  }, { rateLimit: { real: 5 } });
});
