/**
 * The RESP encoder: frames (server replies) and commands (client requests)
 * are appended to one growable, reused buffer, so that a batch becomes one
 * `Uint8Array` for one socket write.
 *
 * @module
 */

import {
  Attribute,
  BigNumber,
  BinaryString,
  Double,
  type Frame,
  NullArray,
  Push,
  ReplyError,
  RespMap,
  RespSet,
  SimpleString,
  VerbatimString,
} from "./frame.ts";
import { fromBinary } from "./bytes.ts";
import { formatDouble17 } from "./double.ts";

const textEncoder = new TextEncoder();

/** Whether every char of `s` is below 256, i.e. `s` is binary text (one char per byte). */
function isBinary(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 255) return false;
  return true;
}
/** Strings up to this many UTF-16 units are written by a JS loop when ASCII. */
const SHORT_STRING = 64;
/** After a take(), a buffer larger than this is replaced by a fresh small one. */
const SHRINK_ABOVE = 16 * 1024 * 1024;

/** Redis 7.0's text for a double (`addReplyDouble`): `%.17g`, `inf`, `-inf`, `nan`. */
export function formatDouble(value: number): string {
  return formatDouble17(value);
}

/** Number of decimal digits of a non-negative integer below 2^31. */
function digits(n: number): number {
  return n < 10
    ? 1
    : n < 100
    ? 2
    : n < 1000
    ? 3
    : n < 10000
    ? 4
    : n < 100000
    ? 5
    : n < 1000000
    ? 6
    : n < 10000000
    ? 7
    : n < 100000000
    ? 8
    : n < 1000000000
    ? 9
    : 10;
}

/**
 * Appends RESP to one growable buffer that is reused between batches.
 *
 * @example
 * ```ts
 * import { Encoder } from "./encoder.ts";
 * import { OK } from "./frame.ts";
 * import { fromUtf8 } from "./bytes.ts";
 *
 * const out = new Encoder({ protocol: 3 });
 * out.write(OK);
 * out.write([1, "two", null]);
 * console.log(JSON.stringify(fromUtf8(out.take()))); // "+OK\r\n*3\r\n:1\r\n$3\r\ntwo\r\n_\r\n"
 *
 * out.writeCommand(["SET", "key", 42]);
 * console.log(JSON.stringify(fromUtf8(out.take()))); // "*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$2\r\n42\r\n"
 * ```
 */
export class Encoder {
  /**
   * The protocol the frames are written in: 2 or 3 (HELLO switches it).
   * RESP2 downgrades RESP3-only frames as Redis does.
   */
  protocol: 2 | 3;
  private buf: Uint8Array;
  private len = 0;
  private readonly initialCapacity: number;

  /**
   * Creates an encoder with an empty buffer.
   * @param options `protocol` (default 2) and the buffer's `initialCapacity` in bytes (default 16 KiB)
   */
  constructor(options: { protocol?: 2 | 3; initialCapacity?: number } = {}) {
    this.protocol = options.protocol ?? 2;
    this.initialCapacity = Math.max(64, options.initialCapacity ?? 16 * 1024);
    this.buf = new Uint8Array(this.initialCapacity);
  }

  /** Bytes appended since the last {@linkcode Encoder.take}. */
  get length(): number {
    return this.len;
  }

  /**
   * Returns everything appended so far as one `Uint8Array` (a view of the
   * internal buffer, valid until the next write) and resets the length to 0.
   */
  take(): Uint8Array {
    const out = this.buf.subarray(0, this.len);
    this.len = 0;
    return out;
  }

  /**
   * Appends one frame. A `string` is written as a UTF-8 bulk string, an
   * integer `number` or a `bigint` as `:`, a non-integer `number` as a double.
   *
   * @throws {TypeError} for a value that is not a frame (nothing is appended then)
   */
  write(frame: Frame): void {
    const start = this.len;
    if (start === 0 && this.buf.length > SHRINK_ABOVE) {
      this.buf = new Uint8Array(this.initialCapacity);
    }
    try {
      this.frame(frame);
    } catch (e) {
      this.len = start;
      throw e;
    }
  }

  /**
   * Appends a command as a RESP array of bulk strings, as clients send it.
   * Strings are written as UTF-8, numbers and bigints as decimal text.
   */
  writeCommand(args: readonly (string | Uint8Array | number | bigint)[]): void {
    const n = args.length;
    const start = this.len;
    if (start === 0 && this.buf.length > SHRINK_ABOVE) {
      this.buf = new Uint8Array(this.initialCapacity);
    }
    this.header(42, n);
    for (let k = 0; k < n; k++) {
      const a = args[k];
      if (typeof a === "string") this.bulkString(a);
      else if (a instanceof Uint8Array) this.bulkBytes(a);
      else if (typeof a === "number") {
        if (Number.isSafeInteger(a) && a >= 0 && a < 2147483648) {
          this.ensure(32);
          this.header(36, digits(a));
          this.integer(a);
          this.crlf();
        } else this.bulkAscii(String(a));
      } else if (typeof a === "bigint") this.bulkAscii(a.toString());
      else {
        this.len = start;
        throw new TypeError(`invalid command argument: ${typeof a}`);
      }
    }
  }

  /** Appends raw bytes. */
  writeRaw(bytes: Uint8Array): void {
    this.ensure(bytes.length);
    this.buf.set(bytes, this.len);
    this.len += bytes.length;
  }

  // ---- internals ----

  /** Makes room for `n` more bytes. */
  private ensure(n: number): void {
    if (this.len + n > this.buf.length) this.grow(n);
  }

  /** Grows the buffer to hold `n` more bytes. */
  private grow(n: number): void {
    let cap = this.buf.length * 2;
    while (cap < this.len + n) cap *= 2;
    const bigger = new Uint8Array(cap);
    bigger.set(this.buf.subarray(0, this.len));
    this.buf = bigger;
  }

  /** Appends CR LF. */
  private crlf(): void {
    const buf = this.buf;
    buf[this.len] = 13;
    buf[this.len + 1] = 10;
    this.len += 2;
  }

  /** Writes a non-negative integer below 2^31 (room must be ensured). */
  private integer(n: number): void {
    const buf = this.buf;
    if (n < 10) {
      buf[this.len++] = 48 + n;
      return;
    }
    const d = digits(n);
    let o = this.len + d;
    this.len = o;
    while (n >= 10) {
      const q = (n / 10) | 0;
      buf[--o] = 48 + n - q * 10;
      n = q;
    }
    buf[--o] = 48 + n;
  }

  /** `<type><n>\r\n` for a non-negative integer n (ensures room). */
  private header(type: number, n: number): void {
    if (n < 2147483648) {
      this.ensure(14);
      this.buf[this.len++] = type;
      this.integer(n);
      this.crlf();
    } else {
      this.line(type, String(n));
    }
  }

  /** `<type><ascii text>\r\n`. */
  private line(type: number, s: string): void {
    const n = s.length;
    this.ensure(n + 3);
    const buf = this.buf;
    let o = this.len;
    buf[o++] = type;
    for (let i = 0; i < n; i++) buf[o++] = s.charCodeAt(i);
    buf[o] = 13;
    buf[o + 1] = 10;
    this.len = o + 2;
  }

  /** `<type><text>\r\n` for any text; CR and LF are replaced by spaces so the protocol stays valid. */
  private textLine(type: number, s: string): void {
    const n = s.length;
    this.ensure(n * 3 + 3);
    const buf = this.buf;
    const start = this.len;
    let o = start;
    buf[o++] = type;
    if (n <= SHORT_STRING) {
      let i = 0;
      for (; i < n; i++) {
        const c = s.charCodeAt(i);
        if (c > 127) break;
        buf[o++] = c === 13 || c === 10 ? 32 : c;
      }
      if (i === n) {
        buf[o] = 13;
        buf[o + 1] = 10;
        this.len = o + 2;
        return;
      }
      o = start + 1;
    }
    const { written } = textEncoder.encodeInto(s, buf.subarray(o));
    const e = o + written;
    for (let k = o; k < e; k++) if (buf[k] === 13 || buf[k] === 10) buf[k] = 32;
    buf[e] = 13;
    buf[e + 1] = 10;
    this.len = e + 2;
  }

  /**
   * `<type><binary text>\r\n`: one byte per char (see `ReplyError.binary`),
   * CR and LF replaced by spaces. Text with a char above 255 is not binary
   * text after all and is written as UTF-8 instead, never truncated.
   */
  private binaryLine(type: number, s: string): void {
    const n = s.length;
    this.ensure(n + 3);
    const buf = this.buf;
    let o = this.len;
    buf[o++] = type;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c > 255) return this.textLine(type, s);
      buf[o++] = c === 13 || c === 10 ? 32 : c;
    }
    buf[o] = 13;
    buf[o + 1] = 10;
    this.len = o + 2;
  }

  /** Appends a bulk string of bytes. */
  private bulkBytes(b: Uint8Array): void {
    const n = b.length;
    this.ensure(n + 16);
    this.header(36, n);
    const buf = this.buf;
    if (n <= 16) {
      let o = this.len;
      for (let i = 0; i < n; i++) buf[o++] = b[i];
      this.len = o;
    } else {
      buf.set(b, this.len);
      this.len += n;
    }
    this.crlf();
  }

  /** A bulk string of ASCII text (number formatting). */
  private bulkAscii(s: string): void {
    const n = s.length;
    this.ensure(n + 16);
    this.header(36, n);
    const buf = this.buf;
    let o = this.len;
    for (let i = 0; i < n; i++) buf[o++] = s.charCodeAt(i);
    this.len = o;
    this.crlf();
  }

  /** A UTF-8 bulk string. */
  private bulkString(s: string): void {
    const n = s.length;
    if (n <= SHORT_STRING) {
      this.ensure(n * 3 + 16);
      const buf = this.buf;
      const start = this.len;
      this.header(36, n);
      let o = this.len;
      let i = 0;
      for (; i < n; i++) {
        const c = s.charCodeAt(i);
        if (c > 127) break;
        buf[o++] = c;
      }
      if (i === n) {
        buf[o] = 13;
        buf[o + 1] = 10;
        this.len = o + 2;
        return;
      }
      this.len = start; // not ASCII: fall through to the general path
    }
    // Reserve a header for the largest possible byte length, encode, then
    // move the payload left if the real length has fewer digits.
    const max = n * 3; // below 2^31: V8 strings are shorter than 2^29 units
    const reserved = digits(max);
    this.ensure(max + reserved + 5);
    const buf = this.buf;
    const start = this.len;
    const payload = start + 1 + reserved + 2;
    const { written } = textEncoder.encodeInto(s, buf.subarray(payload));
    const headerDigits = digits(written);
    const at = start + 1 + headerDigits + 2;
    if (at !== payload) buf.copyWithin(at, payload, payload + written);
    buf[start] = 36;
    this.len = start + 1;
    this.integer(written);
    this.crlf();
    this.len = at + written;
    this.crlf();
  }

  /** Appends an integer (a double when it is not one). */
  private integerFrame(n: number): void {
    if (n >= 0 && n < 2147483648) {
      this.ensure(14);
      this.buf[this.len++] = 58;
      this.integer(n);
      this.crlf();
    } else if (Number.isSafeInteger(n)) {
      this.line(58, String(n));
    } else {
      this.line(58, BigInt(n).toString());
    }
  }

  /** Appends a double (RESP3) or its text (RESP2). */
  private double(value: number): void {
    const s = formatDouble(value);
    if (this.protocol === 3) this.line(44, s);
    else this.bulkAscii(s);
  }

  /** Appends a null in the protocol in use. */
  private nullFrame(array: boolean): void {
    if (this.protocol === 3) this.line(95, "");
    else this.line(array ? 42 : 36, "-1");
  }

  /** Appends a map-like aggregate (flat pairs in RESP2). */
  private entries(type: number, entries: [Frame, Frame][]): void {
    if (this.protocol === 3) this.header(type, entries.length);
    else this.header(42, entries.length * 2);
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i];
      this.frame(e[0]);
      this.frame(e[1]);
    }
  }

  /** Appends an array-like aggregate. */
  private items(type: number, items: Frame[]): void {
    this.header(this.protocol === 3 ? type : 42, items.length);
    for (let i = 0; i < items.length; i++) this.frame(items[i]);
  }

  /** Appends one frame. */
  private frame(f: Frame): void {
    switch (typeof f) {
      case "string":
        this.bulkString(f);
        return;
      case "number":
        if (Number.isInteger(f)) this.integerFrame(f);
        else this.double(f);
        return;
      case "bigint":
        this.line(58, f.toString());
        return;
      case "boolean":
        if (this.protocol === 3) this.line(35, f ? "t" : "f");
        else this.line(58, f ? "1" : "0");
        return;
      case "object":
        if (f === null) return this.nullFrame(false);
        if (f instanceof Uint8Array) return this.bulkBytes(f);
        if (f instanceof BinaryString) return this.bulkAscii(f.value);
        if (Array.isArray(f)) {
          this.header(42, f.length);
          for (let i = 0; i < f.length; i++) this.frame(f[i]);
          return;
        }
        if (f instanceof SimpleString) return this.textLine(43, f.value);
        if (f instanceof ReplyError) {
          if (f.bulk && this.protocol === 3) {
            const m = f.message;
            const bytes = f.binary && isBinary(m) ? fromBinary(m) : textEncoder.encode(m);
            this.header(33, bytes.length);
            this.writeRaw(bytes);
            this.ensure(2);
            this.crlf();
          } else if (f.binary) this.binaryLine(45, f.message);
          else this.textLine(45, f.message);
          return;
        }
        if (f instanceof Double) return this.double(f.value);
        if (f instanceof BigNumber) {
          if (this.protocol === 3) this.line(40, f.value.toString());
          else this.bulkAscii(f.value.toString());
          return;
        }
        if (f instanceof VerbatimString) {
          const v = f.value;
          if (this.protocol === 3) {
            if (f.format.length !== 3) throw new TypeError("verbatim format must be 3 characters");
            this.header(61, v.length + 4);
            this.ensure(v.length + 6);
            const buf = this.buf;
            for (let i = 0; i < 3; i++) buf[this.len++] = f.format.charCodeAt(i);
            buf[this.len++] = 58;
            buf.set(v, this.len);
            this.len += v.length;
            this.crlf();
          } else this.bulkBytes(v);
          return;
        }
        if (f instanceof RespMap) return this.entries(37, f.entries);
        if (f instanceof RespSet) return this.items(126, f.items);
        if (f instanceof Push) return this.items(62, f.items);
        if (f instanceof Attribute) {
          if (this.protocol === 3) this.entries(124, f.entries);
          return this.frame(f.value);
        }
        if (f instanceof NullArray) return this.nullFrame(true);
    }
    throw new TypeError(`not a RESP frame: ${Object.prototype.toString.call(f)}`);
  }
}

const shared = new Encoder({ initialCapacity: 4096 });

/**
 * Encodes one frame into a fresh `Uint8Array`.
 *
 * @example
 * ```ts
 * import { encode } from "./encoder.ts";
 * import { fromUtf8 } from "./bytes.ts";
 * console.log(JSON.stringify(fromUtf8(encode(null, 2)))); // "$-1\r\n"
 * console.log(JSON.stringify(fromUtf8(encode(null, 3)))); // "_\r\n"
 * ```
 */
export function encode(frame: Frame, protocol: 2 | 3 = 2): Uint8Array {
  shared.take();
  shared.protocol = protocol;
  shared.write(frame);
  return shared.take().slice();
}

/**
 * Encodes a command into a fresh `Uint8Array`.
 *
 * @example
 * ```ts
 * import { encodeCommand } from "./encoder.ts";
 * import { fromUtf8 } from "./bytes.ts";
 * console.log(JSON.stringify(fromUtf8(encodeCommand(["GET", "k"])))); // "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n"
 * ```
 */
export function encodeCommand(
  args: readonly (string | Uint8Array | number | bigint)[],
): Uint8Array {
  shared.take();
  shared.writeCommand(args);
  return shared.take().slice();
}
