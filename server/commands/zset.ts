/**
 * The SORTED SET family and its blocking commands, with Redis 7.0's
 * semantics, replies and error texts (t_zset.c): ZADD (NX XX GT LT CH
 * INCR), ZINCRBY, ZREM, ZCARD, ZCOUNT, ZLEXCOUNT, ZSCORE, ZMSCORE, ZRANK,
 * ZREVRANK, ZRANGE (BYSCORE BYLEX REV LIMIT WITHSCORES), ZRANGESTORE,
 * ZREVRANGE, ZRANGEBYSCORE, ZREVRANGEBYSCORE, ZRANGEBYLEX, ZREVRANGEBYLEX,
 * ZREMRANGEBYRANK, ZREMRANGEBYSCORE, ZREMRANGEBYLEX, ZPOPMIN, ZPOPMAX,
 * ZMPOP, ZRANDMEMBER, ZUNION, ZINTER, ZDIFF, ZUNIONSTORE, ZINTERSTORE,
 * ZDIFFSTORE (WEIGHTS, AGGREGATE, WITHSCORES; plain sets count as members
 * with score 1), ZINTERCARD, ZSCAN, BZPOPMIN, BZPOPMAX, BZMPOP.
 *
 * Scores are printed as Redis 7.0 prints doubles (`%.17g`, `inf`,
 * `-inf`): a bulk string in RESP2, a double in RESP3. The data structure
 * is `server/types/zset.ts`.
 *
 * @module
 */

import { BinaryString, Double, type Frame, NULL_ARRAY, ReplyError } from "../../resp/frame.ts";
import { fromBinary, toBinary } from "../../resp/bytes.ts";
import type { Context, HandlerMap } from "../command.ts";
import { WRONGTYPE } from "../db/keyspace.ts";
import { NOTIFY_GENERIC, NOTIFY_ZSET } from "../db/notify.ts";
import { formatError, int64Arg, intArg, isOption, NOT_FLOAT, SYNTAX_ERROR } from "../args.ts";
import {
  formatScore,
  LEX_MINUS,
  LEX_PLUS,
  LEX_VALUE,
  type LexBound,
  type LexRange,
  parseRangeScore,
  parseScore,
  RedisZset,
  type ScoreRange,
  ZSET,
} from "../types/zset.ts";
import { SET } from "../types/set.ts";
import { parseLongDouble } from "../longdouble.ts";
import { globMatch } from "../glob.ts";

// ---------------------------------------------------------------------------
// Errors (Redis's wording)

const NAN_RESULT = new ReplyError("ERR resulting score is not a number (NaN)");
const MINMAX_FLOAT = new ReplyError("ERR min or max is not a float");
const MINMAX_LEX = new ReplyError("ERR min or max not valid string range item");
const XX_NX = new ReplyError("ERR XX and NX options at the same time are not compatible");
const GT_LT_NX = new ReplyError(
  "ERR GT, LT, and/or NX options at the same time are not compatible",
);
const INCR_PAIR = new ReplyError("ERR INCR option supports a single increment-element pair");
const LIMIT_RANK = new ReplyError(
  "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX",
);
const WITHSCORES_LEX = new ReplyError(
  "ERR syntax error, WITHSCORES not supported in combination with BYLEX",
);
const MUST_BE_POSITIVE = new ReplyError("ERR value is out of range, must be positive");
const OUT_OF_RANGE = new ReplyError("ERR value is out of range");
const WEIGHT_FLOAT = new ReplyError("ERR weight value is not a float");
const LIMIT_NEGATIVE = new ReplyError("ERR LIMIT can't be negative");
const NUMKEYS = new ReplyError("ERR numkeys should be greater than 0");
const COUNT_POSITIVE = new ReplyError("ERR count should be greater than 0");
const TIMEOUT_FLOAT = new ReplyError("ERR timeout is not a float or out of range");
const TIMEOUT_NEGATIVE = new ReplyError("ERR timeout is negative");
const INVALID_CURSOR = new ReplyError("ERR invalid cursor");

/** The longest delay a timer takes (about 24.8 days); longer waits are capped to it. */
const MAX_TIMER_MS = 2147483647;
/** Redis's LONG_MAX / 2 (ZRANDMEMBER ... WITHSCORES accepts LONG_MIN / 2 to LONG_MAX / 2). */
const HALF_LONG = 4611686018427387903n;
/**
 * Most picks ZRANDMEMBER answers with a negative count. Redis would build a
 * reply of any size (gigabytes for `-2147483648`); above this the command
 * answers `ERR value is out of range` so that the reply stays bounded.
 */
export const MAX_RANDOM_PICKS: number = 1 << 22;

// ---------------------------------------------------------------------------
// Replies

/** A score as Redis's `addReplyDouble` sends it: `%.17g` text in RESP2, a double in RESP3. */
function scoreReply(ctx: Context, score: number): Frame {
  return ctx.client.protocol === 3 ? new Double(score) : new BinaryString(formatScore(score));
}

/**
 * Collects `(member, score)` pairs into Redis's reply shape: members only,
 * or with scores as a flat array (RESP2) or `[member, score]` pairs
 * (RESP3).
 */
class RangeReply {
  readonly items: Frame[] = [];
  readonly members: string[] = [];
  readonly scores: number[] = [];

  constructor(
    readonly ctx: Context,
    readonly withScores: boolean,
    readonly store: boolean,
  ) {}

  add(member: string, score: number): void {
    if (this.store) {
      this.members.push(member);
      this.scores.push(score);
      return;
    }
    const m = new BinaryString(member);
    if (!this.withScores) this.items.push(m);
    else if (this.ctx.client.protocol === 3) this.items.push([m, new Double(score)]);
    else this.items.push(m, new BinaryString(formatScore(score)));
  }

  get count(): number {
    return this.store ? this.members.length : this.items.length;
  }
}

/** Stores a computed result in `dst` (Redis's setKey, or deletes it when empty); replies the size. */
function storeResult(ctx: Context, dst: string, z: RedisZset | undefined, event: string): Frame {
  const db = ctx.db;
  if (z !== undefined && z.size > 0) {
    db.set(dst, z);
    db.changed(dst, NOTIFY_ZSET, event);
    return z.size;
  }
  if (db.delete(dst)) db.changed(dst, NOTIFY_GENERIC, "del");
  return 0;
}

// ---------------------------------------------------------------------------
// Argument parsing

/** A score argument (ZADD, ZINCRBY): `ERR value is not a valid float` otherwise. */
function scoreArg(arg: Uint8Array, error: ReplyError = NOT_FLOAT): number {
  const v = parseScore(arg);
  if (v === undefined) throw error;
  return v;
}

/** Redis's `zslParseRange`: `[(]number` bounds. */
function scoreRangeArgs(min: Uint8Array, max: Uint8Array): ScoreRange {
  const minEx = min.length > 0 && min[0] === 40;
  const maxEx = max.length > 0 && max[0] === 40;
  const lo = parseRangeScore(min, minEx ? 1 : 0);
  const hi = parseRangeScore(max, maxEx ? 1 : 0);
  if (lo === undefined || hi === undefined) throw MINMAX_FLOAT;
  return { min: lo, minExclusive: minEx, max: hi, maxExclusive: maxEx };
}

/** Redis's `zslParseLexRangeItem`: `-`, `+`, `[value` or `(value`. */
function lexBoundArg(arg: Uint8Array): LexBound {
  const c = arg.length > 0 ? arg[0] : 0;
  switch (c) {
    case 43: // +
      if (arg.length > 1 && arg[1] !== 0) throw MINMAX_LEX;
      return { kind: LEX_PLUS, value: "", exclusive: true };
    case 45: // -
      if (arg.length > 1 && arg[1] !== 0) throw MINMAX_LEX;
      return { kind: LEX_MINUS, value: "", exclusive: true };
    case 40: // (
      return { kind: LEX_VALUE, value: toBinary(arg.subarray(1)), exclusive: true };
    case 91: // [
      return { kind: LEX_VALUE, value: toBinary(arg.subarray(1)), exclusive: false };
    default:
      throw MINMAX_LEX;
  }
}

function lexRangeArgs(min: Uint8Array, max: Uint8Array): LexRange {
  return { min: lexBoundArg(min), max: lexBoundArg(max) };
}

/** Whether a member is at or above a lex range's min (Redis's `zslLexValueGteMin`). */
function lexGteMin(member: string, range: LexRange): boolean {
  const b = range.min;
  if (b.kind === LEX_MINUS) return true;
  if (b.kind === LEX_PLUS) return false;
  return b.exclusive ? member > b.value : member >= b.value;
}

/** Whether a member is at or below a lex range's max (Redis's `zslLexValueLteMax`). */
function lexLteMax(member: string, range: LexRange): boolean {
  const b = range.max;
  if (b.kind === LEX_PLUS) return true;
  if (b.kind === LEX_MINUS) return false;
  return b.exclusive ? member < b.value : member <= b.value;
}

/**
 * Redis's `getPositiveLongFromObjectOrReply`: any failure (not an integer,
 * or negative) replies `error`.
 */
function positiveArg(arg: Uint8Array, error: ReplyError = MUST_BE_POSITIVE): number {
  const v = intArg(arg, error);
  if (v < 0) throw error;
  return v;
}

/** Redis's `getRangeLongFromObjectOrReply(1, LONG_MAX, msg)`: any failure replies `error`. */
function atLeastOneArg(arg: Uint8Array, error: ReplyError): number {
  const v = int64Arg(arg, error);
  if (v < 1) throw error;
  return typeof v === "bigint" ? Number(v) : v;
}

/**
 * A blocking command's timeout in ms (Redis's `getTimeoutFromObjectOrReply`
 * in seconds): a long double, times 1000, truncated; anything that does not
 * fit a 64-bit integer (`inf`, `1e300`) comes out negative, as in Redis.
 * 0 waits forever.
 */
function timeoutArg(arg: Uint8Array): number {
  const ld = parseLongDouble(arg);
  if (ld === undefined) throw TIMEOUT_FLOAT;
  let seconds: number;
  if (ld.exp === Infinity) seconds = ld.neg ? -Infinity : Infinity;
  else seconds = (ld.neg ? -1 : 1) * Number(ld.mant) * 2 ** ld.exp;
  const ms = Math.trunc(seconds * 1000);
  if (!(ms < 9223372036854775808) || ms < 0) throw TIMEOUT_NEGATIVE;
  return ms === 0 ? 0 : Math.min(ms, MAX_TIMER_MS);
}

/** Redis's `parseScanCursorOrReply` (strtoul on the C string, base 10). */
function scanCursorArg(arg: Uint8Array): bigint {
  let end = arg.indexOf(0);
  if (end === -1) end = arg.length;
  if (end === 0) return 0n;
  let i = 0;
  const c0 = arg[0];
  if (c0 === 32 || (c0 >= 9 && c0 <= 13)) throw INVALID_CURSOR;
  let neg = false;
  if (c0 === 43 || c0 === 45) {
    neg = c0 === 45;
    i++;
  }
  if (i >= end || arg[i] < 48 || arg[i] > 57) throw INVALID_CURSOR;
  let v = 0n;
  for (; i < end; i++) {
    const d = arg[i] - 48;
    if (d < 0 || d > 9) throw INVALID_CURSOR;
    v = v * 10n + BigInt(d);
    if (v > 18446744073709551615n) throw INVALID_CURSOR;
  }
  return neg ? (1n << 64n) - v & ((1n << 64n) - 1n) : v;
}

// ---------------------------------------------------------------------------
// ZADD, ZINCRBY, ZREM

const NX = 1;
const XX = 2;
const GT = 4;
const LT = 8;
const INCR = 16;

function zadd(ctx: Context, args: Uint8Array[], incrCommand: boolean): Frame {
  let flags = incrCommand ? INCR : 0;
  let ch = false;
  let idx = 2;
  for (; idx < args.length; idx++) {
    const a = args[idx];
    if (isOption(a, "nx")) flags |= NX;
    else if (isOption(a, "xx")) flags |= XX;
    else if (isOption(a, "ch")) ch = true;
    else if (isOption(a, "incr")) flags |= INCR;
    else if (isOption(a, "gt")) flags |= GT;
    else if (isOption(a, "lt")) flags |= LT;
    else break;
  }
  const incr = (flags & INCR) !== 0;
  const nx = (flags & NX) !== 0;
  const xx = (flags & XX) !== 0;
  const gt = (flags & GT) !== 0;
  const lt = (flags & LT) !== 0;
  let elements = args.length - idx;
  if (elements % 2 !== 0 || elements === 0) return SYNTAX_ERROR;
  elements /= 2;
  if (nx && xx) return XX_NX;
  if ((gt && nx) || (lt && nx) || (gt && lt)) return GT_LT_NX;
  if (incr && elements > 1) return INCR_PAIR;
  const scores = new Array<number>(elements);
  for (let j = 0; j < elements; j++) scores[j] = scoreArg(args[idx + j * 2]);

  const db = ctx.db;
  const key = toBinary(args[1]);
  let z = db.write(key, ZSET);
  if (z === undefined) {
    if (xx) return incr ? null : 0;
    z = db.getOrCreate(key, ZSET);
  }
  const limits = db.limits;
  let added = 0;
  let updated = 0;
  let processed = 0;
  let score = 0;
  let error: ReplyError | undefined;
  for (let j = 0; j < elements; j++) {
    let s = scores[j];
    const member = toBinary(args[idx + j * 2 + 1]);
    const cur = z.score(member);
    if (cur !== undefined) {
      if (nx) continue;
      if (incr) {
        s += cur;
        if (s !== s) {
          error = NAN_RESULT;
          break;
        }
      }
      if ((lt && s >= cur) || (gt && s <= cur)) continue;
      if (s !== cur) {
        z.update(member, cur, s);
        updated++;
      }
      processed++;
      score = s;
    } else if (!xx) {
      z.add(member, s, limits);
      added++;
      processed++;
      score = s;
    }
  }
  if (added > 0 || updated > 0) db.changed(key, NOTIFY_ZSET, incr ? "zincr" : "zadd", z);
  if (error !== undefined) return error;
  if (incr) return processed > 0 ? scoreReply(ctx, score) : null;
  return ch ? added + updated : added;
}

function zrem(ctx: Context, args: Uint8Array[]): Frame {
  const key = toBinary(args[1]);
  const z = ctx.db.write(key, ZSET);
  if (z === undefined) return 0;
  let deleted = 0;
  for (let j = 2; j < args.length; j++) {
    if (z.delete(toBinary(args[j]))) deleted++;
    if (z.size === 0) break;
  }
  if (deleted > 0) ctx.db.changed(key, NOTIFY_ZSET, "zrem", z);
  return deleted;
}

// ---------------------------------------------------------------------------
// ZCARD, ZSCORE, ZMSCORE, ZRANK, ZCOUNT, ZLEXCOUNT

function zcard(ctx: Context, args: Uint8Array[]): Frame {
  const z = ctx.db.read(toBinary(args[1]), ZSET);
  return z === undefined ? 0 : z.size;
}

function zscore(ctx: Context, args: Uint8Array[]): Frame {
  const z = ctx.db.read(toBinary(args[1]), ZSET);
  if (z === undefined) return null;
  const s = z.score(toBinary(args[2]));
  return s === undefined ? null : scoreReply(ctx, s);
}

function zmscore(ctx: Context, args: Uint8Array[]): Frame {
  const z = ctx.db.read(toBinary(args[1]), ZSET);
  const out: Frame[] = [];
  for (let j = 2; j < args.length; j++) {
    const s = z === undefined ? undefined : z.score(toBinary(args[j]));
    out.push(s === undefined ? null : scoreReply(ctx, s));
  }
  return out;
}

function zrank(ctx: Context, args: Uint8Array[], reverse: boolean): Frame {
  const z = ctx.db.read(toBinary(args[1]), ZSET);
  if (z === undefined) return null;
  const r = z.rank(toBinary(args[2]));
  if (r < 0) return null;
  return reverse ? z.size - 1 - r : r;
}

function zcount(ctx: Context, args: Uint8Array[]): Frame {
  const range = scoreRangeArgs(args[2], args[3]);
  const z = ctx.db.read(toBinary(args[1]), ZSET);
  if (z === undefined) return 0;
  const [lo, hi] = z.scoreRange(range);
  return hi - lo;
}

function zlexcount(ctx: Context, args: Uint8Array[]): Frame {
  const range = lexRangeArgs(args[2], args[3]);
  const z = ctx.db.read(toBinary(args[1]), ZSET);
  if (z === undefined) return 0;
  const [lo, hi] = z.lexRange(range, false);
  return hi - lo;
}

// ---------------------------------------------------------------------------
// ZRANGE and friends

const AUTO = 0;
const RANK = 1;
const SCORE = 2;
const LEX = 3;

/**
 * Redis's `zrangeGenericCommand`: ZRANGE, ZRANGESTORE, ZREVRANGE,
 * ZRANGEBYSCORE, ZREVRANGEBYSCORE, ZRANGEBYLEX, ZREVRANGEBYLEX. `start` is
 * the index of the source key; `dst` is set for ZRANGESTORE.
 */
function zrangeGeneric(
  ctx: Context,
  args: Uint8Array[],
  start: number,
  dst: string | undefined,
  rangeType: number,
  reverseFixed: boolean | undefined,
): Frame {
  const store = dst !== undefined;
  let minIdx = start + 1;
  let maxIdx = start + 2;
  let withScores = false;
  let offset = 0;
  let limit = -1;
  let reverse = reverseFixed;
  let type = rangeType;
  for (let j = start + 3; j < args.length; j++) {
    const left = args.length - j - 1;
    const a = args[j];
    if (!store && isOption(a, "withscores")) {
      withScores = true;
    } else if (isOption(a, "limit") && left >= 2) {
      offset = intArg(args[j + 1]);
      limit = intArg(args[j + 2]);
      j += 2;
    } else if (reverse === undefined && isOption(a, "rev")) {
      reverse = true;
    } else if (type === AUTO && isOption(a, "bylex")) {
      type = LEX;
    } else if (type === AUTO && isOption(a, "byscore")) {
      type = SCORE;
    } else {
      return SYNTAX_ERROR;
    }
  }
  const rev = reverse === true;
  if (type === AUTO) type = RANK;
  if (limit !== -1 && type === RANK) return LIMIT_RANK;
  if (withScores && type === LEX) return WITHSCORES_LEX;
  if (rev && type !== RANK) {
    const t = maxIdx;
    maxIdx = minIdx;
    minIdx = t;
  }
  let rankStart = 0;
  let rankEnd = 0;
  let scoreRange: ScoreRange | undefined;
  let lexRange: LexRange | undefined;
  if (type === RANK) {
    rankStart = intArg(args[minIdx]);
    rankEnd = intArg(args[maxIdx]);
  } else if (type === SCORE) {
    scoreRange = scoreRangeArgs(args[minIdx], args[maxIdx]);
  } else {
    lexRange = lexRangeArgs(args[minIdx], args[maxIdx]);
  }
  const z = ctx.db.read(toBinary(args[start]), ZSET);
  if (z === undefined) return store ? storeResult(ctx, dst, undefined, "zrangestore") : [];
  const out = new RangeReply(ctx, withScores || store, store);
  if (type === RANK) {
    rangeByRank(z, rankStart, rankEnd, rev, out);
  } else if (type === SCORE) {
    rangeByScore(z, scoreRange!, offset, limit, rev, out);
  } else {
    rangeByLex(z, lexRange!, offset, limit, rev, out);
  }
  if (store) {
    const result = out.count === 0
      ? undefined
      : RedisZset.fromEntries(out.members, out.scores, ctx.db.limits);
    return storeResult(ctx, dst, result, "zrangestore");
  }
  return out.items;
}

function rangeByRank(z: RedisZset, start: number, end: number, rev: boolean, out: RangeReply) {
  const n = z.size;
  if (start < 0) start = n + start;
  if (end < 0) end = n + end;
  if (start < 0) start = 0;
  if (start > end || start >= n) return;
  if (end >= n) end = n - 1;
  if (rev) z.forEachInRanks(n - 1 - end, n - start, true, (m, s) => out.add(m, s));
  else z.forEachInRanks(start, end + 1, false, (m, s) => out.add(m, s));
}

/**
 * Walks from rank `first` (in the direction) over `offset` members, then
 * emits members while `inRange` holds, at most `limit` (negative: no
 * limit), as Redis's range-by-score/lex loops do.
 */
function walk(
  z: RedisZset,
  first: number,
  offset: number,
  limit: number,
  rev: boolean,
  inRange: (member: string, score: number) => boolean,
  out: RangeReply,
): void {
  if (offset < 0 || limit === 0) return;
  let skip = offset;
  let left = limit;
  const visit = (m: string, s: number): boolean => {
    if (skip > 0) {
      skip--;
      return true;
    }
    if (!inRange(m, s)) return false;
    out.add(m, s);
    return --left !== 0;
  };
  if (rev) z.forEachInRanks(0, first + 1, true, visit);
  else z.forEachInRanks(first, z.size, false, visit);
}

function rangeByScore(
  z: RedisZset,
  range: ScoreRange,
  offset: number,
  limit: number,
  rev: boolean,
  out: RangeReply,
): void {
  if (offset > 0 && offset >= z.size) return;
  const [lo, hi] = z.scoreRange(range);
  if (lo >= hi) return;
  const inRange = rev
    ? (_m: string, s: number) => range.minExclusive ? s > range.min : s >= range.min
    : (_m: string, s: number) => range.maxExclusive ? s < range.max : s <= range.max;
  walk(z, rev ? hi - 1 : lo, offset, limit, rev, inRange, out);
}

function rangeByLex(
  z: RedisZset,
  range: LexRange,
  offset: number,
  limit: number,
  rev: boolean,
  out: RangeReply,
): void {
  const [lo, hi] = z.lexRange(range, rev);
  if (lo >= hi) return;
  const inRange = rev ? (m: string) => lexGteMin(m, range) : (m: string) => lexLteMax(m, range);
  walk(z, rev ? hi - 1 : lo, offset, limit, rev, inRange, out);
}

// ---------------------------------------------------------------------------
// ZREMRANGEBY*

function zremrange(ctx: Context, args: Uint8Array[], type: number): Frame {
  let start = 0;
  let end = 0;
  let scoreRange: ScoreRange | undefined;
  let lexRange: LexRange | undefined;
  let event: string;
  if (type === RANK) {
    event = "zremrangebyrank";
    start = intArg(args[2]);
    end = intArg(args[3]);
  } else if (type === SCORE) {
    event = "zremrangebyscore";
    scoreRange = scoreRangeArgs(args[2], args[3]);
  } else {
    event = "zremrangebylex";
    lexRange = lexRangeArgs(args[2], args[3]);
  }
  const key = toBinary(args[1]);
  const z = ctx.db.write(key, ZSET);
  if (z === undefined) return 0;
  let lo: number;
  let hi: number;
  if (type === RANK) {
    const n = z.size;
    if (start < 0) start = n + start;
    if (end < 0) end = n + end;
    if (start < 0) start = 0;
    if (start > end || start >= n) return 0;
    if (end >= n) end = n - 1;
    lo = start;
    hi = end + 1;
  } else if (type === SCORE) {
    [lo, hi] = z.scoreRange(scoreRange!);
  } else {
    [lo, hi] = z.lexRange(lexRange!, false);
  }
  const deleted = z.deleteRanks(lo, hi);
  if (deleted > 0) ctx.db.changed(key, NOTIFY_ZSET, event, z);
  return deleted;
}

// ---------------------------------------------------------------------------
// ZPOPMIN, ZPOPMAX, ZMPOP, BZPOPMIN, BZPOPMAX, BZMPOP

/**
 * Redis's `genericZpopCommand`: pops up to `count` (-1: one, the default)
 * members from the first of `keys` that exists, lowest (`max` false) or
 * highest first. `emitKey` prefixes the key; `nested` makes `[member,
 * score]` pairs; `nilWhenEmpty` answers a null array when no key exists.
 */
function zpop(
  ctx: Context,
  keys: readonly string[],
  max: boolean,
  emitKey: boolean,
  count: number,
  nested: boolean,
  nilWhenEmpty: boolean,
): Frame {
  let z: RedisZset | undefined;
  let key = "";
  for (const k of keys) {
    z = ctx.db.write(k, ZSET);
    if (z !== undefined) {
      key = k;
      break;
    }
  }
  if (z === undefined) return nilWhenEmpty ? NULL_ARRAY : [];
  if (count === 0) return [];
  return popFrom(ctx, z, key, max, emitKey, count, nested);
}

function popFrom(
  ctx: Context,
  z: RedisZset,
  key: string,
  max: boolean,
  emitKey: boolean,
  count: number,
  nested: boolean,
): Frame {
  if (count === -1) count = 1;
  const n = z.size;
  const take = count > n ? n : count;
  const items: Frame[] = [];
  const resp3 = ctx.client.protocol === 3;
  const visit = (m: string, s: number) => {
    const member = new BinaryString(m);
    const score = resp3 ? new Double(s) : new BinaryString(formatScore(s));
    if (nested) items.push([member, score]);
    else items.push(member, score);
  };
  if (max) {
    z.forEachInRanks(n - take, n, true, visit);
    z.deleteRanks(n - take, n);
  } else {
    z.forEachInRanks(0, take, false, visit);
    z.deleteRanks(0, take);
  }
  ctx.db.changed(key, NOTIFY_ZSET, max ? "zpopmax" : "zpopmin", z);
  if (!emitKey) return items;
  const k = new BinaryString(key);
  return nested ? [k, items] : [k, ...items];
}

function zpopCommand(ctx: Context, args: Uint8Array[], max: boolean): Frame {
  if (args.length > 3) return SYNTAX_ERROR;
  let count = -1;
  if (args.length === 3) count = positiveArg(args[2]);
  const nested = ctx.client.protocol === 3 && count !== -1;
  return zpop(ctx, [toBinary(args[1])], max, false, count, nested, false);
}

/**
 * Tries to pop from the first of `keys` holding a non-empty sorted set
 * (keys of another type are skipped: a waiter is served only by a sorted
 * set); undefined when none does.
 */
function tryBlockingPop(
  ctx: Context,
  key: string,
  max: boolean,
  count: number,
  nested: boolean,
): Frame | undefined {
  // served from the key that became ready (Redis's serveClientsBlockedOnSortedSetKey);
  // a key that now holds another type leaves the client blocked, as in Redis 7.0
  const v = ctx.db.getValue(key);
  if (v === undefined || !ZSET.is(v) || v.size === 0) return undefined;
  return popFrom(ctx, v, key, max, true, count, nested);
}

/** Redis's `blockingGenericZpopCommand` after the timeout is parsed. */
function blockingPop(
  ctx: Context,
  keys: string[],
  timeoutMs: number,
  max: boolean,
  count: number,
  nested: boolean,
): Frame | Promise<Frame> {
  for (const key of keys) {
    const z = ctx.db.write(key, ZSET);
    if (z === undefined || z.size === 0) continue;
    return popFrom(ctx, z, key, max, true, count, nested);
  }
  return ctx.server.blocking.wait({
    clientId: ctx.client.id,
    keys,
    timeoutMs,
    timeoutReply: NULL_ARRAY,
    attempt: (key) => tryBlockingPop(ctx, key, max, count, nested),
  });
}

function bzpop(ctx: Context, args: Uint8Array[], max: boolean): Frame | Promise<Frame> {
  const timeoutMs = timeoutArg(args[args.length - 1]);
  const keys: string[] = [];
  for (let j = 1; j < args.length - 1; j++) keys.push(toBinary(args[j]));
  return blockingPop(ctx, keys, timeoutMs, max, -1, false);
}

/** ZMPOP (`numkeysIdx` 1) and BZMPOP (2): Redis's `zmpopGenericCommand`. */
function zmpop(ctx: Context, args: Uint8Array[], numkeysIdx: number, block: boolean) {
  const numkeys = atLeastOneArg(args[numkeysIdx], NUMKEYS);
  const whereIdx = numkeysIdx + numkeys + 1;
  if (whereIdx >= args.length) return SYNTAX_ERROR;
  let max: boolean;
  if (isOption(args[whereIdx], "min")) max = false;
  else if (isOption(args[whereIdx], "max")) max = true;
  else return SYNTAX_ERROR;
  let count = -1;
  for (let j = whereIdx + 1; j < args.length; j++) {
    const more = args.length - 1 - j;
    if (count === -1 && isOption(args[j], "count") && more > 0) {
      j++;
      count = atLeastOneArg(args[j], COUNT_POSITIVE);
    } else {
      return SYNTAX_ERROR;
    }
  }
  if (count === -1) count = 1;
  const keys: string[] = [];
  for (let j = numkeysIdx + 1; j < whereIdx; j++) keys.push(toBinary(args[j]));
  if (block) return blockingPop(ctx, keys, timeoutArg(args[1]), max, count, true);
  return zpop(ctx, keys, max, true, count, true, true);
}

// ---------------------------------------------------------------------------
// ZRANDMEMBER

function zrandmember(ctx: Context, args: Uint8Array[]): Frame {
  if (args.length < 3) {
    const z = ctx.db.read(toBinary(args[1]), ZSET);
    if (z === undefined) return null;
    return new BinaryString(z.memberAt(Math.floor(Math.random() * z.size)));
  }
  const l = int64Arg(args[2]);
  let withScores = false;
  if (args.length > 4 || (args.length === 4 && !isOption(args[3], "withscores"))) {
    return SYNTAX_ERROR;
  }
  if (args.length === 4) {
    withScores = true;
    if (BigInt(l) < -HALF_LONG - 1n || BigInt(l) > HALF_LONG) return OUT_OF_RANGE;
  }
  const z = ctx.db.read(toBinary(args[1]), ZSET);
  if (z === undefined) return [];
  const size = z.size;
  const unique = l >= 0;
  const count = typeof l === "bigint" ? (l < 0n ? -l : l) : Math.abs(l);
  if (count === 0 || count === 0n) return [];
  const resp3 = ctx.client.protocol === 3;
  const out: Frame[] = [];
  const emit = (m: string, s: number) => {
    const member = new BinaryString(m);
    if (!withScores) out.push(member);
    else if (resp3) out.push([member, new Double(s)]);
    else out.push(member, new BinaryString(formatScore(s)));
  };
  if (!unique || count === 1) {
    if (count > MAX_RANDOM_PICKS) return OUT_OF_RANGE;
    const n = Number(count);
    for (let i = 0; i < n; i++) {
      const r = Math.floor(Math.random() * size);
      emit(z.memberAt(r), z.scoreAt(r));
    }
    return out;
  }
  if (count >= size) {
    // Redis walks the whole set from its tail
    z.forEachInRanks(0, size, true, emit);
    return out;
  }
  // distinct picks: a partial Fisher-Yates shuffle of the ranks
  const n = Number(count);
  const ranks = new Array<number>(size);
  for (let i = 0; i < size; i++) ranks[i] = i;
  for (let i = 0; i < n; i++) {
    const j = i + Math.floor(Math.random() * (size - i));
    const t = ranks[i];
    ranks[i] = ranks[j];
    ranks[j] = t;
    emit(z.memberAt(ranks[i]), z.scoreAt(ranks[i]));
  }
  return out;
}

// ---------------------------------------------------------------------------
// ZUNION, ZINTER, ZDIFF (+STORE), ZINTERCARD

const UNION = 0;
const INTER = 1;
const DIFF = 2;

const SUM = 0;
const MIN = 1;
const MAX = 2;

/** One input of the set algebra: a sorted set, a plain set (every score 1) or a missing key. */
interface Source {
  /** The value (identity: the same key given twice). */
  readonly value: object | undefined;
  readonly size: number;
  weight: number;
  score(member: string): number | undefined;
  forEach(fn: (member: string, score: number) => void): void;
}

function sourceOf(ctx: Context, key: string): Source {
  const v = ctx.db.getValue(key);
  if (v === undefined) {
    return { value: undefined, size: 0, weight: 1, score: () => undefined, forEach: () => {} };
  }
  if (ZSET.is(v)) {
    return {
      value: v,
      size: v.size,
      weight: 1,
      score: (m) => v.score(m),
      forEach: (fn) => v.forEach(fn),
    };
  }
  if (SET.is(v)) {
    return {
      value: v,
      size: v.size,
      weight: 1,
      score: (m) => v.has(m) ? 1 : undefined,
      forEach: (fn) => v.forEach((m) => fn(m, 1)),
    };
  }
  throw WRONGTYPE;
}

/** Redis's `zunionInterAggregate`. */
function aggregate(target: number, value: number, how: number): number {
  if (how === SUM) {
    const t = target + value;
    return t !== t ? 0 : t;
  }
  if (how === MIN) return value < target ? value : target;
  return value > target ? value : target;
}

/** Sorts parallel arrays by `(score, member)` and returns the order. */
function sortedOrder(members: string[], scores: number[]): number[] {
  const order = new Array<number>(members.length);
  for (let i = 0; i < order.length; i++) order[i] = i;
  order.sort((a, b) => {
    const sa = scores[a];
    const sb = scores[b];
    if (sa !== sb) return sa < sb ? -1 : 1;
    const ma = members[a];
    const mb = members[b];
    return ma < mb ? -1 : ma > mb ? 1 : 0;
  });
  return order;
}

/**
 * Redis's `zunionInterDiffGenericCommand`. `dst` is the destination of the
 * STORE variants; `cardOnly` makes ZINTERCARD.
 */
function zsetOp(
  ctx: Context,
  args: Uint8Array[],
  dst: string | undefined,
  numkeysIdx: number,
  op: number,
  cardOnly: boolean,
  name: string,
): Frame {
  const setnum = intArg(args[numkeysIdx]);
  if (setnum < 1) {
    return formatError(`ERR at least 1 input key is needed for '${name}' command`);
  }
  if (setnum > args.length - (numkeysIdx + 1)) return SYNTAX_ERROR;
  const src: Source[] = [];
  let j = numkeysIdx + 1;
  for (let i = 0; i < setnum; i++, j++) src.push(sourceOf(ctx, toBinary(args[j])));
  let how = SUM;
  let withScores = false;
  let limit = 0;
  let remaining = args.length - j;
  while (remaining > 0) {
    const a = args[j];
    if (op !== DIFF && !cardOnly && remaining >= setnum + 1 && isOption(a, "weights")) {
      j++;
      remaining--;
      for (let i = 0; i < setnum; i++, j++, remaining--) {
        src[i].weight = scoreArg(args[j], WEIGHT_FLOAT);
      }
    } else if (op !== DIFF && !cardOnly && remaining >= 2 && isOption(a, "aggregate")) {
      j++;
      remaining--;
      if (isOption(args[j], "sum")) how = SUM;
      else if (isOption(args[j], "min")) how = MIN;
      else if (isOption(args[j], "max")) how = MAX;
      else return SYNTAX_ERROR;
      j++;
      remaining--;
    } else if (remaining >= 1 && dst === undefined && !cardOnly && isOption(a, "withscores")) {
      j++;
      remaining--;
      withScores = true;
    } else if (cardOnly && remaining >= 2 && isOption(a, "limit")) {
      j++;
      remaining--;
      limit = positiveArg(args[j], LIMIT_NEGATIVE);
      j++;
      remaining--;
    } else {
      return SYNTAX_ERROR;
    }
  }
  // Redis orders the inputs by size (a stable sort) for union and intersection
  if (op !== DIFF) src.sort((a, b) => a.size - b.size);

  const members: string[] = [];
  const scores: number[] = [];
  if (op === INTER) {
    const first = src[0];
    let cardinality = 0;
    if (first.size > 0) {
      let stop = false;
      first.forEach((m, s0) => {
        if (stop) return;
        let score = first.weight * s0;
        if (score !== score) score = 0;
        let k = 1;
        for (; k < src.length; k++) {
          const other = src[k];
          let value: number | undefined;
          if (other.value === first.value) value = s0 * other.weight;
          else {
            value = other.score(m);
            if (value === undefined) break;
            value *= other.weight;
          }
          score = aggregate(score, value, how);
        }
        if (k < src.length) return;
        if (cardOnly) {
          cardinality++;
          if (limit > 0 && cardinality >= limit) stop = true;
        } else {
          members.push(m);
          scores.push(score);
        }
      });
    }
    if (cardOnly) return cardinality;
  } else if (op === UNION) {
    const acc = new Map<string, number>();
    for (const s of src) {
      if (s.size === 0) continue;
      const w = s.weight;
      s.forEach((m, v) => {
        let score = w * v;
        if (score !== score) score = 0;
        const cur = acc.get(m);
        acc.set(m, cur === undefined ? score : aggregate(cur, score, how));
      });
    }
    acc.forEach((s, m) => {
      members.push(m);
      scores.push(s);
    });
  } else {
    const first = src[0];
    first.forEach((m, s) => {
      for (let k = 1; k < src.length; k++) {
        if (src[k].value === first.value && first.value !== undefined) return;
        if (src[k].score(m) !== undefined) return;
      }
      members.push(m);
      scores.push(s);
    });
  }

  if (dst !== undefined) {
    const event = op === UNION ? "zunionstore" : op === INTER ? "zinterstore" : "zdiffstore";
    const z = members.length === 0
      ? undefined
      : RedisZset.fromEntries(members, scores, ctx.db.limits);
    return storeResult(ctx, dst, z, event);
  }
  const order = sortedOrder(members, scores);
  const out: Frame[] = [];
  const resp3 = ctx.client.protocol === 3;
  for (const i of order) {
    const m = new BinaryString(members[i]);
    if (!withScores) out.push(m);
    else if (resp3) out.push([m, new Double(scores[i])]);
    else out.push(m, new BinaryString(formatScore(scores[i])));
  }
  return out;
}

// ---------------------------------------------------------------------------
// ZSCAN

function zscan(ctx: Context, args: Uint8Array[]): Frame {
  const cursor = scanCursorArg(args[2]);
  const z = ctx.db.read(toBinary(args[1]), ZSET);
  if (z === undefined) return [new BinaryString("0"), []];
  let count = 10;
  let pattern: Uint8Array | undefined;
  for (let i = 3; i < args.length;) {
    const left = args.length - i;
    if (isOption(args[i], "count") && left >= 2) {
      count = intArg(args[i + 1]);
      if (count < 1) return SYNTAX_ERROR;
      i += 2;
    } else if (isOption(args[i], "match") && left >= 2) {
      const p = args[i + 1];
      pattern = p.length === 1 && p[0] === 42 ? undefined : p.slice();
      i += 2;
    } else {
      return SYNTAX_ERROR;
    }
  }
  const items: Frame[] = [];
  const next = z.scan(cursor, count, (m, s) => {
    if (pattern !== undefined && !globMatch(pattern, fromBinary(m))) return;
    items.push(new BinaryString(m), new BinaryString(z.scanScoreText(s)));
  });
  return [new BinaryString(next.toString()), items];
}

// ---------------------------------------------------------------------------

/** Handlers of the family by command name; metadata come from `meta.ts`. */
export const zsetHandlers: HandlerMap = {
  zadd: (ctx, args) => zadd(ctx, args, false),
  zincrby: (ctx, args) => zadd(ctx, args, true),
  zrem,
  zcard,
  zscore,
  zmscore,
  zrank: (ctx, args) => zrank(ctx, args, false),
  zrevrank: (ctx, args) => zrank(ctx, args, true),
  zcount,
  zlexcount,
  zrange: (ctx, args) => zrangeGeneric(ctx, args, 1, undefined, AUTO, undefined),
  zrangestore: (ctx, args) => zrangeGeneric(ctx, args, 2, toBinary(args[1]), AUTO, undefined),
  zrevrange: (ctx, args) => zrangeGeneric(ctx, args, 1, undefined, RANK, true),
  zrangebyscore: (ctx, args) => zrangeGeneric(ctx, args, 1, undefined, SCORE, false),
  zrevrangebyscore: (ctx, args) => zrangeGeneric(ctx, args, 1, undefined, SCORE, true),
  zrangebylex: (ctx, args) => zrangeGeneric(ctx, args, 1, undefined, LEX, false),
  zrevrangebylex: (ctx, args) => zrangeGeneric(ctx, args, 1, undefined, LEX, true),
  zremrangebyrank: (ctx, args) => zremrange(ctx, args, RANK),
  zremrangebyscore: (ctx, args) => zremrange(ctx, args, SCORE),
  zremrangebylex: (ctx, args) => zremrange(ctx, args, LEX),
  zpopmin: (ctx, args) => zpopCommand(ctx, args, false),
  zpopmax: (ctx, args) => zpopCommand(ctx, args, true),
  zmpop: (ctx, args) => zmpop(ctx, args, 1, false),
  bzpopmin: (ctx, args) => bzpop(ctx, args, false),
  bzpopmax: (ctx, args) => bzpop(ctx, args, true),
  bzmpop: (ctx, args) => zmpop(ctx, args, 2, true),
  zrandmember,
  zunion: (ctx, args) => zsetOp(ctx, args, undefined, 1, UNION, false, "zunion"),
  zinter: (ctx, args) => zsetOp(ctx, args, undefined, 1, INTER, false, "zinter"),
  zdiff: (ctx, args) => zsetOp(ctx, args, undefined, 1, DIFF, false, "zdiff"),
  zunionstore: (ctx, args) => zsetOp(ctx, args, toBinary(args[1]), 2, UNION, false, "zunionstore"),
  zinterstore: (ctx, args) => zsetOp(ctx, args, toBinary(args[1]), 2, INTER, false, "zinterstore"),
  zdiffstore: (ctx, args) => zsetOp(ctx, args, toBinary(args[1]), 2, DIFF, false, "zdiffstore"),
  zintercard: (ctx, args) => zsetOp(ctx, args, undefined, 1, INTER, true, "zintercard"),
  zscan,
};
