/**
 * `GET /health` (no token needed): liveness, database reachability, failed writes, the last run of
 * each collection job and whether collection is on. 503 when the database is unreachable.
 *
 * @module
 */
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { z } from "zod";
import { runSchema } from "./runs.ts";
import type { AppOptions } from "./options.ts";

const lastRunSchema = runSchema.omit({ failures: true });

const healthSchema = z.object({
  status: z.enum(["ok", "unavailable"]),
  database: z.enum(["ok", "unreachable"]),
  schema_version: z.int(),
  failed_writes: z.int().meta({ description: "Writes that failed since the service started" }),
  last_runs: z.object({
    flow: lastRunSchema.optional(),
    intraday: lastRunSchema.optional(),
    daily: lastRunSchema.optional(),
  }),
  shard_runs: z.array(lastRunSchema).meta({
    description: "The latest run of each job on each shard when collectors split the targets " +
      "(`collect --shard i/n`), by job then shard",
  }),
  collection: z.object({
    enabled: z.boolean(),
    reason: z.string().optional().meta({ description: "Why collection is off" }),
  }),
}).meta({ id: "Health" });

const getHealth = createRoute({
  method: "get",
  path: "/health",
  tags: ["service"],
  summary: "Liveness and database reachability",
  security: [],
  responses: {
    200: { description: "Up", content: { "application/json": { schema: healthSchema } } },
    503: {
      description: "The database is unreachable",
      content: { "application/json": { schema: healthSchema } },
    },
  },
});

/** Adds `/health` to `app`. */
export function addHealthRoute(app: OpenAPIHono, { archivist, collection }: AppOptions): void {
  app.openapi(getHealth, async (c) => {
    const health = await archivist.health();
    const up = health.database === "ok";
    const shardRuns = up ? await archivist.lastShardRuns().catch(() => []) : [];
    return c.json({
      status: up ? "ok" as const : "unavailable" as const,
      database: health.database,
      schema_version: health.schemaVersion,
      failed_writes: health.failedWrites,
      last_runs: health.lastRuns,
      shard_runs: shardRuns,
      collection: collection?.() ?? { enabled: false, reason: "no collector in this process" },
    }, up ? 200 : 503);
  });
}
