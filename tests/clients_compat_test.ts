/**
 * The npm client libraries people use, unchanged, against our server:
 * ioredis 5 and node-redis 4 (RESP2) and node-redis 5 (RESP3). Each does
 * get/set, a pipeline, multi-key commands, pub/sub with a pattern
 * subscription, and reconnects after the server restarts on the same port.
 *
 * Every test runs against a real `redis-server` first (which proves the
 * test right), then against ours.
 *
 * Deno's sanitizers stay on: every client is quit or destroyed and every
 * server closed in `finally`/`await using`.
 *
 * @module
 */

import assert from "node:assert/strict";
import { Redis } from "ioredis";
import { createClient as createClientV4 } from "redis";
// node-redis 4 has no RESP3; the RESP3 tests need node-redis 5.
import { createClient as createClientV5, RESP_TYPES } from "redis5";
import {
  bounded,
  eachPeer,
  type Peer,
  peerName,
  type PeerOptions,
  RawClient,
  startPeer,
  waitFor,
} from "./helpers.ts";

function compatTest(
  what: string,
  fn: (peer: Peer) => Promise<void>,
  options: PeerOptions = {},
): void {
  // a safety net against a client that never answers, not a timing assertion
  eachPeer(what, (peer) => bounded(fn(peer), `${what} [${peerName(peer.kind)}]`, 30_000), options);
}

/** What {@linkcode restart} needs of a client: an event emitter. */
interface Emitter {
  once(event: string, listener: () => void): unknown;
}

/**
 * Restarts the server on the same port: closes it, waits until the client
 * has noticed (it emits `reconnecting`; otherwise a command sent meanwhile
 * could go to the dying socket, which fails in every client whatever the
 * server), then starts the same kind of server on the same port.
 */
async function restart(peer: Peer, client: Emitter): Promise<Peer> {
  const lost = new Promise<void>((resolve) => client.once("reconnecting", resolve));
  await peer.close();
  await bounded(lost, "the client notices the server went away");
  return await startPeer(peer.kind, { port: peer.port });
}

/** Collects pub/sub messages and lets a test wait for a number of them. */
class Inbox<T> {
  readonly items: T[] = [];
  push = (item: T): void => {
    this.items.push(item);
  };
  async waitFor(n: number): Promise<T[]> {
    await waitFor(() => this.items.length >= n, { what: `${n} message(s)` });
    return this.items;
  }
}

// ---------------------------------------------------------------- ioredis

function ioredis(port: number): Redis {
  const redis = new Redis({
    host: "127.0.0.1",
    port,
    // reconnect quickly and without limit (the reconnect test restarts the server)
    retryStrategy: () => 20,
    maxRetriesPerRequest: 50,
  });
  // connection errors while the server restarts are expected; the commands' promises report the rest
  redis.on("error", () => {});
  return redis;
}

compatTest("ioredis: get/set, binary values, errors", async (peer) => {
  const redis = ioredis(peer.port);
  try {
    assert.equal(await redis.set("greeting", "hello world"), "OK");
    assert.equal(await redis.get("greeting"), "hello world");
    assert.equal(await redis.get("nokey"), null);
    assert.equal(await redis.set("k", "v", "EX", 100, "NX"), "OK");
    assert.equal(await redis.set("k", "v1", "EX", 100, "NX"), null);
    assert.equal(await redis.set("k", "v2", "EX", 100, "XX"), "OK");
    assert.equal(await redis.get("k"), "v2");
    const ttl = await redis.ttl("k");
    assert.ok(ttl > 0 && ttl <= 100, `ttl ${ttl}`);
    const bytes = new Uint8Array([0, 1, 2, 255, 13, 10]);
    await redis.set("bin", Buffer.from(bytes));
    assert.deepEqual(new Uint8Array(await redis.getBuffer("bin") as Buffer), bytes);
    assert.equal(await redis.incrby("n", 41), 41);
    assert.equal(await redis.incr("n"), 42);
    await assert.rejects(redis.incr("greeting"), /ERR value is not an integer or out of range/);
    assert.equal(await redis.ping(), "PONG");
    assert.equal(await redis.echo("héllo"), "héllo");
  } finally {
    await redis.quit();
  }
});

compatTest("ioredis: pipeline", async (peer) => {
  const redis = ioredis(peer.port);
  try {
    const results = await redis.pipeline()
      .set("a", "1")
      .incr("a")
      .get("a")
      .incr("nokey-pipe")
      .get("missing")
      .incrby("a", "x" as unknown as number)
      .exec();
    assert.ok(results);
    assert.deepEqual(results.slice(0, 5), [
      [null, "OK"],
      [null, 2],
      [null, "2"],
      [null, 1],
      [null, null],
    ]);
    assert.match(String(results[5][0]), /ERR value is not an integer or out of range/);
    // a large pipeline: 1000 commands in one exec
    const p = redis.pipeline();
    for (let i = 0; i < 1000; i++) p.set(`key:${i}`, String(i));
    for (let i = 0; i < 1000; i++) p.get(`key:${i}`);
    const big = await p.exec();
    assert.ok(big);
    assert.equal(big.length, 2000);
    for (let i = 0; i < 1000; i++) {
      assert.deepEqual(big[i], [null, "OK"]);
      assert.deepEqual(big[1000 + i], [null, String(i)]);
    }
  } finally {
    await redis.quit();
  }
});

compatTest("ioredis: multi-key commands (mset/mget/del/exists)", async (peer) => {
  const redis = ioredis(peer.port);
  try {
    assert.equal(await redis.mset({ a: "1", b: "2", c: "3" }), "OK");
    assert.equal(await redis.mset("d", "4", "e", "5"), "OK");
    assert.deepEqual(await redis.mget("a", "b", "nokey", "c", "e"), ["1", "2", null, "3", "5"]);
    assert.equal(await redis.exists("a", "b", "nokey", "a"), 3);
    assert.equal(await redis.del("a", "b", "nokey"), 2);
    assert.deepEqual(await redis.mget(["a", "b", "c"]), [null, null, "3"]);
    assert.equal(await redis.msetnx("c", "x", "f", "6"), 0);
    assert.equal(await redis.msetnx("f", "6", "g", "7"), 1);
    assert.equal(await redis.dbsize(), 5);
  } finally {
    await redis.quit();
  }
});

compatTest("ioredis: psubscribe + publish, subscribe + publish", async (peer) => {
  const sub = ioredis(peer.port);
  const pub = ioredis(peer.port);
  try {
    const pmessages = new Inbox<[string, string, string]>();
    const messages = new Inbox<[string, string]>();
    sub.on(
      "pmessage",
      (pattern: string, channel: string, message: string) =>
        pmessages.push([pattern, channel, message]),
    );
    sub.on("message", (channel: string, message: string) => messages.push([channel, message]));
    assert.equal(await sub.psubscribe("news.*", "weather.?"), 2);
    assert.equal(await sub.subscribe("direct"), 3);
    // a subscribed ioredis connection refuses other commands itself; the server's
    // view is checked through the publisher
    assert.equal(await pub.publish("news.tech", "deno"), 1);
    assert.equal(await pub.publish("weather.x", "sunny"), 1);
    assert.equal(await pub.publish("weather.xy", "no match"), 0);
    assert.equal(await pub.publish("direct", "hi"), 1);
    assert.deepEqual(await pub.pubsub("NUMPAT"), 2);
    assert.deepEqual(await pub.pubsub("CHANNELS"), ["direct"]);
    assert.deepEqual(await pmessages.waitFor(2), [
      ["news.*", "news.tech", "deno"],
      ["weather.?", "weather.x", "sunny"],
    ]);
    assert.deepEqual(await messages.waitFor(1), [["direct", "hi"]]);
    assert.equal(await sub.punsubscribe("news.*"), 2);
    assert.equal(await pub.publish("news.tech", "gone"), 0);
    // (ioredis waits forever on a bare punsubscribe()/unsubscribe(): name them)
    assert.equal(await sub.punsubscribe("weather.?"), 1);
    assert.equal(await sub.unsubscribe("direct"), 0);
    // out of subscribed mode, ordinary commands work again
    assert.equal(await sub.ping(), "PONG");
    assert.equal(pmessages.items.length, 2);
  } finally {
    await Promise.all([sub.quit(), pub.quit()]);
  }
});

compatTest("ioredis: reconnects after the server restarts on the same port", async (first) => {
  let peer = first;
  const redis = ioredis(peer.port);
  try {
    assert.equal(await redis.set("before", "1"), "OK");
    let reconnected = 0;
    redis.on("ready", () => reconnected++);
    peer = await restart(peer, redis);
    // queued while disconnected, sent once reconnected; the new server is empty
    assert.equal(await redis.get("before"), null);
    assert.equal(await redis.set("after", "2"), "OK");
    assert.equal(await redis.get("after"), "2");
    assert.ok(reconnected >= 1, "ioredis emitted ready again");
    await using c = await RawClient.connect(peer.port);
    assert.equal(await c.call("GET", "after"), "$1\r\n2\r\n");
  } finally {
    await redis.quit();
    if (peer !== first) await peer.close();
  }
});

compatTest("ioredis: password with requirepass (AUTH), and without it", async (peer) => {
  const redis = new Redis({ host: "127.0.0.1", port: peer.port, password: "s3cret" });
  const anonymous = new Redis({
    host: "127.0.0.1",
    port: peer.port,
    maxRetriesPerRequest: 0,
    enableReadyCheck: false,
  });
  anonymous.on("error", () => {});
  try {
    assert.equal(await redis.set("k", "v"), "OK");
    assert.equal(await redis.get("k"), "v");
    await assert.rejects(anonymous.get("k"), /NOAUTH Authentication required\./);
    await assert.rejects(anonymous.auth("wrong"), /WRONGPASS invalid username-password pair/);
    assert.equal(await anonymous.auth("default", "s3cret"), "OK");
    assert.equal(await anonymous.get("k"), "v");
  } finally {
    await Promise.all([redis.quit(), anonymous.quit()]);
  }
}, { requirepass: "s3cret" });

// ---------------------------------------------------------- node-redis 4

async function nodeRedis4(port: number) {
  const client = createClientV4({
    url: `redis://127.0.0.1:${port}`,
    socket: { reconnectStrategy: () => 20 },
  });
  const errors: unknown[] = [];
  // without a listener, node-redis throws socket errors (the restart test causes some)
  client.on("error", (e: unknown) => errors.push(e));
  await client.connect();
  return client;
}

compatTest("node-redis 4: get/set, errors", async (peer) => {
  const client = await nodeRedis4(peer.port);
  try {
    assert.equal(await client.set("greeting", "hello world"), "OK");
    assert.equal(await client.get("greeting"), "hello world");
    assert.equal(await client.get("nokey"), null);
    assert.equal(await client.set("k", "v", { NX: true, EX: 100 }), "OK");
    assert.equal(await client.set("k", "v", { NX: true }), null);
    assert.equal(await client.incrBy("n", 41), 41);
    assert.equal(await client.incr("n"), 42);
    await assert.rejects(client.incr("greeting"), /ERR value is not an integer or out of range/);
    assert.equal(await client.ping(), "PONG");
    assert.equal(await client.sendCommand(["ECHO", "raw"]), "raw");
  } finally {
    await client.quit();
  }
});

compatTest("node-redis 4: automatic pipelining of concurrent commands", async (peer) => {
  const client = await nodeRedis4(peer.port);
  try {
    // commands issued in the same tick go out in one write
    const sets = Array.from({ length: 1000 }, (_, i) => client.set(`key:${i}`, String(i)));
    const incrs = Array.from({ length: 100 }, () => client.incr("counter"));
    const gets = Array.from({ length: 1000 }, (_, i) => client.get(`key:${i}`));
    assert.deepEqual(await Promise.all(sets), Array(1000).fill("OK"));
    assert.deepEqual(await Promise.all(incrs), Array.from({ length: 100 }, (_, i) => i + 1));
    assert.deepEqual(await Promise.all(gets), Array.from({ length: 1000 }, (_, i) => String(i)));
    // an error in the middle fails only its own command
    const mixed = await Promise.allSettled([
      client.set("s", "x"),
      client.incr("s"),
      client.get("s"),
    ]);
    assert.deepEqual(mixed[0], { status: "fulfilled", value: "OK" });
    assert.equal(mixed[1].status, "rejected");
    assert.deepEqual(mixed[2], { status: "fulfilled", value: "x" });
  } finally {
    await client.quit();
  }
});

compatTest("node-redis 4: multi-key commands (mSet/mGet/del/exists)", async (peer) => {
  const client = await nodeRedis4(peer.port);
  try {
    assert.equal(await client.mSet({ a: "1", b: "2", c: "3" }), "OK");
    assert.equal(await client.mSet([["d", "4"], ["e", "5"]]), "OK");
    assert.deepEqual(await client.mGet(["a", "b", "nokey", "c", "e"]), [
      "1",
      "2",
      null,
      "3",
      "5",
    ]);
    assert.equal(await client.exists(["a", "b", "nokey"]), 2);
    assert.equal(await client.del(["a", "b", "nokey"]), 2);
    assert.equal(await client.dbSize(), 3);
  } finally {
    await client.quit();
  }
});

compatTest("node-redis 4: pSubscribe + publish", async (peer) => {
  const client = await nodeRedis4(peer.port);
  const sub = client.duplicate();
  sub.on("error", () => {});
  await sub.connect();
  try {
    const inbox = new Inbox<[string, string]>();
    await sub.pSubscribe(
      "news.*",
      (message: string, channel: string) => inbox.push([channel, message]),
    );
    await sub.subscribe(
      "direct",
      (message: string, channel: string) => inbox.push([channel, message]),
    );
    assert.equal(await client.publish("news.tech", "deno"), 1);
    assert.equal(await client.publish("sport", "no match"), 0);
    assert.equal(await client.publish("direct", "hi"), 1);
    assert.deepEqual(await client.pubSubNumPat(), 1);
    assert.deepEqual({ ...await client.pubSubNumSub(["direct", "other"]) }, {
      direct: 1,
      other: 0,
    });
    assert.deepEqual(await inbox.waitFor(2), [["news.tech", "deno"], ["direct", "hi"]]);
    await sub.pUnsubscribe("news.*");
    assert.equal(await client.publish("news.tech", "gone"), 0);
    await sub.unsubscribe();
    assert.equal(await sub.ping(), "PONG");
  } finally {
    await Promise.all([sub.quit(), client.quit()]);
  }
});

compatTest("node-redis 4: reconnects after the server restarts on the same port", async (first) => {
  let peer = first;
  const client = await nodeRedis4(peer.port);
  try {
    assert.equal(await client.set("before", "1"), "OK");
    let ready = 0;
    client.on("ready", () => ready++);
    peer = await restart(peer, client);
    // the offline queue holds commands until the socket is back
    assert.equal(await client.get("before"), null);
    assert.equal(await client.set("after", "2"), "OK");
    assert.equal(await client.get("after"), "2");
    assert.ok(ready >= 1, "node-redis emitted ready again");
  } finally {
    await client.quit();
    if (peer !== first) await peer.close();
  }
});

// ------------------------------------------------- node-redis 5 (RESP3)

async function nodeRedis5(port: number, resp: 2 | 3) {
  const client = createClientV5({
    url: `redis://127.0.0.1:${port}`,
    RESP: resp,
    socket: { reconnectStrategy: () => 20 },
  });
  client.on("error", () => {});
  await client.connect();
  return client;
}

compatTest("node-redis 5: RESP3 (HELLO 3): maps, nulls, commands", async (peer) => {
  const client = await nodeRedis5(peer.port, 3);
  try {
    // raw replies show the protocol: a RESP3 map decodes to an object
    const hello = await client.sendCommand(["HELLO"]) as Record<string, unknown>;
    assert.equal(hello.proto, 3);
    assert.equal(hello.mode, "standalone");
    assert.equal(hello.role, "master");
    assert.deepEqual(hello.modules, []);
    assert.ok(typeof hello.id === "number" && hello.id > 0);
    assert.equal(Object.getPrototypeOf(hello), null, "a RESP3 map, not an array");
    const config = await client.sendCommand(["CONFIG", "GET", "maxclients"]);
    assert.deepEqual({ ...config as object }, { maxclients: "10000" });
    assert.ok(!Array.isArray(config));
    assert.equal(await client.sendCommand(["GET", "nokey"]), null);
    assert.equal(await client.set("k", "v"), "OK");
    assert.equal(await client.get("k"), "v");
    assert.deepEqual(await client.mGet(["k", "nokey"]), ["v", null]);
    assert.equal(await client.incr("n"), 1);
    assert.equal(await client.incrByFloat("f", 1.5), "1.5");
    // typed maps: the same reply decoded as a Map
    const asMap = await client.sendCommand(["CONFIG", "GET", "maxclients"], {
      typeMapping: { [RESP_TYPES.MAP]: Map },
    });
    assert.ok(asMap instanceof Map);
    assert.deepEqual([...asMap], [["maxclients", "10000"]]);
    // the same command over RESP2 is a flat array
    const resp2 = await nodeRedis5(peer.port, 2);
    try {
      assert.deepEqual(await resp2.sendCommand(["CONFIG", "GET", "maxclients"]), [
        "maxclients",
        "10000",
      ]);
    } finally {
      resp2.destroy();
    }
  } finally {
    client.destroy();
  }
});

compatTest("node-redis 5: RESP3 pSubscribe receives push messages", async (peer) => {
  const client = await nodeRedis5(peer.port, 3);
  const sub = client.duplicate();
  sub.on("error", () => {});
  await sub.connect();
  try {
    const inbox = new Inbox<[string, string]>();
    await sub.pSubscribe(
      "news.*",
      (message: string, channel: string) => inbox.push([channel, message]),
    );
    assert.equal(await client.publish("news.tech", "deno"), 1);
    assert.equal(await client.publish("news.", "empty suffix"), 1);
    assert.equal(await client.publish("other", "no match"), 0);
    assert.deepEqual(await inbox.waitFor(2), [["news.tech", "deno"], ["news.", "empty suffix"]]);
    // RESP3 allows ordinary commands on a subscribed connection
    assert.equal(await sub.get("nokey"), null);
    await sub.pUnsubscribe();
    assert.equal(await client.publish("news.tech", "gone"), 0);
  } finally {
    sub.destroy();
    client.destroy();
  }
});

compatTest("node-redis 5: RESP3 reconnects after the server restarts", async (first) => {
  let peer = first;
  const client = await nodeRedis5(peer.port, 3);
  try {
    assert.equal(await client.set("before", "1"), "OK");
    peer = await restart(peer, client);
    assert.equal(await client.get("before"), null);
    assert.equal(await client.set("after", "2"), "OK");
    const hello = await client.sendCommand(["HELLO"]) as Record<string, unknown>;
    assert.equal(hello.proto, 3, "HELLO 3 sent again on the new connection");
  } finally {
    client.destroy();
    if (peer !== first) await peer.close();
  }
});

compatTest("node-redis 5: RESP3 with a password (HELLO 3 AUTH default <pw>)", async (peer) => {
  const client = createClientV5({
    url: `redis://:s3cret@127.0.0.1:${peer.port}`,
    RESP: 3,
  });
  client.on("error", () => {});
  await client.connect();
  try {
    assert.equal(await client.set("k", "v"), "OK");
    const hello = await client.sendCommand(["HELLO"]) as Record<string, unknown>;
    assert.equal(hello.proto, 3);
  } finally {
    client.destroy();
  }
  const wrong = createClientV5({
    url: `redis://:wrong@127.0.0.1:${peer.port}`,
    RESP: 3,
    socket: { reconnectStrategy: false },
  });
  wrong.on("error", () => {});
  try {
    await assert.rejects(wrong.connect(), /WRONGPASS invalid username-password pair/);
  } finally {
    if (wrong.isOpen) wrong.destroy();
  }
}, { requirepass: "s3cret" });
