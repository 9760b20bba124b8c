/**
 * `POST /v1/decisions` (Scout's `log_decision_ledger(dict)` as one request) and
 * `GET /v1/decisions` (the ledger, filtered and paged).
 *
 * @module
 */
import type { OpenAPIHono } from "@hono/zod-openapi";
import { z } from "zod";
import { decisionEntrySchema } from "../../db/entries.ts";
import { type DecisionRow, FINAL_DECISIONS } from "../../db/schema.ts";
import { addEntryRoutes } from "./entry_routes.ts";
import type { AppOptions } from "./options.ts";

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

/** Adds `POST /v1/decisions` and `GET /v1/decisions` to `app`. */
export function addDecisionRoutes(app: OpenAPIHono, options: AppOptions): void {
  addEntryRoutes(app, options, {
    path: "/v1/decisions",
    tag: "decisions",
    noun: "decision",
    postSummary: "Log Judge decisions (one object or an array, all or nothing)",
    postDescription: "Takes the dict Scout passed to `log_decision_ledger` unchanged, with the " +
      "original row's `timestamp`, `trade_date` and `schema_v` when present. `decided_at` " +
      "defaults to `timestamp`, else the time of receipt; `trade_date` defaults to the one that " +
      "time applies to (after that day's close — 15:30 KST, 16:30 on CSAT days —: the next " +
      "trading day). A 201 means the rows are committed and, when /health says `sync: full` " +
      "(the default), synced to the device.",
    listSummary: "List decisions, oldest first",
    entry: decisionEntrySchema,
    item: decisionSchema,
    filter: { name: "final_decision", values: FINAL_DECISIONS },
    log: (archivist, entries, idempotency) => archivist.logDecisions(entries, idempotency),
    list: (archivist, filter, finalDecision) =>
      archivist.listDecisions({ ...filter, finalDecision }),
    toItem: toDecision,
  });
}
