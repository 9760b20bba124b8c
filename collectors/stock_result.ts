/**
 * What collecting one stock of a run produces, shared by every job: its rows ready to write, and
 * what a reader of the run should know about it.
 *
 * @module
 */
import type { WriteCounts } from "../db/archivist.ts";

/** One stock's collected data of a day, not yet written. */
export interface StockResult {
  /** Writes the stock's rows; called at once, or held until the run knows the day is final. */
  readonly write: () => Promise<WriteCounts>;
  /** Something a reader of the run should know, e.g. that the stock was halted all day. */
  readonly note?: string;
  /** The newest minute bar seen of the day (unix seconds), which shows a session ran late. */
  readonly lastBarTime?: number;
}

/** Collects one stock for a run: resolves with its data, or throws its failure. */
export type StockCollector = (stockCode: string) => Promise<StockResult>;

/**
 * The day's data is not final yet (KIS still reports a session in progress): nothing of the day
 * may be stored as collected. The run stops and records the day as not yet collected.
 */
export class DayNotFinalError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DayNotFinalError";
  }
}
