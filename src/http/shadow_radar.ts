/**
 * `POST /v1/shadow-radar` (Scout's `log_shadow_radar(dict)` as one request) and
 * `GET /v1/shadow-radar` (rejected candidates, filtered and paged).
 *
 * @module
 */
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { z } from "zod";
import { rejectionEntrySchema } from "../../db/entries.ts";
import { REJECTION_STAGES, type ShadowRadarRow } from "../../db/schema.ts";
import type { AppOptions } from "./app.ts";
import { entriesBodySchema, logEntries, loggedEntriesSchema } from "./entry_log.ts";
import { idempotencyHeadersSchema } from "./idempotency.ts";
import { jsonBody } from "./json_body.ts";
import { entryListQueryShape } from "./params.ts";
import { problemResponses } from "./problem.ts";

const nullableText = z.string().nullable();

/** A stored rejection as the API returns it: every `shadow_radar_log` column. */
export const rejectionSchema = z.object(
  {
    log_id: z.int(),
    idempotency_key: nullableText,
    run_id: nullableText,
    timestamp: z.string().meta({ description: "The original TIMESTAMP (UTC), = logged_at" }),
    logged_at: z.string().meta({ description: "When the candidate was rejected (UTC ISO-8601)" }),
    trade_date: z.string().meta({ description: "KST trading day the rejection applies to" }),
    stock_code: z.string(),
    stock_name: nullableText,
    rejection_stage: z.enum(REJECTION_STAGES).nullable(),
    rejection_reason: nullableText,
    hunter_score_at_time: z.number().nullable(),
    trigger_type: nullableText,
    trigger_value: z.number().nullable(),
    schema_v: z.string(),
    created_at: z.string().meta({ description: "When the archive received it (UTC)" }),
  } satisfies Record<keyof ShadowRadarRow, z.ZodType>,
).meta({ id: "Rejection" });

const postRejections = createRoute({
  method: "post",
  path: "/v1/shadow-radar",
  tags: ["shadow-radar"],
  summary: "Log rejected candidates (one object or an array, all or nothing)",
  description: "Takes the dict Scout passed to `log_shadow_radar` unchanged. `logged_at` " +
    "defaults to the time of receipt. A 201 means the rows are committed to disk.",
  middleware: [jsonBody] as const,
  request: {
    headers: idempotencyHeadersSchema,
    body: {
      required: true,
      content: {
        "application/json": { schema: entriesBodySchema(rejectionEntrySchema, "rejection") },
      },
    },
  },
  responses: {
    201: {
      description: "Stored (or replayed, with `Idempotent-Replayed: true`)",
      content: { "application/json": { schema: loggedEntriesSchema } },
    },
    ...problemResponses(400, 401, 413, 415, 422, 503),
  },
});

const listRejections = createRoute({
  method: "get",
  path: "/v1/shadow-radar",
  tags: ["shadow-radar"],
  summary: "List rejected candidates, oldest first",
  request: {
    query: z.strictObject({
      ...entryListQueryShape,
      rejection_stage: z.enum(REJECTION_STAGES, {
        error: `expected one of ${REJECTION_STAGES.join(", ")}`,
      }).optional(),
    }),
  },
  responses: {
    200: {
      description: "One page of rejections",
      content: {
        "application/json": {
          schema: z.object({
            items: z.array(rejectionSchema),
            next_cursor: z.string().nullable().meta({ description: "null on the last page" }),
          }),
        },
      },
    },
    ...problemResponses(400, 401),
  },
});

/** Adds the shadow-radar routes to `app`. */
export function addShadowRadarRoutes(app: OpenAPIHono, { archivist }: AppOptions): void {
  app.openapi(postRejections, async (c) => {
    const answer = await logEntries(
      c,
      "POST /v1/shadow-radar",
      c.req.valid("json"),
      c.req.valid("header")["Idempotency-Key"],
      (entries, idempotency) => archivist.logRejections(entries, idempotency),
    );
    return c.json(answer, 201);
  });

  app.openapi(listRejections, async (c) => {
    const query = c.req.valid("query");
    const page = await archivist.listRejections({
      stockCode: query.stock_code,
      from: query.from,
      to: query.to,
      tradeDate: query.trade_date,
      rejectionStage: query.rejection_stage,
      limit: query.limit,
      cursor: query.cursor,
    });
    return c.json({ items: [...page.items], next_cursor: page.nextCursor }, 200);
  });
}
