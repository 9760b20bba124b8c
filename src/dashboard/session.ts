/**
 * The dashboard's session: with `ARCHIVIST_TOKEN` set, a browser gives the token once (a form
 * POST, never a URL) and keeps an HttpOnly, SameSite=Strict cookie. The cookie holds an HMAC of
 * the token, not the token: whoever reads it from a browser profile can read the archive, but not
 * write to it with a bearer header. Changing the token ends every session.
 *
 * @module
 */
import type { Context } from "hono";
import { getCookie } from "hono/cookie";
import { tokenVerifier } from "../http/auth.ts";

/** Name of the session cookie. */
export const SESSION_COOKIE = "archivist_session";

/** How long a browser stays logged in, in seconds (30 days). */
export const SESSION_MAX_AGE_SECONDS = 30 * 86_400;

/** What the session value is an HMAC of; a new label ends every session issued before. */
const SESSION_LABEL = "archivist dashboard session v1";

/** The dashboard's session rules for one token. */
export interface DashboardSession {
  /** The cookie value of a logged-in browser. */
  cookieValue(): Promise<string>;
  /** Whether `candidate` is the token (constant time). */
  isToken(candidate: string): Promise<boolean>;
  /** Whether the request carries a valid session cookie. */
  admits(c: Context): Promise<boolean>;
  /** Whether the request may read the JSON API with its cookie: GET or HEAD with a valid one. */
  admitsRead(c: Context): Promise<boolean>;
}

async function hmac(key: string, message: string): Promise<string> {
  const encoder = new TextEncoder();
  const cryptoKey = await crypto.subtle.importKey(
    "raw",
    encoder.encode(key),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const signature = new Uint8Array(
    await crypto.subtle.sign("HMAC", cryptoKey, encoder.encode(message)),
  );
  return btoa(String.fromCharCode(...signature)).replaceAll("+", "-").replaceAll("/", "_")
    .replaceAll("=", "");
}

/** The session rules of a service whose token is `token`. */
export function dashboardSession(token: string): DashboardSession {
  const value = hmac(token, SESSION_LABEL);
  const isToken = tokenVerifier(token);
  let isSession: ((candidate: string) => Promise<boolean>) | undefined;
  const admits = async (c: Context) => {
    const cookie = getCookie(c, SESSION_COOKIE);
    if (!cookie) return false;
    isSession ??= tokenVerifier(await value);
    return await isSession(cookie);
  };
  return {
    cookieValue: () => value,
    isToken,
    admits,
    admitsRead: async (c) => (c.req.method === "GET" || c.req.method === "HEAD") && await admits(c),
  };
}
