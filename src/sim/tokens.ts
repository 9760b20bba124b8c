/**
 * Access tokens of the simulated `/oauth2/tokenP`: JWT-shaped, deterministic per (app key, issue
 * time, sequence), re-answered unchanged within 6 hours, and issuance throttled per app key.
 *
 * Throttle rule chosen here: **any** tokenP call of an app key less than the issuance interval
 * after its previous successful call is refused (EGW00133), even one that would get the same
 * token back, because KIS counts every issuance request (the error text says 1 per minute).
 * Refused calls do not restart the interval. Times are simulated-clock times, so moving the clock
 * forward also lifts the throttle.
 *
 * @module
 */
import { kstDate, kstTime } from "../time.ts";
import { hashSeed } from "./random.ts";

/** The lifetime within which a re-request returns the same token (KIS FAQ: 6 hours). */
export const TOKEN_REUSE_MS = 6 * 60 * 60 * 1000;

/** An issued token and its state. */
export interface IssuedToken {
  /** The JWT-shaped access token. */
  readonly value: string;
  readonly appKey: string;
  /** Simulated issue instant (ms). */
  readonly issuedAt: number;
  /** Simulated expiry instant (ms). */
  readonly expiresAt: number;
  /** Set by revokeP or the expire-tokens control. */
  state: "active" | "revoked" | "expired";
}

/** The outcome of a tokenP request. */
export type IssueResult =
  | { readonly ok: true; readonly token: IssuedToken; readonly minted: boolean }
  | { readonly ok: false; readonly reason: "throttled" };

/** What a quotation request's token turned out to be. */
export type TokenCheck = "valid" | "unknown" | "expired";

function base64Url(text: string): string {
  const bytes = new TextEncoder().encode(text);
  return btoa(String.fromCharCode(...bytes)).replaceAll("+", "-").replaceAll("/", "_")
    .replace(/=+$/, "");
}

function signature(payload: string): string {
  let hex = "";
  for (let i = 0; hex.length < 128; i++) {
    hex += hashSeed(payload, String(i)).toString(16).padStart(8, "0");
  }
  return base64Url(hex);
}

/** The KST wall-clock form KIS uses in `access_token_token_expired`: `YYYY-MM-DD HH:MM:SS`. */
export function kstWallClock(instantMs: number): string {
  return `${kstDate(instantMs)} ${kstTime(instantMs)}`;
}

/** Issues, remembers and checks access tokens for every app key of one simulator. */
export class TokenRegistry {
  #byValue = new Map<string, IssuedToken>();
  #latest = new Map<string, IssuedToken>();
  #lastAnswered = new Map<string, number>();
  #sequence = new Map<string, number>();

  /** `intervalSec`: minimum gap between tokenP calls; `lifetimeSec`: token validity. */
  constructor(public intervalSec: number, public lifetimeSec: number) {}

  /** Handles a tokenP call of `appKey` at simulated instant `now` (ms). */
  issue(appKey: string, now: number): IssueResult {
    const last = this.#lastAnswered.get(appKey);
    if (last !== undefined && now >= last && now - last < this.intervalSec * 1000) {
      return { ok: false, reason: "throttled" };
    }
    this.#lastAnswered.set(appKey, now);
    const current = this.#latest.get(appKey);
    if (
      current && current.state === "active" && now < current.expiresAt && now >= current.issuedAt &&
      now - current.issuedAt < TOKEN_REUSE_MS
    ) {
      return { ok: true, token: current, minted: false };
    }
    const sequence = (this.#sequence.get(appKey) ?? 0) + 1;
    this.#sequence.set(appKey, sequence);
    const iat = Math.floor(now / 1000);
    const expiresAt = now + this.lifetimeSec * 1000;
    const payload = base64Url(JSON.stringify({
      sub: "token",
      aud: hashSeed(appKey, "aud").toString(16).padStart(8, "0"),
      prdt_cd: "",
      iss: "unogw",
      exp: Math.floor(expiresAt / 1000),
      iat,
      seq: sequence,
      jti: appKey,
    }));
    const head = base64Url(JSON.stringify({ typ: "JWT", alg: "HS512" }));
    const token: IssuedToken = {
      value: `${head}.${payload}.${signature(`${head}.${payload}`)}`,
      appKey,
      issuedAt: now,
      expiresAt,
      state: "active",
    };
    this.#byValue.set(token.value, token);
    this.#latest.set(appKey, token);
    return { ok: true, token, minted: true };
  }

  /** Whether `value` is a live token of `appKey` at simulated instant `now` (ms). */
  check(value: string, appKey: string, now: number): TokenCheck {
    const token = this.#byValue.get(value);
    if (!token || token.appKey !== appKey || token.state === "revoked") return "unknown";
    if (token.state === "expired" || now >= token.expiresAt) return "expired";
    return "valid";
  }

  /** Revokes `value` if it belongs to `appKey`; returns whether it did. */
  revoke(value: string, appKey: string): boolean {
    const token = this.#byValue.get(value);
    if (!token || token.appKey !== appKey) return false;
    token.state = "revoked";
    return true;
  }

  /** Makes every issued token answer EGW00123 from now on. */
  expireAll(): number {
    let count = 0;
    for (const token of this.#byValue.values()) {
      if (token.state === "active") {
        token.state = "expired";
        count++;
      }
    }
    return count;
  }
}
