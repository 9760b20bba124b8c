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
    /^flow\s+08:30 Mon–Fri\s+30 23 \* \* SUN-THU\s+\d{4}-\d{2}-\d{2}T08:30:00\+09:00$/,
  );
  assert.match(
    intraday,
    /^intraday\s+16:05 Mon–Fri\s+5 7 \* \* MON-FRI\s+\d{4}-\d{2}-\d{2}T16:05:00\+09:00$/,
  );
  assert.match(
    stdout,
    /^daily\s+16:10 Mon–Fri\s+10 7 \* \* MON-FRI\s+\d{4}-\d{2}-\d{2}T16:10:00\+09:00$/m,
  );
  assert.equal(lines.filter((l) => /Mon–Fri/.test(l)).length, 3, "three jobs");
  assert.match(
    lines.find((l) => l.startsWith("maintenance"))!,
    /^maintenance\s+18:00 daily\s+0 9 \* \* \*\s+\d{4}-\d{2}-\d{2}T18:00:00\+09:00$/,
  );
  assert.match(
    stdout,
    /The maintenance backs the archive up into backups\/ \(keeping the newest 7\)/,
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

Deno.test("schedule CLI: a job switched off is listed as off", async () => {
  const { code, stdout, stderr } = await schedule({
    ARCHIVIST_INTRADAY_ENABLED: "false",
    ARCHIVIST_DAILY_ENABLED: "false",
  });
  assert.equal(code, 0, stderr);
  assert.match(stdout, /^flow\s+16:00 Mon–Fri/m);
  assert.match(stdout, /^intraday\s+off\s+-\s+\(ARCHIVIST_INTRADAY_ENABLED=false\)$/m);
  assert.match(stdout, /^daily\s+off\s+-\s+\(ARCHIVIST_DAILY_ENABLED=false\)$/m);
});
