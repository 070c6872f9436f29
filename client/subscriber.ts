/**
 * {@linkcode Subscriber}: a connection in pub/sub mode whose messages are read
 * with `for await`. Works with RESP2 (messages are arrays) and RESP3 (push
 * frames), and re-subscribes to every channel and pattern after a reconnection.
 *
 * @module
 */

import { type Frame, Push } from "../resp/frame.ts";
import { fromUtf8 } from "../resp/bytes.ts";
import { mpsc, type watch } from "../channels/mod.ts";
import type { Arg } from "./commands.ts";
import { Connection, type ConnectionState } from "./connection.ts";
import { ConnectionError } from "./errors.ts";
import {
  type Address,
  type ClientOptions,
  type ResolvedOptions,
  resolveOptions,
} from "./options.ts";

/** One pub/sub message. */
export interface Message {
  /** The channel it was published on. */
  channel: string;
  /** The pattern it matched, for messages received through `psubscribe`. */
  pattern?: string;
  /** The payload decoded as UTF-8. */
  payload: string;
  /** The payload's bytes (binary-safe). */
  bytes: Uint8Array;
}

/** Options of {@linkcode Subscriber.connect}: the client's, plus the bound on unread messages. */
export interface SubscriberOptions extends ClientOptions {
  /**
   * How many received messages may wait unread (default 1024). When that many
   * are queued, the subscriber stops reading its socket until the consumer
   * takes one: TCP backpressure then reaches the server, whose
   * `client-output-buffer-limit pubsub` applies. Nothing is dropped. While a
   * subscribe/unsubscribe call waits for its confirmation, reading goes on
   * (the confirmation may sit behind messages), so the queue may exceed the
   * bound by the messages the server sent before confirming.
   */
  maxQueued?: number;
}

/** The default of {@linkcode SubscriberOptions.maxQueued}. */
export const DEFAULT_MAX_QUEUED = 1024;

type Kind = "subscribe" | "unsubscribe" | "psubscribe" | "punsubscribe";

/** A command waiting for its confirmations (one per channel). */
interface Op {
  kind: Kind;
  remaining: number;
  resolve(): void;
  reject(reason: unknown): void;
}

/**
 * Receives pub/sub messages on a connection of its own.
 *
 * - `for await (const msg of sub)` yields {@linkcode Message}s until
 *   {@linkcode Subscriber.close}; subscribe/unsubscribe/psubscribe/punsubscribe
 *   may be called while iterating (each resolves once the server confirmed).
 * - After a lost connection it reconnects like the clients do and subscribes
 *   again to every channel and pattern (messages published meanwhile are lost:
 *   Redis pub/sub is at-most-once). If the reconnection gives up, iteration
 *   ends by throwing the `ConnectionError`.
 * - At most `maxQueued` messages (default 1024) wait unread: then the
 *   subscriber stops reading its socket until the consumer takes one, so a
 *   slow consumer slows the server's delivery (TCP backpressure; Redis
 *   disconnects a subscriber past its `client-output-buffer-limit pubsub`)
 *   instead of growing client memory. No message is dropped. Calls to
 *   subscribe/unsubscribe/psubscribe/punsubscribe keep working while the
 *   queue is full: reading resumes until their confirmations arrive, and the
 *   messages read meanwhile are queued beyond the bound.
 *
 * @example
 * ```ts ignore
 * import { connect } from "./mod.ts";
 * await using client = await connect("127.0.0.1:6379");
 * await using sub = await client.subscribe("news");
 * await client.publish("news", "hi");
 * for await (const msg of sub) {
 *   console.log(msg.channel, msg.payload); // news hi
 *   break;
 * }
 * ```
 */
export class Subscriber implements AsyncIterable<Message>, AsyncDisposable {
  #conn!: Connection;
  #channels = new Set<string>();
  #patterns = new Set<string>();
  #ops: Op[] = [];
  #tx: mpsc.Sender<Message>;
  #rx: mpsc.Receiver<Message>;
  #error: ConnectionError | undefined = undefined;
  #closing = false;
  #closed: Promise<void> | undefined = undefined;
  #maxQueued: number;
  #paused = false;

  /**
   * Opens a subscriber on a new connection and subscribes to the given
   * channels and patterns. {@linkcode Commands.subscribe} on a client is the
   * usual way in.
   */
  static async open(
    options: ResolvedOptions,
    initial: { channels?: string[]; patterns?: string[]; maxQueued?: number } = {},
  ): Promise<Subscriber> {
    const maxQueued = initial.maxQueued ?? DEFAULT_MAX_QUEUED;
    if (!Number.isInteger(maxQueued) || maxQueued < 1) {
      throw new RangeError(`maxQueued must be a positive integer, got ${maxQueued}`);
    }
    const sub = new Subscriber(maxQueued);
    for (const c of initial.channels ?? []) sub.#channels.add(c);
    for (const p of initial.patterns ?? []) sub.#patterns.add(p);
    sub.#conn = await Connection.open(options, {
      onFrame: (frame) => sub.#onFrame(frame),
      afterConnect: (conn) => {
        sub.#conn = conn; // frames may arrive before open() returns
        return sub.#resubscribe(conn);
      },
      onClosed: (error) => sub.#onClosed(error),
    });
    return sub;
  }

  /** Connects to `address` and subscribes to `channels`. */
  static connect(
    address: Address,
    channels: string[],
    options?: SubscriberOptions,
  ): Promise<Subscriber> {
    return Subscriber.open(resolveOptions(address, options), {
      channels,
      maxQueued: options?.maxQueued,
    });
  }

  private constructor(maxQueued: number) {
    this.#maxQueued = maxQueued;
    [this.#tx, this.#rx] = mpsc.unboundedChannel<Message>();
  }

  /** How many received messages wait to be read. */
  get queued(): number {
    return this.#rx.length;
  }

  /** The bound on unread messages ({@linkcode SubscriberOptions.maxQueued}). */
  get maxQueued(): number {
    return this.#maxQueued;
  }

  /** The channels subscribed to. */
  get channels(): string[] {
    return [...this.#channels];
  }

  /** The patterns subscribed to. */
  get patterns(): string[] {
    return [...this.#patterns];
  }

  /** The connection's state: `connecting`, `ready`, `reconnecting` or `closed`. */
  get state(): ConnectionState {
    return this.#conn.state;
  }

  /** A `watch` receiver of the connection's state (close it when done). */
  watchState(): watch.Receiver<ConnectionState> {
    return this.#conn.watchState();
  }

  /** `SUBSCRIBE channel...`: resolves once the server confirmed each channel. */
  subscribe(...channels: string[]): Promise<void> {
    if (channels.length === 0) return Promise.reject(new TypeError("subscribe needs a channel"));
    return this.#command("subscribe", channels);
  }

  /** `UNSUBSCRIBE [channel...]` (none: from every channel). */
  unsubscribe(...channels: string[]): Promise<void> {
    return this.#command("unsubscribe", channels);
  }

  /** `PSUBSCRIBE pattern...`: glob patterns such as `news.*`. */
  psubscribe(...patterns: string[]): Promise<void> {
    if (patterns.length === 0) return Promise.reject(new TypeError("psubscribe needs a pattern"));
    return this.#command("psubscribe", patterns);
  }

  /** `PUNSUBSCRIBE [pattern...]` (none: from every pattern). */
  punsubscribe(...patterns: string[]): Promise<void> {
    return this.#command("punsubscribe", patterns);
  }

  /**
   * The next message; `undefined` once the subscriber is closed. Rejects with
   * the `ConnectionError` if the connection was lost for good.
   */
  async recv(signal?: AbortSignal): Promise<Message | undefined> {
    const msg = await this.#rx.recv(signal);
    if (msg === undefined && this.#error !== undefined) throw this.#error;
    if (this.#paused) this.#flow();
    return msg;
  }

  /** Iterates over messages until {@linkcode Subscriber.close}. */
  async *[Symbol.asyncIterator](): AsyncGenerator<Message, void, undefined> {
    for (;;) {
      const msg = await this.recv();
      if (msg === undefined) return;
      yield msg;
    }
  }

  /** Closes the connection; iteration ends after the messages already received. Idempotent. */
  close(): Promise<void> {
    this.#closing = true;
    this.#closed ??= this.#conn.close();
    return this.#closed;
  }

  /** Same as {@linkcode Subscriber.close}, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  // ---- internals -----------------------------------------------------------------------

  async #command(kind: Kind, names: string[]): Promise<void> {
    if (this.#closing) throw new ConnectionError("Connection is closed");
    await this.#conn.waitReady();
    // Update the wanted set and queue the confirmations synchronously, right
    // before writing, so the counts match what the server will send.
    const set = kind === "subscribe" || kind === "unsubscribe" ? this.#channels : this.#patterns;
    let count = names.length;
    if (kind === "subscribe" || kind === "psubscribe") {
      for (const n of names) set.add(n);
    } else if (names.length === 0) {
      count = Math.max(1, set.size); // one reply per channel, or one saying none
      set.clear();
    } else {
      for (const n of names) set.delete(n);
    }
    const done = this.#expect(kind, count);
    try {
      await this.#conn.writeUnanswered([[kind.toUpperCase(), ...names]]);
    } catch {
      // Lost before it was written: the reconnection subscribes to the wanted
      // set, then settles `done` (see #resubscribe), or rejects it on close.
    }
    return done;
  }

  #expect(kind: Kind, count: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#ops.push({ kind, remaining: count, resolve, reject });
      if (this.#paused) this.#flow(); // read on until it is confirmed
    });
  }

  /**
   * Pauses reading while `maxQueued` messages wait unread and no call waits
   * for a confirmation; resumes otherwise.
   */
  #flow(): void {
    const pause = this.#rx.length >= this.#maxQueued && this.#ops.length === 0 &&
      !this.#closing;
    if (pause === this.#paused) return;
    this.#paused = pause;
    if (pause) this.#conn.pause();
    else this.#conn.resume();
  }

  /** On every (re)connection: subscribe to the wanted channels and patterns again. */
  async #resubscribe(conn: Connection): Promise<void> {
    const stale = this.#ops;
    this.#ops = [];
    const commands: Arg[][] = [];
    const waits: Promise<void>[] = [];
    if (this.#channels.size !== 0) {
      commands.push(["SUBSCRIBE", ...this.#channels]);
      waits.push(this.#expect("subscribe", this.#channels.size));
    }
    if (this.#patterns.size !== 0) {
      commands.push(["PSUBSCRIBE", ...this.#patterns]);
      waits.push(this.#expect("psubscribe", this.#patterns.size));
    }
    if (commands.length !== 0) {
      await conn.writeUnanswered(commands);
      await Promise.all(waits);
    }
    // Commands lost with the previous socket are now in effect.
    for (const op of stale) op.resolve();
    this.#flow();
  }

  #onClosed(error: ConnectionError | undefined): void {
    this.#closing = true;
    this.#error = error;
    const reason = error ?? new ConnectionError("Connection is closed");
    const ops = this.#ops;
    this.#ops = [];
    for (const op of ops) op.reject(reason);
    this.#tx.close();
  }

  #onFrame(frame: Frame): boolean {
    let items: Frame[];
    if (frame instanceof Push) items = frame.items;
    else if (Array.isArray(frame) && frame.length >= 3) items = frame;
    else return false;
    const head = items[0];
    if (!(head instanceof Uint8Array) || head.length < 7) return false;
    const kind = fromUtf8(head);
    switch (kind) {
      case "message":
        if (items.length < 3) return false;
        this.#deliver(items[1], undefined, items[2]);
        return true;
      case "pmessage":
        if (items.length < 4) return false;
        this.#deliver(items[2], items[1], items[3]);
        return true;
      case "subscribe":
      case "unsubscribe":
      case "psubscribe":
      case "punsubscribe": {
        const op = this.#ops[0];
        if (op !== undefined && op.kind === kind && --op.remaining === 0) {
          this.#ops.shift();
          op.resolve();
          if (this.#ops.length === 0) this.#flow();
        }
        return true;
      }
      default:
        return false;
    }
  }

  #deliver(channel: Frame, pattern: Frame | undefined, payload: Frame): void {
    const bytes = payload instanceof Uint8Array ? payload : new Uint8Array();
    const msg: Message = {
      channel: channel instanceof Uint8Array ? fromUtf8(channel) : String(channel),
      payload: fromUtf8(bytes),
      bytes,
    };
    if (pattern !== undefined) {
      msg.pattern = pattern instanceof Uint8Array ? fromUtf8(pattern) : String(pattern);
    }
    try {
      this.#tx.trySend(msg);
    } catch {
      // closing: the message is dropped
      return;
    }
    if (this.#rx.length >= this.#maxQueued) this.#flow();
  }
}
