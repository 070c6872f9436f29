/**
 * Connection commands: PING, ECHO, QUIT, SELECT, HELLO, AUTH, RESET, TIME
 * and CLIENT (ID, SETNAME, GETNAME, INFO, LIST, KILL, REPLY, NO-EVICT,
 * UNBLOCK, HELP), with Redis 7.0.15's replies and errors.
 *
 * @example
 * ```ts
 * import { CommandTable } from "../command.ts";
 * import { commandsFromHandlers } from "./mod.ts";
 * import { connectionHandlers } from "./connection.ts";
 * const table = new CommandTable(commandsFromHandlers([connectionHandlers]));
 * console.log(table.get("client")?.subcommandMap?.has("kill")); // true
 * ```
 *
 * @module
 */

import {
  type Frame,
  OK,
  PONG,
  ReplyError,
  RespMap,
  SimpleString,
  VerbatimString,
} from "../../resp/frame.ts";
import { fromUtf8, utf8 } from "../../resp/bytes.ts";
import {
  arityError,
  type ClientState,
  type Context,
  GATE_RESP2_PUBSUB,
  type Handler,
  type HandlerMap,
  NO_REPLY,
  refreshGate,
  REPLY_OFF,
  REPLY_SKIP,
  REPLY_SKIP_NEXT,
} from "../command.ts";
import {
  cText,
  DB_OUT_OF_RANGE,
  formatError,
  int64Arg,
  intArg,
  isOption,
  rangeArg,
  SYNTAX_ERROR,
} from "../args.ts";
import { checkPassword, isDefaultUser, WRONGPASS_TEXT } from "../auth.ts";
import { REDIS_VERSION } from "./server.ts";
import { type Ops, opsOf } from "./ops.ts";

const WRONGPASS = new ReplyError(WRONGPASS_TEXT);
const AUTH_WITHOUT_PASSWORD = new ReplyError(
  "ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?",
);
const HELLO_NOAUTH = new ReplyError(
  "NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time",
);
const NOPROTO = new ReplyError("NOPROTO unsupported protocol version");
const BAD_PROTOVER = new ReplyError("ERR Protocol version is not an integer or out of range");
const BAD_NAME = new ReplyError(
  "ERR Client names cannot contain spaces, newlines or special characters.",
);
const NO_SUCH_CLIENT = new ReplyError("ERR No such client");
const BAD_CLIENT_ID = new ReplyError("ERR client-id should be greater than 0");
const INVALID_CLIENT_ID = new ReplyError("ERR Invalid client ID");
const PONG_BYTES = utf8("pong");
const EMPTY = new Uint8Array(0);

/** Whether every byte is printable ASCII without space (`!`..`~`), as Redis requires of names. */
function isPrintableWord(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) if (bytes[i] < 33 || bytes[i] > 126) return false;
  return true;
}

/**
 * Authenticates the client as `username` with `password` (only the
 * `default` user exists); true on success. The password is checked even
 * for a wrong user name, so both take the same time.
 */
function authenticate(ctx: Context, username: Uint8Array, password: Uint8Array): boolean {
  const passwordOk = checkPassword(ctx.server.settings, password);
  if (!isDefaultUser(username) || !passwordOk) return false;
  ctx.client.authenticated = true;
  refreshGate(ctx.client);
  return true;
}

const DEFAULT_USER = utf8("default");

/** HELLO's reply map (Redis 7.0: server, version, proto, id, mode, role, modules). */
function helloReply(ctx: Context, client: ClientState): RespMap {
  return new RespMap([
    ["server", "redis"],
    ["version", REDIS_VERSION],
    ["proto", client.protocol],
    ["id", client.id],
    ["mode", ctx.server.settings.clusterEnabled ? "cluster" : "standalone"],
    ["role", "master"],
    ["modules", []],
  ]);
}

const hello: Handler = (ctx, args) => {
  const client = ctx.client;
  let version = 0;
  let next = 1;
  if (args.length >= 2) {
    version = intArg(args[next++], BAD_PROTOVER);
    if (version < 2 || version > 3) return NOPROTO;
  }
  let username: Uint8Array | undefined;
  let password: Uint8Array | undefined;
  let name: Uint8Array | undefined;
  for (let j = next; j < args.length; j++) {
    const more = args.length - 1 - j;
    if (isOption(args[j], "auth") && more >= 2) {
      username = args[j + 1];
      password = args[j + 2];
      j += 2;
    } else if (isOption(args[j], "setname") && more >= 1) {
      name = args[j + 1];
      if (!isPrintableWord(name)) return BAD_NAME;
      j++;
    } else {
      return formatError(`ERR Syntax error in HELLO option '${cText(args[j])}'`);
    }
  }
  if (username !== undefined && !authenticate(ctx, username, password!)) return WRONGPASS;
  if (!client.authenticated && ctx.server.settings.requirePass !== "") return HELLO_NOAUTH;
  if (name !== undefined) client.name = fromUtf8(name);
  if (version !== 0 && version !== client.protocol) {
    client.pubsub?.drain(); // messages published before switch are in the old protocol
    client.protocol = version as 2 | 3;
    refreshGate(client);
  }
  return helloReply(ctx, client);
};

const auth: Handler = (ctx, args) => {
  if (args.length > 3) return SYNTAX_ERROR;
  let username = DEFAULT_USER;
  let password = args[1];
  if (args.length === 2) {
    if (ctx.server.settings.requirePass === "") return AUTH_WITHOUT_PASSWORD;
  } else {
    username = args[1];
    password = args[2];
  }
  return authenticate(ctx, username, password) ? OK : WRONGPASS;
};

const reset: Handler = (ctx) => {
  const client = ctx.client;
  // Redis's clearClientConnectionState: messages already published are
  // delivered first, then subscriptions end without confirmations
  client.pubsub?.close();
  client.db = 0;
  client.protocol = 2;
  client.authenticated = ctx.server.settings.requirePass === "";
  client.name = "";
  client.replyFlags = 0;
  refreshGate(client);
  opsOf(ctx.server).resetClient(client); // MONITOR, tracking
  return RESET;
};

const RESET = new SimpleString("RESET");

const time: Handler = () => {
  const micros = Math.floor((performance.timeOrigin + performance.now()) * 1000);
  const seconds = Math.floor(micros / 1e6);
  return [String(seconds), String(micros - seconds * 1e6)];
};

// ---------------------------------------------------------------------------
// CLIENT

/** Redis's client types (CLIENT LIST TYPE, CLIENT KILL TYPE). */
type ClientType = "normal" | "replica" | "master" | "pubsub";

function clientType(name: Uint8Array): ClientType | undefined {
  switch (fromUtf8(name).toLowerCase()) {
    case "normal":
      return "normal";
    case "slave":
    case "replica":
      return "replica";
    case "master":
      return "master";
    case "pubsub":
      return "pubsub";
  }
  return undefined;
}

function typeOfClient(c: ClientState): ClientType {
  return c.pubsub !== undefined && c.pubsub.count > 0 ? "pubsub" : "normal";
}

/** The memory CLIENT LIST counts for a command's arguments: their bytes. */
function argvBytes(args: readonly Uint8Array[] | undefined): number {
  let n = 0;
  if (args !== undefined) { for (const a of args) n += a.length; }
  return n;
}

/** CLIENT LIST `multi-mem`: the queued commands' argument bytes plus one pointer per argument, as Redis counts. */
function multiBytes(c: ClientState): number {
  const t = c.multi;
  if (t === undefined) return 0;
  let n = 0;
  for (const args of t.args) n += argvBytes(args) + 8 * args.length;
  return n;
}

/** CLIENT LIST `flags`, in Redis 7.0's order. */
function clientFlags(c: ClientState, ops: Ops, blocked: boolean): string {
  let f = "";
  if (ops.monitors.has(c)) f += "O";
  if (c.pubsub !== undefined && c.pubsub.count > 0) f += "P";
  if (c.multi !== undefined) f += "x";
  if (blocked || ops.paused.has(c)) f += "b";
  const t = ops.tracking.stateOf(c);
  if (t !== undefined) {
    f += "t";
    if (t.brokenRedirect) f += "R";
    if (t.bcast) f += "B";
  }
  if (c.watch?.dirty) f += "d";
  if (c.closeAfterReply) f += "c";
  if (ops.noEvict.has(c.id)) f += "e";
  return f === "" ? "N" : f;
}

/**
 * One CLIENT LIST / CLIENT INFO line, with Redis 7.0's fields in its order
 * and their meanings here: `qbuf` the input being processed (or the part
 * of a command received so far), `qbuf-free` the rest of the query buffer,
 * `argv-mem` the bytes of the arguments of the command running or
 * blocked, `multi` and `multi-mem` the commands queued by MULTI, `rbs`
 * and `rbp` the reply buffer's size and the most one batch of replies
 * took, `obl` the pending output held in it, `oll` and `omem` the blocks
 * and bytes beyond it, `tot-mem` the sum of these buffers, `events` `r`
 * (and `w` while a write is in progress), `redir` the tracking redirect.
 * There is no file descriptor to show: `fd=-1`.
 */
export function clientInfoLine(
  c: ClientState,
  ops: Ops,
  now = Date.now(),
  blocked = false,
): string {
  const view = ops.viewOf(c);
  const sub = c.pubsub;
  const qbuf = view?.queryBufferLength ?? c.handle.inputLength;
  const qcap = Math.max(qbuf, view?.queryBufferCapacity ?? qbuf);
  const argvMem = argvBytes(view?.currentArgs);
  const multiMem = multiBytes(c);
  const rbs = view?.replyBufferSize ?? 0;
  const pending = c.handle.outputLength;
  const obl = Math.min(pending, rbs);
  const omem = pending - obl;
  const oll = Math.ceil(omem / 16384);
  const tracking = ops.tracking.stateOf(c);
  return `id=${c.id} addr=${c.addr} laddr=${c.laddr} fd=-1 name=${c.name} age=${
    Math.floor((now - c.connectedAt) / 1000)
  } idle=${Math.floor(Math.max(0, now - c.lastInteraction) / 1000)} flags=${
    clientFlags(c, ops, blocked)
  } db=${c.db} sub=${sub?.channelCount ?? 0} psub=${sub?.patternCount ?? 0} ssub=${
    sub?.shardChannelCount ?? 0
  } multi=${c.multi?.commands.length ?? -1} qbuf=${qbuf} qbuf-free=${
    qcap - qbuf
  } argv-mem=${argvMem} multi-mem=${multiMem} rbs=${rbs} rbp=${
    view?.replyBufferPeak ?? 0
  } obl=${obl} oll=${oll} omem=${omem} tot-mem=${qcap + argvMem + multiMem + rbs + omem} events=${
    view?.writing ? "rw" : "r"
  } cmd=${c.lastCommand?.fullName ?? "NULL"} user=default redir=${
    tracking === undefined ? -1 : tracking.redirect
  } resp=${c.protocol}`;
}

/** The CLIENT LIST line of `c` in the server of `ctx`. */
function infoLine(ctx: Context, c: ClientState, now: number): string {
  return clientInfoLine(c, opsOf(ctx.server), now, ctx.server.blocking.isBlocked(c.id));
}

function verbatim(text: string): VerbatimString {
  return new VerbatimString("txt", utf8(text));
}

const clientKill: Handler = (ctx, args) => {
  const self = ctx.client;
  let addr: string | undefined;
  let laddr: string | undefined;
  let type: ClientType | undefined;
  let id = 0;
  let skipme = true;
  if (args.length === 3) {
    // old form: CLIENT KILL <ip:port>, which may kill the caller itself
    addr = fromUtf8(args[2]);
    skipme = false;
  } else {
    for (let i = 2; i < args.length; i += 2) {
      const more = i + 1 < args.length;
      const opt = args[i];
      if (isOption(opt, "id") && more) {
        id = intArg(args[i + 1], BAD_CLIENT_ID);
        if (id < 1) return BAD_CLIENT_ID;
      } else if (isOption(opt, "type") && more) {
        type = clientType(args[i + 1]);
        if (type === undefined) {
          return formatError(`ERR Unknown client type '${cText(args[i + 1])}'`);
        }
      } else if (isOption(opt, "addr") && more) {
        addr = fromUtf8(args[i + 1]);
      } else if (isOption(opt, "laddr") && more) {
        laddr = fromUtf8(args[i + 1]);
      } else if (isOption(opt, "user") && more) {
        if (fromUtf8(args[i + 1]) !== "default") {
          return formatError(`ERR No such user '${cText(args[i + 1])}'`);
        }
      } else if (isOption(opt, "skipme") && more) {
        if (isOption(args[i + 1], "yes")) skipme = true;
        else if (isOption(args[i + 1], "no")) skipme = false;
        else return SYNTAX_ERROR;
      } else {
        return SYNTAX_ERROR;
      }
    }
  }
  let killed = 0;
  for (const c of [...ctx.server.clients.values()]) {
    if (addr !== undefined && c.addr !== addr) continue;
    if (laddr !== undefined && c.laddr !== laddr) continue;
    if (type !== undefined && typeOfClient(c) !== type) continue;
    if (id !== 0 && c.id !== id) continue;
    if (c === self && skipme) continue;
    if (c === self) self.closeAfterReply = true; // after this reply is written
    else c.handle.kill();
    killed++;
  }
  if (args.length === 3) return killed === 0 ? NO_SUCH_CLIENT : OK;
  return killed;
};

const clientList: Handler = (ctx, args) => {
  const now = Date.now();
  let clients: ClientState[];
  if (args.length === 4 && isOption(args[2], "type")) {
    const type = clientType(args[3]);
    if (type === undefined) {
      return formatError(`ERR Unknown client type '${cText(args[3])}'`);
    }
    clients = [...ctx.server.clients.values()].filter((c) => typeOfClient(c) === type);
  } else if (args.length > 3 && isOption(args[2], "id")) {
    clients = [];
    for (let i = 3; i < args.length; i++) {
      const id = intArg(args[i], INVALID_CLIENT_ID);
      const c = ctx.server.clients.get(id);
      if (c !== undefined) clients.push(c);
    }
  } else if (args.length !== 2) {
    return SYNTAX_ERROR;
  } else {
    clients = [...ctx.server.clients.values()];
  }
  return verbatim(clients.map((c) => infoLine(ctx, c, now) + "\n").join(""));
};

/** CLIENT NO-EVICT ON|OFF: the `e` flag (there is no client eviction here to protect from). */
const noEvict: Handler = (ctx, args) => {
  const set = opsOf(ctx.server).noEvict;
  if (isOption(args[2], "on")) set.add(ctx.client.id);
  else if (isOption(args[2], "off")) set.delete(ctx.client.id);
  else return SYNTAX_ERROR;
  return OK;
};

/** CLIENT PAUSE timeout [WRITE|ALL]. */
const clientPause: Handler = (ctx, args) => {
  if (args.length > 4) {
    return formatError(
      `ERR unknown subcommand or wrong number of arguments for '${
        cText(args[1], 128)
      }'. Try CLIENT HELP.`,
    );
  }
  let all = true;
  if (args.length === 4) {
    if (isOption(args[3], "write")) all = false;
    else if (!isOption(args[3], "all")) {
      return new ReplyError("ERR CLIENT PAUSE mode must be WRITE or ALL");
    }
  }
  const ms = int64Arg(args[2], TIMEOUT_NOT_INTEGER);
  if (ms < 0) return new ReplyError("ERR timeout is negative");
  const end = ms === 0 ? 0 : Date.now() + Number(ms);
  opsOf(ctx.server).pause(end, all);
  return OK;
};

const TIMEOUT_NOT_INTEGER = new ReplyError("ERR timeout is not an integer or out of range");

const clientReply: Handler = (ctx, args) => {
  const client = ctx.client;
  if (isOption(args[2], "on")) {
    client.replyFlags &= ~(REPLY_SKIP | REPLY_OFF);
    refreshGate(client);
    return OK;
  }
  if (isOption(args[2], "off")) {
    client.replyFlags |= REPLY_OFF;
  } else if (isOption(args[2], "skip")) {
    if ((client.replyFlags & REPLY_OFF) === 0) client.replyFlags |= REPLY_SKIP_NEXT;
  } else {
    return SYNTAX_ERROR;
  }
  refreshGate(client);
  return NO_REPLY;
};

/** CLIENT UNBLOCK id [TIMEOUT|ERROR] (Redis checks the reason before the id). */
const clientUnblock: Handler = (ctx, args) => {
  if (args.length > 4) {
    // Redis matches the subcommand only with 3 or 4 arguments
    return formatError(
      `ERR unknown subcommand or wrong number of arguments for '${
        cText(args[1], 128)
      }'. Try CLIENT HELP.`,
    );
  }
  let error = false;
  if (args.length === 4) {
    if (isOption(args[3], "error")) error = true;
    else if (!isOption(args[3], "timeout")) {
      return new ReplyError("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR");
    }
  }
  const id = int64Arg(args[2]);
  return ctx.server.blocking.unblock(Number(id), error) ? 1 : 0;
};

const CLIENT_HELP = [
  "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
  "CACHING (YES|NO)",
  "    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
  "GETREDIR",
  "    Return the client ID we are redirecting to when tracking is enabled.",
  "GETNAME",
  "    Return the name of the current connection.",
  "ID",
  "    Return the ID of the current connection.",
  "INFO",
  "    Return information about the current client connection.",
  "KILL <ip:port>",
  "    Kill connection made from <ip:port>.",
  "KILL <option> <value> [<option> <value> [...]]",
  "    Kill connections. Options are:",
  "    * ADDR (<ip:port>|<unixsocket>:0)",
  "      Kill connections made from the specified address",
  "    * LADDR (<ip:port>|<unixsocket>:0)",
  "      Kill connections made to specified local address",
  "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
  "      Kill connections by type.",
  "    * USER <username>",
  "      Kill connections authenticated by <username>.",
  "    * SKIPME (YES|NO)",
  "      Skip killing current connection (default: yes).",
  "LIST [options ...]",
  "    Return information about client connections. Options:",
  "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
  "      Return clients of specified type.",
  "UNPAUSE",
  "    Stop the current client pause, resuming traffic.",
  "PAUSE <timeout> [WRITE|ALL]",
  "    Suspend all, or just write, clients for <timeout> milliseconds.",
  "REPLY (ON|OFF|SKIP)",
  "    Control the replies sent to the current connection.",
  "SETNAME <name>",
  "    Assign the name <name> to the current connection.",
  "UNBLOCK <clientid> [TIMEOUT|ERROR]",
  "    Unblock the specified blocked client.",
  "TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
  "         [OPTIN] [OPTOUT] [NOLOOP]",
  "    Control server assisted client side caching.",
  "TRACKINGINFO",
  "    Report tracking status for the current connection.",
  "NO-EVICT (ON|OFF)",
  "    Protect current client connection from eviction.",
  "HELP",
  "    Prints this help.",
].map((line) => new SimpleString(line));

/** The connection command family. */
export const connectionHandlers: HandlerMap = {
  ping: (ctx, args) => {
    if (args.length > 2) return arityError("ping");
    if ((ctx.client.gate & GATE_RESP2_PUBSUB) !== 0) {
      // RESP2 subscribed mode: a pong array (Redis's pingCommand)
      return [PONG_BYTES, args.length === 1 ? EMPTY : args[1]] as Frame;
    }
    return args.length === 1 ? PONG : args[1];
  },
  echo: (_ctx, args) => args[1],
  quit: (ctx) => {
    ctx.client.closeAfterReply = true;
    return OK;
  },
  select: (ctx, args) => {
    // only database 0 exists
    // (Redis parses a C int: beyond it, the integer error)
    const db = rangeArg(args[1], -2147483648, 2147483647);
    if (db !== 0 && ctx.server.settings.clusterEnabled) {
      return new ReplyError("ERR SELECT is not allowed in cluster mode");
    }
    if (db !== 0) return DB_OUT_OF_RANGE;
    return OK;
  },
  hello: hello,
  auth: auth,
  reset: reset,
  time: time,
  "client|id": (ctx) => ctx.client.id,
  "client|setname": (ctx, args) => {
    if (!isPrintableWord(args[2])) return BAD_NAME;
    ctx.client.name = fromUtf8(args[2]);
    return OK;
  },
  "client|getname": (ctx) => ctx.client.name === "" ? null : ctx.client.name,
  "client|unblock": clientUnblock,
  "client|info": (ctx) => verbatim(infoLine(ctx, ctx.client, Date.now()) + "\n"),
  "client|list": clientList,
  "client|kill": clientKill,
  "client|reply": clientReply,
  "client|no-evict": noEvict,
  "client|pause": clientPause,
  "client|unpause": (ctx) => {
    opsOf(ctx.server).unpause();
    return OK;
  },
  "client|tracking": (ctx, args) => opsOf(ctx.server).tracking.command(ctx.client, args),
  "client|trackinginfo": (ctx) => opsOf(ctx.server).tracking.info(ctx.client),
  "client|getredir": (ctx) => opsOf(ctx.server).tracking.getRedirect(ctx.client),
  "client|caching": (ctx, args) => opsOf(ctx.server).tracking.caching(ctx.client, args[2]),
  "client|help": () => CLIENT_HELP,
};
