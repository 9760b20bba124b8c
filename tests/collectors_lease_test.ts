import assert from "node:assert/strict";
import { acquireCollectionLease, COLLECTION_LEASE, holderIsGone } from "../collectors/lease.ts";
import { tempArchive } from "./helpers.ts";

const ROOT = new URL("../", import.meta.url).pathname;

Deno.test("lease: a collection killed while holding the lease is taken over at once; its run is recorded as interrupted", async () => {
  await using archive = await tempArchive();
  const { archivist } = archive;
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--config",
      `${ROOT}deno.json`,
      `${ROOT}tests/fixtures/lease_holder.ts`,
      archive.path,
    ],
    stdout: "piped",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let printed = "";
  while (!printed.includes("\n")) printed += (await reader.read()).value ?? "";
  const runId = /holding (\S+)/.exec(printed)![1];
  const holder = (await archivist.leaseHolder(COLLECTION_LEASE))!;
  assert.ok(!holderIsGone(holder), "the live holder is not taken over");
  child.kill("SIGKILL");
  await child.status;
  await reader.cancel();
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
