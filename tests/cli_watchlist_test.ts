import assert from "node:assert/strict";
import { Archivist } from "../db/archivist.ts";
import { freshLocation, isPostgresLocation, runCli, tempDir } from "./helpers.ts";

const watchlist = (cwd: string, ...args: string[]) => runCli("src/cli/watchlist.ts", args, { cwd });

Deno.test("watchlist CLI: add, import, remove and list, into ARCHIVIST_DB's default file", async () => {
  await using dir = await tempDir();
  // The default file, or in the PostgreSQL pass a database named by ARCHIVIST_DB.
  await using fresh = await freshLocation(`${dir.path}/data`);
  const env = isPostgresLocation(fresh.location) ? { ARCHIVIST_DB: fresh.location } : undefined;
  const watchlist = (cwd: string, ...args: string[]) =>
    runCli("src/cli/watchlist.ts", args, { cwd, env });
  const empty = await watchlist(dir.path, "list");
  assert.equal(empty.code, 0);
  assert.match(empty.stdout, /The watchlist is empty/);

  assert.equal((await watchlist(dir.path, "add", "005930", "삼성전자")).stdout, "Added 005930.\n");
  await Deno.writeTextFile(
    `${dir.path}/watch.csv`,
    '\ufeffstock_code,stock_name\n000660,SK하이닉스\n"035420","NAVER, Inc."\n005930,삼성전자\n',
  );
  const imported = await watchlist(dir.path, "import", "watch.csv");
  assert.equal(imported.code, 0, imported.stderr);
  assert.match(imported.stdout, /Imported 3 from watch\.csv: 2 added, 0 updated, 1 unchanged/);
  assert.match((await watchlist(dir.path, "remove", "000660")).stdout, /Deactivated 1 of 1/);

  const listed = await watchlist(dir.path, "list", "--json");
  const entries = JSON.parse(listed.stdout);
  assert.deepEqual(entries.map((e: { stock_code: string }) => e.stock_code), ["005930", "035420"]);
  assert.equal(entries[1].stock_name, "NAVER, Inc.");

  await using archivist = await Archivist.open(fresh.location);
  assert.equal((await archivist.watchlist({ includeInactive: true })).length, 3);
});

Deno.test("watchlist CLI: import --replace makes the file the whole active list", async () => {
  await using dir = await tempDir();
  await watchlist(dir.path, "add", "005930");
  await Deno.writeTextFile(`${dir.path}/new.csv`, "000660,SK하이닉스\n");
  const replaced = await watchlist(dir.path, "import", "new.csv", "--replace");
  assert.match(replaced.stdout, /1 added, 0 updated, 0 unchanged, 1 deactivated/);
  const listed = JSON.parse((await watchlist(dir.path, "list", "--json")).stdout);
  assert.deepEqual(listed.map((e: { stock_code: string }) => e.stock_code), ["000660"]);
});

Deno.test("watchlist CLI: bad input names the problem, exits 2 and changes nothing", async () => {
  await using dir = await tempDir();
  await Deno.writeTextFile(
    `${dir.path}/bad.csv`,
    "stock_code,stock_name\n005930,삼성전자\n12345,too short\n\n5930,spreadsheet\nABC!,x\n",
  );
  const bad = await watchlist(dir.path, "import", "bad.csv");
  assert.equal(bad.code, 2);
  // Every bad row, with its line in the file and its value; zero-padding is suggested.
  assert.match(bad.stderr, /3 bad rows, nothing changed/);
  assert.match(
    bad.stderr,
    /bad\.csv line 3: stock_code "12345": expected a KRX stock code.*try 012345/,
  );
  assert.match(bad.stderr, /bad\.csv line 5: stock_code "5930": .*try 005930/);
  assert.match(bad.stderr, /bad\.csv line 6: stock_code "ABC!": expected a KRX stock code/);
  await Deno.writeTextFile(`${dir.path}/empty.csv`, "stock_code,stock_name\n");
  const emptyReplace = await watchlist(dir.path, "import", "empty.csv", "--replace");
  assert.equal(emptyReplace.code, 2);
  assert.match(emptyReplace.stderr, /no stock rows: --replace would deactivate the whole/);
  const badCode = await watchlist(dir.path, "add", "5930");
  assert.equal(badCode.code, 2);
  const missing = await watchlist(dir.path, "import", "nope.csv");
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /Cannot read nope\.csv/);
  const unknown = await watchlist(dir.path, "purge");
  assert.equal(unknown.code, 2);
  const listed = JSON.parse((await watchlist(dir.path, "list", "--json")).stdout);
  assert.deepEqual(listed, []);
});
