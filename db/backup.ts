/**
 * Backups of the archive: a consistent copy taken while the service runs (SQLite's online backup
 * API, in a worker), checked with `PRAGMA integrity_check` before it is renamed into place, one
 * private file (0600) per backup named after the KST time it was taken, and a retention that keeps
 * the newest N. A SQLite archive only: a PostgreSQL one is backed up with the server's tools
 * ({@link serverBackupAdvice}).
 *
 * @module
 */
import { basename, join } from "node:path";
import { kstIso } from "../src/time.ts";
import type { BackupAnswer, BackupJob } from "./backup_worker.ts";
import { describeLocation, parseArchiveLocation } from "./dialect.ts";
import { pathExists } from "./sqlite_file.ts";

/** A backup failed; nothing was put in the backup folder. */
export class BackupError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "BackupError";
  }
}

/**
 * Why Archivist does not copy the archive at `location` (`ARCHIVIST_DB`) itself, with what to use
 * instead, when it is a PostgreSQL database; undefined for a SQLite file.
 */
export function serverBackupAdvice(location: string): string | undefined {
  const where = parseArchiveLocation(location);
  if (where.dialect === "sqlite") return undefined;
  return `ARCHIVIST_DB is a PostgreSQL database (${describeLocation(where)}): back it up with ` +
    'the server\'s tools, e.g. `pg_dump --format=custom --file=archivist.dump "$ARCHIVIST_DB"` ' +
    'and `pg_restore --clean --if-exists --dbname="$ARCHIVIST_DB" archivist.dump`, or the ' +
    "server's continuous archiving (docs/postgres.md); deno task backup and restore copy SQLite " +
    "files only";
}

/** A backup that was taken. */
export interface BackupResult {
  /** The backup file. */
  readonly path: string;
  /** Its size. */
  readonly bytes: number;
  /** Database pages copied. */
  readonly pages: number;
  /** How long it took. */
  readonly seconds: number;
}

/** A backup file in a backup folder. */
export interface BackupFile {
  readonly path: string;
  readonly bytes: number;
  /** When it was taken, as its name says (KST ISO-8601). */
  readonly takenAtKst: string;
}

function stem(databasePath: string): string {
  return basename(databasePath).replace(/\.(db|sqlite3?)$/i, "") || "archivist";
}

const STAMP = /^(\d{4}-\d{2}-\d{2})-(\d{2})(\d{2})(\d{2})$/;

/** The file name of a backup of `databasePath` taken at `at`: `archivist-2026-11-26-180000.db`. */
export function backupFileName(databasePath: string, at: Date): string {
  const iso = kstIso(at); // 2026-11-26T18:00:00+09:00
  return `${stem(databasePath)}-${iso.slice(0, 10)}-${iso.slice(11, 19).replaceAll(":", "")}.db`;
}

/** Backups of `databasePath` in `folder`, newest first. */
export async function listBackups(folder: string, databasePath: string): Promise<BackupFile[]> {
  const prefix = `${stem(databasePath)}-`;
  const found: BackupFile[] = [];
  try {
    for await (const entry of Deno.readDir(folder)) {
      if (!entry.isFile || !entry.name.startsWith(prefix) || !entry.name.endsWith(".db")) continue;
      const match = STAMP.exec(entry.name.slice(prefix.length, -3));
      if (!match) continue;
      const path = join(folder, entry.name);
      found.push({
        path,
        bytes: (await Deno.stat(path)).size,
        takenAtKst: `${match[1]}T${match[2]}:${match[3]}:${match[4]}+09:00`,
      });
    }
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [];
    throw error;
  }
  return found.sort((a, b) => b.takenAtKst.localeCompare(a.takenAtKst));
}

/** Removes all but the newest `keep` backups of `databasePath` in `folder`; returns the removed. */
export async function pruneBackups(
  folder: string,
  databasePath: string,
  keep: number,
): Promise<string[]> {
  const removed: string[] = [];
  for (const old of (await listBackups(folder, databasePath)).slice(keep)) {
    await Deno.remove(old.path);
    removed.push(old.path);
  }
  return removed;
}

function runWorker(job: BackupJob): Promise<BackupAnswer> {
  const worker = new Worker(new URL("./backup_worker.ts", import.meta.url), { type: "module" });
  return new Promise<BackupAnswer>((resolve) => {
    worker.onmessage = (event: MessageEvent<BackupAnswer>) => resolve(event.data);
    worker.onerror = (event) => {
      event.preventDefault();
      resolve({ ok: false, error: event.message });
    };
    worker.postMessage(job);
  }).finally(() => worker.terminate());
}

/**
 * Copies the archive at `databasePath` into `folder` (created, 0700) while other connections
 * keep reading and writing, checks the copy with `integrity_check`, and only then gives it its
 * name. Throws {@link BackupError} naming the cause; a failed backup leaves no file behind.
 */
export async function backupArchive(
  databasePath: string,
  folder: string,
  options: { readonly readOnly?: boolean; readonly now?: () => Date } = {},
): Promise<BackupResult> {
  const started = performance.now();
  try {
    await Deno.mkdir(folder, { recursive: true, mode: 0o700 });
  } catch (error) {
    throw new BackupError(
      `cannot create the backup folder ${folder} (${(error as Error).message}); choose another ` +
        "with --to DIR or ARCHIVIST_BACKUP_DIR",
      { cause: error },
    );
  }
  let name = backupFileName(databasePath, (options.now ?? (() => new Date()))());
  for (let n = 2; await pathExists(join(folder, name)); n++) {
    name = name.replace(/(-\d+)?\.db$/, `-${n}.db`);
  }
  const path = join(folder, name);
  const partial = join(folder, `.${name}.partial`);
  const answer = await runWorker({
    source: databasePath,
    readOnly: options.readOnly ?? false,
    destination: partial,
  });
  try {
    if (!answer.ok) throw new BackupError(`the backup of ${databasePath} failed: ${answer.error}`);
    if (answer.integrity !== "ok") {
      throw new BackupError(
        `the copy of ${databasePath} failed integrity_check (${answer.integrity}); the archive ` +
          "itself may be damaged: keep your earlier backups",
      );
    }
    await Deno.chmod(partial, 0o600);
    using file = await Deno.open(partial, { read: true, write: true });
    await file.syncData();
    await Deno.rename(partial, path);
  } catch (error) {
    await Deno.remove(partial).catch(() => {});
    await Deno.remove(`${partial}-journal`).catch(() => {});
    throw error;
  }
  return {
    path,
    bytes: (await Deno.stat(path)).size,
    pages: answer.pages,
    seconds: Math.round(performance.now() - started) / 1000,
  };
}
