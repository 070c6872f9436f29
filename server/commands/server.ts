/**
 * Server commands: CONFIG (GET, SET, RESETSTAT, REWRITE, HELP), COMMAND
 * (COUNT, INFO, DOCS, LIST, GETKEYS, HELP) and a minimal INFO, plus the
 * tables of configuration parameters ({@linkcode configParams}) and INFO
 * sections ({@linkcode INFO_SECTIONS}).
 *
 * @module
 */

import {
  type Frame,
  OK,
  ReplyError,
  RespMap,
  SimpleString,
  VerbatimString,
} from "../../resp/frame.ts";
import { fromUtf8, toBinary, utf8 } from "../../resp/bytes.ts";
import type {
  Command,
  CommandTable,
  Context,
  ResolvedCommand,
  ServerSettings,
} from "../command.ts";
import denoConfig from "../../deno.json" with { type: "json" };
import type { ConfigParam } from "../config.ts";
import { SYNTAX_ERROR } from "../args.ts";

const MEMORY_UNITS: Record<string, number> = {
  "": 1,
  b: 1,
  k: 1000,
  kb: 1024,
  m: 1000 ** 2,
  mb: 1024 ** 2,
  g: 1000 ** 3,
  gb: 1024 ** 3,
};

/** Parses Redis's memory notation (`1gb`, `512mb`, `100`); undefined when invalid. */
export function parseMemory(text: string): number | undefined {
  const m = /^(\d+)([a-z]*)$/i.exec(text);
  if (!m) return undefined;
  const unit = MEMORY_UNITS[m[2].toLowerCase()];
  if (unit === undefined) return undefined;
  return Number(m[1]) * unit;
}

function integer(text: string, min: number, max: number): number | string {
  if (!/^-?\d+$/.test(text)) return "argument couldn't be parsed into an integer";
  const v = Number(text);
  if (v < min || v > max) return `argument must be between ${min} and ${max} inclusive`;
  return v;
}

/** A parameter with a fixed value that CONFIG SET refuses. */
function constant(name: string, value: string): ConfigParam {
  return { name, get: () => value };
}

/** A free-form string parameter that CONFIG SET stores (and nothing reads). */
function stored(name: string, initial: string, valid?: (v: string) => string | undefined) {
  let value = initial;
  return {
    name,
    get: () => value,
    set(v: string) {
      const err = valid?.(v);
      if (err !== undefined) return err;
      value = v;
      return undefined;
    },
  } satisfies ConfigParam;
}

const yesNo = (v: string) =>
  v === "yes" || v === "no" ? undefined : "argument must be 'yes' or 'no'";

/**
 * The configuration parameters an in-memory server reports, bound to the
 * live settings. `save` is empty and `appendonly` is `no`, as for a Redis
 * without persistence (redis-benchmark asks for both).
 */
export function configParams(settings: ServerSettings): ConfigParam[] {
  return [
    stored("save", ""),
    stored("appendonly", "no", yesNo),
    {
      name: "maxclients",
      get: () => String(settings.maxClients),
      set(v) {
        const n = integer(v, 1, 2 ** 31 - 1);
        if (typeof n === "string") return n;
        settings.maxClients = n;
        return undefined;
      },
    },
    {
      name: "client-query-buffer-limit",
      get: () => String(settings.queryBufferLimit),
      set(v) {
        const n = parseMemory(v);
        if (n === undefined) return "argument must be a memory value";
        if (n < 1024 * 1024) {
          return "argument must be between 1048576 and 9223372036854775807 inclusive";
        }
        settings.queryBufferLimit = n;
        return undefined;
      },
    },
    { name: "port", get: () => String(settings.port) },
    { name: "bind", get: () => settings.host },
    constant("databases", "1"),
    constant("proto-max-bulk-len", "536870912"),
    stored("timeout", "0"),
    stored("maxmemory", "0"),
    stored("maxmemory-policy", "noeviction"),
    stored("appendfsync", "everysec"),
  ];
}

const CONFIG_HELP = [
  "CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
  "GET <pattern>",
  "    Return parameters matching the glob-like <pattern> and their values.",
  "SET <directive> <value>",
  "    Set the configuration <directive> to <value>.",
  "RESETSTAT",
  "    Reset statistics reported by the INFO command.",
  "REWRITE",
  "    Rewrite the configuration file.",
  "HELP",
  "    Prints this help.",
].map((line) => new SimpleString(line));

const COMMAND_HELP = [
  "COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
  "(no subcommand)",
  "    Return details about all Redis commands.",
  "COUNT",
  "    Return the total number of commands in this Redis server.",
  "LIST",
  "    Return a list of all commands in this Redis server.",
  "INFO [<command-name> ...]",
  "    Return details about multiple Redis commands.",
  "    If no command names are given, documentation details for all",
  "    commands are returned.",
  "DOCS [<command-name> ...]",
  "    Return documentation details about multiple Redis commands.",
  "    If no command names are given, documentation details for all",
  "    commands are returned.",
  "GETKEYS <full-command>",
  "    Return the keys from a full Redis command.",
  "HELP",
  "    Prints this help.",
].map((line) => new SimpleString(line));

function hasGlob(arg: Uint8Array): boolean {
  for (const c of arg) if (c === 42 || c === 63 || c === 91) return true;
  return false;
}

function container(name: string, summary: string, subcommands: Command[]): Command {
  return {
    name,
    arity: -2,
    flags: [],
    firstKey: 0,
    lastKey: 0,
    step: 0,
    group: "server",
    summary,
    subcommands,
  };
}

function sub(
  name: string,
  arity: number,
  flags: Command["flags"],
  handler: NonNullable<Command["handler"]>,
): Command {
  return { name, arity, flags, firstKey: 0, lastKey: 0, step: 0, group: "server", handler };
}

const configCommand = container("config", "A container for server configuration commands", [
  sub("get", -3, ["admin", "noscript", "loading", "stale"], (ctx, args) => {
    const config = ctx.server.config;
    const seen = new Set<string>();
    const entries: [Frame, Frame][] = [];
    for (let i = 2; i < args.length; i++) {
      if (hasGlob(args[i])) {
        for (const [name, value] of config.match(args[i])) {
          if (seen.has(name)) continue;
          seen.add(name);
          entries.push([name, value]);
        }
      } else {
        const p = config.get(toBinary(args[i]));
        if (p === undefined || seen.has(p.name)) continue;
        seen.add(p.name);
        entries.push([args[i], p.get()]);
      }
    }
    return new RespMap(entries);
  }),
  sub("set", -4, ["admin", "noscript", "loading", "stale"], (ctx, args) => {
    if ((args.length & 1) === 1) return SYNTAX_ERROR;
    const config = ctx.server.config;
    // validate every name first, as Redis does, then apply
    for (let i = 2; i < args.length; i += 2) {
      if (config.get(toBinary(args[i])) === undefined) {
        return new ReplyError(
          `ERR Unknown option or number of arguments for CONFIG SET - '${fromUtf8(args[i])}'`,
        );
      }
    }
    for (let i = 2; i < args.length; i += 2) {
      const p = config.get(toBinary(args[i]))!;
      const name = fromUtf8(args[i]);
      const err = p.set === undefined ? "can't set immutable config" : p.set(fromUtf8(args[i + 1]));
      if (err !== undefined) {
        return new ReplyError(
          `ERR CONFIG SET failed (possibly related to argument '${name}') - ${err}`,
        );
      }
    }
    return OK;
  }),
  sub("resetstat", 2, ["admin", "noscript", "loading", "stale"], () => OK),
  sub(
    "rewrite",
    2,
    ["admin", "noscript", "loading", "stale"],
    () => new ReplyError("ERR The server is running without a config file"),
  ),
  sub("help", 2, ["loading", "stale"], () => CONFIG_HELP),
]);

function categories(cmd: ResolvedCommand): SimpleString[] {
  const out: string[] = [];
  if (cmd.group === "generic") out.push("@keyspace");
  if (cmd.flags.includes("write")) out.push("@write");
  if (cmd.flags.includes("readonly")) out.push("@read");
  if (cmd.group && !["generic", "server"].includes(cmd.group)) out.push(`@${cmd.group}`);
  out.push(cmd.flags.includes("fast") ? "@fast" : "@slow");
  if (cmd.flags.includes("admin")) out.push("@admin", "@dangerous");
  return out.map((c) => new SimpleString(c));
}

/** One COMMAND INFO entry (Redis 7 format, without key specs and tips). */
function commandInfo(cmd: ResolvedCommand): Frame {
  return [
    cmd.fullName,
    cmd.arity,
    cmd.flags.map((f) => new SimpleString(f)),
    cmd.firstKey,
    cmd.lastKey,
    cmd.step,
    categories(cmd),
    [],
    [],
    [...(cmd.subcommandMap?.values() ?? [])].map(commandInfo),
  ];
}

/** One COMMAND DOCS entry: summary and group (more when known). */
function commandDocs(cmd: ResolvedCommand): Frame {
  const entries: [Frame, Frame][] = [];
  if (cmd.summary) entries.push(["summary", cmd.summary]);
  if (cmd.group) entries.push(["group", cmd.group]);
  if (cmd.subcommandMap) {
    const subs: [Frame, Frame][] = [];
    for (const s of cmd.subcommandMap.values()) subs.push([s.fullName, commandDocs(s)]);
    entries.push(["subcommands", new RespMap(subs)]);
  }
  return new RespMap(entries);
}

function findCommand(table: CommandTable, name: Uint8Array): ResolvedCommand | undefined {
  const text = toBinary(name).toLowerCase();
  const bar = text.indexOf("|");
  if (bar === -1) return table.get(text);
  return table.get(text.slice(0, bar))?.subcommandMap?.get(text.slice(bar + 1));
}

/** The keys of a request according to a command's first/last/step. */
function keysOf(cmd: ResolvedCommand, args: Uint8Array[]): Uint8Array[] {
  const keys: Uint8Array[] = [];
  if (cmd.firstKey <= 0) return keys;
  const last = cmd.lastKey < 0 ? args.length + cmd.lastKey : cmd.lastKey;
  for (let i = cmd.firstKey; i <= last && i < args.length; i += cmd.step || 1) keys.push(args[i]);
  return keys;
}

const commandCommand: Command = {
  name: "command",
  arity: -1,
  flags: ["loading", "stale"],
  firstKey: 0,
  lastKey: 0,
  step: 0,
  group: "server",
  summary: "Get array of Redis command details",
  handler: (ctx) => [...ctx.server.commands].map(commandInfo),
  subcommands: [
    sub("count", 2, ["loading", "stale"], (ctx) => ctx.server.commands.size),
    sub("list", -2, ["loading", "stale"], (ctx) => [...ctx.server.commands].map((c) => c.name)),
    sub("info", -2, ["loading", "stale"], (ctx, args) => {
      const table = ctx.server.commands;
      if (args.length === 2) return [...table].map(commandInfo);
      const out: Frame[] = [];
      for (let i = 2; i < args.length; i++) {
        const cmd = findCommand(table, args[i]);
        out.push(cmd === undefined ? null : commandInfo(cmd));
      }
      return out;
    }),
    sub("docs", -2, ["loading", "stale"], (ctx, args) => {
      const table = ctx.server.commands;
      const entries: [Frame, Frame][] = [];
      if (args.length === 2) {
        for (const cmd of table) entries.push([cmd.name, commandDocs(cmd)]);
      } else {
        for (let i = 2; i < args.length; i++) {
          const cmd = findCommand(table, args[i]);
          if (cmd !== undefined) entries.push([cmd.fullName, commandDocs(cmd)]);
        }
      }
      return new RespMap(entries);
    }),
    sub("getkeys", -4, ["loading", "stale"], (ctx, args) => {
      const rest = args.slice(2);
      let cmd = ctx.server.commands.get(toBinary(rest[0]).toLowerCase());
      if (cmd?.subcommandMap && rest.length >= 2) {
        cmd = cmd.subcommandMap.get(toBinary(rest[1]).toLowerCase());
      }
      if (cmd === undefined) return new ReplyError("ERR Invalid command specified");
      if (cmd.firstKey <= 0) return new ReplyError("ERR The command has no key arguments");
      if ((cmd.arity > 0 && cmd.arity !== rest.length) || rest.length < -cmd.arity) {
        return new ReplyError("ERR Invalid number of arguments specified for command");
      }
      return keysOf(cmd, rest);
    }),
    sub("help", 2, ["loading", "stale"], () => COMMAND_HELP),
  ],
};

/** The Redis version whose behaviour the server follows (INFO `redis_version`). */
export const REDIS_VERSION = "7.0.0";

/**
 * INFO sections, in Redis's default order: each returns `field:value`
 * pairs. Clients read a few of them (ioredis's ready check reads
 * `loading`); adding a field is adding a pair.
 */
export const INFO_SECTIONS: [string, (ctx: Context) => [string, string | number][]][] = [
  ["server", (ctx) => {
    const uptime = Math.floor((Date.now() - ctx.server.startedAt) / 1000);
    return [
      ["redis_version", REDIS_VERSION],
      ["mini_redis_version", denoConfig.version],
      ["redis_mode", "standalone"],
      ["os", `${Deno.build.os} ${Deno.build.arch}`],
      ["arch_bits", 64],
      ["multiplexing_api", "deno"],
      ["process_id", Deno.pid],
      ["tcp_port", ctx.server.settings.port],
      ["uptime_in_seconds", uptime],
      ["uptime_in_days", Math.floor(uptime / 86400)],
      ["hz", 10],
    ];
  }],
  ["clients", (ctx) => [
    ["connected_clients", ctx.server.clients.size],
    ["maxclients", ctx.server.settings.maxClients],
    ["blocked_clients", 0],
  ]],
  ["memory", () => {
    const m = Deno.memoryUsage();
    return [
      ["used_memory", m.heapUsed + m.external],
      ["used_memory_rss", m.rss],
      ["maxmemory", 0],
      ["maxmemory_policy", "noeviction"],
    ];
  }],
  ["persistence", () => [
    ["loading", 0],
    ["async_loading", 0],
    ["rdb_changes_since_last_save", 0],
    ["aof_enabled", 0],
  ]],
  ["stats", (ctx) => [["expired_keys", ctx.db.expiredTotal]]],
  ["replication", () => [["role", "master"], ["connected_slaves", 0]]],
  [
    "keyspace",
    (ctx) =>
      ctx.db.size === 0
        ? []
        : [["db0", `keys=${ctx.db.size},expires=${ctx.db.volatileSize},avg_ttl=0`]],
  ],
];

const infoCommand: Command = {
  name: "info",
  arity: -1,
  flags: ["loading", "stale"],
  firstKey: 0,
  lastKey: 0,
  step: 0,
  group: "server",
  summary: "Get information and statistics about the server",
  handler: (ctx, args) => {
    let wanted: Set<string> | null = null; // null: every section
    for (let i = 1; i < args.length; i++) {
      const name = toBinary(args[i]).toLowerCase();
      if (name === "all" || name === "everything" || name === "default") {
        wanted = null;
        break;
      }
      (wanted ??= new Set()).add(name);
    }
    const parts: string[] = [];
    for (const [name, fields] of INFO_SECTIONS) {
      if (wanted !== null && !wanted.has(name)) continue;
      const title = name[0].toUpperCase() + name.slice(1);
      parts.push(
        `# ${title}\r\n` + fields(ctx).map(([k, v]) => `${k}:${v}\r\n`).join(""),
      );
    }
    return new VerbatimString("txt", utf8(parts.join("\r\n")));
  },
};

/** The server command family. */
export const serverCommands: Command[] = [configCommand, commandCommand, infoCommand];
