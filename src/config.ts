/**
 * The environment contract of Archivist: every setting, its default and its meaning, validated
 * with zod once at start so a wrong value stops the program with one message naming it.
 *
 * @module
 */
import { parseEnv } from "node:util";
import { z } from "zod";
import { COLLECTION_JOBS, type CollectionJob } from "../db/schema.ts";
import { parseSessionOverrides, type SessionOverride } from "./session.ts";
import { ArchiveLocationError, parseArchiveLocation } from "../db/dialect.ts";
import { parseShard, type Shard } from "../collectors/shard.ts";

/** KIS environments: `real` (실전) or `virtual` (모의투자). */
export type KisEnv = "real" | "virtual";

/** REST base URLs of the two KIS environments (`docs/kis-api.md` §1). */
export const KIS_BASE_URLS: Readonly<Record<KisEnv, string>> = {
  real: "https://openapi.koreainvestment.com:9443",
  virtual: "https://openapivts.koreainvestment.com:29443",
};

/** Requests per second the client may send by default (below the published 18 real / 1 virtual). */
export const KIS_DEFAULT_RATE_LIMITS: Readonly<Record<KisEnv, number>> = { real: 16, virtual: 1 };

const LOOPBACK_HOSTS = new Set(["127.0.0.1", "localhost", "::1", "[::1]"]);

/** Whether `host` binds only to the loopback interface. */
export function isLoopbackHost(host: string): boolean {
  return LOOPBACK_HOSTS.has(host) || /^127(\.\d{1,3}){3}$/.test(host);
}

const blankAsUnset = (value: unknown) =>
  typeof value === "string" && value.trim() === "" ? undefined : value;

const optionalText = (what: string) =>
  z.preprocess(blankAsUnset, z.string({ error: `expected ${what}` }).trim().optional());

const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, {
  error: "expected a KST time as HH:MM",
});

const onOff = (fallback: boolean) =>
  z.preprocess(
    (value) => typeof value === "string" ? blankAsUnset(value.trim().toLowerCase()) : value,
    z.enum(["true", "false", "1", "0", "yes", "no", "on", "off"], {
      error: "expected true or false",
    }).default(fallback ? "true" : "false").transform((v) =>
      ["true", "1", "yes", "on"].includes(v)
    ),
  );

/** When each collection job runs by default, KST (Monday to Friday). */
export const DEFAULT_JOB_TIMES_KST: Readonly<Record<CollectionJob, string>> = {
  flow: "16:00",
  intraday: "16:05",
  daily: "16:10",
};

/** The variable holding a job's KST schedule time, e.g. `ARCHIVIST_FLOW_TIME_KST`. */
export function jobTimeVariable(job: CollectionJob): string {
  return `ARCHIVIST_${job.toUpperCase()}_TIME_KST`;
}

/** The variable switching a job on or off, e.g. `ARCHIVIST_INTRADAY_ENABLED`. */
export function jobSwitchVariable(job: CollectionJob): string {
  return `ARCHIVIST_${job.toUpperCase()}_ENABLED`;
}

/** Per job: its schedule time and its on/off switch, so a new job needs no new code here. */
const jobVariables = Object.fromEntries(COLLECTION_JOBS.flatMap((job) => [
  [jobTimeVariable(job), z.preprocess(blankAsUnset, hhmm.default(DEFAULT_JOB_TIMES_KST[job]))],
  [jobSwitchVariable(job), onOff(true)],
])) as Record<string, z.ZodType<string | boolean>>;

/** The zod schema of the environment; its output type is {@link Config}. */
export const environmentSchema = z.object({
  ARCHIVIST_DB: z.preprocess(
    blankAsUnset,
    z.string().default("data/archivist.db").superRefine((value, context) => {
      try {
        parseArchiveLocation(value);
      } catch (error) {
        if (!(error instanceof ArchiveLocationError)) throw error;
        context.addIssue({ code: "custom", message: error.message });
      }
    }),
  ),
  ARCHIVIST_HOST: z.preprocess(blankAsUnset, z.string().default("127.0.0.1")),
  ARCHIVIST_PORT: z.preprocess(
    blankAsUnset,
    z.coerce.number({ error: "expected a TCP port number" })
      .int({ error: "expected a whole TCP port number" })
      .min(0, { error: "expected a TCP port between 0 and 65535" })
      .max(65535, { error: "expected a TCP port between 0 and 65535" })
      .default(8787),
  ),
  ARCHIVIST_TOKEN: optionalText("a bearer token").pipe(
    z.string().min(16, { error: "expected a bearer token of at least 16 characters" }).optional(),
  ),
  ARCHIVIST_LOG_DIR: z.preprocess(blankAsUnset, z.string().default("logs")),
  ARCHIVIST_LOG_LEVEL: z.preprocess(
    blankAsUnset,
    z.enum(["debug", "info", "warning", "error"], {
      error: "expected one of debug, info, warning, error",
    }).default("info"),
  ),
  ARCHIVIST_REGRET_THRESHOLD_PCT: z.preprocess(
    blankAsUnset,
    z.coerce.number({ error: "expected a percentage, e.g. 4" })
      .positive({ error: "expected a percentage above 0, e.g. 4" })
      .max(1000, { error: "expected a percentage of at most 1000" })
      .default(4),
  ),
  ARCHIVIST_SESSIONS: z.preprocess(
    blankAsUnset,
    z.string().default("").transform((text, ctx) => {
      try {
        return parseSessionOverrides(text);
      } catch (error) {
        ctx.addIssue({ code: "custom", message: (error as Error).message });
        return z.NEVER;
      }
    }),
  ),
  ARCHIVIST_SYNC: z.preprocess(
    blankAsUnset,
    z.enum(["normal", "full"], { error: "expected `normal` or `full`" }).default("full"),
  ),
  ARCHIVIST_LOCK_TIMEOUT_MS: z.preprocess(
    blankAsUnset,
    z.coerce.number({ error: "expected milliseconds as a whole number" })
      .int({ error: "expected milliseconds as a whole number" })
      .min(0, { error: "expected 0 to 600000 milliseconds" })
      .max(600_000, { error: "expected 0 to 600000 milliseconds" })
      .default(5_000),
  ),
  ARCHIVIST_ALLOWED_HOSTS: z.preprocess(
    blankAsUnset,
    z.string().transform((list) => list.split(",").map((entry) => entry.trim()).filter(Boolean))
      .pipe(
        z.array(
          z.string().regex(/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?$/, {
            error: "expected host names or host:port, separated by commas",
          }),
        ),
      ).default([]),
  ),
  ARCHIVIST_BACKUP_DIR: z.preprocess(blankAsUnset, z.string().default("backups")),
  ARCHIVIST_BACKUP_KEEP: z.preprocess(
    blankAsUnset,
    z.coerce.number({ error: "expected how many daily backups to keep (0 turns them off)" })
      .int({ error: "expected a whole number of backups" })
      .min(0, { error: "expected 0 (off) or more backups" })
      .max(1000, { error: "expected at most 1000 backups" })
      .default(7),
  ),
  ARCHIVIST_MAINTENANCE_TIME_KST: z.preprocess(blankAsUnset, hhmm.default("18:00")),
  ARCHIVIST_RETENTION_DAYS: z.preprocess(
    blankAsUnset,
    z.coerce.number({ error: "expected a number of days" })
      .int({ error: "expected a whole number of days" })
      .min(1, { error: "expected at least 1 day" })
      .default(400),
  ),
  ARCHIVIST_MINUTE_BAR_RETENTION_DAYS: z.preprocess(
    blankAsUnset,
    z.coerce.number({ error: "expected a number of days (unset keeps every minute bar)" })
      .int({ error: "expected a whole number of days" })
      .min(1, { error: "expected at least 1 day" })
      .optional(),
  ),
  ARCHIVIST_ALERT_WEBHOOK: z.preprocess(
    blankAsUnset,
    z.url({ protocol: /^https?$/, error: "expected an http(s) webhook URL" }).optional(),
  ),
  ARCHIVIST_CATCH_UP_DAYS: z.preprocess(
    blankAsUnset,
    z.coerce.number({ error: "expected a number of trading days" }).int().min(0).max(250)
      .default(5),
  ),
  ARCHIVIST_SHARD: z.preprocess(
    blankAsUnset,
    z.string().transform((value, context) => {
      try {
        return parseShard(value);
      } catch (error) {
        context.addIssue({ code: "custom", message: (error as Error).message });
        return z.NEVER;
      }
    }).optional(),
  ),
  KIS_ENV: z.preprocess(
    (value) => typeof value === "string" ? blankAsUnset(value.trim().toLowerCase()) : value,
    z.enum(["real", "virtual"], { error: "expected `real` or `virtual`" }).default("real"),
  ),
  KIS_APP_KEY: optionalText("the KIS app key"),
  KIS_APP_SECRET: optionalText("the KIS app secret"),
  KIS_BASE_URL: z.preprocess(
    blankAsUnset,
    z.url({ protocol: /^https?$/, error: "expected an http(s) URL" }).optional(),
  ),
  KIS_RATE_LIMIT: z.preprocess(
    blankAsUnset,
    z.coerce.number({ error: "expected requests per second as a number" })
      .positive({ error: "expected a positive number of requests per second" })
      .max(100, { error: "expected at most 100 requests per second" })
      .optional(),
  ),
  KIS_TOKEN_CACHE: z.preprocess(blankAsUnset, z.string().default("data/kis-token.json")),
});

/** The per-job variables (`ARCHIVIST_<JOB>_TIME_KST`, `ARCHIVIST_<JOB>_ENABLED`), validated alike. */
export const jobEnvironmentSchema = z.object(jobVariables);

/** KIS credentials and connection settings; absent when no app key is configured. */
export interface KisSettings {
  /** `real` or `virtual`. */
  readonly env: KisEnv;
  /** The app key (36 characters on real accounts). Never printed or logged. */
  readonly appKey: string;
  /** The app secret. Never printed or logged. */
  readonly appSecret: string;
  /** REST base URL without a trailing slash. */
  readonly baseUrl: string;
  /** Requests per sliding second this process may send. */
  readonly rateLimit: number;
  /** File that keeps the access token between runs (mode 0600). */
  readonly tokenCachePath: string;
}

/** The validated configuration of one Archivist process. */
export interface Config {
  /** The archive: a SQLite file path, or a `postgres://` URL (see `db/dialect.ts`). */
  readonly databasePath: string;
  /** HTTP bind host. */
  readonly host: string;
  /** HTTP bind port (0 picks a free one). */
  readonly port: number;
  /** Bearer token for `/v1/*`, when set. */
  readonly token?: string;
  /** Directory for log files. */
  readonly logDir: string;
  /**
   * When a write is acknowledged: `normal` once committed (survives a killed process), `full`
   * once also synced to the device (survives power loss).
   */
  readonly sync: "normal" | "full";
  /** Lowest level written to the logs. */
  readonly logLevel: "debug" | "info" | "warning" | "error";
  /** KST wall-clock times of the scheduled jobs, `HH:MM`. */
  readonly schedule: Readonly<Record<CollectionJob, string>>;
  /** The jobs switched on (`ARCHIVIST_<JOB>_ENABLED`, default all), in `COLLECTION_JOBS` order. */
  readonly enabledJobs: readonly CollectionJob[];
  /** Sessions the user declared (`ARCHIVIST_SESSIONS`), e.g. a close KRX announced delayed. */
  readonly sessions: readonly SessionOverride[];
  /** A rejection is a regret when the high of its next 5 days rose at least this much, percent. */
  readonly regretThresholdPct: number;
  /** How many past trading days catch-up looks at. */
  readonly catchUpDays: number;
  /** How long a write waits for the write lock another process holds, then 503 (ms). */
  readonly lockTimeoutMs: number;
  /** `Host` names accepted besides the bind address's (`name` or `name:port`). */
  readonly allowedHosts: readonly string[];
  /** Daily backups: where, and how many to keep (0: none). */
  readonly backup: { readonly dir: string; readonly keep: number };
  /** KST wall-clock time of the daily backup and pruning, `HH:MM`. */
  readonly maintenanceTimeKst: string;
  /** Pruning: records older than `days` go; minute bars only after `minuteBarDays` when set. */
  readonly retention: { readonly days: number; readonly minuteBarDays?: number };
  /** Webhook that receives a JSON message when a run fails or writes fail (secret: a token). */
  readonly alertWebhook?: string;
  /** This host's part of the targets when several collectors split them (`ARCHIVIST_SHARD`). */
  readonly shard?: Shard;
  /** KIS settings, or `undefined` when collection is off (no credentials). */
  readonly kis?: KisSettings;
  /** The KIS environment even when credentials are absent. */
  readonly kisEnv: KisEnv;
}

/** A configuration problem: names each variable and what it expects. */
export class ConfigError extends Error {
  /** One line per problem, `VARIABLE: what it expects (got …)`. */
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(
      `Invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}\n` +
        "Fix the environment or the .env file and run again.",
    );
    this.name = "ConfigError";
    this.problems = problems;
  }
}

const SECRET_VARIABLES = new Set([
  "KIS_APP_KEY",
  "KIS_APP_SECRET",
  "ARCHIVIST_TOKEN",
  "ARCHIVIST_ALERT_WEBHOOK",
]);

/**
 * Fewest days of run records to keep for catch-up, which looks back `catchUpDays` trading days:
 * weekends, and holidays of up to two weeks, on top.
 */
export function minimumRetentionDays(catchUpDays: number): number {
  return Math.ceil(catchUpDays * 1.5) + 14;
}

/**
 * Reads `.env` from `path` (when present) as a plain record; real environment variables win.
 */
export async function readDotEnv(path = ".env"): Promise<Record<string, string>> {
  try {
    return { ...parseEnv(await Deno.readTextFile(path)) } as Record<string, string>;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return {};
    throw new ConfigError([`${path}: cannot be read (${(error as Error).message})`]);
  }
}

/**
 * Validates `env` into a {@link Config}; throws {@link ConfigError} listing every bad variable.
 */
export function parseConfig(env: Record<string, string | undefined>): Config {
  const result = environmentSchema.safeParse(env);
  const jobResult = jobEnvironmentSchema.safeParse(env);
  if (!result.success || !jobResult.success) {
    const issues = [...(result.error?.issues ?? []), ...(jobResult.error?.issues ?? [])];
    throw new ConfigError(issues.map((issue) => {
      const name = String(issue.path[0] ?? "environment");
      // A database URL may carry a password: never echoed.
      const got = SECRET_VARIABLES.has(name) || env[name] === undefined ||
          (name === "ARCHIVIST_DB" && env[name]!.includes("@"))
        ? ""
        : ` (got ${JSON.stringify(env[name])})`;
      return `${name}: ${issue.message}${got}`;
    }));
  }
  const v = result.data;
  const jobs = jobResult.data as Record<string, string | boolean>;
  const problems: string[] = [];
  if (v.ARCHIVIST_TOKEN === undefined && !isLoopbackHost(v.ARCHIVIST_HOST)) {
    problems.push(
      `ARCHIVIST_TOKEN: required when ARCHIVIST_HOST is not loopback (got host ${
        JSON.stringify(v.ARCHIVIST_HOST)
      }); set a token of at least 16 characters or bind to 127.0.0.1`,
    );
  }
  if ((v.KIS_APP_KEY === undefined) !== (v.KIS_APP_SECRET === undefined)) {
    const missing = v.KIS_APP_KEY === undefined ? "KIS_APP_KEY" : "KIS_APP_SECRET";
    problems.push(
      `${missing}: expected together with the other KIS credential (one is set, not both)`,
    );
  }
  const minimumDays = minimumRetentionDays(v.ARCHIVIST_CATCH_UP_DAYS);
  if (v.ARCHIVIST_RETENTION_DAYS < minimumDays) {
    problems.push(
      `ARCHIVIST_RETENTION_DAYS: expected at least ${minimumDays} days, to keep the runs catch-up ` +
        `looks at (ARCHIVIST_CATCH_UP_DAYS=${v.ARCHIVIST_CATCH_UP_DAYS}) (got ${v.ARCHIVIST_RETENTION_DAYS})`,
    );
  }
  if (problems.length > 0) throw new ConfigError(problems);

  const kis: KisSettings | undefined = v.KIS_APP_KEY && v.KIS_APP_SECRET
    ? {
      env: v.KIS_ENV,
      appKey: v.KIS_APP_KEY,
      appSecret: v.KIS_APP_SECRET,
      baseUrl: (v.KIS_BASE_URL ?? KIS_BASE_URLS[v.KIS_ENV]).replace(/\/+$/, ""),
      rateLimit: v.KIS_RATE_LIMIT ?? KIS_DEFAULT_RATE_LIMITS[v.KIS_ENV],
      tokenCachePath: v.KIS_TOKEN_CACHE,
    }
    : undefined;
  return {
    databasePath: v.ARCHIVIST_DB,
    host: v.ARCHIVIST_HOST,
    port: v.ARCHIVIST_PORT,
    token: v.ARCHIVIST_TOKEN,
    logDir: v.ARCHIVIST_LOG_DIR,
    logLevel: v.ARCHIVIST_LOG_LEVEL,
    sync: v.ARCHIVIST_SYNC,
    schedule: Object.fromEntries(
      COLLECTION_JOBS.map((job) => [job, String(jobs[jobTimeVariable(job)])]),
    ) as Record<CollectionJob, string>,
    enabledJobs: COLLECTION_JOBS.filter((job) => jobs[jobSwitchVariable(job)] === true),
    sessions: v.ARCHIVIST_SESSIONS,
    regretThresholdPct: v.ARCHIVIST_REGRET_THRESHOLD_PCT,
    catchUpDays: v.ARCHIVIST_CATCH_UP_DAYS,
    lockTimeoutMs: v.ARCHIVIST_LOCK_TIMEOUT_MS,
    allowedHosts: v.ARCHIVIST_ALLOWED_HOSTS,
    backup: { dir: v.ARCHIVIST_BACKUP_DIR, keep: v.ARCHIVIST_BACKUP_KEEP },
    maintenanceTimeKst: v.ARCHIVIST_MAINTENANCE_TIME_KST,
    retention: {
      days: v.ARCHIVIST_RETENTION_DAYS,
      minuteBarDays: v.ARCHIVIST_MINUTE_BAR_RETENTION_DAYS,
    },
    alertWebhook: v.ARCHIVIST_ALERT_WEBHOOK,
    shard: v.ARCHIVIST_SHARD,
    kis,
    kisEnv: v.KIS_ENV,
  };
}

/**
 * Loads the configuration of this process: `.env` in the working directory, overridden by the
 * real environment.
 */
export async function loadConfig(): Promise<Config> {
  return parseConfig({ ...await readDotEnv(), ...Deno.env.toObject() });
}
