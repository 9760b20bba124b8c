/**
 * What the HTTP app serves and how: the one type every route module takes, kept apart from the
 * app so that routes and app never import each other.
 *
 * @module
 */
import type { Archivist } from "../../db/archivist.ts";
import type { CronSchedule } from "../../collectors/schedule.ts";
import type { Config } from "../config.ts";
import type { AllowedHosts } from "./host_check.ts";
import type { Metrics } from "./metrics.ts";

/** What the app serves and how. */
export interface AppOptions {
  /** The archive every route reads and writes through. */
  readonly archivist: Archivist;
  /** Bearer token required on `/v1/*`; without it the API is open (bind to loopback only). */
  readonly token?: string;
  /** The clock for defaults such as the market-flow date range (tests pin it). */
  readonly now?: () => Date;
  /** The default `threshold_pct` of regrets, percent (`ARCHIVIST_REGRET_THRESHOLD_PCT`; 4). */
  readonly regretThresholdPct?: number;
  /** Whether collection runs in this process, shown in `/health`. */
  readonly collection?: () => { enabled: boolean; reason?: string };
  /** The KST times of the scheduled jobs, for the dashboard's next runs (`Config.schedule`). */
  readonly schedule?: Config["schedule"];
  /** Of those, the jobs switched on (`Config.enabledJobs`); default all. */
  readonly enabledJobs?: Config["enabledJobs"];
  /** The daily maintenance's schedule, for the dashboard's next runs (none when absent). */
  readonly maintenance?: CronSchedule;
  /** The `Host` names every route answers (DNS rebinding); give the same to `serveHttp`. */
  readonly hosts: AllowedHosts;
  /** The metrics `/metrics` shows; default: metrics of the archive alone (no KIS client). */
  readonly metrics?: Metrics;
}
