import assert from "node:assert/strict";
import { createApp } from "../src/http/app.ts";
import { AllowedHosts } from "../src/http/host_check.ts";
import { Archivist } from "../db/archivist.ts";
import { readProblem, startTestApi } from "./fixtures/http_harness.ts";

const NOW = new Date("2026-11-26T08:00:00Z"); // 17:00 KST

Deno.test("PUT /v1/watchlist replaces the active list; GET shows it", async () => {
  await using api = await startTestApi({ archivistNow: () => NOW });
  const put = (body: unknown) =>
    api.request("/v1/watchlist", {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
  let response = await put([
    { stock_code: "005930", stock_name: "삼성전자" },
    { stock_code: "000660", stock_name: "SK하이닉스" },
  ]);
  assert.equal(response.status, 200);
  let body = await response.json();
  assert.equal(body.inserted, 2);
  response = await put([{ stock_code: "005930", stock_name: "삼성전자" }]);
  body = await response.json();
  assert.deepStrictEqual(
    { unchanged: body.unchanged, deactivated: body.deactivated },
    { unchanged: 1, deactivated: 1 },
  );
  const active = await (await api.request("/v1/watchlist")).json();
  assert.deepStrictEqual(active.items.map((i: { stock_code: string }) => i.stock_code), ["005930"]);
  assert.equal(active.items[0].is_active, true);
  const all = await (await api.request("/v1/watchlist?include_inactive=true")).json();
  assert.deepStrictEqual(
    all.items.map((i: { stock_code: string; is_active: boolean }) => [i.stock_code, i.is_active]),
    [["000660", false], ["005930", true]],
  );
  const bad = await readProblem(await put([{ stock_code: "삼성", stock_name: 5 }]));
  assert.deepStrictEqual(bad.errors?.map((e) => e.field), ["[0].stock_code", "[0].stock_name"]);
  assert.equal((await api.archivist.watchlist()).length, 1);
});

Deno.test("GET /v1/minute-bars/{code} returns the day ascending with KST times", async () => {
  await using api = await startTestApi();
  const at = (hhmm: string) => Date.parse(`2026-11-26T${hhmm}:00+09:00`) / 1000;
  await api.archivist.upsertMinuteBars([
    {
      stock_code: "005930",
      bar_time: at("09:01"),
      open: 101,
      high: 103,
      low: 100,
      close: 102,
      volume: 7,
      value: 714,
    },
    {
      stock_code: "005930",
      bar_time: at("09:00"),
      open: 100,
      high: 101,
      low: 99,
      close: 101,
      volume: 5,
      value: 500,
    },
    {
      stock_code: "005930",
      bar_time: at("09:00") + 86_400,
      open: 1,
      high: 1,
      low: 1,
      close: 1,
      volume: 1,
      value: 1,
    },
  ]);
  const response = await api.request("/v1/minute-bars/005930?date=2026-11-26");
  assert.equal(response.status, 200);
  const body = await response.json();
  assert.equal(body.count, 2);
  assert.deepStrictEqual(body.bars[0], {
    bar_time: at("09:00"),
    time_kst: "2026-11-26T09:00:00+09:00",
    open: 100,
    high: 101,
    low: 99,
    close: 101,
    volume: 5,
    value: 500,
  });
  assert.equal(body.bars[1].time_kst, "2026-11-26T09:01:00+09:00");
  for (const query of ["", "?date=2026-02-30", "?date=26-11-2026"]) {
    const problem = await readProblem(await api.request(`/v1/minute-bars/005930${query}`));
    assert.equal(problem.status, 400);
    assert.equal(problem.errors?.[0].field, "date");
  }
  const code = await readProblem(await api.request("/v1/minute-bars/abc?date=2026-11-26"));
  assert.equal(code.errors?.[0].field, "code");
});

Deno.test("GET /v1/market-flow/{code} returns daily rows with units", async () => {
  await using api = await startTestApi({ now: () => NOW });
  await api.archivist.upsertFlowSnapshots([
    {
      stock_code: "005930",
      trade_date: "2026-11-25",
      close_price: 71000,
      volume: 1000,
      individual_net_buy: -10,
      foreign_net_buy: 20,
      institution_net_buy: -10,
      program_net_buy: 5,
      individual_net_buy_value: -710000,
      foreign_net_buy_value: 1420000,
      institution_net_buy_value: -710000,
      program_net_buy_value: 355000,
    },
    {
      stock_code: "005930",
      trade_date: "2026-10-01",
      close_price: 1,
      volume: 1,
      individual_net_buy: null,
      foreign_net_buy: null,
      institution_net_buy: null,
      program_net_buy: null,
      individual_net_buy_value: null,
      foreign_net_buy_value: null,
      institution_net_buy_value: null,
      program_net_buy_value: null,
    },
  ]);
  const body = await (await api.request("/v1/market-flow/005930")).json();
  assert.deepStrictEqual(body.units, { quantity: "shares", value: "KRW", price: "KRW" });
  assert.deepStrictEqual([body.from, body.to], ["2026-10-27", "2026-11-26"]);
  assert.equal(body.rows.length, 1);
  assert.equal(body.rows[0].foreign_net_buy_value, 1420000);
  const wide = await (await api.request("/v1/market-flow/005930?from=2026-09-01&to=2026-11-30"))
    .json();
  assert.deepStrictEqual(wide.rows.map((r: { trade_date: string }) => r.trade_date), [
    "2026-10-01",
    "2026-11-25",
  ]);
  const reversed = await readProblem(
    await api.request("/v1/market-flow/005930?from=2026-11-30&to=2026-11-01"),
  );
  assert.equal(reversed.errors?.[0].field, "from");
});

Deno.test("GET /v1/runs lists runs with their failures; /health shows the last ones", async () => {
  await using api = await startTestApi({
    collection: () => ({ enabled: false, reason: "KIS credentials are not set" }),
  });
  const runId = await api.archivist.startRun({
    job: "intraday",
    tradeDate: "2026-11-26",
    trigger: "manual",
    stocksTotal: 2,
  });
  await api.archivist.recordRunFailure(runId, "000660", "EGW00201 rate limited");
  await api.archivist.finishRun(runId, {
    status: "partial",
    stocksDone: 1,
    stocksFailed: 1,
    rowsWritten: 381,
    kisCalls: 30,
  });
  const runs = await (await api.request("/v1/runs?job=intraday&limit=5")).json();
  assert.equal(runs.items.length, 1);
  assert.equal(runs.items[0].status, "partial");
  assert.deepStrictEqual(runs.items[0].failures, [
    { stock_code: "000660", error: "EGW00201 rate limited" },
  ]);
  assert.equal((await (await api.request("/v1/runs?job=flow")).json()).items.length, 0);
  assert.equal((await readProblem(await api.request("/v1/runs?job=weekly"))).status, 400);

  const health = await api.request("/health");
  assert.equal(health.status, 200);
  const body = await health.json();
  assert.equal(body.status, "ok");
  assert.equal(body.database, "ok");
  assert.equal(typeof body.schema_version, "number");
  assert.equal(body.last_runs.intraday.run_id, runId);
  assert.deepStrictEqual(body.collection, {
    enabled: false,
    reason: "KIS credentials are not set",
  });
  // How far the trading calendar is known (a warning appears within 30 days of its end).
  assert.equal(body.calendar.known_through, "2027-12-31");
});

Deno.test("GET /health answers 503 when the database is unreachable", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const archivist = await Archivist.open(`${dir}/a.db`);
    const app = createApp({ archivist, hosts: new AllowedHosts("127.0.0.1") });
    await archivist.close();
    const response = await app.request("/health");
    assert.equal(response.status, 503);
    const body = await response.json();
    assert.deepStrictEqual([body.status, body.database], ["unavailable", "unreachable"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("GET /openapi.json documents every route from the zod schemas", async () => {
  await using api = await startTestApi();
  const doc = await (await api.request("/openapi.json")).json();
  assert.equal(doc.openapi, "3.1.0");
  assert.deepStrictEqual(Object.keys(doc.paths).sort(), [
    "/health",
    "/metrics",
    "/openapi.json",
    "/v1/daily-prices/{code}",
    "/v1/decisions",
    "/v1/market-flow/{code}",
    "/v1/minute-bars/{code}",
    "/v1/outcomes/decisions",
    "/v1/outcomes/rejections",
    "/v1/ping",
    "/v1/reports/daily-packet",
    "/v1/reports/regret",
    "/v1/reports/scorecard",
    "/v1/runs",
    "/v1/shadow-radar",
    "/v1/watchlist",
  ]);
  const decision = doc.components.schemas.DecisionEntry;
  assert.deepStrictEqual(decision.properties.final_decision.enum, [
    "BUY",
    "SELL",
    "HOLD",
    "NO_DECISION",
  ]);
  assert.equal(decision.additionalProperties, false);
  const body = doc.paths["/v1/decisions"].post.requestBody.content["application/json"].schema;
  assert.equal(body.anyOf.length, 2);
  assert.ok(
    doc.paths["/v1/decisions"].post.parameters.some((p: { name: string }) =>
      p.name === "Idempotency-Key"
    ),
  );
});

Deno.test("dates and instants beyond the years a trading day can have are 400s naming the field, on every read", async () => {
  await using api = await startTestApi({ now: () => NOW });
  const cases: [string, string][] = [
    ["/v1/decisions?to=9999-12-31", "to"],
    ["/v1/decisions?from=9999-12-31T23:00:00Z", "from"],
    ["/v1/shadow-radar?trade_date=9999-12-31", "trade_date"],
    ["/v1/outcomes/decisions?to=9999-12-31", "to"],
    ["/v1/outcomes/rejections?from=0001-01-01", "from"],
    ["/v1/reports/regret?to=9999-12-31", "to"],
    ["/v1/reports/scorecard?from=9999-12-30", "from"],
    ["/v1/reports/daily-packet?date=9999-12-31", "date"],
    ["/v1/minute-bars/005930?date=9999-12-31", "date"],
    ["/v1/market-flow/005930?to=9999-12-31", "to"],
    ["/v1/daily-prices/005930?to=9999-12-31", "to"],
  ];
  for (const [path, field] of cases) {
    const problem = await readProblem(await api.request(path));
    assert.equal(problem.status, 400, `${path}: ${JSON.stringify(problem)}`);
    assert.ok(JSON.stringify(problem).includes(`"${field}"`), `${path} names ${field}`);
  }
});
