/**
 * Lua scripting: EVAL, EVALSHA, EVAL_RO, EVALSHA_RO and SCRIPT
 * LOAD/EXISTS/FLUSH/KILL, with Redis 7.0's replies and error texts.
 *
 * Scripts run in the Lua VM of `../scripting/engine.ts` (loaded on the
 * first script). A script is atomic: it runs synchronously inside
 * `Blocking.atomically`, so nothing else runs meanwhile, blocking commands
 * return their timeout reply at once, and woken blocked clients are served
 * after it. `redis.call` goes through the command table with Redis's checks
 * for scripts (unknown command, arity, `noscript`, writes from read-only
 * scripts).
 *
 * @module
 */

import { createHash } from "node:crypto";
import { type Frame, OK, ReplyError, RespMap, RespSet, SimpleString } from "../../resp/frame.ts";
import { toBinary } from "../../resp/bytes.ts";
import { intArg, isOption } from "../args.ts";
import { globMatch } from "../glob.ts";
import {
  type ClientState,
  type Context,
  createClientState,
  type Handler,
  type HandlerMap,
  invoke,
  type ServerState,
} from "../command.ts";
import { loadLuaVm, type LuaVm, type ScriptFailure, type ScriptHost } from "../scripting/engine.ts";

/** `-NOSCRIPT ...`: EVALSHA of a script not in the cache. */
export const NOSCRIPT_ERROR: ReplyError = new ReplyError(
  "NOSCRIPT No matching script. Please use EVAL.",
);

const NOTBUSY_ERROR = new ReplyError("NOTBUSY No scripts in execution right now.");

/** The scripts of one server, by SHA1 (hex, lower case). */
class ScriptCache {
  readonly bodies = new Map<string, Uint8Array>();
  /** FUNCTION libraries by name. */
  readonly libraries = new Map<string, Library>();
  /** Every library's functions by name. */
  readonly functions = new Map<string, LuaFunction>();
  /** The client `redis.call` runs commands as (Redis's Lua client). */
  client: ClientState | undefined;
}

const caches = new WeakMap<ServerState, ScriptCache>();

function cacheOf(server: ServerState): ScriptCache {
  let c = caches.get(server);
  if (c === undefined) {
    c = new ScriptCache();
    caches.set(server, c);
  }
  return c;
}

/** The SHA1 of `body` as 40 lower-case hex digits (Redis's `sha1hex`). */
export function sha1hex(body: Uint8Array): string {
  return createHash("sha1").update(body).digest("hex");
}

/**
 * Checks that `body` compiles as Redis compiles a script (chunk name
 * `@user_script`); returns the compile error reply, if any.
 */
function compileError(vm: LuaVm, body: Uint8Array): ReplyError | undefined {
  const r = vm.run(COMPILE_CHECK, [body], 0, NO_CALLS);
  if ("failed" in r) return new ReplyError(`ERR ${r.failed.message}`);
  const v = r.ok;
  if (v instanceof Uint8Array) {
    return new ReplyError(
      `ERR Error compiling script (new function): ${toBinary(v)}`,
      false,
      true,
    );
  }
  return undefined;
}

const COMPILE_CHECK = new TextEncoder().encode(
  "local f, e = loadstring(ARGV[1], '@user_script') if f then return 0 end return e",
);

const NO_CALLS: ScriptHost = {
  call: () => new ReplyError("ERR This Redis command is not allowed from script"),
  log: () => {},
  setResp: () => {},
  resp: 2,
};

/** One script run's view of the server: what `redis.call` does. */
class ScriptRun implements ScriptHost {
  resp: 2 | 3 = 2;
  readonly #ctx: Context;
  readonly #readOnly: boolean;

  constructor(ctx: Context, readOnly: boolean) {
    this.#ctx = ctx;
    this.#readOnly = readOnly;
  }

  call(args: Uint8Array[], _pcall: boolean): Frame {
    if (args.length === 0) {
      return new ReplyError("ERR Please specify at least one argument for this redis lib call");
    }
    const ctx = this.#ctx;
    const cmd = ctx.server.commands.lookup(args);
    if (cmd instanceof ReplyError) {
      return cmd.message.startsWith("ERR wrong number")
        ? new ReplyError("ERR Wrong number of args calling Redis command from script")
        : new ReplyError("ERR Unknown Redis command called from script");
    }
    if (cmd.noScript) return new ReplyError("ERR This Redis command is not allowed from script");
    if (cmd.writes && this.#readOnly) {
      return new ReplyError("ERR Write commands are not allowed from read-only scripts.");
    }
    ctx.client.protocol = this.resp;
    const r = invoke(ctx, cmd, args);
    if (r instanceof Promise) {
      r.catch(() => {});
      return new ReplyError("ERR This Redis command is not allowed from script");
    }
    return r;
  }

  log(level: number, message: Uint8Array): void {
    const text = new TextDecoder().decode(message);
    const log = this.#ctx.server.log;
    if (level >= 3) log.warn(text);
    else if (level === 2) log.info(text);
    else log.debug(text);
  }

  setResp(version: 2 | 3): void {
    this.resp = version;
  }
}

/**
 * Redis's decoration of an error that aborted a script: `<message> script:
 * <name>, on @<source>:<line>.` (`name` is the SHA1 of a script or the
 * function's name; `source` is `user_script` or `user_function`).
 */
function scriptError(f: ScriptFailure, name: string, source = "user_script"): ReplyError {
  let msg: string;
  if (f.kind === "global-read") {
    msg = `ERR ${source}:${f.line}: Script attempted to access nonexistent global variable '${
      f.name ?? ""
    }'`;
  } else if (f.kind === "command-arg-type") {
    msg = "ERR Lua redis lib command arguments must be strings or integers";
  } else if (f.kind !== undefined) {
    msg = `ERR ${f.kind}`;
  } else {
    msg = f.coded ? f.message : `ERR ${f.message}`;
    if (source !== "user_script") msg = msg.replaceAll("user_script:", `${source}:`);
  }
  const line = f.line > 0 ? f.line : 1;
  return new ReplyError(
    noCrLf(`${msg} script: ${name}, on @${source}:${line}.`),
    false,
    true,
  );
}

function noCrLf(s: string): string {
  return s.includes("\r") || s.includes("\n") ? s.replace(/[\r\n]/g, " ") : s;
}

const WRAP_HEAD = new TextEncoder().encode("return ((function() ");
const WRAP_TAIL = new TextEncoder().encode("\nend)())");
const wrappedBodies = new WeakMap<Uint8Array, Uint8Array>();

/**
 * The script as the engine runs it: its body inside a function whose first
 * result only is returned, as Redis returns the first of several values
 * (the engine alone would return the last). The body starts on the first
 * line, so error lines are unchanged. Cached per body.
 */
function wrapped(body: Uint8Array): Uint8Array {
  let w = wrappedBodies.get(body);
  if (w === undefined) {
    w = new Uint8Array(WRAP_HEAD.length + body.length + WRAP_TAIL.length);
    w.set(WRAP_HEAD);
    w.set(body, WRAP_HEAD.length);
    w.set(WRAP_TAIL, WRAP_HEAD.length + body.length);
    wrappedBodies.set(body, w);
  }
  return w;
}

/** Runs a script now (the VM is loaded). */
function runScript(
  ctx: Context,
  vm: LuaVm,
  body: Uint8Array,
  sha: string,
  argv: readonly Uint8Array[],
  nkeys: number,
  readOnly: boolean,
): Frame {
  return runChunk(ctx, vm, wrapped(body), argv, nkeys, readOnly, (f) => scriptError(f, sha));
}

/** Runs a chunk atomically as the server's script client. */
function runChunk(
  ctx: Context,
  vm: LuaVm,
  chunk: Uint8Array,
  argv: readonly Uint8Array[],
  nkeys: number,
  readOnly: boolean,
  onError: (f: ScriptFailure) => ReplyError,
): Frame {
  const server = ctx.server;
  const cache = cacheOf(server);
  const caller = ctx.client;
  const client = cache.client ??= createClientState({ id: 0, addr: "", laddr: "" });
  client.db = caller.db;
  client.protocol = 2;
  const scriptCtx: Context = { db: ctx.db, client, server };
  const host = new ScriptRun(scriptCtx, readOnly);
  const outcome = server.blocking.atomically(() => vm.run(chunk, argv, nkeys, host));
  if ("failed" in outcome) return onError(outcome.failed);
  return outcome.ok;
}

/** The VM now, or once loaded (then with copies of the arguments). */
function withVm(
  args: Uint8Array[],
  fn: (vm: LuaVm, args: Uint8Array[]) => Frame,
): Frame | Promise<Frame> {
  const vm = loadLuaVm();
  if (!(vm instanceof Promise)) return fn(vm, args);
  const copies = args.map((a) => a.slice());
  return vm.then((v) => fn(v, copies));
}

/** EVAL, EVALSHA and their read-only forms. */
function evalGeneric(bySha: boolean, readOnly: boolean): Handler {
  return (ctx, args) => {
    const nkeys = intArg(args[2]);
    if (nkeys > args.length - 3) {
      return new ReplyError("ERR Number of keys can't be greater than number of args");
    }
    if (nkeys < 0) return new ReplyError("ERR Number of keys can't be negative");
    const cache = cacheOf(ctx.server);
    let sha: string;
    let body: Uint8Array | undefined;
    if (bySha) {
      if (args[1].length !== 40) return NOSCRIPT_ERROR;
      sha = toBinary(args[1]).toLowerCase();
      body = cache.bodies.get(sha);
      if (body === undefined) return NOSCRIPT_ERROR;
    } else {
      sha = sha1hex(args[1]);
      body = cache.bodies.get(sha);
    }
    const known = body;
    const source = known ?? args[1].slice();
    const vm = loadLuaVm();
    if (vm instanceof Promise) {
      // the first script: the engine loads meanwhile (arguments copied)
      const argv = args.slice(3).map((a) => a.slice());
      return vm.then((v) =>
        evalWith(ctx, v, source, known === undefined, sha, argv, nkeys, readOnly)
      );
    }
    return evalWith(ctx, vm, source, known === undefined, sha, args.slice(3), nkeys, readOnly);
  };
}

function evalWith(
  ctx: Context,
  vm: LuaVm,
  body: Uint8Array,
  isNew: boolean,
  sha: string,
  argv: readonly Uint8Array[],
  nkeys: number,
  readOnly: boolean,
): Frame {
  if (isNew) {
    const err = compileError(vm, body);
    if (err !== undefined) return err;
    cacheOf(ctx.server).bodies.set(sha, body);
  }
  return runScript(ctx, vm, body, sha, argv, nkeys, readOnly);
}

const scriptLoad: Handler = (ctx, args) => {
  const body = args[2].slice();
  const sha = sha1hex(body);
  const cache = cacheOf(ctx.server);
  if (cache.bodies.has(sha)) return sha;
  const vm = loadLuaVm();
  const finish = (v: LuaVm): Frame => {
    const err = compileError(v, body);
    if (err !== undefined) return err;
    cache.bodies.set(sha, body);
    return sha;
  };
  return vm instanceof Promise ? vm.then(finish) : finish(vm);
};

const scriptExists: Handler = (ctx, args) => {
  const bodies = cacheOf(ctx.server).bodies;
  const out: number[] = [];
  for (let i = 2; i < args.length; i++) {
    out.push(bodies.has(toBinary(args[i]).toLowerCase()) ? 1 : 0);
  }
  return out;
};

const scriptFlush: Handler = (ctx, args) => {
  if (
    args.length > 3 ||
    (args.length === 3 && !isOption(args[2], "sync") && !isOption(args[2], "async"))
  ) {
    return new ReplyError("ERR SCRIPT FLUSH only support SYNC|ASYNC option");
  }
  cacheOf(ctx.server).bodies.clear();
  return OK;
};

/** Scripts run synchronously: when a command is served, none is running. */
const notBusy: Handler = () => NOTBUSY_ERROR;

// ---------------------------------------------------------------------------
// Functions (FUNCTION LOAD, FCALL): a library's code runs again, with a
// `redis.register_function` that picks the called function, at each FCALL.

/** A FUNCTION library. */
interface Library {
  readonly name: string;
  /** The code as loaded, shebang included (FUNCTION LIST WITHCODE). */
  readonly code: Uint8Array;
  /** The code after the shebang line (starting with its newline, so lines keep their numbers). */
  readonly body: Uint8Array;
  readonly functions: LuaFunction[];
}

/** One registered function. */
interface LuaFunction {
  readonly name: string;
  readonly library: Library;
  readonly flags: readonly string[];
  readonly description: Uint8Array | null;
  /** The chunk FCALL runs (made on first call). */
  chunk?: Uint8Array;
}

const FUNCTION_FLAGS = new Set([
  "no-writes",
  "allow-oom",
  "allow-stale",
  "no-cluster",
  "allow-cross-slot-keys",
]);
const NAME_ERROR =
  "ERR Library names can only contain letters, numbers, or underscores(_) and must be at least one character long";

function validName(name: string): boolean {
  return /^[A-Za-z0-9_]+$/.test(name);
}

const enc = new TextEncoder();

/**
 * The load-time run of a library: `redis` offers `register_function` (and
 * `log`); the registrations come back as `{name, flags, description, ...}`.
 */
const LOAD_HEAD = enc.encode(
  "local __out = {} " +
    "local function __reg(a, b) " +
    "local name, cb, flags, desc " +
    "if b == nil then " +
    "if type(a) ~= 'table' then error('ERR calling redis.register_function with a single argument is only applicable to Lua table (representing named arguments).', 0) end " +
    "for k in pairs(a) do if k ~= 'function_name' and k ~= 'callback' and k ~= 'flags' and k ~= 'description' then error('ERR unknown argument given to redis.register_function', 0) end end " +
    "name, cb, flags, desc = a.function_name, a.callback, a.flags, a.description " +
    "else name, cb = a, b end " +
    "if type(name) ~= 'string' then error('ERR function_name argument given to redis.register_function must be a string', 0) end " +
    "if type(cb) ~= 'function' then error('ERR second argument to redis.register_function must be a function', 0) end " +
    "local fl = '' " +
    "if flags ~= nil then " +
    "if type(flags) ~= 'table' then error('ERR flags argument to redis.register_function must be a table representing function flags', 0) end " +
    "for _, f in ipairs(flags) do if type(f) ~= 'string' then error('ERR unknown flag given', 0) end fl = fl .. f .. ' ' end end " +
    "if desc ~= nil and type(desc) ~= 'string' then error('ERR description argument given to redis.register_function must be a string', 0) end " +
    "__out[#__out + 1] = name; __out[#__out + 1] = fl; __out[#__out + 1] = desc or false " +
    "end " +
    "local redis = setmetatable({register_function = __reg, log = redis.log, LOG_DEBUG = redis.LOG_DEBUG, LOG_VERBOSE = redis.LOG_VERBOSE, LOG_NOTICE = redis.LOG_NOTICE, LOG_WARNING = redis.LOG_WARNING}, " +
    '{__index = function(_, k) error("Script attempted to access nonexistent global variable \'" .. tostring(k) .. "\'", 2) end}); ' +
    "(function() ",
);
const LOAD_TAIL = enc.encode("\nend)() return __out");

function concat(...parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** The chunk FCALL runs for `fn`: the library with a register_function that keeps `fn`. */
function callChunk(fn: LuaFunction): Uint8Array {
  if (fn.chunk !== undefined) return fn.chunk;
  const head = enc.encode(
    "local __f " +
      "local redis = setmetatable({register_function = function(a, b) " +
      "local n, cb = a, b if b == nil then n, cb = a.function_name, a.callback end " +
      `if n == '${fn.name}' then __f = cb end end}, {__index = redis}); (function() `,
  );
  const tail = enc.encode("\nend)() return ((__f(KEYS, ARGV)))");
  fn.chunk = concat(head, fn.library.body, tail);
  return fn.chunk;
}

const COMPILE_FUNCTION = enc.encode(
  "local f, e = loadstring(ARGV[1], '@user_function') if f then return 0 end return e",
);

/** Parses the shebang line (`#!lua name=<lib>`): the library name and where the body starts. */
function parseShebang(code: Uint8Array): { name: string; bodyStart: number } | ReplyError {
  if (code.length < 2 || code[0] !== 0x23 || code[1] !== 0x21) {
    return new ReplyError("ERR Missing library metadata");
  }
  let end = code.indexOf(0x0a);
  if (end === -1) end = code.length;
  const parts = toBinary(code.subarray(2, end)).split(" ");
  const engine = parts.shift()!;
  if (engine.toLowerCase() !== "lua") {
    return new ReplyError(`ERR Engine '${engine}' not found`, false, true);
  }
  let name: string | undefined;
  for (const part of parts) {
    if (part.startsWith("name=")) {
      name = part.slice(5);
      continue;
    }
    return new ReplyError(`ERR Invalid metadata value given: ${part}`, false, true);
  }
  if (name === undefined) return new ReplyError("ERR Invalid library metadata");
  if (!validName(name)) return new ReplyError(NAME_ERROR);
  return { name, bodyStart: end };
}

function functionLoadWith(ctx: Context, vm: LuaVm, code: Uint8Array, replace: boolean): Frame {
  const meta = parseShebang(code);
  if (meta instanceof ReplyError) return meta;
  const cache = cacheOf(ctx.server);
  const old = cache.libraries.get(meta.name);
  if (old !== undefined && !replace) {
    return new ReplyError(`ERR Library '${meta.name}' already exists`);
  }
  const body = code.slice(meta.bodyStart);
  const compiled = vm.run(COMPILE_FUNCTION, [body], 0, NO_CALLS);
  if ("ok" in compiled && compiled.ok instanceof Uint8Array) {
    return new ReplyError(
      `ERR Error compiling function: ${toBinary(compiled.ok)}`,
      false,
      true,
    );
  }
  const r = vm.run(concat(LOAD_HEAD, body, LOAD_TAIL), [], 0, NO_CALLS);
  if ("failed" in r) {
    const f = r.failed;
    let msg = f.kind === "global-read"
      ? `ERR user_function:${f.line}: Script attempted to access nonexistent global variable '${
        f.name ?? ""
      }'`
      : f.coded
      ? f.message
      : `ERR ${f.message}`;
    msg = msg.replaceAll("user_script:", "user_function:");
    return new ReplyError(noCrLf(`ERR Error registering functions: ${msg}`), false, true);
  }
  const out = Array.isArray(r.ok) ? r.ok : [];
  if (out.length === 0) return new ReplyError("ERR No functions registered");
  const lib: Library = { name: meta.name, code: code.slice(), body, functions: [] };
  const names = new Set<string>();
  for (let i = 0; i + 2 < out.length + 1; i += 3) {
    const fname = toBinary(out[i] as Uint8Array);
    if (!validName(fname)) {
      return new ReplyError(`ERR Error registering functions: ${NAME_ERROR}`);
    }
    const flags = toBinary(out[i + 1] as Uint8Array).split(" ").filter((x) => x !== "");
    for (const flag of flags) {
      if (!FUNCTION_FLAGS.has(flag)) {
        return new ReplyError("ERR Error registering functions: ERR unknown flag given");
      }
    }
    if (names.has(fname)) {
      return new ReplyError(
        `ERR Error registering functions: ERR Function ${fname} already exists`,
        false,
        true,
      );
    }
    names.add(fname);
    const desc = out[i + 2];
    lib.functions.push({
      name: fname,
      library: lib,
      flags,
      description: desc instanceof Uint8Array ? desc : null,
    });
  }
  for (const fn of lib.functions) {
    const other = cache.functions.get(fn.name);
    if (other !== undefined && other.library.name !== lib.name) {
      return new ReplyError(`ERR Function ${fn.name} already exists`, false, true);
    }
  }
  if (old !== undefined) deleteLibrary(cache, old);
  cache.libraries.set(lib.name, lib);
  for (const fn of lib.functions) cache.functions.set(fn.name, fn);
  return lib.name;
}

function deleteLibrary(cache: ScriptCache, lib: Library): void {
  cache.libraries.delete(lib.name);
  for (const fn of lib.functions) {
    if (cache.functions.get(fn.name) === fn) cache.functions.delete(fn.name);
  }
}

const functionLoad: Handler = (ctx, args) => {
  let replace = false;
  let i = 2;
  if (args.length > 3) {
    if (!isOption(args[2], "replace")) {
      return new ReplyError(`ERR Unknown option given: ${toBinary(args[2])}`, false, true);
    }
    replace = true;
    i = 3;
    if (args.length > 4) return new ReplyError("ERR Unknown option given: " + toBinary(args[3]));
  }
  return withVm([args[i]], (vm, a) => functionLoadWith(ctx, vm, a[0], replace));
};

function fcall(readOnly: boolean): Handler {
  return (ctx, args) => {
    const nkeys = intArg(args[2]);
    if (nkeys > args.length - 3) {
      return new ReplyError("ERR Number of keys can't be greater than number of args");
    }
    if (nkeys < 0) return new ReplyError("ERR Number of keys can't be negative");
    const fn = cacheOf(ctx.server).functions.get(toBinary(args[1]));
    if (fn === undefined) return new ReplyError("ERR Function not found");
    const noWrites = fn.flags.includes("no-writes");
    if (readOnly && !noWrites) {
      return new ReplyError("ERR Can not execute a script with write flag using *_ro command.");
    }
    return withVm(args.slice(3), (vm, argv) =>
      runChunk(
        ctx,
        vm,
        callChunk(fn),
        argv,
        nkeys,
        readOnly || noWrites,
        (f) => scriptError(f, fn.name, "user_function"),
      ));
  };
}

const functionDelete: Handler = (ctx, args) => {
  const cache = cacheOf(ctx.server);
  const lib = cache.libraries.get(toBinary(args[2]));
  if (lib === undefined) return new ReplyError("ERR Library not found");
  deleteLibrary(cache, lib);
  return OK;
};

const functionFlush: Handler = (ctx, args) => {
  if (
    args.length > 3 ||
    (args.length === 3 && !isOption(args[2], "sync") && !isOption(args[2], "async"))
  ) {
    return new ReplyError("ERR FUNCTION FLUSH only supports SYNC|ASYNC option");
  }
  const cache = cacheOf(ctx.server);
  cache.libraries.clear();
  cache.functions.clear();
  return OK;
};

const functionList: Handler = (ctx, args) => {
  let withCode = false;
  let pattern: Uint8Array | undefined;
  for (let i = 2; i < args.length; i++) {
    if (!withCode && isOption(args[i], "withcode")) {
      withCode = true;
      continue;
    }
    if (pattern === undefined && isOption(args[i], "libraryname")) {
      if (i >= args.length - 1) return new ReplyError("ERR library name argument was not given");
      pattern = args[++i];
      continue;
    }
    return new ReplyError(`ERR Unknown argument ${toBinary(args[i])}`, false, true);
  }
  const out: Frame[] = [];
  for (const lib of cacheOf(ctx.server).libraries.values()) {
    if (pattern !== undefined && !globMatch(pattern, enc.encode(lib.name))) continue;
    const entries: [Frame, Frame][] = [
      ["library_name", lib.name],
      ["engine", "LUA"],
      [
        "functions",
        lib.functions.map((fn) =>
          new RespMap([
            ["name", fn.name],
            ["description", fn.description],
            ["flags", new RespSet(fn.flags.map((f) => new SimpleString(f)))],
          ])
        ),
      ],
    ];
    if (withCode) entries.push(["library_code", lib.code]);
    out.push(new RespMap(entries));
  }
  return out;
};

const functionStats: Handler = (ctx) => {
  const cache = cacheOf(ctx.server);
  return new RespMap([
    ["running_script", null],
    [
      "engines",
      new RespMap([[
        "LUA",
        new RespMap([
          ["libraries_count", cache.libraries.size],
          ["functions_count", cache.functions.size],
        ]),
      ]]),
    ],
  ]);
};

/** The scripting commands. */
export const scriptingHandlers: HandlerMap = {
  eval: evalGeneric(false, false),
  evalsha: evalGeneric(true, false),
  eval_ro: evalGeneric(false, true),
  evalsha_ro: evalGeneric(true, true),
  "script|load": scriptLoad,
  "script|exists": scriptExists,
  "script|flush": scriptFlush,
  "script|kill": notBusy,
  "function|kill": notBusy,
  "function|load": functionLoad,
  "function|delete": functionDelete,
  "function|flush": functionFlush,
  "function|list": functionList,
  "function|stats": functionStats,
  fcall: fcall(false),
  fcall_ro: fcall(true),
};
