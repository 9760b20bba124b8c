/**
 * One KIS quotation request done right: paced per app key, authorised with the shared token,
 * every body read whatever the HTTP status, the envelope judged on `rt_cd`/`msg_cd`, throttling,
 * 5xx, network errors and timeouts retried with capped backoff, the payload validated by zod.
 *
 * @module
 */
import type { z } from "zod";
import { getLogger } from "../log.ts";
import type { KisEndpoint } from "./endpoints.ts";
import {
  CREDENTIAL_CODES,
  KisApiError,
  KisCredentialsError,
  KisMalformedResponseError,
  KisRetryExhaustedError,
} from "./errors.ts";
import {
  backoffDelay,
  fetchText,
  NetworkFailure,
  type RawResponse,
  type RetryPolicy,
  sleep,
} from "./http.ts";
import type { Pacer } from "./pacer.ts";
import { envelopeSchema, formatIssuePath } from "./schemas.ts";
import type { TokenProvider } from "./token.ts";

const log = getLogger("kis", "http");

/** Gateway codes meaning "too many requests": retried after a backoff. */
export const THROTTLE_CODES: ReadonlySet<string> = new Set(["EGW00201", "EGW00215", "EGW00300"]);
/** Gateway codes meaning the token is invalid, missing or expired: re-issued once. */
export const TOKEN_CODES: ReadonlySet<string> = new Set(["EGW00121", "EGW00122", "EGW00123"]);

/** What a {@link KisTransport} needs. */
export interface KisTransportOptions {
  /** REST base URL without trailing slash. */
  readonly baseUrl: string;
  /** App key, sent as a header and never logged. */
  readonly appKey: string;
  /** App secret, sent as a header and never logged. */
  readonly appSecret: string;
  /** Paces the requests of this app key (across processes). */
  readonly pacer: Pacer;
  /** Source of access tokens. */
  readonly tokens: TokenProvider;
  /** Retry policy. */
  readonly retry: RetryPolicy;
  /** Per-request timeout (ms). */
  readonly timeoutMs: number;
}

/** One quotation request. */
export interface KisRequest<S extends z.ZodType> {
  /** Which transaction. */
  readonly endpoint: KisEndpoint;
  /** Query parameters, names UPPERCASE as documented. */
  readonly query: Readonly<Record<string, string>>;
  /** `""` first page, `"N"` continuation. */
  readonly trCont?: "" | "N";
  /** Schema of the success body. */
  readonly schema: S;
}

/** A validated answer plus the continuation header. */
export interface KisResponse<T> {
  /** The body as parsed by the request's schema. */
  readonly body: T;
  /** Response header `tr_cont`: `M`/`F` more data, `D`/`E` (or empty) last page. */
  readonly trCont: string;
}

/** Counters of one client: HTTP requests sent (retries included), retries, requests per tr_id. */
export interface KisStats {
  /** Quotation requests sent. */
  readonly calls: number;
  /** Of those, how many repeated an earlier attempt. */
  readonly retries: number;
  /** Requests sent per tr_id. */
  readonly byTrId: Readonly<Record<string, number>>;
  /** Retries per tr_id (for `/metrics`). */
  readonly retriesByTrId?: Readonly<Record<string, number>>;
  /** Answers `EGW00201` (over the per-second limit) per tr_id (for `/metrics`). */
  readonly rateLimitedByTrId?: Readonly<Record<string, number>>;
}

type Verdict<T> =
  | { readonly kind: "ok"; readonly value: KisResponse<T> }
  | { readonly kind: "retry"; readonly problem: string }
  | { readonly kind: "token"; readonly problem: string; readonly error: KisApiError };

/** Sends quotation requests for one client. */
export class KisTransport {
  readonly #options: KisTransportOptions;
  readonly #byTrId: Record<string, number> = {};
  readonly #retriesByTrId: Record<string, number> = {};
  readonly #rateLimitedByTrId: Record<string, number> = {};
  #calls = 0;
  #retries = 0;

  constructor(options: KisTransportOptions) {
    this.#options = options;
  }

  /** Live counters. */
  get stats(): KisStats {
    return {
      calls: this.#calls,
      retries: this.#retries,
      byTrId: { ...this.#byTrId },
      retriesByTrId: { ...this.#retriesByTrId },
      rateLimitedByTrId: { ...this.#rateLimitedByTrId },
    };
  }

  /**
   * Sends `request` until it succeeds, fails for good, or retries run out. A token KIS rejects
   * is replaced once and the request sent again without using up an attempt, so even a policy of
   * one attempt survives a token that expired mid-run.
   */
  async get<S extends z.ZodType>(request: KisRequest<S>): Promise<KisResponse<z.output<S>>> {
    const { trId } = request.endpoint;
    const { retry, tokens } = this.#options;
    let tokenReplaced = false;
    let lastProblem = "";
    let sends = 0;
    for (let attempt = 1; attempt <= retry.attempts; attempt++) {
      if (sends++ > 0) {
        this.#retries++;
        this.#retriesByTrId[trId] = (this.#retriesByTrId[trId] ?? 0) + 1;
      }
      const token = await tokens.token();
      const verdict = await this.#attempt(request, token);
      if (verdict.kind === "ok") return verdict.value;
      lastProblem = verdict.problem;
      if (verdict.kind === "token") {
        if (tokenReplaced) throw verdict.error;
        tokenReplaced = true;
        log.info("KIS {trId} rejected the access token ({problem}); replacing it", {
          trId,
          problem: verdict.problem,
        });
        await tokens.replace(token);
        // The same attempt again, with the new token: a rejected token is not a failed try.
        attempt--;
        continue;
      }
      if (attempt === retry.attempts) break;
      const delayMs = backoffDelay(attempt, retry);
      log.warning("KIS {trId} attempt {attempt} failed ({problem}); retrying in {delayMs} ms", {
        trId,
        attempt,
        problem: verdict.problem,
        delayMs,
      });
      await sleep(delayMs);
    }
    throw new KisRetryExhaustedError(trId, retry.attempts, lastProblem);
  }

  async #attempt<S extends z.ZodType>(
    request: KisRequest<S>,
    token: string,
  ): Promise<Verdict<z.output<S>>> {
    const { baseUrl, appKey, appSecret, pacer, timeoutMs } = this.#options;
    const { trId, path } = request.endpoint;
    const url = new URL(baseUrl + path);
    for (const [name, value] of Object.entries(request.query)) url.searchParams.set(name, value);
    const headers = {
      "content-type": "application/json; charset=utf-8",
      authorization: `Bearer ${token}`,
      appkey: appKey,
      appsecret: appSecret,
      tr_id: trId,
      custtype: "P",
      tr_cont: request.trCont ?? "",
    };
    let response: RawResponse;
    try {
      response = await pacer.run(() => {
        this.#calls++;
        this.#byTrId[trId] = (this.#byTrId[trId] ?? 0) + 1;
        return fetchText(url, { method: "GET", headers }, timeoutMs);
      });
    } catch (error) {
      if (error instanceof NetworkFailure) {
        return { kind: "retry", problem: error.message };
      }
      throw error;
    }
    const verdict = judge(trId, response, request.schema);
    if (verdict.kind === "retry" && verdict.problem.startsWith("EGW00201")) {
      this.#rateLimitedByTrId[trId] = (this.#rateLimitedByTrId[trId] ?? 0) + 1;
    }
    return verdict;
  }
}

function judge<S extends z.ZodType>(
  trId: string,
  response: RawResponse,
  schema: S,
): Verdict<z.output<S>> {
  const { status } = response;
  const serverError = status >= 500;
  let body: unknown;
  try {
    body = JSON.parse(response.text);
  } catch {
    if (serverError) return { kind: "retry", problem: `HTTP ${status} without JSON` };
    const hint = status >= 400 ? "; check that KIS_BASE_URL points at the KIS REST API" : "";
    throw new KisMalformedResponseError(trId, "$", `the body is not JSON (HTTP ${status})${hint}`);
  }
  const envelope = envelopeSchema.safeParse(body);
  if (!envelope.success) {
    if (serverError) {
      return { kind: "retry", problem: `HTTP ${status} without envelope` };
    }
    throw malformed(trId, envelope.error);
  }
  const msgCd = envelope.data.msg_cd.trim();
  const msg1 = envelope.data.msg1.trim();
  const problem = `${msgCd || "no code"} (HTTP ${status}) ${msg1}`.trim();
  if (TOKEN_CODES.has(msgCd)) {
    return { kind: "token", problem, error: new KisApiError(trId, msgCd, msg1, status) };
  }
  if (CREDENTIAL_CODES.has(msgCd)) throw new KisCredentialsError(trId, msgCd, msg1, status);
  if (THROTTLE_CODES.has(msgCd)) return { kind: "retry", problem };
  if (serverError) return { kind: "retry", problem };
  if (envelope.data.rt_cd !== "0" || status >= 300) {
    throw new KisApiError(trId, msgCd, msg1, status);
  }
  const parsed = schema.safeParse(body);
  if (!parsed.success) throw malformed(trId, parsed.error);
  return {
    kind: "ok",
    value: { body: parsed.data, trCont: (response.headers.get("tr_cont") ?? "").trim() },
  };
}

function malformed(trId: string, error: z.ZodError): KisMalformedResponseError {
  const issue = error.issues[0];
  return new KisMalformedResponseError(trId, formatIssuePath(issue.path), issue.message);
}
