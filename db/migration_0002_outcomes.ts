/**
 * Migration `0002_outcomes`: adjusted daily candles (`stock_daily_price`), the derived outcome of
 * every decision and rejection (`decision_outcome`, `rejection_outcome`), and the `daily` job in
 * `collection_run`'s CHECK.
 *
 * Frozen in time like every migration: it spells out its own SQL and imports nothing from the app.
 * SQLite cannot alter a CHECK, so `collection_run` is rebuilt (rowids kept: they order runs), and
 * `collection_run_failure`, which references it, is rebuilt around it so that dropping the old
 * table cascades nothing. Kysely runs SQLite migrations outside a transaction, so this one opens
 * its own: a crash leaves the database as it was before.
 *
 * @module
 */
import { type Kysely, sql } from "kysely";
import type { Migration } from "kysely/migration";

async function up(db: Kysely<unknown>): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await sql`
      CREATE TABLE stock_daily_price (
        stock_code TEXT NOT NULL,
        trade_date TEXT NOT NULL CHECK (trade_date GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
        open INTEGER NOT NULL CHECK (open > 0),
        high INTEGER NOT NULL,
        low INTEGER NOT NULL,
        close INTEGER NOT NULL,
        volume INTEGER NOT NULL CHECK (volume >= 0),
        value INTEGER NOT NULL CHECK (value >= 0),
        PRIMARY KEY (stock_code, trade_date),
        CHECK (low <= open AND low <= close AND high >= open AND high >= close AND low > 0)
      ) WITHOUT ROWID`.execute(trx);

    await sql`
      CREATE TABLE decision_outcome (
        log_id INTEGER PRIMARY KEY REFERENCES llm_decision_ledger (log_id) ON DELETE CASCADE,
        stock_code TEXT NOT NULL,
        trade_date TEXT NOT NULL,
        final_decision TEXT NOT NULL
          CHECK (final_decision IN ('BUY', 'SELL', 'HOLD', 'NO_DECISION')),
        status TEXT NOT NULL CHECK (status IN ('pending', 'partial', 'complete')),
        reference_close INTEGER,
        close_1d INTEGER,
        close_5d INTEGER,
        close_20d INTEGER,
        ret_1d_pct REAL,
        ret_5d_pct REAL,
        ret_20d_pct REAL,
        max_high_5d_pct REAL,
        min_low_5d_pct REAL,
        edge_1d_pct REAL,
        edge_5d_pct REAL,
        edge_20d_pct REAL,
        computed_at TEXT NOT NULL
      )`.execute(trx);
    await sql`CREATE INDEX decision_outcome_by_stock ON decision_outcome (stock_code, trade_date)`
      .execute(trx);
    await sql`
      CREATE INDEX decision_outcome_open ON decision_outcome (stock_code)
      WHERE status <> 'complete'`.execute(trx);

    await sql`
      CREATE TABLE rejection_outcome (
        log_id INTEGER PRIMARY KEY REFERENCES shadow_radar_log (log_id) ON DELETE CASCADE,
        stock_code TEXT NOT NULL,
        trade_date TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('pending', 'partial', 'complete')),
        reference_close INTEGER,
        close_1d INTEGER,
        close_5d INTEGER,
        close_20d INTEGER,
        ret_1d_pct REAL,
        ret_5d_pct REAL,
        ret_20d_pct REAL,
        max_high_5d_pct REAL,
        min_low_5d_pct REAL,
        max_volume_5d INTEGER,
        mean_volume_20d REAL,
        vol_shock INTEGER CHECK (vol_shock IN (0, 1)),
        computed_at TEXT NOT NULL
      )`.execute(trx);
    await sql`CREATE INDEX rejection_outcome_by_stock ON rejection_outcome (stock_code, trade_date)`
      .execute(trx);
    await sql`
      CREATE INDEX rejection_outcome_open ON rejection_outcome (stock_code)
      WHERE status <> 'complete'`.execute(trx);

    // collection_run with 'daily' in its job CHECK; the failures move aside while it is rebuilt.
    await sql`CREATE TABLE collection_run_failure_0002 AS SELECT run_id, stock_code, error
      FROM collection_run_failure`.execute(trx);
    await sql`DROP TABLE collection_run_failure`.execute(trx);
    await sql`
      CREATE TABLE collection_run_0002 (
        run_id TEXT PRIMARY KEY,
        job TEXT NOT NULL CHECK (job IN ('flow', 'intraday', 'daily')),
        trade_date TEXT NOT NULL,
        status TEXT NOT NULL
          CHECK (status IN ('running', 'succeeded', 'partial', 'failed', 'skipped')),
        reason TEXT,
        trigger TEXT NOT NULL CHECK (trigger IN ('schedule', 'catch-up', 'manual', 'demo')),
        started_at TEXT NOT NULL,
        finished_at TEXT,
        stocks_total INTEGER NOT NULL DEFAULT 0,
        stocks_done INTEGER NOT NULL DEFAULT 0,
        stocks_failed INTEGER NOT NULL DEFAULT 0,
        rows_written INTEGER NOT NULL DEFAULT 0,
        kis_calls INTEGER NOT NULL DEFAULT 0
      )`.execute(trx);
    await sql`
      INSERT INTO collection_run_0002 (rowid, run_id, job, trade_date, status, reason, trigger,
        started_at, finished_at, stocks_total, stocks_done, stocks_failed, rows_written, kis_calls)
      SELECT rowid, run_id, job, trade_date, status, reason, trigger, started_at, finished_at,
        stocks_total, stocks_done, stocks_failed, rows_written, kis_calls
      FROM collection_run`.execute(trx);
    await sql`DROP TABLE collection_run`.execute(trx);
    await sql`ALTER TABLE collection_run_0002 RENAME TO collection_run`.execute(trx);
    await sql`CREATE INDEX collection_run_by_job ON collection_run (job, trade_date, started_at)`
      .execute(trx);
    await sql`
      CREATE TABLE collection_run_failure (
        run_id TEXT NOT NULL REFERENCES collection_run (run_id) ON DELETE CASCADE,
        stock_code TEXT NOT NULL,
        error TEXT NOT NULL,
        PRIMARY KEY (run_id, stock_code)
      ) WITHOUT ROWID`.execute(trx);
    await sql`INSERT INTO collection_run_failure (run_id, stock_code, error)
      SELECT run_id, stock_code, error FROM collection_run_failure_0002`.execute(trx);
    await sql`DROP TABLE collection_run_failure_0002`.execute(trx);
  });
}

/** Daily candles, outcomes, and the `daily` collection job. */
export const outcomesMigration: Migration = { up };
