/**
 * One access-log line per request (method, route, status, duration) and the same facts for the
 * metrics. The route is the matched pattern (`/v1/minute-bars/:code`), never the raw URL: no query
 * string, no body, no header, so nothing a client sends (a token, a decision) reaches the log.
 *
 * @module
 */
import type { Context, MiddlewareHandler } from "hono";
import { matchedRoutes } from "hono/route";
import { getLogger } from "../log.ts";

const log = getLogger("http", "access");

/** The label of requests that matched no route (scanners' paths must not become labels). */
export const UNMATCHED_ROUTE = "(unmatched)";

/** Told of each answered request. */
export type RequestObserver = (
  request: { method: string; route: string; status: number; seconds: number },
) => void;

/** The pattern of the handler that answered, or {@link UNMATCHED_ROUTE}. */
export function answeredRoute(c: Context): string {
  // Middleware is registered for every method (`ALL`); the last route with a method answered.
  const handlers = matchedRoutes(c).filter((route) => route.method !== "ALL");
  return handlers.at(-1)?.path ?? UNMATCHED_ROUTE;
}

/** Middleware logging each request once it is answered, and telling `observe`. */
export function accessLog(observe?: RequestObserver): MiddlewareHandler {
  return async (c, next) => {
    const started = performance.now();
    try {
      await next();
    } finally {
      const seconds = (performance.now() - started) / 1000;
      // A thrown error is answered by the app's error handler, which sets c.res.
      const status = c.res.status;
      const route = answeredRoute(c);
      const method = c.req.method;
      log.info("{method} {route} {status} {durationMs} ms", {
        method,
        route,
        status,
        durationMs: Math.round(seconds * 10_000) / 10,
      });
      observe?.({ method, route, status, seconds });
    }
  };
}
