/**
 * The list type: Redis's quicklist, a sequence of nodes that each pack up
 * to `list-max-listpack-size` of elements into one byte buffer (the
 * listpack analog), so that a list costs about its bytes plus two length
 * bytes per element, and both ends are O(1).
 *
 * One node is a `Uint8Array` with free room at both ends; entries sit
 * between `start` and `end` as `[length][bytes][length]`: the length as a
 * forward varint before the bytes and as a backward varint after them (as
 * listpack's `backlen`), so a node is walked from either end without an
 * index. The nodes form a ring, so a node is added or dropped at either end
 * in O(1). Indexing walks node counts from the nearer end, then entries in
 * one node, as Redis does.
 *
 * A small list (up to {@linkcode SMALL_MAX} elements) is instead a plain
 * array of binary strings (one char per byte, as `toBinary` makes them):
 * a byte buffer costs V8 about half a kilobyte of fixed overhead, far more
 * than a few short strings, and Redis keeps a small list in one small
 * listpack. It becomes nodes, one way, when it grows past that.
 *
 * Elements go in as bytes (a command's argument views are copied in) or
 * binary strings, and come out as binary strings from a small list or as
 * fresh byte copies carved from a shared slab (`alloc.ts`) from nodes:
 * either is what a reply encodes without further copies. No RESP and no
 * I/O here.
 *
 * @example
 * ```ts
 * import { DEFAULT_ENCODING_LIMITS } from "./limits.ts";
 * import { HEAD, RedisList, TAIL } from "./list.ts";
 * const enc = new TextEncoder();
 * const list = new RedisList(DEFAULT_ENCODING_LIMITS);
 * list.push(TAIL, enc.encode("b"));
 * list.push(HEAD, enc.encode("a"));
 * console.log(list.size, new TextDecoder().decode(list.pop(TAIL))); // 2 "b"
 * ```
 *
 * @module
 */

import type { RedisObject, ValueType } from "../db/keyspace.ts";
import type { EncodingLimits } from "./limits.ts";
import { allocBytes } from "../alloc.ts";
import { fromBinary, toBinary } from "../../resp/bytes.ts";

/** An element as the list hands it out: a binary string (small lists) or fresh bytes. */
export type ListElement = Uint8Array | string;

/** A list keeps its elements as an array of strings up to this many. */
export const SMALL_MAX = 32;
/** Up to this many elements, the small form's array is rebuilt at its exact size on a push. */
const EXACT_MAX = 8;

/** The head of a list (LPUSH, LPOP, `LEFT`). */
export const HEAD = 0;
/** The tail of a list (RPUSH, RPOP, `RIGHT`). */
export const TAIL = 1;
/** An end of a list: {@linkcode HEAD} or {@linkcode TAIL}. */
export type End = typeof HEAD | typeof TAIL;

/** Redis's `SIZE_SAFETY_LIMIT`: a node limited by count still stays near 8 KiB. */
const SIZE_SAFETY_LIMIT = 8192;
/** Redis's `optimization_level`: node byte limits for fill -1 .. -5. */
const BYTE_LIMITS = [4096, 8192, 16384, 32768, 65536];
/** The first buffer of a new list holds at least this many bytes. */
const MIN_CAPACITY = 16;
/** A node whose buffer is at least this big is shrunk when it is mostly empty. */
const SHRINK_ABOVE = 1024;

/** Bytes of one varint length field for a length of `n`. */
function lenSize(n: number): number {
  return n < 0x80 ? 1 : n < 0x4000 ? 2 : n < 0x200000 ? 3 : n < 0x10000000 ? 4 : 5;
}

/** Bytes of one entry holding `n` bytes. */
function entrySize(n: number): number {
  return n < 0x80 ? n + 2 : n + 2 * lenSize(n);
}

/** Writes the forward length field of `n` at `o`; returns the offset after it. */
function putForward(buf: Uint8Array, o: number, n: number): number {
  while (n >= 0x80) {
    buf[o++] = (n & 0x7f) | 0x80;
    n = Math.floor(n / 128);
  }
  buf[o++] = n;
  return o;
}

/**
 * Writes the backward length field of `n` at `o` (read right to left: the
 * last byte holds the low 7 bits); returns the offset after it.
 */
function putBackward(buf: Uint8Array, o: number, n: number): number {
  const h = lenSize(n);
  let p = o + h - 1;
  for (let i = 0; i < h; i++) {
    buf[p--] = (n & 0x7f) | (i < h - 1 ? 0x80 : 0);
    n = Math.floor(n / 128);
  }
  return o + h;
}

/** The length stored in the forward field at `o`. */
function readForward(buf: Uint8Array, o: number): number {
  let b = buf[o];
  if (b < 0x80) return b;
  let n = b & 0x7f;
  let mul = 128;
  do {
    b = buf[++o];
    n += (b & 0x7f) * mul;
    mul *= 128;
  } while (b & 0x80);
  return n;
}

/** The length stored in the backward field that ends at `e`. */
function readBackward(buf: Uint8Array, e: number): number {
  let b = buf[--e];
  if (b < 0x80) return b;
  let n = b & 0x7f;
  let mul = 128;
  do {
    b = buf[--e];
    n += (b & 0x7f) * mul;
    mul *= 128;
  } while (b & 0x80);
  return n;
}

/** Writes an entry with `src`'s bytes at `o`; returns the offset after it. */
function putEntry(buf: Uint8Array, o: number, src: Uint8Array): number {
  const n = src.length;
  o = putForward(buf, o, n);
  if (n <= 16) {
    for (let i = 0; i < n; i++) buf[o + i] = src[i];
  } else {
    buf.set(src, o);
  }
  return putBackward(buf, o + n, n);
}

/** A fresh copy of `n` bytes of `buf` from `o` (carved from a shared slab when small). */
function copyOut(buf: Uint8Array, o: number, n: number): Uint8Array {
  const out = allocBytes(n);
  if (n <= 16) {
    for (let i = 0; i < n; i++) out[i] = buf[o + i];
  } else {
    out.set(buf.subarray(o, o + n));
  }
  return out;
}

/** Whether the `n` bytes of `buf` at `o` equal `b`. */
function sameBytes(buf: Uint8Array, o: number, n: number, b: Uint8Array): boolean {
  if (b.length !== n) return false;
  for (let i = 0; i < n; i++) if (buf[o + i] !== b[i]) return false;
  return true;
}

/** Whether the binary string `s` holds the bytes `b`. */
function sameString(s: string, b: Uint8Array): boolean {
  const n = s.length;
  if (b.length !== n) return false;
  for (let i = 0; i < n; i++) if (s.charCodeAt(i) !== b[i]) return false;
  return true;
}

/** Writes an entry with the binary string `s` at `o`; returns the offset after it. */
function putEntryString(buf: Uint8Array, o: number, s: string): number {
  const n = s.length;
  o = putForward(buf, o, n);
  for (let i = 0; i < n; i++) buf[o + i] = s.charCodeAt(i);
  return putBackward(buf, o + n, n);
}

/** Writes an entry of either form at `o`; returns the offset after it. */
function put(buf: Uint8Array, o: number, e: ListElement): number {
  return typeof e === "string" ? putEntryString(buf, o, e) : putEntry(buf, o, e);
}

/** An element as a binary string (bytes are converted). */
function asString(e: ListElement): string {
  return typeof e === "string" ? e : toBinary(e);
}

/** Node limits derived from `list-max-listpack-size`, one shared object per setting. */
interface NodeLimits {
  /** The setting. */
  readonly fill: number;
  /** Most bytes of entries in one node (a single bigger entry gets a node of its own). */
  readonly maxBytes: number;
  /** Most entries in one node. */
  readonly maxCount: number;
}

const nodeLimitsByFill = new Map<number, NodeLimits>();

function nodeLimits(fill: number): NodeLimits {
  let l = nodeLimitsByFill.get(fill);
  if (l === undefined) {
    l = fill < 0
      ? { fill, maxBytes: BYTE_LIMITS[Math.min(-fill, 5) - 1], maxCount: 65535 }
      : { fill, maxBytes: SIZE_SAFETY_LIMIT, maxCount: Math.max(1, Math.min(fill, 32768)) };
    nodeLimitsByFill.set(fill, l);
  }
  return l;
}

/** Where {@linkcode RedisList}'s seek found an element: node index and entry offset. */
let seekNode = 0;
let seekOffset = 0;

/** One node: entries packed in `buf` between `start` and `end`. */
class Node {
  constructor(
    public buf: Uint8Array,
    public start: number,
    public end: number,
    public count: number,
  ) {}
}

/**
 * A Redis list (TYPE `list`, OBJECT ENCODING `quicklist`, as every list in
 * Redis 7.0). See the module documentation for the layout.
 *
 * Indexes given to the methods are 0-based from the head; callers convert
 * Redis's negative indexes first, except where a method says otherwise.
 */
export class RedisList implements RedisObject {
  /** The small form: the elements as binary strings; null once the list has nodes. */
  #items: string[] | null = [];
  /** The node ring: node `i` is `#ring[(#first + i) & (#ring.length - 1)]`. */
  #ring: (Node | undefined)[] = EMPTY_RING;
  #first = 0;
  #nodes = 0;
  #length = 0;
  /** Node limits from `list-max-listpack-size` when the list was made. */
  readonly #limits: NodeLimits;

  /**
   * An empty list whose nodes follow `list-max-listpack-size` as it is
   * now (a list keeps the setting it was created with, as in Redis).
   */
  constructor(limits: Readonly<Pick<EncodingLimits, "listMaxListpackSize">>) {
    this.#limits = nodeLimits(limits.listMaxListpackSize);
  }

  /** Always `list`. */
  get type(): string {
    return "list";
  }

  /** Number of elements (LLEN). */
  get size(): number {
    return this.#length;
  }

  /** Redis 7.0's OBJECT ENCODING for every list. */
  get encoding(): string {
    return "quicklist";
  }

  /** Number of nodes (for tests and memory estimates). */
  get nodeCount(): number {
    return this.#nodes;
  }

  /** Whether the list is in its small form (an array of strings), for tests. */
  get small(): boolean {
    return this.#items !== null;
  }

  /** A deep copy (COPY), with compact node buffers. */
  clone(): RedisList {
    const copy = new RedisList({ listMaxListpackSize: this.#limits.fill });
    copy.#length = this.#length;
    if (this.#items !== null) {
      copy.#items = this.#items.slice();
      return copy;
    }
    copy.#items = null;
    const ring: (Node | undefined)[] = [];
    for (let i = 0; i < this.#nodes; i++) {
      const n = this.#node(i);
      ring.push(new Node(n.buf.slice(n.start, n.end), 0, n.end - n.start, n.count));
    }
    let cap = 1;
    while (cap < ring.length) cap *= 2;
    while (ring.length < cap) ring.push(undefined);
    copy.#ring = ring;
    copy.#nodes = this.#nodes;
    return copy;
  }

  /** Turns the small form into nodes (one way). */
  #toNodes(): void {
    const items = this.#items!;
    this.#items = null;
    this.#ring = [undefined];
    this.#length = 0;
    for (let i = 0; i < items.length; i++) this.push(TAIL, items[i]);
  }

  // ---- the node ring ----

  #node(i: number): Node {
    return this.#ring[(this.#first + i) & (this.#ring.length - 1)]!;
  }

  #growRing(): void {
    const old = this.#ring;
    const ring: (Node | undefined)[] = new Array(Math.max(1, old.length * 2)).fill(undefined);
    for (let i = 0; i < this.#nodes; i++) ring[i] = old[(this.#first + i) & (old.length - 1)];
    this.#ring = ring;
    this.#first = 0;
  }

  #addFirstNode(node: Node): void {
    if (this.#nodes === this.#ring.length) this.#growRing();
    this.#first = (this.#first - 1) & (this.#ring.length - 1);
    this.#ring[this.#first] = node;
    this.#nodes++;
  }

  #addLastNode(node: Node): void {
    if (this.#nodes === this.#ring.length) this.#growRing();
    this.#ring[(this.#first + this.#nodes) & (this.#ring.length - 1)] = node;
    this.#nodes++;
  }

  /** Inserts `node` so that it becomes node `i`. */
  #insertNode(i: number, node: Node): void {
    if (i === 0) return this.#addFirstNode(node);
    if (i === this.#nodes) return this.#addLastNode(node);
    if (this.#nodes === this.#ring.length) this.#growRing();
    const mask = this.#ring.length - 1;
    for (let j = this.#nodes; j > i; j--) {
      this.#ring[(this.#first + j) & mask] = this.#ring[(this.#first + j - 1) & mask];
    }
    this.#ring[(this.#first + i) & mask] = node;
    this.#nodes++;
  }

  /** Removes node `i`. */
  #removeNode(i: number): void {
    const mask = this.#ring.length - 1;
    if (i === 0) {
      this.#ring[this.#first] = undefined;
      this.#first = (this.#first + 1) & mask;
    } else {
      for (let j = i; j < this.#nodes - 1; j++) {
        this.#ring[(this.#first + j) & mask] = this.#ring[(this.#first + j + 1) & mask];
      }
      this.#ring[(this.#first + this.#nodes - 1) & mask] = undefined;
    }
    this.#nodes--;
    if (this.#nodes === 0) this.#first = 0;
  }

  // ---- node buffers ----

  /** Whether node `node` may take one more entry of `size` bytes. */
  #fits(node: Node, size: number): boolean {
    return node.count < this.#limits.maxCount &&
      node.end - node.start + size <= this.#limits.maxBytes;
  }

  /** A buffer capacity for `need` bytes growing from `cap`. */
  #capacityFor(need: number, cap: number): number {
    let c = cap * 2;
    if (c < MIN_CAPACITY) c = MIN_CAPACITY;
    if (c > this.#limits.maxBytes) c = this.#limits.maxBytes;
    return c < need ? need : c;
  }

  /**
   * Makes `size` free bytes at `end` of node `node`, moving or growing its
   * buffer. A node that is both first and last keeps room at both ends.
   */
  #makeRoom(node: Node, end: End, size: number, sole: boolean): void {
    const used = node.end - node.start;
    const need = used + size;
    const buf = node.buf;
    // a node pushed at both ends keeps a quarter of slack to avoid moving its bytes on every push
    const want = sole ? need + (need >> 2) : need;
    if (
      buf.length < need || (buf.length < want && this.#capacityFor(need, buf.length) > buf.length)
    ) {
      const bigger = new Uint8Array(this.#capacityFor(need, buf.length));
      const at = this.#placement(bigger.length, used, size, end, sole);
      bigger.set(buf.subarray(node.start, node.end), at);
      node.buf = bigger;
      node.start = at;
    } else {
      const at = this.#placement(buf.length, used, size, end, sole);
      buf.copyWithin(at, node.start, node.end);
      node.start = at;
    }
    node.end = node.start + used;
  }

  /** Where the `used` bytes of a node go in a buffer of `cap` bytes to leave `size` free at `end`. */
  #placement(cap: number, used: number, size: number, end: End, sole: boolean): number {
    const free = cap - used - size;
    const other = sole ? free >> 1 : 0;
    return end === HEAD ? cap - used - other : other;
  }

  /** A new node for one entry of `size` bytes pushed at `end`. */
  #newNode(size: number, end: End): Node {
    // the list is growing past one node: give the new one a full buffer at once
    const cap = this.#nodes === 0
      ? Math.max(MIN_CAPACITY, size)
      : Math.max(this.#limits.maxBytes, size);
    const at = end === HEAD ? cap : 0;
    return new Node(new Uint8Array(cap), at, at, 0);
  }

  // ---- pushing and popping ----

  /** Adds `element` (copied) at `end`. */
  push(end: End, element: ListElement): void {
    const items = this.#items;
    if (items !== null) {
      const n = items.length;
      if (n < SMALL_MAX) {
        const s = asString(element);
        if (n < EXACT_MAX) {
          // a tiny list: an array of exactly its size (a growing one keeps slack)
          const next: string[] = new Array(n + 1);
          const shift = end === HEAD ? 1 : 0;
          for (let i = 0; i < n; i++) next[i + shift] = items[i];
          next[end === HEAD ? 0 : n] = s;
          this.#items = next;
        } else if (end === HEAD) items.unshift(s);
        else items.push(s);
        this.#length++;
        return;
      }
      this.#toNodes();
    }
    const size = entrySize(element.length);
    let node: Node;
    if (this.#nodes === 0) {
      node = this.#newNode(size, end);
      this.#addLastNode(node);
    } else {
      node = end === HEAD ? this.#node(0) : this.#node(this.#nodes - 1);
      if (!this.#fits(node, size)) {
        node = this.#newNode(size, end);
        if (end === HEAD) this.#addFirstNode(node);
        else this.#addLastNode(node);
      } else if (end === HEAD ? node.start < size : node.buf.length - node.end < size) {
        this.#makeRoom(node, end, size, this.#nodes === 1);
      }
    }
    if (end === HEAD) {
      node.start -= size;
      put(node.buf, node.start, element);
    } else {
      node.end = put(node.buf, node.end, element);
    }
    node.count++;
    this.#length++;
  }

  /** Removes and returns the element at `end`; undefined when empty. */
  pop(end: End): ListElement | undefined {
    if (this.#length === 0) return undefined;
    const items = this.#items;
    if (items !== null) {
      this.#length--;
      return end === HEAD ? items.shift() : items.pop();
    }
    const i = end === HEAD ? 0 : this.#nodes - 1;
    const node = this.#node(i);
    const buf = node.buf;
    let out: Uint8Array;
    if (end === HEAD) {
      const n = readForward(buf, node.start);
      const h = lenSize(n);
      out = copyOut(buf, node.start + h, n);
      node.start += n + 2 * h;
    } else {
      const n = readBackward(buf, node.end);
      const h = lenSize(n);
      out = copyOut(buf, node.end - h - n, n);
      node.end -= n + 2 * h;
    }
    node.count--;
    this.#length--;
    if (node.count === 0) this.#removeNode(i);
    else this.#maybeShrink(node);
    return out;
  }

  /** Gives back most of a node buffer that pops left mostly empty. */
  #maybeShrink(node: Node): void {
    const cap = node.buf.length;
    const used = node.end - node.start;
    if (cap < SHRINK_ABOVE || used * 4 > cap) return;
    const next = new Uint8Array(Math.max(MIN_CAPACITY, used * 2));
    const at = (next.length - used) >> 1;
    next.set(node.buf.subarray(node.start, node.end), at);
    node.buf = next;
    node.start = at;
    node.end = at + used;
  }

  // ---- positions ----

  /**
   * Finds element `index` (0 <= index < size) of a list with nodes: sets
   * `seekNode` and `seekOffset` (the entry's start), walking from the
   * nearer end.
   */
  #seek(index: number): void {
    let i: number;
    let rest: number; // entries to skip inside the node
    if (index < this.#length >> 1) {
      i = 0;
      rest = index;
      for (;;) {
        const c = this.#node(i).count;
        if (rest < c) break;
        rest -= c;
        i++;
      }
    } else {
      i = this.#nodes - 1;
      let fromEnd = this.#length - 1 - index; // entries after it
      for (;;) {
        const c = this.#node(i).count;
        if (fromEnd < c) break;
        fromEnd -= c;
        i--;
      }
      rest = this.#node(i).count - 1 - fromEnd;
    }
    const node = this.#node(i);
    const buf = node.buf;
    let o: number;
    if (rest <= node.count >> 1) {
      o = node.start;
      for (let k = 0; k < rest; k++) o += entrySize(readForward(buf, o));
    } else {
      o = node.end;
      for (let k = node.count; k > rest; k--) o -= entrySize(readBackward(buf, o));
    }
    seekNode = i;
    seekOffset = o;
  }

  /**
   * The element at `index` (negative counts from the tail, -1 is the last)
   * as a fresh copy, or undefined out of range (LINDEX).
   */
  at(index: number): ListElement | undefined {
    if (index < 0) index += this.#length;
    if (!(index >= 0 && index < this.#length)) return undefined;
    if (this.#items !== null) return this.#items[index];
    this.#seek(index);
    const buf = this.#node(seekNode).buf;
    const n = readForward(buf, seekOffset);
    return copyOut(buf, seekOffset + lenSize(n), n);
  }

  /**
   * Replaces the element at `index` (negative counts from the tail) with
   * `element`; false when out of range (LSET).
   */
  set(index: number, element: ListElement): boolean {
    if (index < 0) index += this.#length;
    if (!(index >= 0 && index < this.#length)) return false;
    if (this.#items !== null) {
      this.#items[index] = asString(element);
      return true;
    }
    this.#seek(index);
    const i = seekNode;
    const node = this.#node(i);
    const o = seekOffset;
    const oldSize = entrySize(readForward(node.buf, o));
    const size = entrySize(element.length);
    if (size === oldSize) {
      put(node.buf, o, element);
      return true;
    }
    const at = this.#openGap(node, o, oldSize, size);
    put(node.buf, at, element);
    this.#split(i);
    return true;
  }

  /**
   * Replaces the `remove` bytes at offset `o` of `node` by a gap of `size`
   * bytes; returns the gap's offset (the buffer may move).
   */
  #openGap(node: Node, o: number, remove: number, size: number): number {
    const delta = size - remove;
    const buf = node.buf;
    if (delta <= 0) {
      // shrink: move the shorter side inwards
      if (o - node.start <= node.end - o - remove) {
        buf.copyWithin(node.start - delta, node.start, o);
        node.start -= delta;
        return o - delta;
      }
      buf.copyWithin(o + size, o + remove, node.end);
      node.end += delta;
      return o;
    }
    if (node.start >= delta && (o - node.start <= node.end - o || buf.length - node.end < delta)) {
      buf.copyWithin(node.start - delta, node.start, o);
      node.start -= delta;
      return o - delta;
    }
    if (buf.length - node.end >= delta) {
      buf.copyWithin(o + size, o + remove, node.end);
      node.end += delta;
      return o;
    }
    const used = node.end - node.start + delta;
    const next = new Uint8Array(this.#capacityFor(used, buf.length));
    const at = (next.length - used) >> 1;
    next.set(buf.subarray(node.start, o), at);
    next.set(buf.subarray(o + remove, node.end), at + (o - node.start) + size);
    node.buf = next;
    const gap = at + (o - node.start);
    node.start = at;
    node.end = at + used;
    return gap;
  }

  /** Splits node `i` in halves while it holds more than the limits and more than one entry. */
  #split(i: number): void {
    const node = this.#node(i);
    if (node.count <= 1) return;
    if (node.count <= this.#limits.maxCount && node.end - node.start <= this.#limits.maxBytes) {
      return;
    }
    // the first half by entries goes to a new node before it
    const half = node.count >> 1;
    const buf = node.buf;
    let o = node.start;
    for (let k = 0; k < half; k++) o += entrySize(readForward(buf, o));
    const left = new Node(buf.slice(node.start, o), 0, o - node.start, half);
    const rest = node.end - o;
    const right = new Uint8Array(Math.max(MIN_CAPACITY, rest));
    right.set(buf.subarray(o, node.end));
    node.buf = right;
    node.start = 0;
    node.end = rest;
    node.count -= half;
    this.#insertNode(i, left);
    this.#split(i + 1);
    this.#split(i);
  }

  /**
   * Inserts `element` before or after the first element equal to `pivot`
   * (LINSERT); false when there is no such element.
   */
  insert(pivot: Uint8Array, element: ListElement, after: boolean): boolean {
    const items = this.#items;
    if (items !== null) {
      for (let k = 0; k < items.length; k++) {
        if (!sameString(items[k], pivot)) continue;
        if (items.length >= SMALL_MAX) {
          this.#toNodes();
          return this.insert(pivot, element, after);
        }
        items.splice(after ? k + 1 : k, 0, asString(element));
        this.#length++;
        return true;
      }
      return false;
    }
    for (let i = 0; i < this.#nodes; i++) {
      const node = this.#node(i);
      const buf = node.buf;
      for (let o = node.start; o < node.end;) {
        const n = readForward(buf, o);
        const h = lenSize(n);
        const next = o + n + 2 * h;
        if (sameBytes(buf, o + h, n, pivot)) {
          const at = this.#openGap(node, after ? next : o, 0, entrySize(element.length));
          put(node.buf, at, element);
          node.count++;
          this.#length++;
          this.#split(i);
          return true;
        }
        o = next;
      }
    }
    return false;
  }

  /**
   * The elements from index `start` on, `count` of them (0 <= start,
   * start + count <= size), head to tail (LRANGE): binary strings from a
   * small list, fresh byte copies from nodes.
   */
  elements(start: number, count: number): ListElement[] {
    if (this.#items !== null) return this.#items.slice(start, start + count);
    const out: ListElement[] = new Array(count);
    if (count === 0) return out;
    this.#seek(start);
    let i = seekNode;
    let node = this.#node(i);
    let buf = node.buf;
    let o = seekOffset;
    for (let k = 0; k < count; k++) {
      if (o >= node.end) {
        node = this.#node(++i);
        buf = node.buf;
        o = node.start;
      }
      const n = readForward(buf, o);
      const h = lenSize(n);
      out[k] = copyOut(buf, o + h, n);
      o += n + 2 * h;
    }
    return out;
  }

  /**
   * As {@linkcode elements}, always as bytes (fresh copies): for callers
   * that want one form.
   */
  range(start: number, count: number): Uint8Array[] {
    const out = this.elements(start, count);
    for (let i = 0; i < out.length; i++) {
      const e = out[i];
      if (typeof e === "string") out[i] = fromBinary(e);
    }
    return out as Uint8Array[];
  }

  /** Every element, head to tail, as bytes (fresh copies). */
  toArray(): Uint8Array[] {
    return this.range(0, this.#length);
  }

  /**
   * Removes elements equal to `element` (LREM): the first `count` from the
   * head when `count` > 0, the last `-count` from the tail when `count` <
   * 0, all when 0. Returns how many were removed.
   */
  remove(count: number, element: Uint8Array): number {
    let removed = 0;
    const limit = count === 0 ? Infinity : Math.abs(count);
    const items = this.#items;
    if (items !== null) {
      if (count >= 0) {
        let w = 0;
        for (let r = 0; r < items.length; r++) {
          const s = items[r];
          if (removed < limit && sameString(s, element)) removed++;
          else items[w++] = s;
        }
        items.length = w;
      } else {
        let w = items.length;
        for (let r = items.length - 1; r >= 0; r--) {
          const s = items[r];
          if (removed < limit && sameString(s, element)) removed++;
          else items[--w] = s;
        }
        items.splice(0, w);
      }
      this.#length -= removed;
      return removed;
    }
    if (count >= 0) {
      for (let i = 0; i < this.#nodes && removed < limit;) {
        const node = this.#node(i);
        const buf = node.buf;
        let w = -1; // write offset once something was removed
        let o = node.start;
        while (o < node.end) {
          const n = readForward(buf, o);
          const size = entrySize(n);
          if (removed < limit && sameBytes(buf, o + lenSize(n), n, element)) {
            if (w === -1) w = o;
            removed++;
            node.count--;
          } else if (w !== -1) {
            buf.copyWithin(w, o, o + size);
            w += size;
          }
          o += size;
        }
        if (w !== -1) node.end = w;
        if (node.count === 0) this.#removeNode(i);
        else i++;
      }
    } else {
      for (let i = this.#nodes - 1; i >= 0 && removed < limit; i--) {
        const node = this.#node(i);
        const buf = node.buf;
        let w = -1; // write end once something was removed
        let e = node.end;
        while (e > node.start) {
          const n = readBackward(buf, e);
          const size = entrySize(n);
          const o = e - size;
          if (removed < limit && sameBytes(buf, o + lenSize(n), n, element)) {
            if (w === -1) w = e;
            removed++;
            node.count--;
          } else if (w !== -1) {
            buf.copyWithin(w - size, o, e);
            w -= size;
          }
          e = o;
        }
        if (w !== -1) node.start = w;
        if (node.count === 0) this.#removeNode(i);
      }
    }
    this.#length -= removed;
    return removed;
  }

  /** Removes `n` elements from `end` (LTRIM, LPOP with a count after replying). */
  removeEnds(fromHead: number, fromTail: number): void {
    const items = this.#items;
    if (items !== null) {
      const a = Math.min(fromHead, items.length);
      items.splice(0, a);
      const z = Math.min(fromTail, items.length);
      items.length -= z;
      this.#length = items.length;
      return;
    }
    this.#dropHead(Math.min(fromHead, this.#length));
    this.#dropTail(Math.min(fromTail, this.#length));
  }

  #dropHead(n: number): void {
    this.#length -= n;
    while (n > 0) {
      const node = this.#node(0);
      if (node.count <= n) {
        n -= node.count;
        this.#removeNode(0);
        continue;
      }
      const buf = node.buf;
      let o = node.start;
      for (let k = 0; k < n; k++) o += entrySize(readForward(buf, o));
      node.start = o;
      node.count -= n;
      this.#maybeShrink(node);
      return;
    }
  }

  #dropTail(n: number): void {
    this.#length -= n;
    while (n > 0) {
      const last = this.#nodes - 1;
      const node = this.#node(last);
      if (node.count <= n) {
        n -= node.count;
        this.#removeNode(last);
        continue;
      }
      const buf = node.buf;
      let e = node.end;
      for (let k = 0; k < n; k++) e -= entrySize(readBackward(buf, e));
      node.end = e;
      node.count -= n;
      this.#maybeShrink(node);
      return;
    }
  }

  /**
   * The indexes of elements equal to `element`, with LPOS's rules: skip
   * the first `rank - 1` matches (from the tail when `rank` < 0), collect
   * up to `count` (0 = all) and look at no more than `maxlen` elements (0
   * = all). Indexes count from the head either way.
   */
  positions(element: Uint8Array, rank: number, count: number, maxlen: number): number[] {
    const out: number[] = [];
    const fromTail = rank < 0;
    const skip = Math.abs(rank) - 1;
    const limit = maxlen === 0 ? this.#length : Math.min(maxlen, this.#length);
    let matches = 0;
    let seen = 0;
    const items = this.#items;
    if (items !== null) {
      for (; seen < limit; seen++) {
        const idx = fromTail ? items.length - 1 - seen : seen;
        if (sameString(items[idx], element) && ++matches > skip) {
          out.push(idx);
          if (count !== 0 && out.length >= count) break;
        }
      }
      return out;
    }
    if (!fromTail) {
      for (let i = 0; i < this.#nodes && seen < limit; i++) {
        const node = this.#node(i);
        const buf = node.buf;
        for (let o = node.start; o < node.end && seen < limit;) {
          const n = readForward(buf, o);
          const h = lenSize(n);
          if (sameBytes(buf, o + h, n, element) && ++matches > skip) {
            out.push(seen);
            if (count !== 0 && out.length >= count) return out;
          }
          seen++;
          o += n + 2 * h;
        }
      }
    } else {
      const last = this.#length - 1;
      for (let i = this.#nodes - 1; i >= 0 && seen < limit; i--) {
        const node = this.#node(i);
        const buf = node.buf;
        for (let e = node.end; e > node.start && seen < limit;) {
          const n = readBackward(buf, e);
          const h = lenSize(n);
          if (sameBytes(buf, e - h - n, n, element) && ++matches > skip) {
            out.push(last - seen);
            if (count !== 0 && out.length >= count) return out;
          }
          seen++;
          e -= n + 2 * h;
        }
      }
    }
    return out;
  }

  /** Bytes held by the node buffers (capacity), for memory estimates. */
  get bufferBytes(): number {
    let n = 0;
    for (let i = 0; i < this.#nodes; i++) n += this.#node(i).buf.length;
    return n;
  }
}

/** The node ring of a list that has no nodes yet. */
const EMPTY_RING: (Node | undefined)[] = [];

/** The list value type for the keyspace's typed lookups. */
export const LIST: ValueType<RedisList> = {
  name: "list",
  is: (v): v is RedisList => v instanceof RedisList,
  create: (limits) => new RedisList(limits),
};
