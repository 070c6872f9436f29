/**
 * Errors of the client. A command rejects with:
 *
 * - {@linkcode ReplyError} when the server answered with an error reply
 *   (`-ERR ...`); only that command fails, the connection stays usable;
 * - {@linkcode ConnectionError} when the connection was lost after the command
 *   was written (it is not resent: it may not be idempotent), when the client
 *   is closed, or when no connection could be made in time;
 * - the abort reason when its `signal` aborted, or a `DOMException` named
 *   `TimeoutError` when the client's `commandTimeout` elapsed.
 *
 * @module
 */

import { ReplyError } from "../resp/frame.ts";

export { ReplyError };

/**
 * The connection to the server failed: it could not be opened, it was lost
 * while a command was in flight, or the client is closed. `cause` carries the
 * underlying error when there is one.
 *
 * @example
 * ```ts
 * import { ConnectionError } from "./errors.ts";
 * const e = new ConnectionError("Connection is closed");
 * console.log(e instanceof ConnectionError, e.name); // true "ConnectionError"
 * ```
 */
export class ConnectionError extends Error {
  /**
   * Creates the error.
   *
   * @param message what happened, e.g. `Connection lost`
   * @param options `cause`: the underlying error, if any
   */
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "ConnectionError";
  }
}
