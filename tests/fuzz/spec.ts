/**
 * What the command fuzzer may send: every command and subcommand of the
 * server's command table (read at run time, so the fuzzer grows with the
 * table), with the argument specs of its COMMAND DOCS entry (Redis
 * 7.0.15's metadata) turned into a tree the generator walks.
 *
 * A few commands are left out because their replies cannot be compared
 * with another server's, or because they change the connection in a way
 * the runner manages itself: {@linkcode EXCLUDED} says which and why.
 *
 * No side effects on import.
 *
 * @example
 * ```ts
 * import { fuzzableCommands } from "./spec.ts";
 * const set = fuzzableCommands().find((c) => c.name === "set")!;
 * console.log(set.words, set.args[0].type); // ["SET"] "key"
 * ```
 *
 * @module
 */

import { type Frame, RespMap, RespSet, SimpleString } from "../../resp/frame.ts";
import { createCommandTable } from "../../server/commands/mod.ts";
import type { CommandMeta } from "../../server/commands/meta.ts";

/** One argument of a command, from COMMAND DOCS. */
export interface ArgSpec {
  /** Its name (`key`, `seconds`, `numkeys`, ...): hints at good values. */
  readonly name: string;
  /** `key`, `string`, `integer`, `double`, `pattern`, `unix-time`, `pure-token`, `oneof`, `block`. */
  readonly type: string;
  /** The token before it (or that it is, for a pure token). */
  readonly token?: string;
  /** It may be left out. */
  readonly optional: boolean;
  /** It may repeat. */
  readonly multiple: boolean;
  /** Each repetition repeats the token. */
  readonly multipleToken: boolean;
  /** Alternatives (`oneof`) or parts (`block`). */
  readonly args: readonly ArgSpec[];
}

/** A command the fuzzer may send. */
export interface CommandSpec {
  /** Full lower-case name (`get`, `config|help`). */
  readonly name: string;
  /** The words that name it on the wire (`["CONFIG", "HELP"]`). */
  readonly words: readonly string[];
  /** Its arguments after the words. */
  readonly args: readonly ArgSpec[];
  /** Redis's arity (counting the name words). */
  readonly arity: number;
  /** COMMAND flags (`write`, `blocking`, ...). */
  readonly flags: readonly string[];
  /** COMMAND DOCS group (`string`, `hash`, `generic`, ...): the family in reports. */
  readonly group: string;
}

/**
 * Commands the fuzzer never sends, with the reason. Everything else in the
 * command table is fair game.
 */
export const EXCLUDED: Readonly<Record<string, string>> = {
  quit: "closes the connection",
  hello: "the runner chooses the protocol; its reply carries the connection id",
  "client|kill": "could close the runner's own connection",
  "client|reply": "OFF/SKIP leave commands without replies",
  "client|list": "connection ids, addresses and ages differ between servers",
  "client|info": "connection ids, addresses and ages differ between servers",
  "client|pause": "would stall the runner",
  "client|tracking": "pushes unsolicited messages",
  subscribe: "one reply per channel",
  psubscribe: "one reply per pattern",
  ssubscribe: "one reply per channel",
  unsubscribe: "one reply per channel",
  punsubscribe: "one reply per pattern",
  sunsubscribe: "one reply per channel",
  monitor: "streams every command",
  "config|set": "changes settings the comparison relies on",
  "config|get": "each server knows a different set of parameters",
  "config|resetstat": "statistics are not compared",
  "config|rewrite": "needs a configuration file",
  "command|count": "counts the commands each server implements",
  "command|list": "lists the commands each server implements",
  command: "lists the commands each server implements",
  shutdown: "stops the server",
  debug: "server internals",
  save: "persistence",
  bgsave: "persistence",
  bgrewriteaof: "persistence",
  sync: "replication",
  psync: "replication",
  replicaof: "replication",
  slaveof: "replication",
  wait: "replication; blocks without replicas",
  failover: "replication",
  cluster: "cluster mode",
  readonly: "cluster mode",
  readwrite: "cluster mode",
  asking: "cluster mode",
  acl: "user management",
  module: "modules",
  latency: "timing",
  slowlog: "timing",
  memory: "allocator-specific figures",
  "object|freq": "needs an LFU policy; covered by object tests",
  lolwut: "version art",
  "function|restore": "binary payloads",
  restore: "binary payloads of Redis's RDB format",
  dump: "binary payloads of Redis's RDB format",
  "script|kill": "timing",
  "function|kill": "timing",
};

function field(map: RespMap, name: string): Frame | undefined {
  for (const [k, v] of map.entries) if (k === name) return v;
  return undefined;
}

function argFlags(map: RespMap): Set<string> {
  const f = field(map, "flags");
  if (!(f instanceof RespSet)) return new Set();
  return new Set(f.items.map((i) => (i instanceof SimpleString ? i.value : String(i))));
}

/** The argument tree of a COMMAND DOCS `arguments` list. */
function parseArgs(frame: Frame | undefined): ArgSpec[] {
  if (!Array.isArray(frame)) return [];
  return frame.map((f) => {
    const m = f as RespMap;
    const flags = argFlags(m);
    const token = field(m, "token");
    return {
      name: String(field(m, "name")),
      type: String(field(m, "type")),
      token: typeof token === "string" ? token : undefined,
      optional: flags.has("optional"),
      multiple: flags.has("multiple"),
      multipleToken: flags.has("multiple_token"),
      args: parseArgs(field(m, "arguments")),
    };
  });
}

function specOf(meta: CommandMeta): CommandSpec {
  const words = meta.name.split("|").map((w) => w.toUpperCase());
  return {
    name: meta.name,
    words,
    args: parseArgs(field(meta.docs, "arguments")),
    arity: meta.arity,
    flags: meta.flags,
    group: meta.group,
  };
}

/** Options of {@linkcode fuzzableCommands}. */
export interface FuzzableOptions {
  /** Only commands of these COMMAND DOCS groups (default: every group). */
  readonly groups?: readonly string[];
  /** Commands to leave out besides {@linkcode EXCLUDED} (full lower-case names). */
  readonly exclude?: readonly string[];
}

/**
 * Every command and subcommand of the server's command table that has a
 * handler and is not {@linkcode EXCLUDED}, with its argument specs.
 */
export function fuzzableCommands(options: FuzzableOptions = {}): CommandSpec[] {
  const out: CommandSpec[] = [];
  const skip = new Set(options.exclude ?? []);
  const groups = options.groups === undefined ? undefined : new Set(options.groups);
  const add = (meta: CommandMeta, hasHandler: boolean) => {
    if (!hasHandler || meta.name in EXCLUDED || skip.has(meta.name)) return;
    if (groups !== undefined && !groups.has(meta.group)) return;
    out.push(specOf(meta));
  };
  for (const c of createCommandTable()) {
    if (c.name in EXCLUDED) continue;
    if (c.subcommands !== undefined) {
      for (const s of c.subcommands) add(s.meta!, s.handler !== undefined);
    } else {
      add(c.meta, c.handler !== undefined);
    }
  }
  return out;
}
