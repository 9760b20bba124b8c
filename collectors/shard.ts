/**
 * Splitting the collection targets between several collectors (`collect --shard i/n`, or
 * `ARCHIVIST_SHARD` for the service): each host takes the stocks whose code hashes to its part,
 * so hosts writing into one database never collect a stock twice. The hash (32-bit FNV-1a of the
 * code's UTF-8 bytes) is stable across hosts, processes and versions; every host must use the
 * same `n`.
 *
 * @module
 */

/** Part `index` (1-based) of `count`. */
export interface Shard {
  readonly index: number;
  readonly count: number;
}

/** `value` as a shard `i/n` (1 ≤ i ≤ n ≤ 1000); throws naming the expected form otherwise. */
export function parseShard(value: string): Shard {
  const match = /^(\d{1,4})\/(\d{1,4})$/.exec(value.trim());
  const index = Number(match?.[1]);
  const count = Number(match?.[2]);
  if (!match || count < 1 || count > 1000 || index < 1 || index > count) {
    throw new RangeError(
      `expected a shard as i/n with 1 ≤ i ≤ n ≤ 1000, e.g. 1/3 (got ${JSON.stringify(value)})`,
    );
  }
  return { index, count };
}

/** The shard as stored in `collection_run.shard` and shown: `i/n`. */
export function shardLabel(shard: Shard): string {
  return `${shard.index}/${shard.count}`;
}

/** 32-bit FNV-1a of `text`'s UTF-8 bytes. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(text)) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

/** Whether `shard` collects `stockCode` (every stock, without a shard). */
export function inShard(stockCode: string, shard: Shard | undefined): boolean {
  return shard === undefined || fnv1a(stockCode) % shard.count === shard.index - 1;
}
