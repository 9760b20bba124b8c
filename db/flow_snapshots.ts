/**
 * Daily investor-flow snapshots, one row per (stock, trade date, data type): the upsert that
 * counts what changed, and the read of a stock's days.
 *
 * @module
 */
import type { Kysely, Transaction } from "kysely";
import { isTradeDate } from "../src/time.ts";
import { ArchiveInputError } from "./errors.ts";
import {
  type Database,
  FLOW_VALUE_COLUMNS,
  type FlowSnapshot,
  type FlowSnapshotRow,
} from "./schema.ts";
import type { WriteCounts } from "./write_counts.ts";

/** Refuses a snapshot whose date or values are malformed, naming the field. */
function validateFlowSnapshot(snapshot: FlowSnapshot, index: number): void {
  if (!isTradeDate(snapshot.trade_date)) {
    throw new ArchiveInputError(
      "upsertFlowSnapshots",
      "expected a KST date YYYY-MM-DD",
      `snapshots[${index}].trade_date`,
    );
  }
  for (const column of FLOW_VALUE_COLUMNS) {
    const value = snapshot[column];
    if (value !== null && value !== undefined && !Number.isSafeInteger(value)) {
      throw new ArchiveInputError(
        "upsertFlowSnapshots",
        `expected an integer or null, got ${value}`,
        `snapshots[${index}].${column}`,
      );
    }
  }
}

/**
 * Upserts `snapshots` inside `trx`, validating each as it goes; rows whose values are identical
 * are left untouched (their `updated_at` too).
 */
export async function upsertFlowSnapshotsIn(
  trx: Transaction<Database>,
  snapshots: readonly FlowSnapshot[],
  now: () => Date,
): Promise<WriteCounts> {
  let inserted = 0, updated = 0, unchanged = 0;
  const updatedAt = now().toISOString();
  for (const [index, snapshot] of snapshots.entries()) {
    const dataType = snapshot.data_type ?? "DAILY";
    validateFlowSnapshot(snapshot, index);
    const existing = await trx.selectFrom("market_flow_snapshot").select(FLOW_VALUE_COLUMNS)
      .where("stock_code", "=", snapshot.stock_code)
      .where("trade_date", "=", snapshot.trade_date)
      .where("data_type", "=", dataType).executeTakeFirst();
    const values = Object.fromEntries(
      FLOW_VALUE_COLUMNS.map((c) => [c, snapshot[c] ?? null]),
    ) as Record<typeof FLOW_VALUE_COLUMNS[number], number | null>;
    if (!existing) {
      await trx.insertInto("market_flow_snapshot").values({
        stock_code: snapshot.stock_code,
        trade_date: snapshot.trade_date,
        data_type: dataType,
        ...values,
        created_at: updatedAt,
        updated_at: updatedAt,
      }).execute();
      inserted++;
    } else if (FLOW_VALUE_COLUMNS.some((c) => existing[c] !== values[c])) {
      await trx.updateTable("market_flow_snapshot").set({ ...values, updated_at: updatedAt })
        .where("stock_code", "=", snapshot.stock_code)
        .where("trade_date", "=", snapshot.trade_date)
        .where("data_type", "=", dataType).execute();
      updated++;
    } else {
      unchanged++;
    }
  }
  return { inserted, updated, unchanged };
}

/** Daily flow rows of a stock between two KST dates (inclusive), ascending. */
export function flowSnapshots(
  db: Kysely<Database>,
  stockCode: string,
  from: string,
  to: string,
): Promise<FlowSnapshotRow[]> {
  return db.selectFrom("market_flow_snapshot").selectAll()
    .where("stock_code", "=", stockCode).where("data_type", "=", "DAILY")
    .where("trade_date", ">=", from).where("trade_date", "<=", to)
    .orderBy("trade_date").execute();
}
