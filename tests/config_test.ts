import assert from "node:assert/strict";
import { ConfigError, parseConfig, readDotEnv } from "../src/config.ts";
import { tempDir } from "./helpers.ts";

Deno.test("config: defaults follow the contract", () => {
  const config = parseConfig({});
  assert.equal(config.databasePath, "data/archivist.db");
  assert.equal(config.host, "127.0.0.1");
  assert.equal(config.port, 8787);
  assert.equal(config.logDir, "logs");
  assert.equal(config.kisEnv, "real");
  assert.equal(config.kis, undefined);
  assert.deepEqual(config.schedule, { flow: "16:00", intraday: "16:05", daily: "16:10" });
  assert.deepEqual(config.enabledJobs, ["flow", "intraday", "daily"]);
  assert.equal(config.regretThresholdPct, 4);
  assert.equal(config.catchUpDays, 5);
  assert.equal(config.sync, "full");
  assert.equal(parseConfig({ ARCHIVIST_SYNC: "normal" }).sync, "normal");
});

Deno.test("config: KIS settings default by environment", () => {
  const real = parseConfig({ KIS_APP_KEY: "k".repeat(36), KIS_APP_SECRET: "s".repeat(180) });
  assert.equal(real.kis?.baseUrl, "https://openapi.koreainvestment.com:9443");
  assert.equal(real.kis?.rateLimit, 16);
  assert.equal(real.kis?.tokenCachePath, "data/kis-token.json");
  const virtual = parseConfig({
    KIS_ENV: "VIRTUAL",
    KIS_APP_KEY: "k".repeat(36),
    KIS_APP_SECRET: "s".repeat(180),
    KIS_BASE_URL: "http://127.0.0.1:9000/",
    KIS_RATE_LIMIT: "2",
  });
  assert.equal(virtual.kis?.env, "virtual");
  assert.equal(virtual.kis?.baseUrl, "http://127.0.0.1:9000");
  assert.equal(virtual.kis?.rateLimit, 2);
});

function problemsOf(env: Record<string, string>): string[] {
  try {
    parseConfig(env);
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    return [...error.problems];
  }
  assert.fail("expected a ConfigError");
}

Deno.test("config: each wrong value is named with what it expects", () => {
  const problems = problemsOf({
    ARCHIVIST_PORT: "eighty",
    KIS_ENV: "paper",
    KIS_RATE_LIMIT: "-3",
    ARCHIVIST_FLOW_TIME_KST: "25:00",
  });
  assert.equal(problems.length, 4);
  assert.match(
    problems.join("\n"),
    /^ARCHIVIST_PORT: expected a TCP port number \(got "eighty"\)/m,
  );
  assert.match(problems.join("\n"), /^KIS_ENV: expected `real` or `virtual` \(got "paper"\)/m);
  assert.match(problems.join("\n"), /^KIS_RATE_LIMIT: expected a positive number/m);
  assert.match(problems.join("\n"), /^ARCHIVIST_FLOW_TIME_KST: expected a KST time as HH:MM/m);
});

Deno.test("config: a public host without a token refuses, saying why", () => {
  const [problem] = problemsOf({ ARCHIVIST_HOST: "0.0.0.0" });
  assert.match(problem, /^ARCHIVIST_TOKEN: required when ARCHIVIST_HOST is not loopback/);
  assert.equal(
    parseConfig({ ARCHIVIST_HOST: "0.0.0.0", ARCHIVIST_TOKEN: "t".repeat(32) }).host,
    "0.0.0.0",
  );
});

Deno.test("config: half the KIS credentials is an error; secrets never echoed", () => {
  const [problem] = problemsOf({ KIS_APP_KEY: "my-very-secret-app-key-0000000000000" });
  assert.match(problem, /^KIS_APP_SECRET: expected together/);
  const [short] = problemsOf({ ARCHIVIST_TOKEN: "hunter2" });
  assert.match(short, /^ARCHIVIST_TOKEN: expected a bearer token of at least 16 characters$/);
  assert.doesNotMatch(short, /hunter2/);
});

Deno.test("config: .env is read; a missing file is no error", async () => {
  await using dir = await tempDir();
  assert.deepEqual(await readDotEnv(`${dir.path}/.env`), {});
  await Deno.writeTextFile(`${dir.path}/.env`, "# local\nARCHIVIST_PORT=9999\nKIS_ENV='virtual'\n");
  const env = await readDotEnv(`${dir.path}/.env`);
  assert.deepEqual(env, { ARCHIVIST_PORT: "9999", KIS_ENV: "virtual" });
  assert.equal(parseConfig(env).port, 9999);
});

Deno.test("config: per-job switches and times, and declared sessions", () => {
  const config = parseConfig({
    ARCHIVIST_INTRADAY_ENABLED: "false",
    ARCHIVIST_DAILY_ENABLED: "no",
    ARCHIVIST_FLOW_TIME_KST: "08:30",
    ARCHIVIST_DAILY_TIME_KST: "17:20",
    ARCHIVIST_SESSIONS: "2026-03-05=09:00-16:00, 2026-11-19=10:00-16:30",
  });
  assert.deepEqual(config.enabledJobs, ["flow"]);
  assert.deepEqual(config.schedule, { flow: "08:30", intraday: "16:05", daily: "17:20" });
  assert.deepEqual(config.sessions, [
    { tradeDate: "2026-03-05", open: "09:00", close: "16:00" },
    { tradeDate: "2026-11-19", open: "10:00", close: "16:30" },
  ]);
  assert.deepEqual(parseConfig({}).enabledJobs, ["flow", "intraday", "daily"]);
  assert.deepEqual(parseConfig({}).sessions, []);

  const problems = problemsOf({
    ARCHIVIST_FLOW_ENABLED: "maybe",
    ARCHIVIST_DAILY_TIME_KST: "4pm",
    ARCHIVIST_SESSIONS: "2026-03-05=16:00-09:00",
  });
  assert.match(problems.join("\n"), /^ARCHIVIST_FLOW_ENABLED: expected true or false/m);
  assert.match(problems.join("\n"), /^ARCHIVIST_DAILY_TIME_KST: expected a KST time as HH:MM/m);
  assert.match(
    problems.join("\n"),
    /^ARCHIVIST_SESSIONS: "2026-03-05=16:00-09:00": the close must come more than 10 minutes/m,
  );
  assert.match(
    problemsOf({ ARCHIVIST_SESSIONS: "tomorrow=10:00" }).join("\n"),
    /expected YYYY-MM-DD=HH:MM-HH:MM/,
  );
});

Deno.test("config: operating settings default, parse and refuse with the variable named", () => {
  const config = parseConfig({});
  assert.equal(config.lockTimeoutMs, 5_000);
  assert.deepEqual(config.allowedHosts, []);
  assert.deepEqual(config.backup, { dir: "backups", keep: 7 });
  assert.equal(config.maintenanceTimeKst, "18:00");
  assert.deepEqual(config.retention, { days: 400, minuteBarDays: undefined });
  assert.equal(config.alertWebhook, undefined);
  const set = parseConfig({
    ARCHIVIST_ALLOWED_HOSTS: " archivist.lan, archivist.lan:443 ,",
    ARCHIVIST_MINUTE_BAR_RETENTION_DAYS: "730",
    ARCHIVIST_BACKUP_KEEP: "0",
  });
  assert.deepEqual(set.allowedHosts, ["archivist.lan", "archivist.lan:443"]);
  assert.equal(set.retention.minuteBarDays, 730);
  assert.equal(set.backup.keep, 0);

  const hook = "https://hooks.slack.com/services/T000/B000/sEcReTsEcReT";
  const problems = problemsOf({
    ARCHIVIST_ALLOWED_HOSTS: "ok.lan,bad host",
    ARCHIVIST_BACKUP_KEEP: "-1",
    ARCHIVIST_LOCK_TIMEOUT_MS: "soon",
    ARCHIVIST_ALERT_WEBHOOK: hook.replace("https", "ftp"),
    ARCHIVIST_RETENTION_DAYS: "20",
  }).join("\n");
  assert.match(problems, /^ARCHIVIST_ALLOWED_HOSTS: expected host names or host:port/m);
  assert.match(problems, /^ARCHIVIST_BACKUP_KEEP: expected 0 \(off\) or more backups/m);
  assert.match(problems, /^ARCHIVIST_LOCK_TIMEOUT_MS: expected milliseconds/m);
  assert.match(problems, /^ARCHIVIST_ALERT_WEBHOOK: expected an http\(s\) webhook URL$/m);
  assert.doesNotMatch(problems, /sEcReT/, "the webhook URL holds a secret");
  const [retention] = problemsOf({ ARCHIVIST_RETENTION_DAYS: "20" });
  assert.match(retention, /^ARCHIVIST_RETENTION_DAYS: expected at least 22 days.*CATCH_UP_DAYS=5/);
});

Deno.test("config: ARCHIVIST_DB is a file or a postgres URL; a password is never echoed", () => {
  assert.equal(
    parseConfig({ ARCHIVIST_DB: "postgres://scout:pw@db:5432/archive" }).databasePath,
    "postgres://scout:pw@db:5432/archive",
  );
  const [other] = problemsOf({ ARCHIVIST_DB: "mysql://scout:hunter2@db/archive" });
  assert.match(other, /^ARCHIVIST_DB: expected a SQLite file path or a postgres:\/\/ URL/);
  assert.doesNotMatch(other, /hunter2/);
  const [slashes] = problemsOf({ ARCHIVIST_DB: "postgres:db/archive" });
  assert.match(slashes, /^ARCHIVIST_DB: .*the `\/\/` is missing/);
});

Deno.test("config: ARCHIVIST_SHARD is this host's part i/n of the targets", () => {
  assert.deepEqual(parseConfig({ ARCHIVIST_SHARD: "2/3" }).shard, { index: 2, count: 3 });
  assert.equal(parseConfig({}).shard, undefined);
  const [problem] = problemsOf({ ARCHIVIST_SHARD: "4/3" });
  assert.match(problem, /^ARCHIVIST_SHARD: expected a shard as i\/n .*\(got "4\/3"\)/);
});
