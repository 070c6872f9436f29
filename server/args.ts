/**
 * Shared argument parsing and error replies for command handlers. Parsers
 * `throw` the Redis error reply (a {@linkcode ReplyError}); the dispatcher
 * turns a thrown `ReplyError` into the reply, so handlers can simply call
 * them.
 *
 * @example
 * ```ts
 * import { intArg, isOption } from "./args.ts";
 * const enc = new TextEncoder();
 * console.log(intArg(enc.encode("42"))); // 42
 * console.log(isOption(enc.encode("Nx"), "nx")); // true
 * ```
 *
 * @module
 */

import { ReplyError } from "../resp/frame.ts";
import { parseInteger, toBinary } from "../resp/bytes.ts";

/** `-ERR syntax error` */
export const SYNTAX_ERROR: ReplyError = new ReplyError("ERR syntax error");
/** `-ERR value is not an integer or out of range` */
export const NOT_INTEGER: ReplyError = new ReplyError(
  "ERR value is not an integer or out of range",
);
/** `-ERR value is not a valid float` */
export const NOT_FLOAT: ReplyError = new ReplyError("ERR value is not a valid float");
/** `-ERR no such key` (RENAME of a missing key) */
export const NO_SUCH_KEY: ReplyError = new ReplyError("ERR no such key");
/** `-ERR DB index is out of range` */
export const DB_OUT_OF_RANGE: ReplyError = new ReplyError("ERR DB index is out of range");
/** `-ERR invalid cursor` */
export const INVALID_CURSOR: ReplyError = new ReplyError("ERR invalid cursor");
export { WRONGTYPE } from "./db/keyspace.ts";

// ---- errors that quote what the client sent ----
//
// Redis echoes client bytes in error replies as they are (valid UTF-8 or
// not), so such texts are built as binary strings (one char per byte, the
// same mapping as keys) and become `ReplyError`s with `binary` set, which the
// encoder writes byte for byte. Build them only with these helpers.

/**
 * Bytes a client sent as C's `%s` / `%.<max>s` prints them into an error
 * text: cut at the first NUL byte and after `max` bytes, as binary text
 * (one char per byte). Only for {@linkcode formatError} / {@linkcode rejectError}.
 *
 * @example
 * ```ts
 * import { cText } from "./args.ts";
 * console.log(cText(new Uint8Array([0xd8, 0x41, 0, 0x42])) === "\xd8A"); // true
 * ```
 */
export function cText(arg: Uint8Array, max = Infinity): string {
  let end = arg.indexOf(0);
  if (end === -1) end = arg.length;
  if (end > max) end = max;
  return toBinary(end === arg.length ? arg : arg.subarray(0, end));
}

/**
 * ASCII-only upper case, as Redis's `sdstoupper` in the C locale. (Unlike
 * `toUpperCase`, it keeps binary text binary: `"\xff".toUpperCase()` is
 * U+0178.)
 */
export function asciiUpper(s: string): string {
  return s.replace(/[a-z]+/g, (w) => w.toUpperCase());
}

function trimCrLf(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && (s.charCodeAt(a) === 13 || s.charCodeAt(a) === 10)) a++;
  while (b > a && (s.charCodeAt(b - 1) === 13 || s.charCodeAt(b - 1) === 10)) b--;
  return a === 0 && b === s.length ? s : s.slice(a, b);
}

function crLfToSpaces(s: string): string {
  return s.includes("\r") || s.includes("\n") ? s.replace(/[\r\n]/g, " ") : s;
}

/**
 * Redis's `addReplyErrorFormat`: an error whose binary text (built with
 * {@linkcode cText}) may quote client bytes. CR and LF are trimmed from
 * both ends of the text and replaced by spaces inside it, as Redis does.
 *
 * @example
 * ```ts
 * import { cText, formatError } from "./args.ts";
 * const arg = new Uint8Array([0xd8, 13, 10]);
 * const e = formatError(`ERR Unsupported option ${cText(arg)}`);
 * console.log(e.message === "ERR Unsupported option \xd8", e.binary); // true true
 * ```
 */
export function formatError(text: string): ReplyError {
  return new ReplyError(crLfToSpaces(trimCrLf(text)), false, true);
}

/**
 * Redis's `rejectCommandFormat` (unknown command or subcommand): like
 * {@linkcode formatError}, but CR and LF become spaces everywhere, ends
 * included.
 */
export function rejectError(text: string): ReplyError {
  return new ReplyError(crLfToSpaces(text), false, true);
}

/** `-ERR invalid expire time in '<command>' command`, with the command's full name. */
export function invalidExpireTime(command: string): ReplyError {
  return new ReplyError(`ERR invalid expire time in '${command}' command`);
}

const MAX_I64 = 9223372036854775807n;
const MIN_I64 = -9223372036854775808n;

/**
 * Whether `arg` equals the ASCII word `lower` (given in lower case),
 * case-insensitively, without allocating. As Redis compares options with
 * C's `strcasecmp`, the argument ends at its first NUL byte: `nx\0z` is
 * the option `NX` (`EXPIRE k 100 "nx\0z"` replies `:1` in Redis).
 */
export function isOption(arg: Uint8Array, lower: string): boolean {
  const n = lower.length;
  if (arg.length !== n && (arg.length < n || arg[n] !== 0)) return false;
  for (let i = 0; i < n; i++) {
    let c = arg[i];
    if (c >= 65 && c <= 90) c += 32;
    if (c !== lower.charCodeAt(i)) return false;
  }
  return true;
}

/**
 * Parses a signed 64-bit integer argument exactly (Redis's string2ll):
 * a `number` when safe, a `bigint` beyond 2^53. Throws
 * `ERR value is not an integer or out of range` (or `error` if given).
 */
export function int64Arg(arg: Uint8Array, error: ReplyError = NOT_INTEGER): number | bigint {
  const v = parseInteger(arg);
  if (v === null) throw error;
  return v;
}

/**
 * Parses a signed 64-bit integer argument as a `number` (values beyond
 * 2^53 are rounded, fine for indexes, counts and clamped ranges). Throws
 * `ERR value is not an integer or out of range` (or `error` if given).
 */
export function intArg(arg: Uint8Array, error: ReplyError = NOT_INTEGER): number {
  const v = parseInteger(arg);
  if (v === null) throw error;
  return typeof v === "number" ? v : Number(v);
}

/**
 * Parses an integer argument that must lie in `[min, max]` (e.g. Redis's
 * `getRangeLongFromObjectOrReply`); throws `error` outside it or when not an
 * integer.
 */
export function rangeArg(
  arg: Uint8Array,
  min: number,
  max: number,
  error: ReplyError = NOT_INTEGER,
): number {
  const v = intArg(arg);
  if (v < min || v > max) throw error;
  return v;
}

/**
 * Parses a non-negative 64-bit integer as Redis's `getPositiveLongFromObjectOrReply`
 * (used e.g. for COUNT): throws `message` when negative, the integer
 * error when not an integer.
 */
export function nonNegativeArg(arg: Uint8Array, message: string): number {
  const v = intArg(arg);
  if (v < 0) throw new ReplyError(message);
  return v;
}

/** Time unit of an expire argument. */
export type TimeUnit = "s" | "ms";

/**
 * The absolute expiry (Unix ms) for SET / GETEX / SETEX / PSETEX options, as
 * Redis's `getExpireMillisecondsOrReply`: the value must be a positive
 * integer; `EX`/`PX` are relative to `now`, `EXAT`/`PXAT` absolute; overflow
 * or a non-positive result throws `ERR invalid expire time in '<command>'
 * command`; a non-integer throws the integer error.
 *
 * @param arg the time argument
 * @param unit seconds (EX, EXAT, SETEX) or milliseconds (PX, PXAT, PSETEX)
 * @param relative true for EX/PX/SETEX/PSETEX, false for EXAT/PXAT
 * @param now the keyspace clock (`ctx.db.now()`)
 * @param command the command name for the error, e.g. `set`, `getex`, `setex`
 */
export function expireTimeArg(
  arg: Uint8Array,
  unit: TimeUnit,
  relative: boolean,
  now: number,
  command: string,
): number {
  const v = int64Arg(arg);
  if (typeof v === "number") {
    if (v <= 0) throw invalidExpireTime(command);
    const ms = unit === "s" ? v * 1000 : v;
    const at = relative ? ms + now : ms;
    if (Number.isSafeInteger(at)) return at;
  }
  let big = BigInt(v);
  if (big <= 0n || (unit === "s" && big > MAX_I64 / 1000n)) throw invalidExpireTime(command);
  if (unit === "s") big *= 1000n;
  if (relative) big += BigInt(now);
  if (big > MAX_I64) throw invalidExpireTime(command);
  return Number(big);
}

/**
 * The absolute expiry (Unix ms) for EXPIRE / PEXPIRE / EXPIREAT / PEXPIREAT,
 * as Redis's `expireGenericCommand`: negative values are allowed (the key is
 * then deleted); only overflow of the unit conversion or of adding `base`
 * throws `ERR invalid expire time in '<command>' command`.
 *
 * @param arg the time argument
 * @param unit seconds (EXPIRE, EXPIREAT) or milliseconds (PEXPIRE, PEXPIREAT)
 * @param base `now` for EXPIRE/PEXPIRE, 0 for EXPIREAT/PEXPIREAT
 * @param command the command name for the error
 */
export function expireAtArg(
  arg: Uint8Array,
  unit: TimeUnit,
  base: number,
  command: string,
): number {
  const v = int64Arg(arg);
  if (typeof v === "number") {
    const ms = unit === "s" ? v * 1000 : v;
    const at = ms + base;
    if (Number.isSafeInteger(at)) return at;
  }
  let big = BigInt(v);
  if (unit === "s") {
    if (big > MAX_I64 / 1000n || big < MIN_I64 / 1000n) throw invalidExpireTime(command);
    big *= 1000n;
  }
  if (big > MAX_I64 - BigInt(base)) throw invalidExpireTime(command);
  return Number(big + BigInt(base));
}

const MAX_U64 = 18446744073709551615n;

/**
 * Parses a SCAN-family cursor as Redis's `parseScanCursorOrReply`
 * (`strtoul`): an optional sign and decimal digits ("-n" wraps around
 * 2^64; an empty cursor is 0), ending at the end or at a NUL byte; leading
 * white space, other characters and values beyond 2^64 - 1 throw
 * `ERR invalid cursor`.
 *
 * @example
 * ```ts
 * import { parseScanCursor } from "./args.ts";
 * console.log(parseScanCursor(new TextEncoder().encode("17"))); // 17
 * ```
 */
export function parseScanCursor(arg: Uint8Array): number {
  let end = arg.indexOf(0);
  if (end === -1) end = arg.length;
  if (end === 0) return 0;
  let i = 0;
  let negative = false;
  if (arg[0] === 43 || arg[0] === 45) {
    negative = arg[0] === 45;
    i = 1;
  }
  if (i === end) throw INVALID_CURSOR;
  if (end - i <= 15) {
    let v = 0;
    for (; i < end; i++) {
      const d = arg[i] - 48;
      if (d < 0 || d > 9) throw INVALID_CURSOR;
      v = v * 10 + d;
    }
    return negative && v !== 0 ? Number(MAX_U64 + 1n - BigInt(v)) : v;
  }
  let v = 0n;
  for (; i < end; i++) {
    const d = arg[i] - 48;
    if (d < 0 || d > 9) throw INVALID_CURSOR;
    v = v * 10n + BigInt(d);
    if (v > MAX_U64) throw INVALID_CURSOR;
  }
  if (negative && v !== 0n) v = MAX_U64 + 1n - v;
  return Number(v);
}
