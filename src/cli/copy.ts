/**
 * `deno task copy <from> <to>`: copies a whole archive from one database to another, SQLite to
 * PostgreSQL or back (each named as `ARCHIVIST_DB` would name it), then verifies every table by
 * row count and checksum. Idempotent and resumable: run it again after a stop and it continues
 * where the target's rows end; run it again after a copy and it writes nothing.
 *
 * Exit 0 when every table verified, 1 when one did not (or the copy failed), 2 on a usage error.
 *
 * @module
 */
import cliProgress from "cli-progress";
import { Command } from "commander";
import { Archivist, type CopyObserver, type CopyReport } from "../../db/archivist.ts";
import { ArchiveLocationError, describeLocation, parseArchiveLocation } from "../../db/dialect.ts";
import { loadConfig } from "../config.ts";
import { getLogger, setupLogging } from "../log.ts";
import { exitOnUsageError, parseCommandLine, UsageError } from "./entry.ts";
import type { ProgressBar } from "./progress.ts";

const log = getLogger("copy");

/** Parses `<from> <to>`; throws {@link UsageError} naming a bad one. */
function parseArgs(argv: readonly string[]): { from: string; to: string } {
  const program = new Command("copy")
    .description(
      "Copy a whole archive between databases (a SQLite file or a postgres:// URL), resuming " +
        "where a stopped copy ended, and verify every table by row count and checksum.",
    )
    .argument("<from>", "the archive to copy: a SQLite file or postgres://user:pass@host/db")
    .argument("<to>", "where to copy it: a SQLite file (created) or a PostgreSQL database")
    .exitOverride();
  parseCommandLine(program, argv, "copy");
  const [from, to] = program.args;
  for (const [name, value] of [["<from>", from], ["<to>", to]]) {
    try {
      parseArchiveLocation(value);
    } catch (error) {
      if (error instanceof ArchiveLocationError) throw new UsageError(`${name}: ${error.message}`);
      throw error;
    }
  }
  // Opening a missing file would create an empty archive and "copy" it, verified: a typo.
  const source = parseArchiveLocation(from);
  if (source.dialect === "sqlite" && !isFile(source.path)) {
    throw new UsageError(
      `<from>: there is no archive file at ${source.path}; name an existing SQLite archive ` +
        "(ARCHIVIST_DB's, e.g. data/archivist.db) or a postgres:// URL",
    );
  }
  if (from === to) throw new UsageError("<from> and <to> are the same archive: nothing to copy");
  return { from, to };
}

function isFile(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

/** Progress per table: a bar on a terminal, a line per table otherwise. */
function progressObserver(interactive: boolean): CopyObserver & { stop(): void } {
  let bar: ProgressBar | undefined;
  let inserted = 0;
  let resumedAt = 0;
  const stop = () => {
    bar?.stop();
    bar = undefined;
  };
  if (!interactive) {
    return {
      tableStarted: (table, source, target) =>
        console.log(`${table}: ${source} rows at the source, ${target} at the target`),
      verifying: (table) => console.log(`verifying ${table}`),
      stop,
    };
  }
  return {
    tableStarted(table, source, _target, skipped) {
      stop();
      bar = new cliProgress.SingleBar({
        format: `${table.padEnd(22)} [{bar}] {value}/{total} rows read | {inserted} new | ` +
          "{eta_formatted} left",
        hideCursor: true,
      }, cliProgress.Presets.shades_classic) as ProgressBar;
      // A resumed copy starts past the rows the target has.
      bar.start(source, skipped, { inserted: 0 });
      inserted = 0;
      resumedAt = skipped;
    },
    pageCopied(_table, read, added) {
      inserted += added;
      bar?.update(resumedAt + read, { inserted });
    },
    verifying(table) {
      stop();
      console.log(`verifying ${table}`);
    },
    stop,
  };
}

function printReport(report: CopyReport): void {
  const width = Math.max(...report.tables.map((t) => t.table.length));
  for (const t of report.tables) {
    console.log(
      `${t.verified ? "✓" : "✗"} ${
        t.table.padEnd(width)
      }  ${t.sourceRows} rows → ${t.targetRows} ` +
        `(${t.inserted} copied now)  sha256 ${t.sourceChecksum.slice(0, 16)}` +
        (t.verified ? "" : ` ≠ ${t.targetChecksum.slice(0, 16)}`),
    );
  }
}

const passwordOf = (location: string): string[] => {
  const where = parseArchiveLocation(location);
  if (where.dialect !== "postgres") return [];
  const password = decodeURIComponent(new URL(where.url).password);
  return password === "" ? [] : [password];
};

const { from, to } = (() => {
  try {
    return parseArgs(Deno.args);
  } catch (error) {
    return exitOnUsageError(error);
  }
})();
const config = await loadConfig().catch(exitOnUsageError);
const interactive = Deno.stdout.isTerminal();
await using _logging = await setupLogging({
  logDir: config.logDir,
  fileName: "copy.jsonl",
  console: !interactive,
  level: config.logLevel,
  secrets: [...passwordOf(from), ...passwordOf(to)],
});
const fromName = describeLocation(parseArchiveLocation(from));
const toName = describeLocation(parseArchiveLocation(to));
let exitCode = 0;
try {
  await using source = await Archivist.open(from);
  await using target = await Archivist.open(to);
  console.log(`Copying ${fromName} (${source.dialect}) into ${toName} (${target.dialect})`);
  const progress = progressObserver(interactive);
  const report = await source.copyTo(target, progress).finally(() => progress.stop());
  printReport(report);
  log.info("Copied {from} into {to}: {verified}", {
    from: fromName,
    to: toName,
    verified: report.verified ? "verified" : "NOT verified",
    tables: report.tables,
  });
  if (report.verified) {
    console.log("Every table verified: same rows, same checksum.");
  } else {
    exitCode = 1;
    console.error(
      "Some tables differ (✗): the target had rows of its own or other values under the same " +
        "keys. Copy into an empty database, or remove those rows and run the copy again.",
    );
  }
} catch (error) {
  exitOnUsageError(error);
  exitCode = 1;
  log.error("Copy of {from} into {to} failed: {error}", { from: fromName, to: toName, error });
  console.error(
    `The copy stopped: ${(error as Error).message}\nWhat was copied is kept; run the same ` +
      "command again to resume.",
  );
}
Deno.exitCode = exitCode;
