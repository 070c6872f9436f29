/**
 * The Lua engine: Redis's own Lua 5.1 (with `cjson`, `cmsgpack`, `struct`
 * and `bit`), compiled to WebAssembly by the npm package `lua-redis-wasm`,
 * driven through its raw exports with a codec of our own (no Buffer, no
 * per-value objects on the way in), so that `redis.call` costs one copy of
 * the arguments out and one of the reply in.
 *
 * The package is imported on the first script ({@linkcode loadLuaVm}), so a
 * server that never runs a script never loads it.
 *
 * Wire formats (the package's ABI): an argument array is
 * `[count u32][len u32][bytes]...`; a reply is `[tag u8][count-or-length
 * u32][payload]` with the tags below.
 *
 * @module
 */

import {
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
} from "../../resp/frame.ts";
import { Attribute } from "../../resp/frame.ts";
import { formatDouble } from "../../resp/encoder.ts";

const T_NULL = 0x00;
const T_INT = 0x01;
const T_BULK = 0x02;
const T_ARRAY = 0x03;
const T_STATUS = 0x04;
const T_ERROR = 0x05;
const T_SCRIPT_ERROR = 0x06;
const T_BOOL = 0x07;
const T_DOUBLE = 0x08;
const T_MAP = 0x09;
const T_SET = 0x0a;
const T_BIG_NUMBER = 0x0b;
const T_VERBATIM = 0x0c;

/** What a running script asks of the server. */
export interface ScriptHost {
  /**
   * `redis.call` (`pcall` false) or `redis.pcall`: runs the command and
   * returns its reply; an error reply is a {@linkcode ReplyError} frame
   * (never thrown).
   */
  call(args: Uint8Array[], pcall: boolean): Frame;
  /** `redis.log(level, message)`. */
  log(level: number, message: Uint8Array): void;
  /** `redis.setresp(2|3)`: the protocol of the replies `call` converts from now on. */
  setResp(version: 2 | 3): void;
  /** The protocol `call`'s replies are converted in (2 unless `setResp(3)`). */
  readonly resp: 2 | 3;
}

/** An error that aborted a script, before Redis's decoration is added. */
export interface ScriptFailure {
  /** The error text, with its code (`ERR ...`, `WRONGTYPE ...`) when it had one. */
  readonly message: string;
  /** Whether the message starts with an error code. */
  readonly coded: boolean;
  /** The script line, when known. */
  readonly line: number;
  /** An engine error kind (`global-read`, `command-arg-type`), with the name involved. */
  readonly kind?: string;
  /** The global variable name of a `global-read` error. */
  readonly name?: string;
}

/** The outcome of one script run: its reply, or the error that aborted it. */
export type ScriptOutcome = { ok: Frame } | { failed: ScriptFailure };

// deno-lint-ignore no-explicit-any
type Exports = any;

const ERROR_MARKER = "__RLUA_E__:";
const latin1 = new TextDecoder("latin1");

/**
 * One Lua VM (Redis's scripting environment: globals protected, the
 * `redis` table, the four libraries). Runs one script at a time,
 * synchronously.
 */
export class LuaVm {
  readonly #ex: Exports;
  #host: ScriptHost | undefined;
  #out = new Uint8Array(1024);
  #outLen = 0;
  #dead = false;

  private constructor(ex: Exports, handlers: Record<string, unknown>) {
    this.#ex = ex;
    handlers.call = (...a: number[]) => this.#onCall(a, false);
    handlers.pcall = (...a: number[]) => this.#onCall(a, true);
    handlers.log = (level: number, ptr: number, len: number) => {
      const bytes = this.#ex.HEAPU8.slice(ptr, ptr + len);
      try {
        this.#host?.log(level, bytes);
      } catch {
        // logging never fails a script
      }
    };
    handlers.setresp = (version: number) => this.#host?.setResp(version === 3 ? 3 : 2);
  }

  /** Loads the package and starts a VM with Redis 7.0's environment. */
  static async load(): Promise<LuaVm> {
    const { load } = await import("npm:lua-redis-wasm@1.5.0");
    const mod = await load({
      profile: "redis-7.0",
      redisProps: {
        REDIS_VERSION: { value: "7.0.15" },
        REDIS_VERSION_NUM: { value: 0x07000f },
        REPL_NONE: { value: 0 },
        REPL_AOF: { value: 1 },
        REPL_SLAVE: { value: 2 },
        REPL_REPLICA: { value: 2 },
        REPL_ALL: { value: 3 },
        replicate_commands: { returns: true },
        set_repl: { returns: null },
        breakpoint: { returns: false },
        debug: { returns: null },
      },
    });
    // create() initialises Lua and wires the package's own callbacks; ours replace them
    mod.create({ redisCall: () => null, redisPcall: () => null, log: () => {} });
    // deno-lint-ignore no-explicit-any
    const internals = mod as any;
    return new LuaVm(internals.exports, internals.handlers);
  }

  /** Whether the VM failed (out of memory, a trap) and must be replaced. */
  get dead(): boolean {
    return this.#dead;
  }

  /**
   * Runs `script` with `argv` (the first `nkeys` are `KEYS`, the rest
   * `ARGV`), calling `host` for `redis.call` and friends.
   */
  run(
    script: Uint8Array,
    argv: readonly Uint8Array[],
    nkeys: number,
    host: ScriptHost,
  ): ScriptOutcome {
    const ex = this.#ex;
    this.#host = host;
    let sp = 0;
    let ap = 0;
    let rp = 0;
    try {
      sp = ex._alloc(script.length || 1);
      ex.HEAPU8.set(script, sp);
      let n = 4;
      for (let i = 0; i < argv.length; i++) n += 4 + argv[i].length;
      ap = ex._alloc(n);
      let heap: Uint8Array = ex.HEAPU8;
      let dv = new DataView(heap.buffer);
      dv.setUint32(ap, argv.length, true);
      let o = ap + 4;
      for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        dv.setUint32(o, a.length, true);
        heap.set(a, o + 4);
        o += 4 + a.length;
      }
      rp = ex._alloc(8);
      if (ex._eval_with_args.length >= 6) {
        ex._eval_with_args(rp, sp, script.length, ap, n, nkeys);
      } else {
        const packed = ex._eval_with_args(sp, script.length, ap, n, nkeys) as bigint;
        heap = ex.HEAPU8;
        dv = new DataView(heap.buffer);
        dv.setUint32(rp, Number(packed & 0xffffffffn), true);
        dv.setUint32(rp + 4, Number(packed >> 32n), true);
      }
      heap = ex.HEAPU8;
      dv = new DataView(heap.buffer);
      const ptr = dv.getUint32(rp, true);
      const len = dv.getUint32(rp + 4, true);
      if (ptr === 0 || len === 0) return { ok: null };
      try {
        if (heap[ptr] === T_SCRIPT_ERROR) return { failed: readScriptError(heap, ptr, len) };
        const r = new Reader(heap, ptr);
        return { ok: r.frame() };
      } finally {
        ex._free_mem(ptr);
      }
    } catch (e) {
      this.#dead = true;
      return {
        failed: {
          message: `ERR the Lua engine failed: ${e instanceof Error ? e.message : e}`,
          coded: true,
          line: 0,
        },
      };
    } finally {
      this.#host = undefined;
      if (!this.#dead) {
        if (sp !== 0) ex._free_mem(sp);
        if (ap !== 0) ex._free_mem(ap);
        if (rp !== 0) ex._free_mem(rp);
      }
    }
  }

  /** The package's `host_redis_call`/`host_redis_pcall` import. */
  #onCall(a: number[], pcall: boolean): bigint | void {
    const ex = this.#ex;
    const sret = a.length >= 3;
    const ptr = sret ? a[1] : a[0];
    let reply: Frame;
    try {
      const args = readArgs(ex.HEAPU8, ptr);
      reply = this.#host === undefined
        ? new ReplyError("ERR no script is running")
        : this.#host.call(args, pcall);
    } catch (e) {
      reply = e instanceof ReplyError ? e : new ReplyError(`ERR ${e}`);
    }
    this.#outLen = 0;
    this.#write(reply, this.#host?.resp ?? 2);
    const len = this.#outLen;
    const p = ex._alloc(len);
    const heap: Uint8Array = ex.HEAPU8;
    const out = this.#out;
    if (len < 64) {
      for (let i = 0; i < len; i++) heap[p + i] = out[i];
    } else {
      heap.set(out.subarray(0, len), p);
    }
    if (sret) {
      setU32(heap, a[0], p);
      setU32(heap, a[0] + 4, len);
      return;
    }
    return (BigInt(len) << 32n) | BigInt(p >>> 0);
  }

  #room(n: number): void {
    if (this.#outLen + n <= this.#out.length) return;
    let size = this.#out.length * 2;
    while (size < this.#outLen + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.#out.subarray(0, this.#outLen));
    this.#out = next;
  }

  #head(tag: number, n: number): void {
    this.#room(5);
    const o = this.#outLen;
    const b = this.#out;
    b[o] = tag;
    b[o + 1] = n & 0xff;
    b[o + 2] = (n >>> 8) & 0xff;
    b[o + 3] = (n >>> 16) & 0xff;
    b[o + 4] = (n >>> 24) & 0xff;
    this.#outLen = o + 5;
  }

  #bytes(tag: number, bytes: Uint8Array): void {
    this.#head(tag, bytes.length);
    this.#room(bytes.length);
    this.#out.set(bytes, this.#outLen);
    this.#outLen += bytes.length;
  }

  #text(tag: number, s: string, binary: boolean): void {
    this.#bytes(tag, binary ? latin1Bytes(s) : new TextEncoder().encode(s));
  }

  #int(v: number | bigint): void {
    this.#head(T_INT, 8);
    this.#room(8);
    new DataView(this.#out.buffer).setBigInt64(this.#outLen, BigInt(v), true);
    this.#outLen += 8;
  }

  /** Encodes a reply frame as the engine's reply format, in protocol `resp`. */
  #write(f: Frame, resp: 2 | 3): void {
    if (f === null || f === undefined || f instanceof NullArray) return this.#head(T_NULL, 0);
    if (f instanceof Uint8Array) return this.#bytes(T_BULK, f);
    if (typeof f === "number") {
      if (Number.isInteger(f)) return this.#int(f);
      return this.#text(T_BULK, formatDouble(f), false);
    }
    if (typeof f === "string") return this.#text(T_BULK, f, false);
    if (typeof f === "bigint") return this.#int(f);
    if (typeof f === "boolean") {
      if (resp === 3) {
        this.#head(T_BOOL, 1);
        this.#room(1);
        this.#out[this.#outLen++] = f ? 1 : 0;
        return;
      }
      return this.#int(f ? 1 : 0);
    }
    if (Array.isArray(f)) {
      this.#head(T_ARRAY, f.length);
      for (const x of f) this.#write(x, resp);
      return;
    }
    if (f instanceof BinaryString) return this.#text(T_BULK, f.value, true);
    if (f instanceof SimpleString) return this.#text(T_STATUS, f.value, false);
    if (f instanceof ReplyError) return this.#text(T_ERROR, f.message, f.binary);
    if (f instanceof Double) {
      if (resp === 3) {
        this.#head(T_DOUBLE, 8);
        this.#room(8);
        new DataView(this.#out.buffer).setFloat64(this.#outLen, f.value, true);
        this.#outLen += 8;
        return;
      }
      return this.#text(T_BULK, formatDouble(f.value), false);
    }
    if (f instanceof RespMap) {
      if (resp === 3) {
        this.#head(T_MAP, f.entries.length);
      } else {
        this.#head(T_ARRAY, f.entries.length * 2);
      }
      for (const [k, v] of f.entries) {
        this.#write(k, resp);
        this.#write(v, resp);
      }
      return;
    }
    if (f instanceof RespSet) {
      this.#head(resp === 3 ? T_SET : T_ARRAY, f.items.length);
      for (const x of f.items) this.#write(x, resp);
      return;
    }
    if (f instanceof Push) {
      this.#head(T_ARRAY, f.items.length);
      for (const x of f.items) this.#write(x, resp);
      return;
    }
    if (f instanceof BigNumber) {
      return this.#text(resp === 3 ? T_BIG_NUMBER : T_BULK, f.value.toString(), false);
    }
    if (f instanceof VerbatimString) {
      if (resp === 3) {
        const fmt = new TextEncoder().encode(f.format);
        this.#head(T_VERBATIM, 4 + fmt.length + f.value.length);
        this.#room(4 + fmt.length + f.value.length);
        new DataView(this.#out.buffer).setUint32(this.#outLen, fmt.length, true);
        this.#out.set(fmt, this.#outLen + 4);
        this.#out.set(f.value, this.#outLen + 4 + fmt.length);
        this.#outLen += 4 + fmt.length + f.value.length;
        return;
      }
      return this.#bytes(T_BULK, f.value);
    }
    if (f instanceof Attribute) return this.#write(f.value, resp);
    return this.#head(T_NULL, 0);
  }
}

/** A string of chars 0-255 as its bytes. */
function latin1Bytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/** A little-endian u32 of `heap` at `o`. */
function u32(heap: Uint8Array, o: number): number {
  return (heap[o] | (heap[o + 1] << 8) | (heap[o + 2] << 16) | (heap[o + 3] << 24)) >>> 0;
}

/** Writes a little-endian u32 into `heap` at `o`. */
function setU32(heap: Uint8Array, o: number, v: number): void {
  heap[o] = v & 0xff;
  heap[o + 1] = (v >>> 8) & 0xff;
  heap[o + 2] = (v >>> 16) & 0xff;
  heap[o + 3] = (v >>> 24) & 0xff;
}

/** An argument array (`redis.call`'s arguments) as copies. */
function readArgs(heap: Uint8Array, ptr: number): Uint8Array[] {
  const count = u32(heap, ptr);
  const out = new Array<Uint8Array>(count);
  let o = ptr + 4;
  for (let i = 0; i < count; i++) {
    const len = u32(heap, o);
    const start = o + 4;
    const copy = new Uint8Array(len);
    for (let j = 0; j < len; j++) copy[j] = heap[start + j];
    out[i] = copy;
    o = start + len;
  }
  return out;
}

/** Whether `s` starts with an error code: `[A-Z][A-Z0-9]*` then a space or the end. */
export function startsWithCode(s: string): boolean {
  const c0 = s.charCodeAt(0);
  if (!(c0 >= 65 && c0 <= 90)) return false;
  for (let i = 1; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 32) return true;
    if (!((c >= 65 && c <= 90) || (c >= 48 && c <= 57))) return false;
  }
  return true;
}

function readScriptError(heap: Uint8Array, ptr: number, len: number): ScriptFailure {
  const dv = new DataView(heap.buffer);
  const line = dv.getUint32(ptr + 5, true);
  const text = latin1.decode(heap.subarray(ptr + 9, ptr + len));
  const marker = text.indexOf(ERROR_MARKER);
  if (marker !== -1) {
    const rest = text.slice(marker + ERROR_MARKER.length);
    const sep = rest.indexOf(":");
    return {
      message: text,
      coded: false,
      line,
      kind: sep === -1 ? rest : rest.slice(0, sep),
      name: sep === -1 ? undefined : rest.slice(sep + 1),
    };
  }
  return { message: text, coded: startsWithCode(text), line };
}

/** Decodes the engine's reply format into frames (bulk strings as copies). */
class Reader {
  #heap: Uint8Array;
  #dv: DataView;
  #pos: number;
  constructor(heap: Uint8Array, pos: number) {
    this.#heap = heap;
    this.#dv = new DataView(heap.buffer);
    this.#pos = pos;
  }

  frame(): Frame {
    const heap = this.#heap;
    const p = this.#pos;
    const tag = heap[p];
    const n = this.#dv.getUint32(p + 1, true);
    this.#pos = p + 5;
    switch (tag) {
      case T_NULL:
        return null;
      case T_INT: {
        let v = this.#dv.getBigInt64(this.#pos, true);
        this.#pos += 8;
        // a Lua number beyond the int64 range: the engine saturates, Redis's
        // C cast (x86) gives INT64_MIN, whatever the sign
        if (v === 0x7fffffffffffffffn) v = -0x8000000000000000n;
        return v >= -9007199254740991n && v <= 9007199254740991n ? Number(v) : v;
      }
      case T_BULK:
        return this.#take(n);
      case T_STATUS:
        return new SimpleString(noCrLf(latin1.decode(this.#take(n))));
      case T_ERROR:
      case T_SCRIPT_ERROR: {
        const text = noCrLf(latin1.decode(this.#take(n)));
        return new ReplyError(text, false, true);
      }
      case T_ARRAY: {
        const out = new Array<Frame>(n);
        for (let i = 0; i < n; i++) out[i] = this.frame();
        return out;
      }
      case T_BOOL:
        return heap[this.#pos++] !== 0;
      case T_DOUBLE: {
        const v = this.#dv.getFloat64(this.#pos, true);
        this.#pos += 8;
        return new Double(v);
      }
      case T_MAP: {
        const entries: [Frame, Frame][] = [];
        for (let i = 0; i < n; i++) entries.push([this.frame(), this.frame()]);
        return new RespMap(entries);
      }
      case T_SET: {
        const items: Frame[] = [];
        for (let i = 0; i < n; i++) items.push(this.frame());
        return new RespSet(items);
      }
      case T_BIG_NUMBER:
        return new BigNumber(BigInt(latin1.decode(this.#take(n))));
      case T_VERBATIM: {
        const end = this.#pos + n;
        const fl = this.#dv.getUint32(this.#pos, true);
        const format = latin1.decode(heap.subarray(this.#pos + 4, this.#pos + 4 + fl));
        const value = heap.slice(this.#pos + 4 + fl, end);
        this.#pos = end;
        return new VerbatimString(format, value);
      }
      default:
        throw new Error(`unknown reply tag ${tag}`);
    }
  }

  #take(n: number): Uint8Array {
    const out = this.#heap.slice(this.#pos, this.#pos + n);
    this.#pos += n;
    return out;
  }
}

/** Replaces CR and LF with spaces (Redis does so for status and error replies of scripts). */
function noCrLf(s: string): string {
  return s.includes("\r") || s.includes("\n") ? s.replace(/[\r\n]/g, " ") : s;
}

let loading: Promise<LuaVm> | undefined;
let current: LuaVm | undefined;

/**
 * The process's Lua VM, loaded on first use (the package is imported then,
 * never before). A VM that failed is replaced.
 */
export function loadLuaVm(): LuaVm | Promise<LuaVm> {
  if (current !== undefined && !current.dead) return current;
  loading ??= LuaVm.load().then((vm) => {
    current = vm;
    loading = undefined;
    return vm;
  }, (e) => {
    loading = undefined;
    throw e;
  });
  return loading;
}
