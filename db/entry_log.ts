/**
 * Logging Scout's entries: each batch is stamped (receipt time, trade date, per-entry key) and
 * inserted all or nothing, and a keyed request is answered once and replayed after.
 *
 * @module
 */
import type { Insertable, Transaction } from "kysely";
import type { SqlDialect } from "./dialect.ts";
import type { DecisionEntry, RejectionEntry } from "./entries.ts";
import {
  decisionRow,
  type EntryStamp,
  type EntryTable,
  insertEntryRow,
  rejectionRow,
} from "./entry_rows.ts";
import { type IdempotencyOptions, rememberResponse, storedResponse } from "./idempotency.ts";
import type { MarketCalendar } from "./market_calendar.ts";
import type { Database } from "./schema.ts";

/** The stored ids of one logged batch, and whether it was a replay of an earlier request. */
export interface LoggedEntries {
  /** `log_id` of each entry, in request order. */
  readonly ids: readonly number[];
  /** The KST trading day each entry applies to, in request order. */
  readonly tradeDates: readonly string[];
  /** True when the answer is the stored one of an earlier request with the same key. */
  readonly replayed: boolean;
}

/** How one kind of entry is logged: its idempotency scope, its table, its time and its row. */
export interface EntryKind<Entry, T extends EntryTable> {
  /** The scope of request-level idempotency keys. */
  readonly scope: string;
  readonly table: T;
  /** When the entry says it happened, if it says. */
  readonly happenedAt: (entry: Entry) => string | undefined;
  readonly row: (
    entry: Entry,
    stamp: EntryStamp,
  ) => Insertable<Database[T]> & { idempotency_key: string | null; trade_date: string };
}

/** Judge decisions, into `llm_decision_ledger`. */
export const DECISIONS: EntryKind<DecisionEntry, "llm_decision_ledger"> = {
  scope: "decisions",
  table: "llm_decision_ledger",
  happenedAt: (entry) => entry.decided_at,
  row: decisionRow,
};

/** Rejected candidates, into `shadow_radar_log`. */
export const REJECTIONS: EntryKind<RejectionEntry, "shadow_radar_log"> = {
  scope: "shadow-radar",
  table: "shadow_radar_log",
  happenedAt: (entry) => entry.logged_at,
  row: rejectionRow,
};

/** An entry's own key, else one derived from the request's key (suffixed by index in a batch). */
function entryKey(
  entry: { idempotency_key?: string | null },
  index: number,
  total: number,
  key?: string,
): string | null {
  if (entry.idempotency_key) return entry.idempotency_key;
  if (!key) return null;
  return total === 1 ? key : `${key}#${index}`;
}

/**
 * Logs `entries` of `kind` inside `trx`, or replays the stored answer of an earlier request with
 * the same `idempotency`. `dialect` runs the compiled inserts (directly on SQLite, off the query
 * builder) and serialises requests with the same key across processes.
 */
export async function logEntriesIn<
  Entry extends { idempotency_key?: string | null },
  T extends EntryTable,
>(
  trx: Transaction<Database>,
  dialect: SqlDialect,
  kind: EntryKind<Entry, T>,
  entries: readonly Entry[],
  idempotency: IdempotencyOptions | undefined,
  calendar: MarketCalendar,
  now: () => Date,
): Promise<LoggedEntries> {
  if (idempotency) {
    // A repeat arriving at another process while the first is uncommitted waits here, then
    // replays the stored answer instead of failing on the key.
    await dialect.lockKey(trx, `idempotency:${kind.scope}:${idempotency.key}`);
    const stored = await storedResponse<Omit<LoggedEntries, "replayed">>(
      trx,
      kind.scope,
      idempotency,
    );
    if (stored) return { ...stored, replayed: true };
  }
  const receivedAt = now();
  const receivedIso = receivedAt.toISOString();
  const ids: number[] = [];
  const tradeDates: string[] = [];
  for (const [index, entry] of entries.entries()) {
    const at = kind.happenedAt(entry);
    const instant = at ? new Date(at) : receivedAt;
    const row = await insertEntryRow(
      trx,
      dialect,
      kind.table,
      kind.row(entry, {
        idempotencyKey: entryKey(entry, index, entries.length, idempotency?.key),
        happenedAt: at ? instant.toISOString() : receivedIso,
        receivedAt: receivedIso,
        tradeDate: calendar.tradeDateFor(instant),
      }),
    );
    ids.push(row.log_id);
    tradeDates.push(row.trade_date);
  }
  if (idempotency) {
    await rememberResponse(trx, kind.scope, idempotency, { ids, tradeDates }, now);
  }
  return { ids, tradeDates, replayed: false };
}
