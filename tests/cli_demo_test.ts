import assert from "node:assert/strict";
import { Archivist } from "../db/archivist.ts";
import { runCli, spawnCli, tempDir } from "./helpers.ts";

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

Deno.test("demo: simulator + service + one collection into its own database; every address it prints answers", async () => {
  await using dir = await tempDir();
  const port = freePort();
  const demo = await spawnCli("src/cli/demo.ts", ["--port", String(port)], {
    cwd: dir.path,
    until: /Serving until Ctrl-C\./,
  });
  const stdout = demo.printed;
  const answers: string[] = [];
  try {
    // Every address printed, as a person would open it (the Host check lets each through).
    const urls = [...new Set(stdout.match(/http:\/\/127\.0\.0\.1:\d+\/\S*/g) ?? [])]
      .filter((url) => url.startsWith(`http://127.0.0.1:${port}/`));
    assert.ok(urls.length >= 15, stdout);
    for (const url of urls) {
      const response = await fetch(url);
      await response.body?.cancel();
      answers.push(`${response.status} ${url.slice(`http://127.0.0.1:${port}`.length)}`);
    }
  } finally {
    const stopped = await demo.stop();
    assert.equal(stopped.code, 0, stopped.stderr);
  }
  assert.deepEqual(answers.filter((a) => !a.startsWith("200 ")), [], answers.join("\n"));
  assert.ok(answers.includes("200 /metrics"));
  // The watchlist's 5 stocks and the 3 more the synthetic Scout rejected.
  assert.match(stdout, /flow +\d{4}-\d{2}-\d{2} +succeeded: 8 stocks/);
  assert.match(stdout, /intraday +\d{4}-\d{2}-\d{2} +succeeded: 8 stocks/);
  assert.match(stdout, /daily +\d{4}-\d{2}-\d{2} +succeeded: 8 stocks/);
  assert.match(stdout, /Logged 900 synthetic Scout decisions and rejections/);
  assert.match(stdout, new RegExp(`http://127\\.0\\.0\\.1:${port}/v1/minute-bars/005930\\?date=`));
  assert.match(stdout, new RegExp(`Open the dashboard:\\s+http://127\\.0\\.0\\.1:${port}/\\n`));

  await using archivist = await Archivist.open(`${dir.path}/data/demo.db`);
  assert.equal((await archivist.watchlist()).length, 5);
  const runs = await archivist.listRuns();
  assert.deepEqual(runs.map((r) => r.status), ["succeeded", "succeeded", "succeeded"]);
  // Every entry has its outcome, and the reports show real figures.
  const card = await archivist.scorecard();
  assert.equal(card.by_decision.reduce((n, d) => n + d.decisions, 0), 360);
  assert.ok(card.by_decision.some((d) => d.evaluated > 0 && d.mean_ret_5d_pct !== null));
  const regret = await archivist.regretReport();
  assert.equal(regret.rejections, 540);
  assert.ok(regret.evaluated > 0);
  // The oldest entries are 20 trading days behind the collected day: their 20-day figures are
  // known, so the "status=complete" address it prints lists something.
  const complete = await archivist.listDecisionOutcomes({ status: "complete" });
  assert.ok(complete.items.length > 0, "no decision of the demo has its 20-day outcome");
  assert.ok(complete.items.every((d) => d.ret_20d_pct !== null && d.close_20d !== null));
  assert.ok(complete.items.some((d) => d.edge_20d_pct !== null));
  const statuses = new Set(
    (await archivist.listDecisionOutcomes({ limit: 1000 })).items.map((d) => d.status),
  );
  assert.ok(statuses.has("partial"), "the newest entries still await later days");
  const bars = await archivist.minuteBars("005930", runs[0].trade_date);
  assert.ok(bars.length > 300, `expected a whole session of bars, got ${bars.length}`);
});

Deno.test("demo: a taken port is refused before anything starts (exit 2)", async () => {
  await using dir = await tempDir();
  using taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = String((taken.addr as Deno.NetAddr).port);
  const result = await runCli("src/cli/demo.ts", ["--once", "--port", port], { cwd: dir.path });
  assert.equal(result.code, 2);
  assert.match(result.stderr, new RegExp(`127\\.0\\.0\\.1:${port} is already in use`));
  await assert.rejects(Deno.stat(`${dir.path}/data/demo.db`), Deno.errors.NotFound);
});
