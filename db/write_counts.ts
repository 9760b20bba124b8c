/**
 * What a write did, returned by every Archivist upsert.
 *
 * @module
 */

/** Rows inserted, updated with changed values, and already identical (left untouched). */
export interface WriteCounts {
  /** New rows. */
  readonly inserted: number;
  /** Existing rows whose values changed. */
  readonly updated: number;
  /** Existing rows sent again with identical values. */
  readonly unchanged: number;
}

/** Sums write counts. */
export function addCounts(a: WriteCounts, b: WriteCounts): WriteCounts {
  return {
    inserted: a.inserted + b.inserted,
    updated: a.updated + b.updated,
    unchanged: a.unchanged + b.unchanged,
  };
}

/** No rows touched. */
export const NO_WRITES: WriteCounts = { inserted: 0, updated: 0, unchanged: 0 };
