/**
 * The SET family with Redis 7.0's semantics, replies and error texts
 * (t_set.c): SADD, SREM, SCARD, SISMEMBER, SMISMEMBER, SMEMBERS,
 * SRANDMEMBER, SPOP, SMOVE, SINTER, SINTERCARD, SINTERSTORE, SUNION,
 * SUNIONSTORE, SDIFF, SDIFFSTORE and SSCAN (MATCH, COUNT).
 *
 * The data structure and the set algebra are `server/types/set.ts`;
 * members are binary strings, replied as {@linkcode BinaryString}s. Whole
 * sets are RESP3 sets (`~`), as Redis sends SMEMBERS, SINTER, SUNION,
 * SDIFF and SPOP with a count; SRANDMEMBER's picks are an array.
 *
 * @example
 * ```ts
 * import { setHandlers } from "./set.ts";
 * console.log(Object.keys(setHandlers).includes("sintercard")); // true
 * ```
 *
 * @module
 */

import { BinaryString, type Frame, ReplyError, RespSet } from "../../resp/frame.ts";
import { toBinary } from "../../resp/bytes.ts";
import type { Context, HandlerMap } from "../command.ts";
import { NOTIFY_GENERIC, NOTIFY_SET } from "../db/notify.ts";
import { int64Arg, isOption, SYNTAX_ERROR } from "../args.ts";
import { RedisSet, SET } from "../types/set.ts";
import {
  emptyScan,
  MAX_RANDOM_REPLY,
  parseScanCursor,
  parseScanOptions,
  randomCountArg,
  replyTooLarge,
  scanReply,
} from "./hash.ts";

const MUST_BE_POSITIVE = new ReplyError("ERR value is out of range, must be positive");
const NUMKEYS = new ReplyError("ERR numkeys should be greater than 0");
const TOO_MANY_KEYS = new ReplyError("ERR Number of keys can't be greater than number of args");
const LIMIT_NEGATIVE = new ReplyError("ERR LIMIT can't be negative");

function bin(s: string): BinaryString {
  return new BinaryString(s);
}

/** The members of `s` in its order, as reply frames. */
function membersOf(s: RedisSet): Frame[] {
  const n = s.size;
  const out: Frame[] = new Array(n);
  for (let i = 0; i < n; i++) out[i] = bin(s.memberAt(i));
  return out;
}

function binAll(members: readonly string[]): Frame[] {
  const out: Frame[] = new Array(members.length);
  for (let i = 0; i < members.length; i++) out[i] = bin(members[i]);
  return out;
}

/** The set at `key` for reading (WRONGTYPE thrown), or undefined. */
function readSet(ctx: Context, key: Uint8Array): RedisSet | undefined {
  return ctx.db.read(toBinary(key), SET);
}

/** The sets at `args[from..to)` for reading (`undefined` = missing); WRONGTYPE thrown in order. */
function readSets(ctx: Context, args: Uint8Array[], from: number, to: number) {
  const sets: (RedisSet | undefined)[] = [];
  for (let i = from; i < to; i++) sets.push(readSet(ctx, args[i]));
  return sets;
}

/**
 * Stores `result` at `dst` as SINTERSTORE / SUNIONSTORE / SDIFFSTORE do
 * (replacing any value and its expiry, event `event`), or deletes `dst`
 * when the result is empty (event `del` if it existed); replies the size.
 */
function store(ctx: Context, dst: string, result: RedisSet, event: string): Frame {
  const db = ctx.db;
  if (result.size > 0) {
    db.set(dst, result, 0);
    db.changed(dst, NOTIFY_SET, event);
    return result.size;
  }
  if (db.delete(dst)) db.changed(dst, NOTIFY_GENERIC, "del");
  return 0;
}

// ---------------------------------------------------------------------------
// Handlers

function sadd(ctx: Context, args: Uint8Array[]): Frame {
  const key = toBinary(args[1]);
  const s = ctx.db.getOrCreate(key, SET);
  let added = 0;
  for (let i = 2; i < args.length; i++) if (s.add(toBinary(args[i]))) added++;
  if (added > 0) ctx.db.changed(key, NOTIFY_SET, "sadd", s);
  return added;
}

function srem(ctx: Context, args: Uint8Array[]): Frame {
  const key = toBinary(args[1]);
  const s = ctx.db.write(key, SET);
  if (s === undefined) return 0;
  let deleted = 0;
  for (let i = 2; i < args.length && s.size > 0; i++) if (s.delete(toBinary(args[i]))) deleted++;
  if (deleted > 0) ctx.db.changed(key, NOTIFY_SET, "srem", s);
  return deleted;
}

function scard(ctx: Context, args: Uint8Array[]): Frame {
  return readSet(ctx, args[1])?.size ?? 0;
}

function sismember(ctx: Context, args: Uint8Array[]): Frame {
  const s = readSet(ctx, args[1]);
  return s !== undefined && s.has(toBinary(args[2])) ? 1 : 0;
}

function smismember(ctx: Context, args: Uint8Array[]): Frame {
  const s = readSet(ctx, args[1]);
  const out: Frame[] = new Array(args.length - 2);
  for (let i = 2; i < args.length; i++) {
    out[i - 2] = s !== undefined && s.has(toBinary(args[i])) ? 1 : 0;
  }
  return out;
}

function smove(ctx: Context, args: Uint8Array[]): Frame {
  const db = ctx.db;
  const srcKey = toBinary(args[1]);
  const dstKey = toBinary(args[2]);
  const src = db.write(srcKey, SET);
  if (src === undefined) {
    db.getValue(dstKey); // Redis looks the destination up too (expiring it)
    return 0;
  }
  const dst = db.write(dstKey, SET);
  const member = toBinary(args[3]);
  if (src === dst) return src.has(member) ? 1 : 0;
  if (!src.delete(member)) return 0;
  db.changed(srcKey, NOTIFY_SET, "srem", src);
  const target = dst ?? db.getOrCreate(dstKey, SET);
  if (target.add(member)) db.changed(dstKey, NOTIFY_SET, "sadd", target);
  return 1;
}

/** SPOP's count: `ERR value is out of range, must be positive` when negative or not an integer. */
function positiveCountArg(arg: Uint8Array): number {
  const v = int64Arg(arg, MUST_BE_POSITIVE);
  if (v < 0) throw MUST_BE_POSITIVE;
  return Number(v);
}

function emptySet(ctx: Context): Frame {
  return ctx.client.protocol === 3 ? new RespSet([]) : [];
}

function spop(ctx: Context, args: Uint8Array[]): Frame {
  if (args.length > 3) throw SYNTAX_ERROR;
  const db = ctx.db;
  const key = toBinary(args[1]);
  if (args.length === 3) {
    const count = positiveCountArg(args[2]);
    const s = db.write(key, SET);
    if (s === undefined || count === 0) return emptySet(ctx);
    if (count >= s.size) {
      // the whole set, as Redis replies it (a union of the one set)
      const all = RedisSet.union([s], db.limits);
      s.clear();
      db.changed(key, NOTIFY_SET, "spop", s);
      return new RespSet(membersOf(all));
    }
    const popped = s.popMany(count);
    db.changed(key, NOTIFY_SET, "spop", s);
    return new RespSet(binAll(popped));
  }
  const s = db.write(key, SET);
  if (s === undefined) return null;
  const m = s.pop();
  db.changed(key, NOTIFY_SET, "spop", s);
  return bin(m);
}

function srandmember(ctx: Context, args: Uint8Array[]): Frame {
  if (args.length > 3) throw SYNTAX_ERROR;
  if (args.length === 3) {
    const l = randomCountArg(args[2]);
    const s = readSet(ctx, args[1]);
    if (s === undefined || l === 0) return [];
    const size = s.size;
    if (l < 0 || l === 1) {
      const count = l === 1 ? 1 : -Number(l);
      if (count > MAX_RANDOM_REPLY) throw replyTooLarge();
      const out: Frame[] = new Array(count);
      for (let i = 0; i < count; i++) out[i] = bin(s.randomMember());
      return out;
    }
    if (l >= size) return membersOf(s);
    return binAll(s.randomDistinct(Number(l)));
  }
  const s = readSet(ctx, args[1]);
  return s === undefined ? null : bin(s.randomMember());
}

function smembers(ctx: Context, args: Uint8Array[]): Frame {
  const s = readSet(ctx, args[1]);
  return s === undefined ? emptySet(ctx) : new RespSet(membersOf(s));
}

/** The intersection of the sets at `args[from..to)`, or undefined when one is missing. */
function intersection(
  ctx: Context,
  args: Uint8Array[],
  from: number,
  to: number,
  limit = 0,
): string[] | undefined {
  const sets = readSets(ctx, args, from, to);
  for (const s of sets) if (s === undefined) return undefined;
  return RedisSet.intersect(sets as RedisSet[], limit);
}

function sinter(ctx: Context, args: Uint8Array[]): Frame {
  const r = intersection(ctx, args, 1, args.length);
  return r === undefined ? emptySet(ctx) : new RespSet(binAll(r));
}

function sinterstore(ctx: Context, args: Uint8Array[]): Frame {
  const r = intersection(ctx, args, 2, args.length);
  const result = new RedisSet(ctx.db.limits);
  if (r !== undefined) { for (const m of r) result.add(m); }
  return store(ctx, toBinary(args[1]), result, "sinterstore");
}

function sintercard(ctx: Context, args: Uint8Array[]): Frame {
  const n = int64Arg(args[1], NUMKEYS);
  if (n < 1) throw NUMKEYS;
  if (n > args.length - 2) throw TOO_MANY_KEYS;
  const numkeys = Number(n);
  let limit = 0;
  for (let j = 2 + numkeys; j < args.length; j++) {
    if (isOption(args[j], "limit") && j < args.length - 1) {
      const v = int64Arg(args[++j], LIMIT_NEGATIVE);
      if (v < 0) throw LIMIT_NEGATIVE;
      limit = Number(v);
    } else {
      throw SYNTAX_ERROR;
    }
  }
  return intersection(ctx, args, 2, 2 + numkeys, limit)?.length ?? 0;
}

function sunion(ctx: Context, args: Uint8Array[]): Frame {
  const r = RedisSet.union(readSets(ctx, args, 1, args.length), ctx.db.limits);
  return new RespSet(membersOf(r));
}

function sunionstore(ctx: Context, args: Uint8Array[]): Frame {
  const r = RedisSet.union(readSets(ctx, args, 2, args.length), ctx.db.limits);
  return store(ctx, toBinary(args[1]), r, "sunionstore");
}

function sdiff(ctx: Context, args: Uint8Array[]): Frame {
  const r = RedisSet.difference(readSets(ctx, args, 1, args.length), ctx.db.limits);
  return new RespSet(membersOf(r));
}

function sdiffstore(ctx: Context, args: Uint8Array[]): Frame {
  const r = RedisSet.difference(readSets(ctx, args, 2, args.length), ctx.db.limits);
  return store(ctx, toBinary(args[1]), r, "sdiffstore");
}

function sscan(ctx: Context, args: Uint8Array[]): Frame {
  const cursor = parseScanCursor(args[2]);
  const s = readSet(ctx, args[1]);
  if (s === undefined) return emptyScan();
  const { count, matches } = parseScanOptions(args, 3);
  const out: Frame[] = [];
  const next = s.scan(cursor, count, (m) => {
    if (matches(m)) out.push(bin(m));
  });
  return scanReply(next, out);
}

/** Handlers of the family by command name; metadata come from `meta.ts`. */
export const setHandlers: HandlerMap = {
  sadd,
  srem,
  scard,
  sismember,
  smismember,
  smembers,
  srandmember,
  spop,
  smove,
  sinter,
  sintercard,
  sinterstore,
  sunion,
  sunionstore,
  sdiff,
  sdiffstore,
  sscan,
};
