import assert from "node:assert/strict";
import { spawnStandaloneApi } from "../src/http/standalone.ts";
import { tempDir } from "./helpers.ts";

/** A field of /proc/<pid>/status in MiB (Linux). */
function statusMiB(pid: number, field: string): number {
  const line = Deno.readTextFileSync(`/proc/${pid}/status`).split("\n")
    .find((l) => l.startsWith(`${field}:`));
  return Number(/(\d+) kB/.exec(line ?? "")?.[1] ?? NaN) / 1024;
}

Deno.test({
  name:
    "memory stays bounded when 16 bodies of 1 MB full of mistakes arrive at once, again and again",
  ignore: Deno.build.os !== "linux",
  async fn() {
    await using dir = await tempDir();
    const api = await spawnStandaloneApi(`${dir.path}/archive.db`);
    try {
      const entry = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`x${i}`, 1]));
      const body = JSON.stringify(
        Array.from({ length: 1000 }, () => ({ stock_code: "005930", ...entry })),
      );
      const before = statusMiB(api.process.pid, "VmRSS");
      for (let round = 0; round < 3; round++) {
        const answers = await Promise.all(Array.from({ length: 16 }, async () => {
          const response = await fetch(`${api.url}/v1/decisions`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body,
          });
          return { status: response.status, bytes: (await response.text()).length };
        }));
        assert.ok(answers.every((a) => a.status === 400 && a.bytes < 5_000));
      }
      const peak = statusMiB(api.process.pid, "VmHWM");
      // Before: every problem listed (10 MB answers) and all 16 at once, 980 MiB. Now about 300.
      assert.ok(peak - before < 400, `peak ${Math.round(peak)} MiB from ${Math.round(before)} MiB`);
    } finally {
      api.process.kill("SIGTERM");
      await api.process.status;
    }
  },
});
