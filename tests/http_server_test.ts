import assert from "node:assert/strict";
import { serveHttp } from "../src/http/server.ts";

const ok = { fetch: () => new Response("ok") };

/** Resolves with how long (ms) until the server closed `conn`, or null if still open after `ms`. */
async function closedWithin(conn: Deno.Conn, ms: number): Promise<number | null> {
  const started = performance.now();
  const buffer = new Uint8Array(4096);
  const deadline = started + ms;
  while (performance.now() < deadline) {
    const read = await Promise.race([
      conn.read(buffer).catch(() => null),
      new Promise<"wait">((resolve) =>
        setTimeout(() => resolve("wait"), deadline - performance.now())
      ),
    ]);
    if (read === null) return performance.now() - started;
    if (read === "wait") return null;
  }
  return null;
}

Deno.test("server: half-open connections are closed after the header timeout, many at once", async () => {
  await using server = await serveHttp(ok, {
    hostname: "127.0.0.1",
    port: 0,
    tokenRequired: false,
    timeouts: { headerMs: 300 },
  });
  const conns = await Promise.all(
    Array.from({ length: 200 }, () => Deno.connect({ hostname: "127.0.0.1", port: server.port })),
  );
  const partial = new TextEncoder().encode("POST /v1/ping HTTP/1.1\r\nHost: 127.0.0.1\r\n");
  await Promise.all(conns.map((conn) => conn.write(partial)));
  const closed = await Promise.all(conns.map((conn) => closedWithin(conn, 5_000)));
  for (const conn of conns) conn.close();
  assert.ok(closed.every((ms) => ms !== null), "every half-open connection was closed");
  assert.ok(Math.max(...closed as number[]) < 4_000);
  // Answering still works.
  assert.equal(await (await fetch(server.url)).text(), "ok");
});

Deno.test("server: an idle keep-alive connection is closed; a slow body too", async () => {
  await using server = await serveHttp(ok, {
    hostname: "127.0.0.1",
    port: 0,
    tokenRequired: false,
    timeouts: { idleMs: 300, bodyMs: 300 },
  });
  const idle = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
  await idle.write(new TextEncoder().encode("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"));
  const buffer = new Uint8Array(4096);
  const read = await idle.read(buffer);
  assert.match(new TextDecoder().decode(buffer.subarray(0, read!)), /^HTTP\/1\.1 200/);
  const idleClosed = await closedWithin(idle, 5_000);
  idle.close();
  assert.ok(idleClosed !== null && idleClosed >= 250, `idle connection closed after ${idleClosed}`);

  const slow = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
  await slow.write(
    new TextEncoder().encode(
      "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n" +
        "Content-Length: 100\r\n\r\n{",
    ),
  );
  const slowClosed = await closedWithin(slow, 5_000);
  slow.close();
  assert.ok(slowClosed !== null, "a body that never completes does not hold the connection");
  assert.equal(server.connections, 0);
});

Deno.test("server: clients that leave in the middle of large bodies do not block the next ones", async () => {
  let answered = 0;
  await using server = await serveHttp({
    fetch: async (request) => {
      answered++;
      return new Response(String((await request.arrayBuffer()).byteLength));
    },
  }, { hostname: "127.0.0.1", port: 0, tokenRequired: false });
  const head = (length: number) =>
    new TextEncoder().encode(
      `POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${length}\r\n\r\n`,
    );
  // Four large uploads that stop half way and hang up (more than the two large-body slots).
  for (let i = 0; i < 4; i++) {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
    await conn.write(head(500_000));
    await conn.write(new Uint8Array(200_000));
    await new Promise((resolve) => setTimeout(resolve, 20));
    conn.close();
  }
  const body = new Uint8Array(300_000);
  const response = await fetch(server.url, {
    method: "POST",
    body,
    signal: AbortSignal.timeout(5_000),
  });
  assert.equal(await response.text(), "300000");
  assert.equal(answered, 1, "the abandoned uploads reached no handler");
});
