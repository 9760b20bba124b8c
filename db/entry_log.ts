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
  insertEntryRows,
  rejectionRow,
  ROWS_PER_INSERT,
} from "./entry_rows.ts";
import { type IdempotencyOptions, rememberResponses, storedResponses } from "./idempotency.ts";
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
  happenedAt: (entry) => entry.decided_at ?? entry.timestamp,
  row: decisionRow,
};

/** Rejected candidates, into `shadow_radar_log`. */
export const REJECTIONS: EntryKind<RejectionEntry, "shadow_radar_log"> = {
  scope: "shadow-radar",
  table: "shadow_radar_log",
  happenedAt: (entry) => entry.logged_at ?? entry.timestamp,
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

/** One request to log entries: its entries and, when keyed, its idempotency. */
export interface EntryRequest<Entry> {
  readonly entries: readonly Entry[];
  readonly idempotency?: IdempotencyOptions;
}

/**
 * Whether {@link logEntryRequestsIn} writes `requests` with one statement: none is keyed (a keyed
 * one is looked up, then its answer stored) and their rows fit one insert.
 */
export function entryRequestsInOneStatement(
  requests: readonly EntryRequest<unknown>[],
): boolean {
  return requests.every((request) => !request.idempotency) &&
    requests.reduce((rows, request) => rows + request.entries.length, 0) <= ROWS_PER_INSERT;
}

/**
 * Logs the entries of each of `requests` (of `kind`) inside `trx`, or replays the stored answer
 * of an earlier request with the same idempotency key; one answer per request, in order. The
 * requests share their statements (one lock and one lookup for all the keys, the rows inserted
 * together, one insert of the answers), so requests committing together cost a few statements.
 * `dialect` runs the inserts (directly on SQLite, off the query builder) and serialises requests
 * with the same key across processes.
 */
export async function logEntryRequestsIn<
  Entry extends { idempotency_key?: string | null; trade_date?: string },
  T extends EntryTable,
>(
  trx: Transaction<Database>,
  dialect: SqlDialect,
  kind: EntryKind<Entry, T>,
  requests: readonly EntryRequest<Entry>[],
  calendar: MarketCalendar,
  now: () => Date,
): Promise<LoggedEntries[]> {
  const keyed = requests.flatMap((request) => request.idempotency ? [request.idempotency] : []);
  // A repeat arriving at another process while the first is uncommitted waits here, then
  // replays the stored answer instead of failing on the key.
  await dialect.lockKeys(
    trx,
    keyed.map((idempotency) => `idempotency:${kind.scope}:${idempotency.key}`),
  );
  const stored = await storedResponses<Omit<LoggedEntries, "replayed">>(trx, kind.scope, keyed);
  const answers: (LoggedEntries | undefined)[] = [];
  let k = 0;
  for (const request of requests) {
    const replay = request.idempotency ? stored[k++] : undefined;
    answers.push(replay && { ...replay, replayed: true });
  }

  const receivedAt = now();
  const receivedIso = receivedAt.toISOString();
  const rows = requests.flatMap((request, r) =>
    answers[r] ? [] : request.entries.map((entry, index) => {
      const at = kind.happenedAt(entry);
      const instant = at ? new Date(at) : receivedAt;
      return kind.row(entry, {
        idempotencyKey: entryKey(entry, index, request.entries.length, request.idempotency?.key),
        happenedAt: at ? instant.toISOString() : receivedIso,
        receivedAt: receivedIso,
        // Scout's own trade date, when it sends one, as the original meant it.
        tradeDate: entry.trade_date ?? calendar.tradeDateFor(instant),
      });
    })
  );
  const inserted = await insertEntryRows(trx, dialect, kind.table, rows);

  let next = 0;
  const remembered: { idempotency: IdempotencyOptions; response: unknown }[] = [];
  const logged = requests.map((request, r) => {
    const replay = answers[r];
    if (replay) return replay;
    const mine = inserted.slice(next, next += request.entries.length);
    const response = { ids: mine.map((e) => e.log_id), tradeDates: mine.map((e) => e.trade_date) };
    if (request.idempotency) remembered.push({ idempotency: request.idempotency, response });
    return { ...response, replayed: false };
  });
  await rememberResponses(trx, kind.scope, remembered, now);
  return logged;
}
