/**
 * `GET /v1/watchlist` and `PUT /v1/watchlist`: the stocks collected every trading day.
 *
 * @module
 */
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { z } from "zod";
import { watchlistEntrySchema } from "../../db/entries.ts";
import type { WatchlistRow } from "../../db/schema.ts";
import type { AppOptions } from "./options.ts";
import { jsonBody } from "./json_body.ts";
import { problemResponses } from "./problem.ts";

/** Most entries a watchlist may have. */
export const MAX_WATCHLIST_ENTRIES = 5000;

/** A watchlist entry as the API returns it. */
export const watchlistItemSchema = z.object(
  {
    stock_code: z.string(),
    stock_name: z.string().nullable(),
    is_active: z.boolean().meta({ description: "Stored as 0/1; only active stocks are collected" }),
    added_at: z.string().meta({ description: "UTC ISO-8601" }),
    updated_at: z.string().meta({ description: "UTC ISO-8601" }),
  } satisfies Record<keyof WatchlistRow, z.ZodType>,
).meta({ id: "WatchlistItem" });

function toItem(row: WatchlistRow): z.output<typeof watchlistItemSchema> {
  return { ...row, is_active: row.is_active === 1 };
}

const watchlistSchema = z.object({ items: z.array(watchlistItemSchema) });

const getWatchlist = createRoute({
  method: "get",
  path: "/v1/watchlist",
  tags: ["watchlist"],
  summary: "The active watchlist (with `include_inactive=true`, also the removed entries)",
  request: {
    query: z.strictObject({
      include_inactive: z.enum(["true", "false"], { error: "expected true or false" }).optional(),
    }),
  },
  responses: {
    200: { description: "Watchlist", content: { "application/json": { schema: watchlistSchema } } },
    ...problemResponses(400, 401),
  },
});

const putWatchlist = createRoute({
  method: "put",
  path: "/v1/watchlist",
  tags: ["watchlist"],
  summary: "Replace the active watchlist",
  description: "Exactly the given stocks become active; others stay stored but inactive.",
  middleware: [jsonBody] as const,
  request: {
    body: {
      required: true,
      content: {
        "application/json": {
          schema: z.array(watchlistEntrySchema).max(MAX_WATCHLIST_ENTRIES, {
            error: `expected at most ${MAX_WATCHLIST_ENTRIES} entries`,
          }),
        },
      },
    },
  },
  responses: {
    200: {
      description: "Replaced; what changed and the new active list",
      content: {
        "application/json": {
          schema: watchlistSchema.extend({
            inserted: z.int(),
            updated: z.int(),
            unchanged: z.int(),
            deactivated: z.int(),
          }),
        },
      },
    },
    ...problemResponses(400, 401, 413, 415, 503),
  },
});

/** Adds the watchlist routes to `app`. */
export function addWatchlistRoutes(app: OpenAPIHono, { archivist }: AppOptions): void {
  app.openapi(getWatchlist, async (c) => {
    const includeInactive = c.req.valid("query").include_inactive === "true";
    const rows = await archivist.watchlist({ includeInactive });
    return c.json({ items: rows.map(toItem) }, 200);
  });

  app.openapi(putWatchlist, async (c) => {
    const counts = await archivist.replaceWatchlist(c.req.valid("json"));
    const rows = await archivist.watchlist();
    return c.json({ ...counts, items: rows.map(toItem) }, 200);
  });
}
