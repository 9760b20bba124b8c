/**
 * What the two logging routes (`POST /v1/decisions`, `POST /v1/shadow-radar`) share: one entry or
 * an array as the body, the answer with the stored ids, and replays of idempotent requests.
 *
 * @module
 */
import type { Context } from "hono";
import { z } from "zod";
import type { IdempotencyOptions, LoggedEntries } from "../../db/archivist.ts";
import { idempotencyFor, REPLAYED_HEADER } from "./idempotency.ts";

/** Most entries one request may carry. */
export const MAX_ENTRIES_PER_REQUEST = 1000;

/** The body of a logging route: one entry, or a non-empty array stored all or nothing. */
export function entriesBodySchema<T extends z.ZodType>(entry: T, what: string) {
  return z.union([
    entry,
    z.array(entry)
      .min(1, { error: `expected at least one ${what}` })
      .max(MAX_ENTRIES_PER_REQUEST, {
        error: `expected at most ${MAX_ENTRIES_PER_REQUEST} entries; split the batch`,
      }),
  ]).meta({ description: `One ${what} or an array of them (stored all or nothing)` });
}

/** The 201 answer of a logging route. */
export const loggedEntriesSchema = z.object({
  ids: z.array(z.int()).meta({ description: "Stored `log_id` of each entry, in request order" }),
  trade_dates: z.array(z.string()).meta({
    description:
      "KST trading day each entry applies to (after that day's close — 15:30 KST, 16:30 on CSAT days —: the next trading day)",
  }),
  count: z.int().meta({ description: "Number of entries in the request" }),
}).meta({ id: "LoggedEntries" });

/**
 * Stores a validated body through `log` (one Archivist call, one transaction) and answers 201;
 * a replayed idempotent request gets the first answer with `Idempotent-Replayed: true`.
 */
export async function logEntries<Entry>(
  c: Context,
  route: string,
  body: Entry | Entry[],
  idempotencyKey: string | undefined,
  log: (entries: Entry[], idempotency?: IdempotencyOptions) => Promise<LoggedEntries>,
) {
  // The fingerprint covers the body as sent (Hono's cached parse), not the validated transform.
  const idempotency = await idempotencyFor(idempotencyKey, route, await c.req.json());
  const result = await log(Array.isArray(body) ? body : [body], idempotency);
  if (result.replayed) c.header(REPLAYED_HEADER, "true");
  return {
    ids: [...result.ids],
    trade_dates: [...result.tradeDates],
    count: result.ids.length,
  } satisfies z.output<typeof loggedEntriesSchema>;
}
