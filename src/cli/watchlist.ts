/**
 * `deno task watchlist <list|add|remove|import>`: manage the stocks collected every trading day.
 *
 * @module
 */
import { Command } from "commander";
import { parse } from "csv-parse/sync";
import { type WatchlistEntry, watchlistEntrySchema } from "../../db/entries.ts";
import { runProgram, startCommand, UsageError } from "./entry.ts";

/** A watchlist row as read, with where it was. */
export interface WatchlistRowInput {
  readonly stock_code: string;
  readonly stock_name?: string;
  /** Its line in the file (1-based), or its position on the command line. */
  readonly line: number;
}

/** A hint for a code a spreadsheet shortened: `5930` was most likely `005930`. */
function codeHint(code: string): string {
  return /^\d{4,5}$/.test(code)
    ? ` (did a spreadsheet drop leading zeros? try ${code.padStart(6, "0")})`
    : "";
}

/**
 * Validates every row; when any is bad, throws one {@link UsageError} listing each bad row with
 * its line and value, so one pass fixes the file.
 */
function validEntries(
  rows: readonly WatchlistRowInput[],
  where: (row: WatchlistRowInput) => string,
): WatchlistEntry[] {
  const problems: string[] = [];
  const entries = rows.flatMap(({ line: _line, ...row }, index) => {
    const result = watchlistEntrySchema.safeParse(row);
    if (result.success) return [result.data];
    for (const issue of result.error.issues) {
      const field = String(issue.path[0] ?? "row") as keyof typeof row;
      const value = typeof row[field] === "string" ? ` ${JSON.stringify(row[field])}` : "";
      const hint = field === "stock_code" ? codeHint(row.stock_code) : "";
      problems.push(`${where(rows[index])}: ${field}${value}: ${issue.message}${hint}`);
    }
    return [];
  });
  if (problems.length > 0) {
    throw new UsageError(
      `${problems.length} bad row${problems.length > 1 ? "s" : ""}, nothing changed:\n` +
        problems.map((p) => `  ${p}`).join("\n"),
    );
  }
  return entries;
}

/** Reads `stock_code,stock_name` rows from a CSV file, with their lines; the header is optional. */
export function parseWatchlistCsv(text: string): WatchlistRowInput[] {
  const records = parse(text, {
    bom: true,
    skip_empty_lines: true,
    trim: true,
    relax_column_count: true,
    info: true,
  }) as unknown as { record: string[]; info: { lines: number } }[];
  const hasHeader = records.length > 0 && /^stock_code$/i.test(records[0].record[0] ?? "");
  return records.slice(hasHeader ? 1 : 0).map(({ record: [stock_code = "", stock_name], info }) =>
    stock_name ? { stock_code, stock_name, line: info.lines } : { stock_code, line: info.lines }
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
        [stock_name ? { stock_code, stock_name, line: 1 } : { stock_code, line: 1 }],
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
      let rows: WatchlistRowInput[];
      try {
        rows = parseWatchlistCsv(text);
      } catch (error) {
        throw new UsageError(`${file} is not valid CSV: ${(error as Error).message}`);
      }
      if (rows.length === 0 && options.replace) {
        throw new UsageError(
          `${file} has no stock rows: --replace would deactivate the whole watchlist. Check ` +
            "the file (stock_code,stock_name per line), or use `deno task watchlist remove`.",
        );
      }
      const entries = validEntries(rows, (row) => `${file} line ${row.line}`);
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
