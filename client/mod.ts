/**
 * The client library: {@linkcode connect} and {@linkcode Client} (one request
 * at a time), {@linkcode BufferedClient} (the connection manager: many tasks,
 * one connection, automatic pipelining), {@linkcode Subscriber} (pub/sub).
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
  type CliCommand,
  type CliIO,
  type CliOptions,
  type CliWriter,
  formatReply,
  runCli,
} from "./cli.ts";
export { type DemoOptions, runDemo } from "./demo.ts";
export {
  ClusterClient,
  type ClusterClientOptions,
  ClusterError,
  type ClusterOptions,
  type Seed,
} from "./cluster.ts";
export { ShardedSubscriber, type ShardedSubscriberOptions } from "./cluster_pubsub.ts";
export { keySlot } from "./cluster_slot.ts";
