/**
 * `/decisions` and `/rejections`: Scout's entries newest first, 100 a page, each with its outcome
 * (what the price did after it), filtered by dates (KST days of the entry), stock (code or part of
 * the name), decision or stage, and the outcome's status. Both pages share this module; each only
 * says what differs.
 *
 * @module
 */
import type { Context, Hono } from "hono";
import type { Child } from "hono/jsx";
import type { EntryBrowseFilter, EntryBrowsePage } from "../../db/archivist.ts";
import {
  FINAL_DECISIONS,
  type FinalDecision,
  OUTCOME_STATUSES,
  REJECTION_STAGES,
  type RejectionStage,
} from "../../db/schema.ts";
import type { AppOptions } from "../http/options.ts";
import {
  type Column,
  DataTable,
  DateRangeFields,
  FilterErrors,
  Pager,
  queryString,
} from "./components.tsx";
import {
  DECISION_COLUMNS,
  type DecisionTableRow,
  REJECTION_COLUMNS,
  type RejectionTableRow,
} from "./entry_columns.tsx";
import {
  browseDecisionsWithOutcomes,
  browseRejectionsWithOutcomes,
  regretThreshold,
} from "./entry_reads.ts";
import { Card, type NavKey, Page } from "./layout.tsx";
import { entryQuerySchema, issueLines, stockFilterOf } from "./queries.ts";

/** Rows on one page of a listing. */
export const ENTRY_PAGE_SIZE = 100;

/** One listing page: what it lists and how. */
export interface EntryListing<Row extends { readonly log_id: number }, Kind extends string> {
  readonly path: string;
  readonly nav: NavKey;
  readonly title: string;
  /** Plural noun, e.g. `decisions`. */
  readonly noun: string;
  /** The listing's own filter: a query parameter over an enum column. */
  readonly kind: {
    readonly param: string;
    readonly label: string;
    readonly values: readonly [Kind, ...Kind[]];
  };
  readonly columns: readonly Column<Row>[];
  /** What the outcome columns mean, under the table. */
  note(options: AppOptions): string;
  /** One page of rows with their outcomes, newest first. */
  browse(
    options: AppOptions,
    filter: EntryBrowseFilter,
    kind: Kind | undefined,
  ): Promise<EntryBrowsePage<Row>>;
}

/** The opening of both listings' notes: what the returns are measured against. */
const RETURNS_NOTE = "Returns: from the reference close (the adjusted close of the trade day D) " +
  "to the close 1, 5 and 20 trading days later, in percent; red up, blue down; – until that day " +
  "is archived.";

/** The decisions page. */
export const DECISION_LISTING: EntryListing<DecisionTableRow, FinalDecision> = {
  path: "/decisions",
  nav: "decisions",
  title: "Decisions",
  noun: "decisions",
  kind: { param: "decision", label: "Decision", values: FINAL_DECISIONS },
  columns: DECISION_COLUMNS,
  note: () =>
    `${RETURNS_NOTE} Edge: the return for BUY, minus it for SELL (positive: the call was ` +
    "right); none for HOLD and NO_DECISION.",
  browse: (options, filter, finalDecision) =>
    browseDecisionsWithOutcomes(options.archivist, { ...filter, finalDecision }),
};

/** The rejections page. */
export const REJECTION_LISTING: EntryListing<RejectionTableRow, RejectionStage> = {
  path: "/rejections",
  nav: "rejections",
  title: "Rejections",
  noun: "rejections",
  kind: { param: "stage", label: "Stage", values: REJECTION_STAGES },
  columns: REJECTION_COLUMNS,
  note: (options) =>
    `${RETURNS_NOTE} 5d max high / min low: the highest high and lowest low of the next 5 ` +
    `trading days, in percent. Regret: the 5d max high reached ${
      regretThreshold(options)
    }%; good rejection: no regret and a 5-day return of 0 or below; vol shock: a volume of the ` +
    "next 5 days at least 3 × the mean of the 20 days before.",
  browse: (options, filter, rejectionStage) =>
    browseRejectionsWithOutcomes(
      options.archivist,
      { ...filter, rejectionStage },
      regretThreshold(options),
    ),
};

function FilterForm<Kind extends string>(
  props: {
    readonly listing: EntryListing<{ readonly log_id: number }, Kind>;
    readonly values: Record<string, string>;
  },
) {
  const { listing, values } = props;
  return (
    <form class="filters" method="get" action={listing.path}>
      <DateRangeFields values={values} />
      <label>
        Stock (code or name)
        <input
          type="search"
          name="stock"
          value={values.stock ?? ""}
          placeholder="005930 or 삼성"
          maxlength={40}
        />
      </label>
      <label>
        {listing.kind.label}
        <select name={listing.kind.param}>
          <option value="">all</option>
          {listing.kind.values.map((value) => (
            <option value={value} selected={values[listing.kind.param] === value}>{value}</option>
          ))}
        </select>
      </label>
      <label>
        Outcome
        <select name="status">
          <option value="">all</option>
          {OUTCOME_STATUSES.map((status) => (
            <option value={status} selected={values.status === status}>{status}</option>
          ))}
        </select>
      </label>
      <button type="submit">Filter</button>
      <a href={listing.path}>Clear</a>
    </form>
  );
}

async function listingPage<Row extends { readonly log_id: number }, Kind extends string>(
  c: Context,
  options: AppOptions,
  listing: EntryListing<Row, Kind>,
) {
  const raw = c.req.query();
  const parsed = entryQuerySchema(listing.kind).safeParse({
    ...raw,
    kind: raw[listing.kind.param],
  });
  const frame = (status: 200 | 400, body: Child) =>
    c.html(
      <Page title={listing.title} active={listing.nav} loggedIn={options.token !== undefined}>
        <h1>{listing.title}</h1>
        <Card>
          <FilterForm listing={listing} values={raw} />
          {body}
        </Card>
      </Page>,
      status,
    );
  if (!parsed.success) {
    return frame(
      400,
      <FilterErrors lines={issueLines(parsed.error.issues, { kind: listing.kind.param })} />,
    );
  }
  const query = parsed.data;
  const { rows, total } = await listing.browse(options, {
    ...stockFilterOf(query.stock),
    from: query.from,
    to: query.to,
    outcomeStatus: query.status,
    page: query.page,
    pageSize: ENTRY_PAGE_SIZE,
  }, query.kind);
  const href = (page: number) =>
    listing.path + queryString({
      from: query.from,
      to: query.to,
      stock: query.stock,
      [listing.kind.param]: query.kind,
      status: query.status,
      page: page === 1 ? undefined : page,
    });
  return frame(
    200,
    <>
      <DataTable
        id="entries"
        columns={listing.columns}
        rowKey={(row) => row.log_id}
        rows={rows}
        empty={total === 0 ? `No ${listing.noun} match these filters.` : "No rows on this page."}
      />
      <p class="chart-note" id="outcome-note">{listing.note(options)}</p>
      <Pager
        page={query.page}
        pageSize={ENTRY_PAGE_SIZE}
        total={total}
        href={href}
        noun={listing.noun}
      />
    </>,
  );
}

/** Adds `GET /decisions` and `GET /rejections` to `app`. */
export function addEntryPages(app: Hono, options: AppOptions): void {
  app.get(DECISION_LISTING.path, (c) => listingPage(c, options, DECISION_LISTING));
  app.get(REJECTION_LISTING.path, (c) => listingPage(c, options, REJECTION_LISTING));
}
