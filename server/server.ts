/**
 * The listener and its lifecycle: {@linkcode startServer} (embedding, tests)
 * and {@linkcode serve} (the `serve` subcommand: runs until SIGINT/SIGTERM).
 *
 * Shutdown travels over a watch channel (`channels/`): `close()` (or a
 * signal) sends `true`; the accept loop, which holds the receiver, stops
 * accepting and asks every connection to drain: it finishes the commands it
 * has already read, writes their replies and closes.
 *
 * @module
 */

import { watch } from "../channels/mod.ts";
import { utf8 } from "../resp/bytes.ts";
import type { ClientState, Command, ServerSettings, ServerState } from "./command.ts";
import { createCommandTable } from "./commands/mod.ts";
import { configParams } from "./commands/server.ts";
import { Config } from "./config.ts";
import { Connection, writeAll } from "./connection.ts";
import { Keyspace } from "./keyspace.ts";
import { Logger, type LogLevel, type LogSink } from "./log.ts";

/** Options of {@linkcode startServer} and {@linkcode serve}. */
export interface ServerOptions {
  /** Address to bind (default `127.0.0.1`; binding elsewhere is an explicit choice). */
  host?: string;
  /** Port (default 6379; 0 picks a free port). */
  port?: number;
  /** Most simultaneous clients (default 10000). */
  maxClients?: number;
  /** Log level (default `info`); `silent` logs nothing. */
  logLevel?: LogLevel;
  /** Where log lines go (default stderr). */
  logSink?: LogSink;
  /** A ready logger (overrides `logLevel` and `logSink`). */
  logger?: Logger;
  /** Most unparsed bytes buffered per client (default 1 GiB, Redis's `client-query-buffer-limit`). */
  queryBufferLimit?: number;
  /** Extra commands (e.g. for tests); one with a built-in's name replaces it. */
  commands?: Iterable<Command>;
  /** Clock in Unix ms for expiry (default `Date.now`). */
  clock?: () => number;
  /** Active expiry period in ms (default 100; 0 disables the sweeper timer). */
  sweepIntervalMs?: number;
  /** How long `close()` waits for connections to drain before cutting them (default 10000 ms). */
  shutdownTimeoutMs?: number;
  /**
   * An already-bound listener to serve (e.g. inherited by socket
   * activation, or wrapped by tests); `host` and `port` are then ignored.
   * The server owns and closes it.
   */
  listener?: Deno.TcpListener;
}

/** Options of {@linkcode serve}: those of the server plus a stop signal. */
export interface ServeOptions extends ServerOptions {
  /** Stops the server like SIGINT/SIGTERM do. */
  signal?: AbortSignal;
}

/** A running server. */
export interface Server extends AsyncDisposable {
  /** The bound address (`addr.port` is the real port when 0 was asked). */
  readonly addr: Deno.NetAddr;
  /** The keyspace (tests observe expiry through it). */
  readonly db: Keyspace;
  /** Server state shared with commands (settings, clients, config, log). */
  readonly state: ServerState;
  /** Number of connected clients. */
  readonly connections: number;
  /**
   * Graceful shutdown: stops accepting, lets every connection finish the
   * commands it has read and flush their replies, then closes. Idempotent.
   */
  close(): Promise<void>;
  /** Resolves once the server has shut down (after `close()`). */
  readonly finished: Promise<void>;
}

const MAX_CLIENTS_REPLY = utf8("-ERR max number of clients reached\r\n");
const ACCEPT_BACKOFF_MIN_MS = 5;
const ACCEPT_BACKOFF_MAX_MS = 1000;

function isLoopback(hostname: string): boolean {
  return hostname === "localhost" || hostname === "::1" || hostname.startsWith("127.");
}

function isClosedListenerError(e: unknown): boolean {
  return e instanceof Deno.errors.BadResource || e instanceof Deno.errors.Interrupted;
}

class ServerImpl implements Server {
  readonly addr: Deno.NetAddr;
  readonly db: Keyspace;
  readonly state: ServerState;
  readonly finished: Promise<void>;
  readonly #listener: Deno.TcpListener;
  readonly #clients = new Map<number, ClientState>();
  readonly #connections = new Map<number, Connection>();
  readonly #tasks = new Set<Promise<unknown>>();
  readonly #shutdownTx: watch.Sender<boolean>;
  readonly #shutdownTimeoutMs: number;
  #nextId = 1;
  #closing: Promise<void> | undefined;

  constructor(listener: Deno.TcpListener, options: ServerOptions, log: Logger) {
    this.#listener = listener;
    this.addr = listener.addr as Deno.NetAddr;
    this.#shutdownTimeoutMs = options.shutdownTimeoutMs ?? 10_000;
    const settings: ServerSettings = {
      host: this.addr.hostname,
      port: this.addr.port,
      maxClients: options.maxClients ?? 10_000,
      queryBufferLimit: options.queryBufferLimit ?? 1024 ** 3,
    };
    this.db = new Keyspace({ clock: options.clock, sweepIntervalMs: options.sweepIntervalMs });
    const commands = createCommandTable(options.commands);
    this.state = {
      settings,
      startedAt: Date.now(),
      config: new Config(configParams(settings)),
      clients: this.#clients,
      log,
      commands,
      db: this.db,
    };
    const [tx, rx] = watch.channel(false);
    this.#shutdownTx = tx;
    this.finished = this.#acceptLoop(rx);
  }

  get connections(): number {
    return this.#connections.size;
  }

  async #acceptLoop(rx: watch.Receiver<boolean>): Promise<void> {
    const log = this.state.log;
    // The accept loop's shutdown listener: on `true`, stop accepting. (Each
    // connection holds its own receiver and drains itself.)
    const stopped = (async () => {
      while (!rx.borrow()) {
        try {
          await rx.changed();
        } catch {
          break; // sender gone: treat as shutdown
        }
      }
      try {
        this.#listener.close();
      } catch {
        // already closed
      }
    })();
    let backoff = 0;
    for (;;) {
      let conn: Deno.TcpConn;
      try {
        conn = await this.#listener.accept();
        backoff = 0;
      } catch (e) {
        if (rx.borrow() || isClosedListenerError(e)) break;
        backoff = Math.min(ACCEPT_BACKOFF_MAX_MS, Math.max(ACCEPT_BACKOFF_MIN_MS, backoff * 2));
        log.error(
          `accept failed: ${e instanceof Error ? e.message : e}; retrying in ${backoff} ms`,
        );
        await this.#sleepUnlessShutdown(rx, backoff);
        if (rx.borrow()) break;
        continue;
      }
      if (rx.borrow()) {
        conn.close();
        break;
      }
      this.#accept(conn);
    }
    await stopped;
    // wait for every connection to drain, with a bound
    const all = Promise.allSettled([...this.#tasks]);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timedOut = await Promise.race([
      all.then(() => false),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(true), this.#shutdownTimeoutMs);
      }),
    ]);
    clearTimeout(timer);
    if (timedOut) {
      log.warn(`${this.#connections.size} connection(s) did not drain in time; closing them`);
      for (const c of this.#connections.values()) c.abort();
      await Promise.allSettled([...this.#tasks]);
    }
    this.db.close();
    rx.close();
  }

  async #sleepUnlessShutdown(rx: watch.Receiver<boolean>, ms: number): Promise<void> {
    const own = rx.clone();
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, ms);
      }),
      own.changed().catch(() => {}),
    ]);
    clearTimeout(timer);
    own.close();
  }

  #accept(conn: Deno.TcpConn): void {
    const log = this.state.log;
    const remote = conn.remoteAddr as Deno.NetAddr;
    const addr = `${remote.hostname}:${remote.port}`;
    if (this.#connections.size >= this.state.settings.maxClients) {
      log.warn(`max number of clients reached; rejecting ${addr}`);
      this.#track(
        writeAll(conn, MAX_CLIENTS_REPLY).catch(() => {}).finally(() => {
          try {
            conn.close();
          } catch {
            // already closed
          }
        }),
      );
      return;
    }
    try {
      conn.setNoDelay(true);
      conn.setKeepAlive(true);
    } catch {
      // not fatal
    }
    const id = this.#nextId++;
    const client: ClientState = {
      id,
      addr,
      name: "",
      protocol: 2,
      db: 0,
      closeAfterReply: false,
      connectedAt: Date.now(),
    };
    const connection = new Connection(
      conn,
      client,
      this.db,
      this.state,
      this.#shutdownTx.subscribe(),
    );
    this.#clients.set(id, client);
    this.#connections.set(id, connection);
    log.debug(`accepted client ${id} from ${addr}`);
    this.#track(
      connection.run().then(
        (reason) => log.debug(`client ${id} (${addr}) closed: ${reason}`),
        (e) => log.error(`client ${id} (${addr}) failed: ${e instanceof Error ? e.stack : e}`),
      ).finally(() => {
        this.#clients.delete(id);
        this.#connections.delete(id);
      }),
    );
  }

  #track(p: Promise<unknown>): void {
    this.#tasks.add(p);
    p.finally(() => this.#tasks.delete(p));
  }

  close(): Promise<void> {
    if (this.#closing === undefined) {
      this.#shutdownTx.send(true);
      this.#closing = this.finished.finally(() => this.#shutdownTx.close());
    }
    return this.#closing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/**
 * Starts a server in-process and returns once it is listening.
 *
 * @example
 * ```ts
 * import { startServer } from "./server.ts";
 * await using server = await startServer({ port: 0, logLevel: "silent" });
 * console.log(server.addr.port > 0); // true
 * ```
 *
 * @throws {Deno.errors.AddrInUse} and other listen errors
 */
// deno-lint-ignore require-await
export async function startServer(options: ServerOptions = {}): Promise<Server> {
  const log = options.logger ?? new Logger(options.logLevel ?? "info", options.logSink);
  const host = options.host ?? "127.0.0.1";
  const listener = options.listener ?? Deno.listen({
    hostname: host,
    port: options.port ?? 6379,
    transport: "tcp",
  });
  if (!isLoopback((listener.addr as Deno.NetAddr).hostname)) {
    log.warn(
      `listening on ${host}, which is not a loopback address: anyone who can reach it can use this server (there is no authentication)`,
    );
  }
  return new ServerImpl(listener, options, log);
}

/**
 * Runs a server until SIGINT or SIGTERM (or `options.signal`), then shuts it
 * down gracefully. Logs one line with the address at start-up. Returns the
 * process exit code: 0 after a clean shutdown, 1 when the server could not
 * listen.
 *
 * @example
 * ```ts
 * import { serve } from "./server.ts";
 * const ac = new AbortController();
 * const done = serve({ port: 0, logLevel: "silent", signal: ac.signal });
 * ac.abort();
 * console.log(await done); // 0
 * ```
 */
export async function serve(options: ServeOptions = {}): Promise<number> {
  const log = options.logger ?? new Logger(options.logLevel ?? "info", options.logSink);
  const host = options.host ?? "127.0.0.1";
  let server: Server;
  try {
    server = await startServer({ ...options, logger: log });
  } catch (e) {
    log.error(
      `Could not listen on ${host}:${options.port ?? 6379}: ${e instanceof Error ? e.message : e}`,
    );
    return 1;
  }
  log.info(
    `mini-redis ready to accept connections on ${server.addr.hostname}:${server.addr.port} (pid ${Deno.pid})`,
  );
  const stop = await new Promise<string>((resolve) => {
    const handlers: [Deno.Signal, () => void][] = [];
    const done = (why: string) => {
      for (const [sig, h] of handlers) Deno.removeSignalListener(sig, h);
      options.signal?.removeEventListener("abort", onAbort);
      resolve(why);
    };
    const onAbort = () => done("abort signal");
    for (const sig of ["SIGINT", "SIGTERM"] as const) {
      const h = () => done(sig);
      try {
        Deno.addSignalListener(sig, h);
        handlers.push([sig, h]);
      } catch {
        // signal not supported on this platform
      }
    }
    if (options.signal?.aborted) done("abort signal");
    else options.signal?.addEventListener("abort", onAbort);
  });
  log.info(`received ${stop}, shutting down`);
  await server.close();
  log.info("bye");
  return 0;
}
