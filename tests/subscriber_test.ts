/**
 * Subscriber tests: messages and pattern messages with RESP2 and RESP3,
 * subscribe/unsubscribe while iterating, binary payloads, and subscriptions
 * re-established after a reconnection (real redis-server killed and
 * restarted on the same port; and through a proxy). Our server gets pub/sub
 * in issue 5: until then these run against real Redis only.
 */

import assert from "node:assert/strict";
import { connect, ConnectionError, type Message, Subscriber } from "../client/mod.ts";
import { RedisProcess } from "./helpers.ts";
import { eachTarget, REDIS, settle, TcpProxy, testName, waitForState } from "./client_helpers.ts";

const FAST_RECONNECT = { initialDelay: 5, maxDelay: 50, maxWait: 10_000 };
const addr = (port: number) => ({ hostname: "127.0.0.1", port });

async function next(sub: Subscriber): Promise<Message> {
  const msg = await sub.recv();
  assert.ok(msg !== undefined, "the subscriber ended");
  return msg;
}

for (const protocol of [2, 3] as const) {
  eachTarget(
    `RESP${protocol}: messages and pattern messages, in order`,
    async (_t, port) => {
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
    "pubsub",
    protocol === 3 ? "hello" : "pubsub",
  );
}

eachTarget("subscribe and unsubscribe while iterating", async (_t, port) => {
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
}, "pubsub");

eachTarget("binary payloads and the end of iteration on close", async (_t, port) => {
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
}, "pubsub");

eachTarget("subscriptions are re-established after a reconnection (proxy)", async (_t, port) => {
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
}, "pubsub");

Deno.test({
  name: testName(REDIS, "pub/sub across a server restart (SIGKILL, same port)", REDIS.ignore),
  ignore: REDIS.ignore !== undefined,
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
  name: testName(
    REDIS,
    "a subscriber whose reconnection gives up ends with ConnectionError",
    REDIS.ignore,
  ),
  ignore: REDIS.ignore !== undefined,
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

/** Lets I/O run until `check()` holds, a bounded number of times (no timing). */
async function until(check: () => boolean, what: string, turns = 2_000): Promise<void> {
  for (let i = 0; i < turns; i++) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 0));
  }
  assert.fail(`gave up waiting for ${what}`);
}

const PAYLOAD_PAD = "x".repeat(500);

eachTarget("a slow consumer: at most maxQueued messages wait, none lost", async (_t, port) => {
  const MAX = 16;
  const N = 3_000; // ~1.5 MB: more than the socket buffers hold, within the server's limits
  await using publisher = await connect(addr(port));
  await using sub = await Subscriber.connect(addr(port), ["flood"], { maxQueued: MAX });
  assert.equal(sub.maxQueued, MAX);
  assert.equal(sub.queued, 0);
  for (let i = 0; i < N; i++) {
    assert.equal(await publisher.publish("flood", `${i}:${PAYLOAD_PAD}`), 1);
    // Nobody reads: the queue never holds more than the bound (it only grows here,
    // so a value past the bound at any point would still show).
    assert.ok(sub.queued <= MAX, `queued ${sub.queued} > ${MAX} after ${i + 1} publishes`);
  }
  await until(() => sub.queued === MAX, "the queue to fill");
  await settle(50);
  assert.equal(sub.queued, MAX, "the subscriber stopped reading at the bound");
  // The consumer reads everything, in order.
  for (let i = 0; i < N; i++) {
    const msg = await next(sub);
    assert.equal(msg.channel, "flood");
    assert.equal(msg.payload, `${i}:${PAYLOAD_PAD}`);
    assert.ok(sub.queued <= MAX);
  }
  assert.equal(sub.queued, 0);
  // Still subscribed and reading after the flood.
  assert.equal(await publisher.publish("flood", "last"), 1);
  assert.equal((await next(sub)).payload, "last");
}, "pubsub");

for (const protocol of [2, 3] as const) {
  eachTarget(
    `RESP${protocol}: subscribe/unsubscribe resolve while the queue is full`,
    async (_t, port) => {
      const MAX = 8;
      const N = 200;
      await using publisher = await connect(addr(port), { protocol });
      await using sub = await Subscriber.connect(addr(port), ["a"], {
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
      // Confirmed: the bound applies again, nothing more is read.
      assert.equal(await publisher.publish("b", "b0"), 1);
      await settle(50);
      assert.equal(sub.queued, N);
      await sub.unsubscribe("a");
      assert.equal(await publisher.publish("a", "dropped"), 0);
      await sub.psubscribe("p*");
      assert.equal(await publisher.publish("pq", "p0"), 1);
      assert.deepEqual(sub.channels, ["b"]);
      assert.deepEqual(sub.patterns, ["p*"]);
      for (let i = 0; i < N; i++) {
        const msg = await next(sub);
        assert.equal(`${msg.channel}:${msg.payload}`, `a:${i}`);
      }
      assert.equal((await next(sub)).payload, "b0");
      const p = await next(sub);
      assert.equal(p.pattern, "p*");
      assert.equal(p.payload, "p0");
      assert.equal(sub.queued, 0);
    },
    "pubsub",
    protocol === 3 ? "hello" : "pubsub",
  );
}

eachTarget("a paused subscriber still reconnects and re-subscribes (proxy)", async (_t, port) => {
  const MAX = 4;
  const N = 50;
  await using proxy = TcpProxy.start(port);
  await using publisher = await connect(addr(port));
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
  for (let turn = 0; !reconnected; turn++) {
    assert.ok(turn < 5_000, "gave up waiting for the reconnection");
    while (sub.queued !== 0) {
      assert.ok(sub.queued <= MAX);
      got.push(Number((await next(sub)).payload));
    }
    await new Promise((r) => setTimeout(r, 0));
  }
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
}, "pubsub");

Deno.test("maxQueued must be a positive integer", async () => {
  for (const maxQueued of [0, -1, 1.5, NaN]) {
    await assert.rejects(
      Subscriber.connect("127.0.0.1:1", ["x"], { maxQueued }),
      RangeError,
    );
  }
});
