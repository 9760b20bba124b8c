import assert from "node:assert/strict";
import {
  acquireCollectionLease,
  COLLECTION_LEASE,
  holderIsGone,
  LEASE_BUSY_REASON,
  LEASE_STOPPED_REASON,
} from "../collectors/lease.ts";
import { runCollection } from "../collectors/run.ts";
import { runScheduledJob } from "../collectors/schedule.ts";
import { readUntil } from "../src/child_output.ts";
import { parseConfig } from "../src/config.ts";
import { collectFixture } from "./collectors_fixture.ts";
import { tempArchive } from "./helpers.ts";

const ROOT = new URL("../", import.meta.url).pathname;

/** A `tests/fixtures/lease_holder.ts` process holding the lease of `path`, and its run's id. */
async function spawnLeaseHolder(path: string) {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--config",
      `${ROOT}deno.json`,
      `${ROOT}tests/fixtures/lease_holder.ts`,
      path,
    ],
    stdout: "piped",
  }).spawn();
  const { match, printed } = await readUntil(child, /holding (\S+)\n/);
  if (!match) throw new Error(`the lease holder ended: ${printed}`);
  return {
    runId: match[1],
    async kill() {
      child.kill("SIGKILL");
      await child.status;
    },
  };
}

Deno.test("lease: a collection killed while holding the lease is taken over at once; its run is recorded as interrupted", async () => {
  await using archive = await tempArchive();
  const { archivist } = archive;
  const child = await spawnLeaseHolder(archive.path);
  const runId = child.runId;
  const holder = (await archivist.leaseHolder(COLLECTION_LEASE))!;
  assert.ok(!holderIsGone(holder), "the live holder is not taken over");
  await child.kill();
  assert.ok(holderIsGone(holder));

  const started = performance.now();
  const lease = await acquireCollectionLease(archivist, { waitMs: 120_000, pollMs: 100 });
  const seconds = (performance.now() - started) / 1000;
  assert.ok(lease, "the lease was taken");
  await lease.release();
  assert.ok(seconds < 5, `took ${seconds} s (the dead holder's lease had 15 s left)`);
  const [run] = await archivist.listRuns({ tradeDate: "2026-11-24" });
  assert.equal(run.run_id, runId);
  assert.equal(run.status, "failed");
  assert.match(run.reason ?? "", /^interrupted/);
  assert.ok(run.finished_at);
});

Deno.test("lease: a holder on another machine, or alive here, is waited for", () => {
  assert.equal(holderIsGone(`some-other-host:1:x`), false);
  assert.equal(holderIsGone(`${Deno.hostname()}:${Deno.pid}:x`), false);
  assert.equal(holderIsGone("garbage"), false);
});

Deno.test("lease: a scheduled firing waits (every 10 minutes) for a live holder, but takes a killed one's lease at once; catch-up redoes its day", async () => {
  await using fx = await collectFixture({ clock: "2026-11-25T16:00:30+09:00" });
  await fx.archivist.addToWatchlist([{ stock_code: "005930" }]);
  const sleeps: number[] = [];
  const deps = {
    ...fx.deps,
    config: { ...parseConfig({}), catchUpDays: 2, logDir: `${fx.dir}/logs` },
    // Each wait between tries is recorded and ends the firing's retries at once.
    sleep: (ms: number) => (sleeps.push(ms), Promise.resolve(false)),
  };
  const holder = await spawnLeaseHolder(fx.location);
  try {
    const waited = await runScheduledJob(deps, "flow");
    assert.equal(waited.catchUp.skipped, LEASE_BUSY_REASON);
    assert.deepEqual([waited.report.status, waited.report.reason], ["skipped", LEASE_BUSY_REASON]);
    assert.equal(waited.report.retryLater, true);
    assert.deepEqual(sleeps, [10 * 60_000], "the firing would try again in 10 minutes");
  } finally {
    await holder.kill();
  }

  sleeps.length = 0;
  const taken = await runScheduledJob(deps, "flow");
  assert.deepEqual(sleeps, [], "no wait for the dead holder's lease to expire");
  assert.equal(taken.report.status, "succeeded");
  assert.deepEqual(
    taken.catchUp.runs.map((r) => [r.tradeDate, r.status]),
    [["2026-11-24", "succeeded"]],
    "the day the killed run left is caught up",
  );
  const [dead] = (await fx.archivist.listRuns({ tradeDate: "2026-11-24" }))
    .filter((r) => r.run_id === holder.runId);
  assert.equal(dead.status, "failed");
  assert.match(dead.reason ?? "", /^interrupted/);
});

Deno.test("lease: a stop ends the wait for another collection's lease at once; the run says why", async () => {
  await using fx = await collectFixture();
  // A live holder: this very process, as another collection of it would be.
  const other = `${Deno.hostname()}:${Deno.pid}:another-collection`;
  assert.ok(await fx.archivist.acquireLease(COLLECTION_LEASE, other, 600_000));
  const stopping = new AbortController();
  setTimeout(() => stopping.abort(), 200);
  const started = performance.now();
  const report = await runCollection(
    { ...fx.deps, lease: { waitMs: 600_000, pollMs: 50 }, signal: stopping.signal },
    { job: "flow", tradeDate: "2026-11-24", trigger: "schedule", codes: ["005930"] },
  );
  const seconds = (performance.now() - started) / 1000;
  assert.ok(seconds < 5, `the wait ended ${seconds} s after the stop`);
  assert.deepEqual([report.status, report.reason], ["skipped", LEASE_STOPPED_REASON]);
  assert.equal(report.kisCalls, 0);
});
