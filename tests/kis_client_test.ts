import assert from "node:assert/strict";
import { isKrxTradingDay } from "../src/calendar.ts";
import {
  KisClient,
  KisCredentialsError,
  KisError,
  KisMalformedResponseError,
  KisRetryExhaustedError,
  KisUnsupportedError,
} from "../src/kis/mod.ts";
import {
  DEMO_REAL_APP_KEY,
  DEMO_REAL_APP_SECRET,
  DEMO_VIRTUAL_APP_KEY,
  DEMO_VIRTUAL_APP_SECRET,
} from "../src/sim/server.ts";
import { datesBetween } from "../src/time.ts";
import { realClient, withSim } from "./fixtures/kis_sim.ts";

const SECRETS = [
  DEMO_REAL_APP_KEY,
  DEMO_REAL_APP_SECRET,
  DEMO_VIRTUAL_APP_KEY,
  DEMO_VIRTUAL_APP_SECRET,
];

/** The error `work` rejects with, asserting it is a {@link KisError} free of secrets. */
async function kisFailure(work: Promise<unknown>): Promise<KisError> {
  const error = await work.then(() => undefined, (e: unknown) => e);
  assert.ok(error instanceof KisError, `expected a KisError, got ${error}`);
  for (const secret of SECRETS) assert.ok(!error.message.includes(secret), "a secret leaked");
  assert.ok(!/Bearer|eyJ/.test(error.message), "a token leaked");
  return error;
}

Deno.test("investorFlows parses 30 business days newest first with numbers and dates", async () => {
  await withSim(async (sim, dir) => {
    const client = KisClient.fromSettings({
      env: "real",
      appKey: DEMO_REAL_APP_KEY,
      appSecret: DEMO_REAL_APP_SECRET,
      baseUrl: `${sim.realUrl}/`,
      rateLimit: 1000,
      tokenCachePath: `${dir}/token.json`,
    }, { now: () => sim.now() });
    const days = await client.investorFlows("005930");
    assert.equal(days.length, 30);
    assert.equal(days[0].tradeDate, "2026-11-25");
    assert.equal(days[0].stck_bsop_date, "20261125");
    assert.ok(days.every((d, i) => i === 0 || d.tradeDate < days[i - 1].tradeDate));
    assert.ok(days.every((d) => isKrxTradingDay(d.tradeDate)));
    const day = days[1];
    assert.equal(typeof day.stck_clpr, "number");
    assert.ok(day.stck_clpr! > 0);
    for (const who of ["prsn", "frgn", "orgn"] as const) {
      assert.equal(day[`${who}_ntby_qty`], day[`${who}_shnu_vol`]! - day[`${who}_seln_vol`]!);
    }
    assert.deepEqual(client.stats.byTrId, { FHKST01010900: 1 });
    assert.equal(client.stats.calls, 1);
    assert.equal(sim.stats().byTrId.FHKST01010900, 1);
  });
});

Deno.test("program trading: daily rows by end date and intraday snapshots", async () => {
  await withSim(async (sim, dir) => {
    const client = realClient(sim, `${dir}/token.json`);
    const daily = await client.programTradeDaily("000660", "2026-11-20");
    assert.ok(daily.length >= 20);
    assert.equal(daily[0].tradeDate, "2026-11-20");
    const row = daily[0];
    assert.equal(row.whol_smtn_ntby_qty, row.whol_smtn_shnu_vol! - row.whol_smtn_seln_vol!);
    assert.ok(row.acml_tr_pbmn! > row.acml_vol!, "amounts are KRW, not million KRW");
    const latest = await client.programTradeDaily("000660");
    assert.equal(latest[0].tradeDate, "2026-11-25");
    const snapshots = await client.programTradeIntraday("000660");
    assert.ok(snapshots.length > 0 && snapshots.length <= 30);
    assert.match(snapshots[0].bsop_hour, /^\d{6}$/);
    assert.ok(snapshots.every((s, i) => i === 0 || s.bsop_hour < snapshots[i - 1].bsop_hour));
  });
});

Deno.test("marketCalendar follows continuation pages and dedupes dates", async () => {
  await withSim(async (sim, dir) => {
    const client = realClient(sim, `${dir}/token.json`);
    const days = await client.marketCalendar("2026-12-01", "2027-02-28");
    assert.deepEqual(days.map((d) => d.tradeDate), datesBetween("2026-12-01", "2027-02-28"));
    assert.ok(days.every((d) => d.isOpen === isKrxTradingDay(d.tradeDate)));
    assert.equal(days.find((d) => d.tradeDate === "2026-12-25")?.isOpen, false);
    assert.ok(client.stats.calls >= 4, `${client.stats.calls} pages for 90 days of 24-day pages`);
  });
});

Deno.test("marketCalendar drops the duplicated dates KIS sometimes sends", async () => {
  await withSim(async (sim, dir) => {
    const client = realClient(sim, `${dir}/token.json`);
    const days = await client.marketCalendar("2026-11-01", "2026-11-30");
    assert.deepEqual(days.map((d) => d.tradeDate), datesBetween("2026-11-01", "2026-11-30"));
    assert.equal(days.filter((d) => d.isOpen).length, 21);
    assert.equal(client.stats.calls, 3);
  }, { quirks: { holidayDuplicates: true, holidayPageSize: 10 } });
});

Deno.test("the virtual environment refuses real-only TRs before any request", async () => {
  await withSim(async (sim, dir) => {
    const client = new KisClient({
      env: "virtual",
      baseUrl: sim.virtualUrl,
      appKey: DEMO_VIRTUAL_APP_KEY,
      appSecret: DEMO_VIRTUAL_APP_SECRET,
      rateLimit: 1000,
      tokenCachePath: `${dir}/token.json`,
      now: () => sim.now(),
    });
    const refusals = [
      client.programTradeDaily("005930"),
      client.programTradeIntraday("005930"),
      client.marketCalendar("2026-11-01", "2026-11-30"),
      client.sessionMinuteBars("005930", "2026-11-24"),
    ];
    for (const [index, refusal] of refusals.entries()) {
      const error = await kisFailure(refusal);
      assert.ok(error instanceof KisUnsupportedError, `refusal ${index}: ${error}`);
      assert.match(error.message, /virtual \(모의투자\)/);
      assert.match(error.message, /KIS_ENV=real/);
    }
    assert.throws(
      () => client.plannedCalls("sessionMinuteBars", "2026-11-24"),
      KisUnsupportedError,
    );
    assert.equal(sim.stats().requests, 0);
    assert.equal(client.stats.calls, 0);
    const flows = await client.investorFlows("005930");
    assert.equal(flows.length, 30);
  });
});

Deno.test("a burst of EGW00201 answers is absorbed with nothing lost", async () => {
  await withSim(async (sim, dir) => {
    const client = realClient(sim, `${dir}/token.json`);
    sim.setFaults({ rateLimitBurst: 5 });
    const results = await Promise.all(
      ["005930", "000660", "035420"].map((c) => client.investorFlows(c)),
    );
    assert.deepEqual(results.map((r) => r.length), [30, 30, 30]);
    assert.equal(sim.stats().rateLimited, 5);
    assert.equal(client.stats.retries, 5);
    assert.equal(client.stats.calls, 8);
  });
});

Deno.test("server errors are retried; when they never stop the error says what was tried", async () => {
  await withSim(async (sim, dir) => {
    const client = realClient(sim, `${dir}/token.json`, {
      retry: { attempts: 3, baseDelayMs: 5, maxDelayMs: 20 },
    });
    sim.setFaults({ failCodes: ["000660"] });
    const error = await kisFailure(client.investorFlows("000660"));
    assert.ok(error instanceof KisRetryExhaustedError, String(error));
    assert.equal(error.attempts, 3);
    assert.match(error.message, /FHKST01010900/);
    assert.match(error.message, /3 attempts/);
    assert.match(error.message, /EGW00002/);
    assert.equal(sim.stats().serverErrors, 3);
    assert.equal((await client.investorFlows("005930")).length, 30);
  });
});

Deno.test("timeouts are retried like network errors", async () => {
  await withSim(async (sim, dir) => {
    const client = realClient(sim, `${dir}/token.json`, {
      timeoutMs: 60,
      retry: { attempts: 2, baseDelayMs: 5, maxDelayMs: 5 },
    });
    await client.investorFlows("005930");
    sim.setFaults({ latencyMs: 150 });
    const error = await kisFailure(client.investorFlows("005930"));
    assert.ok(error instanceof KisRetryExhaustedError);
    assert.match(error.lastError, /no answer within 60 ms/);
    sim.setFaults({ latencyMs: 0 });
    await new Promise((resolve) => setTimeout(resolve, 200));
  });
});

Deno.test("a malformed field is reported with the tr_id and its path", async () => {
  await withSim(async (sim, dir) => {
    const client = realClient(sim, `${dir}/token.json`);
    sim.setFaults({ malformedRate: 1, malformedField: "frgn_ntby_qty" });
    const error = await kisFailure(client.investorFlows("005930"));
    assert.ok(error instanceof KisMalformedResponseError, String(error));
    assert.match(error.fieldPath, /^output\[\d+\]\.frgn_ntby_qty$/);
    assert.match(error.message, /FHKST01010900/);
    assert.match(error.message, /frgn_ntby_qty/);
    assert.match(error.message, /"abc"/);
    assert.equal(client.stats.calls, 1, "a malformed answer is not retried");
  });
});

Deno.test("a cut-off body is reported as invalid JSON", async () => {
  await withSim(async (sim, dir) => {
    const client = realClient(sim, `${dir}/token.json`);
    sim.setFaults({ malformedRate: 1 });
    const error = await kisFailure(client.investorFlows("005930"));
    assert.ok(error instanceof KisMalformedResponseError, String(error));
    assert.equal(error.fieldPath, "$");
    assert.match(error.message, /FHKST01010900.*not JSON/);
  });
});

Deno.test("wrong credentials stop with a message naming the variable, never the value", async () => {
  await withSim(async (sim, dir) => {
    const badKey = realClient(sim, `${dir}/token.json`, {
      appKey: "PSwrongwrongwrongwrongwrongwrongwron",
    });
    const keyError = await kisFailure(badKey.investorFlows("005930"));
    assert.ok(keyError instanceof KisCredentialsError, String(keyError));
    assert.equal(keyError.msgCd, "EGW00103");
    assert.match(keyError.message, /KIS_APP_KEY/);
    assert.ok(!keyError.message.includes("PSwrongwrong"));

    const badSecret = realClient(sim, `${dir}/token.json`, {
      appSecret: "not-the-secret-of-this-key",
    });
    const secretError = await kisFailure(badSecret.investorFlows("005930"));
    assert.ok(secretError instanceof KisCredentialsError, String(secretError));
    assert.equal(secretError.msgCd, "EGW00105");
    assert.match(secretError.message, /KIS_APP_SECRET/);
    assert.ok(!secretError.message.includes("not-the-secret"));
    assert.equal(sim.stats().byTrId.FHKST01010900 ?? 0, 0);
  });
});

Deno.test("arguments are checked before any request", async () => {
  await withSim(async (sim, dir) => {
    const client = realClient(sim, `${dir}/token.json`);
    await assert.rejects(client.investorFlows("5930"), /not a KRX code/);
    await assert.rejects(client.programTradeDaily("005930", "2026/11/20"), /YYYY-MM-DD/);
    await assert.rejects(client.sessionMinuteBars("005930", "2026-11-26"), /after today/);
    await assert.rejects(client.marketCalendar("2026-12-01", "2026-11-01"), /after toDate/);
    assert.equal(sim.stats().requests, 0);
  });
});
