/**
 * BufferedClient tests: many concurrent callers on one connection with each
 * reply matched to its caller, backpressure at the channel's capacity with a
 * stalled server, close() with commands still queued, sharing a Client.
 * Suites run against our server and a real redis-server; the stalled server
 * is a fake TCP server in the test.
 */

import assert from "node:assert/strict";
import { BufferedClient, connect, ConnectionError } from "../client/mod.ts";
import { eachTarget, FakeServer, settle } from "./client_helpers.ts";

const addr = (port: number) => ({ hostname: "127.0.0.1", port });

eachTarget(
  "1,000 concurrent callers on one connection each get their own replies",
  async (_t, port) => {
    await using shared = await BufferedClient.connect(addr(port), { capacity: 32 });
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

eachTarget(
  "BufferedClient.from(client): the client stays usable; closing closes both",
  async (_t, port) => {
    const client = await connect(addr(port));
    const shared = BufferedClient.from(client, { capacity: 4 });
    assert.equal(shared.client, client);
    const [a, b, c] = await Promise.all([
      shared.set("a", "1"),
      client.set("b", "2"),
      shared.get("b"),
    ]);
    assert.equal(a, "OK");
    assert.equal(b, "OK");
    assert.ok(c === "2" || c === null);
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
  let settled = 0;
  for (const r of replies) r.then(() => settled++, () => settled++);
  await fake.waitForCommands(2);
  await settle();
  // Two written (maxInFlight), one in the channel (capacity), seven callers waiting to send.
  assert.equal(fake.commands.length, 2);
  assert.equal(shared.queued, 1);
  assert.equal(settled, 0);
  await fake.autoAnswer();
  assert.deepEqual(await Promise.all(replies), replies.map((_, i) => `m${i}`));
  assert.deepEqual(fake.commands, replies.map((_, i) => ["ECHO", `m${i}`]));
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
