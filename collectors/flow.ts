/**
 * The `flow` job for one stock: investor flows (FHKST01010900, the last 30 business days) and
 * daily program trading (FHPPG04650201, about 30 business days up to today) merged per trade date
 * into `market_flow_snapshot` rows, in shares and KRW.
 *
 * A row is stored only when all of its columns are known: a day both answers cover, whose
 * figures are final. (The virtual server offers no program data at all: there a row holds the
 * investor columns, and the program and volume columns stay empty — said once per run.) Every
 * such day of the two answers is written, so one stock's two calls cover a whole backfill of up
 * to 30 trading days, and a day missed earlier heals on the next run.
 *
 * Investor values come from KIS in million KRW (백만원) and are stored as KRW: multiples of
 * 1,000,000, not exact amounts.
 *
 * @module
 */
import type { Archivist } from "../db/archivist.ts";
import { FLOW_VALUE_COLUMNS, type FlowSnapshot, type FlowSnapshotRow } from "../db/schema.ts";
import type { InvestorFlowDay, ProgramTradeDay } from "../src/kis/mod.ts";
import { getLogger } from "../src/log.ts";
import type { CollectorClient } from "./client.ts";
import { isReady, type TradingCalendar } from "./dates.ts";
import { haltedNote, pastDayTrading } from "./day_trading.ts";
import { DayNotFinalError, type StockCollector } from "./stock_result.ts";

const log = getLogger("collect", "flow");

/** KIS reports investor values (`*_tr_pbmn`) in million KRW (백만원). */
export const KRW_PER_INVESTOR_VALUE_UNIT = 1_000_000;

/** Columns the virtual server cannot fill: it offers no program trading (and so no volume). */
const PROGRAM_COLUMNS = new Set<string>(["volume", "program_net_buy", "program_net_buy_value"]);

function millionsToKrw(millions: number | null): number | null {
  // Rounded: KIS may send fractional 백만원 and floats must not leak into integer KRW columns.
  return millions === null ? null : Math.round(millions * KRW_PER_INVESTOR_VALUE_UNIT);
}

/**
 * Whether KIS's investor row of a day looks unfinished: every class nets exactly zero although
 * the stock traded (KIS shows today's row with zeros until it finalises the figures).
 */
export function isUnfinishedInvestorDay(
  investor: InvestorFlowDay,
  program: ProgramTradeDay | undefined,
): boolean {
  const zero = [investor.prsn_ntby_qty, investor.frgn_ntby_qty, investor.orgn_ntby_qty]
    .every((net) => net === 0 || net === null);
  return zero && (program?.acml_vol ?? 0) > 0;
}

/**
 * Merges KIS investor and program days into complete flow rows, ascending: one per trade date
 * present in both answers (in the investor answer alone when `programOffered` is false), whose
 * figures `isFinal` and are not visibly unfinished.
 */
export function flowSnapshotsOf(
  stockCode: string,
  investorDays: readonly InvestorFlowDay[],
  programDays: readonly ProgramTradeDay[],
  programOffered: boolean,
  isFinal: (tradeDate: string) => boolean,
): FlowSnapshot[] {
  const programs = new Map(programDays.map((day) => [day.tradeDate, day]));
  return investorDays
    .filter((investor) => {
      const program = programs.get(investor.tradeDate);
      return (!programOffered || program !== undefined) && isFinal(investor.tradeDate) &&
        !isUnfinishedInvestorDay(investor, program);
    })
    .map((investor): FlowSnapshot => {
      const program = programs.get(investor.tradeDate);
      return {
        stock_code: stockCode,
        trade_date: investor.tradeDate,
        data_type: "DAILY",
        close_price: investor.stck_clpr ?? program?.stck_clpr ?? null,
        volume: program?.acml_vol ?? null,
        individual_net_buy: investor.prsn_ntby_qty,
        foreign_net_buy: investor.frgn_ntby_qty,
        institution_net_buy: investor.orgn_ntby_qty,
        program_net_buy: program?.whol_smtn_ntby_qty ?? null,
        individual_net_buy_value: millionsToKrw(investor.prsn_ntby_tr_pbmn),
        foreign_net_buy_value: millionsToKrw(investor.frgn_ntby_tr_pbmn),
        institution_net_buy_value: millionsToKrw(investor.orgn_ntby_tr_pbmn),
        program_net_buy_value: program?.whol_smtn_ntby_tr_pbmn ?? null,
      };
    })
    .filter((row) =>
      FLOW_VALUE_COLUMNS.every((c) =>
        row[c] !== null || (!programOffered && PROGRAM_COLUMNS.has(c))
      )
    )
    .sort((a, b) => a.trade_date.localeCompare(b.trade_date));
}

/**
 * Keeps stored figures where this run has none (null means "not reported here", e.g. program data
 * on the virtual server), so a rerun never erases a value collected earlier.
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

/** Whether a stored row holds every column the environment can fill. */
export function isCompleteFlowRow(row: FlowSnapshotRow, programOffered: boolean): boolean {
  return FLOW_VALUE_COLUMNS.every((c) =>
    row[c] !== null || (!programOffered && PROGRAM_COLUMNS.has(c))
  );
}

/** Of `stockCodes`, those whose flow row of `tradeDate` is stored complete. */
export async function storedFlowStocks(
  archivist: Archivist,
  tradeDate: string,
  stockCodes: readonly string[],
  programOffered: boolean,
): Promise<Set<string>> {
  const stored = new Set<string>();
  for (const stockCode of stockCodes) {
    const [row] = await archivist.flowSnapshots(stockCode, tradeDate, tradeDate);
    if (row && isCompleteFlowRow(row, programOffered)) stored.add(stockCode);
  }
  return stored;
}

/** What a flow collector needs for one run. */
export interface FlowCollectorOptions {
  readonly archivist: Archivist;
  readonly client: CollectorClient;
  /** Open days and their sessions: which days' figures are final. */
  readonly calendar: TradingCalendar;
  /** The run's trade date: its row must come back complete. */
  readonly tradeDate: string;
  /** The clock deciding which days are final. */
  readonly now: () => Date;
}

/**
 * A collector of one run's flows: call it per stock; it resolves with the complete rows of every
 * day KIS answered (the run's day among them), or throws when KIS fails or lacks that day.
 */
export function createFlowCollector(options: FlowCollectorOptions): StockCollector {
  const { archivist, client, calendar, tradeDate, now } = options;
  const programOffered = client.offers("programTradeDaily");
  if (!programOffered) {
    log.warning(
      "Program trading is not offered by this KIS environment (virtual): storing flows with the " +
        "program and volume columns empty",
    );
  }
  return async (stockCode) => {
    // Both answers settle before the stock is done: a failed one must not leave the other
    // request running (and writing the pacer's file) after the run has ended.
    const [investor, program] = await Promise.allSettled([
      client.investorFlows(stockCode),
      programOffered ? client.programTradeDaily(stockCode) : Promise.resolve([]),
    ]);
    if (investor.status === "rejected") throw investor.reason;
    if (program.status === "rejected") throw program.reason;
    const [investorDays, programDays] = [investor.value, program.value];
    if (investorDays.length === 0) {
      throw new Error(
        `KIS returned no investor flows of ${stockCode}: check that the code is listed`,
      );
    }
    const instant = now();
    const isFinal = (date: string) =>
      calendar.isTradingDay(date) && isReady("flow", calendar.session(date), instant);
    const snapshots = flowSnapshotsOf(
      stockCode,
      investorDays,
      programDays,
      programOffered,
      isFinal,
    );
    let note: string | undefined;
    if (!snapshots.some((s) => s.trade_date === tradeDate)) {
      const missing = missingDay(stockCode, tradeDate, investorDays, programDays, programOffered);
      // A server may leave a day without trades out of a series: a stock halted all day is done.
      // A day before the investor answer's oldest is out of KIS's window, not a halt to check.
      const oldest = investorDays.reduce(
        (min, day) => day.tradeDate < min ? day.tradeDate : min,
        investorDays[0].tradeDate,
      );
      if (missing instanceof DayNotFinalError || !isFinal(tradeDate) || tradeDate < oldest) {
        throw missing;
      }
      const day = await pastDayTrading(client, stockCode, tradeDate);
      if (day?.volume !== 0) throw missing;
      const investor = investorDays.find((d) => d.tradeDate === tradeDate);
      const halted = investor && haltedDayRow(stockCode, investor, isFinal);
      if (halted) snapshots.push(halted);
      snapshots.sort((a, b) => a.trade_date.localeCompare(b.trade_date));
      note = haltedNote(tradeDate) + (halted ? "" : "; KIS has no investor flows of that day");
    }
    const stored = snapshots.length === 0 ? [] : await archivist.flowSnapshots(
      stockCode,
      snapshots[0].trade_date,
      snapshots[snapshots.length - 1].trade_date,
    );
    const rows = keepStoredValues(snapshots, stored);
    return { write: () => archivist.upsertFlowSnapshots(rows), note };
  };
}

/**
 * The flow row of a day `stockCode` did not trade at all (KIS's daily candle shows volume 0) from
 * its investor row: no trade means a volume and program trading of exactly 0, which a server
 * that leaves the day out of the program series does not say itself.
 */
function haltedDayRow(
  stockCode: string,
  investor: InvestorFlowDay,
  isFinal: (tradeDate: string) => boolean,
): FlowSnapshot | undefined {
  const [row] = flowSnapshotsOf(stockCode, [investor], [], false, isFinal);
  return row && { ...row, volume: 0, program_net_buy: 0, program_net_buy_value: 0 };
}

/** Why the run's day has no complete row: not final yet, too old, or a missing program day. */
function missingDay(
  stockCode: string,
  tradeDate: string,
  investorDays: readonly InvestorFlowDay[],
  programDays: readonly ProgramTradeDay[],
  programOffered: boolean,
): Error {
  const investor = investorDays.find((d) => d.tradeDate === tradeDate);
  const program = programDays.find((d) => d.tradeDate === tradeDate);
  if (investor && (!programOffered || program) && isUnfinishedInvestorDay(investor, program)) {
    return new DayNotFinalError(
      `KIS has not finalised the investor flows of ${tradeDate} yet (${stockCode} nets zero ` +
        `although ${program?.acml_vol} shares traded): the session may have closed late`,
    );
  }
  if (!investor) {
    return new Error(
      `KIS returned no investor flows of ${stockCode} for ${tradeDate}: inquire-investor ` +
        `reports only the last 30 business days (got ${investorDays.at(-1)?.tradeDate} to ` +
        `${investorDays[0].tradeDate})`,
    );
  }
  return new Error(
    `KIS returned no daily program trading of ${stockCode} for ${tradeDate} ` +
      `(got ${programDays.length} days${
        programDays.length > 0
          ? ` from ${programDays.at(-1)?.tradeDate} to ${programDays[0].tradeDate}`
          : ""
      })`,
  );
}
