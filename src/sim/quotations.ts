/**
 * The seven simulated quotation TRs (`docs/kis-api.md` §4–§8): what each answers for a request at
 * the simulated instant. Authentication, rate limiting and faults happen before, in `kis_app.ts`.
 *
 * @module
 */
import { isKrxTradingDay, KRX_CALENDAR_KNOWN_THROUGH, previousTradingDay } from "../calendar.ts";
import {
  addDays,
  datesBetween,
  fromCompactDate,
  isTradeDate,
  kstDate,
  toCompactDate,
} from "../time.ts";
import { dailyChartRows } from "./daily_chart.ts";
import { inputFieldError, type KisFailure } from "./errors.ts";
import { minuteOfDay } from "../session.ts";
import {
  investorDay,
  isHalted,
  isListedStock,
  kstHhmmss,
  programDay,
  programSnapshots,
  quoteAt,
  sessionBars,
  sessionBarsAt,
  sessionMinutesOf,
  SIM_HISTORY_START,
  simDay,
  type SimMinuteBar,
  type SimProgramTotals,
  simSession,
} from "./market.ts";
import { hhmmss } from "./sessions.ts";
import {
  changeFields,
  holidayRow,
  investorRow,
  type KisRow,
  minuteRow,
  minuteSummary,
  num,
  paddedNum,
  programFields,
} from "./rows.ts";
import type { SimQuirks } from "./state.ts";

/** What a TR handler sees of a request. */
export interface QuoteRequest {
  /** A query parameter, its name matched case-insensitively. */
  param(name: string): string | undefined;
  /** The simulated instant of the request. */
  now: Date;
  quirks: SimQuirks;
  /** Minute rows before this KST `HHMMSS` are left out (the `minuteRowsFrom` fault). */
  minuteRowsFrom?: string;
}

/** A successful TR answer: the body and the `tr_cont` response header. */
export interface QuoteAnswer {
  body: Record<string, unknown>;
  trCont: "D" | "M";
}

/** One quotation TR. */
export interface QuotationEndpoint {
  /** Path under the host, e.g. `/uapi/domestic-stock/v1/quotations/inquire-investor`. */
  path: string;
  trId: string;
  /** 모의투자 미지원: refused on the virtual host. */
  realOnly: boolean;
  /** Query parameters that must be present (they may be empty strings). */
  required: readonly string[];
  /** Whether the `custtype` header is required. */
  requiresCusttype: boolean;
  answer(request: QuoteRequest): QuoteAnswer | KisFailure;
}

const QUOTATIONS = "/uapi/domestic-stock/v1/quotations";
const MAX_INVESTOR_ROWS = 30;
const MAX_PROGRAM_ROWS = 30;
const MAX_PROGRAM_DAYS = 30;
const MAX_TODAY_MINUTES = 30;
const MAX_DAILY_MINUTES = 120;
const MINUTE_HISTORY_DAYS = 365;

/** The last date chk-holiday answers for: the end of the last year the calendar knows. */
export const HOLIDAY_HORIZON = KRX_CALENDAR_KNOWN_THROUGH;

function ok(outputs: Record<string, unknown>, trCont: "D" | "M" = "D"): QuoteAnswer {
  return {
    body: { rt_cd: "0", msg_cd: "MCA00000", msg1: "정상처리 되었습니다.", ...outputs },
    trCont,
  };
}

function isFailure(value: unknown): value is KisFailure {
  return typeof value === "object" && value !== null && "status" in value;
}

/** `J`/`UN` are served from the KRX tape; `NX` (NXT) has no simulated market and answers empty. */
function marketOf(request: QuoteRequest): "krx" | "nxt" | KisFailure {
  const market = (request.param("FID_COND_MRKT_DIV_CODE") ?? "").trim().toUpperCase();
  if (market === "J" || market === "UN") return "krx";
  if (market === "NX") return "nxt";
  return inputFieldError("FID_COND_MRKT_DIV_CODE");
}

function stockOf(request: QuoteRequest): string {
  return (request.param("FID_INPUT_ISCD") ?? "").trim().toUpperCase();
}

function hourOf(request: QuoteRequest): string | KisFailure {
  const hour = (request.param("FID_INPUT_HOUR_1") ?? "").trim();
  return /^([01]\d|2[0-3])[0-5]\d[0-5]\d$/.test(hour) ? hour : inputFieldError("FID_INPUT_HOUR_1");
}

function dateOf(request: QuoteRequest, name: string): string | KisFailure {
  const raw = (request.param(name) ?? "").trim();
  const date = /^\d{8}$/.test(raw) ? fromCompactDate(raw) : "";
  return isTradeDate(date) ? date : inputFieldError(name);
}

function clock(request: QuoteRequest): { today: string; time: string } {
  return { today: kstDate(request.now), time: kstHhmmss(request.now) };
}

function investorAnswer(request: QuoteRequest): QuoteAnswer | KisFailure {
  const market = marketOf(request);
  if (isFailure(market)) return market;
  const code = stockOf(request);
  if (market === "nxt" || !isListedStock(code)) return ok({ output: [] });
  const { today, time } = clock(request);
  const rows: KisRow[] = [];
  const openToday = isKrxTradingDay(today) && time >= sessionMinutesOf(today).open;
  const finalAt = openToday
    ? hhmmss(minuteOfDay(simSession(today).close) + request.quirks.investorFinalMinutes)
    : "";
  let date = openToday ? today : previousTradingDay(today);
  while (rows.length < MAX_INVESTOR_ROWS && date >= SIM_HISTORY_START) {
    if (date === today && time < finalAt) {
      const quote = quoteAt(code, request.now)!;
      rows.push(investorRow(date, quote.price, quote.previousClose));
    } else {
      const flows = investorDay(code, date)!;
      rows.push(investorRow(date, flows.close, flows.previousClose, flows));
    }
    date = previousTradingDay(date);
  }
  return ok({ output: rows });
}

function programIntradayAnswer(request: QuoteRequest): QuoteAnswer | KisFailure {
  const market = marketOf(request);
  if (isFailure(market)) return market;
  const code = stockOf(request);
  const { today, time } = clock(request);
  const day = simDay(code, today);
  if (market === "nxt" || !isListedStock(code) || !day) return ok({ output: [] });
  const snapshots = programSnapshots(code, today, time);
  const rows = snapshots.map((snapshot, i): KisRow => {
    const previous = snapshots[i - 1];
    return {
      bsop_hour: snapshot.time,
      stck_prpr: num(snapshot.price),
      ...changeFields(snapshot.price, day.previousClose),
      acml_vol: num(snapshot.volume),
      ...programFields(snapshot),
      // KIS zero-pads some signed fields; the change columns are padded here to keep clients honest
      whol_ntby_vol_icdc: paddedNum(snapshot.netQty - (previous?.netQty ?? 0)),
      whol_ntby_tr_pbmn_icdc: paddedNum(snapshot.netValueKrw - (previous?.netValueKrw ?? 0)),
    };
  });
  return ok({ output: rows.slice(-MAX_PROGRAM_ROWS).reverse() });
}

const NO_PROGRAM: SimProgramTotals = {
  buyQty: 0,
  sellQty: 0,
  netQty: 0,
  buyValueKrw: 0,
  sellValueKrw: 0,
  netValueKrw: 0,
};

function programDailyAnswer(request: QuoteRequest): QuoteAnswer | KisFailure {
  const market = marketOf(request);
  if (isFailure(market)) return market;
  const code = stockOf(request);
  const { today, time } = clock(request);
  const raw = (request.param("FID_INPUT_DATE_1") ?? "").trim();
  let end = today;
  if (raw !== "") {
    const date = dateOf(request, "FID_INPUT_DATE_1");
    if (isFailure(date)) return date;
    end = date < today ? date : today;
  }
  if (market === "nxt" || !isListedStock(code)) return ok({ output: [] });
  const todayBars = sessionBarsAt(code, today, time);
  let date = isKrxTradingDay(end) ? end : previousTradingDay(end);
  // Today's row appears with its first trade; a stock halted today shows it from the open.
  const todayStarted = todayBars.length > 0 ||
    (isHalted(code, today) && isKrxTradingDay(today) && time >= sessionMinutesOf(today).open);
  if (date === today && !todayStarted) date = previousTradingDay(today);
  const rows: KisRow[] = [];
  while (rows.length < MAX_PROGRAM_DAYS && date >= SIM_HISTORY_START) {
    if (request.quirks.programSkipsHaltedDays && date !== today && isHalted(code, date)) {
      date = previousTradingDay(date);
      continue;
    }
    const day = simDay(code, date)!;
    const previous = programDay(code, previousTradingDay(date)) ?? NO_PROGRAM;
    let close: number, volume: number, value: number, totals: SimProgramTotals;
    if (date === today) {
      close = todayBars.at(-1)?.close ?? day.previousClose;
      volume = todayBars.reduce((sum, bar) => sum + bar.volume, 0);
      value = todayBars.at(-1)?.cumulativeValue ?? 0;
      totals = programSnapshots(code, today, time).at(-1) ?? NO_PROGRAM;
    } else {
      const full = programDay(code, date)!;
      ({ close, volume, valueKrw: value } = full);
      totals = full;
    }
    rows.push({
      stck_bsop_date: toCompactDate(date),
      stck_clpr: num(close),
      ...changeFields(close, day.previousClose),
      acml_vol: num(volume),
      acml_tr_pbmn: num(value),
      ...programFields(totals),
      whol_ntby_vol_icdc: num(totals.netQty - previous.netQty),
      whol_ntby_tr_pbmn_icdc2: num(totals.netValueKrw - previous.netValueKrw),
    });
    date = previousTradingDay(date);
  }
  return ok({ output: rows });
}

function newestFirst(tradeDate: string, bars: readonly SimMinuteBar[]): KisRow[] {
  return bars.map((bar) => minuteRow(tradeDate, bar)).reverse();
}

/** The bars a request may see: all, or those from the `minuteRowsFrom` fault on. */
function visible(request: QuoteRequest, bars: SimMinuteBar[]): SimMinuteBar[] {
  const from = request.minuteRowsFrom;
  return from ? bars.filter((bar) => bar.time >= from) : bars;
}

function todayMinutesAnswer(request: QuoteRequest): QuoteAnswer | KisFailure {
  const market = marketOf(request);
  if (isFailure(market)) return market;
  const hour = hourOf(request);
  if (isFailure(hour)) return hour;
  const code = stockOf(request);
  if (market === "nxt" || !isListedStock(code)) {
    return ok({ output1: minuteSummary(undefined), output2: [] });
  }
  const { today, time } = clock(request);
  const output1 = minuteSummary(quoteAt(code, request.now));
  if (!isKrxTradingDay(today)) return ok({ output1, output2: [] });
  // a future anchor is treated as now
  const anchor = hour < time ? hour : time;
  const bars = visible(request, sessionBarsAt(code, today, time)).filter((bar) =>
    bar.time <= anchor
  );
  const currentMinute = time.slice(0, 4) + "00";
  const last = bars.at(-1);
  if (
    request.quirks.minuteVolumeLag && last && anchor >= currentMinute &&
    last.time < currentMinute &&
    sessionBars(code, today).some((bar) => bar.time === currentMinute)
  ) {
    // before the minute's first trade KIS shows the new row with the previous minute's volume
    bars.push({
      ...last,
      time: currentMinute,
      open: last.close,
      high: last.close,
      low: last.close,
      value: 0,
    });
  }
  const rows = newestFirst(today, bars);
  return ok(
    { output1, output2: rows.slice(0, MAX_TODAY_MINUTES) },
    rows.length > MAX_TODAY_MINUTES ? "M" : "D",
  );
}

function withQuietMinutes(tradeDate: string, bars: readonly SimMinuteBar[]): SimMinuteBar[] {
  if (bars.length === 0) return [];
  const byTime = new Map(bars.map((bar) => [bar.time, bar]));
  const result: SimMinuteBar[] = [];
  let previous: SimMinuteBar | undefined;
  const { continuous, auction } = sessionMinutesOf(tradeDate);
  for (const time of [...continuous, auction]) {
    if (time > bars.at(-1)!.time) break;
    const bar = byTime.get(time);
    if (bar) result.push(bar);
    else if (previous && time !== auction) {
      // 허봉: a no-trade minute shown flat at the last price with zero volume
      result.push({
        time,
        open: previous.close,
        high: previous.close,
        low: previous.close,
        close: previous.close,
        volume: 0,
        value: 0,
        cumulativeValue: previous.cumulativeValue,
      });
    }
    previous = result.at(-1);
  }
  return result;
}

function dailyMinutesAnswer(request: QuoteRequest): QuoteAnswer | KisFailure {
  const market = marketOf(request);
  if (isFailure(market)) return market;
  const hour = hourOf(request);
  if (isFailure(hour)) return hour;
  const target = dateOf(request, "FID_INPUT_DATE_1");
  if (isFailure(target)) return target;
  const code = stockOf(request);
  if (market === "nxt" || !isListedStock(code)) {
    return ok({ output1: minuteSummary(undefined), output2: [] });
  }
  const { today, time } = clock(request);
  const output1 = minuteSummary(quoteAt(code, request.now));
  const oldest = addDays(today, -MINUTE_HISTORY_DAYS);
  if (target > today || target < oldest) return ok({ output1, output2: [] });
  const isToday = target === today;
  const anchor = isToday && time < hour ? time : hour;
  const fakeTicks = (request.param("FID_FAKE_TICK_INCU_YN") ?? "").trim().toUpperCase() === "Y";
  const sessionSoFar = isToday ? sessionBarsAt(code, today, time) : sessionBars(code, target);
  const bars = visible(request, sessionSoFar).filter((bar) => bar.time <= anchor);
  const rows = newestFirst(target, fakeTicks ? withQuietMinutes(target, bars) : bars);
  const sameDayRows = rows.length;
  const spill = (request.param("FID_PW_DATA_INCU_YN") ?? "").trim().toUpperCase() === "Y";
  if (spill && rows.length < MAX_DAILY_MINUTES) {
    const previous = previousTradingDay(target);
    if (previous >= oldest) rows.push(...newestFirst(previous, sessionBars(code, previous)));
  }
  return ok(
    { output1, output2: rows.slice(0, MAX_DAILY_MINUTES) },
    sameDayRows > MAX_DAILY_MINUTES ? "M" : "D",
  );
}

function dailyChartAnswer(request: QuoteRequest): QuoteAnswer | KisFailure {
  const market = marketOf(request);
  if (isFailure(market)) return market;
  const from = dateOf(request, "FID_INPUT_DATE_1");
  if (isFailure(from)) return from;
  const to = dateOf(request, "FID_INPUT_DATE_2");
  if (isFailure(to)) return to;
  // only daily periods are simulated (W, M and Y exist on KIS)
  if ((request.param("FID_PERIOD_DIV_CODE") ?? "").trim().toUpperCase() !== "D") {
    return inputFieldError("FID_PERIOD_DIV_CODE");
  }
  const adjustment = (request.param("FID_ORG_ADJ_PRC") ?? "").trim();
  if (adjustment !== "0" && adjustment !== "1") return inputFieldError("FID_ORG_ADJ_PRC");
  const code = stockOf(request);
  if (market === "nxt" || !isListedStock(code)) {
    return ok({ output1: minuteSummary(undefined), output2: [] });
  }
  return ok({
    output1: minuteSummary(quoteAt(code, request.now)),
    output2: dailyChartRows(code, from, to, request.now, {
      original: adjustment === "1",
      pad: request.quirks.dailyChartPadding,
    }),
  });
}

function padContext(value: string): string {
  return value.padEnd(20, " ");
}

function holidayAnswer(request: QuoteRequest): QuoteAnswer | KisFailure {
  const base = dateOf(request, "BASS_DT");
  if (isFailure(base)) return base;
  const next = (request.param("CTX_AREA_NK") ?? "").trim();
  // a continuation key (with or without the `tr_cont: N` header) resumes after the last date sent
  const start = /^\d{8}$/.test(next) ? addDays(fromCompactDate(next), 1) : base;
  const context = { ctx_area_fk: padContext(toCompactDate(base)) };
  if (start > HOLIDAY_HORIZON) {
    return {
      body: {
        ctx_area_nk: padContext(""),
        ...context,
        rt_cd: "0",
        msg_cd: "KIOK0560",
        msg1: "조회할 내용이 없습니다",
        output: [],
      },
      trCont: "D",
    };
  }
  const pageEnd = addDays(start, request.quirks.holidayPageSize - 1);
  const end = pageEnd < HOLIDAY_HORIZON ? pageEnd : HOLIDAY_HORIZON;
  const rows = datesBetween(start, end).map(holidayRow);
  if (request.quirks.holidayDuplicates) {
    const saturday = rows.findIndex((row) => row.wday_dvsn_cd === "07");
    if (saturday >= 0) rows.splice(saturday + 1, 0, { ...rows[saturday] });
  }
  const more = end < HOLIDAY_HORIZON;
  return {
    body: {
      ctx_area_nk: padContext(toCompactDate(end)),
      ...context,
      rt_cd: "0",
      msg_cd: more ? "KIOK0500" : "KIOK0510",
      msg1: more ? "조회가 계속됩니다..다음버튼을 Click 하십시오." : "조회가 완료되었습니다.",
      output: rows,
    },
    trCont: more ? "M" : "D",
  };
}

const STOCK = ["FID_COND_MRKT_DIV_CODE", "FID_INPUT_ISCD"] as const;

/** Every simulated quotation TR. */
export const QUOTATION_ENDPOINTS: readonly QuotationEndpoint[] = [
  {
    path: `${QUOTATIONS}/inquire-investor`,
    trId: "FHKST01010900",
    realOnly: false,
    required: STOCK,
    requiresCusttype: false,
    answer: investorAnswer,
  },
  {
    path: `${QUOTATIONS}/program-trade-by-stock`,
    trId: "FHPPG04650101",
    realOnly: true,
    required: STOCK,
    requiresCusttype: false,
    answer: programIntradayAnswer,
  },
  {
    path: `${QUOTATIONS}/program-trade-by-stock-daily`,
    trId: "FHPPG04650201",
    realOnly: true,
    required: [...STOCK, "FID_INPUT_DATE_1"],
    requiresCusttype: false,
    answer: programDailyAnswer,
  },
  {
    path: `${QUOTATIONS}/inquire-time-itemchartprice`,
    trId: "FHKST03010200",
    realOnly: false,
    required: [
      "FID_ETC_CLS_CODE",
      ...STOCK,
      "FID_INPUT_HOUR_1",
      "FID_PW_DATA_INCU_YN",
    ],
    requiresCusttype: false,
    answer: todayMinutesAnswer,
  },
  {
    path: `${QUOTATIONS}/inquire-time-dailychartprice`,
    trId: "FHKST03010230",
    realOnly: true,
    required: [...STOCK, "FID_INPUT_HOUR_1", "FID_INPUT_DATE_1"],
    requiresCusttype: false,
    answer: dailyMinutesAnswer,
  },
  {
    path: `${QUOTATIONS}/inquire-daily-itemchartprice`,
    trId: "FHKST03010100",
    realOnly: false,
    required: [
      ...STOCK,
      "FID_INPUT_DATE_1",
      "FID_INPUT_DATE_2",
      "FID_PERIOD_DIV_CODE",
      "FID_ORG_ADJ_PRC",
    ],
    requiresCusttype: false,
    answer: dailyChartAnswer,
  },
  {
    path: `${QUOTATIONS}/chk-holiday`,
    trId: "CTCA0903R",
    realOnly: true,
    required: ["BASS_DT", "CTX_AREA_NK", "CTX_AREA_FK"],
    requiresCusttype: true,
    answer: holidayAnswer,
  },
];
