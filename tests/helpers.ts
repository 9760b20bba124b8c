/**
 * Shared test fixtures: temporary directories and archives that clean up after themselves.
 *
 * @module
 */
import { Archivist, type ArchivistOptions } from "../db/archivist.ts";

/** A temporary directory removed on dispose. */
export async function tempDir(): Promise<{ path: string } & AsyncDisposable> {
  const path = await Deno.makeTempDir({ prefix: "archivist-test-" });
  return {
    path,
    [Symbol.asyncDispose]: () => Deno.remove(path, { recursive: true }),
  };
}

/** An Archivist on a fresh file in a temporary directory; both go away on dispose. */
export async function tempArchive(
  options: ArchivistOptions = {},
): Promise<{ archivist: Archivist; path: string; dir: string } & AsyncDisposable> {
  const dir = await Deno.makeTempDir({ prefix: "archivist-test-" });
  const path = `${dir}/archivist.db`;
  const archivist = await Archivist.open(path, options);
  return {
    archivist,
    path,
    dir,
    [Symbol.asyncDispose]: async () => {
      await archivist.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}
