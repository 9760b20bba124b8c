/**
 * Serving the app over `node:http`: a handle that knows its URL and shuts down gracefully, and
 * time limits on every connection, which `Deno.serve` does not offer: a connection must finish
 * its request headers within {@link HEADER_TIMEOUT_MS}, its body within {@link BODY_TIMEOUT_MS},
 * and a keep-alive connection is closed after {@link IDLE_TIMEOUT_MS} without a request, so
 * half-open or idle connections cannot pile up.
 *
 * Requests reach the app as Fetch `Request`s with their body read in full (at most
 * {@link MAX_BODY_BYTES} and one byte; the app's body limit answers 413 beyond): measured here,
 * `@hono/node-server`'s streaming bridge doubled the CPU cost of a request, this one adds a third.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { getLogger } from "../log.ts";
import { assertSafeBinding } from "./auth.ts";
import type { AllowedHosts } from "./host_check.ts";
import { MAX_BODY_BYTES } from "./json_body.ts";

const log = getLogger("http");

/** Longest wait for a connection's request headers, from connect or from its last answer (ms). */
export const HEADER_TIMEOUT_MS = 10_000;
/** Longest wait for a request's body once its headers arrived (ms). */
export const BODY_TIMEOUT_MS = 30_000;
/** A keep-alive connection without a new request is closed after this (ms). */
export const IDLE_TIMEOUT_MS = 5_000;

/** The address is taken, most likely by another Archivist. */
export class PortInUseError extends Error {
  constructor(hostname: string, port: number) {
    super(
      `${hostname}:${port} is already in use (is another Archivist running?). Stop it, or set ` +
        "ARCHIVIST_PORT to a free port.",
    );
    this.name = "PortInUseError";
  }
}

/** A running HTTP server. */
export interface HttpServer extends AsyncDisposable {
  /** Base URL, e.g. `http://127.0.0.1:8787`. */
  readonly url: string;
  /** The bound port (useful with port 0). */
  readonly port: number;
  /** Connections open right now. */
  readonly connections: number;
  /** Stops accepting connections and resolves once the requests in flight are answered. */
  shutdown(): Promise<void>;
}

/** What {@link serveHttp} serves: a Hono app (or anything with its `fetch`). */
export interface ServableApp {
  fetch(request: Request): Response | Promise<Response>;
}

/** Where to listen, and the connection time limits. */
export interface ServeOptions {
  /** Bind address; a non-loopback one needs an app built with a token. */
  readonly hostname: string;
  /** Whether the app requires a bearer token on `/v1/*` (it was built with `token`). */
  readonly tokenRequired: boolean;
  /** TCP port; 0 picks a free one. */
  readonly port: number;
  /** Aborting it shuts the server down gracefully. */
  readonly signal?: AbortSignal;
  /** The app's `Host` names: told the bound port once it is known. */
  readonly hosts?: AllowedHosts;
  /** Overrides of the connection time limits (ms), for tests. */
  readonly timeouts?: { readonly headerMs?: number; readonly bodyMs?: number; idleMs?: number };
}

/** Bodies above this size are handled {@link LARGE_BODY_SLOTS} at a time. */
export const LARGE_BODY_BYTES = 64 * 1024;
/**
 * How many large bodies are parsed, validated and stored at once: their transient memory (the
 * parsed document, validation issues) is several times their size, so the peak stays bounded
 * however many arrive together. Scout's usual entries are a few kilobytes and never wait.
 */
export const LARGE_BODY_SLOTS = 2;

/** A counting semaphore: at most `slots` holders at once, the others wait in order. */
class Slots {
  #free: number;
  readonly #waiting: (() => void)[] = [];

  constructor(slots: number) {
    this.#free = slots;
  }

  async take(): Promise<Disposable> {
    if (this.#free > 0) this.#free--;
    else await new Promise<void>((resolve) => this.#waiting.push(resolve));
    let released = false;
    return {
      [Symbol.dispose]: () => {
        if (released) return;
        released = true;
        const next = this.#waiting.shift();
        if (next) next();
        else this.#free++;
      },
    };
  }
}

/** One connection's state: a timer that closes it, and whether a request is being answered. */
interface Connection {
  timer?: ReturnType<typeof setTimeout>;
  busy: boolean;
}

const NO_BODY = new Set(["GET", "HEAD"]);
const ZEROS = new Uint8Array(64 * 1024);

/**
 * Stands for a body announced larger than the app's limit, which is not read: one byte over the
 * limit, so that the app's own body limit answers 413 the usual way.
 */
function oversizedBody(): ReadableStream<Uint8Array> {
  let left = MAX_BODY_BYTES + 1;
  return new ReadableStream({
    pull(controller) {
      const size = Math.min(left, ZEROS.length);
      controller.enqueue(ZEROS.subarray(0, size));
      left -= size;
      if (left === 0) controller.close();
    },
  });
}

/** The request as a Fetch `Request`, its body read up to one byte past the app's limit. */
function toRequest(
  incoming: IncomingMessage,
  body: Uint8Array | ReadableStream<Uint8Array>,
): Request {
  const headers = new Headers();
  const raw = incoming.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) headers.append(raw[i], raw[i + 1]);
  const method = incoming.method ?? "GET";
  return new Request(`http://${incoming.headers.host ?? "localhost"}${incoming.url ?? "/"}`, {
    method,
    headers,
    body: NO_BODY.has(method) ? undefined : body as Uint8Array<ArrayBuffer>,
  });
}

/** Answers `outgoing` with the app's response. */
async function answer(response: Response, outgoing: ServerResponse): Promise<void> {
  const headers: Record<string, string | string[]> = {};
  response.headers.forEach((value, name) => {
    headers[name] = name === "set-cookie" ? response.headers.getSetCookie() : value;
  });
  const body = response.body ? new Uint8Array(await response.arrayBuffer()) : undefined;
  if (response.status !== 204 && response.status !== 304) {
    headers["content-length"] = String(body?.byteLength ?? 0);
  }
  outgoing.writeHead(response.status, headers);
  outgoing.end(body);
}

/**
 * Serves `app`. Throws `InsecureBindingError` when `hostname` is not loopback and `app` requires
 * no bearer token, and {@link PortInUseError} when the address is taken.
 */
export async function serveHttp(app: ServableApp, options: ServeOptions): Promise<HttpServer> {
  assertSafeBinding(options.hostname, options.tokenRequired);
  const headerMs = options.timeouts?.headerMs ?? HEADER_TIMEOUT_MS;
  const bodyMs = options.timeouts?.bodyMs ?? BODY_TIMEOUT_MS;
  const idleMs = options.timeouts?.idleMs ?? IDLE_TIMEOUT_MS;
  const connections = new Map<Socket, Connection>();
  const largeBodies = new Slots(LARGE_BODY_SLOTS);
  let stopping = false;

  const closeAfter = (socket: Socket, ms: number, why: string) => {
    const connection = connections.get(socket);
    if (!connection) return;
    clearTimeout(connection.timer);
    connection.timer = setTimeout(() => {
      log.debug("Closing a connection: {why}", { why });
      socket.destroy();
    }, ms);
  };

  const server = createServer((incoming: IncomingMessage, outgoing: ServerResponse) => {
    const socket = incoming.socket;
    const connection = connections.get(socket);
    if (connection) {
      connection.busy = true;
      closeAfter(socket, bodyMs, `no complete body within ${bodyMs} ms`);
      incoming.once("end", () => clearTimeout(connection.timer));
    }
    outgoing.once("finish", () => {
      if (!connection) return;
      connection.busy = false;
      if (stopping) socket.destroy();
      else closeAfter(socket, Math.min(idleMs, headerMs), `idle for ${idleMs} ms`);
    });
    if (stopping) outgoing.setHeader("connection", "close");
    const respond = async (body: Uint8Array | ReadableStream<Uint8Array>) => {
      try {
        await answer(await app.fetch(toRequest(incoming, body)), outgoing);
      } catch (error) {
        log.error("{method} {path} could not be answered: {error}", {
          method: incoming.method,
          path: incoming.url?.split("?")[0],
          error,
        });
        if (!outgoing.headersSent) outgoing.writeHead(500);
        outgoing.end();
      }
    };
    if (Number(incoming.headers["content-length"] ?? 0) > MAX_BODY_BYTES) {
      // Announced too large: not read at all. The app answers 413; then the connection closes.
      outgoing.setHeader("connection", "close");
      outgoing.once("finish", () => socket.destroy());
      void respond(oversizedBody());
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    // A large body is read only while it holds a slot: the others wait, unread, in the kernel.
    let slot: Promise<Disposable> | undefined;
    const release = () => void slot?.then((held) => held[Symbol.dispose]());
    incoming.on("data", (chunk: Buffer) => {
      // Past the limit the rest is only drained: the app answers 413 from what it got.
      if (size > MAX_BODY_BYTES) return;
      chunks.push(chunk);
      size += chunk.length;
      if (size > LARGE_BODY_BYTES && !slot) {
        incoming.pause();
        slot = largeBodies.take();
        void slot.then(() => incoming.resume());
      }
    });
    // A client that leaves before its body is complete gives its slot back (or its place).
    incoming.once("close", () => {
      if (!incoming.complete) release();
    });
    incoming.on("end", async () => {
      try {
        await slot;
        await respond(Buffer.concat(chunks, size));
      } finally {
        release();
      }
    });
  });
  server.on("connection", (socket: Socket) => {
    connections.set(socket, { busy: false });
    socket.once("close", () => {
      clearTimeout(connections.get(socket)?.timer);
      connections.delete(socket);
    });
    closeAfter(socket, headerMs, `no request headers within ${headerMs} ms`);
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", (error: Error & { code?: string }) => {
      reject(
        error.code === "EADDRINUSE" ? new PortInUseError(options.hostname, options.port) : error,
      );
    });
    server.listen(options.port, options.hostname, () => resolve());
  });
  server.on("error", (error: Error) => log.error("HTTP server error: {error}", { error }));
  const port = (server.address() as { port: number }).port;
  options.hosts?.listenOn(port);
  const host = options.hostname.includes(":") ? `[${options.hostname}]` : options.hostname;
  const url = `http://${host}:${port}`;
  log.info("Serving the Archivist API on {url}", { url });

  let stopped: Promise<void> | undefined;
  const shutdown = () => {
    stopped ??= new Promise<void>((resolve) => {
      stopping = true;
      server.close(() => resolve());
      // Idle keep-alive connections end now; busy ones after their answer (see "finish").
      for (const [socket, connection] of connections) {
        if (!connection.busy) socket.destroy();
      }
    });
    return stopped;
  };
  options.signal?.addEventListener("abort", () => void shutdown(), { once: true });
  return {
    url,
    port,
    get connections() {
      return connections.size;
    },
    shutdown,
    [Symbol.asyncDispose]: shutdown,
  };
}
