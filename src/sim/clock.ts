/**
 * The simulator's clock: a settable instant that then runs forward with real time.
 *
 * @module
 */

/** Parses an instant given as a `Date` or an ISO-8601 string; throws on anything else. */
export function parseInstant(instant: Date | string): Date {
  const date = new Date(instant);
  if (Number.isNaN(date.getTime())) {
    throw new RangeError(
      `Invalid simulator clock ${JSON.stringify(String(instant))}: expected an ISO-8601 instant`,
    );
  }
  return date;
}

/** Simulated time: `set` jumps, then it advances at the pace of the real clock. */
export class SimClock {
  #simBase: number;
  #realBase: number;

  /** Starts at `initial` (default: the real now). */
  constructor(initial?: Date | string) {
    this.#realBase = Date.now();
    this.#simBase = initial === undefined ? this.#realBase : parseInstant(initial).getTime();
  }

  /** The current simulated instant. */
  now(): Date {
    return new Date(this.#simBase + (Date.now() - this.#realBase));
  }

  /** Jumps to `instant`; time continues from there. */
  set(instant: Date | string): void {
    this.#simBase = parseInstant(instant).getTime();
    this.#realBase = Date.now();
  }
}
