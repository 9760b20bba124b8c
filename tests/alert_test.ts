import assert from "node:assert/strict";
import type { RunReport } from "../collectors/run.ts";
import { alertingRunObserver, AlertWebhook, runAlert, writeAlert } from "../src/alert.ts";
import { tempArchive } from "./helpers.ts";

/** A local webhook receiver: records each JSON body; answers `statuses` in turn, then 200. */
function receiver(statuses: number[] = []) {
  const bodies: Record<string, unknown>[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (request) => {
    bodies.push(await request.json());
    return new Response(null, { status: statuses.shift() ?? 200 });
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}/hooks/T000/B000/secret-part`,
    bodies,
    [Symbol.asyncDispose]: () => server.shutdown(),
  };
}

const report = (status: RunReport["status"]): RunReport => ({
  runId: "run-1",
  job: "intraday",
  tradeDate: "2026-11-25",
  trigger: "schedule",
  stocksTotal: 3,
  status,
  reason: status === "succeeded" ? null : "1 of 3 stocks failed; first: 000660: HTTP 500",
  stocksDone: 2,
  alreadyStored: 0,
  stocksFailed: 1,
  rowsWritten: 762,
  writes: { inserted: 762, updated: 0, unchanged: 0 },
  kisCalls: 30,
  failures: [{ stockCode: "000660", error: "HTTP 500" }],
  credentialsRejected: false,
  notes: [],
  retryLater: false,
  seconds: 4.2,
});

Deno.test("alert: failed and partial runs post a JSON message Slack, Discord and Telegram accept; others none", async () => {
  await using hook = receiver();
  const webhook = new AlertWebhook(hook.url);
  const observer = alertingRunObserver(webhook);
  observer.runFinished!(report("succeeded"));
  observer.runFinished!(report("skipped"));
  observer.runFinished!(report("partial"));
  observer.runFinished!(report("failed"));
  await webhook.settled();
  assert.deepStrictEqual(hook.bodies.map((b) => b.event), ["run_partial", "run_failed"]);
  const [partial] = hook.bodies;
  assert.match(
    String(partial.text),
    /intraday collection for 2026-11-25 ended partial \(2\/3 stocks\)/,
  );
  assert.equal(partial.content, partial.text, "Discord reads `content`");
  assert.equal(partial.trade_date, "2026-11-25");
  assert.equal(partial.stocks_failed, 1);
  assert.equal(runAlert(report("succeeded")), undefined);
});

Deno.test("alert: writes that start failing, and work again, are each posted once", async () => {
  await using hook = receiver();
  const webhook = new AlertWebhook(hook.url);
  let failing = true;
  await using archive = await tempArchive({
    persist: () => failing ? Promise.reject(new Error("fdatasync: EIO")) : Promise.resolve(),
  });
  const { archivist } = archive;
  using _observer = archivist.observe({
    writeStatus: (status) => webhook.send(writeAlert(status, archivist.path)),
  });
  const decision = { stock_code: "005930", final_decision: "HOLD" as const, thinking_called: null };
  for (let i = 0; i < 3; i++) await archivist.logDecisions([decision]).catch(() => {});
  failing = false;
  await archivist.logDecisions([decision]);
  await webhook.settled();
  assert.deepStrictEqual(hook.bodies.map((b) => b.event), ["writes_failing", "writes_recovered"]);
  assert.match(String(hook.bodies[0].text), /writes to .* are failing \(sync\): fdatasync: EIO/);
});

Deno.test("alert: a refused delivery is retried; an unreachable webhook only logs, never throws", async () => {
  await using hook = receiver([500, 503]);
  const webhook = new AlertWebhook(hook.url, { retryMs: 10 });
  webhook.send(runAlert(report("failed"))!);
  await webhook.settled();
  assert.equal(hook.bodies.length, 3, "two refusals, then delivered");

  const nowhere = new AlertWebhook("http://127.0.0.1:9/hook", { retryMs: 10, timeoutMs: 500 });
  nowhere.send(runAlert(report("failed"))!);
  await nowhere.settled();
});
