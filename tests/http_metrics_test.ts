import assert from "node:assert/strict";
import { runCollection } from "../collectors/run.ts";
import { COLLECTION_JOBS } from "../db/schema.ts";
import type { KisStats } from "../src/kis/mod.ts";
import { Metrics } from "../src/http/metrics.ts";
import { ORIGINAL_DECISION, startTestApi } from "./fixtures/http_harness.ts";
import { collectFixture } from "./collectors_fixture.ts";
import { recordFinishedRun } from "./helpers.ts";

const TOKEN = "metrics-token-0123456789";

/** The value of a sample line `name{labels} value`, or undefined. */
function sample(text: string, series: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

Deno.test("GET /metrics: Prometheus text with requests, writes, KIS calls and runs", async () => {
  const kis: KisStats = {
    calls: 12,
    retries: 3,
    byTrId: { FHKST01010900: 8, FHKST03010230: 4 },
    retriesByTrId: { FHKST01010900: 3 },
    rateLimitedByTrId: { FHKST01010900: 2 },
  };
  await using api = await startTestApi({
    token: TOKEN,
    metricsFor: (archivist) => new Metrics({ archivist, kis: () => kis }),
  });
  const { archivist } = api;
  await recordFinishedRun(archivist, { job: "flow", tradeDate: "2026-11-25", status: "succeeded" });
  await recordFinishedRun(archivist, {
    job: "intraday",
    tradeDate: "2026-11-25",
    status: "partial",
    failed: ["000660"],
  });
  const auth = { authorization: `Bearer ${TOKEN}` };

  assert.equal((await api.request("/metrics")).status, 401, "the token guards /metrics");
  await Promise.all(
    Array.from({ length: 5 }, () => api.post("/v1/decisions", ORIGINAL_DECISION, auth))
      .map(async (r) => (await r).body?.cancel()),
  );
  await (await api.post("/v1/decisions", { stock_code: "nope" }, auth)).body?.cancel();

  const response = await api.request("/metrics", { headers: auth });
  assert.equal(response.status, 200);
  assert.match(response.headers.get("content-type")!, /^text\/plain; version=0\.0\.4/);
  const text = await response.text();
  assert.equal(
    sample(text, 'archivist_http_requests_total{method="POST",route="/v1/decisions",status="201"}'),
    5,
  );
  assert.equal(
    sample(text, 'archivist_http_requests_total{method="POST",route="/v1/decisions",status="400"}'),
    1,
  );
  assert.equal(
    sample(text, 'archivist_http_requests_total{method="GET",route="/metrics",status="401"}'),
    1,
  );
  assert.match(text, /# TYPE archivist_group_commit_batch_size histogram/);
  assert.ok(sample(text, "archivist_group_commit_batch_size_count")! >= 1);
  assert.equal(
    sample(text, "archivist_group_commit_batch_size_sum"),
    5 + 5,
    "5 posts, 5 run writes",
  );
  assert.equal(sample(text, "archivist_write_failures_total"), 0);
  assert.equal(sample(text, "archivist_writes_failing"), 0);
  assert.equal(sample(text, 'archivist_kis_requests_total{tr_id="FHKST01010900"}'), 8);
  assert.equal(sample(text, 'archivist_kis_retries_total{tr_id="FHKST01010900"}'), 3);
  assert.equal(sample(text, 'archivist_kis_rate_limited_total{tr_id="FHKST01010900"}'), 2);
  assert.equal(sample(text, 'archivist_collection_runs{job="flow",status="succeeded"}'), 1);
  assert.equal(sample(text, 'archivist_collection_runs{job="intraday",status="partial"}'), 1);
  assert.equal(
    sample(text, 'archivist_collection_last_run_status{job="intraday",status="partial"}'),
    1,
  );
  assert.equal(
    sample(text, 'archivist_collection_last_run_status{job="intraday",status="succeeded"}'),
    0,
  );
  assert.ok(sample(text, 'archivist_collection_last_run_seconds{job="flow"}')! >= 0);
  const lastSuccess = sample(
    text,
    'archivist_collection_last_success_timestamp_seconds{job="flow"}',
  )!;
  assert.ok(Math.abs(lastSuccess - Date.now() / 1000) < 60);
  assert.equal(
    sample(text, 'archivist_collection_last_success_timestamp_seconds{job="intraday"}'),
    undefined,
    "intraday never succeeded",
  );
});

Deno.test("metrics: KIS counters are the client's transport's (requests, retries and EGW00201 by tr_id as the simulator saw them); runs of all three jobs", async () => {
  await using fx = await collectFixture();
  await fx.archivist.addToWatchlist([{ stock_code: "005930" }, { stock_code: "000660" }]);
  const collect = async (job: typeof COLLECTION_JOBS[number]) => {
    const report = await runCollection(fx.deps, {
      job,
      tradeDate: "2026-11-24",
      trigger: "manual",
    });
    assert.equal(report.status, "succeeded", `${job}: ${report.reason}`);
  };
  await collect("flow");
  // The minute bars meet two EGW00201 answers and a token KIS no longer accepts.
  fx.sim.setFaults({ rateLimitBurst: 2 });
  fx.sim.expireTokens();
  await collect("intraday");
  await collect("daily");

  using metrics = new Metrics({ archivist: fx.archivist, kis: () => fx.client.stats });
  const text = await metrics.text();
  const sim = fx.sim.stats();
  const sent = Object.entries(sim.byTrId);
  assert.ok(sent.length >= 4, JSON.stringify(sim.byTrId));
  for (const [trId, count] of sent) {
    assert.equal(sample(text, `archivist_kis_requests_total{tr_id="${trId}"}`), count, trId);
  }
  const series = (name: string) =>
    Object.fromEntries(
      text.split("\n").filter((line) => line.startsWith(`${name}{`)).map((line) => [
        /tr_id="([^"]+)"/.exec(line)![1],
        Number(line.split(" ")[1]),
      ]),
    );
  assert.deepEqual(series("archivist_kis_rate_limited_total"), { FHKST03010230: 2 });
  const retries = series("archivist_kis_retries_total");
  assert.deepEqual(Object.keys(retries), ["FHKST03010230"]);
  assert.ok(retries.FHKST03010230 >= 3, "two refused for the rate, one for the token, sent again");
  assert.equal(retries.FHKST03010230, fx.client.stats.retries);
  for (const job of COLLECTION_JOBS) {
    assert.equal(
      sample(text, `archivist_collection_last_run_status{job="${job}",status="succeeded"}`),
      1,
      job,
    );
    assert.ok(sample(text, `archivist_collection_last_run_seconds{job="${job}"}`)! >= 0, job);
    assert.ok(
      sample(text, `archivist_collection_last_success_timestamp_seconds{job="${job}"}`)! > 0,
      job,
    );
  }
});
