/**
 * `/stocks/{code}?date=`: one stock. A year of adjusted daily candles with volume and a marker
 * for each of its decisions and rejections (on its trade day; a click on a candle opens that
 * day); the chosen day's 1-minute candles with a marker at the minute of each decision and
 * rejection of that day (listed under the chart too, so tests and screen readers see them); the
 * day's flows in figures; investor and program net buying of the last three months as bars; and
 * the stock's decisions and rejections with their outcomes. The charts read the JSON API
 * (`/v1/daily-prices`, `/v1/outcomes/*`, `/v1/minute-bars`, `/v1/market-flow`) from the browser.
 *
 * The page is a list of sections, in order.
 *
 * @module
 */
import type { Context, Hono } from "hono";
import type { Child } from "hono/jsx";
import { latestReadyTradeDate } from "../../collectors/dates.ts";
import type { DecisionRow, FlowSnapshotRow, ShadowRadarRow } from "../../db/schema.ts";
import type { AppOptions } from "../http/options.ts";
import { isStockCode } from "../stock_code.ts";
import { addDays } from "../time.ts";
import { DataTable, queryString } from "./components.tsx";
import { DECISION_COLUMNS, REJECTION_COLUMNS, withoutStock } from "./entry_columns.tsx";
import {
  browseDecisionsWithOutcomes,
  browseRejectionsWithOutcomes,
  regretThreshold,
} from "./entry_reads.ts";
import {
  formatInt,
  formatKrw,
  formatKrwCompact,
  formatKstDateTime,
  formatKstMinute,
  formatScore,
  formatSignedShares,
  signClass,
} from "./format.ts";
import { Card, Page } from "./layout.tsx";
import { issueLines, stockQuerySchema } from "./queries.ts";

/** Entries of the stock shown in its tables (the rest are one click away). */
const ENTRY_ROWS = 50;
/** Calendar days of flows in the net-buying chart (about three months of trading days). */
const FLOW_CHART_DAYS = 92;
/** Calendar days of daily candles in the daily chart: a year. */
const DAILY_CHART_DAYS = 365;
/** Calendar days the daily chart shows at least before the chosen day, when that is old. */
const DAILY_CHART_LEAD_DAYS = 92;
/** Entries read per request by the daily chart (it follows `next_cursor` for more). */
const MARKER_PAGE = 1000;

/** The days the daily chart covers: from the chosen day's quarter or year to the last candle. */
export function dailyChartRange(
  date: string,
  lastCandle: string | null,
): { readonly from: string; readonly to: string } {
  const to = lastCandle !== null && lastCandle > date ? lastCandle : date;
  const yearBack = addDays(to, -DAILY_CHART_DAYS);
  const lead = addDays(date, -DAILY_CHART_LEAD_DAYS);
  return { from: lead < yearBack ? lead : yearBack, to };
}

/** A marker on the minute chart: one decision or rejection. */
export interface ChartMarker {
  /** Unix seconds of the minute it happened in. */
  readonly time: number;
  /** The decision, or `REJECT`. */
  readonly kind: DecisionRow["final_decision"] | "REJECT";
  /** What the marker says when pointed at. */
  readonly label: string;
}

/** The markers of a day's decisions and rejections, in time order. */
export function chartMarkers(
  decisions: readonly DecisionRow[],
  rejections: readonly ShadowRadarRow[],
): ChartMarker[] {
  const minute = (instant: string) => Math.floor(Date.parse(instant) / 60_000) * 60;
  return [
    ...decisions.map((d) => ({
      time: minute(d.decided_at),
      kind: d.final_decision,
      label: `${formatKstMinute(d.decided_at)} ${d.final_decision} (score ${
        formatScore(d.hunter_score)
      })`,
    })),
    ...rejections.map((r) => ({
      time: minute(r.logged_at),
      kind: "REJECT" as const,
      label: `${formatKstMinute(r.logged_at)} rejected${
        r.rejection_stage ? ` by ${r.rejection_stage}` : ""
      } (score ${formatScore(r.hunter_score_at_time)})`,
    })),
  ].sort((a, b) => a.time - b.time);
}

function FlowFacts(props: { readonly row: FlowSnapshotRow | undefined; readonly date: string }) {
  const { row } = props;
  if (!row) return <p class="muted">{`No flow row is stored for ${props.date}.`}</p>;
  const net = (shares: number | null, krw: number | null) => (
    <span class={signClass(krw ?? shares)}>
      {`${formatSignedShares(shares)} · ${formatKrwCompact(krw)}`}
    </span>
  );
  return (
    <dl class="facts" id="day-flows">
      <dt>Close</dt>
      <dd>{formatKrw(row.close_price)}</dd>
      <dt>Volume</dt>
      <dd>{`${formatInt(row.volume)}주`}</dd>
      <dt>Foreign</dt>
      <dd>{net(row.foreign_net_buy, row.foreign_net_buy_value)}</dd>
      <dt>Institution</dt>
      <dd>{net(row.institution_net_buy, row.institution_net_buy_value)}</dd>
      <dt>Individual</dt>
      <dd>{net(row.individual_net_buy, row.individual_net_buy_value)}</dd>
      <dt>Program</dt>
      <dd>
        {row.program_net_buy === null && row.program_net_buy_value === null
          ? "not offered by this KIS environment"
          : net(row.program_net_buy, row.program_net_buy_value)}
      </dd>
      <dt>Stored</dt>
      <dd>{`${formatKstDateTime(row.updated_at)} KST`}</dd>
    </dl>
  );
}

function invalid(c: Context, options: AppOptions, title: string, lines: readonly string[]) {
  return c.html(
    <Page title={title} loggedIn={options.token !== undefined}>
      <h1>{title}</h1>
      <div class="error-box" role="alert">
        <ul>{lines.map((line) => <li>{line}</li>)}</ul>
      </div>
    </Page>,
    400,
  );
}

async function stockPage(c: Context, options: AppOptions) {
  const { archivist } = options;
  const code = c.req.param("code")!.toUpperCase();
  if (!isStockCode(code)) {
    return invalid(c, options, "Not a stock code", [
      `${JSON.stringify(c.req.param("code"))} is not a KRX stock code: expected 6 characters ` +
      "such as 005930 (or Q and 6 digits for an ETN).",
    ]);
  }
  const parsed = stockQuerySchema.safeParse(c.req.query());
  if (!parsed.success) {
    return invalid(c, options, "Bad date", issueLines(parsed.error.issues));
  }
  const now = (options.now ?? (() => new Date()))();
  // Without a date: the stock's latest day with minute bars, else the latest final session.
  const date = parsed.data.date ??
    (await archivist.barDays(code)).latest ??
    latestReadyTradeDate("intraday", now, archivist);
  const dayFilter = { stockCode: code, from: date, to: date, limit: 1000 };
  const stockFilter = { stockCode: code, page: 1, pageSize: ENTRY_ROWS };
  const [names, days, flows, dayDecisions, dayRejections, decisions, rejections, watched, span] =
    await Promise.all([
      archivist.stockNames([code]),
      archivist.barDays(code, date),
      archivist.flowSnapshots(code, date, date),
      archivist.listDecisions(dayFilter),
      archivist.listRejections(dayFilter),
      browseDecisionsWithOutcomes(archivist, stockFilter),
      browseRejectionsWithOutcomes(archivist, stockFilter, regretThreshold(options)),
      archivist.watchlist(),
      archivist.dailyPriceSpan(code),
    ]);
  const name = names.get(code);
  const markers = chartMarkers(dayDecisions.items, dayRejections.items);
  const label = name ? `${name} ${code}` : code;
  const onWatchlist = watched.some((row) => row.stock_code === code);
  const daily = dailyChartRange(date, span?.last ?? null);
  // Markers: every entry from the chart's first day on (one after the last candle sits on it).
  const entries = (kind: "decisions" | "rejections") =>
    `/v1/outcomes/${kind}${
      queryString({ stock_code: code, from: daily.from, limit: MARKER_PAGE })
    }`;

  const sections: Child[] = [
    <Card title={`Daily candles · ${daily.from} – ${daily.to}`} id="daily">
      <p class="chart-legend" id="daily-legend" aria-live="polite">
        Point at a candle for its prices and Scout's entries of that day; click it to open the day's
        minute chart.
      </p>
      <div
        class="chart"
        id="daily-chart"
        data-chart="daily"
        data-source={`/v1/daily-prices/${code}${queryString(daily)}`}
        data-decisions={entries("decisions")}
        data-rejections={entries("rejections")}
        data-day={date}
        data-day-link={`/stocks/${code}?date=`}
        data-state="loading"
        role="img"
        aria-label={`Adjusted daily candles of ${label} from ${daily.from} to ${daily.to}, with ` +
          "Scout's decisions and rejections"}
      >
      </div>
      <p class="chart-note">
        Adjusted prices (수정주가) in KRW (원), volume in shares (주); red rises, blue falls; the
        chosen day's volume bar is dark. A marker sits on each entry's trade day: ▲ BUY, ▼ SELL, ●
        HOLD or no decision, ■ rejection (one logged after the last stored candle sits on it).
      </p>
      <p class="markers-summary" id="daily-markers">Markers: loading…</p>
    </Card>,
    <div class="day-nav">
      {days.previous
        ? <a href={`/stocks/${code}?date=${days.previous}`} rel="prev">{`‹ ${days.previous}`}</a>
        : <span class="muted">‹ no earlier bars</span>}
      <form method="get" action={`/stocks/${code}`}>
        <input type="date" name="date" value={date} aria-label="trading day" />
        <button class="button" type="submit">Show</button>
      </form>
      {days.next
        ? <a href={`/stocks/${code}?date=${days.next}`} rel="next">{`${days.next} ›`}</a>
        : <span class="muted">no later bars ›</span>}
    </div>,
    <Card title={`1-minute candles · ${date}`} id="minute">
      <div
        class="chart"
        id="minute-chart"
        data-chart="minute"
        data-source={`/v1/minute-bars/${code}?date=${date}`}
        data-markers={JSON.stringify(markers)}
        data-state="loading"
        role="img"
        aria-label={`1-minute candles of ${label} on ${date}`}
      >
      </div>
      <p class="chart-note">
        Prices in KRW (원), volume in shares (주); red rises, blue falls. Markers: ▲ BUY, ▼ SELL, ●
        HOLD or no decision, ■ rejection.
      </p>
      <ol class="markers" id="markers" data-count={markers.length}>
        {markers.map((marker) => (
          <li data-kind={marker.kind} data-time={marker.time}>{marker.label}</li>
        ))}
      </ol>
    </Card>,
    <Card title={`Flows on ${date}`} id="flows-day">
      <FlowFacts row={flows[0]} date={date} />
    </Card>,
    <Card title="Net buying by investor and program" id="flows">
      <div
        class="chart flows"
        id="flow-chart"
        data-chart="flows"
        data-source={`/v1/market-flow/${code}${
          queryString({ from: addDays(date, -FLOW_CHART_DAYS), to: date })
        }`}
        data-state="loading"
        role="img"
        aria-label={`Daily net buying of ${label} up to ${date}`}
      >
      </div>
      <p class="chart-note">
        Daily net buying in 억원 (100 million KRW), three months up to{" "}
        {date}: red net buying, blue net selling.
      </p>
    </Card>,
    <Card
      title={
        <>
          {`Decisions (${formatInt(decisions.total)}) `}
          <a href={`/decisions${queryString({ stock: code })}`}>all →</a>
        </>
      }
      id="stock-decisions"
    >
      <DataTable
        id="stock-decisions-table"
        columns={withoutStock(DECISION_COLUMNS)}
        rowKey={(row) => row.log_id}
        rows={decisions.rows}
        empty="Scout logged no decision on this stock."
      />
    </Card>,
    <Card
      title={
        <>
          {`Rejections (${formatInt(rejections.total)}) `}
          <a href={`/rejections${queryString({ stock: code })}`}>all →</a>
        </>
      }
      id="stock-rejections"
    >
      <DataTable
        id="stock-rejections-table"
        columns={withoutStock(REJECTION_COLUMNS)}
        rowKey={(row) => row.log_id}
        rows={rejections.rows}
        empty="Scout logged no rejection of this stock."
      />
    </Card>,
  ];

  return c.html(
    <Page
      title={label}
      loggedIn={options.token !== undefined}
      scripts={["lightweight-charts.js", "charts.js"]}
    >
      <h1>
        {name ?? code} <span class="sub">{code}</span>
        <span class="sub">{onWatchlist ? "on the watchlist" : "not on the watchlist"}</span>
      </h1>
      {sections}
    </Page>,
  );
}

/** Adds `GET /stocks/{code}` to `app`. */
export function addStockPage(app: Hono, options: AppOptions): void {
  app.get("/stocks/:code", (c) => stockPage(c, options));
}
