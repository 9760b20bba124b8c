import assert from "node:assert/strict";
import {
  countEntries,
  ORIGINAL_REJECTION,
  readProblem,
  startTestApi,
} from "./fixtures/http_harness.ts";

const NOW = new Date("2026-11-26T01:00:00Z");

Deno.test("POST /v1/shadow-radar stores Scout's original dict and GET returns it", async () => {
  await using api = await startTestApi({ archivistNow: () => NOW });
  const response = await api.post("/v1/shadow-radar", ORIGINAL_REJECTION);
  assert.equal(response.status, 201);
  assert.deepStrictEqual(await response.json(), {
    ids: [1],
    trade_dates: ["2026-11-26"],
    count: 1,
  });
  const list = await (await api.request("/v1/shadow-radar")).json();
  assert.equal(list.items.length, 1);
  for (const [key, value] of Object.entries(ORIGINAL_REJECTION)) {
    assert.deepStrictEqual(list.items[0][key], value, key);
  }
  assert.equal(list.items[0].logged_at, NOW.toISOString());
});

Deno.test("GET /v1/shadow-radar filters by rejection_stage and stock_code", async () => {
  await using api = await startTestApi({ archivistNow: () => NOW });
  const created = await api.post("/v1/shadow-radar", [
    ORIGINAL_REJECTION,
    {
      stock_code: "005930",
      rejection_stage: "HUNTER",
      trigger_type: "FILTER_REJECT",
      hunter_score_at_time: 41,
      logged_at: "2026-11-25T09:00:00+09:00",
    },
  ]);
  assert.equal(created.status, 201);
  const ids = async (query: string) =>
    (await (await api.request(`/v1/shadow-radar?${query}`)).json()).items.map((
      i: { log_id: number },
    ) => i.log_id);
  assert.deepStrictEqual(await ids("rejection_stage=HUNTER"), [2]);
  assert.deepStrictEqual(await ids("stock_code=000660"), [1]);
  assert.deepStrictEqual(await ids("trade_date=2026-11-25"), [2]);
  const bad = await readProblem(await api.request("/v1/shadow-radar?rejection_stage=SCOUT"));
  assert.deepStrictEqual(bad.errors, [
    { field: "rejection_stage", message: "expected one of HUNTER, GATE, JUDGE" },
  ]);
});

Deno.test("POST /v1/shadow-radar refuses a bad rejection_stage and stores nothing", async () => {
  await using api = await startTestApi();
  const response = await api.post("/v1/shadow-radar", [
    ORIGINAL_REJECTION,
    { ...ORIGINAL_REJECTION, rejection_stage: "LATER", trigger_value: "58.2" },
  ]);
  const problem = await readProblem(response);
  assert.equal(response.status, 400);
  assert.deepStrictEqual(problem.errors?.map((e) => e.field), [
    "[1].rejection_stage",
    "[1].trigger_value",
  ]);
  assert.equal((await countEntries(api.archivist)).rejections, 0);
});

Deno.test("POST /v1/shadow-radar accepts the original row's timestamp, trade_date and schema_v", async () => {
  await using api = await startTestApi();
  const response = await api.post("/v1/shadow-radar", {
    ...ORIGINAL_REJECTION,
    timestamp: "2026-11-24T23:50:00",
    trade_date: "2026-11-25",
    schema_v: "1.1",
  });
  assert.equal(response.status, 201);
  const [item] = (await (await api.request("/v1/shadow-radar")).json()).items;
  assert.deepStrictEqual(
    [item.timestamp, item.logged_at, item.trade_date, item.schema_v],
    ["2026-11-24T23:50:00.000Z", "2026-11-24T23:50:00.000Z", "2026-11-25", "1.1"],
  );
});
