/**
 * Waiting for the database's write lock without blocking: an operation that finds the lock held
 * by another process is tried again after a short asynchronous pause, up to a deadline.
 *
 * @module
 */
import { isBusyError } from "./sqlite_errors.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs `attempt`, and again while it fails because another connection holds the write lock, for
 * up to `timeoutMs`; then the last busy error is thrown. Other errors are thrown at once.
 */
export async function waitWhileBusy<T>(attempt: () => Promise<T>, timeoutMs: number): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (let pauseMs = 2;; pauseMs = Math.min(pauseMs * 2, 50)) {
    try {
      return await attempt();
    } catch (error) {
      if (!isBusyError(error) || performance.now() + pauseMs > deadline) throw error;
      await sleep(pauseMs);
    }
  }
}
