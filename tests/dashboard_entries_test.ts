/**
 * The outcome columns of the decision and rejection listings (`src/dashboard/entries.tsx`,
 * `entry_columns.tsx`) over real HTTP against the seeded archive: each cell says what the
 * archive's own outcome says, with its unit and sign; the outcome-status filter; refused input.
 */
import assert from "node:assert/strict";
import type { Archivist } from "../db/archivist.ts";
import type { OutcomeStatus } from "../db/schema.ts";
import { formatKrw, formatSignedPct } from "../src/dashboard/format.ts";
import { DECISION_COUNT, LAST_DAY } from "./fixtures/dashboard_archive.ts";
import { startDashboardApi } from "./fixtures/dashboard_api.ts";
import { tableRows } from "./fixtures/html_table.ts";

async function html(api: { request(path: string): Promise<Response> }, path: string) {
  const response = await api.request(path);
  return { status: response.status, html: await response.text() };
}

const total = (page: string) => Number(/data-total="(\d+)"/.exec(page)?.[1]);

/** How many decisions (or rejections) the archive's own listing has in `status`. */
async function countByStatus(
  archivist: Archivist,
  kind: "decisions" | "rejections",
  status: OutcomeStatus,
): Promise<number> {
  const page = kind === "decisions"
    ? await archivist.listDecisionOutcomes({ status, limit: 1000 })
    : await archivist.listRejectionOutcomes({ status, limit: 1000 });
  return page.items.length;
}

const flag = (value: boolean | null) => value === null ? "–" : value ? "yes" : "no";

Deno.test("dashboard decisions: each row's outcome as the archive computed it, signed, in % and 원", async () => {
  await using api = await startDashboardApi();
  const { html: page } = await html(api, "/decisions");
  const rows = tableRows(page, "entries");
  assert.equal(rows.length, 100);
  const outcomes = await api.archivist.decisionOutcomesOf(rows.map((row) => Number(row.key)));
  for (const { key, cells } of rows) {
    const outcome = outcomes.get(Number(key))!;
    assert.equal(cells.outcome_status, outcome.status, key);
    assert.equal(cells.reference_close, formatKrw(outcome.reference_close), key);
    for (
      const field of [
        "ret_1d_pct",
        "ret_5d_pct",
        "ret_20d_pct",
        "edge_1d_pct",
        "edge_5d_pct",
        "edge_20d_pct",
      ] as const
    ) {
      assert.equal(cells[field], formatSignedPct(outcome[field]), `${key} ${field}`);
    }
  }
  // The seeded weeks hold every state, and the figures carry their sign and unit.
  const states = new Set(rows.map((row) => row.cells.outcome_status));
  assert.deepEqual([...states].sort(), ["complete", "partial"]);
  const returns = rows.map((row) => row.cells.ret_20d_pct).filter((text) => text !== "–");
  assert.ok(returns.length > 10);
  assert.ok(returns.every((text) => /^[+-]\d+\.\d\d%$|^0\.00%$/.test(text)), returns.join());
  assert.ok(returns.some((text) => text.startsWith("+")) && returns.some((t) => t.startsWith("-")));
  assert.match(page, /<span class="up">\+\d+\.\d\d%<\/span>/);
  assert.match(page, /<span class="down">-\d+\.\d\d%<\/span>/);
  // HOLD has no edge.
  const hold = rows.find((row) => row.cells.final_decision === "HOLD")!;
  assert.equal(hold.cells.edge_5d_pct, "–");
  // The headers say what the figures are.
  assert.match(page, /title="Adjusted close of the trade day D, KRW/);
  assert.match(page, /id="outcome-note">Returns: from the reference close/);
});

Deno.test("dashboard rejections: 5-day high and low, regret, good rejection and volume shock as the archive says", async () => {
  await using api = await startDashboardApi();
  const { html: page } = await html(api, "/rejections");
  const rows = tableRows(page, "entries");
  const outcomes = await api.archivist.rejectionOutcomesOf(rows.map((row) => Number(row.key)));
  for (const { key, cells } of rows) {
    const outcome = outcomes.get(Number(key))!;
    assert.equal(cells.outcome_status, outcome.status, key);
    assert.equal(cells.max_high_5d_pct, formatSignedPct(outcome.max_high_5d_pct), key);
    assert.equal(cells.min_low_5d_pct, formatSignedPct(outcome.min_low_5d_pct), key);
    assert.equal(cells.regret, flag(outcome.regret), key);
    assert.equal(cells.good_rejection, flag(outcome.good_rejection), key);
    assert.equal(cells.vol_shock, flag(outcome.vol_shock), key);
  }
  // The seeded year has each case at least once.
  for (const column of ["regret", "good_rejection", "vol_shock"]) {
    assert.ok(rows.some((row) => row.cells[column] === "yes"), `${column} yes`);
    assert.ok(rows.some((row) => row.cells[column] === "no"), `${column} no`);
  }
  assert.match(page, /Regret: the 5d max high reached 4%/);
});

Deno.test("dashboard listings: the outcome-status filter agrees with the archive, keeps the other filters", async () => {
  await using api = await startDashboardApi();
  for (const kind of ["decisions", "rejections"] as const) {
    let sum = 0;
    for (const status of ["pending", "partial", "complete"] as const) {
      const { status: code, html: page } = await html(api, `/${kind}?status=${status}`);
      assert.equal(code, 200);
      const expected = await countByStatus(api.archivist, kind, status);
      assert.equal(total(page), expected, `${kind} ${status}`);
      sum += expected;
      const shown = tableRows(page, "entries").map((row) => row.cells.outcome_status);
      assert.ok(shown.every((state) => state === status), `${kind} ${status}: ${shown}`);
      assert.match(page, new RegExp(`<option value="${status}" selected>`));
    }
    const all = await html(api, `/${kind}`);
    assert.equal(sum, total(all.html), `${kind}: the three states are all of them`);
  }
  // The rejection logged after the last close is the one whose trade day has no candle yet.
  const pending = await html(api, "/rejections?status=pending");
  assert.equal(total(pending.html), 1);
  assert.equal(tableRows(pending.html, "entries")[0].cells.trade_date, "2026-11-30");

  // With other filters, and in the pager's links.
  const buys = await html(api, `/decisions?decision=BUY&status=complete&to=${LAST_DAY}`);
  const rows = tableRows(buys.html, "entries");
  assert.ok(rows.length > 0);
  assert.ok(rows.every((row) => row.cells.final_decision === "BUY"));
  assert.ok(rows.every((row) => row.cells.outcome_status === "complete"));
  const beyond = await html(api, "/decisions?status=partial&page=2");
  assert.match(beyond.html, /href="\/decisions\?status=partial" rel="first"/);
  assert.ok(total(beyond.html) < DECISION_COUNT);

  const refused = await html(api, "/decisions?status=done");
  assert.equal(refused.status, 400);
  assert.match(refused.html, /status: expected one of pending, partial, complete/);
  assert.doesNotMatch(refused.html, /id="entries"/);
});
