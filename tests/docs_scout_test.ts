import assert from "node:assert/strict";
import { startTestApi } from "./fixtures/http_harness.ts";
import { tempDir } from "./helpers.ts";

const DOC = new URL("../docs/scout.md", import.meta.url);

/** Where `name` is on this machine's PATH. */
function which(name: string): string {
  const output = new Deno.Command("sh", { args: ["-c", `command -v ${name}`] }).outputSync();
  const path = new TextDecoder().decode(output.stdout).trim();
  if (!output.success || !path) throw new Error(`${name} is not installed`);
  return path;
}

Deno.test("docs/scout.md: every curl example runs, on a machine without uuidgen", async () => {
  const doc = await Deno.readTextFile(DOC);
  const section = doc.slice(doc.indexOf("## curl, every route"));
  const script = /```sh\n([\s\S]*?)```/.exec(section)![1];
  await using bin = await tempDir();
  // Only what the examples say they need; curl fails on an HTTP error status.
  await Deno.writeTextFile(`${bin.path}/curl`, `#!/bin/sh\nexec ${which("curl")} -f "$@"\n`);
  await Deno.chmod(`${bin.path}/curl`, 0o755);
  for (const tool of ["od", "tr"]) await Deno.symlink(which(tool), `${bin.path}/${tool}`);
  await using api = await startTestApi();
  const output = await new Deno.Command(which("bash"), {
    args: ["-ec", script.replace(/^A=.*$/m, `A=${api.url}`) + "\nkey\n"],
    clearEnv: true,
    env: { PATH: bin.path },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(output.stderr);
  assert.ok(output.success, stderr);
  const stdout = new TextDecoder().decode(output.stdout);
  assert.match(stdout.trim().split("\n").at(-1)!, /[0-9a-f]{32}$/, "key prints 32 hex digits");
  const stored = await api.archivist.listDecisions({});
  assert.equal(stored.items.length, 1);
  assert.match(stored.items[0].idempotency_key ?? "", /^[0-9a-f]{32}$/);
  assert.equal((await api.archivist.listRejections({})).items.length, 1);
});
