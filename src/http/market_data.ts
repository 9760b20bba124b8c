/**
 * `GET /v1/minute-bars/{code}?date=` and `GET /v1/market-flow/{code}?from=&to=`: the collected
 * market data, with times in KST and units stated.
 *
 * @module
 */
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { z } from "zod";
import type { FlowSnapshotRow, StockMinutePriceRow } from "../../db/schema.ts";
import { kstIso } from "../time.ts";
import type { AppOptions } from "./options.ts";
import { problemResponses } from "./problem.ts";
import {
  dayRange,
  dayRangeQuerySchema,
  MAX_DAY_SPAN_DAYS,
  stockCodeParamsSchema,
  tradeDateSchema,
} from "./params.ts";

/** Longest span one market-flow request may cover, in calendar days. */
export const MAX_FLOW_SPAN_DAYS = MAX_DAY_SPAN_DAYS;

/** Default span of a market-flow request without `from`, in calendar days. */
export const DEFAULT_FLOW_SPAN_DAYS = 30;

/** A minute bar as the API returns it. */
export const minuteBarSchema = z.object({
  bar_time: z.int().meta({ description: "Unix seconds (UTC) of the minute's start" }),
  time_kst: z.string().meta({
    description: "The minute's start in KST",
    example: "2026-11-26T09:00:00+09:00",
  }),
  open: z.int().meta({ description: "KRW" }),
  high: z.int().meta({ description: "KRW" }),
  low: z.int().meta({ description: "KRW" }),
  close: z.int().meta({ description: "KRW" }),
  volume: z.int().meta({ description: "Shares traded in the minute" }),
  value: z.int().meta({ description: "KRW traded in the minute" }),
}).meta({ id: "MinuteBar" });

function toBar(row: StockMinutePriceRow): z.output<typeof minuteBarSchema> {
  const { stock_code: _code, ...bar } = row;
  return { ...bar, time_kst: kstIso(row.bar_time * 1000) };
}

const flowValue = (unit: string) => z.int().nullable().meta({ description: unit });

/** KIS reports investor amounts in million KRW: stored as KRW, they are exact to 1,000,000 only. */
const INVESTOR_VALUE = "KRW, a multiple of 1,000,000: KIS reports investor values in million KRW";

/** A daily flow row as the API returns it. */
export const flowRowSchema = z.object(
  {
    trade_date: z.string().meta({ description: "KST trading day" }),
    close_price: flowValue("KRW"),
    volume: flowValue("shares"),
    individual_net_buy: flowValue("shares"),
    foreign_net_buy: flowValue("shares"),
    institution_net_buy: flowValue("shares"),
    program_net_buy: flowValue("shares (null where KIS has no program data)"),
    individual_net_buy_value: flowValue(INVESTOR_VALUE),
    foreign_net_buy_value: flowValue(INVESTOR_VALUE),
    institution_net_buy_value: flowValue(INVESTOR_VALUE),
    program_net_buy_value: flowValue("KRW, exact (null where KIS has no program data)"),
    updated_at: z.string().meta({ description: "When the row was last corrected (UTC)" }),
  } satisfies Partial<Record<keyof FlowSnapshotRow, z.ZodType>>,
).meta({ id: "FlowRow" });

function toFlowRow(row: FlowSnapshotRow): z.output<typeof flowRowSchema> {
  return Object.fromEntries(
    Object.keys(flowRowSchema.shape).map((key) => [key, row[key as keyof FlowSnapshotRow]]),
  ) as z.output<typeof flowRowSchema>;
}

const getMinuteBars = createRoute({
  method: "get",
  path: "/v1/minute-bars/{code}",
  tags: ["market data"],
  summary: "One KST trading day's minute bars of a stock, ascending",
  description: "A minute without trades has no bar. An empty `bars` means nothing was collected.",
  request: {
    params: stockCodeParamsSchema,
    query: z.strictObject({ date: tradeDateSchema }),
  },
  responses: {
    200: {
      description: "The day's bars",
      content: {
        "application/json": {
          schema: z.object({
            stock_code: z.string(),
            date: z.string(),
            count: z.int(),
            bars: z.array(minuteBarSchema),
          }),
        },
      },
    },
    ...problemResponses(400, 401),
  },
});

const getMarketFlow = createRoute({
  method: "get",
  path: "/v1/market-flow/{code}",
  tags: ["market data"],
  summary: "Daily investor and program flows of a stock, ascending",
  description: `\`to\` defaults to today (KST), \`from\` to ${DEFAULT_FLOW_SPAN_DAYS} days ` +
    "before `to`. Quantities are shares, amounts KRW.",
  request: {
    params: stockCodeParamsSchema,
    query: dayRangeQuerySchema,
  },
  responses: {
    200: {
      description: "Daily rows with their units",
      content: {
        "application/json": {
          schema: z.object({
            stock_code: z.string(),
            from: z.string(),
            to: z.string(),
            units: z.object({
              quantity: z.literal("shares"),
              value: z.literal("KRW"),
              price: z.literal("KRW"),
            }),
            rows: z.array(flowRowSchema),
          }),
        },
      },
    },
    ...problemResponses(400, 401),
  },
});

/** Adds the market-data routes to `app`. */
export function addMarketDataRoutes(app: OpenAPIHono, { archivist, now }: AppOptions): void {
  app.openapi(getMinuteBars, async (c) => {
    const { code } = c.req.valid("param");
    const { date } = c.req.valid("query");
    const bars = await archivist.minuteBars(code, date);
    return c.json({ stock_code: code, date, count: bars.length, bars: bars.map(toBar) }, 200);
  });

  app.openapi(getMarketFlow, async (c) => {
    const { code } = c.req.valid("param");
    const query = c.req.valid("query");
    const { from, to } = dayRange(query, now, DEFAULT_FLOW_SPAN_DAYS);
    const rows = await archivist.flowSnapshots(code, from, to);
    return c.json({
      stock_code: code,
      from,
      to,
      units: { quantity: "shares", value: "KRW", price: "KRW" } as const,
      rows: rows.map(toFlowRow),
    }, 200);
  });
}
