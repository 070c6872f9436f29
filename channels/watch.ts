/**
 * Latest-value channel: Tokio's `tokio::sync::watch`. No history is kept;
 * receivers read the current value and can wait for it to change. Good for
 * state that only matters in its latest form: a shutdown flag, a connection
 * state, a configuration.
 *
 * ```ts
 * import { watch } from "./mod.ts";
 *
 * const [tx, rx] = watch.channel<"connecting" | "ready" | "closed">("connecting");
 * void (async () => {
 *   tx.send("ready");
 *   tx.close();
 * })();
 * await rx.changed();
 * console.log(rx.borrow()); // "ready"
 * ```
 *
 * Every send bumps a version number; each receiver remembers the version it
 * has seen. {@linkcode Receiver.changed} resolves as soon as the current
 * version is newer than the seen one and marks it seen, so a slow receiver
 * skips intermediate values and wakes once for any number of sends.
 *
 * ## Why not a stream
 *
 * A stream's queue keeps every chunk until it is read; watch must keep only
 * the last value, and a stream cannot replace what it has queued. A value
 * plus a version number is the whole data structure.
 *
 * ## Release instead of Drop
 *
 * Release handles with `close()` or `using`. When the last sender is
 * released, `changed()` rejects with {@linkcode RecvError} (once the
 * receiver has seen the last value), and iteration ends; `borrow()` still
 * returns the last value.
 *
 * @module
 */

import { RecvError, SendError } from "./errors.ts";

const RESOLVED: Promise<void> = Promise.resolve();
const END_RESULT: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined });

interface Waiter {
  owner: object;
  resolve(): void;
  reject(reason: unknown): void;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

/** State shared by every handle of one channel. Internal. */
class Shared<T> {
  value: T;
  version = 0;
  senders = 1;
  receivers = 0;
  waiters: Set<Waiter> = new Set();
  closedPromise: Promise<void> | undefined = undefined;
  resolveClosed: (() => void) | undefined = undefined;

  constructor(value: T) {
    this.value = value;
  }

  /** Wakes every waiting `changed()`. */
  wake(): void {
    if (this.waiters.size === 0) return;
    const waiters = this.waiters;
    this.waiters = new Set();
    for (const w of waiters) {
      if (w.signal !== undefined) w.signal.removeEventListener("abort", w.onAbort!);
      w.resolve();
    }
  }

  /** The last sender is gone: waiting `changed()` calls reject. */
  finish(): void {
    const waiters = this.waiters;
    this.waiters = new Set();
    for (const w of waiters) {
      if (w.signal !== undefined) w.signal.removeEventListener("abort", w.onAbort!);
      w.reject(new RecvError());
    }
  }

  receiverGone(): void {
    if (--this.receivers !== 0) return;
    const resolve = this.resolveClosed;
    this.closedPromise = this.resolveClosed = undefined;
    resolve?.();
  }
}

let newSender: <T>(shared: Shared<T>) => Sender<T>;
let newReceiver: <T>(shared: Shared<T>, seen: number) => Receiver<T>;

/**
 * Creates a watch channel holding `initial`. Returns `[sender, receiver]`;
 * the receiver has seen `initial` already, so its first `changed()` waits
 * for the first send.
 *
 * @example
 * ```ts
 * import { watch } from "./mod.ts";
 * const [tx, rx] = watch.channel(0);
 * tx.send(1);
 * tx.send(2);
 * await rx.changed(); // once, for both sends
 * console.log(rx.borrow()); // 2
 * ```
 */
export function channel<T>(initial: T): [Sender<T>, Receiver<T>] {
  const shared = new Shared(initial);
  return [newSender(shared), newReceiver(shared, 0)];
}

/**
 * The sending half of a watch channel.
 *
 * @example
 * ```ts
 * import { watch } from "./mod.ts";
 * const [shutdownTx, shutdownRx] = watch.channel(false);
 * // ... in every connection task: await shutdownRx.clone().changed()
 * shutdownTx.send(true);
 * console.log(shutdownRx.borrow()); // true
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
   * Replaces the value and wakes every receiver waiting in `changed()`.
   * Returns `true` if at least one receiver is open. The value is stored
   * even when none is, so later subscribers see it (Tokio's `send` refuses
   * then; its `send_replace` does not, and this follows `send_replace`).
   * Throws a {@linkcode SendError} if this sender was released.
   *
   * @example
   * ```ts
   * import { watch } from "./mod.ts";
   * const [tx, rx] = watch.channel("a");
   * console.log(tx.send("b")); // true
   * rx.close();
   * console.log(tx.send("c"), tx.borrow()); // false "c"
   * ```
   */
  send(value: T): boolean {
    this.sendReplace(value);
    return this.#shared.receivers !== 0;
  }

  /**
   * Like {@linkcode Sender.send}, but returns the value it replaced.
   *
   * @example
   * ```ts
   * import { watch } from "./mod.ts";
   * const [tx] = watch.channel(1);
   * console.log(tx.sendReplace(2)); // 1
   * ```
   */
  sendReplace(value: T): T {
    if (this.#released) throw new SendError(value, "watch sender released");
    const s = this.#shared;
    const old = s.value;
    s.value = value;
    s.version++;
    s.wake();
    return old;
  }

  /**
   * Changes the value in place with `modify`, which returns whether it
   * changed anything; receivers are notified only if it did (Tokio's
   * `send_if_modified`). Returns what `modify` returned.
   *
   * @example
   * ```ts
   * import { watch } from "./mod.ts";
   * const [tx, rx] = watch.channel({ clients: 0 });
   * tx.sendIfModified((state) => {
   *   state.clients++;
   *   return true;
   * });
   * console.log(rx.hasChanged(), rx.borrow().clients); // true 1
   * ```
   */
  sendIfModified(modify: (value: T) => boolean): boolean {
    if (this.#released) throw new SendError(undefined, "watch sender released");
    const s = this.#shared;
    if (!modify(s.value)) return false;
    s.version++;
    s.wake();
    return true;
  }

  /** The current value. */
  borrow(): T {
    return this.#shared.value;
  }

  /**
   * Creates a receiver that has seen the current value.
   *
   * @example
   * ```ts
   * import { watch } from "./mod.ts";
   * const [tx, rx] = watch.channel(1);
   * rx.close();
   * const again = tx.subscribe();
   * console.log(again.borrow(), again.hasChanged()); // 1 false
   * ```
   */
  subscribe(): Receiver<T> {
    return newReceiver(this.#shared, this.#shared.version);
  }

  /**
   * Returns another sender for the same channel.
   *
   * @example
   * ```ts
   * import { watch } from "./mod.ts";
   * const [tx, rx] = watch.channel(0);
   * using tx2 = tx.clone();
   * tx2.send(5);
   * console.log(rx.borrow()); // 5
   * ```
   */
  clone(): Sender<T> {
    if (this.#released) throw new TypeError("cannot clone a released watch sender");
    this.#shared.senders++;
    return newSender(this.#shared);
  }

  /**
   * Releases this sender (Tokio: dropping it). Idempotent. After the last
   * one, receivers' `changed()` rejects with {@linkcode RecvError} once
   * they have seen the last value.
   *
   * @example
   * ```ts
   * import { watch } from "./mod.ts";
   * const [tx, rx] = watch.channel(0);
   * tx.close();
   * await rx.changed().catch((e) => console.log(e.name)); // RecvError
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

  /** True when no receiver is open (a `subscribe()` can open one again). */
  get closed(): boolean {
    return this.#shared.receivers === 0;
  }

  /** True once this handle was released. */
  get released(): boolean {
    return this.#released;
  }

  /**
   * Resolves when no receiver is open (Tokio's `Sender::closed()`).
   *
   * @example
   * ```ts
   * import { watch } from "./mod.ts";
   * const [tx, rx] = watch.channel(0);
   * const gone = tx.whenClosed();
   * rx.close();
   * await gone;
   * ```
   */
  whenClosed(): Promise<void> {
    const s = this.#shared;
    if (s.receivers === 0) return RESOLVED;
    return s.closedPromise ??= new Promise<void>((resolve) => s.resolveClosed = resolve);
  }
}

/**
 * A receiving half of a watch channel.
 *
 * @example
 * ```ts
 * import { watch } from "./mod.ts";
 * const [tx, rx] = watch.channel("v1");
 * tx.send("v2");
 * tx.send("v3");
 * await rx.changed();
 * console.log(rx.borrow()); // "v3": "v2" was skipped
 * ```
 */
export class Receiver<T> implements AsyncIterable<T>, Disposable {
  #shared: Shared<T>;
  #seen: number;
  #closed = false;
  /** Runs when a woken `changed()` resumes: marks the value current then seen. */
  #markCurrent = (): void => {
    this.#seen = this.#shared.version;
  };

  private constructor(shared: Shared<T>, seen: number) {
    this.#shared = shared;
    this.#seen = seen;
    shared.receivers++;
  }

  static {
    newReceiver = (shared, seen) => new Receiver(shared, seen);
  }

  /** The current value; does not mark it seen. */
  borrow(): T {
    return this.#shared.value;
  }

  /**
   * The current value, marked seen: `changed()` will wait for a newer one.
   *
   * @example
   * ```ts
   * import { watch } from "./mod.ts";
   * const [tx, rx] = watch.channel(1);
   * tx.send(2);
   * console.log(rx.borrowAndUpdate(), rx.hasChanged()); // 2 false
   * ```
   */
  borrowAndUpdate(): T {
    this.#seen = this.#shared.version;
    return this.#shared.value;
  }

  /** True if the current value is newer than the last one seen. */
  hasChanged(): boolean {
    return this.#shared.version !== this.#seen;
  }

  /** Marks the current value seen. */
  markSeen(): void {
    this.#seen = this.#shared.version;
  }

  /** Marks the current value unseen: the next `changed()` resolves at once. */
  markChanged(): void {
    this.#seen = this.#shared.version - 1;
  }

  /** True once every sender is released (no value will change any more). */
  get closed(): boolean {
    return this.#shared.senders === 0;
  }

  /**
   * Waits until the value is newer than the last one seen, then marks it
   * seen. Resolves at once if it already is, even after the senders are
   * gone. Rejects with {@linkcode RecvError} if every sender is released
   * (and the current value was seen), or this receiver is closed.
   *
   * With a `signal`: an abort rejects with `signal.reason` and leaves the
   * seen version alone, so a later `changed()` still reports the change.
   *
   * @example
   * ```ts
   * import { watch } from "./mod.ts";
   * const [tx, rx] = watch.channel(0);
   * setTimeout(() => tx.send(1), 0);
   * await rx.changed();
   * console.log(rx.borrow()); // 1
   * ```
   */
  changed(signal?: AbortSignal): Promise<void> {
    if (signal !== undefined && signal.aborted) return Promise.reject(signal.reason);
    if (this.#closed) return Promise.reject(new RecvError("watch receiver closed"));
    const s = this.#shared;
    if (s.version !== this.#seen) {
      this.#seen = s.version;
      return RESOLVED;
    }
    if (s.senders === 0) return Promise.reject(new RecvError());
    const woken = new Promise<void>((resolve, reject) => {
      const w: Waiter = { owner: this, resolve, reject, signal, onAbort: undefined };
      if (signal !== undefined) {
        w.onAbort = () => {
          s.waiters.delete(w);
          reject(signal.reason);
        };
        signal.addEventListener("abort", w.onAbort, { once: true });
      }
      s.waiters.add(w);
    });
    // Like Tokio, mark seen the version current when the waiter resumes, so
    // sends made in between do not cause a second wake-up.
    return woken.then(this.#markCurrent);
  }

  /**
   * Returns a receiver that has seen the same version as this one.
   *
   * @example
   * ```ts
   * import { watch } from "./mod.ts";
   * const [tx, rx] = watch.channel(0);
   * tx.send(1);
   * const copy = rx.clone();
   * console.log(copy.hasChanged()); // true, like rx
   * ```
   */
  clone(): Receiver<T> {
    if (this.#closed) throw new TypeError("cannot clone a closed watch receiver");
    return newReceiver(this.#shared, this.#seen);
  }

  /**
   * Closes this receiver (Tokio: dropping it); a pending `changed()` rejects
   * with {@linkcode RecvError}. Idempotent.
   *
   * @example
   * ```ts
   * import { watch } from "./mod.ts";
   * const [tx, rx] = watch.channel(0);
   * rx.close();
   * console.log(tx.receiverCount); // 0
   * ```
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    const s = this.#shared;
    for (const w of s.waiters) {
      if (w.owner !== this) continue;
      s.waiters.delete(w);
      if (w.signal !== undefined) w.signal.removeEventListener("abort", w.onAbort!);
      w.reject(new RecvError("watch receiver closed"));
    }
    s.receiverGone();
  }

  /** Same as {@linkcode Receiver.close}, for `using`. */
  [Symbol.dispose](): void {
    this.close();
  }

  /**
   * Yields the current value at once, then the latest value after each
   * change (intermediate values may be skipped); ends when every sender is
   * released or the receiver is closed. Breaking out of the loop does not
   * close the receiver.
   *
   * @example
   * ```ts
   * import { watch } from "./mod.ts";
   * const [tx, rx] = watch.channel(false);
   * setTimeout(() => tx.send(true), 0);
   * for await (const shuttingDown of rx) {
   *   if (shuttingDown) break;
   * }
   * ```
   */
  [Symbol.asyncIterator](): AsyncIterator<T, undefined> & AsyncIterable<T> {
    let first = true;
    const value = (): IteratorResult<T, undefined> => ({
      done: false,
      value: this.borrowAndUpdate(),
    });
    const iterator = {
      next: (): Promise<IteratorResult<T, undefined>> => {
        if (first) {
          first = false;
          return Promise.resolve(this.#closed ? END_RESULT : value());
        }
        return this.changed().then(value, (error) => {
          if (error instanceof RecvError) return END_RESULT;
          throw error;
        });
      },
      return: (): Promise<IteratorResult<T, undefined>> => Promise.resolve(END_RESULT),
      [Symbol.asyncIterator]: () => iterator,
    };
    return iterator;
  }
}
