import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { createTestDatabase, testPostgresTemplate } from "./fixtures/postgres.ts";
import { runCli, tempDir } from "./helpers.ts";

const template = testPostgresTemplate();

Deno.test("migrate CLI: creates the database, a second run changes nothing, exit 0", async () => {
  await using dir = await tempDir();
  const env = { ARCHIVIST_DB: `${dir.path}/db/archive.db` };
  const first = await runCli("src/cli/migrate.ts", [], { cwd: dir.path, env });
  assert.equal(first.code, 0, first.stderr);
  assert.match(
    first.stdout,
    /Migrated .*archive\.db to schema version 3 \(applied 0001_initial, 0002_outcomes, 0003_/,
  );
  const second = await runCli("src/cli/migrate.ts", [], { cwd: dir.path, env });
  assert.equal(second.code, 0);
  assert.match(second.stdout, /is up to date \(schema version 3\)/);
});

Deno.test("migrate CLI: a newer database or a bad setting exits 2 with one clear message", async () => {
  await using dir = await tempDir();
  const env = { ARCHIVIST_DB: `${dir.path}/archive.db` };
  await runCli("src/cli/migrate.ts", [], { cwd: dir.path, env });
  const db = new DatabaseSync(env.ARCHIVIST_DB);
  db.exec("INSERT INTO kysely_migration (name, timestamp) VALUES ('0002_future', 'x')");
  db.close();
  const newer = await runCli("src/cli/migrate.ts", [], { cwd: dir.path, env });
  assert.equal(newer.code, 2);
  assert.match(newer.stderr, /0002_future.*newer version/);

  const bad = await runCli("src/cli/migrate.ts", [], {
    cwd: dir.path,
    env: { ...env, ARCHIVIST_PORT: "http" },
  });
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /ARCHIVIST_PORT: expected a TCP port number \(got "http"\)/);
});

Deno.test({
  name: "migrate CLI on PostgreSQL: creates the schema in an empty database, then changes nothing",
  ignore: template === undefined,
  fn: async () => {
    await using dir = await tempDir();
    await using database = await createTestDatabase(template!, { empty: true });
    const url = new URL(database.url);
    url.password = "not-shown";
    const env = { ARCHIVIST_DB: url.toString() };
    const first = await runCli("src/cli/migrate.ts", [], { cwd: dir.path, env });
    assert.equal(first.code, 0, first.stderr);
    assert.match(
      first.stdout,
      /Migrated postgres:\/\/.*to schema version 3 \(applied 0001_initial/,
    );
    assert.doesNotMatch(first.stdout + first.stderr, /not-shown/, "the password is never printed");
    const second = await runCli("src/cli/migrate.ts", [], { cwd: dir.path, env });
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stdout, /is up to date \(schema version 3\)/);
  },
});
