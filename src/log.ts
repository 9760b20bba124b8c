/**
 * Logging for every Archivist process: readable lines on the terminal, JSON lines in files, and
 * secrets (app key, app secret, tokens, bearer headers) redacted on every path.
 *
 * Library modules only call {@link getLogger}; entry points call {@link setupLogging} once.
 *
 * @module
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { dirname } from "node:path";
import {
  configure,
  dispose,
  getAnsiColorFormatter,
  getJsonLinesFormatter,
  getLogger as getLogTapeLogger,
  getTextFormatter,
  type Logger,
  type LogLevel,
  type LogRecord,
  type Sink,
  type TextFormatter,
  withContext,
} from "@logtape/logtape";
import { getFileSink, getRotatingFileSink } from "@logtape/file";
import { redactByField, redactByPattern, type RedactionPattern } from "@logtape/redaction";

/** Root category of every Archivist logger. */
export const ROOT_CATEGORY = "archivist";

/** Returns the logger of `category` under the `archivist` root, e.g. `getLogger("kis")`. */
export function getLogger(...category: string[]): Logger {
  return getLogTapeLogger([ROOT_CATEGORY, ...category]);
}

/** The category of the HTTP access log (`getLogger("http", "access")`): the log file only. */
export const ACCESS_LOG_CATEGORY: readonly string[] = [ROOT_CATEGORY, "http", "access"];

/** Property names whose values are secrets and never reach a sink. */
export const SECRET_FIELDS: readonly RegExp[] = [
  /^app_?key$/i,
  /^app_?secret$/i,
  /secret/i,
  /^authorization$/i,
  /(^|_)token$/i,
  /^access_?token$/i,
  /password/i,
];

/** Text patterns that look like secrets wherever they appear in a formatted line. */
export const SECRET_PATTERNS: readonly RedactionPattern[] = [
  { pattern: /\bBearer\s+[A-Za-z0-9._~+/=-]+/gi, replacement: "Bearer [REDACTED]" },
  {
    pattern: /\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g,
    replacement: "[REDACTED JWT]",
  },
  {
    // Only values long enough to be credentials: prose such as "KIS_APP_SECRET: set it" stays.
    pattern:
      /("?(?:app_?key|app_?secret|secretkey|access_token)"?\s*[:=]\s*"?)[A-Za-z0-9+/=._-]{16,}/gi,
    replacement: "$1[REDACTED]",
  },
];

/** What {@link setupLogging} needs to know. */
export interface LoggingOptions {
  /** Directory of the JSON-lines log file; omit for terminal only. */
  readonly logDir?: string;
  /** File name inside `logDir` (default `archivist.jsonl`). */
  readonly fileName?: string;
  /** Lowest level that reaches the sinks. */
  readonly level?: LogLevel;
  /** Write to the terminal (stderr) as well; default true. */
  readonly console?: boolean;
  /** Extra literal secrets (the configured key and secret) to mask in any text. */
  readonly secrets?: readonly string[];
}

const runLogs = new Map<string, Sink & Disposable>();

/**
 * Routes every record logged inside {@link withRunLog} to that run's own file, so each scheduled
 * run leaves a log of its own under `logs/cron/`.
 */
const runLogRouter: Sink = (record: LogRecord) => {
  const runId = record.properties.runId;
  if (typeof runId === "string") runLogs.get(runId)?.(record);
};

function literalPatterns(secrets: readonly string[]): RedactionPattern[] {
  return secrets.filter((s) => s.length >= 4).map((secret) => ({
    pattern: new RegExp(secret.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"), "g"),
    replacement: "[REDACTED]",
  }));
}

/** Writes formatted lines to stderr synchronously, and never closes it. */
function terminalSink(formatter: TextFormatter): Sink {
  const encoder = new TextEncoder();
  return (record) => Deno.stderr.writeSync(encoder.encode(formatter(record)));
}

let patterns: RedactionPattern[] = [...SECRET_PATTERNS];

/**
 * Configures LogTape for this process. Returns a disposer that flushes and closes the files.
 */
export async function setupLogging(options: LoggingOptions = {}): Promise<AsyncDisposable> {
  patterns = [...SECRET_PATTERNS, ...literalPatterns(options.secrets ?? [])];
  const sinks: Record<string, Sink> = { runs: redactByField(runLogRouter, [...SECRET_FIELDS]) };
  if (options.console !== false) {
    sinks.console = redactByField(
      terminalSink(
        redactByPattern(
          Deno.stderr.isTerminal()
            ? getAnsiColorFormatter({ timestamp: "time" })
            : getTextFormatter({ timestamp: "date-time" }),
          patterns,
        ),
      ),
      [...SECRET_FIELDS],
    );
  }
  if (options.logDir) {
    await Deno.mkdir(options.logDir, { recursive: true });
    sinks.file = redactByField(
      getRotatingFileSink(`${options.logDir}/${options.fileName ?? "archivist.jsonl"}`, {
        formatter: redactByPattern(getJsonLinesFormatter(), patterns),
        maxSize: 20 * 1024 * 1024,
        maxFiles: 10,
      }),
      [...SECRET_FIELDS],
    );
  }
  await configure({
    reset: true,
    contextLocalStorage: new AsyncLocalStorage(),
    sinks,
    loggers: [
      {
        category: [ROOT_CATEGORY],
        sinks: Object.keys(sinks),
        lowestLevel: options.level ?? "info",
      },
      {
        // One line per request would drown the terminal: the access log goes to the file only.
        category: [...ACCESS_LOG_CATEGORY],
        sinks: sinks.file ? ["file"] : [],
        parentSinks: "override",
        lowestLevel: options.level ?? "info",
      },
      { category: ["logtape", "meta"], sinks: [], lowestLevel: "warning" },
    ],
  });
  return { [Symbol.asyncDispose]: () => dispose() };
}

/**
 * Runs `work` with every record carrying `runId`, and copies those records as JSON lines into
 * `path` (directories are created) until `work` settles.
 */
export async function withRunLog<T>(
  runId: string,
  path: string,
  work: () => Promise<T>,
): Promise<T> {
  await Deno.mkdir(dirname(path), { recursive: true });
  const sink = getFileSink(path, {
    formatter: redactByPattern(getJsonLinesFormatter(), patterns),
  }) as Sink & Disposable;
  runLogs.set(runId, sink);
  try {
    return await withContext({ runId }, work);
  } finally {
    runLogs.delete(runId);
    sink[Symbol.dispose]();
  }
}

/** Adds `properties` to every record logged inside `work` (LogTape implicit contexts). */
export const withLogContext = withContext;
export type { Logger, LogLevel };
