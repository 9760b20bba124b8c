import assert from "node:assert/strict";
import { Archivist } from "../db/archivist.ts";
import { isKrxTradingDay, previousTradingDay } from "../src/calendar.ts";
import {
  DEMO_REAL_APP_KEY,
  DEMO_REAL_APP_SECRET,
  type KisSimulator,
  startSimulator,
} from "../src/sim/server.ts";
import { addDays, kstDate } from "../src/time.ts";
import { type CommandResult, runCli } from "./helpers.ts";

/** Runs `deno task collect` as a real process in `dir`, with only the variables given. */
function collect(dir: string, args: string[], env: Record<string, string>): Promise<CommandResult> {
  return runCli("src/cli/collect.ts", args, {
    cwd: dir,
    env: { ARCHIVIST_DB: `${dir}/archivist.db`, ARCHIVIST_LOG_DIR: `${dir}/logs`, ...env },
  });
}

function kisEnv(sim: KisSimulator, dir: string): Record<string, string> {
  return {
    KIS_ENV: "real",
    KIS_BASE_URL: sim.realUrl,
    KIS_APP_KEY: DEMO_REAL_APP_KEY,
    KIS_APP_SECRET: DEMO_REAL_APP_SECRET,
    KIS_RATE_LIMIT: "100",
    KIS_TOKEN_CACHE: `${dir}/token.json`,
  };
}

/** A simulator on the real clock (1000 requests/s unless `limit`) and a temp dir, both gone afterwards. */
async function withSim(
  test: (sim: KisSimulator, dir: string) => Promise<void>,
  limit = 1000,
): Promise<void> {
  const sim = await startSimulator({
    rateLimit: { real: limit },
    tokenIssueIntervalSec: 1,
    quiet: true,
  });
  const dir = await Deno.makeTempDir({ prefix: "archivist-cli-test-" });
  try {
    await test(sim, dir);
  } finally {
    await sim.close();
    await Deno.remove(dir, { recursive: true });
  }
}

/** A trading day before today (KST) on the simulator's (real) clock. */
const PAST_DAY = previousTradingDay(kstDate(new Date()));

Deno.test("collect CLI: exit 0 when every stock is done, 1 when one fails; runs are recorded", async () => {
  await withSim(async (sim, dir) => {
    const ok = await collect(
      dir,
      ["all", "--date", PAST_DAY, "--codes", "005930,000660"],
      kisEnv(sim, dir),
    );
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, new RegExp(`flow ${PAST_DAY}: succeeded, 2/2 stocks`));
    assert.match(ok.stdout, new RegExp(`intraday ${PAST_DAY}: succeeded, 2/2 stocks`));
    assert.ok(
      !ok.stdout.includes(DEMO_REAL_APP_SECRET) && !ok.stderr.includes(DEMO_REAL_APP_SECRET),
    );

    const failed = await collect(
      dir,
      ["flow", "--date", PAST_DAY, "--codes", "005930,999999"],
      kisEnv(sim, dir),
    );
    assert.equal(failed.code, 1, failed.stderr);
    assert.match(failed.stdout, /flow .*: partial, 1\/2 stocks/);
    assert.match(failed.stdout, /999999: KIS returned no investor flows of 999999/);

    await using archivist = await Archivist.open(`${dir}/archivist.db`);
    const runs = await archivist.listRuns({ tradeDate: PAST_DAY });
    assert.deepEqual(runs.map((r) => `${r.job} ${r.trigger} ${r.status}`).sort(), [
      "daily manual succeeded",
      "flow manual partial",
      "flow manual succeeded",
      "intraday manual succeeded",
    ]);
    assert.ok((await archivist.minuteBars("000660", PAST_DAY)).length > 300);
  });
});

Deno.test("collect CLI: --from/--to backfills the trading days only; --dry-run sends nothing", async () => {
  await withSim(async (sim, dir) => {
    const from = addDays(PAST_DAY, -6);
    const tradingDays = [];
    for (let d = from; d <= PAST_DAY; d = addDays(d, 1)) {
      if (isKrxTradingDay(d)) tradingDays.push(d);
    }

    const dry = await collect(
      dir,
      ["all", "--from", from, "--to", PAST_DAY, "--codes", "005930", "--dry-run"],
      kisEnv(sim, dir),
    );
    assert.equal(dry.code, 0, dry.stderr);
    assert.equal(sim.stats().requests, 0, "a dry run sends no KIS request, not even a token");
    assert.match(dry.stdout, new RegExp(`intraday ${PAST_DAY}: 1 stocks × 4 calls`));
    assert.match(dry.stdout, new RegExp(`flow ${tradingDays[0]}: 1 stocks × 2 calls`));
    assert.match(dry.stdout, new RegExp(`flow ${PAST_DAY}: 1 stocks × 0 calls .*covered`));
    // Daily candles: the stock's 120-day history on the first day (2 pages), then one page a day.
    assert.match(
      dry.stdout,
      new RegExp(`daily ${tradingDays[0]}: 1 stocks, 2 KIS calls \\(daily candles; 1 first`),
    );
    assert.match(
      dry.stdout,
      new RegExp(`dry run: ${tradingDays.length * 5 + 3} KIS calls planned`),
    );

    const backfill = await collect(
      dir,
      ["flow", "--from", from, "--to", PAST_DAY, "--codes", "005930,000660"],
      kisEnv(sim, dir),
    );
    assert.equal(backfill.code, 0, backfill.stderr);
    // One investor and one program answer per stock cover every day of the range.
    const calls = sim.stats().byTrId;
    assert.deepEqual([calls.FHKST01010900, calls.FHPPG04650201], [2, 2]);
    await using archivist = await Archivist.open(`${dir}/archivist.db`);
    const runs = await archivist.listRuns({ job: "flow" });
    assert.deepEqual(runs.map((r) => r.trade_date).sort(), tradingDays);
    assert.ok(runs.every((r) => r.status === "succeeded"));
  });
});

Deno.test("collect CLI: a date after today or nothing to collect is exit 2 and records nothing", async () => {
  await withSim(async (sim, dir) => {
    const future = await collect(dir, ["all", "--date", "2099-01-05"], kisEnv(sim, dir));
    assert.equal(future.code, 2, future.stdout);
    assert.match(future.stderr, /--date: 2099-01-05 is after today/);
    const range = await collect(
      dir,
      ["flow", "--from", PAST_DAY, "--to", "2099-01-05"],
      kisEnv(sim, dir),
    );
    assert.equal(range.code, 2);
    assert.match(range.stderr, /--to: 2099-01-05 is after today/);

    const empty = await collect(dir, ["all", "--date", PAST_DAY], kisEnv(sim, dir));
    assert.equal(empty.code, 2, empty.stdout);
    assert.equal(empty.stderr.trim().split("\n").length, 1, empty.stderr);
    assert.match(empty.stderr, /watchlist is empty.*deno task watchlist add 005930.*--codes/);

    await using archivist = await Archivist.open(`${dir}/archivist.db`);
    assert.deepEqual(await archivist.listRuns(), [], "nothing recorded, /health shows no run");
    assert.equal(sim.stats().byTrId.FHKST01010900 ?? 0, 0);
  });
});

Deno.test("collect CLI: `all` with only an entry awaiting its outcome collects daily candles and says why not the rest", async () => {
  await withSim(async (sim, dir) => {
    {
      await using archivist = await Archivist.open(`${dir}/archivist.db`);
      // Three weeks old: no longer a flow/bar target, but its 20-day outcome is still open.
      await archivist.logRejections([{
        stock_code: "005930",
        logged_at: `${addDays(PAST_DAY, -21)}T10:00:00+09:00`,
      }]);
    }
    const result = await collect(dir, ["all", "--date", PAST_DAY], kisEnv(sim, dir));
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.match(
      result.stderr,
      new RegExp(
        `Not collected: flow ${PAST_DAY}, intraday ${PAST_DAY}: nothing to collect: the ` +
          "watchlist is empty and no stock was rejected in the last 7 days",
      ),
    );
    await using archivist = await Archivist.open(`${dir}/archivist.db`);
    const runs = await archivist.listRuns();
    assert.deepEqual(runs.map((r) => `${r.job} ${r.status} ${r.stocks_done}`), [
      "daily succeeded 1",
    ]);
    assert.equal((await archivist.dailyPriceSpan("005930"))?.last, PAST_DAY);
  });
});

Deno.test("collect CLI: credentials KIS refuses are a configuration error (exit 2), recorded", async () => {
  await withSim(async (sim, dir) => {
    const refused = await collect(dir, ["intraday", "--date", PAST_DAY, "--codes", "005930"], {
      ...kisEnv(sim, dir),
      KIS_APP_SECRET: "not-the-secret",
    });
    assert.equal(refused.code, 2, refused.stdout);
    assert.match(refused.stderr, /Check KIS_APP_SECRET/);
    await using archivist = await Archivist.open(`${dir}/archivist.db`);
    const [run] = await archivist.listRuns();
    assert.equal(run.status, "failed");
    assert.match(run.reason ?? "", /EGW00105/);
  });
});

Deno.test("collect CLI: usage and configuration errors exit 2 with a message naming the fix", async () => {
  await withDir(async (dir) => {
    const noKeys = await collect(dir, ["flow"], {});
    assert.equal(noKeys.code, 2);
    assert.match(noKeys.stderr, /KIS_APP_KEY and KIS_APP_SECRET/);
    assert.match(noKeys.stderr, /deno task sim/);

    const cases: [string[], RegExp][] = [
      [["flow", "--date", "2026-02-30"], /--date: expected a date as YYYY-MM-DD/],
      [["flow", "--date", "2026-11-24", "--from", "2026-11-20"], /--date cannot be combined/],
      [["weekly"], /invalid for argument 'job'/],
      [["flow", "--from", "2026-11-24", "--to", "2026-11-20"], /is after --to/],
      [["intraday", "--codes", "5930"], /--codes: 5930 is not a KRX code/],
    ];
    for (const [args, message] of cases) {
      const outcome = await collect(dir, args, { KIS_APP_KEY: "k", KIS_APP_SECRET: "s" });
      assert.equal(outcome.code, 2, args.join(" "));
      assert.match(outcome.stderr, message);
    }
  });
});

async function withDir(test: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "archivist-cli-test-" });
  try {
    await test(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("collect CLI: two processes one after the other keep the app key's limit together", async () => {
  // KIS counts the app key, not the process: the second may not add its burst to the first's
  // last second. The simulator counts every request of the key to the millisecond.
  await withSim(async (sim, dir) => {
    const env = { ...kisEnv(sim, dir), KIS_RATE_LIMIT: "8" };
    const first = await collect(
      dir,
      ["flow", "--date", PAST_DAY, "--codes", "005930,000660,035420,051910,005380,035720"],
      env,
    );
    assert.equal(first.code, 0, first.stdout + first.stderr);
    const second = await collect(
      dir,
      ["flow", "--date", PAST_DAY, "--codes", "068270,207940,373220,005490,000270,105560"],
      env,
    );
    assert.equal(second.code, 0, second.stdout + second.stderr);
    const stats = sim.stats();
    assert.equal(stats.byTrId.FHKST01010900, 12);
    assert.ok(stats.peakPerSecond <= 8, `${stats.peakPerSecond} requests in one second`);
    assert.equal(stats.rateLimited, 0, "no EGW00201");
  }, 8);
});

Deno.test("collect CLI: a folder as KIS_TOKEN_CACHE, or where its pacing file goes, is one configuration error (exit 2), not a failure per stock", async () => {
  await withSim(async (sim, dir) => {
    await Deno.mkdir(`${dir}/tokens`);
    const result = await collect(dir, ["flow", "--codes", "005930"], {
      ...kisEnv(sim, dir),
      KIS_TOKEN_CACHE: `${dir}/tokens`,
    });
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, /KIS_TOKEN_CACHE: .*tokens is a folder; point it at a file/);
    assert.doesNotMatch(result.stderr, /^\s+at /m);
    // The pacing file beside the cache (shared by the processes of one key) must be a file too.
    await Deno.mkdir(`${dir}/token.json.pace`);
    const pace = await collect(dir, ["flow", "--codes", "005930"], {
      ...kisEnv(sim, dir),
      KIS_TOKEN_CACHE: `${dir}/token.json`,
    });
    assert.equal(pace.code, 2, pace.stderr);
    assert.match(
      pace.stderr,
      /KIS_TOKEN_CACHE: .*token\.json\.pace is a folder; it is where the KIS pacing file/,
    );
    assert.equal(sim.stats().tokenRequests, 0);
  });
});
