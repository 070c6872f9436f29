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
import { type Frame, OK, ReplyError } from "../../resp/frame.ts";
import { toBinary } from "../../resp/bytes.ts";
import { intArg, isOption } from "../args.ts";
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

/** Redis's decoration of an error that aborted a script. */
function scriptError(f: ScriptFailure, sha: string): ReplyError {
  let msg: string;
  if (f.kind === "global-read") {
    msg = `ERR user_script:${f.line}: Script attempted to access nonexistent global variable '${
      f.name ?? ""
    }'`;
  } else if (f.kind === "command-arg-type") {
    msg = "ERR Lua redis lib command arguments must be strings or integers";
  } else if (f.kind !== undefined) {
    msg = `ERR ${f.kind}`;
  } else {
    msg = f.coded ? f.message : `ERR ${f.message}`;
  }
  const line = f.line > 0 ? f.line : 1;
  return new ReplyError(
    noCrLf(`${msg} script: ${sha}, on @user_script:${line}.`),
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
  const server = ctx.server;
  const cache = cacheOf(server);
  const caller = ctx.client;
  const client = cache.client ??= createClientState({ id: 0, addr: "", laddr: "" });
  client.db = caller.db;
  client.protocol = 2;
  const scriptCtx: Context = { db: ctx.db, client, server };
  const host = new ScriptRun(scriptCtx, readOnly);
  const outcome = server.blocking.atomically(() => vm.run(wrapped(body), argv, nkeys, host));
  if ("failed" in outcome) return scriptError(outcome.failed, sha);
  return outcome.ok;
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
};
