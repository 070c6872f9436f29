/**
 * {@linkcode ClusterClient}: the client for a Redis Cluster (or a Valkey
 * cluster). One {@linkcode BufferedClient} per node, the seeds' manager task
 * each, so concurrent callers whose keys live on the same node share one
 * pipelined connection; commands are routed by the slot of their keys.
 *
 * ```
 * caller -> key specs (COMMAND) -> keys -> CRC16 slot -> slot map -> node's BufferedClient
 *        <- reply, or MOVED/ASK/TRYAGAIN/CLUSTERDOWN -> update the map / wait -> again
 * ```
 *
 * @module
 */

import { type Frame, ReplyError } from "../resp/frame.ts";
import { oneshot } from "../channels/mod.ts";
import {
  type Arg,
  asArray,
  asNumber,
  asString,
  type CommandOptions,
  Commands,
  type ScanOptions,
  type Value,
} from "./commands.ts";
import { BufferedClient, type BufferedOptions } from "./buffered.ts";
import { Client, connectionOf } from "./client.ts";
import { arm, Connection, Deadlines, Failure, type Reply, Request } from "./connection.ts";
import { ConnectionError } from "./errors.ts";
import {
  type Address,
  type ClientOptions,
  type ResolvedOptions,
  resolveOptions,
} from "./options.ts";
import { type CommandInfo, CommandTable, CROSSSLOT, NO_SLOT } from "./cluster_commands.ts";
import { addressKey, type NodeAddress, Topology } from "./cluster_topology.ts";
import { ShardedSubscriber, type ShardRouter } from "./cluster_pubsub.ts";

/** A seed node: `"host:port"`, a `redis://` URL, or `{ hostname, port }`. */
export type Seed = Address;

/** Options of a {@linkcode ClusterClient} besides the connection and buffering ones. */
export interface ClusterOptions {
  /**
   * Where read-only commands go: `"master"` (default) or `"replica"`: a
   * replica of the key's shard (its connection sends `READONLY`), the master
   * when the shard has none.
   */
  readFrom?: "master" | "replica";
  /**
   * How many times one command may be redirected or retried (MOVED, ASK,
   * TRYAGAIN, CLUSTERDOWN, a node that left) before it rejects with a
   * {@linkcode ClusterError}. Default 16.
   */
  maxRedirections?: number;
  /** Period in ms of the slot-map refresh (default 5,000; 0: only on MOVED and connection loss). */
  refreshInterval?: number;
  /** First delay in ms before retrying after TRYAGAIN, CLUSTERDOWN or an unreachable node (doubled per retry, capped at 1 s). Default 100. */
  retryDelay?: number;
  /** How many messages a sharded subscriber (`ssubscribe`) keeps unread before it stops reading (default 1024). */
  maxQueued?: number;
}

/** Everything {@linkcode ClusterClient.connect} takes: each node's connection options, buffering, cluster options. */
export type ClusterClientOptions = ClientOptions & BufferedOptions & ClusterOptions;

/**
 * The cluster could not serve a command: too many redirections, or no node
 * could be reached. `cause` holds the last error.
 *
 * @example
 * ```ts
 * import { ClusterError } from "./cluster.ts";
 * const e = new ClusterError("Too many Cluster redirections");
 * console.log(e.name); // "ClusterError"
 * ```
 */
export class ClusterError extends Error {
  /**
   * Creates the error.
   *
   * @param message what went wrong
   * @param options `cause`: the last error
   */
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "ClusterError";
  }
}

/** The reason given when a node that left the slot map is closed: its unwritten commands are routed again. */
const NODE_GONE = new Error("the node left the cluster's slot map");
/** Errors of commands that were never written (safe to route again). */
const unsentErrors = new WeakSet<object>();

function markUnsent<T>(e: T): T {
  if (typeof e === "object" && e !== null) unsentErrors.add(e);
  return e;
}

function isUnsent(e: unknown): boolean {
  return e instanceof ConnectionError && (e.cause === NODE_GONE || unsentErrors.has(e));
}

/** Commands that change the state of a connection shared by many callers: refused by `send`. */
const CONNECTION_STATE = new Set([
  "multi",
  "exec",
  "discard",
  "watch",
  "unwatch",
  "subscribe",
  "psubscribe",
  "unsubscribe",
  "punsubscribe",
  "ssubscribe",
  "sunsubscribe",
  "select",
  "quit",
  "reset",
  "monitor",
  "readonly",
  "readwrite",
  "asking",
]);

/** One node of the cluster and its (lazily opened) BufferedClient. */
class Node {
  client: BufferedClient | undefined = undefined;
  opening: Promise<BufferedClient> | undefined = undefined;
  dropped = false;
  constructor(readonly key: string, readonly address: NodeAddress) {}
}

/** Parses the target of `MOVED slot host:port` / `ASK slot host:port`. */
function redirection(
  message: string,
  from: NodeAddress,
): { slot: number; to: NodeAddress } | undefined {
  const parts = message.split(" ");
  if (parts.length < 3) return undefined;
  const target = parts[2];
  const colon = target.lastIndexOf(":");
  if (colon === -1) return undefined;
  let host = target.slice(0, colon);
  if (host.startsWith("[") && host.endsWith("]")) host = host.slice(1, -1);
  const port = Number(target.slice(colon + 1));
  const slot = Number(parts[1]);
  if (!Number.isInteger(port) || !Number.isInteger(slot)) return undefined;
  return { slot, to: { hostname: host === "" || host === "?" ? from.hostname : host, port } };
}

/** Replies of a batch written together: frames, or failures of commands lost after writing. */
type BatchReply = Frame | Failure;

/**
 * A client for a Redis Cluster, with the command methods and `send()` of
 * {@linkcode BufferedClient}.
 *
 * - Keys are found with the key specs the cluster reports (`COMMAND`), not a
 *   hard-coded list; the slot is CRC16 of the key (or of its `{hash tag}`)
 *   mod 16384, and the slot map comes from `CLUSTER SHARDS` (or `CLUSTER
 *   SLOTS`), refreshed on MOVED, on connection loss and every
 *   `refreshInterval` ms.
 * - One BufferedClient per node (opened on first use): callers whose keys
 *   live on the same node are pipelined together on its connection.
 * - `MOVED` updates the map and retries there; `ASK` sends `ASKING` and the
 *   command once to the named node without updating the map; `TRYAGAIN` and
 *   `CLUSTERDOWN` retry with backoff; after `maxRedirections` a
 *   {@linkcode ClusterError}.
 * - A node lost: commands already written reject with a `ConnectionError`
 *   (never resent, they may not be idempotent); commands not yet written
 *   wait for the node to come back, or are routed again once the slot map
 *   names another node for their slot (after a failover).
 * - Multi-key commands whose keys hash to different slots reject before
 *   anything is sent, with Redis's `CROSSSLOT Keys in request don't hash to
 *   the same slot`. Keyless commands go to a random master, or to every
 *   master when Redis says so (`KEYS`, `DBSIZE`, `FLUSHALL`, ... through
 *   their request/response policy tips) and the replies are combined.
 * - {@linkcode ClusterClient.transaction} (MULTI/EXEC) and
 *   {@linkcode ClusterClient.pipeline} are pinned to the node of their slot.
 * - `subscribe`/`psubscribe` open a subscriber on one node (cluster
 *   pub/sub reaches every node); {@linkcode ClusterClient.ssubscribe} opens
 *   a sharded subscriber that follows its channels' slots.
 *
 * @example
 * ```ts ignore
 * import { ClusterClient } from "./mod.ts";
 * await using cluster = await ClusterClient.connect(["127.0.0.1:7000", "127.0.0.1:7001"]);
 * await cluster.set("{user:1}:name", "Ada");
 * await cluster.mget("{user:1}:name", "{user:1}:email"); // same slot: one node
 * ```
 */
export class ClusterClient extends Commands implements AsyncDisposable {
  readonly #options: ClusterClientOptions;
  readonly #seeds: NodeAddress[];
  readonly #readFrom: "master" | "replica";
  readonly #maxRedirections: number;
  readonly #retryDelay: number;
  readonly #deadlines: Deadlines | undefined;
  #topology = new Topology();
  #commands: CommandTable | undefined = undefined;
  #nodes = new Map<string, Node>();
  /** Master node per shard index of the topology. */
  #masters: Node[] = [];
  /** Replica nodes per shard index. */
  #replicas: Node[][] = [];
  #roundRobin = 0;
  #refreshing: Promise<void> | undefined = undefined;
  #refreshAgain = false;
  #lastRefresh = 0;
  #recovering = false;
  #timer: ReturnType<typeof setInterval> | undefined = undefined;
  #sleeps = new Set<{ timer: ReturnType<typeof setTimeout>; resolve: () => void }>();
  #listeners = new Set<() => void>();
  /** MOVED replies not yet confirmed by a map read after them. */
  #recentMoves = new Map<number, { to: NodeAddress; at: number }>();
  #preferredSource: NodeAddress | undefined = undefined;
  #closing = false;
  #closed: Promise<void> | undefined = undefined;

  /**
   * Connects to the cluster through the first seed that answers: reads its
   * slot map and command table. Rejects with a `ConnectionError` when no seed
   * can be reached, or with the `ReplyError` of a server that is not in
   * cluster mode (`ERR This instance has cluster support disabled`).
   */
  static async connect(
    seeds: Seed | Seed[],
    options: ClusterClientOptions = {},
  ): Promise<ClusterClient> {
    const list = Array.isArray(seeds) ? seeds : [seeds];
    if (list.length === 0) throw new TypeError("ClusterClient.connect needs at least one seed");
    const addresses = list.map((s) => {
      const o = resolveOptions(s, options);
      return { hostname: o.hostname, port: o.port };
    });
    const client = new ClusterClient(addresses, options);
    try {
      await client.#bootstrap();
    } catch (e) {
      await client.close();
      throw e;
    }
    return client;
  }

  private constructor(seeds: NodeAddress[], options: ClusterClientOptions) {
    super();
    this.#seeds = seeds;
    this.#options = options;
    this.#readFrom = options.readFrom ?? "master";
    this.#maxRedirections = options.maxRedirections ?? 16;
    this.#retryDelay = options.retryDelay ?? 100;
    const ms = options.commandTimeout ?? 0;
    this.#deadlines = ms > 0 ? new Deadlines(ms) : undefined;
  }

  // ---- public surface --------------------------------------------------------------------

  /** `host:port` of the masters that serve slots, as the client currently knows them. */
  get masters(): string[] {
    return this.#topology.masters().map(addressKey);
  }

  /** `host:port` of the master serving `slot` (0-16383) in the client's slot map, if any. */
  masterOf(slot: number): string | undefined {
    const shard = this.#topology.shardOf(slot);
    return shard === undefined ? undefined : addressKey(shard.master);
  }

  /** Re-reads the slot map now (it is also refreshed on MOVED, on connection loss and periodically). */
  refresh(): Promise<void> {
    return this.#refresh(true);
  }

  /**
   * Sends any command to the node serving its keys' slot and follows
   * redirections; see {@linkcode Commands.send}. Rejects at once with
   * `CROSSSLOT` when the keys hash to different slots.
   */
  send(args: readonly Arg[], options?: CommandOptions): Promise<Frame> {
    if (this.#closing) return Promise.reject(new ConnectionError("Connection is closed"));
    let info: CommandInfo | undefined;
    let slot = NO_SLOT;
    const table = this.#commands;
    if (table !== undefined) {
      info = table.lookup(args);
      if (info !== undefined) {
        try {
          slot = table.slot(info, args);
        } catch (e) {
          return Promise.reject(e);
        }
        if (slot === NO_SLOT) {
          if (CONNECTION_STATE.has(info.name)) return Promise.reject(stateError(info.name));
          const policy = info.requestPolicy;
          if (policy === "all_shards" || policy === "all_nodes") {
            if (info.responsePolicy !== "special") return this.#fanOut(info, args, options);
          }
        } else if (info.first > 0 && CONNECTION_STATE.has(info.name)) {
          return Promise.reject(stateError(info.name));
        }
      }
    }
    const replica = this.#readFrom === "replica" && info !== undefined && info.readonly;
    const node = this.#pick(slot, replica);
    const client = node?.client;
    if (client !== undefined) {
      return client.send(args, options).then(
        undefined,
        (e) => this.#retry(args, options, slot, replica, e, node!),
      );
    }
    return this.#retry(args, options, slot, replica, undefined, node);
  }

  /**
   * Sends `commands` as one pipeline to the node serving their slot (every
   * key of every command must hash to the same slot, else `CROSSSLOT`
   * before sending). Resolves with one entry per command: its reply, or its
   * `ReplyError` as a value. Commands redirected (MOVED, ASK, TRYAGAIN)
   * are sent again, together, to the new node. Rejects with a
   * `ConnectionError` if the connection is lost after writing.
   *
   * @example
   * ```ts ignore
   * const [a, b] = await cluster.pipeline([["INCR", "{n}a"], ["INCR", "{n}b"]]);
   * ```
   */
  async pipeline(
    commands: readonly (readonly Arg[])[],
    options?: CommandOptions,
  ): Promise<(Frame | ReplyError)[]> {
    if (commands.length === 0) return [];
    const slot = this.#slotOfAll(commands);
    const results: (Frame | ReplyError)[] = new Array(commands.length);
    let todo = commands.map((_, i) => i);
    let target: { node: Node; asking: boolean } | undefined;
    let lastError: unknown;
    for (let attempt = 0; attempt <= this.#maxRedirections; attempt++) {
      const node = target?.node ?? this.#pick(slot, false);
      const asking = target?.asking ?? false;
      target = undefined;
      let replies: BatchReply[];
      try {
        const batch: (readonly Arg[])[] = [];
        for (const i of todo) {
          if (asking) batch.push(["ASKING"]);
          batch.push(commands[i]);
        }
        replies = await this.#batch(node, batch, options);
        if (asking) replies = replies.filter((_, i) => i % 2 === 1);
      } catch (e) {
        lastError = e;
        await this.#afterFailure(e, attempt);
        continue;
      }
      const again: number[] = [];
      for (let k = 0; k < todo.length; k++) {
        const r = replies[k];
        if (r instanceof Failure) throw r.reason;
        if (r instanceof ReplyError && isRedirect(r)) {
          again.push(todo[k]);
          lastError = r;
        } else results[todo[k]] = r;
      }
      if (again.length === 0) return results;
      target = await this.#redirect(lastError as ReplyError, node, attempt);
      todo = again;
    }
    throw tooMany(lastError);
  }

  /**
   * `MULTI`, `commands`, `EXEC` on the master serving their slot (every key
   * must hash to the same slot, else `CROSSSLOT` before sending): resolves
   * with EXEC's replies (errors of single commands as `ReplyError` values).
   * When the slot moved (MOVED/ASK/TRYAGAIN while queuing, so nothing ran)
   * it is sent again to the right node. A command refused while queuing
   * rejects with EXEC's `EXECABORT` error, whose `cause` is that command's
   * error.
   *
   * @example
   * ```ts ignore
   * const [n, list] = await cluster.transaction([["INCR", "{u1}visits"], ["LRANGE", "{u1}log", 0, -1]]);
   * ```
   */
  async transaction(
    commands: readonly (readonly Arg[])[],
    options?: CommandOptions,
  ): Promise<(Frame | ReplyError)[]> {
    const slot = this.#slotOfAll(commands);
    let target: { node: Node; asking: boolean } | undefined;
    let lastError: unknown;
    for (let attempt = 0; attempt <= this.#maxRedirections; attempt++) {
      const node = target?.node ?? this.#pick(slot, false);
      const asking = target?.asking ?? false;
      target = undefined;
      const batch: (readonly Arg[])[] = asking ? [["ASKING"], ["MULTI"]] : [["MULTI"]];
      batch.push(...commands, ["EXEC"]);
      let replies: BatchReply[];
      try {
        replies = await this.#batch(node, batch, options);
      } catch (e) {
        lastError = e;
        await this.#afterFailure(e, attempt);
        continue;
      }
      for (const r of replies) if (r instanceof Failure) throw r.reason;
      const exec = replies[replies.length - 1];
      const queued = replies.slice(asking ? 2 : 1, -1);
      const redirect = queued.find((r): r is ReplyError =>
        r instanceof ReplyError && isRedirect(r)
      );
      if (redirect !== undefined) {
        lastError = redirect;
        target = await this.#redirect(redirect, node, attempt);
        continue;
      }
      if (exec instanceof ReplyError) {
        const cause = queued.find((r) => r instanceof ReplyError);
        if (cause !== undefined) exec.cause = cause;
        throw exec;
      }
      const first = replies[asking ? 1 : 0];
      if (first instanceof ReplyError) throw first;
      return asArray(exec as Frame) as (Frame | ReplyError)[];
    }
    throw tooMany(lastError);
  }

  /** `SPUBLISH shardchannel message`: publishes to the shard of the channel's slot; how many received it. */
  async spublish(channel: Value, message: Value, options?: CommandOptions): Promise<number> {
    return asNumber(await this.send(["SPUBLISH", channel, message], options));
  }

  /**
   * Opens a {@linkcode ShardedSubscriber} subscribed (`SSUBSCRIBE`) to
   * `channels`: one connection per node that serves some of them; channels
   * follow their slot when it moves or fails over.
   */
  ssubscribe(...channels: string[]): Promise<ShardedSubscriber> {
    return ShardedSubscriber.open(this.#router(), channels, { maxQueued: this.#options.maxQueued });
  }

  /**
   * Iterates over every key of every master with `SCAN` (a key may be seen
   * twice, as with SCAN, or be missed if its slot moves meanwhile).
   */
  override async *scanIterator(options?: ScanOptions): AsyncGenerator<string> {
    for (const address of this.#topology.masters()) {
      const node = this.#node(address);
      let cursor = "0";
      do {
        const args: Arg[] = ["SCAN", cursor];
        if (options?.match !== undefined) args.push("MATCH", options.match);
        if (options?.count !== undefined) args.push("COUNT", options.count);
        if (options?.type !== undefined) args.push("TYPE", options.type);
        const client = await this.#open(node);
        const [next, keys] = asArray(
          await client.send(args, { signal: options?.signal, timeout: options?.timeout }),
        );
        for (const k of asArray(keys)) yield asString(k) ?? "";
        cursor = asString(next) ?? "0";
      } while (cursor !== "0");
    }
  }

  /**
   * Closes every node's connection (commands already queued are answered
   * first) and stops refreshing the slot map. Idempotent.
   */
  close(): Promise<void> {
    this.#closed ??= (async () => {
      this.#closing = true;
      if (this.#timer !== undefined) clearInterval(this.#timer);
      for (const s of this.#sleeps) {
        clearTimeout(s.timer);
        s.resolve();
      }
      this.#sleeps.clear();
      await this.#refreshing?.catch(() => {});
      const nodes = [...this.#nodes.values()];
      this.#nodes.clear();
      await Promise.all(nodes.map((n) => this.#closeNode(n, false)));
      this.#deadlines?.clear();
      for (const l of this.#listeners) l();
      this.#listeners.clear();
    })();
    return this.#closed;
  }

  /** Same as {@linkcode ClusterClient.close}, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** Options of a random master (used by `subscribe`/`psubscribe` for their own connection). */
  protected connectionOptions(): ResolvedOptions {
    const masters = this.#topology.masters();
    const a = masters.length === 0
      ? this.#seeds[0]
      : masters[Math.floor(Math.random() * masters.length)];
    return resolveOptions(a, this.#options);
  }

  // ---- routing ---------------------------------------------------------------------------

  /** The node for `slot` (a random master when there is none), replica when asked and possible. */
  #pick(slot: number, replica: boolean): Node {
    const index = slot === NO_SLOT ? -1 : this.#topology.owner[slot];
    if (index >= 0) {
      if (replica) {
        const replicas = this.#replicas[index];
        if (replicas.length !== 0) return replicas[this.#roundRobin++ % replicas.length];
      }
      return this.#masters[index];
    }
    const masters = this.#masters;
    if (masters.length !== 0) return masters[Math.floor(Math.random() * masters.length)];
    return this.#node(this.#seeds[Math.floor(Math.random() * this.#seeds.length)]);
  }

  /** The common slot of every command of a pipeline or transaction (NO_SLOT when keyless). */
  #slotOfAll(commands: readonly (readonly Arg[])[]): number {
    let slot = NO_SLOT;
    const table = this.#commands;
    if (table === undefined) return slot;
    for (const args of commands) {
      const info = table.lookup(args);
      if (info === undefined) continue;
      const s = table.slot(info, args);
      if (s === NO_SLOT) continue;
      if (slot !== NO_SLOT && s !== slot) throw new ReplyError(CROSSSLOT);
      slot = s;
    }
    return slot;
  }

  /** The retry loop of one command after its first attempt failed (or could not start). */
  async #retry(
    args: readonly Arg[],
    options: CommandOptions | undefined,
    slot: number,
    replica: boolean,
    error: unknown,
    node: Node,
  ): Promise<Frame> {
    let target: { node: Node; asking: boolean } | undefined;
    for (let attempt = 0;; attempt++) {
      if (error !== undefined) {
        if (attempt >= this.#maxRedirections) throw tooMany(error);
        if (error instanceof ReplyError) {
          if (isRedirect(error)) target = await this.#redirect(error, node, attempt);
          else if (error.code === "LOADING" && replica) replica = false;
          else throw error;
        } else if (isUnsent(error)) {
          await this.#afterFailure(error, attempt);
        } else {
          if (error instanceof ConnectionError) void this.#refresh(false).catch(() => {});
          throw error;
        }
        error = undefined;
      }
      const signal = options?.signal;
      if (signal !== undefined && signal.aborted) throw signal.reason;
      if (this.#closing) throw new ConnectionError("Connection is closed");
      node = target?.node ?? this.#pick(slot, replica);
      const asking = target?.asking ?? false;
      target = undefined;
      try {
        if (!asking) {
          const client = node.client ?? await this.#open(node);
          return await client.send(args, options);
        }
        const [ok, reply] = await this.#batch(node, [["ASKING"], args], options);
        if (ok instanceof Failure) throw ok.reason;
        if (reply instanceof Failure) throw reply.reason;
        if (reply instanceof ReplyError) throw reply;
        return reply;
      } catch (e) {
        error = e;
      }
    }
  }

  /**
   * Acts on a MOVED / ASK / TRYAGAIN / CLUSTERDOWN reply from `node`: returns
   * where to send next (`undefined`: route by the slot map again).
   */
  async #redirect(
    error: ReplyError,
    node: Node,
    attempt: number,
  ): Promise<{ node: Node; asking: boolean } | undefined> {
    const code = error.code;
    if (code === "MOVED" || code === "ASK") {
      const r = redirection(error.message, node.address);
      if (r === undefined) throw error;
      if (code === "MOVED") {
        this.#moved(r.slot, r.to);
        return { node: this.#node(r.to), asking: false };
      }
      return { node: this.#node(r.to), asking: true };
    }
    // TRYAGAIN (keys of a slot being migrated are split) or CLUSTERDOWN.
    if (code === "CLUSTERDOWN") void this.#refresh(false).catch(() => {});
    await this.#sleep(this.#backoff(attempt));
    return undefined;
  }

  /** After a failure before writing (node unreachable or gone): refresh the map, wait, route again. */
  async #afterFailure(error: unknown, attempt: number): Promise<void> {
    if (!isUnsent(error) && !(error instanceof ReplyError && isRedirect(error))) throw error;
    if (attempt >= this.#maxRedirections) throw tooMany(error);
    if (error instanceof ConnectionError && error.cause === NODE_GONE) {
      // The map already changed: route again at once.
      return;
    }
    await this.#refresh(false).catch(() => {});
    await this.#sleep(this.#backoff(attempt));
  }

  #backoff(attempt: number): number {
    return Math.min(1_000, this.#retryDelay * 2 ** Math.min(attempt, 10));
  }

  /** MOVED: the slot is served by `to` from now on; the whole map is refreshed soon. */
  #moved(slot: number, to: NodeAddress): void {
    this.#patch(slot, to);
    // A map read before this MOVED must not undo it (see #apply); the new
    // owner is asked first, as it knows best about the slot.
    this.#recentMoves.set(slot, { to, at: performance.now() });
    this.#preferredSource = to;
    void this.#refresh(false).catch(() => {});
  }

  /** Points `slot` at `to` in the current map. */
  #patch(slot: number, to: NodeAddress): void {
    const t = this.#topology;
    const before = t.shards.length;
    t.move(slot, to);
    for (let i = before; i < t.shards.length; i++) {
      this.#masters.push(this.#node(t.shards[i].master));
      this.#replicas.push([]);
    }
  }

  /** Sends to every master (all_shards) or every node (all_nodes) and combines the replies. */
  async #fanOut(info: CommandInfo, args: readonly Arg[], options?: CommandOptions): Promise<Frame> {
    const addresses = info.requestPolicy === "all_nodes"
      ? this.#topology.addresses()
      : this.#topology.masters();
    if (addresses.length === 0) {
      const node = this.#pick(NO_SLOT, false);
      return (await this.#open(node)).send(args, options);
    }
    const settled = await Promise.allSettled(
      addresses.map(async (a) => (await this.#open(this.#node(a))).send(args, options)),
    );
    const replies: Frame[] = [];
    const errors: unknown[] = [];
    for (const s of settled) {
      if (s.status === "fulfilled") replies.push(s.value);
      else errors.push(s.reason);
    }
    const policy = info.responsePolicy;
    if (policy === "one_succeeded") {
      if (replies.length !== 0) return replies[0];
      throw errors[0];
    }
    if (errors.length !== 0) throw errors[0];
    switch (policy) {
      case "agg_sum":
        return replies.reduce((sum: number, r) => sum + asNumber(r), 0);
      case "agg_min":
        return Math.min(...replies.map(asNumber));
      case "agg_max":
        return Math.max(...replies.map(asNumber));
      case "agg_logical_and":
        return replies.every((r) => asNumber(r) !== 0) ? 1 : 0;
      case "agg_logical_or":
        return replies.some((r) => asNumber(r) !== 0) ? 1 : 0;
      case "all_succeeded":
        return replies[0];
    }
    // No response policy: arrays are concatenated, anything else is the first non-null reply.
    if (replies.every((r) => Array.isArray(r))) return (replies as Frame[][]).flat();
    return replies.find((r) => r !== null) ?? null;
  }

  // ---- nodes -----------------------------------------------------------------------------

  /** The node at `address` (created, not connected, when new). */
  #node(address: NodeAddress): Node {
    const key = addressKey(address);
    let node = this.#nodes.get(key);
    if (node === undefined) {
      node = new Node(key, address);
      this.#nodes.set(key, node);
    }
    return node;
  }

  /** The node's BufferedClient, connecting it first if needed. Failures are "unsent". */
  #open(node: Node): Promise<BufferedClient> {
    if (node.client !== undefined) return Promise.resolve(node.client);
    if (node.dropped || this.#closing) {
      return Promise.reject(
        markUnsent(new ConnectionError("Connection is closed", { cause: NODE_GONE })),
      );
    }
    node.opening ??= this.#connectNode(node).then((client) => {
      node.opening = undefined;
      if (node.dropped || this.#closing) {
        void client.close();
        throw markUnsent(new ConnectionError("Connection is closed", { cause: NODE_GONE }));
      }
      node.client = client;
      this.#watch(node, client);
      return client;
    }, (e) => {
      node.opening = undefined;
      throw markUnsent(e);
    });
    return node.opening;
  }

  async #connectNode(node: Node): Promise<BufferedClient> {
    const options = resolveOptions(node.address, this.#options);
    const conn = await Connection.open(
      options,
      this.#readFrom === "replica"
        ? {
          afterConnect: async (c) => {
            await c.call([["READONLY"]]);
          },
        }
        : {},
    );
    return BufferedClient.from(new Client(conn), this.#options);
  }

  /** Refreshes the map whenever the node's connection is lost. */
  #watch(node: Node, client: BufferedClient): void {
    const rx = client.watchState();
    (async () => {
      try {
        for (;;) {
          await rx.changed();
          const state = rx.borrow();
          if (state === "closed") {
            if (this.#nodes.get(node.key) === node && !node.dropped) {
              // It gave up reconnecting: the next command opens a new connection.
              node.client = undefined;
            }
            return;
          }
          if (state !== "ready") this.#recover();
        }
      } catch {
        // the connection is closed
      } finally {
        rx.close();
      }
    })();
  }

  /** While some node is unreachable, refresh the map regularly until it is back or replaced. */
  #recover(): void {
    if (this.#recovering || this.#closing) return;
    this.#recovering = true;
    (async () => {
      try {
        while (!this.#closing) {
          await this.#refresh(true).catch(() => {});
          let down = false;
          for (const n of this.#nodes.values()) {
            if (n.client !== undefined && n.client.state !== "ready") down = true;
          }
          if (!down) break;
          await this.#sleep(Math.max(50, this.#retryDelay));
        }
      } finally {
        this.#recovering = false;
      }
    })();
  }

  async #closeNode(node: Node, reroute: boolean): Promise<void> {
    node.dropped = true;
    const client = node.client ?? await node.opening?.catch(() => undefined);
    node.client = undefined;
    if (client === undefined) return;
    if (reroute && client.state !== "ready") {
      // Nothing of ours is written while it is not ready: what waits there is routed again.
      await client.client.destroy(NODE_GONE);
    }
    await client.close();
  }

  // ---- topology --------------------------------------------------------------------------

  async #bootstrap(): Promise<void> {
    let lastError: unknown;
    for (const seed of this.#seeds) {
      try {
        const { topology, commands } = await this.#fetch(seed, true);
        this.#commands = commands;
        this.#apply(topology);
        const every = this.#options.refreshInterval ?? 5_000;
        if (every > 0) {
          this.#timer = setInterval(() => void this.#refresh(false).catch(() => {}), every);
        }
        return;
      } catch (e) {
        if (e instanceof ReplyError) throw e;
        lastError = e;
      }
    }
    throw lastError instanceof ConnectionError ? lastError : new ConnectionError(
      `Could not connect to any cluster seed: ${String(lastError)}`,
      { cause: lastError },
    );
  }

  /** Reads the slot map (and, when asked, the command table) from the node at `address`. */
  async #fetch(
    address: NodeAddress,
    withCommands: boolean,
  ): Promise<{ topology: Topology; commands?: CommandTable }> {
    const node = this.#nodes.get(addressKey(address));
    const live = node?.client !== undefined && node.client.state === "ready"
      ? node.client
      : undefined;
    const timeout = Math.min(this.#options.connectTimeout ?? 10_000, 5_000);
    let temp: Client | undefined;
    try {
      let send: (args: Arg[]) => Promise<Frame>;
      if (live !== undefined) send = (args) => live.send(args, { timeout });
      else {
        temp = await Client.connect(address, {
          ...this.#options,
          reconnect: false,
          connectTimeout: timeout,
          commandTimeout: timeout,
        });
        const c = temp;
        send = (args) => c.send(args);
      }
      let topology: Topology;
      try {
        topology = Topology.fromShards(await send(["CLUSTER", "SHARDS"]), address);
      } catch (e) {
        if (!(e instanceof ReplyError) || e.message.includes("cluster support disabled")) throw e;
        topology = Topology.fromSlots(await send(["CLUSTER", "SLOTS"]), address);
      }
      if (!withCommands) return { topology };
      let commands: CommandTable | undefined;
      try {
        commands = CommandTable.parse(await send(["COMMAND"]));
      } catch (e) {
        if (!(e instanceof ReplyError)) throw e;
      }
      return { topology, commands };
    } finally {
      await temp?.destroy();
    }
  }

  /**
   * Refreshes the slot map (one refresh at a time; `now: false` coalesces
   * refreshes asked within 100 ms of the last one).
   */
  #refresh(now: boolean): Promise<void> {
    if (this.#closing) return Promise.resolve();
    if (this.#refreshing !== undefined) {
      this.#refreshAgain ||= now;
      return this.#refreshing;
    }
    if (!now && performance.now() - this.#lastRefresh < 100) {
      this.#refreshAgain = true;
      this.#refreshing = this.#sleep(100).then(() => this.#doRefresh());
    } else this.#refreshing = this.#doRefresh();
    const p = this.#refreshing;
    p.finally(() => {
      if (this.#refreshing === p) this.#refreshing = undefined;
    }).catch(() => {});
    return p;
  }

  async #doRefresh(): Promise<void> {
    do {
      this.#refreshAgain = false;
      if (this.#closing) return;
      const candidates = this.#refreshSources();
      let lastError: unknown;
      let done = false;
      for (const address of candidates) {
        if (this.#closing) return;
        try {
          const asked = performance.now();
          const { topology } = await this.#fetch(address, false);
          if (topology.shards.length === 0) continue;
          this.#apply(topology, asked);
          done = true;
          break;
        } catch (e) {
          lastError = e;
        }
      }
      this.#lastRefresh = performance.now();
      if (!done) throw lastError ?? new ClusterError("No cluster node could be reached");
    } while (this.#refreshAgain);
  }

  /** Where to read the map from: connected masters first, then other known nodes, then the seeds. */
  #refreshSources(): NodeAddress[] {
    const ready: NodeAddress[] = [];
    const other: NodeAddress[] = [];
    const seen = new Set<string>();
    const add = (a: NodeAddress) => {
      const key = addressKey(a);
      if (seen.has(key)) return;
      seen.add(key);
      const n = this.#nodes.get(key);
      if (n?.client !== undefined && n.client.state === "ready") ready.push(a);
      else other.push(a);
    };
    // The node that just sent a MOVED (it owns the slot now), connected or not.
    const first = this.#preferredSource;
    this.#preferredSource = undefined;
    if (first !== undefined) seen.add(addressKey(first));
    const masters = this.#topology.masters();
    shuffle(masters);
    masters.forEach(add);
    this.#topology.addresses().forEach(add);
    this.#seeds.forEach(add);
    const out = [...ready, ...other].slice(0, 8);
    if (first !== undefined) out.unshift(first);
    return out;
  }

  /** Installs a new slot map; nodes it no longer names are closed (their unwritten commands rerouted). */
  #apply(t: Topology, asked = performance.now()): void {
    this.#topology = t;
    this.#masters = t.shards.map((s) => this.#node(s.master));
    this.#replicas = t.shards.map((s) => s.replicas.map((a) => this.#node(a)));
    // MOVED replies that arrived after this map was asked for are newer than it.
    for (const [slot, move] of this.#recentMoves) {
      if (move.at > asked) this.#patch(slot, move.to);
      else this.#recentMoves.delete(slot);
    }
    const keep = new Set(t.addresses().map(addressKey));
    for (const [key, node] of this.#nodes) {
      if (keep.has(key)) continue;
      this.#nodes.delete(key);
      void this.#closeNode(node, true);
    }
    for (const l of this.#listeners) l();
  }

  #router(): ShardRouter {
    return {
      ownerOf: (slot) => this.#topology.shardOf(slot)?.master,
      refresh: () => this.#refresh(true),
      options: (address) => resolveOptions(address, this.#options),
      onChange: (listener) => {
        this.#listeners.add(listener);
        return () => this.#listeners.delete(listener);
      },
      closed: () => this.#closing,
    };
  }

  /** Writes `commands` together on the node's connection (nothing else in between) and waits for every reply. */
  async #batch(
    node: Node,
    commands: readonly (readonly Arg[])[],
    options: CommandOptions | undefined,
  ): Promise<BatchReply[]> {
    const signal = options?.signal;
    if (signal !== undefined && signal.aborted) throw signal.reason;
    const client = await this.#open(node);
    const conn = connectionOf(client.client);
    const reqs: Request[] = [];
    const replies: Promise<Reply>[] = [];
    for (const args of commands) {
      const [tx, rx] = oneshot.channel<Reply>();
      const req = new Request(args, tx);
      arm(req, options, this.#deadlines);
      reqs.push(req);
      replies.push(Promise.resolve(rx));
    }
    for (;;) {
      if (conn.state !== "ready") {
        try {
          await conn.waitReady();
        } catch (e) {
          throw markUnsent(e);
        }
      }
      const n = await conn.write(reqs);
      if (n >= 0) break;
    }
    const out = await Promise.all(replies);
    // Aborts and timeouts reject the batch as a whole.
    for (const r of out) {
      if (r instanceof Failure && !(r.reason instanceof ConnectionError)) throw r.reason;
    }
    return out;
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const entry = {
        timer: setTimeout(() => {
          this.#sleeps.delete(entry);
          resolve();
        }, ms),
        resolve,
      };
      this.#sleeps.add(entry);
    });
  }
}

function isRedirect(e: ReplyError): boolean {
  const c = e.code;
  return c === "MOVED" || c === "ASK" || c === "TRYAGAIN" || c === "CLUSTERDOWN";
}

function tooMany(last: unknown): ClusterError {
  const what = last instanceof Error ? last.message : String(last);
  return new ClusterError(`Too many Cluster redirections or retries (last error: ${what})`, {
    cause: last,
  });
}

function stateError(name: string): TypeError {
  const hint = name === "multi" || name === "exec" || name === "discard"
    ? "use transaction()"
    : name.endsWith("subscribe")
    ? "use subscribe()/psubscribe()/ssubscribe()"
    : "it would change a connection shared by many callers";
  return new TypeError(`${name.toUpperCase()} cannot be sent through a ClusterClient: ${hint}`);
}

function shuffle<T>(a: T[]): void {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [a[i], a[j]] = [a[j], a[i]];
  }
}
