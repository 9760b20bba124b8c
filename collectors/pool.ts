/**
 * A small worker pool: per-stock work with bounded concurrency, so the client's pacer always has a
 * request waiting while no stock waits on another's failure.
 *
 * @module
 */

/**
 * Calls `work` for every item with at most `concurrency` calls in flight. `work` handles its own
 * per-item failures; an error it throws stops new items from starting and is rethrown once the
 * calls in flight have settled.
 */
export async function forEachConcurrent<T>(
  items: readonly T[],
  concurrency: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new RangeError(`concurrency must be a whole number ≥ 1 (got ${concurrency})`);
  }
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (!failure && next < items.length) {
      const item = items[next++];
      try {
        await work(item);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  if (failure) throw failure.error;
}
