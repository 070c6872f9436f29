/**
 * Running one test against both servers: {@linkcode eachPeer} registers it
 * once for a real `redis-server` (first: a test is proven right against
 * Redis before it judges ours) and once for our server, each with a private
 * server started by {@linkcode startPeer} and stopped when the test ends.
 *
 * No side effects on import.
 *
 * @module
 */

import type { Server } from "../../server/mod.ts";
import { startRedis, startTestServer } from "./servers.ts";
import { HAVE_REDIS } from "./tools.ts";
import { bounded } from "./wait.ts";

/** Which server a compatibility test runs against: real Redis or ours. */
export type PeerKind = "redis" | "ours";

/** Both peers, real Redis first (a test is proven right against it before it judges ours). */
export const PEERS: readonly PeerKind[] = ["redis", "ours"];

/** Options of {@linkcode startPeer}. */
export interface PeerOptions {
  /** Require this password (`requirepass`). */
  requirepass?: string;
  /** Bind this port instead of a free one (to restart on the same port). */
  port?: number;
}

/** A server started by {@linkcode startPeer}. */
export interface Peer extends AsyncDisposable {
  /** Which server it is. */
  readonly kind: PeerKind;
  /** Its port on 127.0.0.1. */
  readonly port: number;
  /** Our in-process server (absent for `redis`). */
  readonly server?: Server;
  /** Stops it. */
  close(): Promise<void>;
}

/**
 * Starts a private `redis-server` child process (`"redis"`) or our server
 * in-process (`"ours"`) on 127.0.0.1, with the same settings.
 *
 * @example
 * ```ts
 * import { PEERS, RawClient, startPeer } from "./peers.ts";
 * for (const kind of PEERS) {
 *   await using peer = await startPeer(kind);
 *   await using c = await RawClient.connect(peer.port);
 *   console.log(kind, await c.call("PING")); // "+PONG\r\n"
 * }
 * ```
 */
export async function startPeer(kind: PeerKind, options: PeerOptions = {}): Promise<Peer> {
  if (kind === "redis") {
    const args = options.requirepass === undefined ? [] : ["--requirepass", options.requirepass];
    const r = await startRedis({ args, port: options.port });
    const close = () => r.close();
    return { kind, port: r.port, close, [Symbol.asyncDispose]: close };
  }
  const srv = await startTestServer({ requirepass: options.requirepass, port: options.port });
  return {
    kind,
    port: srv.port,
    server: srv.server,
    close: srv.close,
    [Symbol.asyncDispose]: srv.close,
  };
}

/** The display name of a peer in test names: `redis-server` or `mini-redis`. */
export function peerName(kind: PeerKind): string {
  return kind === "redis" ? "redis-server" : "mini-redis";
}

/** Options of {@linkcode eachPeer}: those of {@linkcode startPeer}, plus required tools. */
export interface EachPeerOptions extends PeerOptions {
  /**
   * Other executables the test needs, with whether each is installed, e.g.
   * `{ "redis-cli": HAVE_REDIS_CLI }`; a missing one ignores both tests.
   */
  requires?: Readonly<Record<string, boolean>>;
  /**
   * A test still running after this long fails with a message instead of
   * hanging the run (a safety net, not a timing assertion; default 60000).
   */
  limitMs?: number;
}

/**
 * Registers `fn` as one test per peer (real Redis first), each with its own
 * private server from {@linkcode startPeer}, named `<what> [<peer name>]`.
 * A test that cannot run (a required tool or, for the `redis` peer,
 * `redis-server` not installed) is ignored with the reason in its name. A
 * test that hangs fails after `limitMs`.
 *
 * @example
 * ```ts
 * import { eachPeer, RawClient } from "./peers.ts";
 * eachPeer("PING answers PONG", async (peer) => {
 *   await using c = await RawClient.connect(peer.port);
 *   console.log(await c.call("PING")); // "+PONG\r\n"
 * });
 * ```
 */
export function eachPeer(
  what: string,
  fn: (peer: Peer) => Promise<void>,
  options: EachPeerOptions = {},
): void {
  const { requires = {}, limitMs = 60_000, ...peerOptions } = options;
  const missing = Object.entries(requires).find(([, installed]) => !installed)?.[0];
  for (const kind of PEERS) {
    const reason = missing !== undefined
      ? `${missing} is not installed`
      : kind === "redis" && !HAVE_REDIS
      ? "redis-server is not installed"
      : undefined;
    Deno.test({
      name: `${what} [${peerName(kind)}]${reason ? ` (ignored: ${reason})` : ""}`,
      ignore: reason !== undefined,
      fn: async () => {
        await using peer = await startPeer(kind, peerOptions);
        await bounded(fn(peer), `${what} [${peerName(kind)}]`, limitMs);
      },
    });
  }
}
