/**
 * The simulated OAuth endpoints (`docs/kis-api.md` §2): `POST /oauth2/tokenP`, `/oauth2/revokeP`
 * and `/oauth2/Approval`. Failures use the `{error_code, error_description}` shape, HTTP 403.
 *
 * @module
 */
import { Hono } from "hono";
import { OAUTH_ERRORS, type OAuthErrorBody } from "./errors.ts";
import { readJsonObject } from "./http.ts";
import { hashSeed } from "./random.ts";
import type { SimApp, SimEnv, SimState } from "./state.ts";
import { kstWallClock } from "./tokens.ts";

const OAUTH_JSON = "application/json; charset=UTF-8";

function json(body: unknown, status: number): Response {
  return new Response(JSON.stringify(body), { status, headers: { "content-type": OAUTH_JSON } });
}

function refuse(error: OAuthErrorBody): Response {
  return json(error, 403);
}

function text(body: Record<string, unknown>, key: string): string {
  const value = body[key];
  return typeof value === "string" ? value : "";
}

/** The app of `appKey` if `secret` matches and it belongs to `env`, else the OAuth error. */
function appOf(
  state: SimState,
  env: SimEnv,
  appKey: string,
  secret: string,
): SimApp | OAuthErrorBody {
  const app = state.apps.get(appKey);
  if (!app) return OAUTH_ERRORS.invalidAppKey;
  if (app.appSecret !== secret) return OAUTH_ERRORS.invalidAppSecret;
  if (app.env !== env) {
    return env === "real" ? OAUTH_ERRORS.virtualKeyOnReal : OAUTH_ERRORS.realKeyOnVirtual;
  }
  return app;
}

function isApp(value: SimApp | OAuthErrorBody): value is SimApp {
  return "appKey" in value;
}

/** The `/oauth2` routes of one host. */
export function oauthRoutes(state: SimState, env: SimEnv): Hono {
  const routes = new Hono();

  routes.post("/tokenP", async (c) => {
    state.stats.tokenRequests++;
    const body = await readJsonObject(c.req.raw);
    if (!body) return refuse(OAUTH_ERRORS.invalidAppKey);
    if (text(body, "grant_type") !== "client_credentials") {
      return refuse(OAUTH_ERRORS.invalidGrantType);
    }
    const app = appOf(state, env, text(body, "appkey"), text(body, "appsecret"));
    if (!isApp(app)) return refuse(app);
    const now = state.clock.now().getTime();
    const result = state.tokens.issue(app.appKey, now);
    if (!result.ok) return refuse(OAUTH_ERRORS.throttled);
    if (result.minted) state.stats.tokensIssued++;
    const { token } = result;
    return json({
      access_token: token.value,
      access_token_token_expired: kstWallClock(token.expiresAt),
      token_type: "Bearer",
      expires_in: Math.max(0, Math.floor((token.expiresAt - now) / 1000)),
    }, 200);
  });

  routes.post("/revokeP", async (c) => {
    const body = await readJsonObject(c.req.raw);
    if (!body) return refuse(OAUTH_ERRORS.invalidAppKey);
    const app = appOf(state, env, text(body, "appkey"), text(body, "appsecret"));
    if (!isApp(app)) return refuse(app);
    if (!state.tokens.revoke(text(body, "token"), app.appKey)) {
      return refuse(OAUTH_ERRORS.invalidToken);
    }
    // KIS sends `code` as a number although its spec says string (open-trading-api #33)
    return json({ code: 200, message: "접근토큰 폐기에 성공하였습니다" }, 200);
  });

  routes.post("/Approval", async (c) => {
    const body = await readJsonObject(c.req.raw);
    if (!body) return refuse(OAUTH_ERRORS.invalidAppKey);
    if (text(body, "grant_type") !== "client_credentials") {
      return refuse(OAUTH_ERRORS.invalidGrantType);
    }
    const app = appOf(state, env, text(body, "appkey"), text(body, "secretkey"));
    if (!isApp(app)) return refuse(app);
    const hex = [0, 1, 2, 3]
      .map((i) => hashSeed(app.appKey, "approval", String(i)).toString(16).padStart(8, "0"))
      .join("");
    const approvalKey = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${
      hex.slice(16, 20)
    }-${hex.slice(20, 32)}`;
    return json({ approval_key: approvalKey }, 200);
  });

  return routes;
}
