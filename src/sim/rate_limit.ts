/**
 * The per-app-key request limit of the KIS gateway: a sliding one-second window of accepted
 * requests, in real (monotonic) time whatever the simulated clock says.
 *
 * @module
 */

const WINDOW_MS = 1_000;

/** Counts accepted requests per key over the last second; rejected ones are not counted. */
export class SlidingWindowLimiter {
  #accepted = new Map<string, number[]>();

  /** Accepts one request of `key` if fewer than `limit` were accepted in the last second. */
  tryAcquire(key: string, limit: number): boolean {
    const now = performance.now();
    const stamps = (this.#accepted.get(key) ?? []).filter((t) => now - t < WINDOW_MS);
    const accepted = stamps.length < limit;
    if (accepted) stamps.push(now);
    this.#accepted.set(key, stamps);
    return accepted;
  }

  /** Forgets every recorded request. */
  reset(): void {
    this.#accepted.clear();
  }
}
