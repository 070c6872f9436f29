/**
 * A fault-injecting TCP proxy for client tests: it sits between a client
 * and a real server and, when told, cuts the byte streams into tiny
 * chunks (arbitrary segment boundaries), delays them, holds everything
 * (a connection that stops answering: a "black hole"), drops
 * connections, or closes a connection in the middle of a reply.
 *
 * `tests/support/net_fakes.ts`'s `TcpProxy` holds and drops too, but has
 * no chunking, delays or cut-offs and keeps its pumps private; this one is
 * built for those faults. Bytes are never reordered or altered (TCP does
 * not do that either): each direction of each connection is one ordered
 * pump.
 *
 * No side effects on import; binds port 0.
 *
 * @example
 * ```ts ignore
 * import { FaultProxy } from "./fault_proxy.ts";
 * await using proxy = FaultProxy.start(6379, { seed: 1 });
 * proxy.faults = { chunk: 3, delayMs: 2 };
 * // connect a client to proxy.port ...
 * proxy.cutNextReply(); // the next reply stops halfway and the connection closes
 * ```
 *
 * @module
 */

import { mulberry32 } from "../wire.ts";
import { writeAll } from "./raw_client.ts";

/** What the proxy does to the bytes it forwards (both directions unless said). */
export interface Faults {
  /** Forward in chunks of 1..`chunk` bytes (0: as read). */
  readonly chunk?: number;
  /** Wait 0..`delayMs` ms before each chunk (0: none). */
  readonly delayMs?: number;
  /** Hold everything until {@linkcode FaultProxy.release} (or faults change). */
  readonly blackhole?: boolean;
}

/** Options of {@linkcode FaultProxy.start}. */
export interface FaultProxyOptions {
  /** Seed of the chunk sizes and delays. */
  readonly seed?: number;
  /** Initial faults (default none). */
  readonly faults?: Faults;
}

interface Link {
  client: Deno.TcpConn;
  server: Deno.TcpConn;
  closed: boolean;
  /** Directions that ended cleanly (the link is dropped when both have). */
  ended: number;
}

function closeQuietly(c: { close(): void }): void {
  try {
    c.close();
  } catch {
    // closed already
  }
}

/** A TCP proxy on 127.0.0.1 that injects faults (see the module doc). */
export class FaultProxy implements AsyncDisposable {
  /** Its port on 127.0.0.1. */
  readonly port: number;
  /** Connections accepted so far. */
  accepted = 0;
  /** Connections it closed on purpose (cut-offs and drops). */
  cut = 0;
  readonly #target: number;
  readonly #listener: Deno.TcpListener;
  readonly #random: () => number;
  readonly #links = new Set<Link>();
  readonly #pumps = new Set<Promise<void>>();
  #faults: Faults;
  #gate: Promise<void> | undefined;
  #open: (() => void) | undefined;
  #cutNext = false;
  #accepting: Promise<void>;

  private constructor(listener: Deno.TcpListener, target: number, options: FaultProxyOptions) {
    this.#listener = listener;
    this.port = (listener.addr as Deno.NetAddr).port;
    this.#target = target;
    this.#random = mulberry32(options.seed ?? 1);
    this.#faults = {};
    this.faults = options.faults ?? {};
    this.#accepting = this.#accept();
  }

  /** Starts a proxy on a free port forwarding to `targetPort` on 127.0.0.1. */
  static start(targetPort: number, options: FaultProxyOptions = {}): FaultProxy {
    return new FaultProxy(
      Deno.listen({ hostname: "127.0.0.1", port: 0 }),
      targetPort,
      options,
    );
  }

  /** The current faults. */
  get faults(): Faults {
    return this.#faults;
  }

  /** Changes the faults; leaving the black hole forwards what was held, in order. */
  set faults(f: Faults) {
    this.#faults = f;
    if (f.blackhole && this.#gate === undefined) {
      this.#gate = new Promise((resolve) => this.#open = resolve);
    } else if (!f.blackhole) {
      this.release();
    }
  }

  /** Forwards everything held by the black hole and stops holding. */
  release(): void {
    this.#faults = { ...this.#faults, blackhole: false };
    const open = this.#open;
    this.#gate = this.#open = undefined;
    open?.();
  }

  /**
   * The next reply chunk the server sends is forwarded only halfway (at
   * least one byte, never all), then the client's connection is closed.
   */
  cutNextReply(): void {
    this.#cutNext = true;
  }

  /** Closes every proxied connection now (clients see the connection end). */
  dropAll(): void {
    for (const l of this.#links) this.#drop(l);
  }

  /** Open proxied connections. */
  get connections(): number {
    return this.#links.size;
  }

  /** Stops listening and closes every connection. */
  async close(): Promise<void> {
    closeQuietly(this.#listener);
    this.release();
    this.dropAll();
    await this.#accepting;
    await Promise.allSettled([...this.#pumps]);
  }

  /** Same as {@linkcode FaultProxy.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #drop(l: Link): void {
    if (l.closed) return;
    l.closed = true;
    this.#links.delete(l);
    closeQuietly(l.client);
    closeQuietly(l.server);
  }

  async #accept(): Promise<void> {
    for (;;) {
      let client: Deno.TcpConn;
      try {
        client = await this.#listener.accept();
      } catch {
        return;
      }
      let server: Deno.TcpConn;
      try {
        server = await Deno.connect({ hostname: "127.0.0.1", port: this.#target });
      } catch {
        closeQuietly(client);
        continue;
      }
      client.setNoDelay(true);
      server.setNoDelay(true);
      const link: Link = { client, server, closed: false, ended: 0 };
      this.#links.add(link);
      this.accepted++;
      this.#pump(link, client, server, false);
      this.#pump(link, server, client, true);
    }
  }

  #pump(link: Link, from: Deno.TcpConn, to: Deno.TcpConn, downstream: boolean): void {
    const p = (async () => {
      const buf = new Uint8Array(64 * 1024);
      try {
        for (;;) {
          const n = await from.read(buf);
          if (n === null) break;
          let data = buf.slice(0, n);
          if (this.#gate !== undefined) await this.#gate;
          if (link.closed) return;
          if (downstream && this.#cutNext) {
            this.#cutNext = false;
            const keep = Math.max(1, Math.floor(data.length / 2));
            data = data.subarray(0, Math.min(keep, data.length - 1));
            if (data.length > 0) await writeAll(to, data);
            this.cut++;
            this.#drop(link);
            return;
          }
          await this.#forward(to, data);
        }
        // a half-close travels on; the link ends when both directions have
        if (!link.closed) await to.closeWrite().catch(() => {});
        if (++link.ended === 2) this.#drop(link);
      } catch {
        // one side went away: so does the other
        this.#drop(link);
      }
    })();
    this.#pumps.add(p);
    p.finally(() => this.#pumps.delete(p));
  }

  async #forward(to: Deno.TcpConn, data: Uint8Array): Promise<void> {
    const { chunk = 0, delayMs = 0 } = this.#faults;
    if (chunk <= 0 && delayMs <= 0) {
      await writeAll(to, data);
      return;
    }
    let off = 0;
    while (off < data.length) {
      const size = chunk > 0 ? 1 + Math.floor(this.#random() * chunk) : data.length - off;
      if (delayMs > 0) {
        const ms = Math.floor(this.#random() * (delayMs + 1));
        await new Promise((r) => setTimeout(r, ms));
      }
      await writeAll(to, data.subarray(off, off + size));
      off += size;
    }
  }
}
