/**
 * `deno task bench archive`: minute-bar upserts through the Archivist against a raw `node:sqlite`
 * prepared-statement loop, same data, same pragmas, same process.
 *
 * @module
 */
import { DatabaseSync } from "node:sqlite";
import { Archivist } from "../db/archivist.ts";
import type { StockMinutePrice } from "../db/schema.ts";
import { CONNECTION_PRAGMAS } from "../db/sqlite.ts";
import { barTimeOf } from "../src/time.ts";

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

    const archivistRowsPerSecond = (2 * bars.length) / ours;
    const rawRowsPerSecond = (2 * bars.length) / raw;
    return {
      bench: "archive",
      archivist_rows_per_s: Math.round(archivistRowsPerSecond),
      raw_rows_per_s: Math.round(rawRowsPerSecond),
      ratio: Number((archivistRowsPerSecond / rawRowsPerSecond).toFixed(3)),
      bytes_per_bar: Number((bytes / rows).toFixed(2)),
    };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
