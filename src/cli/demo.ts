/**
 * `deno task demo [--port N] [--once]`: the whole system without a KIS account. Starts the bundled
 * KIS simulator and the service (its own port, its own database file `data/demo.db`), seeds a
 * small watchlist, logs six weeks of synthetic Scout decisions and rejections through the API,
 * collects the last trading day's flows, minute bars and daily candles (so every entry gets its
 * outcome), and prints what to open. It then keeps both running until Ctrl-C (`--once` exits
 * after printing).
 *
 * @module
 */
import { Command, CommanderError } from "commander";
import { Archivist } from "../../db/archivist.ts";
import { refreshMarketCalendar } from "../../collectors/calendar.ts";
import { latestReadyTradeDate } from "../../collectors/dates.ts";
import { runCollection, type RunReport } from "../../collectors/run.ts";
import { COLLECTION_JOBS } from "../../db/schema.ts";
import { recentTradingDays } from "../../collectors/dates.ts";
import { KisClient } from "../kis/mod.ts";
import { setupLogging } from "../log.ts";
import { scoutEntries } from "../sim/scout.ts";
import { DEMO_REAL_APP_KEY, DEMO_REAL_APP_SECRET, startSimulator } from "../sim/server.ts";
import { EXIT_USAGE } from "./entry.ts";

/** The stocks the demo watches. */
export const DEMO_WATCHLIST = [
  { stock_code: "005930", stock_name: "삼성전자" },
  { stock_code: "000660", stock_name: "SK하이닉스" },
  { stock_code: "035420", stock_name: "NAVER" },
  { stock_code: "005380", stock_name: "현대차" },
  { stock_code: "051910", stock_name: "LG화학" },
] as const;

/** Further stocks Scout looks at in the demo (207940 splits 5-for-1 on 2026-11-16). */
const DEMO_SCOUT_STOCKS = [
  ...DEMO_WATCHLIST,
  { stock_code: "207940", stock_name: "삼성바이오로직스" },
  { stock_code: "035720", stock_name: "카카오" },
  { stock_code: "068270", stock_name: "셀트리온" },
] as const;

/**
 * Trading days of synthetic Scout entries the demo logs: six weeks, so the oldest two weeks'
 * entries have their 20-day outcome (complete) while the newest still await later days.
 */
const DEMO_SCOUT_DAYS = 30;

const DEMO_DB = "data/demo.db";
const DEMO_TOKEN_CACHE = "data/demo-kis-token.json";
const DEMO_LOG_DIR = "logs/demo";
const DEMO_BACKUP_DIR = "data/demo-backups";
const PROJECT_ROOT = new URL("../../", import.meta.url);

interface DemoOptions {
  readonly port: number;
  readonly once: boolean;
}

function parseOptions(): DemoOptions {
  const program = new Command("demo")
    .description("Run the whole system offline against the bundled KIS simulator.")
    .option("--port <N>", "the demo service's HTTP port", "8788")
    .option("--once", "exit after the collection instead of serving until Ctrl-C", false)
    .exitOverride();
  try {
    program.parse(Deno.args, { from: "user" });
  } catch (error) {
    if (error instanceof CommanderError) Deno.exit(error.exitCode === 0 ? 0 : EXIT_USAGE);
    throw error;
  }
  const { port, once } = program.opts<{ port: string; once: boolean }>();
  if (!/^\d+$/.test(port) || Number(port) > 65_535) {
    console.error(`--port: expected a TCP port number (got ${JSON.stringify(port)})`);
    Deno.exit(EXIT_USAGE);
  }
  return { port: Number(port), once };
}

/** Exits 2 when `port` is taken: the health check would otherwise reach someone else's server. */
function ensurePortFree(port: number): void {
  try {
    Deno.listen({ hostname: "127.0.0.1", port }).close();
  } catch (error) {
    if (!(error instanceof Deno.errors.AddrInUse)) throw error;
    console.error(
      `--port: 127.0.0.1:${port} is already in use (another demo or service?); ` +
        "stop it or pass --port with a free port.",
    );
    Deno.exit(EXIT_USAGE);
  }
}

async function waitForHealth(url: string, service: Deno.ChildProcess): Promise<void> {
  const deadline = Date.now() + 20_000;
  let exited = false;
  service.status.then(() => exited = true);
  while (Date.now() < deadline && !exited) {
    try {
      const response = await fetch(`${url}/health`);
      await response.body?.cancel();
      if (response.ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(
    exited
      ? `the demo service exited early (its message is above; more in ${DEMO_LOG_DIR}/)`
      : `the demo service did not answer on ${url} within 20 s`,
  );
}

/** POSTs the synthetic entries to the service as Scout would; returns how many were logged. */
async function logScoutEntries(url: string, tradingDays: readonly string[]): Promise<number> {
  const { decisions, rejections } = scoutEntries({
    tradingDays,
    stocks: DEMO_SCOUT_STOCKS,
    keyPrefix: "demo",
  });
  for (const [path, entries] of [["decisions", decisions], ["shadow-radar", rejections]] as const) {
    const response = await fetch(`${url}/v1/${path}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(entries),
    });
    if (!response.ok) {
      throw new Error(`POST /v1/${path} answered ${response.status}: ${await response.text()}`);
    }
    await response.body?.cancel();
  }
  return decisions.length + rejections.length;
}

function summary(report: RunReport): string {
  return `${
    report.job.padEnd(8)
  } ${report.tradeDate}  ${report.status}: ${report.stocksDone} stocks, ` +
    `${report.rowsWritten} rows, ${report.kisCalls} KIS calls` +
    (report.reason ? ` (${report.reason})` : "");
}

async function main(): Promise<void> {
  const options = parseOptions();
  ensurePortFree(options.port);
  await using _logging = await setupLogging({
    logDir: DEMO_LOG_DIR,
    fileName: "demo.jsonl",
    level: "warning",
  });
  await using sim = await startSimulator({ quiet: true });
  console.log(`KIS simulator     ${sim.realUrl} (real) · ${sim.virtualUrl} (virtual)`);

  const archivist = await Archivist.open(DEMO_DB);
  await archivist.addToWatchlist(DEMO_WATCHLIST);

  const url = `http://127.0.0.1:${options.port}`;
  const service = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--config",
      new URL("deno.json", PROJECT_ROOT).pathname,
      "--allow-env",
      "--allow-read",
      "--allow-write",
      "--allow-net",
      "--allow-sys",
      new URL("main.ts", PROJECT_ROOT).pathname,
    ],
    env: {
      ARCHIVIST_DB: DEMO_DB,
      ARCHIVIST_PORT: String(options.port),
      ARCHIVIST_HOST: "127.0.0.1",
      ARCHIVIST_LOG_DIR: DEMO_LOG_DIR,
      // Only the service's warnings reach this terminal; everything is in its log file.
      ARCHIVIST_LOG_LEVEL: "warning",
      // The demo collects the last trading day itself, below, with progress on the terminal.
      ARCHIVIST_CATCH_UP_DAYS: "0",
      KIS_ENV: "real",
      KIS_BASE_URL: sim.realUrl,
      KIS_APP_KEY: DEMO_REAL_APP_KEY,
      KIS_APP_SECRET: DEMO_REAL_APP_SECRET,
      KIS_TOKEN_CACHE: DEMO_TOKEN_CACHE,
      // The demo's archive is backed up beside it (if it runs at the maintenance time).
      ARCHIVIST_BACKUP_DIR: DEMO_BACKUP_DIR,
    },
    stdout: "null",
    stderr: "inherit",
  }).spawn();
  try {
    await waitForHealth(url, service);
    console.log(`Archivist service ${url} (database ${DEMO_DB})`);

    const client = new KisClient({
      env: "real",
      baseUrl: sim.realUrl,
      appKey: DEMO_REAL_APP_KEY,
      appSecret: DEMO_REAL_APP_SECRET,
      rateLimit: 15,
      tokenCachePath: DEMO_TOKEN_CACHE,
    });
    const now = new Date();
    await refreshMarketCalendar(archivist, client, now);
    const scoutDays = recentTradingDays(
      latestReadyTradeDate("daily", now, archivist),
      DEMO_SCOUT_DAYS,
      archivist,
    );
    const logged = await logScoutEntries(url, scoutDays);
    console.log(
      `Logged ${logged} synthetic Scout decisions and rejections (${scoutDays[0]} … ` +
        `${scoutDays[scoutDays.length - 1]}) through the API`,
    );
    console.log(`Collecting ${DEMO_WATCHLIST.length} stocks (and the entries' stocks' candles)…`);
    let tradeDate = "";
    for (const job of COLLECTION_JOBS) {
      tradeDate = latestReadyTradeDate(job, now, archivist);
      const report = await runCollection({ archivist, client }, {
        job,
        tradeDate,
        trigger: "demo",
      });
      console.log(`  ${summary(report)}`);
    }
    await archivist.close();

    console.log(`
Open the dashboard:
  ${url}/
  ${url}/stocks/207940 (daily candles across its split, with Scout's entries)
  ${url}/reports/regret
  ${url}/reports/scorecard

Or the API:
  ${url}/health
  ${url}/v1/runs
  ${url}/v1/watchlist
  ${url}/v1/minute-bars/005930?date=${tradeDate}
  ${url}/v1/market-flow/005930
  ${url}/v1/daily-prices/207940
  ${url}/v1/outcomes/decisions?status=complete
  ${url}/v1/reports/regret
  ${url}/v1/reports/scorecard
  ${url}/v1/reports/daily-packet?date=${scoutDays[0]}
  ${url}/openapi.json
  ${url}/metrics
  ${DEMO_DB} in a SQLite browser (view stock_minute_price_kst shows bars in KST)

Reports in the terminal:
  ARCHIVIST_DB=${DEMO_DB} deno task report scorecard
  ARCHIVIST_DB=${DEMO_DB} deno task report regret --format csv

Log a decision as Scout would:
  curl -s -X POST ${url}/v1/decisions -H 'content-type: application/json' \\
    -d '{"stock_code":"005930","stock_name":"삼성전자","final_decision":"BUY","hunter_score":72.5}'
`);
    if (!options.once) {
      console.log("Serving until Ctrl-C.");
      await new Promise<void>((resolve) => {
        for (const signal of ["SIGINT", "SIGTERM"] as const) {
          Deno.addSignalListener(signal, () => resolve());
        }
      });
    }
  } finally {
    try {
      service.kill("SIGTERM");
    } catch {
      // Already gone.
    }
    await service.status;
  }
}

if (import.meta.main) await main();
