/**
 * The per-app-key request limit of the KIS gateway: a sliding one-second window of accepted
 * requests, in real (monotonic) time whatever the simulated clock says.
 *
 * @module
 */

const WINDOW_MS = 1_000;

/**
 * Counts accepted requests per key over the last second (rejected ones do not use up the limit),
 * and, as a split-second counter, the most requests of one key that ever arrived within any
 * sliding second, refused ones included.
 */
export class SlidingWindowLimiter {
  #accepted = new Map<string, number[]>();
  #arrived = new Map<string, number[]>();
  #peak = 0;

  /** Accepts one request of `key` if fewer than `limit` were accepted in the last second. */
  tryAcquire(key: string, limit: number): boolean {
    const now = performance.now();
    const arrived = (this.#arrived.get(key) ?? []).filter((t) => now - t < WINDOW_MS);
    arrived.push(now);
    this.#arrived.set(key, arrived);
    if (arrived.length > this.#peak) this.#peak = arrived.length;
    const stamps = (this.#accepted.get(key) ?? []).filter((t) => now - t < WINDOW_MS);
    const accepted = stamps.length < limit;
    if (accepted) stamps.push(now);
    this.#accepted.set(key, stamps);
    return accepted;
  }

  /** The most requests of one key within any sliding second since the start or reset. */
  get peak(): number {
    return this.#peak;
  }

  /** Starts the peak over (the windows themselves are kept). */
  resetPeak(): void {
    this.#peak = 0;
  }

  /** Forgets every recorded request. */
  reset(): void {
    this.#accepted.clear();
    this.#arrived.clear();
    this.#peak = 0;
  }
}
