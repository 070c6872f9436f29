/**
 * Transactions: MULTI, EXEC, DISCARD, WATCH, UNWATCH, with Redis 7.0's
 * semantics (multi.c).
 *
 * While a client is in MULTI the dispatcher (`command.ts`) queues its
 * commands with {@linkcode Transaction.queue} and replies `+QUEUED`; a
 * command refused while queueing (unknown, wrong arity, `no-multi`, ...)
 * marks the transaction failed, and EXEC then answers `-EXECABORT`. EXEC
 * runs the queued commands back to back inside `Blocking.atomically`, so no
 * other client runs in between, blocking commands return their timeout
 * reply at once, and woken blocked clients are served after it. A queued
 * script that goes busy keeps the server busy (`-BUSY` for others) until
 * the whole transaction has run.
 *
 * WATCH hangs a {@linkcode Watch} (a `KeyListener`) on each key: the
 * keyspace's "key modified" signal (any write, expiry, FLUSHALL/FLUSHDB)
 * marks the client dirty, and its next EXEC answers the null reply.
 *
 * @module
 */

import { crossSlotCheckAll } from "../cluster.ts";
import { type Frame, NULL_ARRAY, OK, ReplyError } from "../../resp/frame.ts";
import { toBinary } from "../../resp/bytes.ts";
import {
  type ClientHandle,
  type Context,
  type Handler,
  type HandlerMap,
  invoke,
  NO_REPLY,
  refreshGate,
  releaseClient,
  type ResolvedCommand,
} from "../command.ts";
import type { KeyListener, Keyspace } from "../db/keyspace.ts";
import { engineReady, holdBusy, isBusyScriptReply } from "./scripting.ts";

/** `-EXECABORT ...`: a command was refused while the transaction was queued. */
export const EXECABORT_ERROR: ReplyError = new ReplyError(
  "EXECABORT Transaction discarded because of previous errors.",
);

/**
 * Where queued arguments are copied: views into a shared arena of
 * {@linkcode ARENA} bytes, filled in turn (a larger argument gets a buffer
 * of its own). Views of a large buffer are cheap to make; an arena lives
 * as long as a queued command still points into it.
 */
const ARENA = 8192;
let arena = new Uint8Array(ARENA);
let arenaUsed = 0;

/** The commands queued by MULTI, and whether one was refused while queueing. */
export class Transaction {
  /** The queued commands, in order. */
  readonly commands: ResolvedCommand[] = [];
  /** Their arguments (copies: the read buffer is reused). */
  readonly args: Uint8Array[][] = [];
  /** A command was refused while queueing: EXEC answers `-EXECABORT`. */
  failed = false;
  /** Nanoseconds each queued command took when EXEC ran it (INFO commandstats). */
  readonly times: number[] = [];

  /** Queues a command; `args` are copied. */
  queue(cmd: ResolvedCommand, args: readonly Uint8Array[]): void {
    const copy = new Array<Uint8Array>(args.length);
    for (let i = 0; i < args.length; i++) {
      const a = args[i];
      const n = a.length;
      if (n > ARENA / 4) {
        copy[i] = a.slice();
        continue;
      }
      if (arenaUsed + n > ARENA) {
        arena = new Uint8Array(ARENA);
        arenaUsed = 0;
      }
      const o = arenaUsed;
      const buf = arena;
      if (n < 64) {
        for (let j = 0; j < n; j++) buf[o + j] = a[j];
      } else {
        buf.set(a, o);
      }
      copy[i] = buf.subarray(o, o + n);
      arenaUsed = o + n;
    }
    this.commands.push(cmd);
    this.args.push(copy);
  }
}

/**
 * The keys a client watches. Any modification of one of them (the
 * keyspace's "key modified" signal) makes the watch dirty and releases
 * every key at once, as Redis's `touchWatchedKey` does.
 */
export class Watch implements KeyListener {
  readonly #db: Keyspace;
  readonly #keys = new Set<string>();
  /** A watched key was modified since WATCH: EXEC must fail. */
  dirty = false;

  /**
   * Creates an empty watch list.
   *
   * @param db the keyspace whose keys are watched
   */
  constructor(db: Keyspace) {
    this.#db = db;
  }

  /** Number of keys watched (0 once dirty). */
  get size(): number {
    return this.#keys.size;
  }

  /**
   * Watches `key`. A key that has already expired is reclaimed first: its
   * deletion is not a change (Redis 7.0 flags such a key and ignores its
   * deletion), and watching starts from "the key does not exist".
   */
  add(key: string): void {
    if (this.dirty || this.#keys.has(key)) return;
    this.#db.get(key);
    this.#keys.add(key);
    this.#db.listen(key, this);
  }

  /**
   * EXEC's check that no watched key has expired since WATCH (Redis's
   * `isWatchedKeyExpired`): reading each key reclaims an expired one, and
   * its expiry signals this watch.
   */
  checkExpired(): void {
    for (const key of this.#keys) {
      if (this.dirty) return;
      this.#db.get(key);
    }
  }

  /** @internal the "key modified" signal */
  keyModified(): void {
    this.dirty = true;
    this.release();
  }

  /** Stops watching every key (the dirty flag stays). */
  release(): void {
    for (const key of this.#keys) this.#db.unlisten(key, this);
    this.#keys.clear();
  }
}

/** The EXEC without MULTI error. */
const EXEC_WITHOUT_MULTI = new ReplyError("ERR EXEC without MULTI");

const multi: Handler = (ctx) => {
  const client = ctx.client;
  if (client.multi !== undefined) return new ReplyError("ERR MULTI calls can not be nested");
  client.multi = new Transaction();
  refreshGate(client);
  return OK;
};

const discard: Handler = (ctx) => {
  if (ctx.client.multi === undefined) return new ReplyError("ERR DISCARD without MULTI");
  releaseClient(ctx.client);
  return OK;
};

const watch: Handler = (ctx, args) => {
  const client = ctx.client;
  if (client.multi !== undefined) return new ReplyError("ERR WATCH inside MULTI is not allowed");
  let w = client.watch;
  if (w === undefined) {
    w = client.watch = new Watch(ctx.db);
    refreshGate(client);
  }
  // no point in watching more once dirty (Redis answers OK at once)
  for (let i = 1; i < args.length && !w.dirty; i++) w.add(toBinary(args[i]));
  return OK;
};

const unwatch: Handler = (ctx) => {
  const client = ctx.client;
  if (client.watch !== undefined) {
    client.watch.release();
    client.watch = undefined;
    refreshGate(client);
  }
  return OK;
};

const exec: Handler = (ctx) => {
  const t = ctx.client.multi;
  if (t === undefined) return EXEC_WITHOUT_MULTI;
  // a transaction with a script waits for the Lua engine first (the first
  // script of the process), so that it runs in the same atomic step
  const ready = engineReady(ctx.server, t.commands);
  return ready === undefined ? execNow(ctx, t) : ready.then(() => execNow(ctx, t));
};

function execNow(ctx: Context, t: Transaction): Frame | Promise<Frame> {
  const client = ctx.client;
  if (client.multi !== t) return EXEC_WITHOUT_MULTI; // the client went away meanwhile
  const w = client.watch;
  if (w !== undefined && !w.dirty) w.checkExpired();
  const dirty = w !== undefined && w.dirty;
  releaseClient(client);
  if (t.failed) return EXECABORT_ERROR;
  if (dirty) return NULL_ARRAY;
  if (ctx.server.settings.clusterEnabled) {
    // Redis's getNodeByQuery for EXEC: all queued keys in one slot, or the
    // transaction is discarded
    const refused = crossSlotCheckAll(t.commands.map((cmd, i) => ({ cmd, args: t.args[i] })));
    if (refused !== undefined) return refused;
  }
  return runQueued(ctx, t);
}

/**
 * Runs the queued commands as one atomic step. Push frames a command sends
 * instead of a reply (SUBSCRIBE's confirmations) take its place in the
 * array, as in Redis's EXEC reply. A script that goes busy (yields to the
 * event loop past `busy-reply-threshold`) is waited for, the server kept
 * busy for everyone else, and the rest runs as a new atomic step right
 * after it.
 */
function runQueued(ctx: Context, t: Transaction): Frame | Promise<Frame> {
  const client = ctx.client;
  const n = t.commands.length;
  const replies: (Frame | Promise<Frame>)[] = [];
  let pending = false;
  let next = 0;
  let busy: Promise<Frame> | undefined;
  const pushed: Frame[] = [];
  const step = () => {
    const handle = client.handle;
    client.handle = new CapturingHandle(handle, pushed);
    try {
      ctx.server.blocking.atomically(() => {
        // one clock read per command: each one's end is the next one's start
        let started = performance.now();
        while (next < n) {
          const i = next++;
          const r = invoke(ctx, t.commands[i], t.args[i]);
          const ended = performance.now();
          t.times[i] = (ended - started) * 1e6;
          started = ended;
          if (pushed.length !== 0) {
            for (const p of pushed) replies.push(p);
            pushed.length = 0;
          }
          if (r === NO_REPLY) continue;
          if (r instanceof Promise) {
            if (isBusyScriptReply(r)) {
              busy = r;
              return;
            }
            pending = true;
          }
          replies.push(r);
        }
      });
    } finally {
      client.handle = handle;
    }
  };
  step();
  const done = () => pending ? Promise.all(replies) : replies as Frame[];
  if (busy === undefined) return done();
  const release = holdBusy(ctx.server);
  const resume = (): Frame | Promise<Frame> => {
    const script = busy!;
    busy = undefined;
    return script.then((r) => {
      replies.push(r);
      try {
        step();
      } catch (e) {
        release();
        throw e;
      }
      if (busy !== undefined) return resume();
      release();
      return done();
    });
  };
  return resume();
}

/** A handle that collects push frames (into `sink`) and forwards everything else. */
class CapturingHandle implements ClientHandle {
  constructor(readonly inner: ClientHandle, readonly sink: Frame[]) {}
  kill(): void {
    this.inner.kill();
  }
  push(frame: Frame): void {
    this.sink.push(frame);
  }
  pushRaw(bytes: Uint8Array): void {
    this.inner.pushRaw(bytes);
  }
  flushPushes(): void {}
  lagged(missed: number): void {
    this.inner.lagged(missed);
  }
  get outputLength(): number {
    return this.inner.outputLength;
  }
  get inputLength(): number {
    return this.inner.inputLength;
  }
}

/** The transaction commands. */
export const transactionHandlers: HandlerMap = {
  multi,
  exec,
  discard,
  watch,
  unwatch,
};
