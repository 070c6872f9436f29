/**
 * Doubles as Redis 7.0 prints them: {@linkcode formatDouble17} is C's
 * `%.17g` (`ZSCORE` after `ZADD k 0.1 m` prints `0.10000000000000001`).
 * Pure number formatting, shared by the encoder and the sorted sets.
 *
 * @module
 */

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
/** Index of the high 32-bit word of a double in `u32` (little- or big-endian hosts). */
const HI = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0;
const LO = 1 - HI;

/** The exact value of a finite `x` as `num / 2^shift` (num an integer, sign included). */
function exactBinary(x: number): { num: bigint; shift: number } {
  f64[0] = x;
  const hi = u32[HI];
  const lo = u32[LO];
  const biased = (hi >>> 20) & 0x7ff;
  let mant = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  let exp: number;
  if (biased === 0) {
    exp = -1074;
  } else {
    mant |= 1n << 52n;
    exp = biased - 1075;
  }
  if (hi >>> 31) mant = -mant;
  return exp >= 0 ? { num: mant << BigInt(exp), shift: 0 } : { num: mant, shift: -exp };
}

/**
 * Whether finite `x` equals exactly `digits * 10^exp10` (digits a decimal
 * integer string, sign ignored: compares magnitudes).
 */
function exactlyEquals(x: number, digits: string, exp10: number): boolean {
  const { num, shift } = exactBinary(Math.abs(x));
  let rn = BigInt(digits);
  let rd = 1n;
  if (exp10 >= 0) rn *= 10n ** BigInt(exp10);
  else rd = 10n ** BigInt(-exp10);
  // num / 2^shift == rn / rd
  return num * rd === rn << BigInt(shift);
}

/**
 * The 17 significant digits of finite nonzero `x` (no sign) and its
 * decimal exponent, rounded to nearest with ties to even (glibc's
 * `printf`). `toExponential` rounds ties away from zero, so exact ties are
 * detected and corrected.
 */
function digits17(x: number): { digits: string; exp: number } {
  const s = x.toExponential(16); // "-d.dddddddddddddddde+N"
  const neg = s.charCodeAt(0) === 45 ? 1 : 0;
  const e = s.indexOf("e");
  let digits = s.charAt(neg) + s.slice(neg + 2, e);
  const exp = Number(s.slice(e + 1));
  const last = digits.charCodeAt(16) - 48;
  if ((last & 1) === 1) {
    // A tie would have been rounded up to this odd digit; half-even keeps the even one below.
    const t = x.toExponential(20);
    const te = t.indexOf("e");
    const long = t.charAt(neg) + t.slice(neg + 2, te);
    const texp = Number(t.slice(te + 1));
    if (texp === exp && long.endsWith("5000") && exactlyEquals(x, long, texp - 20)) {
      digits = digits.slice(0, 16) + String.fromCharCode(48 + last - 1);
    }
  }
  return { digits, exp };
}

/**
 * C's `printf("%.17g", x)`, as Redis 7.0's `addReplyDouble` prints doubles
 * (RESP2 bulk text and RESP3 `,` doubles), with `inf`, `-inf`, `nan`:
 * correctly rounded, ties to even as glibc does.
 *
 * @example
 * ```ts
 * import { formatDouble17 } from "./double.ts";
 * console.log(formatDouble17(1.5), formatDouble17(-0), formatDouble17(0.1)); // "1.5" "-0" "0.10000000000000001"
 * ```
 */
export function formatDouble17(x: number): string {
  if (Number.isSafeInteger(x)) return x === 0 && 1 / x < 0 ? "-0" : String(x);
  if (x === Infinity) return "inf";
  if (x === -Infinity) return "-inf";
  if (x !== x) return "nan";
  const { digits, exp } = digits17(x);
  const sign = x < 0 ? "-" : "";
  let end = 17;
  while (end > 1 && digits.charCodeAt(end - 1) === 48) end--;
  if (exp < -4 || exp >= 17) {
    const mant = end === 1 ? digits.charAt(0) : digits.charAt(0) + "." + digits.slice(1, end);
    const abs = exp < 0 ? -exp : exp;
    return sign + mant + (exp < 0 ? "e-" : "e+") + (abs < 10 ? "0" : "") + abs;
  }
  if (exp < 0) return sign + "0." + "0".repeat(-exp - 1) + digits.slice(0, end);
  const intDigits = exp + 1;
  if (end <= intDigits) return sign + digits.slice(0, intDigits);
  return sign + digits.slice(0, intDigits) + "." + digits.slice(intDigits, end);
}
