/**
 * Errors raised by the channels in this folder.
 *
 * Tokio returns these as `Err(...)` values; here they are thrown, or used to
 * reject a promise. Each one is an `Error` subclass so `instanceof` works and
 * a stack trace points at the caller.
 *
 * @module
 */

/**
 * A value could not be sent because nobody will ever receive it: the
 * receiving side was closed (or this sender was already released). The value
 * is handed back in {@linkcode SendError.value}, like Tokio's `SendError(T)`.
 *
 * @example
 * ```ts
 * import { mpsc, SendError } from "./mod.ts";
 * const [tx, rx] = mpsc.channel<string>(1);
 * rx.close();
 * try {
 *   await tx.send("hello");
 * } catch (e) {
 *   if (e instanceof SendError) console.log("not delivered:", e.value);
 * }
 * ```
 */
export class SendError<T = unknown> extends Error {
  /** The value that was not sent, returned to the caller. */
  readonly value: T;

  /**
   * Creates the error, keeping `value` for the caller.
   *
   * @param value the value that could not be sent
   * @param message what went wrong; defaults to `"channel closed"`
   */
  constructor(value: T, message = "channel closed") {
    super(message);
    this.name = "SendError";
    this.value = value;
  }
}

/**
 * A receive failed because the channel is closed and no value will come:
 * a oneshot sender released without sending, a watch sender released, or a
 * receiver used after its own `close()`.
 *
 * (An mpsc or broadcast receiver does not raise this at the end of the
 * stream: its `recv()` returns `undefined`, the end marker.)
 *
 * @example
 * ```ts
 * import { oneshot, RecvError } from "./mod.ts";
 * const [tx, rx] = oneshot.channel<number>();
 * tx.close(); // released without sending
 * try {
 *   await rx;
 * } catch (e) {
 *   console.log(e instanceof RecvError); // true
 * }
 * ```
 */
export class RecvError extends Error {
  /**
   * Creates the error.
   *
   * @param message what went wrong; defaults to `"channel closed"`
   */
  constructor(message = "channel closed") {
    super(message);
    this.name = "RecvError";
  }
}

/**
 * A broadcast receiver fell more than `capacity` values behind; the oldest
 * values it had not read were overwritten. {@linkcode LaggedError.missed}
 * says how many. The receiver stays usable: its next `recv()` returns the
 * oldest value still kept (Tokio's `RecvError::Lagged(n)`).
 *
 * @example
 * ```ts
 * import { broadcast, LaggedError } from "./mod.ts";
 * const [tx, rx] = broadcast.channel<number>(2);
 * for (let i = 0; i < 5; i++) tx.send(i);
 * try {
 *   await rx.recv();
 * } catch (e) {
 *   if (e instanceof LaggedError) console.log(e.missed); // 3
 * }
 * console.log(await rx.recv()); // 3
 * ```
 */
export class LaggedError extends Error {
  /** How many values this receiver missed. */
  readonly missed: number;

  /**
   * Creates the error.
   *
   * @param missed how many values the receiver missed
   */
  constructor(missed: number) {
    super(`receiver lagged by ${missed} values`);
    this.name = "LaggedError";
    this.missed = missed;
  }
}
