/**
 * Request pacing for one app key: never more than `limit` requests in any sliding second as the
 * KIS gateway counts them, across every client and process using the key, and no slower than
 * that needs.
 *
 * KIS counts the app key, not the process, so the send times live in a {@link PaceLog} shared by
 * all of them: a small file beside the token cache, read and written under a file lock
 * ({@link FilePaceLog}). A request may go once fewer than `limit` sends of the key fall within
 * the last window.
 *
 * The gateway stamps a request somewhere between our send and its answer. Two rules keep any
 * second of stamps within the limit, and a send may go as soon as either allows it:
 *
 * - after the answer: one second after the *answer* to the send `limit` places before (ours,
 *   answered): whatever the network did, that one was stamped by then. Cheap on a fast network;
 *   at 300 ms round trips it idles the window (0.77 of the limit).
 * - after the send: one second plus an allowance after that *send*. Assuming the stamp sits at a
 *   steady share of the round trip, two stamps come closer than their sends by at most the spread
 *   of round trips, so the allowance is that spread as measured on recent answers (with a 10 %
 *   margin): at 300 ms with 0–100 ms of jitter about 0.9 of the limit. Until a few answers are in
 *   it is the slowest round trip seen (one second before any); it is the only rule for the sends
 *   of other processes, whose answers are not known here.
 *
 * @module
 */
import { dirname } from "node:path";
import { getLogger } from "../log.ts";

const log = getLogger("kis", "pacer");

/** Added to every window against timer rounding. */
export const PACER_MARGIN_MS = 5;

/** Round trips kept to measure their spread. */
export const RTT_SAMPLES = 64;

/** Answers needed before the spread of round trips is trusted. */
export const MIN_RTT_SAMPLES = 8;

/** The allowance while nothing has been measured (ms). */
export const UNMEASURED_ALLOWANCE_MS = 1000;

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

/** The earliest instant a send may go: fewer than `count` sends within `windowMs` before it. */
export function earliestSend(
  recent: readonly number[],
  count: number,
  windowMs: number,
  now: number,
): number {
  if (recent.length < count) return now;
  return Math.max(now, recent[recent.length - count] + windowMs);
}

/** What a {@link Pacer} needs besides the rate. */
export interface PacerOptions {
  /** Where the key's sends are kept; default a log of this pacer alone. */
  readonly log?: PaceLog;
  /** The clock; default the wall clock. */
  readonly clock?: PacerClock;
}

/** This pacer's own sends granted at one instant: how many are unanswered, the latest answer. */
interface OwnSends {
  pending: number;
  /** Set once one was answered; a send that failed without an answer keeps `pending` up. */
  latestAnswer: number;
}

/** Lets concurrent callers send one request each, in order, within the limit. */
export class Pacer {
  /** Requests per second this pacer allows (may be fractional: 0.5 = one per two seconds). */
  readonly ratePerSecond: number;
  /** Requests allowed per window. */
  readonly count: number;
  /** The window before the allowance for jitter (ms): one second, longer below 1 request/s. */
  readonly baseWindowMs: number;
  readonly #clock: PacerClock;
  readonly #log: PaceLog;
  readonly #roundTrips: number[] = [];
  /** Callers waiting for a turn, first come first served; `go` gets the recorded send time. */
  readonly #waiting: { go(at: number): void; fail(error: unknown): void }[] = [];
  /** This pacer's sends by the time the log recorded for them. */
  readonly #own = new Map<number, OwnSends>();
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

  /** The allowance for where the gateway stamps a request (ms), from recent round trips. */
  get allowanceMs(): number {
    const samples = this.#roundTrips;
    if (samples.length === 0) return UNMEASURED_ALLOWANCE_MS;
    const sorted = [...samples].sort((a, b) => a - b);
    if (samples.length < MIN_RTT_SAMPLES) return Math.min(1000, sorted.at(-1)!);
    return Math.min(1000, Math.ceil((sorted.at(-1)! - sorted[0]) * 1.1));
  }

  /** The current window (ms): base, allowance and margin. */
  get windowMs(): number {
    return this.baseWindowMs + this.allowanceMs + PACER_MARGIN_MS;
  }

  /**
   * Waits for a turn, runs `send`, and learns from its round trip when it answers. The round
   * trip counts from the time the log recorded, so the delay until `send` really starts (a busy
   * event loop) is part of the spread the window allows for.
   */
  async run<T>(send: () => Promise<T>): Promise<T> {
    const sentAt = await new Promise<number>((go, fail) => {
      this.#waiting.push({ go, fail });
      if (!this.#pumping) void this.#pump();
    });
    const result = await send();
    const answeredAt = this.#clock.now();
    this.#roundTrips.push(answeredAt - sentAt);
    if (this.#roundTrips.length > RTT_SAMPLES) this.#roundTrips.shift();
    const own = this.#own.get(sentAt);
    if (own) {
      own.pending--;
      own.latestAnswer = Math.max(own.latestAnswer, answeredAt);
    }
    return result;
  }

  /** The earliest next send: the earlier of the after-answer and after-send rules. */
  #earliest(recent: readonly number[], now: number): number {
    if (recent.length < this.count) return now;
    const gate = recent[recent.length - this.count];
    let at = gate + this.windowMs;
    const own = this.#own.get(gate);
    if (own && own.pending === 0) {
      at = Math.min(at, own.latestAnswer + this.baseWindowMs + PACER_MARGIN_MS);
    }
    return Math.max(now, at);
  }

  #recordOwn(at: number, count: number): void {
    const own = this.#own.get(at);
    if (own) own.pending += count;
    else this.#own.set(at, { pending: count, latestAnswer: -Infinity });
    if (this.#own.size > 4 * KEEP_SENDS) {
      // Only the last `count` sends ever gate a send: older records go.
      const keep = [...this.#own.keys()].sort((a, b) => a - b).slice(-KEEP_SENDS);
      for (const key of this.#own.keys()) if (!keep.includes(key)) this.#own.delete(key);
    }
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
        if (granted > 0) this.#recordOwn(at, granted);
        for (const caller of this.#waiting.splice(0, granted)) caller.go(at);
        // Look again soon: the allowance shrinks as answers come in, other processes send.
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
