/**
 * Request pacing for one app key: never more than `limit` requests in any sliding second as the
 * server counts them, and no slower than that. One pacer per app key is shared by every client in
 * the process.
 *
 * The server stamps a request somewhere between our send and its answer, and that delay jitters.
 * So a request may go only one window after the *answer* to the request `limit` places before it
 * arrived: whatever the jitter, the server then sees at most `limit` in any second.
 *
 * @module
 */

/** Added to every window against timer rounding. */
export const PACER_MARGIN_MS = 5;

/** Dependencies of a {@link Pacer}, replaceable in tests. */
export interface PacerClock {
  /** Monotonic milliseconds. */
  now(): number;
  /** Resolves after `ms` milliseconds. */
  sleep(ms: number): Promise<void>;
}

const realClock: PacerClock = {
  now: () => performance.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/** One request's hold on the window: from its send until its answer (or failure). */
interface Slot {
  readonly answered: Promise<number>;
  answer(at: number): void;
}

function openSlot(): Slot {
  let answer!: (at: number) => void;
  const answered = new Promise<number>((resolve) => (answer = resolve));
  return { answered, answer };
}

/** Lets concurrent callers send one request each, in order, within the limit. */
export class Pacer {
  /** Requests per second this pacer allows (may be fractional: 0.5 = one per two seconds). */
  readonly ratePerSecond: number;
  /** Requests allowed per window. */
  readonly count: number;
  /** Window length in ms, margin included. */
  readonly windowMs: number;
  readonly #clock: PacerClock;
  readonly #recent: Slot[] = [];
  #queue: Promise<unknown> = Promise.resolve();

  constructor(ratePerSecond: number, clock: PacerClock = realClock) {
    if (!(ratePerSecond > 0)) {
      throw new RangeError(`rate limit must be a positive number of requests per second`);
    }
    this.ratePerSecond = ratePerSecond;
    this.count = Math.max(1, Math.floor(ratePerSecond));
    this.windowMs = (ratePerSecond < 1 ? 1000 / ratePerSecond : 1000) + PACER_MARGIN_MS;
    this.#clock = clock;
  }

  /** Waits for a turn, runs `send`, and frees the turn's window when `send` settles. */
  async run<T>(send: () => Promise<T>): Promise<T> {
    const turn = this.#queue.then(() => this.#nextSlot());
    this.#queue = turn;
    const slot = await turn;
    try {
      return await send();
    } finally {
      slot.answer(this.#clock.now());
    }
  }

  async #nextSlot(): Promise<Slot> {
    if (this.#recent.length === this.count) {
      const gate = await this.#recent.shift()!.answered;
      const wait = gate + this.windowMs - this.#clock.now();
      if (wait > 0) await this.#clock.sleep(wait);
    }
    const slot = openSlot();
    this.#recent.push(slot);
    return slot;
  }
}

const pacers = new Map<string, Pacer>();

/**
 * The process-wide pacer of one app key (`key` identifies it, e.g. base URL + key hash). If callers
 * disagree on the limit, the lowest wins: KIS counts the key's requests, not the client's.
 */
export function sharedPacer(key: string, ratePerSecond: number): Pacer {
  const existing = pacers.get(key);
  if (existing && existing.ratePerSecond <= ratePerSecond) return existing;
  const pacer = new Pacer(ratePerSecond);
  pacers.set(key, pacer);
  return pacer;
}
