/**
 * Helpers for the client tests: the two targets every suite runs against
 * (our server and a real `redis-server`, see `RedisProcess` in
 * `helpers.ts` for one that can be killed and restarted on the same port),
 * a TCP proxy that can hold replies and drop connections, and a fake server
 * that answers only when told.
 *
 * @module
 */

import {
  freePort,
  HAVE_REDIS,
  RawClient,
  replyLength,
  startRedis,
  startTestServer,
  writeAll,
} from "./helpers.ts";

/** A server a suite runs against. */
export interface Target {
  /** Its name in test names: `ours` or `redis`. */
  readonly name: "ours" | "redis";
  /** Why the suite is ignored for this target, if it is. */
  readonly ignore: string | undefined;
  /** Starts a private instance. */
  start(): Promise<Instance>;
}

/** A running server instance of a target. */
export interface Instance extends AsyncDisposable {
  /** Its port on 127.0.0.1. */
  readonly port: number;
  /** Stops it. */
  close(): Promise<void>;
}

/** Our server, in-process on a free port. */
export const OURS: Target = {
  name: "ours",
  ignore: undefined,
  start: () => startTestServer(),
};

/** A real redis-server child process on a free port (ignored when not installed). */
export const REDIS: Target = {
  name: "redis",
  ignore: HAVE_REDIS ? undefined : "redis-server is not installed",
  start: () => startRedis(),
};

/** Both targets. */
export const TARGETS: readonly Target[] = [OURS, REDIS];

/**
 * Which optional features our server has right now, probed once: pub/sub,
 * HELLO (RESP3) and AUTH arrive with issue 5; until then the tests that need
 * them run against real Redis only and are ignored for ours, with the
 * reason in the test name.
 */
export const OUR_FEATURES: { pubsub: boolean; hello: boolean; auth: boolean } = await (async () => {
  const server = await startTestServer();
  try {
    const c = await RawClient.connect(server.port);
    try {
      const known = async (...args: string[]) =>
        !(await c.call(...args)).startsWith("-ERR unknown command");
      return {
        pubsub: await known("PUBLISH", "probe", "x"),
        hello: await known("HELLO", "2"),
        auth: await known("AUTH", "probe"),
      };
    } finally {
      c.close();
    }
  } finally {
    await server.close();
  }
})();

/**
 * The reason a test needing `feature` is ignored for `target`, or undefined
 * when it runs.
 */
export function lacks(target: Target, feature: Feature): string | undefined {
  if (target.ignore !== undefined) return target.ignore;
  if (target.name === "ours" && !OUR_FEATURES[feature]) {
    const what = { pubsub: "pub/sub", hello: "HELLO (RESP3)", auth: "AUTH" }[feature];
    return `our server lacks ${what} until issue 5`;
  }
  return undefined;
}

/** A test name with the ignore reason appended, so the report says why. */
export function testName(target: Target, what: string, ignore: string | undefined): string {
  return `${target.name}: ${what}${ignore === undefined ? "" : ` (ignored: ${ignore})`}`;
}

/** An optional feature of our server (see {@linkcode OUR_FEATURES}). */
export type Feature = keyof typeof OUR_FEATURES;

/**
 * Registers `fn` as one test per target, each with a private server; a
 * target that cannot run it (not installed, or lacking one of `features`,
 * the first missing one named) is ignored with the reason in the test name.
 *
 * @example
 * ```ts
 * import { eachTarget } from "./client_helpers.ts";
 * eachTarget("PING", async (_target, port) => {
 *   console.log(port);
 * });
 * ```
 */
export function eachTarget(
  what: string,
  fn: (target: Target, port: number) => Promise<void>,
  ...features: Feature[]
): void {
  for (const target of TARGETS) {
    let ignore = target.ignore;
    for (const f of features) ignore ??= lacks(target, f);
    Deno.test({
      name: testName(target, what, ignore),
      ignore: ignore !== undefined,
      async fn() {
        await using server = await target.start();
        await fn(target, server.port);
      },
    });
  }
}

/** Counts complete RESP commands in a byte stream. */
class CommandCounter {
  #buf = new Uint8Array(0);
  count = 0;
  /** The commands seen, as latin1 strings of their raw bytes. */
  readonly seen: Uint8Array[] = [];
  feed(chunk: Uint8Array): void {
    const merged = new Uint8Array(this.#buf.length + chunk.length);
    merged.set(this.#buf);
    merged.set(chunk, this.#buf.length);
    let pos = 0;
    for (;;) {
      const len = replyLength(merged, pos, merged.length);
      if (len === -1) break;
      this.seen.push(merged.slice(pos, pos + len));
      pos += len;
      this.count++;
    }
    this.#buf = merged.slice(pos);
  }
}

/** Resolves `check` waiters whenever something changes. */
class Changes {
  #waiters: (() => void)[] = [];
  notify(): void {
    const w = this.#waiters;
    this.#waiters = [];
    for (const f of w) f();
  }
  async until(check: () => boolean): Promise<void> {
    while (!check()) await new Promise<void>((r) => this.#waiters.push(r));
  }
}

/**
 * A TCP proxy in front of a server: it can hold the server's replies (so
 * commands are written but unanswered), drop every connection at once
 * ("kill") and listen again on the same port ("restart").
 */
export class TcpProxy implements AsyncDisposable {
  readonly port: number;
  readonly #target: number;
  #listener: Deno.TcpListener | undefined;
  #accepting: Promise<void> | undefined;
  #conns = new Set<Deno.TcpConn>();
  #pumps = new Set<Promise<void>>();
  #holding = false;
  #held: { to: Deno.TcpConn; data: Uint8Array }[] = [];
  #counter = new CommandCounter();
  #changes = new Changes();
  /** Connections accepted so far. */
  accepted = 0;

  private constructor(port: number, target: number) {
    this.port = port;
    this.#target = target;
  }

  /** Starts a proxy on a free port forwarding to `targetPort`. */
  static start(targetPort: number): TcpProxy {
    const p = new TcpProxy(freePort(), targetPort);
    p.#listen();
    return p;
  }

  /** Commands received from clients so far. */
  get commands(): number {
    return this.#counter.count;
  }

  /** Resolves once `n` commands in total were received from clients. */
  waitForCommands(n: number): Promise<void> {
    return this.#changes.until(() => this.#counter.count >= n);
  }

  /** Resolves once `n` connections in total were accepted. */
  waitForAccepted(n: number): Promise<void> {
    return this.#changes.until(() => this.accepted >= n);
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
    for (const { to, data } of held) await writeAll(to, data).catch(() => {});
  }

  /** Drops every connection and stops listening (clients see the connection reset). */
  async kill(): Promise<void> {
    this.#listener?.close();
    this.#listener = undefined;
    for (const c of this.#conns) {
      try {
        c.close();
      } catch {
        // already closed
      }
    }
    this.#conns.clear();
    this.#held = [];
    this.#holding = false;
    await this.#accepting;
    await Promise.all([...this.#pumps]);
  }

  /** Listens again on the same port. */
  restart(): void {
    this.#listen();
  }

  /** Same as {@linkcode TcpProxy.kill}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.kill();
  }

  #listen(): void {
    const listener = Deno.listen({ hostname: "127.0.0.1", port: this.port });
    this.#listener = listener;
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
          client.close();
          continue;
        }
        if (this.#listener !== listener) {
          // killed meanwhile
          client.close();
          server.close();
          return;
        }
        this.#conns.add(client);
        this.#conns.add(server);
        this.accepted++;
        this.#changes.notify();
        this.#pump(client, server, true);
        this.#pump(server, client, false);
      }
    })();
  }

  #pump(from: Deno.TcpConn, to: Deno.TcpConn, upstream: boolean): void {
    const p = (async () => {
      const buf = new Uint8Array(64 * 1024);
      try {
        for (;;) {
          const n = await from.read(buf);
          if (n === null) break;
          const data = buf.slice(0, n);
          if (upstream) {
            this.#counter.feed(data);
            this.#changes.notify();
          }
          if (!upstream && this.#holding) {
            this.#held.push({ to, data });
            continue;
          }
          await writeAll(to, data);
        }
      } catch {
        // closed
      }
      for (const c of [from, to]) {
        if (this.#conns.delete(c)) {
          try {
            c.close();
          } catch {
            // already closed
          }
        }
      }
    })();
    this.#pumps.add(p);
    p.finally(() => this.#pumps.delete(p));
  }
}

/**
 * A fake server that records every command and answers only when told
 * (`autoAnswer()`): replies echo each command's last argument as a bulk
 * string, so each caller can check it got its own reply (or are made by the
 * `reply` function given to `start`, as raw RESP).
 */
export class FakeServer implements AsyncDisposable {
  readonly port: number;
  #listener: Deno.TcpListener;
  #accepting: Promise<void>;
  #conns = new Set<Deno.TcpConn>();
  #readers = new Set<Promise<void>>();
  #counter = new CommandCounter();
  #answered = 0;
  #auto = false;
  #changes = new Changes();
  #conn: Deno.TcpConn | undefined;
  #reply: ((args: string[]) => string) | undefined;

  private constructor(listener: Deno.TcpListener, reply?: (args: string[]) => string) {
    this.#listener = listener;
    this.#reply = reply;
    this.port = (listener.addr as Deno.NetAddr).port;
    this.#accepting = this.#accept();
  }

  /** Starts listening on a free port; `reply` makes the raw RESP reply of a command. */
  static start(reply?: (args: string[]) => string): FakeServer {
    return new FakeServer(Deno.listen({ hostname: "127.0.0.1", port: 0 }), reply);
  }

  /** The commands received so far (each as an array of its arguments, decoded as UTF-8). */
  get commands(): string[][] {
    return this.#counter.seen.map(parseCommand);
  }

  /** Resolves once `n` commands were received. */
  waitForCommands(n: number): Promise<void> {
    return this.#changes.until(() => this.#counter.count >= n);
  }

  /** From now on answers every command received (and those waiting). */
  async autoAnswer(): Promise<void> {
    this.#auto = true;
    await this.#flush();
  }

  async #flush(): Promise<void> {
    const conn = this.#conn;
    if (conn === undefined) return;
    const seen = this.#counter.seen;
    const parts: string[] = [];
    while (this.#answered < seen.length) {
      const args = parseCommand(seen[this.#answered++]);
      const last = args[args.length - 1];
      parts.push(
        this.#reply?.(args) ?? `$${new TextEncoder().encode(last).length}\r\n${last}\r\n`,
      );
    }
    if (parts.length !== 0) await writeAll(conn, new TextEncoder().encode(parts.join("")));
  }

  async #accept(): Promise<void> {
    for (;;) {
      let conn: Deno.TcpConn;
      try {
        conn = await this.#listener.accept();
      } catch {
        return;
      }
      this.#conn = conn;
      this.#conns.add(conn);
      const reader = (async () => {
        const buf = new Uint8Array(64 * 1024);
        try {
          for (;;) {
            const n = await conn.read(buf);
            if (n === null) break;
            this.#counter.feed(buf.slice(0, n));
            this.#changes.notify();
            if (this.#auto) await this.#flush();
          }
        } catch {
          // closed
        }
      })();
      this.#readers.add(reader);
    }
  }

  /** Closes the listener and every connection. */
  async close(): Promise<void> {
    this.#listener.close();
    for (const c of this.#conns) {
      try {
        c.close();
      } catch {
        // already closed
      }
    }
    await this.#accepting;
    await Promise.all([...this.#readers]);
  }

  /** Same as {@linkcode FakeServer.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

function parseCommand(raw: Uint8Array): string[] {
  const text = new TextDecoder().decode(raw);
  const lines = text.split("\r\n");
  const out: string[] = [];
  for (let i = 1; i < lines.length - 1; i += 2) out.push(lines[i + 1]);
  return out;
}

/** Waits until a client's watch channel of states shows `state`. */
export async function waitForState(
  client: {
    state: string;
    watchState(): { borrow(): string; changed(): Promise<void>; close(): void };
  },
  state: string,
): Promise<void> {
  const rx = client.watchState();
  try {
    while (rx.borrow() !== state) await rx.changed();
  } finally {
    rx.close();
  }
}

/** Lets pending I/O callbacks and timers of 0 ms run a few times (for "nothing happened" checks). */
export async function settle(turns = 10): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise((r) => setTimeout(r, 0));
}
