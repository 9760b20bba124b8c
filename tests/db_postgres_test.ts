/**
 * The archive on PostgreSQL: where `ARCHIVIST_DB` leads, the column types, values read back in the
 * SQLite adapter's shapes, migrations from the one list of versions, and the promises that must
 * hold with many writers at once (idempotency, the lease, outcomes of entries committed out of
 * order). Several Archivists on one database stand for several processes: each has its own pool
 * and its own group commit, so their transactions meet only in the server.
 *
 * The tests that need a server run in the PostgreSQL pass of `deno task test`.
 *
 * @module
 */
import assert from "node:assert/strict";
// @ts-types="@types/pg"
import pg from "pg";
import { Archivist } from "../db/archivist.ts";
import {
  ArchiveLocationError,
  ArchiveUnreachableError,
  describeLocation,
  parseArchiveLocation,
  POSTGRES_DIALECT,
} from "../db/dialect.ts";
import type { DecisionEntry } from "../db/entries.ts";
import { MIGRATIONS, SCHEMA_VERSION, SchemaTooNewError } from "../db/migrations.ts";
import { ArchiveWriteError } from "../db/errors.ts";
import { postgresFault } from "../db/postgres.ts";
import { POSTGRES_MIGRATIONS } from "../db/postgres_migrations.ts";
import {
  adminQuery,
  createTestDatabase,
  startThrowawayPostgres,
  testPostgresTemplate,
} from "./fixtures/postgres.ts";
import { tempDir } from "./helpers.ts";

const template = testPostgresTemplate();
const ignore = template === undefined;

Deno.test("location: postgres URLs select PostgreSQL; other values are SQLite paths", () => {
  assert.deepEqual(parseArchiveLocation("postgres://a:b@db.example:5432/archive"), {
    dialect: "postgres",
    url: "postgres://a:b@db.example:5432/archive",
  });
  assert.equal(parseArchiveLocation("postgresql://h/archive").dialect, "postgres");
  assert.equal(parseArchiveLocation("POSTGRES://h/archive").dialect, "postgres");
  assert.deepEqual(parseArchiveLocation("data/archivist.db"), {
    dialect: "sqlite",
    path: "data/archivist.db",
  });
  assert.equal(parseArchiveLocation(":memory:").dialect, "sqlite");
  for (
    const bad of [
      "postgres:/h/archive",
      "postgres:h",
      "mysql://h/archive",
      "postgres://h",
      "postgres:///archive",
    ]
  ) {
    assert.throws(() => parseArchiveLocation(bad), ArchiveLocationError, bad);
  }
  assert.equal(
    describeLocation(parseArchiveLocation("postgres://scout:s3cret@h:5432/archive")),
    "postgres://scout:***@h:5432/archive",
  );
});

Deno.test("location: a URL is never taken for a file path", async () => {
  await using dir = await tempDir();
  const cwd = Deno.cwd();
  Deno.chdir(dir.path);
  try {
    await assert.rejects(Archivist.open("mysql://h/archive"), ArchiveLocationError);
    await assert.rejects(Archivist.open("postgres:/h/archive"), ArchiveLocationError);
    assert.deepEqual([...Deno.readDirSync(".")], [], "no folder named after the URL");
  } finally {
    Deno.chdir(cwd);
  }
});

Deno.test("location: a server that cannot be reached is named, without its password", async () => {
  await assert.rejects(Archivist.open("postgres://scout:hunter2@127.0.0.1:1/archive"), (error) => {
    assert.ok(error instanceof ArchiveUnreachableError);
    assert.match(error.message, /postgres:\/\/scout:\*\*\*@127\.0\.0\.1:1\/archive/);
    assert.match(error.message, /Check ARCHIVIST_DB/);
    assert.doesNotMatch(error.message, /hunter2/);
    return true;
  });
});

Deno.test({
  name: "location: a connection the server refuses at TLS is named too, not a stack trace",
  ignore,
  fn: async () => {
    // The test server speaks no TLS: a URL that requires it cannot connect.
    const url = new URL(template!);
    url.searchParams.set("sslmode", "require");
    await assert.rejects(Archivist.open(url.toString()), (error) => {
      assert.ok(error instanceof ArchiveUnreachableError, String(error));
      assert.match(error.message, /does not support SSL/);
      assert.match(error.message, /Check ARCHIVIST_DB/);
      return true;
    });
  },
});

Deno.test({
  name: "throwaway server: a port in use is named, from the server's log",
  ignore,
  fn: async () => {
    using taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    await assert.rejects(
      startThrowawayPostgres({ port: taken.addr.port }),
      /could not start server[\s\S]*The server's log ends:[\s\S]*Address already in use/,
    );
  },
});

Deno.test("migrations: every version has its SQLite and its PostgreSQL form", () => {
  assert.deepEqual(Object.keys(POSTGRES_MIGRATIONS), Object.keys(MIGRATIONS));
});

/** A fresh database of the PostgreSQL pass and a raw client on it. */
async function freshDatabase() {
  const database = await createTestDatabase(template!);
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  return {
    url: database.url,
    client,
    async [Symbol.asyncDispose]() {
      await client.end();
      await database[Symbol.asyncDispose]();
    },
  };
}

const decision = (overrides: Partial<DecisionEntry> = {}): DecisionEntry => ({
  stock_code: "005930",
  stock_name: "삼성전자",
  hunter_score: 82.5,
  market_regime: "BULL",
  dominant_keywords: ["반도체"],
  thinking_called: 1,
  cost_estimate: 0.0123,
  final_decision: "BUY",
  decided_at: "2026-11-25T01:30:00.000Z",
  ...overrides,
});

Deno.test({
  name: "postgres: columns have PostgreSQL's types; values read back as on SQLite",
  ignore,
  fn: async () => {
    await using db = await freshDatabase();
    await using archivist = await Archivist.open(db.url, {
      now: () => new Date("2026-11-25T02:00:00.000Z"),
    });
    assert.equal(archivist.dialect, "postgres");
    const { rows: types } = await db.client.query(
      `SELECT table_name || '.' || column_name AS col, data_type FROM information_schema.columns
       WHERE table_schema = 'public' AND (table_name, column_name) IN (
         ('llm_decision_ledger', 'decided_at'), ('llm_decision_ledger', 'log_id'),
         ('llm_decision_ledger', 'cost_estimate'), ('llm_decision_ledger', 'thinking_called'),
         ('llm_decision_ledger', 'hunter_score'), ('stock_minute_price', 'value'),
         ('llm_decision_ledger', 'trade_date'))
       ORDER BY 1`,
    );
    assert.deepEqual(Object.fromEntries(types.map((r) => [r.col, r.data_type])), {
      "llm_decision_ledger.cost_estimate": "numeric",
      "llm_decision_ledger.decided_at": "timestamp with time zone",
      "llm_decision_ledger.hunter_score": "double precision",
      "llm_decision_ledger.log_id": "bigint",
      "llm_decision_ledger.thinking_called": "boolean",
      "llm_decision_ledger.trade_date": "text",
      "stock_minute_price.value": "bigint",
    });

    const { ids } = await archivist.logDecisions([decision()]);
    const [row] = (await archivist.listDecisions({})).items;
    assert.equal(row.log_id, ids[0]);
    assert.equal(row.decided_at, "2026-11-25T01:30:00.000Z");
    assert.equal(row.created_at, "2026-11-25T02:00:00.000Z");
    assert.equal(row.thinking_called, 1);
    assert.equal(row.cost_estimate, 0.0123);
    assert.equal(row.hunter_score, 82.5);
    assert.equal(row.dominant_keywords, '["반도체"]');
    // Whatever the session's time zone, an instant reads back as UTC ISO text.
    await db.client.query(`ALTER DATABASE ${new URL(db.url).pathname.slice(1)}
      SET TimeZone = 'Asia/Seoul'`);
    await using again = await Archivist.open(db.url);
    assert.equal((await again.listDecisions({})).items[0].decided_at, "2026-11-25T01:30:00.000Z");

    // A value beyond 2^53 reads as a bigint, as node:sqlite's does.
    await db.client.query(`INSERT INTO stock_daily_price VALUES
      ('005930', '2026-11-25', 1, 1, 1, 1, 1, 9007199254740993)`);
    const [big] = await again.dailyPrices("005930", "2026-11-25", "2026-11-25");
    assert.equal(big.value, 9007199254740993n as unknown as number);
    assert.equal(big.volume, 1);
  },
});

Deno.test({
  name: "postgres: migrations apply once, again apply nothing, and a newer database is refused",
  ignore,
  fn: async () => {
    await using db = await freshDatabase();
    // The template is migrated: this database starts at the latest version.
    await (await Archivist.open(db.url)).close();
    const { rows } = await db.client.query(`SELECT name FROM kysely_migration ORDER BY name`);
    assert.deepEqual(rows.map((r) => r.name), Object.keys(MIGRATIONS));
    await using reopened = await Archivist.open(db.url);
    assert.deepEqual(reopened.migration, { applied: [], schemaVersion: SCHEMA_VERSION });
    await db.client.query(
      `INSERT INTO kysely_migration (name, timestamp) VALUES ('9999_future', now()::text)`,
    );
    await assert.rejects(Archivist.open(db.url), (error: unknown) => {
      assert.ok(error instanceof SchemaTooNewError);
      assert.deepEqual(error.unknown, ["9999_future"]);
      assert.doesNotMatch(error.message, /postgres:\/\/[^ ]*:[^*@ ]+@/, "no password printed");
      return true;
    });
  },
});

Deno.test({
  name: "postgres: an empty database is created from the versions, as each host starts",
  ignore,
  fn: async () => {
    await using db = await freshDatabase();
    const name = `fresh_${crypto.randomUUID().replaceAll("-", "")}`;
    await db.client.query(`CREATE DATABASE ${name}`);
    const url = new URL(db.url);
    url.pathname = `/${name}`;
    try {
      // Three hosts start at once on an empty database: each version is applied exactly once.
      const opened = await Promise.all(
        [1, 2, 3].map(() => Archivist.open(url.toString(), { poolSize: 2 })),
      );
      const applied = opened.flatMap((a) => a.migration.applied);
      assert.deepEqual(applied.toSorted(), Object.keys(MIGRATIONS));
      await Promise.all(opened.map((a) => a.close()));
    } finally {
      await db.client.query(`DROP DATABASE ${name} WITH (FORCE)`);
    }
  },
});

Deno.test({
  name: "postgres: a keyed request sent to several processes at once is stored once",
  ignore,
  fn: async () => {
    await using db = await freshDatabase();
    const processes = await Promise.all(
      [1, 2, 3, 4].map(() => Archivist.open(db.url, { poolSize: 2 })),
    );
    try {
      const key = { key: "scout-run-7", fingerprint: "sha-7" };
      const batch = [decision(), decision({ stock_code: "000660" })];
      const answers = await Promise.all(
        processes.flatMap((p) => [p.logDecisions(batch, key), p.logDecisions(batch, key)]),
      );
      const firsts = answers.filter((a) => !a.replayed);
      assert.equal(firsts.length, 1, "one request stored, the others replayed");
      for (const answer of answers) assert.deepEqual(answer.ids, firsts[0].ids);
      const { rows } = await db.client.query(
        `SELECT (SELECT count(*) FROM llm_decision_ledger) AS entries,
                (SELECT count(*) FROM idempotent_request) AS requests`,
      );
      assert.deepEqual(rows[0], { entries: "2", requests: "1" });
      assert.deepEqual(processes.map((p) => p.failedWrites), [0, 0, 0, 0]);
    } finally {
      await Promise.all(processes.map((p) => p.close()));
    }
  },
});

Deno.test({
  name:
    "postgres: decisions of requests committing together share one insert; each request gets its own rows, a bad one fails alone",
  ignore,
  fn: async () => {
    await using db = await freshDatabase();
    await using archivist = await Archivist.open(db.url);
    const [stored] = (await archivist.logDecisions([decision({ idempotency_key: "own-1" })])).ids;
    const before = archivist.writeStats.commits;
    const settled = await Promise.allSettled([
      archivist.logDecisions([
        decision({ stock_code: "000001" }),
        decision({ stock_code: "000002" }),
      ]),
      archivist.logDecisions([decision({ stock_code: "000003", idempotency_key: "own-1" })]),
      archivist.logDecisions([
        decision({
          stock_code: "000004",
          final_decision: "MAYBE" as DecisionEntry["final_decision"],
        }),
      ]),
      archivist.logDecisions(
        [decision({ stock_code: "000005" }), decision({ stock_code: "000006" })],
        { key: "req-4", fingerprint: "f-4" },
      ),
    ]);
    assert.deepEqual(settled.map((s) => s.status), [
      "fulfilled",
      "fulfilled",
      "rejected",
      "fulfilled",
    ]);
    const [pair, own, , keyed] = settled.map((s) => s.status === "fulfilled" ? s.value : undefined);
    assert.deepEqual(own!.ids, [stored], "an entry whose own key is stored keeps its first row");
    assert.equal(
      archivist.writeStats.commits - before,
      1,
      "one group: the bad one fell back alone",
    );
    const codeOf = async (id: number) =>
      (await db.client.query("SELECT stock_code FROM llm_decision_ledger WHERE log_id = $1", [id]))
        .rows[0].stock_code;
    assert.deepEqual(
      await Promise.all([...pair!.ids, ...keyed!.ids].map(codeOf)),
      ["000001", "000002", "000005", "000006"],
      "each request's ids are its own entries, in order",
    );
    const again = await archivist.logDecisions(
      [decision({ stock_code: "000005" }), decision({ stock_code: "000006" })],
      { key: "req-4", fingerprint: "f-4" },
    );
    assert.deepEqual([again.replayed, again.ids], [true, keyed!.ids]);
    const { rows } = await db.client.query("SELECT count(*) AS n FROM llm_decision_ledger");
    assert.equal(rows[0].n, "5");
  },
});

Deno.test({
  name: "postgres: the lease has one holder among processes racing for it",
  ignore,
  fn: async () => {
    await using db = await freshDatabase();
    const processes = await Promise.all(
      [1, 2, 3, 4, 5, 6].map(() => Archivist.open(db.url, { poolSize: 2 })),
    );
    try {
      for (let round = 0; round < 5; round++) {
        const won = await Promise.all(
          processes.map((p, i) => p.acquireLease(`collection-${round}`, `host-${i}`, 60_000)),
        );
        assert.equal(won.filter(Boolean).length, 1, `round ${round}: ${won}`);
      }
      // The expiry is the server's clock: a lease taken with ttl 0 is free at once.
      assert.equal(await processes[0].acquireLease("short", "host-0", -1), true);
      assert.equal(await processes[1].acquireLease("short", "host-1", 60_000), true);
      assert.equal(await processes[0].renewLease("short", "host-0", 60_000), false);
    } finally {
      await Promise.all(processes.map((p) => p.close()));
    }
  },
});

Deno.test({
  name: "postgres: an entry committed after a later one still gets its outcome",
  ignore,
  fn: async () => {
    await using db = await freshDatabase();
    await using archivist = await Archivist.open(db.url);
    await archivist.upsertDailyPrices([
      {
        stock_code: "005930",
        trade_date: "2026-11-25",
        open: 100,
        high: 110,
        low: 90,
        close: 100,
        volume: 10,
        value: 1000,
      },
    ]);
    // Another process takes a log_id, then is slow to commit.
    await db.client.query("BEGIN");
    const { rows } = await db.client.query(
      `INSERT INTO llm_decision_ledger ("timestamp", decided_at, trade_date, stock_code,
        final_decision) VALUES (now(), now(), '2026-11-25', '005930', 'BUY') RETURNING log_id`,
    );
    const slow = Number(rows[0].log_id);
    const { ids } = await archivist.logDecisions([decision()]);
    assert.ok(ids[0] > slow);
    assert.equal((await archivist.listDecisionOutcomes({})).items.length, 1);
    await db.client.query("COMMIT");
    const items = (await archivist.listDecisionOutcomes({})).items;
    assert.deepEqual(items.map((i) => [i.log_id, i.reference_close]), [
      [slow, 100],
      [ids[0], 100],
    ]);
    const stored = await db.client.query(`SELECT log_id FROM decision_outcome ORDER BY log_id`);
    assert.deepEqual(stored.rows.map((r) => Number(r.log_id)), [slow, ids[0]]);
  },
});

Deno.test("postgres dialect: deadlocks and serialization failures are retried, nothing else", () => {
  const conflict = (code: string) => Object.assign(new Error("conflict"), { code });
  assert.equal(POSTGRES_DIALECT.isTransientConflict(conflict("40P01")), true);
  assert.equal(POSTGRES_DIALECT.isTransientConflict(conflict("40001")), true);
  assert.equal(
    POSTGRES_DIALECT.isTransientConflict(new Error("wrapped", { cause: conflict("40P01") })),
    true,
  );
  assert.equal(POSTGRES_DIALECT.isTransientConflict(conflict("23505")), false);
  assert.equal(POSTGRES_DIALECT.isTransientConflict("40P01"), false);
});

Deno.test("postgres faults: SQLSTATEs name the archive's faults; a request's own error names none", () => {
  const error = (code: string, message = "x") => Object.assign(new Error(message), { code });
  assert.equal(postgresFault(error("55P03")), "busy");
  assert.equal(postgresFault(error("53100")), "full");
  assert.equal(postgresFault(error("25006")), "read-only");
  assert.equal(postgresFault(error("58030")), "io");
  assert.equal(postgresFault(error("57P01")), "cannot-open");
  assert.equal(postgresFault(error("08006")), "cannot-open");
  assert.equal(postgresFault(error("ECONNREFUSED")), "cannot-open");
  assert.equal(postgresFault(new Error("Connection terminated unexpectedly")), "cannot-open");
  assert.equal(postgresFault(new Error("wrapped", { cause: error("53100") })), "full");
  for (const own of ["23505", "23514", "22P02", "42P01", "40P01"]) {
    assert.equal(postgresFault(error(own)), undefined, own);
  }
});

Deno.test({
  name: "postgres: durability follows the server's synchronous_commit, said in /health's sync",
  ignore,
  fn: async () => {
    await using db = await freshDatabase();
    {
      await using archivist = await Archivist.open(db.url);
      assert.equal(archivist.sync, "full", "the server flushes its log before a COMMIT returns");
    }
    const name = new URL(db.url).pathname.slice(1);
    await db.client.query(`ALTER DATABASE ${name} SET synchronous_commit = off`);
    await using archivist = await Archivist.open(db.url, { sync: "full" });
    assert.equal(archivist.sync, "normal", "off: a COMMIT returns before its log is flushed");
    assert.equal((await archivist.logDecisions([decision()])).ids.length, 1);
  },
});

Deno.test({
  name:
    "postgres: a server gone away fails writes with a cause /health names; reads say unreachable",
  ignore,
  fn: async () => {
    // A server of its own: this one is stopped under the archive.
    const server = await startThrowawayPostgres();
    try {
      const url = server.url("gone");
      await adminQuery(url, "CREATE DATABASE gone");
      await using archivist = await Archivist.open(url);
      assert.equal((await archivist.logDecisions([decision()])).ids.length, 1);
      await server.stop();
      await assert.rejects(archivist.logDecisions([decision()]), ArchiveWriteError);
      assert.deepEqual(
        [archivist.writeStatus.status, archivist.writeStatus.fault],
        ["failing", "cannot-open"],
      );
      const health = await archivist.health();
      assert.equal(health.database, "unreachable");
      assert.ok(health.error);
    } finally {
      await server.stop();
    }
  },
});
