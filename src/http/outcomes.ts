/**
 * `GET /v1/outcomes/decisions` and `GET /v1/outcomes/rejections`: every entry with what the market
 * did after it (`docs/outcomes.md`), filtered like the entry listings plus the outcome's status,
 * one page at a time.
 *
 * @module
 */
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { z } from "zod";
import { DEFAULT_REGRET_THRESHOLD_PCT } from "../../db/outcomes.ts";
import { FINAL_DECISIONS, OUTCOME_STATUSES, REJECTION_STAGES } from "../../db/schema.ts";
import type { AppOptions } from "./options.ts";
import {
  decisionOutcomeSchema,
  rejectionOutcomeSchema,
  thresholdSchema,
} from "./outcome_schemas.ts";
import { entryFilterOf, entryListQueryShape } from "./params.ts";
import { problemResponses } from "./problem.ts";

const statusSchema = z.enum(OUTCOME_STATUSES, {
  error: `expected one of ${OUTCOME_STATUSES.join(", ")}`,
}).optional().meta({ description: "Only outcomes in this state" });

const nextCursor = z.string().nullable().meta({ description: "null on the last page" });

const listDecisionOutcomes = createRoute({
  method: "get",
  path: "/v1/outcomes/decisions",
  tags: ["outcomes"],
  summary: "Decisions with what the market did after them, oldest first",
  description: "Returns and edges against the adjusted close of the trade date D, over the next " +
    "1, 5 and 20 trading days. A value is null until its day is archived.",
  request: {
    query: z.strictObject({
      ...entryListQueryShape,
      final_decision: z.enum(FINAL_DECISIONS, {
        error: `expected one of ${FINAL_DECISIONS.join(", ")}`,
      }).optional(),
      status: statusSchema,
    }),
  },
  responses: {
    200: {
      description: "One page of decisions with their outcomes",
      content: {
        "application/json": {
          schema: z.object({ items: z.array(decisionOutcomeSchema), next_cursor: nextCursor }),
        },
      },
    },
    ...problemResponses(400, 401),
  },
});

const listRejectionOutcomes = createRoute({
  method: "get",
  path: "/v1/outcomes/rejections",
  tags: ["outcomes"],
  summary: "Rejected candidates with what the market did after them, oldest first",
  description: "`regret` and `good_rejection` at `threshold_pct`; `vol_shock` against the 20 " +
    "trading days before D. A value is null until its day is archived.",
  request: {
    query: z.strictObject({
      ...entryListQueryShape,
      rejection_stage: z.enum(REJECTION_STAGES, {
        error: `expected one of ${REJECTION_STAGES.join(", ")}`,
      }).optional(),
      status: statusSchema,
      threshold_pct: thresholdSchema,
    }),
  },
  responses: {
    200: {
      description: "One page of rejections with their outcomes",
      content: {
        "application/json": {
          schema: z.object({
            threshold_pct: z.number().meta({ description: "The regret threshold used, percent" }),
            items: z.array(rejectionOutcomeSchema),
            next_cursor: nextCursor,
          }),
        },
      },
    },
    ...problemResponses(400, 401),
  },
});

/** Adds the outcome listings to `app`. */
export function addOutcomeRoutes(app: OpenAPIHono, options: AppOptions): void {
  const { archivist } = options;
  app.openapi(listDecisionOutcomes, async (c) => {
    const query = c.req.valid("query");
    const page = await archivist.listDecisionOutcomes({
      ...entryFilterOf(query),
      status: query.status,
      finalDecision: query.final_decision,
    });
    return c.json({ items: [...page.items], next_cursor: page.nextCursor }, 200);
  });

  app.openapi(listRejectionOutcomes, async (c) => {
    const query = c.req.valid("query");
    const thresholdPct = query.threshold_pct ?? options.regretThresholdPct ??
      DEFAULT_REGRET_THRESHOLD_PCT;
    const page = await archivist.listRejectionOutcomes({
      ...entryFilterOf(query),
      status: query.status,
      rejectionStage: query.rejection_stage,
      thresholdPct,
    });
    return c.json({
      threshold_pct: thresholdPct,
      items: [...page.items],
      next_cursor: page.nextCursor,
    }, 200);
  });
}
