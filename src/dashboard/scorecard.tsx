/**
 * `/reports/scorecard?from=&to=`: the scorecard (`docs/outcomes.md`) of the decisions in a range of
 * KST days: per decision, per hunter-score bucket (BUY and SELL) and per market regime, the 5-day
 * win rate, mean return and mean edge, each as bars and a table.
 *
 * @module
 */
import type { Hono } from "hono";
import type { Scorecard, ScoreFigures } from "../../db/archivist.ts";
import { SCORE_BUCKETS } from "../../db/outcome_reports.ts";
import type { AppOptions } from "../http/options.ts";
import { Badge, type Column, countColumn, DataTable } from "./components.tsx";
import { SignedPct } from "./entry_columns.tsx";
import { formatRate, NONE } from "./format.ts";
import { Card } from "./layout.tsx";
import {
  BarChart,
  type BarPane,
  type FigureKey,
  rangeText,
  type ReportPage,
  reportPage,
  type ReportQuery,
  reportSource,
} from "./report_parts.tsx";

/** The figures of a group of decisions, as columns. */
function scoreFigureColumns<Row extends ScoreFigures>(): Column<Row>[] {
  return [
    countColumn("decisions", "Decisions"),
    countColumn(
      "evaluated",
      "Evaluated",
      "Decisions whose 5-day return is known (BUY and SELL: whose 5-day edge is known)",
    ),
    {
      key: "win_rate_5d",
      header: "5d win rate",
      title: "Share of the evaluated with a 5-day edge above 0 (none for HOLD and NO_DECISION)",
      numeric: true,
      cell: (row) => formatRate(row.win_rate_5d),
    },
    {
      key: "mean_ret_5d_pct",
      header: "Mean 5d return",
      title: "Mean 5-day return of the evaluated, percent",
      numeric: true,
      cell: (row) => <SignedPct value={row.mean_ret_5d_pct} />,
    },
    {
      key: "mean_edge_5d_pct",
      header: "Mean 5d edge",
      title: "Mean 5-day edge of the evaluated (the return for BUY, minus it for SELL), percent",
      numeric: true,
      cell: (row) => <SignedPct value={row.mean_edge_5d_pct} />,
    },
  ];
}

const decisionColumn = <Row extends { readonly final_decision: string }>(): Column<Row> => ({
  key: "final_decision",
  header: "Decision",
  cell: (row) => <Badge kind={row.final_decision} />,
});

const BY_DECISION_COLUMNS: Column<Scorecard["by_decision"][number]>[] = [
  decisionColumn(),
  ...scoreFigureColumns(),
];

const BUCKET_RANGES = SCORE_BUCKETS.map(({ bucket, min, below }) =>
  `${bucket} [${min}, ${below === null ? "100]" : `${below})`}`
).join(", ");

const BY_BUCKET_COLUMNS: Column<Scorecard["by_score_bucket"][number]>[] = [
  decisionColumn(),
  {
    key: "bucket",
    header: "Score bucket",
    title: `Hunter score: ${BUCKET_RANGES}; unscored: none, or outside 0–100`,
    cell: (row) => row.bucket,
  },
  ...scoreFigureColumns(),
];

const BY_REGIME_COLUMNS: Column<Scorecard["by_regime"][number]>[] = [
  { key: "market_regime", header: "Market regime", cell: (row) => row.market_regime ?? NONE },
  ...scoreFigureColumns(),
];

/** The panes of the position charts: win rate and mean edge. */
const WIN_AND_EDGE: readonly BarPane<FigureKey<ScoreFigures>>[] = [
  { field: "win_rate_5d", title: "5d win rate", scale: 100, unit: "%", colour: "#0f766e" },
  { field: "mean_edge_5d_pct", title: "Mean 5d edge", unit: "%", colour: "sign" },
];

async function scorecardBody(options: AppOptions, query: ReportQuery) {
  const card = await options.archivist.scorecard({ from: query.from, to: query.to });
  const source = reportSource("/v1/reports/scorecard", { from: query.from, to: query.to });
  return (
    <>
      <p class="chart-note" id="scorecard-range">
        {`Decisions: ${rangeText(query.from, query.to)}. A decision is evaluated once the close ` +
          "5 trading days after its trade day is archived; returns and edges in percent of the " +
          "reference close (the adjusted close of the trade day); red above 0, blue below."}
      </p>
      <Card title="By decision" id="by-decision">
        <BarChart<Scorecard, "by_decision">
          id="decision-chart"
          source={source}
          label="Mean 5-day return and win rate by decision"
          spec={{
            rows: "by_decision",
            label: ["final_decision"],
            panes: [
              { field: "mean_ret_5d_pct", title: "Mean 5d return", unit: "%", colour: "sign" },
              WIN_AND_EDGE[0],
            ],
          }}
        />
        <DataTable
          id="scorecard-by-decision"
          columns={BY_DECISION_COLUMNS}
          rowKey={(row) => row.final_decision}
          rows={card.by_decision}
          empty="No decision in this range."
        />
      </Card>
      <Card title="BUY and SELL by hunter score" id="by-bucket">
        <BarChart<Scorecard, "by_score_bucket">
          id="bucket-chart"
          source={source}
          label="5-day win rate and mean edge of BUY and SELL by hunter-score bucket"
          spec={{
            rows: "by_score_bucket",
            label: ["final_decision", "bucket"],
            panes: WIN_AND_EDGE,
          }}
        />
        <DataTable
          id="scorecard-by-bucket"
          columns={BY_BUCKET_COLUMNS}
          rowKey={(row) => `${row.final_decision} ${row.bucket}`}
          rows={card.by_score_bucket}
          empty="No BUY or SELL in this range."
        />
        <p class="chart-note">{`Hunter-score buckets: ${BUCKET_RANGES}.`}</p>
      </Card>
      <Card title="BUY and SELL by market regime" id="by-regime">
        <BarChart<Scorecard, "by_regime">
          id="regime-chart"
          source={source}
          label="5-day win rate and mean edge of BUY and SELL by market regime"
          spec={{ rows: "by_regime", label: ["market_regime"], panes: WIN_AND_EDGE }}
        />
        <DataTable
          id="scorecard-by-regime"
          columns={BY_REGIME_COLUMNS}
          rowKey={(row) => row.market_regime ?? "none"}
          rows={card.by_regime}
          empty="No BUY or SELL in this range."
        />
      </Card>
    </>
  );
}

/** The scorecard page. */
export const SCORECARD_PAGE: ReportPage = {
  path: "/reports/scorecard",
  nav: "scorecard",
  title: "Scorecard",
  threshold: false,
  body: scorecardBody,
};

/** Adds `GET /reports/scorecard` to `app`. */
export function addScorecardPage(app: Hono, options: AppOptions): void {
  app.get(SCORECARD_PAGE.path, (c) => reportPage(c, options, SCORECARD_PAGE));
}
