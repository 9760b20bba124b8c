import assert from "node:assert/strict";
import { Archivist } from "../db/archivist.ts";
import { tempDir } from "./helpers.ts";

const ROOT = new URL("../", import.meta.url).pathname;

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

Deno.test("demo: simulator + service + one collection into its own database, then what to open", async () => {
  await using dir = await tempDir();
  const port = freePort();
  const output = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--config",
      `${ROOT}deno.json`,
      `${ROOT}src/cli/demo.ts`,
      "--once",
      "--port",
      String(port),
    ],
    cwd: dir.path,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stdout = new TextDecoder().decode(output.stdout);
  assert.equal(output.code, 0, new TextDecoder().decode(output.stderr));
  assert.match(stdout, /flow +\d{4}-\d{2}-\d{2} +succeeded: 5 stocks/);
  assert.match(stdout, /intraday +\d{4}-\d{2}-\d{2} +succeeded: 5 stocks/);
  assert.match(stdout, new RegExp(`http://127\\.0\\.0\\.1:${port}/v1/minute-bars/005930\\?date=`));

  await using archivist = await Archivist.open(`${dir.path}/data/demo.db`);
  assert.equal((await archivist.watchlist()).length, 5);
  const runs = await archivist.listRuns();
  assert.deepEqual(runs.map((r) => r.status), ["succeeded", "succeeded"]);
  const bars = await archivist.minuteBars("005930", runs[0].trade_date);
  assert.ok(bars.length > 300, `expected a whole session of bars, got ${bars.length}`);
});
