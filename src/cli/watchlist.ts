/**
 * `deno task watchlist <list|add|remove|import>`: manage the stocks collected every trading day.
 *
 * @module
 */
import { Command } from "commander";
import { parse } from "csv-parse/sync";
import { z } from "zod";
import { type WatchlistEntry, watchlistEntrySchema } from "../../db/entries.ts";
import { runProgram, startCommand, UsageError } from "./entry.ts";

/** Validates entries, naming the first bad one by its position. */
function validEntries(rows: unknown[], where: (index: number) => string): WatchlistEntry[] {
  return rows.map((row, index) => {
    const result = watchlistEntrySchema.safeParse(row);
    if (!result.success) {
      throw new UsageError(
        `${where(index)}: ${z.prettifyError(result.error).replaceAll("\n", " ")}`,
      );
    }
    return result.data;
  });
}

/** Reads `stock_code,stock_name` rows from a CSV file; the header line is optional. */
export function parseWatchlistCsv(text: string): { stock_code: string; stock_name?: string }[] {
  const records = parse(text, {
    bom: true,
    skip_empty_lines: true,
    trim: true,
    relax_column_count: true,
  }) as string[][];
  const hasHeader = records.length > 0 && /^stock_code$/i.test(records[0][0] ?? "");
  return records.slice(hasHeader ? 1 : 0).map(([stock_code, stock_name]) =>
    stock_name ? { stock_code, stock_name } : { stock_code }
  );
}

async function withArchive<T>(
  work: (command: Awaited<ReturnType<typeof startCommand>>) => Promise<T>,
  writes: "required" | "optional" = "required",
) {
  await using command = await startCommand("watchlist.jsonl", { writes });
  return await work(command);
}

const program = new Command("watchlist")
  .description("Manage the watchlist: the stocks collected every trading day while active.")
  .exitOverride()
  .configureOutput({ writeErr: (text) => Deno.stderr.writeSync(new TextEncoder().encode(text)) });

program.command("list").description("print the watchlist")
  .option("--all", "include inactive entries")
  .option("--json", "print JSON instead of a table")
  .action((options: { all?: boolean; json?: boolean }) =>
    withArchive(async ({ archivist }) => {
      const entries = await archivist.watchlist({ includeInactive: options.all });
      if (options.json) return console.log(JSON.stringify(entries, null, 2));
      if (entries.length === 0) {
        return console.log(
          "The watchlist is empty. Add stocks with: deno task watchlist add 005930 삼성전자",
        );
      }
      for (const e of entries) {
        console.log(
          `${e.stock_code}  ${e.is_active ? "active  " : "inactive"}  ${e.stock_name ?? ""}`,
        );
      }
      console.log(`${entries.length} entr${entries.length === 1 ? "y" : "ies"}`);
    }, "optional")
  );

program.command("add").description("add or re-activate a stock")
  .argument("<stock_code>", "KRX code, e.g. 005930")
  .argument("[stock_name]", "name, e.g. 삼성전자")
  .action((stock_code: string, stock_name?: string) =>
    withArchive(async ({ archivist }) => {
      const entries = validEntries(
        [stock_name ? { stock_code, stock_name } : { stock_code }],
        () => "stock",
      );
      const counts = await archivist.addToWatchlist(entries);
      console.log(
        counts.inserted
          ? `Added ${stock_code}.`
          : counts.updated
          ? `Updated ${stock_code}.`
          : `${stock_code} was already active.`,
      );
    })
  );

program.command("remove").description("deactivate stocks (their data stays)")
  .argument("<stock_codes...>", "KRX codes")
  .action((codes: string[]) =>
    withArchive(async ({ archivist }) => {
      const removed = await archivist.removeFromWatchlist(codes);
      console.log(`Deactivated ${removed} of ${codes.length}.`);
    })
  );

program.command("import").description("add stocks from a CSV file of stock_code,stock_name")
  .argument("<file>", "CSV file; a stock_code,stock_name header line is optional")
  .option("--replace", "make the file the whole active watchlist (others are deactivated)")
  .action((file: string, options: { replace?: boolean }) =>
    withArchive(async ({ archivist }) => {
      const text = await Deno.readTextFile(file).catch((error: Error) => {
        throw new UsageError(`Cannot read ${file}: ${error.message}`);
      });
      let rows: { stock_code: string; stock_name?: string }[];
      try {
        rows = parseWatchlistCsv(text);
      } catch (error) {
        throw new UsageError(`${file} is not valid CSV: ${(error as Error).message}`);
      }
      const entries = validEntries(rows, (index) => `${file} row ${index + 1}`);
      const counts = options.replace
        ? await archivist.replaceWatchlist(entries)
        : { ...await archivist.addToWatchlist(entries), deactivated: 0 };
      console.log(
        `Imported ${entries.length} from ${file}: ${counts.inserted} added, ${counts.updated} updated, ` +
          `${counts.unchanged} unchanged, ${counts.deactivated} deactivated.`,
      );
    })
  );

if (import.meta.main) await runProgram(program);
