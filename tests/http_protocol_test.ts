import assert from "node:assert/strict";
import { Archivist } from "../db/archivist.ts";
import { createApp } from "../src/http/app.ts";
import { assertSafeBinding, InsecureBindingError } from "../src/http/auth.ts";
import { AllowedHosts } from "../src/http/host_check.ts";
import { serveHttp } from "../src/http/server.ts";
import {
  countEntries,
  ORIGINAL_DECISION,
  ORIGINAL_REJECTION,
  readProblem,
  startTestApi,
} from "./fixtures/http_harness.ts";

Deno.test("refusals are problem+json: 415, 413, broken JSON, 404, 405", async () => {
  await using api = await startTestApi();
  const json = JSON.stringify(ORIGINAL_DECISION);
  const text = await api.request("/v1/decisions", {
    method: "POST",
    headers: { "content-type": "text/plain" },
    body: json,
  });
  assert.equal(text.status, 415);
  assert.match((await readProblem(text)).detail, /application\/json/);

  const huge = await api.post("/v1/decisions", {
    ...ORIGINAL_DECISION,
    debate_log: "가".repeat(400_000),
  });
  assert.equal(huge.status, 413);
  assert.match((await readProblem(huge)).detail, /1 MiB/);

  const broken = await api.request("/v1/decisions", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: '{"stock_code": "005930",',
  });
  assert.equal(broken.status, 400);
  assert.match((await readProblem(broken)).detail, /not valid JSON/);

  const missing = await api.request("/v1/nothing-here");
  assert.equal(missing.status, 404);
  assert.equal((await readProblem(missing)).title, "Not Found");

  const wrongMethod = await api.request("/v1/decisions", { method: "DELETE" });
  assert.equal(wrongMethod.status, 405);
  assert.equal(wrongMethod.headers.get("allow"), "POST, GET, HEAD");
  assert.equal((await readProblem(wrongMethod)).status, 405);
  assert.equal((await countEntries(api.archivist)).decisions, 0);
});

Deno.test("an unexpected server error is a 500 problem without internals", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await using archivist = await Archivist.open(`${dir}/a.db`);
    const app = createApp({ archivist, hosts: new AllowedHosts("127.0.0.1") });
    archivist.listRuns = () => Promise.reject(new Error("secret internal path /etc/x"));
    const response = await app.request("/v1/runs");
    assert.equal(response.status, 500);
    const problem = await readProblem(response);
    assert.doesNotMatch(JSON.stringify(problem), /secret|\/etc/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("Idempotency-Key: a retry replays the first answer and writes nothing", async () => {
  await using api = await startTestApi();
  const key = { "idempotency-key": "scout-run-7-005930" };
  const first = await api.post("/v1/decisions", ORIGINAL_DECISION, key);
  assert.equal(first.status, 201);
  assert.equal(first.headers.get("idempotent-replayed"), null);
  const firstBody = await first.text();

  // The same JSON with keys in another order is the same request.
  const reordered = Object.fromEntries(Object.entries(ORIGINAL_DECISION).reverse());
  const retry = await api.post("/v1/decisions", reordered, key);
  assert.equal(retry.status, 201);
  assert.equal(retry.headers.get("idempotent-replayed"), "true");
  assert.equal(await retry.text(), firstBody);
  assert.equal((await countEntries(api.archivist)).decisions, 1);

  const conflict = await api.post("/v1/decisions", { ...ORIGINAL_DECISION, hunter_score: 1 }, key);
  assert.equal(conflict.status, 422);
  const problem = await readProblem(conflict);
  assert.equal(problem.type, "/problems/idempotency-key-reused");
  assert.match(problem.detail, /scout-run-7-005930/);
  assert.equal((await countEntries(api.archivist)).decisions, 1);

  // The same key on the other route is another request.
  const rejection = await api.post("/v1/shadow-radar", ORIGINAL_REJECTION, key);
  assert.equal(rejection.status, 201);

  const badKey = await api.post("/v1/decisions", ORIGINAL_DECISION, { "idempotency-key": "a b" });
  assert.deepStrictEqual((await readProblem(badKey)).errors?.map((e) => e.field), [
    "Idempotency-Key",
  ]);
  assert.deepStrictEqual(await countEntries(api.archivist), { decisions: 1, rejections: 1 });
});

Deno.test("with a token, /v1/* needs the bearer token; /health and /openapi.json stay open", async () => {
  const token = "correct-horse-battery-staple";
  await using api = await startTestApi({ token });
  const missing = await api.post("/v1/decisions", ORIGINAL_DECISION);
  assert.equal(missing.status, 401);
  assert.match(missing.headers.get("www-authenticate") ?? "", /^Bearer/);
  assert.equal((await readProblem(missing)).type, "/problems/unauthorized");

  const wrong = await api.post("/v1/decisions", ORIGINAL_DECISION, {
    authorization: "Bearer correct-horse-battery-stapler",
  });
  assert.equal(wrong.status, 401);
  assert.match(wrong.headers.get("www-authenticate") ?? "", /invalid_token/);
  await wrong.body?.cancel();
  assert.equal((await countEntries(api.archivist)).decisions, 0);

  const right = await api.post("/v1/decisions", ORIGINAL_DECISION, {
    authorization: `Bearer ${token}`,
  });
  assert.equal(right.status, 201);
  await right.body?.cancel();
  const list = await api.request("/v1/decisions", {
    headers: { authorization: `Bearer ${token}` },
  });
  assert.equal((await list.json()).items.length, 1);

  for (const open of ["/health", "/openapi.json"]) {
    const response = await api.request(open);
    assert.equal(response.status, 200, open);
    await response.body?.cancel();
  }
});

Deno.test("serving on a non-loopback address without a token is refused, saying why", async () => {
  assert.throws(() => assertSafeBinding("0.0.0.0", false), /ARCHIVIST_TOKEN/);
  assert.doesNotThrow(() => assertSafeBinding("0.0.0.0", true));
  assert.doesNotThrow(() => assertSafeBinding("127.0.0.1", false));
  const dir = await Deno.makeTempDir();
  try {
    await using archivist = await Archivist.open(`${dir}/a.db`);
    await assert.rejects(
      serveHttp(createApp({ archivist, hosts: new AllowedHosts("0.0.0.0") }), {
        hostname: "0.0.0.0",
        port: 0,
        tokenRequired: false,
      }),
      InsecureBindingError,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("shutdown finishes the request in flight, then refuses connections", async () => {
  let release!: () => void;
  const released = new Promise<void>((resolve) => release = resolve);
  let arrived!: () => void;
  const arrivedPromise = new Promise<void>((resolve) => arrived = resolve);
  const server = await serveHttp({
    fetch: async () => {
      arrived();
      await released;
      return new Response("done");
    },
  }, { hostname: "127.0.0.1", port: 0, tokenRequired: false });
  const inFlight = fetch(server.url);
  await arrivedPromise;
  const stopped = server.shutdown();
  release();
  const response = await inFlight;
  assert.equal(await response.text(), "done");
  await stopped;
  await assert.rejects(() => fetch(server.url));
});

Deno.test("POST /v1/ping checks token and JSON like the logging routes, and writes nothing", async () => {
  const token = "correct-horse-battery-staple";
  await using api = await startTestApi({ token });
  const auth = { authorization: `Bearer ${token}` };
  const denied = await api.post("/v1/ping", ORIGINAL_DECISION);
  assert.equal(denied.status, 401);
  await denied.body?.cancel();
  const pong = await api.post("/v1/ping", ORIGINAL_DECISION, auth);
  assert.equal(pong.status, 200);
  const body = await pong.json();
  assert.equal(body.ok, true);
  assert.ok(!Number.isNaN(Date.parse(body.received_at)));
  const broken = await api.request("/v1/ping", {
    method: "POST",
    headers: { ...auth, "content-type": "application/json" },
    body: "{",
  });
  assert.equal(broken.status, 400);
  await broken.body?.cancel();
  assert.deepEqual(await countEntries(api.archivist), { decisions: 0, rejections: 0 });
});
