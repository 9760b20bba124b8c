/**
 * The `/__sim/` control surface, on both hosts, so a simulator running in another process
 * (demo, benchmarks) can be driven over HTTP:
 *
 * - `GET /__sim/clock` → `{now, kst}`; `PUT /__sim/clock` with `{"now": "<ISO-8601>"}`
 * - `PUT /__sim/faults` with any `SimFaults` fields (merged; `null` clears `malformedField` and
 *   `minuteRowsFrom`)
 * - `PUT /__sim/rate-limit` with `{"real"?: n, "virtual"?: n}`
 * - `GET /__sim/stats`; `DELETE /__sim/stats` resets the counters
 * - `POST /__sim/expire-tokens` → `{expired: n}`
 * - `POST /__sim/warm` with `{"codes": [...], "from": "YYYY-MM-DD", "to": "YYYY-MM-DD"}`
 *   computes those stocks' market for those days ahead (benchmarks: the first requests of a
 *   stock are otherwise slowed by computing years of its prices, which a real gateway never is)
 *
 * Bad bodies answer 400 `application/problem+json` naming each field.
 *
 * @module
 */
import { Hono } from "hono";
import { z } from "zod";
import { datesBetween, isTradeDate, kstIso } from "../time.ts";
import { parseInstant } from "./clock.ts";
import { investorDay, programDay, sessionBars } from "./market.ts";
import { readJsonObject } from "./http.ts";
import type { SimFaults, SimState } from "./state.ts";

const clockBody = z.object({
  now: z.string().refine((value) => !Number.isNaN(Date.parse(value)), {
    error: "expected an ISO-8601 instant",
  }),
}).strict();

const share = z.number().min(0, { error: "expected 0..1" }).max(1, { error: "expected 0..1" });

const faultsBody = z.object({
  serverErrorRate: share.optional(),
  latencyMs: z.number().int().min(0).max(60_000).optional(),
  latencyJitterMs: z.number().int().min(0).max(60_000).optional(),
  malformedRate: share.optional(),
  malformedField: z.string().min(1).nullable().optional(),
  failCodes: z.array(z.string()).optional(),
  rateLimitBurst: z.number().int().min(0).optional(),
  minuteRowsFrom: z.string().regex(/^\d{6}$/, { error: "expected HHMMSS" }).nullable().optional(),
}).strict();

const date = z.string().refine(isTradeDate, { error: "expected YYYY-MM-DD" });
const warmBody = z.object({
  codes: z.array(z.string()).max(5_000),
  from: date,
  to: date,
}).strict();

const rateBody = z.object({
  real: z.number().positive().optional(),
  virtual: z.number().positive().optional(),
}).strict();

function problem(detail: string, errors: { field: string; message: string }[] = []): Response {
  return new Response(
    JSON.stringify({ type: "about:blank", title: "Bad Request", status: 400, detail, errors }),
    { status: 400, headers: { "content-type": "application/problem+json" } },
  );
}

async function parseBody<T>(request: Request, schema: z.ZodType<T>): Promise<T | Response> {
  const body = await readJsonObject(request);
  if (!body) return problem("expected a JSON object body");
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  return problem(
    "invalid simulator control body",
    result.error.issues.map((issue) => ({
      field: issue.path.join(".") || "(body)",
      message: issue.message,
    })),
  );
}

/** The `/__sim` routes over `state`. */
export function controlRoutes(state: SimState): Hono {
  const routes = new Hono();
  const clock = () => {
    const now = state.clock.now();
    return { now: now.toISOString(), kst: kstIso(now) };
  };

  routes.get("/clock", (c) => c.json(clock()));
  routes.put("/clock", async (c) => {
    const body = await parseBody(c.req.raw, clockBody);
    if (body instanceof Response) return body;
    state.clock.set(parseInstant(body.now));
    return c.json(clock());
  });

  routes.put("/faults", async (c) => {
    const body = await parseBody(c.req.raw, faultsBody);
    if (body instanceof Response) return body;
    const { malformedField, minuteRowsFrom, ...rest } = body;
    const update: Partial<SimFaults> = { ...rest };
    if (malformedField !== undefined) update.malformedField = malformedField ?? undefined;
    if (minuteRowsFrom !== undefined) update.minuteRowsFrom = minuteRowsFrom ?? undefined;
    state.setFaults(update);
    return c.json(state.faults);
  });

  routes.put("/rate-limit", async (c) => {
    const body = await parseBody(c.req.raw, rateBody);
    if (body instanceof Response) return body;
    state.rateLimits = { ...state.rateLimits, ...body };
    return c.json(state.rateLimits);
  });

  routes.get("/stats", (c) => c.json(state.snapshotStats()));
  routes.delete("/stats", (c) => {
    state.resetStats();
    return c.json(state.snapshotStats());
  });

  routes.post("/expire-tokens", (c) => c.json({ expired: state.tokens.expireAll() }));

  routes.post("/warm", async (c) => {
    const body = await parseBody(c.req.raw, warmBody);
    if (body instanceof Response) return body;
    const days = datesBetween(body.from, body.to);
    if (days.length > 400) return problem("at most 400 days at once");
    for (const code of body.codes) {
      for (const day of days) {
        investorDay(code, day);
        programDay(code, day);
      }
      sessionBars(code, body.to);
    }
    return c.json({ codes: body.codes.length, days: days.length });
  });

  return routes;
}
