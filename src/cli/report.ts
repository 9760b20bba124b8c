/**
 * `deno task report <regret|scorecard|packet|outcomes> [--from D --to D | --date D]
 * [--format table|csv|json] [--threshold PCT] [--kind decisions|rejections|all] [--stock CODE]
 * [--status S]`: the outcome reports from the archive, the same Archivist methods the HTTP API
 * answers with. Exit 0, or 2 on a usage or configuration error.
 *
 * @module
 */
import { Argument, Command, Option } from "commander";
import type { Archivist, DecisionOutcome, RejectionOutcome } from "../../db/archivist.ts";
import { OUTCOME_STATUSES, type OutcomeStatus } from "../../db/schema.ts";
import { isStockCode } from "../stock_code.ts";
import { kstDate } from "../time.ts";
import {
  checkDateOption,
  exitOnUsageError,
  parseCommandLine,
  startCommand,
  UsageError,
} from "./entry.ts";
import {
  formatOutcomes,
  formatPacket,
  formatRegret,
  formatScorecard,
  REPORT_FORMATS,
  type ReportFormat,
} from "./report_format.ts";

const REPORTS = ["regret", "scorecard", "packet", "outcomes"] as const;
const KINDS = ["decisions", "rejections", "all"] as const;

/** The parsed command line. */
interface ReportArgs {
  readonly report: typeof REPORTS[number];
  readonly from?: string;
  readonly to?: string;
  readonly date?: string;
  readonly format: ReportFormat;
  readonly thresholdPct?: number;
  readonly kind: typeof KINDS[number];
  readonly stockCode?: string;
  readonly status?: OutcomeStatus;
}

/** Parses and checks the arguments; throws {@link UsageError} naming the bad one. */
function parseArgs(argv: readonly string[]): ReportArgs {
  const program = new Command("report")
    .description("Print an outcome report of the archive, then exit.")
    .addArgument(new Argument("<report>", "which report").choices(REPORTS))
    .option("--from <YYYY-MM-DD>", "first KST day of the entries (default: the first)")
    .option("--to <YYYY-MM-DD>", "last KST day of the entries (default: the last)")
    .option("--date <YYYY-MM-DD>", "one KST day (packet: default today)")
    .addOption(
      new Option("--format <format>", "output format").choices(REPORT_FORMATS).default("table"),
    )
    .option(
      "--threshold <pct>",
      "regret threshold in percent (default ARCHIVIST_REGRET_THRESHOLD_PCT)",
    )
    .addOption(new Option("--kind <kind>", "outcomes: which entries").choices(KINDS).default("all"))
    .option("--stock <code>", "outcomes: one stock")
    .addOption(new Option("--status <status>", "outcomes: one status").choices(OUTCOME_STATUSES))
    .exitOverride()
    .configureOutput({ writeErr: () => {} })
    .showHelpAfterError(false);
  parseCommandLine(program, argv, "report");
  const options = program.opts<{
    from?: string;
    to?: string;
    date?: string;
    format: ReportFormat;
    threshold?: string;
    kind: typeof KINDS[number];
    stock?: string;
    status?: OutcomeStatus;
  }>();
  const report = program.args[0] as typeof REPORTS[number];
  const from = checkDateOption("--from", options.from);
  const to = checkDateOption("--to", options.to);
  const date = checkDateOption("--date", options.date);
  if (date && (from || to)) {
    throw new UsageError("--date cannot be combined with --from/--to: give one day or a range");
  }
  if (from && to && from > to) throw new UsageError(`--from ${from} is after --to ${to}`);
  if (report === "packet" && (from || to)) {
    throw new UsageError("packet is the report of one day: give --date instead of --from/--to");
  }
  let thresholdPct: number | undefined;
  if (options.threshold !== undefined) {
    thresholdPct = Number(options.threshold);
    if (!Number.isFinite(thresholdPct) || thresholdPct <= 0 || thresholdPct > 1000) {
      throw new UsageError(
        `--threshold: expected a percentage above 0 and at most 1000 (got ${
          JSON.stringify(options.threshold)
        })`,
      );
    }
  }
  if (options.stock !== undefined && !isStockCode(options.stock)) {
    throw new UsageError(
      `--stock: ${options.stock} is not a KRX code (expected six characters like 005930)`,
    );
  }
  return {
    report,
    from: date ?? from,
    to: date ?? to,
    date,
    format: options.format,
    thresholdPct,
    kind: options.kind,
    stockCode: options.stock,
    status: options.status,
  };
}

/** Every page of a listing. */
async function allPages<T>(
  list: (cursor?: string) => Promise<{ items: readonly T[]; nextCursor: string | null }>,
): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | undefined;
  do {
    const page = await list(cursor);
    items.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return items;
}

/** The report the arguments ask for, formatted. */
async function render(
  args: ReportArgs,
  archivist: Archivist,
  thresholdPct: number,
): Promise<string> {
  const range = { from: args.from, to: args.to };
  switch (args.report) {
    case "regret":
      return formatRegret(await archivist.regretReport({ ...range, thresholdPct }), args.format);
    case "scorecard":
      return formatScorecard(await archivist.scorecard(range), args.format);
    case "packet":
      return formatPacket(
        await archivist.dailyPacket(args.date ?? kstDate(new Date()), { thresholdPct }),
        args.format,
      );
    case "outcomes": {
      const filter = { ...range, stockCode: args.stockCode, status: args.status, limit: 1000 };
      const decisions: DecisionOutcome[] | undefined = args.kind === "rejections"
        ? undefined
        : await allPages((cursor) => archivist.listDecisionOutcomes({ ...filter, cursor }));
      const rejections: RejectionOutcome[] | undefined = args.kind === "decisions"
        ? undefined
        : await allPages((cursor) =>
          archivist.listRejectionOutcomes({ ...filter, cursor, thresholdPct })
        );
      return formatOutcomes(decisions, rejections, args.format);
    }
  }
}

async function main(): Promise<number> {
  const args = (() => {
    try {
      return parseArgs(Deno.args);
    } catch (error) {
      return exitOnUsageError(error);
    }
  })();
  // Reports go to stdout; the log stays in its file so a CSV or JSON pipe carries nothing else.
  // Reads only: a read-only archive is reported as stored (outcome rows it lacks read pending).
  // Reads an archive that exists: a mistyped ARCHIVIST_DB is an error, not an empty report.
  await using command = await startCommand("report.jsonl", {
    console: false,
    writes: "optional",
    existing: true,
  });
  const { config, archivist } = command;
  const output = await render(args, archivist, args.thresholdPct ?? config.regretThresholdPct);
  console.log(output.trimEnd());
  return 0;
}

Deno.exitCode = await main();
