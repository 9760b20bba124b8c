/**
 * The columns of the decision and rejection tables, as lists: the listing pages, the stock page
 * and the overview show the same columns, and outcome columns join by being appended here.
 *
 * @module
 */
import type { DecisionRow, ShadowRadarRow } from "../../db/schema.ts";
import { kstDate } from "../time.ts";
import { Badge, type Column, StockLabel } from "./components.tsx";
import { formatKstDateTime, formatScore, NONE, truncate } from "./format.ts";

/** Longest reason shown in a table cell; the whole text is in the cell's tooltip. */
const REASON_CHARS = 160;

function Reason(props: { readonly text: string | null }) {
  return <span title={props.text ?? undefined}>{truncate(props.text, REASON_CHARS)}</span>;
}

function keywords(row: DecisionRow): string {
  if (row.dominant_keywords === null) return NONE;
  const list = JSON.parse(row.dominant_keywords) as string[];
  return list.length === 0 ? NONE : list.join(", ");
}

/** The columns every entry table opens with: when it happened, its trade day, its stock. */
function whenAndWhat<Row extends DecisionRow | ShadowRadarRow>(
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

/** The columns of a decision table. */
export const DECISION_COLUMNS: readonly Column<DecisionRow>[] = [
  ...whenAndWhat<DecisionRow>("decided_at", "Decided (KST)"),
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

/** The columns of a rejection table. */
export const REJECTION_COLUMNS: readonly Column<ShadowRadarRow>[] = [
  ...whenAndWhat<ShadowRadarRow>("logged_at", "Rejected (KST)"),
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
  { key: "trigger_type", header: "Trigger", cell: (row) => row.trigger_type ?? NONE },
  {
    key: "trigger_value",
    header: "Trigger value",
    numeric: true,
    cell: (row) => formatScore(row.trigger_value),
  },
  {
    key: "rejection_reason",
    header: "Reason",
    text: true,
    cell: (row) => <Reason text={row.rejection_reason} />,
  },
];

/** `columns` without the stock column: for tables of one stock's entries. */
export function withoutStock<Row>(columns: readonly Column<Row>[]): Column<Row>[] {
  return columns.filter((column) => column.key !== "stock");
}
