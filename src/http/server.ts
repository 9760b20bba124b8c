/**
 * Serving the app over `node:http` (with `@hono/node-server`): a handle that knows its URL and
 * shuts down gracefully, and time limits on every connection, which `Deno.serve` does not offer:
 * a connection must finish its request headers within {@link HEADER_TIMEOUT_MS}, its body within
 * {@link BODY_TIMEOUT_MS}, and a keep-alive connection is closed after {@link IDLE_TIMEOUT_MS}
 * without a request, so half-open or idle connections cannot pile up.
 *
 * @module
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { getRequestListener } from "@hono/node-server";
import { getLogger } from "../log.ts";
import { assertSafeBinding } from "./auth.ts";
import type { AllowedHosts } from "./host_check.ts";

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

/** One connection's state: a timer that closes it, and whether a request is being answered. */
interface Connection {
  timer?: ReturnType<typeof setTimeout>;
  busy: boolean;
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
  // Deno's own Request and Response stay: the app and its tests use them.
  const listener = getRequestListener((request) => app.fetch(request), {
    overrideGlobalObjects: false,
  });
  const connections = new Map<Socket, Connection>();
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
    void listener(incoming, outgoing);
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
