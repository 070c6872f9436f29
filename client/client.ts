/**
 * {@linkcode Client}: one connection, one request in flight at a time (the
 * seeds' plain client). Concurrent callers take turns in arrival order, which
 * is the "mutex" approach the seeds compare the manager task against; share
 * a connection between many tasks with {@linkcode BufferedClient} instead.
 *
 * @module
 */

import type { Frame } from "../resp/frame.ts";
import { oneshot, type watch } from "../channels/mod.ts";
import { type Arg, type CommandOptions, Commands } from "./commands.ts";
import {
  arm,
  Connection,
  type ConnectionState,
  Deadlines,
  Failure,
  type Reply,
  Request,
  unwrap,
} from "./connection.ts";
import { ConnectionError } from "./errors.ts";
import {
  type Address,
  type ClientOptions,
  type ResolvedOptions,
  resolveOptions,
} from "./options.ts";

/** The connection each client owns (internal: `BufferedClient` and `ClusterClient` share it). */
const connections = new WeakMap<Client, Connection>();

/**
 * The connection a client owns, for the modules of `client/` that build on
 * it (not exported from `mod.ts`).
 */
export function connectionOf(client: Client): Connection {
  return connections.get(client)!;
}

/**
 * A client on one connection that sends one command at a time and waits for
 * its reply before sending the next. Commands called concurrently queue up
 * and run in call order.
 *
 * - An error reply rejects that command with a `ReplyError`; the connection stays usable.
 * - Connection loss: the command in flight rejects with a `ConnectionError`;
 *   queued commands wait for the reconnection (backoff with jitter, capped,
 *   at most `reconnect.maxWait` ms, after which they reject too).
 * - `signal` / `commandTimeout`: the command rejects at once; its late reply
 *   is read and discarded.
 * - `close()` lets queued commands finish first (while connected; when the
 *   connection is down they reject at once); `await using` calls it.
 *
 * Create one with {@linkcode connect} (or `Client.connect`).
 *
 * @example
 * ```ts ignore
 * import { connect } from "./mod.ts";
 * await using client = await connect("127.0.0.1:6379");
 * await client.set("hello", "world");
 * console.log(await client.get("hello")); // "world"
 * ```
 */
export class Client extends Commands implements AsyncDisposable {
  #conn: Connection;
  #queue: Request[] = [];
  #head = 0;
  #running: Promise<void> = Promise.resolve();
  #pumping = false;
  #deadlines: Deadlines | undefined;
  #closing = false;
  #closed: Promise<void> | undefined = undefined;

  /**
   * Connects to `address` and runs the handshake (`HELLO 3`, `AUTH`,
   * `SELECT` as the options ask). Rejects with a `ConnectionError` when the
   * server cannot be reached, or with the handshake's `ReplyError`.
   */
  static async connect(address: Address, options?: ClientOptions): Promise<Client> {
    return new Client(await Connection.open(resolveOptions(address, options)));
  }

  /** Use {@linkcode connect}; this wraps an open connection. @internal */
  constructor(connection: Connection) {
    super();
    this.#conn = connection;
    connections.set(this, this.#conn);
    const ms = connection.options.commandTimeout;
    this.#deadlines = ms > 0 ? new Deadlines(ms) : undefined;
  }

  /** The connection's state: `connecting`, `ready`, `reconnecting` or `closed`. */
  get state(): ConnectionState {
    return this.#conn.state;
  }

  /**
   * A `watch` receiver of the connection's state (close it when done).
   *
   * @example
   * ```ts ignore
   * const states = client.watchState();
   * while (states.borrow() !== "reconnecting") await states.changed();
   * states.close();
   * ```
   */
  watchState(): watch.Receiver<ConnectionState> {
    return this.#conn.watchState();
  }

  /** The address and options it connects with. */
  protected connectionOptions(): ResolvedOptions {
    return this.#conn.options;
  }

  /** Sends any command; see {@linkcode Commands.send}. */
  send(args: readonly Arg[], options?: CommandOptions): Promise<Frame> {
    if (this.#closing) return Promise.reject(new ConnectionError("Connection is closed"));
    const signal = options?.signal;
    if (signal !== undefined && signal.aborted) return Promise.reject(signal.reason);
    const [tx, rx] = oneshot.channel<Reply>();
    const req = new Request(args, tx);
    arm(req, options, this.#deadlines);
    this.#queue.push(req);
    if (!this.#pumping) this.#running = this.#run();
    return rx.then(unwrap);
  }

  /** Takes queued requests one at a time: write, wait for the reply, next. */
  async #run(): Promise<void> {
    const conn = this.#conn;
    this.#pumping = true;
    try {
      while (this.#head < this.#queue.length) {
        const req = this.#queue[this.#head];
        this.#queue[this.#head++] = undefined as unknown as Request;
        for (;;) {
          if (req.done) break;
          if (conn.state !== "ready") {
            try {
              await conn.waitReady();
            } catch (e) {
              this.#failQueued(req, e);
              return;
            }
            continue;
          }
          const replied = new Promise<void>((resolve) => req.onReply = resolve);
          const written = await conn.write([req]);
          if (written > 0) await replied;
          if (written >= 0) break;
        }
      }
    } finally {
      this.#queue = [];
      this.#head = 0;
      this.#pumping = false;
    }
  }

  #failQueued(first: Request, error: unknown): void {
    const failure = new Failure(error);
    first.settle(failure);
    for (let i = this.#head; i < this.#queue.length; i++) this.#queue[i].settle(failure);
  }

  /**
   * Closes the client: new commands reject with a `ConnectionError`, queued
   * ones are sent and answered first, then the connection is closed. If the
   * connection is down (reconnecting) or goes down meanwhile, it is not
   * re-established: the commands still queued reject with a
   * `ConnectionError` at once. Idempotent.
   */
  close(): Promise<void> {
    this.#closed ??= (async () => {
      this.#closing = true;
      this.#conn.stopReconnecting();
      while (this.#pumping) await this.#running;
      await this.#conn.close();
      this.#deadlines?.clear();
    })();
    return this.#closed;
  }

  /**
   * Closes at once: everything queued or in flight rejects with a
   * `ConnectionError`.
   */
  async destroy(reason?: unknown): Promise<void> {
    this.#closing = true;
    const error = new ConnectionError("Connection is closed", { cause: reason });
    const queue = this.#queue;
    for (let i = this.#head; i < queue.length; i++) queue[i].settle(new Failure(error));
    await this.#conn.destroy(reason);
    await this.close();
  }

  /** Same as {@linkcode Client.close}, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
