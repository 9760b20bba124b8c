/**
 * The worker that copies an archive with SQLite's online backup API and checks the copy with
 * `PRAGMA integrity_check`, so that neither the copy nor the check (seconds on a large archive)
 * holds the service's event loop. Started by `backup.ts`; one job per worker.
 *
 * @module
 */
/// <reference lib="deno.worker" />
import { backup, DatabaseSync } from "node:sqlite";
import { immutableUrl } from "./sqlite_file.ts";

/** What the worker is asked to do. */
export interface BackupJob {
  /** The archive to copy (read through a connection of the worker's own). */
  readonly source: string;
  /** The archive cannot be written by this process: read it as an immutable file. */
  readonly readOnly: boolean;
  /** Where the copy goes (the caller renames it into place once checked). */
  readonly destination: string;
}

/** What the worker answers. */
export type BackupAnswer =
  | { readonly ok: true; readonly pages: number; readonly integrity: string }
  | { readonly ok: false; readonly error: string };

function integrity(path: string): string {
  const db = new DatabaseSync(path, { readOnly: true });
  try {
    const rows = db.prepare("PRAGMA integrity_check(5)").all() as Record<string, unknown>[];
    return rows.map((row) => String(Object.values(row)[0])).join("; ");
  } finally {
    db.close();
  }
}

self.onmessage = async (event: MessageEvent<BackupJob>) => {
  const { source, destination, readOnly } = event.data;
  let answer: BackupAnswer;
  try {
    const db = readOnly
      ? new DatabaseSync(immutableUrl(source), { readOnly: true })
      : new DatabaseSync(source);
    try {
      // A snapshot of committed data, whatever other connections write meanwhile.
      await backup(db, destination, { rate: 256 });
    } finally {
      db.close();
    }
    // The copy is a rollback-journal file: a backup is one file, with no -wal beside it.
    const copy = new DatabaseSync(destination);
    let pages: number;
    try {
      copy.exec("PRAGMA journal_mode = DELETE");
      pages = Number(Object.values(copy.prepare("PRAGMA page_count").get() as object)[0]);
    } finally {
      copy.close();
    }
    answer = { ok: true, pages, integrity: integrity(destination) };
  } catch (error) {
    answer = { ok: false, error: (error as Error).message };
  }
  self.postMessage(answer);
};
