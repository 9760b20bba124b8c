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
