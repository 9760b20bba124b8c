import assert from "node:assert/strict";
import { investorDay, programDay, sessionBars } from "../src/sim/market.ts";
import {
  DEMO_REAL_APP_KEY,
  DEMO_REAL_APP_SECRET,
  DEMO_VIRTUAL_APP_KEY,
  DEMO_VIRTUAL_APP_SECRET,
  type KisSimulator,
  type SimulatorOptions,
  startSimulator,
} from "../src/sim/server.ts";

const Q = "/uapi/domestic-stock/v1/quotations";
const AFTER_CLOSE = "2025-01-10T16:30:00+09:00";
const REAL = { appKey: DEMO_REAL_APP_KEY, appSecret: DEMO_REAL_APP_SECRET };
const VIRTUAL = { appKey: DEMO_VIRTUAL_APP_KEY, appSecret: DEMO_VIRTUAL_APP_SECRET };

interface Answer {
  status: number;
  headers: Headers;
  text: string;
  // deno-lint-ignore no-explicit-any
  json: any;
}

async function answerOf(response: Response): Promise<Answer> {
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json };
}

function requestToken(baseUrl: string, app: { appKey: string; appSecret: string }) {
  return fetch(`${baseUrl}/oauth2/tokenP`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      grant_type: "client_credentials",
      appkey: app.appKey,
      appsecret: app.appSecret,
    }),
  }).then(answerOf);
}

function start(options: SimulatorOptions = {}): Promise<KisSimulator> {
  return startSimulator({ clock: AFTER_CLOSE, quiet: true, ...options });
}

/** A quotation client bound to one host, app and token. */
async function client(sim: KisSimulator, env: "real" | "virtual" = "real") {
  const baseUrl = env === "real" ? sim.realUrl : sim.virtualUrl;
  const app = env === "real" ? REAL : VIRTUAL;
  const token = await requestToken(baseUrl, app);
  assert.equal(token.status, 200, token.text);
  return (
    path: string,
    trId: string,
    params: Record<string, string>,
    headers: Record<string, string> = {},
  ) => {
    const sent = new Headers({
      "content-type": "application/json; charset=utf-8",
      authorization: `Bearer ${token.json.access_token}`,
      appkey: app.appKey,
      appsecret: app.appSecret,
      tr_id: trId,
      custtype: "P",
    });
    for (const [name, value] of Object.entries(headers)) sent.set(name, value);
    return fetch(`${baseUrl}${Q}/${path}?${new URLSearchParams(params)}`, { headers: sent })
      .then(answerOf);
  };
}

const investorParams = { FID_COND_MRKT_DIV_CODE: "J", FID_INPUT_ISCD: "005930" };

function dailyMinuteParams(date: string, hour: string, code = "005930") {
  return {
    FID_COND_MRKT_DIV_CODE: "J",
    FID_INPUT_ISCD: code,
    FID_INPUT_HOUR_1: hour,
    FID_INPUT_DATE_1: date,
    FID_PW_DATA_INCU_YN: "N",
    FID_FAKE_TICK_INCU_YN: "",
  };
}

Deno.test("sim tokenP: same token within 6 h, EGW00133 inside the interval, new token after 6 h", async () => {
  await using sim = await start();
  const first = await requestToken(sim.realUrl, REAL);
  assert.equal(first.status, 200);
  assert.equal(first.json.token_type, "Bearer");
  assert.equal(first.json.expires_in, 86400);
  assert.equal(first.json.access_token_token_expired, "2025-01-11 16:30:00");
  const payload = JSON.parse(
    atob(first.json.access_token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/")),
  );
  assert.equal(payload.jti, DEMO_REAL_APP_KEY);

  const throttled = await requestToken(sim.realUrl, REAL);
  assert.equal(throttled.status, 403);
  assert.equal(throttled.json.error_code, "EGW00133");
  assert.equal(throttled.json.rt_cd, undefined);

  sim.setClock("2025-01-10T16:32:00+09:00");
  const again = await requestToken(sim.realUrl, REAL);
  assert.equal(again.status, 200);
  assert.equal(again.json.access_token, first.json.access_token);

  sim.setClock("2025-01-10T22:31:00+09:00");
  const renewed = await requestToken(sim.realUrl, REAL);
  assert.equal(renewed.status, 200);
  assert.notEqual(renewed.json.access_token, first.json.access_token);
  assert.deepEqual(
    { issued: sim.stats().tokensIssued, requests: sim.stats().tokenRequests },
    { issued: 2, requests: 4 },
  );
});

Deno.test("sim tokenP: invalid app key, invalid secret and a virtual key on the real host", async () => {
  await using sim = await start();
  const badKey = await requestToken(sim.realUrl, { appKey: "nope", appSecret: "x" });
  assert.deepEqual([badKey.status, badKey.json.error_code], [403, "EGW00103"]);
  const badSecret = await requestToken(sim.realUrl, { ...REAL, appSecret: "wrong" });
  assert.deepEqual([badSecret.status, badSecret.json.error_code], [403, "EGW00105"]);
  const crossed = await requestToken(sim.realUrl, VIRTUAL);
  assert.deepEqual([crossed.status, crossed.json.error_code], [403, "EGW02004"]);
});

Deno.test("sim tokens: EGW00123 after expireTokens and after the lifetime, EGW00121 when unknown", async () => {
  await using sim = await start({ tokenIssueIntervalSec: 0 });
  const get = await client(sim);
  assert.equal((await get("inquire-investor", "FHKST01010900", investorParams)).json.rt_cd, "0");

  sim.expireTokens();
  const expired = await get("inquire-investor", "FHKST01010900", investorParams);
  assert.deepEqual([expired.status, expired.json.msg_cd, expired.json.rt_cd], [
    500,
    "EGW00123",
    "1",
  ]);

  const fresh = await client(sim);
  assert.equal((await fresh("inquire-investor", "FHKST01010900", investorParams)).status, 200);
  sim.setClock("2025-01-11T16:31:00+09:00");
  const late = await fresh("inquire-investor", "FHKST01010900", investorParams);
  assert.deepEqual([late.status, late.json.msg_cd], [500, "EGW00123"]);

  const unknown = await fresh("inquire-investor", "FHKST01010900", investorParams, {
    authorization: "Bearer eyJnot.a.token",
  });
  assert.deepEqual([unknown.status, unknown.json.msg_cd], [500, "EGW00121"]);
});

Deno.test("sim gateway: a virtual key on the real host answers EGW02004 with HTTP 500", async () => {
  await using sim = await start();
  const token = await requestToken(sim.virtualUrl, VIRTUAL);
  const answer = await fetch(
    `${sim.realUrl}${Q}/inquire-investor?${new URLSearchParams(investorParams)}`,
    {
      headers: {
        authorization: `Bearer ${token.json.access_token}`,
        appkey: VIRTUAL.appKey,
        appsecret: VIRTUAL.appSecret,
        tr_id: "FHKST01010900",
      },
    },
  ).then(answerOf);
  assert.deepEqual([answer.status, answer.json.msg_cd, answer.json.rt_cd], [500, "EGW02004", "1"]);
});

Deno.test("sim rate limit: a burst over the per-key limit gets EGW00201 with HTTP 500", async () => {
  await using sim = await start({ rateLimit: { real: 3 } });
  const get = await client(sim);
  const answers = await Promise.all(
    Array.from({ length: 8 }, () => get("inquire-investor", "FHKST01010900", investorParams)),
  );
  const limited = answers.filter((a) => a.json?.msg_cd === "EGW00201");
  assert.equal(answers.filter((a) => a.status === 200).length, 3);
  assert.equal(limited.length, 5);
  assert.ok(limited.every((a) => a.status === 500 && a.json.rt_cd === "1"));
  assert.equal(limited[0].json.msg1, "초당 거래건수를 초과하였습니다.");
  assert.equal(sim.stats().rateLimited, 5);

  sim.setFaults({ rateLimitBurst: 1 });
  await new Promise((resolve) => setTimeout(resolve, 1_050));
  const burst = await get("inquire-investor", "FHKST01010900", investorParams);
  assert.equal(burst.json.msg_cd, "EGW00201");
  assert.equal((await get("inquire-investor", "FHKST01010900", investorParams)).status, 200);
});

Deno.test("sim virtual host: real-only TRs are refused, shared TRs answer", async () => {
  await using sim = await start({ rateLimit: { virtual: 10 } });
  const get = await client(sim, "virtual");
  const refused = await get(
    "inquire-time-dailychartprice",
    "FHKST03010230",
    dailyMinuteParams("20250110", "153000"),
  );
  assert.equal(refused.status, 500);
  assert.notEqual(refused.json.rt_cd, "0");
  assert.match(refused.json.msg1, /모의투자/);
  for (
    const [path, trId] of [["program-trade-by-stock", "FHPPG04650101"], [
      "chk-holiday",
      "CTCA0903R",
    ]]
  ) {
    const answer = await get(path, trId, {
      ...investorParams,
      BASS_DT: "20250110",
      CTX_AREA_NK: "",
      CTX_AREA_FK: "",
    });
    assert.equal(answer.status, 500, path);
  }
  const investor = await get("inquire-investor", "FHKST01010900", investorParams);
  assert.deepEqual([investor.status, investor.json.rt_cd], [200, "0"]);
});

Deno.test("sim params: lower-case names and mixed-case headers are accepted", async () => {
  await using sim = await start();
  const get = await client(sim);
  const answer = await get(
    "inquire-investor",
    "FHKST01010900",
    { fid_cond_mrkt_div_code: "J", fid_input_iscd: "005930" },
    { appKey: REAL.appKey, appSecret: REAL.appSecret },
  );
  assert.equal(answer.json.rt_cd, "0");
  assert.equal(answer.json.output.length, 30);
  const missing = await get("inquire-investor", "FHKST01010900", { FID_COND_MRKT_DIV_CODE: "J" });
  assert.deepEqual([missing.json.rt_cd, missing.json.msg_cd], ["2", "OPSQ2001"]);
  const wrongTr = await get("inquire-investor", "FHKST03010200", investorParams);
  assert.notEqual(wrongTr.json.rt_cd, "0");
});

Deno.test("sim investor: 30 business days newest first, figures from the market truth", async () => {
  await using sim = await start();
  const get = await client(sim);
  const answer = await get("inquire-investor", "FHKST01010900", investorParams);
  assert.equal(answer.headers.get("content-type"), "application/json; charset=utf-8");
  assert.equal(answer.headers.get("tr_id"), "FHKST01010900");
  assert.ok(answer.headers.get("gt_uid"));
  const rows = answer.json.output;
  assert.equal(rows.length, 30);
  assert.equal(rows[0].stck_bsop_date, "20250110");
  assert.ok(
    rows.every((r: { stck_bsop_date: string }, i: number) =>
      i === 0 || rows[i - 1].stck_bsop_date > r.stck_bsop_date
    ),
  );
  const truth = investorDay("005930", "2025-01-10")!;
  assert.equal(rows[0].stck_clpr, String(truth.close));
  assert.equal(rows[0].frgn_ntby_qty, String(truth.foreign.netQty));
  assert.equal(Number(rows[0].prsn_ntby_tr_pbmn) * 1_000_000, truth.individual.netValueKrw);
  assert.equal(Number(rows[0].orgn_shnu_vol), truth.institution.buyQty);

  sim.setClock("2025-01-10T14:00:00+09:00");
  const intraday = (await get("inquire-investor", "FHKST01010900", investorParams)).json.output[0];
  assert.equal(intraday.stck_bsop_date, "20250110");
  assert.equal(intraday.frgn_ntby_qty, "0");
  assert.notEqual(intraday.stck_clpr, "0");
});

Deno.test("sim minutes: paging the daily-minute TR reproduces sessionBars", async () => {
  await using sim = await start();
  const get = await client(sim);
  const collected = new Map<string, Record<string, string>>();
  let cursor = "153000";
  for (let page = 0; page < 10; page++) {
    const answer = await get(
      "inquire-time-dailychartprice",
      "FHKST03010230",
      dailyMinuteParams("20250110", cursor),
    );
    const rows: Record<string, string>[] = answer.json.output2;
    assert.ok(rows.length <= 120);
    if (rows.length === 0) break;
    assert.ok(
      rows.every((r, i) => i === 0 || rows[i - 1].stck_cntg_hour > r.stck_cntg_hour),
      "newest first",
    );
    for (const row of rows) collected.set(row.stck_cntg_hour, row);
    const oldest = rows.at(-1)!.stck_cntg_hour;
    if (oldest <= "090000") break;
    const minutes = +oldest.slice(0, 2) * 60 + +oldest.slice(2, 4) - 1;
    cursor = `${String(Math.floor(minutes / 60)).padStart(2, "0")}${
      String(minutes % 60).padStart(2, "0")
    }00`;
  }
  const truth = sessionBars("005930", "2025-01-10");
  const bars = [...collected.values()].sort((a, b) =>
    a.stck_cntg_hour.localeCompare(b.stck_cntg_hour)
  );
  assert.equal(bars.length, truth.length);
  bars.forEach((row, i) => {
    const bar = truth[i];
    assert.deepEqual(
      [
        row.stck_cntg_hour,
        +row.stck_oprc,
        +row.stck_hgpr,
        +row.stck_lwpr,
        +row.stck_prpr,
        +row.cntg_vol,
        +row.acml_tr_pbmn,
      ],
      [bar.time, bar.open, bar.high, bar.low, bar.close, bar.volume, bar.cumulativeValue],
    );
  });
});

Deno.test("sim minutes: today's TR caps at 30, treats a future anchor as now, newest bar partial", async () => {
  await using sim = await start({ clock: "2025-01-10T10:15:30+09:00" });
  const get = await client(sim);
  const answer = await get("inquire-time-itemchartprice", "FHKST03010200", {
    FID_ETC_CLS_CODE: "",
    FID_COND_MRKT_DIV_CODE: "J",
    FID_INPUT_ISCD: "005930",
    FID_INPUT_HOUR_1: "130000",
    FID_PW_DATA_INCU_YN: "N",
  });
  const rows = answer.json.output2;
  assert.equal(rows.length, 30);
  assert.ok(rows[0].stck_cntg_hour <= "101500");
  assert.equal(answer.headers.get("tr_cont"), "M");
  assert.equal(answer.json.output1.hts_kor_isnm, "삼성전자");
  const full = sessionBars("005930", "2025-01-10").find((b) => b.time === rows[0].stck_cntg_hour)!;
  assert.ok(+rows[0].cntg_vol <= full.volume);
  const older = sessionBars("005930", "2025-01-10").find((b) => b.time === rows[1].stck_cntg_hour)!;
  assert.equal(+rows[1].cntg_vol, older.volume);
});

Deno.test("sim program: daily rows in KRW match programDay, with the icdc2 spelling", async () => {
  await using sim = await start();
  const get = await client(sim);
  const daily = await get("program-trade-by-stock-daily", "FHPPG04650201", {
    ...investorParams,
    FID_INPUT_DATE_1: "",
  });
  const row = daily.json.output[0];
  const truth = programDay("005930", "2025-01-10")!;
  assert.equal(row.stck_bsop_date, "20250110");
  assert.equal(+row.whol_smtn_ntby_qty, truth.netQty);
  assert.equal(+row.whol_smtn_ntby_tr_pbmn, truth.netValueKrw);
  assert.ok("whol_ntby_tr_pbmn_icdc2" in row);
  assert.ok(daily.json.output.length >= 29 && daily.json.output.length <= 30);
  const intraday = await get("program-trade-by-stock", "FHPPG04650101", investorParams);
  assert.equal(intraday.json.output.length, 30);
  assert.equal(intraday.json.output[0].bsop_hour, "153000");
  assert.equal(+intraday.json.output[0].whol_smtn_ntby_qty, truth.netQty);
});

Deno.test("sim chk-holiday: pages with tr_cont M then D, padded context keys, custtype required", async () => {
  await using sim = await start();
  const get = await client(sim);
  const first = await get("chk-holiday", "CTCA0903R", {
    BASS_DT: "20271201",
    CTX_AREA_NK: "",
    CTX_AREA_FK: "",
  });
  assert.equal(first.headers.get("tr_cont"), "M");
  assert.equal(first.json.msg_cd, "KIOK0500");
  assert.equal(first.json.output.length, 24);
  assert.equal(first.json.ctx_area_nk, "20271224            ");
  assert.equal(first.json.ctx_area_fk.length, 20);
  const second = await get(
    "chk-holiday",
    "CTCA0903R",
    {
      BASS_DT: "20271201",
      CTX_AREA_NK: first.json.ctx_area_nk,
      CTX_AREA_FK: first.json.ctx_area_fk,
    },
    { tr_cont: "N" },
  );
  assert.equal(second.headers.get("tr_cont"), "D");
  const days = [...first.json.output, ...second.json.output].map((r: { bass_dt: string }) =>
    r.bass_dt
  );
  assert.equal(days.length, 31);
  assert.equal(days.at(-1), "20271231");
  const holiday = second.json.output.find((r: { bass_dt: string }) => r.bass_dt === "20271227");
  assert.deepEqual([holiday.opnd_yn, holiday.wday_dvsn_cd], ["N", "02"]);
  const noCusttype = await get("chk-holiday", "CTCA0903R", {
    BASS_DT: "20271201",
    CTX_AREA_NK: "",
    CTX_AREA_FK: "",
  }, { custtype: "" });
  assert.notEqual(noCusttype.json.rt_cd, "0");
});

Deno.test("sim faults: malformed bodies, a corrupted field, server errors and failing codes", async () => {
  await using sim = await start();
  const get = await client(sim);
  sim.setFaults({ malformedRate: 1 });
  const broken = await get("inquire-investor", "FHKST01010900", investorParams);
  assert.equal(broken.status, 200);
  assert.throws(() => JSON.parse(broken.text));
  sim.setFaults({ malformedField: "stck_clpr" });
  const corrupted = await get("inquire-investor", "FHKST01010900", investorParams);
  assert.equal(corrupted.json.output[0].stck_clpr, "abc");
  sim.setFaults({ malformedRate: 0, serverErrorRate: 1 });
  const failed = await get("inquire-investor", "FHKST01010900", investorParams);
  assert.equal(failed.status, 500);
  assert.equal(failed.json?.msg_cd, undefined);
  sim.setFaults({ serverErrorRate: 0, failCodes: ["000660"] });
  const perStock = await get("inquire-investor", "FHKST01010900", {
    ...investorParams,
    FID_INPUT_ISCD: "000660",
  });
  assert.equal(perStock.status, 500);
  assert.notEqual(perStock.json.rt_cd, "0");
  assert.equal((await get("inquire-investor", "FHKST01010900", investorParams)).status, 200);
  assert.equal(sim.stats().serverErrors, 2);
});

Deno.test("sim unknown stock: rt_cd 0 with empty arrays", async () => {
  await using sim = await start();
  const get = await client(sim);
  const answer = await get(
    "inquire-time-dailychartprice",
    "FHKST03010230",
    dailyMinuteParams("20250110", "153000", "999999"),
  );
  assert.deepEqual([answer.json.rt_cd, answer.json.output2], ["0", []]);
});

Deno.test("sim control surface: clock, faults, rate limit, stats and token expiry over HTTP", async () => {
  await using sim = await start();
  const put = (path: string, body: unknown) =>
    fetch(`${sim.virtualUrl}/__sim/${path}`, {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    }).then(answerOf);
  assert.equal((await put("clock", { now: "2025-01-13T09:30:00+09:00" })).status, 200);
  assert.equal(sim.now().toISOString().slice(0, 16), "2025-01-13T00:30");
  const clock = await fetch(`${sim.realUrl}/__sim/clock`).then(answerOf);
  assert.match(clock.json.kst, /^2025-01-13T09:30/);
  assert.equal((await put("faults", { latencyMs: 1 })).json.latencyMs, 1);
  const bad = await put("faults", { serverErrorRate: 2 });
  assert.equal(bad.status, 400);
  assert.equal(bad.json.errors[0].field, "serverErrorRate");
  assert.equal((await put("rate-limit", { real: 5 })).json.real, 5);
  const expired = await fetch(`${sim.realUrl}/__sim/expire-tokens`, { method: "POST" }).then(
    answerOf,
  );
  assert.equal(expired.json.expired, 0);
  const stats = await fetch(`${sim.realUrl}/__sim/stats`).then(answerOf);
  assert.equal(stats.json.requests, 0);
});

Deno.test("sim minutes: FID_PW_DATA_INCU_YN=Y spills into the previous day, fake ticks add quiet minutes", async () => {
  await using sim = await start();
  const get = await client(sim);
  const early = { ...dailyMinuteParams("20250110", "091000"), FID_PW_DATA_INCU_YN: "Y" };
  const spilled = (await get("inquire-time-dailychartprice", "FHKST03010230", early)).json.output2;
  assert.equal(spilled.length, 120);
  assert.ok(spilled.some((r: { stck_bsop_date: string }) => r.stck_bsop_date === "20250109"));
  const plain = (await get(
    "inquire-time-dailychartprice",
    "FHKST03010230",
    dailyMinuteParams("20250110", "151900"),
  ))
    .json.output2;
  const withFake = (await get("inquire-time-dailychartprice", "FHKST03010230", {
    ...dailyMinuteParams("20250110", "151900", "123456"),
    FID_FAKE_TICK_INCU_YN: "Y",
  })).json.output2;
  const quiet = withFake.filter((r: { cntg_vol: string }) => r.cntg_vol === "0");
  assert.equal(withFake.length, 120);
  assert.ok(plain.every((r: { cntg_vol: string }) => r.cntg_vol !== "0"));
  assert.ok(quiet.length > 0, "the last 120 minutes of 123456 include a quiet one");
});
