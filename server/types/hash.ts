/**
 * The HASH type: a map from fields to values, both binary strings (one char
 * per byte, as `toBinary` in `resp/bytes.ts` makes them), with Redis 7.0's
 * two encodings and its one-way conversion rule:
 *
 * - `listpack`: every entry packed into ONE binary string, in insertion
 *   order, searched linearly, as Redis's listpack: the number of entries,
 *   then each field and value, each number being a length (one char below
 *   255, else char 255 and four chars, big-endian) and each string its
 *   length followed by its chars. 100k hashes of 10 small fields cost one short
 *   string each instead of 20 strings and an array. A hash starts so and
 *   stays so while it has at most `hash-max-listpack-entries` fields and no
 *   field or value longer than `hash-max-listpack-value` bytes. Strings are
 *   immutable, so a copy (COPY) shares it.
 * - `hashtable`: parallel `fields`/`values` arrays plus a `Map` from field to
 *   position: O(1) lookup, insert, delete (the last entry moves into the
 *   hole) and random pick. Never converted back.
 *
 * Iterate with {@linkcode RedisHash.forEach} or
 * {@linkcode RedisHash.entries} (O(n)): listpack order is insertion order
 * (what HGETALL replies for a small hash, as Redis); hashtable order is
 * unspecified, as Redis's. Positions `0 .. size - 1`
 * ({@linkcode RedisHash.fieldAt}, {@linkcode RedisHash.valueAt}) are stable
 * until the next modification; they cost O(position) in a listpack.
 *
 * @example
 * ```ts
 * import { RedisHash } from "./hash.ts";
 * import { DEFAULT_ENCODING_LIMITS } from "./limits.ts";
 * const h = new RedisHash(DEFAULT_ENCODING_LIMITS);
 * h.set("name", "redis");
 * console.log(h.get("name"), h.size, h.encoding); // "redis" 1 "listpack"
 * ```
 *
 * @module
 */

import type { RedisObject, Value, ValueType } from "../db/keyspace.ts";
import type { EncodingLimits } from "./limits.ts";

/** The hashtable encoding's storage. */
class Table {
  /** Field -> position in `fields` / `values`. */
  readonly index = new Map<string, number>();
  readonly fields: string[] = [];
  readonly values: string[] = [];

  add(field: string, value: string): void {
    this.index.set(field, this.fields.length);
    this.fields.push(field);
    this.values.push(value);
  }
}

// ---- the packed (listpack) form ----

/** The packed form of an empty hash: a count of 0. */
const EMPTY = "\0";

/** Lengths from this value on take a 5-char header. */
const LONG = 255;

/** The header of a string of `n` chars. */
function header(n: number): string {
  return n < LONG
    ? String.fromCharCode(n)
    : String.fromCharCode(LONG, n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255);
}

/** Chars taken by the header of a string of `n` chars. */
function headerSize(n: number): number {
  return n < LONG ? 1 : 5;
}

/** The length stored at `pos` of `p`. */
function lengthAt(p: string, pos: number): number {
  const c = p.charCodeAt(pos);
  if (c < LONG) return c;
  return ((p.charCodeAt(pos + 1) << 24) >>> 0) + (p.charCodeAt(pos + 2) << 16) +
    (p.charCodeAt(pos + 3) << 8) + p.charCodeAt(pos + 4);
}

/**
 * A new flat string of `parts` joined. V8 builds `a + b` as a rope (a
 * "cons string") and a slice as a view that keeps its parent alive; both
 * would keep every earlier version of a packed hash in memory. `join`
 * always builds one flat sequential string.
 */
function flat(parts: string[]): string {
  let nonEmpty = 0;
  let last = "";
  for (const p of parts) {
    if (p.length > 0) {
      nonEmpty++;
      last = p;
    }
  }
  // one part alone may be a slice: copy it through two parts
  if (nonEmpty === 1) return [last.slice(0, 1), last.slice(1)].join("");
  return parts.join("");
}

/** Whether `s` equals `p[from, from + s.length)`. */
function equalsAt(p: string, from: number, s: string): boolean {
  const n = s.length;
  for (let i = 0; i < n; i++) if (p.charCodeAt(from + i) !== s.charCodeAt(i)) return false;
  return true;
}

// Where the last `find` found its entry (the module runs one call at a time).
/** Start of the entry (its field's header). */
let foundEntry = 0;
/** Start of the value's header. */
let foundValue = 0;
/** Start of the value's chars. */
let foundValueChars = 0;
/** End of the entry. */
let foundEnd = 0;

/** The number of entries of the packed `p`. */
function countOf(p: string): number {
  return lengthAt(p, 0);
}

/** Where the entries of the packed `p` start (after the count). */
function firstEntry(p: string): number {
  return headerSize(lengthAt(p, 0));
}

/** Finds `field` in the packed `p`; sets the `found*` positions. */
function find(p: string, field: string): boolean {
  const n = field.length;
  let pos = firstEntry(p);
  const end = p.length;
  while (pos < end) {
    const flen = lengthAt(p, pos);
    const fchars = pos + headerSize(flen);
    const vpos = fchars + flen;
    const vlen = lengthAt(p, vpos);
    const vchars = vpos + headerSize(vlen);
    if (flen === n && equalsAt(p, fchars, field)) {
      foundEntry = pos;
      foundValue = vpos;
      foundValueChars = vchars;
      foundEnd = vchars + vlen;
      return true;
    }
    pos = vchars + vlen;
  }
  return false;
}

/** Calls `visit` with the field and value of every packed entry, in order. */
function eachPacked(p: string, visit: (field: string, value: string) => void): void {
  let pos = firstEntry(p);
  const end = p.length;
  while (pos < end) {
    const flen = lengthAt(p, pos);
    const fchars = pos + headerSize(flen);
    const vpos = fchars + flen;
    const vlen = lengthAt(p, vpos);
    const vchars = vpos + headerSize(vlen);
    pos = vchars + vlen;
    visit(p.slice(fchars, vpos), p.slice(vchars, pos));
  }
}

/** The start of the `i`-th packed entry (`i` below the entry count). */
function entryStart(p: string, i: number): number {
  let pos = firstEntry(p);
  for (let k = 0; k < i; k++) {
    const flen = lengthAt(p, pos);
    const vpos = pos + headerSize(flen) + flen;
    const vlen = lengthAt(p, vpos);
    pos = vpos + headerSize(vlen) + vlen;
  }
  return pos;
}

/**
 * A Redis hash; see the module documentation. Fields and values are binary
 * strings. Methods that add entries may convert the encoding according to
 * the keyspace's {@linkcode EncodingLimits} given at creation (read at each
 * change, so CONFIG SET applies to existing hashes as in Redis).
 */
export class RedisHash implements RedisObject {
  /** The packed listpack string (see the module documentation), or the hashtable. */
  #data: string | Table = EMPTY;
  #limits: EncodingLimits;

  /**
   * An empty hash in the listpack encoding.
   *
   * @param limits the thresholds of the compact encoding (the keyspace's `limits`)
   */
  constructor(limits: EncodingLimits) {
    this.#limits = limits;
  }

  /** The Redis type name, `hash`. */
  get type(): string {
    return "hash";
  }

  /** Number of fields (HLEN). */
  get size(): number {
    const d = this.#data;
    return typeof d === "string" ? countOf(d) : d.fields.length;
  }

  /** `listpack` or `hashtable` (OBJECT ENCODING). */
  get encoding(): string {
    return typeof this.#data === "string" ? "listpack" : "hashtable";
  }

  /** Whether the hash is in the compact (listpack) encoding. */
  get compact(): boolean {
    return typeof this.#data === "string";
  }

  /** The value of `field`, or `undefined`. */
  get(field: string): string | undefined {
    const d = this.#data;
    if (typeof d === "string") {
      return find(d, field) ? d.slice(foundValueChars, foundEnd) : undefined;
    }
    const i = d.index.get(field);
    return i === undefined ? undefined : d.values[i];
  }

  /** Whether `field` exists (HEXISTS). */
  has(field: string): boolean {
    const d = this.#data;
    return typeof d === "string" ? find(d, field) : d.index.has(field);
  }

  /** The length of the value of `field` (HSTRLEN), 0 when it does not exist. */
  valueLength(field: string): number {
    const d = this.#data;
    if (typeof d === "string") return find(d, field) ? foundEnd - foundValueChars : 0;
    const i = d.index.get(field);
    return i === undefined ? 0 : d.values[i].length;
  }

  /**
   * Sets `field` to `value`; returns true when the field is new, false when
   * an existing value was replaced (in place: a listpack entry keeps its
   * position). Converts to a hashtable first when the field or value is
   * longer than `hash-max-listpack-value`, and after adding when the hash
   * has more than `hash-max-listpack-entries` fields (Redis's
   * `hashTypeSet`).
   */
  set(field: string, value: string): boolean {
    let d = this.#data;
    if (typeof d === "string") {
      const max = this.#limits.hashMaxListpackValue;
      if (field.length > max || value.length > max) d = this.#convert();
    }
    if (typeof d === "string") {
      if (find(d, field)) {
        const n = value.length;
        if (foundEnd - foundValueChars !== n || !equalsAt(d, foundValueChars, value)) {
          this.#data = flat([d.slice(0, foundValue), header(n), value, d.slice(foundEnd)]);
        }
        return false;
      }
      const count = countOf(d) + 1;
      this.#data = flat([
        header(count),
        d.slice(firstEntry(d)),
        header(field.length),
        field,
        header(value.length),
        value,
      ]);
      if (count > this.#limits.hashMaxListpackEntries) this.#convert();
      return true;
    }
    const i = d.index.get(field);
    if (i !== undefined) {
      d.values[i] = value;
      return false;
    }
    d.add(field, value);
    return true;
  }

  /**
   * Sets several fields at once (HSET's pairs): `pairs` is `[field0,
   * value0, field1, value1, ...]`; returns how many fields were new. The
   * result is that of {@linkcode set} on each pair in order (a later pair
   * wins), but a listpack is rebuilt once instead of once per pair.
   */
  setMany(pairs: readonly string[]): number {
    const d0 = this.#data;
    if (typeof d0 !== "string" || pairs.length === 2) {
      let created = 0;
      for (let i = 0; i < pairs.length; i += 2) if (this.set(pairs[i], pairs[i + 1])) created++;
      return created;
    }
    const max = this.#limits.hashMaxListpackValue;
    for (let i = 0; i < pairs.length; i++) {
      if (pairs[i].length > max) {
        this.#convert();
        return this.setMany(pairs);
      }
    }
    let d = d0;
    /** New entries: header, field, header, value (4 parts each). */
    const added: string[] = [];
    /** New field -> index of its header in `added`. */
    const fresh = new Map<string, number>();
    for (let i = 0; i < pairs.length; i += 2) {
      const f = pairs[i];
      const v = pairs[i + 1];
      const at = fresh.get(f);
      if (at !== undefined) {
        added[at + 2] = header(v.length);
        added[at + 3] = v;
      } else if (find(d, f)) {
        if (foundEnd - foundValueChars !== v.length || !equalsAt(d, foundValueChars, v)) {
          d = flat([d.slice(0, foundValue), header(v.length), v, d.slice(foundEnd)]);
        }
      } else {
        fresh.set(f, added.length);
        added.push(header(f.length), f, header(v.length), v);
      }
    }
    if (fresh.size === 0) {
      this.#data = d;
      return 0;
    }
    const count = countOf(d) + fresh.size;
    this.#data = flat([header(count), d.slice(firstEntry(d)), ...added]);
    if (count > this.#limits.hashMaxListpackEntries) this.#convert();
    return fresh.size;
  }

  /**
   * Converts to a hashtable now when a string of `longest` bytes is about
   * to be added and that is longer than `hash-max-listpack-value` (Redis's
   * `hashTypeTryConversion`, run on all of HSET's arguments before the
   * first is added).
   */
  prepareFor(longest: number): void {
    if (typeof this.#data === "string" && longest > this.#limits.hashMaxListpackValue) {
      this.#convert();
    }
  }

  /** Removes `field`; true when it existed. A listpack keeps the order of the rest. */
  delete(field: string): boolean {
    const d = this.#data;
    if (typeof d === "string") {
      if (!find(d, field)) return false;
      const start = firstEntry(d);
      this.#data = flat([
        header(countOf(d) - 1),
        d.slice(start, foundEntry),
        d.slice(foundEnd),
      ]);
      return true;
    }
    const i = d.index.get(field);
    if (i === undefined) return false;
    d.index.delete(field);
    const last = d.fields.length - 1;
    if (i !== last) {
      const f = d.fields[last];
      d.fields[i] = f;
      d.values[i] = d.values[last];
      d.index.set(f, i);
    }
    d.fields.pop();
    d.values.pop();
    return true;
  }

  /**
   * The field at position `i` (`0 <= i < size`); positions change on
   * modification. O(i) in a listpack: iterate with {@linkcode forEach}.
   */
  fieldAt(i: number): string {
    const d = this.#data;
    if (typeof d !== "string") return d.fields[i];
    const pos = entryStart(d, i);
    const flen = lengthAt(d, pos);
    const from = pos + headerSize(flen);
    return d.slice(from, from + flen);
  }

  /**
   * The value at position `i` (`0 <= i < size`); positions change on
   * modification. O(i) in a listpack: iterate with {@linkcode forEach}.
   */
  valueAt(i: number): string {
    const d = this.#data;
    if (typeof d !== "string") return d.values[i];
    const pos = entryStart(d, i);
    const vpos = pos + headerSize(lengthAt(d, pos)) + lengthAt(d, pos);
    const vlen = lengthAt(d, vpos);
    const from = vpos + headerSize(vlen);
    return d.slice(from, from + vlen);
  }

  /**
   * Calls `visit` for every entry, in position order (insertion order for
   * a listpack). Do not modify the hash from the callback.
   */
  forEach(visit: (field: string, value: string) => void): void {
    const d = this.#data;
    if (typeof d === "string") {
      eachPacked(d, visit);
      return;
    }
    for (let i = 0; i < d.fields.length; i++) visit(d.fields[i], d.values[i]);
  }

  /** The entries as `[field, value]` pairs, in position order (a new array). */
  entries(): [string, string][] {
    const out: [string, string][] = [];
    this.forEach((f, v) => out.push([f, v]));
    return out;
  }

  /** A uniformly random position in `0 .. size - 1` (the hash must not be empty). */
  randomIndex(): number {
    return Math.floor(Math.random() * this.size);
  }

  /**
   * One HSCAN step over a hashtable: visits up to `count` positions below
   * `cursor` (0 = start), from the highest down, and returns the cursor to
   * continue from (0 when done). Every entry present for the whole
   * iteration is visited at least once: deleting moves only the last entry,
   * which was either visited already or moves below the cursor; new entries
   * are appended above it. A listpack is visited whole in one step (cursor
   * 0 returned), as Redis replies for its compact encodings.
   */
  scan(cursor: number, count: number, visit: (field: string, value: string) => void): number {
    const d = this.#data;
    if (typeof d === "string") {
      eachPacked(d, visit);
      return 0;
    }
    let i = cursor === 0 || cursor > d.fields.length ? d.fields.length : cursor;
    const stop = i > count ? i - count : 0;
    while (i > stop) {
      i--;
      visit(d.fields[i], d.values[i]);
    }
    return i;
  }

  /** A deep copy with the same encoding (COPY); a listpack's string is shared (immutable). */
  clone(): RedisHash {
    const h = new RedisHash(this.#limits);
    const d = this.#data;
    if (typeof d === "string") {
      h.#data = d;
    } else {
      const t = new Table();
      for (let i = 0; i < d.fields.length; i++) t.add(d.fields[i], d.values[i]);
      h.#data = t;
    }
    return h;
  }

  /** Listpack -> hashtable (one way); returns the table. */
  #convert(): Table {
    const t = new Table();
    eachPacked(this.#data as string, (f, v) => t.add(f, v));
    this.#data = t;
    return t;
  }
}

/**
 * The hash value type for the keyspace's typed lookups
 * (`ctx.db.read(key, HASH)`, `ctx.db.getOrCreate(key, HASH)`).
 *
 * @example
 * ```ts
 * import { Keyspace } from "../db/keyspace.ts";
 * import { HASH } from "./hash.ts";
 * using db = new Keyspace({ sweepIntervalMs: 0 });
 * db.getOrCreate("h", HASH).set("f", "v");
 * console.log(db.read("h", HASH)?.get("f")); // "v"
 * ```
 */
export const HASH: ValueType<RedisHash> = {
  name: "hash",
  is: (value: Value): value is RedisHash => value instanceof RedisHash,
  create: (limits: EncodingLimits) => new RedisHash(limits),
};
