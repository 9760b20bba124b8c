/**
 * The dashboard: server-rendered pages (Hono JSX) over the archive, served by the same app as
 * the API. Read-only. With a token, every page asks for it once and then relies on the session
 * cookie; the pages and the charts' reads of `/v1/*` pass through the app's middleware like any
 * other request.
 *
 * Pages: `/` overview, `/stocks/{code}`, `/decisions`, `/rejections`, `/reports/regret`,
 * `/reports/scorecard`, `/runs`; plus `/assets/*`
 * (stylesheet and scripts) and, with a token, `POST /login` and `POST /logout`.
 *
 * @module
 */
import { Hono, type MiddlewareHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import { secureHeaders } from "hono/secure-headers";
import type { AppOptions } from "../http/options.ts";
import { getLogger } from "../log.ts";
import { addAssetRoutes } from "./assets.ts";
import { addEntryPages } from "./entries.tsx";
import { Page } from "./layout.tsx";
import { addLoginRoutes, requireSession } from "./login.tsx";
import { addOverviewPage } from "./overview.tsx";
import { addRegretPage } from "./regret.tsx";
import { addRunsPage } from "./runs.tsx";
import { addScorecardPage } from "./scorecard.tsx";
import { dashboardSession } from "./session.ts";
import { addStockPage } from "./stock.tsx";

export { dashboardSession } from "./session.ts";

const log = getLogger("http", "dashboard");

/** The paths of the pages (each gets the page middleware). */
export const PAGE_PATHS = [
  "/",
  "/stocks/*",
  "/decisions",
  "/rejections",
  "/reports/regret",
  "/reports/scorecard",
  "/runs",
] as const;

/**
 * Headers of every page: nothing but this origin may be loaded or connected to (so a page can
 * never fetch from the internet), no framing, no referrer.
 */
const pageHeaders: MiddlewareHandler = secureHeaders({
  contentSecurityPolicy: {
    defaultSrc: ["'self'"],
    scriptSrc: ["'self'"],
    styleSrc: ["'self'"],
    imgSrc: ["'self'", "data:"],
    connectSrc: ["'self'"],
    formAction: ["'self'"],
    frameAncestors: ["'none'"],
    baseUri: ["'none'"],
    objectSrc: ["'none'"],
  },
  referrerPolicy: "no-referrer",
  crossOriginEmbedderPolicy: false,
  // A loopback service speaks http; HSTS would be ignored there and surprising behind a proxy.
  strictTransportSecurity: false,
});

/** The dashboard as a Hono app, to mount on the API's app with `app.route("/", …)`. */
export function dashboardApp(options: AppOptions): Hono {
  const app = new Hono({ strict: true });
  addAssetRoutes(app);
  const session = options.token ? dashboardSession(options.token) : undefined;
  // Registered per path: middleware on `*` would also run on the API once mounted.
  for (const path of PAGE_PATHS) {
    app.use(path, pageHeaders);
    if (session) app.use(path, requireSession(session));
  }
  if (session) {
    app.use("/login", pageHeaders);
    app.use("/logout", pageHeaders);
    addLoginRoutes(app, session);
  }
  addOverviewPage(app, options);
  addStockPage(app, options);
  addEntryPages(app, options);
  addRegretPage(app, options);
  addScorecardPage(app, options);
  addRunsPage(app, options);

  app.onError((error, c) => {
    if (error instanceof HTTPException && error.status === 403) {
      return c.html(
        <Page title="Refused">
          <h1>Refused</h1>
          <div class="error-box" role="alert">
            This form was not sent from the dashboard's own page, so it was refused. Open the
            dashboard and use its form.
          </div>
        </Page>,
        403,
      );
    }
    log.error("{method} {path} failed: {error}", {
      method: c.req.method,
      path: c.req.path,
      error,
    });
    return c.html(
      <Page title="Error">
        <h1>Something went wrong</h1>
        <div class="error-box" role="alert">
          The page could not be built; the error is in the service's log. Reload to try again.
        </div>
      </Page>,
      500,
    );
  });
  return app;
}
