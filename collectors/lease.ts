/**
 * One collection at a time across processes: the `collection` lease in the database, renewed while
 * a collection runs. Whoever takes it first marks runs left `running` by a dead process as failed.
 *
 * Policy when the lease is held elsewhere: wait up to `waitMs` (polling), then give up; the caller
 * records its run as skipped ("another collection is running").
 *
 * @module
 */
import type { Archivist } from "../db/archivist.ts";
import { getLogger } from "../src/log.ts";
import { type Shard, shardLabel } from "./shard.ts";

const log = getLogger("collect", "lease");

/** Name of the lease every collection takes (a shard's collections: one per shard). */
export const COLLECTION_LEASE = "collection";

/** The lease of `shard`'s collections: shards collect at once, a shard's twins do not. */
export function collectionLeaseName(shard?: Shard): string {
  return shard ? `${COLLECTION_LEASE}:${shardLabel(shard)}` : COLLECTION_LEASE;
}

/** Why a run that could not take the lease is skipped. */
export const LEASE_BUSY_REASON = "another collection is running";

/** Tuning of the collection lease. */
export interface LeaseOptions {
  /** How long a lease lives without renewal (ms); default 60 000. Renewed every third of it. */
  readonly ttlMs?: number;
  /** How long to wait for another collection to finish (ms); default 600 000 (10 min). */
  readonly waitMs?: number;
  /** How often to try again while waiting (ms); default 1 000. */
  readonly pollMs?: number;
}

/** Default lease tuning. */
export const DEFAULT_LEASE: Required<LeaseOptions> = {
  ttlMs: 60_000,
  waitMs: 600_000,
  pollMs: 1_000,
};

/** A held collection lease; renews itself until released. */
export class CollectionLease implements AsyncDisposable {
  /** This holder's unique id (host, pid and a random part). */
  readonly holder: string;
  /** The lease's name ({@link collectionLeaseName}). */
  readonly name: string;
  readonly #archivist: Archivist;
  readonly #timer: ReturnType<typeof setInterval>;
  #renewal: Promise<void> = Promise.resolve();
  #lost = false;

  constructor(archivist: Archivist, holder: string, ttlMs: number, name = COLLECTION_LEASE) {
    this.#archivist = archivist;
    this.holder = holder;
    this.name = name;
    this.#timer = setInterval(() => {
      this.#renewal = this.#renew(ttlMs);
    }, Math.max(10, Math.floor(ttlMs / 3)));
  }

  /** True once renewal found the lease taken by another holder: stop collecting. */
  get lost(): boolean {
    return this.#lost;
  }

  async #renew(ttlMs: number): Promise<void> {
    try {
      if (!await this.#archivist.renewLease(this.name, this.holder, ttlMs)) {
        this.#lost = true;
        log.error("Lost the collection lease to another process; stopping this collection");
      }
    } catch (error) {
      log.warning("Could not renew the collection lease (will retry): {error}", { error });
    }
  }

  /** Stops renewing and gives the lease back. */
  async release(): Promise<void> {
    clearInterval(this.#timer);
    await this.#renewal;
    await this.#archivist.releaseLease(this.name, this.holder);
  }

  /** Same as {@link release}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.release();
  }
}

function newHolder(): string {
  let host = "host";
  try {
    host = Deno.hostname();
  } catch {
    // Without --allow-sys the pid and random part still make the holder unique.
  }
  return `${host}:${Deno.pid}:${crypto.randomUUID()}`;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Takes the collection lease (of `shard`, when given), waiting up to `waitMs` for another holder;
 * null when it stayed taken. On success, runs of the same shard left `running` by a process that
 * died are marked failed.
 */
export async function acquireCollectionLease(
  archivist: Archivist,
  options: LeaseOptions = {},
  shard?: Shard,
): Promise<CollectionLease | null> {
  const name = collectionLeaseName(shard);
  const { ttlMs, waitMs, pollMs } = { ...DEFAULT_LEASE, ...options };
  const holder = newHolder();
  const deadline = Date.now() + waitMs;
  let waiting = false;
  while (!await archivist.acquireLease(name, holder, ttlMs)) {
    const left = deadline - Date.now();
    if (left <= 0) return null;
    if (!waiting) {
      waiting = true;
      log.info("Another collection is running; waiting up to {seconds} s for it to finish", {
        seconds: Math.round(left / 1000),
      });
    }
    await sleep(Math.min(pollMs, left));
  }
  const interrupted = await archivist.markInterruptedRuns(shard ? shardLabel(shard) : null);
  if (interrupted > 0) {
    log.warning("Marked {count} run(s) left running by a process that ended as failed", {
      count: interrupted,
    });
  }
  return new CollectionLease(archivist, holder, ttlMs, name);
}
