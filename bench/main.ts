/**
 * `deno task bench [name]`: runs the benchmarks (`archive`, `kis`, `collect`, `ingest`,
 * `outcomes`, `dashboard`), or one by name; each prints its result as one JSON line (`archive` and
 * `ingest` a second one: the same on a throwaway PostgreSQL).
 *
 * @module
 */
import { benchArchive, benchArchivePostgres } from "./archive.ts";
import { benchCollect } from "./collect.ts";
import { benchDashboard } from "./dashboard.ts";
import { benchIngest, benchIngestPostgres } from "./ingest.ts";
import { benchKis } from "./kis.ts";
import { benchOutcomes } from "./outcomes.ts";

/** A benchmark's result lines. */
type Lines = Record<string, unknown>[];

const one = (bench: () => Promise<Record<string, unknown>>) => async (): Promise<Lines> => [
  await bench(),
];

/** SQLite, then the same benchmark on PostgreSQL. */
const both = (
  sqlite: () => Promise<Record<string, unknown>>,
  postgres: () => Promise<Record<string, unknown>>,
) =>
async (): Promise<Lines> => [await sqlite(), await postgres()];

const BENCHMARKS: Record<string, () => Promise<Lines>> = {
  archive: both(benchArchive, benchArchivePostgres),
  kis: one(benchKis),
  collect: one(benchCollect),
  ingest: both(benchIngest, benchIngestPostgres),
  outcomes: one(benchOutcomes),
  dashboard: one(benchDashboard),
};

const names = Deno.args.length > 0 ? Deno.args : Object.keys(BENCHMARKS);
const unknown = names.filter((name) => !(name in BENCHMARKS));
if (unknown.length > 0) {
  console.error(
    `Unknown benchmark ${unknown.join(", ")}; choose from ${Object.keys(BENCHMARKS).join(", ")}.`,
  );
  Deno.exit(2);
}
for (const name of names) {
  for (const line of await BENCHMARKS[name]()) console.log(JSON.stringify(line));
}
