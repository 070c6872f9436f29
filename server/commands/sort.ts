/**
 * SORT and SORT_RO, with Redis 7.0's semantics, replies and error texts
 * (sort.c, pqsort.c):
 *
 * - Input: a list, set or sorted set (a missing key sorts as an empty
 *   list; another type is WRONGTYPE). Like Redis, sorting a sorted set
 *   converts it to the `skiplist` encoding.
 * - Order: numeric by default (each element, or the value its BY pattern
 *   names, read as C's `strtod` does; an unreadable one, an overflow,
 *   underflow or NaN makes the reply `ERR One or more scores can't be
 *   converted into double`), ties broken by the elements' bytes; `ALPHA`
 *   compares bytes (up to a NUL byte, as `strcoll` in the C/C.UTF-8 locale,
 *   unless storing, which compares whole strings). A missing BY value
 *   scores 0, or sorts first with ALPHA. `DESC` reverses the comparison.
 * - `BY` with a pattern without `*` (e.g. `nosort`) skips sorting: a list
 *   or sorted set keeps its own order (reversed by DESC, LIMIT applied on
 *   that order), a set its iteration order, except when storing, where a
 *   set is sorted ALPHA so the result is deterministic.
 * - `GET` patterns: `#` is the element itself, `prefix*suffix` the string
 *   value of the key made by putting the element in place of the first
 *   `*`, `prefix*suffix->field` a field of the hash at that key; a missing
 *   one is null (an empty string when storing).
 * - `LIMIT offset count` with Redis's clamping; with a BY pattern the
 *   partial sort is Redis's `pqsort` (NetBSD quicksort limited to the
 *   range), so elements that compare equal come out in Redis's order too.
 * - `STORE dst` (SORT only) replaces `dst` with a list of the result and
 *   its length as the reply (`sortstore` event), or deletes `dst` when the
 *   result is empty (`del` event).
 *
 * Lookups of the sorted key and of pattern keys are read lookups (they
 * count as keyspace hits/misses and fire `keymiss`), as in Redis.
 *
 * @example
 * ```ts
 * import { sortHandlers } from "./sort.ts";
 * console.log(Object.keys(sortHandlers)); // ["sort", "sort_ro"]
 * ```
 *
 * @module
 */

import { BinaryString, type Frame, ReplyError } from "../../resp/frame.ts";
import { fromBinary, toBinary } from "../../resp/bytes.ts";
import type { Context, HandlerMap } from "../command.ts";
import { type Entry, type Keyspace, WRONGTYPE } from "../db/keyspace.ts";
import { NOTIFY_GENERIC, NOTIFY_LIST } from "../db/notify.ts";
import { intArg, isOption, SYNTAX_ERROR } from "../args.ts";
import { HASH } from "../types/hash.ts";
import { SET } from "../types/set.ts";
import { RedisZset, ZSET } from "../types/zset.ts";
import { LIST, type RedisList, TAIL } from "../types/list.ts";
import { parseRangeScore } from "../types/zset_double.ts";

const NOT_DOUBLE = new ReplyError("ERR One or more scores can't be converted into double");

/** The parsed options of one SORT call. */
interface SortOptions {
  desc: boolean;
  alpha: boolean;
  limitStart: number;
  limitCount: number;
  /** The STORE destination key. */
  store: string | undefined;
  /** The BY pattern (binary text). */
  by: string | undefined;
  /** A BY pattern without `*` was given (sticky, as in Redis). */
  dontSort: boolean;
  /** The GET patterns (binary text), in order. */
  gets: string[];
}

/**
 * Parses SORT's options from `args[2]` on, as Redis does: left to right,
 * the last ASC/DESC, LIMIT, BY and STORE win, ALPHA and GET accumulate, a
 * BY pattern without `*` turns sorting off for good; an unknown word, a
 * missing value or STORE in SORT_RO is a syntax error; LIMIT's numbers are
 * 64-bit integers.
 */
function parseOptions(args: Uint8Array[], readonly: boolean): SortOptions {
  const o: SortOptions = {
    desc: false,
    alpha: false,
    limitStart: 0,
    limitCount: -1,
    store: undefined,
    by: undefined,
    dontSort: false,
    gets: [],
  };
  for (let j = 2; j < args.length; j++) {
    const a = args[j];
    const left = args.length - j - 1;
    if (isOption(a, "asc")) {
      o.desc = false;
    } else if (isOption(a, "desc")) {
      o.desc = true;
    } else if (isOption(a, "alpha")) {
      o.alpha = true;
    } else if (isOption(a, "limit") && left >= 2) {
      o.limitStart = intArg(args[j + 1]);
      o.limitCount = intArg(args[j + 2]);
      j += 2;
    } else if (!readonly && isOption(a, "store") && left >= 1) {
      o.store = toBinary(args[++j]);
    } else if (isOption(a, "by") && left >= 1) {
      const by = toBinary(args[++j]);
      o.by = by;
      // strchr: only a '*' before the first NUL counts
      if (!hasStar(by)) o.dontSort = true;
    } else if (isOption(a, "get") && left >= 1) {
      o.gets.push(toBinary(args[++j]));
    } else {
      throw SYNTAX_ERROR;
    }
  }
  return o;
}

/** The end of a pattern as a C string: its first NUL byte, or its length. */
function cEnd(s: string): number {
  const z = s.indexOf("\0");
  return z === -1 ? s.length : z;
}

/** Whether a pattern has a `*` before its first NUL (C's `strchr`). */
function hasStar(pattern: string): boolean {
  const p = pattern.indexOf("*");
  return p !== -1 && p < cEnd(pattern);
}

/**
 * A read lookup (Redis's `lookupKeyRead`): counts a keyspace hit or miss
 * and fires `keymiss` on a miss, whatever the command's own flags.
 */
function readEntry(db: Keyspace, key: string): Entry | undefined {
  const counting = db.countLookups;
  db.countLookups = true;
  try {
    return db.get(key);
  } finally {
    db.countLookups = counting;
  }
}

/**
 * Redis's `lookupKeyByPattern`: the value `pattern` names for the element
 * `subst` (binary text), or null. `#` is the element itself; otherwise the
 * first `*` (before any NUL byte) is replaced by the element to make a key
 * whose string value is taken, or, when `->` followed by a field name
 * comes after the `*`, that field of the hash at the key.
 */
function lookupByPattern(db: Keyspace, pattern: string, subst: string): string | null {
  const n = pattern.length;
  if (pattern.charCodeAt(0) === 35 /* # */ && (n === 1 || pattern.charCodeAt(1) === 0)) {
    return subst;
  }
  const end = cEnd(pattern);
  const p = pattern.indexOf("*");
  if (p === -1 || p >= end) return null;
  // strstr(p + 1, "->") on the C string, and a field name after it
  const f = pattern.indexOf("->", p + 1);
  const hasField = f !== -1 && f + 2 < end;
  const fieldLen = hasField ? n - f - 2 : 0;
  const postfixLen = n - (p + 1) - (hasField ? fieldLen + 2 : 0);
  const key = pattern.slice(0, p) + subst + pattern.slice(p + 1, p + 1 + postfixLen);
  const e = readEntry(db, key);
  if (e === undefined) return null;
  const v = e.value;
  if (hasField) {
    return HASH.is(v) ? v.get(pattern.slice(f + 2)) ?? null : null;
  }
  return v instanceof Uint8Array ? toBinary(v) : null;
}

/** A decimal number as both `strtod` and `Number()` read it alike. */
const PLAIN_DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
/** A nonzero digit before any exponent. */
const NONZERO_MANTISSA = /^[^eE]*[1-9]/;

/** Smallest positive normal double (`DBL_MIN`): below it `strtod` underflows. */
const DBL_MIN = 2.2250738585072014e-308;

/**
 * A sort weight as Redis reads it: `strtod` on the value as a C string,
 * which must stop at its end or at a NUL byte, without overflow or
 * underflow (`ERANGE`) and not NaN. Undefined when Redis would reply the
 * conversion error.
 */
function sortScore(text: string): number | undefined {
  if (PLAIN_DECIMAL.test(text)) {
    // no spaces, hex, inf or NaN: JavaScript's conversion is strtod's (both correctly rounded)
    const v = Number(text);
    if (v === Infinity || v === -Infinity) return undefined;
    // underflow (ERANGE): to zero from a nonzero number, or to a subnormal (never exact)
    if (v === 0) return NONZERO_MANTISSA.test(text) ? undefined : v;
    return Math.abs(v) < DBL_MIN ? undefined : v;
  }
  const bytes = fromBinary(text);
  const v = parseRangeScore(bytes, 0);
  if (v === undefined) return undefined;
  if (v === Infinity || v === -Infinity) {
    // only a spelled-out inf/infinity; a decimal that big overflowed
    return spelledInfinity(bytes) ? v : undefined;
  }
  if ((v === 0 || Math.abs(v) < DBL_MIN) && underflows(bytes, v)) return undefined;
  return v;
}

/** The position of the number in `bytes`: after leading white space and a sign. */
function numberStart(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length && (bytes[i] === 32 || (bytes[i] >= 9 && bytes[i] <= 13))) i++;
  if (i < bytes.length && (bytes[i] === 43 || bytes[i] === 45)) i++;
  return i;
}

/** Whether the number in `bytes` is spelled `inf`/`infinity` (any case). */
function spelledInfinity(bytes: Uint8Array): boolean {
  const i = numberStart(bytes);
  return i < bytes.length && (bytes[i] | 32) === 105 /* i */;
}

/**
 * Whether glibc's `strtod` sets ERANGE for a zero or subnormal result `v`:
 * a decimal with a nonzero digit always (it cannot be exact), a
 * hexadecimal one when its nonzero digits were lost (the result is 0).
 */
function underflows(bytes: Uint8Array, v: number): boolean {
  let i = numberStart(bytes);
  const hex = bytes[i] === 48 && (bytes[i + 1] | 32) === 120;
  if (hex) i += 2;
  for (; i < bytes.length; i++) {
    const c = bytes[i];
    const l = c | 32;
    if (hex ? l === 112 /* p */ : l === 101 /* e */) break;
    if (c === 0) break;
    const nonzero = (c >= 49 && c <= 57) || (hex && l >= 97 && l <= 102);
    if (nonzero) return hex ? v === 0 : true;
  }
  return false;
}

/** One element being sorted (Redis's `redisSortObject`). */
interface SortItem {
  /** The element (binary text). */
  readonly elem: string;
  /** Its numeric weight (0 when its BY key is missing). */
  score: number;
  /** Its ALPHA weight from a BY pattern; null when the key is missing. */
  cmp: string | null;
}

/** `memcmp` order of binary texts, shorter first on a common prefix. */
function compareBytes(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** `strcoll` in the C/C.UTF-8 locale: byte order of the texts up to their first NUL. */
function compareCollated(a: string, b: string): number {
  const za = a.indexOf("\0");
  const zb = b.indexOf("\0");
  return compareBytes(za === -1 ? a : a.slice(0, za), zb === -1 ? b : b.slice(0, zb));
}

/** Redis's `sortCompare` for the options in effect. */
function comparator(
  alpha: boolean,
  byPattern: boolean,
  store: boolean,
  desc: boolean,
): (a: SortItem, b: SortItem) => number {
  const strings = store ? compareBytes : compareCollated;
  let cmp: (a: SortItem, b: SortItem) => number;
  if (!alpha) {
    cmp = (a, b) => a.score > b.score ? 1 : a.score < b.score ? -1 : compareBytes(a.elem, b.elem);
  } else if (byPattern) {
    cmp = (a, b) => {
      const x = a.cmp;
      const y = b.cmp;
      if (x === null || y === null) return x === y ? 0 : x === null ? -1 : 1;
      return strings(x, y);
    };
  } else {
    cmp = (a, b) => strings(a.elem, b.elem);
  }
  return desc ? (a, b) => -cmp(a, b) : cmp;
}

/**
 * Redis's `pqsort`: the Bentley-McIlroy quicksort (NetBSD's, without its
 * switch to insertion sort after a pass without swaps, as Redis 7.0
 * behaves) that only recurses into partitions overlapping positions
 * `[lo, hi]`, so that those positions end up holding what a full sort
 * would put there. Equal elements end up where this exact algorithm
 * leaves them, as in Redis (SORT ... BY ... LIMIT).
 *
 * @example
 * ```ts
 * import { partialSort } from "./sort.ts";
 * const a = [5, 1, 4, 2, 3, 9, 0, 8];
 * partialSort(a, (x, y) => x - y, 0, 2);
 * console.log(a.slice(0, 3)); // [0, 1, 2]
 * ```
 */
export function partialSort<T>(
  a: T[],
  cmp: (x: T, y: T) => number,
  lo: number,
  hi: number,
): void {
  const swap = (i: number, j: number) => {
    const t = a[i];
    a[i] = a[j];
    a[j] = t;
  };
  const vecswap = (i: number, j: number, n: number) => {
    for (let k = 0; k < n; k++) swap(i + k, j + k);
  };
  const med3 = (i: number, j: number, k: number) =>
    cmp(a[i], a[j]) < 0
      ? (cmp(a[j], a[k]) < 0 ? j : cmp(a[i], a[k]) < 0 ? k : i)
      : (cmp(a[j], a[k]) > 0 ? j : cmp(a[i], a[k]) < 0 ? i : k);
  const insertion = (base: number, n: number) => {
    for (let m = base + 1; m < base + n; m++) {
      for (let l = m; l > base && cmp(a[l - 1], a[l]) > 0; l--) swap(l, l - 1);
    }
  };
  // the range [lo, hi] lies wholly before or after [base, base + n)
  const outside = (base: number, n: number) =>
    (lo < base && hi < base) || (lo >= base + n && hi >= base + n);
  const sort = (base: number, n: number): void => {
    for (;;) {
      if (n < 7) {
        insertion(base, n);
        return;
      }
      let pm = base + (n >> 1);
      if (n > 7) {
        let pl = base;
        let pn = base + n - 1;
        if (n > 40) {
          const d = n >> 3;
          pl = med3(pl, pl + d, pl + 2 * d);
          pm = med3(pm - d, pm, pm + d);
          pn = med3(pn - 2 * d, pn - d, pn);
        }
        pm = med3(pl, pm, pn);
      }
      swap(base, pm);
      let pa = base + 1;
      let pb = pa;
      let pc = base + n - 1;
      let pd = pc;
      for (;;) {
        let r: number;
        while (pb <= pc && (r = cmp(a[pb], a[base])) <= 0) {
          if (r === 0) {
            swap(pa, pb);
            pa++;
          }
          pb++;
        }
        while (pb <= pc && (r = cmp(a[pc], a[base])) >= 0) {
          if (r === 0) {
            swap(pc, pd);
            pd--;
          }
          pc--;
        }
        if (pb > pc) break;
        swap(pb, pc);
        pb++;
        pc--;
      }
      const pn = base + n;
      let r = Math.min(pa - base, pb - pa);
      vecswap(base, pb - r, r);
      r = Math.min(pd - pc, pn - pd - 1);
      vecswap(pb, pn - r, r);
      r = pb - pa;
      if (r > 1 && !outside(base, r)) sort(base, r);
      r = pd - pc;
      if (r <= 1) return;
      base = pn - r;
      n = r;
      if (outside(base, n)) return;
    }
  };
  sort(0, a.length);
}

/**
 * The elements of a list from position `from` on, `count` of them at most,
 * towards the tail or, `backwards`, towards the head.
 */
function listItems(list: RedisList, from: number, backwards: boolean, count: number): SortItem[] {
  const lo = backwards ? Math.max(0, from - count + 1) : from;
  const n = backwards ? from - lo + 1 : Math.min(count, list.size - from);
  const elements = list.range(lo, n);
  const out: SortItem[] = new Array(n);
  for (let k = 0; k < n; k++) {
    const elem = toBinary(elements[backwards ? n - 1 - k : k]);
    out[k] = { elem, score: 0, cmp: null };
  }
  return out;
}

function sortCommand(ctx: Context, args: Uint8Array[], readonly: boolean): Frame {
  const o = parseOptions(args, readonly);
  const db = ctx.db;
  const e = readEntry(db, toBinary(args[1]));
  const value = e?.value;
  const list = value !== undefined && LIST.is(value) ? value : undefined;
  const set = value !== undefined && SET.is(value) ? value : undefined;
  let zset = value !== undefined && ZSET.is(value) ? value : undefined;
  if (value !== undefined && !list && !set && !zset) throw WRONGTYPE;

  let { alpha, dontSort, by } = o;
  const { desc } = o;
  // a set has no order of its own: a stored result is sorted so it is deterministic
  if (dontSort && set !== undefined && o.store !== undefined) {
    dontSort = false;
    alpha = true;
    by = undefined;
  }
  // Redis converts a sorted set to a skiplist for SORT (a one-way change)
  if (zset !== undefined && zset.encoding !== "skiplist") {
    zset = toSkiplist(zset, ctx);
    e!.value = zset;
  }

  let vectorLen = list?.size ?? set?.size ?? zset?.size ?? 0;
  let start = Math.min(Math.max(o.limitStart, 0), vectorLen);
  const count = Math.min(Math.max(o.limitCount, -1), vectorLen);
  let end = count < 0 ? vectorLen - 1 : start + count - 1;
  if (start >= vectorLen) {
    start = vectorLen - 1;
    end = vectorLen - 2;
  }
  if (end >= vectorLen) end = vectorLen - 1;
  const direct = dontSort && (list !== undefined || zset !== undefined);
  if (direct && (start !== 0 || end !== vectorLen - 1)) vectorLen = end - start + 1;

  let items: SortItem[];
  if (list !== undefined && dontSort) {
    items = [];
    if (end >= start) {
      items = listItems(list, desc ? list.size - start - 1 : start, desc, vectorLen);
      end -= start;
      start = 0;
    }
  } else if (list !== undefined) {
    items = listItems(list, 0, false, list.size);
  } else if (set !== undefined) {
    items = [];
    set.forEach((elem) => items.push({ elem, score: 0, cmp: null }));
  } else if (zset !== undefined && dontSort) {
    items = [];
    const n = zset.size;
    const lo = desc ? n - start - vectorLen : start;
    zset.forEachInRanks(lo, lo + vectorLen, desc, (elem) => {
      items.push({ elem, score: 0, cmp: null });
    });
    end -= start;
    start = 0;
  } else if (zset !== undefined) {
    items = [];
    zset.forEach((elem) => items.push({ elem, score: 0, cmp: null }));
  } else {
    items = [];
  }

  let conversionError = false;
  if (!dontSort) {
    for (const item of items) {
      let weight: string | null = item.elem;
      if (by !== undefined) {
        weight = lookupByPattern(db, by, item.elem);
        if (weight === null) continue;
      }
      if (alpha) {
        if (by !== undefined) item.cmp = weight;
      } else {
        const score = sortScore(weight);
        if (score === undefined) conversionError = true;
        else item.score = score;
      }
    }
    const cmp = comparator(alpha, by !== undefined, o.store !== undefined, desc);
    if (by !== undefined && (start !== 0 || end !== items.length - 1)) {
      partialSort(items, cmp, start, end);
    } else {
      items.sort(cmp);
    }
  }

  const gets = o.gets;
  const outputLen = gets.length > 0 ? gets.length * (end - start + 1) : end - start + 1;
  if (conversionError) return NOT_DOUBLE;
  if (o.store === undefined) {
    const out: Frame[] = [];
    for (let j = start; j <= end; j++) {
      const elem = items[j].elem;
      if (gets.length === 0) out.push(new BinaryString(elem));
      for (const pattern of gets) {
        const v = lookupByPattern(db, pattern, elem);
        out.push(v === null ? null : new BinaryString(v));
      }
    }
    return out;
  }
  const stored = LIST.create(db.limits);
  for (let j = start; j <= end; j++) {
    const elem = items[j].elem;
    if (gets.length === 0) stored.push(TAIL, fromBinary(elem));
    for (const pattern of gets) {
      stored.push(TAIL, fromBinary(lookupByPattern(db, pattern, elem) ?? ""));
    }
  }
  const dst = o.store;
  if (outputLen > 0) {
    db.set(dst, stored);
    db.changed(dst, NOTIFY_LIST, "sortstore");
  } else if (db.delete(dst)) {
    db.changed(dst, NOTIFY_GENERIC, "del");
  }
  return outputLen;
}

/** The same sorted set in the skiplist encoding (what Redis's `zsetConvert` leaves). */
function toSkiplist(zset: RedisZset, ctx: Context): RedisZset {
  const members: string[] = [];
  const scores: number[] = [];
  zset.forEach((m, s) => {
    members.push(m);
    scores.push(s);
  });
  // a limit of no entries makes fromEntries build a skiplist
  return RedisZset.fromEntries(members, scores, { ...ctx.db.limits, zsetMaxListpackEntries: -1 });
}

/** Handlers of the family by command name; metadata come from `meta.ts`. */
export const sortHandlers: HandlerMap = {
  sort: (ctx, args) => sortCommand(ctx, args, false),
  sort_ro: (ctx, args) => sortCommand(ctx, args, true),
};
