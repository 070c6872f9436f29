/**
 * A growable ring buffer: O(1) push at the back and shift at the front, no
 * per-operation allocation once it has grown to its working size. Internal
 * to the channels; not exported from `mod.ts`.
 *
 * @module
 */

/**
 * First-in first-out queue backed by a power-of-two ring buffer.
 *
 * @example
 * ```ts
 * import { Deque } from "./deque.ts";
 * const q = new Deque<number>();
 * q.push(1);
 * q.push(2);
 * console.log(q.shift(), q.length); // 1 1
 * ```
 */
export class Deque<T> {
  #items: (T | undefined)[];
  #mask: number;
  #head = 0;
  /** Number of queued items. */
  length = 0;

  /** @param initial starting size hint (rounded up to a power of two, at least 4) */
  constructor(initial = 8) {
    let size = 4;
    while (size < initial && size < 1 << 16) size <<= 1;
    this.#items = new Array(size);
    this.#mask = size - 1;
  }

  /** Appends `item` at the back. */
  push(item: T): void {
    if (this.length > this.#mask) this.#grow();
    this.#items[(this.#head + this.length) & this.#mask] = item;
    this.length++;
  }

  /** Removes and returns the front item, or `undefined` when empty. */
  shift(): T | undefined {
    if (this.length === 0) return undefined;
    const i = this.#head;
    const item = this.#items[i];
    this.#items[i] = undefined;
    this.#head = (i + 1) & this.#mask;
    this.length--;
    return item;
  }

  /** The front item without removing it, or `undefined` when empty. */
  peek(): T | undefined {
    return this.length === 0 ? undefined : this.#items[this.#head];
  }

  /**
   * Removes the first item that is `===` to `item`; returns whether one was
   * found. O(n); used only for rare cancellations.
   */
  remove(item: T): boolean {
    const n = this.length;
    const items = this.#items;
    const mask = this.#mask;
    for (let k = 0; k < n; k++) {
      if (items[(this.#head + k) & mask] !== item) continue;
      for (let j = k; j < n - 1; j++) {
        items[(this.#head + j) & mask] = items[(this.#head + j + 1) & mask];
      }
      items[(this.#head + n - 1) & mask] = undefined;
      this.length--;
      return true;
    }
    return false;
  }

  /** Removes every item. */
  clear(): void {
    this.#items.fill(undefined);
    this.#head = 0;
    this.length = 0;
  }

  #grow(): void {
    const old = this.#items;
    const size = old.length * 2;
    const items = new Array<T | undefined>(size);
    for (let k = 0; k < this.length; k++) items[k] = old[(this.#head + k) & this.#mask];
    this.#items = items;
    this.#mask = size - 1;
    this.#head = 0;
  }
}
