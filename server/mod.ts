/**
 * The mini-redis server, for embedding: {@linkcode startServer} runs one
 * in this process (tests, an app that wants a private Redis), {@linkcode serve}
 * runs one until SIGINT/SIGTERM (what `mini-redis serve` does). Both take
 * {@linkcode ServerOptions}; extra commands are plain {@linkcode Command}
 * objects whose {@linkcode Handler} gets a {@linkcode Context} (the
 * keyspace, the calling client, the server) and returns a reply
 * {@linkcode Frame}.
 *
 * The other names exported here are the reply types a handler builds
 * (`SimpleString`, `RespMap`, `ReplyError`, ...) and the types those
 * signatures mention; the server's internals (the command table, the
 * connection loop, the pub/sub hub) are not part of this module.
 *
 * @example Start a server, talk to it, stop it
 * ```ts
 * import { startServer } from "./mod.ts";
 * await using server = await startServer({ port: 0, logLevel: "silent" });
 * const conn = await Deno.connect({ port: server.addr.port });
 * await conn.write(new TextEncoder().encode("PING\r\n"));
 * const buf = new Uint8Array(16);
 * const n = await conn.read(buf);
 * console.log(new TextDecoder().decode(buf.subarray(0, n!))); // "+PONG\r\n"
 * conn.close();
 * ```
 *
 * @example A command of your own
 * ```ts
 * import { type Command, startServer, STRING } from "./mod.ts";
 * // GETLEN key: the length of a string value (0 when missing)
 * const getlen: Command = {
 *   name: "getlen",
 *   arity: 2,
 *   flags: ["readonly", "fast"],
 *   firstKey: 1,
 *   lastKey: 1,
 *   step: 1,
 *   // (a wrong type makes `read` throw Redis's WRONGTYPE reply)
 *   handler: (ctx, args) => ctx.db.read(new TextDecoder("latin1").decode(args[1]), STRING)?.length ?? 0,
 * };
 * await using server = await startServer({ port: 0, logLevel: "silent", commands: [getlen] });
 * const conn = await Deno.connect({ port: server.addr.port });
 * await conn.write(new TextEncoder().encode("GETLEN nokey\r\n"));
 * const buf = new Uint8Array(16);
 * const n = await conn.read(buf);
 * console.log(new TextDecoder().decode(buf.subarray(0, n!))); // ":0\r\n"
 * conn.close();
 * ```
 *
 * @module
 */

export {
  PASSWORD_ENV,
  serve,
  type ServeOptions,
  type Server,
  type ServerOptions,
  startServer,
} from "./server.ts";
export { LOG_LEVELS, Logger, type LogLevel, type LogSink } from "./log.ts";
export {
  type ClientHandle,
  type ClientState,
  type Command,
  type CommandFlag,
  type CommandTable,
  type Context,
  createClientState,
  type Handler,
  type HandlerMap,
  NO_REPLY,
  type OutputLimit,
  type ResolvedCommand,
  type ServerSettings,
  type ServerState,
  type ServerStats,
} from "./command.ts";
export { createServerState, type ServerStateInit } from "./server.ts";
export { type Message, PubSub, type PubSubOptions, type Subscriber } from "./pubsub.ts";
export {
  type Entry,
  type KeyListener,
  Keyspace,
  type KeyspaceOptions,
  type NotifyHook,
  type RedisObject,
  STRING,
  type Value,
  type ValueType,
  WRONGTYPE,
} from "./db/keyspace.ts";
export type { Blocking, WaitRequest } from "./db/blocking.ts";
export type { EncodingLimits } from "./types/limits.ts";
export type {
  BeginSearch,
  CommandArg,
  CommandArgType,
  CommandDocs,
  CommandMeta,
  FindKeys,
  KeySpec,
} from "./commands/meta.ts";
export type { Config, ConfigParam } from "./config.ts";
export type { CommandStats, Histogram } from "./stats.ts";
export type { Transaction, Watch } from "./commands/transactions.ts";
export {
  Attribute,
  BigNumber,
  BinaryString,
  Double,
  type Frame,
  NullArray,
  OK,
  Push,
  ReplyError,
  RespMap,
  RespSet,
  SimpleString,
  VerbatimString,
} from "../resp/mod.ts";
