import assert from "node:assert/strict";
import { type CommandResult, runCli, tempDir } from "./helpers.ts";

async function schedule(env: Record<string, string>): Promise<CommandResult> {
  await using dir = await tempDir();
  return await runCli("src/cli/schedule.ts", [], { cwd: dir.path, env });
}

Deno.test("schedule CLI: each job's KST schedule, Deno.cron UTC expression and next KST run", async () => {
  const { code, stdout, stderr } = await schedule({
    ARCHIVIST_FLOW_TIME_KST: "08:30",
    ARCHIVIST_INTRADAY_TIME_KST: "16:05",
  });
  assert.equal(code, 0, stderr);
  const lines = stdout.split("\n");
  const flow = lines.find((l) => l.startsWith("flow"))!;
  const intraday = lines.find((l) => l.startsWith("intraday"))!;
  assert.match(
    flow,
    /^flow\s+08:30 Mon–Fri\s+30 23 \* \* 0-4\s+\d{4}-\d{2}-\d{2}T08:30:00\+09:00$/,
  );
  assert.match(
    intraday,
    /^intraday\s+16:05 Mon–Fri\s+5 7 \* \* 1-5\s+\d{4}-\d{2}-\d{2}T16:05:00\+09:00$/,
  );
  assert.match(
    lines.find((l) => l.startsWith("maintenance"))!,
    /^maintenance\s+18:00 daily\s+0 9 \* \* \*\s+\d{4}-\d{2}-\d{2}T18:00:00\+09:00$/,
  );
  const next = new Date(intraday.split(/\s+/).at(-1)!);
  assert.ok(
    next > new Date() && +next - Date.now() < 4 * 86_400_000,
    "the next run is within days",
  );
});

Deno.test("schedule CLI: a bad time is a configuration error (exit 2)", async () => {
  const { code, stderr } = await schedule({ ARCHIVIST_FLOW_TIME_KST: "4pm" });
  assert.equal(code, 2);
  assert.match(stderr, /ARCHIVIST_FLOW_TIME_KST/);
});
