/**
 * The HTTP primitives under the KIS client: one request with a timeout whose body is always read,
 * and the capped, jittered backoff used between attempts.
 *
 * @module
 */

/** A request that never produced an HTTP answer (connection failure or timeout); retryable. */
export class NetworkFailure extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "NetworkFailure";
  }
}

/** An HTTP answer with its body read as text. */
export interface RawResponse {
  /** HTTP status code. */
  readonly status: number;
  /** Response headers. */
  readonly headers: Headers;
  /** The whole body. */
  readonly text: string;
}

/**
 * Sends one request and reads its whole body whatever the status; throws {@link NetworkFailure}
 * when no answer arrives within `timeoutMs`.
 */
export async function fetchText(
  url: URL,
  init: RequestInit,
  timeoutMs: number,
): Promise<RawResponse> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), timeoutMs);
  try {
    const response = await fetch(url, { ...init, signal: abort.signal });
    return { status: response.status, headers: response.headers, text: await response.text() };
  } catch (error) {
    const what = abort.signal.aborted
      ? `no answer within ${timeoutMs} ms`
      : `network error: ${(error as Error).message}`;
    throw new NetworkFailure(`${init.method ?? "GET"} ${url.pathname}: ${what}`, { cause: error });
  } finally {
    clearTimeout(timer);
  }
}

/** Retry timing: attempts in all, first delay, cap. */
export interface RetryPolicy {
  /** Attempts in all, the first included. */
  readonly attempts: number;
  /** Delay before the second attempt (ms), doubled each time. */
  readonly baseDelayMs: number;
  /** Upper bound of any one delay (ms). */
  readonly maxDelayMs: number;
}

/** Defaults: six attempts, 200 ms doubling to at most 5 s. */
export const DEFAULT_RETRY: RetryPolicy = { attempts: 6, baseDelayMs: 200, maxDelayMs: 5000 };

/** Delay before retry number `retry` (1-based): exponential, capped, jittered to 50–100 %. */
export function backoffDelay(retry: number, policy: RetryPolicy, random = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (retry - 1));
  return Math.round(ceiling * (0.5 + random() / 2));
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}
