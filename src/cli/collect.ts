/**
 * `deno task collect <flow|intraday|daily|all> [--date D | --from D --to D] [--codes C,C]
 * [--refetch] [--shard i/n] [--dry-run]`: one ad-hoc collection, then exit.
 *
 * Default day: per job, the latest trading day whose data is final (minute bars from that day's
 * close — 15:30, 16:30 on a CSAT day —, flows and daily candles ten minutes later). `--from/--to`
 * is a backfill over the trading days in between; a date after today is a usage error. Stocks
 * whose data of a day is already stored are not fetched again unless `--refetch` (to pick up KIS's
 * corrections).
 * Exit 0 when every stock was collected (closed days included), 1 when some stock failed or a day
 * could not be collected now (all recorded), 2 on a usage or configuration error (nothing to
 * collect, a day KIS cannot serve with these keys, refused credentials).
 *
 * @module
 */
import cliProgress from "cli-progress";
import { Argument, Command } from "commander";
import type { Archivist } from "../../db/archivist.ts";
import { COLLECTION_JOBS, type CollectionJob } from "../../db/schema.ts";
import { CalendarRefresher } from "../../collectors/calendar.ts";
import { latestReadyTradeDate } from "../../collectors/dates.ts";
import { type JobContext, JOBS, jobTargets, noTargetsReason } from "../../collectors/jobs.ts";
import { runCollection, type RunObserver, type RunReport } from "../../collectors/run.ts";
import { KisClient, KisCredentialsError } from "../kis/mod.ts";
import { isStockCode } from "../stock_code.ts";
import { parseShard, type Shard } from "../../collectors/shard.ts";
import type { ProgressBar } from "./progress.ts";
import { datesBetween, kstDate } from "../time.ts";
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
  readonly refetch: boolean;
  /** This collector's part of the targets when several split them (else `ARCHIVIST_SHARD`). */
  readonly shard?: Shard;
}

/** A date option that must be a date and not after today: there is nothing to collect yet. */
function checkDate(flag: string, value: string | undefined, today: string): string | undefined {
  checkDateOption(flag, value);
  if (value !== undefined && value > today) {
    throw new UsageError(
      `${flag}: ${value} is after today (${today} KST): there is nothing to collect yet`,
    );
  }
  return value;
}

/** Parses and checks the arguments; throws {@link UsageError} naming the bad one. */
function parseArgs(argv: readonly string[]): CollectArgs {
  const program = new Command("collect")
    .description(
      "Collect market flows, minute bars and/or daily candles from KIS into the archive, then exit.",
    )
    .addArgument(
      new Argument("<job>", "what to collect").choices([...COLLECTION_JOBS, "all"]),
    )
    .option("--date <YYYY-MM-DD>", "the trading day (default: the latest one whose data is final)")
    .option("--from <YYYY-MM-DD>", "backfill: first day")
    .option("--to <YYYY-MM-DD>", "backfill: last day (default: the latest final day)")
    .option("--codes <codes>", "stock codes besides the collection targets, e.g. 005930,000660")
    .option("--refetch", "ask KIS again for stocks already stored (to pick up corrections)", false)
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
    refetch: boolean;
    shard?: string;
  }>();
  let shard: Shard | undefined;
  try {
    shard = options.shard === undefined ? undefined : parseShard(options.shard);
  } catch (error) {
    throw new UsageError(`--shard: ${(error as Error).message}`);
  }
  const today = kstDate(new Date());
  const date = checkDate("--date", options.date, today);
  const from = checkDate("--from", options.from, today);
  const to = checkDate("--to", options.to, today);
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
    refetch: options.refetch,
    shard,
  };
}

/** A run to make. */
interface PlannedRun {
  readonly job: CollectionJob;
  readonly tradeDate: string;
}

/** The (job, day) pairs the arguments ask for, oldest first, jobs in table order on a day. */
function plannedRuns(args: CollectArgs, archivist: Archivist, now: Date): PlannedRun[] {
  const isOpen = (d: string) => archivist.isTradingDay(d);
  const runs: PlannedRun[] = [];
  for (const job of args.jobs) {
    if (args.date) {
      runs.push({ job, tradeDate: args.date });
    } else if (args.from) {
      const to = args.to ?? latestReadyTradeDate(job, now, archivist);
      for (const tradeDate of datesBetween(args.from, to).filter(isOpen)) {
        runs.push({ job, tradeDate });
      }
    } else {
      runs.push({ job, tradeDate: latestReadyTradeDate(job, now, archivist) });
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
  now: Date,
): Promise<void> {
  let total = 0;
  const earlierDays = new Map<CollectionJob, string[]>();
  for (const { job, tradeDate } of runs) {
    if (!archivist.isTradingDay(tradeDate)) {
      console.log(`${job} ${tradeDate}: market closed, nothing to collect`);
      continue;
    }
    const spec = JOBS[job];
    const { targets } = await jobTargets(archivist, job, tradeDate, args.codes, args.shard);
    const context: JobContext = {
      archivist,
      client,
      calendar: archivist,
      tradeDate,
      session: archivist.session(tradeDate),
      today: kstDate(now),
      now: () => now,
      codes: args.codes,
    };
    const stored = args.refetch ? new Set<string>() : await spec.stored(context, targets);
    const fetched = targets.filter((code) => !stored.has(code));
    const earlier = earlierDays.get(job) ?? [];
    earlierDays.set(job, [...earlier, tradeDate]);
    let plan;
    try {
      plan = await spec.plannedCalls(context, fetched, earlier);
    } catch (error) {
      console.log(`${job} ${tradeDate}: cannot collect: ${(error as Error).message}`);
      continue;
    }
    total += plan.calls;
    const storedNote = stored.size > 0 ? `; ${stored.size} already stored` : "";
    console.log(
      plan.perStock === undefined
        ? `${job} ${tradeDate}: ${fetched.length} stocks, ${plan.calls} KIS calls (${spec.what}` +
          `${plan.detail ? `; ${plan.detail}` : ""})${storedNote}`
        : `${job} ${tradeDate}: ${fetched.length} stocks × ${plan.perStock} calls (${spec.what}` +
          `${plan.detail ? `, ${plan.detail}` : ""}) = ${plan.calls} KIS calls${storedNote}`,
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
            `${p.stockCode} ${p.error ? `failed: ${p.error}` : p.note ? `ok (${p.note})` : "ok"}`,
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
  // A run that stopped before any stock says why (a refused split, refused credentials).
  const before = report.status === "failed" && report.stocksTotal === 0 && report.reason;
  if (report.status === "skipped" || before) return `${head} (${report.reason})`;
  const { inserted, updated, unchanged } = report.writes;
  const stored = report.alreadyStored > 0
    ? ` (${report.alreadyStored} already stored; --refetch asks KIS again)`
    : "";
  return `${head}, ${report.stocksDone}/${report.stocksTotal} stocks${stored}, ` +
    `${report.rowsWritten} rows written (${inserted} new, ${updated} changed, ` +
    `${unchanged} unchanged), ${report.kisCalls} KIS calls, ${report.seconds.toFixed(1)} s`;
}

/** The exit code of a finished collection. */
function exitCodeOf(reports: readonly RunReport[]): number {
  if (reports.some((r) => r.credentialsRejected)) return EXIT_USAGE;
  const failed = reports.some((r) => r.stocksFailed > 0 || r.status === "failed" || r.retryLater);
  return failed ? EXIT_FAILED : 0;
}

/**
 * Refuses what cannot be collected with one line each: jobs with no stock to collect (no targets
 * and no codes given), or days the KIS environment cannot serve; returns the runs left. Exits 2
 * when none is.
 */
async function collectableRuns(
  runs: readonly PlannedRun[],
  args: CollectArgs,
  archivist: Archivist,
  client: KisClient,
  now: Date,
): Promise<PlannedRun[]> {
  const idle: CollectionJob[] = [];
  for (const job of new Set(runs.map((r) => r.job))) {
    const latest = runs.filter((r) => r.job === job).at(-1)!.tradeDate;
    if (
      args.codes.length === 0 && (await JOBS[job].targets(archivist, latest, [])).length === 0
    ) idle.push(job);
  }
  if (idle.length === new Set(runs.map((r) => r.job)).size) {
    exitOnUsageError(new UsageError(`Nothing collected: ${noTargetsReason(idle)}.`));
  }
  const today = kstDate(now);
  const left: PlannedRun[] = [];
  const refused = new Map<string, string[]>();
  for (const run of runs) {
    const reason = idle.includes(run.job)
      ? noTargetsReason([run.job])
      : JOBS[run.job].unavailable(client, run.tradeDate, today);
    if (!reason) left.push(run);
    else refused.set(reason, [...(refused.get(reason) ?? []), `${run.job} ${run.tradeDate}`]);
  }
  for (const [reason, which] of refused) {
    console.error(`Not collected: ${which.join(", ")}: ${reason}`);
  }
  if (left.length === 0) Deno.exit(EXIT_USAGE);
  return left;
}

async function main(): Promise<number> {
  const parsed = (() => {
    try {
      return parseArgs(Deno.args);
    } catch (error) {
      return exitOnUsageError(error);
    }
  })();
  const interactive = Deno.stdout.isTerminal() && !parsed.dryRun;
  await using command = await startCommand("collect.jsonl", { console: !interactive });
  const { config, archivist } = command;
  // This host's part of the targets: --shard, else the service's ARCHIVIST_SHARD.
  const args = { ...parsed, shard: parsed.shard ?? config.shard };
  if (!config.kis) exitOnUsageError(missingCredentials());
  const client = KisClient.fromSettings(config.kis);
  const now = new Date();
  const calendar = new CalendarRefresher(archivist, client);
  if (!args.dryRun && !args.date) {
    await calendar.refresh(now).catch((error) =>
      exitOnUsageError(error instanceof KisCredentialsError ? new UsageError(error.message) : error)
    );
  }
  const planned = plannedRuns(args, archivist, now);
  if (planned.length === 0) {
    console.log(`No trading day between ${args.from} and ${args.to ?? "the latest final day"}.`);
    return 0;
  }
  const runs = await collectableRuns(planned, args, archivist, client, now);
  if (args.dryRun) {
    await printDryRun(runs, args, archivist, client, now);
    return 0;
  }
  const reports: RunReport[] = [];
  const deps = { archivist, client, calendar, observer: progressObserver(interactive) };
  for (const { job, tradeDate } of runs) {
    reports.push(
      await runCollection(deps, {
        job,
        tradeDate,
        trigger: "manual",
        codes: args.codes,
        refetch: args.refetch,
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
    for (const { stockCode, note } of report.notes) {
      console.log(`    ${stockCode === "*" ? "note" : stockCode}: ${note}`);
    }
  }
  const code = exitCodeOf(reports);
  if (code === EXIT_USAGE) {
    console.error("KIS refused the credentials: check KIS_APP_KEY, KIS_APP_SECRET and KIS_ENV.");
  }
  return code;
}

Deno.exitCode = await main();
