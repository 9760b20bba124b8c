/**
 * The KIS access token: issued by `POST /oauth2/tokenP`, kept in a JSON file (mode 0600) keyed by
 * environment and a hash of the app key, and reused across runs and processes. Issuance happens
 * under a file lock and at most once per app key per interval, because KIS throttles it (EGW00133)
 * and notifies the account holder on every issuance.
 *
 * @module
 */
import { dirname } from "node:path";
import { getLogger } from "../log.ts";
import { kstInstant } from "../time.ts";
import { TOKEN_PATH } from "./endpoints.ts";
import {
  CREDENTIAL_CODES,
  KisApiError,
  KisCredentialsError,
  KisMalformedResponseError,
  KisRetryExhaustedError,
} from "./errors.ts";
import { backoffDelay, fetchText, NetworkFailure, type RetryPolicy, sleep } from "./http.ts";
import { paceFilePath } from "./pacer.ts";
import {
  envelopeSchema,
  formatIssuePath,
  tokenErrorSchema,
  tokenResponseSchema,
} from "./schemas.ts";

const log = getLogger("kis", "token");

/** A token is renewed when less than this remains (python-kis does the same). */
export const TOKEN_RENEW_MARGIN_MS = 10 * 60 * 1000;

const TOKEN_TR = "tokenP";

/** What {@link TokenProvider} needs. */
export interface TokenProviderOptions {
  /** `real` or `virtual`: part of the cache key. */
  readonly env: "real" | "virtual";
  /** REST base URL. */
  readonly baseUrl: string;
  /** App key (never written to the cache or logs). */
  readonly appKey: string;
  /** App secret (never written to the cache or logs). */
  readonly appSecret: string;
  /** The cache file. */
  readonly cachePath: string;
  /** Clock deciding expiry (KIS's expiry is KST wall clock). */
  readonly now: () => Date;
  /** Least time between two issuances of one app key (ms, real time). */
  readonly issueIntervalMs: number;
  /** Retries of tokenP itself. */
  readonly retry: RetryPolicy;
  /** Per-request timeout (ms). */
  readonly timeoutMs: number;
}

/** One cache entry; the token is the only secret in the file. */
interface CachedToken {
  accessToken: string;
  /** Expiry, epoch ms. */
  expiresAt: number;
  /** When the last issuance was requested, epoch ms (real time), shared across processes. */
  lastIssuedAt: number;
}

interface TokenCacheFile {
  version: 1;
  tokens: Record<string, Partial<CachedToken>>;
}

/** The cache key: environment plus a SHA-256 prefix of the app key, never the key itself. */
export async function tokenCacheKey(env: string, appKey: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(appKey));
  const hex = Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
  return `${env}:${hex.slice(0, 16)}`;
}

/** Hands out a valid access token, issuing one only when the cache has none usable. */
export class TokenProvider {
  readonly #options: TokenProviderOptions;
  #current?: CachedToken;
  #pending?: Promise<CachedToken>;

  constructor(options: TokenProviderOptions) {
    this.#options = options;
  }

  /** A token with more than {@link TOKEN_RENEW_MARGIN_MS} left; concurrent callers share one fetch. */
  async token(): Promise<string> {
    if (this.#current && this.#fresh(this.#current)) return this.#current.accessToken;
    return (await this.#once(undefined)).accessToken;
  }

  /** Drops `rejected` (KIS called it invalid or expired) and returns another token. */
  async replace(rejected: string): Promise<string> {
    while (this.#pending) await this.#pending.catch(() => undefined);
    const current = this.#current;
    if (current && current.accessToken !== rejected && this.#fresh(current)) {
      return current.accessToken;
    }
    if (current?.accessToken === rejected) this.#current = undefined;
    return (await this.#once(rejected)).accessToken;
  }

  #fresh(token: CachedToken): boolean {
    return token.expiresAt - this.#options.now().getTime() > TOKEN_RENEW_MARGIN_MS;
  }

  #once(rejected: string | undefined): Promise<CachedToken> {
    this.#pending ??= this.#acquire(rejected).finally(() => (this.#pending = undefined));
    return this.#pending;
  }

  async #acquire(rejected: string | undefined): Promise<CachedToken> {
    const { cachePath } = this.#options;
    await Deno.mkdir(dirname(cachePath), { recursive: true });
    const key = await tokenCacheKey(this.#options.env, this.#options.appKey);
    using lock = await Deno.open(`${cachePath}.lock`, { create: true, write: true, mode: 0o600 });
    await lock.lock(true);
    try {
      const cache = await readCache(cachePath);
      const entry = cache.tokens[key] ?? {};
      if (isComplete(entry) && entry.accessToken !== rejected && this.#fresh(entry)) {
        this.#current = entry;
        return entry;
      }
      try {
        const token = await this.#issue(entry);
        this.#current = token;
        return token;
      } finally {
        cache.tokens[key] = entry;
        await writeCache(cachePath, cache);
      }
    } finally {
      await lock.unlock();
    }
  }

  /** Calls tokenP after the issuance interval; records each try in `entry` (the cache's copy). */
  async #issue(entry: Partial<CachedToken>): Promise<CachedToken> {
    const { retry, issueIntervalMs } = this.#options;
    let lastError = "";
    for (let attempt = 1; attempt <= retry.attempts; attempt++) {
      const wait = (entry.lastIssuedAt ?? 0) + issueIntervalMs - Date.now();
      if (wait > 0) {
        log.info("Waiting {waitMs} ms before issuing a KIS token (one issuance per interval)", {
          waitMs: wait,
        });
        await sleep(wait);
      }
      entry.lastIssuedAt = Date.now();
      const outcome = await this.#request();
      if ("token" in outcome) {
        log.info("Issued a KIS access token valid until {expiresAt}", {
          expiresAt: new Date(outcome.token.expiresAt).toISOString(),
        });
        Object.assign(entry, outcome.token);
        return { ...outcome.token, lastIssuedAt: entry.lastIssuedAt };
      }
      lastError = outcome.problem;
      log.warning("KIS token issuance failed ({problem}), attempt {attempt}", {
        problem: lastError,
        attempt,
      });
      if (!outcome.throttled) await sleep(backoffDelay(attempt, retry));
    }
    throw new KisRetryExhaustedError(TOKEN_TR, retry.attempts, lastError);
  }

  /**
   * When a token just issued expires: at KIS's stated time (`expires_in` drifts, §2.1 of
   * docs/kis-api.md), unless by this machine's clock that time is already (nearly) past. A new
   * token cannot be expired: the clocks disagree (a host clock off, a simulator set to another
   * day), and trusting the stated time would issue a token again on every request, one a minute.
   * The lifetime `expiresInSeconds` is counted from now then.
   */
  #expiresAt(stated: number, expiresInSeconds: number): number {
    const now = this.#options.now().getTime();
    const lifetimeMs = expiresInSeconds * 1000;
    if (stated - now > TOKEN_RENEW_MARGIN_MS || !(lifetimeMs > TOKEN_RENEW_MARGIN_MS)) {
      return stated;
    }
    log.warning(
      "KIS says the new token expires at {stated}, {minutes} min from now by this machine's " +
        "clock: the clocks disagree (check the host's time); counting its {seconds} s from now",
      {
        stated: new Date(stated).toISOString(),
        minutes: Math.round((stated - now) / 60_000),
        seconds: expiresInSeconds,
      },
    );
    return now + lifetimeMs;
  }

  /** One tokenP call: a token, a retryable problem, or a thrown fatal error. */
  async #request(): Promise<
    { token: Omit<CachedToken, "lastIssuedAt"> } | { problem: string; throttled: boolean }
  > {
    const { baseUrl, appKey, appSecret, timeoutMs } = this.#options;
    let response;
    try {
      response = await fetchText(new URL(baseUrl + TOKEN_PATH), {
        method: "POST",
        headers: { "content-type": "application/json; charset=utf-8" },
        body: JSON.stringify({
          grant_type: "client_credentials",
          appkey: appKey,
          appsecret: appSecret,
        }),
      }, timeoutMs);
    } catch (error) {
      if (error instanceof NetworkFailure) return { problem: error.message, throttled: false };
      throw error;
    }
    let body: unknown;
    try {
      body = JSON.parse(response.text);
    } catch {
      if (response.status >= 500) {
        return { problem: `HTTP ${response.status} without a JSON body`, throttled: false };
      }
      throw new KisMalformedResponseError(TOKEN_TR, "$", `invalid JSON (HTTP ${response.status})`);
    }
    if (response.status === 200) {
      const parsed = tokenResponseSchema.safeParse(body);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw new KisMalformedResponseError(TOKEN_TR, formatIssuePath(issue.path), issue.message);
      }
      const [date, time] = parsed.data.access_token_token_expired.split(" ");
      return {
        token: {
          accessToken: parsed.data.access_token,
          expiresAt: this.#expiresAt(
            kstInstant(date, time).getTime(),
            Number(parsed.data.expires_in),
          ),
        },
      };
    }
    const { code, description } = tokenFailure(body);
    if (CREDENTIAL_CODES.has(code)) {
      throw new KisCredentialsError(TOKEN_TR, code, description, response.status);
    }
    if (code === "EGW00133" || response.status >= 500) {
      const problem = `${code || "no code"} (HTTP ${response.status}) ${description}`.trim();
      return { problem, throttled: code === "EGW00133" };
    }
    throw new KisApiError(TOKEN_TR, code, description || "unexpected answer", response.status);
  }
}

/** tokenP failures use `{error_code, error_description}`; accept the normal envelope too. */
function tokenFailure(body: unknown): { code: string; description: string } {
  const oauth = tokenErrorSchema.safeParse(body);
  if (oauth.success) {
    return { code: oauth.data.error_code, description: oauth.data.error_description.trim() };
  }
  const envelope = envelopeSchema.safeParse(body);
  return envelope.success
    ? { code: envelope.data.msg_cd.trim(), description: envelope.data.msg1.trim() }
    : { code: "", description: "" };
}

function isComplete(entry: Partial<CachedToken>): entry is CachedToken {
  return typeof entry.accessToken === "string" && typeof entry.expiresAt === "number" &&
    typeof entry.lastIssuedAt === "number";
}

async function readCache(path: string): Promise<TokenCacheFile> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return { version: 1, tokens: {} };
    throw error;
  }
  try {
    const data = JSON.parse(text);
    if (data?.version === 1 && typeof data.tokens === "object" && data.tokens !== null) return data;
  } catch {
    // An unreadable cache only costs one issuance; it is kept aside below, then rewritten.
  }
  // Kept, not overwritten: it may be someone's file, or show what damaged it.
  const aside = `${path}.unreadable-${new Date().toISOString().replaceAll(":", "")}`;
  await Deno.rename(path, aside);
  log.warning("The KIS token cache {path} was unreadable; kept it as {aside} and start afresh", {
    path,
    aside,
  });
  return { version: 1, tokens: {} };
}

/**
 * Why `path` cannot be the token cache (a folder, or under a file), or undefined when it can:
 * checked at start so that a bad KIS_TOKEN_CACHE is one configuration error, not a failure of
 * every stock. The pacing file beside it (`<path>.pace`) must be a file too.
 */
export async function tokenCacheProblem(path: string): Promise<string | undefined> {
  const problem = await notAFile(path, `point it at a file, e.g. ${path}/kis-token.json`);
  if (problem) return problem;
  return await notAFile(
    paceFilePath(path),
    "it is where the KIS pacing file beside the token cache goes; remove it, or point " +
      "KIS_TOKEN_CACHE elsewhere",
  );
}

/** Why `path` cannot be a file this process creates and rewrites, or undefined. */
async function notAFile(path: string, fix: string): Promise<string | undefined> {
  try {
    const info = await Deno.stat(path);
    if (info.isDirectory) return `${path} is a folder; ${fix}`;
    if (!info.isFile) return `${path} is not a regular file; ${fix}`;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    return `${path} cannot be used (${(error as Error).message.replace(/ \(os error \d+\)/, "")})`;
  }
  return undefined;
}

async function writeCache(path: string, cache: TokenCacheFile): Promise<void> {
  const temporary = `${path}.${Deno.pid}.tmp`;
  await Deno.writeTextFile(temporary, JSON.stringify(cache, null, 2) + "\n", { mode: 0o600 });
  await Deno.chmod(temporary, 0o600);
  await Deno.rename(temporary, path);
}
