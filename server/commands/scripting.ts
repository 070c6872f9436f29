/**
 * Lua scripting: EVAL, EVALSHA, EVAL_RO, EVALSHA_RO, SCRIPT
 * LOAD/EXISTS/FLUSH/KILL and Redis 7 functions (FUNCTION
 * LOAD/DELETE/LIST/FLUSH/STATS/KILL, FCALL, FCALL_RO), with Redis 7.0's
 * replies and error texts.
 *
 * Each server has its own Lua VM (`../scripting/engine.ts`), made on the
 * first script. A script is compiled once, when first seen, and kept as a
 * Lua function; a library's code runs once, at FUNCTION LOAD, and its
 * callbacks are kept (both recompiled lazily if the VM is replaced).
 *
 * A script is atomic: it runs inside `Blocking.atomically`, so nothing
 * else runs meanwhile, blocking commands return their timeout reply at
 * once, and woken blocked clients are served after it. `redis.call` goes
 * through the command table with Redis's checks for scripts (unknown
 * command, arity, `noscript`, writes from read-only scripts).
 *
 * Busy scripts: past `busy-reply-threshold` milliseconds (default 5000;
 * {@linkcode setBusyReplyThreshold}) a running script yields to the event
 * loop now and then; meanwhile other clients get `-BUSY` for every
 * command but the few flagged `allow_busy` (the gate in `command.ts`), and
 * SCRIPT KILL / FUNCTION KILL stop a script that has not written, as in
 * Redis. Nothing else touches the dataset until the script ends.
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
  type ResolvedCommand,
  type ServerState,
  setBusyReply,
} from "../command.ts";
import {
  type Chunk,
  LuaVm,
  NO_HOST,
  type RunControl,
  type ScriptFailure,
  type ScriptHost,
  type ScriptOutcome,
} from "../scripting/engine.ts";

/** `-NOSCRIPT ...`: EVALSHA of a script not in the cache. */
export const NOSCRIPT_ERROR: ReplyError = new ReplyError(
  "NOSCRIPT No matching script. Please use EVAL.",
);

const NOTBUSY_ERROR = new ReplyError("NOTBUSY No scripts in execution right now.");
/** What other clients get while an EVAL script is busy (Redis's `slowevalerr`). */
export const BUSY_EVAL_ERROR: ReplyError = new ReplyError(
  "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.",
);
/** What other clients get while a function is busy (Redis's `slowscripterr`). */
export const BUSY_FUNCTION_ERROR: ReplyError = new ReplyError(
  "BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.",
);
const UNKILLABLE_ERROR = new ReplyError(
  "UNKILLABLE Sorry the script already executed write commands against the dataset. You can either wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command.",
);

/** Compiled scripts kept in a VM before they are all dropped (and recompiled when run). */
const MAX_COMPILED = 10_000;

/** An EVAL script. */
interface Script {
  readonly sha: string;
  readonly body: Uint8Array;
  /** Its id in the VM's runtime. */
  readonly id: number;
  /** The VM generation it is compiled in (0: none). */
  gen: number;
  /** `return _G[" mr"](1,<id>)`, in that VM. */
  run: Chunk | undefined;
}

/** A FUNCTION library. */
interface Library {
  readonly name: string;
  /** The code as loaded, shebang included (FUNCTION LIST WITHCODE). */
  readonly code: Uint8Array;
  /** The code after the shebang line (starting with its newline, so lines keep their numbers). */
  readonly body: Uint8Array;
  /** Its id in the VM's runtime. */
  readonly id: number;
  /** The VM generation it is loaded in (0: none). */
  gen: number;
  readonly functions: LuaFunction[];
}

/** One registered function. */
interface LuaFunction {
  readonly name: string;
  readonly library: Library;
  /** Its position among the library's registrations (from 1). */
  readonly index: number;
  readonly flags: readonly string[];
  readonly description: Uint8Array | null;
  /** `return _G[" mr"](7,<lib>,<index>)` in the library's VM generation. */
  call: Chunk | undefined;
}

/** The script running now (with its kind for SCRIPT/FUNCTION KILL and FUNCTION STATS). */
interface Running {
  readonly kind: "eval" | "function";
  /** The SHA1 of a script, the name of a function. */
  readonly name: string;
  /** The caller's arguments (FUNCTION STATS `command`; copied when the run yields). */
  args: readonly Uint8Array[];
  readonly control: RunControl;
  /** It called a write command: it can no longer be killed. */
  wrote: boolean;
}

/** One server's scripting state. */
class Scripting {
  readonly scripts = new Map<string, Script>();
  /** FUNCTION libraries by name. */
  readonly libraries = new Map<string, Library>();
  /** Every library's functions by name. */
  readonly functions = new Map<string, LuaFunction>();
  /** The client `redis.call` runs commands as (Redis's Lua client). */
  client: ClientState | undefined;
  /** `redis.call`'s host (reused: one run at a time). */
  host: ScriptRun | undefined;
  vm: LuaVm | undefined;
  loading: Promise<LuaVm> | undefined;
  /** Bumped when a VM is made: what was compiled in the old one must be again. */
  generation = 0;
  compiled = 0;
  nextId = 1;
  /** `busy-reply-threshold` in milliseconds. */
  thresholdMs = 5000;
  running: Running | undefined;
  /** Holders of the busy state (a yielding script, an EXEC waiting for one). */
  busyHolds = 0;

  constructor(readonly server: ServerState) {}

  /** The VM now, or once made (a failed one is replaced). */
  engine(): LuaVm | Promise<LuaVm> {
    const vm = this.vm;
    if (vm !== undefined && !vm.dead) return vm;
    if (vm !== undefined) this.#forgetVm();
    this.loading ??= LuaVm.create().then((v) => {
      this.vm = v;
      this.generation++;
      this.loading = undefined;
      return v;
    }, (e) => {
      this.loading = undefined;
      throw e;
    });
    return this.loading;
  }

  /** Whether the VM is made (scripts can run synchronously). */
  get ready(): boolean {
    return this.vm !== undefined && !this.vm.dead;
  }

  #forgetVm(): void {
    this.vm = undefined;
    this.compiled = 0;
    for (const s of this.scripts.values()) {
      s.gen = 0;
      s.run = undefined;
    }
    for (const lib of this.libraries.values()) {
      lib.gen = 0;
      for (const fn of lib.functions) fn.call = undefined;
    }
  }

  /** Runs one of the runtime's operations (no `redis.call`, not interruptible). */
  op(vm: LuaVm, source: string, argv: readonly Uint8Array[] = []): ScriptOutcome {
    const chunk = vm.chunk(source);
    try {
      return vm.run(chunk, argv, 0, NO_HOST) as ScriptOutcome;
    } finally {
      vm.free(chunk);
    }
  }

  /** Compiles `script` in `vm` unless it is; the compile error reply, if any. */
  compile(vm: LuaVm, script: Script): ReplyError | undefined {
    if (script.gen === this.generation && script.run !== undefined) return undefined;
    if (this.compiled >= MAX_COMPILED) this.dropCompiled(vm);
    const r = this.op(vm, `return _G[' mr'](2,${script.id})`, [script.body]);
    if ("failed" in r) return new ReplyError(`ERR ${r.failed.message}`);
    if (r.ok instanceof Uint8Array) {
      return new ReplyError(
        noCrLf(`ERR Error compiling script (new function): ${toBinary(r.ok)}`),
        false,
        true,
      );
    }
    script.gen = this.generation;
    script.run = vm.chunk(`return _G[' mr'](1,${script.id})`);
    this.compiled++;
    return undefined;
  }

  /** Drops every compiled script from the VM (SCRIPT FLUSH, or too many kept). */
  dropCompiled(vm: LuaVm): void {
    this.op(vm, "return _G[' mr'](3)");
    for (const s of this.scripts.values()) {
      if (s.run !== undefined) vm.free(s.run);
      s.run = undefined;
      s.gen = 0;
    }
    this.compiled = 0;
  }

  /** The script client, in the caller's database. */
  scriptClient(caller: ClientState): ClientState {
    const client = this.client ??= createClientState({ id: 0, addr: "", laddr: "" });
    client.db = caller.db;
    client.protocol = 2;
    return client;
  }

  /** One more holder of the busy state (the first makes the server busy). */
  holdBusy(reply: ReplyError): void {
    this.busyHolds++;
    setBusyReply(this.server, reply);
  }

  /** One holder less (the last makes the server serve everyone again). */
  releaseBusy(): void {
    if (this.busyHolds > 0 && --this.busyHolds === 0) setBusyReply(this.server, undefined);
  }
}

const states = new WeakMap<ServerState, Scripting>();

function stateOf(server: ServerState): Scripting {
  let s = states.get(server);
  if (s === undefined) {
    s = new Scripting(server);
    states.set(server, s);
  }
  return s;
}

/** `busy-reply-threshold` (alias `lua-time-limit`) of `server`, in milliseconds. */
export function busyReplyThreshold(server: ServerState): number {
  return stateOf(server).thresholdMs;
}

/**
 * Sets `busy-reply-threshold` (alias `lua-time-limit`): how long a script
 * runs before other clients get `-BUSY` (CONFIG SET binds it).
 */
export function setBusyReplyThreshold(server: ServerState, ms: number): void {
  stateOf(server).thresholdMs = ms;
}

/**
 * The reply `server` gives while a script is busy (SHUTDOWN without
 * NOSAVE answers it, as Redis does), or undefined.
 */
export function busyScriptReply(server: ServerState): ReplyError | undefined {
  const r = stateOf(server).running;
  if (r === undefined || !r.control.yielded) return undefined;
  return r.kind === "eval" ? BUSY_EVAL_ERROR : BUSY_FUNCTION_ERROR;
}

/**
 * Stops the busy script of `server`, whether it wrote or not (SHUTDOWN
 * NOSAVE, server close): it fails at its next instruction.
 */
export function abortBusyScript(server: ServerState): void {
  const r = states.get(server)?.running;
  if (r !== undefined) r.control.killed = true;
}

/** Commands that run a script or load code: EXEC waits for the engine before running them. */
const NEEDS_ENGINE = new Set([
  "eval",
  "evalsha",
  "eval_ro",
  "evalsha_ro",
  "fcall",
  "fcall_ro",
  "script|load",
  "function|load",
]);

/**
 * Undefined when `commands` can run now; otherwise a promise that settles
 * once the Lua engine is made (EXEC waits for it, so that a transaction's
 * first script runs in the same atomic step as the rest).
 */
export function engineReady(
  server: ServerState,
  commands: readonly ResolvedCommand[],
): Promise<unknown> | undefined {
  const s = stateOf(server);
  if (s.ready || !commands.some((c) => NEEDS_ENGINE.has(c.fullName))) return undefined;
  const vm = s.engine();
  return vm instanceof Promise ? vm.catch(() => {}) : undefined;
}

/** Replies of scripts that yielded to the event loop: EXEC waits for them. */
const yieldedReplies = new WeakSet<Promise<Frame>>();

/** Whether `reply` is the pending reply of a script that yields (a busy script). */
export function isBusyScriptReply(reply: Promise<Frame>): boolean {
  return yieldedReplies.has(reply);
}

/**
 * Keeps `server` busy (other clients get `-BUSY`) until the returned
 * function is called: EXEC holds it from a busy script's end to its own.
 */
export function holdBusy(server: ServerState): () => void {
  const s = stateOf(server);
  s.holdBusy(busyScriptReply(server) ?? BUSY_EVAL_ERROR);
  let held = true;
  return () => {
    if (!held) return;
    held = false;
    s.releaseBusy();
  };
}

/** The SHA1 of `body` as 40 lower-case hex digits (Redis's `sha1hex`). */
export function sha1hex(body: Uint8Array): string {
  return createHash("sha1").update(body).digest("hex");
}

/** One script run's view of the server: what `redis.call` does. */
class ScriptRun implements ScriptHost {
  resp: 2 | 3 = 2;
  readonly #ctx: Context;
  #readOnly = false;
  #running: Running | undefined;

  /** @param ctx the script client's context */
  constructor(ctx: Context) {
    this.#ctx = ctx;
  }

  /** Starts a run (one at a time per server: the object is reused). */
  start(readOnly: boolean, running: Running): this {
    this.resp = 2;
    this.#readOnly = readOnly;
    this.#running = running;
    return this;
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
    if (cmd.writes) {
      if (this.#readOnly) {
        return new ReplyError("ERR Write commands are not allowed from read-only scripts.");
      }
      this.#running!.wrote = true;
    }
    ctx.client.protocol = this.resp;
    const r = invoke(ctx, cmd, args);
    if (r instanceof Promise) {
      r.catch(() => {});
      if (cmd.flags.includes("blocking")) {
        // after a yield (outside the atomic step) a blocking command got as far
        // as waiting: as in a script it must not, it gets its timeout reply (nil)
        ctx.server.blocking.cancel(ctx.client.id);
        return null;
      }
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

/** The hook's view of a run: busy past the threshold, killed by SCRIPT/FUNCTION KILL. */
class Control implements RunControl {
  busyAt = 0;
  startedAt = 0;
  killed = false;
  yielded = false;
  readonly thresholdMs: number;
  readonly #s: Scripting;

  constructor(s: Scripting) {
    this.#s = s;
    this.thresholdMs = s.thresholdMs;
  }

  yieldable(): boolean {
    // clients woken by this script's writes must wait for its end: leaving
    // the atomic step now would serve them (the server then stays blocked
    // while this script runs, as before)
    const s = this.#s;
    const r = s.running;
    if (r === undefined || s.server.blocking.hasReady) return false;
    r.args = r.args.map((a) => a.slice()); // the caller's read buffer moves on
    s.holdBusy(r.kind === "eval" ? BUSY_EVAL_ERROR : BUSY_FUNCTION_ERROR);
    return true;
  }
}

/**
 * Redis's decoration of an error that aborted a script: `<message> script:
 * <name>, on @<source>:<line>.` (`name` is the SHA1 of a script or the
 * function's name; `source` is where the error was raised, `user_script`
 * or `user_function`).
 */
function scriptError(f: ScriptFailure, name: string, source: string): ReplyError {
  let msg: string;
  if (f.killed) {
    msg = "ERR Script killed by user with SCRIPT KILL...";
  } else if (f.kind === "global-read") {
    msg = `ERR ${f.source ?? source}:${f.line}: ` +
      `Script attempted to access nonexistent global variable '${f.name ?? ""}'`;
  } else if (f.kind === "command-arg-type") {
    msg = "ERR Lua redis lib command arguments must be strings or integers";
  } else if (f.kind !== undefined) {
    msg = `ERR ${f.kind}`;
  } else {
    msg = f.coded ? f.message : `ERR ${f.message}`;
  }
  const line = f.line > 0 ? f.line : 1;
  return new ReplyError(
    noCrLf(`${msg} script: ${name}, on @${f.source ?? source}:${line}.`),
    false,
    true,
  );
}

function noCrLf(s: string): string {
  return s.includes("\r") || s.includes("\n") ? s.replace(/[\r\n]/g, " ") : s;
}

/**
 * Runs a compiled chunk (a script or a function) as one atomic step, as
 * the server's script client, with the keys and arguments of the caller's
 * request (`argv` from index 3): its reply, or a promise of it when the
 * run goes busy and yields.
 */
function runAtomic(
  ctx: Context,
  vm: LuaVm,
  s: Scripting,
  chunk: Chunk,
  argv: readonly Uint8Array[],
  nkeys: number,
  readOnly: boolean,
  running: Running,
  source: string,
): Frame | Promise<Frame> {
  const server = ctx.server;
  const client = s.scriptClient(ctx.client);
  const host = (s.host ??= new ScriptRun({ db: ctx.db, client, server })).start(readOnly, running);
  s.running = running;
  let outcome: ScriptOutcome | Promise<ScriptOutcome> = { ok: null };
  try {
    server.blocking.atomically(() => {
      outcome = vm.run(chunk, argv, nkeys, host, running.control, 3);
    });
  } catch (e) {
    s.running = undefined;
    throw e;
  }
  if (!(outcome instanceof Promise)) {
    s.running = undefined;
    const o = outcome as ScriptOutcome;
    return "failed" in o ? scriptError(o.failed, running.name, source) : o.ok;
  }
  const reply = outcome.then((o) => {
    s.running = undefined;
    s.releaseBusy();
    // the atomic step ended at the yield: serve the clients this script woke,
    // unless an EXEC still runs (its own step serves them at its end)
    if (s.busyHolds === 0) server.blocking.serveReady();
    return "failed" in o ? scriptError(o.failed, running.name, source) : o.ok;
  });
  yieldedReplies.add(reply);
  return reply;
}

/** The VM now, or once made (then with copies of the arguments). */
function withVm(
  s: Scripting,
  args: Uint8Array[],
  fn: (vm: LuaVm, args: Uint8Array[]) => Frame | Promise<Frame>,
): Frame | Promise<Frame> {
  const vm = s.engine();
  if (!(vm instanceof Promise)) return fn(vm, args);
  const copies = args.map((a) => a.slice());
  return vm.then((v) => fn(v, copies), (e) => engineError(e));
}

function engineError(e: unknown): ReplyError {
  return new ReplyError(
    `ERR the Lua engine failed to start: ${e instanceof Error ? e.message : e}`,
  );
}

function checkNumKeys(args: Uint8Array[]): number | ReplyError {
  const nkeys = intArg(args[2]);
  if (nkeys > args.length - 3) {
    return new ReplyError("ERR Number of keys can't be greater than number of args");
  }
  if (nkeys < 0) return new ReplyError("ERR Number of keys can't be negative");
  return nkeys;
}

/** The script of `body`, new (not cached yet) when unknown. */
function scriptOf(s: Scripting, body: Uint8Array, sha: string): Script {
  return s.scripts.get(sha) ?? { sha, body: body.slice(), id: s.nextId++, gen: 0, run: undefined };
}

/** EVAL, EVALSHA and their read-only forms. */
function evalGeneric(bySha: boolean, readOnly: boolean): Handler {
  return (ctx, args) => {
    const nkeys = checkNumKeys(args);
    if (nkeys instanceof ReplyError) return nkeys;
    const s = stateOf(ctx.server);
    let script: Script | undefined;
    if (bySha) {
      if (args[1].length !== 40) return NOSCRIPT_ERROR;
      script = s.scripts.get(toBinary(args[1]).toLowerCase());
      if (script === undefined) return NOSCRIPT_ERROR;
    } else {
      script = scriptOf(s, args[1], sha1hex(args[1]));
    }
    const known = script;
    const vm = s.vm;
    if (vm !== undefined && !vm.dead) return evalWith(ctx, vm, s, known, args, nkeys, readOnly);
    return withVm(s, args, (vm, a) => evalWith(ctx, vm, s, known, a, nkeys, readOnly));
  };
}

function evalWith(
  ctx: Context,
  vm: LuaVm,
  s: Scripting,
  script: Script,
  args: Uint8Array[],
  nkeys: number,
  readOnly: boolean,
): Frame | Promise<Frame> {
  const err = s.compile(vm, script);
  if (err !== undefined) return err;
  s.scripts.set(script.sha, script);
  const running: Running = {
    kind: "eval",
    name: script.sha,
    args,
    control: new Control(s),
    wrote: false,
  };
  return runAtomic(
    ctx,
    vm,
    s,
    script.run!,
    args,
    nkeys,
    readOnly,
    running,
    "user_script",
  );
}

const scriptLoad: Handler = (ctx, args) => {
  const s = stateOf(ctx.server);
  const sha = sha1hex(args[2]);
  if (s.scripts.has(sha)) return sha;
  const script = scriptOf(s, args[2], sha);
  return withVm(s, [], (vm) => {
    const err = s.compile(vm, script);
    if (err !== undefined) return err;
    s.scripts.set(sha, script);
    return sha;
  });
};

const scriptExists: Handler = (ctx, args) => {
  const scripts = stateOf(ctx.server).scripts;
  const out: number[] = [];
  for (let i = 2; i < args.length; i++) {
    out.push(scripts.has(toBinary(args[i]).toLowerCase()) ? 1 : 0);
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
  const s = stateOf(ctx.server);
  if (s.ready) s.dropCompiled(s.vm!);
  s.scripts.clear();
  return OK;
};

/** SCRIPT KILL (`eval` true) and FUNCTION KILL, in Redis's order of checks. */
function kill(isEval: boolean): Handler {
  return (ctx) => {
    const r = stateOf(ctx.server).running;
    if (r === undefined || !r.control.yielded) return NOTBUSY_ERROR;
    if (r.wrote) return UNKILLABLE_ERROR;
    if (isEval && r.kind !== "eval") return BUSY_FUNCTION_ERROR;
    if (!isEval && r.kind === "eval") return BUSY_EVAL_ERROR;
    r.control.killed = true;
    return OK;
  };
}

// ---------------------------------------------------------------------------
// Functions

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

/** Runs a library's code in the VM (runtime op 4): its registrations, or the error reply. */
function loadInVm(s: Scripting, vm: LuaVm, id: number, body: Uint8Array): Frame[] | ReplyError {
  const r = s.op(vm, `return _G[' mr'](4,${id})`, [body]);
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
  if (out[0] === 1) {
    const text = out[1] instanceof Uint8Array ? toBinary(out[1]) : "";
    return new ReplyError(noCrLf(`ERR Error compiling function: ${text}`), false, true);
  }
  return out;
}

/** Loads `lib` into the current VM unless it is (after the VM was replaced). */
function ensureLoaded(s: Scripting, vm: LuaVm, lib: Library): ReplyError | undefined {
  if (lib.gen === s.generation) return undefined;
  const r = loadInVm(s, vm, lib.id, lib.body);
  if (r instanceof ReplyError) return r;
  lib.gen = s.generation;
  return undefined;
}

function forgetLibrary(s: Scripting, lib: Library): void {
  s.libraries.delete(lib.name);
  for (const fn of lib.functions) {
    if (s.functions.get(fn.name) === fn) s.functions.delete(fn.name);
    if (fn.call !== undefined) s.vm?.free(fn.call);
    fn.call = undefined;
  }
  if (lib.gen === s.generation && s.ready) s.op(s.vm!, `return _G[' mr'](6,${lib.id})`);
  lib.gen = 0;
}

function functionLoadWith(s: Scripting, vm: LuaVm, code: Uint8Array, replace: boolean): Frame {
  const meta = parseShebang(code);
  if (meta instanceof ReplyError) return meta;
  const old = s.libraries.get(meta.name);
  if (old !== undefined && !replace) {
    return new ReplyError(`ERR Library '${meta.name}' already exists`);
  }
  const body = code.slice(meta.bodyStart);
  const lib: Library = {
    name: meta.name,
    code: code.slice(),
    body,
    id: s.nextId++,
    gen: s.generation,
    functions: [],
  };
  const out = loadInVm(s, vm, lib.id, body);
  if (out instanceof ReplyError) return out;
  const refused = registrations(s, lib, out);
  if (refused !== undefined) {
    s.op(vm, `return _G[' mr'](6,${lib.id})`);
    return refused;
  }
  if (old !== undefined) forgetLibrary(s, old);
  s.libraries.set(lib.name, lib);
  for (const fn of lib.functions) s.functions.set(fn.name, fn);
  return lib.name;
}

/** Checks a library's registrations (`{name, flags, description, ...}`) and records them. */
function registrations(s: Scripting, lib: Library, out: Frame[]): ReplyError | undefined {
  if (out.length === 0) return new ReplyError("ERR No functions registered");
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
      index: i / 3 + 1,
      flags,
      description: desc instanceof Uint8Array ? desc : null,
      call: undefined,
    });
  }
  for (const fn of lib.functions) {
    const other = s.functions.get(fn.name);
    if (other !== undefined && other.library.name !== lib.name) {
      return new ReplyError(`ERR Function ${fn.name} already exists`, false, true);
    }
  }
  return undefined;
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
  const s = stateOf(ctx.server);
  return withVm(s, [args[i]], (vm, a) => functionLoadWith(s, vm, a[0], replace));
};

function fcall(readOnly: boolean): Handler {
  return (ctx, args) => {
    const nkeys = checkNumKeys(args);
    if (nkeys instanceof ReplyError) return nkeys;
    const s = stateOf(ctx.server);
    const fn = s.functions.get(toBinary(args[1]));
    if (fn === undefined) return new ReplyError("ERR Function not found");
    const noWrites = fn.flags.includes("no-writes");
    if (readOnly && !noWrites) {
      return new ReplyError("ERR Can not execute a script with write flag using *_ro command.");
    }
    return withVm(s, args, (vm, a) => {
      const err = ensureLoaded(s, vm, fn.library);
      if (err !== undefined) return err;
      fn.call ??= vm.chunk(`return _G[' mr'](7,${fn.library.id},${fn.index})`);
      const running: Running = {
        kind: "function",
        name: fn.name,
        args: a,
        control: new Control(s),
        wrote: false,
      };
      return runAtomic(
        ctx,
        vm,
        s,
        fn.call,
        a,
        nkeys,
        readOnly || noWrites,
        running,
        "user_function",
      );
    });
  };
}

const functionDelete: Handler = (ctx, args) => {
  const s = stateOf(ctx.server);
  const lib = s.libraries.get(toBinary(args[2]));
  if (lib === undefined) return new ReplyError("ERR Library not found");
  forgetLibrary(s, lib);
  return OK;
};

const functionFlush: Handler = (ctx, args) => {
  if (
    args.length > 3 ||
    (args.length === 3 && !isOption(args[2], "sync") && !isOption(args[2], "async"))
  ) {
    return new ReplyError("ERR FUNCTION FLUSH only supports SYNC|ASYNC option");
  }
  const s = stateOf(ctx.server);
  for (const lib of [...s.libraries.values()]) {
    lib.gen = 0; // all forgotten at once below
    forgetLibrary(s, lib);
  }
  if (s.ready) s.op(s.vm!, "return _G[' mr'](8)");
  return OK;
};

const enc = new TextEncoder();

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
  for (const lib of stateOf(ctx.server).libraries.values()) {
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
  const s = stateOf(ctx.server);
  const r = s.running;
  if (r !== undefined && r.kind === "eval") return BUSY_EVAL_ERROR;
  return new RespMap([
    [
      "running_script",
      r === undefined ? null : new RespMap([
        ["name", r.name],
        ["command", r.args.slice()],
        // from the run's first check (its first 100,000 instructions are not counted)
        ["duration_ms", Math.round(performance.now() - r.control.startedAt)],
      ]),
    ],
    [
      "engines",
      new RespMap([[
        "LUA",
        new RespMap([
          ["libraries_count", s.libraries.size],
          ["functions_count", s.functions.size],
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
  "script|kill": kill(true),
  "function|kill": kill(false),
  "function|load": functionLoad,
  "function|delete": functionDelete,
  "function|flush": functionFlush,
  "function|list": functionList,
  "function|stats": functionStats,
  fcall: fcall(false),
  fcall_ro: fcall(true),
};
