/**
 * Group commit: writes that arrive while earlier ones are committing share the next transaction,
 * and groups that commit while the disk is syncing share the next sync, so one commit and one
 * fsync acknowledge many writes and the event loop never waits for the disk.
 *
 * Each write runs in a savepoint of the group's transaction: a write that fails is undone alone
 * and its neighbours still commit, in the same transaction. When the database ends the whole
 * transaction (a full disk, an I/O error), every write of the group fails with that cause.
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
      `the write lock stayed held by another connection for ${waitedMs} ms (a SQLite browser or ` +
        "script with an open write transaction?); nothing was stored",
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
  /** Whether an error of BEGIN means "the write lock is held elsewhere: try again later". */
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

interface PendingWrite<DB> {
  readonly work: (trx: Transaction<DB>) => Promise<unknown>;
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
  #queue: PendingWrite<DB>[] = [];
  #draining: Promise<void> | undefined;
  #committed: CommittedWrite[] = [];
  #syncing: Promise<void> | undefined;
  #commits = 0;
  #syncs = 0;
  #lockTimeouts = 0;

  /** Groups writes on `db`. */
  constructor(db: Kysely<DB>, options: GroupCommitOptions = {}) {
    this.#db = db;
    this.#persist = options.persist;
    this.#isBusy = options.isBusy ?? (() => false);
    this.#lockTimeoutMs = options.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS;
    this.#onCommit = options.onCommit;
    this.#execute = options.execute;
  }

  /** Commits and syncs so far. */
  get stats(): GroupCommitStats {
    return { commits: this.#commits, syncs: this.#syncs, lockTimeouts: this.#lockTimeouts };
  }

  /** Runs `work` in a transaction shared with the writes queued beside it; resolves once durable. */
  run<T>(work: (trx: Transaction<DB>) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({
        work,
        resolve: resolve as (value: unknown) => void,
        reject,
        queuedAt: performance.now(),
      });
      this.#draining ??= this.#drain();
    });
  }

  /** Resolves when every queued write has settled. */
  async idle(): Promise<void> {
    while (this.#draining || this.#syncing) await (this.#draining ?? this.#syncing);
  }

  async #drain(): Promise<void> {
    try {
      while (this.#queue.length > 0) {
        // Let requests that arrived while the last group ran join this one.
        await nextTurn();
        await this.#commitGroup(this.#take());
      }
    } finally {
      this.#draining = undefined;
    }
  }

  #take(): PendingWrite<DB>[] {
    const queued = this.#queue;
    this.#queue = [];
    return queued;
  }

  /** Commits `group` in one transaction, waiting for the write lock as long as its writes may. */
  async #commitGroup(group: PendingWrite<DB>[]): Promise<void> {
    for (let retryMs = FIRST_LOCK_RETRY_MS;; retryMs = Math.min(retryMs * 2, MAX_LOCK_RETRY_MS)) {
      let began = false;
      const outcomes: Outcome[] = [];
      try {
        await this.#db.transaction().execute(async (trx) => {
          began = true;
          const execute = this.#execute ?? ((statement: string) => sql.raw(statement).execute(trx));
          for (const write of group) outcomes.push(await runInSavepoint(trx, write, execute));
        });
      } catch (error) {
        if (!began && this.#isBusy(error)) {
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
      group.forEach((write, i) => {
        const outcome = outcomes[i];
        if (outcome.ok) committed.push({ ...write, value: outcome.value });
        else write.reject(outcome.error);
      });
      this.#commits++;
      this.#onCommit?.(committed.length);
      this.#awaitSync(committed);
      return;
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
 * Runs one write in a savepoint: its failure undoes it alone. When the database has already
 * ended the whole transaction, undoing fails and the write's own error fails the group.
 */
async function runInSavepoint<DB>(
  trx: Transaction<DB>,
  write: PendingWrite<DB>,
  execute: (statement: string) => unknown,
): Promise<Outcome> {
  await execute("SAVEPOINT write");
  try {
    const value = await write.work(trx);
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
