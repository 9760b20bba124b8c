import assert from "node:assert/strict";
import { sql } from "kysely";
import { openKysely, WalSync } from "../db/sqlite.ts";
import { tempDir } from "./helpers.ts";

interface Probe {
  probe: { id: number; n: number | bigint | null; b: Uint8Array | null; t: string | null };
}

async function probeDb(path: string) {
  const { db, sqlite } = openKysely<Probe>(path);
  await sql`CREATE TABLE probe (id INTEGER PRIMARY KEY, n INTEGER, b BLOB, t TEXT)`.execute(db);
  return { db, sqlite };
}

Deno.test("sqlite adapter: integers, nulls, blobs and text round-trip", async () => {
  await using dir = await tempDir();
  const { db } = await probeDb(`${dir.path}/a.db`);
  const blob = new Uint8Array([0, 1, 254, 255]);
  await db.insertInto("probe").values([
    { id: 1, n: 42, b: blob, t: "삼성전자 🚀" },
    { id: 2, n: null, b: null, t: null },
    { id: 3, n: -7, b: new Uint8Array(0), t: "" },
  ]).execute();
  const rows = await db.selectFrom("probe").selectAll().orderBy("id").execute();
  assert.deepEqual(rows, [
    { id: 1, n: 42, b: blob, t: "삼성전자 🚀" },
    { id: 2, n: null, b: null, t: null },
    { id: 3, n: -7, b: new Uint8Array(0), t: "" },
  ]);
  assert.equal(typeof rows[0].n, "number");
  await db.destroy();
});

Deno.test("sqlite adapter: big integers come back exactly, as bigint beyond 2^53", async () => {
  await using dir = await tempDir();
  const { db } = await probeDb(`${dir.path}/a.db`);
  const big = 9_007_199_254_740_993n;
  await db.insertInto("probe").values([
    { id: 1, n: big },
    { id: 2, n: Number.MAX_SAFE_INTEGER },
    { id: 3, n: -(2n ** 63n) },
  ]).execute();
  const rows = await db.selectFrom("probe").select(["id", "n"]).orderBy("id").execute();
  assert.deepEqual(rows, [
    { id: 1, n: big },
    { id: 2, n: Number.MAX_SAFE_INTEGER },
    { id: 3, n: -(2n ** 63n) },
  ]);
  await db.destroy();
});

Deno.test("sqlite adapter: booleans bind as 0/1; insert ids and affected rows are reported", async () => {
  await using dir = await tempDir();
  const { db } = await probeDb(`${dir.path}/a.db`);
  const inserted = await db.insertInto("probe")
    .values({ id: 5, n: true as unknown as number }).executeTakeFirst();
  assert.equal(inserted.insertId, 5n);
  const updated = await db.updateTable("probe").set({ t: "x" }).where("n", "=", 1)
    .executeTakeFirst();
  assert.equal(updated.numUpdatedRows, 1n);
  const returned = await db.insertInto("probe").values({ id: 6, n: false as unknown as number })
    .returning(["id", "n"]).executeTakeFirstOrThrow();
  assert.deepEqual(returned, { id: 6, n: 0 });
  await db.destroy();
});

Deno.test("sqlite adapter: WAL, normal sync, foreign keys, and no synchronous busy wait", async () => {
  await using dir = await tempDir();
  const { db, sqlite } = openKysely<Probe>(`${dir.path}/a.db`);
  const pragma = (name: string) =>
    Object.values(sqlite.connection.prepare(`PRAGMA ${name}`).get() as object)[0];
  assert.equal(pragma("journal_mode"), "wal");
  assert.equal(pragma("synchronous"), 1);
  assert.equal(pragma("foreign_keys"), 1);
  // A busy handler would sleep on the event loop's thread; writers wait asynchronously instead.
  assert.equal(pragma("busy_timeout"), 0);
  await db.destroy();
});

Deno.test("sqlite adapter: a failed transaction writes nothing", async () => {
  await using dir = await tempDir();
  const { db } = await probeDb(`${dir.path}/a.db`);
  await assert.rejects(
    db.transaction().execute(async (trx) => {
      await trx.insertInto("probe").values({ id: 1 }).execute();
      await trx.insertInto("probe").values({ id: 1 }).execute();
    }),
    /UNIQUE constraint failed/,
  );
  assert.equal((await db.selectFrom("probe").selectAll().execute()).length, 0);
  await db.destroy();
});

Deno.test("WAL sync: fdatasyncs the log that exists, and fails instead of doing nothing when it does not", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/a.db`;
  const { db } = await probeDb(path);
  await db.insertInto("probe").values({ id: 1, n: 1 }).execute();
  const wal = new WalSync(path);
  await wal.sync();
  await wal.sync();
  assert.equal(wal.syncs, 2);
  wal.close();
  await assert.rejects(new WalSync(`${dir.path}/nothing.db`).sync(), Deno.errors.NotFound);
  await db.destroy();
});
