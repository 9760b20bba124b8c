/**
 * `deno task backup [--to DIR] [--list]`: a consistent copy of the archive, taken while the service
 * runs and checked with `integrity_check`, into `ARCHIVIST_BACKUP_DIR` (or DIR); `--list` shows the
 * backups there, newest first. Exit 0, or 1 when the backup failed, 2 on a usage error.
 *
 * @module
 */
import { Command } from "commander";
import { backupArchive, BackupError, listBackups, serverBackupAdvice } from "../../db/backup.ts";
import { loadConfig } from "../config.ts";
import { exitOnUsageError, runProgram, startCommand, UsageError } from "./entry.ts";

const EXIT_FAILED = 1;

function megabytes(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

const program = new Command("backup")
  .description(
    "Copy the archive while the service runs, check the copy (integrity_check), keep it in " +
      "ARCHIVIST_BACKUP_DIR.",
  )
  .option("--to <dir>", "the folder to put the backup in (default: ARCHIVIST_BACKUP_DIR)")
  .option("--list", "list the backups in the folder instead, newest first")
  .exitOverride()
  .configureOutput({ writeErr: (text) => Deno.stderr.writeSync(new TextEncoder().encode(text)) })
  .action(async (options: { to?: string; list?: boolean }) => {
    const advice = serverBackupAdvice((await loadConfig().catch(exitOnUsageError)).databasePath);
    if (advice) exitOnUsageError(new UsageError(`${advice}.`));
    await using command = await startCommand("backup.jsonl", { writes: "optional" });
    const { archivist, config } = command;
    const folder = options.to ?? config.backup.dir;
    if (options.list) {
      const backups = await listBackups(folder, archivist.path);
      if (backups.length === 0) return console.log(`No backups of ${archivist.path} in ${folder}.`);
      for (const backup of backups) {
        console.log(
          `${backup.takenAtKst}  ${megabytes(backup.bytes).padStart(10)}  ${backup.path}`,
        );
      }
      return;
    }
    try {
      const result = await backupArchive(archivist.path, folder, { readOnly: archivist.readOnly });
      console.log(
        `Backed up ${archivist.path} to ${result.path} (${
          megabytes(result.bytes)
        }, integrity ok) in ${result.seconds} s. Restore it with: deno task restore ${result.path}`,
      );
    } catch (error) {
      if (!(error instanceof BackupError)) throw error;
      console.error(error.message);
      Deno.exitCode = EXIT_FAILED;
    }
  });

if (import.meta.main) await runProgram(program);
