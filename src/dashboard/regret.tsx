/**
 * `/reports/regret?from=&to=&threshold_pct=`: the regret report (`docs/outcomes.md`) of the
 * rejections in a range of KST days: how many could be evaluated, how many were regrets (the next
 * 5 trading days' high reached the threshold) or good rejections, by stage as bars and a table,
 * by reason, and the 20 largest 5-day highs.
 *
 * @module
 */
import type { Hono } from "hono";
import type { RegretCounts, RegretReport, RejectionOutcome } from "../../db/archivist.ts";
import type { AppOptions } from "../http/options.ts";
import { Badge, type Column, countColumn, DataTable } from "./components.tsx";
import { rejectionColumns, rejectionReasonColumn, whenAndWhat } from "./entry_columns.tsx";
import { regretThreshold } from "./entry_reads.ts";
import { formatInt, formatRate, NONE } from "./format.ts";
import { Card } from "./layout.tsx";
import {
  BarChart,
  rangeText,
  type ReportPage,
  reportPage,
  type ReportQuery,
  reportSource,
} from "./report_parts.tsx";

/** The counts of a group of rejections, as columns. */
function regretCountColumns<Row extends RegretCounts>(): Column<Row>[] {
  return [
    countColumn("rejections", "Rejections"),
    countColumn(
      "evaluated",
      "Evaluated",
      "Rejections whose next 5 trading days are all archived (5d max high known)",
    ),
    countColumn(
      "regrets",
      "Regrets",
      "Evaluated rejections whose 5d max high reached the threshold",
    ),
    countColumn(
      "good_rejections",
      "Good rejections",
      "Evaluated rejections without regret whose 5-day return is 0 or below",
    ),
    {
      key: "regret_rate",
      header: "Regret rate",
      title: "Regrets ÷ evaluated",
      numeric: true,
      cell: (row) => formatRate(row.regret_rate),
    },
  ];
}

const BY_STAGE_COLUMNS: Column<RegretReport["by_stage"][number]>[] = [
  {
    key: "rejection_stage",
    header: "Stage",
    cell: (row) => row.rejection_stage ? <Badge kind={row.rejection_stage} /> : NONE,
  },
  ...regretCountColumns(),
];

const BY_REASON_COLUMNS: Column<RegretReport["by_reason"][number]>[] = [
  rejectionReasonColumn(),
  ...regretCountColumns(),
];

const TOP_COLUMNS: Column<RejectionOutcome>[] = [
  ...whenAndWhat<RejectionOutcome>("logged_at", "Rejected (KST)"),
  ...rejectionColumns<RejectionOutcome>((row) => row),
  rejectionReasonColumn(),
];

async function regretBody(options: AppOptions, query: ReportQuery) {
  const thresholdPct = query.threshold_pct ?? regretThreshold(options);
  const report = await options.archivist.regretReport({
    from: query.from,
    to: query.to,
    thresholdPct,
  });
  const source = reportSource("/v1/reports/regret", { ...query, threshold_pct: thresholdPct });
  return (
    <>
      <Card title={`${rangeText(query.from, query.to)} · threshold ${thresholdPct}%`} id="summary">
        <dl class="facts" id="regret-summary">
          <dt>Rejections</dt>
          <dd data-field="rejections">{formatInt(report.rejections)}</dd>
          <dt>Evaluated</dt>
          <dd data-field="evaluated">
            {`${formatInt(report.evaluated)} (the next 5 trading days archived)`}
          </dd>
          <dt>Regrets</dt>
          <dd data-field="regrets">
            {`${formatInt(report.regrets)} (the 5-day high rose ${thresholdPct}% or more)`}
          </dd>
          <dt>Good rejections</dt>
          <dd data-field="good_rejections">
            {`${formatInt(report.good_rejections)} (no regret, and 0% or less after 5 days)`}
          </dd>
          <dt>Regret rate</dt>
          <dd data-field="regret_rate">{`${formatRate(report.regret_rate)} of evaluated`}</dd>
        </dl>
      </Card>
      <Card title="By stage" id="by-stage">
        <BarChart<RegretReport, "by_stage">
          id="regret-chart"
          source={source}
          label="Regret rate and rejections by stage"
          spec={{
            rows: "by_stage",
            label: ["rejection_stage"],
            panes: [
              {
                field: "regret_rate",
                title: "Regret rate",
                scale: 100,
                unit: "%",
                colour: "#c2410c",
              },
              {
                field: "rejections",
                title: "Rejections",
                unit: "",
                decimals: 0,
                colour: "#9aa3af",
              },
            ],
          }}
        />
        <DataTable
          id="regret-by-stage"
          columns={BY_STAGE_COLUMNS}
          rowKey={(row) => row.rejection_stage ?? "none"}
          rows={report.by_stage}
          empty="No rejection in this range."
        />
      </Card>
      <Card title="By reason (the 20 most frequent)" id="by-reason">
        <DataTable
          id="regret-by-reason"
          columns={BY_REASON_COLUMNS}
          rowKey={(row) => row.rejection_reason ?? ""}
          rows={report.by_reason}
          empty="No rejection in this range."
        />
      </Card>
      <Card title="The 20 largest 5-day highs" id="top">
        <DataTable
          id="regret-top"
          columns={TOP_COLUMNS}
          rowKey={(row) => row.log_id}
          rows={report.top}
          empty="No rejection in this range has its next 5 trading days archived yet."
        />
        <p class="chart-note">
          Returns and highs in percent of the reference close (the adjusted close of the trade day);
          red up, blue down.
        </p>
      </Card>
    </>
  );
}

/** The regret report page. */
export const REGRET_PAGE: ReportPage = {
  path: "/reports/regret",
  nav: "regret",
  title: "Regret report",
  threshold: true,
  body: regretBody,
};

/** Adds `GET /reports/regret` to `app`. */
export function addRegretPage(app: Hono, options: AppOptions): void {
  app.get(REGRET_PAGE.path, (c) => reportPage(c, options, REGRET_PAGE));
}
