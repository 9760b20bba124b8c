/**
 * `/`: the page a trader opens after the close. Is the service healthy, when do the jobs run
 * next, how did the last runs end, does the archive hold the last 20 trading days of every target
 * stock (the coverage grid), which stocks failed and why, how big is the archive, and what did
 * Scout decide and reject today.
 *
 * @module
 */
import type { Context, Hono } from "hono";
import type { Archivist, CollectionRunReport } from "../../db/archivist.ts";
import { COLLECTION_JOBS, type CollectionRunRow } from "../../db/schema.ts";
import { latestReadyTradeDate, recentTradingDays } from "../../collectors/dates.ts";
import { type CronSchedule, scheduledJobs } from "../../collectors/schedule.ts";
import { serviceStatus } from "../http/health.ts";
import type { AppOptions } from "../http/options.ts";
import { kstDate, kstIso } from "../time.ts";
import { Badge, type Column, DataTable, queryString, StockLabel } from "./components.tsx";
import {
  COVERAGE_DAYS,
  COVERAGE_STATES,
  type CoverageCell,
  coverageGrid,
  type CoverageRow,
  coverageTotals,
} from "./coverage.ts";
import { DECISION_COLUMNS, REJECTION_COLUMNS } from "./entry_columns.tsx";
import {
  browseDecisionsWithOutcomes,
  browseRejectionsWithOutcomes,
  regretThreshold,
} from "./entry_reads.ts";
import {
  formatBytes,
  formatInt,
  formatKstDateTime,
  formatKstMinute,
  formatKstSchedule,
  truncate,
} from "./format.ts";
import { Card, Page } from "./layout.tsx";
import { RUN_COLUMNS } from "./runs.tsx";

/** Entries of today shown on the overview (the rest are one click away). */
const TODAY_ROWS = 20;
/** Runs shown on the overview. */
const LAST_RUNS = 8;
/** Failures listed on the overview. */
const FAILURES_SHOWN = 50;

const STATE_LABELS: Record<CoverageCell["state"], string> = {
  complete: "complete: flows and minute bars",
  partial: "partial: flows or minute bars missing",
  halted: "halted: no trade that day",
  missing: "missing: nothing stored",
};

/** Columns of `columns` whose keys are in `keys`, in that order. */
function pick<Row>(columns: readonly Column<Row>[], keys: readonly string[]): Column<Row>[] {
  return keys.map((key) => columns.find((column) => column.key === key)!);
}

const TODAY_DECISION_COLUMNS = pick(DECISION_COLUMNS, [
  "decided_at",
  "stock",
  "final_decision",
  "hunter_score",
  "outcome_status",
  "final_reason",
]);
const TODAY_REJECTION_COLUMNS = pick(REJECTION_COLUMNS, [
  "logged_at",
  "stock",
  "rejection_stage",
  "hunter_score_at_time",
  "outcome_status",
  "rejection_reason",
]);
const OVERVIEW_RUN_COLUMNS = pick(RUN_COLUMNS, [
  "started_at",
  "job",
  "trade_date",
  "status",
  "stocks",
  "duration",
]);

/** A cell's tooltip: short for a complete day (most of the grid), every fact otherwise. */
function cellTitle(name: string | undefined, cell: CoverageCell): string {
  if (cell.state === "complete" && cell.failures.length === 0) return `${cell.tradeDate}: complete`;
  const { record } = cell;
  const bars = record.firstBar === null
    ? "no minute bars"
    : `minute bars from ${formatKstMinute(record.firstBar * 1000)}`;
  const flows = record.flow === null
    ? "no flows"
    : record.flow.investors
    ? `flows stored (volume ${formatInt(record.flow.volume)}주)`
    : "flows without investor figures";
  const errors = cell.failures.map((f) => `\n${f.job} failed: ${f.error}`).join("");
  return `${
    name ? `${name} ` : ""
  }${record.stockCode} · ${cell.tradeDate}: ${cell.state} · ${bars} · ${flows}${errors}`;
}

function CoverageGrid(
  props: {
    readonly rows: readonly CoverageRow[];
    readonly days: readonly string[];
    readonly names: ReadonlyMap<string, string>;
  },
) {
  const { rows, days, names } = props;
  if (rows.length === 0) {
    return (
      <p class="muted">
        No collection targets: add stocks with <code>deno task watchlist add</code>{" "}
        (stocks Scout rejected in the last 7 days are collected too).
      </p>
    );
  }
  return (
    <div class="table-wrap coverage-wrap">
      <table class="coverage" id="coverage" data-stocks={rows.length} data-days={days.length}>
        <thead>
          <tr>
            <th class="stock" scope="col">Stock</th>
            {days.map((day) => <th scope="col" title={day}>{day.slice(5)}</th>)}
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr data-stock={row.stockCode}>
              <th class="stock" scope="row">
                <StockLabel code={row.stockCode} name={names.get(row.stockCode)} />
              </th>
              {row.cells.map((cell) => (
                <td>
                  {/* Kept small: 200 stocks × 20 days are 4,000 of these. */}
                  <a
                    class={`cell ${cell.state}${cell.failures.length > 0 ? " failed" : ""}`}
                    href={`/stocks/${row.stockCode}?date=${cell.tradeDate}`}
                    title={cellTitle(names.get(row.stockCode), cell)}
                  >
                  </a>
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

interface Failure {
  readonly run: CollectionRunReport;
  readonly stockCode: string;
  readonly error: string;
}

function FailureTable(
  props: { readonly failures: readonly Failure[]; readonly names: ReadonlyMap<string, string> },
) {
  const columns: Column<Failure>[] = [
    { key: "trade_date", header: "Trade day", cell: (f) => f.run.trade_date },
    { key: "job", header: "Job", cell: (f) => f.run.job },
    {
      key: "stock",
      header: "Stock",
      cell: (f) => (
        <StockLabel
          code={f.stockCode}
          name={props.names.get(f.stockCode)}
          date={f.run.trade_date}
        />
      ),
    },
    { key: "error", header: "Error", text: true, cell: (f) => truncate(f.error, 400) },
    {
      key: "run",
      header: "Run",
      cell: (f) => (
        <a href={`/runs${queryString({ job: f.run.job, date: f.run.trade_date })}`}>
          {`${f.run.trigger}, ${formatKstDateTime(f.run.started_at)}`}
        </a>
      ),
    },
  ];
  return (
    <DataTable
      id="failures"
      columns={columns}
      rows={props.failures.slice(0, FAILURES_SHOWN)}
      empty="No stock failed in the newest run of any of these days."
    />
  );
}

async function overviewPage(c: Context, options: AppOptions) {
  const { archivist } = options;
  const now = (options.now ?? (() => new Date()))();
  const today = kstDate(now);
  const days = coverageDays(archivist, now);
  const targets = await archivist.collectionTargets(days[days.length - 1]);
  const todayFilter = { from: today, to: today, page: 1, pageSize: TODAY_ROWS };
  const [health, counts, size, lastRuns, records, runsOfDays, decisions, rejections] = await Promise
    .all([
      archivist.health(),
      archivist.archiveCounts(),
      archivist.databaseBytes(),
      archivist.listRuns({ limit: LAST_RUNS }),
      archivist.stockDayRecords(targets, days),
      archivist.latestRunsOfDays(days),
      browseDecisionsWithOutcomes(archivist, todayFilter),
      browseRejectionsWithOutcomes(archivist, todayFilter, regretThreshold(options)),
    ]);
  // The same verdict as /health: a page saying "ok" while Scout's writes fail would hide it.
  const status = serviceStatus(health);
  const failures: Failure[] = runsOfDays.flatMap((run) =>
    run.failures.map((f) => ({ run, stockCode: f.stock_code, error: f.error }))
  );
  const names = await archivist.stockNames([...targets, ...failures.map((f) => f.stockCode)]);
  const rows = coverageGrid(targets, days, records, runsOfDays);
  const gaps = (row: CoverageRow) => row.cells.filter((cell) => cell.state !== "complete").length;
  // Stocks with gaps first, so a problem is seen without scrolling through 200 rows.
  const sorted = [...rows].sort((a, b) =>
    gaps(b) - gaps(a) || a.stockCode.localeCompare(b.stockCode)
  );
  const totals = coverageTotals(rows);
  const collection = options.collection?.() ??
    { enabled: false, reason: "no collector runs in this process" };
  const jobs: { readonly job: string; readonly schedule: CronSchedule }[] = [
    ...(collection.enabled && options.schedule
      ? scheduledJobs({
        schedule: options.schedule,
        enabledJobs: options.enabledJobs ?? COLLECTION_JOBS,
      }).map((job) => ({ job: job.job, schedule: job }))
      : []),
    // The maintenance runs whether or not this process collects.
    ...(options.maintenance ? [{ job: "maintenance", schedule: options.maintenance }] : []),
  ];

  return c.html(
    <Page title="Overview" active="overview" loggedIn={options.token !== undefined}>
      <h1>
        Overview <span class="sub">{`${formatKstSchedule(kstIso(now))} KST`}</span>
      </h1>
      <div class="cards">
        <Card title="Health" id="health">
          <dl class="facts">
            <dt>Service</dt>
            <dd>
              <Badge kind={status}>{status}</Badge>
            </dd>
            {health.database !== "ok"
              ? (
                <>
                  <dt>Database</dt>
                  <dd class="up">
                    {`${health.database}${health.error ? `: ${health.error}` : ""}`}
                  </dd>
                </>
              )
              : null}
            {health.writes.status === "failing"
              ? (
                <>
                  <dt>Writes</dt>
                  <dd class="up">
                    {`failing${
                      health.writes.since
                        ? ` since ${formatKstDateTime(health.writes.since)} KST`
                        : ""
                    }: ${health.writes.cause ?? health.writes.fault ?? "see the log"}`}
                  </dd>
                </>
              )
              : health.readOnly
              ? (
                <>
                  <dt>Writes</dt>
                  <dd class="up">refused: the archive file is read-only for this service</dd>
                </>
              )
              : null}
            <dt>Schema</dt>
            <dd>{`version ${health.schemaVersion}`}</dd>
            <dt>Failed writes</dt>
            <dd>{`${formatInt(health.failedWrites)} since start`}</dd>
            <dt>Collection</dt>
            <dd>{collection.enabled ? "on" : `off: ${collection.reason ?? "not configured"}`}</dd>
            {health.calendar.warning
              ? (
                <>
                  <dt>Calendar</dt>
                  <dd class="up">{health.calendar.warning}</dd>
                </>
              )
              : null}
          </dl>
        </Card>
        <Card title="Next scheduled runs" id="schedule">
          {jobs.length > 0
            ? (
              <dl class="facts">
                {jobs.map(({ job, schedule }) => (
                  <>
                    <dt>{job}</dt>
                    <dd title={`${schedule.kst} KST (cron ${schedule.utcCron} UTC)`}>
                      {`${formatKstSchedule(schedule.nextRunKst(now))} KST`}
                    </dd>
                  </>
                ))}
              </dl>
            )
            : (
              <p class="muted">
                {collection.enabled
                  ? "This process schedules no job."
                  : "None: collection is off in this process."}
              </p>
            )}
        </Card>
        <Card title="Archive" id="counts">
          <dl class="facts">
            <dt>Decisions</dt>
            <dd>{formatInt(counts.decisions)}</dd>
            <dt>Rejections</dt>
            <dd>{formatInt(counts.rejections)}</dd>
            <dt>Flow rows</dt>
            <dd>{`${formatInt(counts.flowRows)} stock-days`}</dd>
            <dt>Watchlist</dt>
            <dd>{`${formatInt(counts.watchlistActive)} stocks`}</dd>
            <dt>Runs</dt>
            <dd>{formatInt(counts.runs)}</dd>
            <dt>Database</dt>
            <dd>{formatBytes(size)}</dd>
          </dl>
        </Card>
      </div>
      <Card
        title={
          <>
            Last runs <a class="sub" href="/runs">all runs →</a>
          </>
        }
        id="last-runs"
      >
        <DataTable
          id="runs"
          columns={OVERVIEW_RUN_COLUMNS}
          rows={lastRuns as CollectionRunRow[]}
          empty="No collection has run yet."
        />
      </Card>
      <Card
        title={`Coverage: ${
          formatInt(targets.length)
        } target stocks × last ${days.length} trading days`}
        id="coverage-card"
      >
        <div class="legend">
          {COVERAGE_STATES.map((state) => (
            <span>
              <i class={`cell ${state}`}></i>
              {`${STATE_LABELS[state]} (${formatInt(totals[state])})`}
            </span>
          ))}
          <span>
            <i class="cell missing failed"></i>red outline: the newest run failed the stock
          </span>
        </div>
        <CoverageGrid rows={sorted} days={days} names={names} />
      </Card>
      <Card title={`Failed stocks (${formatInt(failures.length)})`} id="failed-stocks">
        <FailureTable failures={failures} names={names} />
      </Card>
      <div class="cards">
        <Card
          title={
            <>
              {`Today's decisions (${formatInt(decisions.total)}) `}
              <a href={`/decisions${queryString({ from: today, to: today })}`}>all →</a>
            </>
          }
          id="today-decisions"
        >
          <DataTable
            id="today-decisions-table"
            columns={TODAY_DECISION_COLUMNS}
            rowKey={(row) => row.log_id}
            rows={decisions.rows}
            empty="Scout logged no decision today."
          />
        </Card>
        <Card
          title={
            <>
              {`Today's rejections (${formatInt(rejections.total)}) `}
              <a href={`/rejections${queryString({ from: today, to: today })}`}>all →</a>
            </>
          }
          id="today-rejections"
        >
          <DataTable
            id="today-rejections-table"
            columns={TODAY_REJECTION_COLUMNS}
            rowKey={(row) => row.log_id}
            rows={rejections.rows}
            empty="Scout logged no rejection today."
          />
        </Card>
      </div>
    </Page>,
  );
}

/** Adds `GET /` to `app`. */
export function addOverviewPage(app: Hono, options: AppOptions): void {
  app.get("/", (c) => overviewPage(c, options));
}

/** The trading days the coverage grid shows at `now`: the last 20 whose flows are final. */
export function coverageDays(archivist: Archivist, now: Date): string[] {
  return recentTradingDays(latestReadyTradeDate("flow", now, archivist), COVERAGE_DAYS, archivist);
}
