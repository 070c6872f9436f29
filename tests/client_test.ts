/**
 * Client tests: every command method, error replies, binary safety, abort and
 * timeouts, connection loss and reconnection, state, close and `using`,
 * RESP3, AUTH and the `db` option, connect and handshake timeouts, a server
 * out of step, short writes and write errors. Each test that needs a server
 * runs against a real redis-server first, then against ours (`eachPeer`);
 * the others use a fake server or a proxy that records what the client
 * wrote and when it had its replies, so "nothing else was sent" is checked
 * on the record, not by waiting.
 */

import assert from "node:assert/strict";
import {
  BufferedClient,
  Client,
  type Commands,
  connect,
  ConnectionError,
  ReplyError,
  Subscriber,
} from "../client/mod.ts";
import { writeAll } from "../client/connection.ts";
import {
  addr,
  bounded,
  eachPeer,
  FakeServer,
  FAST_RECONNECT,
  freePort,
  FullBacklog,
  HAVE_REDIS,
  RedisProcess,
  startTestServer,
  TcpProxy,
  waitFor,
  waitForState,
} from "./helpers.ts";

/** Reconnection that would keep trying for ten minutes: close() must not wait for it. */
const PATIENT_RECONNECT = { initialDelay: 5, maxDelay: 50, maxWait: 600_000 };

/** Exercises every command method on `c` (a Client, a BufferedClient, a RESP3 client...). */
async function checkEveryMethod(c: Commands): Promise<void> {
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

eachPeer("every command method of Client", async (peer) => {
  await using c = await connect(addr(peer.port));
  await checkEveryMethod(c);
});

eachPeer("every command method of BufferedClient", async (peer) => {
  await using c = await BufferedClient.connect(addr(peer.port));
  await checkEveryMethod(c);
});

eachPeer("every command method over RESP3 (HELLO 3)", async (peer) => {
  await using c = await connect(addr(peer.port), { protocol: 3 });
  await checkEveryMethod(c);
});

eachPeer("an error reply rejects only its command, with Redis's message", async (peer) => {
  await using c = await connect(addr(peer.port));
  await using b = BufferedClient.from(await connect(addr(peer.port)));
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

eachPeer("values are binary-safe (getBytes) and strings are UTF-8 (get)", async (peer) => {
  await using c = await connect(addr(peer.port));
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

  eachPeer(
    `${kind}: an aborted command rejects at once; its late reply is discarded`,
    async (peer) => {
      await using proxy = TcpProxy.start(peer.port);
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
      // An already aborted signal rejects without sending anything: the PING is the next command.
      const before = proxy.commands;
      await assert.rejects(c.get("a", { signal: AbortSignal.abort("no") }), (e) => e === "no");
      assert.equal(await c.ping(), "PONG");
      assert.deepEqual(proxy.commandArgs.slice(before), [["PING"]]);
    },
  );

  eachPeer(
    `${kind}: commandTimeout rejects with TimeoutError and keeps the connection in step`,
    async (peer) => {
      await using proxy = TcpProxy.start(peer.port);
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
      const gets = proxy.commandArgs.slice(2).map((args) => args.join(" "));
      assert.deepEqual(
        gets,
        kind === "Client" ? ["GET a", "GET b", "GET a"] : ["GET a", "GET a", "GET b", "GET a"],
      );
    },
  );

  eachPeer(
    `${kind}: connection lost mid-flight: written reject, queued succeed after restart`,
    async (peer) => {
      await using proxy = TcpProxy.start(peer.port);
      await using c = await open(proxy.port, { reconnect: FAST_RECONNECT });
      await c.set("k", "before");
      proxy.hold();
      const written = [c.set("k", "lost?"), c.get("k")];
      written.forEach((p) => p.catch(() => {})); // asserted below
      // The plain client writes one at a time: only the first is on the wire.
      // (The proxy counts a command once it has passed it on to the server.)
      await proxy.waitForCommands(kind === "Client" ? 2 : 3);
      const states = c.watchState();
      await proxy.kill();
      if (kind === "Client") {
        // The second command was queued behind the first: it waits for the reconnect.
        await assert.rejects(written[0], ConnectionError);
      } else {
        for (const p of written) await assert.rejects(p, ConnectionError);
      }
      await waitForState(c, "reconnecting");
      states.close();
      const queued = [c.set("k", "after"), c.get("k"), c.incr("counter")];
      assert.equal(c.state, "reconnecting");
      proxy.restart();
      assert.deepEqual(await Promise.all(queued), ["OK", "after", 1]);
      if (kind === "Client") {
        // The GET queued before the loss runs first after the reconnection. The lost SET
        // reached the server before the connection dropped: it ran, only its reply was lost.
        assert.equal(await written[1], "lost?");
      }
      assert.equal(await c.get("k"), "after");
      // Nothing written before the loss was sent again.
      assert.equal(proxy.commandArgs.filter((a) => a[2] === "lost?").length, 1);
    },
  );

  eachPeer(
    `${kind}: an aborted command that was never written is never sent`,
    async (peer) => {
      await using proxy = TcpProxy.start(peer.port);
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
      assert.equal(await c.get("never"), null);
      assert.deepEqual(proxy.commandArgs.slice(before), [["SET", "kept", "1"], ["GET", "never"]]);
    },
  );

  eachPeer(
    `${kind}: close() lets queued commands finish, then rejects new ones`,
    async (peer) => {
      const c = await open(peer.port);
      const queued = Array.from({ length: 50 }, (_, i) => c.set(`q${i}`, String(i)));
      const last = c.incr("q-counter");
      const closing = c.close();
      await assert.rejects(c.get("q1"), ConnectionError);
      await closing;
      assert.deepEqual(await Promise.all(queued), queued.map(() => "OK"));
      assert.equal(await last, 1);
      assert.equal(c.state, "closed");
      await c.close(); // idempotent
      await using check = await connect(addr(peer.port));
      assert.equal(await check.get("q49"), "49");
    },
  );

  eachPeer(
    `${kind}: close() while reconnecting returns at once; queued commands reject`,
    async (peer) => {
      await using proxy = TcpProxy.start(peer.port);
      const c = await open(proxy.port, { reconnect: PATIENT_RECONNECT });
      await c.ping();
      await proxy.kill();
      await waitForState(c, "reconnecting");
      const queued = [c.get("k"), c.set("k", "v")];
      queued.forEach((p) => p.catch(() => {})); // asserted below
      // The reconnection would go on for ten minutes: close() must not wait for it.
      await bounded(c.close(), "close() while reconnecting");
      for (const p of queued) await assert.rejects(p, ConnectionError);
      assert.equal(c.state, "closed");
      await assert.rejects(c.get("k"), ConnectionError);
      // It stopped trying: a server listening again gets no connection from it.
      proxy.restart();
      assert.equal(proxy.accepted, 1);
      // `await using` returns as promptly.
      {
        await using d = await open(proxy.port, { reconnect: PATIENT_RECONNECT });
        await d.ping();
        await proxy.kill();
        await waitForState(d, "reconnecting");
        d.get("k").catch(() => {});
      }
    },
  );

  eachPeer(
    `${kind}: close() when the connection drops while queued commands drain`,
    async (peer) => {
      await using proxy = TcpProxy.start(peer.port);
      const c = await open(proxy.port, { reconnect: PATIENT_RECONNECT });
      await c.ping();
      proxy.hold();
      const first = c.set("a", "1");
      const rest = [c.set("b", "2"), c.set("c", "3")];
      for (const p of [first, ...rest]) p.catch(() => {}); // asserted below
      await proxy.waitForCommands(2);
      const closing = c.close();
      await proxy.kill();
      await bounded(closing, "close() after the connection dropped");
      await assert.rejects(first, ConnectionError);
      for (const p of rest) await assert.rejects(p, ConnectionError);
      proxy.restart();
      assert.equal(proxy.accepted, 1, "no reconnection after close()");
    },
  );

  Deno.test({
    name: `${kind}: the db option selects the database, again after a reconnection [redis-server]` +
      (HAVE_REDIS ? "" : " (ignored: redis-server is not installed)"),
    ignore: !HAVE_REDIS,
    async fn() {
      // (redis-server has 16 databases; ours has one, as its CONFIG GET databases says.)
      await using redis = await RedisProcess.start();
      await using proxy = TcpProxy.start(redis.port);
      await using c = await open(proxy.port, { db: 2, reconnect: FAST_RECONNECT });
      assert.equal(await c.set("k", "in-2"), "OK");
      await proxy.kill();
      await waitForState(c, "reconnecting");
      proxy.restart();
      assert.equal(await c.set("k2", "in-2-after"), "OK");
      assert.equal(await c.get("k"), "in-2");
      // Each connection began with SELECT 2, before any command.
      const firsts = [0, 1].map((conn) =>
        proxy.events.find((e) => e.kind === "command" && e.conn === conn)
      );
      assert.deepEqual(firsts.map((e) => e?.kind === "command" ? e.args : e), [
        ["SELECT", "2"],
        ["SELECT", "2"],
      ]);
      await using db0 = await connect(addr(redis.port));
      assert.equal(await db0.get("k"), null);
      await using db2 = await connect(`redis://127.0.0.1:${redis.port}/2`);
      assert.equal(await db2.get("k"), "in-2");
      assert.equal(await db2.get("k2"), "in-2-after");
    },
  });

  Deno.test(`${kind}: the db option's SELECT error fails the connect`, async () => {
    await using fake = FakeServer.start((args) =>
      args[0] === "SELECT" ? "-ERR DB index is out of range\r\n" : undefined
    );
    await fake.autoAnswer();
    await assert.rejects(
      open(fake.port, { db: 5 }),
      (e) => e instanceof ReplyError && e.message === "ERR DB index is out of range",
    );
    assert.deepEqual(fake.commands, [["SELECT", "5"]]);
  });
}

eachPeer("a Subscriber: close() while reconnecting returns at once", async (peer) => {
  await using proxy = TcpProxy.start(peer.port);
  const sub = await Subscriber.connect(addr(proxy.port), ["news"], {
    reconnect: PATIENT_RECONNECT,
  });
  await proxy.kill();
  await waitForState(sub, "reconnecting");
  const pending = sub.subscribe("later");
  pending.catch(() => {}); // asserted below
  await bounded(sub.close(), "Subscriber.close() while reconnecting");
  await assert.rejects(pending, ConnectionError);
  assert.equal(sub.state, "closed");
  assert.equal(await sub.recv(), undefined);
});

eachPeer("state is observable through a watch channel", async (peer) => {
  await using proxy = TcpProxy.start(peer.port);
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
  await bounded(recording, "the state channel to end");
  rx.close();
  assert.deepEqual(seen, ["ready", "reconnecting", "ready", "closed"]);
});

eachPeer(
  "reconnection gives up after maxWait: waiting commands reject, state closed",
  async (peer) => {
    await using proxy = TcpProxy.start(peer.port);
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

eachPeer(
  "BufferedClient: reconnection gives up: queued commands and callers waiting for room reject",
  async (peer) => {
    await using proxy = TcpProxy.start(peer.port);
    await using c = await BufferedClient.connect(addr(proxy.port), {
      capacity: 2,
      reconnect: { initialDelay: 5, maxDelay: 20, maxWait: 200 },
    });
    await c.ping();
    await proxy.kill();
    await waitForState(c, "reconnecting");
    // One taken by the manager, two in the channel, the rest waiting for room.
    const waiting = Array.from({ length: 8 }, (_, i) => c.echo(`w${i}`));
    const results = await bounded(Promise.allSettled(waiting), "the queued commands");
    for (const r of results) {
      assert.equal(r.status, "rejected");
      const e = (r as PromiseRejectedResult).reason;
      assert.ok(e instanceof ConnectionError, String(e));
      assert.match(e.message, /within 200 ms/);
    }
    assert.equal(c.state, "closed");
    assert.equal(c.queued, 0);
    await assert.rejects(c.echo("late"), ConnectionError);
  },
);

eachPeer("reconnect: false closes the client when the connection is lost", async (peer) => {
  await using proxy = TcpProxy.start(peer.port);
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

eachPeer("await using closes clients, buffered clients and subscribers", async (peer) => {
  let client: Client;
  let buffered: BufferedClient;
  {
    await using c = await connect(addr(peer.port));
    await using b = BufferedClient.from(await connect(addr(peer.port)));
    client = c;
    buffered = b;
    await c.set("u", "1");
    assert.equal(await b.get("u"), "1");
  }
  assert.equal(client.state, "closed");
  assert.equal(buffered.state, "closed");
  assert.equal(buffered.client.state, "closed");
  let sub1: Subscriber | undefined;
  {
    await using c = await connect(addr(peer.port));
    await using sub = await c.subscribe("x");
    assert.equal(sub.state, "ready");
    await using sub2 = await c.psubscribe("y*");
    sub1 = sub;
    assert.deepEqual(sub2.patterns, ["y*"]);
  }
  assert.equal(sub1?.state, "closed");
  // The test's sanitizers check that no socket, timer or promise was left behind.
});

Deno.test("connection refused rejects with a ConnectionError", async () => {
  const port = freePort(); // nothing listens there
  await assert.rejects(
    connect(addr(port)),
    (e) =>
      e instanceof ConnectionError &&
      e.message === `Could not connect to 127.0.0.1:${port}: Connection refused`,
  );
  await assert.rejects(BufferedClient.connect(`127.0.0.1:${port}`), ConnectionError);
});

Deno.test("connectTimeout: a TCP connect that never completes rejects after it", async () => {
  await using full = await FullBacklog.start(500);
  await assert.rejects(
    connect(addr(full.port), { connectTimeout: 100 }),
    (e) =>
      e instanceof ConnectionError &&
      e.message === `Could not connect to 127.0.0.1:${full.port}: timed out after 100 ms`,
  );
  // The abandoned connect is cancelled, not left running: the sanitizers check that.
});

Deno.test("connectTimeout: a handshake that is never answered rejects after it", async () => {
  await using fake = FakeServer.start();
  for (const options of [{ password: "pw" }, { protocol: 3 as const }, { db: 1 }]) {
    await assert.rejects(
      connect(addr(fake.port), { ...options, connectTimeout: 100 }),
      (e) =>
        e instanceof ConnectionError &&
        e.message === `Handshake with 127.0.0.1:${fake.port} timed out after 100 ms`,
    );
  }
  assert.deepEqual(fake.commands, [["AUTH", "pw"], ["HELLO", "3"], ["SELECT", "1"]]);
});

Deno.test("the connection lost during the handshake: connect rejects; a reconnection retries", async () => {
  // Connection 0 and 2 are dropped on their handshake; the others are answered.
  await using fake = FakeServer.start((args, conn) =>
    conn === 0 || conn === 2 ? null : args[0] === "AUTH" ? "+OK\r\n" : undefined
  );
  await fake.autoAnswer();
  await assert.rejects(
    connect(addr(fake.port), { password: "pw" }),
    (e) => e instanceof ConnectionError && /^Connection lost/.test(e.message),
  );
  await using c = await connect(addr(fake.port), { password: "pw", reconnect: FAST_RECONNECT });
  assert.equal(await c.echo("one"), "one");
  fake.dropConnections(); // connection 1 goes; 2 is dropped during its AUTH; 3 works
  await waitForState(c, "reconnecting");
  assert.equal(await c.echo("two"), "two");
  assert.equal(fake.connections, 4);
  assert.deepEqual(fake.commands.filter((a) => a[0] === "AUTH").length, 4);
});

for (const reconnect of [FAST_RECONNECT, false as const]) {
  Deno.test(
    `a reply with no request outstanding: a new connection${
      reconnect ? "" : " (reconnect: false: closed)"
    }`,
    async () => {
      await using fake = FakeServer.start();
      await fake.autoAnswer();
      await using c = await connect(addr(fake.port), { reconnect });
      assert.equal(await c.echo("a"), "a");
      await fake.send("+garbage\r\n"); // nobody asked: the stream is out of step
      if (reconnect === false) {
        await waitForState(c, "closed");
        await assert.rejects(c.echo("b"), ConnectionError);
        assert.equal(fake.connections, 1);
      } else {
        await fake.waitForConnections(2);
        await waitForState(c, "ready");
        assert.equal(await c.echo("b"), "b");
        assert.equal(fake.connections, 2);
      }
    },
  );
}

Deno.test("writeAll: a short write is continued until every byte is written", async () => {
  const written: number[] = [];
  const oneAtATime = {
    write: (p: Uint8Array) => {
      written.push(p[0]);
      return Promise.resolve(1);
    },
  };
  await writeAll(oneAtATime, new Uint8Array([1, 2, 3, 4, 5]));
  assert.deepEqual(written, [1, 2, 3, 4, 5]);
  let calls = 0;
  const failsSecond = {
    write: (p: Uint8Array) => {
      if (++calls === 2) return Promise.reject(new Deno.errors.BrokenPipe("gone"));
      return Promise.resolve(Math.min(2, p.length));
    },
  };
  await assert.rejects(writeAll(failsSecond, new Uint8Array(5)), Deno.errors.BrokenPipe);
});

eachPeer("a command far larger than the socket buffers goes out in several writes", async (
  peer,
) => {
  await using c = await BufferedClient.connect(addr(peer.port));
  const big = new Uint8Array(8 * 1024 * 1024).map((_, i) => (i * 31) >> 3);
  const replies = await Promise.all([c.set("big", big), c.strlen("big"), c.getBytes("big")]);
  assert.equal(replies[0], "OK");
  assert.equal(replies[1], big.length);
  assert.ok(replies[2] instanceof Uint8Array && replies[2].length === big.length);
  assert.deepEqual(replies[2], big);
});

for (const kind of ["Client", "BufferedClient"] as const) {
  Deno.test(`${kind}: a write error rejects the command being written; the client reconnects`, async () => {
    // The first connection is closed after its first bytes, with the rest unread (a reset),
    // while the client is still writing a command far larger than the socket buffers.
    await using fake = FakeServer.start(undefined, { closeFirstAfter: 1 });
    await fake.autoAnswer();
    const options = { reconnect: FAST_RECONNECT };
    await using c = kind === "Client"
      ? await connect(addr(fake.port), options)
      : await BufferedClient.connect(addr(fake.port), options);
    const big = new Uint8Array(32 * 1024 * 1024);
    await assert.rejects(c.send(["SET", "big", big]), ConnectionError);
    assert.equal(await c.echo("after"), "after");
    assert.equal(fake.connections, 2);
    assert.deepEqual(fake.commands, [["ECHO", "after"]]); // the big one was never resent
  });
}

eachPeer("addresses: host:port, { hostname, port }, redis:// URL with /db", async (peer) => {
  const port = peer.port;
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
  name: "server killed mid-flight (SIGKILL, restart on the same port) [redis-server]" +
    (HAVE_REDIS ? "" : " (ignored: redis-server is not installed)"),
  ignore: !HAVE_REDIS,
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
    await waitFor(async () => {
      const info = await observer.send(["INFO", "clients"]);
      return /blocked_clients:2\r\n/.test(new TextDecoder().decode(info as Uint8Array));
    }, { what: "both BLPOPs blocked" });
    await redis.kill();
    await assert.rejects(blockedPlain, ConnectionError);
    await assert.rejects(blockedShared, ConnectionError);
    await waitForState(shared, "reconnecting");
    const queuedShared = [shared.set("b", "2"), shared.get("b")];
    await redis.restart();
    assert.deepEqual(await Promise.all(queuedPlain), ["OK", "1"]);
    assert.deepEqual(await Promise.all(queuedShared), ["OK", "2"]);
    assert.equal(await observer.get("a"), "1");
    assert.equal(await observer.get("b"), "2");
  },
});

Deno.test("server closed and restarted on the same port: queued commands succeed [mini-redis]", async () => {
  const first = await startTestServer();
  const port = first.port;
  await using shared = await BufferedClient.connect(addr(port), { reconnect: FAST_RECONNECT });
  await shared.set("k", "1");
  await first.close();
  await waitForState(shared, "reconnecting");
  const queued = [shared.get("k"), shared.set("k", "2"), shared.get("k")];
  await using _second = await startTestServer({ port });
  // A new server has an empty keyspace.
  assert.deepEqual(await Promise.all(queued), [null, "OK", "2"]);
});

// ---- AUTH --------------------------------------------------------------------------------

eachPeer("AUTH via URL or options, re-sent on reconnect", async (peer) => {
  await using proxy = TcpProxy.start(peer.port);
  {
    await using anonymous = await connect(addr(peer.port));
    await assert.rejects(
      anonymous.get("k"),
      (e) => e instanceof ReplyError && e.code === "NOAUTH",
    );
  }
  await assert.rejects(
    connect(`redis://:wrong@127.0.0.1:${peer.port}`),
    (e) => e instanceof ReplyError && e.code === "WRONGPASS",
  );
  await using viaUrl = await connect(`redis://:s3cret@127.0.0.1:${proxy.port}/0`, {
    reconnect: FAST_RECONNECT,
  });
  await using viaOptions = await connect(addr(peer.port), { password: "s3cret", protocol: 3 });
  await using viaUser = await connect(`redis://default:s3cret@127.0.0.1:${peer.port}`);
  assert.equal(await viaUrl.set("k", "v"), "OK");
  assert.equal(await viaOptions.get("k"), "v");
  assert.equal(await viaUser.get("k"), "v");
  await proxy.kill();
  await waitForState(viaUrl, "reconnecting");
  proxy.restart();
  assert.equal(await viaUrl.get("k"), "v"); // would be NOAUTH without the re-sent AUTH
  assert.deepEqual(proxy.commandArgs.filter((a) => a[0] === "AUTH"), [
    ["AUTH", "s3cret"],
    ["AUTH", "s3cret"],
  ]);
}, { requirepass: "s3cret" });

eachPeer("plain Client: concurrent callers take turns, one request in flight", async (peer) => {
  await using proxy = TcpProxy.start(peer.port);
  await using c = await connect(addr(proxy.port));
  proxy.hold();
  const replies = Array.from({ length: 5 }, (_, i) => c.echo(String(i)));
  await proxy.waitForCommands(1);
  await proxy.release();
  assert.deepEqual(await Promise.all(replies), ["0", "1", "2", "3", "4"]);
  // Each command was written only after the reply to the one before it had arrived.
  assert.deepEqual(
    proxy.events.map((e) => e.kind),
    [
      "command",
      "reply",
      "command",
      "reply",
      "command",
      "reply",
      "command",
      "reply",
      "command",
      "reply",
    ],
  );
});
