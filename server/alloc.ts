/**
 * Cheap byte allocation for stored values. `Uint8Array.prototype.slice()`
 * and `new Uint8Array(n)` each create a new backing store, which in V8
 * costs several hundred nanoseconds; on the SET hot path that dominates.
 * Small values are instead carved out of shared 16 KiB slabs (as Node.js
 * pools small `Buffer`s): creating a view costs tens of nanoseconds.
 *
 * The price is the usual one of pooling: a slab stays alive while any
 * value carved from it does. Values up to {@linkcode SMALL_VALUE_MAX} bytes
 * are pooled, so at least 32 share a slab.
 *
 * Pooled values share their `buffer` with unrelated values: never write
 * past a value's own `length` (take a private copy before growing it).
 *
 * @example
 * ```ts
 * import { copyBytes } from "./alloc.ts";
 * const args = new TextEncoder().encode("hello world");
 * const stored = copyBytes(args.subarray(6)); // a private copy of "world"
 * console.log(stored.length); // 5
 * ```
 *
 * @module
 */

/** Size of one slab. */
const SLAB_SIZE = 16 * 1024;
/** Largest value taken from a slab; bigger ones get their own buffer. */
export const SMALL_VALUE_MAX = 512;

let slab = new ArrayBuffer(SLAB_SIZE);
let offset = 0;

/**
 * A new zero-filled byte array of `length` bytes (pooled when small).
 *
 * @example
 * ```ts
 * import { allocBytes } from "./alloc.ts";
 * console.log(allocBytes(3)); // Uint8Array(3) [0, 0, 0]
 * ```
 */
export function allocBytes(length: number): Uint8Array {
  if (length > SMALL_VALUE_MAX) return new Uint8Array(length);
  if (offset + length > SLAB_SIZE) {
    slab = new ArrayBuffer(SLAB_SIZE);
    offset = 0;
  }
  const out = new Uint8Array(slab, offset, length);
  offset += length;
  return out;
}

/**
 * A private copy of `src` (pooled when small): use it to store bytes that
 * view a connection's read buffer.
 *
 * @example
 * ```ts
 * import { copyBytes } from "./alloc.ts";
 * const src = new Uint8Array([1, 2, 3]);
 * const copy = copyBytes(src);
 * src[0] = 9;
 * console.log(copy[0]); // 1
 * ```
 */
export function copyBytes(src: Uint8Array): Uint8Array {
  const n = src.length;
  if (n > SMALL_VALUE_MAX) {
    const big = new Uint8Array(n);
    big.set(src);
    return big;
  }
  if (offset + n > SLAB_SIZE) {
    slab = new ArrayBuffer(SLAB_SIZE);
    offset = 0;
  }
  const out = new Uint8Array(slab, offset, n);
  if (n < 16) {
    for (let i = 0; i < n; i++) out[i] = src[i];
  } else {
    out.set(src);
  }
  offset += n;
  return out;
}
