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
 * The response stored for `idempotency` in `scope`, or undefined when the key is new. Throws
 * `IdempotencyConflictError` when the key was used with another request.
 */
export async function storedResponse<T>(
  trx: Transaction<Database>,
  scope: string,
  idempotency: IdempotencyOptions,
): Promise<T | undefined> {
  const stored = await trx.selectFrom("idempotent_request").select(["fingerprint", "response"])
    .where("scope", "=", scope).where("idempotency_key", "=", idempotency.key)
    .executeTakeFirst();
  if (!stored) return undefined;
  if (stored.fingerprint !== idempotency.fingerprint) {
    throw new IdempotencyConflictError(idempotency.key);
  }
  return JSON.parse(stored.response);
}

/** Stores `response` (as JSON) for `idempotency` in `scope`, inside the request's transaction. */
export async function rememberResponse(
  trx: Transaction<Database>,
  scope: string,
  idempotency: IdempotencyOptions,
  response: unknown,
  now: () => Date,
): Promise<void> {
  await trx.insertInto("idempotent_request").values({
    idempotency_key: idempotency.key,
    scope,
    fingerprint: idempotency.fingerprint,
    response: JSON.stringify(response),
    created_at: now().toISOString(),
  }).execute();
}
