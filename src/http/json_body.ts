/**
 * The JSON request body of writing routes: `application/json` only (415), at most 1 MiB (413),
 * well-formed and free of NUL characters (400). Runs before schema validation, so every refusal names its cause.
 *
 * @module
 */
import type { MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { every } from "hono/combine";
import { HttpProblem, invalidRequest } from "./problem.ts";

/** Largest accepted request body: 1 MiB. */
export const MAX_BODY_BYTES = 1024 * 1024;

const JSON_MEDIA_TYPE = /^application\/([\w.-]+\+)?json$/i;

const requireJsonContentType: MiddlewareHandler = async (c, next) => {
  const contentType = c.req.header("content-type");
  const mediaType = contentType?.split(";")[0].trim() ?? "";
  if (!JSON_MEDIA_TYPE.test(mediaType)) {
    throw new HttpProblem(
      415,
      `expected Content-Type: application/json, got ${
        contentType ? JSON.stringify(contentType) : "none"
      }`,
    );
  }
  await next();
};

const limitBody = bodyLimit({
  maxSize: MAX_BODY_BYTES,
  onError: () => {
    throw new HttpProblem(
      413,
      `the body is larger than ${MAX_BODY_BYTES} bytes (1 MiB); send fewer entries per request`,
    );
  },
});

/**
 * Paths of strings holding U+0000: SQLite stores them but `node:sqlite` reads them back cut at the
 * NUL, so they are refused rather than silently truncated. Iterative, so deep nesting is safe.
 */
export function nulCharacterPaths(body: unknown): string[] {
  const found: string[] = [];
  const stack: [unknown, string][] = [[body, ""]];
  while (stack.length > 0) {
    const [value, path] = stack.pop()!;
    if (typeof value === "string") {
      if (value.includes("\0")) found.push(path || "(body)");
    } else if (Array.isArray(value)) {
      value.forEach((item, index) => stack.push([item, `${path}[${index}]`]));
    } else if (value !== null && typeof value === "object") {
      for (const [key, item] of Object.entries(value)) {
        if (key.includes("\0")) found.push(path ? `${path}.${key}` : key);
        stack.push([item, path ? `${path}.${key}` : key]);
      }
    }
  }
  return found.sort();
}

const parseJson: MiddlewareHandler = async (c, next) => {
  let body: unknown;
  try {
    // Hono caches the parsed body: validation and the idempotency fingerprint reuse it.
    body = await c.req.json();
  } catch (error) {
    throw new HttpProblem(400, `the body is not valid JSON: ${(error as Error).message}`);
  }
  const nulPaths = nulCharacterPaths(body);
  if (nulPaths.length > 0) {
    throw invalidRequest(nulPaths.map((field) => ({
      field,
      message: "contains a NUL character (U+0000), which the archive cannot keep; remove it",
    })));
  }
  await next();
};

/** Middleware admitting only a well-formed JSON body of at most {@link MAX_BODY_BYTES}. */
export const jsonBody: MiddlewareHandler = every(requireJsonContentType, limitBody, parseJson);
