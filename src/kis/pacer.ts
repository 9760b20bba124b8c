/**
 * Request pacing for one app key: never more than `limit` requests in any sliding second as the
 * KIS gateway counts them, across every client and process using the key, and no slower than
 * that needs.
 *
 * KIS counts the app key, not the process, so the send times live in a {@link PaceLog} shared by
 * all of them: a small file beside the token cache, read and written under a file lock
 * ({@link FilePaceLog}). A request may go once fewer than `limit` of the key's recent sends may
 * still be stamped within the second before it.
 *
 * The gateway stamps a request somewhere between our send and its answer. A send of ours is
 * surely out of the second before a new send one second after its *answer*, less most of the
 * shortest round trip seen: the answer still had its way back to travel after the stamp, and the
 * new request has its way there before its own; together the two halves of a round trip, never
 * shorter than the shortest one ever measured (90 % of it is counted, against jitter on both
 * ways; a recent minimum would not do: when a server stalls, every recent round trip is mostly
 * queueing before the stamp). On a fast
 * network that is one second after the answer; at 300 ms round trips with 0–100 ms of jitter it
 * keeps about 0.9 of the limit, where a plain second after the answer idles the window (0.77).
 * A send still unanswered keeps its place, however late the gateway is; another process's send,
 * whose answer is not known here, counts until a second plus the slowest round trip seen.
 *
 * @module
 */
import { dirname } from "node:path";
import { getLogger } from "../log.ts";

const log = getLogger("kis", "pacer");

/** Added to every window against timer rounding. */
export const PACER_MARGIN_MS = 5;

/** Round trips kept to know the slowest of late. */
export const RTT_SAMPLES = 64;

/** The share of the shortest round trip a send's answer may count as already travelled. */
export const ROUND_TRIP_CREDIT = 0.9;

/** How long another process's send counts while no round trip has been measured (ms). */
export const UNMEASURED_ROUND_TRIP_MS = 1000;

/** How long a waiting request sleeps at most before it looks at the log again (ms). */
export const PACER_POLL_MS = 100;

/** Dependencies of a {@link Pacer}, replaceable in tests. */
export interface PacerClock {
  /** Milliseconds; the real clock is the wall clock, shared by every process. */
  now(): number;
  /** Resolves after `ms` milliseconds. */
  sleep(ms: number): Promise<void>;
}

const realClock: PacerClock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/** The outcome of one {@link PaceLog.claim}. */
export interface PaceClaim {
  /** Sends recorded: they may go now. */
  readonly granted: number;
  /** When fewer than wanted were granted: how long until the next may go. */
  readonly waitMs: number;
  /** The time recorded for the sends granted (the log's clock). */
  readonly at: number;
}

/** Decides from the recent send times (ascending) when the next send may go. */
export type EarliestSend = (recent: readonly number[], now: number) => number;

/** Where the recent send times of one app key are kept, for every user of the key. */
export interface PaceLog {
  /**
   * Atomically: reads the recent send times, and records now as a send for as many of `wanted`
   * as `earliest` allows now.
   */
  claim(wanted: number, earliest: EarliestSend): Promise<PaceClaim>;
}

/** Grants up to `wanted` sends at `now` into `recent` (which it extends). */
function grant(wanted: number, recent: number[], now: number, earliest: EarliestSend): PaceClaim {
  let granted = 0;
  while (granted < wanted && earliest(recent, now) <= now) {
    recent.push(now);
    granted++;
  }
  return { granted, waitMs: granted < wanted ? earliest(recent, now) - now : 0, at: now };
}

/** A pace log in memory: one process, one clock (tests, or a key no other process uses). */
export class MemoryPaceLog implements PaceLog {
  readonly #sends: number[] = [];
  readonly #now: () => number;

  constructor(now: () => number = () => Date.now()) {
    this.#now = now;
  }

  /** Every send recorded so far. */
  get sends(): readonly number[] {
    return this.#sends;
  }

  claim(wanted: number, earliest: EarliestSend): Promise<PaceClaim> {
    const claim = grant(wanted, this.#sends, this.#now(), earliest);
    if (this.#sends.length > 4 * KEEP_SENDS) this.#sends.splice(0, this.#sends.length - KEEP_SENDS);
    return Promise.resolve(claim);
  }
}

/** Sends kept per key: far more than any limit KIS allows. */
const KEEP_SENDS = 200;
/** How long a send is kept (ms): longer than any window. */
const KEEP_MS = 60_000;

interface PaceFile {
  version: 1;
  /** Send times (epoch ms) per key. */
  keys: Record<string, number[]>;
}

/**
 * The file of the send times of the app key whose token is cached at `tokenCachePath`: beside
 * the cache, so every process sharing the token shares the pace.
 */
export function paceFilePath(tokenCachePath: string): string {
  return `${tokenCachePath}.pace`;
}

/**
 * The send times of every process on this machine, in one JSON file (`<token cache>.pace`)
 * guarded by an exclusive lock on `<file>.lock`. The wall clock is the common time base.
 */
export class FilePaceLog implements PaceLog {
  readonly #path: string;
  readonly #key: Promise<string>;
  #folderReady?: Promise<void>;

  /** `key` identifies the app key (and server), never containing a secret. */
  constructor(path: string, key: string | Promise<string>) {
    this.#path = path;
    this.#key = Promise.resolve(key);
  }

  async claim(wanted: number, earliest: EarliestSend): Promise<PaceClaim> {
    const key = await this.#key;
    this.#folderReady ??= Deno.mkdir(dirname(this.#path), { recursive: true });
    await this.#folderReady;
    using lock = await Deno.open(`${this.#path}.lock`, { create: true, write: true, mode: 0o600 });
    await lock.lock(true);
    try {
      const file = await readPaceFile(this.#path);
      // Read the clock only once the lock is held: the time recorded is the time of the send.
      const now = Date.now();
      const recent = (file.keys[key] ?? []).filter((t) => t > now - KEEP_MS && t <= now + 1000)
        .sort((a, b) => a - b);
      const claim = grant(wanted, recent, now, earliest);
      if (claim.granted === 0) return claim;
      file.keys[key] = recent.slice(-KEEP_SENDS);
      for (const [other, sends] of Object.entries(file.keys)) {
        if (!sends.some((t) => t > now - KEEP_MS)) delete file.keys[other];
      }
      await Deno.writeTextFile(this.#path, JSON.stringify(file), { mode: 0o600 });
      return claim;
    } finally {
      await lock.unlock();
    }
  }
}

async function readPaceFile(path: string): Promise<PaceFile> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return { version: 1, keys: {} };
    throw error;
  }
  try {
    const data = JSON.parse(text);
    if (data?.version === 1 && typeof data.keys === "object" && data.keys !== null) {
      return data as PaceFile;
    }
  } catch {
    // A torn write (a process killed mid-write) only forgets the last second of sends.
  }
  log.debug("Starting over an unreadable pace file {path}", { path });
  return { version: 1, keys: {} };
}

/** What a {@link Pacer} needs besides the rate. */
export interface PacerOptions {
  /** Where the key's sends are kept; default a log of this pacer alone. */
  readonly log?: PaceLog;
  /** The clock; default the wall clock. */
  readonly clock?: PacerClock;
}

/** A caller's turn: the send time the log recorded and its place among the sends of that time. */
interface Turn {
  readonly at: number;
  readonly slot: number;
}

/** Lets concurrent callers send one request each, in order, within the limit. */
export class Pacer {
  /** Requests per second this pacer allows (may be fractional: 0.5 = one per two seconds). */
  readonly ratePerSecond: number;
  /** Requests allowed per window. */
  readonly count: number;
  /** The window (ms): one second, longer below 1 request/s. */
  readonly baseWindowMs: number;
  readonly #clock: PacerClock;
  readonly #log: PaceLog;
  readonly #roundTrips: number[] = [];
  #shortest = Infinity;
  /** Callers waiting for a turn, first come first served; `go` gets their recorded send. */
  readonly #waiting: { go(turn: Turn): void; fail(error: unknown): void }[] = [];
  /**
   * This pacer's sends by the time the log recorded for them: each one's answer time (for a
   * failed send, the failure's, without the round-trip credit), or null while unanswered.
   */
  readonly #own = new Map<number, (number | null)[]>();
  #pumping = false;

  constructor(ratePerSecond: number, options: PacerOptions = {}) {
    if (!(ratePerSecond > 0)) {
      throw new RangeError(`rate limit must be a positive number of requests per second`);
    }
    this.ratePerSecond = ratePerSecond;
    this.count = Math.max(1, Math.floor(ratePerSecond));
    this.baseWindowMs = ratePerSecond < 1 ? 1000 / ratePerSecond : 1000;
    this.#clock = options.clock ?? realClock;
    this.#log = options.log ?? new MemoryPaceLog(() => this.#clock.now());
  }

  /**
   * The shortest round trip ever measured (ms), or 0 before any: the network's own delay, which
   * queueing only adds to (a recent minimum can be all queueing when a server stalls).
   */
  get shortestRoundTripMs(): number {
    return Number.isFinite(this.#shortest) ? this.#shortest : 0;
  }

  /** The slowest recent round trip (ms), or {@link UNMEASURED_ROUND_TRIP_MS} before any. */
  get slowestRoundTripMs(): number {
    return this.#roundTrips.length === 0 ? UNMEASURED_ROUND_TRIP_MS : Math.max(...this.#roundTrips);
  }

  /**
   * Waits for a turn, runs `send`, and learns from its round trip when it answers. The round
   * trip counts from the time the log recorded, so the delay until `send` really starts (a busy
   * event loop) is part of the spread the window allows for.
   */
  async run<T>(send: () => Promise<T>): Promise<T> {
    const turn = await new Promise<Turn>((go, fail) => {
      this.#waiting.push({ go, fail });
      if (!this.#pumping) void this.#pump();
    });
    let result: T;
    try {
      result = await send();
    } catch (error) {
      // No answer: the request may have been stamped any time until now.
      const answers = this.#own.get(turn.at);
      if (answers) {
        answers[turn.slot] = this.#clock.now() + ROUND_TRIP_CREDIT * this.shortestRoundTripMs;
      }
      throw error;
    }
    const answeredAt = this.#clock.now();
    const answers = this.#own.get(turn.at);
    if (answers) answers[turn.slot] = answeredAt;
    this.#roundTrips.push(answeredAt - turn.at);
    if (this.#roundTrips.length > RTT_SAMPLES) this.#roundTrips.shift();
    this.#shortest = Math.min(this.#shortest, answeredAt - turn.at);
    return result;
  }

  /**
   * The earliest next send: once fewer than `count` recent sends may still be stamped within
   * the second before it (see the module's notes for when a send is out).
   */
  #earliest(recent: readonly number[], now: number): number {
    if (recent.length < this.count) return now;
    const afterAnswer = this.baseWindowMs + PACER_MARGIN_MS -
      ROUND_TRIP_CREDIT * this.shortestRoundTripMs;
    const afterOtherSend = this.baseWindowMs + PACER_MARGIN_MS + this.slowestRoundTripMs;
    const outAt: number[] = [];
    for (let i = 0; i < recent.length;) {
      const at = recent[i];
      const answers = this.#own.get(at) ?? [];
      // Sends of one instant: this pacer's own first (their answers known), then others'.
      for (let k = 0; i < recent.length && recent[i] === at; i++, k++) {
        if (k >= answers.length) outAt.push(at + afterOtherSend);
        else outAt.push(answers[k] === null ? Infinity : answers[k]! + afterAnswer);
      }
    }
    outAt.sort((a, b) => a - b);
    return Math.max(now, outAt[outAt.length - this.count]);
  }

  /** Records `count` own sends at `at`; returns the first one's slot. */
  #recordOwn(at: number, count: number): number {
    const answers = this.#own.get(at) ?? [];
    const first = answers.length;
    answers.push(...Array<number | null>(count).fill(null));
    this.#own.set(at, answers);
    if (this.#own.size > 4 * KEEP_SENDS) {
      // Only sends of the last window ever gate a send: older records go.
      const keep = new Set([...this.#own.keys()].sort((a, b) => a - b).slice(-KEEP_SENDS));
      for (const key of this.#own.keys()) if (!keep.has(key)) this.#own.delete(key);
    }
    return first;
  }

  /** Hands out turns while callers wait: all the window allows at once, in one claim. */
  async #pump(): Promise<void> {
    this.#pumping = true;
    try {
      while (this.#waiting.length > 0) {
        const { granted, waitMs, at } = await this.#log.claim(
          this.#waiting.length,
          (recent, now) => this.#earliest(recent, now),
        );
        if (granted > 0) {
          const first = this.#recordOwn(at, granted);
          this.#waiting.splice(0, granted).forEach((caller, k) =>
            caller.go({ at, slot: first + k })
          );
        }
        // Look again soon: answers come in, other processes send.
        if (this.#waiting.length > 0) await this.#clock.sleep(Math.min(waitMs, PACER_POLL_MS));
      }
    } catch (error) {
      // The pace log failed (its folder unwritable): every waiting caller gets the error.
      for (const caller of this.#waiting.splice(0)) caller.fail(error);
    } finally {
      this.#pumping = false;
    }
  }
}
