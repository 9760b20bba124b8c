import assert from "node:assert/strict";
import { decisionEntrySchema } from "../db/entries.ts";
import type { DailyPrice } from "../db/schema.ts";
import { isKrxTradingDay } from "../src/calendar.ts";
import { datesBetween } from "../src/time.ts";
import { readProblem, startTestApi, type TestApi } from "./fixtures/http_harness.ts";

const DAYS = datesBetween("2026-09-01", "2026-11-20").filter(isKrxTradingDay);

/** A rising stock, a decision and a rejection on it, and one of each awaiting candles. */
async function seed(api: TestApi): Promise<void> {
  const candles: DailyPrice[] = DAYS.map((trade_date, i) => ({
    stock_code: "005930",
    trade_date,
    open: 50_000 + 100 * i,
    high: 50_600 + 100 * i,
    low: 49_700 + 100 * i,
    close: 50_000 + 100 * i,
    volume: 1_000_000,
    value: 1_000_000 * (50_000 + 100 * i),
  }));
  await api.archivist.upsertDailyPrices(candles);
  await api.archivist.logDecisions(
    ["BUY", "SELL", "HOLD"].map((final_decision, i) =>
      decisionEntrySchema.parse({
        stock_code: "005930",
        stock_name: "삼성전자",
        final_decision,
        hunter_score: 60 + 10 * i,
        decided_at: `2026-10-1${3 + i}T10:00:00+09:00`,
      })
    ),
  );
  await api.archivist.logRejections([
    { stock_code: "005930", rejection_stage: "HUNTER", logged_at: "2026-10-13T09:00:00+09:00" },
    { stock_code: "000660", rejection_stage: "JUDGE", logged_at: "2026-11-19T09:00:00+09:00" },
  ]);
}

Deno.test("GET /v1/outcomes/*: the Archivist's outcomes, filtered and paged", async () => {
  await using api = await startTestApi();
  await seed(api);
  const decisions = await (await api.request("/v1/outcomes/decisions")).json();
  assert.deepEqual(decisions.items, [...(await api.archivist.listDecisionOutcomes({})).items]);
  // 2026-10-13 is trading day 26 from 09-01: reference 52,600; T5 (10-20) closes 53,100.
  assert.equal(decisions.items[0].ret_5d_pct, (53_100 / 52_600 - 1) * 100);
  assert.ok(decisions.items.every((i: { status: string }) => i.status === "complete"));
  assert.equal(decisions.items[1].edge_5d_pct, -decisions.items[1].ret_5d_pct);
  assert.equal(decisions.items[2].edge_5d_pct, null);

  const page = await (await api.request("/v1/outcomes/decisions?limit=2")).json();
  assert.equal(page.items.length, 2);
  const rest =
    await (await api.request(`/v1/outcomes/decisions?limit=2&cursor=${page.next_cursor}`))
      .json();
  assert.deepEqual(rest.items.map((i: { log_id: number }) => i.log_id), [3]);
  assert.equal(rest.next_cursor, null);

  const sells = await (await api.request("/v1/outcomes/decisions?final_decision=SELL")).json();
  assert.deepEqual(sells.items.map((i: { log_id: number }) => i.log_id), [2]);

  const rejections = await (await api.request("/v1/outcomes/rejections?threshold_pct=1")).json();
  assert.equal(rejections.threshold_pct, 1);
  assert.deepEqual(rejections.items.map((i: { regret: boolean | null }) => i.regret), [true, null]);
  const pending = await (await api.request("/v1/outcomes/rejections?status=pending")).json();
  assert.deepEqual(pending.items.map((i: { stock_code: string }) => i.stock_code), ["000660"]);
  const byStock = await (await api.request("/v1/outcomes/rejections?stock_code=000660")).json();
  assert.equal(byStock.items.length, 1);
});

Deno.test("GET /v1/reports/*: regret, scorecard and the daily packet", async () => {
  await using api = await startTestApi({ regretThresholdPct: 1 });
  await seed(api);
  const regret = await (await api.request("/v1/reports/regret")).json();
  assert.deepEqual(
    regret,
    JSON.parse(JSON.stringify(
      await api.archivist.regretReport({ thresholdPct: 1 }),
    )),
  );
  assert.equal(regret.threshold_pct, 1, "the service's configured threshold is the default");
  assert.equal(regret.regrets, 1);
  const strict = await (await api.request("/v1/reports/regret?threshold_pct=10")).json();
  assert.equal(strict.regrets, 0);

  const card = await (await api.request("/v1/reports/scorecard?from=2026-10-01&to=2026-10-31"))
    .json();
  assert.deepEqual(card.by_decision.map((d: { decisions: number }) => d.decisions), [1, 1, 1, 0]);
  assert.equal(card.from, "2026-10-01");

  const packet = await (await api.request("/v1/reports/daily-packet?date=2026-10-13")).json();
  assert.deepEqual(
    [packet.veto_count, packet.decisions, packet.no_trade_ratio],
    [1, 1, 0.5],
  );
  assert.equal(packet.cases[0].case, "NORMAL");

  const candles = await (await api.request("/v1/daily-prices/005930?from=2026-11-19")).json();
  assert.equal(candles.units.price, "KRW");
  assert.deepEqual(candles.candles.map((c: { trade_date: string }) => c.trade_date), [
    "2026-11-19",
    "2026-11-20",
  ]);
});

Deno.test("outcome and report routes: bad query values are problem+json 400s naming the field", async () => {
  await using api = await startTestApi();
  const cases: [string, string[]][] = [
    ["/v1/outcomes/decisions?status=done", ["status"]],
    ["/v1/outcomes/decisions?limit=1001", ["limit"]],
    ["/v1/outcomes/decisions?final_decision=MAYBE&stock_code=5930", [
      "final_decision",
      "stock_code",
    ]],
    ["/v1/outcomes/decisions?cursor=bogus", ["cursor"]],
    ["/v1/outcomes/decisions?from=2026-11-02&to=2026-11-01", ["from"]],
    ["/v1/outcomes/rejections?threshold_pct=abc", ["threshold_pct"]],
    ["/v1/outcomes/rejections?rejection_stage=RISK&colour=red", ["colour", "rejection_stage"]],
    ["/v1/reports/regret?threshold_pct=0", ["threshold_pct"]],
    ["/v1/reports/regret?from=yesterday", ["from"]],
    ["/v1/reports/scorecard?to=2026-02-30", ["to"]],
    ["/v1/reports/scorecard?from=2026-12-01&to=2026-11-01", ["from"]],
    ["/v1/reports/daily-packet", ["date"]],
    ["/v1/reports/daily-packet?date=26-11-2026", ["date"]],
    ["/v1/daily-prices/005930?from=2026-12-01&to=2026-11-01", ["from"]],
  ];
  for (const [path, fields] of cases) {
    const response = await api.request(path);
    assert.equal(response.status, 400, path);
    const problem = await readProblem(response);
    assert.deepEqual(problem.errors?.map((e) => e.field).sort(), fields, path);
    assert.ok(problem.errors?.every((e) => e.message.length > 5), path);
  }
});

Deno.test("/openapi.json documents the outcome fields with their units", async () => {
  await using api = await startTestApi();
  const doc = await (await api.request("/openapi.json")).json();
  const schemas = doc.components.schemas;
  const decision = schemas.DecisionOutcome.properties;
  assert.match(decision.ret_5d_pct.description, /percent/);
  assert.match(decision.reference_close.description, /KRW/);
  assert.match(decision.edge_1d_pct.description, /SELL/);
  const rejection = schemas.RejectionOutcome.properties;
  assert.match(rejection.mean_volume_20d.description, /shares/);
  assert.match(rejection.regret.description, /threshold_pct/);
  assert.ok(schemas.RegretReport && schemas.Scorecard && schemas.DailyPacket && schemas.DailyPrice);
  assert.match(schemas.Scorecard.properties.by_score_bucket.description, /hunter-score/);
  for (const path of ["/v1/reports/regret", "/v1/outcomes/rejections"]) {
    const threshold = doc.paths[path].get.parameters.find((p: { name: string }) =>
      p.name === "threshold_pct"
    );
    assert.match(threshold.schema.description ?? threshold.description, /percent/);
  }
});
