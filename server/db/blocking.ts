/**
 * Blocked clients: the one waiter mechanism behind BLPOP, BLMOVE, BLMPOP,
 * BZPOPMIN, BZMPOP (and later XREAD BLOCK). A handler that cannot answer
 * at once returns {@linkcode Blocking.wait}'s promise; the client is
 * queued on its keys, and when one of them is modified (the keyspace's
 * "key modified" signal) the waiters of that key are offered it again, in
 * the order they blocked, after the command that modified it has finished
 * (Redis's `handleClientsBlockedOnKeys`). A command run atomically (inside
 * {@linkcode Blocking.atomically}, as EXEC and scripts run theirs) never
 * blocks and wakes nobody until it has completed.
 *
 * @example
 * ```ts
 * import { Keyspace } from "./keyspace.ts";
 * import { Blocking } from "./blocking.ts";
 * using db = new Keyspace({ sweepIntervalMs: 0 });
 * using blocking = new Blocking(db);
 * let items = 0;
 * const reply = blocking.wait({
 *   clientId: 1,
 *   keys: ["jobs"],
 *   timeoutMs: 0,
 *   timeoutReply: null,
 *   attempt: () => (items > 0 ? `got ${items--}` : undefined),
 * });
 * items = 1;
 * db.signal("jobs"); // what a push does, through db.changed(...)
 * blocking.serveReady(); // what the dispatcher does after each command
 * console.log(await reply); // "got 1"
 * ```
 *
 * @module
 */

import { type Frame, ReplyError } from "../../resp/frame.ts";
import type { KeyListener, Keyspace } from "./keyspace.ts";

/** What a blocking command asks of {@linkcode Blocking.wait}. */
export interface WaitRequest {
  /** The blocked client's id (CLIENT UNBLOCK, disconnects). */
  readonly clientId: number;
  /** The keys to wait on, as binary strings, in the command's order. */
  readonly keys: readonly string[];
  /** Milliseconds to wait; 0 waits until served or unblocked. */
  readonly timeoutMs: number;
  /** The reply on timeout or `CLIENT UNBLOCK ... TIMEOUT` (`NULL_ARRAY`, `null`, ...). */
  readonly timeoutReply: Frame;
  /**
   * Tries to serve the client now: returns its reply (having made the
   * change, with its events) or `undefined` to keep waiting. Called
   * synchronously when one of `keys` was modified. It must not keep views
   * of the request's arguments: copy what it needs before blocking.
   */
  readonly attempt: () => Frame | undefined;
}

/** `CLIENT UNBLOCK <id> ERROR`'s reply to the unblocked client. */
export const UNBLOCKED_ERROR: ReplyError = new ReplyError(
  "UNBLOCKED client unblocked via CLIENT UNBLOCK",
);

class Waiter {
  done = false;
  timer: ReturnType<typeof setTimeout> | undefined;
  constructor(
    readonly request: WaitRequest,
    readonly resolve: (reply: Frame) => void,
  ) {}
}

/**
 * The blocked clients of one keyspace; see the module documentation.
 */
export class Blocking implements KeyListener, Disposable {
  #db: Keyspace;
  #byKey = new Map<string, Waiter[]>();
  #byClient = new Map<number, Waiter>();
  #ready: string[] = [];
  #readySet = new Set<string>();
  #depth = 0;
  #serving = false;

  /** @param db the keyspace whose "key modified" signal wakes the waiters */
  constructor(db: Keyspace) {
    this.#db = db;
  }

  /** Number of blocked clients (INFO `blocked_clients`). */
  get blockedClients(): number {
    return this.#byClient.size;
  }

  /** Number of blocked clients with a timeout (INFO `clients_in_timeout_table`). */
  get withTimeout(): number {
    let n = 0;
    for (const w of this.#byClient.values()) if (w.timer !== undefined) n++;
    return n;
  }

  /** Whether keys with waiters were modified and {@linkcode serveReady} has work. */
  get hasReady(): boolean {
    return this.#ready.length !== 0;
  }

  /** Whether the client `clientId` is blocked. */
  isBlocked(clientId: number): boolean {
    return this.#byClient.has(clientId);
  }

  /**
   * Blocks a client: returns a promise of its reply, settled by a
   * successful {@linkcode WaitRequest.attempt}, the timeout, or
   * {@linkcode unblock}. Inside {@linkcode atomically} (MULTI, scripts) it
   * does not block: the timeout reply is returned at once. The caller
   * tries to serve the client before calling it.
   */
  wait(request: WaitRequest): Frame | Promise<Frame> {
    if (this.#depth > 0) return request.timeoutReply;
    return new Promise<Frame>((resolve) => {
      const w = new Waiter(request, resolve);
      this.#byClient.set(request.clientId, w);
      for (const key of request.keys) {
        let q = this.#byKey.get(key);
        if (q === undefined) {
          q = [];
          this.#byKey.set(key, q);
          this.#db.listen(key, this);
        }
        if (!q.includes(w)) q.push(w);
      }
      if (request.timeoutMs > 0) {
        w.timer = setTimeout(() => this.#finish(w, request.timeoutReply), request.timeoutMs);
      }
    });
  }

  /** @internal the keyspace's "key modified" signal for a key with waiters */
  keyModified(key: string): void {
    if (this.#readySet.has(key)) return;
    this.#readySet.add(key);
    this.#ready.push(key);
  }

  /**
   * Offers every modified key to its waiters, oldest first, until no key
   * is ready (a served BLMOVE may make another key ready). The dispatcher
   * calls it after each command; it does nothing inside
   * {@linkcode atomically} (the outermost call serves at its end).
   */
  serveReady(): void {
    if (this.#depth > 0 || this.#serving) return;
    this.#serving = true;
    try {
      while (this.#ready.length !== 0) {
        const key = this.#ready.shift()!;
        this.#readySet.delete(key);
        const q = this.#byKey.get(key);
        if (q === undefined) continue;
        for (const w of q.slice()) {
          if (w.done) continue;
          let reply: Frame | undefined;
          try {
            reply = w.request.attempt();
          } catch (e) {
            reply = e instanceof ReplyError ? e : new ReplyError(`ERR ${e}`);
          }
          if (reply !== undefined) this.#finish(w, reply);
        }
      }
    } finally {
      this.#serving = false;
    }
  }

  /**
   * Runs `fn` as one atomic step (EXEC, a script): blocking commands inside
   * return their timeout reply at once, and waiters are served only after
   * the outermost step has finished.
   */
  atomically<T>(fn: () => T): T {
    this.#depth++;
    try {
      return fn();
    } finally {
      this.#depth--;
      if (this.#depth === 0) this.serveReady();
    }
  }

  /**
   * CLIENT UNBLOCK: answers a blocked client with its timeout reply, or
   * with {@linkcode UNBLOCKED_ERROR} when `error` is set. False when the
   * client is not blocked.
   */
  unblock(clientId: number, error = false): boolean {
    const w = this.#byClient.get(clientId);
    if (w === undefined) return false;
    this.#finish(w, error ? UNBLOCKED_ERROR : w.request.timeoutReply);
    return true;
  }

  /** Forgets a client that disconnected while blocked (its reply is never sent). */
  cancel(clientId: number): void {
    const w = this.#byClient.get(clientId);
    if (w !== undefined) this.#release(w);
  }

  /** Answers every blocked client with its timeout reply and clears all timers (server stop). */
  close(): void {
    for (const w of [...this.#byClient.values()]) this.#finish(w, w.request.timeoutReply);
  }

  /** Same as {@linkcode close}. */
  [Symbol.dispose](): void {
    this.close();
  }

  #finish(w: Waiter, reply: Frame): void {
    if (w.done) return;
    this.#release(w);
    w.resolve(reply);
  }

  #release(w: Waiter): void {
    if (w.done) return;
    w.done = true;
    if (w.timer !== undefined) clearTimeout(w.timer);
    if (this.#byClient.get(w.request.clientId) === w) this.#byClient.delete(w.request.clientId);
    for (const key of w.request.keys) {
      const q = this.#byKey.get(key);
      if (q === undefined) continue;
      const i = q.indexOf(w);
      if (i !== -1) q.splice(i, 1);
      if (q.length === 0) {
        this.#byKey.delete(key);
        this.#db.unlisten(key, this);
      }
    }
  }
}
