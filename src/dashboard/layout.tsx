/**
 * The frame of every dashboard page: the document head (the app's own stylesheet and scripts,
 * nothing from elsewhere), the navigation, and the footer with the chart library's attribution.
 *
 * @module
 */
import type { Child } from "hono/jsx";
import { raw } from "hono/html";
import { assetUrl } from "./assets.ts";

/** The pages in the navigation bar. */
export const NAV_ITEMS = [
  { key: "overview", href: "/", label: "Overview" },
  { key: "decisions", href: "/decisions", label: "Decisions" },
  { key: "rejections", href: "/rejections", label: "Rejections" },
  { key: "regret", href: "/reports/regret", label: "Regret" },
  { key: "scorecard", href: "/reports/scorecard", label: "Scorecard" },
  { key: "runs", href: "/runs", label: "Runs" },
] as const;

/** A page of the navigation bar. */
export type NavKey = typeof NAV_ITEMS[number]["key"];

/** What {@link Page} needs. */
export interface PageProps {
  /** The page's title, before ` · Archivist`. */
  readonly title: string;
  /** The highlighted navigation item. */
  readonly active?: NavKey;
  /** Whether a log-out button is shown (the service has a token). */
  readonly loggedIn?: boolean;
  /** Scripts of this page, as asset names (e.g. `lightweight-charts.js`). */
  readonly scripts?: readonly string[];
  readonly children?: Child;
}

/** A whole dashboard page. */
export function Page(props: PageProps) {
  return (
    <>
      {raw("<!DOCTYPE html>")}
      <html lang="ko">
        <head>
          <meta charset="utf-8" />
          <meta name="viewport" content="width=device-width, initial-scale=1" />
          <meta name="referrer" content="no-referrer" />
          {/* No favicon to fetch: an empty one keeps the browser from asking for /favicon.ico. */}
          <link rel="icon" href="data:," />
          <title>{`${props.title} · Archivist`}</title>
          <link rel="stylesheet" href={assetUrl("dashboard.css")} />
          {(props.scripts ?? []).map((name) => <script src={assetUrl(name)} defer></script>)}
        </head>
        <body>
          <header class="topbar">
            <a class="brand" href="/">Archivist</a>
            <nav>
              {NAV_ITEMS.map((item) => (
                <a
                  href={item.href}
                  class={item.key === props.active ? "active" : undefined}
                  aria-current={item.key === props.active ? "page" : undefined}
                >
                  {item.label}
                </a>
              ))}
            </nav>
            {props.loggedIn
              ? (
                <form method="post" action="/logout" class="logout">
                  <button type="submit">Log out</button>
                </form>
              )
              : null}
          </header>
          <main>{props.children}</main>
          <footer>
            Times in KST (UTC+9). Charts:{" "}
            <a href="https://www.tradingview.com/" rel="noopener noreferrer">
              TradingView Lightweight Charts™
            </a>.
          </footer>
        </body>
      </html>
    </>
  );
}

/** A titled box of a page. */
export function Card(props: { title?: Child; id?: string; class?: string; children?: Child }) {
  return (
    <section class={props.class ? `card ${props.class}` : "card"} id={props.id}>
      {props.title ? <h2>{props.title}</h2> : null}
      {props.children}
    </section>
  );
}
