import assert from "node:assert/strict";
import { ORIGINAL_DECISION, ORIGINAL_REJECTION, startTestApi } from "./fixtures/http_harness.ts";

const HOSTILE = [
  "'; DROP TABLE llm_decision_ledger; --",
  '" OR 1=1 --',
  "Robert'); DELETE FROM shadow_radar_log WHERE ('1'='1",
  "<script>alert('x')</script><img src=x onerror=alert(1)>",
  "&lt;b&gt; &amp; ]]> <!-- -->",
  "control \u0001 \u0007 \u001b[31m \u007f \t \r\n end",
  "line\u2028separator\u2029 and \u202eRTL override",
  "emoji 🚀📈👨‍👩‍👧‍👦 🇰🇷 ❤️",
  '{"json": ["inside", null]} \\ back\\slash %s %d ${x} {{7*7}}',
  "삼성전자 반도체 HBM 수요 증가, 외국인 순매수 지속. ".repeat(3000),
];

Deno.test("hostile strings inside valid bodies are stored and read back verbatim", async () => {
  await using api = await startTestApi();
  const decisions = HOSTILE.map((text, i) => ({
    ...ORIGINAL_DECISION,
    stock_name: text.slice(0, 200),
    debate_log: text,
    counter_position_logic: text,
    final_reason: text,
    dominant_keywords: [text.slice(0, 200), `#${i}`],
    run_id: text.slice(0, 200),
  }));
  const created = await api.post("/v1/decisions", decisions);
  assert.equal(created.status, 201);
  const rejections = HOSTILE.map((text) => ({
    ...ORIGINAL_REJECTION,
    rejection_reason: text,
    trigger_type: text.slice(0, 100),
  }));
  assert.equal((await api.post("/v1/shadow-radar", rejections)).status, 201);

  const stored = (await (await api.request("/v1/decisions")).json()).items;
  assert.equal(stored.length, HOSTILE.length);
  for (const [i, item] of stored.entries()) {
    for (const key of ["stock_name", "debate_log", "counter_position_logic", "final_reason"]) {
      assert.equal(item[key], decisions[i][key as keyof typeof decisions[number]], `${i} ${key}`);
    }
    assert.deepStrictEqual(item.dominant_keywords, decisions[i].dominant_keywords);
  }
  const shadows = (await (await api.request("/v1/shadow-radar")).json()).items;
  assert.deepStrictEqual(
    shadows.map((s: { rejection_reason: string }) => s.rejection_reason),
    HOSTILE,
  );
  // The tables are intact after the SQL fragments.
  assert.equal((await api.archivist.listDecisions({})).items.length, HOSTILE.length);
});

Deno.test("a NUL character is refused with its field, not stored cut short", async () => {
  await using api = await startTestApi();
  const response = await api.post("/v1/decisions", [
    ORIGINAL_DECISION,
    { ...ORIGINAL_DECISION, debate_log: "before\u0000after" },
  ]);
  assert.equal(response.status, 400);
  const problem = await response.json();
  assert.deepStrictEqual(problem.errors.map((e: { field: string }) => e.field), ["[1].debate_log"]);
  assert.equal((await api.archivist.listDecisions({})).items.length, 0);
});

Deno.test("malformed UTF-8 is refused with 400 naming the field, never stored as U+FFFD", async () => {
  await using api = await startTestApi();
  const json = JSON.stringify([
    ORIGINAL_DECISION,
    { ...ORIGINAL_DECISION, final_reason: "before@@after", stock_name: "삼성@@" },
  ]);
  const bytes = new TextEncoder().encode(json);
  // "@@" becomes 0xC3 0x28: a lead byte whose continuation is missing.
  const bad = [...bytes].flatMap((b, i) =>
    b === 0x40 && bytes[i + 1] === 0x40
      ? [0xC3]
      : b === 0x40 && bytes[i - 1] === 0x40
      ? [0x28]
      : [b]
  );
  const response = await api.request("/v1/decisions", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: new Uint8Array(bad),
  });
  assert.equal(response.status, 400);
  const problem = await response.json();
  assert.deepStrictEqual(
    problem.errors.map((e: { field: string }) => e.field),
    ["[1].stock_name", "[1].final_reason"],
  );
  assert.match(problem.errors[0].message, /not valid UTF-8/);
  assert.equal((await api.archivist.listDecisions({})).items.length, 0);

  // A real U+FFFD sent as UTF-8 is a character like any other, and is kept.
  const replacement = { ...ORIGINAL_DECISION, final_reason: "kept \uFFFD as sent" };
  assert.equal((await api.post("/v1/decisions", replacement)).status, 201);
  const stored = (await api.archivist.listDecisions({})).items;
  assert.equal(stored[0].final_reason, "kept \uFFFD as sent");
});

Deno.test("a body with a million mistakes gets a short answer: the first 20 and a count", async () => {
  await using api = await startTestApi();
  // Under 1 MiB: 1000 entries, each with 100 unknown keys.
  const entry = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`x${i}`, 1]));
  const body = Array.from({ length: 1000 }, () => ({ stock_code: "005930", ...entry }));
  assert.ok(JSON.stringify(body).length > 500_000);
  const response = await api.post("/v1/decisions", body);
  assert.equal(response.status, 400);
  const text = await response.text();
  assert.ok(text.length < 5_000, `answer of ${text.length} bytes`);
  const problem = JSON.parse(text);
  assert.equal(problem.errors.length, 20);
  // 100 unknown keys and the missing final_decision, in each of the 1000 entries.
  assert.equal(problem.error_count, 101_000);
  assert.match(problem.detail, /101000 fields are invalid \(the first 20 are listed\)/);
  assert.deepStrictEqual(problem.errors.slice(0, 2).map((e: { field: string }) => e.field), [
    "[0].final_decision",
    "[0].x0",
  ]);
});
