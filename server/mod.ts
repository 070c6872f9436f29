/**
 * The mini-redis server: listener, per-connection loop, keyspace with
 * expiry, the command table, pub/sub with keyspace notifications, and
 * AUTH.
 *
 * @example
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
 * @module
 */

export {
  createServerState,
  PASSWORD_ENV,
  serve,
  type ServeOptions,
  type Server,
  type ServerOptions,
  type ServerStateInit,
  startServer,
} from "./server.ts";
export { LOG_LEVELS, Logger, type LogLevel, type LogSink } from "./log.ts";
export {
  arityError,
  authRequired,
  type ClientHandle,
  type ClientState,
  type Command,
  type CommandFlag,
  CommandTable,
  type Context,
  createClientState,
  execute,
  type Handler,
  type HandlerMap,
  NO_REPLY,
  NOAUTH_ERROR,
  type OutputLimit,
  refreshGate,
  type ResolvedCommand,
  type ServerSettings,
  type ServerState,
  type ServerStats,
  unknownCommandError,
} from "./command.ts";
export { Message, PubSub, type PubSubOptions, Subscriber } from "./pubsub.ts";
export { formatNotifyFlags, notifyHook, parseNotifyFlags } from "./db/notify.ts";
export {
  cloneValue,
  Entry,
  type KeyListener,
  Keyspace,
  type KeyspaceOptions,
  type NotifyHook,
  type RedisObject,
  STRING,
  typeOf,
  type Value,
  valueAs,
  type ValueType,
  WRONGTYPE,
} from "./db/keyspace.ts";
export { Blocking, UNBLOCKED_ERROR, type WaitRequest } from "./db/blocking.ts";
export { DEFAULT_ENCODING_LIMITS, type EncodingLimits } from "./types/limits.ts";
export { builtinCommands, createCommandTable } from "./commands/mod.ts";
export type {
  CommandArg,
  CommandArgType,
  CommandDocs,
  CommandMeta,
  KeySpec,
} from "./commands/meta.ts";
export { Config, type ConfigParam } from "./config.ts";
export { globMatch } from "./glob.ts";
export * as args from "./args.ts";
