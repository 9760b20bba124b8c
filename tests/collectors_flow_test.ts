import assert from "node:assert/strict";
import { flowSnapshotsOf, keepStoredValues } from "../collectors/flow.ts";
import { runCollection } from "../collectors/run.ts";
import type { InvestorFlowDay, ProgramTradeDay } from "../src/kis/mod.ts";
import { investorDay, programDay, SIM_HALTED_STOCK_CODE } from "../src/sim/market.ts";
import { collectFixture, FIVE_STOCKS } from "./collectors_fixture.ts";

const DAY = "2026-11-24";

Deno.test("flow: a day of 5 stocks equals the simulator's truth to the share and won", async () => {
  await using fx = await collectFixture();
  const report = await runCollection(fx.deps, {
    job: "flow",
    tradeDate: DAY,
    trigger: "manual",
    codes: [...FIVE_STOCKS],
  });
  assert.equal(report.status, "succeeded");
  assert.equal(report.stocksDone, 5);
  assert.equal(report.kisCalls, 10, "one investor and one program call per stock");

  for (const code of FIVE_STOCKS) {
    const rows = await fx.archivist.flowSnapshots(code, "2026-10-01", "2026-11-30");
    // Every day both answers cover is stored whole: the 30 business days up to today, final at
    // 16:05 (the investor TR reaches back to 2026-10-15), and no half-filled row.
    assert.deepEqual(
      [rows.length, rows[0].trade_date, rows.at(-1)!.trade_date],
      [30, "2026-10-15", "2026-11-25"],
    );
    assert.ok(rows.every((r) => Object.values(r).every((v) => v !== null)), `${code} rows whole`);
    for (const row of rows) {
      const investors = investorDay(code, row.trade_date)!;
      const program = programDay(code, row.trade_date)!;
      assert.deepEqual(
        {
          close: row.close_price,
          volume: row.volume,
          individual: row.individual_net_buy,
          foreign: row.foreign_net_buy,
          institution: row.institution_net_buy,
          program: row.program_net_buy,
          individualValue: row.individual_net_buy_value,
          foreignValue: row.foreign_net_buy_value,
          institutionValue: row.institution_net_buy_value,
          programValue: row.program_net_buy_value,
        },
        {
          close: investors.close,
          volume: program.volume,
          individual: investors.individual.netQty,
          foreign: investors.foreign.netQty,
          institution: investors.institution.netQty,
          program: program.netQty,
          individualValue: investors.individual.netValueKrw,
          foreignValue: investors.foreign.netValueKrw,
          institutionValue: investors.institution.netValueKrw,
          programValue: program.netValueKrw,
        },
        `${code} ${row.trade_date}`,
      );
    }
  }

  const again = await runCollection(fx.deps, {
    job: "flow",
    tradeDate: DAY,
    trigger: "manual",
    codes: [...FIVE_STOCKS],
  });
  assert.deepEqual(
    [again.status, again.stocksDone, again.alreadyStored, again.kisCalls],
    ["succeeded", 5, 5, 0],
    "a day already stored costs no call",
  );
  const rerun = await runCollection(fx.deps, {
    job: "flow",
    tradeDate: DAY,
    trigger: "manual",
    codes: [...FIVE_STOCKS],
    refetch: true,
  });
  assert.equal(rerun.status, "succeeded");
  assert.equal(rerun.kisCalls, 10);
  assert.deepEqual(rerun.writes, { inserted: 0, updated: 0, unchanged: 150 });
  assert.equal(rerun.rowsWritten, 0);
});

Deno.test("flow: a backfill of 2026-11-02..06 stores only whole rows, 2 calls per stock in all", async () => {
  // Today is 2026-11-25: the range lies within the 30 trading days both answers cover.
  await using fx = await collectFixture();
  const days = ["2026-11-02", "2026-11-03", "2026-11-04", "2026-11-05", "2026-11-06"];
  const reports = [];
  for (const tradeDate of days) {
    reports.push(
      await runCollection(fx.deps, {
        job: "flow",
        tradeDate,
        trigger: "manual",
        codes: ["005930", "000660"],
      }),
    );
  }
  assert.deepEqual(reports.map((r) => r.status), days.map(() => "succeeded"));
  assert.deepEqual(reports.map((r) => r.kisCalls), [4, 0, 0, 0, 0]);
  for (const code of ["005930", "000660"]) {
    const rows = await fx.archivist.flowSnapshots(code, "2026-10-01", "2026-11-30");
    assert.ok(rows.every((r) => Object.values(r).every((v) => v !== null)), `${code}: no gaps`);
    for (const day of days) {
      const row = rows.find((r) => r.trade_date === day)!;
      assert.equal(row.volume, programDay(code, day)!.volume, `${code} ${day}`);
      assert.equal(row.individual_net_buy, investorDay(code, day)!.individual.netQty);
    }
  }
});

Deno.test("flow: a stock whose requests fail is recorded as failed while the others succeed", async () => {
  await using fx = await collectFixture({ faults: { failCodes: ["000660"] } });
  const report = await runCollection(fx.deps, {
    job: "flow",
    tradeDate: DAY,
    trigger: "manual",
    codes: [...FIVE_STOCKS],
  });
  assert.equal(report.status, "partial");
  assert.equal(report.stocksDone, 4);
  assert.equal(report.stocksFailed, 1);
  assert.deepEqual(report.failures.map((f) => f.stockCode), ["000660"]);
  assert.match(report.failures[0].error, /EGW00002/);
  assert.deepEqual(await fx.archivist.flowSnapshots("000660", DAY, DAY), []);
  assert.equal((await fx.archivist.flowSnapshots("005930", DAY, DAY)).length, 1);

  const [run] = await fx.archivist.listRuns({ job: "flow" });
  assert.equal(run.run_id, report.runId);
  assert.equal(run.status, "partial");
  assert.equal(run.stocks_done, 4);
  assert.equal(run.stocks_failed, 1);
  assert.equal(run.kis_calls, report.kisCalls);
  assert.ok(run.rows_written > 0);
  assert.match(run.reason ?? "", /1 of 5 stocks failed/);
  assert.deepEqual(run.failures.map((f) => f.stock_code), ["000660"]);
  assert.match(run.failures[0].error, /EGW00002/);
});

Deno.test("flow: before 15:40 KST today's non-final investor row is not stored", async () => {
  await using fx = await collectFixture({ clock: "2026-11-25T15:10:00+09:00" });
  const report = await runCollection(fx.deps, {
    job: "flow",
    tradeDate: DAY,
    trigger: "manual",
    codes: ["005930"],
  });
  assert.equal(report.status, "succeeded");
  const rows = await fx.archivist.flowSnapshots("005930", "2026-11-01", "2026-11-30");
  assert.equal(rows.at(-1)?.trade_date, DAY, "2026-11-25 is still open: no row");

  const today = await runCollection(fx.deps, {
    job: "flow",
    tradeDate: "2026-11-25",
    trigger: "manual",
    codes: ["005930"],
  });
  assert.equal(today.status, "skipped");
  assert.match(today.reason ?? "", /final only from 15:40 KST/);
  assert.equal(today.kisCalls, 0);
});

Deno.test("flow: on the virtual server program columns stay empty without failing, stored ones stay", async () => {
  await using fx = await collectFixture({ env: "virtual" });
  await fx.archivist.upsertFlowSnapshots([{
    stock_code: "005930",
    trade_date: "2026-11-20",
    close_price: 1,
    volume: 777,
    individual_net_buy: 1,
    foreign_net_buy: 1,
    institution_net_buy: 1,
    program_net_buy: 4242,
    individual_net_buy_value: 1,
    foreign_net_buy_value: 1,
    institution_net_buy_value: 1,
    program_net_buy_value: 424_200,
  }]);
  const report = await runCollection(fx.deps, {
    job: "flow",
    tradeDate: DAY,
    trigger: "manual",
    codes: ["005930", "000660"],
  });
  assert.equal(report.status, "succeeded", report.reason ?? "");
  assert.equal(report.kisCalls, 2, "no program request is sent");
  const [row] = await fx.archivist.flowSnapshots("005930", DAY, DAY);
  assert.equal(row.program_net_buy, null);
  assert.equal(row.volume, null);
  assert.equal(row.foreign_net_buy, investorDay("005930", DAY)!.foreign.netQty);
  const [kept] = await fx.archivist.flowSnapshots("005930", "2026-11-20", "2026-11-20");
  assert.equal(kept.program_net_buy, 4242, "a value collected earlier is not erased");
  assert.equal(kept.individual_net_buy, investorDay("005930", "2026-11-20")!.individual.netQty);
});

function investor(date: string, netQty: number, netMillions: number): InvestorFlowDay {
  const zero = 0;
  return {
    stck_bsop_date: date.replaceAll("-", ""),
    tradeDate: date,
    stck_clpr: 54_300,
    prdy_vrss: null,
    prsn_ntby_qty: netQty,
    frgn_ntby_qty: -netQty,
    orgn_ntby_qty: zero,
    prsn_ntby_tr_pbmn: netMillions,
    frgn_ntby_tr_pbmn: -netMillions,
    orgn_ntby_tr_pbmn: 0.5,
    prsn_shnu_vol: zero,
    frgn_shnu_vol: zero,
    orgn_shnu_vol: zero,
    prsn_seln_vol: zero,
    frgn_seln_vol: zero,
    orgn_seln_vol: zero,
    prsn_shnu_tr_pbmn: zero,
    frgn_shnu_tr_pbmn: zero,
    orgn_shnu_tr_pbmn: zero,
    prsn_seln_tr_pbmn: zero,
    frgn_seln_tr_pbmn: zero,
    orgn_seln_tr_pbmn: zero,
  };
}

Deno.test("flowSnapshotsOf: million KRW become KRW, days merge by date, unfinal days drop", () => {
  const program = {
    stck_bsop_date: "20250110",
    tradeDate: "2025-01-10",
    stck_clpr: 54_300,
    acml_vol: 17_234_567,
    whol_smtn_ntby_qty: 222_212,
    whol_smtn_ntby_tr_pbmn: 12_066_111_600,
  } as ProgramTradeDay;
  const rows = flowSnapshotsOf(
    "005930",
    [investor("2025-01-13", 5, 7), investor("2025-01-10", -1_938_572, -105_264)],
    [program],
    true,
    (date) => date < "2025-01-13",
  );
  assert.equal(rows.length, 1);
  assert.deepEqual(rows[0], {
    stock_code: "005930",
    trade_date: "2025-01-10",
    data_type: "DAILY",
    close_price: 54_300,
    volume: 17_234_567,
    individual_net_buy: -1_938_572,
    foreign_net_buy: 1_938_572,
    institution_net_buy: 0,
    program_net_buy: 222_212,
    individual_net_buy_value: -105_264_000_000,
    foreign_net_buy_value: 105_264_000_000,
    institution_net_buy_value: 500_000,
    program_net_buy_value: 12_066_111_600,
  });
  const [kept] = keepStoredValues(
    [{ ...rows[0], program_net_buy: null, volume: null }],
    [{ ...rows[0], program_net_buy: 9, volume: 10 } as never],
  );
  assert.equal(kept.program_net_buy, 9);
  assert.equal(kept.volume, 10);
  assert.equal(kept.individual_net_buy, -1_938_572);
});

Deno.test("flow: a stock halted all day is done with the reason where the program series leaves the day out", async () => {
  await using fx = await collectFixture({ quirks: { programSkipsHaltedDays: true } });
  const report = await runCollection(fx.deps, {
    job: "flow",
    tradeDate: DAY,
    trigger: "manual",
    codes: ["005930", SIM_HALTED_STOCK_CODE],
  });
  assert.equal(report.status, "succeeded", report.reason ?? "");
  assert.deepEqual([report.stocksDone, report.stocksFailed], [2, 0]);
  assert.deepEqual(report.notes.map((n) => n.stockCode), [SIM_HALTED_STOCK_CODE]);
  assert.match(report.notes[0].note, /halted all day/);
  assert.equal(fx.sim.stats().byTrId.FHKST03010100, 1, "the daily candle told the halt");
  // The day's row says what a server listing the halted day says: no trade, no program trading.
  await using listed = await collectFixture();
  await runCollection(listed.deps, {
    job: "flow",
    tradeDate: DAY,
    trigger: "manual",
    codes: [SIM_HALTED_STOCK_CODE],
  });
  const withoutCreatedAt = (rows: readonly Record<string, unknown>[]) =>
    rows.map(({ snapshot_id: _, created_at: __, updated_at: ___, ...row }) => row);
  const [row] = withoutCreatedAt(
    await fx.archivist.flowSnapshots(SIM_HALTED_STOCK_CODE, DAY, DAY),
  );
  assert.deepEqual(
    [row?.volume, row?.program_net_buy, row?.program_net_buy_value],
    [0, 0, 0],
  );
  assert.deepEqual(
    [row],
    withoutCreatedAt(await listed.archivist.flowSnapshots(SIM_HALTED_STOCK_CODE, DAY, DAY)),
  );
});

Deno.test("flow: a day older than KIS's 30-day investor window fails saying so, with no halt check", async () => {
  await using fx = await collectFixture();
  const report = await runCollection(fx.deps, {
    job: "flow",
    tradeDate: "2026-09-01",
    trigger: "manual",
    codes: ["005930"],
  });
  assert.equal(report.status, "failed");
  assert.match(report.reason ?? "", /reports only the last 30 business days/);
  assert.equal(report.kisCalls, 2, "the investor and program answers, no candle");
});
