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
import {
  type CommandTable,
  type Context,
  type HandlerMap,
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
import { keysOf } from "./meta.ts";
import type { EncodingLimits } from "../types/limits.ts";
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

function integer(text: string, min: number | bigint, max: number | bigint): number | string {
  if (!/^-?\d+$/.test(text)) return "argument couldn't be parsed into an integer";
  const v = BigInt(text);
  if (v < BigInt(min) || v > BigInt(max)) {
    return `argument must be between ${min} and ${max} inclusive`;
  }
  return Number(v);
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
    ...encodingParams(state.db.limits),
    { name: "port", get: () => String(settings.port) },
    { name: "bind", get: () => settings.host },
    constant("databases", "1"),
    { name: "cluster-enabled", get: () => (settings.clusterEnabled ? "yes" : "no") },
    stored("maxmemory", "0"),
    stored("maxmemory-policy", "noeviction"),
    stored("appendfsync", "everysec"),
  ];
}

const NO_NOTIFY = () => {};

/**
 * The thresholds of the compact encodings (`hash-max-listpack-entries`,
 * ...), with their `ziplist` aliases, Redis's ranges and error texts:
 * entries are integers, values are memory values (`1kb`).
 */
function encodingParams(limits: EncodingLimits): ConfigParam[] {
  const LONG_MAX = 9223372036854775807n;
  const INT_MAX = 2147483647;
  const param = (
    name: string,
    alias: string | undefined,
    field: keyof EncodingLimits,
    parse: (v: string) => number | string,
  ): ConfigParam => ({
    name,
    aliases: alias === undefined ? undefined : [alias],
    get: () => String(limits[field]),
    set(v) {
      const n = parse(v);
      if (typeof n === "string") return n;
      limits[field] = n;
      return undefined;
    },
  });
  const entries = (v: string) => integer(v, 0, LONG_MAX);
  const bytes = (v: string) => memory(v, 0);
  return [
    param(
      "hash-max-listpack-entries",
      "hash-max-ziplist-entries",
      "hashMaxListpackEntries",
      entries,
    ),
    param("hash-max-listpack-value", "hash-max-ziplist-value", "hashMaxListpackValue", bytes),
    param("set-max-intset-entries", undefined, "setMaxIntsetEntries", entries),
    param(
      "zset-max-listpack-entries",
      "zset-max-ziplist-entries",
      "zsetMaxListpackEntries",
      entries,
    ),
    param("zset-max-listpack-value", "zset-max-ziplist-value", "zsetMaxListpackValue", bytes),
    param(
      "list-max-listpack-size",
      "list-max-ziplist-size",
      "listMaxListpackSize",
      (v) => integer(v, -INT_MAX - 1, INT_MAX),
    ),
    param("list-compress-depth", undefined, "listCompressDepth", (v) => integer(v, 0, INT_MAX)),
  ];
}

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

function hasGlob(arg: Uint8Array): boolean {
  for (const c of arg) if (c === 42 || c === 63 || c === 91) return true;
  return false;
}

/** One COMMAND INFO entry: Redis's, with the subcommands this server has. */
function commandInfo(cmd: ResolvedCommand): Frame {
  const own = cmd.meta.info;
  return [
    ...own.slice(0, 9),
    // (Redis: an empty set without subcommands, an array with them)
    cmd.subcommandMap === undefined ? own[9] : [...cmd.subcommandMap.values()].map(commandInfo),
  ];
}

/** One COMMAND DOCS entry: Redis's, with the subcommands this server has. */
function commandDocsReply(cmd: ResolvedCommand): RespMap {
  const own = cmd.meta.docs;
  if (cmd.subcommandMap === undefined) return own;
  const subs: [Frame, Frame][] = [];
  for (const s of cmd.subcommandMap.values()) subs.push([s.fullName, commandDocsReply(s)]);
  return new RespMap([...own.entries, ["subcommands", new RespMap(subs)]]);
}

function findCommand(table: CommandTable, name: Uint8Array): ResolvedCommand | undefined {
  const text = toBinary(name).toLowerCase();
  const bar = text.indexOf("|");
  if (bar === -1) return table.get(text);
  return table.get(text.slice(0, bar))?.subcommandMap?.get(text.slice(bar + 1));
}

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
      ["redis_mode", server.settings.clusterEnabled ? "cluster" : "standalone"],
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
      ["unexpected_error_replies", 0],
      ["total_error_replies", ctx.server.commandStats.errorReplies],
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
  ["Commandstats", (ctx) => lines(ctx.server.commandStats.commandLines())],
  ["Errorstats", (ctx) => lines(ctx.server.commandStats.errorLines())],
  ["Latencystats", (ctx) => lines(ctx.server.commandStats.latencyLines())],
  ["Cluster", (ctx) => [["cluster_enabled", ctx.server.settings.clusterEnabled ? 1 : 0]]],
  [
    "Keyspace",
    (ctx) =>
      ctx.db.size === 0 ? [] : [[
        "db0",
        `keys=${ctx.db.size},expires=${ctx.db.volatileSize},avg_ttl=${ctx.db.averageTtl()}`,
      ]],
  ],
];

/** Pre-formatted `name:value` lines as INFO fields. */
function lines(text: string[]): InfoField[] {
  return text.map((l) => {
    const colon = l.indexOf(":");
    return [l.slice(0, colon), l.slice(colon + 1)];
  });
}

/** The sections INFO prints with no argument or `default`; `all` and `everything` add the rest. */
const DEFAULT_SECTIONS = new Set([
  "server",
  "clients",
  "memory",
  "persistence",
  "stats",
  "replication",
  "cpu",
  "modules",
  "errorstats",
  "cluster",
  "keyspace",
]);

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

/** The server command family. */
export const serverHandlers: HandlerMap = {
  "config|get": (ctx, args) => {
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
  "config|set": (ctx, args) => {
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
        // Redis names the parameter here as it is registered (an alias by its own name)
        return configSetError(cText(args[2 + 2 * k]).toLowerCase(), err);
      }
    }
    return OK;
  },
  "config|resetstat": (ctx) => {
    ctx.server.commandStats.reset();
    return OK;
  },
  "config|rewrite": () => new ReplyError("ERR The server is running without a config file"),
  "config|help": () => CONFIG_HELP,
  "command|count": (ctx) => ctx.server.commands.size,
  "command|list": (ctx) => [...ctx.server.commands].map((c) => c.name),
  "command|info": (ctx, args) => {
    const table = ctx.server.commands;
    if (args.length === 2) return [...table].map(commandInfo);
    const out: Frame[] = [];
    for (let i = 2; i < args.length; i++) {
      const cmd = findCommand(table, args[i]);
      out.push(cmd === undefined ? null : commandInfo(cmd));
    }
    return out;
  },
  "command|docs": (ctx, args) => {
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
  "command|getkeys": (ctx, args) => {
    const rest = args.slice(2);
    let cmd = ctx.server.commands.get(toBinary(rest[0]).toLowerCase());
    if (cmd?.subcommandMap && rest.length >= 2) {
      cmd = cmd.subcommandMap.get(toBinary(rest[1]).toLowerCase());
    }
    if (cmd === undefined) return new ReplyError("ERR Invalid command specified");
    if (cmd.meta.keySpecs.length === 0) {
      return new ReplyError("ERR The command has no key arguments");
    }
    if ((cmd.arity > 0 && cmd.arity !== rest.length) || rest.length < -cmd.arity) {
      return new ReplyError("ERR Invalid number of arguments specified for command");
    }
    const keys = keysOf(cmd.meta, rest);
    if (keys.length === 0) return new ReplyError("ERR Invalid arguments specified for command");
    return keys;
  },
  "command|help": () => COMMAND_HELP,
  command: (ctx) => [...ctx.server.commands].map(commandInfo),
  info: (ctx, args) => {
    // no argument or `default`: Redis's default sections; `all` and
    // `everything`: every section; otherwise the named sections (any
    // mix), always in Redis's order
    let all = false;
    const wanted = new Set<string>();
    if (args.length === 1) { for (const d of DEFAULT_SECTIONS) wanted.add(d); }
    for (let i = 1; i < args.length; i++) {
      const name = toBinary(args[i]).toLowerCase();
      if (name === "all" || name === "everything") all = true;
      else if (name === "default") { for (const d of DEFAULT_SECTIONS) wanted.add(d); }
      else wanted.add(name);
    }
    const parts: string[] = [];
    for (const [title, fields] of INFO_SECTIONS) {
      if (!all && !wanted.has(title.toLowerCase())) continue;
      parts.push(
        `# ${title}\r\n` + fields(ctx).map(([k, v]) => `${k}:${v}\r\n`).join(""),
      );
    }
    return new VerbatimString("txt", utf8(parts.join("\r\n")));
  },
};
