/**
 * Exact emulation of the x87 80-bit `long double` arithmetic that Redis's
 * `INCRBYFLOAT` relies on (on x86-64 Linux): `strtold` parsing with
 * Redis's `string2ld` acceptance rules, correctly rounded addition, and
 * the `%.17Lf` formatting with trailing zeros trimmed (`ld2string` in
 * `LD_STR_HUMAN` mode). A JavaScript `number` has a 53-bit significand,
 * the x87 format has 64 bits, so `0.1` must print as `0.1` and
 * `10 + 5.0e3 + 0.1` as `5010.10000000000000009`, exactly as Redis does.
 *
 * Values are kept exact with `bigint`; this is not a hot path.
 *
 * @example
 * ```ts
 * import { addLongDouble, formatLongDouble, parseLongDouble } from "./longdouble.ts";
 * const a = parseLongDouble(new TextEncoder().encode("10.5"))!;
 * const b = parseLongDouble(new TextEncoder().encode("0.1"))!;
 * console.log(formatLongDouble(addLongDouble(a, b))); // "10.6"
 * ```
 *
 * @module
 */

/**
 * A finite or infinite x87 extended-precision value: `(-1)^neg * mant * 2^exp`
 * with `mant < 2^64`. Infinity has `exp === Infinity`; NaN has `exp` NaN.
 */
export interface LongDouble {
  /** Sign (also for zero). */
  readonly neg: boolean;
  /** The significand, below 2^64 (0 for zero, infinity and NaN). */
  readonly mant: bigint;
  /** The binary exponent of the significand's last bit; `Infinity` or `NaN` for those. */
  readonly exp: number;
}

/** Weight of the last significand bit of the smallest subnormal: 2^-16445. */
const MIN_LSB = -16445;
/** Values at or above 2^16384 overflow to infinity. */
const MAX_BITS = 16384;
/** Redis's MAX_LONG_DOUBLE_CHARS: longer inputs are rejected. */
const MAX_CHARS = 5 * 1024;

const ZERO: LongDouble = { neg: false, mant: 0n, exp: 0 };

function bitLength(n: bigint): number {
  return n === 0n ? 0 : n.toString(2).length;
}

/**
 * Rounds `num / den * 2^scale` (num, den > 0) to 64 significant bits,
 * half to even, honouring the subnormal range. Returns `undefined` when the
 * result underflows to zero or overflows to infinity (`strtold`'s ERANGE
 * cases that Redis rejects), unless `saturate` is set, in which case
 * overflow gives infinity and underflow gives zero.
 */
function round(
  neg: boolean,
  num: bigint,
  den: bigint,
  scale: number,
  saturate: boolean,
): LongDouble | undefined {
  // q gets at least 66 bits: 64 kept, one rounding bit, more for the sticky test
  const k = 67 - (bitLength(num) - bitLength(den));
  let n = num;
  let d = den;
  if (k > 0) n <<= BigInt(k);
  else if (k < 0) d <<= BigInt(-k);
  const q = n / d;
  const sticky = n % d !== 0n;
  const qExp = scale - k; // value ~ q * 2^qExp
  let lsb = qExp + bitLength(q) - 64;
  if (lsb < MIN_LSB) lsb = MIN_LSB;
  const drop = lsb - qExp; // >= 2
  const dropN = BigInt(drop);
  let m = q >> dropN;
  const half = (q >> (dropN - 1n)) & 1n;
  const rest = sticky || (q & ((1n << (dropN - 1n)) - 1n)) !== 0n;
  if (half === 1n && (rest || (m & 1n) === 1n)) m += 1n;
  if (m === 1n << 64n) {
    m >>= 1n;
    lsb++;
  }
  if (m === 0n) return saturate ? { neg, mant: 0n, exp: 0 } : undefined;
  if (bitLength(m) + lsb > MAX_BITS) {
    return saturate ? { neg, mant: 0n, exp: Infinity } : undefined;
  }
  return { neg, mant: m, exp: lsb };
}

const DECIMAL = /^([+-]?)(?:(\d+)\.?(\d*)|\.(\d+))(?:[eE]([+-]?\d+))?$/;
const HEX = /^([+-]?)0[xX](?:([0-9a-fA-F]+)\.?([0-9a-fA-F]*)|\.([0-9a-fA-F]+))(?:[pP]([+-]?\d+))?$/;
const INFINITY = /^([+-]?)inf(?:inity)?$/i;

/** Parses a decimal exponent, clamping absurd magnitudes (they only mean over/underflow). */
function parseExponent(text: string | undefined): number {
  if (text === undefined) return 0;
  const n = Number(text);
  if (n > 1e9) return 1e9;
  if (n < -1e9) return -1e9;
  return n;
}

/**
 * Parses bytes as Redis's `string2ld` does: `strtold` must consume the
 * whole argument, so an empty one, one of 5120 bytes or more, leading
 * white space, trailing garbage (a NUL included), NaN, and values that
 * overflow or underflow to zero are rejected. Accepts decimal and hexadecimal floats and `inf` /
 * `infinity` (any case, with a sign). Returns `undefined` when invalid.
 *
 * @example
 * ```ts
 * import { parseLongDouble } from "./longdouble.ts";
 * console.log(parseLongDouble(new TextEncoder().encode("1e5000"))); // undefined
 * ```
 */
export function parseLongDouble(bytes: Uint8Array): LongDouble | undefined {
  const len = bytes.length;
  if (len === 0 || len >= MAX_CHARS) return undefined;
  // strtold must consume every byte, so a NUL anywhere makes it invalid
  let text = "";
  for (let i = 0; i < len; i++) {
    const c = bytes[i];
    if (c === 0) return undefined;
    text += String.fromCharCode(c);
  }
  let m = DECIMAL.exec(text);
  if (m !== null) {
    const neg = m[1] === "-";
    const digits = m[4] !== undefined ? m[4] : m[2] + m[3];
    const fracLen = m[4] !== undefined ? m[4].length : m[3].length;
    const first = digits.search(/[1-9]/);
    if (first === -1) return { neg, mant: 0n, exp: 0 };
    const sig = digits.slice(first);
    const exp10 = parseExponent(m[5]) - fracLen;
    // magnitude is about 10^(sig.length + exp10): cut off hopeless cases early
    const magnitude = sig.length + exp10;
    if (magnitude > 4940 || magnitude < -4960) return undefined;
    const d = BigInt(sig);
    if (exp10 >= 0) return round(neg, d * 10n ** BigInt(exp10), 1n, 0, false);
    return round(neg, d, 10n ** BigInt(-exp10), 0, false);
  }
  m = HEX.exec(text);
  if (m !== null) {
    const neg = m[1] === "-";
    const digits = m[4] !== undefined ? m[4] : m[2] + m[3];
    const fracLen = m[4] !== undefined ? m[4].length : m[3].length;
    const first = digits.search(/[1-9a-fA-F]/);
    if (first === -1) return { neg, mant: 0n, exp: 0 };
    const sig = digits.slice(first);
    const exp2 = parseExponent(m[5]) - 4 * fracLen;
    const magnitude = 4 * sig.length + exp2;
    if (magnitude > MAX_BITS + 8 || magnitude < MIN_LSB - 8) return undefined;
    return round(neg, BigInt("0x" + sig), 1n, exp2, false);
  }
  m = INFINITY.exec(text);
  if (m !== null) return { neg: m[1] === "-", mant: 0n, exp: Infinity };
  return undefined;
}

/**
 * Converts a safe integer to a {@linkcode LongDouble} (exact).
 *
 * @example
 * ```ts
 * import { formatLongDouble, longDoubleFromInteger } from "./longdouble.ts";
 * console.log(formatLongDouble(longDoubleFromInteger(-3))); // "-3"
 * ```
 */
export function longDoubleFromInteger(n: number | bigint): LongDouble {
  const b = BigInt(n);
  if (b === 0n) return ZERO;
  const neg = b < 0n;
  return round(neg, neg ? -b : b, 1n, 0, true)!;
}

/**
 * Whether the value is neither infinite nor NaN.
 *
 * @example
 * ```ts
 * import { isFiniteLongDouble, parseLongDouble } from "./longdouble.ts";
 * console.log(isFiniteLongDouble(parseLongDouble(new TextEncoder().encode("inf"))!)); // false
 * ```
 */
export function isFiniteLongDouble(x: LongDouble): boolean {
  return Number.isFinite(x.exp);
}

/**
 * `a + b` in x87 extended precision, correctly rounded (half to even),
 * overflowing to infinity; `inf + -inf` is NaN.
 *
 * @example
 * ```ts
 * import { addLongDouble, formatLongDouble, parseLongDouble } from "./longdouble.ts";
 * const one = parseLongDouble(new TextEncoder().encode("1"))!;
 * console.log(formatLongDouble(addLongDouble(one, one))); // "2"
 * ```
 */
export function addLongDouble(a: LongDouble, b: LongDouble): LongDouble {
  if (Number.isNaN(a.exp) || Number.isNaN(b.exp)) return { neg: false, mant: 0n, exp: NaN };
  if (a.exp === Infinity || b.exp === Infinity) {
    if (a.exp === Infinity && b.exp === Infinity && a.neg !== b.neg) {
      return { neg: false, mant: 0n, exp: NaN };
    }
    return a.exp === Infinity ? a : b;
  }
  if (a.mant === 0n) return b.mant === 0n ? { neg: a.neg && b.neg, mant: 0n, exp: 0 } : b;
  if (b.mant === 0n) return a;
  const base = Math.min(a.exp, b.exp);
  const ai = (a.neg ? -a.mant : a.mant) << BigInt(a.exp - base);
  const bi = (b.neg ? -b.mant : b.mant) << BigInt(b.exp - base);
  const sum = ai + bi;
  if (sum === 0n) return ZERO;
  const neg = sum < 0n;
  return round(neg, neg ? -sum : sum, 1n, base, true)!;
}

const TEN17 = 10n ** 17n;

/**
 * Formats as Redis's `ld2string(..., LD_STR_HUMAN)`: `%.17Lf` (exact
 * decimal expansion, rounded half to even), then trailing zeros and a
 * trailing `.` removed, and `-0` written as `0`. Infinity is `inf`/`-inf`,
 * NaN is `nan`.
 *
 * @example
 * ```ts
 * import { formatLongDouble, parseLongDouble } from "./longdouble.ts";
 * console.log(formatLongDouble(parseLongDouble(new TextEncoder().encode("5.0e3"))!)); // "5000"
 * ```
 */
export function formatLongDouble(x: LongDouble): string {
  if (Number.isNaN(x.exp)) return "nan";
  if (x.exp === Infinity) return x.neg ? "-inf" : "inf";
  let scaled: bigint;
  if (x.exp >= 0) {
    scaled = (x.mant << BigInt(x.exp)) * TEN17;
  } else {
    const num = x.mant * TEN17;
    const sh = BigInt(-x.exp);
    let q = num >> sh;
    const rem = num - (q << sh);
    const half = 1n << (sh - 1n);
    if (rem > half || (rem === half && (q & 1n) === 1n)) q += 1n;
    scaled = q;
  }
  let digits = scaled.toString();
  if (digits.length < 18) digits = "0".repeat(18 - digits.length) + digits;
  const intPart = digits.slice(0, digits.length - 17);
  let frac = digits.slice(digits.length - 17);
  let end = frac.length;
  while (end > 0 && frac.charCodeAt(end - 1) === 48) end--;
  frac = frac.slice(0, end);
  const out = (x.neg ? "-" : "") + intPart + (frac.length > 0 ? "." + frac : "");
  return out === "-0" ? "0" : out;
}
