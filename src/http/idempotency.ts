/**
 * `Idempotency-Key` on the POST routes: the header's schema and the request fingerprint (SHA-256
 * of the route and the canonical JSON body) the Archivist stores with the first answer.
 *
 * @module
 */
import { z } from "zod";
import type { IdempotencyOptions } from "../../db/archivist.ts";

/** Response header set on an answer replayed from an earlier request with the same key. */
export const REPLAYED_HEADER = "Idempotent-Replayed";

/** The optional `Idempotency-Key` request header: 1–200 visible ASCII characters. */
export const idempotencyHeadersSchema = z.object({
  "Idempotency-Key": z.string()
    .regex(/^[\x21-\x7e]{1,200}$/, {
      error: "expected 1 to 200 visible ASCII characters, e.g. a UUID",
    })
    .optional()
    .meta({
      description: "Makes a retried POST safe: the same key and body return the first answer " +
        "and store nothing; the same key with another body is a 422",
      example: "0b7e3c1e-5a2f-4f5e-9d51-3a1c2f9e8b10",
    }),
});

/** JSON with object keys sorted at every depth, so equal documents give equal text. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.keys(value).sort().map((key) =>
      `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`
    );
    return `{${entries.join(",")}}`;
  }
  return JSON.stringify(value);
}

/** The Archivist's idempotency options for a request, or undefined without a key. */
export async function idempotencyFor(
  key: string | undefined,
  route: string,
  body: unknown,
): Promise<IdempotencyOptions | undefined> {
  if (key === undefined) return undefined;
  const digest = await crypto.subtle.digest(
    "SHA-256",
    new TextEncoder().encode(`${route}\n${canonicalJson(body)}`),
  );
  const fingerprint = Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0"))
    .join("");
  return { key, fingerprint };
}
