/**
 * Scout's entries as table rows, and their insert: statement shapes compiled once per table (and
 * row count), `ON CONFLICT (idempotency_key) DO NOTHING` so an entry whose own key is stored keeps
 * its row.
 *
 * @module
 */
import type { CompiledQuery, Insertable, Transaction } from "kysely";
import { reusableStatement } from "./compiled.ts";
import type { SqlDialect } from "./dialect.ts";
import type { DecisionEntry, RejectionEntry } from "./entries.ts";
import type { Database, LlmDecisionLedgerTable, ShadowRadarLogTable } from "./schema.ts";

/** The two tables Scout logs into. */
export type EntryTable = "llm_decision_ledger" | "shadow_radar_log";

/** The original row's own columns, as every entry may send them. */
interface OriginalKeys {
  readonly timestamp?: string;
  readonly schema_v?: string;
}

/** Version written to `schema_v` when the entry names none (the original's). */
export const DEFAULT_SCHEMA_V = "1.0";

/** What every entry row carries besides its table's own columns. */
export interface EntryStamp {
  /** The row's idempotency key, or null. */
  readonly idempotencyKey: string | null;
  /** When the entry happened, UTC ISO-8601. */
  readonly happenedAt: string;
  /** When the archive received it, UTC ISO-8601. */
  readonly receivedAt: string;
  /** The KST trading day it applies to. */
  readonly tradeDate: string;
}

/** A decision as a `llm_decision_ledger` row, every column present in a fixed order. */
export function decisionRow(
  entry: DecisionEntry & OriginalKeys,
  stamp: EntryStamp,
): Required<Omit<Insertable<LlmDecisionLedgerTable>, "log_id">> {
  return {
    idempotency_key: stamp.idempotencyKey,
    run_id: entry.run_id ?? null,
    timestamp: entry.timestamp ?? stamp.happenedAt,
    decided_at: stamp.happenedAt,
    trade_date: stamp.tradeDate,
    stock_code: entry.stock_code,
    stock_name: entry.stock_name ?? null,
    hunter_score: entry.hunter_score ?? null,
    market_regime: entry.market_regime ?? null,
    dominant_keywords: entry.dominant_keywords ? JSON.stringify(entry.dominant_keywords) : null,
    debate_log: entry.debate_log ?? null,
    counter_position_logic: entry.counter_position_logic ?? null,
    thinking_called: entry.thinking_called ?? null,
    thinking_reason: entry.thinking_reason ?? null,
    cost_estimate: entry.cost_estimate ?? null,
    gate_result: entry.gate_result ?? null,
    final_decision: entry.final_decision,
    final_reason: entry.final_reason ?? null,
    schema_v: entry.schema_v ?? DEFAULT_SCHEMA_V,
    created_at: stamp.receivedAt,
  };
}

/** A rejection as a `shadow_radar_log` row, every column present in a fixed order. */
export function rejectionRow(
  entry: RejectionEntry & OriginalKeys,
  stamp: EntryStamp,
): Required<Omit<Insertable<ShadowRadarLogTable>, "log_id">> {
  return {
    idempotency_key: stamp.idempotencyKey,
    run_id: entry.run_id ?? null,
    timestamp: entry.timestamp ?? stamp.happenedAt,
    logged_at: stamp.happenedAt,
    trade_date: stamp.tradeDate,
    stock_code: entry.stock_code,
    stock_name: entry.stock_name ?? null,
    rejection_stage: entry.rejection_stage ?? null,
    rejection_reason: entry.rejection_reason ?? null,
    hunter_score_at_time: entry.hunter_score_at_time ?? null,
    trigger_type: entry.trigger_type ?? null,
    trigger_value: entry.trigger_value ?? null,
    schema_v: entry.schema_v ?? DEFAULT_SCHEMA_V,
    created_at: stamp.receivedAt,
  };
}

/** The stored id and trade date of an entry. */
export interface InsertedEntry {
  readonly log_id: number;
  readonly trade_date: string;
}

/** An entry row as inserted. */
export type EntryRow<T extends EntryTable> = Insertable<Database[T]> & {
  idempotency_key: string | null;
  trade_date: string;
};

/** Rows per multi-row insert (PostgreSQL): 20 columns each stay far below its parameter limit. */
export const ROWS_PER_INSERT = 100;

/** The insert of `rows` into `table`, compiled once per table and row count. */
function insertStatement<T extends EntryTable>(
  trx: Transaction<Database>,
  dialect: SqlDialect,
  table: T,
  rows: readonly EntryRow<T>[],
): CompiledQuery {
  // One table-generic statement: Kysely cannot type a union of two tables' inserts.
  const db = trx as unknown as Transaction<Pick<Database, "llm_decision_ledger">>;
  return reusableStatement(
    dialect.name,
    rows.length === 1 ? `entry-insert:${table}` : `entry-insert:${table}:${rows.length}`,
    rows.flatMap((row) => Object.values(row)),
    () => {
      const query = db.insertInto(table as "llm_decision_ledger")
        .values(rows as Insertable<LlmDecisionLedgerTable>[])
        .onConflict((oc) => oc.column("idempotency_key").doNothing());
      return (dialect.entryIds.via === "returning"
        ? query.returning(["log_id", "idempotency_key"])
        : query).compile();
    },
  );
}

/**
 * Inserts entry rows (on PostgreSQL many per statement); returns each one's `log_id` and trade
 * date, in order, or the stored row's when its idempotency key is already taken.
 */
export async function insertEntryRows<T extends EntryTable>(
  trx: Transaction<Database>,
  dialect: SqlDialect,
  table: T,
  rows: readonly EntryRow<T>[],
): Promise<InsertedEntry[]> {
  const logIds: (number | undefined)[] = [];
  const ids = dialect.entryIds;
  if (ids.via === "connection") {
    // SQLite answers at once: no await, no extra turn of the event loop on the hot path.
    for (const row of rows) logIds.push(ids.run(insertStatement(trx, dialect, table, [row])));
  } else {
    for (let start = 0; start < rows.length; start += ROWS_PER_INSERT) {
      const chunk = rows.slice(start, start + ROWS_PER_INSERT);
      const { rows: returned } = await trx.executeQuery<
        { log_id: number; idempotency_key: string | null }
      >(insertStatement(trx, dialect, table, chunk));
      // RETURNING lists the inserted rows in the order of VALUES; a row whose key conflicted is
      // missing from it.
      let next = 0;
      for (const row of chunk) {
        const inserted = returned[next];
        if (inserted !== undefined && inserted.idempotency_key === row.idempotency_key) {
          logIds.push(Number(inserted.log_id));
          next++;
        } else {
          logIds.push(undefined);
        }
      }
    }
  }
  const entries: InsertedEntry[] = [];
  for (const [i, row] of rows.entries()) {
    const logId = logIds[i];
    if (logId !== undefined) {
      entries.push({ log_id: logId, trade_date: row.trade_date });
      continue;
    }
    const db = trx as unknown as Transaction<Pick<Database, "llm_decision_ledger">>;
    entries.push(
      await db.selectFrom(table as "llm_decision_ledger").select(["log_id", "trade_date"])
        .where("idempotency_key", "=", row.idempotency_key).executeTakeFirstOrThrow(),
    );
  }
  return entries;
}
