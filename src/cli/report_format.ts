/**
 * How `deno task report` prints the outcome reports: readable tables on a terminal (cli-table3
 * counts Hangul as two columns, so Korean names stay aligned), CSV for spreadsheets (one header,
 * long format, numbers unrounded) and JSON for scripts (the Archivist's objects as they are).
 *
 * @module
 */
import Table from "cli-table3";
import { stringify } from "csv-stringify/sync";
import type {
  DailyPacket,
  DecisionOutcome,
  RegretCounts,
  RegretReport,
  RejectionOutcome,
  Scorecard,
  ScoreFigures,
} from "../../db/archivist.ts";

/** The output formats. */
export const REPORT_FORMATS = ["table", "csv", "json"] as const;
/** An output format. */
export type ReportFormat = typeof REPORT_FORMATS[number];

/** A value as a table cell shows it. */
type Cell = string | number | boolean | null | undefined;

/** One column of a table: where its value comes from and how it is shown. */
interface Column<Row> {
  readonly header: string;
  readonly value: (row: Row) => Cell;
  readonly right?: boolean;
}

const NONE = "–";
const thousands = new Intl.NumberFormat("en-US");

/** A signed percentage with two decimals, e.g. `+3.86%`. */
export function formatPct(value: number | null): string {
  if (value === null) return NONE;
  return `${value > 0 ? "+" : ""}${value.toFixed(2)}%`;
}

/** A 0–1 fraction as a percentage with one decimal, e.g. `42.9%`. */
function formatShare(value: number | null): string {
  return value === null ? NONE : `${(value * 100).toFixed(1)}%`;
}

function formatKrw(value: number | null): string {
  return value === null ? NONE : thousands.format(value);
}

function formatFlag(value: boolean | null): string {
  return value === null ? NONE : value ? "yes" : "no";
}

/** A titled table without row separators, numbers right-aligned. */
function section<Row>(
  title: string,
  rows: readonly Row[],
  columns: readonly Column<NoInfer<Row>>[],
): string {
  const table = new Table({
    head: columns.map((c) => c.header),
    colAligns: columns.map((c) => c.right ? "right" : "left"),
    style: { head: [], border: [], compact: true },
  });
  for (const row of rows) {
    table.push(columns.map((c) => {
      const cell = c.value(row);
      return cell === null || cell === undefined ? NONE : String(cell);
    }));
  }
  return `${title}\n${rows.length === 0 ? "(none)" : table.toString()}`;
}

const text = (value: string | null, max = 40) =>
  value === null ? null : value.length > max ? `${value.slice(0, max - 1)}…` : value;

const regretColumns: Column<RegretCounts>[] = [
  { header: "rejections", value: (r) => thousands.format(r.rejections), right: true },
  { header: "evaluated", value: (r) => thousands.format(r.evaluated), right: true },
  { header: "regrets", value: (r) => thousands.format(r.regrets), right: true },
  { header: "good", value: (r) => thousands.format(r.good_rejections), right: true },
  { header: "regret rate", value: (r) => formatShare(r.regret_rate), right: true },
];

const scoreColumns: Column<ScoreFigures>[] = [
  { header: "decisions", value: (r) => thousands.format(r.decisions), right: true },
  { header: "evaluated", value: (r) => thousands.format(r.evaluated), right: true },
  { header: "win rate 5d", value: (r) => formatShare(r.win_rate_5d), right: true },
  { header: "mean ret 5d", value: (r) => formatPct(r.mean_ret_5d_pct), right: true },
  { header: "mean edge 5d", value: (r) => formatPct(r.mean_edge_5d_pct), right: true },
];

const stockColumns: Column<{ stock_code: string; stock_name: string | null }>[] = [
  { header: "code", value: (r) => r.stock_code },
  { header: "name", value: (r) => text(r.stock_name, 20) },
];

const outcomeColumns: Column<DecisionOutcome | RejectionOutcome>[] = [
  { header: "D", value: (r) => r.trade_date },
  { header: "status", value: (r) => r.status },
  { header: "ref close", value: (r) => formatKrw(r.reference_close), right: true },
  { header: "ret 1d", value: (r) => formatPct(r.ret_1d_pct), right: true },
  { header: "ret 5d", value: (r) => formatPct(r.ret_5d_pct), right: true },
  { header: "ret 20d", value: (r) => formatPct(r.ret_20d_pct), right: true },
  { header: "max high 5d", value: (r) => formatPct(r.max_high_5d_pct), right: true },
  { header: "min low 5d", value: (r) => formatPct(r.min_low_5d_pct), right: true },
];

const decisionColumns: Column<DecisionOutcome>[] = [
  { header: "log_id", value: (r) => r.log_id, right: true },
  ...stockColumns,
  { header: "decision", value: (r) => r.final_decision },
  { header: "score", value: (r) => r.hunter_score, right: true },
  ...outcomeColumns,
  { header: "edge 5d", value: (r) => formatPct(r.edge_5d_pct), right: true },
];

const rejectionColumns: Column<RejectionOutcome>[] = [
  { header: "log_id", value: (r) => r.log_id, right: true },
  ...stockColumns,
  { header: "stage", value: (r) => r.rejection_stage },
  { header: "score", value: (r) => r.hunter_score_at_time, right: true },
  ...outcomeColumns,
  { header: "regret", value: (r) => formatFlag(r.regret) },
  { header: "good", value: (r) => formatFlag(r.good_rejection) },
  { header: "vol shock", value: (r) => formatFlag(r.vol_shock) },
];

function rangeLine(from: string | null, to: string | null): string {
  return from === null && to === null
    ? "all entries"
    : `${from ?? "the first"} … ${to ?? "the last"}`;
}

function csv(rows: readonly Record<string, unknown>[], columns?: readonly string[]): string {
  return stringify(rows.map((row) => ({ ...row })), {
    header: true,
    columns: columns ? [...columns] : undefined,
    cast: { boolean: (value) => (value ? "true" : "false") },
  });
}

/** The regret report in `format`. */
export function formatRegret(report: RegretReport, format: ReportFormat): string {
  if (format === "json") return JSON.stringify(report, null, 2);
  if (format === "csv") {
    const row = (section: string, key: string | null, counts: RegretCounts) => ({
      section,
      key,
      rejections: counts.rejections,
      evaluated: counts.evaluated,
      regrets: counts.regrets,
      good_rejections: counts.good_rejections,
      regret_rate: counts.regret_rate,
      threshold_pct: report.threshold_pct,
    });
    return csv([
      row("total", null, report),
      ...report.by_stage.map((s) => row("stage", s.rejection_stage, s)),
      ...report.by_reason.map((r) => row("reason", r.rejection_reason, r)),
    ]);
  }
  return [
    `Regret report: ${rangeLine(report.from, report.to)}; a regret is a 5-day high ≥ ` +
    `${report.threshold_pct}% above the reference close`,
    section("All rejections", [report], regretColumns),
    section("By stage", report.by_stage, [
      { header: "stage", value: (r) => r.rejection_stage },
      ...regretColumns,
    ]),
    section("By reason (top 20)", report.by_reason, [
      { header: "reason", value: (r) => text(r.rejection_reason) },
      ...regretColumns,
    ]),
    section("Largest 5-day highs", report.top, rejectionColumns),
  ].join("\n\n");
}

/** The scorecard in `format`. */
export function formatScorecard(card: Scorecard, format: ReportFormat): string {
  if (format === "json") return JSON.stringify(card, null, 2);
  if (format === "csv") {
    const row = (
      section: string,
      decision: string | null,
      key: string | null,
      f: ScoreFigures,
    ) => ({
      section,
      final_decision: decision,
      key,
      decisions: f.decisions,
      evaluated: f.evaluated,
      win_rate_5d: f.win_rate_5d,
      mean_ret_5d_pct: f.mean_ret_5d_pct,
      mean_edge_5d_pct: f.mean_edge_5d_pct,
    });
    return csv([
      ...card.by_decision.map((r) => row("decision", r.final_decision, null, r)),
      ...card.by_score_bucket.map((r) => row("score_bucket", r.final_decision, r.bucket, r)),
      ...card.by_regime.map((r) => row("regime", "BUY+SELL", r.market_regime, r)),
    ]);
  }
  return [
    `Scorecard: ${rangeLine(card.from, card.to)}; 5 trading days after each decision`,
    section("By decision", card.by_decision, [
      { header: "decision", value: (r) => r.final_decision },
      ...scoreColumns,
    ]),
    section("BUY and SELL by hunter score", card.by_score_bucket.filter((r) => r.decisions > 0), [
      { header: "decision", value: (r) => r.final_decision },
      { header: "bucket", value: (r) => r.bucket },
      ...scoreColumns,
    ]),
    section("BUY and SELL by market regime", card.by_regime, [
      { header: "regime", value: (r) => r.market_regime },
      ...scoreColumns,
    ]),
  ].join("\n\n");
}

/** Decisions and rejections in one long CSV: `kind` first, the union of their columns. */
function outcomesCsv(
  decisions: readonly (DecisionOutcome & { case?: string })[],
  rejections: readonly RejectionOutcome[],
): string {
  const rows = [
    ...decisions.map((d) => ({ kind: "decision", ...d })),
    ...rejections.map((r) => ({ kind: "rejection", ...r })),
  ];
  const columns = [...new Set(rows.flatMap((row) => Object.keys(row)))];
  return csv(rows as Record<string, unknown>[], columns.length > 0 ? columns : ["kind"]);
}

/** The daily packet in `format`. */
export function formatPacket(packet: DailyPacket, format: ReportFormat): string {
  if (format === "json") return JSON.stringify(packet, null, 2);
  if (format === "csv") return outcomesCsv(packet.cases, packet.vetoes);
  const counts = packet.case_counts;
  return [
    `Council packet of ${packet.date}: ${packet.veto_count} vetoes, ${packet.decisions} ` +
    `decisions, no-trade ratio ${formatShare(packet.no_trade_ratio)}; cases: ` +
    `${counts.BEST} BEST, ${counts.VIOLATION} VIOLATION, ${counts.WORST} WORST, ` +
    `${counts.NORMAL} NORMAL`,
    section("Cases", packet.cases, [{ header: "case", value: (r) => r.case }, ...decisionColumns]),
    section("Vetoes", packet.vetoes, rejectionColumns),
  ].join("\n\n");
}

/** Outcome listings in `format`. */
export function formatOutcomes(
  decisions: readonly DecisionOutcome[] | undefined,
  rejections: readonly RejectionOutcome[] | undefined,
  format: ReportFormat,
): string {
  if (format === "json") {
    return JSON.stringify(
      {
        ...(decisions ? { decisions } : {}),
        ...(rejections ? { rejections } : {}),
      },
      null,
      2,
    );
  }
  if (format === "csv") return outcomesCsv(decisions ?? [], rejections ?? []);
  const sections: string[] = [];
  if (decisions) {
    sections.push(section(`Decisions (${decisions.length})`, decisions, decisionColumns));
  }
  if (rejections) {
    sections.push(section(`Rejections (${rejections.length})`, rejections, rejectionColumns));
  }
  return sections.join("\n\n");
}
