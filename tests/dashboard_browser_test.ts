/**
 * The dashboard in a real browser (Debian's Chromium through playwright-core) against a seeded
 * archive on a real server: every page loads with no console error, no failed request and nothing
 * but its own origin; the charts draw; paging and filters work by clicking; the token flow; phone
 * width. Screenshots go to `test-output/screenshots/` (ignored by git).
 *
 * Without a Chromium the tests are reported as ignored, with the reason in their name.
 */
import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import { findChromium, launchBrowser, type WatchedPage } from "./fixtures/browser.ts";
import {
  DAYS,
  DECISION_COUNT,
  LAST_DAY,
  MARKERS_ON_LAST_DAY,
  PARTIAL_DAY,
} from "./fixtures/dashboard_archive.ts";
import { startDashboardApi, TEST_TOKEN } from "./fixtures/dashboard_api.ts";
import { formatInt, formatRate } from "../src/dashboard/format.ts";

const chromiumPath = findChromium();
const SCREENSHOTS = new URL("../test-output/screenshots/", import.meta.url).pathname;
const SKIPPED = "SKIPPED: no Chromium found (apt-get install -y chromium, or set CHROMIUM_PATH)";

/** Waits until every chart on the page has finished (drawn, empty or failed). */
async function chartsSettled(page: Page): Promise<void> {
  await page.waitForSelector('[data-chart][data-state="loading"]', {
    state: "detached",
    timeout: 20_000,
  });
}

/** Pixels of the Korean up (red) or down (blue) colour drawn in the canvases under `selector`. */
function colouredPixels(page: Page, selector: string): Promise<number> {
  return page.evaluate(`(() => {
    let count = 0;
    for (const canvas of document.querySelectorAll(${JSON.stringify(selector)} + " canvas")) {
      if (canvas.width === 0 || canvas.height === 0) continue;
      const { data } = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height);
      for (let i = 0; i < data.length; i += 4) {
        const [r, g, b, a] = [data[i], data[i + 1], data[i + 2], data[i + 3]];
        if (a > 200 && ((r > 180 && g < 120 && b < 120) || (b > 180 && r < 100 && g < 170))) count++;
      }
    }
    return count;
  })()`);
}

function assertClean(watched: WatchedPage, origin: string, what: string): void {
  assert.deepEqual(watched.errors, [], `${what}: console errors`);
  assert.deepEqual(watched.failedRequests, [], `${what}: failed requests`);
  const foreign = watched.requested.filter((url) =>
    !url.startsWith(`${origin}/`) && !url.startsWith("data:")
  );
  assert.deepEqual(foreign, [], `${what}: requests to other origins`);
}

async function screenshot(
  page: Page,
  name: string,
  options: { fullPage?: boolean; height?: number } = {},
): Promise<void> {
  await Deno.mkdir(SCREENSHOTS, { recursive: true });
  const clip = options.height ? { x: 0, y: 0, width: 1280, height: options.height } : undefined;
  await page.screenshot({ path: `${SCREENSHOTS}${name}.png`, fullPage: options.fullPage, clip });
}

const PAGES = [
  "/",
  "/stocks/005930",
  `/stocks/000660?date=${PARTIAL_DAY}`,
  "/decisions",
  "/decisions?page=2",
  "/rejections?stage=JUDGE",
  "/rejections?status=pending",
  "/reports/regret",
  `/reports/regret?from=${DAYS[0]}&threshold_pct=3`,
  "/reports/scorecard",
  // Nothing stored: every chart says so, nothing fails.
  "/stocks/000270",
  "/reports/scorecard?from=2020-01-01&to=2020-01-31",
  "/runs",
] as const;

Deno.test({
  name: chromiumPath
    ? "dashboard in a browser: pages, charts, paging and filters, phone width"
    : `dashboard in a browser: ${SKIPPED}`,
  ignore: !chromiumPath,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    // One service and one browser for every step: launching Chromium is the slow part.
    await using api = await startDashboardApi();
    await using browser = await launchBrowser(chromiumPath!);
    await t.step("every page 200, no console error, no failed request, one origin", async () => {
      for (const path of PAGES) {
        const watched = await browser.open();
        const response = await watched.page.goto(`${api.url}${path}`);
        assert.equal(response?.status(), 200, path);
        await chartsSettled(watched.page);
        assertClean(watched, api.url, path);
        const states = await watched.page.evaluate(
          `[...document.querySelectorAll("[data-chart]")].map((chart) => chart.dataset.state)`,
        ) as string[];
        assert.ok(!states.includes("error"), `${path}: ${states}`);
        if (/000270|2020-01/.test(path)) {
          assert.ok(states.length > 0 && states.every((state) => state === "empty"), path);
        }
        await watched.page.close();
      }
    });

    await t.step("the stock page's charts draw, with one marker per entry of the day", async () => {
      const { page } = await browser.open();
      await page.goto(`${api.url}/stocks/005930`);
      await chartsSettled(page);
      // The daily chart: a year of candles, one marker per decision and rejection of the stock.
      assert.equal(await page.getAttribute("#daily-chart", "data-state"), "drawn");
      assert.ok(await colouredPixels(page, "#daily-chart") > 500, "daily candles drawn");
      const filter = { stockCode: "005930", page: 1, pageSize: 1 };
      const entries = (await api.archivist.browseDecisions(filter)).total +
        (await api.archivist.browseRejections(filter)).total;
      assert.ok(entries > MARKERS_ON_LAST_DAY);
      assert.equal(await page.getAttribute("#daily-chart", "data-markers-drawn"), String(entries));
      assert.equal(await page.getAttribute("#daily-markers", "data-count"), String(entries));
      assert.match(await page.innerText("#daily-markers"), /▲ \d+ BUY · ▼ \d+ SELL/);
      assert.equal(await page.getAttribute("#minute-chart", "data-state"), "drawn");
      assert.equal(await page.getAttribute("#flow-chart", "data-state"), "drawn");
      assert.equal(await page.getAttribute("#flow-chart", "data-panes"), "4");
      assert.ok(await colouredPixels(page, "#minute-chart") > 500, "candles drawn");
      assert.ok(await colouredPixels(page, "#flow-chart") > 500, "net-buying bars drawn");
      assert.equal(
        await page.getAttribute("#minute-chart", "data-markers-drawn"),
        String(MARKERS_ON_LAST_DAY),
      );
      assert.equal(await page.locator("#markers li").count(), MARKERS_ON_LAST_DAY);
      await screenshot(page, "stock", { fullPage: true });
      // The top of the page, as in the README: the daily and the minute candles, the day's flows.
      await screenshot(page, "stock-top", { fullPage: true, height: 1440 });

      // Pointing at a daily candle tells its prices; clicking it opens that day.
      const box = (await page.locator("#daily-chart").boundingBox())!;
      await page.mouse.move(box.x + box.width * 0.5, box.y + box.height * 0.5);
      await page.waitForFunction(
        `/^\\d{4}-\\d\\d-\\d\\d · open /.test(document.getElementById("daily-legend").textContent)`,
      );
      const pointed = (await page.innerText("#daily-legend")).slice(0, 10);
      await page.mouse.click(box.x + box.width * 0.5, box.y + box.height * 0.5);
      await page.waitForURL(new RegExp(`/stocks/005930\\?date=${pointed}$`));
      await chartsSettled(page);
      assert.equal(await page.getAttribute("#daily-chart", "data-state"), "drawn");

      // The day without minute bars says so instead of drawing an empty chart.
      await page.goto(`${api.url}/stocks/000660?date=${PARTIAL_DAY}`);
      await chartsSettled(page);
      assert.equal(await page.getAttribute("#minute-chart", "data-state"), "empty");
      assert.match(await page.innerText("#minute-chart"), /No minute bars are stored for this day/);
      assert.equal(await page.getAttribute("#flow-chart", "data-state"), "drawn");

      await page.goto(`${api.url}/`);
      await screenshot(page, "overview");
      await screenshot(page, "overview-full", { fullPage: true });
    });

    await t.step("the report pages show the Archivist's figures and draw their bars", async () => {
      const watched = await browser.open();
      const { page } = watched;
      await page.goto(`${api.url}/reports/regret`);
      await chartsSettled(page);
      const regret = await api.archivist.regretReport({ thresholdPct: 4 });
      assert.equal(await page.getAttribute("#regret-chart", "data-state"), "drawn");
      assert.equal(
        await page.getAttribute("#regret-chart", "data-categories"),
        String(regret.by_stage.length),
      );
      assert.ok(await colouredPixels(page, "#regret-chart") > 500, "regret bars drawn");
      assert.deepEqual(
        await page.locator('#regret-by-stage td[data-col="regrets"]').allInnerTexts(),
        regret.by_stage.map((stage) => formatInt(stage.regrets)),
      );
      assert.match(
        await page.innerText("#regret-summary"),
        new RegExp(formatRate(regret.regret_rate)),
      );
      await screenshot(page, "regret", { fullPage: true, height: 1045 });

      // The threshold by the form.
      await page.fill("input[name=threshold_pct]", "2");
      await page.click("form.filters button[type=submit]");
      await page.waitForURL(/threshold_pct=2/);
      await chartsSettled(page);
      const atTwo = await api.archivist.regretReport({ thresholdPct: 2 });
      assert.match(await page.innerText("#regret-summary"), new RegExp(`${atTwo.regrets} \\(`));

      await page.goto(`${api.url}/reports/scorecard`);
      await chartsSettled(page);
      const card = await api.archivist.scorecard();
      for (
        const [id, rows] of [
          ["decision-chart", card.by_decision],
          ["bucket-chart", card.by_score_bucket],
          ["regime-chart", card.by_regime],
        ] as const
      ) {
        assert.equal(await page.getAttribute(`#${id}`, "data-state"), "drawn", id);
        assert.equal(await page.getAttribute(`#${id}`, "data-categories"), String(rows.length));
        assert.ok(await colouredPixels(page, `#${id}`) > 100, `${id} bars drawn`);
      }
      assert.deepEqual(
        await page.locator('#scorecard-by-decision td[data-col="win_rate_5d"]').allInnerTexts(),
        card.by_decision.map((row) => formatRate(row.win_rate_5d)),
      );
      await screenshot(page, "scorecard", { fullPage: true });
      assertClean(watched, api.url, "reports");
    });

    await t.step("paging and filters by clicking", async () => {
      const watched = await browser.open();
      const { page } = watched;
      await page.goto(`${api.url}/decisions`);
      assert.equal(await page.locator("#entries tbody tr").count(), 100);
      await page.click("a[rel=next]");
      await page.waitForURL(/page=2/);
      assert.equal(await page.locator("#entries tbody tr").count(), DECISION_COUNT - 100);

      await page.fill("input[name=stock]", "삼성");
      await page.selectOption("select[name=decision]", "BUY");
      await page.fill("input[name=to]", LAST_DAY);
      await page.click("form.filters button[type=submit]");
      await page.waitForURL(/decision=BUY/);
      const decisions = await page.locator("#entries td[data-col=final_decision]").allInnerTexts();
      assert.ok(decisions.length > 0);
      assert.ok(decisions.every((text) => text === "BUY"), decisions.join());
      const stocks = await page.locator("#entries td[data-col=stock]").allInnerTexts();
      assert.ok(stocks.every((text) => text.includes("삼성전자")), stocks.join());
      assert.match(page.url(), /stock=%EC%82%BC%EC%84%B1/);
      assertClean(watched, api.url, "decisions");

      // A click on a grid cell opens that stock's day.
      await page.goto(`${api.url}/`);
      await page.click(`tr[data-stock="005930"] a[href$="date=${LAST_DAY}"]`);
      await page.waitForURL(new RegExp(`/stocks/005930\\?date=${LAST_DAY}`));
      await chartsSettled(page);
      assert.equal(await page.getAttribute("#minute-chart", "data-state"), "drawn");
    });

    await t.step("at phone width nothing overflows the page", async () => {
      const watched = await browser.open({ width: 390, height: 844 });
      for (
        const path of [
          "/",
          "/stocks/005930",
          "/decisions",
          "/reports/regret",
          "/reports/scorecard",
          "/runs",
        ]
      ) {
        await watched.page.goto(`${api.url}${path}`);
        await chartsSettled(watched.page);
        const overflow = await watched.page.evaluate(
          "document.documentElement.scrollWidth - window.innerWidth",
        );
        assert.ok(Number(overflow) <= 0, `${path} is ${overflow}px wider than the phone`);
      }
      // The coverage grid opens on its newest days, its stock column kept in view.
      await watched.page.goto(`${api.url}/`);
      const inView = await watched.page.evaluate(`(() => {
        const grid = document.getElementById("coverage");
        const wrap = grid.parentElement.getBoundingClientRect();
        const newest = grid.querySelector("tbody tr td:last-child").getBoundingClientRect();
        const stock = grid.querySelector("tbody tr th.stock").getBoundingClientRect();
        const shown = (box) => box.left >= wrap.left - 1 && box.right <= wrap.right + 1;
        return { newest: shown(newest), stock: shown(stock) };
      })()`);
      assert.deepEqual(inView, { newest: true, stock: true });
      assertClean(watched, api.url, "phone");
      await screenshot(watched.page, "phone-runs");
      await watched.page.goto(`${api.url}/stocks/005930`);
      await chartsSettled(watched.page);
      await screenshot(watched.page, "phone-stock", { fullPage: true });
    });
  },
});

Deno.test({
  name: chromiumPath
    ? "dashboard in a browser: with a token, a form first; wrong refused; right shows the page; a rebound name refused"
    : `dashboard in a browser: ${SKIPPED}`,
  ignore: !chromiumPath,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await using api = await startDashboardApi({ token: TEST_TOKEN });
    // Another site's name pointed at 127.0.0.1 (DNS rebinding), for the end.
    await using browser = await launchBrowser(chromiumPath!, {
      hostRules: "MAP rebound.test 127.0.0.1",
    });
    const watched = await browser.open();
    const { page } = watched;
    const first = await page.goto(`${api.url}/stocks/005930`);
    assert.equal(first?.status(), 401);
    assert.equal(await page.locator("input[name=token][type=password]").count(), 1);

    await page.fill("input[name=token]", "wrong-token-wrong-token");
    await page.click(".login button[type=submit]");
    await page.waitForSelector(".error-box");
    assert.match(await page.innerText(".error-box"), /not the service's ARCHIVIST_TOKEN/);
    assert.deepEqual(await browser.context.cookies(), []);

    await page.fill("input[name=token]", TEST_TOKEN);
    await page.click(".login button[type=submit]");
    await page.waitForURL(`${api.url}/stocks/005930`);
    await chartsSettled(page);
    assert.equal(await page.getAttribute("#minute-chart", "data-state"), "drawn");
    const [cookie] = await browser.context.cookies();
    assert.equal(cookie.name, "archivist_session");
    assert.equal(cookie.httpOnly, true);
    assert.equal(cookie.sameSite, "Strict");
    assert.ok(!watched.requested.some((url) => url.includes(TEST_TOKEN)), "token in a URL");
    // The 401s were the form and the refused token, nothing else.
    assert.deepEqual(
      watched.failedRequests.map((entry) => entry.replace(api.url, "")),
      ["401 /stocks/005930", "401 /login"],
    );
    assert.deepEqual(watched.errors.filter((e) => !e.includes("401")), []);

    await page.click(".logout button");
    await page.waitForURL(`${api.url}/`);
    assert.equal(await page.locator("input[name=token]").count(), 1);

    // The Host check stands before the session: a rebound page gets neither page nor data.
    const rebound = await page.goto(`http://rebound.test:${new URL(api.url).port}/stocks/005930`);
    assert.equal(rebound?.status(), 421);
    assert.match(await page.innerText("body"), /ARCHIVIST_ALLOWED_HOSTS/);
    const read = await page.evaluate(async () => (await fetch("/v1/daily-prices/005930")).status);
    assert.equal(read, 421, "nor can its script read the API");
  },
});
