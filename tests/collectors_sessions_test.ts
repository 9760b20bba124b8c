import assert from "node:assert/strict";
import { catchUp } from "../collectors/catch_up.ts";
import { runCollection, type RunReport } from "../collectors/run.ts";
import { runScheduledJob } from "../collectors/schedule.ts";
import { parseConfig } from "../src/config.ts";
import { SIM_HALTED_STOCK_CODE } from "../src/sim/market.ts";
import { barTimeOf } from "../src/time.ts";
import { collectFixture, truthRows } from "./collectors_fixture.ts";

const truth = truthRows;

const CSAT = "2026-11-19";
const DELAYED = "2026-11-05";

Deno.test("sessions: a past CSAT day is stored whole to its 16:30 close, in 4 calls a stock", async () => {
  await using fx = await collectFixture();
  const report = await runCollection(fx.deps, {
    job: "intraday",
    tradeDate: CSAT,
    trigger: "manual",
    codes: ["005930", "035420"],
  });
  assert.equal(report.status, "succeeded", report.reason ?? "");
  assert.equal(report.kisCalls, 8);
  for (const code of ["005930", "035420"]) {
    const stored = await fx.archivist.minuteBars(code, CSAT);
    assert.deepEqual(stored, truth(code, CSAT), code);
    assert.equal(stored.at(-1)!.bar_time, barTimeOf(CSAT, "163000"));
  }
});

Deno.test("sessions: at 16:05 on a CSAT day the session still runs: nothing stored, not final", async () => {
  await using fx = await collectFixture({ clock: `${CSAT}T16:05:00+09:00` });
  for (const job of ["intraday", "flow"] as const) {
    const report = await runCollection(fx.deps, {
      job,
      tradeDate: CSAT,
      trigger: "manual",
      codes: ["005930"],
    });
    assert.equal(report.status, "skipped", job);
    assert.ok(report.retryLater);
    assert.match(
      report.reason ?? "",
      job === "intraday" ? /final only from 16:30 KST/ : /final only from 16:40 KST/,
    );
  }
  assert.deepEqual(await fx.archivist.minuteBars("005930", CSAT), []);
  assert.equal(fx.sim.stats().byTrId.FHKST03010200 ?? 0, 0);
});

Deno.test("sessions: the 16:05 firing on a CSAT day waits for the 16:30 close, then collects whole", async () => {
  await using fx = await collectFixture({ clock: `${CSAT}T16:05:00+09:00` });
  await fx.archivist.addToWatchlist([{ stock_code: "005930" }]);
  const waits: number[] = [];
  const { report } = await runScheduledJob({
    ...fx.deps,
    config: { ...parseConfig({}), catchUpDays: 0, logDir: `${fx.dir}/logs` },
    // Waiting moves the simulated clock instead of the real one.
    sleep: (ms) => {
      waits.push(ms);
      fx.sim.setClock(new Date(fx.sim.now().getTime() + ms));
      return Promise.resolve(true);
    },
  }, "intraday");
  assert.equal(report.status, "succeeded", report.reason ?? "");
  assert.equal(report.tradeDate, CSAT);
  assert.ok(waits.length === 1 && waits[0] > 24 * 60_000 && waits[0] <= 25 * 60_000, `${waits}`);
  assert.deepEqual(await fx.archivist.minuteBars("005930", CSAT), truth("005930", CSAT));
});

Deno.test("sessions: a close KIS shows running late today is held back until it settles", async () => {
  // 2026-11-05 closed at 16:00 in the simulated market; Archivist expects 15:30.
  await using fx = await collectFixture({ clock: `${DELAYED}T15:45:00+09:00` });
  const request = {
    job: "intraday",
    tradeDate: DELAYED,
    trigger: "manual",
    codes: ["005930", "000660"],
  } as const;
  const running = await runCollection(fx.deps, request);
  assert.equal(running.status, "skipped");
  assert.ok(running.retryLater);
  assert.match(running.reason ?? "", /ran until 15:4\d, past its expected 15:30 close/);
  assert.match(running.reason ?? "", /not final yet, nothing stored/);
  assert.deepEqual(await fx.archivist.minuteBars("005930", DELAYED), []);

  // 16:05: the session closed at 16:00, 5 minutes ago: still not proven over.
  fx.sim.setClock(`${DELAYED}T16:05:00+09:00`);
  assert.equal((await runCollection(fx.deps, request)).status, "skipped");

  fx.sim.setClock(`${DELAYED}T16:11:00+09:00`);
  const settled = await runCollection(fx.deps, request);
  assert.equal(settled.status, "succeeded", settled.reason ?? "");
  assert.match(settled.reason ?? "", /ran until 16:00/);
  for (const code of request.codes) {
    assert.deepEqual(await fx.archivist.minuteBars(code, DELAYED), truth(code, DELAYED), code);
  }
  const runs = await fx.archivist.listRuns({ job: "intraday", tradeDate: DELAYED });
  assert.deepEqual(runs.map((r) => r.status), ["succeeded", "skipped", "skipped"]);
});

Deno.test("sessions: a past day that ran late is stored whole, with a note", async () => {
  await using fx = await collectFixture();
  const report = await runCollection(fx.deps, {
    job: "intraday",
    tradeDate: DELAYED,
    trigger: "manual",
    codes: ["005930"],
  });
  assert.equal(report.status, "succeeded");
  assert.match(report.reason ?? "", /ran until 16:00, past its expected 15:30 close/);
  assert.deepEqual(await fx.archivist.minuteBars("005930", DELAYED), truth("005930", DELAYED));
});

Deno.test("sessions: bars that do not reach back to the day's first trade store nothing", async () => {
  // KIS's answer starts at 10:00 although the day traded from 09:00.
  await using fx = await collectFixture({ faults: { minuteRowsFrom: "100000" } });
  const report = await runCollection(fx.deps, {
    job: "intraday",
    tradeDate: "2026-11-24",
    trigger: "manual",
    codes: ["005930"],
  });
  assert.equal(report.status, "failed");
  assert.match(report.failures[0].error, /start at 10:00 .* traded before: .* incomplete/);
  assert.deepEqual(await fx.archivist.minuteBars("005930", "2026-11-24"), []);
});

Deno.test("sessions: a stock halted all day is done with 0 bars and the reason, not a failure", async () => {
  await using fx = await collectFixture();
  const codes = ["005930", SIM_HALTED_STOCK_CODE];
  for (const tradeDate of ["2026-11-24", "2026-11-25"]) {
    // 11-24 through the dated TR, 11-25 (today) through the today TR.
    const report = await runCollection(fx.deps, {
      job: "intraday",
      tradeDate,
      trigger: "manual",
      codes,
    });
    assert.equal(report.status, "succeeded", report.reason ?? "");
    assert.deepEqual([report.stocksDone, report.stocksFailed], [2, 0]);
    assert.deepEqual(report.notes.map((n) => n.stockCode), [SIM_HALTED_STOCK_CODE]);
    assert.match(report.reason ?? "", new RegExp(`${SIM_HALTED_STOCK_CODE}: halted all day`));
  }
  // Flows of the halted days are whole rows of zeros.
  const flow = await runCollection(fx.deps, {
    job: "flow",
    tradeDate: "2026-11-24",
    trigger: "manual",
    codes,
  });
  assert.equal(flow.status, "succeeded", flow.reason ?? "");
  const [row] = await fx.archivist.flowSnapshots(SIM_HALTED_STOCK_CODE, "2026-11-24", "2026-11-24");
  assert.deepEqual([row.volume, row.individual_net_buy, row.program_net_buy], [0, 0, 0]);
  // Catch-up does not repeat the halted days.
  const summary = await catchUp({ ...fx.deps, days: 2, jobs: ["intraday"] });
  assert.deepEqual(summary.missing, []);
});

Deno.test("sessions: a second collector that waited for the lease skips what the first stored", async () => {
  await using fx = await collectFixture({ faults: { latencyMs: 10 } });
  const codes = ["005930", "000660", "035420", "051910"];
  const request = { job: "intraday", tradeDate: "2026-11-24", trigger: "manual", codes } as const;
  const other = { ...fx.deps, client: fx.newClient(), lease: { waitMs: 30_000, pollMs: 20 } };
  // The second starts once the first holds the lease and collects: it has to wait for it.
  let second!: Promise<RunReport>;
  const started = Promise.withResolvers<void>();
  const first = await runCollection({
    ...fx.deps,
    observer: {
      runStarted: () => {
        second = runCollection(other, request);
        started.resolve();
      },
    },
  }, request);
  await started.promise;
  const later = await second;
  assert.equal(first.status, "succeeded");
  assert.deepEqual(
    [later.status, later.alreadyStored, later.kisCalls],
    ["succeeded", 4, 0],
    "the second saw the first's bars",
  );
});

Deno.test("sessions: a stop signal ends a run after the stocks in flight; a rerun completes it", async () => {
  await using fx = await collectFixture({ faults: { latencyMs: 5 } });
  const codes = ["005930", "000660", "035420", "051910", "005380", "035720", "068270", "105560"];
  const stop = new AbortController();
  const request = { job: "intraday", tradeDate: "2026-11-24", trigger: "schedule", codes } as const;
  const interrupted = await runCollection({
    ...fx.deps,
    concurrency: 2,
    signal: stop.signal,
    observer: { stockFinished: () => stop.abort() },
  }, request);
  assert.equal(interrupted.status, "failed");
  assert.ok(interrupted.retryLater);
  assert.match(interrupted.reason ?? "", /interrupted: .* after \d of 8 stocks/);
  assert.ok(interrupted.stocksDone >= 1 && interrupted.stocksDone < 8);
  const [recorded] = await fx.archivist.listRuns({ job: "intraday" });
  assert.equal(recorded.status, "failed", "recorded, not left running");
  const rerun = await runCollection(fx.deps, request);
  assert.equal(rerun.status, "succeeded");
  assert.equal(rerun.alreadyStored, interrupted.stocksDone);
  for (const code of codes) {
    assert.equal(
      (await fx.archivist.minuteBars(code, "2026-11-24")).length,
      truth(code, "2026-11-24").length,
    );
  }
});

Deno.test("sessions: flows KIS has not finalised on a late day are not stored as the day's", async () => {
  await using fx = await collectFixture({ clock: `${DELAYED}T16:05:00+09:00` });
  const request = {
    job: "flow",
    tradeDate: DELAYED,
    trigger: "manual",
    codes: ["005930"],
  } as const;
  const early = await runCollection(fx.deps, request);
  assert.equal(early.status, "skipped");
  assert.ok(early.retryLater);
  assert.match(early.reason ?? "", /not finalised the investor flows of 2026-11-05/);
  assert.deepEqual(await fx.archivist.flowSnapshots("005930", DELAYED, DELAYED), []);
  fx.sim.setClock(`${DELAYED}T16:11:00+09:00`);
  const final = await runCollection(fx.deps, request);
  assert.equal(final.status, "succeeded", final.reason ?? "");
  const [row] = await fx.archivist.flowSnapshots("005930", DELAYED, DELAYED);
  assert.notEqual(row.individual_net_buy, 0);
});

Deno.test("sessions: a firing on a day that ran late tries again until the session settles", async () => {
  await using fx = await collectFixture({ clock: `${DELAYED}T16:05:00+09:00` });
  await fx.archivist.addToWatchlist([{ stock_code: "005930" }]);
  const waits: number[] = [];
  const { report } = await runScheduledJob({
    ...fx.deps,
    config: { ...parseConfig({}), catchUpDays: 0, logDir: `${fx.dir}/logs` },
    sleep: (ms) => {
      waits.push(ms);
      fx.sim.setClock(new Date(fx.sim.now().getTime() + ms));
      return Promise.resolve(true);
    },
  }, "intraday");
  assert.equal(report.status, "succeeded", report.reason ?? "");
  assert.deepEqual(waits, [10 * 60_000], "one retry, 10 minutes later");
  assert.deepEqual(await fx.archivist.minuteBars("005930", DELAYED), truth("005930", DELAYED));
  const runs = await fx.archivist.listRuns({ job: "intraday" });
  assert.deepEqual(runs.map((r) => r.status), ["succeeded", "skipped"]);
});
