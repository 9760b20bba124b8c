/**
 * A synthetic Scout: the decisions and rejections Scout would log over some trading days, as
 * the dicts it POSTs (`docs/scout.md`), deterministic per seed. The demo logs a few weeks of them;
 * the outcomes benchmark a year.
 *
 * Scout runs up to 7 times a trading day (08:30–14:30 KST); Hunter rejects low scores, Judge
 * decides the rest or rejects them too, and a few decisions come after the close.
 *
 * @module
 */
import type { DecisionEntryInput, RejectionEntryInput } from "../../db/entries.ts";
import { SeededRandom } from "./random.ts";

/** A stock Scout looks at. */
export interface ScoutStock {
  readonly stock_code: string;
  readonly stock_name: string;
}

/** What to generate. */
export interface ScoutDays {
  /** Trading days (KST `YYYY-MM-DD`), any order. */
  readonly tradingDays: readonly string[];
  readonly stocks: readonly ScoutStock[];
  /** Decisions per day (default 12). */
  readonly decisionsPerDay?: number;
  /** Rejections per day (default 18). */
  readonly rejectionsPerDay?: number;
  /** Seed (default `scout`): the same seed gives the same entries. */
  readonly seed?: string;
  /** Prefix of each entry's `idempotency_key`, so logging them twice stores them once. */
  readonly keyPrefix?: string;
}

const RUN_TIMES = ["08:30", "09:30", "10:30", "11:30", "12:30", "13:30", "14:30"];
const REGIMES = ["BULL", "BEAR", "SIDEWAYS"];
const KEYWORDS = [
  "반도체",
  "HBM",
  "2차전지",
  "리튬",
  "조선",
  "방산",
  "바이오",
  "AI",
  "금리",
  "환율",
];
const HUNTER_REASONS = [
  "hunter score below 60",
  "거래대금 부족",
  "RSI overbought",
  "below 20-day moving average",
];
const JUDGE_REASONS = [
  "Bear case stronger: valuation stretched",
  "수급 악화: 외국인 순매도",
  "event risk before earnings",
  "momentum fading on volume",
];

function pick<T>(random: SeededRandom, items: readonly T[]): T {
  return items[random.int(0, items.length - 1)];
}

/** A score around `mean`, one decimal, within 0–100. */
function score(random: SeededRandom, mean: number, spread: number): number {
  return Math.round(Math.min(100, Math.max(0, mean + spread * random.normal())) * 10) / 10;
}

/** An instant of a KST day as ISO-8601 with offset. */
function at(day: string, hhmm: string, second: number): string {
  return `${day}T${hhmm}:${String(second).padStart(2, "0")}+09:00`;
}

/** The decisions and rejections Scout logs over `days.tradingDays`, oldest day first. */
export function scoutEntries(days: ScoutDays): {
  decisions: DecisionEntryInput[];
  rejections: RejectionEntryInput[];
} {
  const decisions: DecisionEntryInput[] = [];
  const rejections: RejectionEntryInput[] = [];
  const seed = days.seed ?? "scout";
  const perDay = { decisions: days.decisionsPerDay ?? 12, rejections: days.rejectionsPerDay ?? 18 };
  for (const day of [...days.tradingDays].sort()) {
    const random = new SeededRandom(seed, day);
    const regime = pick(random, REGIMES);
    for (let i = 0; i < perDay.decisions; i++) {
      const stock = pick(random, days.stocks);
      const hunter = score(random, 66, 14);
      const roll = random.next();
      const decision = roll < 0.35
        ? "BUY"
        : roll < 0.5
        ? "SELL"
        : roll < 0.85
        ? "HOLD"
        : "NO_DECISION";
      // About one decision in twenty is taken after the close: it applies to the next day.
      const time = random.chance(0.05) ? "16:10" : pick(random, RUN_TIMES);
      decisions.push({
        ...stock,
        hunter_score: hunter,
        market_regime: regime,
        dominant_keywords: [pick(random, KEYWORDS), pick(random, KEYWORDS)],
        debate_log: `Bull: ${pick(random, KEYWORDS)} momentum. Bear: ${
          pick(random, JUDGE_REASONS)
        }.`,
        thinking_called: random.chance(0.2),
        cost_estimate: Math.round(random.next() * 500) / 10_000,
        gate_result: random.chance(0.15) ? "REJECT" : "PASS",
        final_decision: decision,
        final_reason: `${decision} at hunter score ${hunter}`,
        decided_at: at(day, time, i % 60),
        idempotency_key: days.keyPrefix ? `${days.keyPrefix}:${day}:d${i}` : undefined,
      });
    }
    for (let i = 0; i < perDay.rejections; i++) {
      const stock = pick(random, days.stocks);
      const byHunter = random.chance(0.6);
      const hunter = byHunter ? score(random, 48, 8) : score(random, 68, 10);
      rejections.push({
        ...stock,
        rejection_stage: byHunter ? "HUNTER" : "JUDGE",
        rejection_reason: pick(random, byHunter ? HUNTER_REASONS : JUDGE_REASONS),
        hunter_score_at_time: hunter,
        trigger_type: byHunter ? "FILTER_REJECT" : "JUDGE_REJECT",
        trigger_value: byHunter ? hunter : score(random, 55, 10),
        logged_at: at(day, pick(random, RUN_TIMES), i % 60),
        idempotency_key: days.keyPrefix ? `${days.keyPrefix}:${day}:r${i}` : undefined,
      });
    }
  }
  return { decisions, rejections };
}
