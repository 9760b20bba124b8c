/**
 * `/decisions` and `/rejections`: Scout's entries newest first, 100 a page, filtered by dates
 * (KST days of the entry), stock (code or part of the name) and decision or stage. Both pages
 * share this module; each only says what differs.
 *
 * @module
 */
import type { Context, Hono } from "hono";
import type { Child } from "hono/jsx";
import type { Archivist, EntryBrowseFilter, EntryBrowsePage } from "../../db/archivist.ts";
import {
  type DecisionRow,
  FINAL_DECISIONS,
  REJECTION_STAGES,
  type ShadowRadarRow,
} from "../../db/schema.ts";
import type { AppOptions } from "../http/options.ts";
import { type Column, DataTable, FilterErrors, Pager, queryString } from "./components.tsx";
import { DECISION_COLUMNS, REJECTION_COLUMNS } from "./entry_columns.tsx";
import { Card, type NavKey, Page } from "./layout.tsx";
import { entryQuerySchema, issueLines, stockFilterOf } from "./queries.ts";

/** Rows on one page of a listing. */
export const ENTRY_PAGE_SIZE = 100;

/** One listing page: what it lists and how. */
export interface EntryListing<Row, Kind extends string> {
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
  /** One page of rows, newest first. */
  browse(
    archivist: Archivist,
    filter: EntryBrowseFilter,
    kind: Kind | undefined,
  ): Promise<EntryBrowsePage<Row>>;
}

/** The decisions page. */
export const DECISION_LISTING: EntryListing<DecisionRow, DecisionRow["final_decision"]> = {
  path: "/decisions",
  nav: "decisions",
  title: "Decisions",
  noun: "decisions",
  kind: { param: "decision", label: "Decision", values: FINAL_DECISIONS },
  columns: DECISION_COLUMNS,
  browse: (archivist, filter, finalDecision) =>
    archivist.browseDecisions({ ...filter, finalDecision }),
};

/** The rejections page. */
export const REJECTION_LISTING: EntryListing<
  ShadowRadarRow,
  NonNullable<ShadowRadarRow["rejection_stage"]>
> = {
  path: "/rejections",
  nav: "rejections",
  title: "Rejections",
  noun: "rejections",
  kind: { param: "stage", label: "Stage", values: REJECTION_STAGES },
  columns: REJECTION_COLUMNS,
  browse: (archivist, filter, rejectionStage) =>
    archivist.browseRejections({ ...filter, rejectionStage }),
};

function FilterForm<Kind extends string>(
  props: { readonly listing: EntryListing<unknown, Kind>; readonly values: Record<string, string> },
) {
  const { listing, values } = props;
  return (
    <form class="filters" method="get" action={listing.path}>
      <label>
        From (KST)
        <input type="date" name="from" value={values.from ?? ""} />
      </label>
      <label>
        To (KST)
        <input type="date" name="to" value={values.to ?? ""} />
      </label>
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
      <button type="submit">Filter</button>
      <a href={listing.path}>Clear</a>
    </form>
  );
}

async function listingPage<Row, Kind extends string>(
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
          <FilterForm listing={listing as EntryListing<unknown, Kind>} values={raw} />
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
  const { rows, total } = await listing.browse(options.archivist, {
    ...stockFilterOf(query.stock),
    from: query.from,
    to: query.to,
    page: query.page,
    pageSize: ENTRY_PAGE_SIZE,
  }, query.kind);
  const href = (page: number) =>
    listing.path + queryString({
      from: query.from,
      to: query.to,
      stock: query.stock,
      [listing.kind.param]: query.kind,
      page: page === 1 ? undefined : page,
    });
  return frame(
    200,
    <>
      <DataTable
        id="entries"
        columns={listing.columns}
        rows={rows}
        empty={total === 0 ? `No ${listing.noun} match these filters.` : "No rows on this page."}
      />
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
