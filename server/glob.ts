/**
 * Redis's glob matching (`stringmatchlen` in util.c), used by KEYS,
 * SCAN MATCH and CONFIG GET: `*` any run, `?` any byte, `[abc]` a set,
 * `[^a]` a negated set, `[a-z]` a range, `\x` a literal `x`. Binary safe:
 * pattern and subject are bytes. No regular expressions are built, so a
 * pattern cannot inject anything; `*` is matched iteratively with a single
 * backtrack point, so time is O(pattern × subject) and recursion-free.
 *
 * @example
 * ```ts
 * import { globMatch } from "./glob.ts";
 * const enc = new TextEncoder();
 * console.log(globMatch(enc.encode("user:*"), enc.encode("user:42"))); // true
 * console.log(globMatch(enc.encode("h[^e]llo"), enc.encode("hello"))); // false
 * ```
 *
 * @module
 */

const STAR = 42; // *
const QUESTION = 63; // ?
const OPEN = 91; // [
const CLOSE = 93; // ]
const CARET = 94; // ^
const BACKSLASH = 92; // \
const DASH = 45; // -

/** C's signed char: bytes >= 128 compare as negative numbers in ranges, as in Redis. */
function signed(b: number): number {
  return b > 127 ? b - 256 : b;
}

function lower(b: number): number {
  return b >= 65 && b <= 90 ? b + 32 : b;
}

/**
 * Matches one byte `c` against the single-char token at `pattern[p]` (not a
 * `*`). Returns the index after the token, or -1 when `c` does not match.
 */
function matchOne(pattern: Uint8Array, p: number, c: number, nocase: boolean): number {
  const plen = pattern.length;
  const t = pattern[p];
  if (t === QUESTION) return p + 1;
  if (t === OPEN) {
    p++;
    const not = p < plen && pattern[p] === CARET;
    if (not) p++;
    let match = false;
    for (;;) {
      const rest = plen - p;
      if (rest >= 2 && pattern[p] === BACKSLASH) {
        p++;
        if (pattern[p] === c) match = true;
      } else if (rest > 0 && pattern[p] === CLOSE) {
        break;
      } else if (rest === 0) {
        // unterminated set: it ends with the pattern
        p--;
        break;
      } else if (rest >= 3 && pattern[p + 1] === DASH) {
        let start = signed(pattern[p]);
        let end = signed(pattern[p + 2]);
        let x = signed(c);
        if (start > end) [start, end] = [end, start];
        if (nocase) {
          start = lower(start);
          end = lower(end);
          x = lower(x);
        }
        p += 2;
        if (x >= start && x <= end) match = true;
      } else if (nocase ? lower(pattern[p]) === lower(c) : pattern[p] === c) {
        match = true;
      }
      p++;
    }
    if (not) match = !match;
    return match ? p + 1 : -1;
  }
  if (t === BACKSLASH && plen - p >= 2) p++;
  const x = pattern[p];
  return (nocase ? lower(x) === lower(c) : x === c) ? p + 1 : -1;
}

/**
 * Whether `subject` matches the Redis glob `pattern` (both bytes).
 *
 * @param pattern the glob, e.g. `user:*`
 * @param subject the key or name to test
 * @param nocase ASCII case-insensitive (CONFIG GET uses this)
 */
export function globMatch(pattern: Uint8Array, subject: Uint8Array, nocase = false): boolean {
  const plen = pattern.length;
  const slen = subject.length;
  // Redis never enters its loop for an empty subject: only "" matches it.
  if (slen === 0) return plen === 0;
  let p = 0;
  let s = 0;
  let starP = -1; // index after the last '*' run
  let starS = 0; // subject index that '*' run is currently matched up to
  while (s < slen) {
    if (p < plen && pattern[p] === STAR) {
      while (p < plen && pattern[p] === STAR) p++;
      if (p === plen) return true;
      starP = p;
      starS = s;
      continue;
    }
    if (p < plen) {
      const next = matchOne(pattern, p, subject[s], nocase);
      if (next !== -1) {
        p = next;
        s++;
        continue;
      }
    }
    if (starP === -1) return false;
    p = starP;
    s = ++starS;
  }
  while (p < plen && pattern[p] === STAR) p++;
  return p === plen;
}

/** Whether the pattern is exactly `*` (callers skip matching then, as Redis does). */
export function isMatchAll(pattern: Uint8Array): boolean {
  return pattern.length === 1 && pattern[0] === STAR;
}
