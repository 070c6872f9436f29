/**
 * Doubles as Redis 7.0 reads and prints sorted-set scores.
 *
 * Printing: {@linkcode formatScore} is C's `%.17g` (Redis's
 * `addReplyDouble`: `ZSCORE` after `ZADD k 0.1 m` prints
 * `0.10000000000000001`), correctly rounded with ties to even as glibc
 * does; {@linkcode formatListpackScore} and {@linkcode formatSkiplistScore}
 * are the texts `ZSCAN` shows for the two encodings.
 *
 * Parsing: {@linkcode parseScore} has the rules of Redis's
 * `getDoubleFromObject` (a whole `strtod` number: no spaces, no overflow,
 * no underflow to zero, no NaN); {@linkcode parseRangeScore} those of
 * `zslParseRange` (`strtod` on a C string: leading spaces allowed, text
 * after a NUL ignored, overflow to `inf` allowed).
 *
 * @example
 * ```ts
 * import { formatScore, parseScore } from "./zset_double.ts";
 * const score = parseScore(new TextEncoder().encode("0.1"))!;
 * console.log(formatScore(score)); // "0.10000000000000001"
 * console.log(formatScore(3)); // "3"
 * console.log(formatScore(1e20)); // "1e+20"
 * ```
 *
 * @module
 */

import { formatDouble17 } from "../../resp/double.ts";

/**
 * C's `printf("%.17g", x)` as Redis 7.0's `addReplyDouble` uses it for
 * scores (RESP2 bulk text and RESP3 doubles), with `inf`, `-inf`, `nan`.
 *
 * @example
 * ```ts
 * import { formatScore } from "./zset_double.ts";
 * console.log(formatScore(1.5), formatScore(-0), formatScore(1e-5)); // "1.5" "-0" "1.0000000000000001e-05"
 * ```
 */
export const formatScore: (x: number) => string = formatDouble17;

/** 2^62: Redis's `double2ll` stores integral scores up to `LLONG_MAX/2` as integers in a listpack. */
const LISTPACK_INT_LIMIT = 4611686018427387904;

/**
 * The text of a score kept in a listpack (what `ZSCAN` shows for a small
 * sorted set): integral values within ±2^62 as integers (Redis's
 * `double2ll`), others as {@linkcode formatScore}.
 *
 * @example
 * ```ts
 * import { formatListpackScore } from "./zset_double.ts";
 * console.log(formatListpackScore(1e18), formatListpackScore(1e19)); // "1000000000000000000" "1e+19"
 * ```
 */
export function formatListpackScore(x: number): string {
  if (Number.isSafeInteger(x)) return x === 0 ? "0" : String(x);
  if (Number.isInteger(x) && x >= -LISTPACK_INT_LIMIT && x <= LISTPACK_INT_LIMIT) {
    return BigInt(x).toString();
  }
  return formatScore(x);
}

/**
 * The text `ZSCAN` shows for a score of a skiplist-encoded sorted set
 * (Redis's `d2string`): the same as {@linkcode formatScore}.
 */
export function formatSkiplistScore(x: number): string {
  return formatScore(x);
}

// ---------------------------------------------------------------------------
// strtod

/** Where the last {@linkcode strtod} call stopped (index of the first unparsed byte). */
let parsedEnd = 0;
/** Whether the last {@linkcode strtod} call overflowed or underflowed to zero (C's ERANGE). */
let parsedRange = false;

function isSpace(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13);
}

function lower(c: number): number {
  return c >= 65 && c <= 90 ? c + 32 : c;
}

/** Whether bytes from `i` spell the ASCII word `word` (lower case) case-insensitively. */
function matchWord(bytes: Uint8Array, i: number, end: number, word: string): boolean {
  if (end - i < word.length) return false;
  for (let k = 0; k < word.length; k++) {
    if (lower(bytes[i + k]) !== word.charCodeAt(k)) return false;
  }
  return true;
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  const l = lower(c);
  if (l >= 97 && l <= 102) return l - 87;
  return -1;
}

/**
 * glibc's `strtod` on `bytes[start, end)`: the value of the longest prefix
 * that is a number (after optional white space): decimal, hexadecimal
 * (`0x1.8p3`), `inf`/`infinity`, `nan`/`nan(...)`. Sets `parsedEnd` (the
 * stop position; `start` when nothing was converted) and `parsedRange`.
 */
function strtod(bytes: Uint8Array, start: number, end: number): number {
  parsedRange = false;
  parsedEnd = start;
  let i = start;
  while (i < end && isSpace(bytes[i])) i++;
  let neg = false;
  if (i < end && (bytes[i] === 43 || bytes[i] === 45)) {
    neg = bytes[i] === 45;
    i++;
  }
  if (i >= end) return 0;
  const c = lower(bytes[i]);
  if (c === 105 /* i */) {
    if (!matchWord(bytes, i, end, "inf")) return 0;
    parsedEnd = matchWord(bytes, i, end, "infinity") ? i + 8 : i + 3;
    return neg ? -Infinity : Infinity;
  }
  if (c === 110 /* n */) {
    if (!matchWord(bytes, i, end, "nan")) return 0;
    let j = i + 3;
    parsedEnd = j;
    if (j < end && bytes[j] === 40 /* ( */) {
      j++;
      while (j < end) {
        const d = lower(bytes[j]);
        if (!((d >= 48 && d <= 57) || (d >= 97 && d <= 122) || d === 95)) break;
        j++;
      }
      if (j < end && bytes[j] === 41 /* ) */) parsedEnd = j + 1;
    }
    return NaN;
  }
  if (c === 48 && i + 1 < end && lower(bytes[i + 1]) === 120 /* x */) {
    const hex = parseHex(bytes, i + 2, end, neg);
    if (hex !== undefined) return hex;
    // "0x" without hex digits: just the "0"
    parsedEnd = i + 1;
    return neg ? -0 : 0;
  }
  // decimal
  let j = i;
  let nonzero = false;
  let digits = 0;
  while (j < end && bytes[j] >= 48 && bytes[j] <= 57) {
    if (bytes[j] !== 48) nonzero = true;
    j++;
    digits++;
  }
  if (j < end && bytes[j] === 46 /* . */) {
    j++;
    while (j < end && bytes[j] >= 48 && bytes[j] <= 57) {
      if (bytes[j] !== 48) nonzero = true;
      j++;
      digits++;
    }
  }
  if (digits === 0) return 0;
  if (j < end && lower(bytes[j]) === 101 /* e */) {
    let k = j + 1;
    if (k < end && (bytes[k] === 43 || bytes[k] === 45)) k++;
    const expStart = k;
    while (k < end && bytes[k] >= 48 && bytes[k] <= 57) k++;
    if (k > expStart) j = k;
  }
  parsedEnd = j;
  let text = "";
  for (let t = i; t < j; t++) text += String.fromCharCode(bytes[t]);
  const value = Number(text);
  if (value === Infinity) parsedRange = true;
  else if (value === 0 && nonzero) parsedRange = true;
  return neg ? -value : value;
}

/** The hexadecimal part after `0x`; undefined when there is no hex digit. */
function parseHex(bytes: Uint8Array, i: number, end: number, neg: boolean): number | undefined {
  let mant = 0n;
  let digits = 0;
  let frac = 0;
  let j = i;
  while (j < end && hexValue(bytes[j]) >= 0) {
    mant = mant * 16n + BigInt(hexValue(bytes[j]));
    j++;
    digits++;
  }
  if (j < end && bytes[j] === 46) {
    j++;
    while (j < end && hexValue(bytes[j]) >= 0) {
      mant = mant * 16n + BigInt(hexValue(bytes[j]));
      j++;
      digits++;
      frac++;
    }
  }
  if (digits === 0) return undefined;
  let exp = 0;
  if (j < end && lower(bytes[j]) === 112 /* p */) {
    let k = j + 1;
    let eneg = false;
    if (k < end && (bytes[k] === 43 || bytes[k] === 45)) {
      eneg = bytes[k] === 45;
      k++;
    }
    const ds = k;
    let e = 0;
    while (k < end && bytes[k] >= 48 && bytes[k] <= 57) {
      if (e < 100000) e = e * 10 + bytes[k] - 48;
      k++;
    }
    if (k > ds) {
      exp = eneg ? -e : e;
      j = k;
    }
  }
  parsedEnd = j;
  exp -= 4 * frac;
  let value: number;
  if (mant === 0n) {
    value = 0;
  } else {
    // scale in steps so that intermediate powers stay finite
    value = Number(mant);
    while (exp > 0 && value !== Infinity) {
      const step = Math.min(exp, 1000);
      value *= 2 ** step;
      exp -= step;
    }
    while (exp < 0 && value !== 0) {
      const step = Math.max(exp, -1000);
      value *= 2 ** step;
      exp -= step;
    }
    if (value === Infinity || value === 0) parsedRange = true;
  }
  return neg ? -value : value;
}

/**
 * Parses a score argument as Redis's `getDoubleFromObject`: the whole
 * argument must be a `strtod` number, with no leading space, no overflow,
 * no underflow to zero and not NaN (`inf`, `-inf`, `1e3`, `0x10` are
 * fine). Undefined when Redis would reply `ERR value is not a valid float`.
 *
 * @example
 * ```ts
 * import { parseScore } from "./zset_double.ts";
 * const enc = new TextEncoder();
 * console.log(parseScore(enc.encode("-inf")), parseScore(enc.encode("1e400"))); // -Infinity undefined
 * ```
 */
export function parseScore(bytes: Uint8Array): number | undefined {
  const n = bytes.length;
  if (n === 0 || isSpace(bytes[0])) return undefined;
  const v = strtod(bytes, 0, n);
  if (parsedEnd !== n || v !== v) return undefined;
  if (parsedRange && (v === Infinity || v === -Infinity || v === 0)) return undefined;
  return v;
}

/**
 * Parses a score bound of ZRANGEBYSCORE/ZCOUNT/... (after the optional
 * `(`, at `start`) as Redis's `zslParseRange`: C's `strtod` on the
 * argument as a C string, which must stop at its end or at a NUL byte;
 * NaN is refused. Undefined when Redis would reply
 * `ERR min or max is not a float`.
 */
export function parseRangeScore(bytes: Uint8Array, start: number): number | undefined {
  let end = bytes.indexOf(0, start);
  if (end === -1) end = bytes.length;
  const v = strtod(bytes, start, end);
  if (parsedEnd !== end || v !== v) return undefined;
  return v;
}
