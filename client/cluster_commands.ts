/**
 * Where a command's keys are, read from the cluster itself: the reply of
 * `COMMAND` (Redis 7 key specs, subcommands, flags and request/response
 * policy tips) becomes a table that finds the keys of any command line the
 * way Redis's `getKeysUsingKeySpecs` does, so the cluster client needs no
 * hard-coded list of commands.
 *
 * @module
 */

import {
  Attribute,
  type Frame,
  ReplyError,
  RespMap,
  RespSet,
  SimpleString,
} from "../resp/frame.ts";
import { fromUtf8 } from "../resp/bytes.ts";
import type { Arg } from "./commands.ts";
import { keySlot } from "./cluster_slot.ts";

/** The slot of a command that has no keys. */
export const NO_SLOT = -1;

/** Redis's error for keys in different slots. */
export const CROSSSLOT = "CROSSSLOT Keys in request don't hash to the same slot";

/** Where a key spec starts looking (Redis's `begin_search`). */
type BeginSearch =
  | { kind: "index"; index: number }
  | { kind: "keyword"; keyword: string; startfrom: number }
  | { kind: "unknown" };

/** How a key spec finds the keys from there (Redis's `find_keys`). */
type FindKeys =
  | { kind: "range"; lastkey: number; keystep: number; limit: number }
  | { kind: "keynum"; keynumidx: number; firstkey: number; keystep: number }
  | { kind: "unknown" };

/** One key spec of a command. */
export interface KeySpec {
  /** Where the search begins. */
  begin: BeginSearch;
  /** How keys are found. */
  find: FindKeys;
}

/** What the cluster client needs to know about one command (or subcommand). */
export interface CommandInfo {
  /** Lower-case name; subcommands are `container|sub` (e.g. `object|encoding`). */
  readonly name: string;
  /** The `readonly` flag: the command may be served by a replica. */
  readonly readonly: boolean;
  /** Its key specs, in order. */
  readonly specs: readonly KeySpec[];
  /**
   * Fast path when the only key spec is `index` + `range` (GET, SET, MGET,
   * MSET, DEL, ...): the index of the first key, else 0.
   */
  readonly first: number;
  /** Fast path: `lastkey` of the range (negative: from the end). */
  readonly last: number;
  /** Fast path: the step between keys. */
  readonly step: number;
  /** The `request_policy` tip (`all_shards`, `all_nodes`, `multi_shard`, `special`), if any. */
  readonly requestPolicy: string | undefined;
  /** The `response_policy` tip (`agg_sum`, `all_succeeded`, ...), if any. */
  readonly responsePolicy: string | undefined;
  /** Its subcommands by lower-case name, for container commands (`OBJECT`, `XINFO`, ...). */
  readonly subcommands: Map<string, CommandInfo> | undefined;
}

/** A frame as text (bulk, simple or verbatim string, or a number). */
function text(frame: Frame): string {
  if (frame instanceof Uint8Array) return fromUtf8(frame);
  if (frame instanceof SimpleString) return frame.value;
  if (typeof frame === "string") return frame;
  if (typeof frame === "number" || typeof frame === "bigint") return String(frame);
  if (frame instanceof Attribute) return text(frame.value);
  if (frame !== null && typeof frame === "object" && "value" in frame) {
    const v = (frame as { value: unknown }).value;
    return v instanceof Uint8Array ? fromUtf8(v) : String(v);
  }
  return "";
}

/** A frame as a list: arrays, RESP3 sets, RESP3 maps (flattened). */
function list(frame: Frame): Frame[] {
  if (Array.isArray(frame)) return frame;
  if (frame instanceof RespSet) return frame.items;
  if (frame instanceof RespMap) return frame.entries.flat();
  if (frame instanceof Attribute) return list(frame.value);
  return [];
}

/** A RESP3 map or a RESP2 flat array of key, value, ... as a `Map` with text keys. */
export function fieldMap(frame: Frame): Map<string, Frame> {
  const out = new Map<string, Frame>();
  if (frame instanceof RespMap) {
    for (const [k, v] of frame.entries) out.set(text(k), v);
    return out;
  }
  const items = list(frame);
  for (let i = 0; i + 1 < items.length; i += 2) out.set(text(items[i]), items[i + 1]);
  return out;
}

function num(frame: Frame | undefined): number {
  if (frame === undefined) return 0;
  if (typeof frame === "number") return frame;
  return Number(text(frame));
}

function parseSpec(frame: Frame): KeySpec {
  const f = fieldMap(frame);
  const bs = fieldMap(f.get("begin_search") ?? null);
  const bsSpec = fieldMap(bs.get("spec") ?? null);
  let begin: BeginSearch;
  switch (text(bs.get("type") ?? null)) {
    case "index":
      begin = { kind: "index", index: num(bsSpec.get("index")) };
      break;
    case "keyword":
      begin = {
        kind: "keyword",
        keyword: text(bsSpec.get("keyword") ?? null).toLowerCase(),
        startfrom: num(bsSpec.get("startfrom")),
      };
      break;
    default:
      begin = { kind: "unknown" };
  }
  const fk = fieldMap(f.get("find_keys") ?? null);
  const fkSpec = fieldMap(fk.get("spec") ?? null);
  let find: FindKeys;
  switch (text(fk.get("type") ?? null)) {
    case "range":
      find = {
        kind: "range",
        lastkey: num(fkSpec.get("lastkey")),
        keystep: num(fkSpec.get("keystep")) || 1,
        limit: num(fkSpec.get("limit")),
      };
      break;
    case "keynum":
      find = {
        kind: "keynum",
        keynumidx: num(fkSpec.get("keynumidx")),
        firstkey: num(fkSpec.get("firstkey")),
        keystep: num(fkSpec.get("keystep")) || 1,
      };
      break;
    default:
      find = { kind: "unknown" };
  }
  return { begin, find };
}

function parseCommand(frame: Frame): CommandInfo | undefined {
  const items = list(frame);
  if (items.length < 6) return undefined;
  const name = text(items[0]).toLowerCase();
  const flags = list(items[2]).map(text);
  const tips = items.length > 7 ? list(items[7]).map(text) : [];
  const specs = items.length > 8 ? list(items[8]).map(parseSpec) : [];
  let subcommands: Map<string, CommandInfo> | undefined;
  if (items.length > 9) {
    for (const sub of list(items[9])) {
      const info = parseCommand(sub);
      if (info === undefined) continue;
      subcommands ??= new Map();
      subcommands.set(info.name.slice(info.name.indexOf("|") + 1), info);
    }
  }
  let requestPolicy: string | undefined;
  let responsePolicy: string | undefined;
  for (const tip of tips) {
    if (tip.startsWith("request_policy:")) requestPolicy = tip.slice(15);
    else if (tip.startsWith("response_policy:")) responsePolicy = tip.slice(16);
  }
  let first = 0, last = 0, step = 1;
  if (specs.length === 1) {
    const { begin, find } = specs[0];
    if (begin.kind === "index" && begin.index > 0 && find.kind === "range" && find.limit <= 1) {
      first = begin.index;
      last = find.lastkey;
      step = find.keystep;
    }
  }
  return {
    name,
    readonly: flags.includes("readonly"),
    specs,
    first,
    last,
    step,
    requestPolicy,
    responsePolicy,
    subcommands,
  };
}

function argText(a: Arg): string {
  return typeof a === "string" ? a : a instanceof Uint8Array ? fromUtf8(a) : String(a);
}

/**
 * The commands of a server, from its `COMMAND` reply.
 *
 * @example
 * ```ts ignore
 * const table = CommandTable.parse(await client.send(["COMMAND"]));
 * const info = table.lookup(["MSET", "a", "1", "b", "2"])!;
 * console.log(table.keys(info, ["MSET", "a", "1", "b", "2"])); // [1, 3]
 * ```
 */
export class CommandTable {
  #byName = new Map<string, CommandInfo>();

  /** Builds the table from a `COMMAND` (or `COMMAND INFO`) reply. */
  static parse(reply: Frame): CommandTable {
    const table = new CommandTable();
    for (const entry of list(reply)) {
      const info = parseCommand(entry);
      if (info === undefined) continue;
      table.#byName.set(info.name, info);
      table.#byName.set(info.name.toUpperCase(), info);
    }
    return table;
  }

  /** How many commands it knows (subcommands not counted). */
  get size(): number {
    return this.#byName.size / 2;
  }

  /** The command (or subcommand) `args` calls, or undefined when the server does not know it. */
  lookup(args: readonly Arg[]): CommandInfo | undefined {
    const head = args[0];
    const name = typeof head === "string" ? head : argText(head);
    let info = this.#byName.get(name);
    if (info === undefined) {
      info = this.#byName.get(name.toLowerCase());
      if (info === undefined) return undefined;
    }
    if (info.subcommands !== undefined && args.length > 1) {
      const sub = info.subcommands.get(argText(args[1]).toLowerCase());
      if (sub !== undefined) return sub;
    }
    return info;
  }

  /** The indexes in `args` of the command's keys, found with its key specs. */
  keys(info: CommandInfo, args: readonly Arg[]): number[] {
    const argc = args.length;
    const out: number[] = [];
    for (const { begin, find } of info.specs) {
      let first: number;
      if (begin.kind === "index") first = begin.index;
      else if (begin.kind === "keyword") {
        first = -1;
        const start = begin.startfrom > 0 ? begin.startfrom : argc + begin.startfrom;
        const end = begin.startfrom > 0 ? argc - 1 : 1;
        for (let i = start; i !== end; i = start <= end ? i + 1 : i - 1) {
          if (i >= argc || i < 1) break;
          if (argText(args[i]).toLowerCase() === begin.keyword) {
            first = i + 1;
            break;
          }
        }
        if (first < 0) continue;
      } else continue;
      if (first >= argc) continue;
      let last: number;
      let step: number;
      if (find.kind === "range") {
        step = find.keystep;
        if (find.lastkey >= 0) last = first + find.lastkey;
        else if (find.limit <= 1) last = argc + find.lastkey;
        else last = first + (Math.floor((argc - first) / find.limit) + find.lastkey);
      } else if (find.kind === "keynum") {
        const at = first + find.keynumidx;
        if (at >= argc) continue;
        const n = Number(argText(args[at]));
        if (!Number.isSafeInteger(n) || n < 0) continue; // the server reports it
        first += find.firstkey;
        last = first + n - 1;
        step = find.keystep;
      } else continue;
      for (let i = first; i <= last && i < argc; i += step) out.push(i);
    }
    return out;
  }

  /**
   * The slot of the command's keys: {@linkcode NO_SLOT} when it has none;
   * throws Redis's `CROSSSLOT` {@linkcode ReplyError} when they hash to
   * different slots.
   */
  slot(info: CommandInfo, args: readonly Arg[]): number {
    const first = info.first;
    if (first > 0) {
      const argc = args.length;
      if (first >= argc) return NO_SLOT;
      const last = info.last >= 0 ? first + info.last : argc + info.last;
      const slot = keySlot(args[first]);
      for (let i = first + info.step; i <= last && i < argc; i += info.step) {
        if (keySlot(args[i]) !== slot) throw new ReplyError(CROSSSLOT);
      }
      return slot;
    }
    if (info.specs.length === 0) return NO_SLOT;
    const keys = this.keys(info, args);
    if (keys.length === 0) return NO_SLOT;
    const slot = keySlot(args[keys[0]]);
    for (let i = 1; i < keys.length; i++) {
      if (keySlot(args[keys[i]]) !== slot) throw new ReplyError(CROSSSLOT);
    }
    return slot;
  }
}
