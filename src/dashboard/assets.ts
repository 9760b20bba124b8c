/**
 * The dashboard's static files, served by the app itself so a page works offline: its stylesheet,
 * its chart script, and the standalone build of TradingView's lightweight-charts from npm. Each
 * URL carries a digest of the file, so a browser may keep it for a year and still never runs a
 * stale one.
 *
 * @module
 */
import { createHash } from "node:crypto";
import type { Hono } from "hono";
import "lightweight-charts/package.json" with { type: "json" };

/** A file the dashboard serves under `/assets/`. */
interface Asset {
  readonly file: URL;
  readonly type: string;
}

function chartLibrary(): URL {
  // The package exports no subpath for its standalone build; its package.json is exported, and
  // importing it (above) puts the package in the module graph, so Deno fetches it before start.
  const manifest = import.meta.resolve("lightweight-charts/package.json");
  return new URL("dist/lightweight-charts.standalone.production.js", manifest);
}

const ASSETS: Readonly<Record<string, Asset>> = {
  "dashboard.css": {
    file: new URL("./static/dashboard.css", import.meta.url),
    type: "text/css; charset=utf-8",
  },
  "charts.js": {
    file: new URL("./static/charts.js", import.meta.url),
    type: "text/javascript; charset=utf-8",
  },
  "lightweight-charts.js": { file: chartLibrary(), type: "text/javascript; charset=utf-8" },
};

interface Loaded {
  readonly body: Uint8Array<ArrayBuffer>;
  readonly digest: string;
}

const loaded = new Map<string, Loaded>();

function load(name: string): Loaded {
  let asset = loaded.get(name);
  if (!asset) {
    const spec = ASSETS[name];
    if (!spec) throw new Error(`no dashboard asset ${name}`);
    const body = Deno.readFileSync(spec.file);
    asset = { body, digest: createHash("sha256").update(body).digest("hex").slice(0, 16) };
    loaded.set(name, asset);
  }
  return asset;
}

/** The URL of asset `name`, with its digest, e.g. `/assets/charts.js?v=1a2b3c4d5e6f7a8b`. */
export function assetUrl(name: string): string {
  return `/assets/${name}?v=${load(name).digest}`;
}

/** Adds `GET /assets/{name}` to `app`. */
export function addAssetRoutes(app: Hono): void {
  app.get("/assets/:name", (c) => {
    const name = c.req.param("name");
    if (!Object.hasOwn(ASSETS, name)) return c.notFound();
    const asset = load(name);
    const current = c.req.query("v") === asset.digest;
    return c.body(asset.body, 200, {
      "content-type": ASSETS[name].type,
      "cache-control": current ? "public, max-age=31536000, immutable" : "no-cache",
      "x-content-type-options": "nosniff",
    });
  });
}
