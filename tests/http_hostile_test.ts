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
