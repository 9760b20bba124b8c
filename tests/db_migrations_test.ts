import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { Archivist } from "../db/archivist.ts";
import { Kysely, SqliteDialect } from "kysely";
import { Migrator } from "kysely/migration";
import {
  MIGRATION_TABLE,
  MIGRATIONS,
  SCHEMA_VERSION,
  SchemaTooNewError,
} from "../db/migrations.ts";
import { NodeSqliteDatabase } from "../db/sqlite.ts";
import { FINAL_DECISIONS, REJECTION_STAGES } from "../db/schema.ts";
import { tempDir } from "./helpers.ts";

const CONTRACT_TABLES = [
  "collection_run",
  "llm_decision_ledger",
  "market_flow_snapshot",
  "shadow_radar_log",
  "stock_minute_price",
  "watchlist",
];

function schemaOf(path: string): { name: string; sql: string }[] {
  const db = new DatabaseSync(path);
  try {
    return db.prepare(
      "SELECT name, sql FROM sqlite_schema WHERE name NOT LIKE 'sqlite_%' ORDER BY name",
    ).all() as { name: string; sql: string }[];
  } finally {
    db.close();
  }
}

Deno.test("migrations: a fresh file gets the contract's tables, keys and the KST view", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/nested/archivist.db`;
  const archivist = await Archivist.open(path);
  assert.deepEqual(archivist.migration.applied, Object.keys(MIGRATIONS));
  assert.equal(archivist.migration.schemaVersion, SCHEMA_VERSION);
  await archivist.close();

  const schema = schemaOf(path);
  const names = schema.map((s) => s.name);
  for (const table of CONTRACT_TABLES) assert.ok(names.includes(table), `missing ${table}`);
  assert.ok(names.includes("stock_minute_price_kst"));
  const bars = schema.find((s) => s.name === "stock_minute_price")!.sql;
  assert.match(bars, /PRIMARY KEY \(stock_code, bar_time\)/);
  assert.match(bars, /WITHOUT ROWID/);
  const flows = schema.find((s) => s.name === "market_flow_snapshot")!.sql;
  assert.match(flows, /UNIQUE \(stock_code, trade_date, data_type\)/);
  const ledger = schema.find((s) => s.name === "llm_decision_ledger")!.sql;
  assert.match(ledger, /idempotency_key TEXT UNIQUE/);
  assert.match(ledger, /'BUY', 'SELL', 'HOLD', 'NO_DECISION'/);
});

Deno.test("migrations: running twice changes nothing", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/archivist.db`;
  await (await Archivist.open(path)).close();
  const before = schemaOf(path);
  const again = await Archivist.open(path);
  assert.deepEqual(again.migration.applied, []);
  await again.close();
  assert.deepEqual(schemaOf(path), before);
});

Deno.test("migrations: a database newer than the code stops with a clear message, untouched", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/archivist.db`;
  await (await Archivist.open(path)).close();
  const db = new DatabaseSync(path);
  db.prepare(`INSERT INTO ${MIGRATION_TABLE} (name, timestamp) VALUES (?, ?)`)
    .run("0999_from_the_future", new Date().toISOString());
  db.close();
  const before = schemaOf(path);
  await assert.rejects(Archivist.open(path), (error: unknown) => {
    assert.ok(error instanceof SchemaTooNewError);
    assert.match(error.message, /0999_from_the_future/);
    assert.match(error.message, /newer version/);
    return true;
  });
  assert.deepEqual(schemaOf(path), before);
});

Deno.test("migrations: the KST view shows minute bars in Korean time", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/archivist.db`;
  const archivist = await Archivist.open(path);
  // 2026-11-25 09:00 KST = 00:00 UTC.
  await archivist.upsertMinuteBars([{
    stock_code: "005930",
    bar_time: Date.UTC(2026, 10, 25, 0, 0) / 1000,
    open: 54_300,
    high: 54_500,
    low: 54_200,
    close: 54_400,
    volume: 1_000,
    value: 54_400_000,
  }]);
  await archivist.close();
  const db = new DatabaseSync(path);
  const row = db.prepare("SELECT trade_date, minute_kst, bar_time_kst FROM stock_minute_price_kst")
    .get();
  db.close();
  assert.deepEqual({ ...row }, {
    trade_date: "2026-11-25",
    minute_kst: "09:00",
    bar_time_kst: "2026-11-25T09:00:00+09:00",
  });
});

Deno.test("migrations: the stored CHECKs accept exactly the app's decisions and stages", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/a.db`;
  await (await Archivist.open(path)).close();
  const db = new DatabaseSync(path);
  try {
    const insert = (table: string, column: string, value: string) =>
      db.prepare(
        `INSERT INTO ${table} (timestamp, ${
          table === "llm_decision_ledger" ? "decided_at" : "logged_at"
        }, trade_date, stock_code, ${column}) VALUES ('t', 't', '2026-11-26', '005930', ?)`,
      ).run(value);
    for (const decision of FINAL_DECISIONS) {
      insert("llm_decision_ledger", "final_decision", decision);
    }
    for (const stage of REJECTION_STAGES) insert("shadow_radar_log", "rejection_stage", stage);
    assert.throws(() => insert("llm_decision_ledger", "final_decision", "MAYBE"), /CHECK/);
    assert.throws(() => insert("shadow_radar_log", "rejection_stage", "RISK"), /CHECK/);
  } finally {
    db.close();
  }
});

Deno.test("migrations: 0002 upgrades a 0001 archive keeping runs, their order and failures; daily runs fit", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/archivist.db`;
  // A database as the first release left it: only 0001 applied, with runs and a failure.
  const old = new Kysely<unknown>({
    dialect: new SqliteDialect({ database: new NodeSqliteDatabase(path) }),
  });
  await new Migrator({
    db: old,
    provider: {
      getMigrations: () => Promise.resolve({ "0001_initial": MIGRATIONS["0001_initial"] }),
    },
  }).migrateToLatest();
  await old.destroy();
  const raw = new DatabaseSync(path);
  for (const [id, job] of [["b", "intraday"], ["a", "flow"]]) {
    raw.prepare(`INSERT INTO collection_run (run_id, job, trade_date, status, trigger, started_at)
      VALUES (?, ?, '2026-11-25', 'partial', 'manual', '2026-11-25T07:00:00Z')`).run(id, job);
  }
  raw.prepare("INSERT INTO collection_run_failure VALUES ('a', '005930', 'boom')").run();
  raw.close();

  const archivist = await Archivist.open(path);
  assert.deepEqual(archivist.migration.applied, Object.keys(MIGRATIONS).slice(1));
  const runs = await archivist.listRuns();
  assert.deepEqual(runs.map((r) => r.run_id), ["a", "b"], "insertion order (rowid) is kept");
  assert.deepEqual(runs[0].failures, [{ stock_code: "005930", error: "boom" }]);
  assert.deepEqual(Object.keys(await archivist.lastRuns()).sort(), ["flow", "intraday"]);
  const id = await archivist.startRun({
    job: "daily",
    tradeDate: "2026-11-25",
    trigger: "manual",
    stocksTotal: 1,
  });
  await archivist.recordRunFailure(id, "000660", "no candle");
  await archivist.close();

  const db = new DatabaseSync(path);
  try {
    assert.deepEqual(db.prepare("PRAGMA foreign_key_check").all(), []);
    const sql = (name: string) =>
      (db.prepare("SELECT sql FROM sqlite_schema WHERE name = ?").get(name) as { sql: string }).sql;
    assert.match(sql("collection_run"), /job IN \('flow', 'intraday', 'daily'\)/);
    assert.match(
      sql("collection_run_failure"),
      /REFERENCES collection_run \(run_id\) ON DELETE CASCADE/,
    );
    assert.match(sql("stock_daily_price"), /PRIMARY KEY \(stock_code, trade_date\)/);
    assert.ok(db.prepare("SELECT 1 FROM sqlite_schema WHERE name = 'collection_run_by_job'").get());
    assert.throws(
      () =>
        db.prepare(
          `INSERT INTO collection_run (run_id, job, trade_date, status, trigger, started_at)
          VALUES ('x', 'weekly', '2026-11-25', 'running', 'manual', 't')`,
        ).run(),
      /CHECK/,
    );
  } finally {
    db.close();
  }
});
