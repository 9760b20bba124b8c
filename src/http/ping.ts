/**
 * `POST /v1/ping`: Scout's connectivity check. It passes the same gate as the logging routes
 * (bearer token, JSON content type, size limit, well-formed JSON) and writes nothing, so a client
 * can verify its setup without touching the archive.
 *
 * @module
 */
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { z } from "zod";
import { jsonBody } from "./json_body.ts";
import { problemResponses } from "./problem.ts";

const pingSchema = z.object({
  ok: z.literal(true),
  received_at: z.string().meta({ description: "When the server read the request (UTC)" }),
}).meta({ id: "Pong" });

const postPing = createRoute({
  method: "post",
  path: "/v1/ping",
  tags: ["service"],
  summary: "Check connectivity, token and JSON without writing anything",
  middleware: [jsonBody] as const,
  request: {
    body: {
      required: true,
      content: { "application/json": { schema: z.unknown().meta({ description: "Any JSON" }) } },
    },
  },
  responses: {
    200: { description: "Reachable", content: { "application/json": { schema: pingSchema } } },
    ...problemResponses(400, 401, 413, 415),
  },
});

/** Adds `POST /v1/ping` to `app`. */
export function addPingRoute(app: OpenAPIHono): void {
  app.openapi(
    postPing,
    (c) => c.json({ ok: true as const, received_at: new Date().toISOString() }, 200),
  );
}
