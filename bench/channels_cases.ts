/**
 * The channel benchmark's scenarios, shared by `channels_bench.ts` (for
 * `deno bench`) and `channels_report.ts` (one table of messages/s and
 * ratios). Each runner moves `n` messages from the producers to the
 * consumer(s) and checks that every one arrived.
 *
 * Implementations compared in the same run:
 * - `ours`: `channels/mpsc.ts`, consumer awaiting `recv()` per value
 *   (the same usage as the peers), and `ours+drain`: awaiting one `recv()`,
 *   then taking everything queued with `drain()` (the client manager's way);
 * - `mini`: {@linkcode MiniQueue} below, the practical limit of an async
 *   hand-off in JavaScript;
 * - `repeater`: npm `@repeaterjs/repeater` with a `FixedBuffer(capacity)`;
 * - `async-channel`: npm `async-channel`'s `Channel(capacity)`.
 *
 * @module
 */

import { FixedBuffer, Repeater } from "@repeaterjs/repeater";
import { Channel } from "async-channel";
import { broadcast, mpsc } from "../channels/mod.ts";

const RESOLVED: Promise<void> = Promise.resolve();

/**
 * A minimal bounded async queue: an array with a head index, one waiting
 * receiver, a FIFO of blocked senders. No cancellation, no multi-receiver
 * support, no error values: the least work an awaited hand-off can do.
 *
 * @example
 * ```ts
 * import { MiniQueue } from "./channels_cases.ts";
 * const q = new MiniQueue<number>(2);
 * await q.send(1);
 * q.close();
 * console.log(await q.recv(), await q.recv()); // 1 undefined
 * ```
 */
export class MiniQueue<T> {
  #items: (T | undefined)[] = [];
  #head = 0;
  #receiver: ((value: T | undefined) => void) | undefined = undefined;
  #blocked: { value: T; resolve: () => void }[] = [];
  #blockedHead = 0;
  #closed = false;
  readonly capacity: number;

  /** @param capacity how many values may wait before `send` blocks */
  constructor(capacity: number) {
    this.capacity = capacity;
  }

  /** Queues `value`; waits while `capacity` values are queued. */
  send(value: T): Promise<void> {
    const receiver = this.#receiver;
    if (receiver !== undefined) {
      this.#receiver = undefined;
      receiver(value);
      return RESOLVED;
    }
    if (
      this.#items.length - this.#head < this.capacity && this.#blockedHead === this.#blocked.length
    ) {
      this.#items.push(value);
      return RESOLVED;
    }
    return new Promise<void>((resolve) => this.#blocked.push({ value, resolve }));
  }

  /** The next value, or `undefined` once closed and empty. */
  recv(): Promise<T | undefined> {
    if (this.#head < this.#items.length) {
      const value = this.#items[this.#head];
      this.#items[this.#head++] = undefined;
      if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
        this.#items = this.#items.slice(this.#head);
        this.#head = 0;
      }
      if (this.#blockedHead < this.#blocked.length) {
        const b = this.#blocked[this.#blockedHead++];
        if (this.#blockedHead === this.#blocked.length) {
          this.#blocked = [];
          this.#blockedHead = 0;
        }
        this.#items.push(b.value);
        b.resolve();
      }
      return Promise.resolve(value);
    }
    if (this.#closed) return Promise.resolve(undefined);
    return new Promise((resolve) => this.#receiver = resolve);
  }

  /** No more sends: a waiting receiver gets `undefined`. */
  close(): void {
    this.#closed = true;
    const receiver = this.#receiver;
    this.#receiver = undefined;
    receiver?.(undefined);
  }
}

/** Runs one scenario: moves `n` messages through `capacity` with `producers` producers. */
export type Runner = (capacity: number, producers: number, n: number) => Promise<void>;

function expectCount(name: string, got: number, n: number): void {
  if (got !== n) throw new Error(`${name}: received ${got} of ${n} messages`);
}

/** Our mpsc, consumer awaiting `recv()` per value. */
export const ours: Runner = async (capacity, producers, n) => {
  const [tx, rx] = mpsc.channel<number>(capacity);
  const per = n / producers;
  for (let p = 0; p < producers; p++) {
    const mine = tx.clone();
    void (async () => {
      for (let i = 0; i < per; i++) await mine.send(i);
      mine.close();
    })();
  }
  tx.close();
  let got = 0;
  while ((await rx.recv()) !== undefined) got++;
  expectCount("ours", got, n);
};

/** Our mpsc, consumer awaiting one `recv()` then `drain()`ing the queue (batching). */
export const oursDrain: Runner = async (capacity, producers, n) => {
  const [tx, rx] = mpsc.channel<number>(capacity);
  const per = n / producers;
  for (let p = 0; p < producers; p++) {
    const mine = tx.clone();
    void (async () => {
      for (let i = 0; i < per; i++) await mine.send(i);
      mine.close();
    })();
  }
  tx.close();
  let got = 0;
  while ((await rx.recv()) !== undefined) got += 1 + rx.drain().length;
  expectCount("ours+drain", got, n);
};

/** The minimal array-plus-promise queue. */
export const mini: Runner = async (capacity, producers, n) => {
  const q = new MiniQueue<number>(capacity);
  const per = n / producers;
  let running = producers;
  for (let p = 0; p < producers; p++) {
    void (async () => {
      for (let i = 0; i < per; i++) await q.send(i);
      if (--running === 0) q.close();
    })();
  }
  let got = 0;
  while ((await q.recv()) !== undefined) got++;
  expectCount("mini", got, n);
};

/** npm @repeaterjs/repeater with a FixedBuffer; producers run in the executor. */
export const repeater: Runner = async (capacity, producers, n) => {
  const per = n / producers;
  const r = new Repeater<number>(async (push, stop) => {
    await Promise.all(Array.from({ length: producers }, async () => {
      for (let i = 0; i < per; i++) await push(i);
    }));
    stop();
  }, new FixedBuffer(capacity));
  let got = 0;
  for await (const _ of r) got++;
  expectCount("repeater", got, n);
};

/** npm async-channel: `push` resolves once the value is buffered. */
export const asyncChannel: Runner = async (capacity, producers, n) => {
  const ch = new Channel<number>(capacity);
  const per = n / producers;
  let running = producers;
  for (let p = 0; p < producers; p++) {
    void (async () => {
      for (let i = 0; i < per; i++) await ch.push(i);
      if (--running === 0) ch.close();
    })();
  }
  let got = 0;
  for await (const _ of ch) got++;
  expectCount("async-channel", got, n);
};

/** The mpsc implementations, in table order. */
export const MPSC: Record<string, Runner> = {
  "ours": ours,
  "ours+drain": oursDrain,
  "mini": mini,
  "repeater": repeater,
  "async-channel": asyncChannel,
};

/** The mpsc scenarios: capacity x producers. */
export const MPSC_SCENARIOS: { capacity: number; producers: number }[] = [
  { capacity: 1, producers: 1 },
  { capacity: 1, producers: 8 },
  { capacity: 32, producers: 1 },
  { capacity: 32, producers: 8 },
  { capacity: 1024, producers: 1 },
  { capacity: 1024, producers: 8 },
];

/** How many receivers the broadcast scenario fans out to. */
export const RECEIVERS = 4;

/**
 * Our broadcast: one producer, `receivers` receivers. The producer yields one
 * microtask per value, which lets the receivers keep up (a lag would fail the
 * count check).
 */
export const oursBroadcast: Runner = async (capacity, receivers, n) => {
  const [tx, first] = broadcast.channel<number>(capacity);
  const rxs = [first, ...Array.from({ length: receivers - 1 }, () => tx.subscribe())];
  const counts = rxs.map(async (rx) => {
    let got = 0;
    while ((await rx.recv()) !== undefined) got++;
    rx.close();
    return got;
  });
  for (let i = 0; i < n; i++) {
    tx.send(i);
    await null;
  }
  tx.close();
  for (const got of await Promise.all(counts)) expectCount("ours broadcast", got, n);
};

type Queue = { send(v: number): Promise<void>; recv(): Promise<number | undefined> };

/** A broadcast built from one queue per receiver: every send goes to each queue. */
function fanOut(name: string, make: (capacity: number) => Queue & { close(): void }): Runner {
  return async (capacity, receivers, n) => {
    const queues = Array.from({ length: receivers }, () => make(capacity));
    const counts = queues.map(async (q) => {
      let got = 0;
      while ((await q.recv()) !== undefined) got++;
      return got;
    });
    for (let i = 0; i < n; i++) await Promise.all(queues.map((q) => q.send(i)));
    for (const q of queues) q.close();
    for (const got of await Promise.all(counts)) expectCount(name, got, n);
  };
}

/** async-channel adapted to the fan-out's queue shape. */
function asyncChannelQueue(capacity: number): Queue & { close(): void } {
  const ch = new Channel<number>(capacity);
  return {
    send: (v) => ch.push(v),
    recv: () => ch.get().catch(() => undefined),
    close: () => ch.close(),
  };
}

/** Repeater adapted to the fan-out's queue shape (push is captured from the executor). */
function repeaterQueue(capacity: number): Queue & { close(): void } {
  let push!: (v: number) => Promise<unknown>;
  let stop!: () => void;
  const r = new Repeater<number>((pushFn, stopFn) => {
    push = pushFn;
    stop = stopFn;
  }, new FixedBuffer(capacity));
  const it = r[Symbol.asyncIterator]();
  const first = it.next(); // starts the executor
  let pending: Promise<IteratorResult<number>> | undefined = first;
  return {
    send: (v) => push(v).then(() => {}),
    recv: () => {
      const next = pending ?? it.next();
      pending = undefined;
      return next.then((res) => res.done ? undefined : res.value);
    },
    close: () => stop(),
  };
}

/** The broadcast implementations, in table order. */
export const BROADCAST: Record<string, Runner> = {
  "ours": oursBroadcast,
  "mini": fanOut("mini fan-out", (capacity) => new MiniQueue<number>(capacity)),
  "repeater": fanOut("repeater fan-out", repeaterQueue),
  "async-channel": fanOut("async-channel fan-out", asyncChannelQueue),
};
