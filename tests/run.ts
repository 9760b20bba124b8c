/**
 * `deno task test`: formatting, lint, type check and the whole test suite, then the archive, HTTP,
 * collection and dashboard suites again against a throwaway PostgreSQL this script starts (and
 * stops, whatever happens), then the totals of both passes alone on the last line as
 * `N passed, N failed` (a failed check counts as one failure).
 *
 * Arguments go to `deno test`; file arguments replace the PostgreSQL pass's list of files.
 *
 * @module
 */
import { Archivist } from "../db/archivist.ts";
import { adminQuery, startThrowawayPostgres, TEST_POSTGRES_ENV } from "./fixtures/postgres.ts";

/**
 * The suites that run on both backends: their fixtures open PostgreSQL in the second pass. Left
 * out: suites of SQLite's own file (file checks, backup and restore, the adapter, the group commit
 * over it, faults of the file system), and those that never open the archive (KIS, simulator,
 * configuration, the browser, whose pages `dashboard_pages_test.ts` reads on both).
 */
const POSTGRES_SUITES = [
  "tests/db_archivist_test.ts",
  "tests/db_outcomes_test.ts",
  "tests/db_dashboard_reads_test.ts",
  "tests/db_market_calendar_test.ts",
  "tests/db_postgres_test.ts",
  "tests/http_decisions_test.ts",
  "tests/http_shadow_radar_test.ts",
  "tests/http_reads_test.ts",
  "tests/http_outcomes_test.ts",
  "tests/http_protocol_test.ts",
  "tests/http_hostile_test.ts",
  "tests/http_fuzz_test.ts",
  "tests/http_access_test.ts",
  "tests/http_metrics_test.ts",
  "tests/http_lock_test.ts",
  "tests/http_backends_test.ts",
  "tests/docs_scout_test.ts",
  "tests/collectors_flow_test.ts",
  "tests/collectors_intraday_test.ts",
  "tests/collectors_daily_test.ts",
  "tests/collectors_run_test.ts",
  "tests/collectors_catch_up_test.ts",
  "tests/collectors_schedule_test.ts",
  "tests/collectors_sessions_test.ts",
  "tests/collectors_lease_test.ts",
  "tests/collectors_shard_test.ts",
  "tests/dashboard_pages_test.ts",
  "tests/dashboard_entries_test.ts",
  "tests/dashboard_reports_test.ts",
  "tests/cli_copy_test.ts",
  "tests/cli_migrate_test.ts",
  "tests/cli_report_test.ts",
  "tests/cli_watchlist_test.ts",
  "tests/maintenance_test.ts",
  "tests/main_test.ts",
];

/** The migrated database every test database of the PostgreSQL pass is copied from. */
const TEMPLATE_DATABASE = "archivist_template";

const CHECKED = ["main.ts", "src/", "db/", "collectors/", "bench/", "tests/"];

interface Step {
  readonly name: string;
  readonly args: string[];
}

const STATIC_STEPS: Step[] = [
  { name: "deno fmt --check", args: ["fmt", "--check"] },
  { name: "deno lint", args: ["lint"] },
  { name: "deno check", args: ["check", ...CHECKED] },
];

async function run(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ success: boolean; output: string }> {
  const child = new Deno.Command(Deno.execPath(), {
    args,
    stdout: "piped",
    stderr: "inherit",
    env: { NO_COLOR: "1", ...env },
  }).spawn();
  let output = "";
  const decoder = new TextDecoder();
  for await (const chunk of child.stdout) {
    await Deno.stdout.write(chunk);
    output = (output + decoder.decode(chunk, { stream: true })).slice(-20_000);
  }
  return { success: (await child.status).success, output };
}

let staticFailures = 0;
for (const step of STATIC_STEPS) {
  console.log(`── ${step.name}`);
  const { success } = await run(step.args);
  if (!success) {
    staticFailures++;
    console.log(`✗ ${step.name} failed`);
  }
}

/** Runs `deno test` with `args`; its counts, a failure added when it failed without counting one. */
async function testPass(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ passed: number; failed: number }> {
  const tests = await run(["test", "--allow-all", "--parallel", ...args], env);
  const summary = /(\d+) passed[^|]*\|\s*(\d+) failed/.exec(tests.output);
  const passed = summary ? Number(summary[1]) : 0;
  let failed = summary ? Number(summary[2]) : 0;
  if (!tests.success && failed === 0) failed++;
  return { passed, failed };
}

/** The PostgreSQL pass: a throwaway server, a migrated template, the suites, the server stopped. */
async function postgresPass(): Promise<{ passed: number; failed: number }> {
  let server;
  try {
    server = await startThrowawayPostgres();
  } catch (error) {
    console.log(`✗ could not start a throwaway PostgreSQL: ${(error as Error).message}`);
    return { passed: 0, failed: 1 };
  }
  // Stopped on Ctrl-C too: a server left running would hold its port and folder.
  const onSignal = () => server.stop().finally(() => Deno.exit(130));
  Deno.addSignalListener("SIGINT", onSignal);
  Deno.addSignalListener("SIGTERM", onSignal);
  try {
    const template = server.url(TEMPLATE_DATABASE);
    await adminQuery(template, `CREATE DATABASE ${TEMPLATE_DATABASE}`);
    await (await Archivist.open(template)).close();
    const files = Deno.args.filter((arg) => !arg.startsWith("-"));
    const flags = Deno.args.filter((arg) => arg.startsWith("-"));
    return await testPass([...flags, ...(files.length > 0 ? files : POSTGRES_SUITES)], {
      [TEST_POSTGRES_ENV]: template,
    });
  } finally {
    Deno.removeSignalListener("SIGINT", onSignal);
    Deno.removeSignalListener("SIGTERM", onSignal);
    await server.stop();
  }
}

console.log("── deno test");
const sqlite = await testPass(Deno.args);
console.log("── deno test, PostgreSQL");
const postgres = await postgresPass();
const passed = sqlite.passed + postgres.passed;
const failed = sqlite.failed + postgres.failed + staticFailures;
console.log(`${passed} passed, ${failed} failed`);
Deno.exit(failed === 0 ? 0 : 1);
