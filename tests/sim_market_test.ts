import assert from "node:assert/strict";
import { isKrxTradingDay, previousTradingDay } from "../src/calendar.ts";
import {
  investorDay,
  isListedStock,
  isOnTick,
  programDay,
  programSnapshots,
  quoteAt,
  sessionBars,
  sessionBarsAt,
  sessionMinutesOf,
  simDay,
  simStock,
  tickSize,
} from "../src/sim/market.ts";
import { kstInstant } from "../src/time.ts";

const DAY = "2025-01-10";
const CODES = ["005930", "000660", "207940", "035720", "123456", "234567", "345678", "Q500001"];

Deno.test("market: the same stock and date always give the same market, other inputs differ", () => {
  assert.deepEqual(sessionBars("005930", DAY), sessionBars("005930", DAY));
  assert.deepEqual(investorDay("005930", DAY), investorDay("005930", DAY));
  assert.deepEqual(programDay("005930", DAY), programDay("005930", DAY));
  assert.notDeepEqual(sessionBars("005930", DAY), sessionBars("000660", DAY));
  assert.notDeepEqual(sessionBars("005930", DAY), sessionBars("005930", "2025-01-09"));
});

Deno.test("market: tick sizes follow the KRX table", () => {
  const table: [number, number][] = [
    [1_999, 1],
    [2_000, 5],
    [4_995, 5],
    [5_000, 10],
    [19_990, 10],
    [20_000, 50],
    [49_950, 50],
    [50_000, 100],
    [199_900, 100],
    [200_000, 500],
    [499_500, 500],
    [500_000, 1_000],
  ];
  for (const [price, tick] of table) assert.equal(tickSize(price), tick, `tick of ${price}`);
  for (const code of CODES) {
    for (const bar of sessionBars(code, DAY)) {
      for (const price of [bar.open, bar.high, bar.low, bar.close]) {
        assert.ok(isOnTick(price), `${code} ${bar.time} price ${price} off the tick grid`);
      }
      assert.ok(
        bar.high >= Math.max(bar.open, bar.close) && bar.low <= Math.min(bar.open, bar.close),
      );
    }
  }
});

Deno.test("market: a session is 09:00–15:19 plus one 15:30 auction bar, with some quiet minutes", () => {
  let quietMinutes = 0;
  for (const code of CODES) {
    const bars = sessionBars(code, DAY);
    assert.equal(bars[0].time, "090000");
    assert.equal(bars.at(-1)!.time, "153000");
    assert.ok(bars.every((bar) => bar.time < "152000" || bar.time === "153000"), code);
    assert.ok(bars.every((bar, i) => i === 0 || bars[i - 1].time < bar.time), "ascending");
    assert.ok(bars.every((bar) => Number.isInteger(bar.volume) && bar.volume > 0));
    quietMinutes += sessionMinutesOf(DAY).continuous.length + 1 - bars.length;
  }
  assert.ok(quietMinutes > 0, "some minutes have no trade and no bar");
});

Deno.test("market: closed days and dates before history have no bars", () => {
  assert.equal(isKrxTradingDay("2025-01-11"), false);
  assert.deepEqual(sessionBars("005930", "2025-01-11"), []);
  assert.deepEqual(sessionBars("005930", "2025-01-28"), []);
  assert.deepEqual(sessionBars("005930", "2020-06-01"), []);
  assert.equal(investorDay("005930", "2025-01-11"), undefined);
});

Deno.test("market: closes chain from day to day and the last bar closes the day", () => {
  for (const code of CODES) {
    const day = simDay(code, DAY)!;
    assert.equal(day.previousClose, simDay(code, previousTradingDay(DAY))!.close);
    assert.equal(sessionBars(code, DAY).at(-1)!.close, day.close);
    assert.equal(sessionBars(code, DAY)[0].open, day.open);
  }
});

Deno.test("market: values are volume times traded prices and accumulate", () => {
  const bars = sessionBars("000660", DAY);
  let cumulative = 0;
  for (const bar of bars) {
    assert.ok(bar.value >= bar.volume * bar.low && bar.value <= bar.volume * bar.high, bar.time);
    cumulative += bar.value;
    assert.equal(bar.cumulativeValue, cumulative);
  }
});

Deno.test("market: investor flows agree with the bars and net to zero", () => {
  for (const code of CODES) {
    const bars = sessionBars(code, DAY);
    const flows = investorDay(code, DAY)!;
    const volume = bars.reduce((sum, bar) => sum + bar.volume, 0);
    assert.equal(flows.volume, volume);
    assert.equal(flows.close, bars.at(-1)!.close);
    assert.equal(flows.valueKrw, bars.at(-1)!.cumulativeValue);
    const classes = [flows.individual, flows.foreign, flows.institution, flows.otherCorporation];
    assert.equal(classes.reduce((sum, c) => sum + c.buyQty, 0), volume);
    assert.equal(classes.reduce((sum, c) => sum + c.sellQty, 0), volume);
    assert.equal(classes.reduce((sum, c) => sum + c.netQty, 0), 0);
    const average = flows.valueKrw / volume;
    for (const c of classes) {
      assert.equal(c.netQty, c.buyQty - c.sellQty);
      assert.equal(c.netValueKrw, c.buyValueKrw - c.sellValueKrw);
      assert.equal(c.buyValueKrw % 1_000_000, 0);
      assert.ok(Math.abs(c.buyValueKrw - c.buyQty * average) <= c.buyQty * average * 0.02 + 1e6);
    }
  }
});

Deno.test("market: program day equals the last intraday snapshot", () => {
  const day = programDay("005930", DAY)!;
  const snapshots = programSnapshots("005930", DAY);
  const last = snapshots.at(-1)!;
  assert.equal(last.time, "153000");
  assert.equal(last.netQty, day.netQty);
  assert.equal(last.netValueKrw, day.netValueKrw);
  assert.equal(day.netQty, day.buyQty - day.sellQty);
  assert.ok(day.buyQty > 0 && day.buyQty < day.volume);
  assert.ok(snapshots.every((s, i) => i === 0 || snapshots[i - 1].time < s.time));
  assert.ok(snapshots.every((s, i) => i === 0 || snapshots[i - 1].buyQty <= s.buyQty));
  assert.ok(programSnapshots("005930", DAY, "101500").every((s) => s.time <= "101500"));
});

Deno.test("market: mid-session the newest bar is partial and the earlier ones final", () => {
  const full = sessionBars("005930", DAY);
  const at = sessionBarsAt("005930", DAY, "101530");
  const newest = at.at(-1)!;
  assert.equal(newest.time, full.find((bar) => bar.time >= "101500")!.time);
  assert.deepEqual(at.slice(0, -1), full.slice(0, at.length - 1));
  assert.ok(newest.volume <= full[at.length - 1].volume);
  const quote = quoteAt("005930", kstInstant(DAY, "10:15:30"))!;
  assert.equal(quote.price, newest.close);
  assert.equal(quote.tradeDate, DAY);
});

Deno.test("market: listed codes and names", () => {
  assert.equal(simStock("005930").name, "삼성전자");
  assert.equal(simStock("000660").name, "SK하이닉스");
  assert.ok(isListedStock("123456"));
  assert.ok(!isListedStock("999999"));
  assert.ok(!isListedStock("AAPL"));
});
