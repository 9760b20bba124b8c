/**
 * One simulated KIS host (real or virtual) as a Hono app: OAuth, the quotation TRs behind the
 * gateway checks, and the `/__sim/` control surface.
 *
 * Gateway order of a quotation request: app key and secret (EGW00103/00105), key of the other
 * environment (EGW02004 on the real host, EGW02005 on the virtual one), bearer token
 * (EGW00205/00121/00123), rate limit (EGW00201), injected faults, then the TR itself: tr_id of
 * the path (OPSQ0002), 모의투자 미지원 on the virtual host (HTTP 500 `90000000`), required
 * parameters and `custtype` (OPSQ2001), and the answer.
 *
 * @module
 */
import { Hono } from "hono";
import type { Context } from "hono";
import { controlRoutes } from "./control.ts";
import { GATEWAY_ERRORS, inputFieldError, type KisFailure, unknownService } from "./errors.ts";
import { corruptField, kisResponse, kisTextResponse, truncateJson } from "./http.ts";
import { oauthRoutes } from "./oauth.ts";
import { QUOTATION_ENDPOINTS, type QuotationEndpoint } from "./quotations.ts";
import type { SimApp, SimEnv, SimState } from "./state.ts";

function isFailure(value: unknown): value is KisFailure {
  return typeof value === "object" && value !== null && "status" in value && "body" in value;
}

function authenticate(c: Context, state: SimState, env: SimEnv): SimApp | KisFailure {
  const app = state.apps.get(c.req.header("appkey") ?? "");
  if (!app) return GATEWAY_ERRORS.invalidAppKey;
  if (app.appSecret !== (c.req.header("appsecret") ?? "")) return GATEWAY_ERRORS.invalidAppSecret;
  if (app.env !== env) {
    return env === "real" ? GATEWAY_ERRORS.virtualKeyOnReal : GATEWAY_ERRORS.realKeyOnVirtual;
  }
  const authorization = (c.req.header("authorization") ?? "").trim();
  if (authorization === "") return GATEWAY_ERRORS.invalidToken;
  const bearer = /^Bearer\s+(\S+)$/i.exec(authorization);
  if (!bearer) return GATEWAY_ERRORS.notBearer;
  const check = state.tokens.check(bearer[1], app.appKey, state.clock.now().getTime());
  if (check === "unknown") return GATEWAY_ERRORS.invalidToken;
  if (check === "expired") return GATEWAY_ERRORS.expiredToken;
  return app;
}

function queryReader(url: string): (name: string) => string | undefined {
  const byName = new Map<string, string>();
  for (const [name, value] of new URL(url).searchParams) {
    const key = name.toUpperCase();
    if (!byName.has(key)) byName.set(key, value);
  }
  return (name) => byName.get(name.toUpperCase());
}

function injectedServerError(): Response {
  // either shape a broken upstream produces: plain text or a non-KIS JSON body
  return Math.random() < 0.5
    ? new Response("Internal Server Error", {
      status: 500,
      headers: { "content-type": "text/plain; charset=utf-8" },
    })
    : new Response(JSON.stringify({ error: "internal", message: "upstream connection reset" }), {
      status: 500,
      headers: { "content-type": "application/json" },
    });
}

function quotationHandler(state: SimState, env: SimEnv, endpoint: QuotationEndpoint) {
  return (c: Context): Response => {
    const trId = (c.req.header("tr_id") ?? "").trim();
    state.stats.byTrId[trId] = (state.stats.byTrId[trId] ?? 0) + 1;
    const fail = (failure: KisFailure) => kisResponse(failure.body, failure.status, { trId });

    const app = authenticate(c, state, env);
    if (isFailure(app)) return fail(app);
    const faults = state.faults;
    if ((faults.rateLimitBurst ?? 0) > 0) {
      state.setFaults({ rateLimitBurst: faults.rateLimitBurst! - 1 });
      state.stats.rateLimited++;
      return fail(GATEWAY_ERRORS.rateLimited);
    }
    if (!state.limiter.tryAcquire(app.appKey, state.rateLimits[env])) {
      state.stats.rateLimited++;
      return fail(GATEWAY_ERRORS.rateLimited);
    }

    const param = queryReader(c.req.url);
    const stockCode = (param("FID_INPUT_ISCD") ?? "").trim();
    if (stockCode !== "" && faults.failCodes?.includes(stockCode)) {
      state.stats.serverErrors++;
      return fail(GATEWAY_ERRORS.serviceError);
    }
    if (faults.serverErrorRate > 0 && Math.random() < faults.serverErrorRate) {
      state.stats.serverErrors++;
      return injectedServerError();
    }

    if (trId !== endpoint.trId) return fail(unknownService());
    if (endpoint.realOnly && env === "virtual") return fail(GATEWAY_ERRORS.virtualUnsupported);
    const missing = endpoint.required.find((name) => param(name) === undefined);
    if (missing) return fail(inputFieldError(missing));
    if (endpoint.requiresCusttype && !/^[PB]$/i.test((c.req.header("custtype") ?? "").trim())) {
      return fail(inputFieldError("custtype"));
    }

    const answer = endpoint.answer({
      param,
      now: state.clock.now(),
      quirks: state.quirks,
      minuteRowsFrom: faults.minuteRowsFrom,
    });
    if (isFailure(answer)) return fail(answer);
    if (faults.malformedRate > 0 && Math.random() < faults.malformedRate) {
      if (faults.malformedField) {
        corruptField(answer.body, faults.malformedField);
        return kisResponse(answer.body, 200, { trId, trCont: answer.trCont });
      }
      return kisTextResponse(truncateJson(JSON.stringify(answer.body)), 200, {
        trId,
        trCont: answer.trCont,
      });
    }
    return kisResponse(answer.body, 200, { trId, trCont: answer.trCont });
  };
}

/** The Hono app of the `env` host of a simulator. */
export function createKisApp(state: SimState, env: SimEnv): Hono {
  const app = new Hono();
  app.use("*", async (c, next) => {
    if (c.req.path.startsWith("/__sim")) return await next();
    state.stats.requests++;
    const latency = state.faults.latencyMs +
      Math.random() * (state.faults.latencyJitterMs ?? 0);
    if (latency > 0) await new Promise((resolve) => setTimeout(resolve, latency));
    await next();
    if (!state.quiet) {
      state.logger.debug("{env} {method} {path} {trId} → {status}", {
        env,
        method: c.req.method,
        path: c.req.path,
        trId: c.req.header("tr_id") ?? "",
        status: c.res.status,
      });
    }
  });
  app.route("/__sim", controlRoutes(state));
  app.route("/oauth2", oauthRoutes(state, env));
  for (const endpoint of QUOTATION_ENDPOINTS) {
    app.get(endpoint.path, quotationHandler(state, env, endpoint));
  }
  app.notFound(() => kisResponse(unknownService().body, 404));
  app.onError((error) => {
    state.logger.error("Simulator handler failed: {error}", { error });
    return kisResponse(GATEWAY_ERRORS.serviceError.body, 500);
  });
  return app;
}
