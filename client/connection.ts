/**
 * The connection core shared by {@linkcode Client}, {@linkcode BufferedClient}
 * and {@linkcode Subscriber}: one TCP socket, the RESP {@linkcode Decoder} and
 * {@linkcode Encoder}, the FIFO of requests written and not yet answered, the
 * handshake (`HELLO 3`, `AUTH`, `SELECT`), and reconnection with exponential
 * backoff and jitter. Its state is published on a `watch` channel.
 *
 * Internal: users go through the clients.
 *
 * @module
 */

import { Decoder, Encoder } from "../resp/mod.ts";
import { Attribute, type Frame, Push, ReplyError } from "../resp/frame.ts";
import { oneshot, watch } from "../channels/mod.ts";
import { ConnectionError } from "./errors.ts";
import type { ResolvedOptions } from "./options.ts";
import type { Arg } from "./commands.ts";

/** The state of a client's connection, published on its `watch` channel. */
export type ConnectionState = "connecting" | "ready" | "reconnecting" | "closed";

/** A failed command, delivered through its reply oneshot: `reason` is what it rejects with. */
export class Failure {
  /** @param reason the rejection reason (a `ConnectionError`, an abort reason, ...) */
  constructor(readonly reason: unknown) {}
}

/** What a request's oneshot carries: the reply frame, or a {@linkcode Failure}. */
export type Reply = Frame | Failure;

/**
 * One command on its way: its arguments and the oneshot sender of its reply.
 * `done` is set once the caller has been answered (reply, failure, abort or
 * timeout); a done request is never written, and its late reply is discarded.
 */
export class Request {
  /** The caller has been answered. */
  done = false;
  /** Absolute deadline (ms, `performance.now()` clock) of the default timeout, or 0. */
  deadline = 0;
  /** Called when the connection has the reply (or lost it), even if `done`: the plain client's turn-taking. */
  onReply: (() => void) | undefined = undefined;
  #signal: AbortSignal | undefined = undefined;
  #onAbort: (() => void) | undefined = undefined;
  #timer: ReturnType<typeof setTimeout> | undefined = undefined;

  /**
   * @param args the command and its arguments
   * @param reply where the reply goes
   */
  constructor(readonly args: readonly Arg[], readonly reply: oneshot.Sender<Reply>) {}

  /** Answers the caller once; later calls do nothing. */
  settle(value: Reply): void {
    if (this.done) return;
    this.done = true;
    if (this.#onAbort !== undefined) this.#signal!.removeEventListener("abort", this.#onAbort);
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.reply.send(value);
  }

  /** Rejects the request with `signal.reason` as soon as `signal` aborts. */
  watchSignal(signal: AbortSignal): void {
    this.#signal = signal;
    this.#onAbort = () => this.settle(new Failure(signal.reason));
    signal.addEventListener("abort", this.#onAbort, { once: true });
  }

  /** Rejects the request with a `TimeoutError` after `ms` (a timer of its own). */
  startTimer(ms: number): void {
    this.#timer = setTimeout(() => this.settle(new Failure(timeoutError(ms))), ms);
  }
}

/** The `DOMException` named `TimeoutError` a timed-out command rejects with. */
export function timeoutError(ms: number): DOMException {
  return new DOMException(`Command timed out after ${ms} ms`, "TimeoutError");
}

/**
 * The default `commandTimeout` of a client, with one timer for all requests:
 * requests get their deadlines in order, so the queue is sorted and only its
 * head needs a timer.
 */
export class Deadlines {
  #queue: Request[] = [];
  #head = 0;
  #timer: ReturnType<typeof setTimeout> | undefined = undefined;
  #ms: number;

  /** @param ms the timeout of every request pushed */
  constructor(ms: number) {
    this.#ms = ms;
  }

  /** Starts the timeout of `req`. */
  push(req: Request): void {
    req.deadline = performance.now() + this.#ms;
    this.#queue.push(req);
    if (this.#timer === undefined) this.#arm(this.#ms);
  }

  #arm(delay: number): void {
    this.#timer = setTimeout(() => this.#expire(), Math.max(0, Math.ceil(delay)));
  }

  #expire(): void {
    this.#timer = undefined;
    const q = this.#queue;
    const now = performance.now();
    let h = this.#head;
    while (h < q.length) {
      const req = q[h];
      if (!req.done) {
        if (req.deadline > now) break;
        req.settle(new Failure(timeoutError(this.#ms)));
      }
      h++;
    }
    if (h === q.length) {
      q.length = 0;
      this.#head = 0;
    } else {
      if (h > 1024 && h * 2 > q.length) {
        this.#queue = q.slice(h);
        h = 0;
      }
      this.#head = h;
      this.#arm(this.#queue[h].deadline - now);
    }
  }

  /** Stops the timer (the requests are answered some other way). */
  clear(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#queue = [];
    this.#head = 0;
  }
}

/** Hooks of a connection's owner (the subscriber uses them). */
export interface ConnectionHooks {
  /** Sees every frame first; returns `true` when it consumed it (pub/sub messages). */
  onFrame?(frame: Frame): boolean;
  /** Runs on every new socket after the handshake, before the state becomes `ready`. */
  afterConnect?(conn: Connection): Promise<void>;
  /** Called when the connection is closed for good, with the error if it failed. */
  onClosed?(error: ConnectionError | undefined): void;
}

interface Waiter {
  resolve(): void;
  reject(reason: unknown): void;
}

const READ_SIZE = 64 * 1024;
const RESOLVED: Promise<void> = Promise.resolve();

/**
 * Writes all of `bytes` to `conn`: a socket write may take only part of
 * them, so it loops until everything is written. Throws what a write throws.
 *
 * @example
 * ```ts
 * import { writeAll } from "./connection.ts";
 * const chunks: number[] = [];
 * const oneByteAtATime = { write: (p: Uint8Array) => Promise.resolve(chunks.push(p[0]) && 1) };
 * await writeAll(oneByteAtATime, new Uint8Array([1, 2, 3]));
 * console.log(chunks); // [1, 2, 3]
 * ```
 */
export async function writeAll(
  conn: { write(p: Uint8Array): Promise<number> },
  bytes: Uint8Array,
): Promise<void> {
  let n = await conn.write(bytes);
  while (n < bytes.length) n += await conn.write(bytes.subarray(n));
}

/** Describes a socket error in one line (`Connection refused`, ...). */
export function describeError(e: unknown): string {
  if (e instanceof Deno.errors.ConnectionRefused) return "Connection refused";
  if (e instanceof Deno.errors.ConnectionReset) return "Connection reset by peer";
  if (e instanceof Error) return e.message.replace(/ \(os error \d+\)$/, "");
  return String(e);
}

/**
 * One logical connection that survives reconnections. Requests are written
 * with {@linkcode Connection.write} (one buffer, one write per call) and their
 * replies resolve them in FIFO order.
 */
export class Connection {
  /** The options it connects with. */
  readonly options: ResolvedOptions;
  #hooks: ConnectionHooks;
  #sock: Deno.TcpConn | null = null;
  #decoder = new Decoder();
  #encoder = new Encoder();
  #pending: Request[] = [];
  #head = 0;
  #state: ConnectionState = "connecting";
  #stateTx: watch.Sender<ConnectionState>;
  #readyWaiters: Waiter[] = [];
  #drainWaiters: (() => void)[] = [];
  #roomWaiters: { limit: number; resolve: () => void }[] = [];
  #writing: Promise<void> | undefined = undefined;
  #readers = new Set<Promise<void>>();
  #reconnecting: Promise<void> | undefined = undefined;
  #sleep: { timer: ReturnType<typeof setTimeout>; resolve: () => void } | undefined = undefined;
  #closing = false;
  #closeError: ConnectionError | undefined = undefined;
  #closed: Promise<void> | undefined = undefined;
  #paused = false;
  #wakeReader: (() => void) | undefined = undefined;
  #connecting: AbortController | undefined = undefined;
  #draining = false;

  /**
   * Opens a connection and runs its handshake. Rejects with a
   * {@linkcode ConnectionError} when the server cannot be reached, or with
   * the `ReplyError` of a failed handshake command (e.g. `WRONGPASS ...`).
   */
  static async open(options: ResolvedOptions, hooks: ConnectionHooks = {}): Promise<Connection> {
    const conn = new Connection(options, hooks);
    try {
      await conn.#establish();
    } catch (e) {
      await conn.#shutdown(e instanceof ConnectionError ? e : undefined);
      throw e;
    }
    conn.#setState("ready");
    return conn;
  }

  private constructor(options: ResolvedOptions, hooks: ConnectionHooks) {
    this.options = options;
    this.#hooks = hooks;
    const [tx, rx] = watch.channel<ConnectionState>("connecting");
    rx.close();
    this.#stateTx = tx;
  }

  /** The current state. */
  get state(): ConnectionState {
    return this.#state;
  }

  /** A new receiver of the state's `watch` channel (close it when done). */
  watchState(): watch.Receiver<ConnectionState> {
    return this.#stateTx.subscribe();
  }

  /** Requests written and not yet answered. */
  get inFlight(): number {
    return this.#pending.length - this.#head;
  }

  /** Resolves when the connection is `ready`; rejects with a `ConnectionError` once it is closed. */
  waitReady(): Promise<void> {
    if (this.#state === "ready" && !this.#closing) return RESOLVED;
    if (this.#closeError !== undefined || this.#closing) return Promise.reject(this.#closedError());
    return new Promise((resolve, reject) => this.#readyWaiters.push({ resolve, reject }));
  }

  /** Resolves once fewer than `limit` requests are in flight (or the connection was lost). */
  waitForRoom(limit: number): Promise<void> {
    if (this.inFlight < limit) return RESOLVED;
    return new Promise((resolve) => this.#roomWaiters.push({ limit, resolve }));
  }

  /** Resolves once every written request has its reply (or the connection was lost). */
  drained(): Promise<void> {
    if (this.inFlight === 0) return RESOLVED;
    return new Promise((resolve) => this.#drainWaiters.push(resolve));
  }

  /**
   * Stops decoding and reading: frames already read stay in the decoder and
   * the socket is no longer read, so TCP backpressure reaches the server (the
   * subscriber's bound on unread messages). Replies to requests in flight
   * (the handshake) are still read while paused. Undone by
   * {@linkcode Connection.resume}; survives reconnections.
   */
  pause(): void {
    this.#paused = true;
  }

  /** Reads again after {@linkcode Connection.pause}. */
  resume(): void {
    this.#paused = false;
    this.#wake();
  }

  /** True while {@linkcode Connection.pause} is in effect. */
  get paused(): boolean {
    return this.#paused;
  }

  /**
   * Writes the requests that are not `done` as one buffer with one write, and
   * returns how many it wrote; -1 when there is no socket (the connection is
   * being re-established): then nothing was written or touched, and the
   * caller waits for {@linkcode Connection.waitReady} and tries again.
   * Requests whose arguments cannot be encoded fail with a `TypeError`.
   * Written requests are answered by their reply, or with a
   * `ConnectionError` if the connection is lost first (they are never
   * resent). Concurrent calls are serialised.
   */
  async write(reqs: readonly Request[]): Promise<number> {
    while (this.#writing !== undefined) await this.#writing;
    const sock = this.#sock;
    if (sock === null) {
      if (!this.#closing) return -1;
      const failure = new Failure(this.#closedError());
      for (const r of reqs) r.settle(failure);
      return 0;
    }
    const enc = this.#encoder;
    const pending = this.#pending;
    let count = 0;
    for (let i = 0; i < reqs.length; i++) {
      const r = reqs[i];
      if (r.done) continue;
      try {
        enc.writeCommand(r.args);
      } catch (e) {
        r.settle(new Failure(e));
        continue;
      }
      pending.push(r);
      count++;
    }
    if (count === 0) return 0;
    if (this.#paused) this.#wake(); // their replies are read even while paused
    const bytes = enc.take();
    let done!: () => void;
    this.#writing = new Promise((resolve) => done = resolve);
    try {
      await writeAll(sock, bytes);
    } catch (e) {
      this.#lost(sock, e);
    } finally {
      this.#writing = undefined;
      done();
    }
    return count;
  }

  /**
   * Sends commands and waits for every reply (used by the handshake and the
   * subscriber). Rejects with the first error reply or failure.
   */
  async call(commands: Arg[][]): Promise<Frame[]> {
    const reqs: Request[] = [];
    const replies: PromiseLike<Reply>[] = [];
    for (const args of commands) {
      const [tx, rx] = oneshot.channel<Reply>();
      reqs.push(new Request(args, tx));
      replies.push(rx);
    }
    if (await this.write(reqs) < 0) {
      throw new ConnectionError("Connection lost before the command was written");
    }
    const out: Frame[] = [];
    let error: unknown = undefined;
    for (const p of replies) {
      const r = await p;
      if (r instanceof Failure) error ??= r.reason;
      else if (r instanceof ReplyError) error ??= r;
      else out.push(r);
    }
    if (error !== undefined) throw error;
    return out;
  }

  /**
   * Writes commands whose replies do not come back in the FIFO (the pub/sub
   * commands, whose confirmations the subscriber's `onFrame` consumes).
   */
  async writeUnanswered(commands: Arg[][]): Promise<void> {
    while (this.#writing !== undefined) await this.#writing;
    const sock = this.#sock;
    if (sock === null) throw new ConnectionError("Connection lost before the command was written");
    for (const args of commands) this.#encoder.writeCommand(args);
    const bytes = this.#encoder.take();
    let done!: () => void;
    this.#writing = new Promise((resolve) => done = resolve);
    try {
      await writeAll(sock, bytes);
    } catch (e) {
      this.#lost(sock, e);
      throw new ConnectionError(`Connection lost: ${describeError(e)}`, { cause: e });
    } finally {
      this.#writing = undefined;
      done();
    }
  }

  /**
   * The first step of a graceful close by the owner: from now on the
   * connection is never re-established. While the socket is up, requests can
   * still be written (the owner's queue is sent and answered); if it is down
   * now (reconnecting) or goes down later, the connection closes at once and
   * everything waiting for it rejects with a `ConnectionError`.
   */
  stopReconnecting(): void {
    if (this.#draining) return;
    this.#draining = true;
    if (this.#sock === null && this.#state === "reconnecting") {
      this.#closed ??= this.#shutdown(undefined);
    }
  }

  /**
   * Closes gracefully: requests already written get their replies first, then
   * the socket is closed and the state becomes `closed`. While reconnecting,
   * it closes at once: reconnection stops and everything waiting for the
   * connection rejects with a `ConnectionError`. Idempotent.
   */
  close(): Promise<void> {
    if (this.#closed !== undefined) return this.#closed;
    this.#closing = true;
    this.#closed = (async () => {
      if (this.#sock !== null) await this.drained();
      await this.#shutdown(undefined);
    })();
    return this.#closed;
  }

  /**
   * Closes at once: requests in flight and everything waiting for the
   * connection reject with a `ConnectionError` (`reason` is its cause).
   */
  destroy(reason?: unknown): Promise<void> {
    this.#closing = true;
    const error = new ConnectionError("Connection is closed", { cause: reason });
    this.#closeError ??= error;
    const sock = this.#sock;
    if (sock !== null) this.#lost(sock, reason ?? error);
    this.#closed ??= this.#shutdown(undefined);
    return this.#closed;
  }

  // ---- internals -----------------------------------------------------------------------

  #closedError(): ConnectionError {
    return this.#closeError ?? new ConnectionError("Connection is closed");
  }

  #setState(state: ConnectionState): void {
    if (this.#state === state || this.#state === "closed") return;
    this.#state = state;
    this.#stateTx.send(state);
    if (state === "ready") {
      const waiters = this.#readyWaiters;
      this.#readyWaiters = [];
      for (const w of waiters) w.resolve();
    }
  }

  /** Connects a new socket and runs the handshake; throws on failure (the socket is closed then). */
  async #establish(): Promise<void> {
    const o = this.options;
    const address = `${o.hostname}:${o.port}`;
    const connecting = new AbortController();
    this.#connecting = connecting;
    const connectTimer = setTimeout(
      () =>
        connecting.abort(
          new ConnectionError(
            `Could not connect to ${address}: timed out after ${o.connectTimeout} ms`,
          ),
        ),
      o.connectTimeout,
    );
    let sock: Deno.TcpConn;
    try {
      sock = await Deno.connect({ hostname: o.hostname, port: o.port, signal: connecting.signal });
    } catch (e) {
      const reason = connecting.signal.aborted ? connecting.signal.reason : e;
      if (reason instanceof ConnectionError) throw reason;
      throw new ConnectionError(`Could not connect to ${address}: ${describeError(reason)}`, {
        cause: reason,
      });
    } finally {
      clearTimeout(connectTimer);
      this.#connecting = undefined;
    }
    if (this.#closing) {
      sock.close();
      throw this.#closedError();
    }
    try {
      sock.setNoDelay(true);
    } catch {
      // not fatal
    }
    this.#decoder.reset();
    this.#sock = sock;
    const reader = this.#read(sock);
    this.#readers.add(reader);
    reader.finally(() => this.#readers.delete(reader));
    const timer = setTimeout(() => {
      if (this.#sock === sock) {
        this.#lost(
          sock,
          new ConnectionError(`Handshake with ${address} timed out after ${o.connectTimeout} ms`),
        );
      }
    }, o.connectTimeout);
    try {
      const commands = handshake(o);
      if (commands.length !== 0) await this.call(commands);
      await this.#hooks.afterConnect?.(this);
      if (this.#sock !== sock) {
        throw new ConnectionError(`Connection to ${address} lost during the handshake`);
      }
    } catch (e) {
      if (this.#sock === sock) this.#lost(sock, e);
      throw e;
    } finally {
      clearTimeout(timer);
    }
  }

  async #read(sock: Deno.TcpConn): Promise<void> {
    const buf = new Uint8Array(READ_SIZE);
    const decoder = this.#decoder;
    let error: unknown = undefined;
    try {
      for (;;) {
        if (this.#paused) {
          await this.#whileParked(sock);
          if (this.#sock !== sock) return;
        }
        const n = await sock.read(buf);
        if (n === null) break;
        if (this.#sock !== sock) return;
        decoder.feed(n === READ_SIZE ? buf : buf.subarray(0, n));
        let frame: Frame | undefined;
        for (;;) {
          if (this.#paused) {
            // Frames left in the decoder wait there: nothing more is decoded.
            await this.#whileParked(sock);
            if (this.#sock !== sock) return;
          }
          if ((frame = decoder.next()) === undefined) break;
          this.#dispatch(frame);
        }
      }
    } catch (e) {
      error = e;
    }
    this.#lost(sock, error);
  }

  /** Waits while paused with no request in flight, or until `sock` is replaced. */
  async #whileParked(sock: Deno.TcpConn): Promise<void> {
    while (this.#paused && this.inFlight === 0 && this.#sock === sock) {
      await new Promise<void>((resolve) => this.#wakeReader = resolve);
    }
  }

  #wake(): void {
    const wake = this.#wakeReader;
    if (wake !== undefined) {
      this.#wakeReader = undefined;
      wake();
    }
  }

  #dispatch(frame: Frame): void {
    const onFrame = this.#hooks.onFrame;
    if (onFrame !== undefined && onFrame(frame)) return;
    const pending = this.#pending;
    const h = this.#head;
    if (h === pending.length) {
      // An unsolicited push (RESP3) nobody asked for is dropped; anything else
      // means the stream is out of step, which only a new connection cures.
      if (frame instanceof Push) return;
      if (this.#sock !== null) {
        this.#lost(this.#sock, new ConnectionError("Protocol error: reply without a request"));
      }
      return;
    }
    if (frame instanceof Push) return; // e.g. a RESP3 invalidation between replies
    const req = pending[h];
    if (h + 1 === pending.length) {
      pending.length = 0;
      this.#head = 0;
    } else {
      pending[h] = undefined as unknown as Request;
      this.#head = h + 1;
      if (h > 4096 && h * 2 > pending.length) {
        this.#pending = pending.slice(h + 1);
        this.#head = 0;
      }
    }
    if (!req.done) req.settle(frame instanceof Attribute ? frame.value : frame);
    if (req.onReply !== undefined) req.onReply();
    if (this.#roomWaiters.length !== 0) this.#wakeRoom(false);
    if (this.#drainWaiters.length !== 0 && this.inFlight === 0) this.#wakeDrained();
  }

  #wakeRoom(all: boolean): void {
    const inFlight = this.inFlight;
    const waiters = this.#roomWaiters;
    this.#roomWaiters = [];
    for (const w of waiters) {
      if (all || inFlight < w.limit) w.resolve();
      else this.#roomWaiters.push(w);
    }
  }

  #wakeDrained(): void {
    const waiters = this.#drainWaiters;
    this.#drainWaiters = [];
    for (const w of waiters) w();
  }

  /** The socket ended or failed: fail what was written, then reconnect (or close). */
  #lost(sock: Deno.TcpConn, error: unknown): void {
    if (this.#sock !== sock) return;
    this.#sock = null;
    this.#wake(); // a paused reader of this socket ends
    try {
      sock.close();
    } catch {
      // already closed
    }
    const lost = error instanceof ConnectionError ? error : new ConnectionError(
      error === undefined ? "Connection lost" : `Connection lost: ${describeError(error)}`,
      { cause: error },
    );
    const pending = this.#pending;
    const h = this.#head;
    this.#pending = [];
    this.#head = 0;
    const failure = new Failure(lost);
    for (let i = h; i < pending.length; i++) {
      const req = pending[i];
      req.settle(failure);
      if (req.onReply !== undefined) req.onReply();
    }
    this.#wakeRoom(true);
    this.#wakeDrained();
    if (this.#closing || this.#state !== "ready") return; // close() or a handshake in progress
    if (this.#draining) {
      // closing gracefully: nothing left to drain on a lost socket
      this.#closed ??= this.#shutdown(undefined);
      return;
    }
    if (this.options.reconnect === false) {
      this.#closeError = new ConnectionError(`${lost.message} (reconnect is disabled)`, {
        cause: error,
      });
      this.#closed ??= this.#shutdown(this.#closeError);
      return;
    }
    this.#setState("reconnecting");
    this.#reconnecting = this.#reconnect(lost);
  }

  async #reconnect(cause: ConnectionError): Promise<void> {
    const policy = this.options.reconnect;
    if (policy === false) return;
    const started = performance.now();
    let lastError: unknown = cause;
    for (let attempt = 0;; attempt++) {
      const base = Math.min(policy.maxDelay, policy.initialDelay * 2 ** attempt);
      const delay = base / 2 + Math.random() * base / 2; // "equal jitter"
      if (performance.now() - started + delay > policy.maxWait) break;
      await new Promise<void>((resolve) => {
        this.#sleep = { timer: setTimeout(resolve, delay), resolve };
      });
      this.#sleep = undefined;
      if (this.#closing) return;
      try {
        await this.#establish();
        this.#reconnecting = undefined;
        this.#setState("ready");
        return;
      } catch (e) {
        lastError = e;
        if (this.#closing) return;
      }
    }
    this.#reconnecting = undefined;
    const error = new ConnectionError(
      `Could not reconnect to ${this.options.hostname}:${this.options.port} within ${policy.maxWait} ms: ${
        describeError(lastError)
      }`,
      { cause: lastError },
    );
    this.#closeError = error;
    this.#closing = true;
    this.#closed ??= this.#shutdown(error);
  }

  /** Final shutdown: stop reconnecting, close the socket, reject waiters, publish `closed`. */
  async #shutdown(error: ConnectionError | undefined): Promise<void> {
    this.#closing = true;
    if (error !== undefined) this.#closeError ??= error;
    if (this.#sleep !== undefined) {
      clearTimeout(this.#sleep.timer);
      this.#sleep.resolve();
    }
    this.#connecting?.abort(this.#closedError()); // a reconnection attempt stops at once
    const sock = this.#sock;
    if (sock !== null) this.#lost(sock, this.#closedError());
    if (this.#reconnecting !== undefined) await this.#reconnecting.catch(() => {});
    // A reconnect that was connecting may have installed a socket meanwhile.
    const late = this.#sock;
    if (late !== null) this.#lost(late, this.#closedError());
    await Promise.all([...this.#readers]);
    const waiters = this.#readyWaiters;
    this.#readyWaiters = [];
    const closedError = this.#closedError();
    for (const w of waiters) w.reject(closedError);
    if (this.#state !== "closed") {
      this.#state = "closed";
      this.#stateTx.send("closed");
    }
    this.#stateTx.close();
    this.#hooks.onClosed?.(error);
  }
}

/** The handshake commands for the options: `HELLO 3 [AUTH]` or `AUTH`, then `SELECT`. */
function handshake(o: ResolvedOptions): Arg[][] {
  const out: Arg[][] = [];
  if (o.protocol === 3) {
    const hello: Arg[] = ["HELLO", 3];
    if (o.password !== undefined) hello.push("AUTH", o.username ?? "default", o.password);
    out.push(hello);
  } else if (o.password !== undefined) {
    out.push(o.username !== undefined ? ["AUTH", o.username, o.password] : ["AUTH", o.password]);
  }
  if (o.db !== 0) out.push(["SELECT", o.db]);
  return out;
}

/**
 * Arms a request's abort signal and timeout: the per-command `timeout` gets a
 * timer of its own, otherwise the client's default timeout queue is used.
 */
export function arm(
  req: Request,
  options: { signal?: AbortSignal; timeout?: number } | undefined,
  deadlines: Deadlines | undefined,
): void {
  if (options !== undefined) {
    if (options.signal !== undefined) req.watchSignal(options.signal);
    if (options.timeout !== undefined) {
      if (options.timeout > 0) req.startTimer(options.timeout);
      return;
    }
  }
  if (deadlines !== undefined) deadlines.push(req);
}

/** Turns a reply into the command's result: throws failures and error replies. */
export function unwrap(reply: Reply): Frame {
  if (reply instanceof Failure) throw reply.reason;
  if (reply instanceof ReplyError) throw reply;
  return reply;
}
