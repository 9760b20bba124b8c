/**
 * Outcomes and reports against a computation by hand on a fixture: four stocks with candles that
 * follow simple formulas (rising, falling, rising fast, and one that splits 5-for-1 inside the
 * window), decisions of every kind (one after the close), rejections of both stages, and days
 * not archived yet.
 */
import assert from "node:assert/strict";
import type { Archivist } from "../db/archivist.ts";
import { type DecisionEntryInput, decisionEntrySchema } from "../db/entries.ts";
import type { DailyPrice } from "../db/schema.ts";
import { isKrxTradingDay } from "../src/calendar.ts";
import { addDays } from "../src/time.ts";
import { isPostgresLocation, queryOn, tempArchive } from "./helpers.ts";

/** Trading days of the built-in calendar from 2026-09-01 to 2026-11-30 (Chuseok and 10-05/10-09 closed). */
const DAYS: string[] = [];
for (let d = "2026-09-01"; d <= "2026-11-30"; d = addDays(d, 1)) {
  if (isKrxTradingDay(d)) DAYS.push(d);
}
const at = (day: string) => DAYS.indexOf(day);
/** Candles are archived up to this day: later days are "not archived yet". */
const LAST = "2026-11-20";
const SPLIT = "2026-11-16";

const RISING = "005930"; // close 50,000 + 100·i
const FALLING = "000660"; // close 30,000 − 100·i
const FAST = "035720"; // close 10,000 + 150·i
const SPLITTING = "207940"; // 800,000 + 1,000·i before the split, 160,000 + 200·i from it

type Shape = { close: number; high: number; low: number; volume: number };
const SHAPES: Record<string, (i: number) => Shape> = {
  [RISING]: (i) => ({
    close: 50_000 + 100 * i,
    high: 50_000 + 100 * i + 500,
    low: 50_000 + 100 * i - 300,
    // One volume spike, on 2026-10-15.
    volume: DAYS[i] === "2026-10-15" ? 3_500_000 : 1_000_000,
  }),
  [FALLING]: (i) => ({
    close: 30_000 - 100 * i,
    high: 30_000 - 100 * i + 500,
    low: 30_000 - 100 * i - 300,
    volume: 2_000_000,
  }),
  [FAST]: (i) => ({
    close: 10_000 + 150 * i,
    high: 10_000 + 150 * i + 500,
    low: 10_000 + 150 * i - 300,
    volume: 500_000,
  }),
};
/** The split stock as traded (original prices), and as KIS adjusts it after the split. */
function splitting(i: number, adjusted: boolean): Shape {
  const before = DAYS[i] < SPLIT;
  if (before && !adjusted) {
    const close = 800_000 + 1_000 * i;
    return { close, high: close + 1_000, low: close - 500, volume: 100_000 };
  }
  const close = 160_000 + 200 * i;
  return { close, high: close + 200, low: close - 100, volume: 500_000 };
}

function candle(code: string, i: number, shape: Shape): DailyPrice {
  return {
    stock_code: code,
    trade_date: DAYS[i],
    open: shape.close,
    high: shape.high,
    low: shape.low,
    close: shape.close,
    volume: shape.volume,
    value: shape.volume * shape.close,
  };
}

function history(code: string, until: string, shape: (i: number) => Shape): DailyPrice[] {
  return DAYS.filter((d) => d <= until).map((_, i) => candle(code, i, shape(i)));
}

const pct = (price: number, reference: number) => (price / reference - 1) * 100;

/** The outcome of an entry of D on a stock, by hand, with `archived` the last archived index. */
function expected(shape: (i: number) => Shape, day: string, archived = at(LAST)) {
  const k = at(day);
  const known = (i: number) => i <= archived;
  const ref = shape(k).close;
  const close = (n: number) => known(k + n) ? shape(k + n).close : null;
  const five = [1, 2, 3, 4, 5].map((n) => k + n);
  const fiveKnown = five.every(known);
  return {
    reference_close: ref,
    close_1d: close(1),
    close_5d: close(5),
    close_20d: close(20),
    ret_1d_pct: known(k + 1) ? pct(shape(k + 1).close, ref) : null,
    ret_5d_pct: known(k + 5) ? pct(shape(k + 5).close, ref) : null,
    ret_20d_pct: known(k + 20) ? pct(shape(k + 20).close, ref) : null,
    max_high_5d_pct: fiveKnown ? pct(Math.max(...five.map((i) => shape(i).high)), ref) : null,
    min_low_5d_pct: fiveKnown ? pct(Math.min(...five.map((i) => shape(i).low)), ref) : null,
    status: known(k + 20) ? "complete" : "partial",
  };
}

function edges(decision: string, outcome: ReturnType<typeof expected>) {
  const sign = decision === "BUY" ? 1 : decision === "SELL" ? -1 : 0;
  const edge = (ret: number | null) => sign === 0 || ret === null ? null : sign * ret;
  return {
    edge_1d_pct: edge(outcome.ret_1d_pct),
    edge_5d_pct: edge(outcome.ret_5d_pct),
    edge_20d_pct: edge(outcome.ret_20d_pct),
  };
}

function pick<T extends object>(item: T, keys: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(keys.map((k) => [k, (item as Record<string, unknown>)[k]]));
}
const OUTCOME_KEYS = [
  "reference_close",
  "close_1d",
  "close_5d",
  "close_20d",
  "ret_1d_pct",
  "ret_5d_pct",
  "ret_20d_pct",
  "max_high_5d_pct",
  "min_low_5d_pct",
  "status",
];
const EDGE_KEYS = ["edge_1d_pct", "edge_5d_pct", "edge_20d_pct"];

const adjustedSplit = (i: number) => splitting(i, true);

/** Decisions as the API validates them. */
const decisions = (entries: DecisionEntryInput[]) =>
  entries.map((entry) => decisionEntrySchema.parse(entry));

/** The fixture's entries, logged as Scout would. */
async function logFixture(archivist: Archivist): Promise<void> {
  await archivist.logDecisions(decisions([
    {
      stock_code: RISING,
      stock_name: "삼성전자",
      final_decision: "BUY",
      hunter_score: 85,
      market_regime: "BULL",
      gate_result: "PASS",
      decided_at: "2026-10-13T10:00:00+09:00",
    },
    {
      // After the 15:30 close: it applies to the next trading day, 2026-10-21.
      stock_code: RISING,
      stock_name: "삼성전자",
      final_decision: "SELL",
      hunter_score: 72,
      market_regime: "BULL",
      gate_result: "REJECT",
      decided_at: "2026-10-20T16:00:00+09:00",
    },
    {
      stock_code: RISING,
      final_decision: "HOLD",
      hunter_score: 55,
      market_regime: "BEAR",
      decided_at: "2026-11-17T11:00:00+09:00",
    },
    {
      stock_code: SPLITTING,
      stock_name: "삼성바이오로직스",
      final_decision: "BUY",
      hunter_score: 65,
      market_regime: "BULL",
      decided_at: "2026-11-10T09:30:00+09:00",
    },
    {
      stock_code: SPLITTING,
      final_decision: "NO_DECISION",
      hunter_score: 30,
      decided_at: "2026-11-30T10:00:00+09:00",
    },
    {
      stock_code: FAST,
      final_decision: "BUY",
      hunter_score: 45,
      market_regime: "BEAR",
      decided_at: "2026-10-15T10:00:00+09:00",
    },
  ]));
  await archivist.logRejections([
    {
      stock_code: RISING,
      rejection_stage: "HUNTER",
      rejection_reason: "거래대금 부족",
      logged_at: "2026-10-13T11:00:00+09:00",
    },
    {
      stock_code: FALLING,
      rejection_stage: "JUDGE",
      rejection_reason: "valuation",
      logged_at: "2026-10-14T11:00:00+09:00",
    },
    {
      stock_code: FAST,
      rejection_stage: "JUDGE",
      rejection_reason: "valuation",
      logged_at: "2026-10-15T11:00:00+09:00",
    },
    {
      stock_code: SPLITTING,
      rejection_stage: "HUNTER",
      rejection_reason: "거래대금 부족",
      logged_at: "2026-11-10T11:00:00+09:00",
    },
    {
      stock_code: FAST,
      rejection_stage: "JUDGE",
      rejection_reason: "momentum",
      logged_at: "2026-11-19T11:00:00+09:00",
    },
  ]);
}

/** The fixture archived as the daily job would leave it after the split was noticed. */
async function archivedFixture(archivist: Archivist): Promise<void> {
  for (const code of [RISING, FALLING, FAST]) {
    await archivist.upsertDailyPrices(history(code, LAST, SHAPES[code]));
  }
  // Before the split KIS's adjusted prices were the original ones; the archive had those.
  await archivist.upsertDailyPrices(
    history(SPLITTING, addDays(SPLIT, -1), (i) => splitting(i, false)),
  );
  await logFixture(archivist);
  assert.equal(await archivist.refreshOutcomes(), 11, "every entry has its outcome row");
  const [before] = (await archivist.listDecisionOutcomes({ stockCode: SPLITTING })).items;
  assert.equal(before.close_1d, splitting(at("2026-11-11"), false).close, "not yet adjusted");
  // After it, KIS restated the whole history: the collector replaces it.
  const replaced = await archivist.replaceDailyPrices(
    SPLITTING,
    history(SPLITTING, LAST, adjustedSplit),
  );
  assert.equal(replaced.deleted, 0);
  assert.equal(replaced.updated, at(SPLIT));
  // The BUY and the rejection of 11-10 read restated days; the NO_DECISION stays pending.
  assert.deepEqual(replaced.outcomes, { created: 0, updated: 2 });
}

const NOW = () => new Date("2026-11-20T09:00:00Z");

Deno.test("outcomes: decisions equal a computation by hand (split, after the close, HOLD, SELL, days not archived)", async () => {
  await using fx = await tempArchive({ now: NOW });
  await archivedFixture(fx.archivist);
  const { items } = await fx.archivist.listDecisionOutcomes({});
  const byId = new Map(items.map((item) => [item.log_id, item]));

  const buy = expected(SHAPES[RISING], "2026-10-13");
  assert.equal(byId.get(1)!.trade_date, "2026-10-13");
  assert.deepEqual(pick(byId.get(1)!, [...OUTCOME_KEYS, ...EDGE_KEYS]), {
    ...buy,
    ...edges("BUY", buy),
  });
  // Literally: 2026-10-13 is trading day 26 from 09-01 (20 in September after Chuseok, then
  // 10-01, 10-02, 10-06…10-08, 10-12): reference 52,600; T5 is 10-20, closing at 53,100.
  assert.equal(buy.reference_close, 52_600);
  assert.equal(byId.get(1)!.close_5d, 53_100);
  assert.equal(byId.get(1)!.ret_5d_pct, (53_100 / 52_600 - 1) * 100);

  // Decided at 16:00 KST on 2026-10-20: its day is 2026-10-21, whose close is the reference.
  const sell = expected(SHAPES[RISING], "2026-10-21");
  assert.equal(byId.get(2)!.trade_date, "2026-10-21");
  assert.deepEqual(pick(byId.get(2)!, [...OUTCOME_KEYS, ...EDGE_KEYS]), {
    ...sell,
    ...edges("SELL", sell),
  });
  assert.ok(byId.get(2)!.edge_5d_pct! < 0, "a SELL into a rising stock has a negative edge");
  assert.equal(sell.status, "complete");

  // HOLD on 2026-11-17: T1–T3 archived, T4 on are not: null, never guessed; no edges.
  const hold = byId.get(3)!;
  assert.deepEqual(pick(hold, [...OUTCOME_KEYS, ...EDGE_KEYS]), {
    ...expected(SHAPES[RISING], "2026-11-17"),
    edge_1d_pct: null,
    edge_5d_pct: null,
    edge_20d_pct: null,
  });
  assert.equal(hold.status, "partial");
  assert.equal(hold.close_5d, null);
  assert.equal(hold.max_high_5d_pct, null);

  // BUY on 2026-11-10, split on 2026-11-16: every price from the adjusted history; no return
  // straddles the adjustment (it would read −80 % otherwise).
  const split = expected(adjustedSplit, "2026-11-10");
  assert.deepEqual(pick(byId.get(4)!, [...OUTCOME_KEYS, ...EDGE_KEYS]), {
    ...split,
    ...edges("BUY", split),
  });
  assert.ok(split.ret_5d_pct! > 0 && split.ret_5d_pct! < 1);

  // NO_DECISION on 2026-11-30: nothing archived for that day yet.
  assert.deepEqual(pick(byId.get(5)!, ["status", "reference_close", "ret_1d_pct", "edge_1d_pct"]), {
    status: "pending",
    reference_close: null,
    ret_1d_pct: null,
    edge_1d_pct: null,
  });

  // Listing filters: by status, decision and stock.
  const complete = await fx.archivist.listDecisionOutcomes({ status: "complete" });
  assert.deepEqual(complete.items.map((i) => i.log_id), [1, 2, 6]);
  const pending = await fx.archivist.listDecisionOutcomes({ status: "pending" });
  assert.deepEqual(pending.items.map((i) => i.log_id), [5]);
  const buys = await fx.archivist.listDecisionOutcomes({ finalDecision: "BUY", stockCode: FAST });
  assert.deepEqual(buys.items.map((i) => i.log_id), [6]);
  const paged = await fx.archivist.listDecisionOutcomes({ limit: 4 });
  assert.equal(paged.items.length, 4);
  const rest = await fx.archivist.listDecisionOutcomes({ limit: 4, cursor: paged.nextCursor! });
  assert.deepEqual(rest.items.map((i) => i.log_id), [5, 6]);
});

Deno.test("outcomes: rejections' regret, good rejection and volume shock equal a computation by hand", async () => {
  await using fx = await tempArchive({ now: NOW });
  await archivedFixture(fx.archivist);
  const { items, nextCursor } = await fx.archivist.listRejectionOutcomes({});
  assert.equal(nextCursor, null);
  const [rising, falling, fast, split, late] = items;
  const outcome = (shape: (i: number) => Shape, day: string) => expected(shape, day);

  assert.deepEqual(pick(rising, OUTCOME_KEYS), outcome(SHAPES[RISING], "2026-10-13"));
  // T1–T5 of 2026-10-13 include the 3.5 M spike of 2026-10-15; the 20 days before average 1 M.
  assert.deepEqual(pick(rising, ["vol_shock", "max_volume_5d", "mean_volume_20d"]), {
    vol_shock: true,
    max_volume_5d: 3_500_000,
    mean_volume_20d: 1_000_000,
  });
  assert.deepEqual(pick(rising, ["regret", "good_rejection"]), {
    regret: false,
    good_rejection: false,
  });

  assert.deepEqual(pick(falling, OUTCOME_KEYS), outcome(SHAPES[FALLING], "2026-10-14"));
  assert.deepEqual(pick(falling, ["regret", "good_rejection", "vol_shock"]), {
    regret: false,
    good_rejection: true,
    vol_shock: false,
  });

  assert.deepEqual(pick(fast, OUTCOME_KEYS), outcome(SHAPES[FAST], "2026-10-15"));
  assert.ok(fast.max_high_5d_pct! >= 4);
  assert.deepEqual(pick(fast, ["regret", "good_rejection"]), {
    regret: true,
    good_rejection: false,
  });

  // The split: adjusted volumes on both sides, so no false shock (5× otherwise).
  assert.deepEqual(pick(split, OUTCOME_KEYS), outcome(adjustedSplit, "2026-11-10"));
  assert.deepEqual(pick(split, ["vol_shock", "max_volume_5d", "mean_volume_20d"]), {
    vol_shock: false,
    max_volume_5d: 500_000,
    mean_volume_20d: 500_000,
  });

  // Logged 2026-11-19: only T1 archived.
  assert.deepEqual(pick(late, ["status", "close_1d", "close_5d", "regret", "vol_shock"]), {
    status: "partial",
    close_1d: SHAPES[FAST](at("2026-11-20")).close,
    close_5d: null,
    regret: null,
    vol_shock: null,
  });

  // A lower threshold makes more regrets.
  const low = await fx.archivist.listRejectionOutcomes({ thresholdPct: 1 });
  assert.deepEqual(low.items.map((i) => i.regret), [true, true, true, false, null]);
});

Deno.test("outcomes: the regret report, scorecard and daily packet equal a computation by hand", async () => {
  await using fx = await tempArchive({ now: NOW });
  await archivedFixture(fx.archivist);
  const maxHigh = (shape: (i: number) => Shape, day: string) =>
    expected(shape, day).max_high_5d_pct;

  const regret = await fx.archivist.regretReport();
  assert.deepEqual(
    pick(regret, ["threshold_pct", "rejections", "evaluated", "regrets", "good_rejections"]),
    { threshold_pct: 4, rejections: 5, evaluated: 4, regrets: 1, good_rejections: 1 },
  );
  assert.equal(regret.regret_rate, 1 / 4);
  assert.deepEqual(regret.by_stage, [
    {
      rejection_stage: "HUNTER",
      rejections: 2,
      evaluated: 2,
      regrets: 0,
      good_rejections: 0,
      regret_rate: 0,
    },
    {
      rejection_stage: "JUDGE",
      rejections: 3,
      evaluated: 2,
      regrets: 1,
      good_rejections: 1,
      regret_rate: 0.5,
    },
  ]);
  assert.deepEqual(regret.by_reason.map((r) => [r.rejection_reason, r.rejections]), [
    ["valuation", 2],
    ["거래대금 부족", 2],
    ["momentum", 1],
  ]);
  // Largest 5-day highs first.
  const highs = [
    [3, maxHigh(SHAPES[FAST], "2026-10-15")],
    [1, maxHigh(SHAPES[RISING], "2026-10-13")],
    [2, maxHigh(SHAPES[FALLING], "2026-10-14")],
    [4, maxHigh(adjustedSplit, "2026-11-10")],
  ].sort((a, b) => (b[1] as number) - (a[1] as number));
  assert.deepEqual(regret.top.map((r) => [r.log_id, r.max_high_5d_pct]), highs);
  const lower = await fx.archivist.regretReport({ thresholdPct: 1 });
  assert.equal(lower.regrets, 3);
  const october = await fx.archivist.regretReport({ from: "2026-10-14", to: "2026-10-31" });
  assert.equal(october.rejections, 2);

  const card = await fx.archivist.scorecard();
  const e1 = expected(SHAPES[RISING], "2026-10-13").ret_5d_pct!;
  const e2 = -expected(SHAPES[RISING], "2026-10-21").ret_5d_pct!;
  const e4 = expected(adjustedSplit, "2026-11-10").ret_5d_pct!;
  const e6 = expected(SHAPES[FAST], "2026-10-15").ret_5d_pct!;
  const close = (actual: number | null, wanted: number) =>
    assert.ok(actual !== null && Math.abs(actual - wanted) < 1e-9, `${actual} ≠ ${wanted}`);
  const buy = card.by_decision.find((d) => d.final_decision === "BUY")!;
  assert.deepEqual(pick(buy, ["decisions", "evaluated", "win_rate_5d"]), {
    decisions: 3,
    evaluated: 3,
    win_rate_5d: 1,
  });
  close(buy.mean_ret_5d_pct, (e1 + e4 + e6) / 3);
  close(buy.mean_edge_5d_pct, (e1 + e4 + e6) / 3);
  const sell = card.by_decision.find((d) => d.final_decision === "SELL")!;
  assert.deepEqual(pick(sell, ["decisions", "evaluated", "win_rate_5d"]), {
    decisions: 1,
    evaluated: 1,
    win_rate_5d: 0,
  });
  close(sell.mean_ret_5d_pct, -e2);
  close(sell.mean_edge_5d_pct, e2);
  assert.deepEqual(
    card.by_decision.filter((d) =>
      d.final_decision === "HOLD" || d.final_decision === "NO_DECISION"
    ),
    [
      {
        final_decision: "HOLD",
        decisions: 1,
        evaluated: 0,
        win_rate_5d: null,
        mean_ret_5d_pct: null,
        mean_edge_5d_pct: null,
      },
      {
        final_decision: "NO_DECISION",
        decisions: 1,
        evaluated: 0,
        win_rate_5d: null,
        mean_ret_5d_pct: null,
        mean_edge_5d_pct: null,
      },
    ],
  );
  assert.deepEqual(
    card.by_score_bucket.filter((b) => b.decisions > 0).map((
      b,
    ) => [b.final_decision, b.bucket, b.decisions]),
    [["BUY", "C/D", 1], ["BUY", "B/A", 1], ["BUY", "S", 1], ["SELL", "B/A", 1]],
  );
  const bull = card.by_regime.find((r) => r.market_regime === "BULL")!;
  assert.deepEqual(pick(bull, ["decisions", "evaluated", "win_rate_5d"]), {
    decisions: 3,
    evaluated: 3,
    win_rate_5d: 2 / 3,
  });
  close(bull.mean_edge_5d_pct, (e1 + e2 + e4) / 3);
  assert.deepEqual(card.by_regime.map((r) => r.market_regime), ["BEAR", "BULL"]);

  // The packet of a KST day: the SELL decided at 16:00 on 10-20 belongs to that day's council.
  const packet = await fx.archivist.dailyPacket("2026-10-20");
  assert.deepEqual(pick(packet, ["veto_count", "decisions", "no_trade_ratio"]), {
    veto_count: 0,
    decisions: 1,
    no_trade_ratio: 0,
  });
  assert.deepEqual(packet.cases.map((c) => [c.log_id, c.case, c.trade_date]), [
    [2, "VIOLATION", "2026-10-21"],
  ]);
  const best = await fx.archivist.dailyPacket("2026-10-13");
  assert.deepEqual(pick(best, ["veto_count", "decisions", "no_trade_ratio"]), {
    veto_count: 1,
    decisions: 1,
    no_trade_ratio: 0.5,
  });
  assert.deepEqual(best.case_counts, { BEST: 1, VIOLATION: 0, WORST: 0, NORMAL: 0 });
  assert.equal(best.vetoes[0].vol_shock, true);
  const worst = await fx.archivist.dailyPacket("2026-11-17");
  assert.deepEqual(worst.cases.map((c) => c.case), ["WORST"]);
  const quiet = await fx.archivist.dailyPacket("2026-11-01");
  assert.deepEqual(pick(quiet, ["veto_count", "decisions", "no_trade_ratio"]), {
    veto_count: 0,
    decisions: 0,
    no_trade_ratio: null,
  });
});

Deno.test("outcomes: a day's candles arriving complete the outcomes reading it, in the same write", async () => {
  await using fx = await tempArchive({ now: NOW });
  await archivedFixture(fx.archivist);
  const hold = async () =>
    (await fx.archivist.listDecisionOutcomes({ finalDecision: "HOLD" })).items[0];
  assert.equal((await hold()).close_5d, null);
  const nextDays = DAYS.filter((d) => d > LAST && d <= "2026-11-24");
  const write = await fx.archivist.upsertDailyPrices(
    nextDays.map((d) => candle(RISING, at(d), SHAPES[RISING](at(d)))),
  );
  assert.equal(write.inserted, 2);
  assert.ok(write.outcomes.updated >= 1);
  assert.deepEqual(
    pick(await hold(), OUTCOME_KEYS),
    expected(SHAPES[RISING], "2026-11-17", at("2026-11-24")),
  );
  // The same candles again change nothing.
  const again = await fx.archivist.upsertDailyPrices(
    nextDays.map((d) => candle(RISING, at(d), SHAPES[RISING](at(d)))),
  );
  assert.deepEqual(pick(again, ["inserted", "updated", "unchanged"]), {
    inserted: 0,
    updated: 0,
    unchanged: 2,
  });
  assert.deepEqual(again.outcomes, { created: 0, updated: 0 });
});

Deno.test("outcomes: an entry logged after its candles is computed at once; Scout's rows never change", async () => {
  await using fx = await tempArchive({ now: NOW });
  await fx.archivist.upsertDailyPrices(history(RISING, LAST, SHAPES[RISING]));
  await fx.archivist.logDecisions(decisions([{
    stock_code: RISING,
    final_decision: "BUY",
    decided_at: "2026-10-13T10:00:00+09:00",
  }]));
  const before = (await fx.archivist.listDecisions({})).items;
  const [item] = (await fx.archivist.listDecisionOutcomes({})).items;
  assert.deepEqual(pick(item, OUTCOME_KEYS), expected(SHAPES[RISING], "2026-10-13"));
  assert.deepEqual((await fx.archivist.listDecisions({})).items, before);
  assert.deepEqual(await fx.archivist.dailyCollectionTargets(), []);
  // An incomplete outcome makes its stock a target of the daily job, with how far back it reads.
  await fx.archivist.logRejections([{ stock_code: FAST, logged_at: "2026-11-19T10:00:00+09:00" }]);
  assert.deepEqual(await fx.archivist.dailyCollectionTargets(["000660"]), ["000660", FAST]);
  assert.equal(await fx.archivist.openOutcomeStart(FAST), "2026-11-19");
});

Deno.test("outcomes: bad candles and bad report values are refused naming the field, changing nothing", async () => {
  await using fx = await tempArchive({ now: NOW });
  const good = candle(RISING, 0, SHAPES[RISING](0));
  await assert.rejects(
    fx.archivist.upsertDailyPrices([good, { ...good, trade_date: DAYS[1], low: good.high + 1 }]),
    /candles\[1\]: expected 0 < low/,
  );
  await assert.rejects(
    fx.archivist.upsertDailyPrices([{ ...good, volume: -1 }]),
    /candles\[0\]\.volume/,
  );
  await assert.rejects(
    fx.archivist.replaceDailyPrices(FAST, [good]),
    /candles\[0\]\.stock_code: expected only candles of 035720/,
  );
  assert.equal(await fx.archivist.dailyPriceSpan(RISING), null);
  await assert.rejects(fx.archivist.regretReport({ thresholdPct: 0 }), /threshold_pct/);
  await assert.rejects(fx.archivist.scorecard({ from: "2026-11-02", to: "2026-11-01" }), /from/);
  await assert.rejects(fx.archivist.dailyPacket("2026-02-30"), /date: expected a KST date/);
});

Deno.test("outcomes: a day KIS's calendar closes moves T1…T20 of the entries around it", async () => {
  await using fx = await tempArchive({ now: NOW });
  await fx.archivist.upsertDailyPrices(history(RISING, LAST, SHAPES[RISING]));
  await fx.archivist.logDecisions(decisions([{
    stock_code: RISING,
    final_decision: "BUY",
    decided_at: "2026-10-13T10:00:00+09:00",
  }]));
  const t1 = async () => (await fx.archivist.listDecisionOutcomes({})).items[0].close_1d;
  assert.equal(await t1(), SHAPES[RISING](at("2026-10-14")).close);
  // KIS says 2026-10-14 was closed: T1 of 10-13 is 10-15 (whose candle is archived).
  await fx.archivist.saveMarketCalendar([{ tradeDate: "2026-10-14", isOpen: false }]);
  assert.equal(await t1(), SHAPES[RISING](at("2026-10-15")).close);
});

Deno.test("outcomes: daily candles and their outcomes commit in one savepoint of a shared group; a refresh that fails undoes its candles alone", async () => {
  await using fx = await tempArchive({ now: NOW, sync: "full" });
  const { archivist } = fx;
  await archivist.logDecisions(decisions([
    { stock_code: RISING, final_decision: "BUY", decided_at: "2026-10-13T10:00:00+09:00" },
    { stock_code: FALLING, final_decision: "SELL", decided_at: "2026-10-13T10:00:00+09:00" },
  ]));
  await archivist.refreshOutcomes();
  // Another connection makes the outcome update of FALLING fail, after its candles were written
  // in the same savepoint.
  const postgres = isPostgresLocation(fx.path);
  await queryOn(
    fx.path,
    postgres
      ? `CREATE FUNCTION refuse_falling() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
          IF NEW.stock_code = '${FALLING}' THEN RAISE EXCEPTION 'outcome refused'; END IF;
          RETURN NEW; END $$;
        CREATE TRIGGER refuse_falling BEFORE UPDATE ON decision_outcome
          FOR EACH ROW EXECUTE FUNCTION refuse_falling()`
      : `CREATE TRIGGER refuse_falling BEFORE UPDATE ON decision_outcome
          WHEN NEW.stock_code = '${FALLING}' BEGIN SELECT RAISE(ABORT, 'outcome refused'); END`,
  );
  const commitsBefore = archivist.writeStats.commits;
  const syncsBefore = archivist.writeStats.syncs;
  const [rising, falling, logged] = await Promise.allSettled([
    archivist.upsertDailyPrices(history(RISING, LAST, SHAPES[RISING])),
    archivist.upsertDailyPrices(history(FALLING, LAST, SHAPES[FALLING])),
    archivist.logDecisions(decisions([{ stock_code: FAST, final_decision: "HOLD" }])),
  ]);
  assert.equal(archivist.writeStats.commits - commitsBefore, 1, "the three writes shared a group");
  // PostgreSQL: the server flushes its log before the COMMIT returns.
  const syncs = postgres ? 0 : 1;
  assert.equal(archivist.writeStats.syncs - syncsBefore, syncs, "and one sync (full)");
  assert.equal(rising.status, "fulfilled");
  assert.equal(logged.status, "fulfilled");
  assert.equal(falling.status, "rejected");
  assert.match(String((falling as PromiseRejectedResult).reason), /outcome refused/);
  assert.equal(
    archivist.writeStatus.status,
    "ok",
    "a refused statement is not a fault of the file",
  );

  assert.deepEqual(await archivist.dailyPrices(FALLING, DAYS[0], LAST), [], "candles undone");
  assert.equal((await archivist.dailyPrices(RISING, DAYS[0], LAST)).length, at(LAST) + 1);
  const outcomes = async () =>
    new Map(
      (await archivist.listDecisionOutcomes({})).items.map((item) => [item.stock_code, item]),
    );
  const buy = expected(SHAPES[RISING], "2026-10-13");
  assert.deepEqual(pick((await outcomes()).get(RISING)!, OUTCOME_KEYS), buy);
  assert.equal((await outcomes()).get(FALLING)!.status, "pending");

  await queryOn(
    fx.path,
    postgres ? "DROP TRIGGER refuse_falling ON decision_outcome" : "DROP TRIGGER refuse_falling",
  );
  await archivist.upsertDailyPrices(history(FALLING, LAST, SHAPES[FALLING]));
  assert.deepEqual(
    pick((await outcomes()).get(FALLING)!, OUTCOME_KEYS),
    expected(SHAPES[FALLING], "2026-10-13"),
  );
});

Deno.test("outcomes: while writes fail, the outcome reads and reports serve what is stored instead of failing on the refresh", async () => {
  let syncs: "work" | "fail" = "work";
  await using fx = await tempArchive({
    now: NOW,
    sync: "full",
    persist: () =>
      syncs === "work" ? Promise.resolve() : Promise.reject(new Error("fdatasync: I/O error")),
  });
  const { archivist } = fx;
  await archivist.upsertDailyPrices(history(RISING, LAST, SHAPES[RISING]));
  syncs = "fail";
  // Stored, not synced: the refresh a read makes next fails its sync too.
  await assert.rejects(
    archivist.logDecisions(decisions([
      { stock_code: RISING, final_decision: "BUY", decided_at: "2026-10-13T10:00:00+09:00" },
    ])),
    /syncing it to the device failed/,
  );
  await archivist.logRejections([{ stock_code: RISING, logged_at: "2026-10-13T11:00:00+09:00" }])
    .catch(() => {});
  assert.equal(archivist.writeStatus.status, "failing");
  const [decision] = (await archivist.listDecisionOutcomes({})).items;
  assert.equal(decision.stock_code, RISING);
  assert.equal((await archivist.listRejectionOutcomes({})).items.length, 1);
  assert.equal((await archivist.regretReport()).rejections, 1);
  assert.equal(
    (await archivist.scorecard()).by_decision.find((row) => row.final_decision === "BUY")
      ?.decisions,
    1,
  );
  assert.equal((await archivist.decisionOutcomesOf([decision.log_id])).size, 1);
  assert.equal(
    (await archivist.browseDecisions({ outcomeStatus: "partial", page: 1, pageSize: 10 }))
      .total +
      (await archivist.browseDecisions({ outcomeStatus: "complete", page: 1, pageSize: 10 }))
        .total,
    1,
  );
  assert.equal((await archivist.dailyPacket("2026-10-13")).decisions, 1);
});
