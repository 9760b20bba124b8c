/**
 * The JSON request body of writing routes: `application/json` only (415), at most 1 MiB (413),
 * well-formed UTF-8 and JSON, free of NUL characters (400). Runs before schema validation, so
 * every refusal names its cause (and the fields that hold a bad character).
 *
 * @module
 */
import type { MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { every } from "hono/combine";
import { type FieldError, HttpProblem, invalidRequest } from "./problem.ts";
import { decodeUtf8Marking, INVALID_UTF8_MARK } from "./utf8.ts";

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

const NUL_MESSAGE = "contains a NUL character (U+0000), which the archive cannot keep; remove it";
const INVALID_UTF8_MESSAGE = "is not valid UTF-8 (a byte sequence that is no character); " +
  "send the text encoded as UTF-8";

/**
 * The fields (in document order) whose strings or keys hold a character the archive refuses:
 * U+0000, which SQLite stores but `node:sqlite` reads back cut at the NUL, and bytes that were no
 * UTF-8 ({@link INVALID_UTF8_MARK}). Lazy and iterative: deep nesting and huge bodies are safe.
 */
export function* badCharacterFields(body: unknown): Generator<FieldError> {
  const problem = (text: string) =>
    text.includes(INVALID_UTF8_MARK)
      ? INVALID_UTF8_MESSAGE
      : text.includes("\0")
      ? NUL_MESSAGE
      : "";
  // [value, its path, the problem of its key if the key itself is bad]
  const stack: [unknown, string, string][] = [[body, "", ""]];
  while (stack.length > 0) {
    const [value, path, keyProblem] = stack.pop()!;
    if (keyProblem) {
      // A bad key is reported once; its value is not looked at.
      yield { field: path, message: keyProblem };
    } else if (typeof value === "string") {
      const message = problem(value);
      if (message) yield { field: path || "(body)", message };
    } else if (Array.isArray(value)) {
      for (let index = value.length - 1; index >= 0; index--) {
        stack.push([value[index], `${path}[${index}]`, ""]);
      }
    } else if (value !== null && typeof value === "object") {
      const entries = Object.entries(value);
      for (let i = entries.length - 1; i >= 0; i--) {
        const [key, item] = entries[i];
        stack.push([item, path ? `${path}.${key}` : key, problem(key)]);
      }
    }
  }
}

const parseJson: MiddlewareHandler = async (c, next) => {
  const { text, valid } = decodeUtf8Marking(new Uint8Array(await c.req.arrayBuffer()));
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (error) {
    throw new HttpProblem(
      400,
      valid
        ? `the body is not valid JSON: ${(error as Error).message}`
        : "the body is not valid UTF-8 (a byte sequence that is no character, outside any " +
          "string); send JSON encoded as UTF-8",
    );
  }
  const bad = badCharacterFields(body);
  const first = bad.next();
  if (!first.done) {
    throw invalidRequest(function* () {
      yield first.value;
      yield* bad;
    }());
  }
  // Validation and the idempotency fingerprint read the body again: hand them this parse instead
  // of one JSON.parse each (CPU, and memory when large bodies arrive at once).
  const parsed = Promise.resolve(body);
  c.req.json = <T>() => parsed as Promise<T>;
  await next();
};

/** Middleware admitting only a well-formed JSON body of at most {@link MAX_BODY_BYTES}. */
export const jsonBody: MiddlewareHandler = every(requireJsonContentType, limitBody, parseJson);
