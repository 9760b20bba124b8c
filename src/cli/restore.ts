/**
 * `deno task restore FILE`: puts a backup in place of the archive at `ARCHIVIST_DB`. The file is
 * checked first (an archive, no newer schema, `integrity_check`); the archive must not be open in
 * another process (stop the service first; `--force` replaces an archive too damaged for that
 * check); the archive it replaces is kept beside it as `<archive>.replaced-<time>`. Exit 0, or 2
 * when refused (nothing changed).
 *
 * @module
 */
import { Command } from "commander";
import { serverBackupAdvice } from "../../db/backup.ts";
import { restoreArchive, RestoreError } from "../../db/restore.ts";
import { loadConfig } from "../config.ts";
import { kstIso } from "../time.ts";
import { createPrivateFiles, runProgram, UsageError } from "./entry.ts";

const program = new Command("restore")
  .description(
    "Replace the archive (ARCHIVIST_DB) with a backup, after checking it; the replaced archive " +
      "is kept beside it. Stop the service first.",
  )
  .argument("<file>", "the backup, e.g. backups/archivist-2026-11-26-180000.db")
  .option(
    "--force",
    "replace an archive too damaged to check that no other process has it open (stop every " +
      "Archivist process first)",
  )
  .exitOverride()
  .configureOutput({ writeErr: (text) => Deno.stderr.writeSync(new TextEncoder().encode(text)) })
  .action(async (file: string, options: { force?: boolean }) => {
    createPrivateFiles();
    const config = await loadConfig();
    const advice = serverBackupAdvice(config.databasePath);
    if (advice) throw new UsageError(`${advice}.`);
    const stamp = kstIso(new Date()).slice(0, 19).replaceAll(":", "");
    try {
      const result = await restoreArchive(file, config.databasePath, stamp, {
        force: options.force,
      });
      console.log(
        `Restored ${file} into ${config.databasePath} (integrity ok; ${result.entries.decisions} ` +
          `decisions, ${result.entries.rejections} rejections).` +
          (result.previous ? ` The replaced archive is kept as ${result.previous}.` : ""),
      );
    } catch (error) {
      if (error instanceof RestoreError) throw new UsageError(error.message);
      throw error;
    }
  });

if (import.meta.main) await runProgram(program);
