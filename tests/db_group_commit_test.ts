import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { sql, type Transaction } from "kysely";
import {
  CommitNotSyncedError,
  GroupCommit,
  type GroupCommitOptions,
  type WriteBatch,
  WriteLockTimeoutError,
} from "../db/group_commit.ts";
import { openKysely } from "../db/sqlite.ts";
import { isBusyError } from "../db/sqlite_errors.ts";
import { tempDir } from "./helpers.ts";

interface Probe {
  probe: { id: number; note: string | Uint8Array };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function probeCommits(dir: string, options: GroupCommitOptions = {}) {
  const path = `${dir}/probe.db`;
  const opened = openKysely<Probe>(path);
  await sql`CREATE TABLE probe (id INTEGER PRIMARY KEY, note NOT NULL)`.execute(opened.db);
  const commits = new GroupCommit(opened.db, { isBusy: isBusyError, ...options });
  const insert = (id: number, note: string | Uint8Array = `row ${id}`) =>
    commits.run(async (trx) => {
      await trx.insertInto("probe").values({ id, note }).execute();
      return id;
    });
  const count = async () =>
    Number(
      (await opened.db.selectFrom("probe").select((eb) => eb.fn.countAll().as("n"))
        .executeTakeFirstOrThrow()).n,
    );
  return {
    path,
    ...opened,
    commits,
    insert,
    count,
    async [Symbol.asyncDispose]() {
      await commits.idle();
      await opened.db.destroy();
    },
  };
}

Deno.test("group commit: concurrent writes share one commit; a failing one is undone alone", async () => {
  await using dir = await tempDir();
  await using probe = await probeCommits(dir.path);
  const writes = Array.from({ length: 40 }, (_, i) =>
    i === 17
      ? probe.commits.run(async (trx) => {
        await trx.insertInto("probe").values({ id: 1000, note: "undone" }).execute();
        throw new Error("write 17 refuses");
      })
      : probe.insert(i));
  const settled = await Promise.allSettled(writes);
  assert.equal(settled.filter((s) => s.status === "rejected").length, 1);
  assert.match(String((settled[17] as PromiseRejectedResult).reason), /write 17 refuses/);
  assert.equal(probe.commits.stats.commits, 1, "all 40 writes shared one transaction");
  assert.equal(await probe.count(), 39, "the failing write's own insert was undone");
});

Deno.test("group commit: a write resolves only after a sync that began after its commit", async () => {
  await using dir = await tempDir();
  const events: string[] = [];
  let syncs = 0;
  await using probe = await probeCommits(dir.path, {
    onCommit: (writes) => events.push(`commit ${writes}`),
    persist: async () => {
      const n = ++syncs;
      events.push(`sync ${n} starts`);
      await sleep(40);
      events.push(`sync ${n} ends`);
    },
  });
  const first = Promise.all([1, 2, 3].map((id) => probe.insert(id)))
    .then(() => events.push("first resolved"));
  // The second group commits while the first sync runs: it must wait for a sync of its own.
  while (!events.includes("sync 1 starts")) await sleep(1);
  const second = Promise.all([4, 5].map((id) => probe.insert(id)))
    .then(() => events.push("second resolved"));
  await Promise.all([first, second]);
  const at = (event: string) => {
    assert.ok(events.includes(event), `${event} in ${events.join(", ")}`);
    return events.indexOf(event);
  };
  assert.deepStrictEqual(events.slice(0, 4), [
    "commit 3",
    "sync 1 starts",
    "commit 2",
    "sync 1 ends",
  ]);
  assert.ok(at("first resolved") > at("sync 1 ends"));
  // The second group committed during sync 1, so sync 1 does not cover it: sync 2 does.
  assert.ok(at("sync 2 starts") > at("commit 2"));
  assert.ok(at("second resolved") > at("sync 2 ends"));
  assert.deepStrictEqual(probe.commits.stats, { commits: 2, syncs: 2, lockTimeouts: 0 });
});

Deno.test("group commit: a failed sync says the writes are committed, with their values", async () => {
  await using dir = await tempDir();
  await using probe = await probeCommits(dir.path, {
    persist: () => Promise.reject(new Error("fdatasync: Input/output error")),
  });
  const settled = await Promise.allSettled([probe.insert(1), probe.insert(2)]);
  for (const [i, outcome] of settled.entries()) {
    assert.equal(outcome.status, "rejected");
    const error = (outcome as PromiseRejectedResult).reason;
    assert.ok(error instanceof CommitNotSyncedError);
    assert.equal(error.value, i + 1);
    assert.match(error.message, /committed, but syncing it to the device failed/);
  }
  assert.equal(await probe.count(), 2, "the rows are stored");
  assert.equal(probe.commits.stats.syncs, 0);
});

Deno.test("group commit: while another connection holds the write lock, writes wait without blocking, then give up", async () => {
  await using dir = await tempDir();
  await using probe = await probeCommits(dir.path, { lockTimeoutMs: 300 });
  await probe.insert(1);
  const other = new DatabaseSync(probe.path);
  other.exec("BEGIN IMMEDIATE");
  try {
    const started = performance.now();
    const waiting = probe.insert(2);
    // The event loop is free: a read answers at once while the write waits.
    await sleep(50);
    const readStarted = performance.now();
    assert.equal(await probe.count(), 1);
    assert.ok(performance.now() - readStarted < 100, "a read answered during the lock");
    await assert.rejects(waiting, (error: unknown) => {
      assert.ok(error instanceof WriteLockTimeoutError);
      assert.ok(error.waitedMs >= 300, `waited ${error.waitedMs} ms`);
      return true;
    });
    assert.ok(performance.now() - started < 2_000);

    // A write that starts now is stored as soon as the lock is released.
    const patient = probe.insert(3);
    await sleep(100);
    other.exec("COMMIT");
    assert.equal(await patient, 3);
  } finally {
    if (other.isTransaction) other.exec("ROLLBACK");
    other.close();
  }
  assert.equal(await probe.count(), 2);
  assert.equal(probe.commits.stats.lockTimeouts, 1);
});

Deno.test("group commit: a full database fails the group with the real cause, then recovers", async () => {
  await using dir = await tempDir();
  await using probe = await probeCommits(dir.path);
  await probe.insert(1);
  const pages = Number(
    Object.values(probe.sqlite.connection.prepare("PRAGMA page_count").get() as object)[0],
  );
  // The database may not grow: the same SQLITE_FULL a full disk gives.
  probe.sqlite.connection.exec(`PRAGMA max_page_count = ${pages}`);
  const big = new Uint8Array(64 * 1024);
  const settled = await Promise.allSettled([probe.insert(2, big), probe.insert(3, big)]);
  for (const outcome of settled) {
    assert.equal(outcome.status, "rejected");
    const message = String((outcome as PromiseRejectedResult).reason);
    assert.match(message, /database or disk is full/);
    assert.doesNotMatch(message, /no transaction is active/);
  }
  assert.equal(await probe.count(), 1);
  probe.sqlite.connection.exec("PRAGMA max_page_count = 1073741823");
  assert.equal(await probe.insert(4, big), 4, "writes work again once there is room");
});

/** A batch of probe rows: one multi-row insert for the items of a group, its calls counted. */
function probeBatch(calls: number[][], options: { oneStatement?: boolean } = {}) {
  return {
    run: async (trx: Transaction<Probe>, ids: readonly number[]) => {
      calls.push([...ids]);
      await trx.insertInto("probe").values(ids.map((id) => ({ id, note: `row ${id}` }))).execute();
      return ids.map((id) => `stored ${id}`);
    },
    oneStatement: options.oneStatement ? () => true : undefined,
  } satisfies WriteBatch<Probe, number, string>;
}

Deno.test("group commit: writes of one batch share one call; a bad one makes them run alone, and fails alone", async () => {
  await using dir = await tempDir();
  await using probe = await probeCommits(dir.path);
  const calls: number[][] = [];
  const batch = probeBatch(calls);
  const first = await Promise.all([1, 2, 3].map((id) => probe.commits.runBatched(batch, id)));
  assert.deepStrictEqual(first, ["stored 1", "stored 2", "stored 3"]);
  assert.deepStrictEqual(calls, [[1, 2, 3]], "one call, one statement for the three");

  calls.length = 0;
  // 2 is stored already: the batch's insert fails, then each runs alone in its savepoint.
  const settled = await Promise.allSettled(
    [4, 2, 5].map((id) => probe.commits.runBatched(batch, id)),
  );
  assert.deepStrictEqual(calls, [[4, 2, 5], [4], [2], [5]]);
  assert.deepStrictEqual(settled.map((s) => s.status), ["fulfilled", "rejected", "fulfilled"]);
  assert.equal(await probe.count(), 5);
  assert.equal(probe.commits.stats.commits, 2);
});

Deno.test("group commit, optimistic: no savepoint while writes succeed; a failure reruns the group with them, same outcome", async () => {
  await using dir = await tempDir();
  const statements: string[] = [];
  const opened: { connection?: DatabaseSync } = {};
  await using probe = await probeCommits(dir.path, {
    optimistic: true,
    execute: (statement) => {
      statements.push(statement);
      opened.connection!.exec(statement);
    },
  });
  opened.connection = probe.sqlite.connection;
  await Promise.all([1, 2, 3].map((id) => probe.insert(id)));
  assert.deepStrictEqual(statements, [], "no savepoint around writes that succeed");
  const settled = await Promise.allSettled([
    probe.insert(4),
    probe.commits.run(async (trx) => {
      await trx.insertInto("probe").values({ id: 1000, note: "undone" }).execute();
      throw new Error("this write refuses");
    }),
    probe.insert(5),
  ]);
  assert.deepStrictEqual(settled.map((s) => s.status), ["fulfilled", "rejected", "fulfilled"]);
  assert.equal(statements.filter((s) => s === "SAVEPOINT write").length, 3, "rerun: one each");
  assert.equal(
    await probe.count(),
    5,
    "the refusing write's insert is undone, its neighbours stored",
  );
  assert.equal(probe.commits.stats.commits, 2);
});

Deno.test("group commit, optimistic: a batch written with one statement commits without BEGIN; if it fails, in a transaction", async () => {
  await using dir = await tempDir();
  await using probe = await probeCommits(dir.path, { optimistic: true });
  const inTransaction: boolean[] = [];
  const calls: number[][] = [];
  const batch = probeBatch(calls, { oneStatement: true });
  const watched = {
    ...batch,
    run: (trx: Transaction<Probe>, ids: readonly number[]) => {
      inTransaction.push(probe.sqlite.connection.isTransaction);
      return batch.run(trx, ids);
    },
  };
  await Promise.all([1, 2].map((id) => probe.commits.runBatched(watched, id)));
  assert.deepStrictEqual(inTransaction, [false], "the one statement committed alone");
  inTransaction.length = 0;
  const settled = await Promise.allSettled(
    [3, 1].map((id) => probe.commits.runBatched(watched, id)),
  );
  assert.deepStrictEqual(settled.map((s) => s.status), ["fulfilled", "rejected"]);
  assert.deepStrictEqual(
    inTransaction,
    [false, true, true, true],
    "then batch, 3, 1 in savepoints",
  );
  assert.equal(await probe.count(), 3);
});

Deno.test("group commit, optimistic: a lock held elsewhere past the server's lock timeout fails the whole group at once", async () => {
  await using dir = await tempDir();
  class LockNotAvailable extends Error {}
  await using probe = await probeCommits(dir.path, {
    optimistic: true,
    isBusy: (error) => error instanceof LockNotAvailable,
  });
  const settled = await Promise.allSettled([
    probe.insert(1),
    probe.commits.run(() => Promise.reject(new LockNotAvailable("lock timeout"))),
    probe.insert(2),
  ]);
  for (const outcome of settled) {
    assert.equal(outcome.status, "rejected");
    assert.ok((outcome as PromiseRejectedResult).reason instanceof WriteLockTimeoutError);
  }
  assert.equal(await probe.count(), 0, "nothing of the group was stored");
  assert.equal(probe.commits.stats.lockTimeouts, 3);
});

Deno.test("group commit: with concurrency 2 a second group commits while the first waits, taking every write queued", async () => {
  await using dir = await tempDir();
  await using probe = await probeCommits(dir.path, { concurrency: 2, optimistic: true });
  // Two groups in flight at once need two connections; one SQLite connection has one
  // transaction, so the first group here is a slow write outside of it.
  const order: string[] = [];
  let release!: () => void;
  const held = new Promise<void>((resolve) => release = resolve);
  const slow = probe.commits.runBatched({
    run: async (_trx, items: readonly number[]) => {
      order.push("slow starts");
      await held;
      order.push("slow ends");
      return items;
    },
    oneStatement: () => true,
  }, 1);
  await sleep(10);
  const quick = Promise.all(
    [2, 3, 4].map((id) => probe.insert(id).then(() => order.push(`${id}`))),
  );
  await quick;
  assert.deepStrictEqual(order, ["slow starts", "2", "3", "4"], "not held up by the first");
  release();
  await slow;
  assert.equal(probe.commits.stats.commits, 2, "the three queued writes shared one group");
});
