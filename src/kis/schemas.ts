/**
 * zod schemas of the KIS responses the client reads (`docs/kis-api.md` §2–§7). Field names stay
 * KIS's own; numbers arrive as (signed, sometimes zero-padded) strings and leave as numbers, blank
 * as `null`; `YYYYMMDD` dates are also exposed as `tradeDate` (`YYYY-MM-DD`).
 *
 * @module
 */
import { z } from "zod";
import { fromCompactDate } from "../time.ts";

const NUMERIC_TEXT = /^[+-]?\d+(\.\d+)?$/;

function describe(value: unknown): string {
  return value === undefined ? "nothing" : JSON.stringify(value);
}

function parseNumber(value: unknown, ctx: z.RefinementCtx, blank: "null" | "issue") {
  if (typeof value === "number" && Number.isFinite(value)) return value;
  if (typeof value === "string") {
    const text = value.trim();
    if (text === "" && blank === "null") return null;
    if (NUMERIC_TEXT.test(text)) return Number(text);
  }
  ctx.addIssue({ code: "custom", message: `expected a number as text (got ${describe(value)})` });
  return z.NEVER;
}

/** A KIS number field: `"-00070203"` → -70203, blank → `null`; anything else is an issue. */
export const kisNumber = z.unknown().transform((value, ctx): number | null =>
  value === undefined
    ? (ctx.addIssue({ code: "custom", message: "expected a number as text (got nothing)" }),
      z.NEVER)
    : parseNumber(value, ctx, "null")
);

/** A KIS number field that may be absent: absent or blank → `null`. */
export const kisOptionalNumber = z.unknown().transform((value, ctx): number | null =>
  value === undefined ? null : parseNumber(value, ctx, "null")
);

/** A KIS number field that must hold a value (blank is an issue). */
export const kisRequiredNumber = z.unknown().transform((value, ctx): number =>
  parseNumber(value, ctx, "issue") as number
);

/** A KIS date `YYYYMMDD`. */
export const kisCompactDate = z.string().regex(/^\d{8}$/, { error: "expected a date as YYYYMMDD" });

/** A KIS wall-clock time `HHMMSS` (KST). */
export const kisTime = z.string().regex(/^\d{6}$/, { error: "expected a time as HHMMSS" });

/** An array that KIS may send as `""`, `null` or nothing when empty. */
function kisArray<T extends z.ZodType>(row: T) {
  return z.preprocess(
    (value) => (value === undefined || value === null || value === "" ? [] : value),
    z.array(row),
  );
}

function withTradeDate<T extends { stck_bsop_date: string }>(row: T): T & { tradeDate: string } {
  return { ...row, tradeDate: fromCompactDate(row.stck_bsop_date) };
}

/** The envelope every quotation answer carries, success or failure (§3). */
export const envelopeSchema = z.object({
  rt_cd: z.string(),
  msg_cd: z.string().default(""),
  msg1: z.string().default(""),
});

/** The envelope of a KIS answer. */
export type KisEnvelope = z.output<typeof envelopeSchema>;

/** tokenP success body (§2.1). */
export const tokenResponseSchema = z.object({
  access_token: z.string().min(1),
  token_type: z.string().optional(),
  expires_in: z.union([z.number(), z.string()]).optional(),
  /** Expiry as KST wall clock `YYYY-MM-DD HH:MM:SS`. */
  access_token_token_expired: z.string().regex(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/, {
    error: "expected a KST time as YYYY-MM-DD HH:MM:SS",
  }),
});

/** tokenP failure body: not the normal envelope (§2.1). */
export const tokenErrorSchema = z.object({
  error_code: z.string(),
  error_description: z.string().default(""),
});

/**
 * One row of 주식현재가 투자자 (FHKST01010900): a business day's flows by investor class. The
 * buy/sell breakdowns are optional: only the net figures are archived, so a terser server parses.
 */
export const investorFlowDaySchema = z.object({
  /** Business day `YYYYMMDD`. */
  stck_bsop_date: kisCompactDate,
  /** Close (KRW). */
  stck_clpr: kisNumber,
  /** Change vs previous close (KRW). */
  prdy_vrss: kisOptionalNumber,
  /** Sign of the change: 1 상한, 2 상승, 3 보합, 4 하한, 5 하락. */
  prdy_vrss_sign: z.string().optional(),
  /** 개인 net buy (shares). */
  prsn_ntby_qty: kisNumber,
  /** 외국인 net buy (shares). */
  frgn_ntby_qty: kisNumber,
  /** 기관계 net buy (shares). */
  orgn_ntby_qty: kisNumber,
  /** 개인 net buy value (백만원 — million KRW: a figure of 1,000,000 KRW precision, not exact). */
  prsn_ntby_tr_pbmn: kisNumber,
  /** 외국인 net buy value (백만원 — million KRW). */
  frgn_ntby_tr_pbmn: kisNumber,
  /** 기관계 net buy value (백만원 — million KRW). */
  orgn_ntby_tr_pbmn: kisNumber,
  /** 개인 buy volume (shares). */
  prsn_shnu_vol: kisOptionalNumber,
  /** 외국인 buy volume (shares). */
  frgn_shnu_vol: kisOptionalNumber,
  /** 기관계 buy volume (shares). */
  orgn_shnu_vol: kisOptionalNumber,
  /** 개인 sell volume (shares). */
  prsn_seln_vol: kisOptionalNumber,
  /** 외국인 sell volume (shares). */
  frgn_seln_vol: kisOptionalNumber,
  /** 기관계 sell volume (shares). */
  orgn_seln_vol: kisOptionalNumber,
  /** 개인 buy value (백만원 — million KRW). */
  prsn_shnu_tr_pbmn: kisOptionalNumber,
  /** 외국인 buy value (백만원 — million KRW). */
  frgn_shnu_tr_pbmn: kisOptionalNumber,
  /** 기관계 buy value (백만원 — million KRW). */
  orgn_shnu_tr_pbmn: kisOptionalNumber,
  /** 개인 sell value (백만원 — million KRW). */
  prsn_seln_tr_pbmn: kisOptionalNumber,
  /** 외국인 sell value (백만원 — million KRW). */
  frgn_seln_tr_pbmn: kisOptionalNumber,
  /** 기관계 sell value (백만원 — million KRW). */
  orgn_seln_tr_pbmn: kisOptionalNumber,
}).transform(withTradeDate);

/** A business day of investor flows; amounts `*_tr_pbmn` in million KRW, quantities in shares. */
export type InvestorFlowDay = z.output<typeof investorFlowDaySchema>;

/** FHKST01010900 body: `output` = the last 30 business days, newest first. */
export const investorFlowsResponseSchema = z.object({ output: kisArray(investorFlowDaySchema) });

/**
 * Fields both program-trading TRs share: the move vs the previous close and program totals (the
 * buy/sell legs optional: only the nets are archived).
 */
const programTotals = {
  /** Change vs previous close (KRW). */
  prdy_vrss: kisOptionalNumber,
  /** Sign of the change (1–5). */
  prdy_vrss_sign: z.string().optional(),
  /** Change vs previous close (%). */
  prdy_ctrt: kisOptionalNumber,
  /** Program sell volume, cumulative for the day (shares). */
  whol_smtn_seln_vol: kisOptionalNumber,
  /** Program buy volume, cumulative for the day (shares). */
  whol_smtn_shnu_vol: kisOptionalNumber,
  /** Program net buy, cumulative for the day (shares). */
  whol_smtn_ntby_qty: kisNumber,
  /** Program sell value, cumulative for the day (KRW). */
  whol_smtn_seln_tr_pbmn: kisOptionalNumber,
  /** Program buy value, cumulative for the day (KRW). */
  whol_smtn_shnu_tr_pbmn: kisOptionalNumber,
  /** Program net buy value, cumulative for the day (KRW). */
  whol_smtn_ntby_tr_pbmn: kisNumber,
};

/** One row of 종목별 프로그램매매추이(일별) (FHPPG04650201). */
export const programTradeDaySchema = z.object({
  ...programTotals,
  /** Business day `YYYYMMDD`. */
  stck_bsop_date: kisCompactDate,
  /** Close (KRW). */
  stck_clpr: kisNumber,
  /** Day volume (shares). */
  acml_vol: kisNumber,
  /** Day traded value (KRW). */
  acml_tr_pbmn: kisOptionalNumber,
  /** Change of program net buy vs previous day (shares). */
  whol_ntby_vol_icdc: kisOptionalNumber,
  /** Change of program net buy value vs previous day (KRW). */
  whol_ntby_tr_pbmn_icdc2: kisOptionalNumber,
}).transform(withTradeDate);

/** A business day of program trading; amounts in KRW, quantities in shares. */
export type ProgramTradeDay = z.output<typeof programTradeDaySchema>;

/** FHPPG04650201 body: `output` ≈ 30 business days ending at `FID_INPUT_DATE_1`, newest first. */
export const programTradeDailyResponseSchema = z.object({
  output: kisArray(programTradeDaySchema),
});

/** One row of 종목별 프로그램매매추이(체결) (FHPPG04650101): a timestamped cumulative snapshot. */
export const programTradeSnapshotSchema = z.object({
  ...programTotals,
  /** Snapshot time `HHMMSS` (KST, today). */
  bsop_hour: kisTime,
  /** Current price (KRW). */
  stck_prpr: kisNumber,
  /** Volume so far today (shares). */
  acml_vol: kisNumber,
  /** Net buy change vs previous snapshot (shares). */
  whol_ntby_vol_icdc: kisOptionalNumber,
  /** Net buy value change vs previous snapshot (KRW). */
  whol_ntby_tr_pbmn_icdc: kisOptionalNumber,
});

/** An intraday program-trading snapshot; amounts in KRW, quantities in shares. */
export type ProgramTradeSnapshot = z.output<typeof programTradeSnapshotSchema>;

/** FHPPG04650101 body: `output` = up to 30 snapshots, newest first (a rolling window). */
export const programTradeIntradayResponseSchema = z.object({
  output: kisArray(programTradeSnapshotSchema),
});

/** One `output2` row of the minute-bar TRs (FHKST03010200 / FHKST03010230). */
export const minuteBarRowSchema = z.object({
  /** Business day `YYYYMMDD`. */
  stck_bsop_date: kisCompactDate,
  /** Minute start `HHMMSS` (KST); `130600` covers 13:06:00–13:06:59. */
  stck_cntg_hour: kisTime,
  /** Close of the minute (KRW). */
  stck_prpr: kisRequiredNumber,
  /** Open (KRW). */
  stck_oprc: kisRequiredNumber,
  /** High (KRW). */
  stck_hgpr: kisRequiredNumber,
  /** Low (KRW). */
  stck_lwpr: kisRequiredNumber,
  /** Volume of this minute (shares). */
  cntg_vol: kisRequiredNumber,
  /** Cumulative traded value of the day up to this minute (KRW). */
  acml_tr_pbmn: kisRequiredNumber,
});

/** A raw minute row of the minute-bar TRs, as KIS sends it. */
export type KisMinuteRow = z.output<typeof minuteBarRowSchema>;

/** The `output1` summary of the minute-bar TRs: the stock's quote *today*, whatever date is asked. */
export const minuteSummarySchema = z.object({
  /** Shares traded today so far. */
  acml_vol: kisOptionalNumber,
});

/**
 * Minute-bar body: `output2` newest first (30 rows today, 120 rows by date); `output1` today's
 * summary (optional: only its volume is read, to tell a halted stock from a missing one).
 */
export const minuteBarsResponseSchema = z.object({
  output1: z.preprocess(
    (value) => (typeof value === "object" && value !== null ? value : undefined),
    minuteSummarySchema.optional(),
  ),
  output2: kisArray(minuteBarRowSchema),
});

/** One row of 국내휴장일조회 (CTCA0903R): one calendar day. */
export const holidayRowSchema = z.object({
  /** Calendar day `YYYYMMDD`. */
  bass_dt: kisCompactDate,
  /** Weekday: `01` Sunday … `07` Saturday. */
  wday_dvsn_cd: z.string().optional(),
  /** 영업일: banks open. */
  bzdy_yn: z.string().optional(),
  /** 거래일: securities back office works. */
  tr_day_yn: z.string().optional(),
  /** 개장일: the stock market is open. */
  opnd_yn: z.enum(["Y", "N"], { error: "expected Y or N" }),
  /** 결제일: settlement day. */
  sttl_day_yn: z.string().optional(),
});

/** CTCA0903R body: calendar days from `BASS_DT` plus the continuation keys. */
export const holidayResponseSchema = z.object({
  output: kisArray(holidayRowSchema),
  ctx_area_nk: z.string().default(""),
  ctx_area_fk: z.string().default(""),
});

/** `output[3].frgn_ntby_qty` from a zod issue path. */
export function formatIssuePath(path: readonly PropertyKey[]): string {
  let text = "";
  for (const key of path) {
    text += typeof key === "number" ? `[${key}]` : `${text ? "." : ""}${String(key)}`;
  }
  return text || "$";
}
