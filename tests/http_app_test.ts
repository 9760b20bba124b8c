/**
 * The app's middleware over every route it has, whoever added it (the API, the outcome and report
 * routes, the daily prices, the dashboard's pages, assets and session): the `Host` check, the
 * access log, `/metrics` by route pattern and the problem answers.
 */
import assert from "node:assert/strict";
import { Archivist } from "../db/archivist.ts";
import { dashboardSession } from "../src/dashboard/session.ts";
import { createApp } from "../src/http/app.ts";
import { AllowedHosts } from "../src/http/host_check.ts";
import { setupLogging } from "../src/log.ts";
import { startDashboardApi, TEST_TOKEN } from "./fixtures/dashboard_api.ts";
import { LAST_DAY } from "./fixtures/dashboard_archive.ts";
import { readProblem, requestWithHost } from "./fixtures/http_harness.ts";
import { tempDir } from "./helpers.ts";

/** Every route of the app as `[method, pattern]`, middleware aside. */
async function appRoutes(): Promise<[string, string][]> {
  await using archivist = await Archivist.open(":memory:");
  const app = createApp({ archivist, hosts: new AllowedHosts("127.0.0.1"), token: TEST_TOKEN });
  const routes = new Map<string, [string, string]>();
  for (const { method, path } of app.routes) {
    if (method !== "ALL") routes.set(`${method} ${path}`, [method, path]);
  }
  return [...routes.values()];
}

/** A request path for a route pattern: a stock code, an asset, a day where one is needed. */
function pathOf(pattern: string): string {
  const path = pattern.replace(":code", "005930").replace(":name", "charts.js");
  return path === "/v1/minute-bars/005930" || path === "/v1/reports/daily-packet"
    ? `${path}?date=${LAST_DAY}`
    : path;
}

Deno.test("app: every route (outcomes, reports, daily prices, dashboard pages, assets, login) refuses a foreign Host, token or cookie notwithstanding", async () => {
  const routes = await appRoutes();
  const patterns = routes.map(([method, path]) => `${method} ${path}`);
  for (
    const expected of [
      "GET /v1/outcomes/decisions",
      "GET /v1/reports/daily-packet",
      "GET /v1/daily-prices/:code",
      "GET /",
      "GET /stocks/:code",
      "GET /reports/regret",
      "GET /assets/:name",
      "POST /login",
      "POST /logout",
      "GET /metrics",
    ]
  ) assert.ok(patterns.includes(expected), `${expected} is among the routes`);

  await using api = await startDashboardApi({ token: TEST_TOKEN });
  const port = new URL(api.url).port;
  const credentials = {
    authorization: `Bearer ${TEST_TOKEN}`,
    cookie: `archivist_session=${await dashboardSession(TEST_TOKEN).cookieValue()}`,
    origin: `http://rebound.example:${port}`,
  };
  for (const [method, pattern] of routes) {
    const path = pathOf(pattern);
    const refused = await requestWithHost(api.url, path, `rebound.example:${port}`, {
      method,
      headers: credentials,
    });
    assert.equal(refused.status, 421, `${method} ${path}`);
    assert.match(JSON.parse(refused.body).detail, /ARCHIVIST_ALLOWED_HOSTS/, `${method} ${path}`);
    const own = await requestWithHost(api.url, path, `localhost:${port}`, {
      method,
      headers: credentials,
    });
    assert.notEqual(own.status, 421, `${method} ${path} on localhost`);
  }
});

Deno.test("app: the access log and /metrics count the outcome, report, daily-price and dashboard routes by pattern; their 400s are problems naming each field", async () => {
  await using dir = await tempDir();
  let metrics = "";
  {
    await using _logging = await setupLogging({ logDir: dir.path, console: false });
    await using api = await startDashboardApi({ token: TEST_TOKEN });
    const bearer = { authorization: `Bearer ${TEST_TOKEN}` };
    const cookie = {
      cookie: `archivist_session=${await dashboardSession(TEST_TOKEN).cookieValue()}`,
    };
    const get = async (path: string, headers: Record<string, string>) => {
      const response = await api.request(path, { headers });
      await response.body?.cancel();
      return response.status;
    };
    assert.equal(await get("/v1/outcomes/decisions?stock_code=005930", bearer), 200);
    assert.equal(await get(`/v1/reports/daily-packet?date=${LAST_DAY}`, bearer), 200);
    assert.equal(await get("/v1/daily-prices/000660", cookie), 200, "the charts' cookie read");
    assert.equal(await get("/stocks/005930", cookie), 200);
    assert.equal(await get("/stocks/000660", cookie), 200);
    assert.equal(await get("/reports/regret", cookie), 200);
    assert.equal(await get("/assets/charts.js", {}), 200);
    assert.equal(await get("/runs", {}), 401, "a page without the session asks for the token");

    const bad = await api.request(
      "/v1/outcomes/decisions?limit=0&status=maybe&from=yesterday&final_decision=PERHAPS",
      { headers: bearer },
    );
    assert.equal(bad.status, 400);
    const problem = await readProblem(bad);
    assert.deepEqual(
      problem.errors!.map((e) => e.field).sort(),
      ["final_decision", "from", "limit", "status"],
    );

    const scrape = await api.request("/metrics", { headers: bearer });
    assert.equal(scrape.status, 200);
    metrics = await scrape.text();
  }
  const count = (method: string, route: string, status: number) =>
    Number(
      metrics.split("\n").find((line) =>
        line.startsWith(
          `archivist_http_requests_total{method="${method}",route="${route}",status="${status}"} `,
        )
      )?.split(" ")[1] ?? 0,
    );
  assert.equal(count("GET", "/v1/outcomes/decisions", 200), 1);
  assert.equal(count("GET", "/v1/outcomes/decisions", 400), 1);
  assert.equal(count("GET", "/v1/reports/daily-packet", 200), 1);
  assert.equal(count("GET", "/v1/daily-prices/:code", 200), 1);
  assert.equal(count("GET", "/stocks/:code", 200), 2, "one series for every stock's page");
  assert.equal(count("GET", "/reports/regret", 200), 1);
  assert.equal(count("GET", "/assets/:name", 200), 1);
  assert.equal(count("GET", "/runs", 401), 1);
  assert.doesNotMatch(metrics, /005930|000660/, "no stock code becomes a label");

  const access = (await Deno.readTextFile(`${dir.path}/archivist.jsonl`)).trim().split("\n")
    .map((line) => JSON.parse(line))
    .filter((record) => record.logger === "archivist.http.access")
    .map((record) =>
      `${record.properties.method} ${record.properties.route} ${record.properties.status}`
    );
  for (
    const line of [
      "GET /v1/daily-prices/:code 200",
      "GET /stocks/:code 200",
      "GET /assets/:name 200",
      "GET /runs 401",
      "GET /v1/outcomes/decisions 400",
    ]
  ) assert.ok(access.includes(line), `${line} in the access log`);
});
