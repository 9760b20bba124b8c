/**
 * Error answers as `application/problem+json` (RFC 9457): every refusal names its problem, and a
 * bad request lists each bad field with what was expected there.
 *
 * @module
 */
import { z } from "zod";

/** Media type of every error answer. */
export const PROBLEM_CONTENT_TYPE = "application/problem+json";

/** The problem types this API answers with (relative URIs, described in `docs/scout.md`). */
export const PROBLEM_TYPES = {
  /** The body, a query parameter or a header does not match the schema. */
  invalidRequest: "/problems/invalid-request",
  /** An `Idempotency-Key` was reused with a different request. */
  idempotencyConflict: "/problems/idempotency-key-reused",
  /** `/v1/*` without the right bearer token. */
  unauthorized: "/problems/unauthorized",
  /** The archive could not store or read; nothing of the request was stored. */
  archiveUnavailable: "/problems/archive-unavailable",
  /** Stored, but the sync to the device failed: retry only with the same Idempotency-Key. */
  storedNotSynced: "/problems/stored-not-synced",
  /** Plain HTTP status problems (404, 405, 413, 415, 500): the title is the status phrase. */
  plain: "about:blank",
} as const;

/** One bad field: where (`[2].final_decision`, `limit`, `Idempotency-Key`) and why. */
export interface FieldError {
  readonly field: string;
  readonly message: string;
}

/** An RFC 9457 problem document with Archivist's `errors` extension. */
export interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  readonly errors?: readonly FieldError[];
  /** How many problems there were, when `errors` lists only the first of them. */
  readonly error_count?: number;
}

/**
 * Most bad fields one answer lists; the others are only counted. A 1 MiB body can hold hundreds
 * of thousands of mistakes: listing them all made answers of 10 MB and took the service to 1 GB.
 */
export const MAX_LISTED_ERRORS = 20;

/** The zod schema of a problem document, for the OpenAPI document. */
export const problemSchema = z.object({
  type: z.string().meta({ example: PROBLEM_TYPES.invalidRequest }),
  title: z.string().meta({ example: "Invalid request" }),
  status: z.int().meta({ example: 400 }),
  detail: z.string().meta({ example: "1 field is invalid; fix it and send the request again" }),
  errors: z.array(z.object({
    field: z.string().meta({ example: "[2].final_decision" }),
    message: z.string().meta({ example: "expected one of BUY, SELL, HOLD, NO_DECISION" }),
  })).optional().meta({ description: `Each bad field and why (the first ${MAX_LISTED_ERRORS})` }),
  error_count: z.int().optional().meta({
    description: "How many fields were bad, when `errors` lists only the first of them",
  }),
}).meta({ id: "Problem", description: "RFC 9457 problem details" });

const STATUS_TITLES: Readonly<Record<number, string>> = {
  400: "Bad Request",
  401: "Unauthorized",
  404: "Not Found",
  405: "Method Not Allowed",
  413: "Content Too Large",
  415: "Unsupported Media Type",
  421: "Misdirected Request",
  422: "Unprocessable Content",
  500: "Internal Server Error",
  503: "Service Unavailable",
};

/** A refusal thrown anywhere in a request; the app's error handler answers it as a problem. */
export class HttpProblem extends Error {
  /** The problem document sent to the client. */
  readonly problem: Problem;
  /** Extra response headers, e.g. `WWW-Authenticate` or `Allow`. */
  readonly headers: Readonly<Record<string, string>>;

  constructor(
    status: number,
    detail: string,
    options: {
      type?: string;
      title?: string;
      errors?: readonly FieldError[];
      errorCount?: number;
      headers?: Record<string, string>;
    } = {},
  ) {
    super(detail);
    this.name = "HttpProblem";
    this.problem = {
      type: options.type ?? PROBLEM_TYPES.plain,
      title: options.title ?? STATUS_TITLES[status] ?? "Error",
      status,
      detail,
      ...(options.errors ? { errors: options.errors } : {}),
      ...(options.errorCount !== undefined ? { error_count: options.errorCount } : {}),
    };
    this.headers = options.headers ?? {};
  }
}

/** A problem as a `Response`. */
export function problemResponse(
  problem: Problem,
  headers: Readonly<Record<string, string>> = {},
): Response {
  return new Response(JSON.stringify(problem), {
    status: problem.status,
    headers: { ...headers, "content-type": PROBLEM_CONTENT_TYPE },
  });
}

/**
 * A 400 "invalid request" naming the first {@link MAX_LISTED_ERRORS} bad fields and counting the
 * rest: `errors` is read lazily, so memory stays bounded however many problems the input has.
 */
export function invalidRequest(errors: Iterable<FieldError>): HttpProblem {
  const listed: FieldError[] = [];
  let total = 0;
  for (const error of errors) {
    if (listed.length < MAX_LISTED_ERRORS) listed.push(error);
    total++;
  }
  const detail = total === 1
    ? "1 field is invalid; fix it and send the request again"
    : total > listed.length
    ? `${total} fields are invalid (the first ${listed.length} are listed); fix them and send ` +
      "the request again"
    : `${total} fields are invalid; fix them and send the request again`;
  return new HttpProblem(400, detail, {
    type: PROBLEM_TYPES.invalidRequest,
    title: "Invalid request",
    errors: listed,
    ...(total > listed.length ? { errorCount: total } : {}),
  });
}

/** A zod issue path as a field name: `[2].final_decision`, `dominant_keywords[0]`, `limit`. */
export function fieldPath(path: readonly PropertyKey[], prefix = ""): string {
  let field = prefix;
  for (const key of path) {
    field += typeof key === "number" ? `[${key}]` : field === "" ? String(key) : `.${String(key)}`;
  }
  return field === "" ? "(body)" : field;
}

type Issue = z.core.$ZodIssue;

/** Whether a union branch failed only because the value had another type altogether. */
function isWrongTypeOnly(issues: readonly Issue[]): boolean {
  return issues.every((issue) => issue.code === "invalid_type" && issue.path.length === 0);
}

/**
 * Zod issues as field errors, one at a time: unknown keys become one error each, and a union (one
 * object or an array of them) reports the branch the value was meant for instead of "Invalid
 * input".
 */
export function* fieldErrors(
  issues: readonly Issue[],
  prefix: readonly PropertyKey[] = [],
): Generator<FieldError> {
  for (const issue of issues) {
    const path = [...prefix, ...issue.path];
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) {
        yield {
          field: fieldPath([...path, key]),
          message: "unknown field; remove it or check its spelling",
        };
      }
      continue;
    }
    if (issue.code === "invalid_union") {
      const meant = issue.errors.filter((branch) => !isWrongTypeOnly(branch));
      if (meant.length === 1) {
        yield* fieldErrors(meant[0], path);
        continue;
      }
      const expected = issue.errors.flatMap((branch) =>
        branch.flatMap((i) => i.code === "invalid_type" ? [i.expected] : [])
      );
      yield {
        field: fieldPath(path),
        message: expected.length > 0
          ? `expected ${[...new Set(expected)].join(" or ")}`
          : issue.message,
      };
      continue;
    }
    // Zod's default text for an absent value ("expected string, received undefined") hides the cause.
    const missing = issue.code === "invalid_type" && issue.message.endsWith("received undefined");
    yield {
      field: fieldPath(path),
      message: missing
        ? `required field is missing (expected ${issue.expected})`
        : issue.message.replace(/^Invalid input: /, ""),
    };
  }
}

const PROBLEM_DESCRIPTIONS: Readonly<Record<number, string>> = {
  400: "Invalid body, query parameter or header; `errors` names each bad field",
  401: "Missing or wrong bearer token",
  404: "No such resource",
  413: "Body larger than 1 MiB",
  415: "Content-Type is not application/json",
  421: "The Host header is not a name of this service (DNS rebinding protection)",
  422: "Idempotency-Key reused with a different body",
  500: "Unexpected, or stored but not synced to the device (`/problems/stored-not-synced`): " +
    "retry only with the same Idempotency-Key",
  503: "The archive is unavailable (busy, full, read-only or damaged); nothing was stored, " +
    "retry later with the same Idempotency-Key (`Retry-After`)",
};

/** OpenAPI `responses` entries for the given problem statuses. */
export function problemResponses(...statuses: readonly number[]) {
  return Object.fromEntries(statuses.map((status) => [status, {
    description: PROBLEM_DESCRIPTIONS[status] ?? STATUS_TITLES[status] ?? "Error",
    content: { [PROBLEM_CONTENT_TYPE]: { schema: problemSchema } },
  }]));
}
