/**
 * What a `node:sqlite` error means for the archive. Deno's `node:sqlite` errors carry only
 * `code: "ERR_SQLITE_ERROR"` and SQLite's own message (no result code), so the kind of fault is
 * read from the message SQLite gives each result code (`sqlite3_errstr`).
 *
 * @module
 */

/**
 * Faults of the database file itself (not of one request):
 * - `busy`: another connection holds the write lock (SQLITE_BUSY);
 * - `corrupt`: the file is damaged (SQLITE_CORRUPT) or is not a database at all (SQLITE_NOTADB);
 * - `full`: the disk (or the database's page limit) is full (SQLITE_FULL);
 * - `read-only`: the file, its folder or its file system cannot be written (SQLITE_READONLY);
 * - `io`: the operating system failed a read or write (SQLITE_IOERR);
 * - `cannot-open`: the file cannot be opened at all (SQLITE_CANTOPEN).
 */
export type SqliteFault = "busy" | "corrupt" | "full" | "read-only" | "io" | "cannot-open";

const FAULT_MESSAGES: readonly (readonly [RegExp, SqliteFault])[] = [
  [/^database is locked\b/, "busy"],
  [
    /^database disk image is malformed|^file is not a database|^malformed database schema/,
    "corrupt",
  ],
  [/^database or disk is full\b/, "full"],
  [/^attempt to write a readonly database\b/, "read-only"],
  [/^disk I\/O error\b/, "io"],
  [/^unable to open database file\b/, "cannot-open"],
];

/** The fault `error` (or an error in its `cause` chain) reports, if it is a SQLite fault. */
export function sqliteFault(error: unknown): SqliteFault | undefined {
  for (let e = error, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth++) {
    if ((e as { code?: unknown }).code !== "ERR_SQLITE_ERROR") continue;
    for (const [pattern, fault] of FAULT_MESSAGES) {
      if (pattern.test(e.message)) return fault;
    }
  }
  return undefined;
}

/** Whether `error` means the write lock is held by another connection: try again later. */
export function isBusyError(error: unknown): boolean {
  return sqliteFault(error) === "busy";
}
