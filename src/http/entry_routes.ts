/**
 * The shape both logging resources share: `POST <path>` takes Scout's dict (one or an array, all
 * or nothing, replayable with an `Idempotency-Key`) and `GET <path>` lists the stored rows, oldest
 * first, filtered by the shared filters plus one enum column, one page at a time.
 * `decisions.ts` and `shadow_radar.ts` only say what differs.
 *
 * @module
 */
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { z } from "zod";
import type {
  Archivist,
  EntryFilter,
  IdempotencyOptions,
  LoggedEntries,
} from "../../db/archivist.ts";
import type { Page } from "../../db/paging.ts";
import { entriesBodySchema, logEntries, loggedEntriesSchema } from "./entry_log.ts";
import { idempotencyHeadersSchema } from "./idempotency.ts";
import { jsonBody } from "./json_body.ts";
import type { AppOptions } from "./options.ts";
import { entryFilterOf, entryListQueryShape } from "./params.ts";
import { problemResponses } from "./problem.ts";

/** One logging resource: what its two routes take, store and return. */
export interface EntryResource<
  Entry extends z.ZodType,
  Item extends z.ZodType,
  Row,
  FilterValue extends string,
> {
  /** Route path, e.g. `/v1/decisions`. */
  readonly path: string;
  /** OpenAPI tag. */
  readonly tag: string;
  /** The singular noun used in summaries and errors, e.g. `decision`. */
  readonly noun: string;
  /** Summary of the POST route. */
  readonly postSummary: string;
  /** Description of the POST route. */
  readonly postDescription: string;
  /** Summary of the GET route. */
  readonly listSummary: string;
  /** The schema of one posted entry. */
  readonly entry: Entry;
  /** The schema of one listed item. */
  readonly item: Item;
  /** The resource's own list filter: a query parameter over an enum column. */
  readonly filter: {
    readonly name: string;
    readonly values: readonly [FilterValue, ...FilterValue[]];
  };
  /** Stores entries (one Archivist call, one transaction). */
  log(
    archivist: Archivist,
    entries: z.output<Entry>[],
    idempotency?: IdempotencyOptions,
  ): Promise<LoggedEntries>;
  /** One page of stored rows. */
  list(
    archivist: Archivist,
    filter: EntryFilter,
    value: FilterValue | undefined,
  ): Promise<Page<Row>>;
  /** A stored row in its API form. */
  toItem(row: Row): z.output<Item>;
}

/** Adds `POST` and `GET` of `resource` to `app`. */
export function addEntryRoutes<
  Entry extends z.ZodType,
  Item extends z.ZodType,
  Row,
  FilterValue extends string,
>(
  app: OpenAPIHono,
  { archivist }: AppOptions,
  resource: EntryResource<Entry, Item, Row, FilterValue>,
): void {
  const { path, tag, noun, filter } = resource;
  // The routes are built over erased schema types: Hono's input inference cannot see through the
  // generics, and what the handlers read is typed by `resource` below.
  const bodySchema: z.ZodType = entriesBodySchema(resource.entry, noun);
  const post = createRoute({
    method: "post",
    path,
    tags: [tag],
    summary: resource.postSummary,
    description: resource.postDescription,
    middleware: [jsonBody] as const,
    request: {
      headers: idempotencyHeadersSchema,
      body: {
        required: true,
        content: { "application/json": { schema: bodySchema } },
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

  const querySchema = z.strictObject({
    ...entryListQueryShape,
    [filter.name]: z.enum(filter.values, {
      error: `expected one of ${filter.values.join(", ")}`,
    }).optional(),
  });
  const list = createRoute({
    method: "get",
    path,
    tags: [tag],
    summary: resource.listSummary,
    request: {
      query: querySchema,
    },
    responses: {
      200: {
        description: `One page of ${noun}s`,
        content: {
          "application/json": {
            schema: z.object({
              items: z.array(resource.item),
              next_cursor: z.string().nullable().meta({ description: "null on the last page" }),
            }),
          },
        },
      },
      ...problemResponses(400, 401),
    },
  });

  app.openapi(post, async (c) => {
    const body = c.req.valid("json") as z.output<Entry> | z.output<Entry>[];
    const answer = await logEntries(
      c,
      `POST ${path}`,
      body,
      c.req.valid("header")["Idempotency-Key"],
      (entries, idempotency) => resource.log(archivist, entries, idempotency),
    );
    return c.json(answer, 201);
  });

  app.openapi(list, async (c) => {
    const query = c.req.valid("query");
    const value = (query as Record<string, unknown>)[filter.name] as FilterValue | undefined;
    const page = await resource.list(archivist, entryFilterOf(query), value);
    return c.json({ items: page.items.map(resource.toItem), next_cursor: page.nextCursor }, 200);
  });
}
