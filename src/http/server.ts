/**
 * Serving the app with `Deno.serve`: a handle that knows its URL and shuts down gracefully.
 *
 * @module
 */
import { getLogger } from "../log.ts";
import { assertSafeBinding } from "./auth.ts";

const log = getLogger("http");

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
  /** Stops accepting connections and resolves once the requests in flight are answered. */
  shutdown(): Promise<void>;
}

/** What {@link serveHttp} serves: a Hono app (or anything with its `fetch`). */
export interface ServableApp {
  fetch(request: Request): Response | Promise<Response>;
}

/** Where to listen. */
export interface ServeOptions {
  /** Bind address; a non-loopback one needs an app built with a token. */
  readonly hostname: string;
  /** Whether the app requires a bearer token on `/v1/*` (it was built with `token`). */
  readonly tokenRequired: boolean;
  /** TCP port; 0 picks a free one. */
  readonly port: number;
  /** Aborting it shuts the server down gracefully. */
  readonly signal?: AbortSignal;
}

/**
 * Serves `app`. Throws `InsecureBindingError` when `hostname` is not loopback and `app` requires
 * no bearer token, and {@link PortInUseError} when the address is taken.
 */
export function serveHttp(app: ServableApp, options: ServeOptions): HttpServer {
  assertSafeBinding(options.hostname, options.tokenRequired);
  let server: Deno.HttpServer<Deno.NetAddr>;
  try {
    server = Deno.serve({
      hostname: options.hostname,
      port: options.port,
      onListen: () => {},
    }, (request) => app.fetch(request));
  } catch (error) {
    if (error instanceof Deno.errors.AddrInUse) {
      throw new PortInUseError(options.hostname, options.port);
    }
    throw error;
  }
  const { port } = server.addr;
  const host = server.addr.hostname.includes(":")
    ? `[${server.addr.hostname}]`
    : server.addr.hostname;
  const url = `http://${host}:${port}`;
  log.info("Serving the Archivist API on {url}", { url });

  let stopping: Promise<void> | undefined;
  const shutdown = () => {
    stopping ??= server.shutdown().then(() => server.finished);
    return stopping;
  };
  options.signal?.addEventListener("abort", () => void shutdown(), { once: true });
  return { url, port, shutdown, [Symbol.asyncDispose]: shutdown };
}
