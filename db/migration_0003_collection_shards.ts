/**
 * Migration `0003_collection_shards`: `collection_run.shard`, the part `i/n` of the targets a run
 * collected when several collectors split them (`collect --shard`); null for a run of them all.
 *
 * Frozen in time like every migration: it spells out its own SQL and imports nothing from the app.
 *
 * @module
 */
import { type Kysely, sql } from "kysely";
import type { Migration } from "kysely/migration";

async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    ALTER TABLE collection_run ADD COLUMN shard TEXT
      CHECK (shard IS NULL OR shard GLOB '[0-9]*/[0-9]*')`.execute(db);
}

/** The shard of a collection run. */
export const collectionShardsMigration: Migration = { up };
