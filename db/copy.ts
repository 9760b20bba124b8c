/**
 * Copying a whole archive between backends (SQLite → PostgreSQL or back): every table, in an order
 * that satisfies its foreign keys, page by page in key order. Each page is one transaction of the
 * target and `ON CONFLICT DO NOTHING`, so a copy stopped anywhere resumes where the target's rows
 * end, and a copy run again writes nothing. At the end both sides are read again in key order and
 * compared by row count and a SHA-256 of their rows (values as the API reads them, so the two
 * backends' types compare equal).
 *
 * The collection lease (a running process's state) and the migration records (each side migrates
 * itself) are not copied.
 *
 * @module
 */
import { type Kysely, sql, type Transaction } from "kysely";
import type { DialectName } from "./dialect.ts";
import type { Database } from "./schema.ts";

/** A copied table and the columns that order and identify its rows. */
export interface CopiedTable {
  readonly name: keyof Database;
  /** The primary key (for `collection_run`, its insertion order `rowid`). */
  readonly key: readonly string[];
}

/** Every copied table, parents before children. */
export const COPIED_TABLES: readonly CopiedTable[] = [
  { name: "watchlist", key: ["stock_code"] },
  { name: "market_calendar", key: ["trade_date"] },
  { name: "idempotent_request", key: ["scope", "idempotency_key"] },
  { name: "llm_decision_ledger", key: ["log_id"] },
  { name: "shadow_radar_log", key: ["log_id"] },
  { name: "market_flow_snapshot", key: ["snapshot_id"] },
  { name: "stock_minute_price", key: ["stock_code", "bar_time"] },
  { name: "stock_daily_price", key: ["stock_code", "trade_date"] },
  // rowid keeps the runs' insertion order, which breaks ties between equal start instants.
  { name: "collection_run", key: ["rowid"] },
  { name: "collection_run_failure", key: ["run_id", "stock_code"] },
  { name: "decision_outcome", key: ["log_id"] },
  { name: "rejection_outcome", key: ["log_id"] },
];

/** Identity columns PostgreSQL must be told about after rows arrived with their ids. */
const IDENTITIES: readonly { table: keyof Database; column: string }[] = [
  { table: "llm_decision_ledger", column: "log_id" },
  { table: "shadow_radar_log", column: "log_id" },
  { table: "market_flow_snapshot", column: "snapshot_id" },
  { table: "collection_run", column: "rowid" },
];

/** Parameters per statement: below SQLite's limit (32,766) and PostgreSQL's (65,535). */
const MAX_PARAMETERS = 30_000;

/** One side of a copy. */
export interface CopySide {
  readonly db: Kysely<Database>;
  readonly dialect: DialectName;
}

/** The target: its database, and how it runs one write (the Archivist's write path). */
export interface CopyTarget extends CopySide {
  readonly write: <T>(work: (trx: Transaction<Database>) => Promise<T>) => Promise<T>;
}

/** What a copy reports as it goes. */
export interface CopyObserver {
  /**
   * A table starts: rows at the source, rows the target already has, and how many source rows
   * the copy skips as already there (a resumed copy; 0 when it reads the whole table).
   */
  readonly tableStarted?: (
    table: string,
    sourceRows: number,
    targetRows: number,
    skipped: number,
  ) => void;
  /** A page was written: rows read so far in this table, and how many were new to the target. */
  readonly pageCopied?: (table: string, read: number, inserted: number) => void;
  /** The verification of a table starts. */
  readonly verifying?: (table: string) => void;
}

/** The outcome of one table. */
export interface TableCopy {
  readonly table: string;
  /** Rows inserted into the target by this copy. */
  readonly inserted: number;
  readonly sourceRows: number;
  readonly targetRows: number;
  /** SHA-256 (hex) of the source's rows in key order. */
  readonly sourceChecksum: string;
  readonly targetChecksum: string;
  /** Counts and checksums are equal. */
  readonly verified: boolean;
}

/** What a copy did and found. */
export interface CopyReport {
  readonly tables: readonly TableCopy[];
  /** Every table verified. */
  readonly verified: boolean;
}

type Row = Record<string, unknown>;

/** Columns of `table` on one side, by name (SQLite's implicit rowid added where it is a key). */
async function columnsOf(side: CopySide, table: CopiedTable): Promise<string[]> {
  const tables = await side.db.introspection.getTables();
  const found = tables.find((t) => t.name === table.name && !t.isView);
  if (!found) throw new Error(`${side.dialect} archive has no table ${table.name}`);
  const columns = new Set(found.columns.map((c) => c.name));
  for (const key of table.key) columns.add(key);
  return [...columns].sort();
}

/** Rows of `table` after `after` in key order. */
function page(
  side: CopySide,
  table: CopiedTable,
  columns: readonly string[],
  after: readonly unknown[] | undefined,
  limit: number,
): Promise<Row[]> {
  const keys = sql.join(table.key.map((k) => sql.ref(k)));
  const where = after === undefined ? sql`` : sql`WHERE (${keys}) > (${sql.join(after)})`;
  return sql<Row>`
    SELECT ${sql.join(columns.map((c) => sql.ref(c)))} FROM ${sql.table(table.name)}
    ${where} ORDER BY ${keys} LIMIT ${limit}`.execute(side.db).then((r) => r.rows);
}

async function count(side: CopySide, table: CopiedTable): Promise<number> {
  const { rows } = await sql<{ n: number | bigint }>`
    SELECT count(*) AS n FROM ${sql.table(table.name)}`.execute(side.db);
  return Number(rows[0].n);
}

/** Rows of `table` on `side` up to and including `key`, in key order. */
async function countThrough(
  side: CopySide,
  table: CopiedTable,
  key: readonly unknown[],
): Promise<number> {
  const keys = sql.join(table.key.map((k) => sql.ref(k)));
  const { rows } = await sql<{ n: number | bigint }>`
    SELECT count(*) AS n FROM ${sql.table(table.name)}
    WHERE (${keys}) <= (${sql.join(key)})`.execute(side.db);
  return Number(rows[0].n);
}

/** The key of the target's last row, where a resumed copy continues. */
async function lastKey(side: CopySide, table: CopiedTable): Promise<unknown[] | undefined> {
  const keys = sql.join(table.key.map((k) => sql.ref(k)));
  const { rows } = await sql<Row>`
    SELECT ${keys} FROM ${sql.table(table.name)}
    ORDER BY ${sql.join(table.key.map((k) => sql`${sql.ref(k)} DESC`))} LIMIT 1`.execute(side.db);
  return rows.length === 0 ? undefined : table.key.map((k) => rows[0][k]);
}

/** A row as checksummed text: bigints marked so that they never equal a number's digits. */
function rowText(row: Row, columns: readonly string[]): string {
  return JSON.stringify(
    columns.map((c) => row[c]),
    (_, value) => typeof value === "bigint" ? `${value}n` : value,
  );
}

/** Row count and SHA-256 of `table` on `side`, read in key order. */
async function checksum(
  side: CopySide,
  table: CopiedTable,
  columns: readonly string[],
  pageRows: number,
): Promise<{ rows: number; checksum: string }> {
  const encoder = new TextEncoder();
  let digest = new Uint8Array(32);
  let rows = 0;
  let after: unknown[] | undefined;
  for (;;) {
    const chunk = await page(side, table, columns, after, pageRows);
    if (chunk.length === 0) break;
    // A running hash: each page's digest folds in the previous one, in key order.
    const text = chunk.map((row) => rowText(row, columns)).join("\n");
    const bytes = encoder.encode(text);
    const input = new Uint8Array(digest.length + bytes.length);
    input.set(digest);
    input.set(bytes, digest.length);
    digest = new Uint8Array(await crypto.subtle.digest("SHA-256", input));
    rows += chunk.length;
    after = table.key.map((k) => chunk[chunk.length - 1][k]);
  }
  return { rows, checksum: Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("") };
}

/**
 * Copies every table of `source` into `target`, then verifies each by count and checksum. Refuses
 * (before writing) when a table's columns differ between the two: migrate both to one version.
 */
export async function copyArchive(
  source: CopySide,
  target: CopyTarget,
  observer: CopyObserver = {},
): Promise<CopyReport> {
  const plans: { table: CopiedTable; columns: string[] }[] = [];
  for (const table of COPIED_TABLES) {
    const columns = await columnsOf(source, table);
    const targetColumns = await columnsOf(target, table);
    if (columns.join() !== targetColumns.join()) {
      throw new Error(
        `${table.name} has other columns in the target (${targetColumns.join(", ")}) than in ` +
          `the source (${columns.join(", ")}): run \`deno task migrate\` on both and copy again.`,
      );
    }
    plans.push({ table, columns });
  }
  const inserted = new Map<string, number>();
  for (const { table, columns } of plans) {
    const pageRows = Math.max(1, Math.floor(MAX_PARAMETERS / columns.length));
    const targetRows = await count(target, table);
    let after = await lastKey(target, table);
    // Continue past the target's rows only when they are as many as the source's up to there (a
    // stopped copy). Otherwise the source gained rows below that key since (a copy of an archive
    // in use, run again to catch up): read the whole table, ON CONFLICT DO NOTHING fills the gaps.
    const skipped = after === undefined ? 0 : await countThrough(source, table, after);
    if (skipped !== targetRows) after = undefined;
    observer.tableStarted?.(
      table.name,
      await count(source, table),
      targetRows,
      after === undefined ? 0 : skipped,
    );
    let read = 0;
    let written = 0;
    for (;;) {
      const rows = await page(source, table, columns, after, pageRows);
      if (rows.length === 0) break;
      const added = await target.write(async (trx) => {
        const result = await sql`
          INSERT INTO ${sql.table(table.name)} (${sql.join(columns.map((c) => sql.ref(c)))})
          VALUES ${sql.join(rows.map((row) => sql`(${sql.join(columns.map((c) => row[c]))})`))}
          ON CONFLICT (${sql.join(table.key.map((k) => sql.ref(k)))}) DO NOTHING`.execute(trx);
        return Number(result.numAffectedRows ?? 0n);
      });
      read += rows.length;
      written += added;
      after = table.key.map((k) => rows[rows.length - 1][k]);
      observer.pageCopied?.(table.name, read, added);
    }
    inserted.set(table.name, written);
  }
  if (target.dialect === "postgres") {
    // Rows arrived with their ids: the next id the server hands out must follow them.
    await target.write(async (trx) => {
      for (const { table, column } of IDENTITIES) {
        await sql`SELECT setval(pg_get_serial_sequence(${table}, ${column}),
          coalesce((SELECT max(${sql.ref(column)}) FROM ${sql.table(table)}), 0) + 1, false)`
          .execute(trx);
      }
    });
  }
  const tables: TableCopy[] = [];
  for (const { table, columns } of plans) {
    observer.verifying?.(table.name);
    const pageRows = Math.max(1, Math.floor(MAX_PARAMETERS / columns.length));
    const from = await checksum(source, table, columns, pageRows);
    const to = await checksum(target, table, columns, pageRows);
    tables.push({
      table: table.name,
      inserted: inserted.get(table.name) ?? 0,
      sourceRows: from.rows,
      targetRows: to.rows,
      sourceChecksum: from.checksum,
      targetChecksum: to.checksum,
      verified: from.rows === to.rows && from.checksum === to.checksum,
    });
  }
  return { tables, verified: tables.every((t) => t.verified) };
}
