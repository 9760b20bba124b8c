import assert from "node:assert/strict";
import { AllowedHosts } from "../src/http/host_check.ts";
import { setupLogging } from "../src/log.ts";
import { ORIGINAL_DECISION, requestWithHost, startTestApi } from "./fixtures/http_harness.ts";
import { tempDir } from "./helpers.ts";

const TOKEN = "t0ken-for-the-access-log-test";

Deno.test("host check: only the service's own names are answered, on every route", async () => {
  await using api = await startTestApi();
  const port = new URL(api.url).port;
  for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`]) {
    assert.equal((await requestWithHost(api.url, "/health", host)).status, 200, host);
  }
  for (
    const [host, path] of [
      [`evil.example:${port}`, "/health"],
      [`attacker.test:${port}`, "/v1/decisions"],
      [`localhost:${Number(port) + 1}`, "/openapi.json"],
      [`127.0.0.1.nip.io:${port}`, "/metrics"],
      [`evil.example:${port}`, "/no-such-page"],
    ]
  ) {
    const refused = await requestWithHost(api.url, path, host);
    assert.equal(refused.status, 421, `${host} ${path}`);
    assert.match(JSON.parse(refused.body).detail, /ARCHIVIST_ALLOWED_HOSTS/);
  }
});

Deno.test("host check: a public bind answers its address and the configured names", () => {
  const hosts = new AllowedHosts("192.168.0.10", ["archivist.lan", "proxy.example:443"]);
  hosts.listenOn(8787);
  assert.ok(hosts.allows("192.168.0.10:8787"));
  assert.ok(!hosts.allows("192.168.0.10:9999"));
  assert.ok(hosts.allows("archivist.lan"));
  assert.ok(hosts.allows("ARCHIVIST.LAN:8787"));
  assert.ok(hosts.allows("proxy.example:443"));
  assert.ok(!hosts.allows("proxy.example"));
  assert.ok(!hosts.allows("localhost:8787"), "a public bind is not reached as localhost");
  assert.ok(!hosts.allows("evil.example:8787"));
  assert.ok(!hosts.allows(undefined));
  assert.ok(!hosts.allows("a b"));
});

Deno.test("access log: one line per request with method, route, status and duration; no body, no token", async () => {
  await using dir = await tempDir();
  {
    await using _logging = await setupLogging({ logDir: dir.path, console: false });
    await using api = await startTestApi({ token: TOKEN });
    const auth = { authorization: `Bearer ${TOKEN}` };
    const secretText = "a private reason nobody may read in a log";
    assert.equal(
      (await api.post("/v1/decisions", { ...ORIGINAL_DECISION, final_reason: secretText }, auth))
        .status,
      201,
    );
    await (await api.request("/v1/minute-bars/005930?date=2026-11-26", { headers: auth })).body
      ?.cancel();
    await (await api.request("/v1/decisions?stock_code=005930")).body?.cancel(); // 401
    await (await api.request("/nothing")).body?.cancel();
  }
  const lines = (await Deno.readTextFile(`${dir.path}/archivist.jsonl`)).trim().split("\n")
    .map((line) => JSON.parse(line))
    .filter((record) => record.logger === "archivist.http.access");
  assert.deepStrictEqual(
    lines.map((l) => [l.properties.method, l.properties.route, l.properties.status]),
    [
      ["POST", "/v1/decisions", 201],
      ["GET", "/v1/minute-bars/:code", 200],
      ["GET", "/v1/decisions", 401],
      ["GET", "(unmatched)", 404],
    ],
  );
  for (const line of lines) assert.equal(typeof line.properties.durationMs, "number");
  const text = JSON.stringify(lines);
  assert.doesNotMatch(text, /private reason|t0ken|005930|2026-11-26/);
});
