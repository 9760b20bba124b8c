import assert from "node:assert/strict";
import { Archivist } from "../db/archivist.ts";
import { spawnStandaloneApi } from "../src/http/standalone.ts";
import { ORIGINAL_DECISION } from "./fixtures/http_harness.ts";

const N = 40;

Deno.test("every acknowledged decision survives a SIGKILL right after the last 2xx", async () => {
  const dir = await Deno.makeTempDir({ prefix: "archivist-durability-" });
  const dbPath = `${dir}/archive.db`;
  try {
    const first = await spawnStandaloneApi(dbPath);
    const acknowledged: number[] = [];
    try {
      for (let i = 0; i < N; i++) {
        const response = await fetch(`${first.url}/v1/decisions`, {
          method: "POST",
          headers: { "content-type": "application/json", "idempotency-key": `durable-${i}` },
          body: JSON.stringify({ ...ORIGINAL_DECISION, final_reason: `decision ${i}` }),
        });
        assert.equal(response.status, 201);
        acknowledged.push(...(await response.json()).ids);
      }
    } finally {
      first.process.kill("SIGKILL");
    }
    assert.equal((await first.process.status).signal, "SIGKILL");

    const second = await spawnStandaloneApi(dbPath);
    try {
      const response = await fetch(`${second.url}/v1/decisions?limit=1000`);
      const items: { log_id: number; final_reason: string }[] = (await response.json()).items;
      assert.deepStrictEqual(items.map((i) => i.log_id), acknowledged);
      assert.deepStrictEqual(
        items.map((i) => i.final_reason),
        acknowledged.map((_, i) => `decision ${i}`),
      );
      // A retry of the last request after the crash is a replay, not a second row.
      const retry = await fetch(`${second.url}/v1/decisions`, {
        method: "POST",
        headers: { "content-type": "application/json", "idempotency-key": `durable-${N - 1}` },
        body: JSON.stringify({ ...ORIGINAL_DECISION, final_reason: `decision ${N - 1}` }),
      });
      assert.equal(retry.headers.get("idempotent-replayed"), "true");
      assert.deepStrictEqual((await retry.json()).ids, [acknowledged[N - 1]]);
    } finally {
      second.process.kill("SIGTERM");
      await second.process.status;
    }
    await using archivist = await Archivist.open(dbPath);
    assert.equal((await archivist.listDecisions({ limit: 1000 })).items.length, N);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
