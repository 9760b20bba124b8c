/**
 * Logging in to the dashboard when the service has a token: a page without a session answers
 * 401 with a form; `POST /login` with the right token sets the session cookie and goes back to
 * the page asked for; `POST /logout` ends the session. Both POSTs refuse other sites' forms.
 *
 * @module
 */
import type { Context, Hono, MiddlewareHandler } from "hono";
import { deleteCookie, setCookie } from "hono/cookie";
import { csrf } from "hono/csrf";
import { getLogger } from "../log.ts";
import { Card, Page } from "./layout.tsx";
import { type DashboardSession, SESSION_COOKIE, SESSION_MAX_AGE_SECONDS } from "./session.ts";

const log = getLogger("http", "dashboard");

/** Whether `next` is a path of this site (not `//host` or a scheme). */
function safeNext(next: unknown): string {
  return typeof next === "string" && /^\/(?![/\\])[^\s]*$/.test(next) &&
      !next.startsWith("/login")
    ? next
    : "/";
}

function LoginPage(props: { readonly next: string; readonly error?: string }) {
  return (
    <Page title="Log in">
      <Card class="login" title="Log in to the Archivist dashboard">
        {props.error ? <div class="error-box" role="alert">{props.error}</div> : null}
        <form method="post" action="/login">
          <label for="token">ARCHIVIST_TOKEN</label>
          <input
            id="token"
            name="token"
            type="password"
            autocomplete="current-password"
            required
            autofocus
          />
          <input type="hidden" name="next" value={props.next} />
          <button type="submit">Log in</button>
        </form>
        <p class="muted">
          The token is the service's{" "}
          <code>ARCHIVIST_TOKEN</code>. This browser then keeps a session cookie for 30 days; the
          token itself is not stored.
        </p>
      </Card>
    </Page>
  );
}

/** Middleware of every page: without a valid session, the login form (401). */
export function requireSession(session: DashboardSession): MiddlewareHandler {
  return async (c, next) => {
    if (await session.admits(c)) return await next();
    const url = new URL(c.req.url);
    return c.html(<LoginPage next={safeNext(url.pathname + url.search)} />, 401);
  };
}

function isHttps(c: Context): boolean {
  return new URL(c.req.url).protocol === "https:";
}

/** Adds `POST /login`, `POST /logout` and `GET /login` (back to the form) to `app`. */
export function addLoginRoutes(app: Hono, session: DashboardSession): void {
  app.post("/login", csrf(), async (c) => {
    const form = await c.req.parseBody();
    const next = safeNext(form.next);
    const token = typeof form.token === "string" ? form.token : "";
    if (!token || !await session.isToken(token)) {
      log.warning("Dashboard log-in refused: wrong token");
      return c.html(
        <LoginPage
          next={next}
          error="That is not the service's ARCHIVIST_TOKEN. Nothing was stored; try again."
        />,
        401,
      );
    }
    setCookie(c, SESSION_COOKIE, await session.cookieValue(), {
      httpOnly: true,
      sameSite: "Strict",
      secure: isHttps(c),
      path: "/",
      maxAge: SESSION_MAX_AGE_SECONDS,
    });
    return c.redirect(next, 303);
  });

  // After a refused token the address bar says /login: opening it again leads to the form (on the
  // page asked for), not to a 405 problem.
  app.get("/login", (c) => c.redirect(safeNext(c.req.query("next")), 303));

  app.post("/logout", csrf(), (c) => {
    deleteCookie(c, SESSION_COOKIE, { path: "/", secure: isHttps(c) });
    return c.redirect("/", 303);
  });
}
