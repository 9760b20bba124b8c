/**
 * `GET /health` (no token needed): liveness, database reachability, whether writes work (and why
 * not), failed writes, the last run of each collection job (and of each shard, when collectors
 * split the targets), whether collection is on and how far the trading calendar is known. 503
 * unless everything is ok: the database is unreachable, damaged or read-only, or writes fail.
 *
 * @module
 */
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { z } from "zod";
import type { ArchiveHealth } from "../../db/archivist.ts";
import { runSchema } from "./runs.ts";
import type { AppOptions } from "./options.ts";

const lastRunSchema = runSchema.omit({ failures: true });

const healthSchema = z.object({
  status: z.enum(["ok", "read-only", "failing", "unavailable"]).meta({
    description: "`ok`; `read-only` (reads only); `failing` (writes fail, see `writes`); " +
      "`unavailable` (the database does not answer)",
  }),
  database: z.enum(["ok", "unreachable", "corrupt"]),
  read_only: z.boolean().meta({
    description: "The archive file cannot be written by the service (SQLite; always false on " +
      "PostgreSQL)",
  }),
  writes: z.object({
    status: z.enum(["ok", "failing"]),
    fault: z.enum(["busy", "corrupt", "full", "read-only", "io", "cannot-open", "sync"]).optional(),
    cause: z.string().optional().meta({ description: "The database's own message" }),
    since: z.string().optional().meta({ description: "When writes started failing (UTC)" }),
  }).meta({ description: "Failing from a failed write until one succeeds again" }),
  sync: z.enum(["normal", "full"]).meta({
    description: "`full`: a 201 means synced to the device; `normal`: committed (on PostgreSQL " +
      "as its synchronous_commit makes a COMMIT: `normal` when it is off)",
  }),
  error: z.string().optional(),
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
  calendar: z.object({
    known_through: z.string().meta({
      description: "The last day whose KRX open/closed status is known (built-in or KIS's)",
    }),
    warning: z.string().optional().meta({
      description: "Set when the next 30 days reach past it: holidays there are not known",
    }),
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
      description: "The database is unreachable, damaged or read-only, or writes fail",
      content: { "application/json": { schema: healthSchema } },
    },
  },
});

/** What `/health` says of the service as a whole (the dashboard's overview says the same). */
export type ServiceStatus = z.infer<typeof healthSchema>["status"];

/**
 * The service's status from the archive's health: `unavailable` when the database does not
 * answer, `failing` when it is damaged or writes fail, `read-only`, else `ok`.
 */
export function serviceStatus(health: ArchiveHealth): ServiceStatus {
  return health.database === "unreachable"
    ? "unavailable"
    : health.database === "corrupt" || health.writes.status === "failing"
    ? "failing"
    : health.readOnly
    ? "read-only"
    : "ok";
}

/** Adds `/health` to `app`. */
export function addHealthRoute(app: OpenAPIHono, { archivist, collection }: AppOptions): void {
  app.openapi(getHealth, async (c) => {
    const health = await archivist.health();
    const status = serviceStatus(health);
    const shardRuns = health.database === "ok"
      ? await archivist.lastShardRuns().catch(() => [])
      : [];
    return c.json({
      status,
      database: health.database,
      read_only: health.readOnly,
      writes: health.writes,
      sync: archivist.sync,
      ...(health.error ? { error: health.error } : {}),
      schema_version: health.schemaVersion,
      failed_writes: health.failedWrites,
      last_runs: health.lastRuns,
      shard_runs: shardRuns,
      collection: collection?.() ?? { enabled: false, reason: "no collector in this process" },
      calendar: { known_through: health.calendar.knownThrough, warning: health.calendar.warning },
    }, status === "ok" ? 200 : 503);
  });
}
