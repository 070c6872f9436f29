/**
 * Single-value channel: Tokio's `tokio::sync::oneshot`. The usual way to get
 * a reply back from a task: put the {@linkcode Sender} in the request, await
 * the {@linkcode Receiver}.
 *
 * ```ts
 * import { mpsc, oneshot } from "./mod.ts";
 *
 * type Request = { key: string; reply: oneshot.Sender<string> };
 * const [tx, rx] = mpsc.channel<Request>(32);
 *
 * // The manager task answers each request through its oneshot sender.
 * void (async () => {
 *   for await (const { key, reply } of rx) reply.send(`value of ${key}`);
 * })();
 *
 * const [replyTx, replyRx] = oneshot.channel<string>();
 * await tx.send({ key: "hello", reply: replyTx });
 * console.log(await replyRx); // "value of hello"
 * tx.close();
 * ```
 *
 * ## Why not a stream
 *
 * A oneshot carries exactly one value, so it has no queue and nothing to
 * apply backpressure to; a Web Stream would add a reader, a queue and a
 * result object per value to what is one promise. A client allocates one per
 * command, so it is a plain promise, created only when somebody waits: a
 * reply sent before anybody awaits costs no pending promise at all.
 *
 * ## Release instead of Drop
 *
 * A sender released with `close()` (or `using`) without sending makes the
 * receiver reject with {@linkcode RecvError} at once, so a receiver never
 * hangs on a sender that is gone. A closed receiver makes `send()` return
 * `false`, and {@linkcode Sender.closed} tells a producer nobody waits any
 * more.
 *
 * @module
 */

import { RecvError, SendError } from "./errors.ts";

const RESOLVED: Promise<void> = Promise.resolve();

/** Shared state of one oneshot. Internal. */
class Shot<T> {
  value: T | undefined = undefined;
  /** A value was sent and is still held. */
  hasValue = false;
  /** The sender sent or was released: nothing more will come from it. */
  txDone = false;
  rxClosed = false;
  promise: Promise<T> | undefined = undefined;
  resolve: ((value: T) => void) | undefined = undefined;
  reject: ((reason: unknown) => void) | undefined = undefined;
  closedPromise: Promise<void> | undefined = undefined;
  resolveClosed: (() => void) | undefined = undefined;

  /** The promise of the value; shared by every `recv()` without a signal. */
  result(): Promise<T> {
    if (this.promise !== undefined) return this.promise;
    if (this.hasValue) return this.promise = Promise.resolve(this.value as T);
    if (this.txDone || this.rxClosed) return Promise.reject(new RecvError());
    return this.promise = new Promise<T>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }

  /** Fails a pending receive: no value will come. */
  fail(): void {
    const reject = this.reject;
    if (reject === undefined) return;
    this.resolve = this.reject = undefined;
    reject(new RecvError());
  }
}

let newSender: <T>(shot: Shot<T>) => Sender<T>;
let newReceiver: <T>(shot: Shot<T>) => Receiver<T>;

/**
 * Creates a oneshot channel. Returns `[sender, receiver]`.
 *
 * @example
 * ```ts
 * import { oneshot } from "./mod.ts";
 * const [tx, rx] = oneshot.channel<number>();
 * setTimeout(() => tx.send(42), 0);
 * console.log(await rx); // 42
 * ```
 */
export function channel<T>(): [Sender<T>, Receiver<T>] {
  const shot = new Shot<T>();
  return [newSender(shot), newReceiver(shot)];
}

/**
 * The sending half of a oneshot channel: sends one value, at most once.
 *
 * @example
 * ```ts
 * import { oneshot } from "./mod.ts";
 * const [tx, rx] = oneshot.channel<string>();
 * console.log(tx.send("done")); // true: the receiver will get it
 * console.log(await rx.recv()); // "done"
 * ```
 */
export class Sender<T> implements Disposable {
  #shot: Shot<T>;

  private constructor(shot: Shot<T>) {
    this.#shot = shot;
  }

  static {
    newSender = (shot) => new Sender(shot);
  }

  /**
   * Sends `value`. Returns `true` if the receiver will get it, `false` if the
   * receiver is already closed (the value was not delivered and stays with
   * the caller; Tokio returns it as `Err(value)`). Never waits.
   *
   * A sender sends at most once: a second `send`, or a send after `close()`,
   * throws a {@linkcode SendError} carrying `value`.
   *
   * @example
   * ```ts
   * import { oneshot } from "./mod.ts";
   * const [tx, rx] = oneshot.channel<number>();
   * rx.close();
   * console.log(tx.send(1)); // false: nobody will receive it
   * ```
   */
  send(value: T): boolean {
    const shot = this.#shot;
    if (shot.txDone) throw new SendError(value, "oneshot sender already used");
    shot.txDone = true;
    if (shot.rxClosed) return false;
    shot.value = value;
    shot.hasValue = true;
    const resolve = shot.resolve;
    if (resolve !== undefined) {
      shot.resolve = shot.reject = undefined;
      resolve(value);
    }
    return true;
  }

  /**
   * Releases the sender (Tokio: dropping it). If no value was sent, the
   * receiver rejects with {@linkcode RecvError} at once. Idempotent, and a
   * no-op after `send`.
   *
   * @example
   * ```ts
   * import { oneshot, RecvError } from "./mod.ts";
   * const [tx, rx] = oneshot.channel<number>();
   * tx.close();
   * await rx.recv().catch((e) => console.log(e instanceof RecvError)); // true
   * ```
   */
  close(): void {
    const shot = this.#shot;
    if (shot.txDone) return;
    shot.txDone = true;
    shot.fail();
  }

  /** Same as {@linkcode Sender.close}, for `using`. */
  [Symbol.dispose](): void {
    this.close();
  }

  /**
   * True once the receiver is closed: a value sent now would not be
   * received, so the work that produces it can be skipped.
   *
   * @example
   * ```ts
   * import { oneshot } from "./mod.ts";
   * const [tx, rx] = oneshot.channel<number>();
   * console.log(tx.closed); // false
   * rx.close();
   * console.log(tx.closed); // true
   * ```
   */
  get closed(): boolean {
    return this.#shot.rxClosed;
  }

  /**
   * Resolves when the receiver is closed (Tokio's `Sender::closed()`), for
   * racing expensive work against the requester giving up.
   *
   * @example
   * ```ts
   * import { oneshot } from "./mod.ts";
   * const [tx, rx] = oneshot.channel<number>();
   * const gone = tx.whenClosed();
   * rx.close();
   * await gone;
   * ```
   */
  whenClosed(): Promise<void> {
    const shot = this.#shot;
    if (shot.rxClosed) return RESOLVED;
    return shot.closedPromise ??= new Promise<void>((resolve) => shot.resolveClosed = resolve);
  }
}

/**
 * The receiving half of a oneshot channel. It is awaitable: `await rx` is
 * `await rx.recv()`. (Being a thenable, it is also unwrapped when returned
 * from an `async` function or passed to `Promise.resolve`: return it inside
 * an object or tuple if you mean to hand the receiver itself over. And
 * awaiting a thenable costs the engine an extra job and promise, so on a hot
 * path prefer `await rx.recv()`, which returns a native promise.)
 *
 * @example
 * ```ts
 * import { oneshot } from "./mod.ts";
 * const [tx, rx] = oneshot.channel<string>();
 * tx.send("pong");
 * console.log(await rx); // "pong"
 * ```
 */
export class Receiver<T> implements PromiseLike<T>, Disposable {
  #shot: Shot<T>;

  private constructor(shot: Shot<T>) {
    this.#shot = shot;
  }

  static {
    newReceiver = (shot) => new Receiver(shot);
  }

  /**
   * Waits for the value. Rejects with {@linkcode RecvError} if the sender
   * was released without sending, or the receiver was closed before a value
   * arrived. Can be called again: every call gets the same value.
   *
   * With a `signal`: if it aborts first, this call rejects with
   * `signal.reason` and the value is kept for a later call.
   *
   * @example
   * ```ts
   * import { oneshot } from "./mod.ts";
   * const [tx, rx] = oneshot.channel<number>();
   * const ac = new AbortController();
   * const first = rx.recv(ac.signal);
   * ac.abort(new Error("timeout"));
   * await first.catch((e) => console.log(e.message)); // timeout
   * tx.send(5);
   * console.log(await rx.recv()); // 5: not lost
   * ```
   */
  recv(signal?: AbortSignal): Promise<T> {
    if (signal === undefined) return this.#shot.result();
    if (signal.aborted) return Promise.reject(signal.reason);
    const result = this.#shot.result();
    if (this.#shot.hasValue || this.#shot.txDone || this.#shot.rxClosed) return result;
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => reject(signal.reason);
      signal.addEventListener("abort", onAbort, { once: true });
      result.then((value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      }, (error) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      });
    });
  }

  /**
   * Makes the receiver awaitable; same as `recv().then(...)`.
   *
   * @example
   * ```ts
   * import { oneshot } from "./mod.ts";
   * const [tx, rx] = oneshot.channel<number>();
   * tx.send(1);
   * rx.then((n) => console.log(n)); // 1
   * ```
   */
  then<R1 = T, R2 = never>(
    onfulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null,
    onrejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    return this.#shot.result().then(onfulfilled, onrejected);
  }

  /**
   * Returns the value if it has been sent, `undefined` if not yet, without
   * waiting. Throws {@linkcode RecvError} if it never will be (the sender
   * was released without sending, or this receiver was closed first).
   *
   * @example
   * ```ts
   * import { oneshot } from "./mod.ts";
   * const [tx, rx] = oneshot.channel<number>();
   * console.log(rx.tryRecv()); // undefined
   * tx.send(3);
   * console.log(rx.tryRecv()); // 3
   * ```
   */
  tryRecv(): T | undefined {
    const shot = this.#shot;
    if (shot.hasValue) return shot.value;
    if (shot.txDone || shot.rxClosed) throw new RecvError();
    return undefined;
  }

  /**
   * Closes the receiver (Tokio's `Receiver::close`): the sender's
   * {@linkcode Sender.closed} turns true and a later `send` returns `false`.
   * A value sent before the close can still be received; otherwise pending
   * and later receives reject with {@linkcode RecvError}. Idempotent.
   *
   * @example
   * ```ts
   * import { oneshot } from "./mod.ts";
   * const [tx, rx] = oneshot.channel<number>();
   * rx.close();
   * console.log(tx.closed, tx.send(1)); // true false
   * ```
   */
  close(): void {
    const shot = this.#shot;
    if (shot.rxClosed) return;
    shot.rxClosed = true;
    shot.resolveClosed?.();
    if (!shot.hasValue) shot.fail();
  }

  /** Closes the receiver and drops a value that was sent but not received. */
  [Symbol.dispose](): void {
    this.close();
    const shot = this.#shot;
    shot.hasValue = false;
    shot.value = undefined;
    shot.promise = undefined;
  }
}
