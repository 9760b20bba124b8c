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
  assert.equal(config.regretThresholdPct, 4);
  assert.equal(config.catchUpDays, 5);
  assert.equal(config.sync, "normal");
  assert.equal(parseConfig({ ARCHIVIST_SYNC: "full" }).sync, "full");
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
