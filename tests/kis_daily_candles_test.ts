import assert from "node:assert/strict";
import { type DailyCandleRow, fetchDailyCandles } from "../src/kis/daily_candles.ts";
import { KisClient, KisMalformedResponseError } from "../src/kis/mod.ts";
import { isKrxTradingDay } from "../src/calendar.ts";
import { datesBetween } from "../src/time.ts";
import { dailyChartRows, originalDailyCandle, servedDailyCandle } from "../src/sim/daily_chart.ts";
import { sessionBars, SIM_HALTED_STOCK_CODE } from "../src/sim/market.ts";
import { DEMO_VIRTUAL_APP_KEY, DEMO_VIRTUAL_APP_SECRET } from "../src/sim/server.ts";
import { realClient, SIM_CLOCK, withSim } from "./fixtures/kis_sim.ts";

/** The candle a day's whole session of simulated minute bars sums up to. */
function candleOfSession(stockCode: string, tradeDate: string) {
  const bars = sessionBars(stockCode, tradeDate);
  return {
    tradeDate,
    open: bars[0].open,
    high: Math.max(...bars.map((b) => b.high)),
    low: Math.min(...bars.map((b) => b.low)),
    close: bars.at(-1)!.close,
    volume: bars.reduce((n, b) => n + b.volume, 0),
    value: bars.at(-1)!.cumulativeValue,
  };
}

Deno.test("daily candles: 120 trading days in two calls, ascending, equal to the session's bars", async () => {
  await withSim(async (sim, dir) => {
    const client = realClient(sim, `${dir}/token.json`);
    const candles = await client.dailyCandles("005930", "2026-06-01", "2026-11-25");
    assert.equal(client.stats.byTrId.FHKST03010100, 2, "100 rows a call, paged back");
    assert.equal(candles.length, 122);
    assert.ok(candles.every((c, i) => i === 0 || candles[i - 1].tradeDate < c.tradeDate));
    assert.equal(candles[0].tradeDate, "2026-06-01");
    assert.equal(candles.at(-1)!.tradeDate, "2026-11-25");
    const day = candles.find((c) => c.tradeDate === "2026-11-24")!;
    assert.deepEqual(day, candleOfSession("005930", "2026-11-24"));
  });
});

Deno.test("daily candles: padding rows are dropped, with or without them the same candles", async () => {
  for (const dailyChartPadding of [true, false]) {
    await withSim(async (sim, dir) => {
      const client = realClient(sim, `${dir}/token.json`);
      // The simulated history starts 2023-01-02: the range runs past it.
      const candles = await client.dailyCandles("005930", "2022-12-01", "2023-01-31");
      assert.equal(candles[0].tradeDate, "2023-01-02", `padding ${dailyChartPadding}`);
      const days = datesBetween("2023-01-02", "2023-01-31").filter(isKrxTradingDay).length;
      assert.equal(candles.length, days);
      assert.equal(client.stats.byTrId.FHKST03010100, 1, "a short page is the last");
      const rows = dailyChartRows("005930", "2022-12-01", "2023-01-31", sim.now(), {
        original: false,
        pad: dailyChartPadding,
      });
      assert.equal(rows.length, dailyChartPadding ? 100 : days);
      assert.equal(
        rows.filter((r) => r.stck_bsop_date === "").length,
        dailyChartPadding ? 100 - days : 0,
      );
    }, { quirks: { dailyChartPadding } });
  }
});

Deno.test("daily candles: the split restates earlier days in adjusted prices from its date on", async () => {
  await withSim(async (sim, dir) => {
    const client = realClient(sim, `${dir}/token.json`);
    const range = ["2026-11-10", "2026-11-20"] as const;
    const adjusted = await client.dailyCandles("207940", ...range);
    const original = await client.dailyCandles("207940", ...range, { original: true });
    for (const [i, day] of adjusted.entries()) {
      const raw = original[i];
      assert.equal(raw.tradeDate, day.tradeDate);
      if (day.tradeDate < "2026-11-16") {
        assert.equal(day.close, Math.round(raw.close / 5), day.tradeDate);
        assert.equal(day.volume, raw.volume * 5);
        assert.equal(day.value, raw.value);
      } else {
        assert.deepEqual(day, raw);
      }
    }
    // Across the split the adjusted closes move by a day's change, the original ones by 5×.
    const before = adjusted.find((c) => c.tradeDate === "2026-11-13")!;
    const after = adjusted.find((c) => c.tradeDate === "2026-11-16")!;
    assert.ok(Math.abs(after.close / before.close - 1) < 0.3);
    assert.ok(original.find((c) => c.tradeDate === "2026-11-13")!.close > 4 * after.close);
    // Before the split's date KIS had nothing to restate.
    const earlier = new Date("2026-11-13T16:00:00+09:00");
    assert.deepEqual(
      servedDailyCandle("207940", "2026-11-12", earlier),
      originalDailyCandle("207940", "2026-11-12", earlier),
    );
    sim.setClock(earlier);
    const then = await client.dailyCandles("207940", "2026-11-12", "2026-11-12");
    assert.equal(then[0].close, original.find((c) => c.tradeDate === "2026-11-12")!.close);
  });
});

Deno.test("daily candles: the virtual server offers them; unknown codes answer empty", async () => {
  await withSim(async (sim, dir) => {
    const client = new KisClient({
      env: "virtual",
      baseUrl: sim.virtualUrl,
      appKey: DEMO_VIRTUAL_APP_KEY,
      appSecret: DEMO_VIRTUAL_APP_SECRET,
      rateLimit: 1000,
      tokenCachePath: `${dir}/virtual.json`,
      now: () => sim.now(),
      tokenIssueIntervalMs: 1000,
    });
    assert.equal((await client.dailyCandles("000660", "2026-11-02", "2026-11-25")).length, 18);
    assert.deepEqual(await client.dailyCandles("999999", "2026-11-02", "2026-11-25"), []);
  }, { rateLimit: { virtual: 1000 } });
});

const row = (date: string, close = 100): DailyCandleRow => ({
  stck_bsop_date: date,
  stck_oprc: close,
  stck_hgpr: close,
  stck_lwpr: close,
  stck_clpr: close,
  acml_vol: 1,
  acml_tr_pbmn: close,
  flng_cls_code: "00",
  prtt_rate: null,
  mod_yn: "N",
});

Deno.test("daily candles: the walk moves FID_INPUT_DATE_2 back and stops on a page that brings nothing new", async () => {
  const asked: [string, string][] = [];
  const pages: DailyCandleRow[][] = [
    // 100 rows, newest first, from 20260531 back, plus one row outside the range.
    [
      row("20260601"),
      ...Array.from(
        { length: 100 },
        (_, i) => row(`202605${String(31 - (i % 31)).padStart(2, "0")}`),
      ),
    ],
    [row("20260430"), row("20260429", 0)],
  ];
  const candles = await fetchDailyCandles(
    (from, to) => {
      asked.push([from, to]);
      return Promise.resolve(pages.shift() ?? []);
    },
    "2026-04-01",
    "2026-05-31",
  );
  assert.deepEqual(asked, [["20260401", "20260531"], ["20260401", "20260430"]]);
  // Repeated days counted once; a row without a trade price (close 0) is not a candle.
  assert.deepEqual(candles.map((c) => c.tradeDate).slice(0, 2), ["2026-04-30", "2026-05-01"]);
  assert.equal(candles.length, 32);
});

Deno.test("daily candles: a malformed row is an error naming the field, not a silent gap", async () => {
  await withSim(async (sim, dir) => {
    sim.setFaults({ malformedRate: 1, malformedField: "stck_clpr" });
    const client = realClient(sim, `${dir}/token.json`, { retry: { attempts: 1 } });
    await assert.rejects(
      client.dailyCandles("005930", "2026-11-02", "2026-11-25"),
      (error: unknown) =>
        error instanceof KisMalformedResponseError && /stck_clpr/.test(error.message),
    );
  });
});

Deno.test("daily candles: a clock pinned after the close serves today's final candle", async () => {
  await withSim(async (sim, dir) => {
    const client = realClient(sim, `${dir}/token.json`);
    const [today] = await client.dailyCandles("005930", "2026-11-25", "2026-11-30");
    assert.equal(today.tradeDate, SIM_CLOCK.slice(0, 10));
  });
});

Deno.test("daily candles: a day without trade is a flat candle at its close, whether KIS repeats or zeroes the other prices", async () => {
  const quiet = (date: string, close: number, others: number): DailyCandleRow => ({
    ...row(date, close),
    stck_oprc: others,
    stck_hgpr: others,
    stck_lwpr: others,
    acml_vol: 0,
    acml_tr_pbmn: 0,
  });
  const candles = await fetchDailyCandles(
    () =>
      Promise.resolve([
        quiet("20261127", 5_000, 5_000),
        quiet("20261126", 5_000, 0),
        // A traded day without an opening price is no candle.
        { ...row("20261125", 5_100), stck_oprc: 0 },
        row("20261124", 5_000),
      ]),
    "2026-11-24",
    "2026-11-27",
  );
  const flat = { open: 5_000, high: 5_000, low: 5_000, close: 5_000, volume: 0, value: 0 };
  assert.deepEqual(candles, [
    { tradeDate: "2026-11-24", ...flat, volume: 1, value: 5_000 },
    { tradeDate: "2026-11-26", ...flat },
    { tradeDate: "2026-11-27", ...flat },
  ]);
});

Deno.test("daily candles: a halted stock's days are flat at the previous close; CSAT and delayed closes come whole", async () => {
  await withSim(async (sim, dir) => {
    const client = realClient(sim, `${dir}/token.json`);
    const halted = await client.dailyCandles(SIM_HALTED_STOCK_CODE, "2026-11-20", "2026-11-25");
    assert.deepEqual(halted.map((c) => [c.tradeDate, c.volume]), [
      [
        "2026-11-20",
        sessionBars(SIM_HALTED_STOCK_CODE, "2026-11-20").reduce((n, b) => n + b.volume, 0),
      ],
      ["2026-11-23", 0],
      ["2026-11-24", 0],
      ["2026-11-25", 0],
    ]);
    const lastClose = halted[0].close;
    for (const day of halted.slice(1)) {
      assert.deepEqual([day.open, day.high, day.low, day.close, day.value], [
        lastClose,
        lastClose,
        lastClose,
        lastClose,
        0,
      ]);
    }
    // 2026-11-19 (CSAT) closes at 16:30 and 2026-11-05 at 16:00 (a delayed close): each candle
    // is its whole session, the closing auction's price and volume included.
    for (const [day, close] of [["2026-11-19", "163000"], ["2026-11-05", "160000"]]) {
      assert.equal(sessionBars("005930", day).at(-1)!.time, close);
      const [candle] = await client.dailyCandles("005930", day, day);
      assert.deepEqual(candle, candleOfSession("005930", day), day);
    }
  });
});
