/**
 * `deno task bench archive`: minute-bar upserts through the Archivist against a raw `node:sqlite`
 * prepared-statement loop, same data, same pragmas, same process; then on a throwaway PostgreSQL
 * against raw `pg` multi-row upserts (same data, same server, one transaction each).
 *
 * @module
 */
import { DatabaseSync } from "node:sqlite";
// @ts-types="@types/pg"
import pg from "pg";
import { Archivist } from "../db/archivist.ts";
import type { StockMinutePrice } from "../db/schema.ts";
import { CONNECTION_PRAGMAS } from "../db/sqlite.ts";
import { barTimeOf } from "../src/time.ts";
import { adminQuery } from "../src/throwaway_postgres.ts";
import { onThrowawayPostgres } from "./postgres.ts";

const STOCKS = 500;
const BARS_PER_STOCK = 390;

/** A deterministic trading day of bars: realistic KRX price levels, volumes and values. */
export function syntheticBars(stocks = STOCKS, barsPerStock = BARS_PER_STOCK): StockMinutePrice[] {
  let seed = 42;
  const random = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
  const bars: StockMinutePrice[] = [];
  const start = barTimeOf("2026-11-25", "090000");
  for (let s = 0; s < stocks; s++) {
    const stockCode = String(100_000 + s * 7).padStart(6, "0");
    let price = Math.round(1_000 * 10 ** (random() * 2.5));
    for (let m = 0; m < barsPerStock; m++) {
      const open = price;
      price = Math.max(1, Math.round(price * (1 + (random() - 0.5) * 0.004)));
      const volume = Math.round(random() * 20_000);
      bars.push({
        stock_code: stockCode,
        bar_time: start + m * 60,
        open,
        high: Math.max(open, price) + 1,
        low: Math.min(open, price),
        close: price,
        volume,
        value: volume * price,
      });
    }
  }
  return bars;
}

const RAW_UPSERT = `INSERT INTO stock_minute_price
  (stock_code, bar_time, open, high, low, close, volume, value) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
  ON CONFLICT (stock_code, bar_time) DO UPDATE SET open = excluded.open, high = excluded.high,
  low = excluded.low, close = excluded.close, volume = excluded.volume, value = excluded.value`;

function rawUpsert(path: string, bars: readonly StockMinutePrice[]): number {
  const db = new DatabaseSync(path);
  for (const pragma of CONNECTION_PRAGMAS) db.exec(pragma);
  const statement = db.prepare(RAW_UPSERT);
  const started = performance.now();
  db.exec("BEGIN IMMEDIATE");
  for (const b of bars) {
    statement.run(b.stock_code, b.bar_time, b.open, b.high, b.low, b.close, b.volume, b.value);
  }
  db.exec("COMMIT");
  const seconds = (performance.now() - started) / 1000;
  db.close();
  return seconds;
}

async function archivistUpsert(
  archivist: Archivist,
  bars: readonly StockMinutePrice[],
): Promise<number> {
  const started = performance.now();
  const counts = await archivist.upsertMinuteBars(bars);
  const seconds = (performance.now() - started) / 1000;
  if (counts.inserted + counts.updated !== bars.length) {
    throw new Error(
      `archive bench: expected ${bars.length} rows written, got ${JSON.stringify(counts)}`,
    );
  }
  return seconds;
}

/** The result line of `rows` upserted in `ours` seconds by the Archivist and `raw` by the baseline. */
function resultLine(
  bench: string,
  rows: number,
  ours: number,
  raw: number,
  bytesPerBar: number,
): Record<string, unknown> {
  return {
    bench,
    archivist_rows_per_s: Math.round(rows / ours),
    raw_rows_per_s: Math.round(rows / raw),
    ratio: Number((raw / ours).toFixed(3)),
    bytes_per_bar: Number(bytesPerBar.toFixed(2)),
  };
}

/** Runs the benchmark and returns its result line. */
export async function benchArchive(): Promise<Record<string, unknown>> {
  const dir = await Deno.makeTempDir({ prefix: "archivist-bench-" });
  try {
    const bars = syntheticBars();
    const changed = bars.map((b) => ({ ...b, high: b.high + 1, close: b.high + 1 }));

    const archivist = await Archivist.open(`${dir}/archivist.db`);
    const ours = await archivistUpsert(archivist, bars) + await archivistUpsert(archivist, changed);
    await archivist.close();

    // The raw loop writes into a file with the same schema, created by the same migrations.
    await (await Archivist.open(`${dir}/raw.db`)).close();
    const raw = rawUpsert(`${dir}/raw.db`, bars) + rawUpsert(`${dir}/raw.db`, changed);

    const db = new DatabaseSync(`${dir}/archivist.db`);
    const rows = Number(
      (db.prepare("SELECT count(*) AS n FROM stock_minute_price").get() as { n: number }).n,
    );
    db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
    db.exec("VACUUM");
    db.close();
    const bytes = (await Deno.stat(`${dir}/archivist.db`)).size;

    return resultLine("archive", 2 * bars.length, ours, raw, bytes / rows);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Rows per statement of the raw PostgreSQL baseline (8 parameters each). */
const RAW_PG_CHUNK = 1000;

const RAW_PG_CONFLICT = `ON CONFLICT (stock_code, bar_time) DO UPDATE SET open = excluded.open,
  high = excluded.high, low = excluded.low, close = excluded.close, volume = excluded.volume,
  value = excluded.value`;

async function rawPostgresUpsert(url: string, bars: readonly StockMinutePrice[]): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const started = performance.now();
    await client.query("BEGIN");
    for (let i = 0; i < bars.length; i += RAW_PG_CHUNK) {
      const chunk = bars.slice(i, i + RAW_PG_CHUNK);
      const values = chunk.map((_, r) =>
        `(${Array.from({ length: 8 }, (_, c) => `$${r * 8 + c + 1}`).join(", ")})`
      );
      await client.query(
        `INSERT INTO stock_minute_price
          (stock_code, bar_time, open, high, low, close, volume, value)
          VALUES ${values.join(", ")} ${RAW_PG_CONFLICT}`,
        chunk.flatMap((
          b,
        ) => [b.stock_code, b.bar_time, b.open, b.high, b.low, b.close, b.volume, b.value]),
      );
    }
    await client.query("COMMIT");
    return (performance.now() - started) / 1000;
  } finally {
    await client.end();
  }
}

/**
 * The PostgreSQL run: the Archivist's upserts against raw `pg` multi-row upserts on a throwaway
 * server that syncs commits like a real one.
 */
export function benchArchivePostgres(): Promise<Record<string, unknown>> {
  return onThrowawayPostgres("archive-postgres", ["bench_archivist", "bench_raw"], async ([
    ours,
    raw,
  ]) => {
    await (await Archivist.open(raw)).close();
    const bars = syntheticBars();
    const changed = bars.map((b) => ({ ...b, high: b.high + 1, close: b.high + 1 }));

    const archivist = await Archivist.open(ours);
    const oursSeconds = await archivistUpsert(archivist, bars) +
      await archivistUpsert(archivist, changed);
    await archivist.close();
    const rawSeconds = await rawPostgresUpsert(raw, bars) + await rawPostgresUpsert(raw, changed);

    const { rows } = await adminQuery(
      ours,
      `SELECT pg_total_relation_size('stock_minute_price') AS bytes`,
      "bench_archivist",
    );
    return resultLine(
      "archive-postgres",
      2 * bars.length,
      oursSeconds,
      rawSeconds,
      Number(rows[0].bytes) / bars.length,
    );
  });
}
