/**
 * The Lua engine: Redis's own Lua 5.1 (with `cjson`, `cmsgpack`, `struct`
 * and `bit`), compiled to WebAssembly by the npm package `lua-redis-wasm`,
 * driven through its raw exports with a codec of our own (no Buffer, no
 * per-value objects on the way in), so that `redis.call` costs one copy of
 * the reply in and none of the arguments out.
 *
 * Three things are added to the package's build, all from outside (the
 * `.wasm` is used as shipped):
 *
 * - **Compiled scripts are kept.** At start-up a small runtime is planted
 *   in the VM (under a key no script can name, `_G[" mr"]`): it keeps each
 *   script's compiled function and each library's registered callbacks, as
 *   Redis keeps `f_<sha>` functions, so a script is compiled once and each
 *   run only compiles a one-line call (`return _G[" mr"](1,7)`).
 * - **A run can yield to the event loop.** The build's count hook (every
 *   {@linkcode HOOK_INSTRUCTIONS} Lua instructions) is routed to our
 *   {@linkcode RunControl}: past its `busyAt` time the run is suspended with
 *   WebAssembly's JavaScript Promise Integration (JSPI) and resumed after
 *   the event loop has turned, so the server answers other clients while a
 *   long script runs (with `-BUSY`), as Redis does from its own hook.
 * - **A run can be killed.** `control.killed` makes the hook raise an error
 *   at every instruction from then on (a script's `pcall` cannot catch it
 *   for good), as Redis's SCRIPT KILL does.
 *
 * JSPI cannot suspend through JavaScript frames, and the package's glue
 * emulates C's setjmp/longjmp (Lua's error handling) with a JavaScript
 * `invoke_vii` frame under every `lua_pcall`; a 236-byte WebAssembly shim
 * ({@linkcode SHIM_WAT}) replaces it with the same logic in WebAssembly
 * (try/catch_all), and carries the hook.
 *
 * The package is imported when the first VM is made ({@linkcode LuaVm.create}),
 * so a server that never runs a script never loads it.
 *
 * Wire formats (the package's ABI): an argument array is
 * `[count u32][len u32][bytes]...`; a reply is `[tag u8][count-or-length
 * u32][payload]` with the tags below.
 *
 * @module
 */

import { createHash } from "node:crypto";
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
} from "../../resp/frame.ts";
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

/** Lua instructions between two calls of the count hook (Redis uses the same). */
export const HOOK_INSTRUCTIONS = 100_000;

// Addresses and offsets of lua-redis-wasm 1.5.0's build (checked at start-up).
/** The VM's `lua_State *`. */
const ADDR_STATE = 28472;
/** The fuel left (i64) that the build's own hook decrements by 1000 and fails at. */
const ADDR_FUEL = 27952;
/** `lua_State` fields (wasm32): hookmask (u8), basehookcount, hookcount, hook, l_gt (TValue). */
const L_HOOKMASK = 56;
const L_BASEHOOKCOUNT = 60;
const L_HOOKCOUNT = 64;
const L_HOOK = 68;
const L_GLOBALS = 72;
const L_GLOBALS_TT = 80;
/** `Table.readonly` (Redis's patch of Lua 5.1). */
const TABLE_READONLY = 8;
/** The build's count hook: its index in the function table. */
const HOOK_INDEX = 6;
const LUA_MASKCOUNT = 8;
const LUA_TTABLE = 5;

/**
 * The shim (its WebAssembly text; {@linkcode SHIM_WASM} is its binary):
 * `invoke_vii` is emscripten's JavaScript `invoke_vii` (call a table entry;
 * a longjmp unwinding through it restores the stack pointer and sets
 * `__THREW__`) in WebAssembly, and `hook` asks `check` what to do: 0 go
 * on, 1 raise (through the build's own hook, with its fuel emptied), 2
 * suspend (`suspend` is a JSPI `Suspending` import) and ask again.
 */
export const SHIM_WAT = `(module
  (type $vii (func (param i32 i32)))
  (import "s" "save" (func $save (result i32)))
  (import "s" "restore" (func $restore (param i32)))
  (import "s" "setThrew" (func $setThrew (param i32 i32)))
  (import "s" "isLongjmp" (func $isLongjmp (result i32)))
  (import "s" "check" (func $check (param i32) (result i32)))
  (import "s" "suspend" (func $suspend (param i32) (result i32)))
  (table $t (export "table") 256 funcref)
  (func (export "invoke_vii") (param $idx i32) (param $a i32) (param $b i32)
    (local $sp i32)
    (local.set $sp (call $save))
    (try
      (do (call_indirect $t (type $vii) (local.get $a) (local.get $b) (local.get $idx)))
      (catch_all
        (call $restore (local.get $sp))
        (if (i32.eqz (call $isLongjmp)) (then (rethrow 1)))
        (call $setThrew (i32.const 1) (i32.const 0)))))
  (func (export "hook") (param $L i32) (param $ar i32)
    (local $r i32)
    (local.set $r (call $check (local.get $L)))
    (if (i32.eq (local.get $r) (i32.const 2))
      (then (local.set $r (call $suspend (local.get $L)))))
    (if (i32.eq (local.get $r) (i32.const 1))
      (then (call_indirect $t (type $vii) (local.get $L) (local.get $ar) (i32.const 6))))))`;

/** {@linkcode SHIM_WAT} assembled (wabt's wat2wasm, exceptions enabled). */
const SHIM_WASM =
  "AGFzbQEAAAABGQVgAn9/AGAAAX9gAX8AYAF/AX9gA39/fwACRwYBcwRzYXZlAAEBcwdyZXN0b3JlAAIBcwhzZXRUaHJldwAAAXMJaXNMb25nam1wAAEBcwVjaGVjawADAXMHc3VzcGVuZAADAwMCBAAEBQFwAIACBx0DBXRhYmxlAQAKaW52b2tlX3ZpaQAGBGhvb2sABwpTAicBAX8QACEDBkAgASACIAARAAAZIAMQARADRQRACQELQQFBABACCwspAQF/IAAQBCECIAJBAkYEQCAAEAUhAgsgAkEBRgRAIAAgAUEGEQAACws=";

/**
 * The runtime planted in each VM at start-up, as `_G[" mr"]` (a key no
 * identifier can name). Its operations, called by one-line chunks:
 *
 * - `1, id`: runs script `id`, returning its first result (as Redis); an
 *   error is reported by Redis's error handler (message and place) through
 *   `redis.log` with a leading `\x01` (see {@linkcode LuaVm.onLog});
 * - `2, id`: compiles `ARGV[1]` as script `id` (chunk `@user_script`);
 *   returns the compile error, or nothing;
 * - `3`: forgets every script (SCRIPT FLUSH);
 * - `4, id`: compiles `ARGV[1]` as library `id` (`@user_function`) and runs
 *   it once with the load-time API (`redis.register_function`,
 *   `redis.log`); returns `{1, error}` for a compile error, else the
 *   registrations as `{name, flags, description, ...}`. The library's code
 *   sees `redis` through a proxy that becomes the real `redis` table once
 *   loaded, so its callbacks call the real API at FCALL time;
 * - `6, id`: forgets library `id`;
 * - `7, id, n`: calls library `id`'s `n`-th callback with `KEYS, ARGV`
 *   (errors as for `1`);
 * - `8`: forgets every library (FUNCTION FLUSH).
 */
const RUNTIME = `
local loadstring, setmetatable, error, type, tostring, ipairs, pairs, rawset, pcall, G =
  loadstring, setmetatable, error, type, tostring, ipairs, pairs, rawset, pcall, _G
local R = redis
local sub, find, gsub, select = string.sub, string.find, string.gsub, select
local scripts, libs = {}, {}
local function nothing(_, k)
  error("Script attempted to access nonexistent global variable '" .. tostring(k) .. "'", 2)
end
local function readonly() error("Attempt to modify a readonly table", 2) end
local function load(id)
  local f, e = loadstring(ARGV[1], '@user_function')
  if f == nil then return {1, e} end
  -- the library sees redis as a local, the proxy (the body keeps its line numbers)
  f = loadstring('local redis = ... return (function(...) ' .. ARGV[1] .. '\\nend)()', '@user_function')
  local regs, cbs = {}, {}
  local function reg(a, b)
    local name, cb, flags, desc
    if b == nil then
      if type(a) ~= 'table' then error('ERR calling redis.register_function with a single argument is only applicable to Lua table (representing named arguments).', 0) end
      for k in pairs(a) do
        if k ~= 'function_name' and k ~= 'callback' and k ~= 'flags' and k ~= 'description' then error('ERR unknown argument given to redis.register_function', 0) end
      end
      name, cb, flags, desc = a.function_name, a.callback, a.flags, a.description
    else
      name, cb = a, b
    end
    if type(name) ~= 'string' then error('ERR function_name argument given to redis.register_function must be a string', 0) end
    if type(cb) ~= 'function' then error('ERR second argument to redis.register_function must be a function', 0) end
    local fl = ''
    if flags ~= nil then
      if type(flags) ~= 'table' then error('ERR flags argument to redis.register_function must be a table representing function flags', 0) end
      for _, x in ipairs(flags) do
        if type(x) ~= 'string' then error('ERR unknown flag given', 0) end
        fl = fl .. x .. ' '
      end
    end
    if desc ~= nil and type(desc) ~= 'string' then error('ERR description argument given to redis.register_function must be a string', 0) end
    regs[#regs + 1] = name; regs[#regs + 1] = fl; regs[#regs + 1] = desc or false
    cbs[#cbs + 1] = cb
  end
  local api = setmetatable({register_function = reg, log = R.log, LOG_DEBUG = R.LOG_DEBUG,
    LOG_VERBOSE = R.LOG_VERBOSE, LOG_NOTICE = R.LOG_NOTICE, LOG_WARNING = R.LOG_WARNING},
    {__index = nothing})
  local pmt = {__index = api, __newindex = readonly}
  libs[id] = cbs
  local ok, err = pcall(f, setmetatable({}, pmt))
  pmt.__index = R
  if not ok then libs[id] = nil error(err, 0) end
  return regs
end
-- Redis's error handler (its __redis__err__handler): the message (a table's
-- err, or 'ERR ' .. the value) and where the error was raised (the raising
-- function, or its caller when that is a C function), handed to the host
-- through redis.log's channel, marked by a leading byte 1
local log, LOG = R.log, R.LOG_DEBUG
local function handler(e)
  -- the first Lua function from the raising one down, past this runtime's
  -- own (chunk "=mr", e.g. the pcall wrapper that a kill may hit)
  local w = ''
  for level = 3, 12 do
    local _, p = pcall(error, '', level)
    if p ~= '' and sub(p, 1, 3) ~= 'mr:' then w = p break end
  end
  -- a table's err as is; a string as the engine raised it (redis.call's
  -- errors come as coded strings: the host tells them apart)
  if type(e) == 'table' then
    log(LOG, '\\1t' .. w .. '\\1' .. tostring(e.err))
  else
    log(LOG, '\\1s' .. w .. '\\1' .. tostring(e))
  end
end
-- Redis's pcall: an error table is returned as its err string
local function fix(ok, ...)
  if ok then return ok, ... end
  local e = ...
  if type(e) == 'table' then
    local m = e.err
    if type(m) == 'string' or type(m) == 'number' then return false, m end
  end
  return false, e
end
rawset(G, 'pcall', function(...) return fix(pcall(...)) end)
-- Redis's redis.error_reply: the code is the first word (ERR without one)
local function error_reply(...)
  local e = ...
  if select('#', ...) ~= 1 or type(e) ~= 'string' then
    return {err = 'ERR wrong number or type of arguments'}
  end
  if sub(e, 1, 1) ~= '-' then e = '-' .. e end
  local sp = find(e, ' ', 1, true)
  local code, msg = 'ERR', sub(e, 2)
  if sp ~= nil then code, msg = sub(e, 2, sp - 1), sub(e, sp + 1) end
  msg = gsub(gsub(msg, '^[\\r\\n]+', ''), '[\\r\\n]+$', '')
  return {err = code .. ' ' .. msg}
end
-- the redis table with it (made read-only by the host, from the address returned)
local api = {}
for k, v in pairs(R) do api[k] = v end
api.error_reply = error_reply
setmetatable(api, getmetatable(R))
rawset(G, 'redis', api)
-- a NaN converts to INT64_MIN in Redis (the C cast), to 0 in the engine
local rawget, NAN_INT = rawget, -2^63
local function nans(t, depth)
  if depth > 100 then return end
  local i, v = 1, rawget(t, 1)
  while v ~= nil do
    if v ~= v then rawset(t, i, NAN_INT) elseif type(v) == 'table' then nans(v, depth + 1) end
    i = i + 1
    v = rawget(t, i)
  end
end
local function result(r)
  if r ~= r then return NAN_INT end
  if type(r) == 'table' then nans(r, 0) end
  return r
end
local fa, fb
local function fcall() return libs[fa][fb](KEYS, ARGV) end
rawset(G, ' mr', function(op, a, b)
  if op == 1 then
    local _, r = xpcall(scripts[a], handler)
    return result(r)
  end
  if op == 7 then
    fa, fb = a, b
    local _, r = xpcall(fcall, handler)
    return result(r)
  end
  if op == 2 then
    local f, e = loadstring(ARGV[1], '@user_script')
    if f == nil then return e end
    scripts[a] = f
    return
  end
  if op == 3 then scripts = {} return end
  if op == 4 then return load(a) end
  if op == 6 then libs[a] = nil return end
  if op == 8 then libs = {} return end
end)
return tostring(api)
`;

/** What a running script asks of the server. */
export interface ScriptHost {
  /**
   * `redis.call` (`pcall` false) or `redis.pcall`: runs the command and
   * returns its reply; an error reply is a {@linkcode ReplyError} frame
   * (never thrown). `args` are views valid during the call only.
   */
  call(args: Uint8Array[], pcall: boolean): Frame;
  /** `redis.log(level, message)`. */
  log(level: number, message: Uint8Array): void;
  /** `redis.setresp(2|3)`: the protocol of the replies `call` converts from now on. */
  setResp(version: 2 | 3): void;
  /** The protocol `call`'s replies are converted in (2 unless `setResp(3)`). */
  readonly resp: 2 | 3;
}

/**
 * How a run may be interrupted: checked by the count hook every
 * {@linkcode HOOK_INSTRUCTIONS} instructions.
 */
export interface RunControl {
  /**
   * `performance.now()` time from which the run is busy; 0 until the first
   * check (every {@linkcode HOOK_INSTRUCTIONS} instructions) sets it to that
   * time plus {@linkcode thresholdMs}, so that a short run reads no clock.
   */
  busyAt: number;
  /** The busy threshold in milliseconds (`busy-reply-threshold`). */
  readonly thresholdMs: number;
  /** `performance.now()` at the run's first check (0 before). */
  startedAt: number;
  /**
   * Called at the first check past `busyAt` (and again later while it
   * refuses): whether the run may now yield to the event loop. The server
   * enters its busy state here.
   */
  yieldable(): boolean;
  /** Set to stop the run: it fails at its next instruction (see {@linkcode ScriptFailure.killed}). */
  killed: boolean;
  /** Whether the run has yielded to the event loop (set by the engine). */
  yielded: boolean;
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
  /** The run was killed ({@linkcode RunControl.killed}). */
  readonly killed?: boolean;
  /** Where the error was raised (`user_script`, `user_function`), when the runtime's handler saw it. */
  readonly source?: string;
}

/** The outcome of one script run: its reply, or the error that aborted it. */
export type ScriptOutcome = { ok: Frame } | { failed: ScriptFailure };

/** A chunk copied into the VM's memory once, run many times. */
export interface Chunk {
  /** Its address in the VM's memory (0 once freed). */
  ptr: number;
  /** Its length in bytes. */
  readonly length: number;
}

// deno-lint-ignore no-explicit-any
type Exports = any;

const ERROR_MARKER = "__RLUA_E__:";
const latin1 = new TextDecoder("latin1");
const utf8 = new TextEncoder();

/** The package's Emscripten glue factory and its compiled module, loaded once per process. */
let loaded:
  | Promise<{ factory: (arg: object) => Promise<unknown>; module: WebAssembly.Module }>
  | undefined;
let shimModule: WebAssembly.Module | undefined;

async function loadPackage() {
  const { LuaWasmModule } = await import("npm:lua-redis-wasm@1.5.0");
  const glue = await import(LuaWasmModule.defaultModulePath());
  const { readFile } = await import("node:fs/promises");
  const bytes = await readFile(new URL(LuaWasmModule.defaultWasmPath()));
  const module = await WebAssembly.compile(new Uint8Array(bytes));
  return { factory: (glue.default ?? glue) as (arg: object) => Promise<unknown>, module };
}

function base64Bytes(s: string): Uint8Array {
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

// JSPI, where the runtime has it (Deno 2 does)
// deno-lint-ignore no-explicit-any
const WA = WebAssembly as any;
const JSPI = typeof WA.Suspending === "function" && typeof WA.promising === "function";

/** The `throw` of a longjmp (what emscripten's glue throws, recognised by the shim). */
const LONGJMP = { longjmp: true };

/**
 * Running time between two yields of a busy run, in milliseconds: a yield
 * (a `setTimeout(0)`, the only macrotask after which Deno is sure to poll
 * sockets and timers) costs about 1-2 ms, so a busy script keeps most of
 * the CPU while other clients wait at most this long for their `-BUSY`.
 */
export const YIELD_EVERY_MS = 10;

/**
 * Resolves after the event loop has turned (sockets polled, timers run).
 * The timer does not keep the process alive: a busy script abandoned by
 * a closing server does not hold the process.
 */
function turn(): Promise<void> {
  return new Promise<void>((resolve) => Deno.unrefTimer(setTimeout(resolve, 0)));
}

/**
 * One Lua VM (Redis's scripting environment: globals protected, the
 * `redis` table, the four libraries, and the runtime above). Runs one
 * script at a time.
 */
export class LuaVm {
  readonly #ex: Exports;
  readonly #heap: Uint8Array;
  readonly #dv: DataView;
  readonly #state: number;
  readonly #promisingEval: ((...a: number[]) => Promise<unknown>) | undefined;
  #host: ScriptHost | undefined;
  #control: RunControl | undefined;
  #pending: Promise<number> | undefined;
  #suspended = false;
  #busy = false;
  /** The error the runtime's handler reported for the current run. */
  #reported: ScriptFailure | undefined;
  #reader: Reader | undefined;
  #out = new Uint8Array(1024);
  #outLen = 0;
  #argPtr = 0;
  #argCap = 0;
  #retPtr = 0;
  #dead = false;

  private constructor(ex: Exports) {
    this.#ex = ex;
    this.#heap = new Uint8Array(ex.memory.buffer);
    this.#dv = new DataView(ex.memory.buffer);
    this.#state = this.#dv.getUint32(ADDR_STATE, true);
    this.#promisingEval = JSPI ? WA.promising(ex.eval_with_args) : undefined;
    this.#retPtr = ex.alloc(8);
  }

  /**
   * Loads the package (first time only) and starts a VM with Redis 7.0's
   * environment and the runtime.
   */
  static async create(): Promise<LuaVm> {
    loaded ??= loadPackage();
    let pkg;
    try {
      pkg = await loaded;
    } catch (e) {
      loaded = undefined;
      throw e;
    }
    shimModule ??= new WebAssembly.Module(base64Bytes(SHIM_WASM) as BufferSource);
    let ex: Exports;
    // the VM, once made (the imports below are wired before it exists)
    const made: { vm?: LuaVm } = {};
    let longjmp = false;
    const heap = () => new Uint8Array(ex.memory.buffer);
    const shim = new WebAssembly.Instance(shimModule, {
      s: {
        save: () => ex.emscripten_stack_get_current(),
        restore: (sp: number) => ex._emscripten_stack_restore(sp),
        setThrew: (a: number, b: number) => ex.setThrew(a, b),
        isLongjmp: () => {
          if (!longjmp) return 0;
          longjmp = false;
          return 1;
        },
        check: () => made.vm?.check() ?? 0,
        suspend: JSPI ? new WA.Suspending(() => made.vm!.takePending()) : () => 0,
      },
    });
    const props = encodeProps();
    const hostImports = {
      host_redis_call: (rp: number, ptr: number) => made.vm!.onCall(rp, ptr, false),
      host_redis_pcall: (rp: number, ptr: number) => made.vm!.onCall(rp, ptr, true),
      host_redis_log: (level: number, ptr: number, len: number) => made.vm?.onLog(level, ptr, len),
      host_redis_setresp: (version: number) => made.vm?.onSetResp(version),
      host_sha1hex: (rp: number, ptr: number, len: number) => {
        const hex = utf8.encode(
          createHash("sha1").update(heap().subarray(ptr, ptr + len)).digest("hex"),
        );
        const p = ex.alloc(hex.length);
        heap().set(hex, p);
        const dv = new DataView(ex.memory.buffer);
        dv.setUint32(rp, p, true);
        dv.setUint32(rp + 4, hex.length, true);
      },
      host_redis_props: (rp: number) => {
        const p = ex.alloc(props.length);
        heap().set(props, p);
        const dv = new DataView(ex.memory.buffer);
        dv.setUint32(rp, p, true);
        dv.setUint32(rp + 4, props.length, true);
      },
      invoke_vii: shim.exports.invoke_vii,
      _emscripten_throw_longjmp: () => {
        longjmp = true;
        throw LONGJMP;
      },
    };
    const module = pkg.module;
    await pkg.factory({
      locateFile: (f: string) => f,
      instantiateWasm(
        imports: { env: Record<string, unknown>; wasi_snapshot_preview1?: unknown },
        done: (instance: WebAssembly.Instance, module: WebAssembly.Module) => void,
      ) {
        const env = { ...imports.env, ...hostImports };
        imports.env = env;
        imports.wasi_snapshot_preview1 = env;
        WebAssembly.instantiate(module, imports as WebAssembly.Imports).then((instance) => {
          ex = instance.exports;
          // the shim's table mirrors the VM's: invoke_vii calls through it
          const table = ex.__indirect_function_table as WebAssembly.Table;
          const mirror = shim.exports.table as WebAssembly.Table;
          for (let i = 0; i < table.length; i++) mirror.set(i, table.get(i));
          table.set(HOOK_INDEX, shim.exports.hook as WebAssembly.ExportValue as () => void);
          done(instance, module);
        });
        return {};
      },
    });
    ex.set_limits(0xffffffff, 0, 0);
    ex.set_compat(0); // redis-7.0: no print, no os, no `server` alias
    if (ex.init() !== 0) throw new Error("the Lua engine failed to start");
    const vm = made.vm = new LuaVm(ex);
    vm.#setUp();
    return vm;
  }

  /** Checks the build's layout and plants the runtime. */
  #setUp(): void {
    const dv = this.#dv;
    const L = this.#state;
    if (
      L === 0 || this.#heap[L + L_HOOKMASK] !== LUA_MASKCOUNT ||
      dv.getInt32(L + L_HOOK, true) !== HOOK_INDEX ||
      dv.getInt32(L + L_GLOBALS_TT, true) !== LUA_TTABLE || this.#ex.eval_with_args.length !== 6
    ) {
      throw new Error("lua-redis-wasm: unexpected build (expected 1.5.0's layout)");
    }
    const globals = dv.getUint32(L + L_GLOBALS, true);
    if (dv.getInt32(globals + TABLE_READONLY, true) !== 1) {
      throw new Error("lua-redis-wasm: unexpected build (globals not read-only)");
    }
    dv.setInt32(L + L_BASEHOOKCOUNT, HOOK_INSTRUCTIONS, true);
    dv.setInt32(L + L_HOOKCOUNT, HOOK_INSTRUCTIONS, true);
    dv.setInt32(globals + TABLE_READONLY, 0, true);
    try {
      // compiled as chunk "=mr", so that its frames are told from scripts'
      const chunk = this.chunk("return loadstring(ARGV[1], '=mr')()");
      const r = this.run(chunk, [utf8.encode(RUNTIME)], 0, NO_HOST) as ScriptOutcome;
      this.free(chunk);
      if ("failed" in r) throw new Error(`the Lua runtime failed to load: ${r.failed.message}`);
      // the runtime's redis table: read-only like the one it replaces
      const m = r.ok instanceof Uint8Array ? /0x([0-9a-f]+)/.exec(latin1.decode(r.ok)) : null;
      if (m === null) throw new Error("the Lua runtime failed to load: no redis table");
      dv.setInt32(parseInt(m[1], 16) + TABLE_READONLY, 1, true);
    } finally {
      dv.setInt32(globals + TABLE_READONLY, 1, true);
    }
  }

  /** Whether the VM failed (out of memory, a trap) and must be replaced. */
  get dead(): boolean {
    return this.#dead;
  }

  /** Whether a run is suspended (yielded to the event loop): no other run may start. */
  get busy(): boolean {
    return this.#busy;
  }

  /** Copies `source` into the VM's memory, to be run with {@linkcode run}. */
  chunk(source: string | Uint8Array): Chunk {
    const bytes = typeof source === "string" ? utf8.encode(source) : source;
    const ptr = this.#ex.alloc(bytes.length || 1);
    this.#heap.set(bytes, ptr);
    return { ptr, length: bytes.length };
  }

  /** Frees a chunk made by {@linkcode chunk}. */
  free(chunk: Chunk): void {
    if (chunk.ptr !== 0 && !this.#dead) this.#ex.free_mem(chunk.ptr);
    chunk.ptr = 0;
  }

  /**
   * Runs `chunk` with `argv` from index `from` (the first `nkeys` are
   * `KEYS`, the rest `ARGV`), calling `host` for `redis.call` and friends. With a
   * `control`, the run may be suspended (past `control.busyAt`, when
   * `control.yieldable()` agrees): the outcome is then a promise.
   */
  run(
    chunk: Chunk,
    argv: readonly Uint8Array[],
    nkeys: number,
    host: ScriptHost,
    control?: RunControl,
    from = 0,
  ): ScriptOutcome | Promise<ScriptOutcome> {
    if (this.#busy) return { failed: engineFailure("ERR the Lua engine is busy") };
    const ex = this.#ex;
    const rp = this.#retPtr;
    let n = 4;
    for (let i = from; i < argv.length; i++) n += 4 + argv[i].length;
    if (n > this.#argCap) {
      if (this.#argPtr !== 0) ex.free_mem(this.#argPtr);
      this.#argCap = Math.max(n, 256);
      this.#argPtr = ex.alloc(this.#argCap);
    }
    const ap = this.#argPtr;
    const heap = this.#heap;
    setU32(heap, ap, argv.length - from);
    let o = ap + 4;
    for (let i = from; i < argv.length; i++) {
      const a = argv[i];
      setU32(heap, o, a.length);
      if (a.length < 32) {
        for (let j = 0; j < a.length; j++) heap[o + 4 + j] = a[j];
      } else {
        heap.set(a, o + 4);
      }
      o += 4 + a.length;
    }
    setU32(heap, rp, 0xffffffff);
    this.#reported = undefined;
    this.#host = host;
    this.#control = control;
    this.#suspended = false;
    let p: Promise<unknown> | undefined;
    try {
      if (control !== undefined && this.#promisingEval !== undefined) {
        p = this.#promisingEval(rp, chunk.ptr, chunk.length, ap, n, nkeys);
      } else {
        ex.eval_with_args(rp, chunk.ptr, chunk.length, ap, n, nkeys);
      }
    } catch (e) {
      this.#end();
      return this.#failed(e);
    }
    if (this.#suspended) {
      this.#busy = true;
      return p!.then(
        () => {
          this.#end();
          return this.#result(control);
        },
        (e) => {
          this.#end();
          return this.#failed(e);
        },
      );
    }
    this.#end();
    if (u32(heap, rp) === 0xffffffff) {
      // the promising call failed (its rejection says why)
      p?.catch(() => {});
      return this.#failed(new Error("the run did not complete"));
    }
    return this.#result(control);
  }

  /** After a run: no host, no control, the hook at its normal pace. */
  #end(): void {
    const killed = this.#control?.killed === true;
    this.#host = undefined;
    this.#control = undefined;
    this.#busy = false;
    this.#pending = undefined;
    if (killed && !this.#dead) {
      this.#dv.setInt32(this.#state + L_BASEHOOKCOUNT, HOOK_INSTRUCTIONS, true);
      this.#dv.setInt32(this.#state + L_HOOKCOUNT, HOOK_INSTRUCTIONS, true);
    }
  }

  #failed(e: unknown): ScriptOutcome {
    this.#dead = true;
    return {
      failed: engineFailure(`ERR the Lua engine failed: ${e instanceof Error ? e.message : e}`),
    };
  }

  /** Decodes the reply the run left at the return slot. */
  #result(control: RunControl | undefined): ScriptOutcome {
    const heap = this.#heap;
    const rp = this.#retPtr;
    const ptr = u32(heap, rp);
    const len = u32(heap, rp + 4);
    const reported = this.#reported;
    this.#reported = undefined;
    if (reported !== undefined) {
      if (ptr !== 0) this.#ex.free_mem(ptr);
      return { failed: control?.killed ? { ...reported, killed: true } : reported };
    }
    if (ptr === 0 || len === 0) return { ok: null };
    try {
      if (heap[ptr] === T_SCRIPT_ERROR) {
        const f = readScriptError(heap, ptr, len);
        return { failed: control?.killed ? { ...f, killed: true } : f };
      }
      return { ok: (this.#reader ??= new Reader(heap)).read(ptr) };
    } finally {
      this.#ex.free_mem(ptr);
    }
  }

  /** The shim's `check`: 0 go on, 1 raise (killed), 2 suspend. */
  check(): number {
    const c = this.#control;
    if (c === undefined || this.#reported !== undefined) return 0;
    if (c.killed) return this.#kill();
    const now = performance.now();
    if (c.startedAt === 0) {
      // the run's first check starts its clock
      c.startedAt = now;
      c.busyAt = now + c.thresholdMs;
    }
    if (now < c.busyAt || this.#promisingEval === undefined) return 0;
    if (!c.yielded) {
      if (!c.yieldable()) {
        c.busyAt = now + 100;
        return 0;
      }
      c.yielded = true;
    }
    this.#pending = turn().then(() => {
      c.busyAt = performance.now() + YIELD_EVERY_MS;
      return c.killed ? this.#kill() : 0;
    });
    this.#suspended = true;
    return 2;
  }

  /** The shim's `suspend`: the promise made by the last {@linkcode check}. */
  takePending(): Promise<number> {
    const p = this.#pending!;
    this.#pending = undefined;
    return p;
  }

  /**
   * Makes the build's hook raise now (its fuel emptied) and at every
   * instruction from now on, so that `pcall` cannot swallow the kill.
   */
  #kill(): number {
    const dv = this.#dv;
    dv.setBigInt64(ADDR_FUEL, 0n, true);
    dv.setInt32(this.#state + L_BASEHOOKCOUNT, 1, true);
    dv.setInt32(this.#state + L_HOOKCOUNT, 1, true);
    return 1;
  }

  /** `host_redis_call`/`host_redis_pcall`: runs the command, writes its reply at `rp`. */
  onCall(rp: number, ptr: number, pcall: boolean): void {
    const heap = this.#heap;
    let reply: Frame;
    try {
      const args = readArgs(heap, ptr);
      reply = this.#host === undefined
        ? new ReplyError("ERR no script is running")
        : this.#host.call(args, pcall);
    } catch (e) {
      reply = e instanceof ReplyError ? e : new ReplyError(`ERR ${e}`);
    }
    this.#outLen = 0;
    this.#write(reply, this.#host?.resp ?? 2);
    const len = this.#outLen;
    const p = this.#ex.alloc(len);
    const out = this.#out;
    if (len < 64) {
      for (let i = 0; i < len; i++) heap[p + i] = out[i];
    } else {
      heap.set(out.subarray(0, len), p);
    }
    setU32(heap, rp, p);
    setU32(heap, rp + 4, len);
  }

  /**
   * `host_redis_log`; also the channel of the runtime's error handler
   * (`\x01<where>\x01<message>`, where is `user_script:<line>: `): the
   * run's failure, after which a kill stops being raised (it was delivered).
   */
  onLog(level: number, ptr: number, len: number): void {
    const heap = this.#heap;
    if (len > 1 && heap[ptr] === 1) {
      const table = heap[ptr + 1] === 0x74; // 't': a table's err, else a string
      const text = latin1.decode(heap.subarray(ptr + 2, ptr + len));
      const sep = text.indexOf("\x01");
      this.#reported = scriptFailure(text.slice(sep + 1), text.slice(0, sep), table);
      if (this.#control?.killed) {
        this.#dv.setInt32(this.#state + L_BASEHOOKCOUNT, HOOK_INSTRUCTIONS, true);
        this.#dv.setInt32(this.#state + L_HOOKCOUNT, HOOK_INSTRUCTIONS, true);
      }
      return;
    }
    try {
      this.#host?.log(level, this.#heap.slice(ptr, ptr + len));
    } catch {
      // logging never fails a script
    }
  }

  /** `host_redis_setresp`. */
  onSetResp(version: number): void {
    this.#host?.setResp(version === 3 ? 3 : 2);
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
    const n = bytes.length;
    this.#head(tag, n);
    this.#room(n);
    const out = this.#out;
    const o = this.#outLen;
    if (n < 32) {
      for (let i = 0; i < n; i++) out[o + i] = bytes[i];
    } else {
      out.set(bytes, o);
    }
    this.#outLen = o + n;
  }

  #text(tag: number, s: string, binary: boolean): void {
    if (binary || isAscii(s)) {
      const n = s.length;
      this.#head(tag, n);
      this.#room(n);
      const out = this.#out;
      const o = this.#outLen;
      for (let i = 0; i < n; i++) out[o + i] = s.charCodeAt(i);
      this.#outLen = o + n;
      return;
    }
    this.#bytes(tag, utf8.encode(s));
  }

  #int(v: number | bigint): void {
    this.#head(T_INT, 8);
    this.#room(8);
    const o = this.#outLen;
    if (typeof v === "number" && v >= 0 && v <= 0x7fffffff) {
      const out = this.#out;
      out[o] = v & 0xff;
      out[o + 1] = (v >>> 8) & 0xff;
      out[o + 2] = (v >>> 16) & 0xff;
      out[o + 3] = (v >>> 24) & 0xff;
      out[o + 4] =
        out[o + 5] =
        out[o + 6] =
        out[o + 7] =
          0;
    } else {
      new DataView(this.#out.buffer).setBigInt64(o, BigInt(v), true);
    }
    this.#outLen = o + 8;
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
      for (let i = 0; i < f.length; i++) this.#write(f[i], resp);
      return;
    }
    if (f instanceof SimpleString) return this.#text(T_STATUS, f.value, false);
    if (f instanceof ReplyError) return this.#text(T_ERROR, f.message, f.binary);
    if (f instanceof BinaryString) return this.#text(T_BULK, f.value, true);
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
        const fmt = utf8.encode(f.format);
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

/** A host for runs that call nothing (the runtime's own operations). */
export const NO_HOST: ScriptHost = {
  call: () => new ReplyError("ERR This Redis command is not allowed from script"),
  log: () => {},
  setResp: () => {},
  resp: 2,
};

function engineFailure(message: string): ScriptFailure {
  return { message, coded: true, line: 0 };
}

/** Whether every char of `s` is below 0x80. */
function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
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

/** An argument array (`redis.call`'s arguments) as views into the VM's memory. */
function readArgs(heap: Uint8Array, ptr: number): Uint8Array[] {
  const count = u32(heap, ptr);
  const out = new Array<Uint8Array>(count);
  let o = ptr + 4;
  for (let i = 0; i < count; i++) {
    const len = u32(heap, o);
    const start = o + 4;
    out[i] = heap.subarray(start, start + len);
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

/**
 * A failure from the runtime's error handler: `message` as Redis's handler
 * makes it, `where` as `error(msg, level)` writes a place
 * (`user_script:3: `, or empty).
 */
function scriptFailure(message: string, where: string, table: boolean): ScriptFailure {
  const m = /^(.*):(\d+): $/.exec(where);
  const source = m === null ? undefined : m[1];
  const line = m === null ? 0 : Number(m[2]);
  const marker = message.indexOf(ERROR_MARKER);
  if (marker !== -1) {
    const rest = message.slice(marker + ERROR_MARKER.length);
    const sep = rest.indexOf(":");
    return {
      message,
      coded: true,
      line,
      source,
      kind: sep === -1 ? rest : rest.slice(0, sep),
      name: sep === -1 ? undefined : rest.slice(sep + 1),
    };
  }
  return { message, coded: table || startsWithCode(message), line, source };
}

function readScriptError(heap: Uint8Array, ptr: number, len: number): ScriptFailure {
  const line = u32(heap, ptr + 5);
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
  #dv: DataView | undefined;
  #pos = 0;
  constructor(heap: Uint8Array) {
    this.#heap = heap;
  }

  /** Decodes the reply at `pos`. */
  read(pos: number): Frame {
    this.#pos = pos;
    return this.frame();
  }

  /** A view of the memory for 64-bit reads, made on first need. */
  get #view(): DataView {
    return this.#dv ??= new DataView(this.#heap.buffer);
  }

  frame(): Frame {
    const heap = this.#heap;
    const p = this.#pos;
    const tag = heap[p];
    const n = u32(heap, p + 1);
    this.#pos = p + 5;
    switch (tag) {
      case T_NULL:
        return null;
      case T_INT: {
        const q = this.#pos;
        this.#pos = q + 8;
        const hi = heap[q + 4] | (heap[q + 5] << 8) | (heap[q + 6] << 16) | (heap[q + 7] << 24);
        const lo = u32(heap, q);
        // within +-2^31: no BigInt
        if ((hi === 0 && lo < 0x80000000) || (hi === -1 && lo >= 0x80000000)) return lo | 0;
        let v = this.#view.getBigInt64(q, true);
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
        const v = this.#view.getFloat64(this.#pos, true);
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
        const fl = u32(heap, this.#pos);
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
    const heap = this.#heap;
    const p = this.#pos;
    this.#pos = p + n;
    if (n >= 64) return heap.slice(p, p + n);
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = heap[p + i];
    return out;
  }
}

/** Replaces CR and LF with spaces (Redis does so for status and error replies of scripts). */
function noCrLf(s: string): string {
  return s.includes("\r") || s.includes("\n") ? s.replace(/[\r\n]/g, " ") : s;
}

/** The `redis` table's fields that depend on the version (the package's `redisProps` blob). */
function encodeProps(): Uint8Array {
  const FIELD = 0;
  const STUB = 1;
  const NONE = 0;
  const BOOL = 1;
  const NUMBER = 2;
  const STRING = 3;
  const props: [string, number, number, string | number | boolean | null][] = [
    ["REDIS_VERSION", FIELD, STRING, "7.0.15"],
    ["REDIS_VERSION_NUM", FIELD, NUMBER, 0x07000f],
    ["REPL_NONE", FIELD, NUMBER, 0],
    ["REPL_AOF", FIELD, NUMBER, 1],
    ["REPL_SLAVE", FIELD, NUMBER, 2],
    ["REPL_REPLICA", FIELD, NUMBER, 2],
    ["REPL_ALL", FIELD, NUMBER, 3],
    ["replicate_commands", STUB, BOOL, true],
    ["set_repl", STUB, NONE, null],
    ["breakpoint", STUB, BOOL, false],
    ["debug", STUB, NONE, null],
  ];
  const parts: number[] = [];
  const u32le = (v: number) => parts.push(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24);
  u32le(props.length);
  for (const [name, kind, vtype, value] of props) {
    const nb = utf8.encode(name);
    u32le(nb.length);
    parts.push(...nb, kind, vtype);
    if (vtype === BOOL) parts.push(value ? 1 : 0);
    if (vtype === NUMBER) {
      const b = new Uint8Array(8);
      new DataView(b.buffer).setFloat64(0, value as number, true);
      parts.push(...b);
    }
    if (vtype === STRING) {
      const sb = utf8.encode(value as string);
      u32le(sb.length);
      parts.push(...sb);
    }
  }
  return new Uint8Array(parts);
}
