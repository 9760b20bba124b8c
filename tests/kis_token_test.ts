import assert from "node:assert/strict";
import { tokenCacheKey } from "../src/kis/token.ts";
import { DEMO_REAL_APP_KEY, DEMO_REAL_APP_SECRET, startSimulator } from "../src/sim/server.ts";
import { sessionBars } from "../src/sim/market.ts";
import { barTimeOf } from "../src/time.ts";
import { realClient, withSim } from "./fixtures/kis_sim.ts";

Deno.test("two clients of one app key share one issuance through the cache file", async () => {
  await withSim(async (sim, dir) => {
    const cachePath = `${dir}/nested/token.json`;
    const first = realClient(sim, cachePath);
    const second = realClient(sim, cachePath);
    const codes = ["005930", "000660", "035420", "051910"];
    await Promise.all(
      codes.flatMap((code) => [first.investorFlows(code), second.investorFlows(code)]),
    );
    assert.equal(sim.stats().tokensIssued, 1);
    assert.equal(sim.stats().tokenRequests, 1);

    const info = await Deno.stat(cachePath);
    assert.equal(info.mode! & 0o777, 0o600);
    const text = await Deno.readTextFile(cachePath);
    assert.ok(!text.includes(DEMO_REAL_APP_KEY), "the app key is not in the cache");
    assert.ok(!text.includes(DEMO_REAL_APP_SECRET), "the app secret is not in the cache");
    const cache = JSON.parse(text);
    const entry = cache.tokens[await tokenCacheKey("real", DEMO_REAL_APP_KEY)];
    assert.match(entry.accessToken, /^eyJ/);
    assert.ok(entry.expiresAt > sim.now().getTime() + 23 * 3600_000, "expiry read as KST");
    assert.ok(entry.expiresAt <= sim.now().getTime() + 24 * 3600_000);

    const nextRun = realClient(sim, cachePath);
    await nextRun.investorFlows("005930");
    assert.equal(sim.stats().tokenRequests, 1, "a later run reuses the cached token");
  });
});

Deno.test("a token expiring within 10 minutes is replaced, after the issuance interval", async () => {
  await withSim(async (sim, dir) => {
    const cachePath = `${dir}/token.json`;
    const client = realClient(sim, cachePath);
    await client.investorFlows("005930");
    const before = JSON.parse(await Deno.readTextFile(cachePath));
    const key = await tokenCacheKey("real", DEMO_REAL_APP_KEY);
    sim.setClock(new Date(before.tokens[key].expiresAt - 5 * 60_000));
    await client.investorFlows("005930");
    const after = JSON.parse(await Deno.readTextFile(cachePath));
    assert.notEqual(after.tokens[key].accessToken, before.tokens[key].accessToken);
    assert.ok(after.tokens[key].lastIssuedAt - before.tokens[key].lastIssuedAt >= 1000);
    assert.equal(sim.stats().tokensIssued, 2);
    assert.equal(sim.stats().tokenRequests, 2, "the interval was waited out, not hit");
  });
});

Deno.test("a throttled issuance (EGW00133) waits and succeeds", async () => {
  await withSim(async (sim, dir) => {
    await realClient(sim, `${dir}/a.json`).investorFlows("005930");
    const started = performance.now();
    const other = realClient(sim, `${dir}/b.json`);
    assert.equal((await other.investorFlows("000660")).length, 30);
    assert.equal(sim.stats().tokenRequests, 3, "one refused with EGW00133, then one answered");
    assert.equal(sim.stats().tokensIssued, 1, "KIS answered the same token again");
    assert.ok(performance.now() - started >= 500, "it waited for the interval");
  });
});

Deno.test("a token expired mid-run is replaced without losing a page, even with 1 attempt", async () => {
  await withSim(async (sim, dir) => {
    let clockReads = 0;
    const client = realClient(sim, `${dir}/token.json`, {
      // The client reads the clock once before each request: expire everything before the 3rd page.
      now: () => {
        if (++clockReads === 4) sim.expireTokens();
        return sim.now();
      },
      // No retry at all: a rejected token must still be replaced and the page asked again.
      retry: { attempts: 1 },
      // Wait a little longer than the simulator's 1 s between issuances: tokenP gets one try too.
      tokenIssueIntervalMs: 1200,
    });
    const { candles: bars } = await client.sessionMinuteBars("005930", "2026-11-24");
    const truth = sessionBars("005930", "2026-11-24");
    assert.equal(bars.length, truth.length);
    assert.deepEqual(
      bars.map((b) => [b.barTime, b.close, b.volume, b.value]),
      truth.map((t) => [barTimeOf("2026-11-24", t.time), t.close, t.volume, t.value]),
    );
    assert.equal(sim.stats().tokensIssued, 2);
    assert.equal(client.stats.calls, 5, "4 pages plus the one answered EGW00123");
  });
});

Deno.test("two processes sharing a cache file issue one token between them", async () => {
  // The simulator runs on the real clock here: the child processes know no other.
  const sim = await startSimulator({ rateLimit: { real: 1000 }, tokenIssueIntervalSec: 60 });
  const dir = await Deno.makeTempDir({ prefix: "kis-token-process-test-" });
  const script = `
    import { KisClient } from ${JSON.stringify(new URL("../src/kis/mod.ts", import.meta.url).href)};
    const client = new KisClient({
      env: "real", baseUrl: Deno.args[0], appKey: Deno.env.get("TEST_KIS_KEY"),
      appSecret: Deno.env.get("TEST_KIS_SECRET"), rateLimit: 100, tokenCachePath: Deno.args[1],
      tokenIssueIntervalMs: 60_000, retry: { attempts: 1 },
    });
    console.log((await client.investorFlows("005930")).length);
  `;
  try {
    const config = new URL("../deno.json", import.meta.url).pathname;
    const children = [0, 1].map(() =>
      new Deno.Command(Deno.execPath(), {
        args: ["eval", "--config", config, "--ext=ts", script, sim.realUrl, `${dir}/token.json`],
        env: { TEST_KIS_KEY: DEMO_REAL_APP_KEY, TEST_KIS_SECRET: DEMO_REAL_APP_SECRET },
        stdout: "piped",
        stderr: "piped",
      }).output()
    );
    for (const child of await Promise.all(children)) {
      assert.ok(child.success, new TextDecoder().decode(child.stderr));
      assert.equal(new TextDecoder().decode(child.stdout).trim(), "30");
    }
    assert.equal(sim.stats().tokenRequests, 1, "the second process waited and read the cache");
    assert.equal(sim.stats().tokensIssued, 1);
  } finally {
    await sim.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("an unreadable token cache is kept aside, not overwritten, and a token is issued", async () => {
  await withSim(async (sim, dir) => {
    const cachePath = `${dir}/token.json`;
    const damaged = '{"version": 1, "tokens": {"real:abc": {"accessToken": "ey';
    await Deno.writeTextFile(cachePath, damaged);
    await realClient(sim, cachePath).investorFlows("005930");
    const aside = [...Deno.readDirSync(dir)].map((e) => e.name)
      .filter((name) => name.startsWith("token.json.unreadable-"));
    assert.equal(aside.length, 1);
    assert.equal(await Deno.readTextFile(`${dir}/${aside[0]}`), damaged);
    const cache = JSON.parse(await Deno.readTextFile(cachePath));
    assert.match(cache.tokens[await tokenCacheKey("real", DEMO_REAL_APP_KEY)].accessToken, /^eyJ/);
  });
});

Deno.test("a new token whose stated expiry is past by this machine's clock is used for its lifetime, not issued again", async () => {
  // The simulator's clock a year behind this machine's: its tokens expire, by its own clock,
  // long before this machine's now (a host clock off, or a simulator set to another day).
  await withSim(async (sim, dir) => {
    const machineNow = () => new Date(sim.now().getTime() + 365 * 86_400_000);
    const client = realClient(sim, `${dir}/token.json`, { now: machineNow });
    await client.investorFlows("005930");
    await client.investorFlows("000660");
    await realClient(sim, `${dir}/token.json`, { now: machineNow }).investorFlows("035420");
    assert.equal(sim.stats().tokenRequests, 1, "one token for the three requests");
    const cache = JSON.parse(await Deno.readTextFile(`${dir}/token.json`));
    const { expiresAt } = cache.tokens[await tokenCacheKey("real", DEMO_REAL_APP_KEY)];
    const lifetime = expiresAt - machineNow().getTime();
    assert.ok(lifetime > 23 * 3600_000 && lifetime <= 24 * 3600_000, `${lifetime} ms left`);
  });
});
