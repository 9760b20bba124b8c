/**
 * The columns of the decision and rejection tables, as lists: the listing pages, the stock page
 * and the overview show the same columns. Each row carries its outcome (`docs/outcomes.md`): what
 * the price did after the entry, shown right after the entry's decision or stage and score.
 *
 * @module
 */
import type { DecisionOutcome, RejectionOutcome } from "../../db/archivist.ts";
import type { DecisionRow, ShadowRadarRow } from "../../db/schema.ts";
import { kstDate } from "../time.ts";
import { Badge, type Column, StockLabel } from "./components.tsx";
import {
  formatKrw,
  formatKstDateTime,
  formatScore,
  formatSignedPct,
  NONE,
  signClass,
  truncate,
} from "./format.ts";

/** A decision as the tables show it: the row and its outcome (undefined when not read). */
export type DecisionTableRow = DecisionRow & { readonly outcome?: DecisionOutcome };
/** A rejection as the tables show it: the row and its outcome (undefined when not read). */
export type RejectionTableRow = ShadowRadarRow & { readonly outcome?: RejectionOutcome };

/** The outcome fields both kinds share. */
type SharedOutcome = Pick<
  DecisionOutcome & RejectionOutcome,
  | "status"
  | "reference_close"
  | "ret_1d_pct"
  | "ret_5d_pct"
  | "ret_20d_pct"
  | "max_high_5d_pct"
  | "min_low_5d_pct"
>;

/** Longest reason shown in a table cell; the whole text is in the cell's tooltip. */
const REASON_CHARS = 160;

/** A reason, cut to fit a table cell; the whole text is its tooltip. */
export function Reason(props: { readonly text: string | null }) {
  return <span title={props.text ?? undefined}>{truncate(props.text, REASON_CHARS)}</span>;
}

function keywords(row: DecisionRow): string {
  if (row.dominant_keywords === null) return NONE;
  const list = JSON.parse(row.dominant_keywords) as string[];
  return list.length === 0 ? NONE : list.join(", ");
}

/** What {@link whenAndWhat} reads of an entry (a row, or an outcome item of a report). */
interface EntryIdentity {
  readonly stock_code: string;
  readonly stock_name: string | null;
  readonly trade_date: string;
}

/** The columns every entry table opens with: when it happened, its trade day, its stock. */
export function whenAndWhat<Row extends EntryIdentity>(
  time: keyof Row & ("decided_at" | "logged_at"),
  header: string,
): Column<Row>[] {
  const at = (row: Row) => row[time] as string;
  return [
    {
      key: time,
      header,
      cell: (row) => <time datetime={at(row)}>{formatKstDateTime(at(row))}</time>,
    },
    { key: "trade_date", header: "Trade day", cell: (row) => row.trade_date },
    {
      key: "stock",
      header: "Stock",
      cell: (row) => (
        <StockLabel code={row.stock_code} name={row.stock_name} date={kstDate(new Date(at(row)))} />
      ),
    },
  ];
}

/** An outcome's state as a badge: pending, partial or complete. */
export function OutcomeBadge(props: { readonly outcome: { status: string } | undefined }) {
  return props.outcome
    ? <Badge kind={`outcome-${props.outcome.status}`}>{props.outcome.status}</Badge>
    : <>{NONE}</>;
}

/** A signed percentage coloured by its sign (red up, blue down). */
export function SignedPct(props: { readonly value: number | null | undefined }) {
  return <span class={signClass(props.value)}>{formatSignedPct(props.value)}</span>;
}

/** A yes/no outcome flag; `yes` shown in `yesClass`. */
function Flag(props: { readonly value: boolean | null | undefined; readonly yesClass?: string }) {
  if (props.value === null || props.value === undefined) return <>{NONE}</>;
  return props.value ? <strong class={props.yesClass}>yes</strong> : <>no</>;
}

const PERCENT_OF_REFERENCE =
  "percent of the reference close (the adjusted close of the trade day D)";

/** A column of a signed percentage of the outcome. */
function pctColumn<Row, O>(
  outcome: (row: Row) => O | undefined,
  key: keyof O & string,
  header: string,
  title: string,
): Column<Row> {
  return {
    key,
    header,
    title,
    numeric: true,
    cell: (row) => <SignedPct value={outcome(row)?.[key] as number | null | undefined} />,
  };
}

/** The status, reference close and 1/5/20-day returns of the outcome `outcome(row)`. */
function priceOutcomeColumns<Row>(
  outcome: (row: Row) => SharedOutcome | undefined,
): Column<Row>[] {
  const ret = (days: 1 | 5 | 20) =>
    pctColumn(
      outcome,
      `ret_${days}d_pct`,
      `${days}d return`,
      `Close ${days === 1 ? "of the next trading day" : `${days} trading days after D`}, ` +
        PERCENT_OF_REFERENCE,
    );
  return [
    {
      key: "outcome_status",
      header: "Outcome",
      title: "pending: no close of the trade day yet; partial: some later days not archived yet; " +
        "complete: the 20-day return is known",
      cell: (row) => <OutcomeBadge outcome={outcome(row)} />,
    },
    {
      key: "reference_close",
      header: "Ref. close",
      title: "Adjusted close of the trade day D, KRW: what the returns are measured from",
      numeric: true,
      cell: (row) => formatKrw(outcome(row)?.reference_close),
    },
    ret(1),
    ret(5),
    ret(20),
  ];
}

/** The outcome columns of decisions: status, reference close, returns and edges. */
export function decisionOutcomeColumns<Row>(
  outcome: (row: Row) => DecisionOutcome | undefined,
): Column<Row>[] {
  const edge = (days: 1 | 5 | 20) =>
    pctColumn(
      outcome,
      `edge_${days}d_pct`,
      `${days}d edge`,
      `The ${days}-day return for BUY, minus it for SELL (positive: the call was right); ` +
        "none for HOLD and NO_DECISION; percent",
    );
  return [...priceOutcomeColumns(outcome), edge(1), edge(5), edge(20)];
}

/** The outcome columns of rejections: status, reference close, returns, the 5-day window. */
export function rejectionOutcomeColumns<Row>(
  outcome: (row: Row) => RejectionOutcome | undefined,
): Column<Row>[] {
  return [
    ...priceOutcomeColumns(outcome),
    pctColumn(
      outcome,
      "max_high_5d_pct",
      "5d max high",
      `Highest adjusted high of the next 5 trading days, ${PERCENT_OF_REFERENCE}`,
    ),
    pctColumn(
      outcome,
      "min_low_5d_pct",
      "5d min low",
      `Lowest adjusted low of the next 5 trading days, ${PERCENT_OF_REFERENCE}`,
    ),
    {
      key: "regret",
      header: "Regret",
      title: "yes: the 5-day max high reached the regret threshold (a missed run)",
      cell: (row) => <Flag value={outcome(row)?.regret} yesClass="up" />,
    },
    {
      key: "good_rejection",
      header: "Good rej.",
      title: "yes: not a regret, and the 5-day return is 0 or below",
      cell: (row) => <Flag value={outcome(row)?.good_rejection} yesClass="good" />,
    },
    {
      key: "vol_shock",
      header: "Vol shock",
      title: "yes: the largest volume of the next 5 trading days is at least 3 × the mean volume " +
        "of the 20 trading days before D",
      cell: (row) => <Flag value={outcome(row)?.vol_shock} />,
    },
  ];
}

/** The columns of a decision table. */
export const DECISION_COLUMNS: readonly Column<DecisionTableRow>[] = [
  ...whenAndWhat<DecisionTableRow>("decided_at", "Decided (KST)"),
  {
    key: "final_decision",
    header: "Decision",
    cell: (row) => <Badge kind={row.final_decision} />,
  },
  {
    key: "hunter_score",
    header: "Score",
    numeric: true,
    cell: (row) => formatScore(row.hunter_score),
  },
  ...decisionOutcomeColumns<DecisionTableRow>((row) => row.outcome),
  { key: "market_regime", header: "Regime", cell: (row) => row.market_regime ?? NONE },
  { key: "gate_result", header: "Gate", cell: (row) => row.gate_result ?? NONE },
  { key: "dominant_keywords", header: "Keywords", cell: keywords },
  {
    key: "thinking_called",
    header: "Thinking",
    cell: (row) => row.thinking_called === null ? NONE : row.thinking_called === 1 ? "yes" : "no",
  },
  {
    key: "final_reason",
    header: "Reason",
    text: true,
    cell: (row) => <Reason text={row.final_reason} />,
  },
];

/** A rejection's stage and score, then what the price did after it (`outcome(row)`). */
export function rejectionColumns<
  Row extends Pick<RejectionOutcome, "rejection_stage" | "hunter_score_at_time">,
>(outcome: (row: Row) => RejectionOutcome | undefined): Column<Row>[] {
  return [
    {
      key: "rejection_stage",
      header: "Stage",
      cell: (row) => row.rejection_stage ? <Badge kind={row.rejection_stage} /> : NONE,
    },
    {
      key: "hunter_score_at_time",
      header: "Score",
      numeric: true,
      cell: (row) => formatScore(row.hunter_score_at_time),
    },
    ...rejectionOutcomeColumns(outcome),
  ];
}

/** The reason a candidate was rejected. */
export function rejectionReasonColumn<
  Row extends { readonly rejection_reason: string | null },
>(): Column<Row> {
  return {
    key: "rejection_reason",
    header: "Reason",
    text: true,
    cell: (row) => <Reason text={row.rejection_reason} />,
  };
}

/** The columns of a rejection table. */
export const REJECTION_COLUMNS: readonly Column<RejectionTableRow>[] = [
  ...whenAndWhat<RejectionTableRow>("logged_at", "Rejected (KST)"),
  ...rejectionColumns<RejectionTableRow>((row) => row.outcome),
  { key: "trigger_type", header: "Trigger", cell: (row) => row.trigger_type ?? NONE },
  {
    key: "trigger_value",
    header: "Trigger value",
    numeric: true,
    cell: (row) => formatScore(row.trigger_value),
  },
  rejectionReasonColumn(),
];

/** `columns` without the stock column: for tables of one stock's entries. */
export function withoutStock<Row>(columns: readonly Column<Row>[]): Column<Row>[] {
  return columns.filter((column) => column.key !== "stock");
}
