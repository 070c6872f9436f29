/**
 * COMMAND DOCS: the documentation of every built-in command (the version
 * that added it, its complexity, history and arguments) as one table keyed
 * by the command's full name, and the reply built from it in Redis 7.0's
 * shape.
 *
 * Why one table rather than a field in each family file's entries: the
 * argument specs are as long as the handlers' declarations and are read by
 * one command only; kept here, the family files stay about behaviour and
 * this file reads like Redis's own command reference, in the same order,
 * easy to hold against `redis-server`'s `COMMAND DOCS`. The summary and the
 * group stay in each entry (ACL categories and errors use them);
 * {@linkcode withDocs} joins the two when the table is built, and the test
 * suite checks that every built-in command has its entry here.
 *
 * The data follow Redis 7.0.15: the arguments, flags, tokens, versions and
 * wording are Redis's, so that `redis-cli` shows the same hints against this
 * server as against Redis and clients that read the docs see the same
 * signatures.
 *
 * @example
 * ```ts
 * import { COMMAND_DOCS } from "./docs.ts";
 * console.log(COMMAND_DOCS.get.arguments?.map((a) => a.name)); // ["key"]
 * ```
 *
 * @module
 */

import { type Frame, RespMap, RespSet, SimpleString } from "../../resp/frame.ts";
import type {
  Command,
  CommandArg,
  CommandArgType,
  CommandDocs,
  ResolvedCommand,
} from "../command.ts";

/** The optional fields of an argument (everything but its name, type and parts). */
export type ArgOptions = Omit<CommandArg, "name" | "type" | "arguments">;

function simple(type: CommandArgType) {
  return (name: string, options?: ArgOptions): CommandArg => ({ name, type, ...options });
}

/**
 * A key argument, belonging to key specification `keySpecIndex`.
 *
 * @example
 * ```ts
 * import { key } from "./docs.ts";
 * console.log(key("key", 0)); // { name: "key", type: "key", keySpecIndex: 0 }
 * ```
 */
export function key(name: string, keySpecIndex: number, options?: ArgOptions): CommandArg {
  return { name, type: "key", keySpecIndex, ...options };
}

/** A string argument. */
export const str: (name: string, options?: ArgOptions) => CommandArg = simple("string");
/** An integer argument. */
export const int: (name: string, options?: ArgOptions) => CommandArg = simple("integer");
/** A floating-point argument. */
export const double: (name: string, options?: ArgOptions) => CommandArg = simple("double");
/** A glob-style pattern argument. */
export const pattern: (name: string, options?: ArgOptions) => CommandArg = simple("pattern");
/** A Unix time argument. */
export const unixTime: (name: string, options?: ArgOptions) => CommandArg = simple("unix-time");

/**
 * A keyword standing alone (`NX`, `GET`): a `pure-token` named after it in
 * lower case unless `options.name` says otherwise.
 */
export function token(word: string, options?: ArgOptions & { name?: string }): CommandArg {
  const { name = word.toLowerCase(), ...rest } = options ?? {};
  return { name, type: "pure-token", token: word, ...rest };
}

/** A choice of one of `args`. */
export function oneof(
  name: string,
  args: readonly CommandArg[],
  options?: ArgOptions,
): CommandArg {
  return { name, type: "oneof", ...options, arguments: args };
}

/** A group of `args` given together. */
export function block(
  name: string,
  args: readonly CommandArg[],
  options?: ArgOptions,
): CommandArg {
  return { name, type: "block", ...options, arguments: args };
}

const OPTIONAL = { optional: true } as const;
const MULTIPLE = { multiple: true } as const;

/** `NX | XX | GT | LT`, the condition of EXPIRE and its family (Redis 7.0). */
const EXPIRE_CONDITION = oneof("condition", [token("NX"), token("XX"), token("GT"), token("LT")], {
  since: "7.0.0",
  optional: true,
});

/** `ASYNC | SYNC`, the mode of FLUSHDB and FLUSHALL. */
const FLUSH_MODE = oneof("async", [
  token("ASYNC", { since: "4.0.0" }),
  token("SYNC", { since: "6.2.0" }),
], OPTIONAL);

/**
 * The documentation of every built-in command, by full name (`get`,
 * `client|kill`), as Redis 7.0.15 gives it (CLIENT SETINFO and CLIENT
 * NO-TOUCH, which came with Redis 7.2, as Redis 7.2 gives them).
 */
export const COMMAND_DOCS: Readonly<Record<string, CommandDocs>> = {
  // connection
  ping: {
    since: "1.0.0",
    complexity: "O(1)",
    arguments: [str("message", OPTIONAL)],
  },
  echo: {
    since: "1.0.0",
    complexity: "O(1)",
    arguments: [str("message")],
  },
  quit: {
    since: "1.0.0",
    complexity: "O(1)",
  },
  select: {
    since: "1.0.0",
    complexity: "O(1)",
    arguments: [int("index")],
  },
  hello: {
    since: "6.0.0",
    complexity: "O(1)",
    history: [
      [
        "6.2.0",
        "`protover` made optional; when called without arguments the command reports the current connection's context.",
      ],
    ],
    arguments: [
      block("arguments", [
        int("protover"),
        block("username_password", [
          str("username"),
          str("password"),
        ], { token: "AUTH", optional: true }),
        str("clientname", { token: "SETNAME", optional: true }),
      ], OPTIONAL),
    ],
  },
  auth: {
    since: "1.0.0",
    complexity: "O(N) where N is the number of passwords defined for the user",
    history: [
      ["6.0.0", "Added ACL style (username and password)."],
    ],
    arguments: [str("username", { since: "6.0.0", optional: true }), str("password")],
  },
  reset: {
    since: "6.2.0",
    complexity: "O(1)",
  },
  time: {
    since: "2.6.0",
    complexity: "O(1)",
  },
  client: {
    since: "2.4.0",
    complexity: "Depends on subcommand.",
  },
  "client|id": {
    since: "5.0.0",
    complexity: "O(1)",
  },
  "client|setname": {
    since: "2.6.9",
    complexity: "O(1)",
    arguments: [str("connection-name")],
  },
  "client|getname": {
    since: "2.6.9",
    complexity: "O(1)",
  },
  // (Redis 7.2)
  "client|setinfo": {
    since: "7.2.0",
    complexity: "O(1)",
    arguments: [
      oneof("attr", [str("libname", { token: "LIB-NAME" }), str("libver", { token: "LIB-VER" })]),
    ],
  },
  "client|info": {
    since: "6.2.0",
    complexity: "O(1)",
  },
  "client|list": {
    since: "2.4.0",
    complexity: "O(N) where N is the number of client connections",
    history: [
      ["2.8.12", "Added unique client `id` field."],
      ["5.0.0", "Added optional `TYPE` filter."],
      ["6.0.0", "Added `user` field."],
      [
        "6.2.0",
        "Added `argv-mem`, `tot-mem`, `laddr` and `redir` fields and the optional `ID` filter.",
      ],
      ["7.0.0", "Added `resp`, `multi-mem`, `rbs` and `rbp` fields."],
      ["7.0.3", "Added `ssub` field."],
    ],
    arguments: [
      oneof("normal_master_replica_pubsub", [
        token("NORMAL"),
        token("MASTER"),
        token("REPLICA"),
        token("PUBSUB"),
      ], { token: "TYPE", since: "5.0.0", optional: true }),
      block("id", [int("client-id", MULTIPLE)], { token: "ID", since: "6.2.0", optional: true }),
    ],
  },
  "client|kill": {
    since: "2.4.0",
    complexity: "O(N) where N is the number of client connections",
    history: [
      ["2.8.12", "Added new filter format."],
      ["2.8.12", "`ID` option."],
      ["3.2.0", "Added `master` type in for `TYPE` option."],
      [
        "5.0.0",
        "Replaced `slave` `TYPE` with `replica`. `slave` still supported for backward compatibility.",
      ],
      ["6.2.0", "`LADDR` option."],
    ],
    arguments: [
      oneof("filter", [
        str("ip:port", { deprecatedSince: "2.8.12" }),
        oneof("new-format", [
          int("client-id", { token: "ID", since: "2.8.12", optional: true }),
          oneof("normal_master_slave_pubsub", [
            token("NORMAL"),
            token("MASTER", { since: "3.2.0" }),
            token("SLAVE"),
            token("REPLICA", { since: "5.0.0" }),
            token("PUBSUB"),
          ], { token: "TYPE", since: "2.8.12", optional: true }),
          str("username", { token: "USER", optional: true }),
          str("ip:port", { token: "ADDR", optional: true }),
          str("ip:port", { token: "LADDR", since: "6.2.0", optional: true }),
          str("yes/no", { token: "SKIPME", optional: true }),
        ], MULTIPLE),
      ]),
    ],
  },
  "client|reply": {
    since: "3.2.0",
    complexity: "O(1)",
    arguments: [
      oneof("on_off_skip", [token("ON"), token("OFF"), token("SKIP")]),
    ],
  },
  "client|no-evict": {
    since: "7.0.0",
    complexity: "O(1)",
    arguments: [
      oneof("enabled", [token("ON"), token("OFF")]),
    ],
  },
  // (Redis 7.2)
  "client|no-touch": {
    since: "7.2.0",
    complexity: "O(1)",
    arguments: [
      oneof("enabled", [token("ON"), token("OFF")]),
    ],
  },
  "client|help": {
    since: "5.0.0",
    complexity: "O(1)",
  },
  // strings and bitmaps
  get: {
    since: "1.0.0",
    complexity: "O(1)",
    arguments: [key("key", 0)],
  },
  set: {
    since: "1.0.0",
    complexity: "O(1)",
    history: [
      ["2.6.12", "Added the `EX`, `PX`, `NX` and `XX` options."],
      ["6.0.0", "Added the `KEEPTTL` option."],
      ["6.2.0", "Added the `GET`, `EXAT` and `PXAT` option."],
      ["7.0.0", "Allowed the `NX` and `GET` options to be used together."],
    ],
    arguments: [
      key("key", 0),
      str("value"),
      oneof("condition", [token("NX"), token("XX")], { since: "2.6.12", optional: true }),
      token("GET", { since: "6.2.0", optional: true }),
      oneof("expiration", [
        int("seconds", { token: "EX", since: "2.6.12" }),
        int("milliseconds", { token: "PX", since: "2.6.12" }),
        unixTime("unix-time-seconds", { token: "EXAT", since: "6.2.0" }),
        unixTime("unix-time-milliseconds", { token: "PXAT", since: "6.2.0" }),
        token("KEEPTTL", { since: "6.0.0" }),
      ], OPTIONAL),
    ],
  },
  setnx: {
    since: "1.0.0",
    complexity: "O(1)",
    arguments: [key("key", 0), str("value")],
  },
  setex: {
    since: "2.0.0",
    complexity: "O(1)",
    arguments: [key("key", 0), int("seconds"), str("value")],
  },
  psetex: {
    since: "2.6.0",
    complexity: "O(1)",
    arguments: [key("key", 0), int("milliseconds"), str("value")],
  },
  getset: {
    since: "1.0.0",
    complexity: "O(1)",
    docFlags: ["deprecated"],
    deprecatedSince: "6.2.0",
    replacedBy: "`SET` with the `!GET` argument",
    arguments: [key("key", 0), str("value")],
  },
  getdel: {
    since: "6.2.0",
    complexity: "O(1)",
    arguments: [key("key", 0)],
  },
  getex: {
    since: "6.2.0",
    complexity: "O(1)",
    arguments: [
      key("key", 0),
      oneof("expiration", [
        int("seconds", { token: "EX" }),
        int("milliseconds", { token: "PX" }),
        unixTime("unix-time-seconds", { token: "EXAT" }),
        unixTime("unix-time-milliseconds", { token: "PXAT" }),
        token("PERSIST"),
      ], OPTIONAL),
    ],
  },
  mget: {
    since: "1.0.0",
    complexity: "O(N) where N is the number of keys to retrieve.",
    arguments: [key("key", 0, MULTIPLE)],
  },
  mset: {
    since: "1.0.1",
    complexity: "O(N) where N is the number of keys to set.",
    arguments: [
      block("key_value", [key("key", 0), str("value")], MULTIPLE),
    ],
  },
  msetnx: {
    since: "1.0.1",
    complexity: "O(N) where N is the number of keys to set.",
    arguments: [
      block("key_value", [key("key", 0), str("value")], MULTIPLE),
    ],
  },
  append: {
    since: "2.0.0",
    complexity:
      "O(1). The amortized time complexity is O(1) assuming the appended value is small and the already present value is of any size, since the dynamic string library used by Redis will double the free space available on every reallocation.",
    arguments: [key("key", 0), str("value")],
  },
  strlen: {
    since: "2.2.0",
    complexity: "O(1)",
    arguments: [key("key", 0)],
  },
  getrange: {
    since: "2.4.0",
    complexity:
      "O(N) where N is the length of the returned string. The complexity is ultimately determined by the returned length, but because creating a substring from an existing string is very cheap, it can be considered O(1) for small strings.",
    arguments: [key("key", 0), int("start"), int("end")],
  },
  substr: {
    since: "1.0.0",
    complexity:
      "O(N) where N is the length of the returned string. The complexity is ultimately determined by the returned length, but because creating a substring from an existing string is very cheap, it can be considered O(1) for small strings.",
    docFlags: ["deprecated"],
    deprecatedSince: "2.0.0",
    replacedBy: "`GETRANGE`",
    arguments: [key("key", 0), int("start"), int("end")],
  },
  setrange: {
    since: "2.2.0",
    complexity:
      "O(1), not counting the time taken to copy the new string in place. Usually, this string is very small so the amortized complexity is O(1). Otherwise, complexity is O(M) with M being the length of the value argument.",
    arguments: [key("key", 0), int("offset"), str("value")],
  },
  incr: {
    since: "1.0.0",
    complexity: "O(1)",
    arguments: [key("key", 0)],
  },
  decr: {
    since: "1.0.0",
    complexity: "O(1)",
    arguments: [key("key", 0)],
  },
  incrby: {
    since: "1.0.0",
    complexity: "O(1)",
    arguments: [key("key", 0), int("increment")],
  },
  decrby: {
    since: "1.0.0",
    complexity: "O(1)",
    arguments: [key("key", 0), int("decrement")],
  },
  incrbyfloat: {
    since: "2.6.0",
    complexity: "O(1)",
    arguments: [key("key", 0), double("increment")],
  },
  setbit: {
    since: "2.2.0",
    complexity: "O(1)",
    arguments: [key("key", 0), int("offset"), int("value")],
  },
  getbit: {
    since: "2.2.0",
    complexity: "O(1)",
    arguments: [key("key", 0), int("offset")],
  },
  bitcount: {
    since: "2.6.0",
    complexity: "O(N)",
    history: [
      ["7.0.0", "Added the `BYTE|BIT` option."],
    ],
    arguments: [
      key("key", 0),
      block("index", [
        int("start"),
        int("end"),
        oneof("index_unit", [token("BYTE"), token("BIT")], { since: "7.0.0", optional: true }),
      ], OPTIONAL),
    ],
  },
  lcs: {
    since: "7.0.0",
    complexity: "O(N*M) where N and M are the lengths of s1 and s2, respectively",
    arguments: [
      key("key1", 0),
      key("key2", 0),
      token("LEN", OPTIONAL),
      token("IDX", OPTIONAL),
      int("len", { token: "MINMATCHLEN", optional: true }),
      token("WITHMATCHLEN", OPTIONAL),
    ],
  },
  // generic keyspace
  del: {
    since: "1.0.0",
    complexity:
      "O(N) where N is the number of keys that will be removed. When a key to remove holds a value other than a string, the individual complexity for this key is O(M) where M is the number of elements in the list, set, sorted set or hash. Removing a single key that holds a string value is O(1).",
    arguments: [key("key", 0, MULTIPLE)],
  },
  unlink: {
    since: "4.0.0",
    complexity:
      "O(1) for each key removed regardless of its size. Then the command does O(N) work in a different thread in order to reclaim memory, where N is the number of allocations the deleted objects where composed of.",
    arguments: [key("key", 0, MULTIPLE)],
  },
  exists: {
    since: "1.0.0",
    complexity: "O(N) where N is the number of keys to check.",
    history: [
      ["3.0.3", "Accepts multiple `key` arguments."],
    ],
    arguments: [key("key", 0, MULTIPLE)],
  },
  touch: {
    since: "3.2.1",
    complexity: "O(N) where N is the number of keys that will be touched.",
    arguments: [key("key", 0, MULTIPLE)],
  },
  type: {
    since: "1.0.0",
    complexity: "O(1)",
    arguments: [key("key", 0)],
  },
  keys: {
    since: "1.0.0",
    complexity:
      "O(N) with N being the number of keys in the database, under the assumption that the key names in the database and the given pattern have limited length.",
    arguments: [pattern("pattern")],
  },
  scan: {
    since: "2.8.0",
    complexity:
      "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection.",
    history: [
      ["6.0.0", "Added the `TYPE` subcommand."],
    ],
    arguments: [
      int("cursor"),
      pattern("pattern", { token: "MATCH", optional: true }),
      int("count", { token: "COUNT", optional: true }),
      str("type", { token: "TYPE", since: "6.0.0", optional: true }),
    ],
  },
  randomkey: {
    since: "1.0.0",
    complexity: "O(1)",
  },
  rename: {
    since: "1.0.0",
    complexity: "O(1)",
    arguments: [key("key", 0), key("newkey", 1)],
  },
  renamenx: {
    since: "1.0.0",
    complexity: "O(1)",
    history: [
      [
        "3.2.0",
        "The command no longer returns an error when source and destination names are the same.",
      ],
    ],
    arguments: [key("key", 0), key("newkey", 1)],
  },
  copy: {
    since: "6.2.0",
    complexity:
      "O(N) worst case for collections, where N is the number of nested items. O(1) for string values.",
    arguments: [
      key("source", 0),
      key("destination", 1),
      int("destination-db", { token: "DB", optional: true }),
      token("REPLACE", OPTIONAL),
    ],
  },
  dbsize: {
    since: "1.0.0",
    complexity: "O(1)",
  },
  flushdb: {
    since: "1.0.0",
    complexity: "O(N) where N is the number of keys in the selected database",
    history: [
      ["4.0.0", "Added the `ASYNC` flushing mode modifier."],
      ["6.2.0", "Added the `SYNC` flushing mode modifier."],
    ],
    arguments: [FLUSH_MODE],
  },
  flushall: {
    since: "1.0.0",
    complexity: "O(N) where N is the total number of keys in all databases",
    history: [
      ["4.0.0", "Added the `ASYNC` flushing mode modifier."],
      ["6.2.0", "Added the `SYNC` flushing mode modifier."],
    ],
    arguments: [FLUSH_MODE],
  },
  // expiry
  expire: {
    since: "1.0.0",
    complexity: "O(1)",
    history: [
      ["7.0.0", "Added options: `NX`, `XX`, `GT` and `LT`."],
    ],
    arguments: [key("key", 0), int("seconds"), EXPIRE_CONDITION],
  },
  pexpire: {
    since: "2.6.0",
    complexity: "O(1)",
    history: [
      ["7.0.0", "Added options: `NX`, `XX`, `GT` and `LT`."],
    ],
    arguments: [key("key", 0), int("milliseconds"), EXPIRE_CONDITION],
  },
  expireat: {
    since: "1.2.0",
    complexity: "O(1)",
    history: [
      ["7.0.0", "Added options: `NX`, `XX`, `GT` and `LT`."],
    ],
    arguments: [key("key", 0), unixTime("unix-time-seconds"), EXPIRE_CONDITION],
  },
  pexpireat: {
    since: "2.6.0",
    complexity: "O(1)",
    history: [
      ["7.0.0", "Added options: `NX`, `XX`, `GT` and `LT`."],
    ],
    arguments: [key("key", 0), unixTime("unix-time-milliseconds"), EXPIRE_CONDITION],
  },
  ttl: {
    since: "1.0.0",
    complexity: "O(1)",
    history: [
      ["2.8.0", "Added the -2 reply."],
    ],
    arguments: [key("key", 0)],
  },
  pttl: {
    since: "2.6.0",
    complexity: "O(1)",
    history: [
      ["2.8.0", "Added the -2 reply."],
    ],
    arguments: [key("key", 0)],
  },
  expiretime: {
    since: "7.0.0",
    complexity: "O(1)",
    arguments: [key("key", 0)],
  },
  pexpiretime: {
    since: "7.0.0",
    complexity: "O(1)",
    arguments: [key("key", 0)],
  },
  persist: {
    since: "2.2.0",
    complexity: "O(1)",
    arguments: [key("key", 0)],
  },
  // pub/sub
  subscribe: {
    since: "2.0.0",
    complexity: "O(N) where N is the number of channels to subscribe to.",
    arguments: [str("channel", MULTIPLE)],
  },
  unsubscribe: {
    since: "2.0.0",
    complexity: "O(N) where N is the number of clients already subscribed to a channel.",
    arguments: [str("channel", { optional: true, multiple: true })],
  },
  psubscribe: {
    since: "2.0.0",
    complexity: "O(N) where N is the number of patterns the client is already subscribed to.",
    arguments: [
      block("pattern", [pattern("pattern")], MULTIPLE),
    ],
  },
  punsubscribe: {
    since: "2.0.0",
    complexity:
      "O(N+M) where N is the number of patterns the client is already subscribed and M is the number of total patterns subscribed in the system (by any client).",
    arguments: [pattern("pattern", { optional: true, multiple: true })],
  },
  publish: {
    since: "2.0.0",
    complexity:
      "O(N+M) where N is the number of clients subscribed to the receiving channel and M is the total number of subscribed patterns (by any client).",
    arguments: [str("channel"), str("message")],
  },
  pubsub: {
    since: "2.8.0",
    complexity: "Depends on subcommand.",
  },
  "pubsub|channels": {
    since: "2.8.0",
    complexity:
      "O(N) where N is the number of active channels, and assuming constant time pattern matching (relatively short channels and patterns)",
    arguments: [pattern("pattern", OPTIONAL)],
  },
  "pubsub|numsub": {
    since: "2.8.0",
    complexity: "O(N) for the NUMSUB subcommand, where N is the number of requested channels",
    arguments: [str("channel", { optional: true, multiple: true })],
  },
  "pubsub|numpat": {
    since: "2.8.0",
    complexity: "O(1)",
  },
  "pubsub|shardchannels": {
    since: "7.0.0",
    complexity:
      "O(N) where N is the number of active shard channels, and assuming constant time pattern matching (relatively short shard channels).",
    arguments: [pattern("pattern", OPTIONAL)],
  },
  "pubsub|shardnumsub": {
    since: "7.0.0",
    complexity:
      "O(N) for the SHARDNUMSUB subcommand, where N is the number of requested shard channels",
    arguments: [str("shardchannel", { optional: true, multiple: true })],
  },
  "pubsub|help": {
    since: "6.2.0",
    complexity: "O(1)",
  },
  // server
  config: {
    since: "2.0.0",
    complexity: "Depends on subcommand.",
  },
  "config|get": {
    since: "2.0.0",
    complexity: "O(N) when N is the number of configuration parameters provided",
    history: [
      ["7.0.0", "Added the ability to pass multiple pattern parameters in one call"],
    ],
    arguments: [
      block("parameter", [str("parameter")], MULTIPLE),
    ],
  },
  "config|set": {
    since: "2.0.0",
    complexity: "O(N) when N is the number of configuration parameters provided",
    history: [
      ["7.0.0", "Added the ability to set multiple parameters in one call."],
    ],
    arguments: [
      block("parameter_value", [str("parameter"), str("value")], MULTIPLE),
    ],
  },
  "config|resetstat": {
    since: "2.0.0",
    complexity: "O(1)",
  },
  "config|rewrite": {
    since: "2.8.0",
    complexity: "O(1)",
  },
  "config|help": {
    since: "5.0.0",
    complexity: "O(1)",
  },
  command: {
    since: "2.8.13",
    complexity: "O(N) where N is the total number of Redis commands",
  },
  "command|count": {
    since: "2.8.13",
    complexity: "O(1)",
  },
  "command|list": {
    since: "7.0.0",
    complexity: "O(N) where N is the total number of Redis commands",
    arguments: [
      oneof("filterby", [
        str("module-name", { token: "MODULE" }),
        str("category", { token: "ACLCAT" }),
        pattern("pattern", { token: "PATTERN" }),
      ], { token: "FILTERBY", optional: true }),
    ],
  },
  "command|info": {
    since: "2.8.13",
    complexity: "O(N) where N is the number of commands to look up",
    history: [
      ["7.0.0", "Allowed to be called with no argument to get info on all commands."],
    ],
    arguments: [str("command-name", { optional: true, multiple: true })],
  },
  "command|docs": {
    since: "7.0.0",
    complexity: "O(N) where N is the number of commands to look up",
    arguments: [str("command-name", { optional: true, multiple: true })],
  },
  "command|getkeys": {
    since: "2.8.13",
    complexity: "O(N) where N is the number of arguments to the command",
  },
  "command|help": {
    since: "5.0.0",
    complexity: "O(1)",
  },
  info: {
    since: "1.0.0",
    complexity: "O(1)",
    history: [
      ["7.0.0", "Added support for taking multiple section arguments."],
    ],
    arguments: [str("section", { optional: true, multiple: true })],
  },
};

/**
 * Attaches each command's (and subcommand's) entry of {@linkcode COMMAND_DOCS}
 * as its `docs`, unless it has its own.
 */
export function withDocs(commands: readonly Command[]): Command[] {
  const attach = (cmd: Command, prefix: string): Command => {
    const fullName = prefix + cmd.name;
    const docs = cmd.docs ?? COMMAND_DOCS[fullName];
    const subcommands = cmd.subcommands?.map((s) => attach(s, fullName + "|"));
    return docs === cmd.docs && subcommands === undefined
      ? cmd
      : { ...cmd, ...(docs ? { docs } : {}), ...(subcommands ? { subcommands } : {}) };
  };
  return commands.map((c) => attach(c, ""));
}

const ARG_FLAGS = ["optional", "multiple", "multipleToken"] as const;
const ARG_FLAG_NAMES = ["optional", "multiple", "multiple_token"];

/** Flags as Redis replies them: a set of simple strings. */
function flagSet(names: readonly string[]): RespSet {
  return new RespSet(names.map((n) => new SimpleString(n)));
}

function argList(args: readonly CommandArg[]): Frame {
  return args.map((a) => {
    const e: [Frame, Frame][] = [["name", a.name], ["type", a.type]];
    if (a.keySpecIndex !== undefined) e.push(["key_spec_index", a.keySpecIndex]);
    if (a.token !== undefined) e.push(["token", a.token]);
    if (a.summary !== undefined) e.push(["summary", a.summary]);
    if (a.since !== undefined) e.push(["since", a.since]);
    if (a.deprecatedSince !== undefined) e.push(["deprecated_since", a.deprecatedSince]);
    const flags: string[] = [];
    for (let i = 0; i < ARG_FLAGS.length; i++) if (a[ARG_FLAGS[i]]) flags.push(ARG_FLAG_NAMES[i]);
    if (flags.length > 0) e.push(["flags", flagSet(flags)]);
    if (a.arguments !== undefined) e.push(["arguments", argList(a.arguments)]);
    return new RespMap(e);
  });
}

/**
 * One COMMAND DOCS entry, as Redis 7.0's `addReplyCommandDocs`: summary,
 * since, group, then complexity, doc_flags, deprecated_since, replaced_by,
 * history, arguments and subcommands when there are any.
 */
export function commandDocsReply(cmd: ResolvedCommand): RespMap {
  const d = cmd.docs;
  const e: [Frame, Frame][] = [];
  if (cmd.summary !== undefined) e.push(["summary", cmd.summary]);
  if (d !== undefined) e.push(["since", d.since]);
  e.push(["group", cmd.group ?? "server"]);
  if (d !== undefined) {
    if (d.complexity !== undefined) e.push(["complexity", d.complexity]);
    if (d.docFlags !== undefined) e.push(["doc_flags", flagSet(d.docFlags)]);
    if (d.deprecatedSince !== undefined) e.push(["deprecated_since", d.deprecatedSince]);
    if (d.replacedBy !== undefined) e.push(["replaced_by", d.replacedBy]);
    if (d.history !== undefined) {
      e.push(["history", new RespSet(d.history.map(([v, what]) => [v, what]))]);
    }
    if (d.arguments !== undefined) e.push(["arguments", argList(d.arguments)]);
  }
  if (cmd.subcommandMap !== undefined) {
    const subs: [Frame, Frame][] = [];
    for (const s of cmd.subcommandMap.values()) subs.push([s.fullName, commandDocsReply(s)]);
    e.push(["subcommands", new RespMap(subs)]);
  }
  return new RespMap(e);
}
