/**
 * The `flow` job for one stock: investor flows (FHKST01010900, the last 30 business days) and
 * daily program trading (FHPPG04650201) merged per trade date into `market_flow_snapshot` rows,
 * in shares and KRW. Every returned day is written, so a day missed earlier heals on the next run.
 *
 * @module
 */
import type { Archivist, WriteCounts } from "../db/archivist.ts";
import { FLOW_VALUE_COLUMNS, type FlowSnapshot, type FlowSnapshotRow } from "../db/schema.ts";
import { type InvestorFlowDay, KisUnsupportedError, type ProgramTradeDay } from "../src/kis/mod.ts";
import { getLogger } from "../src/log.ts";
import type { CollectorClient } from "./client.ts";
import { isReady } from "./dates.ts";

const log = getLogger("collect", "flow");

/** KIS reports investor values (`*_tr_pbmn`) in million KRW (백만원). */
export const KRW_PER_INVESTOR_VALUE_UNIT = 1_000_000;

function millionsToKrw(millions: number | null): number | null {
  // Rounded: KIS may send fractional 백만원 and floats must not leak into integer KRW columns.
  return millions === null ? null : Math.round(millions * KRW_PER_INVESTOR_VALUE_UNIT);
}

/**
 * Merges KIS investor and program days into flow rows, one per trade date present in either,
 * ascending. `isFinal` drops days whose figures are not final yet (today before 15:40 KST).
 */
export function flowSnapshotsOf(
  stockCode: string,
  investorDays: readonly InvestorFlowDay[],
  programDays: readonly ProgramTradeDay[],
  isFinal: (tradeDate: string) => boolean,
): FlowSnapshot[] {
  const investors = new Map(investorDays.map((day) => [day.tradeDate, day]));
  const programs = new Map(programDays.map((day) => [day.tradeDate, day]));
  const dates = [...new Set([...investors.keys(), ...programs.keys()])].filter(isFinal).sort();
  return dates.map((tradeDate) => {
    const investor = investors.get(tradeDate);
    const program = programs.get(tradeDate);
    return {
      stock_code: stockCode,
      trade_date: tradeDate,
      data_type: "DAILY",
      close_price: investor?.stck_clpr ?? program?.stck_clpr ?? null,
      volume: program?.acml_vol ?? null,
      individual_net_buy: investor?.prsn_ntby_qty ?? null,
      foreign_net_buy: investor?.frgn_ntby_qty ?? null,
      institution_net_buy: investor?.orgn_ntby_qty ?? null,
      program_net_buy: program?.whol_smtn_ntby_qty ?? null,
      individual_net_buy_value: millionsToKrw(investor?.prsn_ntby_tr_pbmn ?? null),
      foreign_net_buy_value: millionsToKrw(investor?.frgn_ntby_tr_pbmn ?? null),
      institution_net_buy_value: millionsToKrw(investor?.orgn_ntby_tr_pbmn ?? null),
      program_net_buy_value: program?.whol_smtn_ntby_tr_pbmn ?? null,
    };
  });
}

/**
 * Keeps stored figures where this run has none (null means "not reported this time", e.g. program
 * data on the virtual server), so a rerun never erases a value collected earlier.
 */
export function keepStoredValues(
  snapshots: readonly FlowSnapshot[],
  stored: readonly FlowSnapshotRow[],
): FlowSnapshot[] {
  const byDate = new Map(stored.map((row) => [row.trade_date, row]));
  return snapshots.map((snapshot) => {
    const previous = byDate.get(snapshot.trade_date);
    if (!previous) return snapshot;
    const merged: FlowSnapshot = { ...snapshot };
    for (const column of FLOW_VALUE_COLUMNS) merged[column] = snapshot[column] ?? previous[column];
    return merged;
  });
}

/** What a flow collector needs for one run. */
export interface FlowCollectorOptions {
  readonly archivist: Archivist;
  readonly client: CollectorClient;
  /** The run's trade date: its investor (and program, where offered) row must come back. */
  readonly tradeDate: string;
  /** The clock deciding which days are final. */
  readonly now: () => Date;
}

/**
 * A collector of one run's flows: call it per stock; it returns what was written, or throws when
 * KIS fails or does not report the run's trade date.
 */
export function createFlowCollector(
  options: FlowCollectorOptions,
): (stockCode: string) => Promise<WriteCounts> {
  const { archivist, client, tradeDate, now } = options;
  let programOffered = true;
  return async (stockCode) => {
    const investorDays = await client.investorFlows(stockCode);
    let programDays: ProgramTradeDay[] = [];
    if (programOffered) {
      try {
        programDays = await client.programTradeDaily(stockCode, tradeDate);
      } catch (error) {
        if (!(error instanceof KisUnsupportedError)) throw error;
        // Said once per run: the virtual server offers program data for no stock at all.
        programOffered = false;
        log.warning(
          "Program trading is not offered by this KIS environment: storing flows with program " +
            "columns empty. {reason}",
          { reason: error.message },
        );
      }
    }
    const instant = now();
    const snapshots = flowSnapshotsOf(
      stockCode,
      investorDays,
      programDays,
      (date) => isReady("flow", date, instant),
    );
    const day = snapshots.find((s) => s.trade_date === tradeDate);
    if (investorDays.length === 0) {
      throw new Error(
        `KIS returned no investor flows of ${stockCode}: check that the code is listed`,
      );
    }
    if (!day || day.individual_net_buy === null) {
      throw new Error(
        `KIS returned no investor flows of ${stockCode} for ${tradeDate}: inquire-investor ` +
          `reports only the last 30 business days (got ${investorDays.at(-1)?.tradeDate} to ` +
          `${investorDays[0].tradeDate})`,
      );
    }
    if (programOffered && day.program_net_buy === null) {
      throw new Error(
        `KIS returned no daily program trading of ${stockCode} for ${tradeDate} ` +
          `(got ${programDays.length} days ending there)`,
      );
    }
    const stored = await archivist.flowSnapshots(
      stockCode,
      snapshots[0].trade_date,
      snapshots[snapshots.length - 1].trade_date,
    );
    return await archivist.upsertFlowSnapshots(keepStoredValues(snapshots, stored));
  };
}
