/**
 * `deno task collect <flow|intraday|daily|all> [--date D | --from D --to D] [--codes C,C]
 * [--shard i/n] [--dry-run]`: one ad-hoc collection, then exit.
 *
 * Default day: per job, the latest trading day whose data is final (minute bars from the 15:30
 * close, flows from 15:40 KST). `--from/--to` is a backfill over the trading days in between.
 * Exit 0 when every stock was collected (skipped runs included), 1 when some stock failed or the
 * collection could not run (all recorded), 2 on a usage or configuration error.
 *
 * @module
 */
import cliProgress from "cli-progress";
import { Argument, Command } from "commander";
import type { Archivist } from "../../db/archivist.ts";
import { COLLECTION_JOBS, type CollectionJob } from "../../db/schema.ts";
import { refreshMarketCalendar } from "../../collectors/calendar.ts";
import { latestReadyTradeDate } from "../../collectors/dates.ts";
import { LEASE_BUSY_REASON } from "../../collectors/lease.ts";
import {
  collectionTargetsOf,
  runCollection,
  type RunObserver,
  type RunReport,
} from "../../collectors/run.ts";
import { FIRST_HISTORY_DAYS } from "../../collectors/daily.ts";
import type { KisEnv } from "../config.ts";
import { KisClient, KisCredentialsError, plannedDailyPages } from "../kis/mod.ts";
import { isStockCode } from "../stock_code.ts";
import { parseShard, type Shard } from "../../collectors/shard.ts";
import type { ProgressBar } from "./progress.ts";
import { datesBetween } from "../time.ts";
import {
  checkDateOption,
  EXIT_USAGE,
  exitOnUsageError,
  parseCommandLine,
  startCommand,
  UsageError,
} from "./entry.ts";

/** Exit code when some stock failed or a run could not collect. */
const EXIT_FAILED = 1;

/** The parsed command line. */
interface CollectArgs {
  readonly jobs: readonly CollectionJob[];
  readonly date?: string;
  readonly from?: string;
  readonly to?: string;
  readonly codes: readonly string[];
  readonly dryRun: boolean;
  /** This collector's part of the targets when several split them. */
  readonly shard?: Shard;
}

/** Parses and checks the arguments; throws {@link UsageError} naming the bad one. */
function parseArgs(argv: readonly string[]): CollectArgs {
  const program = new Command("collect")
    .description(
      "Collect market flows, minute bars and/or daily candles from KIS into the archive, then exit.",
    )
    .addArgument(
      new Argument("<job>", "what to collect").choices(["flow", "intraday", "daily", "all"]),
    )
    .option("--date <YYYY-MM-DD>", "the trading day (default: the latest one whose data is final)")
    .option("--from <YYYY-MM-DD>", "backfill: first day")
    .option("--to <YYYY-MM-DD>", "backfill: last day (default: the latest final day)")
    .option("--codes <codes>", "stock codes besides the collection targets, e.g. 005930,000660")
    .option("--dry-run", "print targets and planned KIS calls; send nothing", false)
    .option(
      "--shard <i/n>",
      "collect only part i of n of the targets (by a stable hash of the stock code), so n hosts " +
        "split them",
    )
    .exitOverride()
    .configureOutput({ writeErr: () => {} })
    .showHelpAfterError(false);
  parseCommandLine(program, argv, "collect");
  const job = program.args[0] as CollectionJob | "all";
  const options = program.opts<{
    date?: string;
    from?: string;
    to?: string;
    codes?: string;
    dryRun: boolean;
    shard?: string;
  }>();
  let shard: Shard | undefined;
  try {
    shard = options.shard === undefined ? undefined : parseShard(options.shard);
  } catch (error) {
    throw new UsageError(`--shard: ${(error as Error).message}`);
  }
  const date = checkDateOption("--date", options.date);
  const from = checkDateOption("--from", options.from);
  const to = checkDateOption("--to", options.to);
  if (date && (from || to)) {
    throw new UsageError("--date cannot be combined with --from/--to: give one day or a range");
  }
  if (to && !from) throw new UsageError("--to needs --from: give the first day of the backfill");
  if (from && to && from > to) throw new UsageError(`--from ${from} is after --to ${to}`);
  const codes = (options.codes ?? "").split(",").map((c) => c.trim()).filter((c) => c !== "");
  const bad = codes.filter((c) => !isStockCode(c));
  if (bad.length > 0) {
    throw new UsageError(
      `--codes: ${bad.join(", ")} ${bad.length > 1 ? "are not KRX codes" : "is not a KRX code"}` +
        " (expected six characters like 005930, or Q and six digits)",
    );
  }
  return {
    jobs: job === "all" ? COLLECTION_JOBS : [job],
    date,
    from,
    to,
    codes: [...new Set(codes)],
    dryRun: options.dryRun,
    shard,
  };
}

/** A run to make. */
interface PlannedRun {
  readonly job: CollectionJob;
  readonly tradeDate: string;
}

/** The (job, day) pairs the arguments ask for, oldest first, flows before bars on a day. */
function plannedRuns(args: CollectArgs, archivist: Archivist, now: Date): PlannedRun[] {
  const isOpen = (d: string) => archivist.isTradingDay(d);
  const runs: PlannedRun[] = [];
  for (const job of args.jobs) {
    if (args.date) {
      runs.push({ job, tradeDate: args.date });
    } else if (args.from) {
      const to = args.to ?? latestReadyTradeDate(job, now, isOpen);
      for (const tradeDate of datesBetween(args.from, to).filter(isOpen)) {
        runs.push({ job, tradeDate });
      }
    } else {
      runs.push({ job, tradeDate: latestReadyTradeDate(job, now, isOpen) });
    }
  }
  return runs.sort((a, b) =>
    a.tradeDate.localeCompare(b.tradeDate) ||
    COLLECTION_JOBS.indexOf(a.job) - COLLECTION_JOBS.indexOf(b.job)
  );
}

function missingCredentials(): UsageError {
  return new UsageError(
    "KIS credentials are missing: set KIS_APP_KEY and KIS_APP_SECRET (in the environment or a " +
      ".env file) to collect.\nNo KIS account? Run `deno task sim` for the bundled simulator and " +
      "point KIS_BASE_URL at it with the demo key and secret it prints.",
  );
}

/** Prints the targets and planned KIS calls of each run, sending nothing. */
async function printDryRun(
  runs: readonly PlannedRun[],
  args: CollectArgs,
  archivist: Archivist,
  client: KisClient,
  env: KisEnv,
): Promise<void> {
  let total = 0;
  // A backfill collects a stock's history on its first day only.
  const firstCollections = new Set<string>();
  for (const { job, tradeDate } of runs) {
    if (!archivist.isTradingDay(tradeDate)) {
      console.log(`${job} ${tradeDate}: market closed, nothing to collect`);
      continue;
    }
    const targets = await collectionTargetsOf(archivist, job, tradeDate, args.codes, args.shard);
    let perStock: number;
    let how: string;
    try {
      if (job === "daily") {
        // A stock seen for the first time needs its history; the others one page.
        const spans = await Promise.all(targets.map((code) => archivist.dailyPriceSpan(code)));
        const first = targets.filter((code, i) => spans[i] === null && !firstCollections.has(code));
        first.forEach((code) => firstCollections.add(code));
        const calls = targets.length - first.length +
          first.length * plannedDailyPages(FIRST_HISTORY_DAYS);
        total += calls;
        console.log(
          `${job} ${tradeDate}: ${targets.length} stocks, ${calls} KIS calls (daily candles; ` +
            `${first.length} first collections of ${FIRST_HISTORY_DAYS} days)`,
        );
        if (targets.length > 0) console.log(`  targets: ${targets.join(", ")}`);
        continue;
      }
      if (job === "flow") {
        perStock = env === "real" ? 2 : 1;
        how = env === "real" ? "investor flows + daily program trading" : "investor flows only";
      } else {
        perStock = client.plannedCalls("sessionMinuteBars", tradeDate);
        how = "minute-bar pages";
      }
    } catch (error) {
      console.log(`${job} ${tradeDate}: cannot collect: ${(error as Error).message}`);
      continue;
    }
    total += perStock * targets.length;
    console.log(
      `${job} ${tradeDate}: ${targets.length} stocks × ${perStock} calls (${how}) = ` +
        `${perStock * targets.length} KIS calls`,
    );
    if (targets.length > 0) console.log(`  targets: ${targets.join(", ")}`);
  }
  console.log(`dry run: ${total} KIS calls planned, none sent`);
}

/** Progress as a bar with counts and time left on a terminal, as plain lines otherwise. */
function progressObserver(interactive: boolean): RunObserver {
  if (!interactive) {
    return {
      runStarted: (run) => console.log(`${run.job} ${run.tradeDate}: ${run.stocksTotal} stocks`),
      stockFinished: (p) =>
        console.log(
          `${p.job} ${p.tradeDate} ${p.stocksDone + p.stocksFailed}/${p.stocksTotal} ` +
            `${p.stockCode} ${p.error ? `failed: ${p.error}` : "ok"}`,
        ),
    };
  }
  let bar: ProgressBar | undefined;
  return {
    runStarted(run) {
      bar = new cliProgress.SingleBar({
        format: `${run.job} ${run.tradeDate} [{bar}] {value}/{total} stocks | {failed} failed | ` +
          "{calls} KIS calls | {eta_formatted} left",
        hideCursor: true,
      }, cliProgress.Presets.shades_classic) as ProgressBar;
      bar.start(run.stocksTotal, 0, { failed: 0, calls: 0 });
    },
    stockFinished(p) {
      bar?.update(p.stocksDone + p.stocksFailed, { failed: p.stocksFailed, calls: p.kisCalls });
    },
    runFinished() {
      bar?.stop();
      bar = undefined;
    },
  };
}

function summaryLine(report: RunReport): string {
  const head = `${report.job} ${report.tradeDate}: ${report.status}`;
  if (report.status === "skipped") return `${head} (${report.reason})`;
  const { inserted, updated, unchanged } = report.writes;
  return `${head}, ${report.stocksDone}/${report.stocksTotal} stocks, ${report.rowsWritten} rows ` +
    `written (${inserted} new, ${updated} changed, ${unchanged} unchanged), ` +
    `${report.kisCalls} KIS calls, ${report.seconds.toFixed(1)} s`;
}

/** The exit code of a finished collection. */
function exitCodeOf(reports: readonly RunReport[]): number {
  if (reports.some((r) => r.credentialsRejected)) return EXIT_USAGE;
  const failed = reports.some((r) =>
    r.stocksFailed > 0 || r.status === "failed" || r.reason === LEASE_BUSY_REASON
  );
  return failed ? EXIT_FAILED : 0;
}

async function main(): Promise<number> {
  const args = (() => {
    try {
      return parseArgs(Deno.args);
    } catch (error) {
      return exitOnUsageError(error);
    }
  })();
  const interactive = Deno.stdout.isTerminal() && !args.dryRun;
  await using command = await startCommand("collect.jsonl", { console: !interactive });
  const { config, archivist } = command;
  if (!config.kis) exitOnUsageError(missingCredentials());
  const client = KisClient.fromSettings(config.kis);
  const now = new Date();
  if (!args.dryRun && !args.date) {
    await refreshMarketCalendar(archivist, client, now).catch((error) =>
      exitOnUsageError(error instanceof KisCredentialsError ? new UsageError(error.message) : error)
    );
  }
  const runs = plannedRuns(args, archivist, now);
  if (runs.length === 0) {
    console.log(`No trading day between ${args.from} and ${args.to ?? "the latest final day"}.`);
    return 0;
  }
  if (args.dryRun) {
    await printDryRun(runs, args, archivist, client, config.kis.env);
    return 0;
  }
  const reports: RunReport[] = [];
  const deps = { archivist, client, observer: progressObserver(interactive) };
  for (const { job, tradeDate } of runs) {
    reports.push(
      await runCollection(deps, {
        job,
        tradeDate,
        trigger: "manual",
        codes: args.codes,
        shard: args.shard,
      }),
    );
  }
  console.log("Summary:");
  for (const report of reports) {
    console.log(`  ${summaryLine(report)}`);
    for (const failure of report.failures) {
      console.log(`    ${failure.stockCode}: ${failure.error}`);
    }
  }
  const code = exitCodeOf(reports);
  if (code === EXIT_USAGE) {
    console.error("KIS refused the credentials: check KIS_APP_KEY, KIS_APP_SECRET and KIS_ENV.");
  }
  return code;
}

Deno.exitCode = await main();
