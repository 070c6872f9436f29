/**
 * BufferedClient tests: many concurrent callers on one connection with each
 * reply matched to its caller, backpressure at the channel's capacity and
 * the `maxInFlight` limit with a stalled server, timeouts of commands still
 * in the manager's channel, close() with commands still queued, sharing a
 * Client. Suites run against a real redis-server and ours; the stalled
 * server is a fake TCP server that records how many commands each
 * connection had in flight when each arrived.
 */

import assert from "node:assert/strict";
import { BufferedClient, connect, ConnectionError } from "../client/mod.ts";
import { addr, eachPeer, FakeServer } from "./helpers.ts";

eachPeer(
  "1,000 concurrent callers on one connection each get their own replies",
  async (peer) => {
    await using shared = await BufferedClient.connect(addr(peer.port), { capacity: 32 });
    const callers = Array.from({ length: 1000 }, async (_, i) => {
      const key = `caller:${i}`;
      const value = `value-${i}-${"x".repeat(i % 50)}`;
      assert.equal(await shared.set(key, value), "OK");
      const [got, echoed, length] = await Promise.all([
        shared.get(key),
        shared.echo(`echo-${i}`),
        shared.strlen(key),
      ]);
      const count = await shared.incr("callers");
      return { i, got, echoed, length, value, count };
    });
    const results = await Promise.all(callers);
    for (const r of results) {
      assert.equal(r.got, r.value, `caller ${r.i} got another caller's value`);
      assert.equal(r.echoed, `echo-${r.i}`);
      assert.equal(r.length, new TextEncoder().encode(r.value).length);
    }
    // Every INCR reply is distinct: each caller saw its own increment.
    assert.deepEqual(
      results.map((r) => r.count).sort((a, b) => a - b),
      Array.from({ length: 1000 }, (_, i) => i + 1),
    );
    assert.equal(await shared.get("callers"), "1000");
  },
);

eachPeer(
  "BufferedClient.from(client): the client stays usable; closing closes both",
  async (peer) => {
    const client = await connect(addr(peer.port));
    const shared = BufferedClient.from(client, { capacity: 4 });
    assert.equal(shared.client, client);
    const [a, b] = await Promise.all([shared.set("a", "1"), client.set("b", "2")]);
    assert.equal(a, "OK");
    assert.equal(b, "OK");
    // One connection: what one wrote, the other reads.
    assert.equal(await shared.get("b"), "2");
    assert.equal(await client.get("a"), "1");
    await shared.close();
    assert.equal(client.state, "closed");
    await assert.rejects(shared.get("a"), ConnectionError);
    await assert.rejects(client.get("a"), ConnectionError);
  },
);

Deno.test("backpressure: capacity 1 with a stalled server: callers wait, nothing is lost", async () => {
  await using fake = FakeServer.start();
  await using shared = await BufferedClient.connect(addr(fake.port), {
    capacity: 1,
    maxInFlight: 2,
    reconnect: false,
  });
  const replies = Array.from({ length: 10 }, (_, i) => shared.echo(`m${i}`));
  await fake.waitForCommands(2);
  // Two written (maxInFlight), one in the channel (capacity), seven callers waiting to send.
  assert.equal(shared.queued, 1);
  await fake.autoAnswer();
  assert.deepEqual(await Promise.all(replies), replies.map((_, i) => `m${i}`));
  assert.deepEqual(fake.commands, replies.map((_, i) => ["ECHO", `m${i}`]));
  // Never more than two were written and unanswered, whenever one arrived.
  assert.equal(fake.peakInFlight, 2);
});

Deno.test("backpressure: a caller waiting for room can abort and is never sent", async () => {
  await using fake = FakeServer.start();
  await using shared = await BufferedClient.connect(addr(fake.port), {
    capacity: 1,
    maxInFlight: 1,
    reconnect: false,
  });
  const first = shared.echo("first");
  const second = shared.echo("second"); // in the channel
  const ac = new AbortController();
  const third = shared.echo("third", { signal: ac.signal }); // waiting for room
  const fourth = shared.echo("fourth");
  await fake.waitForCommands(1);
  ac.abort(new Error("gave up waiting"));
  await assert.rejects(third, /gave up waiting/);
  await fake.autoAnswer();
  assert.deepEqual(await Promise.all([first, second, fourth]), ["first", "second", "fourth"]);
  assert.deepEqual(fake.commands, [["ECHO", "first"], ["ECHO", "second"], ["ECHO", "fourth"]]);
});

Deno.test("close() lets queued commands finish, including callers waiting for room", async () => {
  await using fake = FakeServer.start();
  const shared = await BufferedClient.connect(addr(fake.port), {
    capacity: 2,
    maxInFlight: 1,
    reconnect: false,
  });
  const replies = Array.from({ length: 8 }, (_, i) => shared.echo(`c${i}`));
  await fake.waitForCommands(1);
  const closing = shared.close();
  await assert.rejects(shared.echo("late"), ConnectionError);
  await fake.autoAnswer();
  assert.deepEqual(await Promise.all(replies), replies.map((_, i) => `c${i}`));
  await closing;
  assert.equal(shared.state, "closed");
  assert.equal(fake.commands.length, 8);
});

Deno.test("a stalled server with no timeout: destroy() rejects what is in flight", async () => {
  await using fake = FakeServer.start();
  const client = await connect(addr(fake.port), { reconnect: false });
  const shared = BufferedClient.from(client);
  const pending = Promise.allSettled([shared.echo("a"), shared.echo("b")]);
  await fake.waitForCommands(2);
  await client.destroy(new Error("shutting down"));
  for (const r of await pending) {
    assert.equal(r.status, "rejected");
    assert.ok(r.reason instanceof ConnectionError);
  }
  await shared.close();
  assert.equal(shared.state, "closed");
});

Deno.test("maxInFlight: at most that many commands written and unanswered", async () => {
  for (const maxInFlight of [1, 3, 64]) {
    await using fake = FakeServer.start();
    await using shared = await BufferedClient.connect(addr(fake.port), {
      capacity: 8,
      maxInFlight,
      reconnect: false,
    });
    const n = 200;
    const replies = Array.from({ length: n }, (_, i) => shared.echo(`e${i}`));
    await fake.waitForCommands(maxInFlight);
    await fake.autoAnswer();
    assert.deepEqual(await Promise.all(replies), replies.map((_, i) => `e${i}`));
    // Every arrival was checked: the limit held, and was reached.
    assert.equal(fake.peakInFlight, maxInFlight, `maxInFlight ${maxInFlight}`);
    assert.equal(fake.commands.length, n);
  }
  // A bad limit is refused before connecting: nothing is left open.
  await using fake = FakeServer.start();
  for (const maxInFlight of [0, -1, 1.5, NaN]) {
    await assert.rejects(BufferedClient.connect(addr(fake.port), { maxInFlight }), RangeError);
  }
  assert.equal(fake.connections, 0);
});

Deno.test("a command that times out in the manager's channel is never sent", async () => {
  await using fake = FakeServer.start();
  await using shared = await BufferedClient.connect(addr(fake.port), {
    capacity: 4,
    maxInFlight: 1,
    commandTimeout: 50,
    reconnect: false,
  });
  const first = shared.echo("first", { timeout: 0 }); // written; waits for its reply, no timeout
  await fake.waitForCommands(1);
  // The manager holds no room: these wait in its channel until their timeouts fire.
  const timedOut = [shared.echo("t1"), shared.echo("t2", { timeout: 20 })];
  timedOut.forEach((p) => p.catch(() => {})); // asserted below
  for (const p of timedOut) {
    await assert.rejects(p, (e) => e instanceof DOMException && e.name === "TimeoutError");
  }
  const kept = shared.echo("kept", { timeout: 0 });
  await fake.autoAnswer();
  assert.deepEqual(await Promise.all([first, kept]), ["first", "kept"]);
  assert.deepEqual(fake.commands, [["ECHO", "first"], ["ECHO", "kept"]]);
});
