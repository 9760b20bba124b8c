/**
 * The outcome reports (`docs/outcomes.md`): the regret report of rejections, the scorecard of
 * decisions and the daily council packet. Counts and sums are aggregated in SQL at the finest
 * grouping a report needs, then merged; everything reads the materialised outcome rows.
 *
 * @module
 */
import type { ExpressionBuilder, Kysely } from "kysely";
import {
  type DecisionOutcome,
  filteredDecisionOutcomes,
  filteredRejectionOutcomes,
  type OutcomeFilter,
  type RejectionOutcome,
  toRejectionOutcome,
} from "./outcome_listing.ts";
import {
  type Database,
  FINAL_DECISIONS,
  type FinalDecision,
  type RejectionStage,
} from "./schema.ts";

/** Items in a report's top lists (`by_reason`, `top`). */
export const REPORT_TOP_ITEMS = 20;

/** The time range of a report: KST dates or instants, like the listings' `from`/`to`. */
export type ReportRange = Pick<OutcomeFilter, "from" | "to">;

/** Regret counts of a set of rejections. */
export interface RegretCounts {
  /** Rejections in the set. */
  readonly rejections: number;
  /** Those with `max_high_5d_pct` known. */
  readonly evaluated: number;
  /** Evaluated ones whose `max_high_5d_pct` ≥ the threshold. */
  readonly regrets: number;
  /** Evaluated ones not regretted whose `ret_5d_pct` ≤ 0. */
  readonly good_rejections: number;
  /** `regrets` ÷ `evaluated` (0–1); null when none is evaluated. */
  readonly regret_rate: number | null;
}

/** The regret report. */
export interface RegretReport extends RegretCounts {
  readonly from: string | null;
  readonly to: string | null;
  /** The regret threshold used, percent. */
  readonly threshold_pct: number;
  readonly by_stage:
    readonly (RegretCounts & { readonly rejection_stage: RejectionStage | null })[];
  /** The {@link REPORT_TOP_ITEMS} most frequent reasons. */
  readonly by_reason: readonly (RegretCounts & { readonly rejection_reason: string | null })[];
  /** The {@link REPORT_TOP_ITEMS} rejections with the largest `max_high_5d_pct`. */
  readonly top: readonly RejectionOutcome[];
}

/** Scorecard figures of a set of decisions. */
export interface ScoreFigures {
  readonly decisions: number;
  /** Those with `ret_5d_pct` known (for BUY and SELL: with `edge_5d_pct`). */
  readonly evaluated: number;
  /** Share of evaluated with `edge_5d_pct` > 0 (0–1); null for HOLD and NO_DECISION or none. */
  readonly win_rate_5d: number | null;
  /** Mean `ret_5d_pct` of the evaluated, percent. */
  readonly mean_ret_5d_pct: number | null;
  /** Mean `edge_5d_pct` of the evaluated, percent; null for HOLD and NO_DECISION. */
  readonly mean_edge_5d_pct: number | null;
}

/** Hunter-score buckets of the scorecard: [0,40) F, [40,60) C/D, [60,80) B/A, [80,100] S. */
export const SCORE_BUCKETS = [
  { bucket: "F", min: 0, below: 40 },
  { bucket: "C/D", min: 40, below: 60 },
  { bucket: "B/A", min: 60, below: 80 },
  { bucket: "S", min: 80, below: null },
] as const;
/** A score bucket, or `unscored` for a missing score or one outside 0–100. */
export type ScoreBucket = typeof SCORE_BUCKETS[number]["bucket"] | "unscored";

/** The scorecard of decisions. */
export interface Scorecard {
  readonly from: string | null;
  readonly to: string | null;
  /** One row per final decision. */
  readonly by_decision: readonly (ScoreFigures & { readonly final_decision: FinalDecision })[];
  /** BUY and SELL by hunter-score bucket. */
  readonly by_score_bucket: readonly (ScoreFigures & {
    readonly final_decision: "BUY" | "SELL";
    readonly bucket: ScoreBucket;
  })[];
  /** BUY and SELL together, per market regime. */
  readonly by_regime: readonly (ScoreFigures & { readonly market_regime: string | null })[];
}

/** How the packet classifies a decision. */
export type PacketCase = "BEST" | "VIOLATION" | "WORST" | "NORMAL";

/** The council packet of a KST day. */
export interface DailyPacket {
  readonly date: string;
  /** Rejections logged that day. */
  readonly veto_count: number;
  /** Decisions logged that day. */
  readonly decisions: number;
  /** vetoes ÷ (vetoes + decisions), 0–1; null on a day without either. */
  readonly no_trade_ratio: number | null;
  readonly case_counts: Readonly<Record<PacketCase, number>>;
  /** The day's decisions, each with its case and outcome so far. */
  readonly cases: readonly (DecisionOutcome & { readonly case: PacketCase })[];
  /** The day's rejections with their outcome so far. */
  readonly vetoes: readonly RejectionOutcome[];
}

/** BEST: BUY scored > 80; VIOLATION: gate REJECT scored > 70; WORST: HOLD scored > 50; NORMAL. */
export function packetCase(
  decision: Pick<DecisionOutcome, "final_decision" | "hunter_score" | "gate_result">,
): PacketCase {
  const score = decision.hunter_score;
  if (score !== null && decision.final_decision === "BUY" && score > 80) return "BEST";
  if (score !== null && decision.gate_result === "REJECT" && score > 70) return "VIOLATION";
  if (score !== null && decision.final_decision === "HOLD" && score > 50) return "WORST";
  return "NORMAL";
}

type RejectionScope = ExpressionBuilder<
  Database & { e: Database["shadow_radar_log"]; o: Database["rejection_outcome"] },
  "e" | "o"
>;

function regretAggregates(eb: RejectionScope, thresholdPct: number) {
  return [
    eb.fn.countAll<number>().as("rejections"),
    eb.fn.count<number>("o.max_high_5d_pct").as("evaluated"),
    eb.fn.sum<number>(
      eb.case().when("o.max_high_5d_pct", ">=", thresholdPct).then(eb.lit(1)).else(eb.lit(0)).end(),
    ).as("regrets"),
    eb.fn.sum<number>(
      eb.case().when(eb.and([
        eb("o.max_high_5d_pct", "<", thresholdPct),
        eb("o.ret_5d_pct", "<=", 0),
      ])).then(eb.lit(1)).else(eb.lit(0)).end(),
    ).as("good_rejections"),
  ] as const;
}

function regretCounts(row: {
  rejections: number;
  evaluated: number;
  regrets: number | null;
  good_rejections: number | null;
}): RegretCounts {
  const evaluated = Number(row.evaluated);
  const regrets = Number(row.regrets ?? 0);
  return {
    rejections: Number(row.rejections),
    evaluated,
    regrets,
    good_rejections: Number(row.good_rejections ?? 0),
    regret_rate: evaluated === 0 ? null : regrets / evaluated,
  };
}

/** The regret report of the rejections in `range`. */
export async function regretReport(
  db: Kysely<Database>,
  range: ReportRange,
  thresholdPct: number,
): Promise<RegretReport> {
  const operation = "regretReport";
  const base = () => filteredRejectionOutcomes(db, operation, range).clearSelect();
  const stages = await base()
    .select((eb) => ["e.rejection_stage", ...regretAggregates(eb as RejectionScope, thresholdPct)])
    // NULLS FIRST spelled out: SQLite's default, PostgreSQL's is the opposite.
    .groupBy("e.rejection_stage").orderBy("e.rejection_stage", (o) => o.asc().nullsFirst())
    .execute();
  const reasons = await base()
    .select((eb) => ["e.rejection_reason", ...regretAggregates(eb as RejectionScope, thresholdPct)])
    .groupBy("e.rejection_reason")
    .orderBy("rejections", "desc").orderBy("e.rejection_reason", (o) => o.asc().nullsFirst())
    .limit(REPORT_TOP_ITEMS).execute();
  const top = await filteredRejectionOutcomes(db, operation, range)
    .where("o.max_high_5d_pct", "is not", null)
    .orderBy("o.max_high_5d_pct", "desc").orderBy("e.log_id")
    .limit(REPORT_TOP_ITEMS).execute();
  const byStage = stages.map((row) => ({
    rejection_stage: row.rejection_stage,
    ...regretCounts(row),
  }));
  const total = regretCounts({
    rejections: byStage.reduce((n, s) => n + s.rejections, 0),
    evaluated: byStage.reduce((n, s) => n + s.evaluated, 0),
    regrets: byStage.reduce((n, s) => n + s.regrets, 0),
    good_rejections: byStage.reduce((n, s) => n + s.good_rejections, 0),
  });
  return {
    from: range.from ?? null,
    to: range.to ?? null,
    threshold_pct: thresholdPct,
    ...total,
    by_stage: byStage,
    by_reason: reasons.map((row) => ({
      rejection_reason: row.rejection_reason,
      ...regretCounts(row),
    })),
    top: top.map((row) => toRejectionOutcome(row, thresholdPct)),
  };
}

/** Sums of one group of decisions, as SQL aggregated them. */
interface ScoreSums {
  decisions: number;
  withRet: number;
  withEdge: number;
  wins: number;
  sumRet: number;
  sumEdge: number;
}

const NO_SUMS: ScoreSums = {
  decisions: 0,
  withRet: 0,
  withEdge: 0,
  wins: 0,
  sumRet: 0,
  sumEdge: 0,
};

function addSums(a: ScoreSums, b: ScoreSums): ScoreSums {
  return {
    decisions: a.decisions + b.decisions,
    withRet: a.withRet + b.withRet,
    withEdge: a.withEdge + b.withEdge,
    wins: a.wins + b.wins,
    sumRet: a.sumRet + b.sumRet,
    sumEdge: a.sumEdge + b.sumEdge,
  };
}

/** Figures of a group; `edges` when the group takes positions (BUY, SELL). */
function figures(sums: ScoreSums, edges: boolean): ScoreFigures {
  const evaluated = edges ? sums.withEdge : sums.withRet;
  return {
    decisions: sums.decisions,
    evaluated,
    win_rate_5d: edges && sums.withEdge > 0 ? sums.wins / sums.withEdge : null,
    mean_ret_5d_pct: sums.withRet > 0 ? sums.sumRet / sums.withRet : null,
    mean_edge_5d_pct: edges && sums.withEdge > 0 ? sums.sumEdge / sums.withEdge : null,
  };
}

const takesPosition = (decision: FinalDecision): decision is "BUY" | "SELL" =>
  decision === "BUY" || decision === "SELL";

/** The scorecard of the decisions in `range`. */
export async function scorecard(db: Kysely<Database>, range: ReportRange): Promise<Scorecard> {
  const rows = await filteredDecisionOutcomes(db, "scorecard", range).clearSelect()
    .select((eb) => {
      const inBucket = ({ min, below }: typeof SCORE_BUCKETS[number]) =>
        eb.and([
          eb("e.hunter_score", ">=", min),
          below === null ? eb("e.hunter_score", "<=", 100) : eb("e.hunter_score", "<", below),
        ]);
      const [f, cd, ba, s] = SCORE_BUCKETS;
      return [
        "e.final_decision",
        "e.market_regime",
        eb.case()
          .when(inBucket(f)).then(f.bucket)
          .when(inBucket(cd)).then(cd.bucket)
          .when(inBucket(ba)).then(ba.bucket)
          .when(inBucket(s)).then(s.bucket)
          .else("unscored").end().as("bucket"),
        eb.fn.countAll<number>().as("decisions"),
        eb.fn.count<number>("o.ret_5d_pct").as("with_ret"),
        eb.fn.count<number>("o.edge_5d_pct").as("with_edge"),
        eb.fn.sum<number>(
          eb.case().when("o.edge_5d_pct", ">", 0).then(eb.lit(1)).else(eb.lit(0)).end(),
        ).as(
          "wins",
        ),
        eb.fn.sum<number>("o.ret_5d_pct").as("sum_ret"),
        eb.fn.sum<number>("o.edge_5d_pct").as("sum_edge"),
      ];
    })
    .groupBy(["e.final_decision", "e.market_regime", "bucket"])
    // Groups in a fixed order: their float sums are merged below, and a sum depends on its order.
    .orderBy("e.final_decision").orderBy("e.market_regime", (o) => o.asc().nullsFirst())
    .orderBy("bucket").execute();

  const byDecision = new Map<FinalDecision, ScoreSums>();
  const byBucket = new Map<string, ScoreSums>();
  const byRegime = new Map<string | null, ScoreSums>();
  for (const row of rows) {
    const sums: ScoreSums = {
      decisions: Number(row.decisions),
      withRet: Number(row.with_ret),
      withEdge: Number(row.with_edge),
      wins: Number(row.wins ?? 0),
      sumRet: Number(row.sum_ret ?? 0),
      sumEdge: Number(row.sum_edge ?? 0),
    };
    const decision = row.final_decision;
    byDecision.set(decision, addSums(byDecision.get(decision) ?? NO_SUMS, sums));
    if (!takesPosition(decision)) continue;
    const key = `${decision}|${row.bucket}`;
    byBucket.set(key, addSums(byBucket.get(key) ?? NO_SUMS, sums));
    byRegime.set(row.market_regime, addSums(byRegime.get(row.market_regime) ?? NO_SUMS, sums));
  }
  const buckets: ScoreBucket[] = [...SCORE_BUCKETS.map((b) => b.bucket), "unscored"];
  return {
    from: range.from ?? null,
    to: range.to ?? null,
    by_decision: FINAL_DECISIONS.map((final_decision) => ({
      final_decision,
      ...figures(byDecision.get(final_decision) ?? NO_SUMS, takesPosition(final_decision)),
    })),
    by_score_bucket: (["BUY", "SELL"] as const).flatMap((final_decision) =>
      buckets.map((bucket) => ({
        final_decision,
        bucket,
        ...figures(byBucket.get(`${final_decision}|${bucket}`) ?? NO_SUMS, true),
      }))
    ),
    by_regime: [...byRegime].sort(([a], [b]) =>
      a === null ? 1 : b === null ? -1 : a.localeCompare(b)
    ).map(([market_regime, sums]) => ({ market_regime, ...figures(sums, true) })),
  };
}

/** The council packet of the KST day `date`: its decisions and rejections with their outcomes. */
export async function dailyPacket(
  db: Kysely<Database>,
  date: string,
  thresholdPct: number,
): Promise<DailyPacket> {
  const range = { from: date, to: date };
  const decisions = await filteredDecisionOutcomes(db, "dailyPacket", range).orderBy("e.log_id")
    .execute();
  const vetoes = await filteredRejectionOutcomes(db, "dailyPacket", range).orderBy("e.log_id")
    .execute();
  const cases = decisions.map((decision) => ({ ...decision, case: packetCase(decision) }));
  const caseCounts: Record<PacketCase, number> = { BEST: 0, VIOLATION: 0, WORST: 0, NORMAL: 0 };
  for (const item of cases) caseCounts[item.case]++;
  const total = vetoes.length + decisions.length;
  return {
    date,
    veto_count: vetoes.length,
    decisions: decisions.length,
    no_trade_ratio: total === 0 ? null : vetoes.length / total,
    case_counts: caseCounts,
    cases,
    vetoes: vetoes.map((row) => toRejectionOutcome(row, thresholdPct)),
  };
}
