/**
 * `deno task bench [name]`: runs the benchmarks (`archive`, `kis`, `collect`, `ingest`,
 * `outcomes`, `dashboard`), or one by name; each prints its result as one JSON line.
 *
 * @module
 */
import { benchArchive } from "./archive.ts";
import { benchCollect } from "./collect.ts";
import { benchDashboard } from "./dashboard.ts";
import { benchIngest } from "./ingest.ts";
import { benchKis } from "./kis.ts";
import { benchOutcomes } from "./outcomes.ts";

const BENCHMARKS: Record<string, () => Promise<Record<string, unknown>>> = {
  archive: benchArchive,
  kis: benchKis,
  collect: benchCollect,
  ingest: benchIngest,
  outcomes: benchOutcomes,
  dashboard: benchDashboard,
};

const names = Deno.args.length > 0 ? Deno.args : Object.keys(BENCHMARKS);
const unknown = names.filter((name) => !(name in BENCHMARKS));
if (unknown.length > 0) {
  console.error(
    `Unknown benchmark ${unknown.join(", ")}; choose from ${Object.keys(BENCHMARKS).join(", ")}.`,
  );
  Deno.exit(2);
}
for (const name of names) console.log(JSON.stringify(await BENCHMARKS[name]()));
