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
import { fromBinary, fromUtf8, toBinary, utf8 } from "../../resp/bytes.ts";
import { globMatch } from "../glob.ts";
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
import {
  type Binding,
  buildParams,
  formatPercentile,
  memtoull,
  numericValidator,
  type ParamSpec,
  parsePercentiles,
  procTitleValidator,
  splitWords,
  string2ll,
  type TableParam,
  type Validated,
  validateHostname,
  validateOomScoreAdjValues,
  validateSave,
} from "./config_params.ts";
import { opsOf } from "./ops.ts";
import { parseScore } from "../types/zset_double.ts";
import { cText, formatError, SYNTAX_ERROR } from "../args.ts";
import { setRequirePass } from "../auth.ts";
import { keysOf } from "./meta.ts";
import { busyReplyThreshold, setBusyReplyThreshold } from "./scripting.ts";
import type { EncodingLimits } from "../types/limits.ts";
import { formatNotifyFlags, NOTIFY_FLAGS_ERROR, parseNotifyFlags } from "../db/notify.ts";

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
 * Parses a `client-output-buffer-limit` value (Redis's `<class> <hard>
 * <soft> <seconds>` groups, words split at single spaces; classes not
 * named keep their limits). Returns the new limits or Redis's error text.
 */
function parseOutputLimits(
  limits: ServerSettings["outputLimits"],
  value: string,
): ServerSettings["outputLimits"] | string {
  const words = splitWords(value);
  if (words.length % 4 !== 0) return "Wrong number of arguments in buffer limit configuration.";
  const out = { ...limits };
  for (let i = 0; i < words.length; i += 4) {
    const cls = CLASS_NAMES[words[i].toLowerCase()];
    if (cls === undefined) {
      return "Invalid client class specified in buffer limit configuration.";
    }
    const hard = memtoull(words[i + 1]);
    const soft = memtoull(words[i + 2]);
    const seconds = string2ll(words[i + 3]);
    if (hard === undefined || soft === undefined || seconds === undefined || seconds < 0n) {
      return "Error in hard, soft or soft_seconds setting in buffer limit configuration.";
    }
    out[cls] = { hard: Number(hard), soft: Number(soft), softSeconds: Number(seconds) };
  }
  return out;
}

/** A `Validated` from a parser returning a value or an error text. */
function validated<T>(r: T | string, show: (v: T) => string): Validated {
  return typeof r === "string" ? { error: r } : { value: show(r) };
}

/** Integer validation with a range of our own (Redis's numeric configs). */
function intRange(min: number, max: number): (text: string) => Validated {
  const spec: ParamSpec = { name: "", default: "0", mode: "mutable", type: "int" };
  return numericValidator({ ...spec, min: String(min), max: String(max) });
}

/**
 * The configuration parameters: every parameter of Redis 7.0.15 (from
 * `config_table.json`), validated and shown as Redis does. Those bound
 * here act on the server; the others are accepted, remembered and
 * ignored (see {@linkcode IGNORED_PARAMS}).
 */
export function configParams(state: ServerState): ConfigParam[] {
  const settings = state.settings;
  const ops = opsOf(state);
  const stats = state.commandStats;
  const limits = state.db.limits;
  ops.setNotifyFlags(settings.notifyFlags);
  // a live number, shown as last set when that is still its value (beyond
  // 2^53 a number cannot hold Redis's 64-bit value exactly)
  const num = (get: () => number, set: (n: number) => void): Binding => {
    let shown = "";
    return {
      get: () => (Number(shown) === get() && shown !== "" ? shown : String(get())),
      apply: (v, n) => {
        set(Number(n));
        shown = v;
        return undefined;
      },
    };
  };
  const encoding = (field: keyof EncodingLimits): Binding =>
    num(() => limits[field], (n) => (limits[field] = n));
  let hz = 10;
  let backlog = "1048576";
  const bindings: Record<string, Binding> = {
    maxclients: num(() => settings.maxClients, (n) => (settings.maxClients = n)),
    "busy-reply-threshold": num(
      () => busyReplyThreshold(state),
      (n) => setBusyReplyThreshold(state, n),
    ),
    requirepass: {
      get: () => settings.requirePass,
      apply: (v) => {
        setRequirePass(settings, v);
        return undefined;
      },
    },
    "notify-keyspace-events": {
      validate: (text) =>
        validated(parseNotifyFlags(text) ?? NOTIFY_FLAGS_ERROR, formatNotifyFlags),
      get: () => formatNotifyFlags(settings.notifyFlags),
      // from the text as given: the shown form drops `n` next to `A`, as Redis's does
      apply: (_v, _n, text) => {
        settings.notifyFlags = parseNotifyFlags(text)!;
        ops.setNotifyFlags(settings.notifyFlags);
        return undefined;
      },
    },
    "client-output-buffer-limit": {
      validate: (text) =>
        validated(parseOutputLimits(settings.outputLimits, text), formatOutputLimits),
      get: () => formatOutputLimits(settings.outputLimits),
      apply: (_v, _n, text) => {
        settings.outputLimits = parseOutputLimits(
          settings.outputLimits,
          text,
        ) as typeof settings.outputLimits;
        return undefined;
      },
    },
    "proto-max-bulk-len": num(
      () => settings.protoMaxBulkLen,
      (n) => (settings.protoMaxBulkLen = n),
    ),
    "client-query-buffer-limit": num(
      () => settings.queryBufferLimit,
      (n) => (settings.queryBufferLimit = n),
    ),
    timeout: num(() => settings.timeout, (n) => (settings.timeout = n)),
    "hash-max-listpack-entries": encoding("hashMaxListpackEntries"),
    "hash-max-listpack-value": encoding("hashMaxListpackValue"),
    "set-max-intset-entries": encoding("setMaxIntsetEntries"),
    "zset-max-listpack-entries": encoding("zsetMaxListpackEntries"),
    "zset-max-listpack-value": encoding("zsetMaxListpackValue"),
    "list-max-listpack-size": encoding("listMaxListpackSize"),
    "list-compress-depth": encoding("listCompressDepth"),
    // the listener cannot move: CONFIG SET port is refused as immutable
    port: { get: () => String(settings.port), immutable: true },
    bind: {
      get: () => settings.host,
      apply: (v) => (v === settings.host ? undefined : "Failed to bind to specified addresses."),
    },
    "tls-port": {
      validate: intRange(0, 65535),
      apply: (_v, n) =>
        n === 0n ? undefined : "Unable to update TLS configuration. Check server logs.",
    },
    "cluster-announce-port": { validate: intRange(0, 65535) },
    "cluster-announce-hostname": { validate: validateHostname },
    "cluster-enabled": { get: () => (settings.clusterEnabled ? "yes" : "no") },
    databases: { initial: "1" },
    dir: { initial: currentDir() },
    save: { validate: validateSave, initial: "" },
    "oom-score-adj-values": { validate: validateOomScoreAdjValues },
    "proc-title-template": {
      validate: procTitleValidator(() => ({
        "listen-addr": `${settings.host}:${settings.port}`,
        "server-mode": settings.clusterEnabled ? "[cluster]" : "",
        port: String(settings.port),
        "tls-port": "0",
        unixsocket: "",
        "config-file": "",
      })),
    },
    // (shown clamped as Redis does; the server's own timers do not follow it)
    hz: {
      acts: false,
      get: () => String(hz),
      apply: (_v, n) => {
        hz = Math.min(500, Math.max(1, Number(n)));
        return undefined;
      },
    },
    "slowlog-log-slower-than": num(() => ops.slowlog.slowerThanUs, (n) => ops.setSlowerThan(n)),
    "slowlog-max-len": num(() => ops.slowlog.maxLen, (n) => (ops.slowlog.maxLen = n)),
    "latency-monitor-threshold": num(
      () => ops.latency.thresholdMs,
      (n) => ops.setLatencyThreshold(n),
    ),
    "latency-tracking": {
      get: () => (stats.latencyTracking ? "yes" : "no"),
      apply: (v) => {
        stats.latencyTracking = v === "yes";
        return undefined;
      },
    },
    "latency-tracking-info-percentiles": {
      validate: (text) =>
        validated(
          parsePercentiles(text, parseScore),
          (list) => list.map(formatPercentile).join(" "),
        ),
      get: () => stats.percentiles.map(formatPercentile).join(" "),
      apply: (_v, _n, text) => {
        stats.percentiles = parsePercentiles(text, parseScore) as number[];
        return undefined;
      },
    },
    "tracking-table-max-keys": num(
      () => ops.tracking.maxKeys,
      (n) => (ops.tracking.maxKeys = n),
    ),
    "enable-debug-command": { acts: true },
    // no active defragmentation, no TLS: refused as Redis refuses them when it cannot
    activedefrag: {
      acts: false,
      apply: (v) =>
        v === "yes"
          ? "Active defragmentation cannot be enabled: it requires a Redis server compiled with a modified Jemalloc like the one shipped by default with the Redis source distribution"
          : undefined,
    },
    "tls-cluster": { apply: noTls, acts: false },
    // (Redis keeps at least 16 KB of replication backlog)
    "repl-backlog-size": {
      get: () => backlog,
      apply: (v, n) => {
        backlog = n! < 16384n ? "16384" : v;
        return undefined;
      },
      acts: false,
    },
    "tls-replication": { apply: noTls, acts: false },
  };
  return buildParams(bindings);
}

/** A TLS parameter's change: there is no TLS here, so Redis's error when TLS cannot be set up. */
function noTls(value: string): string | undefined {
  return value === "yes" ? "Unable to update TLS configuration. Check server logs." : undefined;
}

/** The working directory (CONFIG GET dir), or "" without read permission. */
function currentDir(): string {
  try {
    return Deno.cwd();
  } catch {
    return "";
  }
}

/**
 * The parameters this server accepts and shows but does not act on: those
 * of persistence, replication, TLS, eviction, threads, memory defrag and
 * the other Redis internals that have no equivalent here.
 */
export function ignoredParams(state: ServerState): string[] {
  const out: string[] = [];
  for (const p of state.config) {
    const t = p as TableParam;
    if (!t.bound && t.set !== undefined && !t.protected) out.push(p.name);
  }
  return out;
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
      ["tracking_clients", opsOf(ctx.server).tracking.clientCount],
      ["clients_in_timeout_table", ctx.server.blocking.withTimeout],
    ];
  }],
  ["Memory", (ctx) => {
    const m = Deno.memoryUsage();
    const used = m.heapUsed + m.external;
    peakMemory = Math.max(peakMemory, used);
    const maxmemory = Number(configValue(ctx, "maxmemory"));
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
      ["maxmemory_policy", configValue(ctx, "maxmemory-policy")],
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
      ["pubsubshard_channels", ctx.server.pubsub.shardChannelCount],
      ["latest_fork_usec", 0],
      ["total_forks", 0],
      ["tracking_total_keys", opsOf(ctx.server).tracking.totalKeys],
      ["tracking_total_items", opsOf(ctx.server).tracking.totalItems],
      ["tracking_total_prefixes", opsOf(ctx.server).tracking.totalPrefixes],
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
    ["repl_backlog_size", configValue(ctx, "repl-backlog-size")],
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

/** A configuration parameter's value as CONFIG GET shows it. */
function configValue(ctx: Context, name: string): string {
  return ctx.server.config.get(name)?.get() ?? "";
}

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
    // Redis collects the matches in a dict keyed by name (any case): the
    // first spelling of a name wins, aliases are names of their own
    const config = ctx.server.config;
    const seen = new Map<string, [string, ConfigParam]>();
    for (let i = 2; i < args.length; i++) {
      if (hasGlob(args[i])) {
        for (const p of config) {
          for (const name of [p.name, ...(p.aliases ?? [])]) {
            if (!seen.has(name) && globMatch(args[i], fromBinary(name), true)) {
              seen.set(name, [name, p]);
            }
          }
        }
      } else {
        const given = toBinary(args[i]);
        const p = config.get(given);
        if (p !== undefined && !seen.has(given.toLowerCase())) {
          seen.set(given.toLowerCase(), [given, p]);
        }
      }
    }
    const entries: [Frame, Frame][] = [];
    for (const [name, p] of seen.values()) entries.push([fromBinary(name), p.get()]);
    return new RespMap(entries);
  },
  "config|set": (ctx, args) => {
    if ((args.length & 1) === 1) return SYNTAX_ERROR;
    const config = ctx.server.config;
    // check every name first, as Redis does (the first problem is reported) ...
    const params: ConfigParam[] = [];
    const names: string[] = [];
    for (let i = 2; i < args.length; i += 2) {
      const name = cText(args[i]);
      const p = config.get(toBinary(args[i])) as TableParam | undefined;
      if (p === undefined) {
        return formatError(
          `ERR Unknown option or number of arguments for CONFIG SET - '${name}'`,
        );
      }
      const lower = toBinary(args[i]).toLowerCase();
      const problem = p.protected
        ? "can't set protected config"
        : p.set === undefined
        ? "can't set immutable config"
        : names.includes(lower)
        ? "duplicate parameter"
        : undefined;
      if (problem !== undefined) return configSetError(name, problem);
      params.push(p);
      names.push(lower);
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
