/**
 * `deno task sim`: runs the bundled KIS simulator on loopback until SIGINT/SIGTERM, printing
 * its URLs, the demo credentials and the `.env` lines that point Archivist at it.
 *
 * Exit codes: 0 after a signal, 2 on bad flags or when a port cannot be bound.
 *
 * @module
 */
import { Command, CommanderError, InvalidArgumentError } from "commander";
import { setupLogging } from "../log.ts";
import { kstIso } from "../time.ts";
import { parseInstant } from "./clock.ts";
import {
  DEMO_REAL_APP_KEY,
  DEMO_REAL_APP_SECRET,
  DEMO_VIRTUAL_APP_KEY,
  DEMO_VIRTUAL_APP_SECRET,
  type KisSimulator,
  startSimulator,
} from "./server.ts";

/** Parsed command-line options of `deno task sim`. */
export interface SimCliOptions {
  port: number;
  virtualPort: number;
  hostname: string;
  rateLimit?: number;
  virtualRateLimit?: number;
  clock?: string;
  verbose: boolean;
}

function port(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 65535) {
    throw new InvalidArgumentError("expected a TCP port number 0..65535");
  }
  return n;
}

function rate(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) {
    throw new InvalidArgumentError("expected a positive number of requests per second");
  }
  return n;
}

function instant(value: string): string {
  try {
    parseInstant(value);
  } catch {
    throw new InvalidArgumentError("expected an ISO-8601 instant, e.g. 2025-01-10T16:00:00+09:00");
  }
  return value;
}

/** Parses `args`; throws {@link CommanderError} on bad flags (after printing the message). */
export function parseSimArgs(args: string[]): SimCliOptions {
  const program = new Command()
    .name("deno task sim")
    .description("Run the bundled KIS Open API simulator on loopback.")
    .option("--port <n>", "real-host port (like KIS 9443)", port, 9443)
    .option("--virtual-port <n>", "virtual-host (모의투자) port", port, 29443)
    .option("--hostname <host>", "bind address", "127.0.0.1")
    .option("--rate-limit <n>", "real requests per app key per second (default 18)", rate)
    .option("--virtual-rate-limit <n>", "virtual requests per app key per second (default 1)", rate)
    .option("--clock <iso>", "initial simulated instant (default: now)", instant)
    .option("--verbose", "log every request", false)
    .exitOverride()
    .allowExcessArguments(false);
  program.parse(args, { from: "user" });
  return program.opts<SimCliOptions>();
}

function banner(sim: KisSimulator): string {
  return [
    "KIS simulator running",
    `  real host:    ${sim.realUrl}`,
    `  virtual host: ${sim.virtualUrl}`,
    `  clock:        ${kstIso(sim.now())}`,
    "",
    "Demo credentials:",
    `  real    appkey ${DEMO_REAL_APP_KEY}`,
    `          appsecret ${DEMO_REAL_APP_SECRET}`,
    `  virtual appkey ${DEMO_VIRTUAL_APP_KEY}`,
    `          appsecret ${DEMO_VIRTUAL_APP_SECRET}`,
    "",
    "Point Archivist at it with these .env lines:",
    `KIS_BASE_URL=${sim.realUrl}`,
    `KIS_APP_KEY=${DEMO_REAL_APP_KEY}`,
    `KIS_APP_SECRET=${DEMO_REAL_APP_SECRET}`,
    "KIS_ENV=real",
    "",
    "Control: GET/PUT /__sim/clock, PUT /__sim/faults, PUT /__sim/rate-limit, GET /__sim/stats,",
    "POST /__sim/expire-tokens, POST /__sim/warm. Stop with Ctrl-C.",
  ].join("\n");
}

function untilSignal(): Promise<Deno.Signal> {
  return new Promise((resolve) => {
    const signals: Deno.Signal[] = ["SIGINT", "SIGTERM"];
    const handlers = signals.map((signal) => {
      const handler = () => {
        signals.forEach((s, i) => Deno.removeSignalListener(s, handlers[i]));
        resolve(signal);
      };
      Deno.addSignalListener(signal, handler);
      return handler;
    });
  });
}

/** Runs the CLI with `args`; resolves with the exit code. */
export async function main(args: string[]): Promise<number> {
  let options: SimCliOptions;
  try {
    options = parseSimArgs(args);
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.code === "commander.helpDisplayed" || error.code === "commander.version" ? 0 : 2;
    }
    throw error;
  }
  await using _logging = await setupLogging({ level: options.verbose ? "debug" : "info" });
  let sim: KisSimulator;
  try {
    sim = await startSimulator({
      hostname: options.hostname,
      port: options.port,
      virtualPort: options.virtualPort,
      rateLimit: { real: options.rateLimit, virtual: options.virtualRateLimit },
      clock: options.clock,
      quiet: !options.verbose,
    });
  } catch (error) {
    console.error(`Cannot start the simulator: ${(error as Error).message}`);
    return 2;
  }
  console.log(banner(sim));
  const signal = await untilSignal();
  console.log(`\n${signal} received, stopping the simulator.`);
  await sim.close();
  return 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
