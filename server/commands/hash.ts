/**
 * The HASH family with Redis 7.0's semantics, replies and error texts
 * (t_hash.c): HSET, HMSET, HSETNX, HGET, HMGET, HDEL, HEXISTS, HLEN,
 * HSTRLEN, HKEYS, HVALS, HGETALL, HINCRBY, HINCRBYFLOAT, HRANDFIELD (count,
 * WITHVALUES) and HSCAN (MATCH, COUNT).
 *
 * The data structure is `server/types/hash.ts`; fields and values are
 * binary strings, replied as {@linkcode BinaryString}s. The cursor and
 * option parsing shared by HSCAN and SSCAN lives here too
 * ({@linkcode parseScanCursor}, {@linkcode parseScanOptions}).
 *
 * @example
 * ```ts
 * import { hashHandlers } from "./hash.ts";
 * console.log(Object.keys(hashHandlers).includes("hincrbyfloat")); // true
 * ```
 *
 * @module
 */

import { BinaryString, type Frame, OK, ReplyError, RespMap } from "../../resp/frame.ts";
import { fromBinary, parseInteger, toBinary } from "../../resp/bytes.ts";
import { arityError, type Context, type HandlerMap } from "../command.ts";
import { NOTIFY_HASH } from "../db/notify.ts";
import { int64Arg, intArg, isOption, NOT_FLOAT, parseScanCursor, SYNTAX_ERROR } from "../args.ts";
import { globMatch, isMatchAll } from "../glob.ts";
import { HASH, type RedisHash } from "../types/hash.ts";
import { integerMember } from "../types/set.ts";
import {
  addLongDouble,
  formatLongDouble,
  isFiniteLongDouble,
  type LongDouble,
  parseLongDouble,
} from "../longdouble.ts";

const HASH_NOT_INTEGER = new ReplyError("ERR hash value is not an integer");
const HASH_NOT_FLOAT = new ReplyError("ERR hash value is not a float");
const OVERFLOW = new ReplyError("ERR increment or decrement would overflow");
const NAN_OR_INF = new ReplyError("ERR increment would produce NaN or Infinity");
const INCR_NAN_OR_INF = new ReplyError("ERR value is NaN or Infinity");
const OUT_OF_RANGE = new ReplyError("ERR value is out of range");
/** The count of HRANDFIELD / SRANDMEMBER outside +-LONG_MAX. */
export const RANDOM_COUNT_RANGE: ReplyError = new ReplyError(
  "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807",
);

const MAX_I64 = 9223372036854775807n;
const MIN_I64 = -9223372036854775808n;
/** `LONG_MAX / 2` (C division): the bound of HRANDFIELD's count with WITHVALUES. */
const HALF_LONG_MAX = 4611686018427387903n;

/**
 * The most elements one random-pick reply with repetitions (a negative
 * count: SRANDMEMBER, HRANDFIELD) may hold. Redis would build any size and
 * runs out of memory on `SRANDMEMBER k -2147483648`; here a larger count
 * on an existing key is refused with {@linkcode replyTooLarge}.
 */
export const MAX_RANDOM_REPLY = 1 << 24;

/** The error for a random-pick reply beyond {@linkcode MAX_RANDOM_REPLY} elements. */
export function replyTooLarge(): ReplyError {
  return new ReplyError(
    `ERR count is too large: a reply holds at most ${MAX_RANDOM_REPLY} random elements`,
  );
}

// ---------------------------------------------------------------------------
// HSCAN / SSCAN options (shared with the set family)

/** SCAN-family cursor parsing lives in `args.ts` (shared with SCAN). */
export { parseScanCursor };

/** The options of HSCAN / SSCAN / ZSCAN after the cursor. */
export interface ScanOptions {
  /** COUNT (default 10). */
  readonly count: number;
  /** Whether `MATCH` was given with a pattern other than `*`. */
  readonly matches: (member: string) => boolean;
}

const MATCH_ALL = () => true;

/**
 * Parses `[MATCH pattern] [COUNT count]` from `args[from]` on, as Redis's
 * `scanGenericCommand` for a key (TYPE is a syntax error there): options
 * may repeat (the last wins); COUNT must be an integer (`ERR value is not an
 * integer or out of range`) of at least 1 (`ERR syntax error`). The
 * pattern is copied, so the result outlives the request.
 */
export function parseScanOptions(args: Uint8Array[], from: number): ScanOptions {
  let count = 10;
  let pattern: Uint8Array | null = null;
  for (let i = from; i < args.length; i += 2) {
    const more = args.length - i;
    if (isOption(args[i], "count") && more >= 2) {
      count = intArg(args[i + 1]);
      if (count < 1) throw SYNTAX_ERROR;
    } else if (isOption(args[i], "match") && more >= 2) {
      pattern = isMatchAll(args[i + 1]) ? null : args[i + 1].slice();
    } else {
      throw SYNTAX_ERROR;
    }
  }
  const p = pattern;
  return {
    count,
    matches: p === null ? MATCH_ALL : (member: string) => globMatch(p, fromBinary(member)),
  };
}

/** The reply of a SCAN-family command: `[cursor, elements]`. */
export function scanReply(cursor: number, elements: Frame[]): Frame {
  return [String(cursor), elements];
}

/** The reply of HSCAN / SSCAN / ZSCAN on a missing key. */
export function emptyScan(): Frame {
  return ["0", []];
}

// ---------------------------------------------------------------------------
// Helpers

function bin(s: string): BinaryString {
  return new BinaryString(s);
}

/** The hash at `key` for reading (WRONGTYPE thrown), or undefined. */
function readHash(ctx: Context, key: Uint8Array): RedisHash | undefined {
  return ctx.db.read(toBinary(key), HASH);
}

/**
 * The count of HRANDFIELD / SRANDMEMBER: an int64 within +-LONG_MAX
 * ({@linkcode RANDOM_COUNT_RANGE}; not an integer: the integer error).
 */
export function randomCountArg(arg: Uint8Array): number | bigint {
  const v = int64Arg(arg);
  if (v === MIN_I64) throw RANDOM_COUNT_RANGE;
  return v;
}

// ---------------------------------------------------------------------------
// Handlers

function hset(ctx: Context, args: Uint8Array[], hmset: boolean): Frame {
  if (args.length % 2 === 1) throw arityError(hmset ? "hmset" : "hset");
  const key = toBinary(args[1]);
  const h = ctx.db.getOrCreate(key, HASH);
  if (h.compact) {
    let longest = 0;
    for (let i = 2; i < args.length; i++) if (args[i].length > longest) longest = args[i].length;
    h.prepareFor(longest);
  }
  let created: number;
  if (args.length === 4) {
    created = h.set(toBinary(args[2]), toBinary(args[3])) ? 1 : 0;
  } else {
    const pairs: string[] = new Array(args.length - 2);
    for (let i = 2; i < args.length; i++) pairs[i - 2] = toBinary(args[i]);
    created = h.setMany(pairs);
  }
  ctx.db.changed(key, NOTIFY_HASH, "hset", h);
  return hmset ? OK : created;
}

function hsetnx(ctx: Context, args: Uint8Array[]): Frame {
  const key = toBinary(args[1]);
  const h = ctx.db.getOrCreate(key, HASH);
  const field = toBinary(args[2]);
  if (h.has(field)) return 0;
  h.set(field, toBinary(args[3]));
  ctx.db.changed(key, NOTIFY_HASH, "hset", h);
  return 1;
}

function hget(ctx: Context, args: Uint8Array[]): Frame {
  const h = readHash(ctx, args[1]);
  if (h === undefined) return null;
  const v = h.get(toBinary(args[2]));
  return v === undefined ? null : bin(v);
}

function hmget(ctx: Context, args: Uint8Array[]): Frame {
  const h = readHash(ctx, args[1]);
  const out: Frame[] = new Array(args.length - 2);
  for (let i = 2; i < args.length; i++) {
    const v = h === undefined ? undefined : h.get(toBinary(args[i]));
    out[i - 2] = v === undefined ? null : bin(v);
  }
  return out;
}

function hdel(ctx: Context, args: Uint8Array[]): Frame {
  const key = toBinary(args[1]);
  const h = ctx.db.write(key, HASH);
  if (h === undefined) return 0;
  let deleted = 0;
  for (let i = 2; i < args.length && h.size > 0; i++) {
    if (h.delete(toBinary(args[i]))) deleted++;
  }
  if (deleted > 0) ctx.db.changed(key, NOTIFY_HASH, "hdel", h);
  return deleted;
}

function hlen(ctx: Context, args: Uint8Array[]): Frame {
  return readHash(ctx, args[1])?.size ?? 0;
}

function hstrlen(ctx: Context, args: Uint8Array[]): Frame {
  return readHash(ctx, args[1])?.valueLength(toBinary(args[2])) ?? 0;
}

function hexists(ctx: Context, args: Uint8Array[]): Frame {
  const h = readHash(ctx, args[1]);
  return h !== undefined && h.has(toBinary(args[2])) ? 1 : 0;
}

const KEYS = 1;
const VALUES = 2;

function hgetall(ctx: Context, args: Uint8Array[], what: number): Frame {
  const h = readHash(ctx, args[1]);
  if (what === (KEYS | VALUES)) {
    const entries: [Frame, Frame][] = [];
    h?.forEach((f, v) => entries.push([bin(f), bin(v)]));
    return new RespMap(entries);
  }
  const out: Frame[] = [];
  if (what === KEYS) h?.forEach((f) => out.push(bin(f)));
  else h?.forEach((_, v) => out.push(bin(v)));
  return out;
}

function hincrby(ctx: Context, args: Uint8Array[]): Frame {
  const incr = int64Arg(args[3]);
  const key = toBinary(args[1]);
  const h = ctx.db.getOrCreate(key, HASH);
  const field = toBinary(args[2]);
  const old = h.get(field);
  let current: number | bigint = 0;
  if (old !== undefined) {
    const v = integerMember(old);
    if (v === null) throw HASH_NOT_INTEGER;
    current = v;
  }
  let sum: number | bigint;
  if (typeof current === "number" && typeof incr === "number") {
    sum = current + incr;
    if (!Number.isSafeInteger(sum)) sum = BigInt(current) + BigInt(incr);
  } else {
    sum = BigInt(current) + BigInt(incr);
  }
  if (typeof sum === "bigint") {
    if (sum > MAX_I64 || sum < MIN_I64) throw OVERFLOW;
    if (Number.isSafeInteger(Number(sum))) sum = Number(sum);
  }
  h.set(field, String(sum));
  ctx.db.changed(key, NOTIFY_HASH, "hincrby", h);
  return sum;
}

const LONG_DOUBLE_ZERO: LongDouble = { neg: false, mant: 0n, exp: 0 };

function hincrbyfloat(ctx: Context, args: Uint8Array[]): Frame {
  const incrArg = args[3];
  const incr = parseLongDouble(incrArg);
  if (incr === undefined) throw NOT_FLOAT;
  if (!isFiniteLongDouble(incr)) throw INCR_NAN_OR_INF;
  const key = toBinary(args[1]);
  const h = ctx.db.getOrCreate(key, HASH);
  const field = toBinary(args[2]);
  const old = h.get(field);
  let text: string | undefined;
  // exact fast path: two small integers
  const ci = old === undefined ? 0 : integerMember(old);
  if (typeof ci === "number") {
    const ii = parseInteger(incrArg);
    if (typeof ii === "number") {
      const sum = ci + ii;
      if (Number.isSafeInteger(sum)) text = String(sum);
    }
  }
  if (text === undefined) {
    const a = old === undefined ? LONG_DOUBLE_ZERO : parseLongDouble(fromBinary(old));
    if (a === undefined) throw HASH_NOT_FLOAT;
    const sum = addLongDouble(a, incr);
    if (!isFiniteLongDouble(sum)) throw NAN_OR_INF;
    text = formatLongDouble(sum);
  }
  h.set(field, text);
  ctx.db.changed(key, NOTIFY_HASH, "hincrbyfloat", h);
  return bin(text);
}

function hrandfield(ctx: Context, args: Uint8Array[]): Frame {
  if (args.length >= 3) {
    const l = randomCountArg(args[2]);
    if (args.length > 4 || (args.length === 4 && !isOption(args[3], "withvalues"))) {
      throw SYNTAX_ERROR;
    }
    const withValues = args.length === 4;
    if (withValues && (l < -HALF_LONG_MAX || l > HALF_LONG_MAX)) throw OUT_OF_RANGE;
    return hrandfieldWithCount(ctx, args, Number(l), withValues);
  }
  const h = readHash(ctx, args[1]);
  if (h === undefined) return null;
  return bin(h.fieldAt(h.randomIndex()));
}

function hrandfieldWithCount(
  ctx: Context,
  args: Uint8Array[],
  l: number,
  withValues: boolean,
): Frame {
  const h = readHash(ctx, args[1]);
  if (h === undefined || l === 0) return [];
  const size = h.size;
  const resp3 = ctx.client.protocol === 3;
  const out: Frame[] = [];
  // a listpack's positions cost O(n) each: take its entries once
  const packed = h.compact ? h.entries() : undefined;
  const emit = (i: number) => {
    const f = packed === undefined ? h.fieldAt(i) : packed[i][0];
    if (!withValues) {
      out.push(bin(f));
      return;
    }
    const v = packed === undefined ? h.valueAt(i) : packed[i][1];
    if (resp3) out.push([bin(f), bin(v)]);
    else out.push(bin(f), bin(v));
  };
  if (l < 0 || l === 1) {
    // picks with repetitions, in random order
    const count = l === 1 ? 1 : -l;
    if (count > MAX_RANDOM_REPLY) throw replyTooLarge();
    for (let n = 0; n < count; n++) emit(h.randomIndex());
    return out;
  }
  if (l >= size) {
    // the whole hash, in its order
    for (let i = 0; i < size; i++) emit(i);
    return out;
  }
  for (const i of distinctPositions(size, l)) emit(i);
  return out;
}

/** `count` distinct random positions below `size` (`count < size`). */
function distinctPositions(size: number, count: number): number[] {
  const out: number[] = [];
  if (count * 3 > size) {
    const pos = new Uint32Array(size);
    for (let i = 0; i < size; i++) pos[i] = i;
    for (let i = 0; i < count; i++) {
      const j = i + Math.floor(Math.random() * (size - i));
      const t = pos[i];
      pos[i] = pos[j];
      pos[j] = t;
      out.push(pos[i]);
    }
    return out;
  }
  const picked = new Set<number>();
  while (picked.size < count) {
    const i = Math.floor(Math.random() * size);
    if (!picked.has(i)) {
      picked.add(i);
      out.push(i);
    }
  }
  return out;
}

function hscan(ctx: Context, args: Uint8Array[]): Frame {
  const cursor = parseScanCursor(args[2]);
  const h = readHash(ctx, args[1]);
  if (h === undefined) return emptyScan();
  const { count, matches } = parseScanOptions(args, 3);
  const out: Frame[] = [];
  const next = h.scan(cursor, count, (f, v) => {
    if (matches(f)) out.push(bin(f), bin(v));
  });
  return scanReply(next, out);
}

/** Handlers of the family by command name; metadata come from `meta.ts`. */
export const hashHandlers: HandlerMap = {
  hset: (ctx, args) => hset(ctx, args, false),
  hmset: (ctx, args) => hset(ctx, args, true),
  hsetnx,
  hget,
  hmget,
  hdel,
  hlen,
  hstrlen,
  hexists,
  hkeys: (ctx, args) => hgetall(ctx, args, KEYS),
  hvals: (ctx, args) => hgetall(ctx, args, VALUES),
  hgetall: (ctx, args) => hgetall(ctx, args, KEYS | VALUES),
  hincrby,
  hincrbyfloat,
  hrandfield,
  hscan,
};
