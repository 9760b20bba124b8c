/**
 * Pieces several pages share: a table built from a list of columns (so a page adds a column by
 * adding it to the list), the pager, status badges and a stock's name with its code.
 *
 * @module
 */
import type { Child } from "hono/jsx";
import { formatInt } from "./format.ts";

/** One column of a {@link DataTable}. */
export interface Column<Row> {
  /** Stable name, used as the cells' `data-col` (tests and styles find cells by it). */
  readonly key: string;
  /** The header text. */
  readonly header: string;
  /** What the column means, shown when the header is pointed at (definitions, units). */
  readonly title?: string;
  /** Right-aligned, tabular figures. */
  readonly numeric?: boolean;
  /** Wrapping text (reasons, errors). */
  readonly text?: boolean;
  /** The cell of `row`. */
  cell(row: Row): Child;
}

/** A table of `rows` with `columns`; `empty` is shown when there is no row. */
export function DataTable<Row>(
  props: {
    readonly columns: readonly Column<Row>[];
    readonly rows: readonly Row[];
    readonly empty: string;
    readonly id?: string;
    /** A row's identity, written as the row's `data-key` (tests and links find rows by it). */
    readonly rowKey?: (row: Row) => string | number;
  },
) {
  if (props.rows.length === 0) return <p class="muted" id={props.id}>{props.empty}</p>;
  const cellClass = (column: Column<Row>) =>
    column.numeric ? "num" : column.text ? "text" : undefined;
  return (
    <div class="table-wrap">
      <table class="data" id={props.id} data-rows={props.rows.length}>
        <thead>
          <tr>
            {props.columns.map((column) => (
              <th class={cellClass(column)} scope="col" title={column.title}>
                {column.header}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {props.rows.map((row) => (
            <tr data-key={props.rowKey?.(row)}>
              {props.columns.map((column) => (
                <td class={cellClass(column)} data-col={column.key}>{column.cell(row)}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** A right-aligned column of a whole number of `row[key]`, e.g. `1,234`. */
export function countColumn<Row>(
  key: keyof Row & string,
  header: string,
  title?: string,
): Column<Row> {
  return {
    key,
    header,
    title,
    numeric: true,
    cell: (row) => formatInt(row[key] as number | null),
  };
}

/** The `from` and `to` KST-day fields of a filter form, filled with `values`. */
export function DateRangeFields(props: { readonly values: Record<string, string> }) {
  return (
    <>
      <label>
        From (KST)
        <input type="date" name="from" value={props.values.from ?? ""} />
      </label>
      <label>
        To (KST)
        <input type="date" name="to" value={props.values.to ?? ""} />
      </label>
    </>
  );
}

/** A coloured label; `kind` picks the colour (a status, a decision, a stage). */
export function Badge(props: { readonly kind: string; readonly children?: Child }) {
  return <span class={`badge ${props.kind}`}>{props.children ?? props.kind}</span>;
}

/** A stock as `삼성전자 005930`, linked to its page (on `date`, when given). */
export function StockLabel(
  props: { readonly code: string; readonly name?: string | null; readonly date?: string },
) {
  const href = `/stocks/${props.code}${props.date ? `?date=${props.date}` : ""}`;
  return (
    <a class="stock" href={href}>
      {props.name ? <span class="name">{props.name}</span> : null}
      <span class="code">{props.code}</span>
    </a>
  );
}

/** Where a page of a listing sits and the links to its neighbours. */
export function Pager(
  props: {
    readonly page: number;
    readonly pageSize: number;
    readonly total: number;
    readonly href: (page: number) => string;
    readonly noun: string;
  },
) {
  const { page, pageSize, total } = props;
  const pages = Math.max(1, Math.ceil(total / pageSize));
  const first = total === 0 ? 0 : (page - 1) * pageSize + 1;
  const last = Math.min(total, page * pageSize);
  const link = (target: number, label: string, rel: string) =>
    target >= 1 && target <= pages && target !== page
      ? <a href={props.href(target)} rel={rel} data-page={target}>{label}</a>
      : <span class="disabled">{label}</span>;
  return (
    <nav class="pager" aria-label="pages" data-page={page} data-pages={pages} data-total={total}>
      {link(1, "« Newest", "first")}
      {link(page - 1, "‹ Newer", "prev")}
      <span>
        {first > last
          // A page past the last (an old link, a typed number) holds none of them.
          ? `no ${props.noun} on page ${page} of ${formatInt(pages)} (${formatInt(total)} in all)`
          : `${props.noun} ${formatInt(first)}–${formatInt(last)} of ${
            formatInt(total)
          } · page ${page} of ${formatInt(pages)}`}
      </span>
      {link(page + 1, "Older ›", "next")}
      {link(pages, "Oldest »", "last")}
    </nav>
  );
}

/** Why a page's filters were refused, one line per field. */
export function FilterErrors(props: { readonly lines: readonly string[] }) {
  return (
    <div class="error-box" role="alert">
      <strong>These filters cannot be used:</strong>
      <ul>{props.lines.map((line) => <li>{line}</li>)}</ul>
      Correct them, or clear the filters.
    </div>
  );
}

/** A query string of `params` without the empty ones, e.g. `?stock=005930&page=2`. */
export function queryString(params: Record<string, string | number | undefined>): string {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined && value !== "") search.set(name, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : "";
}
