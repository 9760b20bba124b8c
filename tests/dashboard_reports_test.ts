/**
 * The report pages (`src/dashboard/regret.tsx`, `scorecard.tsx`, `report_parts.tsx`) over real
 * HTTP against the seeded archive: their tables show what the Archivist's report methods return,
 * the range and threshold controls change them, their charts read the report's JSON route, and
 * refused input names the field and shows no figure.
 */
import assert from "node:assert/strict";
import { formatInt, formatRate, formatSignedPct } from "../src/dashboard/format.ts";
import { DAYS, LAST_DAY, REJECTION_COUNT } from "./fixtures/dashboard_archive.ts";
import { startDashboardApi } from "./fixtures/dashboard_api.ts";
import { tableRow, tableRows, textOf } from "./fixtures/html_table.ts";

async function html(api: { request(path: string): Promise<Response> }, path: string) {
  const response = await api.request(path);
  return { status: response.status, html: await response.text() };
}

/** The summary figure `field` of the regret page. */
function summary(page: string, field: string): string {
  return textOf(new RegExp(`<dd data-field="${field}">([\\s\\S]*?)</dd>`).exec(page)?.[1] ?? "");
}

/** The URL a chart reads (`&amp;` undone). */
function chartSource(page: string, id: string): string {
  const match = new RegExp(`id="${id}"[^>]*data-source="([^"]+)"`).exec(page);
  assert.ok(match, `chart ${id}`);
  return match[1].replaceAll("&amp;", "&");
}

Deno.test("dashboard regret report: the Archivist's figures, by stage, by reason and the top 20", async () => {
  await using api = await startDashboardApi();
  const { status, html: page } = await html(api, "/reports/regret");
  assert.equal(status, 200);
  assert.match(page, /<a href="\/reports\/regret" class="active" aria-current="page">Regret<\/a>/);
  const report = await api.archivist.regretReport({ thresholdPct: 4 });
  assert.equal(report.rejections, REJECTION_COUNT);
  assert.ok(report.regrets > 0 && report.good_rejections > 0, "the fixture has both");
  assert.equal(summary(page, "rejections"), formatInt(report.rejections));
  assert.match(summary(page, "evaluated"), new RegExp(`^${report.evaluated} `));
  assert.match(
    summary(page, "regrets"),
    new RegExp(`^${report.regrets} \\(the 5-day high rose 4%`),
  );
  assert.match(summary(page, "good_rejections"), new RegExp(`^${report.good_rejections} `));
  assert.equal(summary(page, "regret_rate"), `${formatRate(report.regret_rate)} of evaluated`);

  const stages = tableRows(page, "regret-by-stage");
  assert.deepEqual(stages.map((row) => row.key), report.by_stage.map((s) => s.rejection_stage));
  for (const stage of report.by_stage) {
    const cells = tableRow(page, "regret-by-stage", stage.rejection_stage!)!;
    assert.equal(cells.rejections, formatInt(stage.rejections));
    assert.equal(cells.evaluated, formatInt(stage.evaluated));
    assert.equal(cells.regrets, formatInt(stage.regrets));
    assert.equal(cells.good_rejections, formatInt(stage.good_rejections));
    assert.equal(cells.regret_rate, formatRate(stage.regret_rate));
  }
  const reasons = tableRows(page, "regret-by-reason");
  assert.deepEqual(
    reasons.map((row) => row.cells.rejection_reason),
    report.by_reason.map((r) => r.rejection_reason),
  );
  const top = tableRows(page, "regret-top");
  assert.deepEqual(top.map((row) => Number(row.key)), report.top.map((item) => item.log_id));
  assert.equal(top[0].cells.max_high_5d_pct, formatSignedPct(report.top[0].max_high_5d_pct));
  assert.equal(top[0].cells.regret, "yes");

  // The chart reads the same report from the JSON API.
  const source = chartSource(page, "regret-chart");
  assert.equal(source, "/v1/reports/regret?threshold_pct=4");
  const json = await (await api.request(source)).json();
  assert.equal(json.regrets, report.regrets);
  assert.deepEqual(json.by_stage.map((s: { regrets: number }) => s.regrets), [
    ...report.by_stage.map((s) => s.regrets),
  ]);
});

Deno.test("dashboard regret report: the threshold and the days change the figures", async () => {
  await using api = await startDashboardApi();
  const low = await html(api, "/reports/regret?threshold_pct=2");
  const atTwo = await api.archivist.regretReport({ thresholdPct: 2 });
  const atFour = await api.archivist.regretReport({ thresholdPct: 4 });
  assert.ok(atTwo.regrets > atFour.regrets);
  assert.match(
    summary(low.html, "regrets"),
    new RegExp(`^${atTwo.regrets} \\(the 5-day high rose 2%`),
  );
  assert.match(low.html, /value="2"/);
  assert.equal(chartSource(low.html, "regret-chart"), "/v1/reports/regret?threshold_pct=2");

  const from = DAYS[0];
  const recent = await html(api, `/reports/regret?from=${from}&to=${LAST_DAY}`);
  const ranged = await api.archivist.regretReport({ from, to: LAST_DAY, thresholdPct: 4 });
  assert.ok(ranged.rejections < REJECTION_COUNT);
  assert.equal(summary(recent.html, "rejections"), formatInt(ranged.rejections));
  assert.match(recent.html, new RegExp(`${from} – ${LAST_DAY} · threshold 4%`));
  assert.equal(
    chartSource(recent.html, "regret-chart"),
    `/v1/reports/regret?from=${from}&to=${LAST_DAY}&threshold_pct=4`,
  );

  for (
    const [query, message] of [
      ["threshold_pct=0", /threshold_pct: expected a percentage above 0 and at most 1000/],
      ["threshold_pct=lots", /threshold_pct: expected a percentage, e\.g\. 4/],
      ["from=2026-02-30", /from: expected a KST date YYYY-MM-DD/],
      ["to=9999-12-31", /to: expected a KST date YYYY-MM-DD from 1900 to 2999/],
      [`from=${LAST_DAY}&to=${from}`, /to: expected a date on or after from/],
    ] as const
  ) {
    const refused = await html(api, `/reports/regret?${query}`);
    assert.equal(refused.status, 400, query);
    assert.match(refused.html, message);
    assert.doesNotMatch(refused.html, /id="regret-summary"|data-chart/);
  }
});

Deno.test("dashboard scorecard: by decision, by score bucket and by regime as the Archivist computes them", async () => {
  await using api = await startDashboardApi();
  const { status, html: page } = await html(api, "/reports/scorecard");
  assert.equal(status, 200);
  const card = await api.archivist.scorecard();
  const check = (
    table: string,
    key: string,
    figures: (typeof card.by_decision)[number] | (typeof card.by_regime)[number],
  ) => {
    const cells = tableRow(page, table, key);
    assert.ok(cells, `${table} ${key}`);
    assert.equal(cells.decisions, formatInt(figures.decisions), `${table} ${key}`);
    assert.equal(cells.evaluated, formatInt(figures.evaluated), `${table} ${key}`);
    assert.equal(cells.win_rate_5d, formatRate(figures.win_rate_5d), `${table} ${key}`);
    assert.equal(cells.mean_ret_5d_pct, formatSignedPct(figures.mean_ret_5d_pct));
    assert.equal(cells.mean_edge_5d_pct, formatSignedPct(figures.mean_edge_5d_pct));
  };
  for (const row of card.by_decision) check("scorecard-by-decision", row.final_decision, row);
  for (const row of card.by_score_bucket) {
    check("scorecard-by-bucket", `${row.final_decision} ${row.bucket}`, row);
  }
  for (const row of card.by_regime) check("scorecard-by-regime", row.market_regime ?? "none", row);
  assert.equal(tableRows(page, "scorecard-by-bucket").length, card.by_score_bucket.length);
  // BUY and SELL have win rates, HOLD none; the fixture's decisions are evaluated.
  assert.match(tableRow(page, "scorecard-by-decision", "BUY")!.win_rate_5d, /^\d+\.\d%$/);
  assert.equal(tableRow(page, "scorecard-by-decision", "HOLD")!.win_rate_5d, "–");
  for (const id of ["decision-chart", "bucket-chart", "regime-chart"]) {
    assert.equal(chartSource(page, id), "/v1/reports/scorecard");
  }

  const ranged = await html(api, `/reports/scorecard?from=${DAYS[0]}`);
  const recent = await api.archivist.scorecard({ from: DAYS[0] });
  const buy = recent.by_decision.find((row) => row.final_decision === "BUY")!;
  assert.equal(
    tableRow(ranged.html, "scorecard-by-decision", "BUY")!.decisions,
    formatInt(buy.decisions),
  );
  assert.ok(buy.decisions < card.by_decision[0].decisions);
  assert.equal(chartSource(ranged.html, "bucket-chart"), `/v1/reports/scorecard?from=${DAYS[0]}`);

  const refused = await html(api, "/reports/scorecard?to=27-11-2026");
  assert.equal(refused.status, 400);
  assert.match(refused.html, /to: expected a KST date YYYY-MM-DD/);
});
