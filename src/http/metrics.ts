/**
 * `GET /metrics` in the Prometheus text format (`prom-client`, one registry per app): requests by
 * route and status, the write path (failures, lock timeouts, commits, syncs, group-commit batch
 * sizes, whether writes fail), this process's KIS calls, retries and EGW00201 answers by tr_id,
 * and from the archive the runs by job and status, each job's last run duration and status, and
 * its last successful run.
 *
 * @module
 */
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import { z } from "zod";
import type { Archivist } from "../../db/archivist.ts";
import { RUN_STATUSES } from "../../db/schema.ts";
import type { KisStats } from "../kis/mod.ts";
import type { RequestObserver } from "./access_log.ts";

/** Where the metrics come from. */
export interface MetricsSources {
  /** The archive: write counters, and the runs it stores. */
  readonly archivist: Archivist;
  /** The KIS client's counters, when this process collects. */
  readonly kis?: () => KisStats;
}

/** A counter whose value is read from a source at each scrape. */
function sourcedCounter<L extends string>(
  registry: Registry,
  name: string,
  help: string,
  labelNames: readonly L[],
  read: () =>
    | Iterable<[Record<L, string>, number]>
    | Promise<Iterable<[Record<L, string>, number]>>,
): void {
  new Counter<L>({
    name,
    help,
    labelNames,
    registers: [registry],
    async collect() {
      this.reset();
      for (const [labels, value] of await read()) {
        if (value > 0) this.inc(labels as never, value);
      }
    },
  });
}

function byTrId(
  counts: Readonly<Record<string, number>> | undefined,
): [Record<"tr_id", string>, number][] {
  return Object.entries(counts ?? {}).map(([trId, value]) => [{ tr_id: trId }, value]);
}

/** The metrics of one service: fed by the app's requests and the archive, read at each scrape. */
export class Metrics {
  /** The registry `/metrics` prints. */
  readonly registry = new Registry();
  readonly #requests: Counter<"method" | "route" | "status">;
  readonly #durations: Histogram<"route">;
  readonly #disposeObserver: Disposable;

  constructor(sources: MetricsSources) {
    const { archivist } = sources;
    const registry = this.registry;
    this.#requests = new Counter({
      name: "archivist_http_requests_total",
      help: "HTTP requests answered, by method, route pattern and status",
      labelNames: ["method", "route", "status"],
      registers: [registry],
    });
    this.#durations = new Histogram({
      name: "archivist_http_request_duration_seconds",
      help: "Time to answer an HTTP request, by route pattern",
      labelNames: ["route"],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    });
    const batches = new Histogram({
      name: "archivist_group_commit_batch_size",
      help: "Writes stored by one group commit (one transaction)",
      buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512],
      registers: [registry],
    });
    this.#disposeObserver = archivist.observe({ commit: (writes) => batches.observe(writes) });

    const stats = () => archivist.writeStats;
    sourcedCounter(
      registry,
      "archivist_write_failures_total",
      "Writes that failed (refused input is not counted)",
      [],
      () => [[{}, stats().failedWrites]],
    );
    sourcedCounter(
      registry,
      "archivist_write_lock_timeouts_total",
      "Writes that gave up waiting for the write lock another process held",
      [],
      () => [[{}, stats().lockTimeouts]],
    );
    sourcedCounter(registry, "archivist_commits_total", "Group commits", [], () => [
      [{}, stats().commits],
    ]);
    sourcedCounter(registry, "archivist_syncs_total", "Syncs of the write-ahead log", [], () => [
      [{}, stats().syncs],
    ]);
    new Gauge({
      name: "archivist_writes_failing",
      help: "1 while writes fail for a fault of the file or disk (see /health), else 0",
      registers: [registry],
      collect() {
        this.set(archivist.writeStatus.status === "failing" ? 1 : 0);
      },
    });

    const kis = sources.kis;
    sourcedCounter(
      registry,
      "archivist_kis_requests_total",
      "KIS requests sent by this process, retries included, by tr_id",
      ["tr_id"],
      () => kis ? byTrId(kis().byTrId) : [],
    );
    sourcedCounter(
      registry,
      "archivist_kis_retries_total",
      "KIS requests that repeated an earlier attempt, by tr_id",
      ["tr_id"],
      () => kis ? byTrId(kis().retriesByTrId) : [],
    );
    sourcedCounter(
      registry,
      "archivist_kis_rate_limited_total",
      "KIS answers EGW00201 (over the per-second limit), by tr_id",
      ["tr_id"],
      () => kis ? byTrId(kis().rateLimitedByTrId) : [],
    );

    // Runs are read from the archive: they include runs of `deno task collect` processes.
    let summary: ReturnType<Archivist["runSummary"]> | undefined;
    const runs = () => summary ??= archivist.runSummary().finally(() => (summary = undefined));
    new Gauge({
      name: "archivist_collection_runs",
      help: "Collection runs stored in the archive, by job and status",
      labelNames: ["job", "status"],
      registers: [registry],
      async collect() {
        this.reset();
        for (const row of (await runs()).counts) {
          this.set({ job: row.job, status: row.status }, row.runs);
        }
      },
    });
    new Gauge({
      name: "archivist_collection_last_run_seconds",
      help: "Duration of each job's latest finished run",
      labelNames: ["job"],
      registers: [registry],
      async collect() {
        this.reset();
        for (const row of (await runs()).last) this.set({ job: row.job }, row.seconds);
      },
    });
    new Gauge({
      name: "archivist_collection_last_run_status",
      help: "1 for the status of each job's latest finished run, 0 for the other statuses",
      labelNames: ["job", "status"],
      registers: [registry],
      async collect() {
        this.reset();
        for (const row of (await runs()).last) {
          for (const status of RUN_STATUSES) {
            if (status !== "running") {
              this.set({ job: row.job, status }, row.status === status ? 1 : 0);
            }
          }
        }
      },
    });
    new Gauge({
      name: "archivist_collection_last_success_timestamp_seconds",
      help: "When each job's latest succeeded run finished (unix seconds)",
      labelNames: ["job"],
      registers: [registry],
      async collect() {
        this.reset();
        for (const row of (await runs()).lastSucceeded) {
          this.set({ job: row.job }, Date.parse(row.finishedAt) / 1000);
        }
      },
    });
  }

  /** Counts an answered request (the access log's observer). */
  readonly observeRequest: RequestObserver = ({ method, route, status, seconds }) => {
    this.#requests.inc({ method, route, status: String(status) });
    this.#durations.observe({ route }, seconds);
  };

  /** The metrics in the Prometheus text format. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  /** Stops observing the archive. */
  [Symbol.dispose](): void {
    this.#disposeObserver[Symbol.dispose]();
  }
}

const getMetrics = createRoute({
  method: "get",
  path: "/metrics",
  tags: ["service"],
  summary: "Metrics in the Prometheus text format",
  description: "Needs the bearer token when the service has one.",
  responses: {
    200: {
      description: "Prometheus text exposition format 0.0.4",
      content: { "text/plain": { schema: z.string() } },
    },
  },
});

/** Adds `GET /metrics` to `app`. */
export function addMetricsRoute(app: OpenAPIHono, metrics: Metrics): void {
  app.openapi(getMetrics, async (c) => {
    const text = await metrics.text();
    return c.text(text, 200, { "content-type": metrics.registry.contentType });
  });
}
