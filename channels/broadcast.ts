/**
 * Multi-producer, multi-consumer channel in which every receiver sees every
 * value: Tokio's `tokio::sync::broadcast`.
 *
 * ```ts
 * import { broadcast } from "./mod.ts";
 *
 * const [tx, rx1] = broadcast.channel<string>(16);
 * const rx2 = tx.subscribe();
 * tx.send("hello"); // returns 2: two receivers will see it
 * console.log(await rx1.recv(), await rx2.recv()); // hello hello
 * ```
 *
 * ## Bounded by capacity, not by the slowest receiver
 *
 * Values live in one ring buffer of `capacity` slots shared by all
 * receivers; `send` never waits. A receiver that falls more than `capacity`
 * values behind has lost the oldest ones: its next `recv()` rejects with a
 * {@linkcode LaggedError} saying how many it missed, and the one after that
 * returns the oldest value still kept. Each slot also counts the receivers
 * that have yet to read it and lets go of the value when the count reaches
 * zero, so a big value is not kept alive longer than needed.
 *
 * ## Why not a stream
 *
 * `ReadableStream.tee()` is the stream way to fan out, but a teed stream
 * buffers for its slowest branch without bound, which is exactly what a
 * broadcast channel must not do; its backpressure would also slow every
 * receiver down to the slowest. The ring buffer is the point of this type,
 * so it is implemented directly.
 *
 * ## Release instead of Drop
 *
 * Release handles with `close()` or `using`. When the last sender is
 * released, receivers get what they have not read yet, then `undefined` (the
 * end marker). A closed receiver no longer holds values in the buffer.
 *
 * @module
 */

import { LaggedError, SendError } from "./errors.ts";

const END: Promise<undefined> = Promise.resolve(undefined);
const END_RESULT: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined });

interface Waiter<T> {
  rx: Receiver<T>;
  resolve(value: T | undefined): void;
  reject(reason: unknown): void;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

/** State shared by every handle of one channel. Internal. */
class Shared<T> {
  readonly capacity: number;
  readonly slots: (T | undefined)[];
  /** Per slot: receivers that have not read it yet. */
  readonly remaining: Int32Array;
  /** Sequence number of the next value sent. */
  tail = 0;
  senders = 1;
  receivers = 0;
  waiters: Waiter<T>[] = [];

  constructor(capacity: number) {
    this.capacity = capacity;
    this.slots = new Array(capacity).fill(undefined);
    this.remaining = new Int32Array(capacity);
  }

  /** Oldest sequence number still kept. */
  oldest(): number {
    return this.tail > this.capacity ? this.tail - this.capacity : 0;
  }

  /** Reads the value with sequence `seq` for one receiver. */
  read(seq: number): T {
    const i = seq % this.capacity;
    const value = this.slots[i] as T;
    if (--this.remaining[i] === 0) this.slots[i] = undefined;
    return value;
  }

  /** A receiver no longer needs the kept values from `from` on. */
  unread(from: number): void {
    for (let seq = Math.max(from, this.oldest()); seq < this.tail; seq++) {
      const i = seq % this.capacity;
      if (--this.remaining[i] === 0) this.slots[i] = undefined;
    }
  }

  /** A new receiver starting at `from` will read the kept values from there. */
  reread(from: number): void {
    for (let seq = Math.max(from, this.oldest()); seq < this.tail; seq++) {
      this.remaining[seq % this.capacity]++;
    }
  }

  dropWaiter(w: Waiter<T>): void {
    const k = this.waiters.indexOf(w);
    if (k !== -1) this.waiters.splice(k, 1);
    if (w.signal !== undefined) w.signal.removeEventListener("abort", w.onAbort!);
  }

  /** Every sender is gone: waiting receivers (all caught up) get the end marker. */
  finish(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) {
      if (w.signal !== undefined) w.signal.removeEventListener("abort", w.onAbort!);
      w.resolve(undefined);
    }
  }
}

function checkCapacity(capacity: number): void {
  if (!Number.isInteger(capacity) || capacity < 1) {
    throw new RangeError(`broadcast capacity must be a positive integer, got ${capacity}`);
  }
}

let newSender: <T>(shared: Shared<T>) => Sender<T>;
let newReceiver: <T>(shared: Shared<T>, next: number) => Receiver<T>;
let takeFor: <T>(rx: Receiver<T>) => T;

/**
 * Creates a broadcast channel keeping the last `capacity` values (an integer
 * of at least 1). Returns `[sender, receiver]`; more receivers come from
 * {@linkcode Sender.subscribe}.
 *
 * @example
 * ```ts
 * import { broadcast } from "./mod.ts";
 * const [tx, rx] = broadcast.channel<number>(8);
 * tx.send(1);
 * tx.close();
 * console.log(await rx.recv(), await rx.recv()); // 1 undefined
 * ```
 */
export function channel<T>(capacity: number): [Sender<T>, Receiver<T>] {
  checkCapacity(capacity);
  const shared = new Shared<T>(capacity);
  return [newSender(shared), newReceiver(shared, 0)];
}

/**
 * The sending half of a broadcast channel; clone it for more producers.
 *
 * @example
 * ```ts
 * import { broadcast } from "./mod.ts";
 * const [tx, rx] = broadcast.channel<string>(4);
 * using tx2 = tx.clone();
 * tx2.send("from tx2");
 * console.log(await rx.recv()); // from tx2
 * ```
 */
export class Sender<T> implements Disposable {
  #shared: Shared<T>;
  #released = false;

  private constructor(shared: Shared<T>) {
    this.#shared = shared;
  }

  static {
    newSender = (shared) => new Sender(shared);
  }

  /**
   * Sends `value` to every current receiver; never waits. Returns how many
   * receivers will see it. With no receiver at all the value is not kept and
   * `0` is returned (Tokio returns an error there; a publisher with no
   * subscribers is normal, so this is not one). Throws a
   * {@linkcode SendError} if this sender was released, and a `TypeError` for
   * `undefined` (the receivers' end marker).
   *
   * @example
   * ```ts
   * import { broadcast } from "./mod.ts";
   * const [tx, rx] = broadcast.channel<string>(4);
   * console.log(tx.send("a")); // 1
   * rx.close();
   * console.log(tx.send("b")); // 0
   * ```
   */
  send(value: T): number {
    if (this.#released) throw new SendError(value, "broadcast sender released");
    if (value === undefined) {
      throw new TypeError("cannot send undefined on a broadcast channel: it is the end marker");
    }
    const s = this.#shared;
    if (s.receivers === 0) return 0;
    const i = s.tail % s.capacity;
    s.slots[i] = value;
    s.remaining[i] = s.receivers;
    s.tail++;
    if (s.waiters.length !== 0) {
      // Everyone waiting has read everything before this value: hand it over.
      const waiters = s.waiters;
      s.waiters = [];
      for (const w of waiters) {
        if (w.signal !== undefined) w.signal.removeEventListener("abort", w.onAbort!);
        w.resolve(takeFor(w.rx));
      }
    }
    return s.receivers;
  }

  /**
   * Creates a receiver that sees the values sent from now on.
   *
   * @example
   * ```ts
   * import { broadcast } from "./mod.ts";
   * const [tx, rx] = broadcast.channel<number>(4);
   * tx.send(1);
   * const late = tx.subscribe();
   * tx.send(2);
   * console.log(await late.recv()); // 2
   * rx.close();
   * ```
   */
  subscribe(): Receiver<T> {
    return newReceiver(this.#shared, this.#shared.tail);
  }

  /**
   * Returns another sender for the same channel. Receivers see the end of
   * the stream once every sender is released.
   *
   * @example
   * ```ts
   * import { broadcast } from "./mod.ts";
   * const [tx, rx] = broadcast.channel<number>(4);
   * const tx2 = tx.clone();
   * tx.close();
   * tx2.send(9);
   * tx2.close();
   * console.log(await rx.recv(), await rx.recv()); // 9 undefined
   * ```
   */
  clone(): Sender<T> {
    if (this.#released) throw new TypeError("cannot clone a released broadcast sender");
    this.#shared.senders++;
    return newSender(this.#shared);
  }

  /**
   * Releases this sender (Tokio: dropping it). Idempotent. After the last
   * one, receivers get their unread values and then `undefined`.
   *
   * @example
   * ```ts
   * import { broadcast } from "./mod.ts";
   * const [tx, rx] = broadcast.channel<number>(4);
   * tx.close();
   * console.log(await rx.recv()); // undefined
   * ```
   */
  close(): void {
    if (this.#released) return;
    this.#released = true;
    if (--this.#shared.senders === 0) this.#shared.finish();
  }

  /** Same as {@linkcode Sender.close}, for `using`. */
  [Symbol.dispose](): void {
    this.close();
  }

  /** How many receivers are open. */
  get receiverCount(): number {
    return this.#shared.receivers;
  }

  /** True once this handle was released. */
  get released(): boolean {
    return this.#released;
  }

  /** The number of values kept for slow receivers. */
  get capacity(): number {
    return this.#shared.capacity;
  }
}

/**
 * A receiving half of a broadcast channel: sees every value sent after it
 * was created, in order, unless it falls more than `capacity` behind
 * (then {@linkcode LaggedError}).
 *
 * **End marker:** `recv()` resolves to `undefined` once every sender is
 * released and this receiver has read everything that is left, or after
 * its own `close()`.
 *
 * @example
 * ```ts
 * import { broadcast } from "./mod.ts";
 * const [tx, rx] = broadcast.channel<string>(4);
 * tx.send("a");
 * tx.send("b");
 * tx.close();
 * for await (const s of rx) console.log(s); // a b
 * ```
 */
export class Receiver<T> implements AsyncIterable<T>, Disposable {
  #shared: Shared<T>;
  #next: number;
  #closed = false;
  #waiter: Waiter<T> | undefined = undefined;

  private constructor(shared: Shared<T>, next: number) {
    this.#shared = shared;
    this.#next = next;
    shared.receivers++;
    shared.reread(next);
  }

  static {
    newReceiver = (shared, next) => new Receiver(shared, next);
    takeFor = <T>(rx: Receiver<T>): T => {
      rx.#waiter = undefined;
      return rx.#shared.read(rx.#next++);
    };
  }

  /**
   * Receives the next value. Rejects with {@linkcode LaggedError} if values
   * were lost since the last receive (the receiver then continues from the
   * oldest value kept). Resolves to `undefined` at the end (see the class
   * doc).
   *
   * With a `signal`: if it aborts before a value arrives, the promise
   * rejects with `signal.reason` and no value is consumed.
   *
   * @example
   * ```ts
   * import { broadcast } from "./mod.ts";
   * const [tx, rx] = broadcast.channel<number>(4);
   * const next = rx.recv();
   * tx.send(1);
   * console.log(await next); // 1
   * ```
   */
  recv(signal?: AbortSignal): Promise<T | undefined> {
    if (signal !== undefined && signal.aborted) return Promise.reject(signal.reason);
    if (this.#closed) return END;
    if (this.#waiter !== undefined) {
      return Promise.reject(new TypeError("broadcast receiver already has a pending recv()"));
    }
    const s = this.#shared;
    const oldest = s.oldest();
    if (this.#next < oldest) return Promise.reject(this.#lagged(oldest));
    if (this.#next < s.tail) return Promise.resolve(s.read(this.#next++));
    if (s.senders === 0) return END;
    return new Promise<T | undefined>((resolve, reject) => {
      const w: Waiter<T> = { rx: this, resolve, reject, signal, onAbort: undefined };
      if (signal !== undefined) {
        w.onAbort = () => {
          this.#waiter = undefined;
          s.dropWaiter(w);
          reject(signal.reason);
        };
        signal.addEventListener("abort", w.onAbort, { once: true });
      }
      this.#waiter = w;
      s.waiters.push(w);
    });
  }

  /**
   * Takes the next value without waiting: returns it, or `undefined` if
   * there is none yet ({@linkcode Receiver.done} tells whether one can still
   * come). Throws {@linkcode LaggedError} like `recv()`.
   *
   * @example
   * ```ts
   * import { broadcast } from "./mod.ts";
   * const [tx, rx] = broadcast.channel<number>(4);
   * console.log(rx.tryRecv()); // undefined
   * tx.send(1);
   * console.log(rx.tryRecv()); // 1
   * ```
   */
  tryRecv(): T | undefined {
    if (this.#closed) return undefined;
    const s = this.#shared;
    const oldest = s.oldest();
    if (this.#next < oldest) throw this.#lagged(oldest);
    return this.#next < s.tail ? s.read(this.#next++) : undefined;
  }

  /** How many values this receiver has not read yet (at most `capacity`). */
  get length(): number {
    if (this.#closed) return 0;
    return this.#shared.tail - Math.max(this.#next, this.#shared.oldest());
  }

  /** True when `recv()` would return the end marker at once. */
  get done(): boolean {
    return this.#closed || (this.#shared.senders === 0 && this.#next >= this.#shared.tail);
  }

  /**
   * Returns a receiver at the same position: it will see the same values
   * this one has not read yet.
   *
   * @example
   * ```ts
   * import { broadcast } from "./mod.ts";
   * const [tx, rx] = broadcast.channel<number>(4);
   * tx.send(1);
   * const copy = rx.clone();
   * console.log(await rx.recv(), await copy.recv()); // 1 1
   * ```
   */
  clone(): Receiver<T> {
    if (this.#closed) throw new TypeError("cannot clone a closed broadcast receiver");
    return newReceiver(this.#shared, Math.max(this.#next, this.#shared.oldest()));
  }

  /**
   * Returns a new receiver that sees only values sent from now on (Tokio's
   * `resubscribe`).
   *
   * @example
   * ```ts
   * import { broadcast } from "./mod.ts";
   * const [tx, rx] = broadcast.channel<number>(4);
   * tx.send(1);
   * const fresh = rx.resubscribe();
   * console.log(fresh.tryRecv()); // undefined
   * ```
   */
  resubscribe(): Receiver<T> {
    return newReceiver(this.#shared, this.#shared.tail);
  }

  /**
   * Closes this receiver (Tokio: dropping it): senders stop counting it and
   * the buffer lets go of the values it had not read. A pending `recv()`
   * resolves to `undefined`. Idempotent.
   *
   * @example
   * ```ts
   * import { broadcast } from "./mod.ts";
   * const [tx, rx] = broadcast.channel<number>(4);
   * rx.close();
   * console.log(tx.receiverCount); // 0
   * ```
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    const s = this.#shared;
    s.receivers--;
    s.unread(this.#next);
    const w = this.#waiter;
    if (w !== undefined) {
      this.#waiter = undefined;
      s.dropWaiter(w);
      w.resolve(undefined);
    }
  }

  /** Same as {@linkcode Receiver.close}, for `using`. */
  [Symbol.dispose](): void {
    this.close();
  }

  /**
   * Iterates over received values until the end marker. A lag is thrown as
   * {@linkcode LaggedError} (ending the loop); the receiver stays usable, so
   * a new loop continues from the oldest value kept. Breaking out of a loop
   * does not close the receiver.
   *
   * @example
   * ```ts
   * import { broadcast } from "./mod.ts";
   * const [tx, rx] = broadcast.channel<number>(4);
   * tx.send(1);
   * tx.send(2);
   * tx.close();
   * for await (const n of rx) console.log(n); // 1 2
   * ```
   */
  [Symbol.asyncIterator](): AsyncIterator<T, undefined> & AsyncIterable<T> {
    const iterator = {
      next: (): Promise<IteratorResult<T, undefined>> => this.recv().then(toResult),
      return: (): Promise<IteratorResult<T, undefined>> => Promise.resolve(END_RESULT),
      [Symbol.asyncIterator]: () => iterator,
    };
    return iterator;
  }

  #lagged(oldest: number): LaggedError {
    const missed = oldest - this.#next;
    this.#next = oldest;
    return new LaggedError(missed);
  }
}

function toResult<T>(value: T | undefined): IteratorResult<T, undefined> {
  return value === undefined ? END_RESULT : { done: false, value };
}
