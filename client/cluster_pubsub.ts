/**
 * {@linkcode ShardedSubscriber}: Redis 7 sharded pub/sub over a cluster.
 * Each channel lives in the slot of its name, on the shard serving that slot;
 * the subscriber keeps one connection per node that serves some of its
 * channels and merges their messages into one stream. When a slot moves
 * (the server then unsubscribes its channels) or a node fails over, the
 * channels are subscribed again where the slot map now puts them.
 *
 * @module
 */

import { type Frame, Push, ReplyError } from "../resp/frame.ts";
import { fromUtf8 } from "../resp/bytes.ts";
import { mpsc } from "../channels/mod.ts";
import type { Arg } from "./commands.ts";
import { Connection } from "./connection.ts";
import { ConnectionError } from "./errors.ts";
import type { ResolvedOptions } from "./options.ts";
import { DEFAULT_MAX_QUEUED, type Message } from "./subscriber.ts";
import { keySlot } from "./cluster_slot.ts";
import { addressKey, type NodeAddress } from "./cluster_topology.ts";

/** What a sharded subscriber needs from its cluster client. */
export interface ShardRouter {
  /** The master serving `slot`, if known. */
  ownerOf(slot: number): NodeAddress | undefined;
  /** Re-reads the slot map. */
  refresh(): Promise<void>;
  /** Connection options for a node. */
  options(address: NodeAddress): ResolvedOptions;
  /** Calls `listener` after every change of the slot map (and once when the client closes); returns the unsubscriber. */
  onChange(listener: () => void): () => void;
  /** Whether the cluster client is closed. */
  closed(): boolean;
}

/** Options of a {@linkcode ShardedSubscriber}. */
export interface ShardedSubscriberOptions {
  /** How many received messages may wait unread before reading pauses (default 1024). */
  maxQueued?: number;
}

/** A command waiting for its confirmations (one per channel) or its error. */
interface Op {
  kind: "ssubscribe" | "sunsubscribe";
  pending: Set<string>;
  resolve(): void;
  reject(reason: unknown): void;
}

/** One node's pub/sub connection. */
class NodeLink {
  conn!: Connection;
  /** Channels subscribed (or being subscribed) on this node. */
  readonly channels = new Set<string>();
  ops: Op[] = [];
  constructor(readonly key: string, readonly address: NodeAddress) {}
}

const MAX_ATTEMPTS = 8;

/**
 * Receives sharded pub/sub messages (`SSUBSCRIBE`) from a cluster. Open one
 * with {@linkcode ClusterClient.ssubscribe}; read with `for await`.
 *
 * - Channels are grouped by slot (one `SSUBSCRIBE` per slot) and subscribed
 *   on the master serving the slot; a `MOVED` reply refreshes the slot map
 *   and subscribes there.
 * - When the server unsubscribes a channel by itself (its slot moved away),
 *   when the slot map names another node, or after a failover, the channel
 *   is subscribed again on its new node. Messages published meanwhile are
 *   lost (pub/sub is at-most-once).
 * - At most `maxQueued` messages wait unread; then reading pauses until the
 *   consumer takes some (nothing is dropped).
 *
 * @example
 * ```ts ignore
 * await using sub = await cluster.ssubscribe("orders:{eu}");
 * await cluster.spublish("orders:{eu}", "new");
 * for await (const msg of sub) {
 *   console.log(msg.channel, msg.payload); // orders:{eu} new
 *   break;
 * }
 * ```
 */
export class ShardedSubscriber implements AsyncIterable<Message>, AsyncDisposable {
  #router: ShardRouter;
  #wanted = new Set<string>();
  #links = new Map<string, NodeLink>();
  /** The link each wanted channel is subscribed on. */
  #home = new Map<string, NodeLink>();
  #tx: mpsc.Sender<Message>;
  #rx: mpsc.Receiver<Message>;
  #maxQueued: number;
  #paused = false;
  #closing = false;
  #closed: Promise<void> | undefined = undefined;
  #unlisten: () => void;
  #rehoming: Promise<void> | undefined = undefined;
  #rehomeAgain = false;

  /** Opens a subscriber and subscribes to `channels`. */
  static async open(
    router: ShardRouter,
    channels: string[],
    options: ShardedSubscriberOptions = {},
  ): Promise<ShardedSubscriber> {
    const maxQueued = options.maxQueued ?? DEFAULT_MAX_QUEUED;
    if (!Number.isInteger(maxQueued) || maxQueued < 1) {
      throw new RangeError(`maxQueued must be a positive integer, got ${maxQueued}`);
    }
    const sub = new ShardedSubscriber(router, maxQueued);
    try {
      if (channels.length !== 0) await sub.ssubscribe(...channels);
    } catch (e) {
      await sub.close();
      throw e;
    }
    return sub;
  }

  private constructor(router: ShardRouter, maxQueued: number) {
    this.#router = router;
    this.#maxQueued = maxQueued;
    [this.#tx, this.#rx] = mpsc.unboundedChannel<Message>();
    this.#unlisten = router.onChange(() => this.#rehome());
  }

  /** The channels subscribed to. */
  get channels(): string[] {
    return [...this.#wanted];
  }

  /** How many received messages wait to be read. */
  get queued(): number {
    return this.#rx.length;
  }

  /** `host:port` of the nodes it has a connection to. */
  get nodes(): string[] {
    return [...this.#links.keys()];
  }

  /** `SSUBSCRIBE channel...`: resolves once every channel is confirmed by the node serving it. */
  async ssubscribe(...channels: string[]): Promise<void> {
    if (channels.length === 0) throw new TypeError("ssubscribe needs a channel");
    if (this.#closing) throw new ConnectionError("Connection is closed");
    for (const c of channels) this.#wanted.add(c);
    await Promise.all([...bySlot(channels).values()].map((group) => this.#place(group)));
  }

  /** `SUNSUBSCRIBE [channel...]` (none: every channel). */
  async sunsubscribe(...channels: string[]): Promise<void> {
    const names = channels.length === 0 ? [...this.#wanted] : channels;
    for (const c of names) this.#wanted.delete(c);
    const byLink = new Map<NodeLink, string[]>();
    for (const c of names) {
      const link = this.#home.get(c);
      this.#home.delete(c);
      if (link === undefined) continue;
      link.channels.delete(c);
      let list = byLink.get(link);
      if (list === undefined) byLink.set(link, list = []);
      list.push(c);
    }
    await Promise.all([...byLink].map(([link, list]) => this.#unsubscribeOn(link, list)));
    await this.#closeIdleLinks();
  }

  /** The next message; `undefined` once closed. */
  async recv(signal?: AbortSignal): Promise<Message | undefined> {
    const msg = await this.#rx.recv(signal);
    if (this.#paused) this.#flow();
    return msg;
  }

  /** Iterates over messages until {@linkcode ShardedSubscriber.close}. */
  async *[Symbol.asyncIterator](): AsyncGenerator<Message, void, undefined> {
    for (;;) {
      const msg = await this.recv();
      if (msg === undefined) return;
      yield msg;
    }
  }

  /** Closes every connection; iteration ends after the messages already received. Idempotent. */
  close(): Promise<void> {
    this.#closed ??= (async () => {
      this.#closing = true;
      this.#unlisten();
      await this.#rehoming?.catch(() => {});
      const links = [...this.#links.values()];
      this.#links.clear();
      await Promise.all(links.map((l) => l.conn?.close()));
      this.#tx.close();
    })();
    return this.#closed;
  }

  /** Same as {@linkcode ShardedSubscriber.close}, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  // ---- internals -----------------------------------------------------------------------

  /** Subscribes a group of same-slot channels on the node serving their slot (refreshing on MOVED). */
  async #place(channels: string[]): Promise<void> {
    const slot = keySlot(channels[0]);
    let lastError: unknown;
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const wanted = channels.filter((c) => this.#wanted.has(c));
      if (wanted.length === 0 || this.#closing) return;
      let owner = this.#router.ownerOf(slot);
      if (owner === undefined) {
        await this.#router.refresh().catch(() => {});
        owner = this.#router.ownerOf(slot);
        if (owner === undefined) {
          lastError = new ReplyError("CLUSTERDOWN Hash slot not served");
          await delay(100 * (attempt + 1));
          continue;
        }
      }
      try {
        const link = await this.#link(owner);
        const moving = wanted.filter((c) => this.#home.get(c) !== link);
        if (moving.length === 0) return;
        // Leave the old node first (it may refuse with MOVED if the slot left it: fine).
        const old = new Map<NodeLink, string[]>();
        for (const c of moving) {
          const from = this.#home.get(c);
          if (from === undefined) continue;
          from.channels.delete(c);
          let list = old.get(from);
          if (list === undefined) old.set(from, list = []);
          list.push(c);
        }
        for (const [from, list] of old) void this.#unsubscribeOn(from, list).catch(() => {});
        for (const c of moving) {
          link.channels.add(c);
          this.#home.set(c, link);
        }
        await this.#command(link, "ssubscribe", moving);
        return;
      } catch (e) {
        lastError = e;
        for (const c of wanted) {
          const link = this.#home.get(c);
          if (link !== undefined && link.address === owner) {
            link.channels.delete(c);
            this.#home.delete(c);
          }
        }
        if (e instanceof ReplyError && (e.code === "MOVED" || e.code === "ASK")) {
          await this.#router.refresh().catch(() => {});
        } else if (e instanceof ReplyError && e.code !== "TRYAGAIN" && e.code !== "CLUSTERDOWN") {
          throw e;
        } else {
          await this.#router.refresh().catch(() => {});
          await delay(100 * (attempt + 1));
        }
      }
    }
    throw lastError;
  }

  async #unsubscribeOn(link: NodeLink, channels: string[]): Promise<void> {
    if (link.conn === undefined || link.conn.state !== "ready") return;
    try {
      await this.#command(link, "sunsubscribe", channels);
    } catch {
      // the node no longer serves the slot, or is gone: nothing to leave
    }
  }

  /** The link to `address`, connecting it when new. */
  async #link(address: NodeAddress): Promise<NodeLink> {
    const key = addressKey(address);
    let link = this.#links.get(key);
    if (link !== undefined) {
      await link.conn?.waitReady();
      return link;
    }
    link = new NodeLink(key, address);
    this.#links.set(key, link);
    const l = link;
    try {
      l.conn = await Connection.open(this.#router.options(address), {
        onFrame: (frame) => this.#onFrame(l, frame),
        afterConnect: (conn) => {
          l.conn = conn;
          return this.#resubscribe(l);
        },
        onClosed: () => this.#onLinkClosed(l),
      });
    } catch (e) {
      if (this.#links.get(key) === l) this.#links.delete(key);
      throw e;
    }
    this.#watch(l);
    return l;
  }

  /** On a lost connection: refresh the map (a failover moves the channels elsewhere). */
  #watch(link: NodeLink): void {
    const rx = link.conn.watchState();
    (async () => {
      try {
        for (;;) {
          await rx.changed();
          // While it is away, re-read the map: after a failover its channels move on.
          while (rx.borrow() === "reconnecting" && !this.#closing && !this.#router.closed()) {
            await this.#router.refresh().catch(() => {});
            await delay(200);
          }
        }
      } catch {
        // closed
      } finally {
        rx.close();
      }
    })();
  }

  /** After a reconnection: subscribe the link's channels again (those it can no longer serve are rehomed). */
  async #resubscribe(link: NodeLink): Promise<void> {
    const stale = link.ops;
    link.ops = [];
    for (const op of stale) op.resolve(); // the wanted set is what counts now
    const groups = bySlot([...link.channels]);
    const results = await Promise.allSettled(
      [...groups.values()].map((g) => this.#command(link, "ssubscribe", g, true)),
    );
    if (results.some((r) => r.status === "rejected")) {
      for (const [i, g] of [...groups.values()].entries()) {
        if (results[i].status !== "rejected") continue;
        for (const c of g) {
          link.channels.delete(c);
          if (this.#home.get(c) === link) this.#home.delete(c);
        }
      }
      queueMicrotask(() => this.#rehome());
    }
    this.#flow();
  }

  #onLinkClosed(link: NodeLink): void {
    for (const op of link.ops) op.reject(new ConnectionError("Connection is closed"));
    link.ops = [];
    if (this.#links.get(link.key) === link) this.#links.delete(link.key);
    for (const c of link.channels) if (this.#home.get(c) === link) this.#home.delete(c);
    link.channels.clear();
    if (!this.#closing) this.#rehome();
  }

  /** Moves every wanted channel to the node the slot map names for it (serialised). */
  #rehome(): void {
    if (this.#closing) return;
    if (this.#router.closed()) {
      void this.close();
      return;
    }
    if (this.#rehoming !== undefined) {
      this.#rehomeAgain = true;
      return;
    }
    this.#rehoming = (async () => {
      do {
        this.#rehomeAgain = false;
        const misplaced: string[] = [];
        for (const c of this.#wanted) {
          const home = this.#home.get(c);
          const owner = this.#router.ownerOf(keySlot(c));
          if (home === undefined || owner === undefined || addressKey(owner) !== home.key) {
            misplaced.push(c);
          }
        }
        if (misplaced.length !== 0) {
          await Promise.allSettled([...bySlot(misplaced).values()].map((g) => this.#place(g)));
        }
        await this.#closeIdleLinks();
      } while (this.#rehomeAgain && !this.#closing);
    })().finally(() => this.#rehoming = undefined);
  }

  async #closeIdleLinks(): Promise<void> {
    const idle: NodeLink[] = [];
    for (const [key, link] of this.#links) {
      if (link.channels.size === 0 && link.ops.length === 0 && link.conn !== undefined) {
        this.#links.delete(key);
        idle.push(link);
      }
    }
    await Promise.all(
      idle.map((l) => l.conn.state === "ready" ? l.conn.close() : l.conn.destroy()),
    );
  }

  /**
   * Writes `SSUBSCRIBE`/`SUNSUBSCRIBE` for same-slot channels and waits for
   * every confirmation, or rejects with the command's error reply.
   */
  async #command(
    link: NodeLink,
    kind: "ssubscribe" | "sunsubscribe",
    channels: string[],
    during = false,
  ): Promise<void> {
    if (!during) await link.conn.waitReady();
    const done = new Promise<void>((resolve, reject) => {
      link.ops.push({ kind, pending: new Set(channels), resolve, reject });
      if (this.#paused) this.#flow();
    });
    const args: Arg[] = [kind.toUpperCase(), ...channels];
    try {
      await link.conn.writeUnanswered([args]);
    } catch {
      // Lost before writing: the reconnection subscribes to the link's channels.
    }
    return done;
  }

  #onFrame(link: NodeLink, frame: Frame): boolean {
    if (frame instanceof ReplyError) {
      // An error for our command (handshake errors belong to requests in flight).
      if (link.conn !== undefined && link.conn.inFlight !== 0) return false;
      const op = link.ops.shift();
      if (op === undefined) return false;
      op.reject(frame);
      return true;
    }
    let items: Frame[];
    if (frame instanceof Push) items = frame.items;
    else if (Array.isArray(frame) && frame.length >= 3) items = frame;
    else return false;
    const head = items[0];
    if (!(head instanceof Uint8Array)) return false;
    const kind = fromUtf8(head);
    const channel = items[1] instanceof Uint8Array ? fromUtf8(items[1]) : null;
    switch (kind) {
      case "smessage": {
        const payload = items[2] instanceof Uint8Array ? items[2] : new Uint8Array();
        if (channel === null) return true;
        try {
          this.#tx.trySend({ channel, payload: fromUtf8(payload), bytes: payload });
        } catch {
          return true; // closing
        }
        if (this.#rx.length >= this.#maxQueued) this.#flow();
        return true;
      }
      case "ssubscribe":
      case "sunsubscribe": {
        const op = link.ops.find((o) =>
          o.kind === kind && channel !== null && o.pending.has(channel)
        );
        if (op !== undefined) {
          op.pending.delete(channel!);
          if (op.pending.size === 0) {
            link.ops.splice(link.ops.indexOf(op), 1);
            op.resolve();
            if (this.#paused) this.#flow();
          }
        } else if (kind === "sunsubscribe" && channel !== null) {
          // The server dropped it (its slot moved): subscribe again where it lives now.
          link.channels.delete(channel);
          if (this.#home.get(channel) === link) this.#home.delete(channel);
          if (this.#wanted.has(channel)) {
            void this.#router.refresh().catch(() => {}).then(() => this.#rehome());
          }
        }
        return true;
      }
      default:
        return false;
    }
  }

  /** Pauses reading while `maxQueued` messages wait unread and no command waits; resumes otherwise. */
  #flow(): void {
    let waiting = false;
    for (const l of this.#links.values()) if (l.ops.length !== 0) waiting = true;
    const pause = this.#rx.length >= this.#maxQueued && !waiting && !this.#closing;
    if (pause === this.#paused) return;
    this.#paused = pause;
    for (const l of this.#links.values()) {
      if (l.conn === undefined) continue;
      if (pause) l.conn.pause();
      else l.conn.resume();
    }
  }
}

/** Groups channels by slot (one SSUBSCRIBE per slot). */
function bySlot(channels: string[]): Map<number, string[]> {
  const out = new Map<number, string[]>();
  for (const c of channels) {
    const slot = keySlot(c);
    let list = out.get(slot);
    if (list === undefined) out.set(slot, list = []);
    if (!list.includes(c)) list.push(c);
  }
  return out;
}

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
