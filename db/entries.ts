/**
 * The payloads Scout logs, as zod schemas: the single source of the HTTP validation, the OpenAPI
 * document and the Archivist's input types. They accept the original Python dicts unchanged
 * (`docs/scout.md`: what `log_decision_ledger` / `log_shadow_radar` took), the original row's own
 * keys `timestamp`, `trade_date` and `schema_v`, plus the new optional `run_id`, `decided_at` /
 * `logged_at` and `idempotency_key`.
 *
 * @module
 */
import { z } from "zod";
import { STOCK_CODE_PATTERN } from "../src/stock_code.ts";
import { DATE_YEARS, isTradeDate, TRADE_DATE_EXPECTED } from "../src/time.ts";
import { FINAL_DECISIONS, REJECTION_STAGES } from "./schema.ts";

/** Longest free text accepted in one field (a whole LLM debate fits). */
export const MAX_TEXT_LENGTH = 512 * 1024;

/** A KRX short code: 6 characters (ETN `Q` + 6), letters and digits. */
export const stockCodeSchema = z.string()
  .regex(STOCK_CODE_PATTERN, { error: "expected a KRX stock code such as 005930 or Q500001" })
  .meta({ description: "KRX short code", example: "005930" });

const text = (max: number, description: string) =>
  z.string().max(max, { error: `expected at most ${max} characters` }).nullable().optional()
    .meta({ description });

const score = (description: string) =>
  z.number({ error: "expected a number" }).finite().nullable().optional().meta({ description });

/** An ISO-8601 instant with an explicit offset (`Z` or `+09:00`). */
export const instantSchema = z.iso.datetime({
  offset: true,
  error: "expected an ISO-8601 instant with offset, e.g. 2026-11-26T10:15:00+09:00",
}).refine((value) => isTradeDate(value.slice(0, 10)), {
  error: `expected an instant from ${DATE_YEARS.first} to ${DATE_YEARS.last}`,
}).meta({ example: "2026-11-26T10:15:00+09:00" });

const ORIGINAL_TIMESTAMP =
  /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?)(Z|[+-]\d{2}:?\d{2})?$/i;

/**
 * The original TIMESTAMP: ISO-8601 as Python writes it (`datetime.isoformat()` or `str()`), with
 * an offset, or without one meaning UTC as the original stored it (naive UTC); kept as UTC ISO.
 */
export const originalTimestampSchema = z.string()
  .transform((value, ctx) => {
    const match = ORIGINAL_TIMESTAMP.exec(value.trim());
    const offset = match?.[3]?.toUpperCase() ?? "Z";
    const instant = match
      ? new Date(
        `${match[1]}T${match[2]}${
          offset === "Z" ? "Z" : offset.replace(/(\d{2})(\d{2})$/, "$1:$2")
        }`,
      )
      : undefined;
    if (!instant || Number.isNaN(instant.getTime()) || !isTradeDate(match![1])) {
      ctx.addIssue({
        code: "custom",
        message: "expected an ISO-8601 time such as 2026-11-26T01:15:00 (UTC without offset) or " +
          "2026-11-26T10:15:00+09:00",
      });
      return z.NEVER;
    }
    return instant.toISOString();
  })
  .meta({
    description: "The original TIMESTAMP (naive means UTC, as the original stored it); stands " +
      "for decided_at / logged_at when those are absent",
    example: "2026-11-26T01:15:00.123456",
  });

const common = {
  timestamp: originalTimestampSchema.optional(),
  trade_date: z.string()
    .refine(isTradeDate, { error: TRADE_DATE_EXPECTED })
    .optional()
    .meta({
      description: "The KST trading day the entry applies to, when Scout knows it; default: " +
        "computed from the entry's time (after the 15:30 close: the next trading day)",
    }),
  schema_v: z.union([z.string().max(20, { error: "expected at most 20 characters" }), z.number()], {
    error: 'expected a version such as "1.0"',
  }).transform(String).optional().meta({
    description: 'The payload\'s schema version, as the original SCHEMA_V (default "1.0")',
  }),
  stock_code: stockCodeSchema,
  stock_name: text(200, "Stock name, e.g. 삼성전자"),
  run_id: text(200, "Scout's run id, to group the entries of one Scout run"),
  idempotency_key: text(
    200,
    "Per-entry idempotency key; a repeat with the same key stores nothing",
  ),
};

/** `thinking_called` as Python sends it: a bool or 0/1. */
const thinkingCalledSchema = z.union([z.boolean(), z.literal(0), z.literal(1)], {
  error: "expected true/false or 0/1",
}).nullable().optional().transform((value) =>
  value === null || value === undefined ? null : Number(value)
).meta({ description: "Whether extended thinking was called (bool or 0/1)" });

/** One Judge decision, as `log_decision_ledger(dict)` received it. */
export const decisionEntrySchema = z.strictObject({
  ...common,
  hunter_score: score("Hunter's quantitative score at decision time"),
  market_regime: text(100, "Market regime label, e.g. BULL"),
  dominant_keywords: z.array(
    z.string().max(200, { error: "expected keywords of at most 200 characters" }),
  ).max(200, { error: "expected at most 200 keywords" }).nullable().optional()
    .meta({ description: "Dominant theme keywords", example: ["리튬", "전쟁"] }),
  debate_log: text(MAX_TEXT_LENGTH, "Full Bull vs Bear debate text"),
  counter_position_logic: text(MAX_TEXT_LENGTH, "The counter position's reasoning"),
  thinking_called: thinkingCalledSchema,
  thinking_reason: text(MAX_TEXT_LENGTH, "Why thinking was called"),
  cost_estimate: score("Estimated LLM cost"),
  gate_result: text(50, "Gate outcome, PASS or REJECT"),
  final_decision: z.enum(FINAL_DECISIONS, {
    error: `expected one of ${FINAL_DECISIONS.join(", ")}`,
  }).meta({ description: "Judge's decision" }),
  final_reason: text(MAX_TEXT_LENGTH, "Judge's reason"),
  decided_at: instantSchema.optional().meta({
    description: "When the decision was taken; defaults to the time of receipt",
  }),
}).meta({ id: "DecisionEntry", description: "One Judge decision (the original dict)" });

/** One rejection, as `log_shadow_radar(dict)` received it. */
export const rejectionEntrySchema = z.strictObject({
  ...common,
  rejection_stage: z.enum(REJECTION_STAGES, {
    error: `expected one of ${REJECTION_STAGES.join(", ")}`,
  }).nullable().optional().meta({ description: "Stage that rejected the candidate" }),
  rejection_reason: text(MAX_TEXT_LENGTH, "Why it was rejected"),
  hunter_score_at_time: score("Hunter score when rejected"),
  trigger_type: text(100, "e.g. FILTER_REJECT, JUDGE_REJECT, PRICE_SURGE"),
  trigger_value: score("The trigger's value, e.g. the hybrid score"),
  logged_at: instantSchema.optional().meta({
    description: "When the rejection happened; defaults to the time of receipt",
  }),
}).meta({ id: "RejectionEntry", description: "One rejected candidate (the original dict)" });

/** A decision as Scout sends it (before validation). */
export type DecisionEntryInput = z.input<typeof decisionEntrySchema>;
/** A validated decision. */
export type DecisionEntry = z.output<typeof decisionEntrySchema>;
/** A rejection as Scout sends it (before validation). */
export type RejectionEntryInput = z.input<typeof rejectionEntrySchema>;
/** A validated rejection. */
export type RejectionEntry = z.output<typeof rejectionEntrySchema>;

/** A watchlist entry as `PUT /v1/watchlist` and the CLI take it. */
export const watchlistEntrySchema = z.strictObject({
  stock_code: stockCodeSchema,
  stock_name: text(200, "Stock name"),
}).meta({ id: "WatchlistEntry" });

/** A validated watchlist entry. */
export type WatchlistEntry = z.output<typeof watchlistEntrySchema>;
