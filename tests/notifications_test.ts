/**
 * Keyspace notifications: `__keyspace@0__:<key>` and `__keyevent@0__:<event>`
 * messages for the commands we implement, filtered by the
 * `notify-keyspace-events` classes, including `expired` from lazy and
 * active expiry, `new` and `keymiss`, and their order against replies.
 */
import assert from "node:assert/strict";
import { cmd, parseReply, RawClient, startTestServer, type TestServer } from "./helpers.ts";

/** A subscriber to every keyspace channel, reading events up to a marker. */
class Events implements AsyncDisposable {
  private constructor(readonly client: RawClient, readonly control: RawClient) {}

  static async watch(srv: TestServer, flags: string): Promise<Events> {
    const control = await RawClient.connect(srv.port);
    assert.equal(await control.call("CONFIG", "SET", "notify-keyspace-events", flags), "+OK\r\n");
    const client = await RawClient.connect(srv.port);
    await client.send(cmd("PSUBSCRIBE", "__key*__:*"));
    await client.readStrings(1);
    return new Events(client, control);
  }

  /** Every event up to now, as `channel payload` strings (a marker PUBLISH ends the list). */
  async take(): Promise<string[]> {
    assert.equal(await this.control.call("PUBLISH", "__keyevent@0__:MARK", "end"), ":1\r\n");
    const out: string[] = [];
    for (;;) {
      const [kind, , channel, payload] = parseReply(
        (await this.client.readStrings(1))[0],
      ) as string[];
      assert.equal(kind, "pmessage");
      if (channel === "__keyevent@0__:MARK") return out;
      out.push(`${channel} ${payload}`);
    }
  }

  [Symbol.asyncDispose](): Promise<void> {
    this.client.close();
    this.control.close();
    return Promise.resolve();
  }
}

const both = (event: string, key: string) => [
  `__keyspace@0__:${key} ${event}`,
  `__keyevent@0__:${event} ${key}`,
];

Deno.test("KEA: keyspace then keyevent message for each event of each command", async () => {
  await using srv = await startTestServer();
  await using ev = await Events.watch(srv, "KEA");
  await using c = await RawClient.connect(srv.port);
  await c.calls([
    ["SET", "k", "v"],
    ["SET", "k", "v", "EX", "100"],
    ["APPEND", "k", "x"],
    ["INCRBY", "n", "2"],
    ["INCRBYFLOAT", "n", "0.5"],
    ["SETRANGE", "k", "0", "y"],
    ["PERSIST", "k"],
    ["EXPIRE", "k", "100"],
    ["RENAME", "k", "k2"],
    ["COPY", "k2", "k3"],
    ["DEL", "k2", "k3", "nokey"],
    ["EXPIRE", "n", "-1"],
    ["GET", "nokey"],
  ]);
  assert.deepEqual(await ev.take(), [
    ...both("set", "k"),
    ...both("set", "k"),
    ...both("expire", "k"),
    ...both("append", "k"),
    ...both("incrby", "n"),
    ...both("incrbyfloat", "n"),
    ...both("setrange", "k"),
    ...both("persist", "k"),
    ...both("expire", "k"),
    ...both("rename_from", "k"),
    ...both("rename_to", "k2"),
    ...both("copy_to", "k3"),
    ...both("del", "k2"),
    ...both("del", "k3"),
    ...both("del", "n"),
  ]);
});

Deno.test("classes filter events; K and E choose the channels", async () => {
  await using srv = await startTestServer();
  await using c = await RawClient.connect(srv.port);
  const script = [
    ["SET", "a", "1"],
    ["INCR", "a"],
    ["EXPIRE", "a", "100"],
    ["DEL", "a"],
  ];
  {
    await using ev = await Events.watch(srv, "E$");
    await c.calls(script);
    assert.deepEqual(await ev.take(), ["__keyevent@0__:set a", "__keyevent@0__:incrby a"]);
  }
  {
    await using ev = await Events.watch(srv, "Kg");
    await c.calls(script);
    assert.deepEqual(await ev.take(), ["__keyspace@0__:a expire", "__keyspace@0__:a del"]);
  }
  {
    // a class without K or E publishes nothing, nor do K/E without a class
    await using ev = await Events.watch(srv, "g$");
    await c.calls(script);
    assert.deepEqual(await ev.take(), []);
    await ev.control.call("CONFIG", "SET", "notify-keyspace-events", "KE");
    await c.calls(script);
    assert.deepEqual(await ev.take(), []);
    await ev.control.call("CONFIG", "SET", "notify-keyspace-events", "");
    await c.calls(script);
    assert.deepEqual(await ev.take(), []);
  }
});

Deno.test("expired: from lazy expiry (a read) and from the active sweeper", async () => {
  let now = Date.now();
  await using srv = await startTestServer({ clock: () => now, sweepIntervalMs: 0 });
  await using ev = await Events.watch(srv, "Ex");
  await using c = await RawClient.connect(srv.port);
  await c.calls([["SET", "lazy", "v", "PX", "10"], ["SET", "active", "v", "PX", "10"]]);
  now += 20;
  assert.equal(await c.call("GET", "lazy"), "$-1\r\n");
  assert.deepEqual(await ev.take(), ["__keyevent@0__:expired lazy"]);
  assert.equal(srv.server.db.sweep(), 1);
  assert.deepEqual(await ev.take(), ["__keyevent@0__:expired active"]);
});

Deno.test("new and keymiss (not part of A), as Redis sends them", async () => {
  await using srv = await startTestServer();
  await using ev = await Events.watch(srv, "KEAnm");
  await using c = await RawClient.connect(srv.port);
  await c.calls([["SET", "a", "1"], ["SET", "a", "2"], ["GET", "nokey"], ["EXISTS", "x"], [
    "SET",
    "b",
    "1",
    "NX",
  ]]);
  assert.deepEqual(await ev.take(), [
    ...both("new", "a"),
    ...both("set", "a"),
    ...both("set", "a"),
    ...both("keymiss", "nokey"),
    ...both("keymiss", "x"),
    ...both("new", "b"),
    ...both("set", "b"),
  ]);
});

Deno.test("RESP3: a client notified of its own write gets the push before the reply", async () => {
  await using srv = await startTestServer();
  await using c = await RawClient.connect(srv.port);
  await c.call("HELLO", "3");
  await c.call("CONFIG", "SET", "notify-keyspace-events", "E$");
  await c.send(cmd("SUBSCRIBE", "__keyevent@0__:set"));
  await c.readStrings(1);
  await c.send(cmd("SET", "mine", "1"));
  assert.deepEqual(await c.readStrings(2), [
    ">3\r\n$7\r\nmessage\r\n$18\r\n__keyevent@0__:set\r\n$4\r\nmine\r\n",
    "+OK\r\n",
  ]);
});

Deno.test("a notification storm from one command reaches the subscriber whole", async () => {
  await using srv = await startTestServer({ pubsubCapacity: 64 });
  await using sub = await RawClient.connect(srv.port);
  await using c = await RawClient.connect(srv.port);
  await c.call("CONFIG", "SET", "notify-keyspace-events", "E$");
  await sub.send(cmd("SUBSCRIBE", "__keyevent@0__:set"));
  await sub.readStrings(1);
  const n = 3000;
  const args = Array.from({ length: n }, (_, i) => [`key${i}`, "v"]).flat();
  const pending = sub.readStrings(n);
  assert.equal(await c.call("MSET", ...args), "+OK\r\n");
  const got = await pending;
  for (let i = 0; i < n; i++) {
    assert.equal((parseReply(got[i]) as string[])[2], `key${i}`);
  }
});
