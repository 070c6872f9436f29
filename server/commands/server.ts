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
  RespSet,
  SimpleString,
  VerbatimString,
} from "../../resp/frame.ts";
import { fromUtf8, toBinary, utf8 } from "../../resp/bytes.ts";
import {
  type Command,
  type CommandFlag,
  type CommandTable,
  type Context,
  type Handler,
  keyless,
  type OutputLimit,
  type ResolvedCommand,
  type ServerSettings,
  type ServerState,
} from "../command.ts";
import denoConfig from "../../deno.json" with { type: "json" };
import process from "node:process";
import type { ConfigParam } from "../config.ts";
import { cText, formatError, SYNTAX_ERROR } from "../args.ts";
import { setRequirePass } from "../auth.ts";
import { commandDocsReply } from "./docs.ts";
import {
  formatNotifyFlags,
  NOTIFY_FLAGS_ERROR,
  notifyHook,
  parseNotifyFlags,
} from "../db/notify.ts";

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

function memory(text: string, min: number): number | string {
  const n = parseMemory(text);
  if (n === undefined) return "argument must be a memory value";
  if (n < min) return `argument must be between ${min} and 9223372036854775807 inclusive`;
  return n;
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

const CLASS_NAMES: Record<string, "normal" | "replica" | "pubsub" | undefined> = {
  normal: "normal",
  slave: "replica",
  replica: "replica",
  pubsub: "pubsub",
};

/** `client-output-buffer-limit` as Redis prints it. */
function formatOutputLimits(limits: ServerSettings["outputLimits"]): string {
  const one = (name: string, l: OutputLimit) => `${name} ${l.hard} ${l.soft} ${l.softSeconds}`;
  return `${one("normal", limits.normal)} ${one("slave", limits.replica)} ${
    one("pubsub", limits.pubsub)
  }`;
}

/**
 * Parses and applies a `client-output-buffer-limit` value (Redis's
 * `<class> <hard> <soft> <seconds>` groups; unnamed classes keep their
 * limits). Returns Redis's error text, or undefined once applied.
 */
function setOutputLimits(
  limits: ServerSettings["outputLimits"],
  value: string,
): string | undefined {
  const words = value.split(" ").filter((w) => w !== "");
  if (words.length % 4 !== 0) return "Wrong number of arguments in buffer limit configuration.";
  const parsed: [keyof typeof limits, OutputLimit][] = [];
  for (let i = 0; i < words.length; i += 4) {
    const cls = CLASS_NAMES[words[i].toLowerCase()];
    if (cls === undefined) {
      return "Invalid client class specified in buffer limit configuration.";
    }
    const hard = parseMemory(words[i + 1]);
    const soft = parseMemory(words[i + 2]);
    const seconds = /^\d+$/.test(words[i + 3]) ? Number(words[i + 3]) : undefined;
    if (hard === undefined || soft === undefined || seconds === undefined) {
      return "Error in hard, soft or soft_seconds setting in buffer limit configuration.";
    }
    parsed.push([cls, { hard, soft, softSeconds: seconds }]);
  }
  for (const [cls, limit] of parsed) limits[cls] = limit;
  return undefined;
}

/**
 * The configuration parameters, bound to the live server state: those the
 * server acts on (`maxclients`, `requirepass`, `notify-keyspace-events`,
 * `client-output-buffer-limit`, `proto-max-bulk-len`,
 * `client-query-buffer-limit`, `timeout`) and those an in-memory server
 * only reports: `save` is empty and `appendonly` is `no`, as for a Redis
 * without persistence (redis-benchmark asks for both).
 */
export function configParams(state: ServerState): ConfigParam[] {
  const settings = state.settings;
  return [
    stored("save", ""),
    stored("appendonly", "no", yesNo),
    {
      name: "maxclients",
      get: () => String(settings.maxClients),
      set(v) {
        const n = integer(v, 1, 4294967295);
        if (typeof n === "string") return n;
        settings.maxClients = n;
        return undefined;
      },
    },
    {
      name: "requirepass",
      get: () => settings.requirePass,
      set(v) {
        setRequirePass(settings, v);
        return undefined;
      },
    },
    {
      name: "notify-keyspace-events",
      get: () => formatNotifyFlags(settings.notifyFlags),
      set(v) {
        const flags = parseNotifyFlags(v);
        if (flags === undefined) return NOTIFY_FLAGS_ERROR;
        settings.notifyFlags = flags;
        state.db.notify = notifyHook(flags, state.pubsub) ?? NO_NOTIFY;
        return undefined;
      },
    },
    {
      name: "client-output-buffer-limit",
      get: () => formatOutputLimits(settings.outputLimits),
      set: (v) => setOutputLimits(settings.outputLimits, v),
    },
    {
      name: "proto-max-bulk-len",
      get: () => String(settings.protoMaxBulkLen),
      set(v) {
        const n = memory(v, 1024 * 1024);
        if (typeof n === "string") return n;
        settings.protoMaxBulkLen = n;
        return undefined;
      },
    },
    {
      name: "client-query-buffer-limit",
      get: () => String(settings.queryBufferLimit),
      set(v) {
        const n = memory(v, 1024 * 1024);
        if (typeof n === "string") return n;
        settings.queryBufferLimit = n;
        return undefined;
      },
    },
    {
      name: "timeout",
      get: () => String(settings.timeout),
      set(v) {
        const n = integer(v, 0, 2147483647);
        if (typeof n === "string") return n;
        settings.timeout = n;
        return undefined;
      },
    },
    { name: "port", get: () => String(settings.port) },
    { name: "bind", get: () => settings.host },
    constant("databases", "1"),
    constant("cluster-enabled", "no"),
    stored("maxmemory", "0"),
    stored("maxmemory-policy", "noeviction"),
    stored("appendfsync", "everysec"),
  ];
}

const NO_NOTIFY = () => {};

/** `name`: the client's argument as binary text ({@linkcode cText}), or a parameter's name. */
function configSetError(name: string, problem: string): ReplyError {
  return formatError(`ERR CONFIG SET failed (possibly related to argument '${name}') - ${problem}`);
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

const HELP_SUMMARY = "Show helpful text about the different subcommands";

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
  flags: CommandFlag[],
  summary: string,
  handler: Handler,
): Command {
  return keyless("server", name, arity, flags, summary, handler);
}

const configCommand = container("config", "A container for server configuration commands", [
  sub(
    "get",
    -3,
    ["admin", "noscript", "loading", "stale"],
    "Get the values of configuration parameters",
    (ctx, args) => {
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
    },
  ),
  sub(
    "set",
    -4,
    ["admin", "noscript", "loading", "stale"],
    "Set configuration parameters to the given values",
    (ctx, args) => {
      if ((args.length & 1) === 1) return SYNTAX_ERROR;
      const config = ctx.server.config;
      // check every name first, as Redis does (the first problem is reported) ...
      const params: ConfigParam[] = [];
      for (let i = 2; i < args.length; i += 2) {
        const name = cText(args[i]);
        const p = config.get(toBinary(args[i]));
        if (p === undefined) {
          return formatError(
            `ERR Unknown option or number of arguments for CONFIG SET - '${name}'`,
          );
        }
        const problem = p.set === undefined
          ? "can't set immutable config"
          : params.includes(p)
          ? "duplicate parameter"
          : undefined;
        if (problem !== undefined) return configSetError(name, problem);
        params.push(p);
      }
      // ... then apply them all, or none: a failure restores the values already set
      const previous = params.map((p) => p.get());
      for (let k = 0; k < params.length; k++) {
        const err = params[k].set!(fromUtf8(args[3 + 2 * k]));
        if (err !== undefined) {
          for (let j = 0; j < k; j++) params[j].set!(previous[j]);
          // Redis names the parameter here, not the argument (`set_configs[i]->name`)
          return configSetError(params[k].name, err);
        }
      }
      return OK;
    },
  ),
  sub(
    "resetstat",
    2,
    ["admin", "noscript", "loading", "stale"],
    "Reset the stats returned by INFO",
    () => OK,
  ),
  sub(
    "rewrite",
    2,
    ["admin", "noscript", "loading", "stale"],
    "Rewrite the configuration file with the in memory configuration",
    () => new ReplyError("ERR The server is running without a config file"),
  ),
  sub("help", 2, ["loading", "stale"], HELP_SUMMARY, () => CONFIG_HELP),
]);

/** Redis's ACL categories in its bit order (the order COMMAND INFO lists them in). */
const CATEGORY_ORDER = [
  "keyspace",
  "read",
  "write",
  "set",
  "sortedset",
  "list",
  "hash",
  "string",
  "bitmap",
  "hyperloglog",
  "geo",
  "stream",
  "pubsub",
  "admin",
  "fast",
  "slow",
  "blocking",
  "dangerous",
  "connection",
  "transaction",
  "scripting",
];

/** Groups whose commands carry the category of the same name (others: none). */
const GROUP_CATEGORIES: Record<string, string> = {
  generic: "keyspace",
  string: "string",
  bitmap: "bitmap",
  connection: "connection",
  list: "list",
  hash: "hash",
  set: "set",
  "sorted-set": "sortedset",
  stream: "stream",
  transactions: "transaction",
};

/** A command's ACL categories: explicit or from its group, plus those its flags imply (as Redis). */
function categories(cmd: ResolvedCommand): SimpleString[] {
  const set = new Set<string>(cmd.aclCategories ?? []);
  // the group's category, unless given explicitly (containers have none)
  const group = cmd.aclCategories !== undefined || cmd.subcommands !== undefined ||
      cmd.group === undefined
    ? undefined
    : GROUP_CATEGORIES[cmd.group];
  if (group !== undefined) set.add(group);
  const f = cmd.flags;
  if (f.includes("write")) set.add("write");
  if (f.includes("readonly")) set.add("read");
  if (f.includes("admin")) set.add("admin").add("dangerous");
  if (f.includes("pubsub")) set.add("pubsub");
  if (f.includes("blocking")) set.add("blocking");
  set.add(f.includes("fast") ? "fast" : "slow");
  return CATEGORY_ORDER.filter((c) => set.has(c)).map((c) => new SimpleString(`@${c}`));
}

/**
 * The key specification Redis 7 reports for a command with keys, made
 * from its first/last/step positions (index search, range find).
 */
function keySpecs(cmd: ResolvedCommand): RespSet {
  if (cmd.firstKey <= 0) return new RespSet([]);
  const flags = new RespSet(
    cmd.flags.includes("write")
      ? [new SimpleString("RW"), new SimpleString("update")]
      : [new SimpleString("RO"), new SimpleString("access")],
  );
  const last = cmd.lastKey < 0 ? cmd.lastKey : cmd.lastKey - cmd.firstKey;
  return new RespSet([
    new RespMap([
      ["flags", flags],
      [
        "begin_search",
        new RespMap([["type", "index"], ["spec", new RespMap([["index", cmd.firstKey]])]]),
      ],
      [
        "find_keys",
        new RespMap([
          ["type", "range"],
          [
            "spec",
            new RespMap([["lastkey", last], ["keystep", cmd.step || 1], ["limit", 0]]),
          ],
        ]),
      ],
    ]),
  ]);
}

/** One COMMAND INFO entry (Redis 7 format: name, arity, flags, keys, categories, tips, key specs, subcommands). */
function commandInfo(cmd: ResolvedCommand): Frame {
  return [
    cmd.fullName,
    cmd.arity,
    new RespSet(cmd.flags.map((f) => new SimpleString(f))),
    cmd.firstKey,
    cmd.lastKey,
    cmd.step,
    new RespSet(categories(cmd)),
    new RespSet([]),
    keySpecs(cmd),
    // (Redis: an empty set without subcommands, an array with them)
    cmd.subcommandMap === undefined
      ? new RespSet([])
      : [...cmd.subcommandMap.values()].map(commandInfo),
  ];
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
  aclCategories: ["connection"],
  firstKey: 0,
  lastKey: 0,
  step: 0,
  group: "server",
  summary: "Get array of Redis command details",
  handler: (ctx) => [...ctx.server.commands].map(commandInfo),
  subcommands: [
    sub(
      "count",
      2,
      ["loading", "stale"],
      "Get total number of Redis commands",
      (ctx) => ctx.server.commands.size,
    ),
    sub(
      "list",
      -2,
      ["loading", "stale"],
      "Get an array of Redis command names",
      (ctx) => [...ctx.server.commands].map((c) => c.name),
    ),
    sub(
      "info",
      -2,
      ["loading", "stale"],
      "Get array of specific Redis command details, or all when no argument is given.",
      (ctx, args) => {
        const table = ctx.server.commands;
        if (args.length === 2) return [...table].map(commandInfo);
        const out: Frame[] = [];
        for (let i = 2; i < args.length; i++) {
          const cmd = findCommand(table, args[i]);
          out.push(cmd === undefined ? null : commandInfo(cmd));
        }
        return out;
      },
    ),
    sub(
      "docs",
      -2,
      ["loading", "stale"],
      "Get array of specific Redis command documentation",
      (ctx, args) => {
        const table = ctx.server.commands;
        const entries: [Frame, Frame][] = [];
        if (args.length === 2) {
          for (const cmd of table) entries.push([cmd.name, commandDocsReply(cmd)]);
        } else {
          for (let i = 2; i < args.length; i++) {
            const cmd = findCommand(table, args[i]);
            if (cmd !== undefined) entries.push([cmd.fullName, commandDocsReply(cmd)]);
          }
        }
        return new RespMap(entries);
      },
    ),
    sub(
      "getkeys",
      -4,
      ["loading", "stale"],
      "Extract keys given a full Redis command",
      (ctx, args) => {
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
      },
    ),
    sub("help", 2, ["loading", "stale"], HELP_SUMMARY, () => COMMAND_HELP),
  ].map((c) => ({ ...c, aclCategories: ["connection"] })),
};

/**
 * The Redis version whose behaviour the server follows: INFO
 * `redis_version` and HELLO's `version`. Tools parse it as a version
 * number, so it is a plain Redis version; our own is INFO
 * `mini_redis_version`.
 */
export const REDIS_VERSION = "7.0.15";

/** Bytes in Redis's human form (`bytesToHuman`): `967.30K`, `6.79M`, `0B`. */
export function bytesToHuman(n: number): string {
  const units = ["B", "K", "M", "G", "T", "P"];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${n}B` : `${v.toFixed(2)}${units[i]}`;
}

let peakMemory = 0;

function cpuUsage(): { user: number; system: number } {
  try {
    const u = process.cpuUsage();
    return { user: u.user / 1e6, system: u.system / 1e6 };
  } catch {
    return { user: 0, system: 0 };
  }
}

/** One INFO field: `name:value`. */
type InfoField = [string, string | number];

/**
 * INFO sections, in Redis's order, by title: each returns its `field:value` pairs,
 * with Redis's field names (tools and client libraries read some: ioredis
 * `loading`, redis-benchmark `redis_version`, monitoring `connected_clients`,
 * `used_memory`, ...). Adding a field is adding a pair. Fields that mean
 * nothing here (forks, replication backlog) have Redis's idle values.
 */
export const INFO_SECTIONS: [string, (ctx: Context) => InfoField[]][] = [
  ["Server", (ctx) => {
    const server = ctx.server;
    const now = Date.now();
    const uptime = Math.floor((now - server.startedAt) / 1000);
    let executable = "";
    try {
      executable = Deno.execPath();
    } catch {
      // no --allow-read: leave it empty
    }
    return [
      ["redis_version", REDIS_VERSION],
      ["redis_git_sha1", "00000000"],
      ["redis_git_dirty", 0],
      ["redis_build_id", "0"],
      ["redis_mode", "standalone"],
      ["mini_redis_version", denoConfig.version],
      ["deno_version", Deno.version.deno],
      ["os", `${Deno.build.os} ${Deno.build.arch}`],
      ["arch_bits", 64],
      ["monotonic_clock", "performance.now"],
      ["multiplexing_api", "deno"],
      ["process_id", Deno.pid],
      ["process_supervised", "no"],
      ["run_id", server.runId],
      ["tcp_port", server.settings.port],
      ["server_time_usec", now * 1000],
      ["uptime_in_seconds", uptime],
      ["uptime_in_days", Math.floor(uptime / 86400)],
      ["hz", 10],
      ["configured_hz", 10],
      ["lru_clock", Math.floor(now / 1000) & ((1 << 24) - 1)],
      ["executable", executable],
      ["config_file", ""],
      ["io_threads_active", 0],
    ];
  }],
  ["Clients", (ctx) => {
    let maxIn = 0;
    let maxOut = 0;
    for (const c of ctx.server.clients.values()) {
      maxIn = Math.max(maxIn, c.handle.inputLength);
      maxOut = Math.max(maxOut, c.handle.outputLength);
    }
    return [
      ["connected_clients", ctx.server.clients.size],
      ["cluster_connections", 0],
      ["maxclients", ctx.server.settings.maxClients],
      ["client_recent_max_input_buffer", maxIn],
      ["client_recent_max_output_buffer", maxOut],
      ["blocked_clients", ctx.server.blocking.blockedClients],
      ["tracking_clients", 0],
      ["clients_in_timeout_table", ctx.server.blocking.withTimeout],
    ];
  }],
  ["Memory", () => {
    const m = Deno.memoryUsage();
    const used = m.heapUsed + m.external;
    peakMemory = Math.max(peakMemory, used);
    const maxmemory = 0;
    return [
      ["used_memory", used],
      ["used_memory_human", bytesToHuman(used)],
      ["used_memory_rss", m.rss],
      ["used_memory_rss_human", bytesToHuman(m.rss)],
      ["used_memory_peak", peakMemory],
      ["used_memory_peak_human", bytesToHuman(peakMemory)],
      ["used_memory_peak_perc", `${((used / peakMemory) * 100).toFixed(2)}%`],
      ["total_system_memory", systemMemory()],
      ["total_system_memory_human", bytesToHuman(systemMemory())],
      ["maxmemory", maxmemory],
      ["maxmemory_human", bytesToHuman(maxmemory)],
      ["maxmemory_policy", "noeviction"],
      ["mem_fragmentation_ratio", (m.rss / Math.max(1, used)).toFixed(2)],
      ["mem_allocator", "v8"],
      ["lazyfree_pending_objects", 0],
    ];
  }],
  ["Persistence", (ctx) => [
    ["loading", 0],
    ["async_loading", 0],
    ["rdb_changes_since_last_save", 0],
    ["rdb_bgsave_in_progress", 0],
    ["rdb_last_save_time", Math.floor(ctx.server.startedAt / 1000)],
    ["rdb_last_bgsave_status", "ok"],
    ["rdb_last_bgsave_time_sec", -1],
    ["rdb_current_bgsave_time_sec", -1],
    ["rdb_saves", 0],
    ["aof_enabled", 0],
    ["aof_rewrite_in_progress", 0],
    ["aof_rewrite_scheduled", 0],
    ["aof_last_rewrite_time_sec", -1],
    ["aof_current_rewrite_time_sec", -1],
    ["aof_last_bgrewrite_status", "ok"],
    ["aof_last_write_status", "ok"],
  ]],
  ["Stats", (ctx) => {
    const stats = ctx.server.stats;
    const db = ctx.db;
    return [
      ["total_connections_received", stats.connectionsReceived],
      ["total_commands_processed", stats.commandsProcessed],
      ["instantaneous_ops_per_sec", stats.opsPerSec],
      ["total_net_input_bytes", stats.netInputBytes],
      ["total_net_output_bytes", stats.netOutputBytes],
      ["rejected_connections", stats.rejectedConnections],
      ["expired_keys", db.expiredTotal],
      ["evicted_keys", 0],
      ["evicted_clients", 0],
      ["keyspace_hits", db.hits],
      ["keyspace_misses", db.misses],
      ["pubsub_channels", ctx.server.pubsub.channelCount],
      ["pubsub_patterns", ctx.server.pubsub.patternCount],
      ["pubsubshard_channels", 0],
      ["latest_fork_usec", 0],
      ["total_forks", 0],
      ["client_output_buffer_limit_disconnections", stats.outputLimitDisconnections],
    ];
  }],
  ["Replication", (ctx) => [
    ["role", "master"],
    ["connected_slaves", 0],
    ["master_failover_state", "no-failover"],
    ["master_replid", ctx.server.runId],
    ["master_replid2", "0000000000000000000000000000000000000000"],
    ["master_repl_offset", 0],
    ["second_repl_offset", -1],
    ["repl_backlog_active", 0],
    ["repl_backlog_size", 1048576],
    ["repl_backlog_first_byte_offset", 0],
    ["repl_backlog_histlen", 0],
  ]],
  ["CPU", () => {
    const cpu = cpuUsage();
    return [
      ["used_cpu_sys", cpu.system.toFixed(6)],
      ["used_cpu_user", cpu.user.toFixed(6)],
      ["used_cpu_sys_children", "0.000000"],
      ["used_cpu_user_children", "0.000000"],
    ];
  }],
  ["Modules", () => []],
  ["Errorstats", () => []],
  ["Cluster", () => [["cluster_enabled", 0]]],
  [
    "Keyspace",
    (ctx) =>
      ctx.db.size === 0 ? [] : [[
        "db0",
        `keys=${ctx.db.size},expires=${ctx.db.volatileSize},avg_ttl=${ctx.db.averageTtl()}`,
      ]],
  ],
];

let totalMemory: number | undefined;

function systemMemory(): number {
  if (totalMemory === undefined) {
    try {
      totalMemory = Deno.systemMemoryInfo().total;
    } catch {
      totalMemory = 0;
    }
  }
  return totalMemory;
}

const infoCommand: Command = {
  name: "info",
  arity: -1,
  flags: ["loading", "stale"],
  aclCategories: ["dangerous"],
  firstKey: 0,
  lastKey: 0,
  step: 0,
  group: "server",
  summary: "Get information and statistics about the server",
  handler: (ctx, args) => {
    // no argument, `default`, `all`, `everything`: every section (the
    // statistics only `all` adds in Redis, commandstats and latencystats,
    // are not kept here); otherwise the named sections, in Redis's order
    let wanted: Set<string> | null = null;
    for (let i = 1; i < args.length; i++) {
      const name = toBinary(args[i]).toLowerCase();
      if (name === "all" || name === "default" || name === "everything") {
        wanted = null;
        break;
      }
      (wanted ??= new Set()).add(name);
    }
    const parts: string[] = [];
    for (const [title, fields] of INFO_SECTIONS) {
      if (wanted !== null && !wanted.has(title.toLowerCase())) continue;
      parts.push(
        `# ${title}\r\n` + fields(ctx).map(([k, v]) => `${k}:${v}\r\n`).join(""),
      );
    }
    return new VerbatimString("txt", utf8(parts.join("\r\n")));
  },
};

/** The server command family. */
export const serverCommands: Command[] = [configCommand, commandCommand, infoCommand];
