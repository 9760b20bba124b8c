import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { Archivist } from "../db/archivist.ts";
import type { DecisionEntry } from "../db/entries.ts";
import { ArchiveWriteError } from "../db/errors.ts";
import {
  ARCHIVE_APPLICATION_ID,
  ArchiveCorruptError,
  ArchiveFileError,
} from "../db/sqlite_file.ts";
import { createApp } from "../src/http/app.ts";
import { AllowedHosts } from "../src/http/host_check.ts";
import { tempDir } from "./helpers.ts";

const DECISION: DecisionEntry = {
  stock_code: "005930",
  final_decision: "HOLD",
  thinking_called: 1,
};

function pragma(path: string, name: string): unknown {
  const db = new DatabaseSync(path);
  try {
    return Object.values(db.prepare(`PRAGMA ${name}`).get() as object)[0];
  } finally {
    db.close();
  }
}

async function refuses(
  path: string,
  pattern: RegExp,
  kind: new (...args: never[]) => Error = ArchiveFileError,
) {
  await assert.rejects(Archivist.open(path), (error: unknown) => {
    assert.ok(error instanceof kind, `${error}`);
    assert.match((error as Error).message, /^ARCHIVIST_DB=/);
    assert.match((error as Error).message, pattern);
    return true;
  });
}

/** Overwrites every page but the first (the header and schema root) with garbage. */
async function damagePages(path: string): Promise<void> {
  const bytes = await Deno.readFile(path);
  const pageSize = (bytes[16] << 8) | bytes[17];
  for (let offset = pageSize; offset < bytes.length; offset += pageSize) {
    bytes.fill(0xA5, offset, offset + 64);
  }
  await Deno.writeFile(path, bytes);
}

/** Damages the archive at `path` while an Archivist holds it open, and makes it read the damage. */
async function damageUnderOpenArchive(path: string): Promise<void> {
  const other = new DatabaseSync(path);
  try {
    other.exec("PRAGMA wal_checkpoint(TRUNCATE)");
    await damagePages(path);
    // A change to page 1 by another connection makes the archive drop its page cache.
    other.exec("PRAGMA user_version = 7");
  } finally {
    other.close();
  }
}

Deno.test("archive file: a new archive is private, marked, and in a private folder", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/new/nested/archive.db`;
  {
    await using archivist = await Archivist.open(path);
    await archivist.logDecisions([DECISION]);
    for (const file of [path, `${path}-wal`, `${path}-shm`]) {
      assert.equal((await Deno.stat(file)).mode! & 0o777, 0o600, file);
    }
    assert.equal((await Deno.stat(`${dir.path}/new/nested`)).mode! & 0o777, 0o700);
    assert.equal((await Deno.stat(`${dir.path}/new`)).mode! & 0o777, 0o700);
  }
  assert.equal(pragma(path, "application_id"), ARCHIVE_APPLICATION_ID);
});

Deno.test("archive file: a folder, a file in the way and a file that is not SQLite are refused, untouched", async () => {
  await using dir = await tempDir();
  await refuses(dir.path, /is a folder, not a database file\. Point ARCHIVIST_DB at a file/);

  await Deno.writeTextFile(`${dir.path}/plain`, "not a folder");
  await refuses(`${dir.path}/plain/archive.db`, /plain is a file, not a folder/);
  await refuses(`${dir.path}/plain/more/archive.db`, /plain is a file/);

  const notes = "2026-11-26 notes: buy low, sell high\n".repeat(10);
  await Deno.writeTextFile(`${dir.path}/notes.txt`, notes);
  await refuses(`${dir.path}/notes.txt`, /is not a SQLite database.*Nothing was changed/);
  assert.equal(await Deno.readTextFile(`${dir.path}/notes.txt`), notes);
  assert.deepStrictEqual(
    [...Deno.readDirSync(dir.path)].map((e) => e.name).sort(),
    ["notes.txt", "plain"],
  );
});

Deno.test("archive file: another application's SQLite file is refused and left unchanged", async () => {
  await using dir = await tempDir();
  const foreign = `${dir.path}/someone.db`;
  {
    const db = new DatabaseSync(foreign);
    db.exec("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)");
    db.exec("INSERT INTO customers (name) VALUES ('Kim')");
    db.close();
  }
  const before = await Deno.readFile(foreign);
  await refuses(
    foreign,
    /is not an Archivist archive: it holds 1 table\(s\) of another application \(customers\)/,
  );
  assert.deepStrictEqual(await Deno.readFile(foreign), before);

  const marked = `${dir.path}/marked.db`;
  {
    const db = new DatabaseSync(marked);
    db.exec("PRAGMA application_id = 1234");
    db.close();
  }
  await refuses(marked, /marked as another application's file \(application_id 4d2\)/);
  assert.equal(pragma(marked, "application_id"), 1234);
});

Deno.test("archive file: an archive made before the mark is accepted and marked", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/older.db`;
  {
    await using archivist = await Archivist.open(path);
    await archivist.logDecisions([DECISION]);
  }
  {
    const db = new DatabaseSync(path);
    db.exec("PRAGMA application_id = 0");
    db.close();
  }
  await using archivist = await Archivist.open(path);
  assert.equal((await archivist.listDecisions({})).items.length, 1);
  assert.equal(pragma(path, "application_id"), ARCHIVE_APPLICATION_ID);
});

Deno.test("archive file: a damaged archive is refused at open with the restore command", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/archive.db`;
  {
    await using archivist = await Archivist.open(path);
    await archivist.logDecisions(Array.from({ length: 200 }, () => DECISION));
  }
  await damagePages(path);
  await refuses(
    path,
    /the archive is damaged.*deno task restore <backup file>/,
    ArchiveCorruptError,
  );
});

Deno.test("archive file: damage met at run time stops writes and puts health to corrupt", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/archive.db`;
  await using archivist = await Archivist.open(path);
  await archivist.logDecisions(Array.from({ length: 200 }, () => DECISION));
  await damageUnderOpenArchive(path);
  await assert.rejects(archivist.logDecisions([DECISION]), ArchiveWriteError);
  assert.equal(archivist.writeStatus.fault, "corrupt");
  const health = await archivist.health();
  assert.equal(health.database, "corrupt");
  assert.match(health.writes.cause!, /malformed/);
  // Later writes are refused before touching the file, naming the fix.
  await assert.rejects(
    archivist.logDecisions([DECISION]),
    /is damaged .*deno task restore <backup file>/,
  );
});

Deno.test("archive file: a read of a page damaged at run time answers 503 naming the restore, not a bare 500", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/archive.db`;
  await using archivist = await Archivist.open(path);
  await archivist.logDecisions(Array.from({ length: 200 }, () => DECISION));
  await damageUnderOpenArchive(path);
  const app = createApp({ archivist, hosts: new AllowedHosts("127.0.0.1") });
  const response = await app.request("http://127.0.0.1/v1/decisions?limit=1000", {
    headers: { host: "127.0.0.1" },
  });
  assert.equal(response.status, 503);
  const problem = await response.json();
  assert.match(problem.detail, /archive file is damaged .*deno task restore <backup file>/);
});
