/**
 * The longest common subsequence of two byte strings, computed as Redis's
 * `LCS` command does (the classic dynamic-programming table, then a walk
 * back from the end that emits the matched ranges from last to first), so
 * that ties resolve to the same subsequence and the same ranges as Redis.
 *
 * @example
 * ```ts
 * import { lcs } from "./lcs.ts";
 * const enc = new TextEncoder();
 * const r = lcs(enc.encode("ohmytext"), enc.encode("mynewtext"), { string: true });
 * console.log(new TextDecoder().decode(r.string)); // "mytext"
 * ```
 *
 * @module
 */

/** One matched range: inclusive byte offsets in `a` and `b`, and its length. */
export interface LcsRange {
  /** Start offset in the first string. */
  readonly aStart: number;
  /** End offset (inclusive) in the first string. */
  readonly aEnd: number;
  /** Start offset in the second string. */
  readonly bStart: number;
  /** End offset (inclusive) in the second string. */
  readonly bEnd: number;
  /** Length of the range. */
  readonly length: number;
}

/** What to compute besides the length. */
export interface LcsOptions {
  /** Build the subsequence itself. */
  string?: boolean;
  /** Collect the matched ranges (longest-last order, as Redis emits them). */
  ranges?: boolean;
  /** Only ranges at least this long are collected (0 = all). */
  minMatchLength?: number;
}

/** The result of {@linkcode lcs}. */
export interface LcsResult {
  /** Length of the longest common subsequence. */
  readonly length: number;
  /** The subsequence, when `options.string` was set. */
  readonly string?: Uint8Array;
  /** The ranges, when `options.ranges` was set. */
  readonly ranges?: LcsRange[];
}

/**
 * Bytes of the transient table for strings of these lengths (Redis refuses
 * to allocate more than `proto-max-bulk-len`).
 *
 * @example
 * ```ts
 * import { lcsTableBytes } from "./lcs.ts";
 * console.log(lcsTableBytes(1, 1)); // 16
 * ```
 */
export function lcsTableBytes(aLength: number, bLength: number): number {
  return (aLength + 1) * (bLength + 1) * 4;
}

/**
 * Computes the LCS of `a` and `b`. Time and memory are O(|a|·|b|); check
 * {@linkcode lcsTableBytes} against a limit first. May throw a `RangeError`
 * when the table cannot be allocated.
 *
 * @example
 * ```ts
 * import { lcs } from "./lcs.ts";
 * const enc = new TextEncoder();
 * console.log(lcs(enc.encode("abc"), enc.encode("xbc")).length); // 2
 * ```
 */
export function lcs(a: Uint8Array, b: Uint8Array, options: LcsOptions = {}): LcsResult {
  const alen = a.length;
  const blen = b.length;
  const w = blen + 1;
  const t = new Uint32Array((alen + 1) * w);
  for (let i = 1; i <= alen; i++) {
    const ai = a[i - 1];
    const row = i * w;
    const prev = row - w;
    for (let j = 1; j <= blen; j++) {
      if (ai === b[j - 1]) {
        t[row + j] = t[prev + j - 1] + 1;
      } else {
        const x = t[prev + j];
        const y = t[row + j - 1];
        t[row + j] = x > y ? x : y;
      }
    }
  }
  const length = t[alen * w + blen];
  const wantString = options.string === true;
  const wantRanges = options.ranges === true;
  if (!wantString && !wantRanges) return { length };

  const minLen = options.minMatchLength ?? 0;
  const out = wantString ? new Uint8Array(length) : undefined;
  const ranges: LcsRange[] | undefined = wantRanges ? [] : undefined;
  let idx = length;
  // aStart === alen means "no current range", as in Redis
  let aStart = alen;
  let aEnd = 0;
  let bStart = 0;
  let bEnd = 0;
  let i = alen;
  let j = blen;
  while (i > 0 && j > 0) {
    let emit = false;
    if (a[i - 1] === b[j - 1]) {
      if (out !== undefined) out[idx - 1] = a[i - 1];
      if (aStart === alen) {
        aStart = i - 1;
        aEnd = i - 1;
        bStart = j - 1;
        bEnd = j - 1;
      } else if (aStart === i && bStart === j) {
        aStart--;
        bStart--;
      } else {
        emit = true;
      }
      if (aStart === 0 || bStart === 0) emit = true;
      idx--;
      i--;
      j--;
    } else {
      const up = t[(i - 1) * w + j];
      const left = t[i * w + j - 1];
      if (up > left) i--;
      else j--;
      if (aStart !== alen) emit = true;
    }
    if (emit) {
      const matchLen = aEnd - aStart + 1;
      if (ranges !== undefined && (minLen === 0 || matchLen >= minLen)) {
        ranges.push({ aStart, aEnd, bStart, bEnd, length: matchLen });
      }
      aStart = alen;
    }
  }
  return { length, string: out, ranges };
}
