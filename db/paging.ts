/**
 * Pages of a listing: the page size a caller may ask for, and the opaque cursor that continues a
 * listing after the last `log_id` it returned.
 *
 * @module
 */
import { ArchiveInputError } from "./errors.ts";

/** One page of a listing, oldest first, with the cursor of the next page (null at the end). */
export interface Page<T> {
  readonly items: readonly T[];
  readonly nextCursor: string | null;
}

/** `limit` (default 100) if it is an integer from 1 to 1000; refused for `operation` otherwise. */
export function pageLimit(operation: string, limit = 100): number {
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
    throw new ArchiveInputError(operation, "expected an integer from 1 to 1000", "limit");
  }
  return limit;
}

function encodeCursor(logId: number): string {
  return btoa(`log:${logId}`).replaceAll("=", "");
}

/** The `log_id` after which the page of `cursor` starts; refused for `operation` if malformed. */
export function decodeCursor(operation: string, cursor: string): number {
  try {
    const match = /^log:(\d+)$/.exec(atob(cursor));
    if (match) return Number(match[1]);
  } catch {
    // Not base64: reported below like any other bad cursor.
  }
  throw new ArchiveInputError(operation, "expected the nextCursor of a previous page", "cursor");
}

/** The page of `rows`, fetched with one row beyond `limit` to tell whether another page follows. */
export function pageOf<T extends { log_id: number }>(rows: T[], limit: number): Page<T> {
  const items = rows.slice(0, limit);
  return {
    items,
    nextCursor: rows.length > limit ? encodeCursor(items[items.length - 1].log_id) : null,
  };
}
