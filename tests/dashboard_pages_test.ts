/**
 * The dashboard's pages as HTML over real HTTP, against a seeded archive: what each shows, the
 * filters and paging, refused input, the security headers, and the session flow with a token.
 * (The same pages in a real browser: `dashboard_browser_test.ts`.)
 */
import assert from "node:assert/strict";
import {
  DAYS,
  DECISION_COUNT,
  FAILED_CODE,
  FAILED_ERROR,
  HALTED_DAY,
  LAST_DAY,
  MARKERS_ON_LAST_DAY,
  PARTIAL_DAY,
  REJECTION_COUNT,
  stockHistory,
} from "./fixtures/dashboard_archive.ts";
import { startDashboardApi, TEST_TOKEN } from "./fixtures/dashboard_api.ts";
import { ORIGINAL_DECISION, startTestApi } from "./fixtures/http_harness.ts";
import { tableRows as rowsOf } from "./fixtures/html_table.ts";
import { formatKrw } from "../src/dashboard/format.ts";

async function page(
  api: { request(path: string, init?: RequestInit): Promise<Response> },
  path: string,
  init?: RequestInit,
): Promise<{ status: number; html: string; headers: Headers }> {
  const response = await api.request(path, init);
  return { status: response.status, html: await response.text(), headers: response.headers };
}

function cellState(html: string, code: string, date: string): string | undefined {
  const row = new RegExp(`<tr data-stock="${code}">([\\s\\S]*?)</tr>`).exec(html)?.[1] ?? "";
  return new RegExp(`class="cell (\\w+)[^"]*" href="/stocks/${code}\\?date=${date}"`).exec(row)
    ?.[1];
}

function tableRows(html: string, id: string): number {
  const match = new RegExp(`<table class="data" id="${id}" data-rows="(\\d+)"`).exec(html);
  return match ? Number(match[1]) : 0;
}

Deno.test("dashboard overview: health, next runs, counts, runs, coverage grid, failures, today", async () => {
  await using api = await startDashboardApi();
  const { status, html, headers } = await page(api, "/");
  assert.equal(status, 200);
  assert.match(headers.get("content-type") ?? "", /^text\/html/);
  assert.match(html, /^<!DOCTYPE html>/);
  // Next runs: Friday 17:00 KST, so Monday's 16:00 and 16:05.
  assert.match(html, /2026-11-30 \(Mon\) 16:00 KST/);
  assert.match(html, /2026-11-30 \(Mon\) 16:05 KST/);
  // The daily maintenance too: every day, so today's 18:00.
  assert.match(html, /<dt>maintenance<\/dt><dd[^>]*>2026-11-27 \(Fri\) 18:00 KST/);
  assert.match(html, new RegExp(`<dt>Decisions</dt><dd>${DECISION_COUNT}</dd>`));
  assert.match(html, new RegExp(`<dt>Rejections</dt><dd>${REJECTION_COUNT}</dd>`));
  // The grid: 5 stocks × 20 days, each case in its state.
  assert.match(html, /id="coverage" data-stocks="5" data-days="20"/);
  assert.equal(cellState(html, "005930", LAST_DAY), "complete");
  assert.equal(cellState(html, "000660", PARTIAL_DAY), "partial");
  assert.equal(cellState(html, "005380", HALTED_DAY), "halted");
  assert.equal(cellState(html, FAILED_CODE, LAST_DAY), "missing");
  assert.equal(cellState(html, "051910", DAYS[0]), "complete");
  assert.match(html, /class="cell missing failed"/);
  assert.equal((html.match(/class="cell complete" href=/g) ?? []).length, 5 * 20 - 3);
  // Failed stocks with their errors, names in Korean.
  assert.match(html, /Failed stocks \(2\)/);
  assert.ok(html.includes(FAILED_ERROR), "the failure's error is shown");
  assert.match(html, /<span class="name">NAVER<\/span>/);
  assert.match(html, /<span class="name">삼성전자<\/span>/);
  // Today's entries: 3 decisions and 3 rejections of 삼성전자 on the last day, with the state of
  // their outcomes: the day's close is stored (partial), but not that of the next trading day,
  // the trade day of the rejection logged after the close (pending).
  assert.match(html, /Today&#39;s decisions \(3\)|Today's decisions \(3\)/);
  assert.match(html, /Today&#39;s rejections \(3\)|Today's rejections \(3\)/);
  const today = (id: string) => rowsOf(html, id).map((row) => row.cells.outcome_status);
  assert.deepEqual(today("today-decisions-table"), ["partial", "partial", "partial"]);
  assert.deepEqual(today("today-rejections-table"), ["pending", "partial", "partial"]);
  // The reports are in the navigation.
  assert.match(html, /<a href="\/reports\/regret"\s*>Regret<\/a>/);
  assert.match(html, /<a href="\/reports\/scorecard"\s*>Scorecard<\/a>/);
  assert.equal(tableRows(html, "runs"), 8);
  assert.match(html, /<time datetime="2026-11-27T07:05:00.000Z">2026-11-27 16:05:00<\/time>/);
  assert.match(html, /2 min 22 s/);
});

Deno.test("dashboard overview: health says what /health says; failing writes are shown with their cause", async () => {
  await using api = await startTestApi({
    archive: { sync: "full", persist: () => Promise.reject(new Error("fdatasync: I/O error")) },
  });
  const healthy = await page(api, "/");
  assert.match(healthy.html, /<dt>Service<\/dt><dd><span class="badge ok">ok<\/span>/);
  assert.doesNotMatch(healthy.html, /<dt>Writes<\/dt>/);

  // Stored but not synced: the write is not acknowledged, and writes are failing from now on.
  const unsynced = await api.post("/v1/decisions", ORIGINAL_DECISION);
  assert.notEqual(unsynced.status, 201);
  await unsynced.body?.cancel();
  const health = await (await api.request("/health")).json();
  assert.equal(health.status, "failing");
  const failing = await page(api, "/");
  assert.equal(failing.status, 200);
  assert.match(failing.html, /<dt>Service<\/dt><dd><span class="badge failing">failing<\/span>/);
  assert.match(failing.html, /<dt>Writes<\/dt><dd class="up">failing since [^<]* KST: /);
  assert.ok(failing.html.includes(health.writes.cause), "the cause /health gives");
  // Today's decision was stored (not synced): the pages still read it, its outcome as stored.
  assert.deepEqual(rowsOf(failing.html, "today-decisions-table").length, 1);
  const listing = await page(api, "/decisions?status=pending");
  assert.equal(listing.status, 200);
  assert.equal(tableRows(listing.html, "entries"), 1);
});

Deno.test("dashboard decisions: 100 a page, newest first, paging and every filter", async () => {
  await using api = await startDashboardApi();
  const first = await page(api, "/decisions");
  assert.equal(first.status, 200);
  assert.equal(tableRows(first.html, "entries"), 100);
  assert.match(
    first.html,
    new RegExp(`data-page="1" data-pages="2" data-total="${DECISION_COUNT}"`),
  );
  // Newest first: the last day's 13:40 decision leads.
  assert.match(first.html, /<td\s+data-col="decided_at"><time[^>]*>2026-11-27 13:40:00<\/time>/);
  assert.match(first.html, /href="\/decisions\?page=2" rel="next"/);

  const second = await page(api, "/decisions?page=2");
  assert.equal(tableRows(second.html, "entries"), DECISION_COUNT - 100);
  assert.match(second.html, /decisions 101–130 of 130/);
  const beyond = await page(api, "/decisions?page=5");
  assert.equal(tableRows(beyond.html, "entries"), 0);
  assert.match(beyond.html, /no decisions on page 5 of 2 \(130 in all\)/);
  assert.match(beyond.html, /href="\/decisions\?page=2" rel="last"/);

  const buys = await page(api, "/decisions?decision=BUY");
  const buyCount = Number(/data-total="(\d+)"/.exec(buys.html)![1]);
  assert.ok(buyCount > 0 && buyCount < DECISION_COUNT);
  assert.equal((buys.html.match(/class="badge (SELL|HOLD|NO_DECISION)"/g) ?? []).length, 0);

  const byName = await page(api, "/decisions?stock=%EC%82%BC%EC%84%B1"); // 삼성
  const byCode = await page(api, "/decisions?stock=005930");
  const nameTotal = /data-total="(\d+)"/.exec(byName.html)![1];
  assert.equal(nameTotal, /data-total="(\d+)"/.exec(byCode.html)![1]);
  assert.ok(!byCode.html.includes("SK하이닉스"));

  const lastDay = await page(api, `/decisions?from=${LAST_DAY}&to=${LAST_DAY}`);
  assert.match(lastDay.html, /data-total="3"/);
  // Paging links keep the filters.
  const filtered = await page(api, "/decisions?stock=005930&decision=BUY&page=1");
  assert.doesNotMatch(filtered.html, /href="\/decisions\?page=/);
});

Deno.test("dashboard rejections: stage filter, and refused filters name the field and show no row", async () => {
  await using api = await startDashboardApi();
  const all = await page(api, "/rejections");
  assert.match(all.html, new RegExp(`data-total="${REJECTION_COUNT}"`));
  const gate = await page(api, "/rejections?stage=GATE");
  assert.ok(Number(/data-total="(\d+)"/.exec(gate.html)![1]) < REJECTION_COUNT);
  assert.equal((gate.html.match(/class="badge (HUNTER|JUDGE)"/g) ?? []).length, 0);

  for (
    const [query, message] of [
      ["stage=BOSS", /stage: expected one of HUNTER, GATE, JUDGE/],
      ["from=2026-13-01", /from: expected a KST date YYYY-MM-DD/],
      // A real date, but the day after it is in the year 10000: refused, not a 500.
      ["to=9999-12-31", /to: expected a KST date YYYY-MM-DD from 1900 to 2999/],
      ["from=2026-11-27&to=2026-11-01", /to: expected a date on or after from/],
      ["page=0", /page: expected a page number from 1/],
    ] as const
  ) {
    const refused = await page(api, `/rejections?${query}`);
    assert.equal(refused.status, 400, query);
    assert.match(refused.html, message);
    assert.doesNotMatch(refused.html, /id="entries"/);
  }
});

Deno.test("dashboard runs: status, counts and each failed stock with its error; job filter", async () => {
  await using api = await startDashboardApi();
  const all = await page(api, "/runs");
  assert.equal(tableRows(all.html, "runs"), DAYS.length * 2);
  assert.match(all.html, /class="badge partial"/);
  assert.ok(all.html.includes(`: ${FAILED_ERROR}`));
  const flow = await page(api, `/runs?job=flow&date=${LAST_DAY}`);
  assert.equal(tableRows(flow.html, "runs"), 1);
  const refused = await page(api, "/runs?job=weekly");
  assert.equal(refused.status, 400);
  assert.match(refused.html, /job: expected one of flow, intraday, daily/);
});

Deno.test("dashboard stock page: the day's markers, flows, entries; the latest day by default", async () => {
  await using api = await startDashboardApi();
  const { status, html } = await page(api, "/stocks/005930");
  assert.equal(status, 200);
  assert.match(html, /<h1>삼성전자 <span class="sub">005930<\/span>/);
  assert.match(html, new RegExp(`data-source="/v1/minute-bars/005930\\?date=${LAST_DAY}"`));
  assert.match(html, new RegExp(`id="markers" data-count="${MARKERS_ON_LAST_DAY}"`));
  assert.equal((html.match(/<li data-kind="REJECT"/g) ?? []).length, 3);
  assert.match(html, /09:12 BUY \(score 80\.0\)/);
  const close = stockHistory("005930").candles.get(LAST_DAY)!.close;
  assert.match(html, new RegExp(`<dt>Close</dt><dd>${formatKrw(close)}</dd>`));
  assert.match(html, /rel="prev">‹ 2026-11-26</);
  // The daily chart: the year up to the chosen day, and every entry from its first day on.
  assert.match(
    html,
    new RegExp(`data-source="/v1/daily-prices/005930\\?from=2025-11-27&amp;to=${LAST_DAY}"`),
  );
  assert.match(
    html,
    /data-decisions="\/v1\/outcomes\/decisions\?stock_code=005930&amp;from=2025-11-27&amp;limit=1000"/,
  );
  assert.match(html, /data-rejections="\/v1\/outcomes\/rejections\?stock_code=005930&amp;/);
  // The stock's tables carry the outcome of each entry.
  const decisions = rowsOf(html, "stock-decisions-table");
  assert.ok(decisions.length > 0);
  assert.ok(
    decisions.every((row) => /^(pending|partial|complete)$/.test(row.cells.outcome_status)),
  );
  assert.ok(decisions.some((row) => /^[+-]\d+\.\d\d%$/.test(row.cells.ret_5d_pct)));

  const earlier = await page(api, `/stocks/005930?date=${PARTIAL_DAY}`);
  assert.match(earlier.html, /id="markers" data-count="\d+"/);
  assert.match(earlier.html, new RegExp(`rel="next">${LAST_DAY} ›`));
  // A day long before the candles' last: the chart still ends at the last candle and starts a
  // quarter before the chosen day.
  const old = await page(api, "/stocks/005930?date=2025-06-02");
  assert.equal(old.status, 200);
  assert.match(
    old.html,
    new RegExp(`data-source="/v1/daily-prices/005930\\?from=2025-03-02&amp;to=${LAST_DAY}"`),
  );

  const badCode = await page(api, "/stocks/59%2030");
  assert.equal(badCode.status, 400);
  assert.match(badCode.html, /is not a KRX stock code/);
  const badDate = await page(api, "/stocks/005930?date=2026-02-30");
  assert.equal(badDate.status, 400);
  assert.match(badDate.html, /date: expected a KST date YYYY-MM-DD/);
  for (const date of ["9999-12-31", "1899-12-31"]) {
    const outside = await page(api, `/stocks/005930?date=${date}`);
    assert.equal(outside.status, 400, date);
    assert.match(outside.html, /date: expected a KST date YYYY-MM-DD from 1900 to 2999/);
  }
});

Deno.test("dashboard pages: nothing but this origin may load, no framing; assets versioned and cached", async () => {
  await using api = await startDashboardApi();
  const { html, headers } = await page(api, "/stocks/005930");
  const csp = headers.get("content-security-policy") ?? "";
  assert.match(csp, /default-src 'self'/);
  assert.match(csp, /connect-src 'self'/);
  assert.match(csp, /frame-ancestors 'none'/);
  assert.doesNotMatch(html, /(src|href)="https?:\/\/(?!www\.tradingview\.com\/")/);
  const script = /src="(\/assets\/lightweight-charts\.js\?v=[0-9a-f]+)"/.exec(html)?.[1];
  assert.ok(script, "the chart library is served by the app");
  const library = await api.request(script);
  assert.equal(library.status, 200);
  assert.match(library.headers.get("cache-control") ?? "", /immutable/);
  assert.match(await library.text(), /Lightweight Charts/);
  const stale = await api.request("/assets/charts.js?v=old");
  assert.equal(stale.headers.get("cache-control"), "no-cache");
  await stale.body?.cancel();
  const unknown = await api.request("/assets/secret.db");
  assert.equal(unknown.status, 404);
  await unknown.body?.cancel();
});

Deno.test("dashboard pages pass through the app's middleware (a POST to a page is a 405 problem)", async () => {
  await using api = await startDashboardApi();
  const response = await api.request("/decisions", { method: "POST" });
  assert.equal(response.status, 405);
  assert.equal(response.headers.get("allow"), "GET, HEAD");
  await response.body?.cancel();
});

Deno.test("dashboard with a token: form first, the right token sets an HttpOnly SameSite=Strict cookie", async () => {
  await using api = await startDashboardApi({ token: TEST_TOKEN });
  const origin = { origin: api.url };
  const asked = await page(api, "/stocks/005930?date=2026-11-26");
  assert.equal(asked.status, 401);
  assert.match(asked.html, /<form method="post" action="\/login">/);
  assert.match(asked.html, /name="next" value="\/stocks\/005930\?date=2026-11-26"/);
  assert.doesNotMatch(asked.html, /삼성전자/);

  const login = (token: string, headers: Record<string, string> = origin) =>
    api.request("/login", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
      body: new URLSearchParams({ token, next: "/stocks/005930?date=2026-11-26" }),
      redirect: "manual",
    });
  const wrong = await login("not-the-token-at-all");
  assert.equal(wrong.status, 401);
  assert.equal(wrong.headers.get("set-cookie"), null);
  assert.match(await wrong.text(), /not the service&#39;s ARCHIVIST_TOKEN|not the service's/);
  // The address bar now says /login: opening it leads back to the form, not to a 405.
  const reopened = await api.request("/login", { redirect: "manual" });
  assert.equal(reopened.status, 303);
  assert.equal(reopened.headers.get("location"), "/");
  await reopened.body?.cancel();
  const form = await page(api, "/login");
  assert.equal(form.status, 401);
  assert.match(form.html, /<form method="post" action="\/login">/);

  const foreign = await login(TEST_TOKEN, { origin: "http://evil.example" });
  assert.equal(foreign.status, 403);
  assert.equal(foreign.headers.get("set-cookie"), null);
  await foreign.body?.cancel();

  const right = await login(TEST_TOKEN);
  assert.equal(right.status, 303);
  assert.equal(right.headers.get("location"), "/stocks/005930?date=2026-11-26");
  const cookie = right.headers.get("set-cookie") ?? "";
  assert.match(cookie, /^archivist_session=[\w-]+;/);
  assert.match(cookie, /HttpOnly/);
  assert.match(cookie, /SameSite=Strict/);
  assert.ok(!cookie.includes(TEST_TOKEN), "the cookie is not the token");
  await right.body?.cancel();
  const session = { cookie: cookie.split(";")[0] };

  const shown = await page(api, "/stocks/005930?date=2026-11-26", { headers: session });
  assert.equal(shown.status, 200);
  assert.match(shown.html, /삼성전자/);
  // The charts read the API with the cookie; writing needs the bearer token still.
  const bars = await api.request("/v1/minute-bars/005930?date=2026-11-26", { headers: session });
  assert.equal(bars.status, 200);
  assert.equal((await bars.json()).count, 381);
  const write = await api.post(
    "/v1/decisions",
    { stock_code: "005930", final_decision: "BUY" },
    session,
  );
  assert.equal(write.status, 401);
  await write.body?.cancel();
  const forged = await api.request("/v1/runs", { headers: { cookie: "archivist_session=forged" } });
  assert.equal(forged.status, 401);
  await forged.body?.cancel();

  const logout = await api.request("/logout", {
    method: "POST",
    headers: { ...session, ...origin, "content-type": "application/x-www-form-urlencoded" },
    redirect: "manual",
  });
  assert.equal(logout.status, 303);
  assert.match(logout.headers.get("set-cookie") ?? "", /archivist_session=;.*Max-Age=0/);
  await logout.body?.cancel();
});

Deno.test("dashboard log-in: `next` only ever leads to a page of this site", async () => {
  await using api = await startDashboardApi({ token: TEST_TOKEN });
  for (const next of ["//evil.example/x", "https://evil.example/", "/\\evil.example", "/login"]) {
    const response = await api.request("/login", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", origin: api.url },
      body: new URLSearchParams({ token: TEST_TOKEN, next }),
      redirect: "manual",
    });
    assert.equal(response.status, 303);
    assert.equal(response.headers.get("location"), "/", next);
    await response.body?.cancel();
  }
});
