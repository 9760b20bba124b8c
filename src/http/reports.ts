/**
 * The outcome reports (`docs/outcomes.md`): `GET /v1/reports/regret` (rejections that then ran),
 * `GET /v1/reports/scorecard` (how the decisions did) and `GET /v1/reports/daily-packet` (the
 * council packet of a day).
 *
 * @module
 */
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { z } from "zod";
import { DEFAULT_REGRET_THRESHOLD_PCT } from "../../db/outcomes.ts";
import type { AppOptions } from "./options.ts";
import {
  dailyPacketSchema,
  regretReportSchema,
  scorecardSchema,
  thresholdSchema,
} from "./outcome_schemas.ts";
import { dateOrInstantSchema, tradeDateSchema } from "./params.ts";
import { problemResponses } from "./problem.ts";

const rangeQuery = {
  from: dateOrInstantSchema.optional().meta({
    description:
      "Entries from this instant, or from the start of this KST day (default: the first)",
  }),
  to: dateOrInstantSchema.optional().meta({
    description: "Entries up to this instant, or through this KST day (default: the last)",
  }),
};

const getRegret = createRoute({
  method: "get",
  path: "/v1/reports/regret",
  tags: ["reports"],
  summary: "Regret report: rejected candidates whose price then rose",
  description: "Over the rejections logged from `from` to `to`: how many could be evaluated, " +
    "how many were regrets (the high of the next 5 trading days ≥ `threshold_pct` above the " +
    "reference close) or good rejections, by stage and by reason, and the 20 largest moves.",
  request: { query: z.strictObject({ ...rangeQuery, threshold_pct: thresholdSchema }) },
  responses: {
    200: {
      description: "The report",
      content: { "application/json": { schema: regretReportSchema } },
    },
    ...problemResponses(400, 401),
  },
});

const getScorecard = createRoute({
  method: "get",
  path: "/v1/reports/scorecard",
  tags: ["reports"],
  summary: "Scorecard: how Judge's decisions did over the next 5 trading days",
  description: "Over the decisions taken from `from` to `to`: per decision, per hunter-score " +
    "bucket (BUY, SELL) and per market regime (BUY and SELL).",
  request: { query: z.strictObject(rangeQuery) },
  responses: {
    200: {
      description: "The scorecard",
      content: { "application/json": { schema: scorecardSchema } },
    },
    ...problemResponses(400, 401),
  },
});

const getDailyPacket = createRoute({
  method: "get",
  path: "/v1/reports/daily-packet",
  tags: ["reports"],
  summary: "The council packet of a day: vetoes, decisions and their cases with outcomes so far",
  request: {
    query: z.strictObject({
      date: tradeDateSchema.meta({
        description: "KST day: the entries decided or logged that day",
      }),
      threshold_pct: thresholdSchema,
    }),
  },
  responses: {
    200: {
      description: "The packet",
      content: { "application/json": { schema: dailyPacketSchema } },
    },
    ...problemResponses(400, 401),
  },
});

/** Adds the report routes to `app`. */
export function addReportRoutes(app: OpenAPIHono, options: AppOptions): void {
  const { archivist } = options;
  const threshold = (asked: number | undefined) =>
    asked ?? options.regretThresholdPct ?? DEFAULT_REGRET_THRESHOLD_PCT;

  app.openapi(getRegret, async (c) => {
    const query = c.req.valid("query");
    const report = await archivist.regretReport({
      from: query.from,
      to: query.to,
      thresholdPct: threshold(query.threshold_pct),
    });
    return c.json(report as z.output<typeof regretReportSchema>, 200);
  });

  app.openapi(getScorecard, async (c) => {
    const query = c.req.valid("query");
    const report = await archivist.scorecard({ from: query.from, to: query.to });
    return c.json(report as z.output<typeof scorecardSchema>, 200);
  });

  app.openapi(getDailyPacket, async (c) => {
    const query = c.req.valid("query");
    const packet = await archivist.dailyPacket(query.date, {
      thresholdPct: threshold(query.threshold_pct),
    });
    return c.json(packet as z.output<typeof dailyPacketSchema>, 200);
  });
}
