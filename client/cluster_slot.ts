/**
 * Redis Cluster's key slot: CRC16 (XMODEM) of the key, or of its hash tag
 * (the part between the first `{` and the next `}` when it is not empty),
 * modulo 16384. Strings are hashed as their UTF-8 bytes without encoding
 * them into a buffer first.
 *
 * @module
 */

import type { Arg } from "./commands.ts";

/** Number of hash slots of a Redis Cluster. */
export const SLOTS = 16384;

const TABLE = /* @__PURE__ */ (() => {
  const t = new Uint16Array(256);
  for (let i = 0; i < 256; i++) {
    let crc = i << 8;
    for (let j = 0; j < 8; j++) {
      crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
    }
    t[i] = crc;
  }
  return t;
})();

/**
 * CRC16-CCITT (XMODEM), the checksum Redis Cluster hashes keys with.
 *
 * @example
 * ```ts
 * import { crc16 } from "./cluster_slot.ts";
 * console.log(crc16(new TextEncoder().encode("123456789")).toString(16)); // "31c3"
 * ```
 */
export function crc16(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let crc = 0;
  for (let i = start; i < end; i++) {
    crc = ((crc << 8) & 0xffff) ^ TABLE[((crc >> 8) ^ bytes[i]) & 0xff];
  }
  return crc;
}

/** CRC16 of the UTF-8 encoding of `s.slice(start, end)`, without building it. */
function crc16Utf8(s: string, start: number, end: number): number {
  let crc = 0;
  for (let i = start; i < end; i++) {
    let c = s.charCodeAt(i);
    if (c < 0x80) {
      crc = ((crc << 8) & 0xffff) ^ TABLE[((crc >> 8) ^ c) & 0xff];
      continue;
    }
    if (c < 0x800) {
      crc = ((crc << 8) & 0xffff) ^ TABLE[((crc >> 8) ^ (0xc0 | (c >> 6))) & 0xff];
    } else {
      if (c >= 0xd800 && c <= 0xdbff && i + 1 < end) {
        const d = s.charCodeAt(i + 1);
        if (d >= 0xdc00 && d <= 0xdfff) {
          c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
          i++;
          crc = ((crc << 8) & 0xffff) ^ TABLE[((crc >> 8) ^ (0xf0 | (c >> 18))) & 0xff];
          crc = ((crc << 8) & 0xffff) ^ TABLE[((crc >> 8) ^ (0x80 | ((c >> 12) & 0x3f))) & 0xff];
          crc = ((crc << 8) & 0xffff) ^ TABLE[((crc >> 8) ^ (0x80 | ((c >> 6) & 0x3f))) & 0xff];
          crc = ((crc << 8) & 0xffff) ^ TABLE[((crc >> 8) ^ (0x80 | (c & 0x3f))) & 0xff];
          continue;
        }
      }
      if (c >= 0xd800 && c <= 0xdfff) c = 0xfffd; // a lone surrogate is sent as U+FFFD
      crc = ((crc << 8) & 0xffff) ^ TABLE[((crc >> 8) ^ (0xe0 | (c >> 12))) & 0xff];
      crc = ((crc << 8) & 0xffff) ^ TABLE[((crc >> 8) ^ (0x80 | ((c >> 6) & 0x3f))) & 0xff];
    }
    crc = ((crc << 8) & 0xffff) ^ TABLE[((crc >> 8) ^ (0x80 | (c & 0x3f))) & 0xff];
  }
  return crc;
}

/**
 * The hash slot (0-16383) of a key, as Redis Cluster computes it: only the
 * hash tag is hashed when the key has one (`{user1000}.following` and
 * `{user1000}.followers` share a slot). Numbers are hashed as their decimal
 * text, as they are sent.
 *
 * @example
 * ```ts
 * import { keySlot } from "./cluster_slot.ts";
 * console.log(keySlot("foo")); // 12182
 * console.log(keySlot("{user1000}.following") === keySlot("user1000")); // true
 * ```
 */
export function keySlot(key: Arg): number {
  if (typeof key === "string") {
    const open = key.indexOf("{");
    if (open !== -1) {
      const close = key.indexOf("}", open + 1);
      if (close > open + 1) return crc16Utf8(key, open + 1, close) & (SLOTS - 1);
    }
    return crc16Utf8(key, 0, key.length) & (SLOTS - 1);
  }
  if (key instanceof Uint8Array) {
    const open = key.indexOf(0x7b);
    if (open !== -1) {
      const close = key.indexOf(0x7d, open + 1);
      if (close > open + 1) return crc16(key, open + 1, close) & (SLOTS - 1);
    }
    return crc16(key) & (SLOTS - 1);
  }
  const text = String(key);
  return crc16Utf8(text, 0, text.length) & (SLOTS - 1);
}
