/**
 * `/runs`: the collection runs, newest first, with status, counts, duration and each failed stock
 * with its error; filtered by job and trade day.
 *
 * @module
 */
import type { Context, Hono } from "hono";
import type { Child } from "hono/jsx";
import type { CollectionRunReport } from "../../db/archivist.ts";
import { COLLECTION_JOBS, type CollectionRunRow } from "../../db/schema.ts";
import type { AppOptions } from "../http/options.ts";
import { Badge, type Column, DataTable, FilterErrors, StockLabel } from "./components.tsx";
import { formatDuration, formatInt, formatKstDateTime, NONE, truncate } from "./format.ts";
import { Card, Page } from "./layout.tsx";
import { issueLines, runsQuerySchema } from "./queries.ts";

/** Runs listed on the page. */
export const RUNS_SHOWN = 100;

/** The columns of a run table (the failures column needs the runs' failures). */
export const RUN_COLUMNS: readonly Column<CollectionRunRow>[] = [
  {
    key: "started_at",
    header: "Started (KST)",
    cell: (run) => <time datetime={run.started_at}>{formatKstDateTime(run.started_at)}</time>,
  },
  { key: "job", header: "Job", cell: (run) => run.job },
  { key: "trade_date", header: "Trade day", cell: (run) => run.trade_date },
  { key: "trigger", header: "Trigger", cell: (run) => run.trigger },
  { key: "status", header: "Status", cell: (run) => <Badge kind={run.status} /> },
  {
    key: "stocks",
    header: "Stocks done / total",
    numeric: true,
    cell: (run) => `${formatInt(run.stocks_done)} / ${formatInt(run.stocks_total)}`,
  },
  {
    key: "stocks_failed",
    header: "Failed",
    numeric: true,
    cell: (run) =>
      run.stocks_failed > 0
        ? <span class="up">{formatInt(run.stocks_failed)}</span>
        : formatInt(run.stocks_failed),
  },
  {
    key: "rows_written",
    header: "Rows written",
    numeric: true,
    cell: (run) => formatInt(run.rows_written),
  },
  { key: "kis_calls", header: "KIS calls", numeric: true, cell: (run) => formatInt(run.kis_calls) },
  {
    key: "duration",
    header: "Duration",
    numeric: true,
    cell: (run) => formatDuration(run.started_at, run.finished_at),
  },
  {
    key: "reason",
    header: "Reason",
    text: true,
    cell: (run) => <span title={run.reason ?? undefined}>{truncate(run.reason, 200)}</span>,
  },
];

function failuresColumn(names: ReadonlyMap<string, string>): Column<CollectionRunReport> {
  return {
    key: "failures",
    header: "Failed stocks",
    text: true,
    cell: (run) =>
      run.failures.length === 0 ? NONE : (
        <details>
          <summary>{`${run.failures.length} stock${run.failures.length === 1 ? "" : "s"}`}</summary>
          <ul>
            {run.failures.map((f) => (
              <li>
                <StockLabel
                  code={f.stock_code}
                  name={names.get(f.stock_code)}
                  date={run.trade_date}
                />
                {`: ${f.error}`}
              </li>
            ))}
          </ul>
        </details>
      ),
  };
}

async function runsPage(c: Context, options: AppOptions) {
  const raw = c.req.query();
  const parsed = runsQuerySchema.safeParse(raw);
  const form = (
    <form class="filters" method="get" action="/runs">
      <label>
        Job
        <select name="job">
          <option value="">all</option>
          {COLLECTION_JOBS.map((job) => (
            <option value={job} selected={raw.job === job}>{job}</option>
          ))}
        </select>
      </label>
      <label>
        Trade day
        <input type="date" name="date" value={raw.date ?? ""} />
      </label>
      <button type="submit">Filter</button>
      <a href="/runs">Clear</a>
    </form>
  );
  const frame = (status: 200 | 400, body: Child) =>
    c.html(
      <Page title="Runs" active="runs" loggedIn={options.token !== undefined}>
        <h1>
          Collection runs <span class="sub">{`newest ${RUNS_SHOWN} first`}</span>
        </h1>
        <Card>
          {form}
          {body}
        </Card>
      </Page>,
      status,
    );
  if (!parsed.success) {
    return frame(400, <FilterErrors lines={issueLines(parsed.error.issues)} />);
  }
  const runs = await options.archivist.listRuns({
    limit: RUNS_SHOWN,
    job: parsed.data.job,
    tradeDate: parsed.data.date,
  });
  const names = await options.archivist.stockNames(
    runs.flatMap((run) => run.failures.map((f) => f.stock_code)),
  );
  return frame(
    200,
    <DataTable
      id="runs"
      columns={[...RUN_COLUMNS, failuresColumn(names)]}
      rows={runs}
      empty="No run matches: collection has not run yet, or not for this job and day."
    />,
  );
}

/** Adds `GET /runs` to `app`. */
export function addRunsPage(app: Hono, options: AppOptions): void {
  app.get("/runs", (c) => runsPage(c, options));
}
