/**
 * {@linkcode connect}: the usual way to open a {@linkcode Client}.
 *
 * @module
 */

import { Client } from "./client.ts";
import type { Address, ClientOptions } from "./options.ts";

/**
 * Connects to a server and returns a {@linkcode Client} once the connection
 * and its handshake are done.
 *
 * `address` is `"host:port"` (port defaults to 6379), `{ hostname, port }`,
 * or a URL `redis://[[username]:password@]host[:port][/db]`. Options:
 * `protocol: 3` (sends `HELLO 3`), `username`/`password` (AUTH, re-sent on
 * every reconnection), `db`, `commandTimeout`, `connectTimeout`, `reconnect`
 * (`{ initialDelay, maxDelay, maxWait }` or `false`).
 *
 * The first connection is not retried: it rejects with a `ConnectionError`
 * (e.g. `Could not connect to 127.0.0.1:6379: Connection refused`), or with
 * the handshake's `ReplyError` (e.g. `WRONGPASS ...`). Later losses are
 * retried with exponential backoff and jitter.
 *
 * @example
 * ```ts ignore
 * import { connect } from "./mod.ts";
 * await using client = await connect("redis://:secret@127.0.0.1:6379/0", { protocol: 3 });
 * await client.set("session", "x", { px: 500 });
 * ```
 */
export function connect(address: Address, options?: ClientOptions): Promise<Client> {
  return Client.connect(address, options);
}
