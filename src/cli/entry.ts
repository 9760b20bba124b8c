/**
 * What every Archivist command does first: load the configuration, set up logging, open (and so
 * migrate) the archive; and how it fails: one clear message and exit code 2 (README: Commands).
 *
 * @module
 */
import process from "node:process";
import { type Command, CommanderError } from "commander";
import { ArchiveFileError, Archivist } from "../../db/archivist.ts";
import {
  ArchiveLocationError,
  ArchiveUnreachableError,
  locationSecrets,
  parseArchiveLocation,
} from "../../db/dialect.ts";
import { SchemaTooNewError } from "../../db/migrations.ts";
import { type Config, ConfigError, loadConfig } from "../config.ts";
import { tokenCacheProblem } from "../kis/token.ts";
import { getLogger, setupLogging } from "../log.ts";
import { SessionRules } from "../session.ts";
import { isTradeDate } from "../time.ts";

/** Exit code of a usage or configuration error (README: Commands). */
export const EXIT_USAGE = 2;

/** A usage mistake: printed as is, exits with {@link EXIT_USAGE}. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** A started command: its configuration, its archive, and how to close both. */
export interface CommandContext extends AsyncDisposable {
  readonly config: Config;
  readonly archivist: Archivist;
}

/** Options of {@link startCommand}. */
export interface StartOptions {
  /** Log to the terminal too (default true); off where a progress bar owns it. */
  readonly console?: boolean;
  /**
   * Whether the command writes to the archive: `required` ends with exit 2 on a read-only
   * archive; `optional` (the service, read-only commands) warns and goes on. Default `required`.
   */
  readonly writes?: "required" | "optional";
  /**
   * The command only reads an archive that should be there (`report`): a SQLite file that does
   * not exist ends with exit 2 instead of being created empty. Default false.
   */
  readonly existing?: boolean;
}

/**
 * Refuses a SQLite archive path where no file exists: a read-only command would otherwise create
 * an empty archive there (folders included) and answer from it as if nothing had been logged.
 */
async function refuseMissingArchive(location: string): Promise<void> {
  const parsed = parseArchiveLocation(location);
  if (parsed.dialect !== "sqlite" || parsed.path === ":memory:") return;
  try {
    await Deno.stat(parsed.path);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) return; // Opening names other problems.
    exitOnUsageError(
      new UsageError(
        `ARCHIVIST_DB=${parsed.path}: no archive there (nothing was created). Check ` +
          "ARCHIVIST_DB (the service's default is data/archivist.db), or create an archive with " +
          "`deno task migrate`.",
      ),
    );
  }
}

/**
 * Makes every file and folder this process creates private (0600 / 0700): the archive, its
 * `-wal`/`-shm`, logs, backups. Decisions are a trading strategy.
 */
export function createPrivateFiles(): void {
  process.umask(0o077);
}

/**
 * Loads the configuration, sets up logging (terminal + `logs/<logFile>`) and opens the archive.
 * Configuration and schema problems end the process with exit code 2 and one message.
 */
export async function startCommand(
  logFile: string,
  options: StartOptions = {},
): Promise<CommandContext> {
  createPrivateFiles();
  const config = await loadConfig().catch(exitOnUsageError);
  if (options.existing) await refuseMissingArchive(config.databasePath);
  const cacheProblem = config.kis && await tokenCacheProblem(config.kis.tokenCachePath);
  if (cacheProblem) exitOnUsageError(new ConfigError([`KIS_TOKEN_CACHE: ${cacheProblem}`]));
  const logging = await setupLogging({
    logDir: config.logDir,
    fileName: logFile,
    console: options.console,
    level: config.logLevel,
    secrets: [
      config.kis?.appKey,
      config.kis?.appSecret,
      config.token,
      config.alertWebhook,
      ...locationSecrets(config.databasePath),
    ].filter((s): s is string => s !== undefined),
  }).catch((error) =>
    exitOnUsageError(
      new ConfigError([
        `ARCHIVIST_LOG_DIR: the log folder ${JSON.stringify(config.logDir)} cannot be used (${
          (error as Error).message.replace(/ \(os error \d+\)/, "")
        }); set ARCHIVIST_LOG_DIR to a folder this user can create and write`,
      ]),
    )
  );
  const archivist = await Archivist.open(config.databasePath, {
    sync: config.sync,
    lockTimeoutMs: config.lockTimeoutMs,
    sessions: new SessionRules(config.sessions),
  }).catch(exitOnUsageError);
  if (archivist.readOnly) {
    const problem = `The archive ${archivist.path} is read-only for this process`;
    if ((options.writes ?? "required") === "required") {
      await archivist.close();
      await logging[Symbol.asyncDispose]();
      exitOnUsageError(
        new UsageError(
          `ARCHIVIST_DB=${archivist.path}: ${problem}, and this command writes to it. Make the ` +
            "file and its folder writable by this user (or remount the file system read-write).",
        ),
      );
    }
    getLogger("archive").warning(
      `${problem}: reads are served, every write is refused. Make the file and its folder ` +
        "writable and restart to accept writes.",
    );
  }
  return {
    config,
    archivist,
    async [Symbol.asyncDispose]() {
      await archivist.close();
      await logging[Symbol.asyncDispose]();
    },
  };
}

/** Prints a configuration, schema or usage error and exits 2; rethrows anything else. */
export function exitOnUsageError(error: unknown): never {
  if (
    error instanceof ConfigError || error instanceof SchemaTooNewError ||
    error instanceof UsageError || error instanceof ArchiveFileError ||
    error instanceof ArchiveLocationError || error instanceof ArchiveUnreachableError
  ) {
    console.error(error.message);
    Deno.exit(EXIT_USAGE);
  }
  throw error;
}

/**
 * Parses `argv` with `program` (set up with `exitOverride()`): `--help` exits 0; a commander
 * error becomes a {@link UsageError} pointing at `deno task <task> --help`.
 */
export function parseCommandLine(program: Command, argv: readonly string[], task: string): void {
  try {
    program.parse([...argv], { from: "user" });
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.exitCode === 0) Deno.exit(0);
      throw new UsageError(
        `${error.message.replace(/^error: /, "")}\nRun \`deno task ${task} --help\` for usage.`,
      );
    }
    throw error;
  }
}

/** `value` of the date option `flag` if it is a calendar date `YYYY-MM-DD`; refused otherwise. */
export function checkDateOption(flag: string, value: string | undefined): string | undefined {
  if (value !== undefined && !isTradeDate(value)) {
    throw new UsageError(`${flag}: expected a date as YYYY-MM-DD (got ${JSON.stringify(value)})`);
  }
  return value;
}

/**
 * Runs a commander program on this process's arguments: `--help` exits 0, a usage mistake 2 with
 * commander's message, a configuration error 2 with its message; anything else is thrown.
 */
export async function runProgram(program: Command): Promise<void> {
  try {
    await program.parseAsync(Deno.args, { from: "user" });
  } catch (error) {
    if (error instanceof CommanderError) Deno.exit(error.exitCode === 0 ? 0 : EXIT_USAGE);
    exitOnUsageError(error);
  }
}
