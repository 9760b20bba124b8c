/**
 * The archive's SQLite file before and right after it is opened: the path is checked (a folder, a
 * parent that is a file, a file that is not SQLite, a read-only file each get one message naming
 * the fix), a new file is created private (0600, in a 0700 folder, so SQLite's `-wal` and `-shm`
 * files are private too), the file is marked as an Archivist archive (`application_id`), a file
 * of another application is refused untouched, and a damaged one is refused with how to restore.
 *
 * @module
 */
import { dirname, resolve } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { sqliteFault } from "./sqlite_errors.ts";

/** The mark in the SQLite header (`PRAGMA application_id`) of every archive: "ARCV". */
export const ARCHIVE_APPLICATION_ID = 0x41524356;

const SQLITE_HEADER = "SQLite format 3\0";

/** The command that puts a good copy in place of a damaged archive (README, Operating it). */
export const RESTORE_COMMAND = "deno task restore <backup file>";

/** The archive file cannot be used as it is; the message names the problem and the fix. */
export class ArchiveFileError extends Error {
  /** The database path as configured. */
  readonly path: string;

  constructor(path: string, problem: string, fix: string, options?: ErrorOptions) {
    super(`ARCHIVIST_DB=${path}: ${problem}. ${fix}`, options);
    this.name = "ArchiveFileError";
    this.path = path;
  }
}

/** The archive file is damaged: refused at start, and how to restore a backup. */
export class ArchiveCorruptError extends ArchiveFileError {
  constructor(path: string, detail: string, options?: ErrorOptions) {
    super(
      path,
      `the archive is damaged (${detail})`,
      `Nothing was changed. Stop every Archivist process and restore the latest backup with ` +
        `\`${RESTORE_COMMAND}\` (backups are listed by \`deno task backup --list\`).`,
      options,
    );
    this.name = "ArchiveCorruptError";
  }
}

/** What {@link prepareArchiveFile} found. */
export interface ArchiveFileState {
  /** The file exists and cannot be written by this process (or its folder cannot). */
  readonly readOnly: boolean;
  /** The file did not exist and was created empty (mode 0600). */
  readonly created: boolean;
}

function reason(error: unknown): string {
  return (error as Error).message.replace(/ \(os error \d+\)/, "");
}

function isReadOnlyError(error: unknown): boolean {
  return error instanceof Deno.errors.PermissionDenied ||
    (error as { code?: string }).code === "EROFS";
}

/** The first ancestor of `path` that exists and is not a folder, if any. */
async function fileInTheWay(path: string): Promise<string | undefined> {
  for (let dir = dirname(resolve(path)); dir !== dirname(dir); dir = dirname(dir)) {
    try {
      if (!(await Deno.stat(dir)).isDirectory) return dir;
    } catch {
      // Missing folders are created; keep looking up.
    }
  }
  return undefined;
}

/**
 * Checks the path of the archive and creates what is missing: its folder (mode 0700) and an
 * empty file (mode 0600). Throws {@link ArchiveFileError} naming the problem and the fix.
 */
export async function prepareArchiveFile(path: string): Promise<ArchiveFileState> {
  if (path === ":memory:") return { readOnly: false, created: false };
  let info: Deno.FileInfo | undefined;
  try {
    info = await Deno.stat(path);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) {
      const blocker = await fileInTheWay(path);
      if (blocker) {
        throw new ArchiveFileError(
          path,
          `${blocker} is a file, not a folder`,
          "Point ARCHIVIST_DB at a path under a folder (e.g. data/archivist.db).",
        );
      }
      throw new ArchiveFileError(
        path,
        `cannot be read (${reason(error)})`,
        "Fix the permissions of the file and its folders, or point ARCHIVIST_DB elsewhere.",
      );
    }
  }
  if (info?.isDirectory) {
    throw new ArchiveFileError(
      path,
      "is a folder, not a database file",
      `Point ARCHIVIST_DB at a file, e.g. ${path.replace(/\/+$/, "")}/archivist.db.`,
    );
  }
  if (info && !info.isFile) {
    throw new ArchiveFileError(
      path,
      "is not a regular file",
      "Point ARCHIVIST_DB at a database file.",
    );
  }
  if (!info) return { readOnly: false, created: await createPrivateFile(path) };

  if (info.size > 0) await assertSqliteHeader(path);
  return { readOnly: !await isWritable(path), created: false };
}

async function createPrivateFile(path: string): Promise<boolean> {
  const folder = dirname(path);
  try {
    await Deno.mkdir(folder, { recursive: true, mode: 0o700 });
  } catch (error) {
    const blocker = await fileInTheWay(path);
    throw new ArchiveFileError(
      path,
      blocker
        ? `the folder ${folder} cannot be created: ${blocker} is a file`
        : `the folder ${folder} cannot be created (${reason(error)})`,
      "Point ARCHIVIST_DB at a path whose folders can be created (e.g. data/archivist.db).",
    );
  }
  try {
    // Created here rather than by SQLite so that it is private from the start; SQLite gives its
    // -wal and -shm files the mode of the database file.
    const file = await Deno.open(path, { createNew: true, write: true, mode: 0o600 });
    file.close();
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.AlreadyExists) return false;
    throw new ArchiveFileError(
      path,
      `cannot be created in ${folder} (${reason(error)})`,
      "Make the folder writable, or point ARCHIVIST_DB at a writable place.",
    );
  }
}

async function assertSqliteHeader(path: string): Promise<void> {
  const header = new Uint8Array(SQLITE_HEADER.length);
  let read = 0;
  try {
    using file = await Deno.open(path, { read: true });
    read = await file.read(header) ?? 0;
  } catch (error) {
    throw new ArchiveFileError(
      path,
      `cannot be read (${reason(error)})`,
      "Fix the file's permissions, or point ARCHIVIST_DB at another file.",
    );
  }
  const text = new TextDecoder("latin1").decode(header.subarray(0, read));
  if (text !== SQLITE_HEADER) {
    throw new ArchiveFileError(
      path,
      "is not a SQLite database (it does not start with the SQLite header)",
      "Nothing was changed. Point ARCHIVIST_DB at an Archivist archive, or at a new file name to " +
        "create one.",
    );
  }
}

/** Whether the file and its folder (where SQLite keeps `-wal` and `-shm`) can be written. */
async function isWritable(path: string): Promise<boolean> {
  try {
    (await Deno.open(path, { read: true, write: true })).close();
    const probe = await Deno.makeTempFile({ dir: dirname(path), prefix: ".archivist-probe-" });
    await Deno.remove(probe);
    return true;
  } catch (error) {
    if (isReadOnlyError(error)) return false;
    throw new ArchiveFileError(
      path,
      `cannot be opened for writing (${reason(error)})`,
      "Fix the permissions of the file and its folder.",
    );
  }
}

/** Whether something (a file, a folder, a link) is at `path`. */
export async function pathExists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch {
    return false;
  }
}

/** What {@link inspectArchive} found in an opened file. */
export interface ArchiveIdentity {
  /** The file carries no mark yet (new, or made before archives were marked): mark it. */
  readonly unmarked: boolean;
}

function pragmaValue(connection: DatabaseSync, pragma: string): unknown {
  const row = connection.prepare(`PRAGMA ${pragma}`).get() as Record<string, unknown> | undefined;
  return row ? Object.values(row)[0] : undefined;
}

/**
 * Refuses a file that is not an archive (another application's mark, or tables of its own) and
 * a damaged one (`PRAGMA quick_check`); says whether the file still needs the archive's mark.
 * Reads through a read-only connection of its own, before the archive's connection sets its
 * pragmas (WAL mode would change a foreign file's header).
 */
export function inspectArchive(path: string, state: ArchiveFileState): ArchiveIdentity {
  if (path === ":memory:" || state.created) return { unmarked: true };
  let connection: DatabaseSync;
  try {
    connection = state.readOnly
      ? new DatabaseSync(immutableUrl(path), { readOnly: true })
      : new DatabaseSync(path, { readOnly: true });
  } catch (error) {
    throw openFailure(path, error);
  }
  try {
    const applicationId = Number(pragmaValue(connection, "application_id"));
    const tables = (connection.prepare(
      "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
    ).all() as { name: string }[]).map((row) => row.name);
    if (applicationId !== ARCHIVE_APPLICATION_ID && applicationId !== 0) {
      throw foreignFile(
        path,
        `it is marked as another application's file (application_id ${applicationId.toString(16)})`,
      );
    }
    // An archive made before archives were marked has Kysely's migration table and the ledger.
    const olderArchive = tables.includes("kysely_migration") &&
      tables.includes("llm_decision_ledger");
    if (applicationId === 0 && tables.length > 0 && !olderArchive) {
      throw foreignFile(
        path,
        `it holds ${tables.length} table(s) of another application (${
          tables.slice(0, 5).join(", ")
        }${tables.length > 5 ? ", …" : ""})`,
      );
    }
    const problems = (connection.prepare("PRAGMA quick_check(3)").all() as Record<
      string,
      unknown
    >[])
      .map((row) => String(Object.values(row)[0]));
    if (problems.length !== 1 || problems[0] !== "ok") {
      throw new ArchiveCorruptError(path, `quick_check: ${problems.join("; ")}`);
    }
    return { unmarked: applicationId === 0 };
  } catch (error) {
    if (error instanceof ArchiveFileError) throw error;
    throw openFailure(path, error);
  } finally {
    connection.close();
  }
}

/** A `file:` URL opening `path` immutable: no `-wal` or `-shm` needed, for read-only files. */
export function immutableUrl(path: string): URL {
  const url = new URL(`file://${encodeURI(resolve(path))}`);
  url.searchParams.set("immutable", "1");
  return url;
}

function foreignFile(path: string, why: string): ArchiveFileError {
  return new ArchiveFileError(
    path,
    `is not an Archivist archive: ${why}`,
    "Nothing was changed. Point ARCHIVIST_DB at an Archivist archive, or at a new file name to " +
      "create one.",
  );
}

/** Marks the file as an archive (a write: call where the write lock is waited for). */
export function markArchive(connection: DatabaseSync): void {
  connection.exec(`PRAGMA application_id = ${ARCHIVE_APPLICATION_ID}`);
}

/**
 * An error met while opening the file, as an {@link ArchiveFileError} when it is a fault of the
 * file (damaged, unreadable); other errors are returned unchanged.
 */
export function openFailure(path: string, error: unknown): unknown {
  switch (sqliteFault(error)) {
    case "corrupt":
      return new ArchiveCorruptError(path, (error as Error).message, { cause: error });
    case "cannot-open":
    case "io":
      return new ArchiveFileError(
        path,
        `cannot be opened (${(error as Error).message})`,
        "Check that the file and its folder are readable, and that the disk is healthy.",
        { cause: error },
      );
    default:
      return error;
  }
}
