/**
 * What the report pages share: the range form (KST days, and the regret threshold where it
 * applies), the frame that refuses bad input with a 400 naming the field, and the bar charts the
 * browser draws from the report's JSON route (`charts.js`, `data-chart="bars"`), typed against the
 * report so a chart can only name figures the report has.
 *
 * @module
 */
import type { Context } from "hono";
import type { Child } from "hono/jsx";
import type { AppOptions } from "../http/options.ts";
import { DateRangeFields, FilterErrors, queryString } from "./components.tsx";
import { regretThreshold } from "./entry_reads.ts";
import { Card, type NavKey, Page } from "./layout.tsx";
import { issueLines, reportQuerySchema } from "./queries.ts";

/** The keys of `Report` that hold a list of rows. */
type RowsKey<Report> =
  & {
    [K in keyof Report]: Report[K] extends readonly unknown[] ? K : never;
  }[keyof Report]
  & string;

/** A row of the list `Report[K]`. */
type RowOf<Report, K extends RowsKey<Report>> = Report[K] extends readonly (infer Row)[] ? Row
  : never;

/** The keys of `Row` that hold a figure. */
export type FigureKey<Row> =
  & { [K in keyof Row]-?: Row[K] extends number | null ? K : never }[keyof Row]
  & string;

/** One pane of a bar chart: the figure `field` of every row. */
export interface BarPane<Field extends string> {
  readonly field: Field;
  /** The pane's title, drawn in its corner. */
  readonly title: string;
  /** Multiplies the figure (100 turns a fraction into percent). */
  readonly scale?: number;
  /** Written after each value, e.g. `%`. */
  readonly unit: string;
  /** Decimals shown (default 1; 0 for counts). */
  readonly decimals?: number;
  /** A CSS colour, or `sign`: red at or above 0, blue below. */
  readonly colour: string;
}

/** A bar chart of the rows `Report[rows]`, one category per row. */
export interface BarsSpec<Report, K extends RowsKey<Report>> {
  readonly rows: K;
  /** The fields joined into a category's label (null shown as `(none)`). */
  readonly label: readonly (keyof RowOf<Report, K> & string)[];
  readonly panes: readonly BarPane<FigureKey<RowOf<Report, K>>>[];
}

/** A bar chart of a report: `source` is the report's JSON URL. */
export function BarChart<Report, K extends RowsKey<Report>>(
  props: {
    readonly id: string;
    readonly source: string;
    readonly spec: BarsSpec<Report, K>;
    /** What the chart shows, for screen readers. */
    readonly label: string;
  },
) {
  return (
    <div
      class={`chart bars panes-${props.spec.panes.length}`}
      id={props.id}
      data-chart="bars"
      data-source={props.source}
      data-bars={JSON.stringify(props.spec)}
      data-state="loading"
      role="img"
      aria-label={props.label}
    >
    </div>
  );
}

/** A report's range as words: `all entries`, `from 2026-11-02`, `2026-11-02 – 2026-11-27`. */
export function rangeText(from: string | undefined, to: string | undefined): string {
  if (from && to) return `${from} – ${to}`;
  if (from) return `from ${from}`;
  if (to) return `up to ${to}`;
  return "all entries";
}

/** A report page's parsed query. */
export interface ReportQuery {
  readonly from?: string;
  readonly to?: string;
  readonly threshold_pct?: number;
}

/** What a report page is. */
export interface ReportPage {
  readonly path: string;
  readonly nav: NavKey;
  readonly title: string;
  /** Whether the form asks for the regret threshold. */
  readonly threshold: boolean;
  /** The page's content for `query`. */
  body(options: AppOptions, query: ReportQuery): Promise<Child>;
}

function ReportForm(
  props: {
    readonly page: ReportPage;
    readonly values: Record<string, string>;
    readonly thresholdPct: number;
  },
) {
  const { page, values } = props;
  return (
    <form class="filters" method="get" action={page.path}>
      <DateRangeFields values={values} />
      {page.threshold
        ? (
          <label>
            Regret threshold (%)
            <input
              type="number"
              name="threshold_pct"
              value={values.threshold_pct ?? ""}
              placeholder={String(props.thresholdPct)}
              min="0.1"
              max="1000"
              step="0.1"
              inputmode="decimal"
            />
          </label>
        )
        : null}
      <button type="submit">Show</button>
      <a href={page.path}>Clear</a>
    </form>
  );
}

/**
 * Answers `GET page.path`: the form, then the page's content, or a 400 that names each refused
 * field (and reads nothing).
 */
export async function reportPage(c: Context, options: AppOptions, page: ReportPage) {
  const raw = c.req.query();
  const parsed = reportQuerySchema.safeParse(raw);
  const frame = (status: 200 | 400, body: Child) =>
    c.html(
      <Page
        title={page.title}
        active={page.nav}
        loggedIn={options.token !== undefined}
        scripts={["lightweight-charts.js", "charts.js"]}
      >
        <h1>{page.title}</h1>
        <Card>
          <ReportForm page={page} values={raw} thresholdPct={regretThreshold(options)} />
          {status === 400 ? body : null}
        </Card>
        {status === 200 ? body : null}
      </Page>,
      status,
    );
  if (!parsed.success) return frame(400, <FilterErrors lines={issueLines(parsed.error.issues)} />);
  return frame(200, await page.body(options, parsed.data));
}

/** The JSON route of a report with the page's query, e.g. `/v1/reports/regret?from=…`. */
export function reportSource(route: string, query: ReportQuery): string {
  return route +
    queryString({ from: query.from, to: query.to, threshold_pct: query.threshold_pct });
}
