/**
 * A compact member -> score hash table: the dictionary half of a big
 * sorted set. Open addressing with linear probing over flat arrays
 * (members, their hashes in an `Int32Array`, scores in a `Float64Array`),
 * so a score costs 8 bytes and no boxed number, where a
 * `Map<string, number>` spends an entry, a bucket share and a heap number
 * per fractional score. Stored hashes spare string comparisons on probe
 * collisions and rehashing on resize and delete.
 *
 * Deletion shifts the following cluster back (no tombstones); the table
 * doubles above 3/4 full and halves below 1/8 full (Redis also shrinks a
 * sorted set's dictionary). Members are binary strings (one char per
 * byte); the hash is FNV-1a with a per-process random seed and a final
 * avalanche, so crafted members cannot pile into one cluster.
 *
 * @example
 * ```ts
 * import { ScoreMap } from "./zset_map.ts";
 * const m = new ScoreMap();
 * m.set("a", 1.5);
 * m.set("b", 2);
 * m.delete("a");
 * console.log(m.get("a"), m.get("b"), m.size); // undefined 2 1
 * ```
 *
 * @module
 */

const MIN_CAPACITY = 16;
const SEED = (crypto.getRandomValues(new Uint32Array(1))[0] | 1) >>> 0;

/** The slot hash of a member (FNV-1a from a random seed, then murmur3's fmix32). */
function hash(s: string): number {
  let h = SEED ^ 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h | 0;
}

/**
 * Member -> score, see the module documentation. Iteration order is the
 * slot order (unspecified, as Redis's dictionary order).
 */
export class ScoreMap {
  /** Members by slot; `undefined` marks a free slot. */
  #keys: (string | undefined)[];
  /** The hash of each slot's member (compared before the member; reused when moving). */
  #hashes: Int32Array;
  #scores: Float64Array;
  #mask: number;
  #size = 0;

  /**
   * Creates an empty map.
   *
   * @param capacity initial number of slots (rounded up to a power of two, at least 16)
   */
  constructor(capacity = MIN_CAPACITY) {
    let cap = MIN_CAPACITY;
    while (cap < capacity) cap *= 2;
    this.#keys = new Array(cap).fill(undefined);
    this.#hashes = new Int32Array(cap);
    this.#scores = new Float64Array(cap);
    this.#mask = cap - 1;
  }

  /** Number of members. */
  get size(): number {
    return this.#size;
  }

  /** The slot of `member`, or -1. */
  #find(member: string): number {
    const keys = this.#keys;
    const hashes = this.#hashes;
    const mask = this.#mask;
    const h = hash(member);
    let i = h & mask;
    for (;;) {
      const k = keys[i];
      if (k === undefined) return -1;
      if (hashes[i] === h && k === member) return i;
      i = (i + 1) & mask;
    }
  }

  /** The score of `member`, or undefined. */
  get(member: string): number | undefined {
    const i = this.#find(member);
    return i === -1 ? undefined : this.#scores[i];
  }

  /** Whether `member` is present. */
  has(member: string): boolean {
    return this.#find(member) !== -1;
  }

  /** Sets the score of `member` (adding it when absent). */
  set(member: string, score: number): void {
    const keys = this.#keys;
    const hashes = this.#hashes;
    const mask = this.#mask;
    const h = hash(member);
    let i = h & mask;
    for (;;) {
      const k = keys[i];
      if (k === undefined) break;
      if (hashes[i] === h && k === member) {
        this.#scores[i] = score;
        return;
      }
      i = (i + 1) & mask;
    }
    keys[i] = member;
    hashes[i] = h;
    this.#scores[i] = score;
    this.#size++;
    if (this.#size * 4 > keys.length * 3) this.#resize(keys.length * 2);
  }

  /** Removes `member`; false when it was absent. */
  delete(member: string): boolean {
    let i = this.#find(member);
    if (i === -1) return false;
    const keys = this.#keys;
    const hashes = this.#hashes;
    const scores = this.#scores;
    const mask = this.#mask;
    // backward-shift deletion: move later members of the cluster into the hole
    let j = i;
    for (;;) {
      j = (j + 1) & mask;
      const k = keys[j];
      if (k === undefined) break;
      const home = hashes[j] & mask;
      // k may move to i when its home is not in the cyclic interval (i, j]
      const between = i <= j ? home > i && home <= j : home > i || home <= j;
      if (!between) {
        keys[i] = k;
        hashes[i] = hashes[j];
        scores[i] = scores[j];
        i = j;
      }
    }
    keys[i] = undefined;
    this.#size--;
    if (keys.length > MIN_CAPACITY && this.#size * 8 < keys.length) this.#resize(keys.length / 2);
    return true;
  }

  /** Removes every member. */
  clear(): void {
    this.#keys = new Array(MIN_CAPACITY).fill(undefined);
    this.#hashes = new Int32Array(MIN_CAPACITY);
    this.#scores = new Float64Array(MIN_CAPACITY);
    this.#mask = MIN_CAPACITY - 1;
    this.#size = 0;
  }

  /** Calls `fn(member, score)` for every member, in slot order. Do not modify the map from `fn`. */
  forEach(fn: (member: string, score: number) => void): void {
    const keys = this.#keys;
    const scores = this.#scores;
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i];
      if (k !== undefined) fn(k, scores[i]);
    }
  }

  #resize(capacity: number): void {
    const oldKeys = this.#keys;
    const oldHashes = this.#hashes;
    const oldScores = this.#scores;
    const keys: (string | undefined)[] = new Array(capacity).fill(undefined);
    const hashes = new Int32Array(capacity);
    const scores = new Float64Array(capacity);
    const mask = capacity - 1;
    for (let s = 0; s < oldKeys.length; s++) {
      const k = oldKeys[s];
      if (k === undefined) continue;
      const h = oldHashes[s];
      let i = h & mask;
      while (keys[i] !== undefined) i = (i + 1) & mask;
      keys[i] = k;
      hashes[i] = h;
      scores[i] = oldScores[s];
    }
    this.#keys = keys;
    this.#hashes = hashes;
    this.#scores = scores;
    this.#mask = mask;
  }
}
