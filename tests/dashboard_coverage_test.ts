/**
 * The coverage grid's rule (`src/dashboard/coverage.ts`): a cell's state from what is stored.
 */
import assert from "node:assert/strict";
import type { CollectionRunReport, StockDayRecord } from "../db/archivist.ts";
import { stockDayKey } from "../db/dashboard_reads.ts";
import { coverageGrid, coverageState, coverageTotals } from "../src/dashboard/coverage.ts";

const record = (over: Partial<StockDayRecord>): StockDayRecord => ({
  stockCode: "005930",
  tradeDate: "2026-11-27",
  firstBar: null,
  flow: null,
  ...over,
});
const flows = { volume: 1_000, investors: true };

Deno.test("coverage: complete needs both flows and bars; one is partial; none is missing", () => {
  assert.equal(coverageState(record({ firstBar: 1, flow: flows })), "complete");
  assert.equal(coverageState(record({ firstBar: 1 })), "partial");
  assert.equal(coverageState(record({ flow: flows })), "partial");
  assert.equal(coverageState(record({})), "missing");
  // A flow row without investor figures is not the day's flows.
  assert.equal(
    coverageState(record({ firstBar: 1, flow: { volume: 5, investors: false } })),
    "partial",
  );
});

Deno.test("coverage: no bars and a flow row that says nothing traded is a halt", () => {
  assert.equal(coverageState(record({ flow: { volume: 0, investors: true } })), "halted");
  assert.equal(coverageState(record({ flow: { volume: 0, investors: false } })), "halted");
  // Bars on a day of volume 0 contradict the halt: the bars are what is stored.
  assert.equal(
    coverageState(record({ firstBar: 1, flow: { volume: 0, investors: true } })),
    "complete",
  );
  assert.equal(coverageState(record({ flow: { volume: null, investors: true } })), "partial");
});

Deno.test("coverage grid: cells in day order with the failures of the day's newest runs", () => {
  const days = ["2026-11-26", "2026-11-27"];
  const records = new Map([
    [stockDayKey("005930", days[0]), record({ tradeDate: days[0], firstBar: 1, flow: flows })],
  ]);
  const run = (job: "flow" | "intraday", failures: CollectionRunReport["failures"]) =>
    ({ job, trade_date: days[1], failures }) as unknown as CollectionRunReport;
  const rows = coverageGrid(["005930", "000660"], days, records, [
    run("flow", [{ stock_code: "000660", error: "boom" }]),
    run("intraday", [{ stock_code: "000660", error: "no bars" }]),
  ]);
  assert.deepEqual(rows.map((r) => r.cells.map((c) => c.state)), [
    ["complete", "missing"],
    ["missing", "missing"],
  ]);
  assert.deepEqual(rows[1].cells[1].failures, [
    { job: "flow", error: "boom" },
    { job: "intraday", error: "no bars" },
  ]);
  assert.deepEqual(rows[1].cells[0].failures, []);
  assert.deepEqual(coverageTotals(rows), { complete: 1, partial: 0, halted: 0, missing: 3 });
});
