/**
 * The outcome payloads as zod schemas, with each field's meaning and unit: the single source of
 * the OpenAPI document of the outcome and report routes (`docs/outcomes.md` defines them).
 *
 * @module
 */
import { z } from "zod";
import type { DecisionOutcome, RejectionOutcome } from "../../db/archivist.ts";
import { FINAL_DECISIONS, OUTCOME_STATUSES, REJECTION_STAGES } from "../../db/schema.ts";

const krw = (description: string) =>
  z.int().nullable().meta({ description: `${description}, KRW; null until that day is archived` });
const pct = (description: string) =>
  z.number().nullable().meta({
    description: `${description}, percent (unrounded); null while unknown`,
  });

/** `?threshold_pct=`: the regret threshold, percent. */
export const thresholdSchema = z.coerce.number({ error: "expected a percentage, e.g. 4" })
  .refine((value) => Number.isFinite(value) && value > 0 && value <= 1000, {
    error: "expected a percentage above 0 and at most 1000, e.g. 4",
  })
  .optional()
  .meta({
    description: "A rejection is a regret when max_high_5d_pct ≥ this, percent (default 4, " +
      "ARCHIVIST_REGRET_THRESHOLD_PCT)",
    example: 4,
  });

const priceFields = {
  status: z.enum(OUTCOME_STATUSES).meta({
    description: "pending: no reference close yet; partial: some later days missing; " +
      "complete: ret_20d_pct known",
  }),
  reference_close: krw("Adjusted close of the trade date D"),
  close_1d: krw("Adjusted close of T1, the next trading day"),
  close_5d: krw("Adjusted close of T5"),
  close_20d: krw("Adjusted close of T20"),
  ret_1d_pct: pct("(close_1d / reference_close − 1) × 100"),
  ret_5d_pct: pct("(close_5d / reference_close − 1) × 100"),
  ret_20d_pct: pct("(close_20d / reference_close − 1) × 100"),
  max_high_5d_pct: pct(
    "Highest adjusted high of T1…T5 against reference_close; null until all five are archived",
  ),
  min_low_5d_pct: pct(
    "Lowest adjusted low of T1…T5 against reference_close; null until all five are archived",
  ),
};

const entryFields = {
  log_id: z.int(),
  stock_code: z.string(),
  stock_name: z.string().nullable(),
  trade_date: z.string().meta({ description: "D: the KST trading day the entry applies to" }),
};

/** A decision with what the market did after it. */
export const decisionOutcomeSchema = z.object(
  {
    ...entryFields,
    decided_at: z.string().meta({ description: "When the decision was taken (UTC ISO-8601)" }),
    final_decision: z.enum(FINAL_DECISIONS),
    hunter_score: z.number().nullable(),
    market_regime: z.string().nullable(),
    gate_result: z.string().nullable(),
    ...priceFields,
    edge_1d_pct: pct("ret_1d_pct for BUY, −ret_1d_pct for SELL, null for HOLD and NO_DECISION"),
    edge_5d_pct: pct("ret_5d_pct for BUY, −ret_5d_pct for SELL, null for HOLD and NO_DECISION"),
    edge_20d_pct: pct(
      "ret_20d_pct for BUY, −ret_20d_pct for SELL, null for HOLD and NO_DECISION",
    ),
  } satisfies Record<keyof DecisionOutcome, z.ZodType>,
).meta({ id: "DecisionOutcome" });

/** A rejection with what the market did after it. */
export const rejectionOutcomeSchema = z.object(
  {
    ...entryFields,
    logged_at: z.string().meta({ description: "When the candidate was rejected (UTC ISO-8601)" }),
    rejection_stage: z.enum(REJECTION_STAGES).nullable(),
    rejection_reason: z.string().nullable(),
    hunter_score_at_time: z.number().nullable(),
    ...priceFields,
    regret: z.boolean().nullable().meta({
      description: "max_high_5d_pct ≥ threshold_pct; null while unknown",
    }),
    good_rejection: z.boolean().nullable().meta({
      description: "Not a regret and ret_5d_pct ≤ 0; null while unknown",
    }),
    vol_shock: z.boolean().nullable().meta({
      description: "max_volume_5d ≥ 3 × mean_volume_20d; null while unknown",
    }),
    max_volume_5d: z.int().nullable().meta({
      description: "Largest daily volume of T1…T5, shares (adjusted); null until all are archived",
    }),
    mean_volume_20d: z.number().nullable().meta({
      description: "Mean daily volume of the 20 trading days before D, shares (adjusted); null " +
        "until all are archived",
    }),
  } satisfies Record<keyof RejectionOutcome, z.ZodType>,
).meta({ id: "RejectionOutcome" });

const count = (description: string) => z.int().meta({ description });
const share = (description: string) =>
  z.number().nullable().meta({ description: `${description}, a fraction 0–1` });

const regretCounts = {
  rejections: count("Rejections in the group"),
  evaluated: count("Those whose max_high_5d_pct is known"),
  regrets: count("Evaluated ones with max_high_5d_pct ≥ threshold_pct"),
  good_rejections: count("Evaluated ones not regretted with ret_5d_pct ≤ 0"),
  regret_rate: share("regrets ÷ evaluated; null when none is evaluated"),
};

const range = {
  from: z.string().nullable().meta({ description: "As asked (KST date or instant); null: open" }),
  to: z.string().nullable().meta({ description: "As asked (KST date or instant); null: open" }),
};

/** The regret report. */
export const regretReportSchema = z.object({
  ...range,
  threshold_pct: z.number().meta({ description: "The regret threshold used, percent" }),
  ...regretCounts,
  by_stage: z.array(z.object({
    rejection_stage: z.enum(REJECTION_STAGES).nullable(),
    ...regretCounts,
  })),
  by_reason: z.array(z.object({ rejection_reason: z.string().nullable(), ...regretCounts })).meta({
    description: "The 20 most frequent rejection reasons",
  }),
  top: z.array(rejectionOutcomeSchema).meta({
    description: "The 20 rejections with the largest max_high_5d_pct",
  }),
}).meta({ id: "RegretReport" });

const scoreFigures = {
  decisions: count("Decisions in the group"),
  evaluated: count("Those whose ret_5d_pct is known (BUY and SELL: edge_5d_pct)"),
  win_rate_5d: share(
    "Share of evaluated with edge_5d_pct > 0; null for HOLD and NO_DECISION or none evaluated",
  ),
  mean_ret_5d_pct: z.number().nullable().meta({
    description: "Mean ret_5d_pct of the evaluated, percent",
  }),
  mean_edge_5d_pct: z.number().nullable().meta({
    description: "Mean edge_5d_pct of the evaluated, percent; null for HOLD and NO_DECISION",
  }),
};

/** The scorecard. */
export const scorecardSchema = z.object({
  ...range,
  by_decision: z.array(z.object({ final_decision: z.enum(FINAL_DECISIONS), ...scoreFigures })),
  by_score_bucket: z.array(z.object({
    final_decision: z.enum(["BUY", "SELL"]),
    bucket: z.enum(["F", "C/D", "B/A", "S", "unscored"]).meta({
      description: "hunter_score [0,40) F, [40,60) C/D, [60,80) B/A, [80,100] S; unscored: " +
        "missing or outside 0–100",
    }),
    ...scoreFigures,
  })).meta({ description: "BUY and SELL by hunter-score bucket" }),
  by_regime: z.array(z.object({ market_regime: z.string().nullable(), ...scoreFigures })).meta({
    description: "BUY and SELL together, per market_regime",
  }),
}).meta({ id: "Scorecard" });

const packetCase = z.enum(["BEST", "VIOLATION", "WORST", "NORMAL"]);

/** The council packet of a day. */
export const dailyPacketSchema = z.object({
  date: z.string().meta({ description: "The KST day: entries decided or logged that day" }),
  veto_count: count("Rejections that day"),
  decisions: count("Decisions that day"),
  no_trade_ratio: share("veto_count ÷ (veto_count + decisions); null without either"),
  case_counts: z.object({
    BEST: z.int(),
    VIOLATION: z.int(),
    WORST: z.int(),
    NORMAL: z.int(),
  }),
  cases: z.array(decisionOutcomeSchema.extend({
    case: packetCase.meta({
      description: "BEST: BUY with hunter_score > 80; VIOLATION: gate_result REJECT with " +
        "score > 70; WORST: HOLD with score > 50; else NORMAL (first that applies)",
    }),
  })).meta({ description: "The day's decisions with their case and outcome so far" }),
  vetoes: z.array(rejectionOutcomeSchema).meta({
    description: "The day's rejections with their outcome so far",
  }),
}).meta({ id: "DailyPacket" });
