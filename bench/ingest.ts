/**
 * Ingest benchmark: the HTTP API in a process of its own on a real database file; 32 concurrent
 * clients POST single decisions for 10 s, and the same load (same body, same clients) on
 * `POST /v1/ping`, which passes the same gate but writes nothing, as the baseline for 10 s. The
 * two alternate in slices of {@link SLICE_SECONDS} s, so that a change of the machine's load (it is
 * shared) weighs on both alike. Every acknowledged decision is then looked up on disk.
 *
 * @module
 */
import { Archivist, type SyncMode } from "../db/archivist.ts";
import { spawnStandaloneApi } from "../src/http/standalone.ts";
import { onThrowawayPostgres } from "./postgres.ts";

/** Knobs of {@link benchIngest} (defaults: the benchmark as specified). */
export interface IngestBenchOptions {
  /** Seconds of load per phase (default 10). */
  readonly seconds?: number;
  /** Concurrent clients (default 32). */
  readonly clients?: number;
  /** The service's `ARCHIVIST_SYNC` (default: that variable, else `full`, the service's default). */
  readonly sync?: SyncMode;
  /** The archive to serve (default: a fresh SQLite file); named in the result line. */
  readonly database?: { readonly location: string; readonly bench: string };
}

const WARM_UP_SECONDS = 2;
/** Length of one slice of load; the ingest and baseline slices alternate. */
const SLICE_SECONDS = 2;

/** What one slice of load measured. */
interface Slice {
  /** Each request's latency (ms). */
  readonly latencies: readonly number[];
  readonly seconds: number;
  readonly failures: number;
}

interface Phase {
  readonly requests: number;
  readonly rps: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly failures: number;
}

const DECISION = {
  stock_code: "005930",
  stock_name: "삼성전자",
  hunter_score: 72.5,
  market_regime: "BULL",
  dominant_keywords: ["반도체", "HBM"],
  debate_log: "Bull: HBM demand. Bear: valuation.",
  counter_position_logic: "memory cycle peaking",
  thinking_called: true,
  thinking_reason: "close call",
  cost_estimate: 0.0123,
  gate_result: "PASS",
  final_decision: "BUY",
  final_reason: "momentum with flows",
};

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0;
}

async function load(
  seconds: number,
  clients: number,
  send: () => Promise<Response>,
  onOk: (response: Response) => Promise<void>,
): Promise<Slice> {
  const latencies: number[] = [];
  let failures = 0;
  const started = performance.now();
  const deadline = started + seconds * 1000;
  await Promise.all(Array.from({ length: clients }, async () => {
    while (performance.now() < deadline) {
      const t0 = performance.now();
      const response = await send();
      if (response.ok) await onOk(response);
      else {
        failures++;
        await response.body?.cancel();
      }
      latencies.push(performance.now() - t0);
    }
  }));
  return { latencies, seconds: (performance.now() - started) / 1000, failures };
}

/** The slices of one route together. */
function phase(slices: readonly Slice[]): Phase {
  const latencies = slices.flatMap((slice) => slice.latencies).sort((a, b) => a - b);
  const seconds = slices.reduce((sum, slice) => sum + slice.seconds, 0);
  return {
    requests: latencies.length,
    rps: Math.round(latencies.length / seconds),
    p50Ms: Number(percentile(latencies, 0.5).toFixed(2)),
    p99Ms: Number(percentile(latencies, 0.99).toFixed(2)),
    failures: slices.reduce((sum, slice) => sum + slice.failures, 0),
  };
}

/** Runs the benchmark; returns `{ bench, rps, baseline_rps, ratio, p99_ms, … }`. */
export async function benchIngest(
  options: IngestBenchOptions = {},
): Promise<Record<string, unknown>> {
  const seconds = options.seconds ?? 10;
  const clients = options.clients ?? 32;
  const sync = options.sync ?? (Deno.env.get("ARCHIVIST_SYNC") === "normal" ? "normal" : "full");
  const dir = await Deno.makeTempDir({ prefix: "archivist-bench-ingest-" });
  const dbPath = options.database?.location ?? `${dir}/ingest.db`;
  const { url, process } = await spawnStandaloneApi(dbPath, { sync });
  const acknowledged: number[] = [];
  try {
    const body = JSON.stringify(DECISION);
    const post = (route: string) => () =>
      fetch(`${url}${route}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body,
      });
    const logDecision = post("/v1/decisions");
    const ping = post("/v1/ping");
    const keepIds = async (response: Response) => {
      acknowledged.push(...(await response.json()).ids);
    };
    const discard = async (response: Response) => void await response.body?.cancel();
    // Both routes warm up (JIT, connections) before either is measured.
    await load(WARM_UP_SECONDS, clients, logDecision, keepIds);
    await load(WARM_UP_SECONDS, clients, ping, discard);
    const ingestSlices: Slice[] = [];
    const baselineSlices: Slice[] = [];
    for (let left = seconds; left > 0; left -= SLICE_SECONDS) {
      const slice = Math.min(SLICE_SECONDS, left);
      ingestSlices.push(await load(slice, clients, logDecision, keepIds));
      baselineSlices.push(await load(slice, clients, ping, discard));
    }
    const ingest = phase(ingestSlices);
    const baseline = phase(baselineSlices);
    process.kill("SIGTERM");
    await process.status;

    await using archivist = await Archivist.open(dbPath);
    const stored = new Set<number>();
    let cursor: string | undefined;
    do {
      const page = await archivist.listDecisions({ limit: 1000, cursor });
      for (const row of page.items) stored.add(row.log_id);
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    const missing = acknowledged.filter((id) => !stored.has(id)).length;
    return {
      bench: options.database?.bench ?? "ingest",
      rps: ingest.rps,
      baseline_rps: baseline.rps,
      ratio: Number((ingest.rps / baseline.rps).toFixed(3)),
      p99_ms: ingest.p99Ms,
      p50_ms: ingest.p50Ms,
      baseline_p99_ms: baseline.p99Ms,
      clients,
      seconds,
      sync,
      acknowledged: acknowledged.length,
      stored: stored.size,
      missing,
      failures: ingest.failures + baseline.failures,
      durable: missing === 0,
    };
  } finally {
    try {
      process.kill("SIGKILL");
    } catch {
      // Already exited after SIGTERM.
    }
    await process.status;
    await Deno.remove(dir, { recursive: true });
  }
}

/** The same benchmark with the service on a throwaway PostgreSQL that syncs commits. */
export function benchIngestPostgres(
  options: IngestBenchOptions = {},
): Promise<Record<string, unknown>> {
  return onThrowawayPostgres(
    "ingest-postgres",
    ["bench_ingest"],
    ([location]) => benchIngest({ ...options, database: { location, bench: "ingest-postgres" } }),
  );
}

if (import.meta.main) console.log(JSON.stringify(await benchIngest()));
