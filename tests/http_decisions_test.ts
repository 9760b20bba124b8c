import assert from "node:assert/strict";
import {
  countEntries,
  ORIGINAL_DECISION,
  readProblem,
  startTestApi,
} from "./fixtures/http_harness.ts";

const NOW = new Date("2026-11-26T01:00:00Z"); // Thursday 10:00 KST, a trading day

Deno.test("POST /v1/decisions stores Scout's original dict and GET returns it", async () => {
  await using api = await startTestApi({ archivistNow: () => NOW });
  const response = await api.post("/v1/decisions", ORIGINAL_DECISION);
  assert.deepStrictEqual(response.status, 201);
  const created = await response.json();
  assert.deepStrictEqual(created, { ids: [1], trade_dates: ["2026-11-26"], count: 1 });

  const list = await (await api.request("/v1/decisions")).json();
  assert.deepStrictEqual(list.next_cursor, null);
  assert.deepStrictEqual(list.items.length, 1);
  const item = list.items[0];
  for (const [key, value] of Object.entries(ORIGINAL_DECISION)) {
    assert.deepStrictEqual(item[key], value, key);
  }
  assert.deepStrictEqual(item.dominant_keywords, ["반도체", "HBM"]);
  assert.deepStrictEqual(item.thinking_called, true);
  assert.deepStrictEqual(item.decided_at, NOW.toISOString());
  assert.deepStrictEqual(item.trade_date, "2026-11-26");
});

Deno.test("POST /v1/decisions: thinking_called 0/1, decided_at after the close, and arrays", async () => {
  await using api = await startTestApi({ archivistNow: () => NOW });
  const response = await api.post("/v1/decisions", [
    { ...ORIGINAL_DECISION, thinking_called: 0, decided_at: "2026-11-26T16:00:00+09:00" },
    { stock_code: "000660", final_decision: "NO_DECISION" },
  ]);
  assert.deepStrictEqual(response.status, 201);
  const created = await response.json();
  assert.deepStrictEqual(created.count, 2);
  assert.deepStrictEqual(created.trade_dates, ["2026-11-27", "2026-11-26"]);
  const items = (await (await api.request("/v1/decisions")).json()).items;
  assert.deepStrictEqual(items[0].thinking_called, false);
  assert.deepStrictEqual(items[0].decided_at, "2026-11-26T07:00:00.000Z");
  assert.deepStrictEqual(items[1].dominant_keywords, null);
});

Deno.test("POST /v1/decisions: one bad entry refuses the whole array, naming it", async () => {
  await using api = await startTestApi();
  const response = await api.post("/v1/decisions", [
    ORIGINAL_DECISION,
    ORIGINAL_DECISION,
    { ...ORIGINAL_DECISION, final_decision: "STRONG_BUY", surprise: 1 },
  ]);
  assert.deepStrictEqual(response.status, 400);
  const problem = await readProblem(response);
  assert.deepStrictEqual(problem.status, 400);
  assert.deepStrictEqual(problem.errors, [
    { field: "[2].final_decision", message: "expected one of BUY, SELL, HOLD, NO_DECISION" },
    { field: "[2].surprise", message: "unknown field; remove it or check its spelling" },
  ]);
  assert.deepStrictEqual((await countEntries(api.archivist)).decisions, 0);
});

Deno.test("POST /v1/decisions names a missing stock_code and a wrong type", async () => {
  await using api = await startTestApi();
  const response = await api.post("/v1/decisions", { final_decision: "BUY", hunter_score: "72" });
  const problem = await readProblem(response);
  assert.deepStrictEqual(problem.errors?.map((e) => e.field), ["stock_code", "hunter_score"]);
  assert.match(problem.errors![0].message, /required field is missing/);
  assert.match(problem.errors![1].message, /expected a number/);
});

Deno.test("GET /v1/decisions filters and pages", async () => {
  const clock = { now: new Date("2026-11-24T01:00:00Z") };
  await using api = await startTestApi({ archivistNow: () => clock.now });
  for (
    const [day, code, decision] of [
      ["24", "005930", "BUY"],
      ["24", "000660", "SELL"],
      ["25", "005930", "HOLD"],
      ["26", "005930", "BUY"],
      ["26", "035720", "BUY"],
    ] as const
  ) {
    clock.now = new Date(`2026-11-${day}T01:00:00Z`);
    const response = await api.post("/v1/decisions", {
      stock_code: code,
      final_decision: decision,
    });
    assert.deepStrictEqual(response.status, 201);
  }
  const codes = async (query: string) => {
    const response = await api.request(`/v1/decisions?${query}`);
    assert.deepStrictEqual(response.status, 200, query);
    return (await response.json()).items.map((i: { log_id: number }) => i.log_id);
  };
  assert.deepStrictEqual(await codes("stock_code=005930"), [1, 3, 4]);
  assert.deepStrictEqual(await codes("final_decision=BUY"), [1, 4, 5]);
  assert.deepStrictEqual(await codes("trade_date=2026-11-25"), [3]);
  assert.deepStrictEqual(await codes("from=2026-11-25&to=2026-11-25"), [3]);
  assert.deepStrictEqual(await codes("from=2026-11-25T10:00:00%2B09:00"), [3, 4, 5]);
  assert.deepStrictEqual(await codes("to=2026-11-24T01:00:00Z"), [1, 2]);

  const first = await (await api.request("/v1/decisions?limit=2")).json();
  assert.deepStrictEqual(first.items.map((i: { log_id: number }) => i.log_id), [1, 2]);
  assert.ok(first.next_cursor);
  const second = await (await api.request(`/v1/decisions?limit=2&cursor=${first.next_cursor}`))
    .json();
  assert.deepStrictEqual(second.items.map((i: { log_id: number }) => i.log_id), [3, 4]);
  const last = await (await api.request(`/v1/decisions?limit=2&cursor=${second.next_cursor}`))
    .json();
  assert.deepStrictEqual(last.items.map((i: { log_id: number }) => i.log_id), [5]);
  assert.deepStrictEqual(last.next_cursor, null);
});

Deno.test("GET /v1/decisions refuses bad filters with a problem per field", async () => {
  await using api = await startTestApi();
  const response = await api.request(
    "/v1/decisions?limit=0&final_decision=buy&from=yesterday&stock_code=5930&colour=red",
  );
  const problem = await readProblem(response);
  assert.deepStrictEqual(response.status, 400);
  assert.deepStrictEqual(problem.errors?.map((e) => e.field).sort(), [
    "colour",
    "final_decision",
    "from",
    "limit",
    "stock_code",
  ]);
  const cursor = await readProblem(await api.request("/v1/decisions?cursor=bm90LWEtY3Vyc29y"));
  assert.deepStrictEqual(cursor.errors, [{
    field: "cursor",
    message: "expected the next_cursor of a previous page",
  }]);
});

Deno.test("POST /v1/decisions accepts the original row's timestamp, trade_date and schema_v", async () => {
  await using api = await startTestApi({ archivistNow: () => NOW });
  const response = await api.post("/v1/decisions", [
    // Python's datetime.utcnow().isoformat(): naive, meaning UTC as the original stored it.
    { ...ORIGINAL_DECISION, timestamp: "2026-11-25T06:45:12.123456", schema_v: "1.0" },
    { ...ORIGINAL_DECISION, timestamp: "2026-11-25 16:45:00+09:00", trade_date: "2026-11-25" },
    {
      ...ORIGINAL_DECISION,
      timestamp: "2026-11-25T01:00:00Z",
      decided_at: "2026-11-25T10:30:00+09:00",
      schema_v: 2,
    },
  ]);
  assert.equal(response.status, 201, await response.clone().text());
  assert.deepStrictEqual((await response.json()).trade_dates, [
    "2026-11-26", // 15:45 KST: after the close, the next trading day
    "2026-11-25", // as Scout sent it, although 16:45 KST is after the close
    "2026-11-25",
  ]);
  const items = (await (await api.request("/v1/decisions")).json()).items;
  assert.deepStrictEqual(
    items.map((
      i: Record<string, unknown>,
    ) => [i.timestamp, i.decided_at, i.trade_date, i.schema_v]),
    [
      ["2026-11-25T06:45:12.123Z", "2026-11-25T06:45:12.123Z", "2026-11-26", "1.0"],
      ["2026-11-25T07:45:00.000Z", "2026-11-25T07:45:00.000Z", "2026-11-25", "1.0"],
      ["2026-11-25T01:00:00.000Z", "2026-11-25T01:30:00.000Z", "2026-11-25", "2"],
    ],
  );

  const bad = await api.post("/v1/decisions", {
    ...ORIGINAL_DECISION,
    timestamp: "yesterday",
    trade_date: "2026-02-30",
  });
  assert.equal(bad.status, 400);
  assert.deepStrictEqual(
    (await readProblem(bad)).errors!.map((e) => e.field).sort(),
    ["timestamp", "trade_date"],
  );
});
