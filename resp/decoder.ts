/**
 * The incremental RESP decoder: {@linkcode Decoder.nextCommand} parses
 * requests on the server side (multibulk and inline, exactly as Redis 7.0's
 * `processMultibulkBuffer` / `processInlineBuffer` do, with the same error
 * strings), {@linkcode Decoder.next} parses replies of every RESP2/RESP3 type
 * on the client side.
 *
 * Both are resumable: bytes may arrive in chunks of any size, split at any
 * byte. Nothing is parsed twice — a partial line is scanned from where the
 * previous scan stopped, a bulk payload is never scanned at all (the decoder
 * jumps by its declared length) and the arguments or elements already parsed
 * are kept — so the work is linear in the input whatever the chunking.
 *
 * @module
 */

import { parseInteger } from "./bytes.ts";
import {
  Attribute,
  BigNumber,
  Double,
  type Frame,
  OK,
  PONG,
  ProtocolError,
  Push,
  QUEUED,
  ReplyError,
  RespMap,
  RespSet,
  SimpleString,
  VerbatimString,
} from "./frame.ts";

/** Limits of a {@linkcode Decoder}; every one has Redis's default. */
export interface DecoderOptions {
  /** Largest bulk string (`proto-max-bulk-len`); default 512 MiB. */
  maxBulkLength?: number;
  /** Largest number of arguments / aggregate elements; default 2147483647 (Redis: `INT_MAX`). */
  maxMultibulkLength?: number;
  /**
   * Longest inline request and longest multibulk/bulk count line
   * (`PROTO_INLINE_MAX_SIZE`); default 64 KiB.
   */
  maxInlineLength?: number;
  /** Most bytes buffered and not yet consumed (`client-query-buffer-limit`); default 1 GiB. */
  maxBufferLength?: number;
  /**
   * Client side: the caller hands every chunk over to the decoder and never
   * writes to it again (as with the fresh chunks of `conn.readable`). Bulk
   * payloads returned by {@linkcode Decoder.next} are then views of the chunks
   * instead of copies, valid for ever; only the bytes of a frame that
   * straddles two chunks are copied. Default false.
   */
  zeroCopy?: boolean;
}

const EMPTY = new Uint8Array(0);
const CR = 13;
const LF = 10;
const MIN_CAPACITY = 16 * 1024;
/** An own buffer larger than this is dropped once it holds nothing. */
const SHRINK_ABOVE = 4 * 1024 * 1024;
/** Deepest nesting of aggregates accepted by {@linkcode Decoder.next}. */
const MAX_DEPTH = 1024;
/** Stack kind of the frame an attribute annotates. */
const ATTR_VALUE = 1;
/** Copying mode: payloads are views of copied windows of the input of up to this size. */
const WINDOW = 64 * 1024;
/** Copying mode: larger payloads get a copy of their own. */
const WINDOW_BULK_MAX = 16 * 1024;
/** Zero-copy mode: the smallest bridge buffer. */
const POOL_SIZE = 64 * 1024;
/** Deepest nesting {@linkcode Decoder.next}'s fast path parses (deeper: the general path). */
const FAST_DEPTH = 32;
/** Zero-copy mode: bytes of the next chunk first copied behind a straddling frame. */
const BRIDGE = 128;
/** Copying mode: a chunk of up to this size that follows a straddling frame is copied whole. */
const APPEND_MAX = 4 * 1024;

const utf8Decoder = new TextDecoder();

/** C's `isspace` in the "C" locale. */
function isSpace(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13);
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/**
 * Redis's `string2ll` on `buf[s..e)`: the value, or NaN when it is not a
 * strict decimal int64 (leading zeros, `+`, spaces, empty, overflow).
 */
function parseLength(buf: Uint8Array, s: number, e: number): number {
  const n = e - s;
  if (n <= 0 || n > 20) return NaN;
  let i = s;
  let negative = false;
  if (buf[i] === 45) {
    negative = true;
    if (++i === e) return NaN;
  }
  let c = buf[i] - 48;
  if (c === 0) return n === 1 ? 0 : NaN;
  if (c < 1 || c > 9) return NaN;
  if (e - i > 15) {
    const v = parseInteger(buf, s, e);
    return v === null ? NaN : Number(v);
  }
  let v = c;
  for (i++; i < e; i++) {
    c = buf[i] - 48;
    if (c < 0 || c > 9) return NaN;
    v = v * 10 + c;
  }
  return negative ? -v : v;
}

/** Where the CR is after a successful {@linkcode fastDigits}. */
let fastCR = 0;
/** Where the frame ends after a successful `fastValue`. */
let fastPos = 0;
/** `fastValue`'s "no": this frame needs the general path. */
const NO: Frame = [];

/**
 * The fast path for lengths: 1 to 15 plain digits at `buf[s..]` (no sign,
 * no leading zero except `0` itself) followed by CR and at least one more
 * byte. Returns the value and sets {@linkcode fastCR}, or -1 when anything is
 * unusual (then the general path decides).
 */
function fastDigits(buf: Uint8Array, s: number, end: number): number {
  if (s >= end) return -1;
  let v = buf[s] - 48;
  if (v < 0 || v > 9) return -1;
  let i = s + 1;
  if (v !== 0) {
    const lim = end - s > 15 ? s + 15 : end;
    for (; i < lim; i++) {
      const c = buf[i] - 48;
      if (c < 0 || c > 9) break;
      v = v * 10 + c;
    }
  }
  if (i + 1 < end && buf[i] === CR) {
    fastCR = i;
    return v;
  }
  return -1;
}

/** Short ASCII text without TextDecoder; falls back to UTF-8 decoding. */
function text(buf: Uint8Array, s: number, e: number): string {
  if (e - s > 32) return utf8Decoder.decode(buf.subarray(s, e));
  let str = "";
  for (let i = s; i < e; i++) {
    const c = buf[i];
    if (c > 127) return utf8Decoder.decode(buf.subarray(s, e));
    str += String.fromCharCode(c);
  }
  return str;
}

/**
 * A ReplyError without capturing a stack trace: a decoded reply's stack
 * would only point into the decoder, and capturing it costs microseconds.
 */
function replyError(message: string, bulk: boolean): ReplyError {
  const ErrorCtor = Error as { stackTraceLimit?: number };
  const limit = ErrorCtor.stackTraceLimit;
  ErrorCtor.stackTraceLimit = 0;
  try {
    return new ReplyError(message, bulk);
  } finally {
    ErrorCtor.stackTraceLimit = limit;
  }
}

function pairs(items: Frame[]): [Frame, Frame][] {
  const out: [Frame, Frame][] = new Array(items.length >>> 1);
  for (let i = 0, j = 0; i < items.length; i += 2, j++) out[j] = [items[i], items[i + 1]];
  return out;
}

/**
 * Redis's `sdssplitargs` on the line `buf[s..e)`, which is read as a C
 * string (a NUL byte ends it). Unquoted arguments are views of `buf`, quoted
 * ones fresh arrays. Returns null on unbalanced quotes.
 */
function splitArgs(buf: Uint8Array, s: number, e: number): Uint8Array[] | null {
  const out: Uint8Array[] = [];
  const at = (i: number): number => (i < e ? buf[i] : 0);
  let p = s;
  for (;;) {
    while (at(p) !== 0 && isSpace(at(p))) p++;
    if (at(p) === 0) return out;
    let inq = false;
    let insq = false;
    let done = false;
    const start = p;
    let plainEnd = -1;
    let bytes: number[] | null = null;
    while (!done) {
      const c = at(p);
      if (inq) {
        let h1: number, h2: number;
        if (
          c === 92 && at(p + 1) === 120 && (h1 = hexValue(at(p + 2))) >= 0 &&
          (h2 = hexValue(at(p + 3))) >= 0
        ) {
          bytes!.push(h1 * 16 + h2);
          p += 3;
        } else if (c === 92 && at(p + 1) !== 0) {
          p++;
          const x = at(p);
          bytes!.push(
            x === 110 ? 10 : x === 114 ? 13 : x === 116 ? 9 : x === 98 ? 8 : x === 97 ? 7 : x,
          );
        } else if (c === 34) {
          if (at(p + 1) !== 0 && !isSpace(at(p + 1))) return null;
          done = true;
        } else if (c === 0) {
          return null;
        } else {
          bytes!.push(c);
        }
      } else if (insq) {
        if (c === 92 && at(p + 1) === 39) {
          p++;
          bytes!.push(39);
        } else if (c === 39) {
          if (at(p + 1) !== 0 && !isSpace(at(p + 1))) return null;
          done = true;
        } else if (c === 0) {
          return null;
        } else {
          bytes!.push(c);
        }
      } else {
        switch (c) {
          case 32:
          case 10:
          case 13:
          case 9:
          case 0:
            done = true;
            plainEnd = p;
            break;
          case 34:
          case 39:
            if (c === 34) inq = true;
            else insq = true;
            if (bytes === null) bytes = Array.from(buf.subarray(start, p));
            break;
          default:
            if (bytes !== null) bytes.push(c);
        }
      }
      if (at(p) !== 0) p++;
    }
    out.push(bytes === null ? buf.subarray(start, plainEnd) : Uint8Array.from(bytes));
  }
}

/**
 * An incremental RESP decoder for one connection.
 *
 * Feed it the bytes as they arrive with {@linkcode Decoder.feed}, then call
 * {@linkcode Decoder.nextCommand} (server) or {@linkcode Decoder.next}
 * (client) until it returns `undefined`. Use one decoder for one direction:
 * do not mix `next` and `nextCommand` on the same instance.
 *
 * The decoder may keep a reference to the last chunk fed (no copy); it copies
 * the bytes it has not consumed into its own growable buffer at the latest
 * when `next`/`nextCommand` returns `undefined`, after which the caller may
 * reuse the chunk's memory.
 *
 * @example
 * ```ts
 * import { Decoder } from "./decoder.ts";
 * import { fromUtf8, utf8 } from "./bytes.ts";
 *
 * const server = new Decoder();
 * server.feed(utf8("*2\r\n$3\r\nGET\r\n$1\r\nk\r\n*1\r\n$4\r\nPI"));
 * console.log(server.nextCommand()?.map(fromUtf8)); // ["GET", "k"]
 * console.log(server.nextCommand()); // undefined: the PING is incomplete
 * server.feed(utf8("NG\r\n"));
 * console.log(server.nextCommand()?.map(fromUtf8)); // ["PING"]
 *
 * const client = new Decoder();
 * client.feed(utf8("+OK\r\n:42\r\n$-1\r\n"));
 * console.log(client.next(), client.next(), client.next()); // OK 42 null
 * ```
 */
export class Decoder {
  /** Largest bulk string accepted; mutable (`CONFIG SET proto-max-bulk-len`). */
  maxBulkLength: number;
  /** Largest number of arguments / aggregate elements accepted; mutable. */
  maxMultibulkLength: number;
  /** Longest inline request / count line accepted; mutable. */
  maxInlineLength: number;
  /** Most unconsumed bytes buffered before {@linkcode Decoder.feed} fails; mutable. */
  maxBufferLength: number;
  /**
   * When true (the server sets it while AUTH is required and not yet given),
   * Redis's unauthenticated limits apply: a multibulk length above 10 gives
   * `Protocol error: unauthenticated multibulk length`, a bulk length above
   * 16384 `Protocol error: unauthenticated bulk length`.
   */
  unauthenticated = false;
  /**
   * Instrumentation: bytes examined while searching for line ends. Bulk
   * payloads are never scanned, so this stays proportional to the number
   * of lines whatever the chunking.
   */
  scannedBytes = 0;
  /** Instrumentation: bytes copied into the internal buffer (appends, compactions). */
  copiedBytes = 0;
  /** Whether bulk payloads are views of the fed chunks; see {@linkcode DecoderOptions.zeroCopy}. */
  readonly zeroCopy: boolean;

  // The bytes: buf[pos..end) is unconsumed. buf is either the caller's last
  // chunk (borrowed) or this.own.
  private buf: Uint8Array = EMPTY;
  private pos = 0;
  private end = 0;
  private own: Uint8Array = EMPTY;
  private borrowed = false;
  private error: ProtocolError | null = null;
  /** Where the search for the end of the current partial line resumes (0: from the line start). */
  private scan = 0;
  // Copying mode: payload copies are views of a copy of buf[winFrom..winTo).
  private winOf: Uint8Array = EMPTY;
  private winFrom = 0;
  private winTo = 0;
  private winBuffer: ArrayBufferLike = EMPTY.buffer;
  // The ArrayBuffer and offset of the last buffer views were made of.
  private viewOf: Uint8Array = EMPTY;
  private viewBuffer: ArrayBufferLike = EMPTY.buffer;
  private viewBase = 0;
  // Zero-copy mode: own is append-only (nothing below ownFree is ever
  // rewritten). A frame straddling two chunks is completed in a "bridge" in
  // own: its first part, then the first restTaken bytes of the chunk rest;
  // restStart is where rest[0] sits in the bridge (meaningless while rest is
  // null). Keep every position field a small integer: with Infinity as the
  // sentinel, restStart became a double field in V8, pull's arithmetic on it
  // turned pos/cur/scan into double fields too (field representation is per
  // class, so for every Decoder in the process) and nextCommand ran 20-30%
  // slower.
  private ownFree = 0;
  private rest: Uint8Array | null = null;
  private restStart = 0;
  private restTaken = 0;

  // Server state: a multibulk in progress starts at pos; cur is where parsing resumes.
  private argv: Uint8Array[] = [];
  private argc = 0;
  private mbLeft = 0;
  private argLen = -1;
  private cur = 0;

  // Client state: a bulk-like payload whose header was consumed, and the aggregates in progress.
  private bulkType = 0;
  private bulkLen = 0;
  private depth = 0;
  private stackKind: number[] = [];
  private stackLeft: number[] = [];
  private stackPos: number[] = [];
  private stackItems: Frame[][] = [];
  private stackAttr: ([Frame, Frame][] | null)[] = [];

  /**
   * Creates a decoder with no input yet.
   *
   * @param options limits; each defaults to Redis's value
   */
  constructor(options: DecoderOptions = {}) {
    this.maxBulkLength = options.maxBulkLength ?? 512 * 1024 * 1024;
    this.maxMultibulkLength = options.maxMultibulkLength ?? 2147483647;
    this.maxInlineLength = options.maxInlineLength ?? 64 * 1024;
    this.maxBufferLength = options.maxBufferLength ?? 1024 ** 3;
    this.zeroCopy = options.zeroCopy ?? false;
  }

  /** Bytes buffered and not yet consumed. */
  get pending(): number {
    const rest = this.rest;
    return this.end - this.pos + (rest === null ? 0 : rest.length - this.restTaken);
  }

  /** Drops all buffered bytes and state (including a previous error). */
  reset(): void {
    this.buf = EMPTY;
    this.pos = this.end = 0;
    this.own = EMPTY;
    this.winOf = EMPTY;
    this.borrowed = false;
    this.error = null;
    this.scan = 0;
    this.argv = [];
    this.argc = 0;
    this.mbLeft = 0;
    this.argLen = -1;
    this.cur = 0;
    this.bulkType = 0;
    this.bulkLen = 0;
    this.depth = 0;
    this.stackKind.length = this.stackLeft.length = this.stackItems.length = 0;
    this.stackPos.length = 0;
    this.stackAttr.length = 0;
    this.ownFree = 0;
    this.rest = null;
    this.restStart = 0;
    this.restTaken = 0;
  }

  /**
   * Appends bytes. The decoder may keep a reference to `chunk` until
   * `next`/`nextCommand` returns `undefined`.
   *
   * @throws {ProtocolError} when the unconsumed bytes would exceed `maxBufferLength`
   */
  feed(chunk: Uint8Array): void {
    if (this.error !== null) throw this.error;
    const n = chunk.length;
    if (n === 0) return;
    if (this.pending + n > this.maxBufferLength) {
      this.fail("Protocol error: query buffer limit reached");
    }
    if (this.zeroCopy) return this.feedZeroCopy(chunk);
    this.winOf = EMPTY;
    // Fed again before the previous chunk was drained: finish bridging it.
    while (this.rest !== null) this.pull();
    const pending = this.end - this.pos;
    if (pending === 0) {
      // Nothing buffered: parse straight from the caller's chunk.
      this.parseIn(chunk);
      this.ownFree = 0;
      if (this.own.length > SHRINK_ABOVE) this.own = EMPTY;
      return;
    }
    // A frame straddles: the unconsumed bytes, then a bridge of the first k
    // bytes of chunk in own; parsing continues in chunk itself once the
    // straddling frame is done (see pull). Views handed out before this feed
    // may now be invalidated, so own may be compacted. A small chunk is
    // appended whole: copying it costs less than bridging into it.
    const k = n <= APPEND_MAX
      ? n
      : Math.min(n, this.bulkType !== 0 ? this.bulkLen + 2 - pending : BRIDGE);
    let own = this.own;
    if (!(this.buf === own && own.length - this.end >= k)) {
      const need = pending + k;
      if (own.length < need) {
        let cap = Math.max(MIN_CAPACITY, own.length * 2);
        while (cap < need) cap *= 2;
        own = this.own = new Uint8Array(Math.max(need, Math.min(cap, this.maxBufferLength)));
      }
      this.relocate(own, 0);
    }
    this.bridge(chunk, k);
  }

  /** Appends `chunk[0..k)` behind the unconsumed bytes in own; the rest of chunk follows later. */
  private bridge(chunk: Uint8Array, k: number): void {
    const n = chunk.length;
    this.own.set(k === n ? chunk : chunk.subarray(0, k), this.end);
    this.restStart = this.end;
    this.end += k;
    this.ownFree = this.end;
    this.copiedBytes += k;
    if (k < n) {
      this.rest = chunk;
      this.restTaken = k;
    } else {
      this.restStart = 0;
    }
  }

  /**
   * Server side: the next complete request as its arguments, or `undefined`
   * when more bytes are needed. Accepts multibulk (`*N\r\n$len\r\n...`) and
   * inline requests (`PING\r\n`, `SET a "b c"\r\n`) and skips empty ones.
   * The arguments are views valid until the next {@linkcode Decoder.feed};
   * copy what you keep.
   *
   * @throws {ProtocolError} with Redis's wording; the decoder is then unusable
   */
  nextCommand(): Uint8Array[] | undefined {
    if (this.error !== null) throw this.error;
    for (;;) {
      const args = this.command();
      if (args !== undefined || this.rest === null) return args;
      this.pull();
    }
  }

  /** Parses one request, or undefined when incomplete. */
  private command(): Uint8Array[] | undefined {
    const buf = this.buf;
    const end = this.end;
    for (;;) {
      if (this.mbLeft === 0) {
        const pos = this.pos;
        if (pos >= end) return this.suspend();
        if (buf[pos] !== 42) {
          const args = this.inline(buf, pos, end);
          if (args === undefined) return this.suspend();
          if (args.length === 0) continue;
          return args;
        }
        // Multibulk count line.
        const fast = this.scan === 0 ? fastDigits(buf, pos + 1, end) : -1;
        if (
          fast > 0 && fast <= this.maxMultibulkLength && (fast <= 10 || !this.unauthenticated) &&
          fastCR - pos <= this.maxInlineLength
        ) {
          this.scannedBytes += fastCR - pos;
          this.mbLeft = fast;
          this.argv = fast <= 1024 ? new Array(fast) : [];
          this.argc = 0;
          this.argLen = -1;
          this.cur = fastCR + 2;
        } else {
          this.countLine(buf, pos, end);
          if (this.mbLeft === 0) {
            if (this.pos === pos) return this.suspend();
            continue;
          }
        }
      }
      // Multibulk arguments: locals only in the loop.
      const argv = this.argv;
      if (buf !== this.viewOf) this.cacheView(buf);
      const ab = this.viewBuffer;
      const base = this.viewBase;
      const maxFast = this.unauthenticated
        ? Math.min(16384, this.maxBulkLength)
        : this.maxBulkLength;
      const maxLine = this.maxInlineLength;
      let argc = this.argc;
      let cur = this.cur;
      let left = this.mbLeft;
      let len = this.argLen;
      let scanned = 0;
      while (left > 0) {
        if (len < 0) {
          // Never read past end: the buffer may be the caller's chunk, and
          // one out-of-bounds read deoptimizes this loop for good.
          if (cur >= end) break;
          // The fast path needs a complete line (no partial scan pending).
          const fast = buf[cur] === 36 && this.scan === 0 ? fastDigits(buf, cur + 1, end) : -1;
          if (fast >= 0 && fast <= maxFast && fastCR - cur <= maxLine) {
            scanned += fastCR - cur;
            cur = fastCR + 2;
            len = fast;
          } else {
            const next = this.bulkLine(buf, cur, end);
            if (next < 0) break;
            len = this.argLen;
            cur = next;
          }
        }
        if (end - cur < len + 2) break;
        argv[argc++] = new Uint8Array(ab, base + cur, len);
        cur += len + 2;
        len = -1;
        left--;
      }
      this.scannedBytes += scanned;
      this.argc = argc;
      this.cur = cur;
      this.mbLeft = left;
      this.argLen = len;
      if (left === 0) {
        this.pos = cur;
        return argv;
      }
      return this.suspend();
    }
  }

  /**
   * The general path of a multibulk count line at `pos`: sets up the
   * multibulk, or skips an empty one (pos advances), or waits (nothing changes).
   */
  private countLine(buf: Uint8Array, pos: number, end: number): void {
    const from = this.scan > pos ? this.scan : pos + 1;
    let i = from;
    const max = this.maxInlineLength;
    const lim = end - pos > max ? pos + max + 1 : end;
    while (i < lim && buf[i] !== CR) i++;
    this.scannedBytes += i - from;
    if (i >= lim) {
      if (end - pos > max) this.fail("Protocol error: too big mbulk count string");
      this.scan = i;
      return;
    }
    if (i + 1 >= end) {
      this.scan = i;
      return;
    }
    this.scan = 0;
    const count = parseLength(buf, pos + 1, i);
    if (!(count <= this.maxMultibulkLength)) {
      this.fail("Protocol error: invalid multibulk length");
    }
    if (count > 10 && this.unauthenticated) {
      this.fail("Protocol error: unauthenticated multibulk length");
    }
    if (count <= 0) {
      this.pos = i + 2;
      return;
    }
    this.mbLeft = count;
    this.argv = count <= 1024 ? new Array(count) : [];
    this.argc = 0;
    this.argLen = -1;
    this.cur = i + 2;
  }

  /**
   * The general path of a bulk count line at `cur`: returns where the
   * payload starts (and sets argLen), or -1 to wait for more bytes.
   */
  private bulkLine(buf: Uint8Array, cur: number, end: number): number {
    const from = this.scan > cur ? this.scan : cur;
    let j = from;
    const max = this.maxInlineLength;
    const lim = end - cur > max ? cur + max + 1 : end;
    while (j < lim && buf[j] !== CR) j++;
    this.scannedBytes += j - from;
    if (j >= lim) {
      if (end - cur > max) this.fail("Protocol error: too big bulk count string");
      this.scan = j;
      return -1;
    }
    if (j + 1 >= end) {
      this.scan = j;
      return -1;
    }
    this.scan = 0;
    if (buf[cur] !== 36) {
      // Redis's addReplyErrorFormat turns CR and LF into spaces.
      const c = buf[cur] === CR || buf[cur] === LF ? 32 : buf[cur];
      this.fail(`Protocol error: expected '$', got '${String.fromCharCode(c)}'`);
    }
    const len = parseLength(buf, cur + 1, j);
    if (!(len >= 0 && len <= this.maxBulkLength)) {
      this.fail("Protocol error: invalid bulk length");
    }
    if (len > 16384 && this.unauthenticated) {
      this.fail("Protocol error: unauthenticated bulk length");
    }
    this.argLen = len;
    return j + 2;
  }

  /**
   * Client side: the next complete frame of any RESP2/RESP3 type, or
   * `undefined` when more bytes are needed. Bulk payloads are copies; `+OK`
   * is the shared {@linkcode OK}; an error reply is returned as a
   * {@linkcode ReplyError} frame, not thrown; `*-1`, `$-1` and `_` are
   * `null`; an attribute is an {@linkcode Attribute} wrapping the frame that
   * follows it.
   *
   * @throws {ProtocolError} on malformed input; the decoder is then unusable
   */
  next(): Frame | undefined {
    if (this.error !== null) throw this.error;
    if (this.depth === 0 && this.bulkType === 0 && this.scan === 0) {
      // Hot path: a common frame, complete, at top level.
      const buf = this.buf;
      if (buf !== this.viewOf) this.cacheView(buf);
      const fast = this.fastFrame(buf, this.pos, this.end, this.viewBuffer, this.viewBase, 0);
      if (fast !== NO) {
        this.pos = fastPos;
        return fast;
      }
    }
    for (;;) {
      const frame = this.frame();
      if (frame !== undefined || this.rest === null) return frame;
      this.pull();
    }
  }

  /** Decodes one reply frame, or undefined when incomplete. */
  private frame(): Frame | undefined {
    const buf = this.buf;
    const end = this.end;
    if (buf !== this.viewOf) this.cacheView(buf);
    const ab = this.viewBuffer;
    const base = this.viewBase;
    let pos = this.pos;
    outer: for (;;) {
      let value: Frame = null;
      let got = false;
      // Fast paths for the common frames when complete in the buffer (see
      // fastValue), and for arrays of them; anything else, or anything
      // incomplete, takes the general path below.
      if (this.bulkType === 0 && this.scan === 0) {
        const fast = this.fastValue(buf, pos, end, ab, base);
        if (fast !== NO) {
          value = fast;
          pos = fastPos;
          got = true;
        } else if (buf[pos] === 42 && end - pos > 4) {
          const n = fastDigits(buf, pos + 1, end);
          if (n >= 0 && buf[fastCR + 1] === LF && n <= this.maxMultibulkLength) {
            this.scannedBytes += fastCR - pos;
            pos = fastCR + 2;
            const items: Frame[] = n <= 1024 ? new Array(n) : [];
            let k = 0;
            while (k < n) {
              const item = this.fastValue(buf, pos, end, ab, base);
              if (item === NO) break;
              items[k++] = item;
              pos = fastPos;
            }
            if (k < n) {
              this.openWith(42, items, k, n - k, null);
              continue outer;
            }
            value = items;
            got = true;
          } else if (
            buf[pos + 1] === 45 && buf[pos + 2] === 49 && buf[pos + 3] === CR &&
            buf[pos + 4] === LF
          ) {
            pos += 5;
            got = true;
          }
        }
      }
      if (got) {
        // delivered below
      } else if (this.bulkType !== 0) {
        const len = this.bulkLen;
        if (end - pos < len + 2) {
          this.pos = pos;
          return this.suspend();
        }
        value = this.bulk(this.bulkType, buf, pos, len);
        pos += len + 2;
        this.bulkType = 0;
      } else {
        if (pos >= end) {
          this.pos = pos;
          return this.suspend();
        }
        const type = buf[pos];
        const from = this.scan > pos ? this.scan : pos + 1;
        let i = from;
        for (;;) {
          while (i < end && buf[i] !== CR) i++;
          if (i + 1 >= end || buf[i + 1] === LF) break;
          i++;
        }
        this.scannedBytes += i - from;
        if (i + 1 >= end) {
          if (end - pos > this.maxBulkLength + 3) this.fail("Protocol error: too big line");
          this.scan = i;
          this.pos = pos;
          return this.suspend();
        }
        if (i - pos > this.maxBulkLength + 1) this.fail("Protocol error: too big line");
        this.scan = 0;
        const ls = pos + 1;
        pos = i + 2;
        switch (type) {
          case 36: // $ bulk string
          case 33: // ! bulk error
          case 61: { // = verbatim string
            const len = parseLength(buf, ls, i);
            if (len === -1) {
              value = null;
              break;
            }
            if (!(len >= 0 && len <= this.maxBulkLength)) {
              this.fail("Protocol error: invalid bulk length");
            }
            if (end - pos < len + 2) {
              this.bulkType = type;
              this.bulkLen = len;
              this.pos = pos;
              return this.suspend();
            }
            value = this.bulk(type, buf, pos, len);
            pos += len + 2;
            break;
          }
          case 58: { // : integer
            const v = i - ls > 15 ? parseInteger(buf, ls, i) : parseLength(buf, ls, i);
            if (v === null || v !== v) this.fail("Protocol error: invalid integer");
            value = v;
            break;
          }
          case 43: // + simple string
            value = this.simple(buf, ls, i);
            break;
          case 45: // - error
            value = replyError(text(buf, ls, i), false);
            break;
          case 42: // * array
          case 126: // ~ set
          case 62: // > push
          case 37: // % map
          case 124: { // | attribute
            const n = parseLength(buf, ls, i);
            if (n === -1) {
              value = null;
              break;
            }
            if (!(n >= 0 && n <= this.maxMultibulkLength)) {
              this.fail("Protocol error: invalid multibulk length");
            }
            if (n === 0) {
              if (type === 124) {
                this.open(ATTR_VALUE, 1, []);
                continue outer;
              }
              value = type === 42
                ? []
                : type === 126
                ? new RespSet([])
                : type === 62
                ? new Push([])
                : new RespMap([]);
              break;
            }
            this.open(type, type === 37 || type === 124 ? n * 2 : n, null);
            continue outer;
          }
          case 95: // _ null
            if (i !== ls) this.fail("Protocol error: invalid null");
            value = null;
            break;
          case 35: // # boolean
            if (i - ls === 1 && buf[ls] === 116) value = true;
            else if (i - ls === 1 && buf[ls] === 102) value = false;
            else this.fail("Protocol error: invalid boolean");
            break;
          case 44: { // , double
            const s = text(buf, ls, i);
            let d: number;
            if (s === "inf" || s === "+inf") d = Infinity;
            else if (s === "-inf") d = -Infinity;
            else if (s === "nan" || s === "-nan") d = NaN;
            else {
              d = s === "" ? NaN : Number(s);
              if (d !== d) this.fail("Protocol error: invalid double");
            }
            value = new Double(d);
            break;
          }
          case 40: { // ( big number
            let big: bigint;
            try {
              big = BigInt(text(buf, ls, i));
            } catch {
              this.fail("Protocol error: invalid big number");
            }
            if (i === ls) this.fail("Protocol error: invalid big number");
            value = new BigNumber(big);
            break;
          }
          default:
            this.fail(`Protocol error: invalid type byte '${String.fromCharCode(type)}'`);
        }
      }
      // Hand the value to the aggregates in progress.
      for (;;) {
        const d = this.depth;
        if (d === 0) {
          this.pos = pos;
          return value;
        }
        const items = this.stackItems[d - 1];
        items[this.stackPos[d - 1]++] = value;
        if (--this.stackLeft[d - 1] > 0) continue outer;
        const kind = this.stackKind[d - 1];
        this.depth = d - 1;
        switch (kind) {
          case 42:
            value = items;
            break;
          case 126:
            value = new RespSet(items);
            break;
          case 62:
            value = new Push(items);
            break;
          case 37:
            value = new RespMap(pairs(items));
            break;
          case 124:
            // The attribute is complete; the frame it annotates follows.
            this.open(ATTR_VALUE, 1, pairs(items));
            continue outer;
          default: // ATTR_VALUE
            value = new Attribute(this.stackAttr[d - 1]!, items[0]);
        }
      }
    }
  }

  /** Reading `.buffer` is not free: it is cached per buffer. */
  private cacheView(buf: Uint8Array): void {
    this.viewOf = buf;
    this.viewBuffer = buf.buffer;
    this.viewBase = buf.byteOffset;
  }

  /** Starts an aggregate of `n` elements. */
  private open(kind: number, n: number, attr: [Frame, Frame][] | null): void {
    this.openWith(kind, n <= 1024 ? new Array(n) : [], 0, n, attr);
  }

  /** Continues an aggregate whose first `have` items are parsed, `left` to go. */
  private openWith(
    kind: number,
    items: Frame[],
    have: number,
    left: number,
    attr: [Frame, Frame][] | null,
  ): void {
    const d = this.depth;
    if (d >= MAX_DEPTH) this.fail("Protocol error: too deeply nested aggregate");
    this.stackKind[d] = kind;
    this.stackLeft[d] = left;
    this.stackPos[d] = have;
    this.stackItems[d] = items;
    this.stackAttr[d] = attr;
    this.depth = d + 1;
  }

  /**
   * The fast path for the most common frames, complete in the buffer: `+OK`,
   * `$-1`, and `$n` (with its payload) or `:n` with a plain length of up to 9
   * digits. Returns the frame and sets {@linkcode fastPos} after it, or
   * {@linkcode NO} (then the general path decides, errors included). Kept
   * small enough for V8 to inline it.
   */
  private fastValue(
    buf: Uint8Array,
    pos: number,
    end: number,
    ab: ArrayBufferLike,
    base: number,
  ): Frame {
    if (end - pos < 5) return NO;
    const type = buf[pos];
    if (type === 43) {
      if (buf[pos + 1] !== 79 || buf[pos + 2] !== 75 || buf[pos + 3] !== CR) return NO;
      if (buf[pos + 4] !== LF) return NO;
      fastPos = pos + 5;
      return OK;
    }
    if (type !== 36 && type !== 58) return NO;
    let i = pos + 1;
    let v = buf[i] - 48;
    if (v > 0 && v <= 9) {
      const lim = end - i > 9 ? i + 9 : end;
      let c = 0;
      while (++i < lim && (c = buf[i] - 48) >= 0 && c <= 9) v = v * 10 + c;
    } else if (v === 0) {
      i++;
    } else if (v === -3 && type === 36 && buf[i + 1] === 49 && buf[i + 2] === CR) {
      if (buf[i + 3] !== LF) return NO; // `$-1`
      fastPos = pos + 5;
      return null;
    } else {
      return NO;
    }
    if (i + 1 >= end || buf[i] !== CR || buf[i + 1] !== LF) return NO;
    this.scannedBytes += i - pos;
    if (type === 58) {
      fastPos = i + 2;
      return v;
    }
    const p = i + 2;
    const e = p + v;
    if (e + 1 >= end || buf[e] !== CR || buf[e + 1] !== LF || v > this.maxBulkLength) return NO;
    fastPos = e + 2;
    return this.zeroCopy ? new Uint8Array(ab, base + p, v) : this.copy(buf, p, e);
  }

  /**
   * The fast path of {@linkcode Decoder.next}: one whole frame of the common
   * RESP2 shapes (`$n` with its payload, `$-1`, `:n`, `+text`, and `*n`
   * arrays of them, nested up to {@linkcode FAST_DEPTH} deep), complete in
   * `buf[pos..end)`. Nothing is saved while parsing: it returns the frame
   * and sets {@linkcode fastPos} after it, or {@linkcode NO} when the frame
   * is incomplete or anything is unusual (signs, long numbers, RESP3 types,
   * errors of any kind); the resumable general path then parses the frame
   * from `pos` again and decides.
   */
  private fastFrame(
    buf: Uint8Array,
    pos: number,
    end: number,
    ab: ArrayBufferLike,
    base: number,
    depth: number,
  ): Frame {
    if (end - pos < 4) return NO;
    const type = buf[pos];
    let i = pos + 1;
    if (type === 43) {
      // + simple string
      if (buf[i] === 79 && buf[i + 1] === 75 && buf[i + 2] === CR) {
        if (i + 3 >= end || buf[i + 3] !== LF) return NO;
        this.scannedBytes += 3;
        fastPos = i + 4;
        return OK;
      }
      const lim = end - i > 256 ? i + 256 : end;
      while (i < lim && buf[i] !== CR) i++;
      if (i + 1 >= lim || buf[i + 1] !== LF) return NO;
      this.scannedBytes += i - pos;
      fastPos = i + 2;
      return this.simple(buf, pos + 1, i);
    }
    let c = buf[i] - 48;
    let v = c;
    if (c > 0 && c <= 9) {
      const lim = end - i > 15 ? i + 15 : end;
      while (++i < lim && (c = buf[i] - 48) >= 0 && c <= 9) v = v * 10 + c;
    } else if (c === 0) {
      i++;
    } else if (c === -3 && buf[i + 1] === 49 && buf[i + 2] === CR && type !== 58) {
      // $-1 or *-1
      if (i + 3 >= end || buf[i + 3] !== LF || (type !== 36 && type !== 42)) return NO;
      this.scannedBytes += 3;
      fastPos = i + 4;
      return null;
    } else {
      return NO;
    }
    if (i + 1 >= end || buf[i] !== CR || buf[i + 1] !== LF) return NO;
    this.scannedBytes += i - pos;
    const p = i + 2;
    if (type === 36) {
      const e = p + v;
      if (e + 1 >= end || buf[e] !== CR || buf[e + 1] !== LF || v > this.maxBulkLength) return NO;
      fastPos = e + 2;
      return this.zeroCopy ? new Uint8Array(ab, base + p, v) : this.copy(buf, p, e);
    }
    if (type === 58) {
      fastPos = p;
      return v;
    }
    if (type !== 42 || v > this.maxMultibulkLength || depth >= FAST_DEPTH) return NO;
    const items: Frame[] = v <= 1024 ? new Array(v) : [];
    let q = p;
    for (let k = 0; k < v; k++) {
      const item = this.fastFrame(buf, q, end, ab, base, depth + 1);
      if (item === NO) return NO;
      items[k] = item;
      q = fastPos;
    }
    fastPos = q;
    return items;
  }

  /** The simple string `buf[s..e)`, the shared instance for `OK`, `PONG` and `QUEUED`. */
  private simple(buf: Uint8Array, s: number, e: number): SimpleString {
    const n = e - s;
    if (n === 2 && buf[s] === 79 && buf[s + 1] === 75) return OK;
    if (n === 4 && buf[s] === 80 && buf[s + 1] === 79 && buf[s + 2] === 78) {
      return buf[s + 3] === 71 ? PONG : new SimpleString(text(buf, s, e));
    }
    if (n === 6 && buf[s] === 81 && buf[s + 1] === 85) {
      const str = text(buf, s, e);
      return str === "QUEUED" ? QUEUED : new SimpleString(str);
    }
    return new SimpleString(text(buf, s, e));
  }

  /** A complete bulk-like payload at `buf[pos..pos+len)` followed by CRLF. */
  private bulk(type: number, buf: Uint8Array, pos: number, len: number): Frame {
    const e = pos + len;
    if (buf[e] !== CR || buf[e + 1] !== LF) {
      this.fail("Protocol error: bulk payload not followed by CRLF");
    }
    if (type === 36) return this.zeroCopy ? buf.subarray(pos, e) : this.copy(buf, pos, e);
    if (type === 33) return replyError(utf8Decoder.decode(buf.subarray(pos, e)), true);
    if (len < 4 || buf[pos + 3] !== 58) this.fail("Protocol error: invalid verbatim string");
    const value = this.zeroCopy ? buf.subarray(pos + 4, e) : this.copy(buf, pos + 4, e);
    return new VerbatimString(text(buf, pos, pos + 3), value);
  }

  /**
   * A copy of `buf[s..e)` (buf is this.buf). Rather than copying each payload
   * on its own, the decoder copies a window of up to {@linkcode WINDOW}
   * bytes of the buffer from `s` on with one `slice()` and returns views of
   * that copy: one allocation and one copy serve every later payload inside
   * the window (headers between them are copied too, a few percent). A
   * window is a private copy, so rewriting or reusing `buf` does not touch
   * it; it is forgotten whenever `buf` may change (feed, compaction).
   */
  private copy(buf: Uint8Array, s: number, e: number): Uint8Array {
    const n = e - s;
    if (buf === this.winOf && s >= this.winFrom && e <= this.winTo) {
      return new Uint8Array(this.winBuffer, s - this.winFrom, n);
    }
    if (n > WINDOW_BULK_MAX) return buf.slice(s, e);
    const to = this.end - s > WINDOW ? s + WINDOW : this.end;
    const win = new Uint8Array(buf.subarray(s, to));
    this.winOf = buf;
    this.winFrom = s;
    this.winTo = to;
    this.winBuffer = win.buffer;
    return new Uint8Array(win.buffer, 0, n);
  }

  /** One inline request at `pos`: its arguments, or undefined when the line is incomplete. */
  private inline(buf: Uint8Array, pos: number, end: number): Uint8Array[] | undefined {
    const from = this.scan > pos ? this.scan : pos;
    let i = from;
    const max = this.maxInlineLength;
    const lim = end - pos > max ? pos + max + 1 : end;
    while (i < lim && buf[i] !== LF) i++;
    this.scannedBytes += i - from;
    if (i >= lim) {
      if (end - pos > max) this.fail("Protocol error: too big inline request");
      this.scan = i;
      return undefined;
    }
    this.scan = 0;
    const le = i > pos && buf[i - 1] === CR ? i - 1 : i;
    const args = splitArgs(buf, pos, le);
    if (args === null) this.fail("Protocol error: unbalanced quotes in request");
    this.pos = i + 1;
    return args;
  }

  /** Called before returning undefined: stop borrowing the caller's chunk. */
  private suspend(): undefined {
    // A bridge is in use: the caller's loop pulls the rest of the chunk in.
    if (this.rest !== null) return undefined;
    if (this.zeroCopy) {
      // Chunks are never reused by the caller: nothing to copy.
      if (this.pos === this.end && this.rest === null) {
        this.buf = EMPTY;
        this.pos = this.end = 0;
        this.scan = 0;
        this.cur = 0;
        this.borrowed = false;
      }
      return undefined;
    }
    if (this.pos === this.end) {
      if (this.borrowed) {
        this.buf = this.own;
        this.borrowed = false;
      }
      this.pos = this.end = 0;
      this.scan = 0;
      this.cur = 0;
    } else if (this.borrowed) {
      // Keep the unconsumed bytes above everything handed out since the
      // last feed (arguments are valid until the next feed).
      const at = this.ownAt(this.end - this.pos);
      this.relocate(this.own, at);
      this.ownFree = this.end;
    }
    return undefined;
  }

  /** Moves buf[pos..end) to target[at..) and rebases every position and view. */
  private relocate(target: Uint8Array, at: number): void {
    const old = this.buf;
    const pos = this.pos;
    const pending = this.end - pos;
    if (target === old) target.copyWithin(at, pos, this.end);
    else target.set(old.subarray(pos, this.end), at);
    this.copiedBytes += pending;
    const shift = at - pos;
    if (this.scan > 0) this.scan += shift;
    if (this.rest !== null) this.restStart += shift;
    if (this.mbLeft > 0) {
      this.cur += shift;
      // In zero-copy mode no memory is ever rewritten: the views stay valid.
      if (this.zeroCopy) return this.moved(target, at, pending);
      const argv = this.argv;
      const base = old.byteOffset + pos;
      for (let k = 0; k < this.argc; k++) {
        const a = argv[k];
        const s = a.byteOffset - base + at;
        argv[k] = target.subarray(s, s + a.length);
      }
    } else {
      this.cur = 0;
    }
    this.moved(target, at, pending);
  }

  /** Notes that pending bytes moved into the internal buffer. */
  private moved(target: Uint8Array, at: number, pending: number): void {
    this.winOf = EMPTY;
    this.buf = target;
    this.pos = at;
    this.end = at + pending;
    this.borrowed = false;
  }

  // ---- zero-copy mode ----

  /** Offset in own where `need` bytes fit above everything handed out; may start a new own. */
  private ownAt(need: number): number {
    if (this.own.length - this.ownFree >= need) return this.ownFree;
    this.own = new Uint8Array(Math.max(POOL_SIZE, need * 2));
    this.ownFree = 0;
    return 0;
  }

  /** Nothing is buffered: parse straight from the caller's chunk (borrowed, not copied). */
  private parseIn(chunk: Uint8Array): void {
    this.buf = chunk;
    this.pos = 0;
    this.end = chunk.length;
    this.borrowed = true;
    this.scan = 0;
    this.cur = 0;
  }

  /** Feeds a chunk that is never written again (replies view it). */
  private feedZeroCopy(chunk: Uint8Array): void {
    while (this.rest !== null) this.pull();
    const n = chunk.length;
    const pending = this.end - this.pos;
    if (pending === 0) {
      this.parseIn(chunk);
      return;
    }
    // Bridge: the unconsumed bytes followed by the first k bytes of chunk.
    const k = Math.min(n, this.bulkType !== 0 ? this.bulkLen + 2 - pending : BRIDGE);
    if (!(this.buf === this.own && this.end === this.ownFree && this.own.length - this.end >= k)) {
      const at = this.ownAt(pending + k);
      this.relocate(this.own, at);
    }
    this.bridge(chunk, k);
  }

  /**
   * Zero-copy mode, when the bridge ran out: continue in the chunk itself if
   * the straddling frame is done, else copy more of the chunk into the bridge.
   */
  private pull(): void {
    const rest = this.rest!;
    const start = this.restStart;
    if (this.pos >= start) {
      if (this.scan > 0) this.scan -= start;
      if (this.mbLeft > 0) {
        this.cur -= start;
        // Copying mode: the arguments parsed so far view the bridge, whose
        // bytes equal the chunk's; make them views of the chunk, which is
        // where relocate expects them (the bridge may be rewritten after
        // the next feed).
        if (!this.zeroCopy) {
          const argv = this.argv;
          const shift = this.buf.byteOffset + start;
          for (let k = 0; k < this.argc; k++) {
            const a = argv[k];
            const o = a.byteOffset - shift;
            argv[k] = rest.subarray(o, o + a.length);
          }
        }
      }
      this.buf = rest;
      this.pos -= start;
      this.end = rest.length;
      this.borrowed = true;
      this.rest = null;
      this.restStart = 0;
      return;
    }
    const taken = this.restTaken;
    let want = Math.max(taken * 2, taken + BRIDGE);
    if (this.bulkType !== 0) {
      want = Math.max(want, taken + this.bulkLen + 2 - (this.end - this.pos));
    }
    const upto = Math.min(rest.length, want);
    const extra = upto - taken;
    if (
      !(this.buf === this.own && this.end === this.ownFree && this.own.length - this.end >= extra)
    ) {
      const at = this.ownAt(this.end - this.pos + extra);
      this.relocate(this.own, at);
    }
    this.own.set(rest.subarray(taken, upto), this.end);
    this.end += extra;
    this.ownFree = this.end;
    this.copiedBytes += extra;
    if (upto === rest.length) {
      this.rest = null;
      this.restStart = 0;
    } else {
      this.restTaken = upto;
    }
  }

  /** Fails the decoder with a protocol error. */
  private fail(message: string): never {
    this.error = new ProtocolError(message);
    throw this.error;
  }
}
