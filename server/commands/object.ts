/**
 * The OBJECT subcommands (ENCODING, FREQ, IDLETIME, REFCOUNT, HELP), with
 * Redis 7.0's semantics, replies and error texts (object.c).
 *
 * - ENCODING: a collection reports its type's own encoding name
 *   (`listpack`, `quicklist`, `intset`, `hashtable`, `skiplist`); a string
 *   is `raw` once APPEND, SETRANGE or SETBIT has changed it in place,
 *   otherwise `int` when Redis would store it as an integer (a canonical
 *   64-bit integer of at most 20 characters), `embstr` up to 44 bytes,
 *   `raw` beyond.
 * - REFCOUNT: 1, except for the integers 0..9999 that Redis shares
 *   (`2147483647`, its `OBJ_SHARED_REFCOUNT`) unless `maxmemory` is set
 *   with an LRU or LFU policy.
 * - IDLETIME: whole seconds since the key was last accessed (the
 *   keyspace's access time, refreshed as Redis's LRU clock); an error
 *   under an LFU `maxmemory-policy`.
 * - FREQ: an error unless an LFU `maxmemory-policy` is selected. This
 *   server keeps no LFU counter: under such a policy it replies the
 *   counter of a key not read since it was written (Redis's initial 5,
 *   decayed by one per idle minute).
 * - A missing key replies null; the lookup neither touches the key nor
 *   fires a `keymiss` event, but counts as a keyspace hit or miss.
 *
 * @example
 * ```ts
 * import { objectHandlers } from "./object.ts";
 * console.log(Object.keys(objectHandlers).includes("object|encoding")); // true
 * ```
 *
 * @module
 */

import { type Frame, ReplyError, SimpleString } from "../../resp/frame.ts";
import { parseInteger, toBinary } from "../../resp/bytes.ts";
import type { Context, HandlerMap } from "../command.ts";
import type { Entry, Value } from "../db/keyspace.ts";
import { isGrownString } from "./strings.ts";

/** Redis's `OBJ_SHARED_REFCOUNT` (`INT_MAX`): the refcount of a shared integer. */
const SHARED_REFCOUNT = 2147483647;
/** Redis's `OBJ_SHARED_INTEGERS`: 0..9999 are shared objects. */
const SHARED_INTEGERS = 10000;
/** Redis's `OBJ_ENCODING_EMBSTR_SIZE_LIMIT`. */
const EMBSTR_SIZE_LIMIT = 44;

const LFU_NOT_SELECTED = new ReplyError(
  "ERR An LFU maxmemory policy is not selected, access frequency not tracked. " +
    "Please note that when switching between policies at runtime LRU and LFU data " +
    "will take some time to adjust.",
);
const LFU_SELECTED = new ReplyError(
  "ERR An LFU maxmemory policy is selected, idle time not tracked. " +
    "Please note that when switching between policies at runtime LRU and LFU data " +
    "will take some time to adjust.",
);

const HELP = [
  "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
  "ENCODING <key>",
  "    Return the kind of internal representation used in order to store the value",
  "    associated with a <key>.",
  "FREQ <key>",
  "    Return the access frequency index of the <key>. The returned integer is",
  "    proportional to the logarithm of the recent access frequency of the key.",
  "IDLETIME <key>",
  "    Return the idle time of the <key>, that is the approximated number of",
  "    seconds elapsed since the last access to the key.",
  "REFCOUNT <key>",
  "    Return the number of references of the value associated with the specified",
  "    <key>.",
  "HELP",
  "    Prints this help.",
].map((line) => new SimpleString(line));

/**
 * The encoding Redis 7.0 gives a string value: `raw` once grown in place
 * (APPEND, SETRANGE, SETBIT: Redis's `dbUnshareStringValue`), otherwise as
 * SET stores it (`tryObjectEncoding`): `int` for a canonical 64-bit
 * integer of at most 20 characters, `embstr` up to 44 bytes, `raw` beyond.
 *
 * @example
 * ```ts
 * import { stringEncoding } from "./object.ts";
 * const enc = new TextEncoder();
 * console.log(stringEncoding(enc.encode("42"))); // "int"
 * console.log(stringEncoding(enc.encode("042"))); // "embstr"
 * console.log(stringEncoding(new Uint8Array(45))); // "raw"
 * ```
 */
export function stringEncoding(value: Uint8Array): "int" | "embstr" | "raw" {
  if (isGrownString(value)) return "raw";
  if (value.length <= 20 && parseInteger(value) !== null) return "int";
  return value.length <= EMBSTR_SIZE_LIMIT ? "embstr" : "raw";
}

/** Redis's encoding name of any value. */
export function encodingOf(value: Value): string {
  return value instanceof Uint8Array ? stringEncoding(value) : value.encoding;
}

/** A CONFIG parameter's current value ("" when the server has no such parameter). */
function configValue(ctx: Context, name: string): string {
  return ctx.server.config.get(name)?.get() ?? "";
}

/** Whether `maxmemory-policy` is one of the LFU policies (`allkeys-lfu`, `volatile-lfu`). */
function lfuSelected(ctx: Context): boolean {
  return configValue(ctx, "maxmemory-policy").toLowerCase().endsWith("-lfu");
}

/**
 * Whether Redis would keep small integers shared: unless `maxmemory` is
 * set with an LRU or LFU policy (`MAXMEMORY_FLAG_NO_SHARED_INTEGERS`).
 */
function sharesIntegers(ctx: Context): boolean {
  const maxmemory = configValue(ctx, "maxmemory");
  if (maxmemory === "" || Number.parseFloat(maxmemory) === 0) return true;
  const policy = configValue(ctx, "maxmemory-policy").toLowerCase();
  return !(policy.endsWith("-lru") || policy.endsWith("-lfu"));
}

/**
 * The entry of `keyArg` as OBJECT looks it up (Redis's
 * `LOOKUP_NOTOUCH | LOOKUP_NONOTIFY`): the key is not marked accessed, an
 * expired key is reclaimed as on any lookup, a miss fires no `keymiss`
 * event, and the lookup counts as a keyspace hit or miss when the
 * dispatcher counts this command's lookups.
 */
function lookup(ctx: Context, keyArg: Uint8Array): Entry | undefined {
  const db = ctx.db;
  const counting = db.countLookups;
  db.countLookups = false;
  let e: Entry | undefined;
  try {
    e = db.peek(toBinary(keyArg));
  } finally {
    db.countLookups = counting;
  }
  if (counting) {
    if (e === undefined) db.misses++;
    else db.hits++;
  }
  return e;
}

/** OBJECT ENCODING key */
function objectEncoding(ctx: Context, args: Uint8Array[]): Frame {
  const e = lookup(ctx, args[2]);
  return e === undefined ? null : encodingOf(e.value);
}

/** OBJECT REFCOUNT key */
function objectRefcount(ctx: Context, args: Uint8Array[]): Frame {
  const e = lookup(ctx, args[2]);
  if (e === undefined) return null;
  const v = e.value;
  if (v instanceof Uint8Array && v.length <= 4 && !isGrownString(v) && sharesIntegers(ctx)) {
    const n = parseInteger(v);
    if (typeof n === "number" && n >= 0 && n < SHARED_INTEGERS) return SHARED_REFCOUNT;
  }
  return 1;
}

/** OBJECT IDLETIME key: seconds since the last access, at Redis's 1 s resolution. */
function objectIdletime(ctx: Context, args: Uint8Array[]): Frame {
  const e = lookup(ctx, args[2]);
  if (e === undefined) return null;
  if (lfuSelected(ctx)) return LFU_SELECTED;
  return Math.floor(ctx.db.idleMs(e) / 1000);
}

/** Redis's `LFU_INIT_VAL`: the counter of a key just created. */
const LFU_INIT_VAL = 5;

/**
 * OBJECT FREQ key. Under an LFU policy Redis replies its logarithmic access
 * counter decayed by idle minutes (`lfu-decay-time` 1). This server keeps
 * no access counter: it replies the counter of a key not read since it was
 * written (`LFU_INIT_VAL` decayed by the minutes since the last access).
 */
function objectFreq(ctx: Context, args: Uint8Array[]): Frame {
  const e = lookup(ctx, args[2]);
  if (e === undefined) return null;
  if (!lfuSelected(ctx)) return LFU_NOT_SELECTED;
  return Math.max(0, LFU_INIT_VAL - Math.floor(ctx.db.idleMs(e) / 60_000));
}

/** Handlers of the family by command name; metadata come from `meta.ts`. */
export const objectHandlers: HandlerMap = {
  "object|encoding": objectEncoding,
  "object|refcount": objectRefcount,
  "object|idletime": objectIdletime,
  "object|freq": objectFreq,
  "object|help": () => HELP,
};
