/**
 * The benchmarks' PostgreSQL: a throwaway server that syncs commits like a real one, with fresh
 * databases, stopped when the benchmark ends.
 *
 * @module
 */
import { adminQuery, startThrowawayPostgres } from "../src/throwaway_postgres.ts";

/**
 * Runs `bench` with the URLs of fresh databases `names` on a throwaway server; a result line
 * saying `skipped` (and why) when no server can be started here.
 */
export async function onThrowawayPostgres(
  name: string,
  databases: readonly string[],
  bench: (urls: string[]) => Promise<Record<string, unknown>>,
): Promise<Record<string, unknown>> {
  let server;
  try {
    server = await startThrowawayPostgres({ durable: true });
  } catch (error) {
    return { bench: name, skipped: (error as Error).message };
  }
  try {
    const urls = databases.map((database) => server.url(database));
    for (const [i, url] of urls.entries()) {
      await adminQuery(url, `CREATE DATABASE ${databases[i]}`);
    }
    return await bench(urls);
  } finally {
    await server.stop();
  }
}
