/**
 * Request-level idempotency: the response of a keyed request is stored beside it, so a repeat of
 * that request gets the first response back and writes nothing.
 *
 * @module
 */
import type { Transaction } from "kysely";
import { IdempotencyConflictError } from "./errors.ts";
import type { Database } from "./schema.ts";

/** Request-level idempotency: the key and a fingerprint of the request it belongs to. */
export interface IdempotencyOptions {
  /** The client's `Idempotency-Key`. */
  readonly key: string;
  /** A digest of the canonical request; the same key with another fingerprint is a conflict. */
  readonly fingerprint: string;
}

/**
 * The responses stored for the keys of `requests` in `scope` (one query for all), in order:
 * undefined where the key is new. Throws `IdempotencyConflictError` when a key was used with
 * another request.
 */
export async function storedResponses<T>(
  trx: Transaction<Database>,
  scope: string,
  requests: readonly IdempotencyOptions[],
): Promise<(T | undefined)[]> {
  if (requests.length === 0) return [];
  const rows = await trx.selectFrom("idempotent_request")
    .select(["idempotency_key", "fingerprint", "response"])
    .where("scope", "=", scope)
    .where("idempotency_key", "in", [...new Set(requests.map((request) => request.key))])
    .execute();
  const byKey = new Map(rows.map((row) => [row.idempotency_key, row]));
  return requests.map((request) => {
    const stored = byKey.get(request.key);
    if (!stored) return undefined;
    if (stored.fingerprint !== request.fingerprint) {
      throw new IdempotencyConflictError(request.key);
    }
    return JSON.parse(stored.response);
  });
}

/**
 * Stores each response (as JSON) for its request's key in `scope`, inside the requests'
 * transaction (one statement for all).
 */
export async function rememberResponses(
  trx: Transaction<Database>,
  scope: string,
  answered: readonly { readonly idempotency: IdempotencyOptions; readonly response: unknown }[],
  now: () => Date,
): Promise<void> {
  if (answered.length === 0) return;
  const createdAt = now().toISOString();
  await trx.insertInto("idempotent_request").values(answered.map(({ idempotency, response }) => ({
    idempotency_key: idempotency.key,
    scope,
    fingerprint: idempotency.fingerprint,
    response: JSON.stringify(response),
    created_at: createdAt,
  }))).execute();
}
