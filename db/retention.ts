/**
 * Pruning: idempotency records and collection runs older than a cutoff (a run's failed stocks go
 * with it), and minute bars only when the user set a cutoff for them. Deleted in small batches,
 * one transaction each, so a large prune never holds the write lock or the event loop for long.
 *
 * @module
 */
import type { Transaction } from "kysely";
import type { Database } from "./schema.ts";

/** What to prune: everything recorded before `before`; minute bars before `minuteBarsBefore`. */
export interface PruneCutoffs {
  /** Idempotency records and finished runs older than this go. */
  readonly before: Date;
  /** Minute bars of minutes before this go; unset keeps every bar. */
  readonly minuteBarsBefore?: Date;
}

/** Rows deleted by a prune. */
export interface PruneReport {
  readonly idempotencyRecords: number;
  readonly runs: number;
  readonly minuteBars: number;
}

/** Rows one batch deletes per table. */
export const PRUNE_BATCH_ROWS = 2_000;

/** Deletes up to `limit` rows of each kind older than `cutoffs` inside `trx`. */
export async function pruneBatchIn(
  trx: Transaction<Database>,
  cutoffs: PruneCutoffs,
  limit: number = PRUNE_BATCH_ROWS,
): Promise<PruneReport> {
  const before = cutoffs.before.toISOString();
  const idempotency = await trx.deleteFrom("idempotent_request")
    .where(({ eb, selectFrom, refTuple }) =>
      eb(
        refTuple("scope", "idempotency_key"),
        "in",
        selectFrom("idempotent_request").select(["scope", "idempotency_key"])
          .where("created_at", "<", before).limit(limit).$asTuple("scope", "idempotency_key"),
      )
    ).executeTakeFirst();
  // A running run is never pruned: its process may still be writing to it.
  const runs = await trx.deleteFrom("collection_run")
    .where("run_id", "in", (eb) =>
      eb.selectFrom("collection_run").select("run_id")
        .where("started_at", "<", before).where("status", "!=", "running").limit(limit))
    .executeTakeFirst();
  let minuteBars = 0;
  if (cutoffs.minuteBarsBefore) {
    const barsBefore = Math.floor(cutoffs.minuteBarsBefore.getTime() / 1000);
    const result = await trx.deleteFrom("stock_minute_price")
      .where(({ eb, selectFrom, refTuple }) =>
        eb(
          refTuple("stock_code", "bar_time"),
          "in",
          selectFrom("stock_minute_price").select(["stock_code", "bar_time"])
            .where("bar_time", "<", barsBefore).limit(limit).$asTuple("stock_code", "bar_time"),
        )
      ).executeTakeFirst();
    minuteBars = Number(result.numDeletedRows);
  }
  return {
    idempotencyRecords: Number(idempotency.numDeletedRows),
    runs: Number(runs.numDeletedRows),
    minuteBars,
  };
}
