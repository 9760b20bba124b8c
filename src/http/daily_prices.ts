/**
 * `GET /v1/daily-prices/{code}?from=&to=`: a stock's adjusted daily candles, ascending, with units
 * stated (what the outcomes are computed from, and the dashboard's daily chart).
 *
 * @module
 */
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { z } from "zod";
import type { DailyPriceRow } from "../../db/schema.ts";
import type { AppOptions } from "./options.ts";
import { dayRange, dayRangeQuerySchema, stockCodeParamsSchema } from "./params.ts";
import { problemResponses } from "./problem.ts";

/** Default span of a request without `from`, in calendar days: a year. */
export const DEFAULT_DAILY_SPAN_DAYS = 365;

/** An adjusted daily candle as the API returns it. */
export const dailyPriceSchema = z.object(
  {
    trade_date: z.string().meta({ description: "KST trading day" }),
    open: z.int().meta({ description: "Adjusted open, KRW" }),
    high: z.int().meta({ description: "Adjusted high, KRW" }),
    low: z.int().meta({ description: "Adjusted low, KRW" }),
    close: z.int().meta({ description: "Adjusted close, KRW" }),
    volume: z.int().meta({ description: "Shares traded (adjusted like the prices)" }),
    value: z.int().meta({ description: "KRW traded" }),
  } satisfies Partial<Record<keyof DailyPriceRow, z.ZodType>>,
).meta({ id: "DailyPrice" });

const getDailyPrices = createRoute({
  method: "get",
  path: "/v1/daily-prices/{code}",
  tags: ["market data"],
  summary: "A stock's adjusted daily candles, ascending",
  description: `\`to\` defaults to today (KST), \`from\` to ${DEFAULT_DAILY_SPAN_DAYS} days ` +
    "before `to`. Prices are KIS's adjusted prices (수정주가): after a split the whole history " +
    "is restated.",
  request: {
    params: stockCodeParamsSchema,
    query: dayRangeQuerySchema,
  },
  responses: {
    200: {
      description: "The candles",
      content: {
        "application/json": {
          schema: z.object({
            stock_code: z.string(),
            from: z.string(),
            to: z.string(),
            units: z.object({
              price: z.literal("KRW"),
              volume: z.literal("shares"),
              value: z.literal("KRW"),
            }),
            candles: z.array(dailyPriceSchema),
          }),
        },
      },
    },
    ...problemResponses(400, 401),
  },
});

/** Adds the daily-candle route to `app`. */
export function addDailyPriceRoutes(app: OpenAPIHono, { archivist, now }: AppOptions): void {
  app.openapi(getDailyPrices, async (c) => {
    const { code } = c.req.valid("param");
    const query = c.req.valid("query");
    const { from, to } = dayRange(query, now, DEFAULT_DAILY_SPAN_DAYS);
    const rows = await archivist.dailyPrices(code, from, to);
    return c.json({
      stock_code: code,
      from,
      to,
      units: { price: "KRW", volume: "shares", value: "KRW" } as const,
      candles: rows.map(({ stock_code: _code, ...candle }) => candle),
    }, 200);
  });
}
