/**
 * The simulator's listed stocks: which codes exist, their names, and the price level and
 * liquidity each one trades around.
 *
 * @module
 */
import { hashSeed } from "./random.ts";

/** Static traits of a simulated stock. */
export interface SimStock {
  /** KRX short code, e.g. `005930`. */
  readonly code: string;
  /** Korean name as `hts_kor_isnm` reports it. */
  readonly name: string;
  /** Price level (KRW) the daily closes revert to. */
  readonly basePrice: number;
  /** Typical daily volume in shares. */
  readonly dailyVolume: number;
}

const KNOWN: Record<string, [name: string, basePrice: number, dailyVolume: number]> = {
  "005930": ["삼성전자", 55_000, 15_000_000],
  "000660": ["SK하이닉스", 180_000, 3_000_000],
  "035420": ["NAVER", 190_000, 600_000],
  "051910": ["LG화학", 350_000, 300_000],
  "005380": ["현대차", 200_000, 600_000],
  "035720": ["카카오", 40_000, 2_000_000],
  "068270": ["셀트리온", 180_000, 800_000],
  "207940": ["삼성바이오로직스", 800_000, 80_000],
  "373220": ["LG에너지솔루션", 380_000, 300_000],
  "005490": ["POSCO홀딩스", 380_000, 300_000],
  "000270": ["기아", 95_000, 1_200_000],
  "105560": ["KB금융", 70_000, 1_500_000],
};

/** A code the simulator treats as not listed (answers `rt_cd "0"` with empty arrays). */
export const SIM_UNLISTED_STOCK_CODE = "999999";

/**
 * Whether `code` is a listed stock in the simulator: six digits (or an ETN `Q` + six digits)
 * not starting with `9`; everything else answers like an unknown code on KIS.
 */
export function isListedStock(code: string): boolean {
  return /^Q?\d{6}$/.test(code) && !code.replace(/^Q/, "").startsWith("9");
}

/** The traits of a listed stock; generic, deterministic ones for codes without a known name. */
export function simStock(code: string): SimStock {
  const known = KNOWN[code];
  if (known) return { code, name: known[0], basePrice: known[1], dailyVolume: known[2] };
  const h = hashSeed(code, "stock");
  // log-uniform price level between ~1,500 and ~300,000 KRW
  const basePrice = Math.round(1_500 * Math.exp((h % 10_000) / 10_000 * Math.log(200)));
  const turnover = 3e9 + ((h >>> 14) % 1000) / 1000 * 47e9;
  return {
    code,
    name: `시뮬종목${code}`,
    basePrice,
    dailyVolume: Math.max(20_000, Math.round(turnover / basePrice)),
  };
}
