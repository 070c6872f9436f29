/**
 * The HASH type: a map from fields to values, both binary strings (one char
 * per byte, as `toBinary` in `resp/bytes.ts` makes them), with Redis 7.0's
 * two encodings and its one-way conversion rule:
 *
 * - `listpack`: a flat array `[field0, value0, field1, value1, ...]` in
 *   insertion order, searched linearly, as Redis's listpack. A hash starts
 *   so and stays so while it has at most `hash-max-listpack-entries` fields
 *   and no field or value longer than `hash-max-listpack-value` bytes.
 * - `hashtable`: parallel `fields`/`values` arrays plus a `Map` from field to
 *   position: O(1) lookup, insert, delete (the last entry moves into the
 *   hole) and random pick. Never converted back.
 *
 * Positions `0 .. size - 1` address the entries in both encodings
 * ({@linkcode RedisHash.fieldAt}, {@linkcode RedisHash.valueAt}); they are
 * stable until the next modification. Listpack order is insertion order
 * (what HGETALL replies for a small hash, as Redis); hashtable order is
 * unspecified, as Redis's.
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
}

/**
 * A Redis hash; see the module documentation. Fields and values are binary
 * strings. Methods that add entries may convert the encoding according to
 * the keyspace's {@linkcode EncodingLimits} given at creation (read at each
 * change, so CONFIG SET applies to existing hashes as in Redis).
 */
export class RedisHash implements RedisObject {
  /** Listpack form: `[f0, v0, f1, v1, ...]`; `undefined` once a hashtable. */
  #flat: string[] | undefined = [];
  /** Hashtable form. */
  #table: Table | undefined;
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
    const flat = this.#flat;
    return flat !== undefined ? flat.length >> 1 : this.#table!.fields.length;
  }

  /** `listpack` or `hashtable` (OBJECT ENCODING). */
  get encoding(): string {
    return this.#flat !== undefined ? "listpack" : "hashtable";
  }

  /** Whether the hash is in the compact (listpack) encoding. */
  get compact(): boolean {
    return this.#flat !== undefined;
  }

  /** The value of `field`, or `undefined`. */
  get(field: string): string | undefined {
    const flat = this.#flat;
    if (flat !== undefined) {
      for (let i = 0; i < flat.length; i += 2) if (flat[i] === field) return flat[i + 1];
      return undefined;
    }
    const t = this.#table!;
    const i = t.index.get(field);
    return i === undefined ? undefined : t.values[i];
  }

  /** Whether `field` exists (HEXISTS). */
  has(field: string): boolean {
    return this.get(field) !== undefined;
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
    let flat = this.#flat;
    if (flat !== undefined) {
      const max = this.#limits.hashMaxListpackValue;
      if (field.length > max || value.length > max) {
        this.#convert();
        flat = undefined;
      }
    }
    if (flat !== undefined) {
      for (let i = 0; i < flat.length; i += 2) {
        if (flat[i] === field) {
          flat[i + 1] = value;
          return false;
        }
      }
      flat.push(field, value);
      if (flat.length >> 1 > this.#limits.hashMaxListpackEntries) this.#convert();
      return true;
    }
    const t = this.#table!;
    const i = t.index.get(field);
    if (i !== undefined) {
      t.values[i] = value;
      return false;
    }
    t.index.set(field, t.fields.length);
    t.fields.push(field);
    t.values.push(value);
    return true;
  }

  /**
   * Converts to a hashtable now when a string of `longest` bytes is about
   * to be added and that is longer than `hash-max-listpack-value` (Redis's
   * `hashTypeTryConversion`, run on all of HSET's arguments before the
   * first is added).
   */
  prepareFor(longest: number): void {
    if (this.#flat !== undefined && longest > this.#limits.hashMaxListpackValue) this.#convert();
  }

  /** Removes `field`; true when it existed. A listpack keeps the order of the rest. */
  delete(field: string): boolean {
    const flat = this.#flat;
    if (flat !== undefined) {
      for (let i = 0; i < flat.length; i += 2) {
        if (flat[i] === field) {
          flat.splice(i, 2);
          return true;
        }
      }
      return false;
    }
    const t = this.#table!;
    const i = t.index.get(field);
    if (i === undefined) return false;
    t.index.delete(field);
    const last = t.fields.length - 1;
    if (i !== last) {
      const f = t.fields[last];
      t.fields[i] = f;
      t.values[i] = t.values[last];
      t.index.set(f, i);
    }
    t.fields.pop();
    t.values.pop();
    return true;
  }

  /** The field at position `i` (`0 <= i < size`); positions change on modification. */
  fieldAt(i: number): string {
    const flat = this.#flat;
    return flat !== undefined ? flat[i * 2] : this.#table!.fields[i];
  }

  /** The value at position `i` (`0 <= i < size`); positions change on modification. */
  valueAt(i: number): string {
    const flat = this.#flat;
    return flat !== undefined ? flat[i * 2 + 1] : this.#table!.values[i];
  }

  /**
   * Calls `visit` for every entry, in position order (insertion order for
   * a listpack). Do not modify the hash from the callback.
   */
  forEach(visit: (field: string, value: string) => void): void {
    const flat = this.#flat;
    if (flat !== undefined) {
      for (let i = 0; i < flat.length; i += 2) visit(flat[i], flat[i + 1]);
      return;
    }
    const t = this.#table!;
    for (let i = 0; i < t.fields.length; i++) visit(t.fields[i], t.values[i]);
  }

  /** The entries as `[field, value]` pairs, in position order. */
  *entries(): IterableIterator<[string, string]> {
    const n = this.size;
    for (let i = 0; i < n; i++) yield [this.fieldAt(i), this.valueAt(i)];
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
    if (this.#flat !== undefined) {
      this.forEach(visit);
      return 0;
    }
    const t = this.#table!;
    let i = cursor === 0 || cursor > t.fields.length ? t.fields.length : cursor;
    const stop = i > count ? i - count : 0;
    while (i > stop) {
      i--;
      visit(t.fields[i], t.values[i]);
    }
    return i;
  }

  /** A deep copy with the same encoding (COPY). */
  clone(): RedisHash {
    const h = new RedisHash(this.#limits);
    const flat = this.#flat;
    if (flat !== undefined) {
      h.#flat = flat.slice();
    } else {
      const t = this.#table!;
      const c = new Table();
      for (let i = 0; i < t.fields.length; i++) {
        c.index.set(t.fields[i], i);
        c.fields.push(t.fields[i]);
        c.values.push(t.values[i]);
      }
      h.#flat = undefined;
      h.#table = c;
    }
    return h;
  }

  /** Listpack -> hashtable (one way). */
  #convert(): void {
    const flat = this.#flat!;
    const t = new Table();
    for (let i = 0; i < flat.length; i += 2) {
      t.index.set(flat[i], i >> 1);
      t.fields.push(flat[i]);
      t.values.push(flat[i + 1]);
    }
    this.#table = t;
    this.#flat = undefined;
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
