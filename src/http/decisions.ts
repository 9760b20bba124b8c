/**
 * `POST /v1/decisions` (Scout's `log_decision_ledger(dict)` as one request) and
 * `GET /v1/decisions` (the ledger, filtered and paged).
 *
 * @module
 */
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { z } from "zod";
import { decisionEntrySchema } from "../../db/entries.ts";
import { type DecisionRow, FINAL_DECISIONS } from "../../db/schema.ts";
import type { AppOptions } from "./app.ts";
import { entriesBodySchema, logEntries, loggedEntriesSchema } from "./entry_log.ts";
import { idempotencyHeadersSchema } from "./idempotency.ts";
import { jsonBody } from "./json_body.ts";
import { entryListQueryShape } from "./params.ts";
import { problemResponses } from "./problem.ts";

const nullableText = z.string().nullable();

/** A stored decision as the API returns it: every ledger column, keywords as an array. */
export const decisionSchema = z.object(
  {
    log_id: z.int(),
    idempotency_key: nullableText,
    run_id: nullableText,
    timestamp: z.string().meta({ description: "The original TIMESTAMP (UTC), = decided_at" }),
    decided_at: z.string().meta({ description: "When the decision was taken (UTC ISO-8601)" }),
    trade_date: z.string().meta({ description: "KST trading day the decision applies to" }),
    stock_code: z.string(),
    stock_name: nullableText,
    hunter_score: z.number().nullable(),
    market_regime: nullableText,
    dominant_keywords: z.array(z.string()).nullable(),
    debate_log: nullableText,
    counter_position_logic: nullableText,
    thinking_called: z.boolean().nullable().meta({
      description: "Stored as 0/1, returned as a bool",
    }),
    thinking_reason: nullableText,
    cost_estimate: z.number().nullable(),
    gate_result: nullableText,
    final_decision: z.enum(FINAL_DECISIONS),
    final_reason: nullableText,
    schema_v: z.string(),
    created_at: z.string().meta({ description: "When the archive received it (UTC)" }),
  } satisfies Record<keyof DecisionRow, z.ZodType>,
).meta({ id: "Decision" });

/** A decision as the API returns it. */
export type Decision = z.output<typeof decisionSchema>;

/** A ledger row in its API form. */
export function toDecision(row: DecisionRow): Decision {
  return {
    ...row,
    dominant_keywords: row.dominant_keywords === null ? null : JSON.parse(row.dominant_keywords),
    thinking_called: row.thinking_called === null ? null : row.thinking_called === 1,
  };
}

const postDecisions = createRoute({
  method: "post",
  path: "/v1/decisions",
  tags: ["decisions"],
  summary: "Log Judge decisions (one object or an array, all or nothing)",
  middleware: [jsonBody] as const,
  description: "Takes the dict Scout passed to `log_decision_ledger` unchanged. `decided_at` " +
    "defaults to the time of receipt; `trade_date` is computed (after that day's close — 15:30 " +
    "KST, 16:30 on CSAT days —: the next trading day). A 201 means the rows are committed to disk.",
  request: {
    headers: idempotencyHeadersSchema,
    body: {
      required: true,
      content: {
        "application/json": { schema: entriesBodySchema(decisionEntrySchema, "decision") },
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

const listDecisions = createRoute({
  method: "get",
  path: "/v1/decisions",
  tags: ["decisions"],
  summary: "List decisions, oldest first",
  request: {
    query: z.strictObject({
      ...entryListQueryShape,
      final_decision: z.enum(FINAL_DECISIONS, {
        error: `expected one of ${FINAL_DECISIONS.join(", ")}`,
      }).optional(),
    }),
  },
  responses: {
    200: {
      description: "One page of decisions",
      content: {
        "application/json": {
          schema: z.object({
            items: z.array(decisionSchema),
            next_cursor: z.string().nullable().meta({ description: "null on the last page" }),
          }),
        },
      },
    },
    ...problemResponses(400, 401),
  },
});

/** Adds the decision routes to `app`. */
export function addDecisionRoutes(app: OpenAPIHono, { archivist }: AppOptions): void {
  app.openapi(postDecisions, async (c) => {
    const answer = await logEntries(
      c,
      "POST /v1/decisions",
      c.req.valid("json"),
      c.req.valid("header")["Idempotency-Key"],
      (entries, idempotency) => archivist.logDecisions(entries, idempotency),
    );
    return c.json(answer, 201);
  });

  app.openapi(listDecisions, async (c) => {
    const query = c.req.valid("query");
    const page = await archivist.listDecisions({
      stockCode: query.stock_code,
      from: query.from,
      to: query.to,
      tradeDate: query.trade_date,
      finalDecision: query.final_decision,
      limit: query.limit,
      cursor: query.cursor,
    });
    return c.json({ items: page.items.map(toDecision), next_cursor: page.nextCursor }, 200);
  });
}
