/**
 * The command table: a command is data ({@linkcode Command}), the table
 * resolves a request's name (and subcommand) and checks its arity with
 * Redis's exact error wording, and {@linkcode execute} runs the handler.
 *
 * @example
 * ```ts
 * import { OK } from "../resp/frame.ts";
 * import { type Command, CommandTable } from "./command.ts";
 * const hello: Command = {
 *   name: "hello-world",
 *   arity: 1,
 *   flags: ["fast"],
 *   firstKey: 0,
 *   lastKey: 0,
 *   step: 0,
 *   handler: () => OK,
 * };
 * const table = new CommandTable([hello]);
 * console.log(table.get("hello-world")?.fullName); // "hello-world"
 * ```
 *
 * @module
 */

import { type Frame, ReplyError } from "../resp/frame.ts";
import { fromUtf8, toBinary } from "../resp/bytes.ts";
import type { Keyspace } from "./keyspace.ts";
import type { Logger } from "./log.ts";
import type { Config } from "./config.ts";

/**
 * Redis's COMMAND flag names (`COMMAND INFO` reports them).
 */
export type CommandFlag =
  | "write"
  | "readonly"
  | "denyoom"
  | "module"
  | "admin"
  | "pubsub"
  | "noscript"
  | "blocking"
  | "loading"
  | "stale"
  | "skip_monitor"
  | "skip_slowlog"
  | "asking"
  | "fast"
  | "no_auth"
  | "may_replicate"
  | "sentinel"
  | "only_sentinel"
  | "no_mandatory_keys"
  | "protected"
  | "no_async_loading"
  | "no_multi"
  | "movablekeys"
  | "allow_busy";

/**
 * A handler: receives the context and the whole request (`args[0]` is the
 * command name, as in Redis's `argv`) and returns the reply frame. It may
 * also `throw` a {@linkcode ReplyError}, which becomes the reply (handy from
 * nested argument parsers). A `Promise` is allowed for the rare command that
 * must wait; the connection keeps replies in order.
 *
 * `args` are views into the connection's read buffer, valid only until the
 * handler returns (and its reply is encoded): copy (`.slice()`) any bytes you
 * store. A returned `Uint8Array` is encoded before the buffer is reused, so
 * returning a view of `args` (ECHO) is fine.
 */
export type Handler = (ctx: Context, args: Uint8Array[]) => Frame | Promise<Frame>;

/**
 * One command, as data. Adding a command is adding one such object to the
 * array exported by a family file under `server/commands/`.
 */
export interface Command {
  /** Lower-case name, e.g. `get`; for a subcommand its own word, e.g. `get` under `config`. */
  readonly name: string;
  /** Redis's arity: positive = exact argument count including the name, negative = minimum. */
  readonly arity: number;
  /** Redis's COMMAND flags. */
  readonly flags: readonly CommandFlag[];
  /** Position of the first key argument (0 = none). */
  readonly firstKey: number;
  /** Position of the last key argument (negative counts from the end, -1 = last). */
  readonly lastKey: number;
  /** Step between key arguments. */
  readonly step: number;
  /** Redis's command group (`string`, `generic`, `connection`, `server`, ...), for COMMAND DOCS. */
  readonly group?: string;
  /** One-line description, for COMMAND DOCS. */
  readonly summary?: string;
  /** Runs the command. Containers (e.g. CONFIG) may omit it and list `subcommands`. */
  readonly handler?: Handler;
  /** Subcommands (`CONFIG GET`, `COMMAND DOCS`); their full name is `parent|name`. */
  readonly subcommands?: readonly Command[];
}

/** A command as registered in a table: with its full name and subcommand index. */
export interface ResolvedCommand extends Command {
  /** `get`, or `config|get` for a subcommand: the name Redis's errors quote. */
  readonly fullName: string;
  /** The container of a subcommand. */
  readonly parent?: ResolvedCommand;
  /** Subcommands by lower-case name. */
  readonly subcommandMap?: ReadonlyMap<string, ResolvedCommand>;
}

/** Per-connection state, shared by all commands of one client. */
export interface ClientState {
  /** Unique id (CLIENT ID). */
  readonly id: number;
  /** Peer address `ip:port`. */
  readonly addr: string;
  /** CLIENT SETNAME name, "" when unset. */
  name: string;
  /** RESP protocol version of replies (HELLO switches it). */
  protocol: 2 | 3;
  /** Selected database (always 0 here). */
  db: number;
  /** Set by QUIT: close once the replies of this batch are written. */
  closeAfterReply: boolean;
  /** Unix ms when the connection was accepted. */
  readonly connectedAt: number;
}

/** Live server settings (CONFIG SET changes them). */
export interface ServerSettings {
  /** The address the server was asked to bind. */
  readonly host: string;
  /** The bound port. */
  port: number;
  /** Most simultaneous clients; one more gets `-ERR max number of clients reached`. */
  maxClients: number;
  /** Most unparsed bytes buffered for one client before it is disconnected. */
  queryBufferLimit: number;
}

/** Server-wide state available to commands. */
export interface ServerState {
  /** Live settings. */
  readonly settings: ServerSettings;
  /** Unix ms at start-up. */
  readonly startedAt: number;
  /** Runtime configuration (CONFIG GET/SET). */
  readonly config: Config;
  /** Connected clients by id. */
  readonly clients: ReadonlyMap<number, ClientState>;
  /** The server's logger. */
  readonly log: Logger;
  /** The command table (for COMMAND). */
  readonly commands: CommandTable;
  /** The database (same object as `Context.db`). */
  readonly db: Keyspace;
}

/** What a handler gets: the keyspace, its client and the server. */
export interface Context {
  /** Database 0. */
  readonly db: Keyspace;
  /** The calling connection's state. */
  readonly client: ClientState;
  /** Server-wide state. */
  readonly server: ServerState;
}

/** Replaces CR and LF with spaces, as Redis does for error replies. */
function sanitize(s: string): string {
  return s.includes("\r") || s.includes("\n") ? s.replace(/[\r\n]/g, " ") : s;
}

/** An argument as C's `%.*s` prints it: cut at NUL, at most `max` bytes, as UTF-8 text. */
function cArg(arg: Uint8Array, max: number): string {
  let end = arg.indexOf(0);
  if (end === -1) end = arg.length;
  if (end > max) end = max;
  return fromUtf8(arg.subarray(0, end));
}

/**
 * Redis's unknown-command error:
 * `ERR unknown command 'foo', with args beginning with: 'a' 'b' `.
 */
export function unknownCommandError(args: readonly Uint8Array[]): ReplyError {
  let list = "";
  let bytes = 0;
  for (let i = 1; i < args.length && bytes < 128; i++) {
    const part = "'" + cArg(args[i], 128 - bytes) + "' ";
    list += part;
    bytes += part.length;
  }
  return new ReplyError(
    sanitize(`ERR unknown command '${cArg(args[0], 128)}', with args beginning with: ${list}`),
  );
}

/** Redis's arity error: `ERR wrong number of arguments for 'get' command`. */
export function arityError(fullName: string): ReplyError {
  return new ReplyError(`ERR wrong number of arguments for '${fullName}' command`);
}

/**
 * A number identifying a command name up to case: its length and first six
 * bytes, ASCII-lower-cased (53 bits, exact in a double). -1 for names of 32
 * bytes or more. Equal names have equal hashes; candidates are then
 * compared in full with {@linkcode sameName}.
 */
function nameHash(name: Uint8Array): number {
  const n = name.length;
  if (n >= 32) return -1;
  let h = n;
  const m = n < 6 ? n : 6;
  for (let i = 0; i < m; i++) {
    let c = name[i];
    if (c >= 65 && c <= 90) c += 32;
    h = h * 256 + c;
  }
  return h;
}

/** Whether `arg` equals the lower-case `name` bytes, ASCII case-insensitively. */
function sameName(name: Uint8Array, arg: Uint8Array): boolean {
  const n = name.length;
  if (arg.length !== n) return false;
  for (let i = 6; i < n; i++) {
    let c = arg[i];
    if (c >= 65 && c <= 90) c += 32;
    if (c !== name[i]) return false;
  }
  return true;
}

function resolve(cmd: Command, parent?: ResolvedCommand): ResolvedCommand {
  const fullName = parent ? `${parent.fullName}|${cmd.name}` : cmd.name;
  const self: ResolvedCommand & { subcommandMap?: Map<string, ResolvedCommand> } = {
    ...cmd,
    fullName,
    parent,
  };
  if (cmd.subcommands) {
    const subs = new Map<string, ResolvedCommand>();
    for (const sub of cmd.subcommands) subs.set(sub.name, resolve(sub, self));
    self.subcommandMap = subs;
  }
  return self;
}

/**
 * The command table: lookup by name (any case) and arity checks, with
 * Redis 7.0's rules and error texts.
 */
export class CommandTable {
  #byName = new Map<string, ResolvedCommand>();
  #all: ResolvedCommand[] = [];
  /** Fast index: {@linkcode nameHash} of the name bytes -> commands (no string per request). */
  #byHash = new Map<number, ResolvedCommand[]>();
  #nameBytes = new Map<ResolvedCommand, Uint8Array>();

  /**
   * Builds the table.
   *
   * @param commands every command; a later entry with the same name replaces an earlier one
   */
  constructor(commands: Iterable<Command>) {
    for (const c of commands) {
      const r = resolve(c);
      const old = this.#byName.get(c.name);
      if (old) this.#all.splice(this.#all.indexOf(old), 1);
      this.#all.push(r);
      this.#byName.set(c.name, r);
    }
    for (const r of this.#all) {
      const name = new TextEncoder().encode(r.name);
      const h = nameHash(name);
      if (h < 0) continue; // too long for the fast index; found by the string path
      const list = this.#byHash.get(h);
      if (list === undefined) this.#byHash.set(h, [r]);
      else list.push(r);
      this.#nameBytes.set(r, name);
    }
  }

  /** The command called `name` (lower case), if any. */
  get(name: string): ResolvedCommand | undefined {
    return this.#byName.get(name);
  }

  /** Number of top-level commands. */
  get size(): number {
    return this.#all.length;
  }

  /** Every top-level command. */
  [Symbol.iterator](): IterableIterator<ResolvedCommand> {
    return this.#all.values();
  }

  /**
   * Resolves a request to the command to run, or the error to reply:
   * unknown command, unknown subcommand, or wrong number of arguments.
   */
  lookup(args: readonly Uint8Array[]): ResolvedCommand | ReplyError {
    const arg0 = args[0];
    let cmd: ResolvedCommand | undefined;
    const h = nameHash(arg0);
    if (h >= 0) {
      const list = this.#byHash.get(h);
      if (list !== undefined) {
        for (let i = 0; i < list.length; i++) {
          if (sameName(this.#nameBytes.get(list[i])!, arg0)) {
            cmd = list[i];
            break;
          }
        }
      }
    } else {
      cmd = this.#byName.get(toBinary(arg0).toLowerCase());
    }
    if (cmd === undefined) return unknownCommandError(args);
    const subs = cmd.subcommandMap;
    if (subs !== undefined && args.length >= 2) {
      const sub = subs.get(toBinary(args[1]).toLowerCase());
      if (sub === undefined) {
        return new ReplyError(
          sanitize(
            `ERR unknown subcommand '${cArg(args[1], 128)}'. Try ${
              cArg(args[0], Infinity).toUpperCase()
            } HELP.`,
          ),
        );
      }
      cmd = sub;
    }
    const arity = cmd.arity;
    if ((arity > 0 && arity !== args.length) || args.length < -arity) {
      return arityError(cmd.fullName);
    }
    return cmd;
  }
}

/**
 * Looks up and runs one request, turning a thrown {@linkcode ReplyError}
 * into the reply. Any other exception is logged and answered with
 * `-ERR <message>` so that one bad command cannot kill the connection.
 */
export function execute(
  table: CommandTable,
  ctx: Context,
  args: Uint8Array[],
): Frame | Promise<Frame> {
  const cmd = table.lookup(args);
  if (cmd instanceof ReplyError) return cmd;
  const handler = cmd.handler;
  if (handler === undefined) return arityError(cmd.fullName);
  try {
    const r = handler(ctx, args);
    if (r instanceof Promise) return r.catch((e) => failure(ctx, cmd, e));
    return r;
  } catch (e) {
    return failure(ctx, cmd, e);
  }
}

function failure(ctx: Context, cmd: ResolvedCommand, e: unknown): ReplyError {
  if (e instanceof ReplyError) return e;
  ctx.server.log.error(`command '${cmd.fullName}' failed: ${e instanceof Error ? e.stack : e}`);
  return new ReplyError(sanitize(`ERR ${e instanceof Error ? e.message : String(e)}`));
}
