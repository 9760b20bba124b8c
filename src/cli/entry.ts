/**
 * What every Archivist command does first: load the configuration, set up logging, open (and so
 * migrate) the archive; and how it fails: one clear message and the contract's exit code 2.
 *
 * @module
 */
import { type Command, CommanderError } from "commander";
import { Archivist } from "../../db/archivist.ts";
import { ArchiveLocationError, ArchiveUnreachableError } from "../../db/dialect.ts";
import { SchemaTooNewError } from "../../db/migrations.ts";
import { type Config, ConfigError, loadConfig } from "../config.ts";
import { setupLogging } from "../log.ts";
import { isTradeDate } from "../time.ts";

/** Exit code of a usage or configuration error (contract.md). */
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
}

/**
 * Loads the configuration, sets up logging (terminal + `logs/<logFile>`) and opens the archive.
 * Configuration and schema problems end the process with exit code 2 and one message.
 */
export async function startCommand(
  logFile: string,
  options: StartOptions = {},
): Promise<CommandContext> {
  const config = await loadConfig().catch(exitOnUsageError);
  const logging = await setupLogging({
    logDir: config.logDir,
    fileName: logFile,
    console: options.console,
    level: config.logLevel,
    secrets: [config.kis?.appKey, config.kis?.appSecret, config.token].filter((s): s is string =>
      s !== undefined
    ),
  });
  const archivist = await Archivist.open(config.databasePath, { sync: config.sync })
    .catch(exitOnUsageError);
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
    error instanceof UsageError || error instanceof ArchiveLocationError ||
    error instanceof ArchiveUnreachableError
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
