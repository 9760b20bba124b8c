/**
 * A throwaway PostgreSQL server: `initdb` and `pg_ctl` from Debian's `postgresql` package
 * (`/usr/lib/postgresql/<version>/bin`) into a temporary folder, on a free loopback port, stopped
 * and removed when done. `initdb` refuses to run as root, so as root the server runs as the
 * package's unprivileged `postgres` user, which owns the folder.
 *
 * The tests' PostgreSQL pass, the benchmarks and `deno task postgres` (a server to try Archivist
 * on) start one; nothing here is used to reach a real archive.
 *
 * @module
 */
// @ts-types="@types/pg"
import pg from "pg";

/** Debian's PostgreSQL binaries, newest version first; undefined when the package is missing. */
export async function postgresBinDir(): Promise<string | undefined> {
  const root = "/usr/lib/postgresql";
  const versions: number[] = [];
  try {
    for await (const entry of Deno.readDir(root)) {
      if (/^\d+$/.test(entry.name)) versions.push(Number(entry.name));
    }
  } catch {
    return undefined;
  }
  for (const version of versions.sort((a, b) => b - a)) {
    const bin = `${root}/${version}/bin`;
    try {
      await Deno.stat(`${bin}/initdb`);
      return bin;
    } catch {
      // A version without its server binaries (only the client): try the next.
    }
  }
  return undefined;
}

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

const isRoot = () => Deno.uid() === 0;

/** Runs a PostgreSQL binary, as the `postgres` user when this process is root. */
async function runAsServerUser(command: string, args: readonly string[]): Promise<string> {
  const [program, programArgs] = isRoot()
    ? ["runuser", ["-u", "postgres", "--", command, ...args]]
    : [command, [...args]];
  const output = await new Deno.Command(program, {
    args: programArgs,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(output.stdout) + new TextDecoder().decode(output.stderr);
  if (!output.success) throw new Error(`${command} ${args.join(" ")} failed:\n${text}`);
  return text;
}

/** A running throwaway server. */
export interface ThrowawayPostgres extends AsyncDisposable {
  /** The URL of database `name` on it, as the superuser `postgres`. */
  url(name: string): string;
  /** Stops the server and removes its folder. */
  stop(): Promise<void>;
}

/** Options of {@link startThrowawayPostgres}. */
export interface ThrowawayOptions {
  /**
   * Sync commits to disk as a real server does (benchmarks); default false: fsync off, since
   * nothing in a test server needs to survive a crash of the machine. Commits still wait for
   * their log to be written (`synchronous_commit` stays on), as the Archivist expects by default.
   */
  readonly durable?: boolean;
  /** The port; default a free one. */
  readonly port?: number;
}

/**
 * Starts a throwaway server. Throws naming the fix when the `postgresql` package is missing.
 */
export async function startThrowawayPostgres(
  options: ThrowawayOptions = {},
): Promise<ThrowawayPostgres> {
  const bin = await postgresBinDir();
  if (!bin) {
    throw new Error(
      "PostgreSQL's server binaries are missing (/usr/lib/postgresql/<version>/bin/initdb): " +
        "install them with `apt-get install -y postgresql`.",
    );
  }
  const dir = await Deno.makeTempDir({ prefix: "archivist-pg-" });
  if (isRoot()) {
    const { uid, gid } = await postgresUser();
    await Deno.chown(dir, uid, gid);
  }
  const data = `${dir}/data`;
  const port = options.port ?? freePort();
  let started = false;
  const stop = async () => {
    if (started) {
      started = false;
      await runAsServerUser(`${bin}/pg_ctl`, ["-D", data, "-m", "immediate", "-w", "stop"])
        .catch(() => undefined);
    }
    await Deno.remove(dir, { recursive: true }).catch(() => undefined);
  };
  try {
    await runAsServerUser(`${bin}/initdb`, [
      "-D",
      data,
      "-A",
      "trust",
      "-U",
      "postgres",
      "-E",
      "UTF8",
      "--no-locale",
      "--no-sync",
    ]);
    started = true;
    await runAsServerUser(`${bin}/pg_ctl`, [
      "-D",
      data,
      "-l",
      `${dir}/server.log`,
      "-w",
      "-o",
      [
        `-p ${port}`,
        `-k ${dir}`,
        "-c listen_addresses=127.0.0.1",
        "-c max_connections=300",
        ...(options.durable ? [] : ["-c fsync=off", "-c full_page_writes=off"]),
      ].join(" "),
      "start",
    ]);
  } catch (error) {
    // The server's own words (a port in use, …) are in its log, which stop() deletes.
    const log = await Deno.readTextFile(`${dir}/server.log`).catch(() => "");
    await stop();
    const cause = log.trim().split("\n").slice(-5).join("\n");
    if (cause === "") throw error;
    throw new Error(`${(error as Error).message}\nThe server's log ends:\n${cause}`, {
      cause: error,
    });
  }
  return {
    url: (name) => `postgres://postgres@127.0.0.1:${port}/${name}`,
    stop,
    [Symbol.asyncDispose]: stop,
  };
}

async function postgresUser(): Promise<{ uid: number; gid: number }> {
  const passwd = await Deno.readTextFile("/etc/passwd");
  const line = passwd.split("\n").find((l) => l.startsWith("postgres:"));
  if (!line) {
    throw new Error(
      "No `postgres` user to run the server as (initdb refuses root): install the `postgresql` " +
        "package, which creates it.",
    );
  }
  const [, , uid, gid] = line.split(":");
  return { uid: Number(uid), gid: Number(gid) };
}

/** Runs `statement` on the server of `url`, connected to its database `database`. */
export async function adminQuery(
  url: string,
  statement: string,
  database = "postgres",
): Promise<pg.QueryResult> {
  const admin = new URL(url);
  admin.pathname = `/${database}`;
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    return await client.query(statement);
  } finally {
    await client.end();
  }
}
