/**
 * Restoring a backup in place of the archive: the backup is checked first (a SQLite archive, no
 * newer schema than this code, `integrity_check`), the archive must not be open in any other
 * process (the service, a collection), and the archive it replaces is kept beside it, renamed,
 * so that nothing is ever lost by a restore.
 *
 * @module
 */
import { dirname } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { MIGRATIONS } from "./migrations.ts";
import { sqliteFault } from "./sqlite_errors.ts";
import { ARCHIVE_APPLICATION_ID, pathExists } from "./sqlite_file.ts";

/** A restore was refused; nothing was changed. */
export class RestoreError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(`${message}. Nothing was changed.`, options);
    this.name = "RestoreError";
  }
}

/** What {@link restoreArchive} did. */
export interface RestoreResult {
  /** Where the archive that was replaced now is (absent when there was none). */
  readonly previous?: string;
  /** Decisions and rejections in the restored archive. */
  readonly entries: { readonly decisions: number; readonly rejections: number };
}

function firstValue(db: DatabaseSync, sql: string): unknown {
  return Object.values(db.prepare(sql).get() as object)[0];
}

/** Checks that `backupPath` is a healthy archive this code can open; returns its entry counts. */
export function checkBackup(backupPath: string): RestoreResult["entries"] {
  let db: DatabaseSync;
  try {
    db = new DatabaseSync(backupPath, { readOnly: true });
  } catch (error) {
    throw new RestoreError(`cannot open ${backupPath}: ${(error as Error).message}`);
  }
  try {
    const applicationId = Number(firstValue(db, "PRAGMA application_id"));
    const tables = (db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table'").all() as {
      name: string;
    }[]).map((row) => row.name);
    if (
      applicationId !== ARCHIVE_APPLICATION_ID &&
      !(applicationId === 0 && tables.includes("llm_decision_ledger"))
    ) {
      throw new RestoreError(`${backupPath} is not an Archivist archive`);
    }
    const migrations = (db.prepare("SELECT name FROM kysely_migration").all() as {
      name: string;
    }[]).map((row) => row.name);
    const unknown = migrations.filter((name) => !(name in MIGRATIONS));
    if (unknown.length > 0) {
      throw new RestoreError(
        `${backupPath} was written by a newer Archivist (migrations ${unknown.join(", ")}); ` +
          "upgrade Archivist first",
      );
    }
    const problems = (db.prepare("PRAGMA integrity_check(5)").all() as Record<string, unknown>[])
      .map((row) => String(Object.values(row)[0]));
    if (problems.join() !== "ok") {
      throw new RestoreError(
        `${backupPath} failed integrity_check (${problems.join("; ")}); restore another backup`,
      );
    }
    return {
      decisions: Number(firstValue(db, "SELECT count(*) FROM llm_decision_ledger")),
      rejections: Number(firstValue(db, "SELECT count(*) FROM shadow_radar_log")),
    };
  } catch (error) {
    if (error instanceof RestoreError) throw error;
    throw new RestoreError(
      `${backupPath} cannot be read as an archive: ${(error as Error).message}`,
    );
  } finally {
    db.close();
  }
}

/** Options of {@link restoreArchive}. */
export interface RestoreOptions {
  /**
   * Replace an archive too damaged for SQLite to take its lock (so whether another process has
   * it open cannot be checked): the user says every Archivist process is stopped.
   */
  readonly force?: boolean;
}

/**
 * Takes the archive at `databasePath` for this process alone, folding its write-ahead log into
 * the file; throws when another process has it open. Returns the connection holding it, or
 * undefined when the archive is too damaged to be taken and `force` says to replace it anyway.
 */
function takeArchive(
  databasePath: string,
  backupPath: string,
  force: boolean,
): DatabaseSync | undefined {
  const db = new DatabaseSync(databasePath);
  try {
    db.exec("PRAGMA busy_timeout = 0");
    // In WAL mode every open connection keeps a shared lock on the file: an exclusive lock is
    // only granted when no other process (the service, a collection) has the archive open.
    db.exec("PRAGMA locking_mode = EXCLUSIVE");
    db.exec("BEGIN EXCLUSIVE");
    db.exec("COMMIT");
    db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
    return db;
  } catch (error) {
    db.close();
    if (/database is locked/.test((error as Error).message)) {
      throw new RestoreError(
        `the archive ${databasePath} is open in another process (the service, or a collection): ` +
          "stop it first (Ctrl-C, or your service manager), then run restore again",
      );
    }
    if (sqliteFault(error) === "corrupt") {
      if (force) return undefined;
      // SQLite reads the damaged header before it locks anything: no check of other processes.
      throw new RestoreError(
        `the archive ${databasePath} is too damaged for SQLite to check that no other process ` +
          `has it open (${(error as Error).message}): stop every Archivist process (the ` +
          `service, collections), then run \`deno task restore --force ${backupPath}\``,
      );
    }
    throw new RestoreError(`cannot take the archive ${databasePath}: ${(error as Error).message}`);
  }
}

/**
 * Puts a copy of `backupPath` in place of the archive at `databasePath`. The backup is checked
 * first; the archive must not be open elsewhere (unless it is too damaged to check and `force`
 * is set); the replaced archive is renamed to `<archive>.replaced-<stamp>` (never deleted).
 */
export async function restoreArchive(
  backupPath: string,
  databasePath: string,
  stamp: string,
  options: RestoreOptions = {},
): Promise<RestoreResult> {
  const entries = checkBackup(backupPath);
  await Deno.mkdir(dirname(databasePath), { recursive: true, mode: 0o700 });
  const staged = `${databasePath}.restoring`;
  await Deno.copyFile(backupPath, staged);
  try {
    await Deno.chmod(staged, 0o600);
    using file = await Deno.open(staged, { read: true, write: true });
    await file.syncData();
  } catch (error) {
    await Deno.remove(staged).catch(() => {});
    throw error;
  }
  let previous: string | undefined;
  if (await pathExists(databasePath)) {
    let held: DatabaseSync | undefined;
    try {
      held = takeArchive(databasePath, backupPath, options.force ?? false);
    } catch (error) {
      await Deno.remove(staged).catch(() => {});
      throw error;
    }
    // Closing the last connection removes the (now empty) -wal and -shm files.
    held?.close();
    previous = `${databasePath}.replaced-${stamp}`;
    // A second restore within the same second must not overwrite what the first one kept.
    for (let n = 2; await pathExists(previous); n++) {
      previous = `${databasePath}.replaced-${stamp}-${n}`;
    }
    await Deno.rename(databasePath, previous);
    for (const suffix of ["-wal", "-shm"]) {
      if (await pathExists(databasePath + suffix)) {
        await Deno.rename(databasePath + suffix, previous + suffix);
      }
    }
  }
  await Deno.rename(staged, databasePath);
  return { previous, entries };
}
