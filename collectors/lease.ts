/**
 * One collection at a time across processes: the `collection` lease in the database, renewed while
 * a collection runs. Whoever takes it first marks runs left `running` by a dead process as failed.
 *
 * Policy when the lease is held elsewhere: wait up to `waitMs` (polling), then give up; the caller
 * records its run as skipped ("another collection is running"). A holder on this machine whose
 * process is gone (killed, crashed) is taken over at once; one elsewhere when its lease expires.
 *
 * @module
 */
import process from "node:process";
import type { Archivist } from "../db/archivist.ts";
import { getLogger } from "../src/log.ts";
import { abortableSleep } from "../src/time.ts";
import { type Shard, shardLabel } from "./shard.ts";

const log = getLogger("collect", "lease");

/** Name of the lease every collection takes (a shard's collections: one per shard). */
export const COLLECTION_LEASE = "collection";

/** The lease of `shard`'s collections: shards collect at once, a shard's twins do not. */
export function collectionLeaseName(shard?: Shard): string {
  return shard ? `${COLLECTION_LEASE}:${shardLabel(shard)}` : COLLECTION_LEASE;
}

/** How many parts the collector holding the lease `name` split the targets into (1: none). */
function partsOf(name: string): number | undefined {
  if (name === COLLECTION_LEASE) return 1;
  const match = /^collection:\d+\/(\d+)$/.exec(name);
  return match ? Number(match[1]) : undefined;
}

/**
 * Another collector is running with another split of the targets (`--shard`/`ARCHIVIST_SHARD`
 * with another `n`, or none): together they would collect some stocks twice and leave others out.
 */
export class ShardLayoutError extends Error {
  constructor(shard: Shard | undefined, others: readonly string[]) {
    const as = (name: string) =>
      name === COLLECTION_LEASE
        ? "without a shard"
        : `as shard ${name.slice(COLLECTION_LEASE.length + 1)}`;
    super(
      `another collector is running ${others.map(as).join(", ")} while this one runs ${
        as(collectionLeaseName(shard))
      }: hosts that share an archive must split it alike; give every host the same n in ` +
        "--shard i/n or ARCHIVIST_SHARD (or none of them a shard)",
    );
    this.name = "ShardLayoutError";
  }
}

/** Why a run that could not take the lease is skipped. */
export const LEASE_BUSY_REASON = "another collection is running";

/** Why a run that was waiting for the lease when the process began stopping is skipped. */
export const LEASE_STOPPED_REASON =
  "interrupted: the process was stopping while another collection held the lease";

/** Tuning of the collection lease. */
export interface LeaseOptions {
  /** How long a lease lives without renewal (ms); default 15 000. Renewed every third of it. */
  readonly ttlMs?: number;
  /** How long to wait for another collection to finish (ms); default 600 000 (10 min). */
  readonly waitMs?: number;
  /** How often to try again while waiting (ms); default 1 000. */
  readonly pollMs?: number;
}

/** Default lease tuning: a holder that stops renewing (on another machine) is gone after 15 s. */
export const DEFAULT_LEASE: Required<LeaseOptions> = {
  ttlMs: 15_000,
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

function hostName(): string {
  try {
    return Deno.hostname();
  } catch {
    // Without --allow-sys the pid and random part still make the holder unique.
    return "host";
  }
}

function newHolder(): string {
  return `${hostName()}:${Deno.pid}:${crypto.randomUUID()}`;
}

/** Whether `holder` (`host:pid:uuid`) is a process of this machine that no longer runs. */
export function holderIsGone(holder: string): boolean {
  const [host, pid] = holder.split(":");
  if (host !== hostName() || !/^\d+$/.test(pid ?? "")) return false;
  try {
    process.kill(Number(pid), 0);
    return false;
  } catch (error) {
    // ESRCH: no such process. EPERM: it exists, under another user.
    return (error as { code?: string }).code === "ESRCH";
  }
}

/**
 * Takes the collection lease (of `shard`, when given), waiting up to `waitMs` for another holder;
 * null when it stayed taken, or when `signal` aborts meanwhile (the process is stopping). A holder
 * on this machine whose process is gone is taken over at once, whatever the wait. On success, runs
 * of the same shard, or of another split, left `running` by a process that died are marked
 * failed. Throws a {@link ShardLayoutError}, holding nothing, while a collector that splits the
 * targets another way holds its lease.
 */
export async function acquireCollectionLease(
  archivist: Archivist,
  options: LeaseOptions = {},
  signal?: AbortSignal,
  shard?: Shard,
): Promise<CollectionLease | null> {
  const name = collectionLeaseName(shard);
  const { ttlMs, waitMs, pollMs } = { ...DEFAULT_LEASE, ...options };
  const holder = newHolder();
  const deadline = Date.now() + waitMs;
  let waiting = false;
  while (!await archivist.acquireLease(name, holder, ttlMs)) {
    const current = await archivist.leaseHolder(name);
    if (current && holderIsGone(current)) {
      log.warning("The {lease} lease is held by {holder}, a process that is gone; taking it", {
        lease: name,
        holder: current,
      });
      if (await archivist.takeOverLease(name, current, holder, ttlMs)) break;
      continue;
    }
    const left = deadline - Date.now();
    if (left <= 0) return null;
    if (!waiting) {
      waiting = true;
      log.info("Another collection is running; waiting up to {seconds} s for it to finish", {
        seconds: Math.round(left / 1000),
      });
    }
    if (!await abortableSleep(Math.min(pollMs, left), signal)) return null;
  }
  // Shards of one split run at once; a collector splitting another way would overlap them. One
  // of this machine whose process is gone (killed) collects nothing: it does not count.
  const parts = partsOf(name);
  const others: string[] = [];
  for (const other of await archivist.liveLeases()) {
    const otherParts = partsOf(other);
    if (other === name || otherParts === undefined || (otherParts === parts && parts !== 1)) {
      continue;
    }
    const otherHolder = await archivist.leaseHolder(other);
    if (otherHolder === undefined || !holderIsGone(otherHolder)) others.push(other);
  }
  if (others.length > 0) {
    await archivist.releaseLease(name, holder);
    throw new ShardLayoutError(shard, others);
  }
  // Runs left `running` by a process that died: this shard's (its lease is ours now), and those
  // of another split, whose collectors hold no lease now (else this one was refused above).
  const own = shard ? shardLabel(shard) : null;
  const partsOfRun = (label: string | null) =>
    label === null ? 1 : partsOf(`${COLLECTION_LEASE}:${label}`);
  let interrupted = 0;
  for (const label of new Set([own, ...await archivist.runningRunShards()])) {
    if (label === own || parts === 1 || partsOfRun(label) !== parts) {
      interrupted += await archivist.markInterruptedRuns(label);
    }
  }
  if (interrupted > 0) {
    log.warning("Marked {count} run(s) left running by a process that ended as failed", {
      count: interrupted,
    });
  }
  return new CollectionLease(archivist, holder, ttlMs, name);
}
