/**
 * The coverage grid: for each collection target and each of the last trading days, whether the
 * archive holds that day whole, from what it records (not from what a run claimed):
 *
 * - `complete`: the day's flow row (investor columns filled) and its minute bars are stored;
 * - `partial`: one of the two is stored;
 * - `halted`: no minute bar, and the stored flow row says nothing traded that day (volume 0);
 * - `missing`: neither is stored.
 *
 * A cell also carries the errors of the stock in the newest run of each job that day.
 *
 * @module
 */
import type { CollectionRunReport, StockDayRecord } from "../../db/archivist.ts";
import { stockDayKey } from "../../db/dashboard_reads.ts";
import type { CollectionJob } from "../../db/schema.ts";

/** Trading days the grid shows. */
export const COVERAGE_DAYS = 20;

/** The states of a cell, best first. */
export const COVERAGE_STATES = ["complete", "partial", "halted", "missing"] as const;
/** The state of one stock on one trading day. */
export type CoverageState = typeof COVERAGE_STATES[number];

/** One stock on one trading day. */
export interface CoverageCell {
  readonly tradeDate: string;
  readonly state: CoverageState;
  readonly record: StockDayRecord;
  /** The stock's errors in the newest run of each job that day. */
  readonly failures: readonly { readonly job: CollectionJob; readonly error: string }[];
}

/** One stock's row of the grid. */
export interface CoverageRow {
  readonly stockCode: string;
  readonly cells: readonly CoverageCell[];
}

/** The state a stock's day is in, from what is stored of it. */
export function coverageState(record: StockDayRecord): CoverageState {
  const bars = record.firstBar !== null;
  const flows = record.flow?.investors === true;
  if (bars && flows) return "complete";
  if (!bars && record.flow?.volume === 0) return "halted";
  if (bars || flows) return "partial";
  return "missing";
}

/**
 * The grid of `stockCodes` × `tradeDates` (oldest first) from the stored `records` (keyed by
 * `stockDayKey`) and the newest runs of those days.
 */
export function coverageGrid(
  stockCodes: readonly string[],
  tradeDates: readonly string[],
  records: ReadonlyMap<string, StockDayRecord>,
  runs: readonly CollectionRunReport[],
): CoverageRow[] {
  const failures = new Map<string, { job: CollectionJob; error: string }[]>();
  for (const run of runs) {
    for (const failure of run.failures) {
      const cellKey = stockDayKey(failure.stock_code, run.trade_date);
      const list = failures.get(cellKey) ?? [];
      list.push({ job: run.job, error: failure.error });
      failures.set(cellKey, list);
    }
  }
  return stockCodes.map((stockCode) => ({
    stockCode,
    cells: tradeDates.map((tradeDate) => {
      const cellKey = stockDayKey(stockCode, tradeDate);
      const record = records.get(cellKey) ??
        { stockCode, tradeDate, firstBar: null, flow: null };
      return {
        tradeDate,
        state: coverageState(record),
        record,
        failures: failures.get(cellKey) ?? [],
      };
    }),
  }));
}

/** How many cells of `rows` are in each state. */
export function coverageTotals(rows: readonly CoverageRow[]): Record<CoverageState, number> {
  const totals = Object.fromEntries(COVERAGE_STATES.map((s) => [s, 0])) as Record<
    CoverageState,
    number
  >;
  for (const row of rows) for (const cell of row.cells) totals[cell.state]++;
  return totals;
}
