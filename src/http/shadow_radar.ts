/**
 * `POST /v1/shadow-radar` (Scout's `log_shadow_radar(dict)` as one request) and
 * `GET /v1/shadow-radar` (rejected candidates, filtered and paged).
 *
 * @module
 */
import type { OpenAPIHono } from "@hono/zod-openapi";
import { z } from "zod";
import { rejectionEntrySchema } from "../../db/entries.ts";
import { REJECTION_STAGES, type ShadowRadarRow } from "../../db/schema.ts";
import { addEntryRoutes } from "./entry_routes.ts";
import type { AppOptions } from "./options.ts";

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

/** Adds `POST /v1/shadow-radar` and `GET /v1/shadow-radar` to `app`. */
export function addShadowRadarRoutes(app: OpenAPIHono, options: AppOptions): void {
  addEntryRoutes(app, options, {
    path: "/v1/shadow-radar",
    tag: "shadow-radar",
    noun: "rejection",
    postSummary: "Log rejected candidates (one object or an array, all or nothing)",
    postDescription: "Takes the dict Scout passed to `log_shadow_radar` unchanged, with the " +
      "original row's `timestamp`, `trade_date` and `schema_v` when present. `logged_at` " +
      "defaults to `timestamp`, else the time of receipt. A 201 means the rows are committed " +
      "and, when /health says `sync: full` (the default), synced to the device.",
    listSummary: "List rejected candidates, oldest first",
    entry: rejectionEntrySchema,
    item: rejectionSchema,
    filter: { name: "rejection_stage", values: REJECTION_STAGES },
    log: (archivist, entries, idempotency) => archivist.logRejections(entries, idempotency),
    list: (archivist, filter, rejectionStage) =>
      archivist.listRejections({ ...filter, rejectionStage }),
    toItem: (row) => row,
  });
}
