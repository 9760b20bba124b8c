/**
 * The archive's migrations, in code, forward-only, recorded in the database by Kysely's Migrator.
 * Each one is named `NNNN_what`; the schema version is the number of the newest one applied.
 * A migration is frozen in time: it spells out its own SQL and imports nothing from the app, so
 * that changing the app never changes what an old migration did.
 *
 * @module
 */
import { type Kysely, sql } from "kysely";
import { type Migration, type MigrationProvider, Migrator } from "kysely/migration";
import type { DialectName } from "./dialect.ts";
import { outcomesMigration } from "./migration_0002_outcomes.ts";
import { collectionShardsMigration } from "./migration_0003_collection_shards.ts";
import { POSTGRES_MIGRATIONS } from "./postgres_migrations.ts";

const initial: Migration = {
  async up(db: Kysely<unknown>) {
    await sql`
      CREATE TABLE stock_minute_price (
        stock_code TEXT NOT NULL,
        bar_time INTEGER NOT NULL,
        open INTEGER NOT NULL CHECK (open > 0),
        high INTEGER NOT NULL,
        low INTEGER NOT NULL,
        close INTEGER NOT NULL,
        volume INTEGER NOT NULL CHECK (volume >= 0),
        value INTEGER NOT NULL CHECK (value >= 0),
        PRIMARY KEY (stock_code, bar_time),
        CHECK (low <= open AND low <= close AND high >= open AND high >= close AND low > 0)
      ) WITHOUT ROWID`.execute(db);

    await sql`
      CREATE VIEW stock_minute_price_kst AS
      SELECT stock_code,
             date(bar_time, 'unixepoch', '+9 hours') AS trade_date,
             strftime('%H:%M', bar_time, 'unixepoch', '+9 hours') AS minute_kst,
             strftime('%Y-%m-%dT%H:%M:00+09:00', bar_time, 'unixepoch', '+9 hours') AS bar_time_kst,
             bar_time, open, high, low, close, volume, value
      FROM stock_minute_price`.execute(db);

    await sql`
      CREATE TABLE market_flow_snapshot (
        snapshot_id INTEGER PRIMARY KEY,
        stock_code TEXT NOT NULL,
        trade_date TEXT NOT NULL CHECK (trade_date GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
        data_type TEXT NOT NULL DEFAULT 'DAILY' CHECK (data_type IN ('DAILY', 'INTRADAY')),
        close_price INTEGER,
        volume INTEGER,
        individual_net_buy INTEGER,
        foreign_net_buy INTEGER,
        institution_net_buy INTEGER,
        program_net_buy INTEGER,
        individual_net_buy_value INTEGER,
        foreign_net_buy_value INTEGER,
        institution_net_buy_value INTEGER,
        program_net_buy_value INTEGER,
        quantity_unit TEXT NOT NULL DEFAULT 'shares' CHECK (quantity_unit = 'shares'),
        value_unit TEXT NOT NULL DEFAULT 'KRW' CHECK (value_unit = 'KRW'),
        schema_v TEXT NOT NULL DEFAULT '2.0',
        created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
        updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
        UNIQUE (stock_code, trade_date, data_type)
      )`.execute(db);

    await sql`
      CREATE TABLE llm_decision_ledger (
        log_id INTEGER PRIMARY KEY,
        idempotency_key TEXT UNIQUE,
        run_id TEXT,
        timestamp TEXT NOT NULL,
        decided_at TEXT NOT NULL,
        trade_date TEXT NOT NULL,
        stock_code TEXT NOT NULL,
        stock_name TEXT,
        hunter_score REAL,
        market_regime TEXT,
        dominant_keywords TEXT CHECK (dominant_keywords IS NULL OR json_type(dominant_keywords) = 'array'),
        debate_log TEXT,
        counter_position_logic TEXT,
        thinking_called INTEGER CHECK (thinking_called IN (0, 1)),
        thinking_reason TEXT,
        cost_estimate REAL,
        gate_result TEXT,
        final_decision TEXT NOT NULL
          CHECK (final_decision IN ('BUY', 'SELL', 'HOLD', 'NO_DECISION')),
        final_reason TEXT,
        schema_v TEXT NOT NULL DEFAULT '1.0',
        created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
      )`.execute(db);
    await sql`CREATE INDEX llm_decision_ledger_by_date ON llm_decision_ledger (trade_date, log_id)`
      .execute(db);
    await sql`CREATE INDEX llm_decision_ledger_by_stock ON llm_decision_ledger (stock_code, decided_at)`
      .execute(db);

    await sql`
      CREATE TABLE shadow_radar_log (
        log_id INTEGER PRIMARY KEY,
        idempotency_key TEXT UNIQUE,
        run_id TEXT,
        timestamp TEXT NOT NULL,
        logged_at TEXT NOT NULL,
        trade_date TEXT NOT NULL,
        stock_code TEXT NOT NULL,
        stock_name TEXT,
        rejection_stage TEXT CHECK (rejection_stage IN ('HUNTER', 'GATE', 'JUDGE')),
        rejection_reason TEXT,
        hunter_score_at_time REAL,
        trigger_type TEXT,
        trigger_value REAL,
        schema_v TEXT NOT NULL DEFAULT '1.0',
        created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
      )`.execute(db);
    await sql`CREATE INDEX shadow_radar_log_by_date ON shadow_radar_log (trade_date, log_id)`
      .execute(db);
    await sql`CREATE INDEX shadow_radar_log_by_stock ON shadow_radar_log (stock_code, logged_at)`
      .execute(db);

    await sql`
      CREATE TABLE watchlist (
        stock_code TEXT PRIMARY KEY,
        stock_name TEXT,
        is_active INTEGER NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1)),
        added_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
        updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
      )`.execute(db);

    await sql`
      CREATE TABLE collection_run (
        run_id TEXT PRIMARY KEY,
        job TEXT NOT NULL CHECK (job IN ('flow', 'intraday')),
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
      )`.execute(db);
    await sql`CREATE INDEX collection_run_by_job ON collection_run (job, trade_date, started_at)`
      .execute(db);

    await sql`
      CREATE TABLE collection_run_failure (
        run_id TEXT NOT NULL REFERENCES collection_run (run_id) ON DELETE CASCADE,
        stock_code TEXT NOT NULL,
        error TEXT NOT NULL,
        PRIMARY KEY (run_id, stock_code)
      ) WITHOUT ROWID`.execute(db);

    await sql`
      CREATE TABLE collection_lease (
        name TEXT PRIMARY KEY,
        holder TEXT NOT NULL,
        expires_at INTEGER NOT NULL
      )`.execute(db);

    await sql`
      CREATE TABLE market_calendar (
        trade_date TEXT PRIMARY KEY,
        is_open INTEGER NOT NULL CHECK (is_open IN (0, 1)),
        fetched_at TEXT NOT NULL
      ) WITHOUT ROWID`.execute(db);

    await sql`
      CREATE TABLE idempotent_request (
        idempotency_key TEXT NOT NULL,
        scope TEXT NOT NULL,
        fingerprint TEXT NOT NULL,
        response TEXT NOT NULL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (scope, idempotency_key)
      )`.execute(db);
  },
};

/** Every migration, oldest first. Append only; never edit one that has shipped. */
export const MIGRATIONS: Readonly<Record<string, Migration>> = {
  "0001_initial": initial,
  "0002_outcomes": outcomesMigration,
  "0003_collection_shards": collectionShardsMigration,
};

/** The schema version this code expects: the number of its newest migration. */
export const SCHEMA_VERSION: number = Math.max(
  ...Object.keys(MIGRATIONS).map((name) => Number.parseInt(name, 10)),
);

/** Serves {@link MIGRATIONS} to Kysely's Migrator. */
export const migrationProvider: MigrationProvider = {
  getMigrations: () => Promise.resolve({ ...MIGRATIONS }),
};

/**
 * The migrations of `dialect`: one list of versions, {@link MIGRATIONS}, each with its SQLite and
 * its PostgreSQL form (`postgres_migrations.ts`). Throws when a version lacks its PostgreSQL form.
 */
export function migrationsFor(dialect: DialectName): Readonly<Record<string, Migration>> {
  if (dialect === "sqlite") return MIGRATIONS;
  const missing = Object.keys(MIGRATIONS).filter((name) => !(name in POSTGRES_MIGRATIONS));
  const extra = Object.keys(POSTGRES_MIGRATIONS).filter((name) => !(name in MIGRATIONS));
  if (missing.length > 0 || extra.length > 0) {
    throw new Error(
      `The PostgreSQL migrations do not match the versions of db/migrations.ts (missing: ${
        missing.join(", ") || "none"
      }; unknown: ${extra.join(", ") || "none"}): add each version to db/postgres_migrations.ts.`,
    );
  }
  return POSTGRES_MIGRATIONS;
}

/** Kysely's table that records applied migrations. */
export const MIGRATION_TABLE = "kysely_migration";

/** The database was written by a newer Archivist than this one. */
export class SchemaTooNewError extends Error {
  /** Migrations recorded in the database that this code does not know. */
  readonly unknown: readonly string[];

  constructor(path: string, unknown: readonly string[]) {
    super(
      `The database ${path} has schema migrations this Archivist does not know (${
        unknown.join(", ")
      }): it was written by a newer version. Upgrade Archivist (git pull) or point ARCHIVIST_DB ` +
        "at another file; nothing was changed.",
    );
    this.name = "SchemaTooNewError";
    this.unknown = unknown;
  }
}

/** What {@link migrateToLatest} did. */
export interface MigrationOutcome {
  /** Migrations applied by this call, oldest first. */
  readonly applied: readonly string[];
  /** The schema version after the call. */
  readonly schemaVersion: number;
}

/**
 * Brings the database to {@link SCHEMA_VERSION}. Refuses, changing nothing, when the database is
 * newer than the code. Running it again applies nothing.
 */
export async function migrateToLatest(
  db: Kysely<unknown>,
  path: string,
  dialect: DialectName = "sqlite",
): Promise<MigrationOutcome> {
  const migrations = migrationsFor(dialect);
  const applied = await appliedMigrations(db, dialect);
  const unknown = applied.filter((name) => !(name in migrations));
  if (unknown.length > 0) throw new SchemaTooNewError(path, unknown);

  const migrator = new Migrator({
    db,
    provider: { getMigrations: () => Promise.resolve({ ...migrations }) },
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === "Error")?.migrationName ?? "unknown";
    throw new Error(
      `Migration ${failed} of ${path} failed and was rolled back: ${(error as Error).message}`,
      { cause: error },
    );
  }
  return {
    applied: (results ?? []).filter((r) => r.status === "Success").map((r) => r.migrationName),
    schemaVersion: SCHEMA_VERSION,
  };
}

/** Names of the migrations recorded in the database, oldest first (none for a new one). */
export async function appliedMigrations(
  db: Kysely<unknown>,
  dialect: DialectName = "sqlite",
): Promise<string[]> {
  const { rows: tables } = dialect === "sqlite"
    ? await sql`
      SELECT name FROM sqlite_schema WHERE type = 'table' AND name = ${MIGRATION_TABLE}`.execute(db)
    : await sql`SELECT to_regclass(${MIGRATION_TABLE}) AS name`.execute(db);
  if (tables.length === 0 || (tables[0] as { name: unknown }).name === null) return [];
  const { rows } = await sql<{ name: string }>`
    SELECT name FROM ${sql.table(MIGRATION_TABLE)} ORDER BY name`.execute(db);
  return rows.map((r) => r.name);
}
