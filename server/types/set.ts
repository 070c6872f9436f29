/**
 * The SET type: unordered unique binary-string members (one char per byte,
 * as `toBinary` in `resp/bytes.ts` makes them), with Redis 7.0's two
 * encodings and its one-way conversion rule:
 *
 * - `intset`: a sorted array of 64-bit integers (`number`, or `bigint`
 *   beyond 2^53: mixed comparisons are exact), binary-searched. A set starts
 *   so and stays so while every member is an integer in Redis's canonical
 *   form (`string2ll`: no `+`, no leading zeros, no `-0`) and it has at most
 *   `set-max-intset-entries` members. Iteration is in ascending order, as
 *   Redis's.
 * - `hashtable`: a members array plus a `Map` from member to position: O(1)
 *   membership, insert, delete (the last member moves into the hole) and
 *   random pick. Integer members are kept as numbers (no string each), so
 *   a million integers cost about what Redis's dict does. Iteration order
 *   is unspecified, as Redis's.
 *
 * Positions `0 .. size - 1` address the members in both encodings
 * ({@linkcode RedisSet.memberAt}); they are stable until the next
 * modification. The set algebra of SINTER, SUNION and SDIFF (with Redis's
 * choice of algorithm, which decides the encoding of a stored result) and
 * the random picks of SPOP and SRANDMEMBER (with Redis's strategies) are
 * here too, free of RESP.
 *
 * @example
 * ```ts
 * import { RedisSet } from "./set.ts";
 * import { DEFAULT_ENCODING_LIMITS } from "./limits.ts";
 * const s = new RedisSet(DEFAULT_ENCODING_LIMITS);
 * s.add("3");
 * s.add("1");
 * console.log(s.toArray(), s.encoding); // ["1", "3"] "intset"
 * s.add("x");
 * console.log(s.has("x"), s.size, s.encoding); // true 3 "hashtable"
 * ```
 *
 * @module
 */

import type { RedisObject, Value, ValueType } from "../db/keyspace.ts";
import type { EncodingLimits } from "./limits.ts";

/** An intset element: a safe integer as a `number`, larger ones as `bigint`. */
type Int = number | bigint;

const MAX_I64 = 9223372036854775807n;
const MIN_I64 = -9223372036854775808n;
/** Redis caps `set-max-intset-entries` at 2^30 (intset internals). */
const INTSET_HARD_LIMIT = 1 << 30;

/**
 * The integer a member stands for when it is one in Redis's canonical form
 * (`string2ll`: optional `-`, no `+`, no leading zeros, no `-0`, within
 * int64), else `null`. Such members may live in an intset.
 *
 * @example
 * ```ts
 * import { integerMember } from "./set.ts";
 * console.log(integerMember("-42"), integerMember("042"), integerMember("1.0")); // -42 null null
 * ```
 */
export function integerMember(s: string): number | bigint | null {
  const len = s.length;
  if (len === 0 || len > 20) return null;
  let i = 0;
  let negative = false;
  if (s.charCodeAt(0) === 45) {
    negative = true;
    i = 1;
    if (len === 1) return null;
  }
  const first = s.charCodeAt(i);
  if (first === 48) return len === 1 ? 0 : null;
  if (first < 49 || first > 57) return null;
  let v = 0;
  for (let j = i; j < len; j++) {
    const d = s.charCodeAt(j) - 48;
    if (d < 0 || d > 9) return null;
    v = v * 10 + d;
  }
  if (len - i <= 15) return negative ? -v : v;
  const big = BigInt(s);
  if (big > MAX_I64 || big < MIN_I64) return null;
  return Number.isSafeInteger(Number(big)) ? Number(big) : big;
}

/** Index of `v` in the sorted `a`, or `-(insertion point) - 1`. */
function search(a: Int[], v: Int): number {
  let lo = 0;
  let hi = a.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const x = a[mid];
    if (x < v) lo = mid + 1;
    else if (x > v) hi = mid - 1;
    else return mid;
  }
  return -lo - 1;
}

/**
 * A hashtable member as stored: a canonical integer within 2^53 as a
 * `number` (no string kept per integer member), any other member as its
 * binary string. Distinct members have distinct keys: the canonical
 * decimal form of an integer is unique.
 */
type Key = number | string;

/** The stored key of `member` (see {@linkcode Key}). */
function keyOf(member: string): Key {
  const v = integerMember(member);
  return typeof v === "number" ? v : member;
}

/** The member a stored key stands for. */
function memberOf(k: Key): string {
  return typeof k === "number" ? String(k) : k;
}

/** The hashtable encoding's storage. */
class Table {
  /** Key -> position in `keys`. */
  readonly index = new Map<Key, number>();
  readonly keys: Key[] = [];

  add(k: Key): boolean {
    if (this.index.has(k)) return false;
    this.index.set(k, this.keys.length);
    this.keys.push(k);
    return true;
  }

  delete(k: Key): boolean {
    const i = this.index.get(k);
    if (i === undefined) return false;
    this.index.delete(k);
    const keys = this.keys;
    const last = keys.pop()!;
    if (i !== keys.length) {
      keys[i] = last;
      this.index.set(last, i);
    }
    return true;
  }
}

/** How SPOP with a count removes its members (Redis's SPOP_MOVE_STRATEGY_MUL). */
const SPOP_MOVE_STRATEGY_MUL = 5;
/** When SRANDMEMBER copies the set and removes picks (Redis's SRANDMEMBER_SUB_STRATEGY_MUL). */
const SRANDMEMBER_SUB_STRATEGY_MUL = 3;

/**
 * A Redis set; see the module documentation. Methods that add members may
 * convert the encoding according to the keyspace's
 * {@linkcode EncodingLimits} given at creation (read at each change, so
 * CONFIG SET applies to existing sets as in Redis).
 */
export class RedisSet implements RedisObject {
  /** Intset form (sorted); `undefined` once a hashtable. */
  #ints: Int[] | undefined = [];
  /** Hashtable form. */
  #table: Table | undefined;
  #limits: EncodingLimits;

  /**
   * An empty set in the intset encoding. (A new set in Redis is an intset
   * when its first member is an integer, else a hashtable; starting as an
   * intset and converting on the first non-integer gives the same result.)
   *
   * @param limits the thresholds of the compact encoding (the keyspace's `limits`)
   */
  constructor(limits: EncodingLimits) {
    this.#limits = limits;
  }

  /** The Redis type name, `set`. */
  get type(): string {
    return "set";
  }

  /** Number of members (SCARD). */
  get size(): number {
    const ints = this.#ints;
    return ints !== undefined ? ints.length : this.#table!.keys.length;
  }

  /** `intset` or `hashtable` (OBJECT ENCODING). */
  get encoding(): string {
    return this.#ints !== undefined ? "intset" : "hashtable";
  }

  /** Whether the set is in the compact (intset) encoding. */
  get compact(): boolean {
    return this.#ints !== undefined;
  }

  /** Whether `member` is in the set (SISMEMBER). */
  has(member: string): boolean {
    const ints = this.#ints;
    if (ints === undefined) return this.#table!.index.has(keyOf(member));
    const v = integerMember(member);
    return v !== null && search(ints, v) >= 0;
  }

  /**
   * Adds `member`; true when it was not there. An intset becomes a
   * hashtable when the member is not an integer, or when it then has more
   * than `set-max-intset-entries` members (Redis's `setTypeAdd`).
   */
  add(member: string): boolean {
    const ints = this.#ints;
    if (ints === undefined) return this.#table!.add(keyOf(member));
    const v = integerMember(member);
    if (v === null) {
      this.#convert();
      return this.#table!.add(member);
    }
    const at = search(ints, v);
    if (at >= 0) return false;
    ints.splice(-at - 1, 0, v);
    let max = this.#limits.setMaxIntsetEntries;
    if (max > INTSET_HARD_LIMIT) max = INTSET_HARD_LIMIT;
    if (ints.length > max) this.#convert();
    return true;
  }

  /** Removes `member`; true when it was there. */
  delete(member: string): boolean {
    const ints = this.#ints;
    if (ints === undefined) return this.#table!.delete(keyOf(member));
    const v = integerMember(member);
    if (v === null) return false;
    const at = search(ints, v);
    if (at < 0) return false;
    ints.splice(at, 1);
    return true;
  }

  /** Removes every member (the encoding stays). */
  clear(): void {
    if (this.#ints !== undefined) this.#ints = [];
    else this.#table = new Table();
  }

  /** The member at position `i` (`0 <= i < size`); positions change on modification. */
  memberAt(i: number): string {
    const ints = this.#ints;
    return ints !== undefined ? String(ints[i]) : memberOf(this.#table!.keys[i]);
  }

  /**
   * Calls `visit` for every member, in position order (ascending for an
   * intset). Do not modify the set from the callback.
   */
  forEach(visit: (member: string) => void): void {
    const ints = this.#ints;
    if (ints !== undefined) {
      for (let i = 0; i < ints.length; i++) visit(String(ints[i]));
      return;
    }
    const keys = this.#table!.keys;
    for (let i = 0; i < keys.length; i++) visit(memberOf(keys[i]));
  }

  /** The members in position order (a new array). */
  toArray(): string[] {
    const ints = this.#ints;
    if (ints !== undefined) return ints.map(String);
    return this.#table!.keys.map(memberOf);
  }

  /** The members in position order. */
  *values(): IterableIterator<string> {
    const n = this.size;
    for (let i = 0; i < n; i++) yield this.memberAt(i);
  }

  /** A uniformly random position in `0 .. size - 1` (the set must not be empty). */
  randomIndex(): number {
    return Math.floor(Math.random() * this.size);
  }

  /** A random member (SRANDMEMBER without a count); the set must not be empty. */
  randomMember(): string {
    return this.memberAt(this.randomIndex());
  }

  /** Removes and returns a random member (SPOP without a count); the set must not be empty. */
  pop(): string {
    const i = this.randomIndex();
    const ints = this.#ints;
    if (ints !== undefined) return String(ints.splice(i, 1)[0]);
    const t = this.#table!;
    const k = t.keys[i];
    t.delete(k);
    return memberOf(k);
  }

  /**
   * Removes and returns `count` random members, `0 < count < size` (SPOP
   * with a count; a count of at least the size pops everything, which the
   * command does itself). As Redis: when few members remain, the
   * survivors are picked instead and become a new set (whose encoding is
   * chosen afresh, so a hashtable of integers may become an intset again),
   * and the popped members come in the old set's order.
   */
  popMany(count: number): string[] {
    const remaining = this.size - count;
    const out: string[] = [];
    if (remaining * SPOP_MOVE_STRATEGY_MUL > count) {
      for (let i = 0; i < count; i++) out.push(this.pop());
      return out;
    }
    const survivors = new RedisSet(this.#limits);
    for (let i = 0; i < remaining; i++) {
      const m = this.pop();
      survivors.add(m);
    }
    this.forEach((m) => out.push(m));
    this.#ints = survivors.#ints;
    this.#table = survivors.#table;
    return out;
  }

  /**
   * `count` distinct random members, `0 < count < size` (SRANDMEMBER with
   * a positive count below the size), in random order.
   */
  randomDistinct(count: number): string[] {
    const size = this.size;
    const out: string[] = [];
    if (count * SRANDMEMBER_SUB_STRATEGY_MUL > size) {
      // a partial Fisher-Yates shuffle of the positions
      const pos = new Uint32Array(size);
      for (let i = 0; i < size; i++) pos[i] = i;
      for (let i = 0; i < count; i++) {
        const j = i + Math.floor(Math.random() * (size - i));
        const t = pos[i];
        pos[i] = pos[j];
        pos[j] = t;
        out.push(this.memberAt(pos[i]));
      }
      return out;
    }
    const picked = new Set<number>();
    while (picked.size < count) {
      const i = this.randomIndex();
      if (!picked.has(i)) {
        picked.add(i);
        out.push(this.memberAt(i));
      }
    }
    return out;
  }

  /**
   * One SSCAN step over a hashtable: visits up to `count` positions below
   * `cursor` (0 = start), from the highest down, and returns the cursor to
   * continue from (0 when done). Every member present for the whole
   * iteration is visited at least once: deleting moves only the last
   * member, which was either visited already or moves below the cursor; new
   * members are appended above it. An intset is visited whole in one step
   * (cursor 0 returned), as Redis replies for its compact encodings.
   */
  scan(cursor: number, count: number, visit: (member: string) => void): number {
    if (this.#ints !== undefined) {
      this.forEach(visit);
      return 0;
    }
    const keys = this.#table!.keys;
    let i = cursor === 0 || cursor > keys.length ? keys.length : cursor;
    const stop = i > count ? i - count : 0;
    while (i > stop) visit(memberOf(keys[--i]));
    return i;
  }

  /** A deep copy with the same encoding (COPY). */
  clone(): RedisSet {
    const s = new RedisSet(this.#limits);
    const ints = this.#ints;
    if (ints !== undefined) {
      s.#ints = ints.slice();
    } else {
      const t = new Table();
      for (const k of this.#table!.keys) t.add(k);
      s.#ints = undefined;
      s.#table = t;
    }
    return s;
  }

  /** Intset -> hashtable (one way). */
  #convert(): void {
    const ints = this.#ints!;
    const t = new Table();
    for (let i = 0; i < ints.length; i++) {
      const v = ints[i];
      t.add(typeof v === "number" ? v : String(v));
    }
    this.#table = t;
    this.#ints = undefined;
  }

  /**
   * Whether the set holds a member given in another set's raw form: an
   * intset integer (`number` or `bigint`) or a hashtable {@linkcode Key}.
   */
  #hasRaw(raw: Int | string): boolean {
    const ints = this.#ints;
    if (ints !== undefined) {
      if (typeof raw !== "string") return search(ints, raw) >= 0;
      const v = integerMember(raw);
      return v !== null && search(ints, v) >= 0;
    }
    return this.#table!.index.has(typeof raw === "bigint" ? String(raw) : raw);
  }

  /** The member at `i` in its raw form (no string made for an integer). */
  #rawAt(i: number): Int | string {
    const ints = this.#ints;
    return ints !== undefined ? ints[i] : this.#table!.keys[i];
  }

  /**
   * The intersection of `sets` (none missing: a missing key makes it
   * empty, which the caller handles), in the iteration order of the
   * smallest set, as SINTER replies; at most `limit` members when `limit`
   * is positive (SINTERCARD's LIMIT).
   */
  static intersect(sets: readonly RedisSet[], limit = 0): string[] {
    const sorted = [...sets].sort((a, b) => a.size - b.size);
    const first = sorted[0];
    const out: string[] = [];
    const n = first.size;
    outer: for (let i = 0; i < n; i++) {
      const raw = first.#rawAt(i);
      for (let j = 1; j < sorted.length; j++) {
        const other = sorted[j];
        if (other !== first && !other.#hasRaw(raw)) continue outer;
      }
      out.push(typeof raw === "string" ? raw : String(raw));
      if (limit > 0 && out.length >= limit) break;
    }
    return out;
  }

  /**
   * The union of `sets` (`undefined` = a missing key) as a new set built
   * as Redis builds it (an intset, members added set by set), so that its
   * encoding and order are Redis's.
   */
  static union(sets: readonly (RedisSet | undefined)[], limits: EncodingLimits): RedisSet {
    const out = new RedisSet(limits);
    for (const s of sets) if (s !== undefined) s.forEach((m) => out.add(m));
    return out;
  }

  /**
   * The difference `sets[0] - sets[1] - ...` (`undefined` = a missing key)
   * as a new set, with the algorithm Redis 7.0 would pick for these sizes
   * (which decides the result's encoding: the "add all, then remove"
   * algorithm may leave a hashtable where the other gives an intset).
   */
  static difference(
    sets: readonly (RedisSet | undefined)[],
    limits: EncodingLimits,
  ): RedisSet {
    const out = new RedisSet(limits);
    const first = sets[0];
    if (first === undefined) return out;
    let algoOne = 0;
    let algoTwo = 0;
    for (const s of sets) {
      if (s === undefined) continue;
      algoOne += first.size;
      algoTwo += s.size;
    }
    algoOne = Math.floor(algoOne / 2);
    if (algoOne <= algoTwo) {
      const n = first.size;
      for (let i = 0; i < n; i++) {
        const raw = first.#rawAt(i);
        let keep = true;
        for (let j = 1; j < sets.length; j++) {
          const s = sets[j];
          if (s === undefined) continue;
          if (s === first || s.#hasRaw(raw)) {
            keep = false;
            break;
          }
        }
        if (keep) out.add(typeof raw === "string" ? raw : String(raw));
      }
      return out;
    }
    first.forEach((m) => out.add(m));
    for (let j = 1; j < sets.length && out.size > 0; j++) {
      const s = sets[j];
      if (s !== undefined) s.forEach((m) => out.delete(m));
    }
    return out;
  }
}

/**
 * The set value type for the keyspace's typed lookups
 * (`ctx.db.read(key, SET)`, `ctx.db.getOrCreate(key, SET)`).
 *
 * @example
 * ```ts
 * import { Keyspace } from "../db/keyspace.ts";
 * import { SET } from "./set.ts";
 * using db = new Keyspace({ sweepIntervalMs: 0 });
 * db.getOrCreate("s", SET).add("a");
 * console.log(db.read("s", SET)?.has("a")); // true
 * ```
 */
export const SET: ValueType<RedisSet> = {
  name: "set",
  is: (value: Value): value is RedisSet => value instanceof RedisSet,
  create: (limits: EncodingLimits) => new RedisSet(limits),
};
