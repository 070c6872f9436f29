/**
 * The sorted set value type (Redis's `zset`), in Redis 7.0's two
 * encodings:
 *
 * - `listpack` (small sets): two flat arrays, members and scores, sorted
 *   by `(score, member)`; lookups by member scan them, as Redis scans its
 *   listpack. Integral scores are kept as integers there, as Redis's
 *   `double2ll` does, so `-0` becomes `0`.
 * - `skiplist` (big sets): a compact hash table member -> score
 *   ({@linkcode ScoreMap}) beside a counted B+tree of `(score, member)`
 *   pairs ({@linkcode ScoreTree}): O(1) score lookup, O(log n) insert,
 *   delete, rank, select-by-rank and score/lex bounds.
 *
 * A set starts as a listpack and becomes a skiplist for good when an
 * insert would exceed `zset-max-listpack-entries` or adds a member longer
 * than `zset-max-listpack-value` bytes (Redis's `zsetAdd`); results built
 * whole (ZUNIONSTORE, ...) take the listpack form when they fit
 * ({@linkcode RedisZset.fromEntries}).
 *
 * Members are binary strings (one char per byte, as `toBinary` makes
 * them); order among equal scores is byte order (`memcmp`). Ranks are
 * 0-based, lowest score first. Range queries return rank intervals
 * `[lo, hi)`; {@linkcode RedisZset.forEachInRanks} walks one either way.
 * This module has no RESP and no I/O: SORT, streams and the command
 * family read it through this API.
 *
 * @example
 * ```ts
 * import { RedisZset } from "./zset.ts";
 * import { DEFAULT_ENCODING_LIMITS } from "./limits.ts";
 * const z = new RedisZset();
 * z.add("b", 2, DEFAULT_ENCODING_LIMITS);
 * z.add("a", 1, DEFAULT_ENCODING_LIMITS);
 * console.log(z.size, z.encoding, z.score("b"), z.rank("b")); // 2 "listpack" 2 1
 * const [lo, hi] = z.scoreRange({ min: 1, minExclusive: true, max: Infinity, maxExclusive: false });
 * z.forEachInRanks(lo, hi, false, (member, score) => console.log(member, score)); // b 2
 * ```
 *
 * @module
 */

import type { RedisObject, Value, ValueType } from "../db/keyspace.ts";
import type { EncodingLimits } from "./limits.ts";
import { ScoreTree } from "./zset_tree.ts";
import { ScoreMap } from "./zset_map.ts";
import { formatListpackScore, formatSkiplistScore } from "./zset_double.ts";

export { ScoreTree, TreeCursor } from "./zset_tree.ts";
export { ScoreMap } from "./zset_map.ts";
export {
  formatListpackScore,
  formatScore,
  formatSkiplistScore,
  parseRangeScore,
  parseScore,
} from "./zset_double.ts";

/** A score interval, as ZRANGEBYSCORE's `min max` (`(` makes a bound exclusive). */
export interface ScoreRange {
  /** Lower bound. */
  readonly min: number;
  /** Whether `min` itself is excluded. */
  readonly minExclusive: boolean;
  /** Upper bound. */
  readonly max: number;
  /** Whether `max` itself is excluded. */
  readonly maxExclusive: boolean;
}

/** {@linkcode LexBound.kind}: `-`, below every member. */
export const LEX_MINUS: number = -1;
/** {@linkcode LexBound.kind}: a member value (`[x` or `(x`). */
export const LEX_VALUE: number = 0;
/** {@linkcode LexBound.kind}: `+`, above every member. */
export const LEX_PLUS: number = 1;

/** One bound of a lex range (ZRANGEBYLEX's `-`, `+`, `[x`, `(x`). */
export interface LexBound {
  /** {@linkcode LEX_MINUS}, {@linkcode LEX_VALUE} or {@linkcode LEX_PLUS}. */
  readonly kind: number;
  /** The member bytes (binary string) for {@linkcode LEX_VALUE}. */
  readonly value: string;
  /** `(x` (and, as Redis has it, `-` and `+`). */
  readonly exclusive: boolean;
}

/** A member interval, as ZRANGEBYLEX's `min max`. */
export interface LexRange {
  /** Lower bound. */
  readonly min: LexBound;
  /** Upper bound. */
  readonly max: LexBound;
}

/** Redis's `sdscmplex`: compares a member or bound with a bound (`-` lowest, `+` highest). */
function compareLex(aKind: number, a: string, b: LexBound): number {
  if (aKind === b.kind && (aKind !== LEX_VALUE || a === b.value)) return 0;
  if (aKind === LEX_MINUS || b.kind === LEX_PLUS) return -1;
  if (aKind === LEX_PLUS || b.kind === LEX_MINUS) return 1;
  return a < b.value ? -1 : a > b.value ? 1 : 0;
}

/** Redis's `zslLexValueGteMin`. */
function lexGteMin(member: string, range: LexRange): boolean {
  const c = compareLex(LEX_VALUE, member, range.min);
  return range.min.exclusive ? c > 0 : c >= 0;
}

/** Redis's `zslLexValueLteMax`. */
function lexLteMax(member: string, range: LexRange): boolean {
  const c = compareLex(LEX_VALUE, member, range.max);
  return range.max.exclusive ? c < 0 : c <= 0;
}

/** Whether a lex range can hold anything at all (its min is not above its max). */
function lexRangeValid(range: LexRange): boolean {
  const c = compareLex(range.min.kind, range.min.value, range.max);
  return !(c > 0 || (c === 0 && (range.min.exclusive || range.max.exclusive)));
}

const EMPTY: [number, number] = [0, 0];

/** A score as a listpack keeps it: integral values are integers there, so `-0` is `0`. */
function listpackScore(score: number): number {
  return score === 0 ? 0 : score;
}

/**
 * A sorted set; see the module documentation.
 */
export class RedisZset implements RedisObject {
  /** Always `zset`. */
  readonly type = "zset";
  /** listpack: members in order (undefined once a skiplist). */
  #members: string[] | undefined = [];
  /** listpack: scores in order. */
  #scores: number[] | undefined = [];
  /** skiplist: member -> score. */
  #dict: ScoreMap | undefined;
  /** skiplist: the ordered pairs. */
  #tree: ScoreTree | undefined;

  /** Number of members. */
  get size(): number {
    return this.#members !== undefined ? this.#members.length : this.#dict!.size;
  }

  /** `listpack` or `skiplist` (OBJECT ENCODING). */
  get encoding(): "listpack" | "skiplist" {
    return this.#members !== undefined ? "listpack" : "skiplist";
  }

  /** A deep copy in the same encoding (COPY). */
  clone(): RedisZset {
    const z = new RedisZset();
    if (this.#members !== undefined) {
      z.#members = this.#members.slice();
      z.#scores = this.#scores!.slice();
    } else {
      z.#toSkiplist();
      this.forEachInRanks(0, this.size, false, (m, s) => {
        z.#dict!.set(m, s);
        z.#tree!.insert(s, m);
      });
    }
    return z;
  }

  /**
   * A sorted set of the given distinct members and scores (any order), as
   * Redis stores a computed result (ZUNIONSTORE, ZINTERSTORE, ZDIFFSTORE,
   * ZRANGESTORE): a listpack when it has at most
   * `zset-max-listpack-entries` members and none is longer than
   * `zset-max-listpack-value` bytes, else a skiplist.
   */
  static fromEntries(
    members: readonly string[],
    scores: readonly number[],
    limits: EncodingLimits,
  ): RedisZset {
    const n = members.length;
    const order = new Array<number>(n);
    let maxLen = 0;
    for (let i = 0; i < n; i++) {
      order[i] = i;
      if (members[i].length > maxLen) maxLen = members[i].length;
    }
    order.sort((a, b) => {
      const sa = scores[a];
      const sb = scores[b];
      if (sa !== sb) return sa < sb ? -1 : 1;
      const ma = members[a];
      const mb = members[b];
      return ma < mb ? -1 : ma > mb ? 1 : 0;
    });
    const z = new RedisZset();
    if (n <= limits.zsetMaxListpackEntries && maxLen <= limits.zsetMaxListpackValue) {
      const ms = z.#members!;
      const ss = z.#scores!;
      for (let i = 0; i < n; i++) {
        ms.push(members[order[i]]);
        ss.push(listpackScore(scores[order[i]]));
      }
    } else {
      z.#toSkiplist();
      const dict = z.#dict!;
      const tree = z.#tree!;
      for (let i = 0; i < n; i++) {
        const k = order[i];
        dict.set(members[k], scores[k]);
        tree.insert(scores[k], members[k]);
      }
    }
    return z;
  }

  #toSkiplist(): void {
    const dict = new ScoreMap();
    const tree = new ScoreTree();
    const ms = this.#members;
    if (ms !== undefined) {
      const ss = this.#scores!;
      for (let i = 0; i < ms.length; i++) {
        dict.set(ms[i], ss[i]);
        tree.insert(ss[i], ms[i]);
      }
    }
    this.#members = undefined;
    this.#scores = undefined;
    this.#dict = dict;
    this.#tree = tree;
  }

  /** Index of `member` in the listpack arrays, -1 when absent. */
  #find(member: string): number {
    const ms = this.#members!;
    for (let i = 0; i < ms.length; i++) if (ms[i] === member) return i;
    return -1;
  }

  /** Index where `(score, member)` goes in the listpack arrays. */
  #position(score: number, member: string): number {
    const ms = this.#members!;
    const ss = this.#scores!;
    let lo = 0;
    let hi = ms.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const s = ss[mid];
      if (s < score || (s === score && ms[mid] < member)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  #listpackInsert(score: number, member: string): void {
    const ms = this.#members!;
    const ss = this.#scores!;
    const i = this.#position(score, member);
    ms.splice(i, 0, member);
    ss.splice(i, 0, score);
  }

  #listpackRemoveAt(i: number): void {
    this.#members!.splice(i, 1);
    this.#scores!.splice(i, 1);
  }

  /** The score of `member`, or undefined when it is not in the set. */
  score(member: string): number | undefined {
    if (this.#members !== undefined) {
      const i = this.#find(member);
      return i === -1 ? undefined : this.#scores![i];
    }
    return this.#dict!.get(member);
  }

  /** Whether `member` is in the set. */
  has(member: string): boolean {
    return this.#members !== undefined ? this.#find(member) !== -1 : this.#dict!.has(member);
  }

  /**
   * Adds `member` (which must not be in the set) with `score` (not NaN).
   * Converts a listpack to a skiplist first when the new size would
   * exceed `zset-max-listpack-entries` or `member` is longer than
   * `zset-max-listpack-value` bytes, as Redis's `zsetAdd` does.
   */
  add(member: string, score: number, limits: EncodingLimits): void {
    if (this.#members !== undefined) {
      if (
        this.#members.length + 1 > limits.zsetMaxListpackEntries ||
        member.length > limits.zsetMaxListpackValue
      ) {
        this.#toSkiplist();
      } else {
        this.#listpackInsert(listpackScore(score), member);
        return;
      }
    }
    this.#dict!.set(member, score);
    this.#tree!.insert(score, member);
  }

  /**
   * Changes the score of `member` (which is in the set with score
   * `current`) to `score`. A no-op when they are equal (`-0` equals `0`,
   * as in Redis).
   */
  update(member: string, current: number, score: number): void {
    if (score === current) return;
    if (this.#members !== undefined) {
      this.#listpackRemoveAt(this.#find(member));
      this.#listpackInsert(listpackScore(score), member);
      return;
    }
    this.#tree!.delete(current, member);
    this.#tree!.insert(score, member);
    this.#dict!.set(member, score);
  }

  /** Removes `member`; false when it was not in the set. */
  delete(member: string): boolean {
    if (this.#members !== undefined) {
      const i = this.#find(member);
      if (i === -1) return false;
      this.#listpackRemoveAt(i);
      return true;
    }
    const score = this.#dict!.get(member);
    if (score === undefined) return false;
    this.#dict!.delete(member);
    this.#tree!.delete(score, member);
    return true;
  }

  /**
   * The 0-based rank of `member` (lowest score first), -1 when absent.
   * O(log n) for a skiplist.
   */
  rank(member: string): number {
    if (this.#members !== undefined) {
      const i = this.#find(member);
      return i;
    }
    const score = this.#dict!.get(member);
    return score === undefined ? -1 : this.#tree!.rank(score, member);
  }

  /** The member at 0-based rank `rank` (`0 <= rank < size`). */
  memberAt(rank: number): string {
    if (this.#members !== undefined) return this.#members[rank];
    return this.#tree!.seek(rank).member;
  }

  /** The score at 0-based rank `rank` (`0 <= rank < size`). */
  scoreAt(rank: number): number {
    if (this.#scores !== undefined) return this.#scores[rank];
    return this.#tree!.seek(rank).score;
  }

  /**
   * Calls `fn(member, score)` for the ranks `[lo, hi)`, in ascending
   * order, or descending (from `hi - 1` down to `lo`) when `reverse`.
   * Stops early when `fn` returns `false`. Do not modify the set from
   * `fn`.
   */
  forEachInRanks(
    lo: number,
    hi: number,
    reverse: boolean,
    fn: (member: string, score: number) => boolean | void,
  ): void {
    if (lo >= hi) return;
    if (this.#members !== undefined) {
      const ms = this.#members;
      const ss = this.#scores!;
      if (reverse) {
        for (let i = hi - 1; i >= lo; i--) if (fn(ms[i], ss[i]) === false) return;
      } else {
        for (let i = lo; i < hi; i++) if (fn(ms[i], ss[i]) === false) return;
      }
      return;
    }
    const c = this.#tree!.seek(reverse ? hi - 1 : lo);
    let left = hi - lo;
    if (reverse) {
      do {
        if (fn(c.member, c.score) === false) return;
      } while (--left > 0 && c.prev());
    } else {
      do {
        if (fn(c.member, c.score) === false) return;
      } while (--left > 0 && c.next());
    }
  }

  /**
   * Calls `fn(member, score)` for every member, in no promised order (the
   * fastest walk: the map of a skiplist, the arrays of a listpack).
   */
  forEach(fn: (member: string, score: number) => void): void {
    if (this.#members !== undefined) {
      const ms = this.#members;
      const ss = this.#scores!;
      for (let i = 0; i < ms.length; i++) fn(ms[i], ss[i]);
    } else {
      this.#dict!.forEach(fn);
    }
  }

  /** Removes the members of ranks `[lo, hi)` (clamped by the caller); returns how many. */
  deleteRanks(lo: number, hi: number): number {
    if (lo >= hi) return 0;
    if (this.#members !== undefined) {
      this.#members.splice(lo, hi - lo);
      this.#scores!.splice(lo, hi - lo);
      return hi - lo;
    }
    const dict = this.#dict!;
    if (lo === 0 && hi === dict.size) {
      dict.clear();
      this.#tree!.clear();
    } else {
      this.#tree!.deleteRange(lo, hi, (m) => dict.delete(m));
    }
    return hi - lo;
  }

  /** Number of members with a score below `value` (at most `value` when `inclusive`). */
  #countScoreBelow(value: number, inclusive: boolean): number {
    if (this.#scores === undefined) return this.#tree!.countScoreBelow(value, inclusive);
    const ss = this.#scores;
    let lo = 0;
    let hi = ss.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (inclusive ? ss[mid] <= value : ss[mid] < value) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /**
   * The rank interval `[lo, hi)` of the members whose score is in
   * `range` (empty `[0, 0]` when none). O(log n).
   */
  scoreRange(range: ScoreRange): [number, number] {
    const { min, max } = range;
    if (min > max || (min === max && (range.minExclusive || range.maxExclusive))) return EMPTY;
    const lo = this.#countScoreBelow(min, range.minExclusive);
    const hi = this.#countScoreBelow(max, !range.maxExclusive);
    return lo < hi ? [lo, hi] : EMPTY;
  }

  /**
   * The rank interval `[lo, hi)` that Redis walks for the lex range
   * `range`: forward (ZRANGEBYLEX, ZLEXCOUNT, ZREMRANGEBYLEX) from the
   * first member at or above `min` while members stay within `max`, or,
   * `reverse` (ZREVRANGEBYLEX), backwards from the last member within
   * `max` while members stay at or above `min`. Meaningful when all
   * scores are equal, as Redis documents; otherwise a listpack gives
   * Redis's exact walk and a skiplist a well-defined one.
   */
  lexRange(range: LexRange, reverse: boolean): [number, number] {
    const n = this.size;
    if (n === 0 || !lexRangeValid(range)) return EMPTY;
    if (!lexGteMin(this.memberAt(n - 1), range) || !lexLteMax(this.memberAt(0), range)) {
      return EMPTY;
    }
    const ms = this.#members;
    if (ms !== undefined) {
      if (!reverse) {
        let i = 0;
        while (i < n && !lexGteMin(ms[i], range)) i++;
        if (i === n || !lexLteMax(ms[i], range)) return EMPTY;
        let j = i + 1;
        while (j < n && lexLteMax(ms[j], range)) j++;
        return [i, j];
      }
      let i = n - 1;
      while (i >= 0 && !lexLteMax(ms[i], range)) i--;
      if (i < 0 || !lexGteMin(ms[i], range)) return EMPTY;
      let j = i - 1;
      while (j >= 0 && lexGteMin(ms[j], range)) j--;
      return [j + 1, i + 1];
    }
    const tree = this.#tree!;
    const min = range.min;
    const max = range.max;
    const lo = min.kind === LEX_MINUS
      ? 0
      : min.kind === LEX_PLUS
      ? n
      : tree.countMemberBelow(min.value, min.exclusive);
    const hi = max.kind === LEX_PLUS
      ? n
      : max.kind === LEX_MINUS
      ? 0
      : tree.countMemberBelow(max.value, !max.exclusive);
    return lo < hi ? [lo, hi] : EMPTY;
  }

  /**
   * The text of `score` as `ZSCAN` shows it for this set's encoding
   * (integers in a listpack, `%.17g` in a skiplist).
   */
  scanScoreText(score: number): string {
    return this.#members !== undefined ? formatListpackScore(score) : formatSkiplistScore(score);
  }

  /**
   * One step of ZSCAN: calls `fn(member, score)` for about `count` members
   * from `cursor` (0 starts) and returns the next cursor (0 when done).
   * A listpack is returned whole, as Redis does. For a skiplist the
   * cursor is an order-preserving code of a score (below 2^63): a call
   * resumes at the first member with that score and always ends after the
   * last member of a score, so every member present for the whole scan is
   * returned at least once, however the set changes in between (members
   * sharing one score come back in one call).
   */
  scan(cursor: bigint, count: number, fn: (member: string, score: number) => void): bigint {
    if (this.#members !== undefined) {
      this.forEach(fn);
      return 0n;
    }
    const tree = this.#tree!;
    const n = tree.size;
    let lo = 0;
    if (cursor !== 0n) lo = tree.countScoreBelow(decodeScoreCursor(cursor), false);
    if (lo >= n) return 0n;
    const c = tree.seek(lo);
    let taken = 0;
    let last = c.score;
    let more = true;
    while (true) {
      const s = c.score;
      if (taken >= count && s !== last) break;
      fn(c.member, s);
      taken++;
      last = s;
      if (!c.next()) {
        more = false;
        break;
      }
    }
    return more ? encodeScoreCursor(c.score) : 0n;
  }
}

const cursorView = new DataView(new ArrayBuffer(8));
const SIGN = 1n << 63n;
const ALL = (1n << 64n) - 1n;

/**
 * A ZSCAN cursor for a score: its order-preserving 64-bit code shifted to
 * 63 bits, so that clients reading cursors as signed 64-bit integers keep
 * them intact. Never 0. Dropping the lowest bit rounds the position down:
 * a resumed scan may repeat members, never skip one.
 */
function encodeScoreCursor(score: number): bigint {
  cursorView.setFloat64(0, score === 0 ? 0 : score);
  const bits = cursorView.getBigUint64(0);
  const code = (bits & SIGN) !== 0n ? ~bits & ALL : bits | SIGN;
  return code >> 1n;
}

/** The score a ZSCAN cursor stands for (any cursor decodes to some score). */
function decodeScoreCursor(cursor: bigint): number {
  const c = (cursor << 1n) & ALL;
  const bits = (c & SIGN) !== 0n ? c & ~SIGN : ~c & ALL;
  cursorView.setBigUint64(0, bits);
  const v = cursorView.getFloat64(0);
  return v !== v ? ((c & SIGN) !== 0n ? Infinity : -Infinity) : v;
}

/**
 * The sorted set type for the keyspace's typed lookups (`ctx.db.read(key,
 * ZSET)`, `getOrCreate`, ...): a new one starts as an empty listpack.
 */
export const ZSET: ValueType<RedisZset> = {
  name: "zset",
  is: (value: Value): value is RedisZset => value instanceof RedisZset,
  create: () => new RedisZset(),
};
