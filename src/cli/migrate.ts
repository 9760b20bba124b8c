/**
 * `deno task migrate`: creates or upgrades the database at `ARCHIVIST_DB`, then exits 0.
 *
 * @module
 */
import { startCommand } from "./entry.ts";

await using command = await startCommand("migrate.jsonl");
const { archivist } = command;
const { applied, schemaVersion } = archivist.migration;
console.log(
  applied.length > 0
    ? `Migrated ${archivist.path} to schema version ${schemaVersion} (applied ${
      applied.join(", ")
    }).`
    : `${archivist.path} is up to date (schema version ${schemaVersion}).`,
);
