/**
 * The HTTP API of Archivist as one Hono app: every route, the `Host` check and the access log on
 * every route (sub-apps mounted on it included), the bearer guard on `/v1/*` and `/metrics`,
 * errors as RFC 9457 problems, and the OpenAPI 3.1 document at `/openapi.json`.
 *
 * @module
 */
import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import { z } from "zod";
import { HTTPException } from "hono/http-exception";
import { methodNotAllowed } from "hono/method-not-allowed";
import {
  ArchiveBusyError,
  ArchiveInputError,
  ArchiveNotSyncedError,
  ArchiveWriteError,
  IdempotencyConflictError,
} from "../../db/errors.ts";
import { sqliteFault } from "../../db/sqlite_errors.ts";
import { dashboardApp, dashboardSession } from "../dashboard/mod.tsx";
import { getLogger } from "../log.ts";
import { accessLog } from "./access_log.ts";
import { bearerAuth } from "./auth.ts";
import { addDailyPriceRoutes } from "./daily_prices.ts";
import { addDecisionRoutes } from "./decisions.ts";
import { addHealthRoute } from "./health.ts";
import { hostCheck } from "./host_check.ts";
import { addMarketDataRoutes } from "./market_data.ts";
import { addMetricsRoute, Metrics } from "./metrics.ts";
import type { AppOptions } from "./options.ts";
import { addOutcomeRoutes } from "./outcomes.ts";
import { addPingRoute } from "./ping.ts";
import {
  fieldErrors,
  HttpProblem,
  invalidRequest,
  type Problem,
  PROBLEM_TYPES,
  problemResponse,
} from "./problem.ts";
import { addReportRoutes } from "./reports.ts";
import { addRunRoutes } from "./runs.ts";
import { addShadowRadarRoutes } from "./shadow_radar.ts";
import { addWatchlistRoutes } from "./watchlist.ts";

const log = getLogger("http");

const openApiRoute = createRoute({
  method: "get",
  path: "/openapi.json",
  tags: ["service"],
  summary: "This OpenAPI 3.1 document",
  security: [],
  responses: {
    200: {
      description: "The document",
      content: { "application/json": { schema: z.record(z.string(), z.unknown()) } },
    },
  },
});

/** Where each known error lands: a problem for the client, the internals only in the log. */
function problemFor(error: unknown): { problem: Problem; headers?: Record<string, string> } {
  if (error instanceof HttpProblem) return { problem: error.problem, headers: error.headers };
  if (error instanceof ArchiveInputError) {
    return {
      problem: invalidRequest([{
        field: error.field ?? "(request)",
        // The Archivist names its own option (nextCursor); the client sent the API's next_cursor.
        message: error.message.replace(/^[^:]+: (?:[^:]+: )?/, "").replace(
          "nextCursor",
          "next_cursor",
        ),
      }]).problem,
    };
  }
  if (error instanceof IdempotencyConflictError) {
    return {
      problem: new HttpProblem(422, error.message, {
        type: PROBLEM_TYPES.idempotencyConflict,
        title: "Idempotency-Key reused",
      }).problem,
    };
  }
  if (error instanceof ArchiveNotSyncedError) {
    const ids = (error.value as { ids?: readonly number[] } | undefined)?.ids;
    return {
      problem: new HttpProblem(
        500,
        `the request WAS stored${ids ? ` (ids ${ids.join(", ")})` : ""}, but syncing it to the ` +
          "device failed, so it may not survive a power loss. A retry with the same " +
          "Idempotency-Key returns these ids; a retry without one would store it twice",
        { type: PROBLEM_TYPES.storedNotSynced, title: "Stored, not synced" },
      ).problem,
    };
  }
  if (error instanceof ArchiveWriteError) {
    // The lock of another process is released in seconds; a disk fault takes a person.
    const busy = error instanceof ArchiveBusyError;
    return {
      problem: new HttpProblem(
        503,
        `the archive could not store the request (${
          error.message.replace(/^[^:]+: /, "")
        }); nothing of it was stored; retry with the same Idempotency-Key`,
        {
          type: PROBLEM_TYPES.archiveUnavailable,
          title: "Archive unavailable",
        },
      ).problem,
      headers: { "retry-after": busy ? "1" : "30" },
    };
  }
  if (error instanceof HTTPException) {
    return { problem: new HttpProblem(error.status, error.message || "request refused").problem };
  }
  if (sqliteFault(error) === "corrupt") {
    // A read met a damaged page: nothing the client can change, and retrying will not mend it.
    return {
      problem: new HttpProblem(
        503,
        `the archive file is damaged (${(error as Error).message}): stop the service and ` +
          "restore a backup with `deno task restore <backup file>`",
        { type: PROBLEM_TYPES.archiveUnavailable, title: "Archive unavailable" },
      ).problem,
      headers: { "retry-after": "3600" },
    };
  }
  return {
    problem: new HttpProblem(500, "an unexpected error occurred; it was logged, try again later")
      .problem,
  };
}

/** Builds the app with every route of the contract. */
export function createApp(options: AppOptions): OpenAPIHono {
  const app = new OpenAPIHono({
    strict: true,
    defaultHook: (result) => {
      if (!result.success) throw invalidRequest(fieldErrors(result.error.issues));
    },
  });
  const metrics = options.metrics ?? new Metrics({ archivist: options.archivist });

  // First, so that every route (and every sub-app mounted later) is logged and checked.
  app.use(accessLog(metrics.observeRequest));
  app.use(hostCheck(options.hosts));
  app.use(methodNotAllowed({
    app,
    onMethodNotAllowed: (c, methods) =>
      problemResponse(
        new HttpProblem(405, `${c.req.method} is not supported here; use ${methods.join(", ")}`)
          .problem,
        { allow: methods.join(", ") },
      ),
  }));
  if (options.token) {
    // The dashboard's charts read /v1/* from the browser with its session cookie.
    app.use("/v1/*", bearerAuth(options.token, dashboardSession(options.token).admitsRead));
    app.use("/metrics", bearerAuth(options.token));
  }

  addDecisionRoutes(app, options);
  addShadowRadarRoutes(app, options);
  addWatchlistRoutes(app, options);
  addMarketDataRoutes(app, options);
  addDailyPriceRoutes(app, options);
  addOutcomeRoutes(app, options);
  addReportRoutes(app, options);
  addRunRoutes(app, options);
  addHealthRoute(app, options);
  addMetricsRoute(app, metrics);
  addPingRoute(app);
  app.route("/", dashboardApp(options));

  app.openAPIRegistry.registerComponent("securitySchemes", "bearer", {
    type: "http",
    scheme: "bearer",
    description: "ARCHIVIST_TOKEN; required on /v1/* when the service has a token",
  });
  let document: Record<string, unknown> | undefined;
  app.openapi(openApiRoute, (c) => {
    // Built on first use, when every route (this one included) is registered.
    document ??= app.getOpenAPI31Document({
      openapi: "3.1.0",
      info: {
        title: "Archivist",
        version: "1",
        description: "Archive of Scout's decisions and rejections, and Korean market data.",
      },
      security: [{ bearer: [] }],
    }) as unknown as Record<string, unknown>;
    return c.json(document, 200);
  });

  app.notFound((c) =>
    problemResponse(new HttpProblem(404, `no route ${c.req.method} ${c.req.path}`).problem)
  );
  app.onError((error, c) => {
    const { problem, headers } = problemFor(error);
    // The Archivist logs its own failures once, with their context; only the unexpected is new.
    const logged = error instanceof ArchiveWriteError || error instanceof ArchiveNotSyncedError;
    if (problem.status >= 500 && !logged) {
      log.error("{method} {path} failed: {error}", {
        method: c.req.method,
        path: c.req.path,
        error,
      });
    }
    return problemResponse(problem, headers);
  });
  return app;
}
