import assert from "node:assert/strict";
import { Cron } from "croner";
import {
  kstToUtcCron,
  registerCronJobs,
  runScheduledJob,
  scheduledJobs,
  weekdayField,
} from "../collectors/schedule.ts";
import { parseConfig } from "../src/config.ts";
import { setupLogging } from "../src/log.ts";
import { collectFixture } from "./collectors_fixture.ts";

Deno.test("kstToUtcCron: 9 hours back, weekdays moving back a day when midnight UTC is crossed", () => {
  assert.equal(kstToUtcCron("16:00"), "0 7 * * MON-FRI");
  assert.equal(kstToUtcCron("16:05"), "5 7 * * MON-FRI");
  assert.equal(kstToUtcCron("09:00"), "0 0 * * MON-FRI");
  assert.equal(kstToUtcCron("08:30"), "30 23 * * SUN-THU");
  assert.equal(kstToUtcCron("00:00"), "0 15 * * SUN-THU");
  assert.equal(kstToUtcCron("23:59"), "59 14 * * MON-FRI");
  assert.equal(kstToUtcCron("08:00", [0, 6]), "0 23 * * FRI-SAT", "Sat+Sun KST = Fri+Sat UTC");
  assert.equal(kstToUtcCron("08:00", [1]), "0 23 * * SUN", "Monday KST morning = Sunday UTC");
  assert.equal(kstToUtcCron("07:00", [0, 1, 2, 3, 4, 5, 6]), "0 22 * * *");
  assert.equal(weekdayField([1, 3, 4, 5]), "MON,WED-FRI");
  assert.throws(() => kstToUtcCron("24:00"), /HH:MM/);
});

Deno.test("kstToUtcCron: Deno.cron accepts the expression of KST times all around the day", () => {
  // Deno.cron numbers weekdays 1 (Sunday)..7 and refuses 0: `0-4` used to stop the service.
  // (It also caps the crons of a process, hence a sample: every 37 minutes plus the edges.)
  const stop = new AbortController();
  const sample = new Set([0, 8 * 60 + 59, 9 * 60, 23 * 60 + 59]);
  for (let minutes = 0; minutes < 24 * 60; minutes += 37) sample.add(minutes);
  try {
    for (const minutes of sample) {
      const hhmm = `${String(Math.floor(minutes / 60)).padStart(2, "0")}:${
        String(minutes % 60).padStart(2, "0")
      }`;
      const expression = kstToUtcCron(hhmm);
      Deno.cron(`accepts-${minutes}`, expression, { signal: stop.signal }, () => {});
    }
  } finally {
    stop.abort();
  }
});

Deno.test("kstToUtcCron: the UTC expression fires exactly when the KST one does in Asia/Seoul", () => {
  const from = new Date("2026-11-20T00:00:00Z");
  for (let minutes = 0; minutes < 24 * 60; minutes += 37) {
    const hhmm = `${String(Math.floor(minutes / 60)).padStart(2, "0")}:${
      String(minutes % 60).padStart(2, "0")
    }`;
    const utc = new Cron(kstToUtcCron(hhmm), { timezone: "UTC" }).nextRuns(12, from);
    const kst = new Cron(`${minutes % 60} ${Math.floor(minutes / 60)} * * MON-FRI`, {
      timezone: "Asia/Seoul",
    }).nextRuns(12, from);
    assert.deepEqual(utc.map(Number), kst.map(Number), hhmm);
  }
});

Deno.test("scheduledJobs: flow 16:00, bars 16:05 and daily candles 16:10 KST on weekdays, with the next run in KST", () => {
  const jobs = scheduledJobs(parseConfig({}));
  assert.deepEqual(jobs.map((j) => [j.name, j.job, j.kst, j.utcCron]), [
    ["archivist-flow", "flow", "16:00 Mon–Fri", "0 7 * * MON-FRI"],
    ["archivist-intraday", "intraday", "16:05 Mon–Fri", "5 7 * * MON-FRI"],
    ["archivist-daily", "daily", "16:10 Mon–Fri", "10 7 * * MON-FRI"],
  ]);
  const friday = new Date("2026-11-27T17:00:00+09:00");
  assert.equal(jobs[0].nextRunKst(friday), "2026-11-30T16:00:00+09:00");
  assert.equal(
    jobs[1].nextRunKst(new Date("2026-11-26T16:00:00+09:00")),
    "2026-11-26T16:05:00+09:00",
  );
  const off = scheduledJobs(parseConfig({ ARCHIVIST_INTRADAY_ENABLED: "false" }));
  assert.deepEqual(off.map((j) => j.job), ["flow", "daily"], "a job switched off is not scheduled");
  const daily = scheduledJobs(parseConfig({ ARCHIVIST_DAILY_TIME_KST: "18:45" }))[2];
  assert.deepEqual([daily.job, daily.utcCron], ["daily", "45 9 * * MON-FRI"]);
  const early = scheduledJobs(parseConfig({ ARCHIVIST_FLOW_TIME_KST: "08:30" }))[0];
  assert.equal(early.utcCron, "30 23 * * SUN-THU");
  assert.equal(early.nextRunKst(friday), "2026-11-30T08:30:00+09:00");
});

Deno.test("registerCronJobs: each job goes to Deno.cron; a firing collects and logs to cron/", async () => {
  await using fx = await collectFixture({ clock: "2026-11-25T16:00:30+09:00" });
  await using _logging = await setupLogging({ console: false });
  await fx.archivist.addToWatchlist([{ stock_code: "005930" }]);
  const config = { ...parseConfig({}), catchUpDays: 2, logDir: `${fx.dir}/logs` };
  const deps = { ...fx.deps, config };
  const registered: { name: string; schedule: string; handler: () => Promise<void> }[] = [];
  registerCronJobs({
    ...deps,
    cron: (name, schedule, handler) => registered.push({ name, schedule, handler }),
  });
  assert.deepEqual(registered.map((r) => [r.name, r.schedule]), [
    ["archivist-flow", "0 7 * * MON-FRI"],
    ["archivist-intraday", "5 7 * * MON-FRI"],
    ["archivist-daily", "10 7 * * MON-FRI"],
  ]);

  await registered[0].handler();
  const runs = await fx.archivist.listRuns({ job: "flow" });
  assert.deepEqual(
    runs.map((r) => `${r.trade_date} ${r.trigger} ${r.status}`).sort(),
    ["2026-11-24 catch-up succeeded", "2026-11-25 schedule succeeded"],
  );
  const scheduled = runs.find((r) => r.trigger === "schedule")!;
  const logFile = `${config.logDir}/cron/flow-2026-11-25-${scheduled.run_id}.jsonl`;
  const records = (await Deno.readTextFile(logFile)).trim().split("\n").map((l) => JSON.parse(l));
  assert.ok(records.some((r) => /Finished/.test(r.message)), "the run's own log has its end");
  assert.ok(records.every((r) => r.properties.runId === scheduled.run_id));
  const files = [...Deno.readDirSync(`${config.logDir}/cron`)].map((f) => f.name);
  assert.equal(files.length, 2, "the catch-up run has a log file of its own too");

  fx.sim.setClock("2026-12-25T16:00:30+09:00");
  const holiday = await runScheduledJob(deps, "intraday");
  assert.equal(holiday.report.status, "skipped");
  assert.equal(holiday.report.reason, "market closed on 2026-12-25");
  assert.ok(
    (await Deno.stat(`${config.logDir}/cron/intraday-2026-12-25-${holiday.report.runId}.jsonl`))
      .isFile,
  );
});
