/**
 * KIS output rows built from the simulated market: every number becomes a string (signed with
 * a leading `-`), dates `YYYYMMDD`, times `HHMMSS`, investor values in 백만원 and program values
 * in KRW, with the field names of `docs/kis-api.md` §4–§7.
 *
 * @module
 */
import { isKrxTradingDay } from "../calendar.ts";
import { toCompactDate, weekday } from "../time.ts";
import type {
  SimInvestorDay,
  SimInvestorFlow,
  SimMinuteBar,
  SimProgramTotals,
  SimQuote,
} from "./market.ts";
import { ceilToTick, floorToTick } from "./ticks.ts";

/** A KIS output row: field name to string value. */
export type KisRow = Record<string, string>;

/** An integer as KIS writes it. */
export function num(value: number): string {
  return String(Math.round(value));
}

/** A signed integer zero-padded to 18 characters, as some KIS TRs write it (`-00000000000070203`). */
export function paddedNum(value: number): string {
  const digits = String(Math.abs(Math.round(value)));
  return value < 0 ? `-${digits.padStart(17, "0")}` : digits.padStart(18, "0");
}

/** `prdy_vrss_sign`: 1 상한, 2 상승, 3 보합, 4 하한, 5 하락. */
export function changeSign(price: number, previousClose: number): string {
  if (price === previousClose) return "3";
  if (price > previousClose) return price >= floorToTick(previousClose * 1.3) ? "1" : "2";
  return price <= ceilToTick(previousClose * 0.7) ? "4" : "5";
}

/** `prdy_vrss`, `prdy_vrss_sign` and `prdy_ctrt` of a price against the previous close. */
export function changeFields(price: number, previousClose: number): KisRow {
  return {
    prdy_vrss: num(price - previousClose),
    prdy_vrss_sign: changeSign(price, previousClose),
    prdy_ctrt: ((price - previousClose) / previousClose * 100).toFixed(2),
  };
}

const INVESTOR_PREFIXES = [["prsn", "individual"], ["frgn", "foreign"], [
  "orgn",
  "institution",
]] as const;

function millions(krw: number): string {
  return num(krw / 1_000_000);
}

function investorFields(prefix: string, flow: SimInvestorFlow | undefined): KisRow {
  return {
    [`${prefix}_ntby_qty`]: flow ? num(flow.netQty) : "0",
    [`${prefix}_ntby_tr_pbmn`]: flow ? millions(flow.netValueKrw) : "0",
    [`${prefix}_shnu_vol`]: flow ? num(flow.buyQty) : "0",
    [`${prefix}_shnu_tr_pbmn`]: flow ? millions(flow.buyValueKrw) : "0",
    [`${prefix}_seln_vol`]: flow ? num(flow.sellQty) : "0",
    [`${prefix}_seln_tr_pbmn`]: flow ? millions(flow.sellValueKrw) : "0",
  };
}

/**
 * One inquire-investor row. With `flows` absent (today before the data is final) every investor
 * field is `"0"` and the close is the current price.
 */
export function investorRow(
  tradeDate: string,
  close: number,
  previousClose: number,
  flows?: SimInvestorDay,
): KisRow {
  const { prdy_vrss, prdy_vrss_sign } = changeFields(close, previousClose);
  const row: KisRow = {
    stck_bsop_date: toCompactDate(tradeDate),
    stck_clpr: num(close),
    prdy_vrss,
    prdy_vrss_sign,
  };
  for (const [prefix, key] of INVESTOR_PREFIXES) {
    Object.assign(row, investorFields(prefix, flows?.[key]));
  }
  return row;
}

/** The six cumulative `whol_smtn_*` program fields (KRW values). */
export function programFields(totals: SimProgramTotals): KisRow {
  return {
    whol_smtn_seln_vol: num(totals.sellQty),
    whol_smtn_shnu_vol: num(totals.buyQty),
    whol_smtn_ntby_qty: num(totals.netQty),
    whol_smtn_seln_tr_pbmn: num(totals.sellValueKrw),
    whol_smtn_shnu_tr_pbmn: num(totals.buyValueKrw),
    whol_smtn_ntby_tr_pbmn: num(totals.netValueKrw),
  };
}

/** One `output2` minute row (§6.1/6.2). */
export function minuteRow(tradeDate: string, bar: SimMinuteBar): KisRow {
  return {
    stck_bsop_date: toCompactDate(tradeDate),
    stck_cntg_hour: bar.time,
    stck_prpr: num(bar.close),
    stck_oprc: num(bar.open),
    stck_hgpr: num(bar.high),
    stck_lwpr: num(bar.low),
    cntg_vol: num(bar.volume),
    acml_tr_pbmn: num(bar.cumulativeValue),
  };
}

/** The `output1` summary of the minute TRs; blank figures for an unknown stock. */
export function minuteSummary(quote: SimQuote | undefined): KisRow {
  if (!quote) {
    return {
      prdy_vrss: "0",
      prdy_vrss_sign: "3",
      prdy_ctrt: "0.00",
      stck_prdy_clpr: "0",
      acml_vol: "0",
      acml_tr_pbmn: "0",
      hts_kor_isnm: "",
      stck_prpr: "0",
    };
  }
  return {
    ...changeFields(quote.price, quote.previousClose),
    stck_prdy_clpr: num(quote.previousClose),
    acml_vol: num(quote.volume),
    acml_tr_pbmn: num(quote.valueKrw),
    hts_kor_isnm: quote.name,
    stck_prpr: num(quote.price),
  };
}

/** `Y` or `N`. */
function yn(flag: boolean): string {
  return flag ? "Y" : "N";
}

/**
 * One chk-holiday row. `opnd_yn` (market open) follows the built-in KRX calendar; banks and the
 * back office also work on the year-end market closure (12-31 on a weekday).
 */
export function holidayRow(date: string): KisRow {
  const open = isKrxTradingDay(date);
  const day = weekday(date);
  const yearEndClosure = date.endsWith("-12-31") && day !== 0 && day !== 6;
  const business = open || yearEndClosure;
  return {
    bass_dt: toCompactDate(date),
    wday_dvsn_cd: String(day + 1).padStart(2, "0"),
    bzdy_yn: yn(business),
    tr_day_yn: yn(business),
    opnd_yn: yn(open),
    sttl_day_yn: yn(open),
  };
}
