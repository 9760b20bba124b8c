/**
 * Collection runs: each run of a collector is recorded as it starts, progresses, fails per stock
 * and ends, so `/health` and the catch-up know what was collected even after a crash.
 *
 * @module
 */
import { type Kysely, sql, type Transaction } from "kysely";
import { ArchiveInputError } from "./errors.ts";
import { pageLimit } from "./paging.ts";
import type { CollectionJob, CollectionRunRow, Database, RunStatus, RunTrigger } from "./schema.ts";

/** A collection run as started by a collector. */
export interface RunStart {
  readonly job: CollectionJob;
  readonly tradeDate: string;
  readonly trigger: RunTrigger;
  readonly stocksTotal: number;
  /** The part `i/n` of the targets, when several collectors split them. */
  readonly shard?: string | null;
}

/** How a collection run ended. */
export interface RunOutcome {
  readonly status: Exclude<RunStatus, "running">;
  readonly reason?: string | null;
  readonly stocksDone: number;
  readonly stocksFailed: number;
  readonly rowsWritten: number;
  readonly kisCalls: number;
}

/**
 * The columns of a run, listed rather than `*`: PostgreSQL's table also has `rowid`, standing in
 * for SQLite's implicit one (insertion order), which is not part of a run.
 */
export const RUN_COLUMNS = [
  "run_id",
  "job",
  "trade_date",
  "status",
  "reason",
  "trigger",
  "started_at",
  "finished_at",
  "stocks_total",
  "stocks_done",
  "stocks_failed",
  "rows_written",
  "kis_calls",
  "shard",
] as const satisfies readonly (keyof CollectionRunRow)[];

/** A collection run with the stocks that failed in it. */
export interface CollectionRunReport extends CollectionRunRow {
  readonly failures: readonly { readonly stock_code: string; readonly error: string }[];
}

/** Records the start of a run inside `trx`; returns its new id. */
export async function startRunIn(
  trx: Transaction<Database>,
  start: RunStart,
  now: () => Date,
): Promise<string> {
  const runId = crypto.randomUUID();
  await trx.insertInto("collection_run").values({
    run_id: runId,
    job: start.job,
    trade_date: start.tradeDate,
    status: "running",
    reason: null,
    trigger: start.trigger,
    started_at: now().toISOString(),
    finished_at: null,
    stocks_total: start.stocksTotal,
    shard: start.shard ?? null,
  }).execute();
  return runId;
}

/** Records inside `trx` that `stockCode` failed in a run (the latest error wins). */
export async function recordRunFailureIn(
  trx: Transaction<Database>,
  runId: string,
  stockCode: string,
  error: string,
): Promise<void> {
  await trx.insertInto("collection_run_failure").values({
    run_id: runId,
    stock_code: stockCode,
    error,
  })
    .onConflict((oc) => oc.columns(["run_id", "stock_code"]).doUpdateSet({ error })).execute();
}

/** Records a running run's progress inside `trx`. */
export async function recordRunProgressIn(
  trx: Transaction<Database>,
  runId: string,
  progress: Pick<RunOutcome, "stocksDone" | "stocksFailed" | "rowsWritten" | "kisCalls">,
): Promise<void> {
  await trx.updateTable("collection_run").set({
    stocks_done: progress.stocksDone,
    stocks_failed: progress.stocksFailed,
    rows_written: progress.rowsWritten,
    kis_calls: progress.kisCalls,
  }).where("run_id", "=", runId).execute();
}

/** Records how a run ended inside `trx`; refuses an unknown `runId`. */
export async function finishRunIn(
  trx: Transaction<Database>,
  runId: string,
  outcome: RunOutcome,
  now: () => Date,
): Promise<void> {
  const result = await trx.updateTable("collection_run").set({
    status: outcome.status,
    reason: outcome.reason ?? null,
    finished_at: now().toISOString(),
    stocks_done: outcome.stocksDone,
    stocks_failed: outcome.stocksFailed,
    rows_written: outcome.rowsWritten,
    kis_calls: outcome.kisCalls,
  }).where("run_id", "=", runId).executeTakeFirst();
  if (Number(result.numUpdatedRows) !== 1) {
    throw new ArchiveInputError("finishRun", `no run ${runId}`, "runId");
  }
}

/**
 * Marks every run of `shard` (null: unsharded runs) still `running` as failed inside `trx`;
 * returns how many there were. Another shard's runs belong to another host's lease.
 */
export async function markInterruptedRunsIn(
  trx: Transaction<Database>,
  now: () => Date,
  shard: string | null,
): Promise<number> {
  const result = await trx.updateTable("collection_run").set({
    status: "failed",
    reason: "interrupted: the process ended before the run finished",
    finished_at: now().toISOString(),
  }).where("status", "=", "running").where("shard", "is not distinct from", shard)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/** The shards (null: unsharded) of the runs still `running`. */
export async function runningRunShards(db: Kysely<Database>): Promise<(string | null)[]> {
  const rows = await db.selectFrom("collection_run").select("shard").distinct()
    .where("status", "=", "running").execute();
  return rows.map((row) => row.shard);
}

/** Recent runs (default 50), newest first, with their failed stocks. */
export async function listRuns(
  db: Kysely<Database>,
  options: { limit?: number; job?: CollectionJob; tradeDate?: string },
): Promise<CollectionRunReport[]> {
  const limit = pageLimit("listRuns", options.limit ?? 50);
  let query = db.selectFrom("collection_run").select(RUN_COLUMNS)
    .orderBy("started_at", "desc").orderBy(sql`rowid`, "desc").limit(limit);
  if (options.job) query = query.where("job", "=", options.job);
  if (options.tradeDate) query = query.where("trade_date", "=", options.tradeDate);
  return withFailures(db, await query.execute());
}

/** `runs` with the stocks that failed in each. */
export async function withFailures(
  db: Kysely<Database>,
  runs: readonly CollectionRunRow[],
): Promise<CollectionRunReport[]> {
  if (runs.length === 0) return [];
  const failures = await db.selectFrom("collection_run_failure").selectAll()
    .where("run_id", "in", runs.map((r) => r.run_id)).orderBy("stock_code").execute();
  return runs.map((run) => ({
    ...run,
    failures: failures.filter((f) => f.run_id === run.run_id)
      .map(({ stock_code, error }) => ({ stock_code, error })),
  }));
}

/** The latest run of each job. */
export async function lastRuns(
  db: Kysely<Database>,
): Promise<Partial<Record<CollectionJob, CollectionRunRow>>> {
  // rowid orders runs by insertion, which breaks ties between equal start instants.
  const runs = await db.selectFrom("collection_run").select(RUN_COLUMNS)
    .where(sql<boolean>`rowid IN (SELECT max(rowid) FROM collection_run GROUP BY job)`)
    .execute();
  return Object.fromEntries(runs.map((r) => [r.job, r]));
}

/** The latest run of each job on each shard, by job then shard (unsharded runs aside). */
export function lastShardRuns(db: Kysely<Database>): Promise<CollectionRunRow[]> {
  return db.selectFrom("collection_run").select(RUN_COLUMNS)
    .where(sql<boolean>`rowid IN (
      SELECT max(rowid) FROM collection_run WHERE shard IS NOT NULL GROUP BY job, shard)`)
    .orderBy("job").orderBy("shard").execute();
}

/**
 * Of `tradeDates`, those on which `job` collected every target: a succeeded run of all of them,
 * or succeeded runs of every shard `1/n` … `n/n` of one split (one shard alone is not the day).
 */
export async function succeededDates(
  db: Kysely<Database>,
  job: CollectionJob,
  tradeDates: readonly string[],
): Promise<Set<string>> {
  if (tradeDates.length === 0) return new Set();
  const rows = await db.selectFrom("collection_run").select(["trade_date", "shard"]).distinct()
    .where("job", "=", job).where("status", "=", "succeeded")
    .where("trade_date", "in", tradeDates).execute();
  const done = new Set<string>();
  const shardsByDaySplit = new Map<string, Set<string>>();
  for (const { trade_date, shard } of rows) {
    if (shard === null) {
      done.add(trade_date);
      continue;
    }
    const [index, count] = shard.split("/");
    const key = `${trade_date}|${count}`;
    let shards = shardsByDaySplit.get(key);
    if (!shards) shardsByDaySplit.set(key, shards = new Set());
    shards.add(index);
    if (shards.size === Number(count)) done.add(trade_date);
  }
  return done;
}

/** What the archive knows about the runs of each job, for `/metrics`. */
export interface RunSummary {
  /** Runs stored, per job and status. */
  readonly counts: readonly { readonly job: CollectionJob; status: RunStatus; runs: number }[];
  /** The latest finished run of each job: its status and duration. */
  readonly last: readonly {
    readonly job: CollectionJob;
    readonly status: RunStatus;
    readonly seconds: number;
  }[];
  /** When each job's latest succeeded run finished (UTC ISO). */
  readonly lastSucceeded: readonly { readonly job: CollectionJob; readonly finishedAt: string }[];
}

/** Counts of stored runs by job and status, each job's latest finished run, its last success. */
export async function runSummary(db: Kysely<Database>): Promise<RunSummary> {
  const counts = await db.selectFrom("collection_run")
    .select(["job", "status", (eb) => eb.fn.countAll<number>().as("runs")])
    .groupBy(["job", "status"]).orderBy("job").orderBy("status").execute();
  const last = await db.selectFrom("collection_run")
    .select(["job", "status", "started_at", "finished_at"])
    .where(sql<boolean>`rowid IN (SELECT max(rowid) FROM collection_run
      WHERE finished_at IS NOT NULL GROUP BY job)`)
    .orderBy("job").execute();
  const lastSucceeded = await db.selectFrom("collection_run")
    .select(["job", (eb) => eb.fn.max("finished_at").as("finished_at")])
    .where("status", "=", "succeeded").where("finished_at", "is not", null)
    .groupBy("job").orderBy("job").execute();
  return {
    counts: counts.map((row) => ({ ...row, runs: Number(row.runs) })),
    last: last.map((row) => ({
      job: row.job,
      status: row.status,
      seconds: (Date.parse(row.finished_at!) - Date.parse(row.started_at)) / 1000,
    })),
    lastSucceeded: lastSucceeded.map((row) => ({
      job: row.job,
      finishedAt: row.finished_at as string,
    })),
  };
}
