/**
 * Response helpers of the simulated KIS hosts: exact headers (`content-type` with charset,
 * `tr_id` echo, `tr_cont`, `gt_uid`) and the body faults.
 *
 * @module
 */

/** `content-type` of every KIS JSON answer. */
export const KIS_JSON = "application/json; charset=utf-8";

/** A JSON answer with the KIS response headers. */
export function kisResponse(
  body: unknown,
  status: number,
  headers: { trId?: string; trCont?: string } = {},
): Response {
  return kisTextResponse(JSON.stringify(body), status, headers);
}

/** A raw-text answer with the KIS response headers (used for broken bodies too). */
export function kisTextResponse(
  text: string,
  status: number,
  headers: { trId?: string; trCont?: string } = {},
): Response {
  const out = new Headers({
    "content-type": KIS_JSON,
    gt_uid: crypto.randomUUID().replaceAll("-", ""),
  });
  if (headers.trId !== undefined) out.set("tr_id", headers.trId);
  if (headers.trCont !== undefined) out.set("tr_cont", headers.trCont);
  return new Response(text, { status, headers: out });
}

/** Replaces every value of `field` (at any depth) with `"abc"`; returns whether one was found. */
export function corruptField(value: unknown, field: string): boolean {
  let found = false;
  if (Array.isArray(value)) {
    for (const item of value) found = corruptField(item, field) || found;
  } else if (typeof value === "object" && value !== null) {
    const record = value as Record<string, unknown>;
    for (const [key, inner] of Object.entries(record)) {
      if (key === field) {
        record[key] = "abc";
        found = true;
      } else {
        found = corruptField(inner, field) || found;
      }
    }
  }
  return found;
}

/** `text` cut in the middle: no longer valid JSON. */
export function truncateJson(text: string): string {
  return text.slice(0, Math.max(1, Math.floor(text.length / 2)));
}

/** Reads a JSON object body; `undefined` when the body is not a JSON object. */
export async function readJsonObject(
  request: Request,
): Promise<Record<string, unknown> | undefined> {
  try {
    const parsed: unknown = JSON.parse(await request.text());
    return typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)
      ? parsed as Record<string, unknown>
      : undefined;
  } catch {
    return undefined;
  }
}
