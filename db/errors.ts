/**
 * Typed errors of the archive. A failing write reaches its caller as one of these, never silently.
 *
 * @module
 */

/** A write to the archive failed; nothing of that batch was stored. */
export class ArchiveWriteError extends Error {
  /** The Archivist operation, e.g. `upsertMinuteBars`. */
  readonly operation: string;

  constructor(operation: string, message: string, options?: ErrorOptions) {
    super(`${operation} failed, nothing of the batch was stored: ${message}`, options);
    this.name = "ArchiveWriteError";
    this.operation = operation;
  }
}

/**
 * A write gave up waiting for the write lock, which another process kept (a SQLite browser, a psql
 * session or a script with an open write transaction); nothing was stored, and a retry later will
 * work.
 */
export class ArchiveBusyError extends ArchiveWriteError {
  /** How long the write waited (ms). */
  readonly waitedMs: number;

  constructor(operation: string, waitedMs: number, options?: ErrorOptions) {
    super(
      operation,
      `another process held the database's write lock for ${waitedMs} ms (a SQLite browser, a ` +
        "psql session or a script with unsaved changes?); retry later",
      options,
    );
    this.name = "ArchiveBusyError";
    this.waitedMs = waitedMs;
  }
}

/**
 * A write was committed, but syncing it to the device failed: the rows ARE stored and survive a
 * killed process; whether they survive a power loss is not known. A retry must carry the same
 * idempotency key, or it stores them a second time.
 */
export class ArchiveNotSyncedError extends Error {
  /** The Archivist operation. */
  readonly operation: string;
  /** What the write returned (e.g. the stored ids). */
  readonly value: unknown;

  constructor(operation: string, value: unknown, cause: unknown) {
    super(
      `${operation} was stored, but syncing it to the device failed (${
        (cause as Error)?.message ?? cause
      }): it survives a killed process, a power loss is not certain`,
      { cause },
    );
    this.name = "ArchiveNotSyncedError";
    this.operation = operation;
    this.value = value;
  }
}

/** Input the archive refuses before touching the database (a bad row, a bad cursor). */
export class ArchiveInputError extends Error {
  /** The Archivist operation. */
  readonly operation: string;
  /** Where in the input, e.g. `bars[12].low`. */
  readonly field?: string;

  constructor(operation: string, message: string, field?: string) {
    super(`${operation}: ${field ? `${field}: ` : ""}${message}`);
    this.name = "ArchiveInputError";
    this.operation = operation;
    this.field = field;
  }
}

/** An `Idempotency-Key` was reused with a different request. */
export class IdempotencyConflictError extends Error {
  /** The reused key. */
  readonly idempotencyKey: string;

  constructor(idempotencyKey: string) {
    super(
      `Idempotency-Key ${
        JSON.stringify(idempotencyKey)
      } was already used with a different request; use a new key for a new request`,
    );
    this.name = "IdempotencyConflictError";
    this.idempotencyKey = idempotencyKey;
  }
}
