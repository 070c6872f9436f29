/**
 * The keyspace (database 0): a `Map` from binary-safe key strings to
 * {@linkcode Entry} objects, with millisecond expiry that is enforced lazily
 * on access and reclaimed in the background by a bounded, incremental
 * sweeper (no timer per key, no full scans).
 *
 * Keys are binary strings made with `toBinary(bytes)` from `resp/bytes.ts`
 * (one char per byte), so any byte sequence is a key. Values are a
 * `Uint8Array` for strings or a {@linkcode RedisObject} for the other types.
 *
 * @example
 * ```ts
 * import { Keyspace } from "./keyspace.ts";
 * using db = new Keyspace({ sweepIntervalMs: 0 });
 * db.set("greeting", new TextEncoder().encode("hello"));
 * console.log(db.getString("greeting")); // Uint8Array [104, 101, ...]
 * db.set("temp", new Uint8Array(0), db.now() + 50); // expires in 50 ms
 * ```
 *
 * @module
 */

import { ReplyError } from "../../resp/frame.ts";
import { NOTIFY_EXPIRED, NOTIFY_GENERIC, NOTIFY_KEY_MISS, NOTIFY_NEW } from "./notify.ts";
import { DEFAULT_ENCODING_LIMITS, type EncodingLimits } from "../types/limits.ts";

/**
 * A non-string value (list, hash, set, zset, stream, ...): the data
 * structures under `server/types/` implement it. `type` is what `TYPE`
 * replies and what `SCAN ... TYPE` matches.
 */
export interface RedisObject {
  /** The Redis type name: `list`, `hash`, `set`, `zset`, `stream`. */
  readonly type: string;
  /**
   * Number of elements. A collection whose size drops to 0 is removed from
   * the keyspace by {@linkcode Keyspace.changed} (Redis never keeps an empty
   * list, hash, set or zset); a type that may stay empty (a stream) reports
   * a size that is never 0 or is never passed there.
   */
  readonly size: number;
  /** Redis's encoding name for OBJECT ENCODING (`listpack`, `hashtable`, ...). */
  readonly encoding: string;
  /** A deep copy, for `COPY`. */
  clone(): RedisObject;
}

/** A stored value: bytes for the string type, a {@linkcode RedisObject} otherwise. */
export type Value = Uint8Array | RedisObject;

/**
 * A value type as the keyspace's typed lookups take it: its name, a type
 * test and, for collections, how to make an empty one. The type modules
 * under `server/types/` export one each (`HASH`, `LIST`, ...).
 *
 * @example
 * ```ts
 * import { STRING } from "./keyspace.ts";
 * console.log(STRING.name, STRING.is(new Uint8Array(0))); // "string" true
 * ```
 */
export interface ValueType<T extends Value> {
  /** The Redis type name (`TYPE`'s reply). */
  readonly name: string;
  /** Whether `value` is of this type. */
  is(value: Value): value is T;
  /** A new empty value, for {@linkcode Keyspace.getOrCreate}; `limits` give its first encoding. */
  create(limits: EncodingLimits): T;
}

/** The string type: bytes. */
export const STRING: ValueType<Uint8Array> = {
  name: "string",
  is: (value: Value): value is Uint8Array => value instanceof Uint8Array,
  create: () => new Uint8Array(0),
};

/**
 * Something that wants to know when a key is modified (WATCH, blocked
 * clients): registered per key with {@linkcode Keyspace.listen}.
 */
export interface KeyListener {
  /** Called synchronously by {@linkcode Keyspace.signal} for each key it listens to. */
  keyModified(key: string): void;
}

/** The shared `WRONGTYPE` error reply. */
export const WRONGTYPE: ReplyError = new ReplyError(
  "WRONGTYPE Operation against a key holding the wrong kind of value",
);

/**
 * The Redis type name of a value (`string` for bytes).
 *
 * @example
 * ```ts
 * import { typeOf } from "./keyspace.ts";
 * console.log(typeOf(new Uint8Array(1))); // "string"
 * ```
 */
export function typeOf(value: Value): string {
  return value instanceof Uint8Array ? "string" : value.type;
}

/**
 * The value of a live entry as `type`, or the {@linkcode WRONGTYPE} reply
 * thrown: for handlers that hold the {@linkcode Entry} (to read its expiry).
 *
 * @example
 * ```ts
 * import { Keyspace, STRING, valueAs } from "./keyspace.ts";
 * using db = new Keyspace({ sweepIntervalMs: 0 });
 * const e = db.set("k", new Uint8Array([1]));
 * console.log(valueAs(e, STRING)); // Uint8Array [1]
 * ```
 */
export function valueAs<T extends Value>(entry: Entry, type: ValueType<T>): T {
  const v = entry.value;
  if (type.is(v)) return v;
  throw WRONGTYPE;
}

/** A deep copy of a value (bytes are copied too). */
export function cloneValue(value: Value): Value {
  return value instanceof Uint8Array ? value.slice() : value.clone();
}

const EMPTY = new Uint8Array(0);

/**
 * One key of the keyspace. Handlers may read `value` and `expiresAt` and may
 * replace `value` in place (e.g. APPEND); change expiry only through
 * {@linkcode Keyspace.setExpiry} / {@linkcode Keyspace.persist} so that the
 * sweeper's bookkeeping stays right.
 */
export class Entry {
  /** The binary key string. */
  readonly key: string;
  /** The value. Replace it freely; the entry stays in place. */
  value: Value;
  /** Absolute expiry in Unix milliseconds; 0 means no expiry. Read-only for handlers. */
  expiresAt: number;
  /** @internal insertion sequence number, the SCAN cursor order */
  seq: number;
  /** @internal index in the keyspace's slot array; -1 once deleted */
  pos: number;
  /**
   * When a command last accessed the key (OBJECT IDLETIME): seconds on the
   * keyspace's access clock, a small integer as Redis's 24-bit LRU clock
   * (a millisecond time would be a boxed double per key).
   */
  accessedAt = 0;

  /** @internal use {@linkcode Keyspace.set} */
  constructor(key: string, value: Value, expiresAt: number, seq: number, pos: number) {
    this.key = key;
    this.value = value;
    this.expiresAt = expiresAt;
    this.seq = seq;
    this.pos = pos;
  }
}

/** Options of a {@linkcode Keyspace}. */
export interface KeyspaceOptions {
  /** The clock in Unix milliseconds (default `Date.now`); tests may inject one. */
  clock?: () => number;
  /** Period of the active expiry sweeper in ms (default 100, like Redis's hz 10); 0 disables the timer. */
  sweepIntervalMs?: number;
  /** Time budget of one sweeper tick in ms (default 5). */
  sweepBudgetMs?: number;
}

/**
 * The keyspace event hook: called with the event's class (a `NOTIFY_*`
 * constant of `notify.ts`: `NOTIFY_HASH` for `hset`, `NOTIFY_GENERIC` for
 * `del`, ... as Redis's code passes it), Redis's event name and the binary
 * key string. The server points it at keyspace notifications (`notify.ts`)
 * while `notify-keyspace-events` enables any.
 */
export type NotifyHook = (eventClass: number, event: string, key: string) => void;

const noop: NotifyHook = () => {};

/** Sampled per sweeper round, as Redis's ACTIVE_EXPIRE_CYCLE_KEYS_PER_LOOP. */
const SWEEP_BATCH = 20;
/** Keep sweeping within a tick while more than this share of a batch was expired. */
const SWEEP_STALE_RATIO = 0.1;
/**
 * Batches every run samples before the stale ratio may stop it: the cursor
 * walks keys in insertion order, where live and expired keys come in runs,
 * so one batch is a poor estimate of the whole.
 */
const SWEEP_MIN_BATCHES = 10;

/**
 * Database 0. Every read goes through {@linkcode get} (or helpers built on
 * it), which deletes a key found expired and fires the `expired` event and the "key modified" signal.
 *
 * Besides the `Map`, live entries sit in a slot array ordered by insertion
 * sequence number: it gives `RANDOMKEY` O(1) picks and `SCAN` a cursor (a
 * sequence number; the walk goes from newest to oldest) under which every
 * key present for the whole iteration is returned exactly once, whatever is
 * added or deleted in between, and which always terminates. Deleted slots
 * are compacted in amortised O(1).
 */
export class Keyspace {
  #map = new Map<string, Entry>();
  #slots: Entry[] = [];
  #dead = 0;
  #nextSeq = 1;
  #volatile = new Set<Entry>();
  #sweepCursor: Iterator<Entry> | undefined;
  #timer: ReturnType<typeof setInterval> | undefined;
  #budgetMs: number;
  #expiredTotal = 0;
  /** Redis's running `avg_ttl` estimate (see {@linkcode averageTtl}). */
  #avgTtl = 0;
  #listeners = new Map<string, Set<KeyListener>>();
  /** The access clock in whole seconds since {@linkcode #epoch} (Redis's cached LRU clock). */
  #accessClock = 0;
  /** Unix ms the access clock counts from. */
  #epoch: number;

  /**
   * The thresholds of the compact encodings (`hash-max-listpack-entries`,
   * ...): CONFIG SET changes them, new and growing collections read them.
   */
  readonly limits: EncodingLimits = { ...DEFAULT_ENCODING_LIMITS };
  /** The clock in Unix milliseconds. */
  readonly now: () => number;
  /** Keyspace event hook; replace it to receive events (default: no-op). */
  notify: NotifyHook = noop;
  /**
   * Whether {@linkcode get} counts {@linkcode hits} and {@linkcode misses}
   * and reports misses as `keymiss` events: the dispatcher sets it for each
   * command, true for read-only commands (Redis's `lookupKeyRead`).
   */
  countLookups = false;
  /** Successful key lookups of read-only commands (INFO `keyspace_hits`). */
  hits = 0;
  /** Failed key lookups of read-only commands (INFO `keyspace_misses`). */
  misses = 0;

  /**
   * Creates an empty keyspace and starts its sweeper timer (unref'd).
   *
   * @param options clock and sweeper settings
   */
  constructor(options: KeyspaceOptions = {}) {
    this.now = options.clock ?? Date.now;
    this.#epoch = this.now();
    this.#budgetMs = options.sweepBudgetMs ?? 5;
    const interval = options.sweepIntervalMs ?? 100;
    if (interval > 0) {
      const timer = setInterval(() => this.sweep(), interval);
      Deno.unrefTimer(timer);
      this.#timer = timer;
    }
  }

  /** Number of keys, including expired ones not reclaimed yet (as Redis's DBSIZE). */
  get size(): number {
    return this.#map.size;
  }

  /** Number of keys that have an expiry. */
  get volatileSize(): number {
    return this.#volatile.size;
  }

  /** Total number of keys removed because they expired (lazily or by the sweeper). */
  get expiredTotal(): number {
    return this.#expiredTotal;
  }

  /**
   * The live entry of `key`, or `undefined`. An expired entry is deleted
   * (with an `expired` event) and reported missing.
   */
  get(key: string): Entry | undefined {
    const e = this.#map.get(key);
    if (e === undefined) return this.countLookups ? this.#miss(key) : undefined;
    if (e.expiresAt !== 0 && this.now() > e.expiresAt) {
      this.#expire(e);
      return this.countLookups ? this.#miss(key) : undefined;
    }
    if (this.countLookups) this.hits++;
    e.accessedAt = this.#accessClock;
    return e;
  }

  /**
   * The live entry of `key` as {@linkcode get} finds it (hits and misses
   * counted alike) but without marking it accessed: Redis's
   * `LOOKUP_NOTOUCH` (OBJECT, TYPE, EXISTS, TTL).
   */
  peek(key: string): Entry | undefined {
    const e = this.#map.get(key);
    const at = e?.accessedAt;
    const found = this.get(key);
    if (found !== undefined) found.accessedAt = at!;
    return found;
  }

  /**
   * Refreshes the access clock from {@linkcode now} (the server's cron
   * calls it ten times a second, as Redis updates its LRU clock), so that
   * marking an access costs no clock read.
   */
  updateClock(): void {
    this.#accessClock = Math.max(0, Math.floor((this.now() - this.#epoch) / 1000));
  }

  /** Milliseconds since the entry was last accessed, at one-second resolution (OBJECT IDLETIME). */
  idleMs(entry: Entry): number {
    const nowSec = Math.max(0, Math.floor((this.now() - this.#epoch) / 1000));
    return Math.max(0, nowSec - entry.accessedAt) * 1000;
  }

  #miss(key: string): undefined {
    this.misses++;
    this.notify(NOTIFY_KEY_MISS, "keymiss", key);
    return undefined;
  }

  /**
   * The average remaining time to live in ms of the keys that have an
   * expiry (INFO's `avg_ttl`), estimated as Redis does: each active expiry
   * run blends the mean TTL of the keys it sampled into a running average
   * (2% weight, integer arithmetic); 0 until a run has sampled a key, and
   * again when no key has an expiry.
   */
  averageTtl(): number {
    if (this.#volatile.size === 0) this.#avgTtl = 0;
    return this.#avgTtl;
  }

  /** Whether `key` exists (and is not expired). */
  has(key: string): boolean {
    return this.get(key) !== undefined;
  }

  /** The live value of `key`, or `undefined`. */
  getValue(key: string): Value | undefined {
    const e = this.get(key);
    return e === undefined ? undefined : e.value;
  }

  /**
   * The string value of `key`, `null` when missing; throws the
   * {@linkcode WRONGTYPE} reply when it holds another type.
   */
  getString(key: string): Uint8Array | null {
    return this.read(key, STRING) ?? null;
  }

  /**
   * Typed lookup for reading: the value of `key` if it is of `type`,
   * `undefined` when the key is missing; throws the {@linkcode WRONGTYPE}
   * reply when it holds another type. Counts as a keyspace hit or miss for
   * read-only commands (see {@linkcode countLookups}).
   *
   * @example
   * ```ts
   * import { Keyspace, STRING } from "./keyspace.ts";
   * using db = new Keyspace({ sweepIntervalMs: 0 });
   * db.set("k", new Uint8Array([49]));
   * console.log(db.read("k", STRING)); // Uint8Array [49]
   * ```
   */
  read<T extends Value>(key: string, type: ValueType<T>): T | undefined {
    const e = this.get(key);
    if (e === undefined) return undefined;
    const v = e.value;
    if (type.is(v)) return v;
    throw WRONGTYPE;
  }

  /**
   * Typed lookup for writing: as {@linkcode read}, but never counted as a
   * hit or miss (Redis's `lookupKeyWrite`). Modify the value in place, then
   * call {@linkcode changed}.
   */
  write<T extends Value>(key: string, type: ValueType<T>): T | undefined {
    const e = this.#map.get(key);
    if (e === undefined) return undefined;
    if (e.expiresAt !== 0 && this.now() > e.expiresAt) {
      this.#expire(e);
      return undefined;
    }
    e.accessedAt = this.#accessClock;
    const v = e.value;
    if (type.is(v)) return v;
    throw WRONGTYPE;
  }

  /**
   * The value of `key` for writing, created empty (and the key added, with a
   * `new` event) when missing; throws {@linkcode WRONGTYPE} when the key
   * holds another type. Validate every argument before calling it: an empty
   * collection left behind by an error is removed only by the next
   * {@linkcode changed} on the key.
   */
  getOrCreate<T extends Value>(key: string, type: ValueType<T>): T {
    const v = this.write(key, type);
    if (v !== undefined) return v;
    const created = type.create(this.limits);
    this.#add(key, created, 0);
    return created;
  }

  /**
   * Reports a write to `key`, as every write command does once it has
   * changed something: fires the "key modified" signal ({@linkcode signal}:
   * WATCH, blocked clients) and the keyspace event `event` of class
   * `eventClass` (a `NOTIFY_*` constant). When `value` is given and has
   * become empty, the key is deleted with a `del` event, as Redis does
   * after the last element of a collection is removed.
   *
   * @example
   * ```ts
   * import { Keyspace } from "./keyspace.ts";
   * import { NOTIFY_STRING } from "./notify.ts";
   * using db = new Keyspace({ sweepIntervalMs: 0 });
   * db.notify = (cls, event, key) => console.log(cls === NOTIFY_STRING, event, key);
   * db.set("k", new Uint8Array([1]));
   * db.changed("k", NOTIFY_STRING, "set"); // true set k
   * ```
   */
  changed(key: string, eventClass: number, event: string, value?: RedisObject): void {
    if (this.#listeners.size !== 0) this.signal(key);
    this.notify(eventClass, event, key);
    if (value !== undefined && value.size === 0) {
      const e = this.#map.get(key);
      if (e !== undefined && e.value === value) {
        this.#remove(e);
        this.notify(NOTIFY_GENERIC, "del", key);
      }
    }
  }

  /**
   * The "key modified" signal (Redis's `signalModifiedKey`): tells every
   * listener of `key`. {@linkcode changed} calls it; call it directly only
   * for a modification that fires no event.
   */
  signal(key: string): void {
    const set = this.#listeners.get(key);
    if (set === undefined) return;
    for (const l of set) l.keyModified(key);
  }

  /** Starts telling `listener` about modifications of `key`. */
  listen(key: string, listener: KeyListener): void {
    let set = this.#listeners.get(key);
    if (set === undefined) {
      set = new Set();
      this.#listeners.set(key, set);
    }
    set.add(listener);
  }

  /** Stops telling `listener` about `key`. */
  unlisten(key: string, listener: KeyListener): void {
    const set = this.#listeners.get(key);
    if (set === undefined) return;
    set.delete(listener);
    if (set.size === 0) this.#listeners.delete(key);
  }

  /**
   * Sets `key` to `value` with expiry `expiresAt` (absolute ms, 0 = none),
   * replacing any value and expiry. The value is stored as given: copy bytes
   * that view a read buffer first. Returns the entry.
   */
  set(key: string, value: Value, expiresAt = 0): Entry {
    const e = this.get(key);
    if (e === undefined) return this.#add(key, value, expiresAt);
    e.value = value;
    if (e.expiresAt !== expiresAt) {
      if (e.expiresAt !== 0) {
        if (expiresAt === 0) this.#volatile.delete(e);
      } else this.#volatile.add(e);
      e.expiresAt = expiresAt;
    }
    return e;
  }

  /**
   * Sets the value of `key`, keeping its expiry when the key is live (SET
   * KEEPTTL, APPEND, SETRANGE, INCR); a new key gets no expiry.
   */
  setKeepTtl(key: string, value: Value): Entry {
    const e = this.get(key);
    if (e === undefined) return this.set(key, value, 0);
    e.value = value;
    return e;
  }

  /**
   * Sets the expiry of an existing live key (absolute ms; 0 removes it).
   * Returns false when the key does not exist. A time in the past is stored
   * as is and the key expires on the next access; use {@linkcode delete} to
   * remove at once.
   */
  setExpiry(key: string, expiresAt: number): boolean {
    const e = this.get(key);
    if (e === undefined) return false;
    if (e.expiresAt !== expiresAt) {
      if (expiresAt === 0) this.#volatile.delete(e);
      else if (e.expiresAt === 0) this.#volatile.add(e);
      e.expiresAt = expiresAt;
    }
    return true;
  }

  /** Removes the expiry of `key`; true when the key existed and had one. */
  persist(key: string): boolean {
    const e = this.get(key);
    if (e === undefined || e.expiresAt === 0) return false;
    this.#volatile.delete(e);
    e.expiresAt = 0;
    return true;
  }

  /** Deletes `key`; true when a live key was removed (an expired one counts as missing). */
  delete(key: string): boolean {
    const e = this.get(key);
    if (e === undefined) return false;
    this.#remove(e);
    return true;
  }

  /**
   * Removes every key (FLUSHALL, FLUSHDB). Listeners of keys that existed
   * are signalled first, as Redis touches watched keys on a flush.
   */
  clear(): void {
    if (this.#listeners.size !== 0) {
      for (const key of [...this.#listeners.keys()]) if (this.has(key)) this.signal(key);
    }
    this.#map = new Map();
    this.#slots = [];
    this.#dead = 0;
    this.#volatile = new Set();
    this.#sweepCursor = undefined;
  }

  /**
   * A random live key, or `undefined` when the keyspace is empty. Expired
   * keys met on the way are reclaimed.
   */
  randomKey(): string | undefined {
    let misses = 0;
    while (this.#map.size > 0) {
      const slots = this.#slots;
      const e = slots[Math.floor(Math.random() * slots.length)];
      if (e.pos === -1) {
        if (++misses >= 8) {
          this.#compact();
          misses = 0;
        }
        continue;
      }
      if (e.expiresAt !== 0 && this.now() > e.expiresAt) {
        this.#expire(e);
        continue;
      }
      return e.key;
    }
    return undefined;
  }

  /**
   * One SCAN step: visits up to `count` live entries, newest first, starting
   * below `cursor` (0 = from the newest); returns the cursor to continue
   * from, 0 when the iteration is complete. Expired entries met are
   * reclaimed and not visited.
   *
   * The cursor is an insertion sequence number and the walk goes towards
   * older entries, so every key present for the whole iteration is visited
   * exactly once whatever is added or deleted in between, keys added during
   * the iteration are not visited, and the iteration always ends.
   */
  scan(cursor: number, count: number, visit: (entry: Entry) => void): number {
    const slots = this.#slots;
    let hi = slots.length;
    if (cursor !== 0) {
      // first slot whose seq >= cursor (slots are sorted by seq)
      let lo = 0;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (slots[mid].seq < cursor) lo = mid + 1;
        else hi = mid;
      }
    }
    const now = this.now();
    const expired: Entry[] = [];
    let visited = 0;
    let i = hi - 1;
    // bound the dead slots skipped too, so one call stays small
    const maxExamined = Math.max(count, 1) * 10;
    for (let examined = 0; i >= 0 && visited < count && examined < maxExamined; i--) {
      examined++;
      const e = slots[i];
      if (e.pos === -1) continue;
      if (e.expiresAt !== 0 && now > e.expiresAt) {
        expired.push(e);
        continue;
      }
      visited++;
      visit(e);
    }
    const next = i >= 0 ? slots[i].seq + 1 : 0;
    for (const e of expired) this.#expire(e);
    return next;
  }

  /**
   * Every live entry, in insertion order (for KEYS). Expired entries are
   * skipped (and reclaimed after the walk). Do not modify the keyspace from
   * the callback.
   */
  forEach(visit: (entry: Entry) => void): void {
    const slots = this.#slots;
    const now = this.now();
    const expired: Entry[] = [];
    for (let i = 0; i < slots.length; i++) {
      const e = slots[i];
      if (e.pos === -1) continue;
      if (e.expiresAt !== 0 && now > e.expiresAt) {
        expired.push(e);
        continue;
      }
      visit(e);
    }
    for (const e of expired) this.#expire(e);
  }

  /**
   * One active-expiry run: samples volatile keys in batches of 20 from a
   * cursor that persists across runs, deleting the expired ones; after 10
   * batches it goes on only while more than 10% of a batch was expired; it
   * stops at the time budget and after at most one pass over the volatile
   * keys. Returns how many it removed.
   * The timer calls it every `sweepIntervalMs`; tests may call it directly.
   */
  sweep(budgetMs: number = this.#budgetMs): number {
    this.updateClock();
    const total = this.#volatile.size;
    if (total === 0) {
      this.#avgTtl = 0;
      return 0;
    }
    let ttlSum = 0;
    let ttlSamples = 0;
    const deadline = performance.now() + budgetMs;
    const now = this.now();
    let removed = 0;
    let sampled = 0;
    let cursor = this.#sweepCursor ?? this.#volatile.values();
    let wrapped = false;
    let batches = 0;
    while (sampled < total) {
      let batchExpired = 0;
      let batch = 0;
      while (batch < SWEEP_BATCH && sampled < total) {
        const r = cursor.next();
        if (r.done) {
          if (wrapped) break;
          wrapped = true;
          cursor = this.#volatile.values();
          continue;
        }
        batch++;
        sampled++;
        const e = r.value;
        if (now > e.expiresAt) {
          this.#expire(e);
          batchExpired++;
        } else {
          ttlSum += e.expiresAt - now;
          ttlSamples++;
        }
      }
      removed += batchExpired;
      batches++;
      if (batch === 0 || performance.now() >= deadline) break;
      if (batches >= SWEEP_MIN_BATCHES && batchExpired <= batch * SWEEP_STALE_RATIO) break;
    }
    this.#sweepCursor = cursor;
    if (ttlSamples > 0) {
      // Redis's activeExpireCycle: the mean of this run, blended 2% into the estimate
      const avg = Math.trunc(ttlSum / ttlSamples);
      this.#avgTtl = this.#avgTtl === 0
        ? avg
        : Math.trunc(this.#avgTtl / 50) * 49 + Math.trunc(avg / 50);
    }
    return removed;
  }

  /** Stops the sweeper timer. The data stays readable. */
  close(): void {
    if (this.#timer !== undefined) {
      clearInterval(this.#timer);
      this.#timer = undefined;
    }
  }

  /** Same as {@linkcode close}. */
  [Symbol.dispose](): void {
    this.close();
  }

  #add(key: string, value: Value, expiresAt: number): Entry {
    const e = new Entry(key, value, expiresAt, this.#nextSeq++, this.#slots.length);
    e.accessedAt = this.#accessClock;
    this.#slots.push(e);
    this.#map.set(key, e);
    if (expiresAt !== 0) this.#volatile.add(e);
    this.notify(NOTIFY_NEW, "new", key);
    return e;
  }

  #expire(e: Entry): void {
    this.#remove(e);
    this.#expiredTotal++;
    this.notify(NOTIFY_EXPIRED, "expired", e.key);
    if (this.#listeners.size !== 0) this.signal(e.key);
  }

  #remove(e: Entry): void {
    this.#map.delete(e.key);
    if (e.expiresAt !== 0) this.#volatile.delete(e);
    e.pos = -1;
    e.value = EMPTY;
    this.#dead++;
    if (this.#dead > 64 && this.#dead * 2 > this.#slots.length) this.#compact();
  }

  #compact(): void {
    const slots = this.#slots;
    let j = 0;
    for (let i = 0; i < slots.length; i++) {
      const e = slots[i];
      if (e.pos !== -1) {
        e.pos = j;
        slots[j++] = e;
      }
    }
    slots.length = j;
    this.#dead = 0;
  }
}
