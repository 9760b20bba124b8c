import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { Archivist } from "../db/archivist.ts";
import { listBackups } from "../db/backup.ts";
import { maintenanceSchedule, registerMaintenance, runMaintenance } from "../src/maintenance.ts";
import { barTimeOf } from "../src/time.ts";
import { testPostgresTemplate } from "./fixtures/postgres.ts";
import { freshLocation, recordFinishedRun, rowCount, tempDir } from "./helpers.ts";

const NOW = new Date("2026-11-26T09:00:00Z"); // 18:00 KST
const OLD = new Date("2025-06-01T09:00:00Z"); // 543 days earlier
const DECISION = { stock_code: "005930", final_decision: "HOLD" as const, thinking_called: null };

function rows(path: string, table: string): number {
  const db = new DatabaseSync(path, { readOnly: true });
  try {
    return Number(Object.values(db.prepare(`SELECT count(*) FROM ${table}`).get()!)[0]);
  } finally {
    db.close();
  }
}

/**
 * An archive (at `path`, default a file in `dir`) with one old and one recent record of each kind,
 * and old and new run logs.
 */
async function seed(dir: string, path = `${dir}/archive.db`): Promise<string> {
  for (const now of [OLD, NOW]) {
    await using archivist = await Archivist.open(path, { now: () => now });
    await archivist.logDecisions([DECISION], { key: `key-${now.getTime()}`, fingerprint: "f" });
    await recordFinishedRun(archivist, {
      job: "flow",
      tradeDate: now.toISOString().slice(0, 10),
      status: "partial",
      failed: ["005930"],
    });
    const day = now.toISOString().slice(0, 10);
    await archivist.upsertMinuteBars([{
      stock_code: "005930",
      bar_time: barTimeOf(day, "090000"),
      open: 100,
      high: 110,
      low: 90,
      close: 105,
      volume: 10,
      value: 1050,
    }]);
  }
  await Deno.mkdir(`${dir}/logs/cron`, { recursive: true });
  for (const [name, at] of [["flow-old.jsonl", OLD], ["flow-new.jsonl", NOW]] as const) {
    await Deno.writeTextFile(`${dir}/logs/cron/${name}`, "{}\n");
    await Deno.utime(`${dir}/logs/cron/${name}`, at, at);
  }
  return path;
}

Deno.test("maintenance: a checked daily backup keeping the newest N, then pruning of old records and run logs; minute bars stay", async () => {
  await using dir = await tempDir();
  const path = await seed(dir.path);
  await using archivist = await Archivist.open(path);
  const config = {
    backup: { dir: `${dir.path}/backups`, keep: 2 },
    retention: { days: 400 },
    logDir: `${dir.path}/logs`,
    maintenanceTimeKst: "18:00",
  };
  const first = await runMaintenance({ archivist, config, now: () => NOW });
  assert.match(first.backup!.path, /archive-2026-11-26-180000\.db$/);
  assert.deepStrictEqual(first.pruned, { idempotencyRecords: 1, runs: 1, minuteBars: 0 });
  assert.equal(first.removedRunLogs, 1);
  assert.deepStrictEqual([...Deno.readDirSync(`${dir.path}/logs/cron`)].map((e) => e.name), [
    "flow-new.jsonl",
  ]);
  assert.equal(rows(path, "collection_run_failure"), 1, "the old run's failures went with it");
  assert.equal(rows(path, "stock_minute_price"), 2, "minute bars are kept without a retention");
  assert.equal(rows(path, "llm_decision_ledger"), 2, "decisions are never pruned");
  // The backup was taken before pruning: it still holds the old records.
  assert.equal(rows(first.backup!.path, "idempotent_request"), 2);

  for (const day of [1, 2]) {
    await runMaintenance({
      archivist,
      config,
      now: () => new Date(NOW.getTime() + day * 86_400_000),
    });
  }
  const kept = await listBackups(config.backup.dir, path);
  assert.deepStrictEqual(kept.map((b) => b.takenAtKst), [
    "2026-11-28T18:00:00+09:00",
    "2026-11-27T18:00:00+09:00",
  ]);

  const withBars = await runMaintenance({
    archivist,
    config: {
      ...config,
      backup: { ...config.backup, keep: 0 },
      retention: { days: 400, minuteBarDays: 30 },
    },
    now: () => NOW,
  });
  assert.equal(withBars.backup, undefined, "keep 0: no backup");
  assert.equal(withBars.pruned.minuteBars, 1);
  assert.equal(rows(path, "stock_minute_price"), 1);
});

Deno.test("maintenance: a failed backup is reported and pruning still runs", async () => {
  await using dir = await tempDir();
  const path = await seed(dir.path);
  await using archivist = await Archivist.open(path);
  await Deno.writeTextFile(`${dir.path}/not-a-folder`, "");
  const report = await runMaintenance({
    archivist,
    config: {
      backup: { dir: `${dir.path}/not-a-folder/backups`, keep: 3 },
      retention: { days: 400 },
      logDir: `${dir.path}/logs`,
      maintenanceTimeKst: "18:00",
    },
    now: () => NOW,
  });
  assert.match(report.backupError!, /cannot create the backup folder/);
  assert.equal(report.pruned.runs, 1);
});

Deno.test("maintenance: the daily KST time as a UTC cron expression Deno.cron accepts", () => {
  const at = (time: string) => maintenanceSchedule({ maintenanceTimeKst: time });
  assert.equal(at("18:00").utcCron, "0 9 * * *");
  assert.equal(at("18:00").kst, "18:00 daily");
  assert.equal(at("08:30").utcCron, "30 23 * * *");
  assert.equal(at("00:05").utcCron, "5 15 * * *");
  assert.equal(
    at("18:00").nextRunKst(new Date("2026-11-28T10:00:00Z")),
    "2026-11-29T18:00:00+09:00",
    "a Sunday too",
  );
  // Deno.cron refuses what it cannot read (weekday 0, for one): registering must not throw.
  const stop = new AbortController();
  try {
    for (const time of ["18:00", "08:30", "00:05"]) {
      Deno.cron(
        `maintenance-${time.replace(":", "")}`,
        at(time).utcCron,
        { signal: stop.signal },
        () => {},
      );
    }
  } finally {
    stop.abort();
  }
});

Deno.test("maintenance: a stop waits for the firing in flight; after it, firings do nothing", async () => {
  await using dir = await tempDir();
  const path = await seed(dir.path);
  await using archivist = await Archivist.open(path);
  const handlers: (() => Promise<void>)[] = [];
  const stopping = new AbortController();
  const registration = registerMaintenance(
    {
      archivist,
      config: {
        backup: { dir: `${dir.path}/backups`, keep: 3 },
        retention: { days: 400 },
        logDir: `${dir.path}/logs`,
        maintenanceTimeKst: "18:00",
      },
      now: () => NOW,
      signal: stopping.signal,
    },
    (_name, _schedule, handler) => handlers.push(handler),
  );
  assert.equal(registration.schedule.utcCron, "0 9 * * *");
  assert.equal(handlers.length, 1);
  const firing = handlers[0]();
  let firingDone = false;
  void firing.then(() => firingDone = true);
  stopping.abort();
  await registration.idle();
  assert.ok(firingDone, "idle() resolved only after the firing in flight");
  assert.equal((await listBackups(`${dir.path}/backups`, path)).length, 1);
  await handlers[0]();
  await registration.idle();
  assert.equal((await listBackups(`${dir.path}/backups`, path)).length, 1, "no firing after stop");
});

Deno.test({
  name:
    "maintenance on PostgreSQL: no backup of its own (the server's tools are named), pruning as on SQLite",
  ignore: testPostgresTemplate() === undefined,
  fn: async () => {
    await using dir = await tempDir();
    await using fresh = await freshLocation(dir.path);
    const location = await seed(dir.path, fresh.location);
    await using archivist = await Archivist.open(location);
    const report = await runMaintenance({
      archivist,
      config: {
        backup: { dir: `${dir.path}/backups`, keep: 7 },
        retention: { days: 400, minuteBarDays: 30 },
        logDir: `${dir.path}/logs`,
        maintenanceTimeKst: "18:00",
      },
      now: () => NOW,
    });
    assert.equal(report.backup, undefined);
    assert.equal(report.backupError, undefined, "not a failure: nothing to alert");
    assert.match(report.backupSkipped!, /PostgreSQL database .*pg_dump/);
    assert.deepStrictEqual(report.pruned, { idempotencyRecords: 1, runs: 1, minuteBars: 1 });
    assert.equal(await rowCount(location, "collection_run_failure"), 1);
    assert.equal(await rowCount(location, "llm_decision_ledger"), 2);
    await assert.rejects(Deno.stat(`${dir.path}/backups`), Deno.errors.NotFound);
  },
});
