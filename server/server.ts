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
import {
  type ClientState,
  type Command,
  createClientState,
  GATE_PUBSUB,
  type ServerSettings,
  type ServerState,
  type ServerStats,
} from "./command.ts";
import { createCommandTable } from "./commands/mod.ts";
import { configParams } from "./commands/server.ts";
import { Config } from "./config.ts";
import { Connection, writeAll } from "./connection.ts";
import { Keyspace } from "./db/keyspace.ts";
import { Logger, type LogLevel, type LogSink } from "./log.ts";
import { PubSub } from "./pubsub.ts";
import { Blocking } from "./db/blocking.ts";
import { CommandStats } from "./stats.ts";
import { enableCluster } from "./cluster.ts";
import { setShutdownHandler } from "./commands/ops.ts";
import { setRequirePass } from "./auth.ts";

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
  /** Clock in Unix ms for expiry and the output buffer soft limit's seconds (default `Date.now`). */
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
  /**
   * The password clients must give with AUTH (or HELLO AUTH) before any
   * other command (Redis's `requirepass`; default none). CONFIG SET
   * requirepass changes it at run time.
   */
  requirepass?: string;
  /**
   * Messages the pub/sub hub's broadcast ring keeps for subscribers that
   * have not been scheduled yet (default 4096).
   */
  pubsubCapacity?: number;
  /**
   * Answer as a Redis Cluster of one node that owns all 16384 slots
   * (`cluster-enabled yes`): CLUSTER SLOTS/SHARDS/NODES/..., and
   * `CROSSSLOT` for requests whose keys hash to different slots, so that
   * cluster clients and apps written for a cluster work against it.
   */
  clusterEnabled?: boolean;
}

/**
 * Options of {@linkcode serve}: those of the server plus a stop signal.
 * When `requirepass` is not given, `serve` takes it from the environment
 * variable `MINI_REDIS_PASSWORD` if set (so it need not appear in `ps`).
 */
export interface ServeOptions extends ServerOptions {
  /** Stops the server like SIGINT/SIGTERM do. */
  signal?: AbortSignal;
}

/** The environment variable `serve` reads the password from when `requirepass` is not given. */
export const PASSWORD_ENV = "MINI_REDIS_PASSWORD";

/** What {@linkcode createServerState} needs besides defaults. */
export interface ServerStateInit {
  /** Settings to start from (the rest get defaults). */
  settings?: Partial<ServerSettings> & { host?: string };
  /** The logger (default silent). */
  log?: Logger;
  /** The keyspace (default a new one without sweeper timer). */
  db?: Keyspace;
  /** Extra commands for the table. */
  commands?: Iterable<Command>;
  /** The clients map the state exposes (default a new one). */
  clients?: Map<number, ClientState>;
  /** Pub/sub ring capacity. */
  pubsubCapacity?: number;
}

/**
 * Builds the state shared by a server's connections and commands:
 * settings with Redis's defaults, keyspace, command table, configuration
 * table, pub/sub hub and counters. The server uses it; tests may drive a
 * {@linkcode Connection} with it directly.
 *
 * @example
 * ```ts
 * import { createServerState } from "./server.ts";
 * const state = createServerState();
 * console.log(state.config.get("maxclients")?.get()); // "10000"
 * state.db.close();
 * ```
 */
export function createServerState(init: ServerStateInit = {}): ServerState {
  const given = init.settings ?? {};
  const settings: ServerSettings = {
    host: given.host ?? "127.0.0.1",
    port: given.port ?? 0,
    maxClients: given.maxClients ?? 10_000,
    queryBufferLimit: given.queryBufferLimit ?? 1024 ** 3,
    protoMaxBulkLen: given.protoMaxBulkLen ?? 512 * 1024 * 1024,
    requirePass: "",
    requirePassDigest: undefined,
    timeout: given.timeout ?? 0,
    notifyFlags: 0,
    clusterEnabled: given.clusterEnabled ?? false,
    outputLimits: given.outputLimits ?? {
      normal: { hard: 0, soft: 0, softSeconds: 0 },
      replica: { hard: 256 * 1024 * 1024, soft: 64 * 1024 * 1024, softSeconds: 60 },
      pubsub: { hard: 32 * 1024 * 1024, soft: 8 * 1024 * 1024, softSeconds: 60 },
    },
  };
  setRequirePass(settings, given.requirePass ?? "");
  const db = init.db ?? new Keyspace({ sweepIntervalMs: 0 });
  const pubsub = new PubSub({ capacity: init.pubsubCapacity });
  const stats: ServerStats = {
    connectionsReceived: 0,
    rejectedConnections: 0,
    commandsProcessed: 0,
    netInputBytes: 0,
    netOutputBytes: 0,
    opsPerSec: 0,
    outputLimitDisconnections: 0,
  };
  const runId = Array.from(crypto.getRandomValues(new Uint8Array(20)))
    .map((b) => b.toString(16).padStart(2, "0")).join("");
  const state: ServerState = {
    settings,
    startedAt: Date.now(),
    config: new Config(),
    clients: init.clients ?? new Map(),
    log: init.log ?? new Logger("silent"),
    commands: createCommandTable(init.commands),
    db,
    pubsub,
    blocking: new Blocking(db),
    commandStats: new CommandStats(),
    stats,
    runId,
  };
  for (const p of configParams(state)) state.config.define(p);
  if (settings.clusterEnabled) enableCluster(state);
  return state;
}

/** Descriptors Redis keeps for itself beyond its clients (`CONFIG_MIN_RESERVED_FDS`). */
const RESERVED_FDS = 32;

/**
 * The process's soft limit of open files (Linux `/proc/self/limits`), or
 * undefined when it cannot be read (no `--allow-read`, another OS).
 */
function openFileLimit(): number | undefined {
  try {
    const text = Deno.readTextFileSync("/proc/self/limits");
    const m = /^Max open files\s+(\d+|unlimited)/m.exec(text);
    if (m === null || m[1] === "unlimited") return undefined;
    return Number(m[1]);
  } catch {
    return undefined;
  }
}

/**
 * Redis's `adjustOpenFilesLimit`: when `maxclients` plus the reserved
 * descriptors exceed the open-file limit (which this process cannot
 * raise), `maxclients` is lowered to fit, with Redis's warning, so that
 * the server refuses clients politely instead of failing to accept them.
 */
function adjustMaxClients(settings: ServerSettings, log: Logger): void {
  const limit = openFileLimit();
  if (limit === undefined || settings.maxClients + RESERVED_FDS <= limit) return;
  const reduced = limit - RESERVED_FDS;
  if (reduced < 1) return;
  log.warn(
    `Current maximum open files is ${limit}. maxclients has been reduced to ${reduced} to compensate for low ulimit. If you need higher maxclients increase 'ulimit -n'.`,
  );
  settings.maxClients = reduced;
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
/** Period of the server's cron (Redis's hz 10). */
const CRON_INTERVAL_MS = 100;
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
  readonly #cron: ReturnType<typeof setInterval>;
  readonly #opsSamples = new Array<number>(16).fill(0);
  #sampleIndex = 0;
  #lastSampleAt = performance.now();
  #lastSampleOps = 0;
  #nextId = 1;
  #closing: Promise<void> | undefined;

  constructor(listener: Deno.TcpListener, options: ServerOptions, log: Logger) {
    this.#listener = listener;
    this.addr = listener.addr as Deno.NetAddr;
    this.#shutdownTimeoutMs = options.shutdownTimeoutMs ?? 10_000;
    this.db = new Keyspace({ clock: options.clock, sweepIntervalMs: options.sweepIntervalMs });
    this.state = createServerState({
      settings: {
        host: this.addr.hostname,
        port: this.addr.port,
        maxClients: options.maxClients,
        queryBufferLimit: options.queryBufferLimit,
        requirePass: options.requirepass,
        clusterEnabled: options.clusterEnabled,
      },
      log,
      db: this.db,
      commands: options.commands,
      clients: this.#clients,
      pubsubCapacity: options.pubsubCapacity,
    });
    adjustMaxClients(this.state.settings, log);
    const [tx, rx] = watch.channel(false);
    this.#shutdownTx = tx;
    this.#cron = setInterval(() => this.#tick(), CRON_INTERVAL_MS);
    Deno.unrefTimer(this.#cron);
    this.finished = this.#acceptLoop(rx);
    setShutdownHandler(this.state, () => this.close());
  }

  /**
   * The server's periodic work (Redis's serverCron, 10 times a second):
   * samples the ops/s metric and, once a second, closes clients idle for
   * longer than `timeout` (never subscribers, as in Redis).
   */
  #tick(): void {
    this.state.db.updateClock();
    const stats = this.state.stats;
    const now = performance.now();
    const elapsed = now - this.#lastSampleAt;
    if (elapsed > 0) {
      const ops = ((stats.commandsProcessed - this.#lastSampleOps) * 1000) / elapsed;
      this.#opsSamples[this.#sampleIndex++ % this.#opsSamples.length] = ops;
      let sum = 0;
      for (const v of this.#opsSamples) sum += v;
      stats.opsPerSec = Math.round(sum / this.#opsSamples.length);
    }
    this.#lastSampleAt = now;
    this.#lastSampleOps = stats.commandsProcessed;
    const timeout = this.state.settings.timeout;
    if (timeout > 0 && this.#sampleIndex % 10 === 0) {
      const deadline = Date.now() - timeout * 1000;
      for (const c of this.#connections.values()) {
        const client = c.client;
        if ((client.gate & GATE_PUBSUB) === 0 && client.lastInteraction < deadline) {
          this.state.log.debug(`closing idle client ${client.addr} (timeout ${timeout} s)`);
          c.kill();
        }
      }
    }
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
    clearInterval(this.#cron);
    this.state.pubsub.close();
    this.state.blocking.close();
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
    this.state.stats.connectionsReceived++;
    if (this.#connections.size >= this.state.settings.maxClients) {
      this.state.stats.rejectedConnections++;
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
    const local = conn.localAddr as Deno.NetAddr;
    const client = createClientState({
      id,
      addr,
      laddr: `${local.hostname}:${local.port}`,
      // as Redis: a client is authenticated from the start when no password is set
      authenticated: this.state.settings.requirePass === "",
    });
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
  if (!isLoopback((listener.addr as Deno.NetAddr).hostname) && !options.requirepass) {
    log.warn(
      `listening on ${host}, which is not a loopback address, without a password: anyone who can reach it can use this server (set requirepass)`,
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
  let requirepass = options.requirepass;
  if (requirepass === undefined) {
    try {
      requirepass = Deno.env.get(PASSWORD_ENV);
    } catch {
      // no --allow-env: no password from the environment
    }
  }
  let server: Server;
  try {
    server = await startServer({ ...options, requirepass, logger: log });
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
    // SHUTDOWN from a client closes the server: then there is nothing to wait for
    server.finished.then(() => done("SHUTDOWN"), () => done("SHUTDOWN"));
  });
  if (stop !== "SHUTDOWN") log.info(`received ${stop}, shutting down`);
  await server.close();
  log.info("bye");
  return 0;
}
