import assert from "node:assert/strict";
import { ORIGINAL_DECISION, readProblem, startTestApi } from "./fixtures/http_harness.ts";
import { holdWriteLock } from "./fixtures/lock_holder.ts";
import { isPostgresLocation } from "./helpers.ts";

const HOLD_SECONDS = 3;

async function timed(request: Promise<Response>): Promise<{ ms: number; status: number }> {
  const started = performance.now();
  const response = await request;
  await response.body?.cancel();
  return { ms: performance.now() - started, status: response.status };
}

Deno.test("another process holding the write lock: health and reads answer at once, writes wait, then 503 with Retry-After; none lost", async () => {
  await using api = await startTestApi({ archive: { lockTimeoutMs: 1_000 } });
  assert.equal((await api.post("/v1/decisions", ORIGINAL_DECISION)).status, 201);
  const holder = await holdWriteLock(api.dbPath, HOLD_SECONDS);
  try {
    // Writes wait for the lock without freezing anything.
    const first = api.post("/v1/decisions", { ...ORIGINAL_DECISION, final_reason: "first" }, {
      "idempotency-key": "first-try",
    });
    const probes: number[] = [];
    for (let i = 0; i < 8; i++) {
      for (const path of ["/health", "/v1/decisions?limit=5", "/openapi.json"]) {
        const probe = await timed(api.request(path));
        assert.notEqual(probe.status, 500);
        probes.push(probe.ms);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    probes.sort((a, b) => a - b);
    assert.ok(probes[Math.floor(probes.length / 2)] < 100, `median ${probes[12]} ms`);
    assert.ok(probes.at(-1)! < 1_000, `slowest ${probes.at(-1)} ms`);

    const refused = await first;
    assert.equal(refused.status, 503);
    assert.equal(refused.headers.get("retry-after"), "1");
    const problem = await readProblem(refused);
    assert.equal(problem.type, "/problems/archive-unavailable");
    assert.match(problem.detail, /write lock.*nothing of it was stored/);

    // A write sent shortly before the lock is released waits for it and is stored.
    const left = HOLD_SECONDS * 1000 - (performance.now() - holder.lockedAt);
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, left - 600)));
    const patient = await api.post("/v1/decisions", {
      ...ORIGINAL_DECISION,
      final_reason: "patient",
    });
    assert.equal(patient.status, 201);
  } finally {
    await holder.done;
  }
  // The refused write, retried with its key, is stored once.
  const retry = await api.post("/v1/decisions", { ...ORIGINAL_DECISION, final_reason: "first" }, {
    "idempotency-key": "first-try",
  });
  assert.equal(retry.status, 201);
  assert.equal(retry.headers.get("idempotent-replayed"), null);
  const reasons = (await api.archivist.listDecisions({})).items.map((d) => d.final_reason);
  assert.deepStrictEqual(reasons, ["...", "patient", "first"]);
  const health = await (await api.request("/health")).json();
  assert.equal(health.status, "ok", "a held lock is not a fault of the archive");
});

Deno.test("another process holding the write lock: outcome reads and reports answer at once, as stored, and catch up after", async () => {
  await using api = await startTestApi({ archive: { lockTimeoutMs: 1_000 } });
  // A new entry: the next read would give it its outcome row, a write.
  assert.equal((await api.post("/v1/decisions", ORIGINAL_DECISION)).status, 201);
  const holder = await holdWriteLock(api.dbPath, HOLD_SECONDS);
  const probes: number[] = [];
  try {
    for (let i = 0; i < 3; i++) {
      for (
        const path of [
          "/v1/outcomes/decisions",
          "/v1/outcomes/rejections",
          "/v1/reports/scorecard",
          "/v1/reports/regret",
        ]
      ) {
        const started = performance.now();
        const response = await api.request(path);
        probes.push(performance.now() - started);
        const body = await response.text();
        assert.equal(response.status, 200, `${path}: ${body}`);
        if (path === "/v1/outcomes/decisions") {
          const items = JSON.parse(body).items as { status: string }[];
          assert.deepStrictEqual(items.map((item) => item.status), ["pending"]);
        }
      }
    }
  } finally {
    await holder.done;
  }
  // On PostgreSQL a lock wait never blocks the process; a read waits out the server's lock_timeout.
  if (!isPostgresLocation(api.dbPath)) {
    probes.sort((a, b) => a - b);
    assert.ok(probes[Math.floor(probes.length / 2)] < 100, `median ${probes.join(", ")} ms`);
    assert.ok(probes.at(-1)! < 1_000, `slowest ${probes.at(-1)} ms`);
  }
  // Once the lock is released, a read catches the outcomes up.
  assert.equal((await api.request("/v1/outcomes/decisions")).status, 200);
  assert.equal(await api.archivist.refreshOutcomes(), 0, "no entry is left without its outcome");
  const health = await (await api.request("/health")).json();
  assert.equal(health.status, "ok");
});
