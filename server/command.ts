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

import { type Frame, QUEUED, ReplyError } from "../resp/frame.ts";
import { toBinary } from "../resp/bytes.ts";
import { asciiUpper, cText, rejectError } from "./args.ts";
import type { Keyspace } from "./db/keyspace.ts";
import type { Logger } from "./log.ts";
import type { Config } from "./config.ts";
import type { PubSub, Subscriber } from "./pubsub.ts";
import type { Blocking } from "./db/blocking.ts";
import type { CommandStats } from "./stats.ts";
import { crossSlotCheck } from "./cluster.ts";
import { type CommandDocs, type CommandMeta, metaFromFields } from "./commands/meta.ts";
import type { Transaction, Watch } from "./commands/transactions.ts";

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
 * A family's handlers keyed by full lower-case command name (`hset`, or
 * `object|encoding` for a subcommand). Everything else about a command
 * (arity, flags, key specs, ACL categories, docs) comes from the one
 * metadata table generated from Redis 7.0.15 (`commands/meta.ts`).
 */
export type HandlerMap = Readonly<Record<string, Handler>>;

/**
 * One command, as data. The built-in commands are made from a family's
 * {@linkcode HandlerMap} and the metadata table (`commands/meta.ts`); an
 * embedder's own command (`startServer({ commands })`) gives its arity,
 * flags and key positions here, and COMMAND INFO/DOCS are made from them.
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
  /**
   * Redis's explicit ACL categories (without `@`), when they differ from
   * what the group gives. Categories implied by flags are added either way.
   */
  readonly aclCategories?: readonly string[];
  /** Runs the command. Containers (e.g. CONFIG) may omit it and list `subcommands`. */
  readonly handler?: Handler;
  /** Subcommands (`CONFIG GET`, `COMMAND DOCS`); their full name is `parent|name`. */
  readonly subcommands?: readonly Command[];
  /** An embedder's command's COMMAND DOCS entry beyond its summary and group. */
  readonly docs?: CommandDocs;
  /** The metadata of a built-in command (Redis 7.0.15's, from `commands/meta.ts`). */
  readonly meta?: CommandMeta;
}

/** A command as registered in a table: with its full name and subcommand index. */
export interface ResolvedCommand extends Command {
  /** `get`, or `config|get` for a subcommand: the name Redis's errors quote. */
  readonly fullName: string;
  /** Its metadata: Redis's for a built-in, made from the fields otherwise. */
  readonly meta: CommandMeta;
  /** The container of a subcommand. */
  readonly parent?: ResolvedCommand;
  /** Subcommands by lower-case name. */
  readonly subcommandMap?: ReadonlyMap<string, ResolvedCommand>;
  /** A read-only command with keys: its lookups count as keyspace hits/misses (INFO). */
  readonly readsKeys: boolean;
  /** Runs without authentication (the `no_auth` flag). */
  readonly noAuth: boolean;
  /** Allowed in RESP2 subscribed mode: (P)SUBSCRIBE, (P)UNSUBSCRIBE, PING, QUIT, RESET. */
  readonly inSubscribedMode: boolean;
  /** Refused inside MULTI (the `no_multi` flag). */
  readonly noMulti: boolean;
  /** Runs at once inside MULTI instead of being queued: EXEC, DISCARD, MULTI, WATCH, QUIT, RESET. */
  readonly runsInMulti: boolean;
  /** Allowed while a script is busy (the `allow_busy` flag). */
  readonly allowBusy: boolean;
  /** Refused inside scripts (the `noscript` flag). */
  readonly noScript: boolean;
  /** Writes (the `write` flag). */
  readonly writes: boolean;
}

/**
 * What a command can ask of the connection behind a client (CLIENT KILL,
 * CLIENT LIST, pub/sub deliveries). The connection provides it; a client
 * made by {@linkcode createClientState} alone gets an inert one.
 */
export interface ClientHandle {
  /** Closes the connection now, dropping unwritten output (CLIENT KILL). */
  kill(): void;
  /**
   * Appends a push frame (a pub/sub confirmation or message) to the
   * client's output, in its protocol, whatever its CLIENT REPLY mode.
   */
  push(frame: Frame): void;
  /** Appends pre-encoded push bytes (a message encoded once for many subscribers). */
  pushRaw(bytes: Uint8Array): void;
  /** Ends a run of pushes: starts writing them and enforces the output buffer limit. */
  flushPushes(): void;
  /** The client fell behind the pub/sub hub: it must be disconnected. */
  lagged(missed: number): void;
  /** Bytes of output not written to the socket yet (CLIENT LIST `omem`). */
  readonly outputLength: number;
  /** Bytes of received input not parsed yet (CLIENT LIST `qbuf`). */
  readonly inputLength: number;
}

/** {@linkcode ClientState.gate} bit: AUTH is required and has not been given. */
export const GATE_NOAUTH = 1;
/** {@linkcode ClientState.gate} bit: RESP2 subscribed mode (only pub/sub commands allowed). */
export const GATE_RESP2_PUBSUB = 2;
/** {@linkcode ClientState.gate} bit: the client has subscriptions (messages may be queued). */
export const GATE_PUBSUB = 4;
/** {@linkcode ClientState.gate} bit: CLIENT REPLY OFF or SKIP is in effect. */
export const GATE_REPLY = 8;
/** {@linkcode ClientState.gate} bit: the client is in MULTI or watches keys. */
export const GATE_TXN = 16;

/** {@linkcode ClientState.replyFlags}: CLIENT REPLY OFF. */
export const REPLY_OFF = 1;
/** {@linkcode ClientState.replyFlags}: the reply to the current command is skipped. */
export const REPLY_SKIP = 2;
/** {@linkcode ClientState.replyFlags}: CLIENT REPLY SKIP was just given (skip the next reply). */
export const REPLY_SKIP_NEXT = 4;

/** Per-connection state, shared by all commands of one client. */
export interface ClientState {
  /** Unique id (CLIENT ID). */
  readonly id: number;
  /** Peer address `ip:port`. */
  readonly addr: string;
  /** Local address `ip:port` the client connected to. */
  readonly laddr: string;
  /** CLIENT SETNAME name, "" when unset. */
  name: string;
  /** CLIENT SETINFO LIB-NAME, "" when unset. */
  libName: string;
  /** CLIENT SETINFO LIB-VER, "" when unset. */
  libVer: string;
  /** RESP protocol version of replies (HELLO switches it). */
  protocol: 2 | 3;
  /** Selected database (always 0 here). */
  db: number;
  /** Set by QUIT: close once the replies of this batch are written. */
  closeAfterReply: boolean;
  /** Unix ms when the connection was accepted. */
  readonly connectedAt: number;
  /** Unix ms of the last input (CLIENT LIST `idle`, the `timeout` setting). */
  lastInteraction: number;
  /** The last command run (CLIENT LIST `cmd`). */
  lastCommand: ResolvedCommand | undefined;
  /** Whether the client has authenticated (or needed not to when it connected). */
  authenticated: boolean;
  /**
   * The checks a command needs beyond the table lookup, as `GATE_*` bits;
   * 0 for an ordinary client, so the hot path pays one comparison.
   * Recompute with {@linkcode refreshGate} after changing what it derives from.
   */
  gate: number;
  /** CLIENT REPLY state, as `REPLY_*` bits. */
  replyFlags: number;
  /** Pub/sub subscriptions, created by the first SUBSCRIBE or PSUBSCRIBE. */
  pubsub: Subscriber | undefined;
  /** The connection behind this client. */
  handle: ClientHandle;
  /** The commands queued since MULTI; `undefined` outside MULTI. */
  multi: Transaction | undefined;
  /** The keys watched by WATCH; `undefined` when none. */
  watch: Watch | undefined;
}

const INERT_HANDLE: ClientHandle = {
  kill() {},
  push() {},
  pushRaw() {},
  flushPushes() {},
  lagged() {},
  outputLength: 0,
  inputLength: 0,
};

/**
 * A new client's state: authenticated unless `authenticated` says
 * otherwise, RESP2, no name, an inert {@linkcode ClientHandle} until a
 * connection sets its own.
 *
 * @example
 * ```ts
 * import { createClientState } from "./command.ts";
 * const client = createClientState({ id: 1, addr: "127.0.0.1:50000" });
 * console.log(client.protocol, client.gate); // 2 0
 * ```
 */
export function createClientState(init: {
  id: number;
  addr: string;
  laddr?: string;
  authenticated?: boolean;
  connectedAt?: number;
}): ClientState {
  const now = init.connectedAt ?? Date.now();
  const client: ClientState = {
    id: init.id,
    addr: init.addr,
    laddr: init.laddr ?? "",
    name: "",
    libName: "",
    libVer: "",
    protocol: 2,
    db: 0,
    closeAfterReply: false,
    connectedAt: now,
    lastInteraction: now,
    lastCommand: undefined,
    authenticated: init.authenticated ?? true,
    gate: 0,
    replyFlags: 0,
    pubsub: undefined,
    handle: INERT_HANDLE,
    multi: undefined,
    watch: undefined,
  };
  refreshGate(client);
  return client;
}

/**
 * Recomputes {@linkcode ClientState.gate} from the client's auth, pub/sub,
 * reply and transaction state.
 */
export function refreshGate(client: ClientState): void {
  const subscribed = client.pubsub !== undefined && client.pubsub.count > 0;
  client.gate = (client.authenticated ? 0 : GATE_NOAUTH) |
    (subscribed ? GATE_PUBSUB | (client.protocol === 2 ? GATE_RESP2_PUBSUB : 0) : 0) |
    (client.replyFlags !== 0 ? GATE_REPLY : 0) |
    (client.multi !== undefined || client.watch !== undefined ? GATE_TXN : 0);
}

/**
 * Ends a client's transaction state: discards a MULTI in progress and
 * unwatches every key (EXEC, DISCARD, RESET). The connection calls it when
 * the client disconnects, so that its watched keys are released.
 */
export function releaseClient(client: ClientState): void {
  if (client.multi === undefined && client.watch === undefined) return;
  client.multi = undefined;
  client.watch?.release();
  client.watch = undefined;
  refreshGate(client);
}

/** Per-class output buffer limit (`client-output-buffer-limit`), in bytes and seconds; 0 = none. */
export interface OutputLimit {
  /** Disconnect as soon as the pending output reaches this many bytes. */
  hard: number;
  /** Disconnect when the pending output stays at or above this many bytes ... */
  soft: number;
  /** ... for longer than this many seconds. */
  softSeconds: number;
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
  /** Largest bulk string a client may send (`proto-max-bulk-len`). */
  protoMaxBulkLen: number;
  /** The password of the default user (`requirepass`); "" = none. */
  requirePass: string;
  /** SHA-256 of {@linkcode requirePass}, compared in constant time (see `auth.ts`). */
  requirePassDigest: Uint8Array | undefined;
  /** Close clients idle for this many seconds (`timeout`); 0 = never. */
  timeout: number;
  /** `notify-keyspace-events` flags (see `notify.ts`). */
  notifyFlags: number;
  /** One-node cluster mode (`cluster-enabled yes`): keys of a request must share a slot. */
  clusterEnabled: boolean;
  /** `client-output-buffer-limit` per client class. */
  outputLimits: { normal: OutputLimit; replica: OutputLimit; pubsub: OutputLimit };
}

/** Server-wide counters for INFO. */
export interface ServerStats {
  /** Connections accepted since start-up. */
  connectionsReceived: number;
  /** Connections refused by `maxclients`. */
  rejectedConnections: number;
  /** Commands executed. */
  commandsProcessed: number;
  /** Bytes read from clients. */
  netInputBytes: number;
  /** Bytes written to clients. */
  netOutputBytes: number;
  /** Commands per second over the last samples (INFO `instantaneous_ops_per_sec`). */
  opsPerSec: number;
  /** Clients disconnected by the output buffer limit. */
  outputLimitDisconnections: number;
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
  /** The pub/sub hub. */
  readonly pubsub: PubSub;
  /** The blocked clients (BLPOP, BZPOPMIN, ...): see `db/blocking.ts`. */
  readonly blocking: Blocking;
  /** Counters for INFO. */
  readonly stats: ServerStats;
  /** Per-command calls, errors and latencies (INFO commandstats, errorstats, latencystats). */
  readonly commandStats: CommandStats;
  /** A random 40-hex-digit id of this run (INFO `run_id`). */
  readonly runId: string;
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

/**
 * Redis's unknown-command error:
 * `ERR unknown command 'foo', with args beginning with: 'a' 'b' `.
 * The name and the arguments are echoed byte for byte (binary text), each
 * cut at NUL as C's `%.*s` does: the name at 128 bytes, the argument list
 * once it reaches 128 bytes.
 */
export function unknownCommandError(args: readonly Uint8Array[]): ReplyError {
  let list = "";
  for (let i = 1; i < args.length && list.length < 128; i++) {
    list += "'" + cText(args[i], 128 - list.length) + "' ";
  }
  return rejectError(
    `ERR unknown command '${cText(args[0], 128)}', with args beginning with: ${list}`,
  );
}

/**
 * A command or subcommand that takes no keys (key positions 0, 0, 0), in
 * Redis's command `group`: the shape of most connection, server and pub/sub
 * entries.
 *
 * @example
 * ```ts
 * import { keyless } from "./command.ts";
 * const time = keyless("server", "time", 1, ["fast"], "Return the current server time", () => 0);
 * console.log(time.firstKey); // 0
 * ```
 */
export function keyless(
  group: string,
  name: string,
  arity: number,
  flags: CommandFlag[],
  summary: string,
  handler: Handler,
): Command {
  return { name, arity, flags, firstKey: 0, lastKey: 0, step: 0, group, summary, handler };
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

/** Commands a RESP2 client may send while subscribed (Redis's processCommand list). */
const SUBSCRIBED_MODE_COMMANDS = new Set([
  "ping",
  "subscribe",
  "ssubscribe",
  "unsubscribe",
  "sunsubscribe",
  "psubscribe",
  "punsubscribe",
  "quit",
  "reset",
]);

/** Commands that run at once inside MULTI instead of being queued (Redis's processCommand). */
const RUNS_IN_MULTI = new Set(["exec", "discard", "multi", "watch", "quit", "reset"]);

function resolve(cmd: Command, parent?: ResolvedCommand): ResolvedCommand {
  const fullName = parent ? `${parent.fullName}|${cmd.name}` : cmd.name;
  const self: ResolvedCommand & { subcommandMap?: Map<string, ResolvedCommand> } = {
    ...cmd,
    fullName,
    meta: cmd.meta ?? metaFromFields(cmd, fullName),
    parent,
    readsKeys: cmd.flags.includes("readonly") && cmd.firstKey > 0,
    noAuth: cmd.flags.includes("no_auth"),
    inSubscribedMode: parent === undefined && SUBSCRIBED_MODE_COMMANDS.has(cmd.name),
    noMulti: cmd.flags.includes("no_multi"),
    runsInMulti: parent === undefined && RUNS_IN_MULTI.has(cmd.name),
    allowBusy: cmd.flags.includes("allow_busy"),
    noScript: cmd.flags.includes("noscript"),
    writes: cmd.flags.includes("write"),
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
        return rejectError(
          `ERR unknown subcommand '${cText(args[1], 128)}'. Try ${
            asciiUpper(cText(args[0]))
          } HELP.`,
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
 * Inside MULTI the command is queued (`+QUEUED`) instead, and a command
 * refused there makes the transaction fail.
 */
export function execute(
  table: CommandTable,
  ctx: Context,
  args: Uint8Array[],
): Frame | Promise<Frame> {
  const cmd = table.lookup(args);
  const client = ctx.client;
  if (cmd instanceof ReplyError) {
    // Redis's rejectCommand: a refused EXEC discards the transaction (and the watch)
    if (args[0].length === 4 && isExec(args[0])) {
      releaseClient(client);
      return new ReplyError(
        `EXECABORT Transaction discarded because of: ${cmd.message.replace(/^ERR /, "")}`,
      );
    }
    if (client.multi !== undefined) client.multi.failed = true;
    return cmd;
  }
  if (
    (client.gate & (GATE_NOAUTH | GATE_RESP2_PUBSUB | GATE_TXN)) !== 0 || busyServers.size !== 0
  ) {
    const early = admit(ctx, cmd, args);
    if (early !== undefined) return early;
  } else if (ctx.server.settings.clusterEnabled) {
    const refused = crossSlotCheck(cmd, args);
    if (refused !== undefined) return refused;
  }
  const r = invoke(ctx, cmd, args);
  // clients blocked on keys this command modified are served after it (not
  // while a busy script is in the middle of its atomic step)
  const blocking = ctx.server.blocking;
  if (blocking.hasReady && (busyServers.size === 0 || !busyServers.has(ctx.server))) {
    blocking.serveReady();
  }
  return r;
}

/**
 * Servers running a script past its `busy-reply-threshold`, with the
 * `-BUSY` error their other clients get (set by the scripting commands).
 */
const busyServers = new Map<ServerState, ReplyError>();

/**
 * Marks `server` busy with a script: until called again with `undefined`,
 * every command but those flagged `allow_busy` is refused with `reply`
 * (Redis's `-BUSY`), after the auth, transaction, cluster and subscribed-mode
 * checks; EXEC so refused discards its transaction.
 */
export function setBusyReply(server: ServerState, reply: ReplyError | undefined): void {
  if (reply === undefined) busyServers.delete(server);
  else busyServers.set(server, reply);
}

/**
 * Runs a resolved command's handler (no gates): what {@linkcode execute}
 * does after its checks, and what EXEC does for each queued command.
 */
export function invoke(
  ctx: Context,
  cmd: ResolvedCommand,
  args: Uint8Array[],
): Frame | Promise<Frame> {
  ctx.client.lastCommand = cmd;
  ctx.db.countLookups = cmd.readsKeys;
  const handler = cmd.handler;
  if (handler === undefined) return arityError(cmd.fullName);
  try {
    const r = handler(ctx, args);
    return r instanceof Promise ? r.catch((e) => failure(ctx, cmd, e)) : r;
  } catch (e) {
    return failure(ctx, cmd, e);
  }
}

/**
 * The checks of a client with auth, subscribed-mode or transaction state,
 * in Redis's order: the refusal to reply, `QUEUED` for a command queued in
 * MULTI, or `undefined` to run the command.
 */
function admit(ctx: Context, cmd: ResolvedCommand, args: Uint8Array[]): Frame | undefined {
  const client = ctx.client;
  const multi = client.multi;
  const refused = gateError(ctx, cmd) ??
    (ctx.server.settings.clusterEnabled ? crossSlotCheck(cmd, args) : undefined);
  if (refused !== undefined) {
    if (multi !== undefined) multi.failed = true;
    return refused;
  }
  if (busyServers.size !== 0 && !cmd.allowBusy) {
    const busy = busyServers.get(ctx.server);
    if (busy !== undefined) {
      if (cmd.name === "exec" && cmd.parent === undefined) {
        // Redis's execCommandAbort (in MULTI or not): any transaction is
        // discarded, the reason given
        releaseClient(client);
        return new ReplyError(`EXECABORT Transaction discarded because of: ${busy.message}`);
      }
      if (multi !== undefined) multi.failed = true;
      return busy;
    }
  }
  if (multi !== undefined && !cmd.runsInMulti) {
    multi.queue(cmd, args);
    return QUEUED;
  }
  if ((client.gate & GATE_TXN) !== 0 && cmd.name === "reset" && cmd.parent === undefined) {
    // RESET ends the transaction state along with the rest
    releaseClient(client);
  }
  return undefined;
}

/** Whether a request's name is EXEC (any case). */
function isExec(name: Uint8Array): boolean {
  return (name[0] | 32) === 101 && (name[1] | 32) === 120 && (name[2] | 32) === 101 &&
    (name[3] | 32) === 99;
}

/** `-NOAUTH Authentication required.` */
export const NOAUTH_ERROR: ReplyError = new ReplyError("NOAUTH Authentication required.");

/**
 * Whether AUTH is required of `client` before its commands run: a password
 * is set and the client has not authenticated (Redis's `authRequired`).
 */
export function authRequired(client: ClientState, settings: ServerSettings): boolean {
  return !client.authenticated && settings.requirePass !== "";
}

/**
 * The refusal of a command by the auth, transaction and subscribed-mode
 * checks, if any, in Redis's order.
 */
function gateError(ctx: Context, cmd: ResolvedCommand): ReplyError | undefined {
  const client = ctx.client;
  const gate = client.gate;
  if ((gate & GATE_NOAUTH) !== 0 && !cmd.noAuth && authRequired(client, ctx.server.settings)) {
    return NOAUTH_ERROR;
  }
  if (cmd.noMulti && client.multi !== undefined) {
    return new ReplyError("ERR Command not allowed inside a transaction");
  }
  if ((gate & GATE_RESP2_PUBSUB) !== 0 && !cmd.inSubscribedMode) {
    return new ReplyError(
      sanitize(
        `ERR Can't execute '${cmd.fullName}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context`,
      ),
    );
  }
  return undefined;
}

/**
 * A handler's way of saying "no reply": the replies were already sent as
 * push frames (SUBSCRIBE confirmations) or the command is silent (CLIENT
 * REPLY OFF). Compared by identity; never encode it.
 */
export const NO_REPLY: Frame = Object.freeze([]) as unknown as Frame;

function failure(ctx: Context, cmd: ResolvedCommand, e: unknown): ReplyError {
  if (e instanceof ReplyError) return e;
  ctx.server.log.error(`command '${cmd.fullName}' failed: ${e instanceof Error ? e.stack : e}`);
  return new ReplyError(sanitize(`ERR ${e instanceof Error ? e.message : String(e)}`));
}
