import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { restoreArchive } from "../db/restore.ts";
import { ORIGINAL_DECISION } from "./fixtures/http_harness.ts";
import { startService } from "./fixtures/service.ts";
import { runCli, tempDir } from "./helpers.ts";

function post(url: string, n: number) {
  return fetch(`${url}/v1/decisions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ ...ORIGINAL_DECISION, final_reason: `decision ${n}` }),
  });
}

function count(path: string): number {
  const db = new DatabaseSync(path, { readOnly: true });
  try {
    return Number(Object.values(db.prepare("SELECT count(*) FROM llm_decision_ledger").get()!)[0]);
  } finally {
    db.close();
  }
}

Deno.test("backup while the service writes: a consistent, checked, private copy; --list shows it; restore refuses until the service stops", async () => {
  await using dir = await tempDir();
  const env = { ARCHIVIST_DB: `${dir.path}/data/archive.db` };
  const service = await startService(dir.path, env);
  let backupPath: string;
  try {
    for (let i = 0; i < 20; i++) assert.equal((await post(service.url, i)).status, 201);
    // Writes keep coming while the backup runs.
    let writing = true;
    const writer = (async () => {
      for (let i = 20; writing; i++) await (await post(service.url, i)).body?.cancel();
    })();
    const backup = await runCli("src/cli/backup.ts", [], { cwd: dir.path, env });
    writing = false;
    await writer;
    assert.equal(backup.code, 0, backup.stderr);
    const match = /to (backups\/archive-\d{4}-\d{2}-\d{2}-\d{6}\.db) \(.*integrity ok/.exec(
      backup.stdout,
    );
    assert.ok(match, backup.stdout);
    backupPath = `${dir.path}/${match[1]}`;
    assert.equal((await Deno.stat(backupPath)).mode! & 0o777, 0o600);
    assert.ok(count(backupPath) >= 20, "every decision acknowledged before the backup is in it");
    const db = new DatabaseSync(backupPath, { readOnly: true });
    assert.equal(db.prepare("PRAGMA integrity_check").get()?.integrity_check, "ok");
    assert.equal(db.prepare("PRAGMA journal_mode").get()?.journal_mode, "delete");
    db.close();
    assert.equal([...Deno.readDirSync(`${dir.path}/backups`)].length, 1, "no partial file left");

    const list = await runCli("src/cli/backup.ts", ["--list"], { cwd: dir.path, env });
    assert.match(list.stdout, new RegExp(`\\+09:00 .* MB  ${match[1]}`));

    const refused = await runCli("src/cli/restore.ts", [backupPath], { cwd: dir.path, env });
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /is open in another process.*stop it first.*Nothing was changed/);
  } finally {
    assert.equal((await service.stop()).code, 0);
  }
  const before = count(env.ARCHIVIST_DB);
  assert.ok(before > count(backupPath), "writes continued after the backup");
  const restored = await runCli("src/cli/restore.ts", [backupPath], { cwd: dir.path, env });
  assert.equal(restored.code, 0, restored.stderr);
  const previous = /kept as (\S+)\./.exec(restored.stdout)![1];
  assert.equal(count(env.ARCHIVIST_DB), count(backupPath));
  assert.equal(count(previous), before, "the replaced archive is kept whole");
});

Deno.test("restore checks the file first: not an archive, or damaged, changes nothing (exit 2)", async () => {
  await using dir = await tempDir();
  const env = { ARCHIVIST_DB: `${dir.path}/archive.db` };
  assert.equal((await runCli("src/cli/migrate.ts", [], { cwd: dir.path, env })).code, 0);
  const original = await Deno.readFile(env.ARCHIVIST_DB);
  await Deno.writeTextFile(`${dir.path}/notes.db`, "not a database at all\n".repeat(100));
  const foreign = `${dir.path}/other.db`;
  const db = new DatabaseSync(foreign);
  db.exec("CREATE TABLE t (x)");
  db.close();
  for (
    const [file, pattern] of [
      ["notes.db", /cannot be read as an archive/],
      ["other.db", /is not an Archivist archive/],
      ["missing.db", /cannot open/],
    ] as const
  ) {
    const result = await runCli("src/cli/restore.ts", [`${dir.path}/${file}`], {
      cwd: dir.path,
      env,
    });
    assert.equal(result.code, 2, file);
    assert.match(result.stderr, pattern);
    assert.match(result.stderr, /Nothing was changed/);
    assert.doesNotMatch(result.stderr, /^\s+at /m);
  }
  assert.deepStrictEqual(await Deno.readFile(env.ARCHIVIST_DB), original);
});

Deno.test("restore replaces an archive too damaged to be locked only with --force; what it replaces is always kept", async () => {
  await using dir = await tempDir();
  const env = { ARCHIVIST_DB: `${dir.path}/archive.db` };
  assert.equal((await runCli("src/cli/migrate.ts", [], { cwd: dir.path, env })).code, 0);
  const backedUp = await runCli("src/cli/backup.ts", ["--to", `${dir.path}/backups`], {
    cwd: dir.path,
    env,
  });
  assert.equal(backedUp.code, 0, backedUp.stderr);
  const backupPath = /to (\S+\.db) /.exec(backedUp.stdout)![1];
  const healthy = await Deno.readFile(env.ARCHIVIST_DB);
  const damages: [string, Uint8Array][] = [
    ["a header overwritten", healthy.map((byte, i) => i < 100 ? 0 : byte)],
    ["a file cut short", healthy.slice(0, 1000)],
  ];
  for (const [damage, bytes] of damages) {
    await Deno.writeFile(env.ARCHIVIST_DB, bytes);
    const refused = await runCli("src/cli/restore.ts", [backupPath], { cwd: dir.path, env });
    assert.equal(refused.code, 2, damage);
    assert.match(refused.stderr, /too damaged .*stop every Archivist process.*restore --force/);
    assert.doesNotMatch(refused.stderr, /^\s+at /m);
    assert.deepStrictEqual(await Deno.readFile(env.ARCHIVIST_DB), bytes, damage);

    const forced = await runCli("src/cli/restore.ts", [backupPath, "--force"], {
      cwd: dir.path,
      env,
    });
    assert.equal(forced.code, 0, `${damage}: ${forced.stderr}`);
    const kept = /kept as (\S+)\./.exec(forced.stdout)![1];
    assert.deepStrictEqual(await Deno.readFile(kept), bytes, `${damage}: the damaged file is kept`);
    assert.equal(count(env.ARCHIVIST_DB), 0);
  }
  // Two restores within the same second keep both archives they replaced.
  await Deno.writeFile(env.ARCHIVIST_DB, damages[0][1]);
  const first = await restoreArchive(backupPath, env.ARCHIVIST_DB, "same-second", { force: true });
  const second = await restoreArchive(backupPath, env.ARCHIVIST_DB, "same-second");
  assert.notEqual(first.previous, second.previous);
  assert.deepStrictEqual(await Deno.readFile(first.previous!), damages[0][1]);
  assert.equal(count(second.previous!), 0);
});

Deno.test("backup and restore of a PostgreSQL archive: refused with exit 2, naming pg_dump and pg_restore; no password shown", async () => {
  await using dir = await tempDir();
  // Nothing listens there: the refusal comes before any connection.
  const env = { ARCHIVIST_DB: "postgres://archivist:s3cr3t-pw@127.0.0.1:9/archivist" };
  for (const [script, args] of [["src/cli/backup.ts", []], ["src/cli/restore.ts", ["x.db"]]]) {
    const refused = await runCli(script as string, args as string[], { cwd: dir.path, env });
    assert.equal(refused.code, 2, script as string);
    assert.match(refused.stderr, /PostgreSQL database .*pg_dump .*pg_restore/);
    assert.doesNotMatch(refused.stderr + refused.stdout, /s3cr3t/);
  }
  await assert.rejects(Deno.stat(`${dir.path}/backups`), Deno.errors.NotFound);
});
