import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { spawnStandaloneApi, type StandaloneApi } from "../src/http/standalone.ts";
import { holdWriteLock } from "./fixtures/lock_holder.ts";
import { tempDir } from "./helpers.ts";

const ROOT = new URL("../", import.meta.url).pathname;
/** The client's budget is 200 ms; the margin is for Python's threads on a busy machine. */
const MAX_CALL_MS = 400;

/** `tests/fixtures/scout_driver.py`: Scout calling the client, one command per line. */
function startScout(url: string, spool: string) {
  const child = new Deno.Command("python3", {
    args: [`${ROOT}tests/fixtures/scout_driver.py`, url, spool],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  const writer = child.stdin.getWriter();
  let buffered = "";
  const nextLine = async (): Promise<Record<string, unknown>> => {
    while (!buffered.includes("\n")) {
      const { value, done } = await lines.read();
      if (done) throw new Error(`the Scout driver ended: ${buffered}`);
      buffered += value;
    }
    const at = buffered.indexOf("\n");
    const line = buffered.slice(0, at);
    buffered = buffered.slice(at + 1);
    return JSON.parse(line);
  };
  return {
    ready: nextLine(),
    async run(command: string): Promise<{ result: unknown; ms: number }> {
      await writer.write(new TextEncoder().encode(`${command}\n`));
      return await nextLine() as { result: unknown; ms: number };
    },
    async close() {
      await writer.close();
      await lines.cancel();
      await child.status;
      await child.stderr.cancel();
    },
  };
}

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

function storedReasons(dbPath: string): string[] {
  const db = new DatabaseSync(dbPath, { readOnly: true });
  try {
    return (db.prepare("SELECT final_reason FROM llm_decision_ledger ORDER BY log_id").all() as {
      final_reason: string;
    }[]).map((row) => row.final_reason);
  } finally {
    db.close();
  }
}

Deno.test("python client: Scout is never held up, a stopped service loses nothing, the spool is replayed in order, exactly once", async () => {
  await using dir = await tempDir();
  const dbPath = `${dir.path}/archive.db`;
  const spool = `${dir.path}/scout/spool.jsonl`;
  const port = freePort();
  let api: StandaloneApi | undefined = await spawnStandaloneApi(dbPath, { port });
  const scout = startScout(api.url, spool);
  try {
    await scout.ready;
    const log = async (n: number, expected: string) => {
      const { result, ms } = await scout.run(`log ${n}`);
      assert.equal(result, expected, `decision ${n}`);
      assert.ok(ms < MAX_CALL_MS, `decision ${n} held Scout for ${ms} ms`);
    };
    for (const n of [1, 2, 3]) await log(n, "stored");
    assert.equal((await scout.run("reject 1")).result, "stored");

    // The service is killed: Scout goes on, the entries wait in the spool.
    api.process.kill("SIGKILL");
    await api.process.status;
    api = undefined;
    for (const n of [4, 5, 6, 7, 8]) await log(n, "spooled");
    assert.equal((await scout.run("pending")).result, 5);

    // Back: the spool is replayed, in order; new entries go straight through again.
    api = await spawnStandaloneApi(dbPath, { port });
    assert.equal((await scout.run("flush 20")).result, true);
    await log(9, "stored");

    // A refused entry is kept aside, not retried forever, not lost.
    assert.equal((await scout.run("bad")).result, "refused");
    const rejected = await Deno.readTextFile(`${spool}.rejected.jsonl`);
    assert.match(rejected, /"status": 400.*final_decison/);

    // Slower than the budget (another process holds the write lock): spooled, then stored
    // once although both the first post and the replay reach the service.
    const holder = await holdWriteLock(dbPath, 1);
    await log(10, "spooled");
    await holder.done;
    assert.equal((await scout.run("flush 20")).result, true);
    assert.equal((await scout.run("pending")).result, 0);
  } finally {
    await scout.close();
    if (api) {
      api.process.kill("SIGTERM");
      await api.process.status;
    }
  }
  assert.deepStrictEqual(
    storedReasons(dbPath),
    Array.from({ length: 10 }, (_, i) => `decision ${i + 1}`),
  );
});

Deno.test("python client: the spool, its folder and its offset are private to Scout's user", async () => {
  await using dir = await tempDir();
  const spool = `${dir.path}/spool/archivist-spool.jsonl`;
  // Nothing listens on the port: both entries are spooled, the second after the first.
  const script = `import os, sys
os.umask(0o022)
sys.path.insert(0, sys.argv[1])
from archivist_client import ArchivistClient
client = ArchivistClient(sys.argv[2], spool_path=sys.argv[3])
for _ in range(2):
    print(client.log_decision_ledger({"stock_code": "005930", "final_decision": "HOLD"}))
client._write_offset_locked(0)
client.close(flush_seconds=0)`;
  const run = await new Deno.Command("python3", {
    args: ["-c", script, `${ROOT}clients/python`, `http://127.0.0.1:${freePort()}`, spool],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stdout = new TextDecoder().decode(run.stdout);
  assert.equal(run.code, 0, new TextDecoder().decode(run.stderr));
  assert.deepStrictEqual(stdout.trim().split("\n"), ["spooled", "spooled"]);
  assert.equal((await Deno.readTextFile(spool)).trim().split("\n").length, 2);
  const mode = async (path: string) => (await Deno.stat(path)).mode! & 0o777;
  assert.deepStrictEqual(
    [await mode(`${dir.path}/spool`), await mode(spool), await mode(`${spool}.offset`)],
    [0o700, 0o600, 0o600],
  );
});
