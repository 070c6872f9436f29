/**
 * The LIST family and the blocking list commands, with Redis 7.0's
 * semantics, replies and error texts (t_list.c, blocked.c): LPUSH, RPUSH,
 * LPUSHX, RPUSHX, LPOP, RPOP (with a count), LLEN, LINDEX, LINSERT, LSET,
 * LRANGE, LREM, LTRIM, LPOS (RANK, COUNT, MAXLEN), LMOVE, RPOPLPUSH,
 * LMPOP, and BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP.
 *
 * The data structure is `server/types/list.ts`. Elements come out of it as
 * binary strings (small lists) or fresh byte copies: either is a reply's
 * bulk string as it is ({@linkcode BinaryString} for the former). A blocking
 * command that finds nothing to pop waits through `db/blocking.ts`: it is
 * served from the key that became ready, in the order clients blocked,
 * and a key that now holds another type leaves it blocked (Redis 7.0).
 *
 * @example
 * ```ts
 * import { listHandlers } from "./list.ts";
 * console.log(typeof listHandlers.blpop); // "function"
 * ```
 *
 * @module
 */

import { BinaryString, type Frame, NULL_ARRAY, OK, ReplyError } from "../../resp/frame.ts";
import { toBinary } from "../../resp/bytes.ts";
import { arityError, type Context, type HandlerMap } from "../command.ts";
import { NOTIFY_LIST } from "../db/notify.ts";
import { intArg, NO_SUCH_KEY, NOT_INTEGER, SYNTAX_ERROR } from "../args.ts";
import { parseInteger } from "../../resp/bytes.ts";
import { type End, HEAD, LIST, type ListElement, type RedisList, TAIL } from "../types/list.ts";
import { type LongDouble, parseLongDouble } from "../longdouble.ts";

// ---------------------------------------------------------------------------
// Errors (Redis's wording)

const INDEX_RANGE = new ReplyError("ERR index out of range");
const RANK_ZERO = new ReplyError(
  "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list",
);
const TIMEOUT_NOT_FLOAT = new ReplyError("ERR timeout is not a float or out of range");
const TIMEOUT_NEGATIVE = new ReplyError("ERR timeout is negative");
const MAX_I64 = 9223372036854775807n;
const MIN_I64 = -9223372036854775808n;

// ---------------------------------------------------------------------------
// Argument parsing

/**
 * Whether `arg` is the option word `lower` as C's `strcasecmp` sees it:
 * ASCII case-insensitive, the argument cut at its first NUL.
 */
function isWord(arg: Uint8Array, lower: string): boolean {
  const n = lower.length;
  if (arg.length < n || (arg.length > n && arg[n] !== 0)) return false;
  for (let i = 0; i < n; i++) {
    let c = arg[i];
    if (c >= 65 && c <= 90) c += 32;
    if (c !== lower.charCodeAt(i)) return false;
  }
  return true;
}

/** `LEFT` or `RIGHT` (Redis's `getListPositionFromObjectOrReply`). */
function endArg(arg: Uint8Array): End {
  if (isWord(arg, "right")) return TAIL;
  if (isWord(arg, "left")) return HEAD;
  throw SYNTAX_ERROR;
}

/**
 * An integer in `[min, 2^63-1]`, else `ERR <message>` (also when it is not
 * an integer), as Redis's `getRangeLongFromObjectOrReply` with a message.
 */
function atLeast(arg: Uint8Array, min: number, message: string): number {
  const v = parseInteger(arg);
  if (v === null || v < min) throw new ReplyError(`ERR ${message}`);
  return Number(v);
}

/**
 * A blocking command's timeout in seconds as Redis 7.0's
 * `getTimeoutFromObjectOrReply`: a long double (`strtold`) times 1000 in
 * x87 precision, rounded up to whole milliseconds and converted to a
 * 64-bit integer (a value out of its range becomes its minimum, as on
 * x86-64, so `inf` is "negative"). Returns milliseconds, 0 = forever.
 */
function timeoutArg(arg: Uint8Array): number {
  const v = parseLongDouble(arg);
  if (v === undefined) throw TIMEOUT_NOT_FLOAT;
  const ms = ceilMillis(v);
  if (ms === undefined || ms < 0n) throw TIMEOUT_NEGATIVE;
  return Number(ms);
}

/** `(long long) ceill(v * 1000.0L)`, undefined when it does not fit 64 bits. */
function ceilMillis(v: LongDouble): bigint | undefined {
  if (!Number.isFinite(v.exp)) return undefined;
  if (v.mant === 0n) return 0n;
  // the product, rounded to 64 significant bits (half to even) as the x87 does
  let m = v.mant * 1000n;
  let e = v.exp;
  const bits = m.toString(2).length;
  if (bits > 64) {
    const drop = BigInt(bits - 64);
    const low = m & ((1n << drop) - 1n);
    const half = 1n << (drop - 1n);
    m >>= drop;
    if (low > half || (low === half && (m & 1n) === 1n)) m += 1n;
    e += bits - 64;
  }
  let r: bigint;
  if (e >= 0) {
    if (e > 64) return undefined;
    r = m << BigInt(e);
  } else if (-e > 80) {
    r = v.neg ? 0n : 1n; // below one millisecond
  } else {
    const div = 1n << BigInt(-e);
    const q = m / div;
    r = v.neg ? q : q + (m % div === 0n ? 0n : 1n);
  }
  if (v.neg) r = -r;
  if (r > MAX_I64 || r < MIN_I64) return undefined;
  return r;
}

// ---------------------------------------------------------------------------
// Shared steps

/** An element as a reply frame. */
function frameOf(e: ListElement): Frame {
  return typeof e === "string" ? new BinaryString(e) : e;
}

/** Elements as reply frames, converting the array in place. */
function framesOf(elements: ListElement[]): Frame[] {
  const out = elements as Frame[];
  for (let i = 0; i < elements.length; i++) {
    const e = elements[i];
    if (typeof e === "string") out[i] = new BinaryString(e);
  }
  return out;
}

function popEvent(end: End): string {
  return end === HEAD ? "lpop" : "rpop";
}

function pushEvent(end: End): string {
  return end === HEAD ? "lpush" : "rpush";
}

/** Pops up to `count` elements from `end` of the list at `key`, with the events. */
function popSome(ctx: Context, key: string, list: RedisList, end: End, count: number): Frame[] {
  const n = Math.min(count, list.size);
  const out: Frame[] = new Array(n);
  for (let i = 0; i < n; i++) out[i] = frameOf(list.pop(end)!);
  ctx.db.changed(key, NOTIFY_LIST, popEvent(end), list);
  return out;
}

/** One element popped from `end` of a non-empty list, with the events. */
function popOne(ctx: Context, key: string, list: RedisList, end: End): Frame {
  const v = list.pop(end)!;
  ctx.db.changed(key, NOTIFY_LIST, popEvent(end), list);
  return frameOf(v);
}

/**
 * Redis's `lmoveGenericCommand` once the source list is known to hold
 * elements: checks the destination's type, moves one element, fires the
 * push event of the destination and the pop event (and `del`) of the
 * source. Returns the element.
 */
function moveOne(
  ctx: Context,
  src: string,
  list: RedisList,
  dst: string,
  from: End,
  to: End,
): Frame {
  const db = ctx.db;
  const target = db.write(dst, LIST); // WRONGTYPE before anything moves
  const v = list.pop(from)!;
  (target ?? db.getOrCreate(dst, LIST)).push(to, v);
  db.changed(dst, NOTIFY_LIST, pushEvent(to));
  db.changed(src, NOTIFY_LIST, popEvent(from), list);
  return frameOf(v);
}

/** The `[key, element]` reply of BLPOP / BRPOP. */
function keyAndElement(key: string, element: Frame): Frame[] {
  return [new BinaryString(key), element];
}

// ---------------------------------------------------------------------------
// Push

function push(ctx: Context, args: Uint8Array[], end: End, onlyExisting: boolean): number {
  const key = toBinary(args[1]);
  const db = ctx.db;
  let list = db.write(key, LIST);
  if (list === undefined) {
    if (onlyExisting) return 0;
    list = db.getOrCreate(key, LIST);
  }
  for (let j = 2; j < args.length; j++) list.push(end, args[j]);
  db.changed(key, NOTIFY_LIST, pushEvent(end));
  return list.size;
}

// ---------------------------------------------------------------------------
// Pop

function pop(ctx: Context, args: Uint8Array[], end: End): Frame {
  if (args.length > 3) throw arityError(end === HEAD ? "lpop" : "rpop");
  const hasCount = args.length === 3;
  const count = hasCount ? atLeast(args[2], 0, "value is out of range, must be positive") : 1;
  const key = toBinary(args[1]);
  const list = ctx.db.write(key, LIST);
  if (list === undefined) return hasCount ? NULL_ARRAY : null;
  if (!hasCount) return popOne(ctx, key, list, end);
  if (count === 0) return [];
  return popSome(ctx, key, list, end, count);
}

/** LMPOP and BLMPOP's arguments after the numkeys position. */
interface MpopArgs {
  keys: string[];
  end: End;
  count: number;
}

/** Redis's `lmpopGenericCommand` parsing: numkeys, keys, LEFT|RIGHT, [COUNT n]. */
function mpopArgs(args: Uint8Array[], numkeysIdx: number): MpopArgs {
  const numkeys = atLeast(args[numkeysIdx], 1, "numkeys should be greater than 0");
  const whereIdx = numkeysIdx + numkeys + 1;
  if (whereIdx >= args.length) throw SYNTAX_ERROR;
  const end = endArg(args[whereIdx]);
  let count = -1;
  for (let j = whereIdx + 1; j < args.length; j++) {
    if (count === -1 && isWord(args[j], "count") && j < args.length - 1) {
      count = atLeast(args[++j], 1, "count should be greater than 0");
    } else {
      throw SYNTAX_ERROR;
    }
  }
  const keys: string[] = [];
  for (let j = numkeysIdx + 1; j < whereIdx; j++) keys.push(toBinary(args[j]));
  return { keys, end, count: count === -1 ? 1 : count };
}

/** Pops from the first non-empty list of `keys`: `[key, [elements]]`, undefined when none. */
function mpopFirst(ctx: Context, keys: string[], end: End, count: number): Frame | undefined {
  for (const key of keys) {
    const list = ctx.db.write(key, LIST);
    if (list === undefined) continue;
    return [new BinaryString(key), popSome(ctx, key, list, end, count)];
  }
  return undefined;
}

function lmpop(ctx: Context, args: Uint8Array[]): Frame {
  const { keys, end, count } = mpopArgs(args, 1);
  return mpopFirst(ctx, keys, end, count) ?? NULL_ARRAY;
}

// ---------------------------------------------------------------------------
// Blocking pops

/** What a waiter of BLPOP / BRPOP / BLMPOP gets from a ready key, if it holds a list. */
function readyList(ctx: Context, key: string): RedisList | undefined {
  const v = ctx.db.getValue(key);
  return v !== undefined && LIST.is(v) && v.size !== 0 ? v : undefined;
}

function bpop(ctx: Context, args: Uint8Array[], end: End): Frame | Promise<Frame> {
  const timeoutMs = timeoutArg(args[args.length - 1]);
  const keys: string[] = [];
  for (let j = 1; j < args.length - 1; j++) keys.push(toBinary(args[j]));
  for (const key of keys) {
    const list = ctx.db.write(key, LIST);
    if (list !== undefined) return keyAndElement(key, popOne(ctx, key, list, end));
  }
  return ctx.server.blocking.wait({
    clientId: ctx.client.id,
    keys,
    timeoutMs,
    timeoutReply: NULL_ARRAY,
    attempt: (key) => {
      const list = readyList(ctx, key);
      return list && keyAndElement(key, popOne(ctx, key, list, end));
    },
  });
}

function blmpop(ctx: Context, args: Uint8Array[]): Frame | Promise<Frame> {
  const { keys, end, count } = mpopArgs(args, 2);
  const timeoutMs = timeoutArg(args[1]);
  const now = mpopFirst(ctx, keys, end, count);
  if (now !== undefined) return now;
  return ctx.server.blocking.wait({
    clientId: ctx.client.id,
    keys,
    timeoutMs,
    timeoutReply: NULL_ARRAY,
    attempt: (key) => {
      const list = readyList(ctx, key);
      return list && [new BinaryString(key), popSome(ctx, key, list, end, count)];
    },
  });
}

/** BLMOVE and BRPOPLPUSH once their arguments are parsed (Redis's `blmoveGenericCommand`). */
function bmove(
  ctx: Context,
  src: string,
  dst: string,
  from: End,
  to: End,
  timeoutMs: number,
): Frame | Promise<Frame> {
  const list = ctx.db.write(src, LIST);
  if (list !== undefined) return moveOne(ctx, src, list, dst, from, to);
  return ctx.server.blocking.wait({
    clientId: ctx.client.id,
    keys: [src],
    timeoutMs,
    timeoutReply: NULL_ARRAY,
    deniedReply: null,
    attempt: (key) => {
      const ready = readyList(ctx, key);
      return ready && moveOne(ctx, key, ready, dst, from, to);
    },
  });
}

// ---------------------------------------------------------------------------
// Handlers

/** Handlers of the family by command name; metadata come from `meta.ts`. */
export const listHandlers: HandlerMap = {
  lpush: (ctx, args) => push(ctx, args, HEAD, false),
  rpush: (ctx, args) => push(ctx, args, TAIL, false),
  lpushx: (ctx, args) => push(ctx, args, HEAD, true),
  rpushx: (ctx, args) => push(ctx, args, TAIL, true),
  lpop: (ctx, args) => pop(ctx, args, HEAD),
  rpop: (ctx, args) => pop(ctx, args, TAIL),

  llen: (ctx, args) => ctx.db.read(toBinary(args[1]), LIST)?.size ?? 0,

  lindex: (ctx, args) => {
    const list = ctx.db.read(toBinary(args[1]), LIST);
    if (list === undefined) return null;
    const e = list.at(intArg(args[2]));
    return e === undefined ? null : frameOf(e);
  },

  linsert: (ctx, args) => {
    let after: boolean;
    if (isWord(args[2], "after")) after = true;
    else if (isWord(args[2], "before")) after = false;
    else throw SYNTAX_ERROR;
    const key = toBinary(args[1]);
    const list = ctx.db.write(key, LIST);
    if (list === undefined) return 0;
    if (!list.insert(args[3], args[4], after)) return -1;
    ctx.db.changed(key, NOTIFY_LIST, "linsert");
    return list.size;
  },

  lset: (ctx, args) => {
    const key = toBinary(args[1]);
    const list = ctx.db.write(key, LIST);
    if (list === undefined) throw NO_SUCH_KEY;
    if (!list.set(intArg(args[2]), args[3])) throw INDEX_RANGE;
    ctx.db.changed(key, NOTIFY_LIST, "lset");
    return OK;
  },

  lrange: (ctx, args) => {
    let start = intArg(args[2]);
    let stop = intArg(args[3]);
    const list = ctx.db.read(toBinary(args[1]), LIST);
    if (list === undefined) return [];
    const n = list.size;
    if (start < 0) start += n;
    if (stop < 0) stop += n;
    if (start < 0) start = 0;
    if (start > stop || start >= n) return [];
    if (stop >= n) stop = n - 1;
    return framesOf(list.elements(start, stop - start + 1));
  },

  ltrim: (ctx, args) => {
    let start = intArg(args[2]);
    let stop = intArg(args[3]);
    const key = toBinary(args[1]);
    const list = ctx.db.write(key, LIST);
    if (list === undefined) return OK;
    const n = list.size;
    if (start < 0) start += n;
    if (stop < 0) stop += n;
    if (start < 0) start = 0;
    if (start > stop || start >= n) {
      list.removeEnds(n, 0);
    } else {
      if (stop >= n) stop = n - 1;
      list.removeEnds(start, n - stop - 1);
    }
    ctx.db.changed(key, NOTIFY_LIST, "ltrim", list);
    return OK;
  },

  lrem: (ctx, args) => {
    const count = intArg(args[2]);
    const key = toBinary(args[1]);
    const list = ctx.db.write(key, LIST);
    if (list === undefined) return 0;
    const removed = list.remove(count, args[3]);
    if (removed !== 0) ctx.db.changed(key, NOTIFY_LIST, "lrem", list);
    return removed;
  },

  lpos: (ctx, args) => {
    let rank = 1;
    let count = -1;
    let maxlen = 0;
    let allFromTail = false; // RANK -2^63: Redis's negation overflows and every match counts
    for (let j = 3; j < args.length; j++) {
      const more = j < args.length - 1;
      if (isWord(args[j], "rank") && more) {
        const v = parseInteger(args[++j]);
        if (v === null) throw NOT_INTEGER;
        if (v === 0) throw RANK_ZERO;
        allFromTail = v === MIN_I64;
        rank = Number(v);
      } else if (isWord(args[j], "count") && more) {
        count = atLeast(args[++j], 0, "COUNT can't be negative");
      } else if (isWord(args[j], "maxlen") && more) {
        maxlen = atLeast(args[++j], 0, "MAXLEN can't be negative");
      } else {
        throw SYNTAX_ERROR;
      }
    }
    const list = ctx.db.read(toBinary(args[1]), LIST);
    if (list === undefined) return count !== -1 ? [] : null;
    if (allFromTail) {
      const all = list.positions(args[2], -1, count === -1 ? 1 : 0, maxlen);
      return count !== -1 ? all : all.length !== 0 ? all[0] : null;
    }
    const found = list.positions(args[2], rank, count === -1 ? 1 : count, maxlen);
    if (count !== -1) return found;
    return found.length !== 0 ? found[0] : null;
  },

  lmove: (ctx, args) => {
    const from = endArg(args[3]);
    const to = endArg(args[4]);
    const src = toBinary(args[1]);
    const list = ctx.db.write(src, LIST);
    if (list === undefined) return null;
    return moveOne(ctx, src, list, toBinary(args[2]), from, to);
  },

  rpoplpush: (ctx, args) => {
    const src = toBinary(args[1]);
    const list = ctx.db.write(src, LIST);
    if (list === undefined) return null;
    return moveOne(ctx, src, list, toBinary(args[2]), TAIL, HEAD);
  },

  lmpop: lmpop,

  blpop: (ctx, args) => bpop(ctx, args, HEAD),
  brpop: (ctx, args) => bpop(ctx, args, TAIL),
  blmpop: blmpop,

  blmove: (ctx, args) => {
    const from = endArg(args[3]);
    const to = endArg(args[4]);
    const timeoutMs = timeoutArg(args[5]);
    return bmove(ctx, toBinary(args[1]), toBinary(args[2]), from, to, timeoutMs);
  },

  brpoplpush: (ctx, args) => {
    const timeoutMs = timeoutArg(args[3]);
    return bmove(ctx, toBinary(args[1]), toBinary(args[2]), TAIL, HEAD, timeoutMs);
  },
};
