/**
 * Client tests: every command method, error replies, binary safety, abort and
 * timeouts, connection loss and reconnection, state, close and `using`,
 * RESP3 and AUTH. Each suite runs against our server and against a real
 * redis-server (when installed); features our server lacks until issue 5 run
 * against real Redis only and say so in the test name.
 */

import assert from "node:assert/strict";
import {
  BufferedClient,
  Client,
  type Commands,
  connect,
  ConnectionError,
  ReplyError,
} from "../client/mod.ts";
import { freePort, RedisProcess, startTestServer } from "./helpers.ts";
import {
  eachTarget,
  lacks,
  REDIS,
  settle,
  type Target,
  TARGETS,
  TcpProxy,
  testName,
  waitForState,
} from "./client_helpers.ts";

const FAST_RECONNECT = { initialDelay: 5, maxDelay: 50, maxWait: 10_000 };

function addr(port: number) {
  return { hostname: "127.0.0.1", port };
}

/** Exercises every command method on `c` (a Client, a BufferedClient, a RESP3 client...). */
async function checkEveryMethod(c: Commands, _target: Target): Promise<void> {
  const enc = new TextEncoder();
  assert.equal(await c.flushall(), "OK");
  // connection
  assert.equal(await c.ping(), "PONG");
  assert.equal(await c.ping("hi"), "hi");
  assert.equal(await c.echo("héllo"), "héllo");
  // SET and options
  assert.equal(await c.set("k", "v"), "OK");
  assert.equal(await c.get("k"), "v");
  assert.equal(await c.get("missing"), null);
  assert.equal(await c.set("k", "v2", { nx: true }), null);
  assert.equal(await c.set("k", "v2", { xx: true }), "OK");
  assert.equal(await c.set("nope", "x", { xx: true }), null);
  assert.equal(await c.set("k", "v3", { get: true }), "v2");
  assert.equal(await c.set("e", "1", { ex: 100 }), "OK");
  const ttl = await c.ttl("e");
  assert.ok(ttl > 90 && ttl <= 100, `ttl ${ttl}`);
  assert.equal(await c.set("p", "1", { px: 100_000 }), "OK");
  const pttl = await c.pttl("p");
  assert.ok(pttl > 90_000 && pttl <= 100_000, `pttl ${pttl}`);
  assert.equal(await c.set("p", "2", { keepttl: true }), "OK");
  assert.ok(await c.pttl("p") > 90_000);
  const at = Math.floor(Date.now() / 1000) + 1000;
  assert.equal(await c.set("xat", "1", { exat: at }), "OK");
  assert.equal(await c.expiretime("xat"), at);
  assert.equal(await c.set("pxat", "1", { pxat: at * 1000 }), "OK");
  assert.equal(await c.pexpiretime("pxat"), at * 1000);
  // the string family
  assert.equal(await c.setnx("nx", "1"), true);
  assert.equal(await c.setnx("nx", "2"), false);
  assert.equal(await c.setex("se", 100, "v"), "OK");
  assert.equal(await c.get("se"), "v");
  assert.equal(await c.psetex("pse", 100_000, "v"), "OK");
  assert.ok(await c.pttl("pse") > 90_000);
  assert.equal(await c.getset("k", "new"), "v3");
  assert.equal(await c.getdel("k"), "new");
  assert.equal(await c.getdel("k"), null);
  assert.equal(await c.getex("e", { persist: true }), "1");
  assert.equal(await c.ttl("e"), -1);
  assert.equal(await c.getex("e", { ex: 50 }), "1");
  assert.ok(await c.ttl("e") > 40);
  assert.equal(await c.getex("missing"), null);
  assert.equal(await c.mset({ a: "1", b: "2" }), "OK");
  assert.deepEqual(await c.mget("a", "b", "zz"), ["1", "2", null]);
  assert.deepEqual(await c.mgetBytes("a", "zz"), [enc.encode("1"), null]);
  assert.equal(await c.msetnx([["a", "x"], ["c", "3"]]), false);
  assert.equal(await c.get("c"), null);
  assert.equal(await c.msetnx({ d: "4" }), true);
  assert.equal(await c.append("s", "ab"), 2);
  assert.equal(await c.append("s", "cd"), 4);
  assert.equal(await c.strlen("s"), 4);
  assert.equal(await c.strlen("missing"), 0);
  assert.equal(await c.getrange("s", 1, 2), "bc");
  assert.equal(await c.getrange("s", -3, -1), "bcd");
  assert.equal(await c.setrange("s", 1, "XY"), 4);
  assert.equal(await c.get("s"), "aXYd");
  assert.equal(await c.incr("n"), 1);
  assert.equal(await c.incrby("n", 10), 11);
  assert.equal(await c.decr("n"), 10);
  assert.equal(await c.decrby("n", 5), 5);
  assert.equal(await c.incrby("n", 10n), 15);
  assert.equal(await c.incrbyfloat("f", 1.5), 1.5);
  assert.equal(await c.incrbyfloat("f", 0.25), 1.75);
  assert.equal(await c.get("f"), "1.75");
  assert.equal(await c.setbit("bits", 7, 1), 0);
  assert.equal(await c.setbit("bits", 7, 1), 1);
  assert.equal(await c.getbit("bits", 7), 1);
  assert.equal(await c.getbit("bits", 100), 0);
  assert.equal(await c.bitcount("bits"), 1);
  assert.equal(await c.bitcount("bits", { start: 0, end: 0 }), 1);
  assert.equal(await c.bitcount("bits", { start: 0, end: 6, unit: "BIT" }), 0);
  // keys
  assert.equal(await c.del("a", "b", "nope"), 2);
  assert.equal(await c.unlink("d", "nope"), 1);
  assert.equal(await c.set("d", "4"), "OK");
  assert.equal(await c.exists("d", "d", "nope"), 2);
  assert.equal(await c.touch("d", "nope"), 1);
  assert.equal(await c.type("d"), "string");
  assert.equal(await c.type("nope"), "none");
  const all = ["bits", "d", "e", "f", "n", "nx", "p", "pse", "pxat", "s", "se", "xat"];
  assert.deepEqual((await c.keys("*")).sort(), all);
  assert.deepEqual((await c.keys("p*")).sort(), ["p", "pse", "pxat"]);
  const scanned = new Set<string>();
  for await (const key of c.scanIterator({ count: 3 })) scanned.add(key);
  assert.deepEqual([...scanned].sort(), all);
  const matched = new Set<string>();
  for await (const key of c.scanIterator({ match: "s*" })) matched.add(key);
  assert.deepEqual([...matched].sort(), ["s", "se"]);
  const [cursor, batch] = await c.scan(0, { count: 100 });
  assert.equal(cursor, "0");
  assert.deepEqual(batch.sort(), all);
  assert.ok(all.includes((await c.randomkey())!));
  assert.equal(await c.rename("d", "d2"), "OK");
  assert.equal(await c.renamenx("d2", "s"), false);
  assert.equal(await c.renamenx("d2", "d3"), true);
  assert.equal(await c.copy("d3", "d4"), true);
  assert.equal(await c.copy("d3", "d4"), false);
  assert.equal(await c.copy("s", "d4", { replace: true }), true);
  assert.equal(await c.get("d4"), "aXYd");
  assert.equal(await c.dbsize(), all.length + 1);
  // expiry
  assert.equal(await c.expire("d3", 100), true);
  assert.equal(await c.expire("d3", 50, "GT"), false);
  assert.equal(await c.expire("d3", 200, "GT"), true);
  assert.equal(await c.expire("d3", 10, "NX"), false);
  assert.equal(await c.expire("missing", 10), false);
  assert.equal(await c.pexpire("d3", 300_000), true);
  assert.ok(await c.pttl("d3") > 290_000);
  const later = Math.floor(Date.now() / 1000) + 500;
  assert.equal(await c.expireat("d3", later), true);
  assert.equal(await c.expiretime("d3"), later);
  assert.equal(await c.pexpireat("d3", later * 1000 + 5), true);
  assert.equal(await c.pexpiretime("d3"), later * 1000 + 5);
  assert.equal(await c.persist("d3"), true);
  assert.equal(await c.persist("d3"), false);
  assert.equal(await c.ttl("d3"), -1);
  assert.equal(await c.ttl("missing"), -2);
  assert.equal(await c.pttl("missing"), -2);
  assert.equal(await c.expiretime("d3"), -1);
  // the generic send
  assert.deepEqual(await c.send(["ECHO", "raw"]), enc.encode("raw"));
  assert.equal(await c.send(["STRLEN", "s"]), 4);
  // pub/sub publish (no subscriber)
  assert.equal(await c.publish("chan", "x"), 0);
  // clean up
  assert.equal(await c.flushdb(), "OK");
  assert.equal(await c.dbsize(), 0);
  assert.equal(await c.randomkey(), null);
}

eachTarget("every command method of Client", async (target, port) => {
  await using c = await connect(addr(port));
  await checkEveryMethod(c, target);
});

eachTarget("every command method of BufferedClient", async (target, port) => {
  await using c = await BufferedClient.connect(addr(port));
  await checkEveryMethod(c, target);
});

eachTarget("every command method over RESP3 (HELLO 3)", async (target, port) => {
  await using c = await connect(addr(port), { protocol: 3 });
  await checkEveryMethod(c, target);
}, "hello");

eachTarget("an error reply rejects only its command, with Redis's message", async (_t, port) => {
  await using c = await connect(addr(port));
  await using b = BufferedClient.from(await connect(addr(port)));
  for (const client of [c, b]) {
    await client.set("str", "abc");
    const results = await Promise.allSettled([
      client.get("str"),
      client.incr("str"),
      client.set("x", "1", { ex: 0 }),
      client.send(["NOSUCHCOMMAND", "a"]),
      client.send(["GET"]),
      client.get("str"),
    ]);
    assert.deepEqual(results[0], { status: "fulfilled", value: "abc" });
    const reason = (i: number) => (results[i] as PromiseRejectedResult).reason;
    assert.ok(reason(1) instanceof ReplyError);
    assert.equal(reason(1).message, "ERR value is not an integer or out of range");
    assert.equal(reason(1).code, "ERR");
    assert.equal(reason(2).message, "ERR invalid expire time in 'set' command");
    assert.equal(
      reason(3).message,
      "ERR unknown command 'NOSUCHCOMMAND', with args beginning with: 'a' ",
    );
    assert.equal(reason(4).message, "ERR wrong number of arguments for 'get' command");
    assert.deepEqual(results[5], { status: "fulfilled", value: "abc" });
    assert.equal(await client.ping(), "PONG");
  }
});

eachTarget("values are binary-safe (getBytes) and strings are UTF-8 (get)", async (_t, port) => {
  await using c = await connect(addr(port));
  const bytes = new Uint8Array(256).map((_, i) => i);
  const key = new Uint8Array([0, 255, 13, 10, 36]);
  assert.equal(await c.set(key, bytes), "OK");
  assert.deepEqual(await c.getBytes(key), bytes);
  assert.equal(await c.strlen(key), 256);
  assert.equal(await c.set("ü", "日本語 ✓"), "OK");
  assert.equal(await c.get("ü"), "日本語 ✓");
  assert.deepEqual(await c.getBytes("ü"), new TextEncoder().encode("日本語 ✓"));
  assert.equal(await c.getBytes("missing"), null);
  assert.deepEqual(await c.getdelBytes(key), bytes);
  const big = new Uint8Array(3 * 1024 * 1024).map((_, i) => i * 7);
  assert.equal(await c.set("big", big), "OK");
  assert.deepEqual(await c.getBytes("big"), big);
  await assert.rejects(c.send(["SET", "k", undefined as unknown as string]), TypeError);
  assert.equal(await c.ping(), "PONG");
});

for (const kind of ["Client", "BufferedClient"] as const) {
  const open = async (port: number, options = {}) =>
    kind === "Client"
      ? await connect(addr(port), options)
      : await BufferedClient.connect(addr(port), options);

  eachTarget(
    `${kind}: an aborted command rejects at once; its late reply is discarded`,
    async (_t, port) => {
      await using proxy = TcpProxy.start(port);
      await using c = await open(proxy.port);
      await c.set("a", "1");
      await c.set("b", "2");
      proxy.hold();
      const ac = new AbortController();
      const first = c.get("a", { signal: ac.signal });
      await proxy.waitForCommands(3); // written, its reply held by the proxy
      const reason = new Error("caller gave up");
      ac.abort(reason);
      await assert.rejects(first, (e) => e === reason);
      const second = c.get("b");
      if (kind === "BufferedClient") await proxy.waitForCommands(4);
      await proxy.release();
      assert.equal(await second, "2"); // not "1": the connection is still in step
      assert.equal(await c.get("a"), "1");
      // An already aborted signal rejects without sending anything.
      const before = proxy.commands;
      await assert.rejects(c.get("a", { signal: AbortSignal.abort("no") }), (e) => e === "no");
      assert.equal(await c.ping(), "PONG");
      assert.equal(proxy.commands, before + 1);
    },
  );

  eachTarget(
    `${kind}: commandTimeout rejects with TimeoutError and keeps the connection in step`,
    async (_t, port) => {
      await using proxy = TcpProxy.start(port);
      await using c = await open(proxy.port, { commandTimeout: 50 });
      await c.set("a", "1");
      await c.set("b", "2");
      proxy.hold();
      await assert.rejects(
        c.get("a"),
        (e) => e instanceof DOMException && e.name === "TimeoutError",
      );
      await assert.rejects(
        c.get("a", { timeout: 20 }),
        (e) => e instanceof DOMException && e.name === "TimeoutError",
      );
      const after = c.get("b", { timeout: 0 }); // 0: no timeout for this one
      // The plain client never wrote the second GET: it timed out while waiting its turn.
      await proxy.waitForCommands(kind === "Client" ? 3 : 5);
      await proxy.release();
      assert.equal(await after, "2");
      assert.equal(await c.get("a"), "1");
    },
  );

  eachTarget(
    `${kind}: connection lost mid-flight: written reject, queued succeed after restart`,
    async (_t, port) => {
      await using proxy = TcpProxy.start(port);
      await using c = await open(proxy.port, { reconnect: FAST_RECONNECT });
      await c.set("k", "before");
      proxy.hold();
      const written = [c.set("k", "lost?"), c.get("k")];
      written.forEach((p) => p.catch(() => {})); // asserted below
      // The plain client writes one at a time: only the first is on the wire.
      await proxy.waitForCommands(kind === "Client" ? 2 : 3);
      const states = c.watchState();
      await proxy.kill();
      if (kind === "Client") {
        // The second command was queued behind the first: it waits for the reconnect.
        await assert.rejects(written[0], ConnectionError);
      } else {
        for (const p of written) await assert.rejects(p, ConnectionError);
      }
      while (states.borrow() !== "reconnecting") await states.changed();
      const queued = [c.set("k", "after"), c.get("k"), c.incr("counter")];
      await settle();
      assert.equal(c.state, "reconnecting");
      proxy.restart();
      while (states.borrow() !== "ready") await states.changed();
      states.close();
      assert.deepEqual(await Promise.all(queued), ["OK", "after", 1]);
      if (kind === "Client") {
        // The GET queued before the restart runs first; the lost SET may or may not have executed.
        assert.ok(["lost?", "before"].includes((await written[1])!));
      }
      assert.equal(await c.get("k"), "after");
    },
  );

  eachTarget(
    `${kind}: an aborted command that was never written is never sent`,
    async (_t, port) => {
      await using proxy = TcpProxy.start(port);
      await using c = await open(proxy.port, { reconnect: FAST_RECONNECT });
      await c.ping();
      await proxy.kill();
      await waitForState(c, "reconnecting");
      const ac = new AbortController();
      const aborted = c.set("never", "1", { signal: ac.signal });
      const kept = c.set("kept", "1");
      ac.abort(new Error("stop"));
      await assert.rejects(aborted, /stop/);
      const before = proxy.commands;
      proxy.restart();
      assert.equal(await kept, "OK");
      assert.equal(proxy.commands, before + 1);
      assert.equal(await c.get("never"), null);
    },
  );

  eachTarget(
    `${kind}: close() lets queued commands finish, then rejects new ones`,
    async (_t, port) => {
      const c = await open(port);
      const queued = Array.from({ length: 50 }, (_, i) => c.set(`q${i}`, String(i)));
      const last = c.incr("q-counter");
      const closing = c.close();
      await assert.rejects(c.get("q1"), ConnectionError);
      await closing;
      assert.deepEqual(await Promise.all(queued), queued.map(() => "OK"));
      assert.equal(await last, 1);
      assert.equal(c.state, "closed");
      await c.close(); // idempotent
      await using check = await connect(addr(port));
      assert.equal(await check.get("q49"), "49");
    },
  );
}

eachTarget("state is observable through a watch channel", async (_t, port) => {
  await using proxy = TcpProxy.start(port);
  const c = await connect(addr(proxy.port), { reconnect: FAST_RECONNECT });
  const rx = c.watchState();
  const seen: string[] = [rx.borrow()];
  const recording = (async () => {
    try {
      for (;;) {
        await rx.changed();
        seen.push(rx.borrow());
      }
    } catch {
      // the sender is released when the client closes
    }
  })();
  assert.equal(c.state, "ready");
  await proxy.kill();
  await waitForState(c, "reconnecting");
  proxy.restart();
  await waitForState(c, "ready");
  await c.close();
  await recording;
  rx.close();
  assert.deepEqual(seen, ["ready", "reconnecting", "ready", "closed"]);
});

eachTarget(
  "reconnection gives up after maxWait: waiting commands reject, state closed",
  async (_t, port) => {
    await using proxy = TcpProxy.start(port);
    await using c = await connect(addr(proxy.port), {
      reconnect: { initialDelay: 5, maxDelay: 20, maxWait: 200 },
    });
    await proxy.kill();
    await waitForState(c, "reconnecting");
    const waiting = c.get("k"); // not written: it waits for a reconnection that never comes
    await assert.rejects(
      waiting,
      (e) => e instanceof ConnectionError && /within 200 ms/.test(e.message),
    );
    assert.equal(c.state, "closed");
    await assert.rejects(c.get("k"), ConnectionError);
  },
);

eachTarget("reconnect: false closes the client when the connection is lost", async (_t, port) => {
  await using proxy = TcpProxy.start(port);
  await using c = await BufferedClient.connect(addr(proxy.port), { reconnect: false });
  proxy.hold();
  const inFlight = c.get("k");
  inFlight.catch(() => {}); // asserted below; it may reject while the proxy is being killed
  await proxy.waitForCommands(1);
  await proxy.kill();
  await assert.rejects(inFlight, ConnectionError);
  await waitForState(c, "closed");
  await assert.rejects(c.get("k"), ConnectionError);
});

eachTarget("await using closes clients, buffered clients and subscribers", async (target, port) => {
  let client: Client;
  let buffered: BufferedClient;
  {
    await using c = await connect(addr(port));
    await using b = BufferedClient.from(await connect(addr(port)));
    client = c;
    buffered = b;
    await c.set("u", "1");
    assert.equal(await b.get("u"), "1");
  }
  assert.equal(client.state, "closed");
  assert.equal(buffered.state, "closed");
  assert.equal(buffered.client.state, "closed");
  if (lacks(target, "pubsub") === undefined) {
    let state = "";
    {
      await using c = await connect(addr(port));
      await using sub = await c.subscribe("x");
      state = sub.state;
      assert.equal(state, "ready");
      await using _sub2 = await c.psubscribe("y*");
    }
  }
  // The test's sanitizers check that no socket, timer or promise was left behind.
});

eachTarget("connection refused rejects with a ConnectionError", async () => {
  const port = freePort();
  await assert.rejects(
    connect(addr(port)),
    (e) =>
      e instanceof ConnectionError &&
      e.message === `Could not connect to 127.0.0.1:${port}: Connection refused`,
  );
  await assert.rejects(BufferedClient.connect(`127.0.0.1:${port}`), ConnectionError);
});

eachTarget("addresses: host:port, { hostname, port }, redis:// URL with /db", async (_t, port) => {
  for (
    const a of [`127.0.0.1:${port}`, `redis://127.0.0.1:${port}`, `redis://127.0.0.1:${port}/0`]
  ) {
    await using c = await connect(a);
    assert.equal(await c.ping(), "PONG");
  }
  await using c = await connect(new URL(`redis://127.0.0.1:${port}`));
  assert.equal(await c.ping(), "PONG");
  await assert.rejects(connect("http://x:1"), TypeError);
  await assert.rejects(connect(`redis://127.0.0.1:${port}/1x`), TypeError);
});

// ---- real server restarts --------------------------------------------------------------

Deno.test({
  name: testName(
    REDIS,
    "server killed mid-flight (SIGKILL, restart on the same port)",
    REDIS.ignore,
  ),
  ignore: REDIS.ignore !== undefined,
  async fn() {
    await using redis = await RedisProcess.start();
    await using plain = await connect(addr(redis.port), { reconnect: FAST_RECONNECT });
    await using shared = await BufferedClient.connect(addr(redis.port), {
      reconnect: FAST_RECONNECT,
    });
    await using observer = await connect(addr(redis.port), { reconnect: FAST_RECONNECT });
    // A command the server holds forever: written, never answered.
    const blockedPlain = plain.send(["BLPOP", "nolist", "0"]);
    const queuedPlain = [plain.set("a", "1"), plain.get("a")]; // queued behind it
    const blockedShared = shared.send(["BLPOP", "nolist", "0"]);
    // Both reject when the server dies, each on its own connection's schedule.
    for (const p of [blockedPlain, blockedShared]) p.catch(() => {});
    for (;;) {
      const info = await observer.send(["INFO", "clients"]);
      if (/blocked_clients:2\r\n/.test(new TextDecoder().decode(info as Uint8Array))) break;
      await new Promise((r) => setTimeout(r, 5));
    }
    await redis.kill();
    await assert.rejects(blockedPlain, ConnectionError);
    await assert.rejects(blockedShared, ConnectionError);
    await waitForState(shared, "reconnecting");
    const queuedShared = [shared.set("b", "2"), shared.get("b"), shared.get("a")];
    await redis.restart();
    assert.deepEqual(await Promise.all(queuedPlain), ["OK", "1"]);
    const [ok, b, a] = await Promise.all(queuedShared);
    assert.equal(ok, "OK");
    assert.equal(b, "2");
    assert.ok(a === "1" || a === null); // ordering between the two clients is not defined
    assert.equal(await observer.get("b"), "2");
  },
});

Deno.test({
  name: "ours: server closed and restarted on the same port: queued commands succeed",
  async fn() {
    const port = freePort();
    let server = await startTestServer({ port });
    await using shared = await BufferedClient.connect(addr(port), { reconnect: FAST_RECONNECT });
    await shared.set("k", "1");
    await server.close();
    await waitForState(shared, "reconnecting");
    const queued = [shared.get("k"), shared.set("k", "2"), shared.get("k")];
    server = await startTestServer({ port });
    try {
      // A new server has an empty keyspace.
      assert.deepEqual(await Promise.all(queued), [null, "OK", "2"]);
    } finally {
      await shared.close();
      await server.close();
    }
  },
});

// ---- AUTH --------------------------------------------------------------------------------

for (const target of TARGETS) {
  const ignore = lacks(target, "auth");
  Deno.test({
    name: testName(target, "AUTH via URL or options, re-sent on reconnect", ignore),
    ignore: ignore !== undefined,
    async fn() {
      // the same password on either server: `--requirepass` / the `requirepass` option
      await using redis = target.name === "redis"
        ? await RedisProcess.start({ args: ["--requirepass", "s3cret"] })
        : await startTestServer({ requirepass: "s3cret" });
      await using proxy = TcpProxy.start(redis.port);
      {
        await using anonymous = await connect(addr(redis.port));
        await assert.rejects(
          anonymous.get("k"),
          (e) => e instanceof ReplyError && e.code === "NOAUTH",
        );
      }
      await assert.rejects(
        connect(`redis://:wrong@127.0.0.1:${redis.port}`),
        (e) => e instanceof ReplyError && e.code === "WRONGPASS",
      );
      await using viaUrl = await connect(`redis://:s3cret@127.0.0.1:${proxy.port}/0`, {
        reconnect: FAST_RECONNECT,
      });
      await using viaOptions = await connect(addr(redis.port), { password: "s3cret", protocol: 3 });
      await using viaUser = await connect(`redis://default:s3cret@127.0.0.1:${redis.port}`);
      assert.equal(await viaUrl.set("k", "v"), "OK");
      assert.equal(await viaOptions.get("k"), "v");
      assert.equal(await viaUser.get("k"), "v");
      await proxy.kill();
      await waitForState(viaUrl, "reconnecting");
      proxy.restart();
      assert.equal(await viaUrl.get("k"), "v"); // would be NOAUTH without the re-sent AUTH
    },
  });
}

Deno.test("plain Client: concurrent callers take turns, one request in flight", async () => {
  await using server = await TARGETS[0].start();
  await using proxy = TcpProxy.start(server.port);
  await using c = await connect(addr(proxy.port));
  proxy.hold();
  const replies = Array.from({ length: 5 }, (_, i) => c.echo(String(i)));
  await proxy.waitForCommands(1);
  await settle();
  assert.equal(proxy.commands, 1); // the others wait their turn
  await proxy.release();
  assert.deepEqual(await Promise.all(replies), ["0", "1", "2", "3", "4"]);
  assert.equal(proxy.commands, 5);
});
