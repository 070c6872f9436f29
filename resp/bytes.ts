/**
 * Byte helpers shared by the codec, the server and the client: UTF-8 and
 * binary-safe ("latin1", one char per byte) conversions, and Redis's strict
 * integer parsing (`string2ll`).
 *
 * @module
 */

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Encodes a string as UTF-8 bytes.
 *
 * @example
 * ```ts
 * import { utf8 } from "./bytes.ts";
 * console.log(utf8("hé").length); // 3
 * ```
 */
export function utf8(text: string): Uint8Array {
  return encoder.encode(text);
}

/**
 * Decodes UTF-8 bytes into a string (invalid sequences become U+FFFD).
 *
 * @example
 * ```ts
 * import { fromUtf8, utf8 } from "./bytes.ts";
 * console.log(fromUtf8(utf8("hello"))); // "hello"
 * ```
 */
export function fromUtf8(bytes: Uint8Array): string {
  return decoder.decode(bytes);
}

/**
 * Maps bytes to a string with one char per byte (code points 0-255). The
 * mapping is a bijection, so the result is a binary-safe `Map` key; use
 * {@linkcode fromBinary} to get the bytes back. (`TextDecoder("latin1")` is
 * windows-1252 and is not reversible, hence this helper.)
 *
 * Results of up to 64 bytes are kept in a small direct-mapped cache (1024
 * strings, bounded memory): converting a recently seen key again returns
 * the same string, which costs a hash of the bytes instead of a new string,
 * and whose hash V8 has already computed for the next `Map` lookup.
 *
 * @example
 * ```ts
 * import { fromBinary, toBinary } from "./bytes.ts";
 * const key = toBinary(new Uint8Array([0, 255, 65]));
 * console.log(fromBinary(key)); // Uint8Array [0, 255, 65]
 * ```
 */
export function toBinary(bytes: Uint8Array): string {
  const n = bytes.length;
  if (n <= KEY_CACHE_MAX_LENGTH) {
    // Recently seen short strings are reused: no new string, and a Map
    // lookup finds the string's hash already computed.
    let h = n;
    for (let i = 0; i < n; i++) h = Math.imul(h ^ bytes[i], 0x01000193);
    const slot = (h ^ (h >>> 16)) & (KEY_CACHE_SIZE - 1);
    const cached = keyCache[slot];
    if (cached.length === n) {
      let i = 0;
      while (i < n && cached.charCodeAt(i) === bytes[i]) i++;
      if (i === n) return cached;
    }
    const s = buildBinary(bytes, n);
    keyCache[slot] = s;
    return s;
  }
  return buildBinary(bytes, n);
}

/** Strings of at most this many bytes go through the {@linkcode toBinary} cache. */
const KEY_CACHE_MAX_LENGTH = 64;
/** Slots of the {@linkcode toBinary} cache (a power of two). */
const KEY_CACHE_SIZE = 1024;
/** Direct-mapped cache of recent {@linkcode toBinary} results. */
const keyCache: string[] = new Array<string>(KEY_CACHE_SIZE).fill("\u0100");

function buildBinary(bytes: Uint8Array, n: number): string {
  // Short keys: a char loop. From 13 bytes on, a loop builds a cons-string
  // that every Map lookup must flatten; fromCharCode.apply builds a flat one.
  if (n < 13) {
    let s = "";
    for (let i = 0; i < n; i++) s += String.fromCharCode(bytes[i]);
    return s;
  }
  if (n <= 8192) {
    return String.fromCharCode.apply(null, bytes as unknown as number[]);
  }
  let s = "";
  for (let i = 0; i < n; i += 8192) {
    s += String.fromCharCode.apply(
      null,
      bytes.subarray(i, Math.min(n, i + 8192)) as unknown as number[],
    );
  }
  return s;
}

/**
 * The inverse of {@linkcode toBinary}: one byte per char (chars must be below 256).
 *
 * @example
 * ```ts
 * import { fromBinary } from "./bytes.ts";
 * console.log(fromBinary("AB")); // Uint8Array [65, 66]
 * ```
 */
export function fromBinary(text: string): Uint8Array {
  const n = text.length;
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = text.charCodeAt(i);
  return out;
}

/**
 * Bytes from a string or bytes: strings are encoded as UTF-8, bytes are
 * returned as they are.
 *
 * @example
 * ```ts
 * import { toBytes } from "./bytes.ts";
 * console.log(toBytes("ab")); // Uint8Array [97, 98]
 * ```
 */
export function toBytes(value: string | Uint8Array): Uint8Array {
  return typeof value === "string" ? encoder.encode(value) : value;
}

const MAX_I64 = 9223372036854775807n;
const MIN_I64 = -9223372036854775808n;

/**
 * Parses a signed 64-bit decimal integer exactly as Redis's `string2ll`
 * does: optional `-`, no `+`, no spaces, no leading zeros (except `0`
 * itself), at most 20 chars, within the int64 range. Returns a `number` when
 * it is a safe integer, a `bigint` otherwise, and `null` when the bytes are
 * not such an integer.
 *
 * @example
 * ```ts
 * import { parseInteger, utf8 } from "./bytes.ts";
 * console.log(parseInteger(utf8("-42"))); // -42
 * console.log(parseInteger(utf8("042"))); // null
 * ```
 */
export function parseInteger(
  bytes: Uint8Array,
  start = 0,
  end = bytes.length,
): number | bigint | null {
  const len = end - start;
  if (len <= 0 || len > 20) return null;
  let i = start;
  let negative = false;
  if (bytes[i] === 45 /* - */) {
    negative = true;
    i++;
    if (i === end) return null;
  }
  const first = bytes[i];
  if (first === 48 /* 0 */) {
    // "0" alone; "-0" and leading zeros are rejected, as string2ll does
    return len === 1 ? 0 : null;
  }
  if (first < 49 || first > 57) return null;
  let value = 0;
  const digitsStart = i;
  for (; i < end; i++) {
    const c = bytes[i] - 48;
    if (c < 0 || c > 9) return null;
    value = value * 10 + c;
  }
  if (end - digitsStart <= 15) return negative ? -value : value;
  // Long numbers: redo exactly with bigint and check the int64 range.
  let big = 0n;
  for (let j = digitsStart; j < end; j++) big = big * 10n + BigInt(bytes[j] - 48);
  if (negative) big = -big;
  if (big > MAX_I64 || big < MIN_I64) return null;
  const n = Number(big);
  return Number.isSafeInteger(n) ? n : big;
}
