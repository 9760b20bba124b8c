/**
 * The simulated daily candles of FHKST03010100 (`docs/kis-api.md` §6.4): each day's candle is
 * its whole session's minute bars summed up (open of the first, highest high, lowest low, close of
 * the closing auction — 15:30, 16:30 on a CSAT day, later on a delayed close —, total volume and
 * value), today's one as far as the session has printed. A stock halted all day has a candle
 * without trade: volume and value 0, every price at the previous close. Adjusted prices (수정주가)
 * divide every day before a split by its ratio from the split's date on, and multiply its volume;
 * original prices (원주가) are the tape as it traded.
 *
 * @module
 */
import { isKrxTradingDay, previousTradingDay } from "../calendar.ts";
import type { DailyCandle } from "../kis/daily_candles.ts";
import { kstDate, toCompactDate } from "../time.ts";
import {
  isHalted,
  kstHhmmss,
  sessionBars,
  sessionBarsAt,
  sessionMinutesOf,
  SIM_HISTORY_START,
  simDay,
} from "./market.ts";
import { changeSign, type KisRow, num } from "./rows.ts";
import { adjustmentFactor, splitRatioOn } from "./splits.ts";

/** Rows per answer of FHKST03010100. */
export const MAX_DAILY_ROWS = 100;

/** A day's candle in domain units (integer KRW and shares), as the client reads one. */
export interface SimDailyCandle extends DailyCandle {
  /** Close of the day before, at this day's price level (the base of its change). */
  readonly previousClose: number;
}

const CACHE_LIMIT = 20_000;
const completed = new Map<string, SimDailyCandle | null>();

function candleOfBars(
  stockCode: string,
  tradeDate: string,
  bars: ReturnType<typeof sessionBars>,
): SimDailyCandle | null {
  if (bars.length === 0) return null;
  return {
    tradeDate,
    open: bars[0].open,
    high: Math.max(...bars.map((bar) => bar.high)),
    low: Math.min(...bars.map((bar) => bar.low)),
    close: bars[bars.length - 1].close,
    volume: bars.reduce((sum, bar) => sum + bar.volume, 0),
    value: bars[bars.length - 1].cumulativeValue,
    previousClose: simDay(stockCode, tradeDate)!.previousClose,
  };
}

/** The candle of a day a stock was halted all day: no trade, flat at the previous close. */
function haltedCandle(stockCode: string, tradeDate: string): SimDailyCandle {
  const { previousClose } = simDay(stockCode, tradeDate)!;
  return {
    tradeDate,
    open: previousClose,
    high: previousClose,
    low: previousClose,
    close: previousClose,
    volume: 0,
    value: 0,
    previousClose,
  };
}

/**
 * The candle of `tradeDate` as traded (original prices) seen at `now`: today's so far (from the
 * open on), none for a closed day, a day before history or one still ahead.
 */
export function originalDailyCandle(
  stockCode: string,
  tradeDate: string,
  now: Date,
): SimDailyCandle | undefined {
  const today = kstDate(now);
  if (tradeDate > today || tradeDate < SIM_HISTORY_START || !isKrxTradingDay(tradeDate)) {
    return undefined;
  }
  if (tradeDate === today) {
    const time = kstHhmmss(now);
    if (isHalted(stockCode, today)) {
      return time >= sessionMinutesOf(today).open ? haltedCandle(stockCode, today) : undefined;
    }
    return candleOfBars(stockCode, tradeDate, sessionBarsAt(stockCode, today, time)) ?? undefined;
  }
  const key = `${stockCode}|${tradeDate}`;
  let candle = completed.get(key);
  if (candle === undefined) {
    candle = isHalted(stockCode, tradeDate)
      ? haltedCandle(stockCode, tradeDate)
      : candleOfBars(stockCode, tradeDate, sessionBars(stockCode, tradeDate));
    if (completed.size >= CACHE_LIMIT) completed.delete(completed.keys().next().value!);
    completed.set(key, candle);
  }
  return candle ?? undefined;
}

/** The candle of `tradeDate` as KIS serves it at `now`: adjusted unless `original`. */
export function servedDailyCandle(
  stockCode: string,
  tradeDate: string,
  now: Date,
  original = false,
): SimDailyCandle | undefined {
  const candle = originalDailyCandle(stockCode, tradeDate, now);
  if (!candle || original) return candle;
  const factor = adjustmentFactor(stockCode, tradeDate, kstDate(now));
  if (factor === 1) return candle;
  const price = (value: number) => Math.round(value / factor);
  return {
    tradeDate,
    open: price(candle.open),
    high: price(candle.high),
    low: price(candle.low),
    close: price(candle.close),
    volume: candle.volume * factor,
    value: candle.value,
    previousClose: price(candle.previousClose),
  };
}

/** One `output2` row. */
export function dailyChartRow(stockCode: string, candle: SimDailyCandle): KisRow {
  const split = splitRatioOn(stockCode, candle.tradeDate);
  return {
    stck_bsop_date: toCompactDate(candle.tradeDate),
    stck_clpr: num(candle.close),
    stck_oprc: num(candle.open),
    stck_hgpr: num(candle.high),
    stck_lwpr: num(candle.low),
    acml_vol: num(candle.volume),
    acml_tr_pbmn: num(candle.value),
    flng_cls_code: "00",
    // illustrative: the reference does not say how KIS marks a split day
    prtt_rate: split === 1 ? "0.00" : (100 / split).toFixed(2),
    mod_yn: split === 1 ? "N" : "Y",
    prdy_vrss_sign: changeSign(candle.close, candle.previousClose),
    prdy_vrss: num(candle.close - candle.previousClose),
    revl_issu_reas: "",
  };
}

/** A padding row: every field blank (KIS fills short answers up with such rows). */
export function blankDailyRow(): KisRow {
  return Object.fromEntries(
    Object.keys(dailyChartRow("000000", {
      tradeDate: "2000-01-01",
      open: 0,
      high: 0,
      low: 0,
      close: 0,
      volume: 0,
      value: 0,
      previousClose: 1,
    })).map((field) => [field, ""]),
  );
}

/**
 * The rows FHKST03010100 answers for `from`…`to` at `now`: the newest {@link MAX_DAILY_ROWS}
 * trading days of the range (up to today), newest first, padded with blank rows if `pad`.
 */
export function dailyChartRows(
  stockCode: string,
  from: string,
  to: string,
  now: Date,
  options: { readonly original: boolean; readonly pad: boolean },
): KisRow[] {
  const today = kstDate(now);
  const rows: KisRow[] = [];
  let date = to < today ? to : today;
  if (!isKrxTradingDay(date)) date = previousTradingDay(date);
  while (rows.length < MAX_DAILY_ROWS && date >= from && date >= SIM_HISTORY_START) {
    const candle = servedDailyCandle(stockCode, date, now, options.original);
    if (candle) rows.push(dailyChartRow(stockCode, candle));
    date = previousTradingDay(date);
  }
  if (options.pad) { while (rows.length < MAX_DAILY_ROWS) rows.push(blankDailyRow()); }
  return rows;
}
