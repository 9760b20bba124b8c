/**
 * Pages of decisions and rejections with their outcomes attached: one numbered page from the
 * Archivist, then the outcomes of exactly those rows (one primary-key read), so the tables show
 * what the price did after each entry.
 *
 * @module
 */
import type { Archivist, EntryBrowseFilter, EntryBrowsePage } from "../../db/archivist.ts";
import { DEFAULT_REGRET_THRESHOLD_PCT } from "../../db/outcomes.ts";
import type { FinalDecision, RejectionStage } from "../../db/schema.ts";
import type { AppOptions } from "../http/options.ts";
import type { DecisionTableRow, RejectionTableRow } from "./entry_columns.tsx";

/** The regret threshold the dashboard shows rejections at, percent (the service's default). */
export function regretThreshold(options: Pick<AppOptions, "regretThresholdPct">): number {
  return options.regretThresholdPct ?? DEFAULT_REGRET_THRESHOLD_PCT;
}

async function withOutcomes<Row extends { readonly log_id: number }, Outcome>(
  page: EntryBrowsePage<Row>,
  outcomesOf: (logIds: number[]) => Promise<Map<number, Outcome>>,
): Promise<EntryBrowsePage<Row & { readonly outcome?: Outcome }>> {
  const outcomes = await outcomesOf(page.rows.map((row) => row.log_id));
  return {
    total: page.total,
    rows: page.rows.map((row) => ({ ...row, outcome: outcomes.get(row.log_id) })),
  };
}

/** One numbered page of decisions, newest first, each with its outcome. */
export async function browseDecisionsWithOutcomes(
  archivist: Archivist,
  filter: EntryBrowseFilter & { readonly finalDecision?: FinalDecision },
): Promise<EntryBrowsePage<DecisionTableRow>> {
  return await withOutcomes(
    await archivist.browseDecisions(filter),
    (logIds) => archivist.decisionOutcomesOf(logIds),
  );
}

/** One numbered page of rejections, newest first, each with its outcome at `thresholdPct`. */
export async function browseRejectionsWithOutcomes(
  archivist: Archivist,
  filter: EntryBrowseFilter & { readonly rejectionStage?: RejectionStage },
  thresholdPct: number,
): Promise<EntryBrowsePage<RejectionTableRow>> {
  return await withOutcomes(
    await archivist.browseRejections(filter),
    (logIds) => archivist.rejectionOutcomesOf(logIds, { thresholdPct }),
  );
}
