/**
 * Scout's entries as table rows, and their insert: one statement shape per table, compiled once,
 * `ON CONFLICT (idempotency_key) DO NOTHING` so an entry whose own key is stored keeps its row.
 *
 * @module
 */
import type { Insertable, Transaction } from "kysely";
import { reusableStatement } from "./compiled.ts";
import type { SqlDialect } from "./dialect.ts";
import type { DecisionEntry, RejectionEntry } from "./entries.ts";
import type { Database, LlmDecisionLedgerTable, ShadowRadarLogTable } from "./schema.ts";

/** The two tables Scout logs into. */
export type EntryTable = "llm_decision_ledger" | "shadow_radar_log";

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
  entry: DecisionEntry,
  stamp: EntryStamp,
): Required<Omit<Insertable<LlmDecisionLedgerTable>, "log_id" | "schema_v">> {
  return {
    idempotency_key: stamp.idempotencyKey,
    run_id: entry.run_id ?? null,
    timestamp: stamp.happenedAt,
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
    created_at: stamp.receivedAt,
  };
}

/** A rejection as a `shadow_radar_log` row, every column present in a fixed order. */
export function rejectionRow(
  entry: RejectionEntry,
  stamp: EntryStamp,
): Required<Omit<Insertable<ShadowRadarLogTable>, "log_id" | "schema_v">> {
  return {
    idempotency_key: stamp.idempotencyKey,
    run_id: entry.run_id ?? null,
    timestamp: stamp.happenedAt,
    logged_at: stamp.happenedAt,
    trade_date: stamp.tradeDate,
    stock_code: entry.stock_code,
    stock_name: entry.stock_name ?? null,
    rejection_stage: entry.rejection_stage ?? null,
    rejection_reason: entry.rejection_reason ?? null,
    hunter_score_at_time: entry.hunter_score_at_time ?? null,
    trigger_type: entry.trigger_type ?? null,
    trigger_value: entry.trigger_value ?? null,
    created_at: stamp.receivedAt,
  };
}

/** The stored id and trade date of an entry. */
export interface InsertedEntry {
  readonly log_id: number;
  readonly trade_date: string;
}

/**
 * Inserts one entry row; returns its `log_id` and trade date, or the stored row's when its
 * idempotency key is already taken.
 */
export async function insertEntryRow<T extends EntryTable>(
  trx: Transaction<Database>,
  dialect: SqlDialect,
  table: T,
  row: Insertable<Database[T]> & { idempotency_key: string | null; trade_date: string },
): Promise<InsertedEntry> {
  // One table-generic statement: Kysely cannot type a union of two tables' inserts.
  const db = trx as unknown as Transaction<Pick<Database, "llm_decision_ledger">>;
  const insert = reusableStatement(
    dialect.name,
    `entry-insert:${table}`,
    Object.values(row),
    () => {
      const query = db.insertInto(table as "llm_decision_ledger")
        .values(row as Insertable<LlmDecisionLedgerTable>)
        .onConflict((oc) => oc.column("idempotency_key").doNothing());
      return (dialect.returnsIds ? query.returning("log_id") : query).compile();
    },
  );
  const pending = dialect.insertedId(trx, insert);
  // SQLite answers at once: no await, no extra turn of the event loop on the hot path.
  const logId = pending instanceof Promise ? await pending : pending;
  if (logId !== undefined) return { log_id: logId, trade_date: row.trade_date };
  return await db.selectFrom(table as "llm_decision_ledger").select(["log_id", "trade_date"])
    .where("idempotency_key", "=", row.idempotency_key).executeTakeFirstOrThrow();
}
