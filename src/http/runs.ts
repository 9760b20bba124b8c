/**
 * `GET /v1/runs`: recent collection runs, newest first, with the stocks that failed in each.
 *
 * @module
 */
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { z } from "zod";
import {
  COLLECTION_JOBS,
  type CollectionRunRow,
  RUN_STATUSES,
  RUN_TRIGGERS,
} from "../../db/schema.ts";
import type { AppOptions } from "./options.ts";
import { limitSchema, tradeDateSchema } from "./params.ts";
import { problemResponses } from "./problem.ts";

/** A collection run as the API returns it (the `collection_run` row plus its failures). */
export const runSchema = z.object(
  {
    run_id: z.string(),
    job: z.enum(COLLECTION_JOBS),
    trade_date: z.string().meta({ description: "KST trading day collected" }),
    status: z.enum(RUN_STATUSES),
    reason: z.string().nullable().meta({ description: "Why the run was skipped or failed" }),
    trigger: z.enum(RUN_TRIGGERS),
    started_at: z.string().meta({ description: "UTC ISO-8601" }),
    finished_at: z.string().nullable().meta({ description: "UTC ISO-8601; null while running" }),
    stocks_total: z.int(),
    stocks_done: z.int(),
    stocks_failed: z.int(),
    rows_written: z.int(),
    kis_calls: z.int(),
    shard: z.string().nullable().meta({
      description: "The part i/n of the targets this run collected (`collect --shard`); null: all",
      example: "1/2",
    }),
  } satisfies Record<keyof CollectionRunRow, z.ZodType>,
).extend({
  failures: z.array(z.object({ stock_code: z.string(), error: z.string() })),
}).meta({ id: "CollectionRun" });

const listRuns = createRoute({
  method: "get",
  path: "/v1/runs",
  tags: ["collection"],
  summary: "Recent collection runs and their outcome, newest first",
  request: {
    query: z.strictObject({
      limit: limitSchema(500, 50),
      job: z.enum(COLLECTION_JOBS, { error: `expected one of ${COLLECTION_JOBS.join(", ")}` })
        .optional(),
      trade_date: tradeDateSchema.optional(),
    }),
  },
  responses: {
    200: {
      description: "Runs",
      content: { "application/json": { schema: z.object({ items: z.array(runSchema) }) } },
    },
    ...problemResponses(400, 401),
  },
});

/** Adds the runs route to `app`. */
export function addRunRoutes(app: OpenAPIHono, { archivist }: AppOptions): void {
  app.openapi(listRuns, async (c) => {
    const query = c.req.valid("query");
    const runs = await archivist.listRuns({
      limit: query.limit,
      job: query.job,
      tradeDate: query.trade_date,
    });
    return c.json({ items: runs.map((run) => ({ ...run, failures: [...run.failures] })) }, 200);
  });
}
