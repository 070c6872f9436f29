// Real libraries built on transactions and scripting, each run against a
// real redis-server and against our server (the same test, both peers):
// ioredis multi(), watch() conflicts and defineCommand (EVALSHA with the
// NOSCRIPT fallback to EVAL); node-redis multi() and WATCH conflicts;
// redlock (contended lock, extend, release, mutual exclusion); and
// rate-limiter-flexible's RateLimiterRedis (exactly N of M consumed).

import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { Redis } from "npm:ioredis@5";
import { createClient } from "npm:redis@4";
import Redlock from "npm:redlock@5.0.0-beta.2";
import { RateLimiterRedis } from "npm:rate-limiter-flexible@11.4.0";
import { eachPeer } from "./helpers.ts";

function ioredis(port: number): Redis {
  return new Redis({ port, host: "127.0.0.1", lazyConnect: false, maxRetriesPerRequest: 1 });
}

eachPeer("ioredis multi() runs the queued commands and returns each reply", async (peer) => {
  const r = ioredis(peer.port);
  try {
    const res = await r.multi().set("k", "v").incr("n").incr("n").get("k").exec();
    assert.deepEqual(res, [[null, "OK"], [null, 1], [null, 2], [null, "v"]]);
    // a runtime error inside EXEC does not stop the others
    const mixed = await r.multi().incr("k").set("k2", "x").exec();
    assert.ok(mixed![0][0] instanceof Error);
    assert.match(String(mixed![0][0]), /not an integer/);
    assert.deepEqual(mixed![1], [null, "OK"]);
  } finally {
    r.disconnect();
  }
});

eachPeer("ioredis watch(): a conflicting write makes exec() return null", async (peer) => {
  const a = ioredis(peer.port);
  const b = ioredis(peer.port);
  try {
    await a.set("balance", "10");
    await a.watch("balance");
    await b.set("balance", "20");
    assert.equal(await a.multi().set("balance", "0").exec(), null);
    assert.equal(await a.get("balance"), "20");
    // without a conflict the transaction commits
    await a.watch("balance");
    assert.deepEqual(await a.multi().set("balance", "0").exec(), [[null, "OK"]]);
    assert.equal(await b.get("balance"), "0");
  } finally {
    a.disconnect();
    b.disconnect();
  }
});

eachPeer(
  "ioredis defineCommand: EVALSHA, NOSCRIPT fallback to EVAL, binary replies",
  async (peer) => {
    const r = ioredis(peer.port) as Redis & {
      swapget(key: string, value: string): Promise<string | null>;
    };
    try {
      r.defineCommand("swapget", {
        numberOfKeys: 1,
        lua:
          "local old = redis.call('GET', KEYS[1]); redis.call('SET', KEYS[1], ARGV[1]); return old",
      });
      await r.script("FLUSH");
      assert.equal(await r.swapget("s", "one"), null);
      assert.equal(await r.swapget("s", "two"), "one");
      assert.equal(await r.swapget("s", "three"), "two");
      const pipeline = r.pipeline() as ReturnType<Redis["pipeline"]> & {
        swapget(key: string, value: string): ReturnType<Redis["pipeline"]>;
      };
      const pipe = await pipeline.swapget("s", "four").get("s").exec();
      assert.deepEqual(pipe, [[null, "three"], [null, "four"]]);
    } finally {
      r.disconnect();
    }
  },
);

eachPeer("node-redis multi() and WATCH conflicts", async (peer) => {
  const client = createClient({ socket: { port: peer.port, host: "127.0.0.1" } });
  const other = createClient({ socket: { port: peer.port, host: "127.0.0.1" } });
  await client.connect();
  await other.connect();
  try {
    assert.deepEqual(await client.multi().set("k", "v").get("k").incr("n").exec(), ["OK", "v", 1]);
    await client.set("w", "1");
    await assert.rejects(
      client.executeIsolated(async (iso) => {
        await iso.watch("w");
        await other.set("w", "2");
        return await iso.multi().set("w", "3").exec();
      }),
      (e: Error) => e.name === "WatchError" || /watch/i.test(e.message),
    );
    assert.equal(await client.get("w"), "2");
    const ok = await client.executeIsolated(async (iso) => {
      await iso.watch("w");
      return await iso.multi().set("w", "3").exec();
    });
    assert.deepEqual(ok, ["OK"]);
    assert.equal(
      await client.eval("return redis.call('GET', KEYS[1])", { keys: ["w"] }),
      "3",
    );
  } finally {
    await client.quit();
    await other.quit();
  }
});

eachPeer("redlock: contended lock, extend, release, mutual exclusion", async (peer) => {
  const clients = [ioredis(peer.port), ioredis(peer.port), ioredis(peer.port)];
  try {
    const a = new Redlock([clients[0]], { retryCount: 0 });
    const b = new Redlock([clients[1]], { retryCount: 0 });
    const lock = await a.acquire(["res"], 5000);
    await assert.rejects(b.acquire(["res"], 5000));
    const extended = await lock.extend(10000);
    assert.ok(extended.expiration > lock.expiration);
    await assert.rejects(b.acquire(["res"], 5000));
    await extended.release();
    const again = await b.acquire(["res"], 5000);
    await again.release();

    // mutual exclusion: workers increment a counter read-modify-write under the lock
    let inside = 0;
    let overlaps = 0;
    const workers = clients.map((c) =>
      (async () => {
        const rl = new Redlock([c], { retryCount: 200, retryDelay: 5, retryJitter: 5 });
        for (let i = 0; i < 5; i++) {
          const l = await rl.acquire(["counter-lock"], 2000);
          inside++;
          if (inside > 1) overlaps++;
          const v = Number(await c.get("counter") ?? "0");
          await sleep(2);
          await c.set("counter", String(v + 1));
          inside--;
          await l.release();
        }
      })()
    );
    await Promise.all(workers);
    assert.equal(overlaps, 0);
    assert.equal(await clients[0].get("counter"), String(clients.length * 5));
  } finally {
    for (const c of clients) c.disconnect();
  }
});

eachPeer("rate-limiter-flexible RateLimiterRedis consumes exactly N of M", async (peer) => {
  const r = ioredis(peer.port);
  try {
    const limiter = new RateLimiterRedis({
      storeClient: r,
      points: 5,
      duration: 60,
      keyPrefix: "rl",
    });
    const results = await Promise.allSettled(
      Array.from({ length: 12 }, () => limiter.consume("user-1")),
    );
    const ok = results.filter((x) => x.status === "fulfilled").length;
    assert.equal(ok, 5);
    assert.equal(results.length - ok, 7);
    const res = await limiter.get("user-1");
    assert.equal(res?.consumedPoints, 12);
  } finally {
    r.disconnect();
  }
});
