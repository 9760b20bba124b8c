/**
 * Group commit: writes that arrive while earlier ones are committing share the next transaction,
 * and commits that land while the disk is syncing share the next sync, so one fsync acknowledges
 * many writes and the event loop never waits for the disk. If any write of a group fails, the
 * group is rolled back and each of its writes runs again in a transaction of its own, so a failing
 * write fails alone and its neighbours still commit. A write resolves only after a sync that began
 * after its COMMIT: a resolved write is on disk.
 *
 * A write's work must touch nothing but the transaction: it may run twice.
 *
 * @module
 */
import { setImmediate } from "node:timers";
import type { Kysely, Transaction } from "kysely";

interface PendingWrite<DB> {
  readonly work: (trx: Transaction<DB>) => Promise<unknown>;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
}

interface CommittedWrite {
  readonly value: unknown;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
}

/** Serialises writes into shared transactions and shared syncs. */
export class GroupCommit<DB> {
  readonly #db: Kysely<DB>;
  readonly #persist: () => Promise<void>;
  #queue: PendingWrite<DB>[] = [];
  #draining: Promise<void> | undefined;
  #committed: CommittedWrite[] = [];
  #syncing: Promise<void> | undefined;

  /**
   * Groups writes on `db`; `persist` makes every commit made before it was called durable (the
   * Archivist syncs the write-ahead log there).
   */
  constructor(db: Kysely<DB>, persist: () => Promise<void> = () => Promise.resolve()) {
    this.#db = db;
    this.#persist = persist;
  }

  /** Runs `work` in a transaction shared with the writes queued beside it; resolves once durable. */
  run<T>(work: (trx: Transaction<DB>) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({ work, resolve: resolve as (value: unknown) => void, reject });
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
        await new Promise((resolve) => setImmediate(resolve));
        const group = this.#queue;
        this.#queue = [];
        if (group.length === 1 || !await this.#commitTogether(group)) {
          for (const write of group) await this.#commitAlone(write);
        }
      }
    } finally {
      this.#draining = undefined;
    }
  }

  async #commitAlone(write: PendingWrite<DB>): Promise<void> {
    let value: unknown;
    try {
      value = await this.#db.transaction().execute(write.work);
    } catch (error) {
      write.reject(error);
      return;
    }
    this.#awaitSync([{ value, resolve: write.resolve, reject: write.reject }]);
  }

  /** Commits the whole group in one transaction; false (nothing stored) if any write failed. */
  async #commitTogether(group: readonly PendingWrite<DB>[]): Promise<boolean> {
    const values: unknown[] = [];
    try {
      await this.#db.transaction().execute(async (trx) => {
        for (const write of group) values.push(await write.work(trx));
      });
    } catch {
      return false;
    }
    this.#awaitSync(group.map((write, i) => ({ ...write, value: values[i] })));
    return true;
  }

  #awaitSync(writes: readonly CommittedWrite[]): void {
    this.#committed.push(...writes);
    this.#syncing ??= this.#sync();
  }

  async #sync(): Promise<void> {
    try {
      while (this.#committed.length > 0) {
        const batch = this.#committed;
        this.#committed = [];
        try {
          await this.#persist();
        } catch (error) {
          for (const write of batch) write.reject(error);
          continue;
        }
        for (const write of batch) write.resolve(write.value);
      }
    } finally {
      this.#syncing = undefined;
    }
  }
}
