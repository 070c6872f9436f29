/**
 * Blocked clients: the one waiter mechanism behind BLPOP, BLMOVE, BLMPOP,
 * BZPOPMIN, BZMPOP (and later XREAD BLOCK). A handler that cannot answer
 * at once returns {@linkcode Blocking.wait}'s promise; the client is
 * queued on its keys, and when one of them is modified (the keyspace's
 * "key modified" signal) the waiters of that key are offered it again, in
 * the order they blocked, after the command that modified it has finished
 * (Redis's `handleClientsBlockedOnKeys`): a key is offered only while it
 * exists, so the waiters after the one that took its last element are not
 * tried. A command run atomically (inside
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
  /** The keys to wait on, as binary strings, in the command's order (repeats are ignored). */
  readonly keys: readonly string[];
  /** Milliseconds to wait; 0 waits until served or unblocked. */
  readonly timeoutMs: number;
  /** The reply on timeout or `CLIENT UNBLOCK ... TIMEOUT` (`NULL_ARRAY`, `null`, ...). */
  readonly timeoutReply: Frame;
  /**
   * The reply where the client may not block (inside MULTI or a script),
   * when it differs from {@linkcode timeoutReply}: BLMOVE replies a null
   * bulk string there but a null array on timeout.
   */
  readonly deniedReply?: Frame;
  /**
   * Tries to serve the client from `key`, one of its keys that was
   * modified and exists: returns its reply (having made the change, with
   * its events) or `undefined` to keep waiting (e.g. the key now holds
   * another type: Redis 7.0 keeps such a client blocked). Called
   * synchronously, for the keys in the order they were modified; Redis
   * serves a client from the key that became ready, not from its first
   * key. It must not keep views of the request's arguments: copy what it
   * needs before blocking. A thrown {@linkcode ReplyError} is the reply.
   */
  readonly attempt: (key: string) => Frame | undefined;
}

/** `CLIENT UNBLOCK <id> ERROR`'s reply to the unblocked client. */
export const UNBLOCKED_ERROR: ReplyError = new ReplyError(
  "UNBLOCKED client unblocked via CLIENT UNBLOCK",
);

/** The longest delay `setTimeout` takes; longer timeouts are re-armed. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** A waiter's place in one key's queue (a doubly linked list: O(1) removal). */
class Link {
  prev: Link | undefined;
  next: Link | undefined;
  /** Still in its queue. */
  linked = true;
  constructor(readonly waiter: Waiter, readonly queue: Queue) {}
}

/** The waiters of one key, oldest first. */
class Queue {
  head: Link | undefined;
  tail: Link | undefined;
  size = 0;
  constructor(readonly key: string) {}

  append(w: Waiter): Link {
    const link = new Link(w, this);
    link.prev = this.tail;
    if (this.tail === undefined) this.head = link;
    else this.tail.next = link;
    this.tail = link;
    this.size++;
    return link;
  }

  /** Unlinks `link`; its `next` is kept, so a walk standing on it can go on. */
  remove(link: Link): void {
    if (!link.linked) return;
    link.linked = false;
    if (link.prev === undefined) this.head = link.next;
    else link.prev.next = link.next;
    if (link.next === undefined) this.tail = link.prev;
    else link.next.prev = link.prev;
    this.size--;
  }
}

class Waiter {
  done = false;
  timer: ReturnType<typeof setTimeout> | undefined;
  /** Absolute deadline (performance.now() ms) when the timeout is beyond one timer. */
  deadline = 0;
  links: Link[] = [];
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
  #byKey = new Map<string, Queue>();
  #byClient = new Map<number, Waiter>();
  #ready: string[] = [];
  #readyHead = 0;
  #readySet = new Set<string>();
  #depth = 0;
  #serving = false;
  #timed = 0;

  /**
   * Waiters of one keyspace.
   *
   * @param db the keyspace whose "key modified" signal wakes the waiters
   */
  constructor(db: Keyspace) {
    this.#db = db;
  }

  /** Whether a command runs inside {@linkcode atomically} (EXEC, a script): it may not block. */
  get atomic(): boolean {
    return this.#depth > 0;
  }

  /** Number of blocked clients (INFO `blocked_clients`). */
  get blockedClients(): number {
    return this.#byClient.size;
  }

  /** Number of blocked clients with a timeout (INFO `clients_in_timeout_table`). */
  get withTimeout(): number {
    return this.#timed;
  }

  /** Number of keys with blocked clients (INFO `blocking_keys`). */
  get blockingKeys(): number {
    return this.#byKey.size;
  }

  /** Whether keys with waiters were modified and {@linkcode serveReady} has work. */
  get hasReady(): boolean {
    return this.#readyHead !== this.#ready.length;
  }

  /** Whether the client `clientId` is blocked. */
  isBlocked(clientId: number): boolean {
    return this.#byClient.has(clientId);
  }

  /**
   * Blocks a client: returns a promise of its reply, settled by a
   * successful {@linkcode WaitRequest.attempt}, the timeout, or
   * {@linkcode unblock}. Inside {@linkcode atomically} (MULTI, scripts) it
   * does not block: the denied (or else the timeout) reply is returned at
   * once. The caller tries to serve the client before calling it.
   */
  wait(request: WaitRequest): Frame | Promise<Frame> {
    if (this.#depth > 0) {
      return request.deniedReply !== undefined ? request.deniedReply : request.timeoutReply;
    }
    return new Promise<Frame>((resolve) => {
      const w = new Waiter(request, resolve);
      const old = this.#byClient.get(request.clientId);
      if (old !== undefined) this.#release(old);
      this.#byClient.set(request.clientId, w);
      const keys = request.keys;
      for (let i = 0; i < keys.length; i++) {
        const key = keys[i];
        let q = this.#byKey.get(key);
        if (q === undefined) {
          q = new Queue(key);
          this.#byKey.set(key, q);
          this.#db.listen(key, this);
        } else if (q.tail !== undefined && q.tail.waiter === w) {
          continue; // the same key twice in one command
        }
        w.links.push(q.append(w));
      }
      if (request.timeoutMs > 0) {
        this.#timed++;
        if (request.timeoutMs > MAX_TIMER_MS) {
          w.deadline = performance.now() + request.timeoutMs;
        }
        this.#arm(w, request.timeoutMs);
      }
    });
  }

  /** Starts (or restarts, for a timeout beyond one timer) the waiter's timer. */
  #arm(w: Waiter, ms: number): void {
    w.timer = setTimeout(() => {
      w.timer = undefined;
      if (w.done) return;
      const left = w.deadline === 0 ? 0 : w.deadline - performance.now();
      if (left > 1) this.#arm(w, Math.min(left, MAX_TIMER_MS));
      else this.#finish(w, w.request.timeoutReply);
    }, Math.min(ms, MAX_TIMER_MS));
  }

  /** @internal the keyspace's "key modified" signal for a key with waiters */
  keyModified(key: string): void {
    if (this.#readySet.has(key)) return;
    this.#readySet.add(key);
    this.#ready.push(key);
  }

  /**
   * Offers every modified key to its waiters, oldest first, until no key
   * is ready (a served BLMOVE may make another key ready); a key is
   * offered while it exists. The dispatcher calls it after each command;
   * it does nothing inside {@linkcode atomically} (the outermost call
   * serves at its end). Lookups made meanwhile are not counted as keyspace
   * hits or misses (as Redis's `LOOKUP_NOSTATS`).
   */
  serveReady(): void {
    if (this.#depth > 0 || this.#serving) return;
    this.#serving = true;
    const db = this.#db;
    const counting = db.countLookups;
    db.countLookups = false;
    try {
      while (this.#readyHead !== this.#ready.length) {
        const key = this.#ready[this.#readyHead++];
        this.#readySet.delete(key);
        const q = this.#byKey.get(key);
        if (q === undefined) continue;
        for (let link = q.head; link !== undefined; link = link.next) {
          const w = link.waiter;
          if (w.done || !link.linked) continue;
          if (!db.has(key)) break;
          let reply: Frame | undefined;
          try {
            reply = w.request.attempt(key);
          } catch (e) {
            reply = e instanceof ReplyError ? e : new ReplyError(`ERR ${e}`);
          }
          if (reply !== undefined) this.#finish(w, reply);
        }
      }
    } finally {
      this.#ready.length = 0;
      this.#readyHead = 0;
      this.#readySet.clear();
      db.countLookups = counting;
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
    if (w.request.timeoutMs > 0) this.#timed--;
    if (w.timer !== undefined) clearTimeout(w.timer);
    w.timer = undefined;
    if (this.#byClient.get(w.request.clientId) === w) this.#byClient.delete(w.request.clientId);
    for (const link of w.links) {
      const q = link.queue;
      q.remove(link);
      if (q.size === 0 && this.#byKey.get(q.key) === q) {
        this.#byKey.delete(q.key);
        this.#db.unlisten(q.key, this);
      }
    }
  }
}
