/**
 * Access to `/v1/*`: open on loopback, or a bearer token compared in constant time. Also the rule
 * that an app without a token is never bound to a non-loopback address.
 *
 * @module
 */
import { timingSafeEqual } from "node:crypto";
import type { Context, MiddlewareHandler } from "hono";
import { isLoopbackHost } from "../config.ts";
import { HttpProblem, PROBLEM_TYPES } from "./problem.ts";

async function sha256(text: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
}

function unauthorized(detail: string, error?: string): HttpProblem {
  return new HttpProblem(401, detail, {
    type: PROBLEM_TYPES.unauthorized,
    headers: {
      "www-authenticate": error
        ? `Bearer realm="archivist", error="${error}"`
        : `Bearer realm="archivist"`,
    },
  });
}

/**
 * A constant-time check of candidates against `token`: digests of equal length let
 * `timingSafeEqual` compare without leaking the token's length.
 */
export function tokenVerifier(token: string): (candidate: string) => Promise<boolean> {
  const expected = sha256(token);
  return async (candidate) => timingSafeEqual(await sha256(candidate), await expected);
}

/**
 * Middleware requiring `Authorization: Bearer <token>`; answers 401 problems with
 * `WWW-Authenticate: Bearer`. A request without the header passes when `alternative` admits it
 * (the dashboard's session cookie on reads).
 */
export function bearerAuth(
  token: string,
  alternative?: (c: Context) => Promise<boolean>,
): MiddlewareHandler {
  const matches = tokenVerifier(token);
  return async (c, next) => {
    const header = c.req.header("authorization");
    if (!header && alternative && await alternative(c)) return await next();
    if (!header) {
      throw unauthorized("send the Archivist token as `Authorization: Bearer <ARCHIVIST_TOKEN>`");
    }
    const match = /^Bearer +(\S+) *$/i.exec(header);
    if (!match || !await matches(match[1])) {
      throw unauthorized(
        "the bearer token is wrong; send ARCHIVIST_TOKEN as `Authorization: Bearer <token>`",
        "invalid_token",
      );
    }
    await next();
  };
}

/** Refusal to expose the archive without a token on a non-loopback address. */
export class InsecureBindingError extends Error {
  constructor(hostname: string) {
    super(
      `refusing to serve on ${
        JSON.stringify(hostname)
      } without a token: the archive would be writable from the network. ` +
        "Set ARCHIVIST_TOKEN (at least 16 characters) or bind to 127.0.0.1.",
    );
    this.name = "InsecureBindingError";
  }
}

/** Throws {@link InsecureBindingError} when `hostname` is not loopback and no token guards the app. */
export function assertSafeBinding(hostname: string, tokenGuarded: boolean): void {
  if (!tokenGuarded && !isLoopbackHost(hostname)) throw new InsecureBindingError(hostname);
}
