/**
 * Alerts: a JSON message posted to `ARCHIVIST_ALERT_WEBHOOK` when a collection run fails or ends
 * partial, when writes start failing (and when they work again), and when the daily backup fails.
 * The body carries `text` (Slack, Telegram's sendMessage) and `content` (Discord) with the same
 * sentence, plus the event's fields for anything that reads JSON. Delivery never blocks or breaks
 * the caller: it is tried three times in the background, and a failure is only logged (without
 * the URL, which holds a secret).
 *
 * @module
 */
import type { WriteStatus } from "../db/archivist.ts";
import type { RunObserver, RunReport } from "../collectors/run.ts";
import { getLogger } from "./log.ts";

const log = getLogger("alert");

/** One alert. */
export interface Alert {
  /** What happened, e.g. `run_failed`. */
  readonly event:
    | "run_failed"
    | "run_partial"
    | "writes_failing"
    | "writes_recovered"
    | "backup_failed";
  /** One sentence for a person. */
  readonly text: string;
  /** The facts, as JSON. */
  readonly details: Readonly<Record<string, unknown>>;
}

/** Options of {@link AlertWebhook}. */
export interface AlertWebhookOptions {
  /** Per-attempt timeout (ms); default 5 000. */
  readonly timeoutMs?: number;
  /** Attempts per alert; default 3. */
  readonly attempts?: number;
  /** Pause before a second attempt (ms, doubling); default 1 000. */
  readonly retryMs?: number;
}

/** Posts alerts to one webhook. */
export class AlertWebhook {
  readonly #url: string;
  readonly #options: Required<AlertWebhookOptions>;
  readonly #pending = new Set<Promise<void>>();
  readonly #host: string;

  constructor(url: string, options: AlertWebhookOptions = {}) {
    this.#url = url;
    this.#options = { timeoutMs: 5_000, attempts: 3, retryMs: 1_000, ...options };
    let host = "";
    try {
      host = Deno.hostname();
    } catch {
      // Without --allow-sys the message names no host.
    }
    this.#host = host;
  }

  /** Posts `alert` in the background; resolves at once. */
  send(alert: Alert): void {
    const delivery = this.#deliver(alert).finally(() => this.#pending.delete(delivery));
    this.#pending.add(delivery);
  }

  /** Resolves when every alert sent so far was delivered or given up (at shutdown, in tests). */
  async settled(): Promise<void> {
    while (this.#pending.size > 0) await Promise.all(this.#pending);
  }

  async #deliver(alert: Alert): Promise<void> {
    const text = `Archivist${this.#host ? ` on ${this.#host}` : ""}: ${alert.text}`;
    const body = JSON.stringify({
      text,
      content: text,
      event: alert.event,
      source: "archivist",
      host: this.#host || undefined,
      at: new Date().toISOString(),
      ...alert.details,
    });
    const { attempts, timeoutMs, retryMs } = this.#options;
    let problem = "";
    for (let attempt = 1; attempt <= attempts; attempt++) {
      try {
        const response = await fetch(this.#url, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body,
          signal: AbortSignal.timeout(timeoutMs),
        });
        await response.body?.cancel();
        if (response.ok) return;
        problem = `HTTP ${response.status}`;
        if (response.status < 500 && response.status !== 429) break;
      } catch (error) {
        problem = (error as Error).name === "TimeoutError"
          ? `no answer within ${timeoutMs} ms`
          : (error as Error).message.replaceAll(this.#url, "[webhook]");
      }
      if (attempt < attempts) await new Promise((r) => setTimeout(r, retryMs * 2 ** (attempt - 1)));
    }
    log.warning("The alert webhook did not take the {event} alert: {problem}", {
      event: alert.event,
      problem,
    });
  }
}

/** The alert of a run that failed or ended partial; none for other outcomes. */
export function runAlert(report: RunReport): Alert | undefined {
  if (report.status !== "failed" && report.status !== "partial") return undefined;
  return {
    event: report.status === "failed" ? "run_failed" : "run_partial",
    text: `${report.job} collection for ${report.tradeDate} ${
      report.status === "failed" ? "failed" : "ended partial"
    } (${report.stocksDone}/${report.stocksTotal} stocks): ${report.reason ?? "no reason given"}`,
    details: {
      run_id: report.runId,
      job: report.job,
      trade_date: report.tradeDate,
      status: report.status,
      trigger: report.trigger,
      stocks_total: report.stocksTotal,
      stocks_done: report.stocksDone,
      stocks_failed: report.stocksFailed,
      reason: report.reason,
    },
  };
}

/** The alert of writes that started failing, or work again. */
export function writeAlert(status: WriteStatus, databasePath: string): Alert {
  return status.status === "failing"
    ? {
      event: "writes_failing",
      text: `writes to ${databasePath} are failing (${status.fault}): ${status.cause}`,
      details: { database: databasePath, ...status },
    }
    : {
      event: "writes_recovered",
      text: `writes to ${databasePath} work again`,
      details: { database: databasePath, status: "ok" },
    };
}

/** A run observer that alerts on failed and partial runs. */
export function alertingRunObserver(webhook: AlertWebhook): RunObserver {
  return {
    runFinished(report) {
      const alert = runAlert(report);
      if (alert) webhook.send(alert);
    },
  };
}
