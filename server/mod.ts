/**
 * The mini-redis server: listener, per-connection loop, keyspace with
 * expiry, and the command table.
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
  serve,
  type ServeOptions,
  type Server,
  type ServerOptions,
  startServer,
} from "./server.ts";
export { LOG_LEVELS, Logger, type LogLevel, type LogSink } from "./log.ts";
export {
  arityError,
  type ClientState,
  type Command,
  type CommandFlag,
  CommandTable,
  type Context,
  execute,
  type Handler,
  type ResolvedCommand,
  type ServerSettings,
  type ServerState,
  unknownCommandError,
} from "./command.ts";
export {
  cloneValue,
  Entry,
  Keyspace,
  type KeyspaceOptions,
  type NotifyHook,
  type RedisObject,
  typeOf,
  type Value,
  WRONGTYPE,
} from "./keyspace.ts";
export { builtinCommands, createCommandTable } from "./commands/mod.ts";
export { Config, type ConfigParam } from "./config.ts";
export { globMatch } from "./glob.ts";
export * as args from "./args.ts";
