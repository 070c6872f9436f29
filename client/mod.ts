/**
 * The client library, for our server and for real Redis alike:
 * {@linkcode connect} and {@linkcode Client} (one request at a time),
 * {@linkcode BufferedClient} (many tasks share one connection; their
 * commands are pipelined), {@linkcode Subscriber} (pub/sub),
 * {@linkcode ClusterClient} (Redis Cluster: commands go to the node serving
 * their key, MOVED/ASK are followed). Typed methods (`get`, `set`, `incr`,
 * ...) come from {@linkcode Commands}; `send` sends any command and
 * returns the raw reply {@linkcode Frame}. A reply error rejects with
 * {@linkcode ReplyError}, a lost connection with {@linkcode ConnectionError}.
 *
 * @example
 * ```ts ignore
 * import { BufferedClient, connect } from "./mod.ts";
 *
 * const client = await connect("127.0.0.1:6379");
 * await client.set("hello", "world");
 * console.log(await client.get("hello")); // "world"
 * await using shared = BufferedClient.from(client, { capacity: 32 });
 * await Promise.all([shared.set("a", "1"), shared.get("b")]);
 * ```
 *
 * @example Any command, its reply as sent
 * ```ts ignore
 * import { connect } from "./mod.ts";
 * await using client = await connect("redis://127.0.0.1:6379");
 * console.log(await client.send(["CONFIG", "GET", "maxmemory"])); // [Uint8Array "maxmemory", Uint8Array "0"]
 * ```
 *
 * @module
 */

export { Client } from "./client.ts";
export { connect } from "./connect.ts";
export { buffer, BufferedClient, type BufferedOptions } from "./buffered.ts";
export {
  DEFAULT_MAX_QUEUED,
  type Message,
  Subscriber,
  type SubscriberOptions,
} from "./subscriber.ts";
export {
  type Arg,
  type CommandOptions,
  Commands,
  type ExpireMode,
  type GetExOptions,
  type ScanOptions,
  type SetOptions,
  type Value,
} from "./commands.ts";
export type { ConnectionState } from "./connection.ts";
export { ConnectionError, ReplyError } from "./errors.ts";
export type { Address, ClientOptions, ReconnectOptions, ResolvedOptions } from "./options.ts";
export {
  ClusterClient,
  type ClusterClientOptions,
  ClusterError,
  type ClusterOptions,
  type Seed,
} from "./cluster.ts";
export { ShardedSubscriber, type ShardedSubscriberOptions } from "./cluster_pubsub.ts";
export { keySlot } from "./cluster_slot.ts";
export type { Receiver as StateReceiver } from "../channels/watch.ts";
export {
  Attribute,
  BigNumber,
  BinaryString,
  Double,
  type Frame,
  NullArray,
  Push,
  RespMap,
  RespSet,
  SimpleString,
  VerbatimString,
} from "../resp/mod.ts";
