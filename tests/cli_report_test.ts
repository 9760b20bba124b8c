import assert from "node:assert/strict";
import { parse } from "csv-parse/sync";
import { Archivist } from "../db/archivist.ts";
import { decisionEntrySchema } from "../db/entries.ts";
import { isKrxTradingDay } from "../src/calendar.ts";
import { datesBetween } from "../src/time.ts";
import { canMount } from "./fixtures/service.ts";
import { freshLocation, runCli, tempDir } from "./helpers.ts";

const ROOT = new URL("../", import.meta.url).pathname;

const DAYS = datesBetween("2026-09-01", "2026-11-20").filter(isKrxTradingDay);
const STOCKS = [["005930", "삼성전자"], ["207940", "삼성바이오로직스"], ["035420", "NAVER"]];

async function seeded(path: string): Promise<void> {
  await using archivist = await Archivist.open(path);
  for (const [code] of STOCKS) {
    await archivist.upsertDailyPrices(DAYS.map((trade_date, i) => ({
      stock_code: code,
      trade_date,
      open: 10_000 + 50 * i,
      high: 10_300 + 50 * i,
      low: 9_900 + 50 * i,
      close: 10_000 + 50 * i,
      volume: 1_000,
      value: 1_000 * (10_000 + 50 * i),
    })));
  }
  await archivist.logDecisions(
    STOCKS.map(([stock_code, stock_name], i) =>
      decisionEntrySchema.parse({
        stock_code,
        stock_name,
        final_decision: i === 1 ? "SELL" : "BUY",
        hunter_score: 50 + 15 * i,
        market_regime: "BULL",
        decided_at: `2026-10-1${3 + i}T10:00:00+09:00`,
      })
    ),
  );
  await archivist.logRejections(STOCKS.map(([stock_code, stock_name]) => ({
    stock_code,
    stock_name,
    rejection_stage: "JUDGE" as const,
    rejection_reason: "수급 악화",
    logged_at: "2026-10-13T11:00:00+09:00",
  })));
}

/** Terminal columns of a line: Hangul and other wide characters take two. */
function displayWidth(line: string): number {
  let width = 0;
  for (const char of line) {
    const code = char.codePointAt(0)!;
    const wide = (code >= 0x1100 && code <= 0x115f) || (code >= 0xac00 && code <= 0xd7a3) ||
      (code >= 0x3000 && code <= 0x9fff);
    width += wide ? 2 : 1;
  }
  return width;
}

/** `deno task report` on the archive at `location` (a file, or PostgreSQL in its pass). */
function report(dir: string, args: string[], location = `${dir}/archivist.db`) {
  return runCli("src/cli/report.ts", args, {
    cwd: dir,
    env: { ARCHIVIST_DB: location, ARCHIVIST_LOG_DIR: `${dir}/logs` },
  });
}

Deno.test("report CLI: tables keep Korean names aligned; JSON equals the Archivist's report", async () => {
  await using dir = await tempDir();
  await using fresh = await freshLocation(dir.path);
  await seeded(fresh.location);
  const reportHere = (args: string[]) => report(dir.path, args, fresh.location);

  const table = await reportHere(["outcomes", "--kind", "decisions"]);
  assert.equal(table.code, 0, table.stderr);
  const rows = table.stdout.split("\n").filter((line) => /^[│┌├└]/.test(line));
  assert.ok(rows.some((line) => line.includes("삼성바이오로직스")));
  const widths = new Set(rows.map(displayWidth));
  assert.equal(widths.size, 1, `every line of the table is as wide: ${[...widths]}`);
  assert.match(table.stdout, /Decisions \(3\)/);

  const json = await reportHere(["regret", "--format", "json", "--from", "2026-10-01"]);
  assert.equal(json.code, 0, json.stderr);
  await using archivist = await Archivist.open(fresh.location);
  assert.deepEqual(
    JSON.parse(json.stdout),
    JSON.parse(JSON.stringify(await archivist.regretReport({ from: "2026-10-01" }))),
  );

  const packet = await reportHere(["packet", "--date", "2026-10-13"]);
  assert.equal(packet.code, 0, packet.stderr);
  assert.match(packet.stdout, /Council packet of 2026-10-13: 3 vetoes, 1 decisions/);
});

Deno.test("report CLI: CSV for spreadsheets, one header and unrounded numbers", async () => {
  await using dir = await tempDir();
  await seeded(`${dir.path}/archivist.db`);
  const scorecard = await report(dir.path, ["scorecard", "--format", "csv"]);
  assert.equal(scorecard.code, 0, scorecard.stderr);
  const records = parse(scorecard.stdout, { columns: true }) as Record<string, string>[];
  assert.deepEqual(Object.keys(records[0]), [
    "section",
    "final_decision",
    "key",
    "decisions",
    "evaluated",
    "win_rate_5d",
    "mean_ret_5d_pct",
    "mean_edge_5d_pct",
  ]);
  assert.deepEqual(
    records.filter((r) => r.section === "decision").map((r) => [r.final_decision, r.decisions]),
    [["BUY", "2"], ["SELL", "1"], ["HOLD", "0"], ["NO_DECISION", "0"]],
  );
  const outcomes = await report(dir.path, ["outcomes", "--format", "csv", "--stock", "207940"]);
  const items = parse(outcomes.stdout, { columns: true }) as Record<string, string>[];
  assert.deepEqual(items.map((i) => [i.kind, i.stock_name]), [
    ["decision", "삼성바이오로직스"],
    ["rejection", "삼성바이오로직스"],
  ]);
  assert.ok(items[0].ret_5d_pct.length > 8, "numbers are not rounded in CSV");
});

Deno.test("report CLI: usage errors exit 2 naming the fix", async () => {
  await using dir = await tempDir();
  const cases: [string[], RegExp][] = [
    [["weekly"], /invalid for argument 'report'/],
    [["regret", "--from", "2026-13-01"], /--from: expected a date/],
    [["regret", "--format", "xml"], /--format/],
    [["regret", "--threshold", "-1"], /--threshold: expected a percentage/],
    [["packet", "--from", "2026-10-01"], /packet is the report of one day/],
    [["scorecard", "--from", "2026-11-02", "--to", "2026-11-01"], /is after --to/],
    [["outcomes", "--stock", "5930"], /--stock: 5930 is not a KRX code/],
  ];
  for (const [args, message] of cases) {
    const result = await report(dir.path, args);
    assert.equal(result.code, 2, args.join(" "));
    assert.match(result.stderr, message, args.join(" "));
  }
});

Deno.test("report CLI: a SQLite archive that does not exist is a usage error, not a new empty archive", async () => {
  await using dir = await tempDir();
  // A typo in ARCHIVIST_DB would otherwise print empty reports and leave a stray archive behind.
  const result = await report(dir.path, ["regret"], `${dir.path}/typo/archvist.db`);
  assert.equal(result.code, 2, result.stdout);
  assert.match(result.stderr, /ARCHIVIST_DB=.*typo\/archvist\.db: no archive there/);
  assert.match(result.stderr, /deno task migrate/);
  assert.equal(result.stdout, "");
  await assert.rejects(Deno.stat(`${dir.path}/typo`), Deno.errors.NotFound);
});

Deno.test({
  name:
    "report CLI: a read-only archive is reported as stored (exit 0), entries without outcome rows pending",
  ignore: !canMount,
  async fn() {
    await using dir = await tempDir();
    await seeded(`${dir.path}/seed.db`);
    const deno = [Deno.execPath(), "run", "-A", "--config", `${ROOT}deno.json`];
    const output = await new Deno.Command("unshare", {
      args: [
        "-m",
        "--propagation",
        "private",
        "sh",
        "-ec",
        'mkdir ro && mount -t tmpfs tmpfs ro && cp seed.db ro/archivist.db && mount -o remount,ro ro\nexec "$@"',
        "sh",
        ...deno,
        `${ROOT}src/cli/report.ts`,
        "outcomes",
        "--kind",
        "decisions",
        "--format",
        "json",
      ],
      cwd: dir.path,
      env: { ARCHIVIST_DB: "ro/archivist.db", ARCHIVIST_LOG_DIR: "logs", NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(output.stderr);
    assert.equal(output.code, 0, stderr);
    const { decisions } = JSON.parse(new TextDecoder().decode(output.stdout));
    assert.deepEqual(decisions.map((d: { status: string }) => d.status), [
      "pending",
      "pending",
      "pending",
    ]);
  },
});
