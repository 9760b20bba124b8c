/**
 * Group commit: writes that arrive while earlier ones are committing share the next transaction,
 * and groups that commit while the disk is syncing share the next sync, so one commit and one
 * fsync acknowledge many writes and the event loop never waits for the disk.
 *
 * Each write runs in a savepoint of the group's transaction: a write that fails is undone alone
 * and its neighbours still commit, in the same transaction. When the database ends the whole
 * transaction (a full disk, an I/O error), every write of the group fails with that cause. Where
 * each savepoint costs a round trip to a server (PostgreSQL), a group can run `optimistic`: first
 * without savepoints; when one of its writes fails, that attempt is rolled back and the group runs
 * again with a savepoint per write, so the outcome is the same.
 *
 * Writes of one {@link WriteBatch} that meet in a group run together, in one call of the batch
 * (one multi-row insert instead of one statement each); when that call fails, each of them runs
 * again alone in its savepoint, so a bad one still fails alone.
 *
 * The write lock is taken without blocking: when another connection holds it, the group waits
 * asynchronously and tries again (writes that arrive meanwhile join it), and each write gives up
 * after its own lock timeout with a {@link WriteLockTimeoutError}. A write resolves only after a
 * sync that began after its COMMIT (when the group commit has a `persist` step).
 *
 * @module
 */
import { setImmediate } from "node:timers";
import { type Kysely, sql, type Transaction } from "kysely";

/** A write gave up waiting for the write lock, which another connection kept; nothing stored. */
export class WriteLockTimeoutError extends Error {
  /** How long the write waited (ms). */
  readonly waitedMs: number;

  constructor(waitedMs: number, options?: ErrorOptions) {
    super(
      `the write lock stayed held by another connection for ${waitedMs} ms (a SQLite browser, a ` +
        "psql session or a script with an open write transaction?); nothing was stored",
      options,
    );
    this.name = "WriteLockTimeoutError";
    this.waitedMs = waitedMs;
  }
}

/**
 * A write committed, but the sync that makes it survive a power loss failed: the rows are stored
 * (they survive a killed process) and {@link value} is what the write returned.
 */
export class CommitNotSyncedError extends Error {
  /** What the committed write returned. */
  readonly value: unknown;

  constructor(value: unknown, cause: unknown) {
    super(
      `committed, but syncing it to the device failed: ${(cause as Error)?.message ?? cause}`,
      { cause },
    );
    this.name = "CommitNotSyncedError";
    this.value = value;
  }
}

/** How a {@link GroupCommit} commits, waits and syncs. */
export interface GroupCommitOptions {
  /**
   * Makes every commit made before it was called durable (the Archivist syncs the write-ahead log
   * there); without it a write resolves once committed.
   */
  readonly persist?: () => Promise<void>;
  /**
   * Whether an error means "the write lock is held elsewhere": of BEGIN (SQLite), try again
   * later; of a write's statement in an optimistic group (a server's lock timeout), give up.
   */
  readonly isBusy?: (error: unknown) => boolean;
  /** How long a write waits for the write lock before failing (ms); default 5 000. */
  readonly lockTimeoutMs?: number;
  /** Called after each commit with the number of writes it stored (for metrics). */
  readonly onCommit?: (writes: number) => void;
  /**
   * Runs a statement on the connection of the transaction in progress, without the query builder
   * (the savepoints around each write); default: through Kysely. The SQLite archive runs them
   * directly: through Kysely they doubled the cost of a write.
   */
  readonly execute?: (sql: string) => void;
  /**
   * Run each group first without savepoints, and again with them only when a write failed: for a
   * server, where each savepoint and release is a round trip. A write's work must then be safe to
   * run twice (it is: a failed attempt is rolled back whole). Default false.
   */
  readonly optimistic?: boolean;
  /**
   * Groups committing at once, each on a connection of its own (a server's pool); default 1. A
   * group starts when one of them is free and takes every write queued by then.
   */
  readonly concurrency?: number;
}

/** Commits and syncs made so far. */
export interface GroupCommitStats {
  /** Transactions committed (each holding one or more writes). */
  readonly commits: number;
  /** Syncs that succeeded (0 without `persist`). */
  readonly syncs: number;
  /** Writes that gave up waiting for the write lock. */
  readonly lockTimeouts: number;
}

/** Default of {@link GroupCommitOptions.lockTimeoutMs}. */
export const DEFAULT_LOCK_TIMEOUT_MS = 5_000;

const FIRST_LOCK_RETRY_MS = 2;
const MAX_LOCK_RETRY_MS = 50;

/**
 * Writes of one kind that can share their statements when they commit in the same group (e.g. one
 * multi-row insert for the decisions of many requests). Writes of the same batch object meet.
 */
export interface WriteBatch<DB, Item, Result> {
  /** Runs the items of the group's writes of this batch together; one result per item, in order. */
  readonly run: (trx: Transaction<DB>, items: readonly Item[]) => Promise<readonly Result[]>;
  /**
   * Whether {@link run} writes `items` with one statement at most (its other statements only
   * read). An optimistic group holding nothing else then runs it without BEGIN and COMMIT: the
   * statement commits alone, or fails having stored nothing.
   */
  readonly oneStatement?: (items: readonly Item[]) => boolean;
}

interface PendingWrite<DB> {
  /** The write alone. */
  readonly work: (trx: Transaction<DB>) => Promise<unknown>;
  /** The batch it may join, and its item there. */
  readonly batched?: {
    readonly batch: WriteBatch<DB, unknown, unknown>;
    readonly item: unknown;
  };
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
  /** `performance.now()` when the write was queued. */
  readonly queuedAt: number;
}

interface CommittedWrite {
  readonly value: unknown;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
}

type Outcome = { readonly ok: true; readonly value: unknown } | {
  readonly ok: false;
  readonly error: unknown;
};

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Serialises writes into shared transactions and shared syncs. */
export class GroupCommit<DB> {
  readonly #db: Kysely<DB>;
  readonly #persist?: () => Promise<void>;
  readonly #isBusy: (error: unknown) => boolean;
  readonly #lockTimeoutMs: number;
  readonly #onCommit?: (writes: number) => void;
  readonly #execute?: (sql: string) => void;
  readonly #optimistic: boolean;
  readonly #concurrency: number;
  #queue: PendingWrite<DB>[] = [];
  /** The drains running, each committing one group after another. */
  readonly #draining = new Set<Promise<void>>();
  #committed: CommittedWrite[] = [];
  #syncing: Promise<void> | undefined;
  #commits = 0;
  #syncs = 0;
  #lockTimeouts = 0;
  /** A group is waiting for the write lock another connection holds. */
  #lockHeldElsewhere = false;
  /** Who {@link onLockHeldElsewhere} is to tell. */
  readonly #lockHeldListeners = new Set<() => void>();

  /** Groups writes on `db`. */
  constructor(db: Kysely<DB>, options: GroupCommitOptions = {}) {
    this.#db = db;
    this.#persist = options.persist;
    this.#isBusy = options.isBusy ?? (() => false);
    this.#lockTimeoutMs = options.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS;
    this.#onCommit = options.onCommit;
    this.#execute = options.execute;
    this.#optimistic = options.optimistic ?? false;
    this.#concurrency = Math.max(1, options.concurrency ?? 1);
  }

  /** Commits and syncs so far. */
  get stats(): GroupCommitStats {
    return { commits: this.#commits, syncs: this.#syncs, lockTimeouts: this.#lockTimeouts };
  }

  /**
   * Calls `listener` once a group finds the write lock held by another connection (at once while
   * one waits for it): a caller that can do without its write, a read's catch-up, stops waiting
   * then. Returns the function that stops listening (call it when done: listeners are kept until).
   */
  onLockHeldElsewhere(listener: () => void): () => void {
    if (this.#lockHeldElsewhere) {
      listener();
      return () => {};
    }
    this.#lockHeldListeners.add(listener);
    return () => this.#lockHeldListeners.delete(listener);
  }

  #setLockHeldElsewhere(held: boolean): void {
    this.#lockHeldElsewhere = held;
    if (!held) return;
    const listeners = [...this.#lockHeldListeners];
    this.#lockHeldListeners.clear();
    for (const listener of listeners) listener();
  }

  /** Runs `work` in a transaction shared with the writes queued beside it; resolves once durable. */
  run<T>(work: (trx: Transaction<DB>) => Promise<T>): Promise<T> {
    return this.#enqueue(work);
  }

  /**
   * Runs `item` through `batch` in a transaction shared with the writes queued beside it, in one
   * call with the other items of the same batch there; resolves once durable.
   */
  runBatched<Item, Result>(batch: WriteBatch<DB, Item, Result>, item: Item): Promise<Result> {
    return this.#enqueue(
      async (trx) => (await batch.run(trx, [item]))[0],
      { batch: batch as WriteBatch<DB, unknown, unknown>, item },
    );
  }

  #enqueue<T>(
    work: (trx: Transaction<DB>) => Promise<T>,
    batched?: PendingWrite<DB>["batched"],
  ): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({
        work,
        batched,
        resolve: resolve as (value: unknown) => void,
        reject,
        queuedAt: performance.now(),
      });
      this.#startDrain();
    });
  }

  /** Starts a drain when fewer than `concurrency` run. */
  #startDrain(): void {
    if (this.#draining.size >= this.#concurrency) return;
    const drain: Promise<void> = this.#drain().finally(() => {
      this.#draining.delete(drain);
      // A write queued after this drain saw an empty queue, while it still counted as running.
      if (this.#queue.length > 0) this.#startDrain();
    });
    this.#draining.add(drain);
  }

  /** Resolves when every queued write has settled. */
  async idle(): Promise<void> {
    while (this.#draining.size > 0 || this.#syncing) {
      await (this.#draining.size > 0 ? Promise.all(this.#draining) : this.#syncing);
    }
  }

  async #drain(): Promise<void> {
    while (this.#queue.length > 0) {
      // Let requests that arrived while the last group ran join this one.
      await nextTurn();
      const group = this.#take();
      // Another drain may have taken them meanwhile.
      if (group.length > 0) await this.#commitGroup(group);
    }
  }

  #take(): PendingWrite<DB>[] {
    const queued = this.#queue;
    this.#queue = [];
    return queued;
  }

  /** Commits `group` in one transaction, waiting for the write lock as long as its writes may. */
  async #commitGroup(group: PendingWrite<DB>[]): Promise<void> {
    try {
      await this.#commitGroupOnce(group);
    } finally {
      this.#setLockHeldElsewhere(false);
    }
  }

  async #commitGroupOnce(group: PendingWrite<DB>[]): Promise<void> {
    let optimistic = this.#optimistic;
    for (let retryMs = FIRST_LOCK_RETRY_MS;; retryMs = Math.min(retryMs * 2, MAX_LOCK_RETRY_MS)) {
      let began = false;
      let workFailed = false;
      const outcomes = new Map<PendingWrite<DB>, Outcome>();
      const units = unitsOf(group);
      const runAll = async (trx: Transaction<DB>) => {
        try {
          for (const unit of units) await runTogether(trx, unit, outcomes);
        } catch (error) {
          workFailed = true;
          throw error;
        }
      };
      try {
        if (optimistic && units.length === 1 && isOneStatement(units[0])) {
          // One statement is a transaction of its own: no BEGIN and COMMIT round trips around it.
          began = true;
          this.#setLockHeldElsewhere(false);
          await runAll(this.#db as unknown as Transaction<DB>);
        } else {
          await this.#db.transaction().execute(async (trx) => {
            began = true;
            this.#setLockHeldElsewhere(false);
            if (optimistic) return await runAll(trx);
            await this.#runInSavepoints(trx, units, outcomes);
          });
        }
      } catch (error) {
        if (workFailed && this.#isBusy(error)) {
          // A server's lock held elsewhere past its lock timeout: each write of the group would
          // wait as long again, one after another; all of them give up now.
          this.#lockTimeouts += group.length;
          for (const write of group) {
            const waited = Math.round(performance.now() - write.queuedAt);
            write.reject(new WriteLockTimeoutError(waited, { cause: error }));
          }
          return;
        }
        if (workFailed) {
          // Rolled back: the same writes again, each in a savepoint, to fail only the bad one.
          optimistic = false;
          continue;
        }
        if (!began && this.#isBusy(error)) {
          this.#setLockHeldElsewhere(true);
          group = this.#dropExpired(group, error);
          group.push(...this.#take());
          if (group.length === 0) return;
          await sleep(retryMs);
          continue;
        }
        // The transaction failed as a whole (BEGIN, COMMIT, or the database ended it): nothing
        // of the group was stored, and each write learns the real cause.
        for (const write of group) write.reject(error);
        return;
      }
      const committed: CommittedWrite[] = [];
      for (const write of group) {
        const outcome = outcomes.get(write)!;
        if (outcome.ok) committed.push({ ...write, value: outcome.value });
        else write.reject(outcome.error);
      }
      this.#commits++;
      this.#onCommit?.(committed.length);
      this.#awaitSync(committed);
      return;
    }
  }

  /**
   * Runs each unit in a savepoint; a batch whose call fails runs again item by item, each in a
   * savepoint of its own, so only the bad ones fail.
   */
  async #runInSavepoints(
    trx: Transaction<DB>,
    units: readonly PendingWrite<DB>[][],
    outcomes: Map<PendingWrite<DB>, Outcome>,
  ): Promise<void> {
    const execute = this.#execute ?? ((statement: string) => sql.raw(statement).execute(trx));
    for (const unit of units) {
      if (unit.length > 1) {
        const together = await runInSavepoint(() => runTogether(trx, unit, outcomes), execute);
        if (together.ok) continue;
      }
      for (const write of unit) {
        outcomes.set(write, await runInSavepoint(() => write.work(trx), execute));
      }
    }
  }

  /** Fails the writes whose lock timeout has passed; returns the others. */
  #dropExpired(group: readonly PendingWrite<DB>[], cause: unknown): PendingWrite<DB>[] {
    const now = performance.now();
    return group.filter((write) => {
      const waited = now - write.queuedAt;
      if (waited < this.#lockTimeoutMs) return true;
      this.#lockTimeouts++;
      write.reject(new WriteLockTimeoutError(Math.round(waited), { cause }));
      return false;
    });
  }

  #awaitSync(writes: readonly CommittedWrite[]): void {
    if (!this.#persist) {
      for (const write of writes) write.resolve(write.value);
      return;
    }
    // Nothing to sync: starting #sync would finish synchronously, before `??=` stores it.
    if (writes.length === 0) return;
    this.#committed.push(...writes);
    this.#syncing ??= this.#sync(this.#persist);
  }

  async #sync(persist: () => Promise<void>): Promise<void> {
    try {
      while (this.#committed.length > 0) {
        const batch = this.#committed;
        this.#committed = [];
        try {
          await persist();
        } catch (error) {
          for (const write of batch) write.reject(new CommitNotSyncedError(write.value, error));
          continue;
        }
        this.#syncs++;
        for (const write of batch) write.resolve(write.value);
      }
    } finally {
      this.#syncing = undefined;
    }
  }
}

/**
 * The group in units that run together: each write alone, except the writes of one batch, which
 * join the first of them.
 */
function unitsOf<DB>(group: readonly PendingWrite<DB>[]): PendingWrite<DB>[][] {
  const units: PendingWrite<DB>[][] = [];
  const byBatch = new Map<WriteBatch<DB, unknown, unknown>, PendingWrite<DB>[]>();
  for (const write of group) {
    const batch = write.batched?.batch;
    const joined = batch && byBatch.get(batch);
    if (joined) {
      joined.push(write);
      continue;
    }
    const unit = [write];
    units.push(unit);
    if (batch) byBatch.set(batch, unit);
  }
  return units;
}

/** Whether `unit` is the writes of a batch that stores them with one statement. */
function isOneStatement<DB>(unit: readonly PendingWrite<DB>[]): boolean {
  const batch = unit[0].batched?.batch;
  return batch?.oneStatement?.(unit.map((write) => write.batched!.item)) ?? false;
}

/** Runs a unit (a write, or the writes of one batch in one call); records each one's value. */
async function runTogether<DB>(
  trx: Transaction<DB>,
  unit: readonly PendingWrite<DB>[],
  outcomes: Map<PendingWrite<DB>, Outcome>,
): Promise<void> {
  if (unit.length === 1) {
    outcomes.set(unit[0], { ok: true, value: await unit[0].work(trx) });
    return;
  }
  const { batch } = unit[0].batched!;
  const values = await batch.run(trx, unit.map((write) => write.batched!.item));
  unit.forEach((write, i) => outcomes.set(write, { ok: true, value: values[i] }));
}

/**
 * Runs `work` in a savepoint: its failure undoes it alone. When the database has already ended
 * the whole transaction, undoing fails and the work's own error fails the group.
 */
async function runInSavepoint(
  work: () => Promise<unknown>,
  execute: (statement: string) => unknown,
): Promise<Outcome> {
  await execute("SAVEPOINT write");
  try {
    const value = await work();
    await execute("RELEASE write");
    return { ok: true, value };
  } catch (error) {
    try {
      await execute("ROLLBACK TO write");
      await execute("RELEASE write");
    } catch {
      throw error;
    }
    return { ok: false, error };
  }
}
