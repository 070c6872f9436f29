/**
 * Connection options of the client and the parsing of addresses
 * (`host:port`, `{ hostname, port }`, `redis://[[user]:password@]host[:port][/db]`).
 *
 * @module
 */

/** Where to connect: `"host:port"`, a `redis://` URL, or `{ hostname, port }` (e.g. a `Deno.NetAddr`). */
export type Address = string | URL | { hostname: string; port: number };

/** How the client reconnects after losing its connection. */
export interface ReconnectOptions {
  /** First delay in ms before a reconnect attempt (doubled per attempt, with jitter). Default 50. */
  initialDelay?: number;
  /** Cap on the delay between attempts in ms. Default 2,000. */
  maxDelay?: number;
  /**
   * How long in ms the client keeps trying before it gives up: then it closes and every
   * command still waiting rejects with a `ConnectionError`. Default 10,000.
   */
  maxWait?: number;
}

/** Options of {@linkcode connect} and the clients. */
export interface ClientOptions {
  /** RESP version: 2 (default) or 3 (the client sends `HELLO 3` on every connection). */
  protocol?: 2 | 3;
  /** ACL user name for AUTH (default: the `default` user). */
  username?: string;
  /** Password for AUTH; re-sent on every reconnection. A URL's password is used when absent. */
  password?: string;
  /** Database index selected on every connection (default 0: none sent). */
  db?: number;
  /**
   * Default timeout in ms of every command (default: none). A command that times out rejects
   * with a `DOMException` named `TimeoutError`; its late reply is read and discarded.
   */
  commandTimeout?: number;
  /** Timeout in ms to open a connection and finish its handshake. Default 10,000. */
  connectTimeout?: number;
  /** Reconnection policy, or `false` to close the client when the connection is lost. */
  reconnect?: ReconnectOptions | false;
}

/** Options with every default filled in, plus the parsed address. */
export interface ResolvedOptions {
  /** Host name or IP. */
  hostname: string;
  /** TCP port. */
  port: number;
  /** RESP version. */
  protocol: 2 | 3;
  /** ACL user, if any. */
  username: string | undefined;
  /** Password, if any. */
  password: string | undefined;
  /** Database index. */
  db: number;
  /** Default command timeout in ms (0: none). */
  commandTimeout: number;
  /** Connect + handshake timeout in ms. */
  connectTimeout: number;
  /** Reconnect policy, or `false`. */
  reconnect: Required<ReconnectOptions> | false;
}

/** Default port of Redis. */
export const DEFAULT_PORT = 6379;

/**
 * Parses an address and merges the options, filling in the defaults.
 * Throws a `TypeError` on a malformed address.
 *
 * @example
 * ```ts
 * import { resolveOptions } from "./options.ts";
 * const o = resolveOptions("redis://:secret@localhost:6380/0");
 * console.log(o.hostname, o.port, o.password); // "localhost" 6380 "secret"
 * ```
 */
export function resolveOptions(address: Address, options: ClientOptions = {}): ResolvedOptions {
  let hostname: string;
  let port = DEFAULT_PORT;
  let username: string | undefined;
  let password: string | undefined;
  let db: number | undefined;
  if (typeof address === "string" && !address.includes("://")) {
    const m = /^(?:\[([^\]]+)\]|([^:]*))(?::(\d+))?$/.exec(address);
    if (m === null) throw new TypeError(`Invalid address: ${address}`);
    hostname = m[1] ?? m[2];
    if (m[3] !== undefined) port = Number(m[3]);
  } else if (typeof address === "string" || address instanceof URL) {
    let url: URL;
    try {
      url = typeof address === "string" ? new URL(address) : address;
    } catch {
      throw new TypeError(`Invalid URL: ${address}`);
    }
    if (url.protocol !== "redis:") {
      throw new TypeError(`Unsupported URL scheme '${url.protocol}': use redis://`);
    }
    hostname = url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname;
    if (url.port !== "") port = Number(url.port);
    if (url.username !== "") username = decodeURIComponent(url.username);
    if (url.password !== "") password = decodeURIComponent(url.password);
    const path = url.pathname.replace(/^\//, "");
    if (path !== "") {
      if (!/^\d+$/.test(path)) throw new TypeError(`Invalid database index in URL: ${path}`);
      db = Number(path);
    }
  } else {
    hostname = address.hostname;
    port = address.port;
  }
  if (hostname === "") hostname = "127.0.0.1";
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new TypeError(`Invalid port: ${port}`);
  }
  const r = options.reconnect;
  return {
    hostname,
    port,
    protocol: options.protocol ?? 2,
    username: options.username ?? username,
    password: options.password ?? password,
    db: options.db ?? db ?? 0,
    commandTimeout: options.commandTimeout ?? 0,
    connectTimeout: options.connectTimeout ?? 10_000,
    reconnect: r === false ? false : {
      initialDelay: r?.initialDelay ?? 50,
      maxDelay: r?.maxDelay ?? 2_000,
      maxWait: r?.maxWait ?? 10_000,
    },
  };
}
