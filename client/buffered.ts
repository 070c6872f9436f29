/**
 * {@linkcode BufferedClient}: the seeds' connection manager. Many tasks share
 * one connection; each command goes to one manager task over an `mpsc`
 * channel together with a `oneshot` for its reply. The manager takes every
 * command already queued, encodes them into one buffer and writes once
 * (automatic pipelining); the connection's reader resolves the replies in
 * FIFO order.
 *
 * ```
 * caller -> mpsc.Sender<Request{args, oneshot.Sender}>   (capacity = backpressure)
 * manager: recv one, drain the rest -> encode into one buffer -> one write
 * reader:  decode replies -> settle the oldest written request's oneshot
 * ```
 *
 * @module
 */

import type { Frame } from "../resp/frame.ts";
import { mpsc, oneshot, type watch } from "../channels/mod.ts";
import { type Arg, type CommandOptions, Commands } from "./commands.ts";
import { Client, connectionOf } from "./client.ts";
import {
  arm,
  type Connection,
  type ConnectionState,
  Deadlines,
  Failure,
  type Reply,
  Request,
  unwrap,
} from "./connection.ts";
import { ConnectionError } from "./errors.ts";
import type { Address, ClientOptions, ResolvedOptions } from "./options.ts";

/** Options of a {@linkcode BufferedClient}. */
export interface BufferedOptions {
  /**
   * How many commands may wait in the manager's channel (default 32). When it
   * is full, callers wait: that is the backpressure.
   */
  capacity?: number;
  /**
   * How many commands may be written and not yet answered (default 1024).
   * When reached, the manager stops taking commands until replies arrive, so
   * a stalled server makes callers wait instead of growing memory.
   */
  maxInFlight?: number;
}

/**
 * Many callers, one connection, many commands in flight. Has every command
 * method of {@linkcode Client} (they are written once, in {@linkcode Commands}).
 *
 * Failure semantics:
 * - an error reply rejects only its own command (`ReplyError`);
 * - connection loss: commands already written reject with a
 *   `ConnectionError` (never resent: they may not be idempotent); commands
 *   not yet written wait for the reconnection, which retries with exponential
 *   backoff, jitter and a cap, for at most `reconnect.maxWait` ms;
 * - `signal` / `commandTimeout`: the command rejects at once with the abort
 *   reason (or a `TimeoutError`); if it was written, its late reply is read
 *   and discarded, so the connection stays in step; if not, it is never sent;
 * - `close()` lets the queued commands finish, then closes the connection
 *   (while connected; when the connection is down they reject at once).
 *
 * @example
 * ```ts ignore
 * import { BufferedClient, connect } from "./mod.ts";
 * const client = await connect("127.0.0.1:6379");
 * await using shared = BufferedClient.from(client, { capacity: 32 });
 * const [, b] = await Promise.all([shared.set("a", "1"), shared.get("b")]);
 * ```
 */
export class BufferedClient extends Commands implements AsyncDisposable {
  #client: Client;
  #conn: Connection;
  #tx: mpsc.Sender<Request>;
  #rx: mpsc.Receiver<Request>;
  #maxInFlight: number;
  #deadlines: Deadlines | undefined;
  #manager: Promise<void>;
  #closing = false;
  #failure: unknown = undefined;
  #closed: Promise<void> | undefined = undefined;

  /**
   * Puts a manager in front of `client`'s connection and takes ownership of
   * the client: closing the BufferedClient closes the client. The client
   * stays usable (its one-at-a-time commands share the connection).
   */
  static from(client: Client, options?: BufferedOptions): BufferedClient {
    return new BufferedClient(client, options);
  }

  /** Connects (like {@linkcode connect}) and returns a BufferedClient over the new connection. */
  static async connect(
    address: Address,
    options?: ClientOptions & BufferedOptions,
  ): Promise<BufferedClient> {
    checkOptions(options); // before connecting: a bad option must not leave a connection open
    return new BufferedClient(await Client.connect(address, options), options);
  }

  private constructor(client: Client, options: BufferedOptions = {}) {
    super();
    const { capacity, maxInFlight } = checkOptions(options);
    this.#client = client;
    this.#conn = connectionOf(client);
    [this.#tx, this.#rx] = mpsc.channel<Request>(capacity);
    this.#maxInFlight = maxInFlight;
    const ms = this.#conn.options.commandTimeout;
    this.#deadlines = ms > 0 ? new Deadlines(ms) : undefined;
    this.#manager = this.#run();
  }

  /** The connection's state: `connecting`, `ready`, `reconnecting` or `closed`. */
  get state(): ConnectionState {
    return this.#conn.state;
  }

  /** A `watch` receiver of the connection's state (close it when done). */
  watchState(): watch.Receiver<ConnectionState> {
    return this.#conn.watchState();
  }

  /** How many commands wait in the manager's channel right now (at most `capacity`). */
  get queued(): number {
    return this.#rx.length;
  }

  /** The client it owns. */
  get client(): Client {
    return this.#client;
  }

  /** The address and options it connects with. */
  protected connectionOptions(): ResolvedOptions {
    return this.#conn.options;
  }

  /**
   * Sends any command through the manager; see {@linkcode Commands.send}.
   * Waits while the manager's channel is full (backpressure).
   */
  send(args: readonly Arg[], options?: CommandOptions): Promise<Frame> {
    if (this.#closing) return Promise.reject(new ConnectionError("Connection is closed"));
    const signal = options?.signal;
    if (signal !== undefined && signal.aborted) return Promise.reject(signal.reason);
    const [tx, rx] = oneshot.channel<Reply>();
    const req = new Request(args, tx);
    if (options !== undefined || this.#deadlines !== undefined) arm(req, options, this.#deadlines);
    let queued: boolean;
    try {
      queued = this.#tx.trySend(req);
    } catch {
      return Promise.reject(this.#failure ?? new ConnectionError("Connection is closed"));
    }
    if (!queued) {
      // Full: wait for room. An abort meanwhile still rejects at once (the
      // manager skips the request when it gets to it).
      this.#tx.send(req).catch((e) => {
        req.settle(
          new Failure(this.#failure ?? new ConnectionError("Connection is closed", { cause: e })),
        );
      });
    }
    return rx.then(unwrap);
  }

  /** The manager task. */
  async #run(): Promise<void> {
    const rx = this.#rx;
    const conn = this.#conn;
    const limit = this.#maxInFlight;
    const batch: Request[] = [];
    try {
      for (;;) {
        if (conn.inFlight >= limit) await conn.waitForRoom(limit);
        let req = rx.tryRecv();
        if (req === undefined) {
          req = await rx.recv();
          if (req === undefined) return; // every sender released: closed and drained
        }
        batch.push(req);
        // Automatic pipelining: everything already queued goes in this write.
        const room = limit - conn.inFlight;
        while (batch.length < room && (req = rx.tryRecv()) !== undefined) batch.push(req);
        for (;;) {
          if (conn.state !== "ready") await conn.waitReady();
          if (await conn.write(batch) >= 0) break;
        }
        batch.length = 0;
      }
    } catch (e) {
      // The connection is closed for good: fail what we hold and what waits.
      this.#failure = e;
      const failure = new Failure(e);
      for (const r of batch) r.settle(failure);
      rx.close();
      let r: Request | undefined;
      while ((r = rx.tryRecv()) !== undefined) r.settle(failure);
    }
  }

  /**
   * Closes: new commands reject with a `ConnectionError`, commands already
   * queued (including callers waiting for room) are sent and answered, then
   * the client and its connection are closed. If the connection is down
   * (reconnecting) or goes down meanwhile, it is not re-established: every
   * command still queued or waiting for room rejects with a
   * `ConnectionError` at once. Idempotent.
   */
  close(): Promise<void> {
    this.#closed ??= (async () => {
      this.#closing = true;
      this.#conn.stopReconnecting();
      this.#tx.close();
      await this.#manager;
      await this.#client.close();
      this.#deadlines?.clear();
    })();
    return this.#closed;
  }

  /** Same as {@linkcode BufferedClient.close}, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/** The options with their defaults; throws a `RangeError` on a bad `maxInFlight`. */
function checkOptions(options: BufferedOptions = {}): Required<BufferedOptions> {
  const capacity = options.capacity ?? 32;
  const maxInFlight = options.maxInFlight ?? 1024;
  if (!Number.isInteger(maxInFlight) || maxInFlight < 1) {
    throw new RangeError(`maxInFlight must be a positive integer, got ${maxInFlight}`);
  }
  return { capacity, maxInFlight };
}

/**
 * Shorthand for {@linkcode BufferedClient.from}.
 *
 * @example
 * ```ts ignore
 * import { buffer, connect } from "./mod.ts";
 * await using shared = buffer(await connect("127.0.0.1:6379"));
 * ```
 */
export function buffer(client: Client, options?: BufferedOptions): BufferedClient {
  return BufferedClient.from(client, options);
}
