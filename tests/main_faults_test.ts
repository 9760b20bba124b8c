import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { Archivist } from "../db/archivist.ts";
import { ORIGINAL_DECISION } from "./fixtures/http_harness.ts";
import { canMount, inNamespaceOf, startService } from "./fixtures/service.ts";
import { runCli, tempDir } from "./helpers.ts";

/** One message, no stack trace. */
function assertOneMessage(stderr: string, pattern: RegExp) {
  assert.match(stderr, pattern);
  assert.doesNotMatch(stderr, /^\s+at /m, `a stack trace:\n${stderr}`);
}

const DECISION = { final_decision: "HOLD" as const, thinking_called: null };

function post(url: string, body: unknown) {
  return fetch(`${url}/v1/decisions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
}

Deno.test("start: bad paths end with one message naming the variable and the fix, exit 2", async () => {
  await using dir = await tempDir();
  await Deno.writeTextFile(`${dir.path}/a-file`, "x");
  await Deno.writeTextFile(`${dir.path}/notes.db`, "my notes, not a database\n".repeat(20));
  const cases: [Record<string, string>, RegExp][] = [
    [{ ARCHIVIST_DB: dir.path }, /ARCHIVIST_DB=.*is a folder, not a database file\. Point/],
    [
      { ARCHIVIST_DB: `${dir.path}/a-file/archive.db` },
      /ARCHIVIST_DB=.*a-file is a file, not a folder/,
    ],
    [{ ARCHIVIST_DB: `${dir.path}/notes.db` }, /ARCHIVIST_DB=.*is not a SQLite database/],
    [
      { ARCHIVIST_DB: `${dir.path}/ok.db`, ARCHIVIST_LOG_DIR: `${dir.path}/a-file/logs` },
      /ARCHIVIST_LOG_DIR: the log folder .* cannot be used .*set ARCHIVIST_LOG_DIR/,
    ],
    [
      { ARCHIVIST_DB: `${dir.path}/ok.db`, ARCHIVIST_BACKUP_DIR: `${dir.path}/a-file` },
      /ARCHIVIST_BACKUP_DIR: .*a-file" is not a folder; set ARCHIVIST_BACKUP_DIR/,
    ],
    [
      { ARCHIVIST_DB: `${dir.path}/ok.db`, ARCHIVIST_BACKUP_DIR: `${dir.path}/a-file/backups` },
      /ARCHIVIST_BACKUP_DIR: .*cannot be used .*set ARCHIVIST_BACKUP_DIR/,
    ],
  ];
  for (const [env, pattern] of cases) {
    const result = await runCli("main.ts", [], {
      cwd: dir.path,
      env: { ARCHIVIST_PORT: "0", ...env },
    });
    assert.equal(result.code, 2, `${JSON.stringify(env)}: ${result.stderr}`);
    assertOneMessage(result.stderr, pattern);
  }
  assert.equal(
    await Deno.readTextFile(`${dir.path}/notes.db`),
    "my notes, not a database\n".repeat(20),
  );
});

Deno.test("start: a damaged archive is refused with the restore command (exit 2); a foreign file too", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/archive.db`;
  {
    await using archivist = await Archivist.open(path);
    await archivist.logDecisions(Array.from({ length: 200 }, () => ({
      stock_code: "005930",
      final_decision: "HOLD" as const,
      thinking_called: null,
    })));
  }
  const bytes = await Deno.readFile(path);
  const pageSize = (bytes[16] << 8) | bytes[17];
  for (let offset = pageSize; offset < bytes.length; offset += pageSize) {
    bytes.fill(0xA5, offset, offset + 64);
  }
  await Deno.writeFile(path, bytes);
  const damaged = await runCli("main.ts", [], {
    cwd: dir.path,
    env: { ARCHIVIST_DB: path, ARCHIVIST_PORT: "0" },
  });
  assert.equal(damaged.code, 2);
  assertOneMessage(damaged.stderr, /the archive is damaged .*deno task restore <backup file>/);

  const foreign = `${dir.path}/someone.db`;
  const db = new DatabaseSync(foreign);
  db.exec("CREATE TABLE orders (id INTEGER PRIMARY KEY)");
  db.close();
  const refused = await runCli("src/cli/migrate.ts", [], {
    cwd: dir.path,
    env: { ARCHIVIST_DB: foreign },
  });
  assert.equal(refused.code, 2);
  assertOneMessage(refused.stderr, /is not an Archivist archive.*\(orders\)/);
});

Deno.test("service: the archive, its WAL, its folder and the logs are private", async () => {
  await using dir = await tempDir();
  const service = await startService(dir.path);
  assert.equal((await post(service.url, ORIGINAL_DECISION)).status, 201);
  const modes = async (path: string) => (await Deno.stat(`${dir.path}/${path}`)).mode! & 0o777;
  const files = {
    "data": await modes("data"),
    "data/archivist.db": await modes("data/archivist.db"),
    "data/archivist.db-wal": await modes("data/archivist.db-wal"),
    "data/archivist.db-shm": await modes("data/archivist.db-shm"),
    "logs": await modes("logs"),
    "logs/archivist.jsonl": await modes("logs/archivist.jsonl"),
  };
  assert.equal((await service.stop()).code, 0);
  assert.deepStrictEqual(files, {
    "data": 0o700,
    "data/archivist.db": 0o600,
    "data/archivist.db-wal": 0o600,
    "data/archivist.db-shm": 0o600,
    "logs": 0o700,
    "logs/archivist.jsonl": 0o600,
  });
});

Deno.test({
  name:
    "service: a read-only archive is said at start and in /health; reads (outcomes, dashboard) work, writes are 503, collection is off",
  ignore: !canMount,
  async fn() {
    await using dir = await tempDir();
    {
      // Entries whose outcome rows were never made: a read cannot make them on this file.
      await using archivist = await Archivist.open(`${dir.path}/seed.db`);
      await archivist.logDecisions([{ ...DECISION, stock_code: "005930" }]);
    }
    const service = await startService(dir.path, {
      ARCHIVIST_DB: "ro/archive.db",
      KIS_APP_KEY: "k".repeat(36),
      KIS_APP_SECRET: "s".repeat(180),
      KIS_BASE_URL: "http://127.0.0.1:9",
    }, {
      setup: "mkdir -p ro && mount -t tmpfs tmpfs ro\ncp seed.db ro/archive.db\n" +
        "mount -o remount,ro ro",
    });
    const health = await fetch(`${service.url}/health`);
    const body = await health.json();
    const read = await fetch(`${service.url}/v1/decisions`);
    const outcomes = await fetch(`${service.url}/v1/outcomes/decisions`);
    const dashboard = await fetch(`${service.url}/decisions`);
    const write = await post(service.url, ORIGINAL_DECISION);
    const { code, stdout, stderr } = await service.stop();
    assert.equal(code, 0, stderr);
    assert.equal(health.status, 503);
    assert.deepStrictEqual([body.status, body.read_only], ["read-only", true]);
    assert.equal(body.collection.enabled, false);
    assert.match(body.collection.reason, /read-only/);
    assert.equal(read.status, 200);
    await read.body?.cancel();
    assert.equal(outcomes.status, 200);
    assert.deepStrictEqual(
      (await outcomes.json()).items.map((item: { status: string }) => item.status),
      ["pending"],
    );
    assert.equal(dashboard.status, 200);
    assert.match(await dashboard.text(), /005930/);
    assert.equal(write.status, 503);
    assert.match((await write.json()).detail, /read-only/);
    assert.match(stdout, /READ-ONLY: writes are refused/);
    assert.match(stderr, /read-only for this process: reads are served, every write is refused/);
  },
});

Deno.test({
  name:
    "service: a full disk is reported with its real cause, and writes recover once space is free",
  ignore: !canMount,
  async fn() {
    await using dir = await tempDir();
    const service = await startService(dir.path, { ARCHIVIST_DB: "small/archive.db" }, {
      setup: "mkdir -p small && mount -t tmpfs -o size=2m tmpfs small",
    });
    try {
      assert.equal((await post(service.url, ORIGINAL_DECISION)).status, 201);
      await inNamespaceOf(
        service.pid,
        `dd if=/dev/zero of='${dir.path}/small/filler' bs=4k 2>/dev/null; true`,
      );
      let refused: Response | undefined;
      for (let i = 0; i < 200 && !refused; i++) {
        const response = await post(service.url, {
          ...ORIGINAL_DECISION,
          debate_log: `${i} `.repeat(20_000),
        });
        if (response.status === 201) await response.body?.cancel();
        else refused = response;
      }
      assert.ok(refused, "the disk filled up");
      assert.equal(refused.status, 503);
      assert.match((await refused.json()).detail, /database or disk is full/);
      const failing = await fetch(`${service.url}/health`);
      const health = await failing.json();
      assert.equal(failing.status, 503);
      assert.equal(health.status, "failing");
      assert.deepStrictEqual([health.writes.fault, health.writes.cause], [
        "full",
        "database or disk is full",
      ]);
      // Reads go on: outcomes the full disk keeps from being caught up read as pending.
      const outcomes = await fetch(`${service.url}/v1/outcomes/decisions`);
      assert.equal(outcomes.status, 200);
      assert.ok(
        (await outcomes.json()).items.every((item: { status: string }) =>
          item.status === "pending"
        ),
      );

      await inNamespaceOf(service.pid, `rm '${dir.path}/small/filler'`);
      assert.equal((await post(service.url, ORIGINAL_DECISION)).status, 201);
      const recovered = await (await fetch(`${service.url}/health`)).json();
      assert.equal(recovered.status, "ok");
    } finally {
      const { stderr } = await service.stop();
      assert.doesNotMatch(stderr, /no transaction is active/);
    }
    const log = await Deno.readTextFile(`${dir.path}/logs/archivist.jsonl`);
    assert.match(log, /database or disk is full/);
    assert.doesNotMatch(log, /no transaction is active/);
  },
});
