/**
 * Subscriber tests: messages and pattern messages with RESP2 and RESP3,
 * subscribe/unsubscribe while iterating, binary payloads, subscriptions
 * re-established after a reconnection (real redis-server killed and
 * restarted on the same port; and through a proxy), and the bound on unread
 * messages, whose backpressure is checked where it must show: the server
 * holds output it cannot write to the subscriber. Each test runs against a
 * real redis-server first, then against ours.
 */

import assert from "node:assert/strict";
import { connect, ConnectionError, type Message, Subscriber } from "../client/mod.ts";
import {
  addr,
  bounded,
  eachPeer,
  FAST_RECONNECT,
  HAVE_REDIS,
  parseReply,
  RawClient,
  RedisProcess,
  TcpProxy,
  waitFor,
  waitForState,
} from "./helpers.ts";

async function next(sub: Subscriber): Promise<Message> {
  const msg = await bounded(sub.recv(), "the next message");
  assert.ok(msg !== undefined, "the subscriber ended");
  return msg;
}

for (const protocol of [2, 3] as const) {
  eachPeer(
    `RESP${protocol}: messages and pattern messages, in order`,
    async (peer) => {
      const port = peer.port;
      await using client = await connect(addr(port), { protocol });
      await using sub = await client.subscribe("news", "sport");
      assert.deepEqual(sub.channels.sort(), ["news", "sport"]);
      await sub.psubscribe("n*");
      assert.equal(await client.publish("news", "hello"), 2); // channel + pattern
      assert.equal(await client.publish("sport", "goal"), 1);
      assert.equal(await client.publish("other", "x"), 0);
      const got = [await next(sub), await next(sub), await next(sub)];
      assert.deepEqual(got[0], {
        channel: "news",
        payload: "hello",
        bytes: new TextEncoder().encode("hello"),
      });
      assert.deepEqual(got[1], {
        channel: "news",
        pattern: "n*",
        payload: "hello",
        bytes: new TextEncoder().encode("hello"),
      });
      assert.equal(got[2].channel, "sport");
      assert.equal(got[2].payload, "goal");
      // The client stays usable for commands: the subscriber has its own connection.
      assert.equal(await client.ping(), "PONG");
    },
  );
}

eachPeer("subscribe and unsubscribe while iterating", async (peer) => {
  const port = peer.port;
  await using client = await connect(addr(port));
  await using sub = await client.subscribe("a");
  await client.publish("a", "1");
  const seen: string[] = [];
  for await (const msg of sub) {
    seen.push(`${msg.channel}:${msg.payload}`);
    if (msg.payload === "1") {
      await sub.subscribe("b");
      await client.publish("b", "2");
    } else if (msg.payload === "2") {
      await sub.unsubscribe("a");
      assert.equal(await client.publish("a", "dropped"), 0);
      await client.publish("b", "3");
    } else if (msg.payload === "3") {
      await sub.unsubscribe();
      assert.deepEqual(sub.channels, []);
      assert.equal(await client.publish("b", "dropped"), 0);
      await sub.psubscribe("c*");
      await client.publish("cc", "4");
    } else {
      await sub.punsubscribe();
      break;
    }
  }
  assert.deepEqual(seen, ["a:1", "b:2", "b:3", "cc:4"]);
  assert.deepEqual(sub.patterns, []);
  await sub.unsubscribe(); // none left: Redis still confirms once
});

eachPeer("binary payloads and the end of iteration on close", async (peer) => {
  const port = peer.port;
  await using client = await connect(addr(port));
  const sub = await client.subscribe("bin");
  const payload = new Uint8Array(256).map((_, i) => i);
  await client.publish("bin", payload);
  assert.deepEqual((await next(sub)).bytes, payload);
  await client.publish("bin", "queued before close");
  // Wait for it to arrive, then close: queued messages are still delivered.
  const msg = await next(sub);
  assert.equal(msg.payload, "queued before close");
  await sub.close();
  assert.equal(await sub.recv(), undefined);
  const rest: Message[] = [];
  for await (const m of sub) rest.push(m);
  assert.deepEqual(rest, []);
  await assert.rejects(sub.subscribe("x"), ConnectionError);
});

eachPeer("subscriptions are re-established after a reconnection (proxy)", async (peer) => {
  const port = peer.port;
  await using proxy = TcpProxy.start(port);
  await using publisher = await connect(addr(port));
  await using sub = await Subscriber.connect(addr(proxy.port), ["chan"], {
    reconnect: FAST_RECONNECT,
  });
  await sub.psubscribe("pat*");
  await publisher.publish("chan", "before");
  assert.equal((await next(sub)).payload, "before");
  await proxy.kill();
  await waitForState(sub, "reconnecting");
  // Subscribing while disconnected waits for the reconnection.
  const more = sub.subscribe("later");
  proxy.restart();
  await waitForState(sub, "ready"); // ready only once re-subscribed
  await more;
  assert.equal(await publisher.publish("chan", "after"), 1);
  assert.equal(await publisher.publish("pattern", "p"), 1);
  assert.equal(await publisher.publish("later", "l"), 1);
  assert.equal((await next(sub)).payload, "after");
  const p = await next(sub);
  assert.equal(p.pattern, "pat*");
  assert.equal(p.channel, "pattern");
  assert.equal((await next(sub)).payload, "l");
});

const REDIS_ONLY = HAVE_REDIS ? " [redis-server]" : " [redis-server] (ignored: not installed)";

Deno.test({
  name: `pub/sub across a server restart (SIGKILL, same port)${REDIS_ONLY}`,
  ignore: !HAVE_REDIS,
  async fn() {
    await using redis = await RedisProcess.start();
    await using client = await connect(addr(redis.port), { reconnect: FAST_RECONNECT });
    await using sub = await client.subscribe("news");
    await client.publish("news", "one");
    assert.equal((await next(sub)).payload, "one");
    await redis.kill();
    await waitForState(sub, "reconnecting");
    await redis.restart();
    await waitForState(sub, "ready");
    assert.equal(await client.publish("news", "two"), 1);
    assert.equal((await next(sub)).payload, "two");
  },
});

Deno.test({
  name: `a subscriber whose reconnection gives up ends with ConnectionError${REDIS_ONLY}`,
  ignore: !HAVE_REDIS,
  async fn() {
    await using redis = await RedisProcess.start();
    await using sub = await Subscriber.connect(addr(redis.port), ["news"], {
      reconnect: { initialDelay: 5, maxDelay: 20, maxWait: 150 },
    });
    await redis.kill();
    await assert.rejects(
      (async () => {
        for await (const _ of sub) { /* nothing comes */ }
      })(),
      ConnectionError,
    );
    assert.equal(sub.state, "closed");
  },
});

// ---- the bound on unread messages (maxQueued) -------------------------------------------

/** Waits (bounded) until `check()` holds. */
function until(check: () => boolean, what: string): Promise<void> {
  return waitFor(check, { intervalMs: 1, what });
}

/**
 * Bytes the server holds for subscribers because it cannot write them to
 * their sockets (`omem` in CLIENT LIST TYPE pubsub): more than zero only
 * once the socket buffers are full, i.e. once a subscriber stopped reading.
 */
async function heldForSubscribers(admin: RawClient): Promise<number> {
  const list = parseReply(await admin.call("CLIENT", "LIST", "TYPE", "pubsub")) as string;
  let held = 0;
  for (const m of list.matchAll(/ omem=(\d+) /g)) held += Number(m[1]);
  return held;
}

const PAYLOAD_PAD = "x".repeat(4096);
/** A safety net: far more than any socket buffers hold (they fill long before). */
const MAX_FLOOD = 40_000;

/**
 * Publishes `${i}:${PAYLOAD_PAD}` on `channel` (i from `from`) in pipelined
 * batches until the server holds output for the subscriber, checking
 * `check()` after each batch; returns how many were published.
 */
async function floodUntilHeld(
  port: number,
  channel: string,
  check: () => void,
  from = 0,
): Promise<number> {
  await using admin = await RawClient.connect(port);
  let n = 0;
  while (await heldForSubscribers(admin) === 0) {
    assert.ok(n < MAX_FLOOD, `the server never held output after ${n} messages`);
    const batch = Array.from(
      { length: 32 },
      (_, i) => ["PUBLISH", channel, `${from + n + i}:${PAYLOAD_PAD}`],
    );
    for (const reply of await admin.calls(batch)) assert.equal(reply, ":1\r\n");
    n += batch.length;
    check();
  }
  return n;
}

eachPeer("a slow consumer: at most maxQueued messages wait, none lost", async (peer) => {
  const MAX = 16;
  await using publisher = await connect(addr(peer.port));
  await using sub = await Subscriber.connect(addr(peer.port), ["flood"], { maxQueued: MAX });
  assert.equal(sub.maxQueued, MAX);
  assert.equal(sub.queued, 0);
  // Nobody reads: the queue never holds more than the bound (it only grows here, so a
  // value past the bound at any point would still show), and the subscriber stops reading
  // its socket, so the server ends up holding what the socket buffers cannot take.
  const n = await floodUntilHeld(peer.port, "flood", () => {
    assert.ok(sub.queued <= MAX, `queued ${sub.queued} > ${MAX}`);
  });
  assert.equal(sub.queued, MAX, "the subscriber stopped reading at the bound");
  // The consumer reads everything, in order.
  for (let i = 0; i < n; i++) {
    const msg = await next(sub);
    assert.equal(msg.channel, "flood");
    assert.equal(msg.payload, `${i}:${PAYLOAD_PAD}`);
    assert.ok(sub.queued <= MAX);
  }
  assert.equal(sub.queued, 0);
  // Still subscribed and reading after the flood.
  assert.equal(await publisher.publish("flood", "last"), 1);
  assert.equal((await next(sub)).payload, "last");
});

for (const protocol of [2, 3] as const) {
  eachPeer(
    `RESP${protocol}: subscribe/unsubscribe resolve while the queue is full`,
    async (peer) => {
      const MAX = 8;
      const N = 200;
      await using publisher = await connect(addr(peer.port), { protocol });
      await using sub = await Subscriber.connect(addr(peer.port), ["a"], {
        protocol,
        maxQueued: MAX,
      });
      for (let i = 0; i < N; i++) await publisher.publish("a", String(i));
      await until(() => sub.queued === MAX, "the queue to fill");
      // The confirmation sits behind the unread messages: the subscriber reads
      // on until it arrives, without the consumer reading anything.
      await sub.subscribe("b");
      assert.deepEqual(sub.channels.sort(), ["a", "b"]);
      assert.equal(sub.queued, N, "everything sent before the confirmation is queued");
      // Confirmed: the bound applies again, nothing more is read until the server holds output.
      const flood = await floodUntilHeld(peer.port, "b", () => assert.equal(sub.queued, N));
      await sub.unsubscribe("a"); // reading resumes until this is confirmed, after the flood
      assert.equal(sub.queued, N + flood);
      assert.equal(await publisher.publish("a", "dropped"), 0);
      await sub.psubscribe("p*");
      assert.equal(await publisher.publish("pq", "p0"), 1);
      assert.deepEqual(sub.channels, ["b"]);
      assert.deepEqual(sub.patterns, ["p*"]);
      for (let i = 0; i < N; i++) {
        const msg = await next(sub);
        assert.equal(`${msg.channel}:${msg.payload}`, `a:${i}`);
      }
      for (let i = 0; i < flood; i++) {
        const msg = await next(sub);
        assert.equal(`${msg.channel}:${msg.payload}`, `b:${i}:${PAYLOAD_PAD}`);
      }
      const p = await next(sub);
      assert.equal(p.pattern, "p*");
      assert.equal(p.payload, "p0");
      assert.equal(sub.queued, 0);
    },
  );
}

eachPeer("a paused subscriber still reconnects and re-subscribes (proxy)", async (peer) => {
  const MAX = 4;
  const N = 50;
  await using proxy = TcpProxy.start(peer.port);
  await using publisher = await connect(addr(peer.port));
  await using sub = await Subscriber.connect(addr(proxy.port), ["chan"], {
    reconnect: FAST_RECONNECT,
    maxQueued: MAX,
  });
  for (let i = 0; i < N; i++) await publisher.publish("chan", String(i));
  await until(() => sub.queued === MAX, "the queue to fill");
  const rx = sub.watchState();
  let reconnected = false;
  const watching = (async () => {
    try {
      while (rx.borrow() !== "reconnecting") await rx.changed();
      while (rx.borrow() !== "ready") await rx.changed();
      reconnected = true;
    } finally {
      rx.close();
    }
  })();
  await proxy.kill();
  proxy.restart();
  // The loss is noticed once the consumer catches up and reading resumes;
  // what was received before it is delivered in order (a prefix of what was sent).
  const got: number[] = [];
  await bounded(
    (async () => {
      while (!reconnected) {
        while (sub.queued !== 0) {
          assert.ok(sub.queued <= MAX);
          got.push(Number((await next(sub)).payload));
        }
        await new Promise((r) => setTimeout(r, 1));
      }
    })(),
    "the reconnection",
  );
  await watching;
  assert.ok(got.length >= MAX, `${got.length} messages before the reconnection`);
  assert.deepEqual(got, [...got.keys()], "in order, none repeated");
  assert.deepEqual(sub.channels, ["chan"]);
  // Re-subscribed (ready only once confirmed): new messages arrive.
  assert.equal(await publisher.publish("chan", "after"), 1);
  for (;;) {
    const msg = await next(sub);
    if (msg.payload === "after") break;
    assert.equal(Number(msg.payload), got.length, "in order, none repeated");
    got.push(Number(msg.payload));
  }
  assert.ok(got.length <= N);
});

Deno.test("maxQueued must be a positive integer", async () => {
  for (const maxQueued of [0, -1, 1.5, NaN]) {
    await assert.rejects(
      Subscriber.connect("127.0.0.1:1", ["x"], { maxQueued }),
      RangeError,
    );
  }
});
