import assert from "node:assert/strict";
import { getLogger, setupLogging, withRunLog } from "../src/log.ts";
import { tempDir } from "./helpers.ts";

const APP_KEY = "PSabcdefghijklmnopqrstuvwxyz01234567";
const APP_SECRET = "s3cr3t".repeat(30);
const TOKEN = "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzUxMiJ9.eyJqdGkiOiJQU2FwcGtleSJ9.c2lnbmF0dXJl";

Deno.test("log: secrets are redacted in files by field, by pattern and by value", async () => {
  await using dir = await tempDir();
  {
    await using _logging = await setupLogging({
      logDir: dir.path,
      console: false,
      secrets: [APP_KEY, APP_SECRET],
    });
    const log = getLogger("test");
    log.info("token issued for {stockCode}", {
      stockCode: "005930",
      appkey: APP_KEY,
      appsecret: APP_SECRET,
      access_token: TOKEN,
      authorization: `Bearer ${TOKEN}`,
    });
    log.warning(`request failed: authorization: Bearer ${TOKEN}; appkey=${APP_KEY}`);
    log.error("retrying with secret {detail}", { detail: `body ${APP_SECRET} end` });
    log.info("Check KIS_APP_SECRET: it belongs in .env");
    await withRunLog("run-1", `${dir.path}/cron/flow-run-1.jsonl`, () => {
      log.info("inside the run, key {key}", { key: APP_KEY });
      return Promise.resolve();
    });
  }
  const main = await Deno.readTextFile(`${dir.path}/archivist.jsonl`);
  const run = await Deno.readTextFile(`${dir.path}/cron/flow-run-1.jsonl`);
  for (const text of [main, run]) {
    assert.doesNotMatch(text, new RegExp(APP_KEY));
    assert.doesNotMatch(text, /s3cr3ts3cr3t/);
    assert.doesNotMatch(text, /c2lnbmF0dXJl/);
  }
  const lines = main.trim().split("\n").map((line) => JSON.parse(line));
  assert.equal(lines.length, 5);
  assert.equal(lines[0].properties.stockCode, "005930");
  assert.match(lines[3].message, /Check KIS_APP_SECRET: it belongs in \.env/);
  const runLines = run.trim().split("\n").map((line) => JSON.parse(line));
  assert.equal(runLines.length, 1);
  assert.equal(runLines[0].properties.runId, "run-1");
});
