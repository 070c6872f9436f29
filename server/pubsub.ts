/**
 * The pub/sub hub: who is subscribed to what, and the fan-out of published
 * messages to the subscribed connections through one broadcast channel
 * (`channels/broadcast.ts`).
 *
 * Three registries share the channel: channels (SUBSCRIBE/PUBLISH),
 * patterns (PSUBSCRIBE) and shard channels (SSUBSCRIBE/SPUBLISH, Redis 7's
 * sharded pub/sub). Shard channels are a separate namespace: SPUBLISH
 * reaches only shard subscribers of that exact channel (no patterns), as
 * `smessage` frames, and PUBLISH never reaches them.
 *
 * ## How a message travels
 *
 * `PUBLISH` (or a keyspace notification) asks {@linkcode PubSub.publish},
 * which counts the receivers from the registry (channel subscribers plus
 * one per matching pattern subscription, Redis's reply) and, when there is
 * at least one, sends the message once on the hub's broadcast channel.
 * Every connection with subscriptions holds a {@linkcode Subscriber} with
 * a receiver on that channel; it takes the messages, keeps those that
 * match its own channels and patterns, and appends them to the
 * connection's output (`message` frames are encoded once per protocol and
 * shared by all subscribers). The connection writes whatever has
 * accumulated with one write, so a burst of messages costs a few writes,
 * not one per message.
 *
 * A subscriber reads its receiver synchronously (`tryRecv`) at three
 * moments: when woken (a second receiver, the "waker", blocks in `recv()`
 * so that a message wakes the connection without the value being taken
 * out of order), before its own client changes its subscriptions or
 * protocol, and after each of its own commands (so a message published
 * before a command's reply is written before it, as Redis does). The
 * registry therefore always agrees with what each subscriber filters
 * with, and PUBLISH's count is exact.
 *
 * ## Bounded memory
 *
 * The broadcast ring keeps `capacity` messages. Receivers are read as soon
 * as the event loop lets them; a publisher that sends many messages
 * without yielding (a long pipeline, a notification storm from one MSET)
 * triggers a synchronous drain of every subscriber each `capacity / 2`
 * messages, so no receiver lags. Should one lag all the same, it missed
 * messages: its connection is disconnected rather than silently left with
 * a gap. A subscriber whose socket does not keep up accumulates output in
 * its connection, which enforces `client-output-buffer-limit pubsub`.
 *
 * @example
 * ```ts
 * import { PubSub } from "./pubsub.ts";
 * using hub = new PubSub();
 * const enc = new TextEncoder();
 * console.log(hub.publish(enc.encode("news"), enc.encode("hi"))); // 0: nobody listens
 * ```
 *
 * @module
 */

import { broadcast, LaggedError } from "../channels/mod.ts";
import { encode, Push } from "../resp/mod.ts";
import { fromBinary, toBinary, utf8 } from "../resp/bytes.ts";
import type { ClientState } from "./command.ts";
import { globMatch, isMatchAll } from "./glob.ts";
import { copyBytes } from "./alloc.ts";

const MESSAGE = utf8("message");
const PMESSAGE = utf8("pmessage");
const SMESSAGE = utf8("smessage");

/** One published message, as it travels on the hub. */
export class Message {
  /** The channel name. */
  readonly channel: Uint8Array;
  /** The channel name as a binary string (registry key). */
  readonly key: string;
  /** The payload. */
  readonly payload: Uint8Array;
  /** Whether it was published on a shard channel (SPUBLISH: an `smessage`). */
  readonly shard: boolean;
  #resp2: Uint8Array | undefined;
  #resp3: Uint8Array | undefined;

  /**
   * Creates a message.
   *
   * @param channel the channel name (owned: not copied)
   * @param key `toBinary(channel)`
   * @param payload the payload (owned: not copied)
   * @param shard published on a shard channel (SPUBLISH)
   */
  constructor(channel: Uint8Array, key: string, payload: Uint8Array, shard = false) {
    this.channel = channel;
    this.key = key;
    this.payload = payload;
    this.shard = shard;
  }

  /**
   * The `message` (or, for a shard channel, `smessage`) push frame in
   * `protocol`, encoded once and shared by every subscriber.
   */
  encoded(protocol: 2 | 3): Uint8Array {
    if (protocol === 2) return this.#resp2 ??= this.#encode(2);
    return this.#resp3 ??= this.#encode(3);
  }

  #encode(protocol: 2 | 3): Uint8Array {
    const kind = this.shard ? SMESSAGE : MESSAGE;
    return encode(new Push([kind, this.channel, this.payload]), protocol);
  }
}

/** Registry entry: a channel or pattern with its subscribers. */
interface Entry {
  readonly bytes: Uint8Array;
  readonly subs: Set<Subscriber>;
}

/** State shared by the hub and its subscribers. Internal. */
class Registry {
  readonly tx: broadcast.Sender<Message>;
  readonly channels = new Map<string, Entry>();
  readonly patterns = new Map<string, Entry>();
  readonly shardChannels = new Map<string, Entry>();
  /** Subscribers holding receivers (at least one subscription). */
  readonly active = new Set<Subscriber>();

  constructor(capacity: number) {
    const [tx, rx] = broadcast.channel<Message>(capacity);
    // Only subscribers read: the channel's first receiver would otherwise count as a reader
    // that never reads, and every message would stay in the ring until overwritten.
    rx.close();
    this.tx = tx;
  }

  add(map: Map<string, Entry>, key: string, bytes: Uint8Array, sub: Subscriber): void {
    const e = map.get(key);
    if (e === undefined) map.set(key, { bytes, subs: new Set([sub]) });
    else e.subs.add(sub);
  }

  remove(map: Map<string, Entry>, key: string, sub: Subscriber): void {
    const e = map.get(key);
    if (e === undefined) return;
    e.subs.delete(sub);
    if (e.subs.size === 0) map.delete(key);
  }
}

/** Options of a {@linkcode PubSub} hub. */
export interface PubSubOptions {
  /** Messages the broadcast ring keeps (default 4096). */
  capacity?: number;
  /**
   * Drain every subscriber synchronously after this many messages sent
   * without a drain (default `capacity / 2`; `Infinity` disables it, for tests of lagging).
   */
  drainEvery?: number;
}

/**
 * The pub/sub hub of one server: the registry of channel and pattern
 * subscriptions and the broadcast channel that carries messages to the
 * subscribed connections.
 */
export class PubSub implements Disposable {
  readonly #reg: Registry;
  readonly #drainEvery: number;
  #sinceDrain = 0;

  /**
   * Creates a hub with no subscriptions.
   *
   * @param options ring capacity and drain period
   */
  constructor(options: PubSubOptions = {}) {
    const capacity = options.capacity ?? 4096;
    this.#reg = new Registry(capacity);
    this.#drainEvery = options.drainEvery ?? Math.max(1, Math.floor(capacity / 2));
  }

  /** Whether any client has a subscription (notifications skip all work otherwise). */
  get active(): boolean {
    return this.#reg.active.size > 0;
  }

  /** Channels with at least one subscriber (INFO `pubsub_channels`). */
  get channelCount(): number {
    return this.#reg.channels.size;
  }

  /** Distinct patterns with at least one subscriber (PUBSUB NUMPAT, INFO `pubsub_patterns`). */
  get patternCount(): number {
    return this.#reg.patterns.size;
  }

  /** Shard channels with at least one subscriber (INFO `pubsubshard_channels`). */
  get shardChannelCount(): number {
    return this.#reg.shardChannels.size;
  }

  /**
   * Publishes `payload` on `channel`; returns the number of receivers
   * (channel subscribers plus one per matching pattern subscription).
   * Nothing is sent when that is 0.
   *
   * @param owned the arrays may be kept as they are (otherwise they are copied when sent)
   */
  publish(channel: Uint8Array, payload: Uint8Array, owned = false): number {
    const reg = this.#reg;
    if (reg.active.size === 0) return 0;
    const key = toBinary(channel);
    let receivers = reg.channels.get(key)?.subs.size ?? 0;
    if (reg.patterns.size !== 0) {
      for (const p of reg.patterns.values()) {
        if (globMatch(p.bytes, channel)) receivers += p.subs.size;
      }
    }
    if (receivers === 0) return 0;
    this.#send(channel, key, payload, owned, false);
    return receivers;
  }

  /**
   * Publishes `payload` on the shard channel `channel` (SPUBLISH); returns
   * the number of its shard subscribers (patterns never match shard
   * channels). Nothing is sent when that is 0.
   *
   * @param owned the arrays may be kept as they are (otherwise they are copied when sent)
   */
  spublish(channel: Uint8Array, payload: Uint8Array, owned = false): number {
    const reg = this.#reg;
    if (reg.shardChannels.size === 0) return 0;
    const key = toBinary(channel);
    const receivers = reg.shardChannels.get(key)?.subs.size ?? 0;
    if (receivers === 0) return 0;
    this.#send(channel, key, payload, owned, true);
    return receivers;
  }

  #send(channel: Uint8Array, key: string, payload: Uint8Array, owned: boolean, shard: boolean) {
    const message = owned
      ? new Message(channel, key, payload, shard)
      : new Message(copyBytes(channel), key, copyBytes(payload), shard);
    this.#reg.tx.send(message);
    if (++this.#sinceDrain >= this.#drainEvery) this.drainAll();
  }

  /**
   * Delivers whatever every subscriber has not taken yet, synchronously
   * (the hub calls it under publishing pressure).
   */
  drainAll(): void {
    this.#sinceDrain = 0;
    for (const s of this.#reg.active) {
      if (s.drain()) s.client.handle.flushPushes();
    }
  }

  /** Number of subscribers of `channel` (PUBSUB NUMSUB; patterns not counted). */
  numsub(channel: Uint8Array): number {
    return this.#reg.channels.get(toBinary(channel))?.subs.size ?? 0;
  }

  /** Channels with subscribers, optionally only those matching the glob `pattern` (PUBSUB CHANNELS). */
  channels(pattern?: Uint8Array): Uint8Array[] {
    return matching(this.#reg.channels, pattern);
  }

  /** Number of subscribers of the shard channel `channel` (PUBSUB SHARDNUMSUB). */
  shardNumsub(channel: Uint8Array): number {
    return this.#reg.shardChannels.get(toBinary(channel))?.subs.size ?? 0;
  }

  /**
   * Shard channels with subscribers, optionally only those matching the
   * glob `pattern` (PUBSUB SHARDCHANNELS).
   */
  shardChannels(pattern?: Uint8Array): Uint8Array[] {
    return matching(this.#reg.shardChannels, pattern);
  }

  /** The subscription state of a client (created once, on its first subscription). */
  subscriber(client: ClientState): Subscriber {
    return new Subscriber(this.#reg, client);
  }

  /** Ends the broadcast channel: subscribers' wake-up loops stop. Idempotent. */
  close(): void {
    this.#reg.tx.close();
  }

  /** Same as {@linkcode close}. */
  [Symbol.dispose](): void {
    this.close();
  }
}

/** The names in `map` matching the glob `pattern` (all of them without one). */
function matching(map: Map<string, Entry>, pattern: Uint8Array | undefined): Uint8Array[] {
  const out: Uint8Array[] = [];
  const all = pattern === undefined || isMatchAll(pattern);
  for (const e of map.values()) {
    if (all || globMatch(pattern, e.bytes)) out.push(e.bytes);
  }
  return out;
}

/**
 * The subscriptions of one client and its receiving end of the hub. Made
 * by {@linkcode PubSub.subscriber}; the client's connection receives the
 * messages through `client.handle`.
 *
 * Every method that changes subscriptions first delivers the messages
 * already published (so they are filtered by the subscriptions in force
 * when they were published) and returns the count Redis's confirmation
 * carries afterwards: channels plus patterns for (P)SUBSCRIBE and
 * (P)UNSUBSCRIBE, shard channels for SSUBSCRIBE and SUNSUBSCRIBE.
 */
export class Subscriber {
  /** The client whose connection receives the messages. */
  readonly client: ClientState;
  readonly #reg: Registry;
  readonly #channels = new Map<string, Uint8Array>();
  readonly #patterns = new Map<string, Uint8Array>();
  readonly #shardChannels = new Map<string, Uint8Array>();
  #rx: broadcast.Receiver<Message> | undefined;
  #waker: broadcast.Receiver<Message> | undefined;

  /** @internal use {@linkcode PubSub.subscriber} */
  constructor(reg: Registry, client: ClientState) {
    this.#reg = reg;
    this.client = client;
  }

  /**
   * Every subscription: channels, patterns and shard channels. A client
   * with any is subscribed (RESP2 subscribed mode, client type `pubsub`).
   */
  get count(): number {
    return this.#channels.size + this.#patterns.size + this.#shardChannels.size;
  }

  /** Channel plus pattern subscriptions (the count (P)SUBSCRIBE confirmations carry). */
  get subscriptionCount(): number {
    return this.#channels.size + this.#patterns.size;
  }

  /** Shard channel subscriptions (CLIENT LIST `ssub`, SSUBSCRIBE confirmations). */
  get shardChannelCount(): number {
    return this.#shardChannels.size;
  }

  /** Channel subscriptions (CLIENT LIST `sub`). */
  get channelCount(): number {
    return this.#channels.size;
  }

  /** Pattern subscriptions (CLIENT LIST `psub`). */
  get patternCount(): number {
    return this.#patterns.size;
  }

  /** The subscribed channels, in subscription order. */
  channels(): Uint8Array[] {
    return [...this.#channels.values()];
  }

  /** The subscribed patterns, in subscription order. */
  patterns(): Uint8Array[] {
    return [...this.#patterns.values()];
  }

  /** The subscribed shard channels, in subscription order. */
  shardChannels(): Uint8Array[] {
    return [...this.#shardChannels.values()];
  }

  /**
   * Subscribes to `channel` (a no-op when already subscribed); returns the
   * channel plus pattern count.
   */
  subscribe(channel: Uint8Array): number {
    this.#add(this.#channels, this.#reg.channels, channel);
    return this.subscriptionCount;
  }

  /**
   * Unsubscribes from `channel` (a no-op when not subscribed); returns the
   * channel plus pattern count.
   */
  unsubscribe(channel: Uint8Array): number {
    this.#remove(this.#channels, this.#reg.channels, toBinary(channel));
    return this.subscriptionCount;
  }

  /** Subscribes to the glob `pattern`; returns the channel plus pattern count. */
  psubscribe(pattern: Uint8Array): number {
    this.#add(this.#patterns, this.#reg.patterns, pattern);
    return this.subscriptionCount;
  }

  /** Unsubscribes from `pattern`; returns the channel plus pattern count. */
  punsubscribe(pattern: Uint8Array): number {
    this.#remove(this.#patterns, this.#reg.patterns, toBinary(pattern));
    return this.subscriptionCount;
  }

  /** Subscribes to the shard channel `channel` (SSUBSCRIBE); returns the shard channel count. */
  ssubscribe(channel: Uint8Array): number {
    this.#add(this.#shardChannels, this.#reg.shardChannels, channel);
    return this.#shardChannels.size;
  }

  /** Unsubscribes from the shard channel `channel` (SUNSUBSCRIBE); returns the shard channel count. */
  sunsubscribe(channel: Uint8Array): number {
    this.#remove(this.#shardChannels, this.#reg.shardChannels, toBinary(channel));
    return this.#shardChannels.size;
  }

  /**
   * Takes every message waiting on the receiver and appends those that
   * match to the client's output. Returns whether anything was appended.
   * A receiver that lagged (lost messages) disconnects the client.
   */
  drain(): boolean {
    const rx = this.#rx;
    if (rx === undefined) return false;
    try {
      while (this.#waker!.tryRecv() !== undefined);
    } catch {
      // the waker only wakes: wake-ups it missed were merged, nothing is lost
    }
    let delivered = false;
    for (;;) {
      let m: Message | undefined;
      try {
        m = rx.tryRecv();
      } catch (e) {
        if (!(e instanceof LaggedError)) throw e;
        this.#drop();
        this.client.handle.lagged(e.missed);
        return delivered;
      }
      if (m === undefined) return delivered;
      if (this.#deliver(m)) delivered = true;
    }
  }

  /**
   * Drops every subscription without confirmations (RESET, disconnect) and
   * releases the receivers. Idempotent.
   *
   * @param deliver first deliver what was published before (false when the connection is gone)
   */
  close(deliver = true): void {
    if (deliver) this.drain();
    this.#drop();
  }

  #drop(): void {
    for (const key of this.#channels.keys()) this.#reg.remove(this.#reg.channels, key, this);
    for (const key of this.#patterns.keys()) this.#reg.remove(this.#reg.patterns, key, this);
    for (const key of this.#shardChannels.keys()) {
      this.#reg.remove(this.#reg.shardChannels, key, this);
    }
    this.#channels.clear();
    this.#patterns.clear();
    this.#shardChannels.clear();
    this.#deactivate();
  }

  #deliver(m: Message): boolean {
    const handle = this.client.handle;
    if (m.shard) {
      if (!this.#shardChannels.has(m.key)) return false;
      handle.pushRaw(m.encoded(this.client.protocol));
      return true;
    }
    let delivered = false;
    if (this.#channels.has(m.key)) {
      handle.pushRaw(m.encoded(this.client.protocol));
      delivered = true;
    }
    if (this.#patterns.size !== 0) {
      for (const pattern of this.#patterns.values()) {
        if (globMatch(pattern, m.channel)) {
          handle.push(new Push([PMESSAGE, pattern, m.channel, m.payload]));
          delivered = true;
        }
      }
    }
    return delivered;
  }

  #add(own: Map<string, Uint8Array>, reg: Map<string, Entry>, name: Uint8Array): void {
    this.drain();
    const key = toBinary(name);
    if (!own.has(key)) {
      const bytes = fromBinary(key); // a private copy (name views a read buffer)
      own.set(key, bytes);
      this.#reg.add(reg, key, bytes, this);
      this.#activate();
    }
  }

  #remove(own: Map<string, Uint8Array>, reg: Map<string, Entry>, key: string): void {
    this.drain();
    if (own.delete(key)) {
      this.#reg.remove(reg, key, this);
      if (this.count === 0) this.#deactivate();
    }
  }

  #activate(): void {
    if (this.#rx !== undefined) return;
    const tx = this.#reg.tx;
    this.#rx = tx.subscribe();
    const waker = tx.subscribe();
    this.#waker = waker;
    this.#reg.active.add(this);
    this.#pump(waker).catch(() => {
      // a delivery failed unexpectedly: never leave a client with a gap
      this.#drop();
      this.client.handle.kill();
    });
  }

  #deactivate(): void {
    if (this.#rx === undefined) return;
    this.#rx.close();
    this.#waker!.close();
    this.#rx = undefined;
    this.#waker = undefined;
    this.#reg.active.delete(this);
  }

  /** The wake-up loop: each wake-up delivers everything waiting, then flushes once. */
  async #pump(waker: broadcast.Receiver<Message>): Promise<void> {
    for (;;) {
      let v: Message | undefined | null;
      try {
        v = await waker.recv();
      } catch (e) {
        if (!(e instanceof LaggedError)) throw e;
        v = null; // merged wake-ups
      }
      if (v === undefined || this.#waker !== waker) return; // closed or replaced
      if (this.drain()) this.client.handle.flushPushes();
    }
  }
}
