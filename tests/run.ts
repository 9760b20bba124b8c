/**
 * `deno task test`: formatting, lint, type check and the whole test suite, then the totals alone
 * on the last line as `N passed, N failed` (a failed check counts as one failure).
 *
 * @module
 */

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

async function run(args: string[]): Promise<{ success: boolean; output: string }> {
  const child = new Deno.Command(Deno.execPath(), {
    args,
    stdout: "piped",
    stderr: "inherit",
    env: { NO_COLOR: "1" },
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

console.log("── deno test");
const tests = await run(["test", "--allow-all", "--parallel", ...Deno.args]);
const summary = /(\d+) passed[^|]*\|\s*(\d+) failed/.exec(tests.output);
const passed = summary ? Number(summary[1]) : 0;
let failed = (summary ? Number(summary[2]) : 0) + staticFailures;
if (!tests.success && (!summary || Number(summary[2]) === 0)) failed++;
console.log(`${passed} passed, ${failed} failed`);
Deno.exit(failed === 0 && tests.success ? 0 : 1);
