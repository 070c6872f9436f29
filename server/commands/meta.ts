/**
 * Command metadata from one source: `redis_commands.json`, generated from
 * a real redis-server 7.0.15's `COMMAND INFO` and `COMMAND DOCS` replies by
 * `scripts/gen_commands.ts` (`deno task gen:commands`). Arity, flags, key
 * positions, ACL categories, tips, key specs and docs of every built-in
 * command come from here; the family files hold handlers only. COMMAND
 * INFO and COMMAND DOCS send the stored frames back, so they match Redis
 * byte for byte in RESP2 and RESP3.
 *
 * @example
 * ```ts
 * import { commandMeta, keysOf } from "./meta.ts";
 * const rename = commandMeta("rename")!;
 * console.log(rename.arity, rename.keySpecs.length); // 3 2
 * const enc = new TextEncoder();
 * console.log(keysOf(rename, ["RENAME", "a", "b"].map((s) => enc.encode(s))).length); // 2
 * ```
 *
 * @module
 */

import { type Frame, RespMap, RespSet, SimpleString } from "../../resp/frame.ts";
import data from "./redis_commands.json" with { type: "json" };

/** A RESP3 frame as stored in the JSON file. */
type Tagged =
  | string
  | number
  | null
  | Tagged[]
  | { "+": string }
  | { "%": [Tagged, Tagged][] }
  | { "~": Tagged[] };

/** The Redis version the metadata were read from. */
export const METADATA_VERSION: string = data.version;

/** Where a key spec starts looking for keys (Redis's `begin_search`). */
export type BeginSearch =
  | { readonly type: "index"; readonly index: number }
  | { readonly type: "keyword"; readonly keyword: string; readonly startfrom: number }
  | { readonly type: "unknown" };

/** How a key spec finds the keys from there (Redis's `find_keys`). */
export type FindKeys =
  | {
    readonly type: "range";
    readonly lastkey: number;
    readonly keystep: number;
    readonly limit: number;
  }
  | {
    readonly type: "keynum";
    readonly keynumidx: number;
    readonly firstkey: number;
    readonly keystep: number;
  }
  | { readonly type: "unknown" };

/** One key specification of a command (Redis 7's COMMAND INFO `key_specs`). */
export interface KeySpec {
  /** `RO`, `RW`, `OW`, `RM`, `access`, `update`, `insert`, `delete`, `incomplete`, ... */
  readonly flags: readonly string[];
  /** Where the search starts. */
  readonly beginSearch: BeginSearch;
  /** How keys are found from there. */
  readonly findKeys: FindKeys;
}

/** The metadata of one command or subcommand, as Redis 7.0.15 reports it. */
export interface CommandMeta {
  /** Full lower-case name (`get`, `config|get`). */
  readonly name: string;
  /** Redis's arity. */
  readonly arity: number;
  /** COMMAND flags (`write`, `readonly`, `fast`, ...). */
  readonly flags: readonly string[];
  /** Legacy first key position (0 = none). */
  readonly firstKey: number;
  /** Legacy last key position (negative counts from the end). */
  readonly lastKey: number;
  /** Legacy key step. */
  readonly step: number;
  /** ACL categories with their `@`. */
  readonly aclCategories: readonly string[];
  /** Key specs. */
  readonly keySpecs: readonly KeySpec[];
  /** The command's group (`string`, `hash`, `server`, ...). */
  readonly group: string;
  /** One-line summary. */
  readonly summary: string;
  /** The COMMAND INFO entry, without subcommands (index 9 is an empty set). */
  readonly info: Frame[];
  /** The COMMAND DOCS entry, without subcommands. */
  readonly docs: RespMap;
}

function untag(t: Tagged): Frame {
  if (t === null || typeof t === "string" || typeof t === "number") return t;
  if (Array.isArray(t)) return t.map(untag);
  if ("+" in t) return new SimpleString(t["+"]);
  if ("%" in t) return new RespMap(t["%"].map(([k, v]) => [untag(k), untag(v)]));
  return new RespSet(t["~"].map(untag));
}

function field(map: RespMap, name: string): Frame | undefined {
  for (const [k, v] of map.entries) if (k === name) return v;
  return undefined;
}

function words(set: Frame): string[] {
  return (set as RespSet).items.map((f) => (f as SimpleString).value);
}

function keySpec(f: Frame): KeySpec {
  const m = f as RespMap;
  const begin = field(m, "begin_search") as RespMap;
  const bspec = field(begin, "spec") as RespMap;
  const find = field(m, "find_keys") as RespMap;
  const fspec = field(find, "spec") as RespMap;
  const num = (map: RespMap, name: string) => field(map, name) as number;
  const btype = field(begin, "type");
  const ftype = field(find, "type");
  return {
    flags: words(field(m, "flags")!),
    beginSearch: btype === "index"
      ? { type: "index", index: num(bspec, "index") }
      : btype === "keyword"
      ? {
        type: "keyword",
        keyword: field(bspec, "keyword") as string,
        startfrom: num(bspec, "startfrom"),
      }
      : { type: "unknown" },
    findKeys: ftype === "range"
      ? {
        type: "range",
        lastkey: num(fspec, "lastkey"),
        keystep: num(fspec, "keystep"),
        limit: num(fspec, "limit"),
      }
      : ftype === "keynum"
      ? {
        type: "keynum",
        keynumidx: num(fspec, "keynumidx"),
        firstkey: num(fspec, "firstkey"),
        keystep: num(fspec, "keystep"),
      }
      : { type: "unknown" },
  };
}

const cache = new Map<string, CommandMeta>();
const raw = data.commands as unknown as Record<string, { info: Tagged; docs: Tagged }>;

/**
 * The metadata of the command or subcommand `fullName` (lower case:
 * `get`, `config|get`), or undefined when Redis 7.0.15 has no such
 * command.
 */
export function commandMeta(fullName: string): CommandMeta | undefined {
  let m = cache.get(fullName);
  if (m !== undefined) return m;
  const r = Object.hasOwn(raw, fullName) ? raw[fullName] : undefined;
  if (r === undefined) return undefined;
  const info = untag(r.info) as Frame[];
  const docs = untag(r.docs) as RespMap;
  m = {
    name: fullName,
    arity: info[1] as number,
    flags: words(info[2]),
    firstKey: info[3] as number,
    lastKey: info[4] as number,
    step: info[5] as number,
    aclCategories: words(info[6]),
    keySpecs: (info[8] as RespSet).items.map(keySpec),
    group: field(docs, "group") as string,
    summary: field(docs, "summary") as string,
    info,
    docs,
  };
  cache.set(fullName, m);
  return m;
}

/** Every full name in the metadata table (commands and subcommands). */
export function metadataNames(): string[] {
  return Object.keys(raw);
}

function eq(arg: Uint8Array, word: string): boolean {
  if (arg.length !== word.length) return false;
  for (let i = 0; i < arg.length; i++) {
    let c = arg[i];
    if (c >= 97 && c <= 122) c -= 32;
    let w = word.charCodeAt(i);
    if (w >= 97 && w <= 122) w -= 32;
    if (c !== w) return false;
  }
  return true;
}

/**
 * The key arguments of a request according to the command's key specs
 * (Redis's `getKeysUsingKeySpecs`): indexes into `args`, in spec order.
 * Specs flagged `incomplete` or of unknown type contribute what they can.
 */
export function keyPositions(
  meta: Pick<CommandMeta, "keySpecs" | "name">,
  args: readonly Uint8Array[],
): number[] {
  const proc = GETKEYS_PROCS[meta.name];
  if (proc !== undefined) return proc(args);
  const out: number[] = [];
  const argc = args.length;
  for (const spec of meta.keySpecs) {
    let first: number;
    const b = spec.beginSearch;
    if (b.type === "index") {
      first = b.index;
    } else if (b.type === "keyword") {
      first = -1;
      const start = b.startfrom > 0 ? b.startfrom : argc + b.startfrom;
      const end = b.startfrom > 0 ? argc - 1 : 0;
      const step = b.startfrom > 0 ? 1 : -1;
      for (let i = start; step > 0 ? i <= end : i >= end; i += step) {
        if (i <= 0 || i >= argc) break;
        if (eq(args[i], b.keyword)) {
          first = i + 1;
          break;
        }
      }
      if (first === -1) continue;
    } else continue;
    const f = spec.findKeys;
    let last: number;
    let step: number;
    if (f.type === "range") {
      step = f.keystep;
      if (f.lastkey >= 0) last = first + f.lastkey;
      else if (f.limit <= 1) last = argc + f.lastkey;
      else last = first + Math.floor((argc - first) / f.limit) + f.lastkey;
    } else if (f.type === "keynum") {
      step = f.keystep;
      const at = first + f.keynumidx;
      if (at >= argc) continue;
      const n = Number(new TextDecoder().decode(args[at]));
      if (!Number.isInteger(n) || n < 0) continue;
      first = first + f.firstkey;
      last = first + (n - 1) * step;
    } else continue;
    for (let i = first; i <= last && i < argc; i += step) out.push(i);
  }
  return out;
}

/** Redis's `sortGetKeys`: the sorted key, and the STORE destination when given. */
function sortKeys(args: readonly Uint8Array[]): number[] {
  const out = [1];
  let store = -1;
  for (let i = 2; i < args.length; i++) {
    if (eq(args[i], "limit")) i += 2;
    else if (eq(args[i], "get") || eq(args[i], "by")) i += 1;
    else if (eq(args[i], "store") && i + 1 < args.length) store = i + 1;
  }
  if (store !== -1) out.push(store);
  return out;
}

/**
 * Commands whose key specs cannot say where all keys are (Redis gives them
 * a `getkeys_proc`): their own key finder.
 */
const GETKEYS_PROCS: Record<string, (args: readonly Uint8Array[]) => number[]> = {
  sort: sortKeys,
  sort_ro: (args) => args.length > 1 ? [1] : [],
};

/** The key arguments of a request (see {@linkcode keyPositions}). */
export function keysOf(
  meta: Pick<CommandMeta, "keySpecs" | "name">,
  args: readonly Uint8Array[],
): Uint8Array[] {
  return keyPositions(meta, args).map((i) => args[i]);
}

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

/** Groups whose commands carry the category of the same name. */
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

/** The fields of an embedder's own command that its metadata are made from. */
export interface CommandFields {
  /** Lower-case name. */
  readonly name: string;
  /** Redis's arity. */
  readonly arity: number;
  /** COMMAND flags. */
  readonly flags: readonly string[];
  /** First key position (0 = none). */
  readonly firstKey: number;
  /** Last key position. */
  readonly lastKey: number;
  /** Key step. */
  readonly step: number;
  /** Command group. */
  readonly group?: string;
  /** Summary. */
  readonly summary?: string;
  /** Explicit ACL categories (without `@`). */
  readonly aclCategories?: readonly string[];
  /** Subcommands, if a container. */
  readonly subcommands?: readonly unknown[];
  /** Its COMMAND DOCS entry beyond summary and group. */
  readonly docs?: CommandDocs;
}

/**
 * Metadata for a command that Redis does not have (an embedder's own),
 * made from its declared fields as Redis makes them for a module command:
 * ACL categories from its group and flags, one key spec from its key
 * positions, a docs entry with its summary and group.
 */
export function metaFromFields(cmd: CommandFields, fullName: string): CommandMeta {
  const cats = new Set<string>(cmd.aclCategories ?? []);
  if (cmd.aclCategories === undefined && cmd.subcommands === undefined && cmd.group) {
    const g = GROUP_CATEGORIES[cmd.group];
    if (g !== undefined) cats.add(g);
  }
  const f = cmd.flags;
  if (f.includes("write")) cats.add("write");
  if (f.includes("readonly")) cats.add("read");
  if (f.includes("admin")) cats.add("admin").add("dangerous");
  if (f.includes("pubsub")) cats.add("pubsub");
  if (f.includes("blocking")) cats.add("blocking");
  cats.add(f.includes("fast") ? "fast" : "slow");
  const aclCategories = CATEGORY_ORDER.filter((c) => cats.has(c)).map((c) => `@${c}`);
  const keySpecs: KeySpec[] = cmd.firstKey <= 0 ? [] : [{
    flags: f.includes("write") ? ["RW", "update"] : ["RO", "access"],
    beginSearch: { type: "index", index: cmd.firstKey },
    findKeys: {
      type: "range",
      lastkey: cmd.lastKey < 0 ? cmd.lastKey : cmd.lastKey - cmd.firstKey,
      keystep: cmd.step || 1,
      limit: 0,
    },
  }];
  const specFrames = keySpecs.map((k) =>
    new RespMap([
      ["flags", new RespSet(k.flags.map((w) => new SimpleString(w)))],
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
            new RespMap([["lastkey", (k.findKeys as { lastkey: number }).lastkey], [
              "keystep",
              cmd.step || 1,
            ], ["limit", 0]]),
          ],
        ]),
      ],
    ])
  );
  const group = cmd.group ?? "server";
  const summary = cmd.summary ?? "";
  return {
    name: fullName,
    arity: cmd.arity,
    flags: cmd.flags,
    firstKey: cmd.firstKey,
    lastKey: cmd.lastKey,
    step: cmd.step,
    aclCategories,
    keySpecs,
    group,
    summary,
    info: [
      fullName,
      cmd.arity,
      new RespSet(cmd.flags.map((w) => new SimpleString(w))),
      cmd.firstKey,
      cmd.lastKey,
      cmd.step,
      new RespSet(aclCategories.map((c) => new SimpleString(c))),
      new RespSet([]),
      new RespSet(specFrames),
      new RespSet([]),
    ],
    docs: docsFromFields(cmd.summary, group, cmd.docs),
  };
}
/** Redis's argument types, as COMMAND DOCS names them. */
export type CommandArgType =
  | "string"
  | "integer"
  | "double"
  | "key"
  | "pattern"
  | "unix-time"
  | "pure-token"
  | "oneof"
  | "block";

/**
 * One argument of a command in Redis 7.0's COMMAND DOCS shape: what
 * `redis-cli` turns into its command-line hints (`SET key value [NX|XX]
 * ...`) and clients into typed signatures.
 */
export interface CommandArg {
  /** Its name, e.g. `key`, `seconds`, `condition`. */
  readonly name: string;
  /** Its type; `oneof` and `block` have {@linkcode CommandArg.arguments}. */
  readonly type: CommandArgType;
  /** For a `key`: the index of the key specification (COMMAND INFO) it belongs to. */
  readonly keySpecIndex?: number;
  /** The keyword that precedes it (`EX`), or that it is (a `pure-token`). */
  readonly token?: string;
  /** A description of the argument. */
  readonly summary?: string;
  /** The Redis version that added it. */
  readonly since?: string;
  /** The Redis version that deprecated it. */
  readonly deprecatedSince?: string;
  /** It may be left out. */
  readonly optional?: boolean;
  /** It may be repeated. */
  readonly multiple?: boolean;
  /** Each repetition repeats its token too (`GET p1 GET p2`). */
  readonly multipleToken?: boolean;
  /** The alternatives (`oneof`) or the parts (`block`). */
  readonly arguments?: readonly CommandArg[];
}

/** A command's COMMAND DOCS entry beyond its summary and group. */
export interface CommandDocs {
  /** The Redis version that added the command. */
  readonly since: string;
  /** Its time complexity, as Redis words it. */
  readonly complexity?: string;
  /** Redis's doc flags, e.g. `["deprecated"]`. */
  readonly docFlags?: readonly ("deprecated" | "syscmd")[];
  /** The Redis version that deprecated it. */
  readonly deprecatedSince?: string;
  /** What to use instead, e.g. "`SET` with the `NX` argument". */
  readonly replacedBy?: string;
  /** Its changes: `[version, description]`, oldest first. */
  readonly history?: readonly (readonly [string, string])[];
  /** Its arguments after the name (and subcommand). */
  readonly arguments?: readonly CommandArg[];
}

const ARG_FLAGS = ["optional", "multiple", "multipleToken"] as const;
const ARG_FLAG_NAMES = ["optional", "multiple", "multiple_token"];

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

/** A COMMAND DOCS entry from an embedder's declared summary, group and docs (Redis's field order). */
function docsFromFields(
  summary: string | undefined,
  group: string,
  d: CommandDocs | undefined,
): RespMap {
  const e: [Frame, Frame][] = [];
  if (summary !== undefined) e.push(["summary", summary]);
  if (d !== undefined) e.push(["since", d.since]);
  e.push(["group", group]);
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
  return new RespMap(e);
}
