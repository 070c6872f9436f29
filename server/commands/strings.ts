/**
 * The STRING command family, with Redis 7.0's semantics, replies and error
 * texts (t_string.c and the string parts of bitops.c): GET, SET (EX, PX,
 * EXAT, PXAT, NX, XX, KEEPTTL, GET), SETNX, SETEX, PSETEX, GETSET, GETDEL,
 * GETEX (EX, PX, EXAT, PXAT, PERSIST), MGET, MSET, MSETNX, APPEND, STRLEN,
 * GETRANGE, SUBSTR, SETRANGE, INCR, DECR, INCRBY, DECRBY, INCRBYFLOAT,
 * SETBIT, GETBIT, BITCOUNT (start/end, BYTE|BIT) and LCS (LEN, IDX,
 * MINMATCHLEN, WITHMATCHLEN).
 *
 * Values are stored as bytes (`Uint8Array`); integers are their decimal
 * text, as Redis shows them. GET and SET are the benchmark's hot path: one
 * key conversion, one copy of the value (carved from a slab by
 * `alloc.ts`, far cheaper than `slice()`), no other allocation.
 *
 * Strings that grow (APPEND, SETRANGE, SETBIT) get spare capacity as
 * Redis's sds strings do, so repeated appends are amortised O(1): such a
 * value is a view on a larger buffer that this module alone owns and may
 * write to in place.
 *
 * @example
 * ```ts
 * import { CommandTable } from "../command.ts";
 * import { commandsFromHandlers } from "./mod.ts";
 * import { stringHandlers } from "./strings.ts";
 * const table = new CommandTable(commandsFromHandlers([stringHandlers]));
 * console.log(table.get("set")?.arity); // -3
 * ```
 *
 * @module
 */

import { type Frame, OK, ReplyError, RespMap } from "../../resp/frame.ts";
import { parseInteger, toBinary } from "../../resp/bytes.ts";
import { arityError, type Context, type HandlerMap } from "../command.ts";
import { type Entry, STRING, valueAs } from "../db/keyspace.ts";
import { NOTIFY_GENERIC, NOTIFY_STRING } from "../db/notify.ts";
import {
  expireTimeArg,
  int64Arg,
  isOption,
  NOT_FLOAT,
  NOT_INTEGER,
  SYNTAX_ERROR,
  type TimeUnit,
} from "../args.ts";
import {
  addLongDouble,
  formatLongDouble,
  isFiniteLongDouble,
  type LongDouble,
  parseLongDouble,
} from "../longdouble.ts";
import { lcs, lcsTableBytes } from "../lcs.ts";
import { allocBytes, copyBytes } from "../alloc.ts";

// ---------------------------------------------------------------------------
// Errors (Redis's wording)

const OVERFLOW = new ReplyError("ERR increment or decrement would overflow");
const DECR_OVERFLOW = new ReplyError("ERR decrement would overflow");
const NAN_OR_INF = new ReplyError("ERR increment would produce NaN or Infinity");
const OFFSET_RANGE = new ReplyError("ERR offset is out of range");
const TOO_BIG = new ReplyError(
  "ERR string exceeds maximum allowed size (proto-max-bulk-len)",
);
const BIT_OFFSET = new ReplyError("ERR bit offset is not an integer or out of range");
const BIT_VALUE = new ReplyError("ERR bit is not an integer or out of range");
const LCS_TYPES = new ReplyError("ERR The specified keys must contain string values");
const LCS_IDX_LEN = new ReplyError(
  "ERR If you want both the length and indexes, please just use IDX.",
);
const LCS_TOO_LONG = new ReplyError("ERR String too long for LCS");
const LCS_TABLE_LIMIT = new ReplyError(
  "ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len",
);
const LCS_ALLOC = new ReplyError(
  "ERR Insufficient memory, failed allocating transient memory for LCS",
);

const EMPTY = new Uint8Array(0);
const MAX_I64 = 9223372036854775807n;
const MIN_I64 = -9223372036854775808n;
const ONE_MB = 1024 * 1024;
const LONG_DOUBLE_ZERO: LongDouble = { neg: false, mant: 0n, exp: 0 };

// ---------------------------------------------------------------------------
// Helpers

/** `proto-max-bulk-len`: the server's setting (CONFIG SET changes it). */
function maxBulkLength(ctx: Context): number {
  return ctx.server.settings.protoMaxBulkLen;
}

/** Redis's checkStringLength: the resulting string must fit proto-max-bulk-len. */
function checkStringLength(ctx: Context, size: number, append: number): void {
  if (size + append > maxBulkLength(ctx)) throw TOO_BIG;
}

/**
 * An option argument as C's string functions see it: cut at the first NUL
 * (Redis compares options with `strcasecmp` and `opt[2] == '\0'`).
 */
function cstr(arg: Uint8Array): Uint8Array {
  const z = arg.indexOf(0);
  return z === -1 ? arg : arg.subarray(0, z);
}

/** The decimal text of an integer as bytes. */
function intBytes(n: number | bigint): Uint8Array {
  const s = String(n);
  const out = allocBytes(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/** ASCII text as bytes. */
function asciiBytes(s: string): Uint8Array {
  const out = allocBytes(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/** The string value of a live entry, or WRONGTYPE. */
function stringOf(e: Entry): Uint8Array {
  return valueAs(e, STRING);
}

/**
 * Buffers whose tail this module may write to in place, mapped to the one
 * view (a key's current value) that owns them. A stored value is only
 * mutated when it is that exact view: a copy made elsewhere (COPY slices)
 * or bytes stored by other code are never touched.
 */
const owners = new WeakMap<ArrayBufferLike, Uint8Array>();

/** A zero-filled value of exactly `length` bytes that this module owns (a new string). */
function ownedZeros(length: number): Uint8Array {
  const out = new Uint8Array(length);
  owners.set(out.buffer, out);
  return out;
}

/**
 * Whether a string value was made or grown in place by APPEND, SETRANGE
 * or SETBIT (it owns a buffer with spare room): Redis's `raw` encoding for
 * OBJECT ENCODING, whatever its length.
 *
 * @example
 * ```ts
 * import { isGrownString } from "./strings.ts";
 * console.log(isGrownString(new Uint8Array(3))); // false
 * ```
 */
export function isGrownString(v: Uint8Array): boolean {
  return owners.get(v.buffer) === v;
}

/**
 * A value with `v`'s bytes and length `max(v.length, length)` (new bytes
 * are zero) that this module may modify: `v` itself or a view on its own
 * buffer when it is owned and has room, else a fresh owned copy (with
 * spare room, like sds's greedy growth, when it grows).
 */
function writable(v: Uint8Array, length: number): Uint8Array {
  const newLen = Math.max(v.length, length);
  const buf = v.buffer;
  if (owners.get(buf) === v) {
    if (newLen === v.length) return v;
    if (v.byteOffset + newLen <= buf.byteLength) {
      const grown = new Uint8Array(buf, v.byteOffset, newLen);
      grown.fill(0, v.length);
      owners.set(buf, grown);
      return grown;
    }
  }
  const capacity = newLen === v.length ? newLen : newLen < ONE_MB ? newLen * 2 : newLen + ONE_MB;
  const out = new Uint8Array(new ArrayBuffer(capacity), 0, newLen);
  out.set(v);
  owners.set(out.buffer, out);
  return out;
}

// ---------------------------------------------------------------------------
// SET family

const NX = 1;
const XX = 2;
const GET = 4;
const KEEPTTL = 8;
const EX = 16;
const PX = 32;
const EXAT = 64;
const PXAT = 128;
const PERSIST = 256;
const ANY_EXPIRE = EX | PX | EXAT | PXAT;

/** Parsed SET / GETEX options (Redis's parseExtendedStringArgumentsOrReply). */
interface StringOptions {
  flags: number;
  expire: Uint8Array | undefined;
}

/**
 * Parses the options of SET (from argument 3) or GETEX (from argument 2)
 * with Redis's exact acceptance rules: options may repeat, but conflicting
 * ones are a syntax error, as is an expire option without its value.
 */
function parseStringOptions(args: Uint8Array[], forSet: boolean): StringOptions {
  let flags = 0;
  let expire: Uint8Array | undefined;
  for (let j = forSet ? 3 : 2; j < args.length; j++) {
    const opt = cstr(args[j]);
    const hasNext = j < args.length - 1;
    if (forSet && isOption(opt, "nx") && !(flags & XX)) {
      flags |= NX;
    } else if (forSet && isOption(opt, "xx") && !(flags & NX)) {
      flags |= XX;
    } else if (forSet && isOption(opt, "get")) {
      flags |= GET;
    } else if (forSet && isOption(opt, "keepttl") && !(flags & (PERSIST | ANY_EXPIRE))) {
      flags |= KEEPTTL;
    } else if (!forSet && isOption(opt, "persist") && !(flags & (ANY_EXPIRE | KEEPTTL))) {
      flags |= PERSIST;
    } else if (
      isOption(opt, "ex") && !(flags & (KEEPTTL | PERSIST | EXAT | PX | PXAT)) && hasNext
    ) {
      flags |= EX;
      expire = args[++j];
    } else if (
      isOption(opt, "px") && !(flags & (KEEPTTL | PERSIST | EX | EXAT | PXAT)) && hasNext
    ) {
      flags |= PX;
      expire = args[++j];
    } else if (
      isOption(opt, "exat") && !(flags & (KEEPTTL | PERSIST | EX | PX | PXAT)) && hasNext
    ) {
      flags |= EXAT;
      expire = args[++j];
    } else if (
      isOption(opt, "pxat") && !(flags & (KEEPTTL | PERSIST | EX | EXAT | PX)) && hasNext
    ) {
      flags |= PXAT;
      expire = args[++j];
    } else {
      throw SYNTAX_ERROR;
    }
  }
  return { flags, expire };
}

/** The absolute expiry for parsed EX/PX/EXAT/PXAT options. */
function expireFromOptions(
  ctx: Context,
  flags: number,
  arg: Uint8Array,
  command: string,
): number {
  const unit: TimeUnit = flags & (PX | PXAT) ? "ms" : "s";
  return expireTimeArg(arg, unit, (flags & (EX | PX)) !== 0, ctx.db.now(), command);
}

/**
 * Redis's setGenericCommand: expiry validation, then GET (which may fail
 * with WRONGTYPE), then the NX/XX condition, then the write.
 */
function setGeneric(
  ctx: Context,
  flags: number,
  keyArg: Uint8Array,
  valueArg: Uint8Array,
  expireArg: Uint8Array | undefined,
  command: string,
  okReply: Frame,
  abortReply: Frame,
): Frame {
  const db = ctx.db;
  const at = expireArg === undefined ? 0 : expireFromOptions(ctx, flags, expireArg, command);
  const key = toBinary(keyArg);
  const e = db.get(key);
  let old: Frame = null;
  if (flags & GET && e !== undefined) old = stringOf(e);
  if ((flags & NX && e !== undefined) || (flags & XX && e === undefined)) {
    return flags & GET ? old : abortReply;
  }
  const value = copyBytes(valueArg);
  if (flags & KEEPTTL) db.setKeepTtl(key, value);
  else db.set(key, value, at);
  db.changed(key, NOTIFY_STRING, "set");
  if (expireArg !== undefined) db.changed(key, NOTIFY_GENERIC, "expire");
  return flags & GET ? old : okReply;
}

function setCommand(ctx: Context, args: Uint8Array[]): Frame {
  if (args.length === 3) {
    // the hot path: no options
    const key = toBinary(args[1]);
    ctx.db.set(key, copyBytes(args[2]));
    ctx.db.changed(key, NOTIFY_STRING, "set");
    return OK;
  }
  const { flags, expire } = parseStringOptions(args, true);
  return setGeneric(ctx, flags, args[1], args[2], expire, "set", OK, null);
}

function getCommand(ctx: Context, args: Uint8Array[]): Frame {
  return ctx.db.read(toBinary(args[1]), STRING) ?? null;
}

function getexCommand(ctx: Context, args: Uint8Array[]): Frame {
  const { flags, expire } = parseStringOptions(args, false);
  const db = ctx.db;
  const key = toBinary(args[1]);
  const e = db.get(key);
  if (e === undefined) return null;
  const value = stringOf(e);
  if (expire !== undefined) {
    const at = expireFromOptions(ctx, flags, expire, "getex");
    if (flags & (EXAT | PXAT) && at <= db.now()) {
      db.delete(key);
      db.changed(key, NOTIFY_GENERIC, "del");
    } else {
      db.setExpiry(key, at);
      db.changed(key, NOTIFY_GENERIC, "expire");
    }
  } else if (flags & PERSIST) {
    if (db.persist(key)) db.changed(key, NOTIFY_GENERIC, "persist");
  }
  return value;
}

function getsetCommand(ctx: Context, args: Uint8Array[]): Frame {
  const key = toBinary(args[1]);
  const old = ctx.db.getString(key);
  ctx.db.set(key, copyBytes(args[2]));
  ctx.db.changed(key, NOTIFY_STRING, "set");
  return old;
}

function getdelCommand(ctx: Context, args: Uint8Array[]): Frame {
  const key = toBinary(args[1]);
  const old = ctx.db.getString(key);
  if (old !== null) {
    ctx.db.delete(key);
    ctx.db.changed(key, NOTIFY_GENERIC, "del");
  }
  return old;
}

function mgetCommand(ctx: Context, args: Uint8Array[]): Frame {
  const db = ctx.db;
  const out: Frame[] = new Array(args.length - 1);
  for (let i = 1; i < args.length; i++) {
    const e = db.get(toBinary(args[i]));
    out[i - 1] = e !== undefined && STRING.is(e.value) ? e.value : null;
  }
  return out;
}

function msetGeneric(ctx: Context, args: Uint8Array[], nx: boolean): Frame {
  if (args.length % 2 === 0) return arityError(nx ? "msetnx" : "mset");
  const db = ctx.db;
  if (nx) {
    for (let i = 1; i < args.length; i += 2) {
      if (db.has(toBinary(args[i]))) return 0;
    }
  }
  for (let i = 1; i < args.length; i += 2) {
    const key = toBinary(args[i]);
    db.set(key, copyBytes(args[i + 1]));
    db.changed(key, NOTIFY_STRING, "set");
  }
  return nx ? 1 : OK;
}

// ---------------------------------------------------------------------------
// APPEND, STRLEN, GETRANGE, SETRANGE

function appendCommand(ctx: Context, args: Uint8Array[]): Frame {
  const db = ctx.db;
  const key = toBinary(args[1]);
  const add = args[2];
  const e = db.get(key);
  if (e === undefined) {
    db.set(key, copyBytes(add));
    db.changed(key, NOTIFY_STRING, "append");
    return add.length;
  }
  const v = stringOf(e);
  checkStringLength(ctx, v.length, add.length);
  const out = writable(v, v.length + add.length);
  out.set(add, v.length);
  e.value = out;
  db.changed(key, NOTIFY_STRING, "append");
  return out.length;
}

function strlenCommand(ctx: Context, args: Uint8Array[]): Frame {
  const v = ctx.db.getString(toBinary(args[1]));
  return v === null ? 0 : v.length;
}

function getrangeCommand(ctx: Context, args: Uint8Array[]): Frame {
  const start = int64Arg(args[2]);
  const end = int64Arg(args[3]);
  const v = ctx.db.getString(toBinary(args[1]));
  if (v === null) return EMPTY;
  // compare the exact int64 values first, as Redis does (number vs bigint is exact)
  if (start < 0 && end < 0 && start > end) return EMPTY;
  const len = v.length;
  let s = Number(start);
  let t = Number(end);
  if (s < 0) s = len + s;
  if (t < 0) t = len + t;
  if (s < 0) s = 0;
  if (t < 0) t = 0;
  if (t >= len) t = len - 1;
  if (s > t || len === 0) return EMPTY;
  return v.subarray(s, t + 1);
}

function setrangeCommand(ctx: Context, args: Uint8Array[]): Frame {
  const offset = int64Arg(args[2]);
  if (offset < 0) throw OFFSET_RANGE;
  const value = args[3];
  const db = ctx.db;
  const key = toBinary(args[1]);
  const e = db.get(key);
  if (e === undefined) {
    if (value.length === 0) return 0;
    checkStringLength(ctx, Number(offset), value.length);
    const off = Number(offset);
    const out = ownedZeros(off + value.length);
    out.set(value, off);
    db.set(key, out);
    db.changed(key, NOTIFY_STRING, "setrange");
    return out.length;
  }
  const v = stringOf(e);
  if (value.length === 0) return v.length;
  checkStringLength(ctx, Number(offset), value.length);
  const off = Number(offset);
  const out = writable(v, off + value.length);
  out.set(value, off);
  e.value = out;
  db.changed(key, NOTIFY_STRING, "setrange");
  return out.length;
}

// ---------------------------------------------------------------------------
// Counters

/** Redis's incrDecrCommand: the current value must be an int64, the result too. */
function incrBy(ctx: Context, keyArg: Uint8Array, incr: number | bigint): Frame {
  const db = ctx.db;
  const key = toBinary(keyArg);
  const e = db.get(key);
  let current: number | bigint = 0;
  if (e !== undefined) {
    const parsed = parseInteger(stringOf(e));
    if (parsed === null) throw NOT_INTEGER;
    current = parsed;
  }
  let result: number | bigint;
  if (typeof current === "number" && typeof incr === "number") {
    result = current + incr;
    if (!Number.isSafeInteger(result)) result = bigSum(current, incr);
  } else {
    result = bigSum(current, incr);
  }
  const bytes = intBytes(result);
  if (e !== undefined) e.value = bytes;
  else db.set(key, bytes);
  db.changed(key, NOTIFY_STRING, "incrby");
  return result;
}

/** Exact int64 sum; throws the overflow error outside the int64 range. */
function bigSum(a: number | bigint, b: number | bigint): number | bigint {
  const r = BigInt(a) + BigInt(b);
  if (r > MAX_I64 || r < MIN_I64) throw OVERFLOW;
  const n = Number(r);
  return Number.isSafeInteger(n) ? n : r;
}

function incrbyfloatCommand(ctx: Context, args: Uint8Array[]): Frame {
  const db = ctx.db;
  const key = toBinary(args[1]);
  const e = db.get(key);
  const current = e === undefined ? null : stringOf(e);
  const incrArg = args[2];
  let text: string | undefined;
  // exact fast path: two small integers
  const ci = current === null ? 0 : parseInteger(current);
  if (typeof ci === "number") {
    const ii = parseInteger(incrArg);
    if (typeof ii === "number") {
      const sum = ci + ii;
      if (Number.isSafeInteger(sum)) text = String(sum);
    }
  }
  if (text === undefined) {
    const a = current === null ? LONG_DOUBLE_ZERO : parseLongDouble(current);
    if (a === undefined) throw NOT_FLOAT;
    const b = parseLongDouble(incrArg);
    if (b === undefined) throw NOT_FLOAT;
    const sum = addLongDouble(a, b);
    if (!isFiniteLongDouble(sum)) throw NAN_OR_INF;
    text = formatLongDouble(sum);
  }
  const bytes = asciiBytes(text);
  if (e !== undefined) e.value = bytes;
  else db.set(key, bytes);
  db.changed(key, NOTIFY_STRING, "incrbyfloat");
  return bytes;
}

// ---------------------------------------------------------------------------
// Bits

/** Redis's getBitOffsetFromArgument: 0 <= offset and offset/8 < proto-max-bulk-len. */
function bitOffsetArg(ctx: Context, arg: Uint8Array): number {
  const v = parseInteger(arg);
  if (v === null || v < 0) throw BIT_OFFSET;
  const n = Number(v);
  if (Math.floor(n / 8) >= maxBulkLength(ctx)) throw BIT_OFFSET;
  return n;
}

function setbitCommand(ctx: Context, args: Uint8Array[]): Frame {
  const offset = bitOffsetArg(ctx, args[2]);
  const on = int64Arg(args[3], BIT_VALUE);
  if (on !== 0 && on !== 1) throw BIT_VALUE;
  const db = ctx.db;
  const key = toBinary(args[1]);
  const e = db.get(key);
  const byte = Math.floor(offset / 8);
  let out: Uint8Array;
  if (e === undefined) {
    out = ownedZeros(byte + 1);
    db.set(key, out);
  } else {
    out = writable(stringOf(e), byte + 1);
    e.value = out;
  }
  const shift = 7 - (offset % 8);
  const old = (out[byte] >> shift) & 1;
  if (on === 1) out[byte] |= 1 << shift;
  else out[byte] &= ~(1 << shift);
  db.changed(key, NOTIFY_STRING, "setbit");
  return old;
}

function getbitCommand(ctx: Context, args: Uint8Array[]): Frame {
  const offset = bitOffsetArg(ctx, args[2]);
  const v = ctx.db.getString(toBinary(args[1]));
  if (v === null) return 0;
  const byte = Math.floor(offset / 8);
  if (byte >= v.length) return 0;
  return (v[byte] >> (7 - (offset % 8))) & 1;
}

/** Set bits per byte value. */
const POPCOUNT = new Uint8Array(256);
for (let i = 1; i < 256; i++) POPCOUNT[i] = (i & 1) + POPCOUNT[i >> 1];

/** Number of set bits in `v[start..end)`. */
function popcount(v: Uint8Array, start: number, end: number): number {
  let count = 0;
  let i = start;
  // four bytes per step through the byte table keeps the loop short
  for (; i + 4 <= end; i += 4) {
    count += POPCOUNT[v[i]] + POPCOUNT[v[i + 1]] + POPCOUNT[v[i + 2]] + POPCOUNT[v[i + 3]];
  }
  for (; i < end; i++) count += POPCOUNT[v[i]];
  return count;
}

function bitcountCommand(ctx: Context, args: Uint8Array[]): Frame {
  // Redis 7.0 looks the key up before it parses the range
  const v = ctx.db.getString(toBinary(args[1]));
  if (v === null) return 0;
  const argc = args.length;
  const len = v.length;
  let s: number;
  let t: number;
  let firstMask = 0;
  let lastMask = 0;
  if (argc === 4 || argc === 5) {
    const start = int64Arg(args[2]);
    const end = int64Arg(args[3]);
    let isBit = false;
    if (argc === 5) {
      const unit = cstr(args[4]);
      if (isOption(unit, "bit")) isBit = true;
      else if (!isOption(unit, "byte")) throw SYNTAX_ERROR;
    }
    const total = isBit ? len * 8 : len;
    if (start < 0 && end < 0 && start > end) return 0;
    s = Number(start);
    t = Number(end);
    if (s < 0) s = total + s;
    if (t < 0) t = total + t;
    if (s < 0) s = 0;
    if (t < 0) t = 0;
    if (t >= total) t = total - 1;
    if (isBit && s <= t) {
      firstMask = ~((1 << (8 - (s % 8))) - 1) & 0xff;
      lastMask = (1 << (7 - (t % 8))) - 1;
      s = Math.floor(s / 8);
      t = Math.floor(t / 8);
    }
  } else if (argc === 2) {
    s = 0;
    t = len - 1;
  } else {
    throw SYNTAX_ERROR;
  }
  if (s > t) return 0;
  let count = popcount(v, s, t + 1);
  if (firstMask !== 0) count -= POPCOUNT[v[s] & firstMask];
  if (lastMask !== 0) count -= POPCOUNT[v[t] & lastMask];
  return count;
}

// ---------------------------------------------------------------------------
// LCS

function lcsCommand(ctx: Context, args: Uint8Array[]): Frame {
  const db = ctx.db;
  const ea = db.get(toBinary(args[1]));
  const eb = db.get(toBinary(args[2]));
  if (
    (ea !== undefined && !STRING.is(ea.value)) ||
    (eb !== undefined && !STRING.is(eb.value))
  ) {
    throw LCS_TYPES;
  }
  const a = ea === undefined ? EMPTY : ea.value as Uint8Array;
  const b = eb === undefined ? EMPTY : eb.value as Uint8Array;
  let getIdx = false;
  let getLen = false;
  let withMatchLen = false;
  let minMatchLen = 0;
  for (let j = 3; j < args.length; j++) {
    const opt = cstr(args[j]);
    const more = args.length - 1 - j;
    if (isOption(opt, "idx")) {
      getIdx = true;
    } else if (isOption(opt, "len")) {
      getLen = true;
    } else if (isOption(opt, "withmatchlen")) {
      withMatchLen = true;
    } else if (isOption(opt, "minmatchlen") && more > 0) {
      const n = Number(int64Arg(args[j + 1]));
      minMatchLen = n < 0 ? 0 : n;
      j++;
    } else {
      throw SYNTAX_ERROR;
    }
  }
  if (getIdx && getLen) throw LCS_IDX_LEN;
  if (a.length >= 0xffffffff - 1 || b.length >= 0xffffffff - 1) throw LCS_TOO_LONG;
  if (lcsTableBytes(a.length, b.length) > maxBulkLength(ctx)) throw LCS_TABLE_LIMIT;
  let result;
  try {
    result = lcs(a, b, {
      string: !getIdx && !getLen,
      ranges: getIdx,
      minMatchLength: minMatchLen,
    });
  } catch (err) {
    if (err instanceof RangeError) throw LCS_ALLOC;
    throw err;
  }
  if (getIdx) {
    const matches: Frame[] = result.ranges!.map((r) =>
      withMatchLen
        ? [[r.aStart, r.aEnd], [r.bStart, r.bEnd], r.length]
        : [[r.aStart, r.aEnd], [r.bStart, r.bEnd]]
    );
    return new RespMap([["matches", matches], ["len", result.length]]);
  }
  if (getLen) return result.length;
  return result.string!;
}

// ---------------------------------------------------------------------------
// The table

/** Key positions of a one-key command. */

/**
 * The string command family, as data (see {@linkcode Command}). Register it
 * in a {@linkcode CommandTable} (commands/mod.ts does).
 *
 * @example
 * ```ts
 * import { stringHandlers } from "./strings.ts";
 * console.log("incrbyfloat" in stringHandlers); // true
 * ```
 */
export const stringHandlers: HandlerMap = {
  get: getCommand,
  set: setCommand,
  setnx: (ctx, args) => setGeneric(ctx, NX, args[1], args[2], undefined, "setnx", 1, 0),
  setex: (ctx, args) => setGeneric(ctx, EX, args[1], args[3], args[2], "setex", OK, null),
  psetex: (ctx, args) => setGeneric(ctx, PX, args[1], args[3], args[2], "psetex", OK, null),
  getset: getsetCommand,
  getdel: getdelCommand,
  getex: getexCommand,
  mget: mgetCommand,
  mset: (ctx, args) => msetGeneric(ctx, args, false),
  msetnx: (ctx, args) => msetGeneric(ctx, args, true),
  append: appendCommand,
  strlen: strlenCommand,
  getrange: getrangeCommand,
  substr: getrangeCommand,
  setrange: setrangeCommand,
  incr: (ctx, args) => incrBy(ctx, args[1], 1),
  decr: (ctx, args) => incrBy(ctx, args[1], -1),
  incrby: (ctx, args) => incrBy(ctx, args[1], int64Arg(args[2])),
  decrby: (ctx, args) => {
    const n = int64Arg(args[2]);
    if (n === MIN_I64) throw DECR_OVERFLOW;
    return incrBy(ctx, args[1], typeof n === "number" ? 0 - n : -n);
  },
  incrbyfloat: incrbyfloatCommand,
  setbit: setbitCommand,
  getbit: getbitCommand,
  bitcount: bitcountCommand,
  lcs: lcsCommand,
};
