/**
 * The `Host` check against DNS rebinding: a web page on any site can make a browser send requests
 * to `127.0.0.1:8787` by pointing its own name at that address, but the browser then sends the
 * page's name as `Host`. So every route (API, `/health`, `/metrics`, pages) answers only requests
 * whose `Host` is a name of this service: for a loopback bind `127.0.0.1`, `localhost` and `[::1]`
 * (and the bound address) with the bound port; for another bind the bound address (every local
 * address for `0.0.0.0` / `::`) plus the names in `ARCHIVIST_ALLOWED_HOSTS`.
 *
 * @module
 */
import type { MiddlewareHandler } from "hono";
import { isLoopbackHost } from "../config.ts";
import { HttpProblem } from "./problem.ts";

const LOOPBACK_NAMES = ["127.0.0.1", "localhost", "[::1]"];
const WILDCARD_BINDS = new Set(["0.0.0.0", "::", "[::]"]);

/** A host name as it appears in a `Host` header: lower case, IPv6 in brackets. */
function hostName(name: string): string {
  const lower = name.trim().toLowerCase();
  return lower.includes(":") && !lower.startsWith("[") ? `[${lower}]` : lower;
}

/** `Host` split into name and port (undefined when absent). */
function parseHost(header: string): { name: string; port?: number } | undefined {
  const match = /^(\[[0-9a-f:.]+\]|[^:\[\]]+)(?::(\d{1,5}))?$/i.exec(header.trim());
  if (!match) return undefined;
  return { name: match[1].toLowerCase(), port: match[2] === undefined ? undefined : +match[2] };
}

/** The names this service answers to. Built from the bind address; told the port once bound. */
export class AllowedHosts {
  /** Names of the bind address: they must come with the bound port. */
  readonly #builtIn = new Set<string>();
  /** Configured bare names: any port (a proxy's) or none. */
  readonly #extraNames = new Set<string>();
  /** Configured entries with an explicit port, as `name:port`. */
  readonly #exact = new Set<string>();
  #port: number | undefined;

  /**
   * Names for a service bound to `hostname`; `extra` are `ARCHIVIST_ALLOWED_HOSTS` entries, each
   * `name` (any port a proxy may use, or none) or `name:port`.
   */
  constructor(hostname: string, extra: readonly string[] = []) {
    const bound = hostName(hostname);
    const names = isLoopbackHost(hostname)
      ? [...LOOPBACK_NAMES, bound]
      : WILDCARD_BINDS.has(bound)
      ? [...LOOPBACK_NAMES, ...localNames()]
      : [bound];
    for (const name of names) this.#builtIn.add(hostName(name));
    for (const entry of extra) {
      const parsed = parseHost(entry);
      if (!parsed) continue;
      if (parsed.port === undefined) this.#extraNames.add(parsed.name);
      else this.#exact.add(`${parsed.name}:${parsed.port}`);
    }
  }

  /** Records the bound port (a built-in name must come with it). */
  listenOn(port: number): void {
    this.#port = port;
  }

  /** Whether a request with this `Host` header is for this service. */
  allows(header: string | undefined): boolean {
    if (!header) return false;
    const host = parseHost(header);
    if (!host) return false;
    if (this.#exact.has(`${host.name}:${host.port ?? 80}`)) return true;
    // A configured bare name is reached through a proxy on any port, or directly.
    if (this.#extraNames.has(host.name)) return true;
    if (!this.#builtIn.has(host.name)) return false;
    const port = host.port ?? 80;
    return this.#port === undefined || port === this.#port;
  }

  /** An example `Host` to use instead, for the refusal's message. */
  example(): string {
    const name = [...this.#builtIn][0] ?? "127.0.0.1";
    return this.#port === undefined ? name : `${name}:${this.#port}`;
  }
}

/** Every address of this machine and its host name, for a wildcard bind. */
function localNames(): string[] {
  const names: string[] = [];
  try {
    names.push(Deno.hostname());
    for (const address of Deno.networkInterfaces()) names.push(address.address);
  } catch {
    // Without --allow-sys only the loopback names and ARCHIVIST_ALLOWED_HOSTS are known.
  }
  return names;
}

/**
 * Middleware refusing (421) a request whose `Host` is not one of `allowed`: the answer names the
 * address to use and the variable that adds a name.
 */
export function hostCheck(allowed: AllowedHosts): MiddlewareHandler {
  return async (c, next) => {
    // In-process requests (`app.request`) carry no Host header; their URL says the same.
    const host = c.req.header("host") ?? new URL(c.req.url).host;
    if (!allowed.allows(host)) {
      throw new HttpProblem(
        421,
        `this service does not answer for Host ${
          host === undefined ? "(none)" : JSON.stringify(host)
        }; use http://${allowed.example()}, or add the name to ARCHIVIST_ALLOWED_HOSTS`,
      );
    }
    await next();
  };
}
