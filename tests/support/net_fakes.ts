/**
 * Network fakes for the client tests: a TCP proxy in front of a real server
 * ({@linkcode TcpProxy}: hold replies, drop every connection, listen again on
 * the same port) and a fake server that answers only when told
 * ({@linkcode FakeServer}). Both bind port 0 and read the port back, record
 * what passes through them, and let a test wait (bounded) for it.
 *
 * No side effects on import.
 *
 * @module
 */

import { replyLength, writeAll } from "./raw_client.ts";
import { Changes } from "./wait.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

/** Splits one direction of one connection into complete RESP values. */
class FrameSplitter {
  #buf = new Uint8Array(64 * 1024);
  #start = 0;
  #end = 0;

  /** Feeds bytes; returns the complete values they finish, each as its raw bytes. */
  feed(chunk: Uint8Array): Uint8Array[] {
    if (this.#end + chunk.length > this.#buf.length) {
      const live = this.#end - this.#start;
      let size = this.#buf.length;
      while (size < live + chunk.length) size *= 2;
      if (size === this.#buf.length) {
        this.#buf.copyWithin(0, this.#start, this.#end);
      } else {
        const next = new Uint8Array(size);
        next.set(this.#buf.subarray(this.#start, this.#end));
        this.#buf = next;
      }
      this.#start = 0;
      this.#end = live;
    }
    this.#buf.set(chunk, this.#end);
    this.#end += chunk.length;
    const out: Uint8Array[] = [];
    for (;;) {
      const len = replyLength(this.#buf, this.#start, this.#end);
      if (len === -1) break;
      out.push(this.#buf.slice(this.#start, this.#start + len));
      this.#start += len;
    }
    if (this.#start === this.#end) this.#start = this.#end = 0;
    return out;
  }
}

/** The arguments of one raw RESP command, decoded as UTF-8. */
export function parseCommand(raw: Uint8Array): string[] {
  const lines = dec.decode(raw).split("\r\n");
  const out: string[] = [];
  for (let i = 1; i < lines.length - 1; i += 2) out.push(lines[i + 1]);
  return out;
}

function closeQuietly(c: Deno.Conn | Deno.Listener): void {
  try {
    c.close();
  } catch {
    // already closed
  }
}

/** What passed through a {@linkcode TcpProxy}, in the order it was forwarded. */
export type ProxyEvent =
  | { kind: "command"; conn: number; args: string[] }
  | { kind: "reply"; conn: number };

/**
 * A TCP proxy in front of a server: it can hold the server's replies (so
 * commands are written but unanswered), drop every connection at once
 * ({@linkcode TcpProxy.kill}) and listen again on the same port
 * ({@linkcode TcpProxy.restart}). It logs every command once it has passed
 * it on to the server, and every reply before it passes it on to the client
 * ({@linkcode TcpProxy.events}), so a command logged before a reply was
 * written by the client before that reply reached it: a test checks what a
 * client wrote before it had a reply on the record, with no timing.
 *
 * @example
 * ```ts ignore
 * import { TcpProxy } from "./net_fakes.ts";
 * await using proxy = TcpProxy.start(serverPort);
 * proxy.hold();
 * // ... a client on proxy.port writes commands; no reply reaches it
 * await proxy.waitForCommands(1);
 * await proxy.release();
 * ```
 */
export class TcpProxy implements AsyncDisposable {
  /** Its port on 127.0.0.1 (kept across {@linkcode TcpProxy.restart}). */
  readonly port: number;
  readonly #target: number;
  #listener: Deno.TcpListener | undefined;
  #accepting: Promise<void> | undefined;
  #conns = new Set<Deno.TcpConn>();
  #pumps = new Set<Promise<void>>();
  #holding = false;
  #held: { to: Deno.TcpConn; data: Uint8Array; conn: number; replies: number }[] = [];
  #changes = new Changes();
  /** Connections accepted so far. */
  accepted = 0;
  /** Every command received and every reply forwarded, in order. */
  readonly events: ProxyEvent[] = [];

  private constructor(listener: Deno.TcpListener, target: number) {
    this.#listener = listener;
    this.port = (listener.addr as Deno.NetAddr).port;
    this.#target = target;
  }

  /** Starts a proxy on a port of its own, forwarding to `targetPort` on 127.0.0.1. */
  static start(targetPort: number): TcpProxy {
    const p = new TcpProxy(Deno.listen({ hostname: "127.0.0.1", port: 0 }), targetPort);
    p.#accept(p.#listener!);
    return p;
  }

  /** Commands received from clients so far. */
  get commands(): number {
    let n = 0;
    for (const e of this.events) if (e.kind === "command") n++;
    return n;
  }

  /** The arguments of every command received so far, in order. */
  get commandArgs(): string[][] {
    const out: string[][] = [];
    for (const e of this.events) if (e.kind === "command") out.push(e.args);
    return out;
  }

  /** Resolves once `n` commands in total were received from clients. */
  waitForCommands(n: number): Promise<void> {
    return this.#changes.until(() => this.commands >= n, `${n} commands at the proxy`);
  }

  /** Resolves once `n` connections in total were accepted. */
  waitForAccepted(n: number): Promise<void> {
    return this.#changes.until(() => this.accepted >= n, `${n} connections at the proxy`);
  }

  /** Stops forwarding replies to clients (they are kept until {@linkcode TcpProxy.release}). */
  hold(): void {
    this.#holding = true;
  }

  /** Forwards the held replies and resumes forwarding. */
  async release(): Promise<void> {
    this.#holding = false;
    const held = this.#held;
    this.#held = [];
    for (const { to, data, conn, replies } of held) {
      for (let i = 0; i < replies; i++) this.events.push({ kind: "reply", conn });
      await writeAll(to, data).catch(() => {});
    }
  }

  /** Drops every connection and stops listening (clients see the connection reset). */
  async kill(): Promise<void> {
    const listener = this.#listener;
    this.#listener = undefined;
    if (listener !== undefined) closeQuietly(listener);
    for (const c of this.#conns) closeQuietly(c);
    this.#conns.clear();
    this.#held = [];
    this.#holding = false;
    await this.#accepting;
    await Promise.all([...this.#pumps]);
  }

  /** Listens again on the same port. */
  restart(): void {
    const listener = Deno.listen({ hostname: "127.0.0.1", port: this.port });
    this.#listener = listener;
    this.#accept(listener);
  }

  /** Same as {@linkcode TcpProxy.kill}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.kill();
  }

  #accept(listener: Deno.TcpListener): void {
    this.#accepting = (async () => {
      for (;;) {
        let client: Deno.TcpConn;
        try {
          client = await listener.accept();
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
        if (this.#listener !== listener) {
          // killed meanwhile
          closeQuietly(client);
          closeQuietly(server);
          return;
        }
        this.#conns.add(client);
        this.#conns.add(server);
        const conn = this.accepted++;
        this.#changes.notify();
        this.#pump(client, server, true, conn);
        this.#pump(server, client, false, conn);
      }
    })();
  }

  #pump(from: Deno.TcpConn, to: Deno.TcpConn, upstream: boolean, conn: number): void {
    const p = (async () => {
      const buf = new Uint8Array(64 * 1024);
      const splitter = new FrameSplitter();
      try {
        for (;;) {
          const n = await from.read(buf);
          if (n === null) break;
          const data = buf.slice(0, n);
          const frames = splitter.feed(data);
          if (upstream) {
            // Logged once passed on: a command counted here has reached the server.
            await writeAll(to, data);
            for (const f of frames) {
              this.events.push({ kind: "command", conn, args: parseCommand(f) });
            }
            this.#changes.notify();
            continue;
          }
          if (this.#holding) {
            this.#held.push({ to, data, conn, replies: frames.length });
            continue;
          }
          // Logged before it is passed on: the client cannot have it before it is counted.
          for (let i = 0; i < frames.length; i++) this.events.push({ kind: "reply", conn });
          await writeAll(to, data);
        }
      } catch {
        // closed
      }
      for (const c of [from, to]) {
        if (this.#conns.delete(c)) closeQuietly(c);
      }
    })();
    this.#pumps.add(p);
    p.finally(() => this.#pumps.delete(p));
  }
}

/**
 * How a {@linkcode FakeServer} answers a command: the raw RESP reply,
 * `undefined` for the default (the last argument as a bulk string), or
 * `null` to close that connection without answering.
 */
export type FakeReply = (args: string[], conn: number) => string | null | undefined;

/** Options of {@linkcode FakeServer.start}. */
export interface FakeOptions {
  /**
   * Close the first connection, unanswered, as soon as it has received this
   * many bytes: a client still writing a big command then sees its write fail.
   */
  closeFirstAfter?: number;
}

/** One connection of a {@linkcode FakeServer}. */
interface FakeConn {
  readonly index: number;
  readonly conn: Deno.TcpConn;
  readonly splitter: FrameSplitter;
  /** Its commands not answered yet. */
  readonly unanswered: string[][];
  /** Commands received on it. */
  received: number;
  /** Replies written on it. */
  answered: number;
}

/**
 * A fake server that records every command and answers only when told
 * ({@linkcode FakeServer.autoAnswer}): by default a reply echoes the
 * command's last argument as a bulk string, so each caller can check it got
 * its own reply; the `reply` function given to {@linkcode FakeServer.start}
 * can answer anything else, or drop the connection. It also records how
 * many commands each connection had in flight (written, not answered) when
 * each one arrived: {@linkcode FakeServer.peakInFlight}.
 *
 * @example
 * ```ts ignore
 * import { FakeServer } from "./net_fakes.ts";
 * await using fake = FakeServer.start();
 * // ... a client on fake.port sends ECHO a: nothing comes back yet
 * await fake.waitForCommands(1);
 * await fake.autoAnswer(); // now it gets "a"
 * ```
 */
export class FakeServer implements AsyncDisposable {
  /** Its port on 127.0.0.1. */
  readonly port: number;
  #listener: Deno.TcpListener;
  #accepting: Promise<void>;
  #conns: FakeConn[] = [];
  #readers = new Set<Promise<void>>();
  #commands: string[][] = [];
  #auto = false;
  #changes = new Changes();
  #reply: FakeReply | undefined;
  #peak = 0;
  #closeFirstAfter: number | undefined;

  private constructor(listener: Deno.TcpListener, reply?: FakeReply, options: FakeOptions = {}) {
    this.#listener = listener;
    this.#reply = reply;
    this.#closeFirstAfter = options.closeFirstAfter;
    this.port = (listener.addr as Deno.NetAddr).port;
    this.#accepting = this.#accept();
  }

  /** Starts listening on a port of its own; `reply` decides how commands are answered. */
  static start(reply?: FakeReply, options?: FakeOptions): FakeServer {
    return new FakeServer(Deno.listen({ hostname: "127.0.0.1", port: 0 }), reply, options);
  }

  /** The commands received so far on every connection, in arrival order. */
  get commands(): string[][] {
    return this.#commands.map((c) => [...c]);
  }

  /** Connections accepted so far. */
  get connections(): number {
    return this.#conns.length;
  }

  /**
   * The most commands any connection had written and unanswered when one of
   * them arrived (the arriving one included).
   */
  get peakInFlight(): number {
    return this.#peak;
  }

  /** Resolves once `n` commands were received. */
  waitForCommands(n: number): Promise<void> {
    return this.#changes.until(() => this.#commands.length >= n, `${n} commands at the fake`);
  }

  /** Resolves once `n` connections were accepted. */
  waitForConnections(n: number): Promise<void> {
    return this.#changes.until(() => this.#conns.length >= n, `${n} connections at the fake`);
  }

  /** From now on answers every command received (and those waiting). */
  async autoAnswer(): Promise<void> {
    this.#auto = true;
    for (const c of this.#conns) await this.#flush(c);
  }

  /** Writes raw bytes to the most recent connection (e.g. a reply nobody asked for). */
  async send(raw: string): Promise<void> {
    const c = this.#conns.at(-1);
    if (c === undefined) throw new Error("FakeServer.send: no connection");
    await writeAll(c.conn, enc.encode(raw));
  }

  /** Closes every open connection (the server keeps listening). */
  dropConnections(): void {
    for (const c of this.#conns) closeQuietly(c.conn);
  }

  async #flush(c: FakeConn): Promise<void> {
    const parts: string[] = [];
    let drop = false;
    while (c.unanswered.length !== 0) {
      const args = c.unanswered.shift()!;
      const custom = this.#reply?.(args, c.index);
      if (custom === null) {
        drop = true;
        break;
      }
      const last = args[args.length - 1];
      parts.push(custom ?? `$${enc.encode(last).length}\r\n${last}\r\n`);
      c.answered++;
    }
    try {
      if (parts.length !== 0) await writeAll(c.conn, enc.encode(parts.join("")));
    } catch {
      // the client went away
    }
    if (drop) closeQuietly(c.conn);
  }

  async #accept(): Promise<void> {
    for (;;) {
      let conn: Deno.TcpConn;
      try {
        conn = await this.#listener.accept();
      } catch {
        return;
      }
      const c: FakeConn = {
        index: this.#conns.length,
        conn,
        splitter: new FrameSplitter(),
        unanswered: [],
        received: 0,
        answered: 0,
      };
      this.#conns.push(c);
      this.#changes.notify();
      const reader = (async () => {
        const buf = new Uint8Array(64 * 1024);
        let bytes = 0;
        try {
          for (;;) {
            const n = await conn.read(buf);
            if (n === null) break;
            bytes += n;
            if (c.index === 0 && this.#closeFirstAfter !== undefined) {
              if (bytes >= this.#closeFirstAfter) break; // unread bytes left: a reset
              continue;
            }
            for (const frame of c.splitter.feed(buf.subarray(0, n))) {
              const args = parseCommand(frame);
              this.#commands.push(args);
              c.unanswered.push(args);
              c.received++;
              this.#peak = Math.max(this.#peak, c.received - c.answered);
            }
            this.#changes.notify();
            if (this.#auto) await this.#flush(c);
          }
        } catch {
          // closed
        }
        closeQuietly(conn);
      })();
      this.#readers.add(reader);
    }
  }

  /** Closes the listener and every connection. */
  async close(): Promise<void> {
    closeQuietly(this.#listener);
    this.dropConnections();
    await this.#accepting;
    await Promise.all([...this.#readers]);
  }

  /** Same as {@linkcode FakeServer.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/**
 * A listener that never accepts, with its accept queue filled up, so a new
 * TCP connection to its port neither succeeds nor fails: the kernel drops
 * the SYN (a "connect timeout" without the network). Filling is bounded;
 * `close()` ends every connection it made.
 */
export class FullBacklog implements AsyncDisposable {
  /** Its port on 127.0.0.1. */
  readonly port: number;
  readonly #listener: Deno.TcpListener;
  readonly #conns: Deno.TcpConn[];

  private constructor(listener: Deno.TcpListener, conns: Deno.TcpConn[]) {
    this.#listener = listener;
    this.port = (listener.addr as Deno.NetAddr).port;
    this.#conns = conns;
  }

  /**
   * Listens and connects to itself until a connection attempt hangs (it is
   * given `probeMs`, a safety net far above a loopback connect's time).
   */
  static async start(probeMs = 1_000, maxConnections = 10_000): Promise<FullBacklog> {
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = (listener.addr as Deno.NetAddr).port;
    const conns: Deno.TcpConn[] = [];
    try {
      for (let i = 0; i < maxConnections; i++) {
        const probe = new AbortController();
        const timer = setTimeout(() => probe.abort(new Error("full")), probeMs);
        try {
          conns.push(await Deno.connect({ hostname: "127.0.0.1", port, signal: probe.signal }));
        } catch (e) {
          if (probe.signal.aborted) return new FullBacklog(listener, conns);
          throw e;
        } finally {
          clearTimeout(timer);
        }
      }
      throw new Error(`FullBacklog: ${maxConnections} connections and the queue is not full`);
    } catch (e) {
      for (const c of conns) closeQuietly(c);
      closeQuietly(listener);
      throw e;
    }
  }

  /** Closes the connections it made and the listener. */
  close(): Promise<void> {
    for (const c of this.#conns) closeQuietly(c);
    closeQuietly(this.#listener);
    return Promise.resolve();
  }

  /** Same as {@linkcode FullBacklog.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
