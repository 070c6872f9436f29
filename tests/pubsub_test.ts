/**
 * Pub/sub: SUBSCRIBE/UNSUBSCRIBE/PSUBSCRIBE/PUNSUBSCRIBE confirmations,
 * `message`/`pmessage` frames and PUBSUB introspection byte for byte
 * (RESP2 arrays and RESP3 pushes), RESP2 subscribed mode, ordering of
 * messages against replies, fan-out to many subscribers, publishing bursts
 * larger than the hub's ring, and the output buffer limit that disconnects
 * a subscriber that does not read while others are unaffected.
 */
import assert from "node:assert/strict";
import {
  bulk,
  cmd,
  cmds,
  latin1,
  parseReply,
  RawClient,
  startTestServer,
  waitFor,
} from "./helpers.ts";
import { createClientState, PubSub } from "../server/mod.ts";
import { utf8 } from "../resp/bytes.ts";

/** A RESP2 confirmation (`subscribe`, `unsubscribe`, ...). */
const conf = (kind: string, name: string | null, count: number) =>
  `*3\r\n${bulk(kind)}${bulk(name)}:${count}\r\n`;
/** The same as a RESP3 push. */
const conf3 = (kind: string, name: string | null, count: number) =>
  `>3\r\n${bulk(kind)}${name === null ? "_\r\n" : bulk(name)}:${count}\r\n`;
const msg = (channel: string, payload: string) =>
  `*3\r\n${bulk("message")}${bulk(channel)}${bulk(payload)}`;
const pmsg = (pattern: string, channel: string, payload: string) =>
  `*4\r\n${bulk("pmessage")}${bulk(pattern)}${bulk(channel)}${bulk(payload)}`;

const NOT_ALLOWED = (name: string) =>
  `-ERR Can't execute '${name}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context\r\n`;

Deno.test("SUBSCRIBE confirms each channel with the running count; PUBLISH reaches it", async () => {
  await using srv = await startTestServer();
  await using sub = await RawClient.connect(srv.port);
  await using pub = await RawClient.connect(srv.port);
  await sub.send(cmd("SUBSCRIBE", "a", "b", "a"));
  assert.deepEqual(await sub.readStrings(3), [
    conf("subscribe", "a", 1),
    conf("subscribe", "b", 2),
    conf("subscribe", "a", 2), // already subscribed: the count does not change
  ]);
  assert.equal(await pub.call("PUBLISH", "a", "hello"), ":1\r\n");
  assert.equal(await pub.call("PUBLISH", "nobody", "x"), ":0\r\n");
  assert.equal(await pub.call("PUBLISH", "b", ""), ":1\r\n");
  assert.deepEqual(await sub.readStrings(2), [msg("a", "hello"), msg("b", "")]);
});

Deno.test("RESP2 subscribed mode: only pub/sub commands, PING, QUIT and RESET", async () => {
  await using srv = await startTestServer();
  await using c = await RawClient.connect(srv.port);
  await c.send(cmd("SUBSCRIBE", "ch"));
  await c.readStrings(1);
  assert.equal(await c.call("GET", "k"), NOT_ALLOWED("get"));
  assert.equal(await c.call("CONFIG", "GET", "save"), NOT_ALLOWED("config|get"));
  assert.equal(await c.call("PING"), "*2\r\n$4\r\npong\r\n$0\r\n\r\n");
  assert.equal(await c.call("PING", "hi"), "*2\r\n$4\r\npong\r\n$2\r\nhi\r\n");
  // lookup and arity errors come first, as in Redis
  assert.equal(
    await c.call("NOSUCH", "x"),
    "-ERR unknown command 'NOSUCH', with args beginning with: 'x' \r\n",
  );
  assert.equal(
    await c.call("PING", "a", "b"),
    "-ERR wrong number of arguments for 'ping' command\r\n",
  );
  await c.send(cmd("PSUBSCRIBE", "p*"));
  assert.equal((await c.readStrings(1))[0], conf("psubscribe", "p*", 2));
  // leaving everything ends subscribed mode
  await c.send(cmd("UNSUBSCRIBE"));
  assert.equal((await c.readStrings(1))[0], conf("unsubscribe", "ch", 1));
  assert.equal(await c.call("GET", "k"), NOT_ALLOWED("get")); // still a pattern
  await c.send(cmd("PUNSUBSCRIBE"));
  assert.equal((await c.readStrings(1))[0], conf("punsubscribe", "p*", 0));
  assert.equal(await c.call("GET", "k"), "$-1\r\n");
  assert.equal(await c.call("PING"), "+PONG\r\n");
});

Deno.test("UNSUBSCRIBE/PUNSUBSCRIBE without arguments and nothing to leave: one null confirmation", async () => {
  await using srv = await startTestServer();
  await using c = await RawClient.connect(srv.port);
  assert.equal(await c.call("UNSUBSCRIBE"), conf("unsubscribe", null, 0));
  assert.equal(await c.call("PUNSUBSCRIBE"), conf("punsubscribe", null, 0));
  assert.equal(await c.call("UNSUBSCRIBE", "x"), conf("unsubscribe", "x", 0));
  await c.send(cmd("PSUBSCRIBE", "p*"));
  await c.readStrings(1);
  // no channel, but the count includes the pattern
  assert.equal(await c.call("UNSUBSCRIBE"), conf("unsubscribe", null, 1));
  // leaving all channels: one confirmation per channel, in subscription order
  await c.send(cmd("SUBSCRIBE", "x", "y"));
  await c.readStrings(2);
  await c.send(cmd("UNSUBSCRIBE"));
  assert.deepEqual(await c.readStrings(2), [
    conf("unsubscribe", "x", 2),
    conf("unsubscribe", "y", 1),
  ]);
  await c.send(cmd("PUNSUBSCRIBE", "p*", "nope"));
  assert.deepEqual(await c.readStrings(2), [
    conf("punsubscribe", "p*", 0),
    conf("punsubscribe", "nope", 0),
  ]);
  assert.equal(await c.call("ECHO", "free"), "$4\r\nfree\r\n");
});

Deno.test("patterns: glob matching, one pmessage per matching pattern, counted by PUBLISH", async () => {
  await using srv = await startTestServer();
  await using sub = await RawClient.connect(srv.port);
  await using pub = await RawClient.connect(srv.port);
  await sub.send(
    cmds([["PSUBSCRIBE", "news.*", "n?ws.[a-c]*", "x\\*"], ["SUBSCRIBE", "news.art"]]),
  );
  await sub.readStrings(4);
  assert.equal(await pub.call("PUBLISH", "news.art", "1"), ":3\r\n");
  assert.equal(await pub.call("PUBLISH", "news.zoo", "2"), ":1\r\n");
  assert.equal(await pub.call("PUBLISH", "x*", "3"), ":1\r\n");
  assert.equal(await pub.call("PUBLISH", "xy", "4"), ":0\r\n");
  assert.deepEqual(await sub.readStrings(5), [
    msg("news.art", "1"),
    pmsg("news.*", "news.art", "1"),
    pmsg("n?ws.[a-c]*", "news.art", "1"),
    pmsg("news.*", "news.zoo", "2"),
    pmsg("x\\*", "x*", "3"),
  ]);
});

Deno.test("binary channels and payloads travel unchanged", async () => {
  await using srv = await startTestServer();
  await using sub = await RawClient.connect(srv.port);
  await using pub = await RawClient.connect(srv.port);
  const channel = new Uint8Array([0, 255, 13, 10, 42]);
  const payload = new Uint8Array(70_000).map((_, i) => i % 256);
  await sub.send(cmd("SUBSCRIBE", channel));
  await sub.readStrings(1);
  assert.equal(await pub.call("PUBLISH", channel, payload), ":1\r\n");
  const got = parseReply((await sub.readStrings(1))[0]) as string[];
  assert.equal(got[0], "message");
  assert.equal(got[1], latin1(channel));
  assert.equal(got[2], latin1(payload));
});

Deno.test("RESP3: confirmations and messages are pushes; other commands work while subscribed", async () => {
  await using srv = await startTestServer();
  await using c = await RawClient.connect(srv.port);
  await using pub = await RawClient.connect(srv.port);
  await c.call("HELLO", "3");
  await c.send(cmd("SUBSCRIBE", "a"));
  assert.equal((await c.readStrings(1))[0], conf3("subscribe", "a", 1));
  assert.equal(await c.call("GET", "nokey"), "_\r\n");
  assert.equal(await c.call("PING"), "+PONG\r\n");
  assert.equal(await pub.call("PUBLISH", "a", "x"), ":1\r\n");
  assert.equal((await c.readStrings(1))[0], `>3\r\n${bulk("message")}${bulk("a")}${bulk("x")}`);
  // a message published by the subscriber itself comes before the reply, as in Redis
  await c.send(cmd("PSUBSCRIBE", "a*"));
  assert.equal((await c.readStrings(1))[0], conf3("psubscribe", "a*", 2));
  await c.send(cmd("PUBLISH", "a", "y"));
  assert.deepEqual(await c.readStrings(3), [
    `>3\r\n${bulk("message")}${bulk("a")}${bulk("y")}`,
    `>4\r\n${bulk("pmessage")}${bulk("a*")}${bulk("a")}${bulk("y")}`,
    ":2\r\n",
  ]);
  await c.send(cmds([["UNSUBSCRIBE"], ["PUNSUBSCRIBE"], ["UNSUBSCRIBE"]]));
  assert.deepEqual(await c.readStrings(3), [
    conf3("unsubscribe", "a", 1),
    conf3("punsubscribe", "a*", 0),
    conf3("unsubscribe", null, 0),
  ]);
});

Deno.test("a message published before a command is delivered before its reply", async () => {
  await using srv = await startTestServer();
  await using sub = await RawClient.connect(srv.port);
  await using pub = await RawClient.connect(srv.port);
  await sub.send(cmd("SUBSCRIBE", "a"));
  await sub.readStrings(1);
  // PUBLISH has counted the subscriber: its UNSUBSCRIBE, sent after, cannot lose the message
  for (let i = 0; i < 20; i++) {
    assert.equal(await pub.call("PUBLISH", "a", `m${i}`), ":1\r\n");
    await sub.send(cmd("UNSUBSCRIBE", "a"));
    assert.deepEqual(await sub.readStrings(2), [msg("a", `m${i}`), conf("unsubscribe", "a", 0)]);
    assert.equal(await pub.call("PUBLISH", "a", "lost"), ":0\r\n");
    await sub.send(cmd("SUBSCRIBE", "a"));
    assert.deepEqual(await sub.readStrings(1), [conf("subscribe", "a", 1)]);
  }
});

Deno.test("switching protocol while subscribed (RESP3 -> RESP2): messages follow the protocol in force when published", async () => {
  await using srv = await startTestServer();
  await using sub = await RawClient.connect(srv.port);
  await using pub = await RawClient.connect(srv.port);
  await sub.call("HELLO", "3");
  await sub.send(cmd("SUBSCRIBE", "a"));
  await sub.readStrings(1);
  assert.equal(await pub.call("PUBLISH", "a", "before"), ":1\r\n");
  // published before HELLO 2 ran: a push, ahead of HELLO's (RESP2) reply
  await sub.send(cmd("HELLO", "2"));
  const [before, hello] = await sub.readStrings(2);
  assert.equal(before, `>3\r\n${bulk("message")}${bulk("a")}${bulk("before")}`);
  assert.match(hello, /^\*14\r\n\$6\r\nserver\r\n/);
  assert.equal(await pub.call("PUBLISH", "a", "after"), ":1\r\n");
  assert.equal((await sub.readStrings(1))[0], msg("a", "after"));
  // RESP2 subscribed mode now applies, HELLO included
  assert.equal(await sub.call("GET", "k"), NOT_ALLOWED("get"));
  assert.equal(await sub.call("HELLO", "3"), NOT_ALLOWED("hello"));
});

Deno.test("PUBSUB CHANNELS, NUMSUB, NUMPAT, SHARD*, HELP and errors", async () => {
  await using srv = await startTestServer();
  await using a = await RawClient.connect(srv.port);
  await using b = await RawClient.connect(srv.port);
  await using c = await RawClient.connect(srv.port);
  await a.send(cmds([["SUBSCRIBE", "news", "sport"], ["PSUBSCRIBE", "n*", "x*"]]));
  await a.readStrings(4);
  await b.send(cmds([["SUBSCRIBE", "news"], ["PSUBSCRIBE", "n*"]]));
  await b.readStrings(2);
  const channels = parseReply(await c.call("PUBSUB", "CHANNELS")) as string[];
  assert.deepEqual(channels.sort(), ["news", "sport"]);
  assert.equal(await c.call("PUBSUB", "CHANNELS", "n*"), "*1\r\n$4\r\nnews\r\n");
  assert.equal(
    await c.call("PUBSUB", "NUMSUB", "news", "sport", "none"),
    "*6\r\n$4\r\nnews\r\n:2\r\n$5\r\nsport\r\n:1\r\n$4\r\nnone\r\n:0\r\n",
  );
  assert.equal(await c.call("PUBSUB", "NUMSUB"), "*0\r\n");
  assert.equal(await c.call("PUBSUB", "NUMPAT"), ":2\r\n"); // distinct patterns
  assert.equal(await c.call("PUBSUB", "SHARDCHANNELS"), "*0\r\n");
  assert.equal(await c.call("PUBSUB", "SHARDNUMSUB", "x"), "*2\r\n$1\r\nx\r\n:0\r\n");
  assert.match(await c.call("PUBSUB", "HELP"), /^\*14\r\n\+PUBSUB <subcommand>/);
  assert.equal(
    await c.call("PUBSUB", "CHANNELS", "a", "b"),
    "-ERR unknown subcommand or wrong number of arguments for 'CHANNELS'. Try PUBSUB HELP.\r\n",
  );
  assert.equal(
    await c.call("PUBSUB", "NUMPAT", "x"),
    "-ERR wrong number of arguments for 'pubsub|numpat' command\r\n",
  );
  assert.equal(
    await c.call("PUBSUB", "foo"),
    "-ERR unknown subcommand 'foo'. Try PUBSUB HELP.\r\n",
  );
  assert.equal(await c.call("PUBSUB"), "-ERR wrong number of arguments for 'pubsub' command\r\n");
  // disconnecting drops the subscriptions
  a.close();
  await waitFor(async () => (await c.call("PUBSUB", "NUMSUB", "sport")).endsWith(":0\r\n"));
  assert.equal(await c.call("PUBSUB", "NUMPAT"), ":1\r\n");
  assert.equal(await c.call("PUBLISH", "news", "x"), ":2\r\n");
});

Deno.test("RESET leaves every subscription without confirmations and returns to RESP2", async () => {
  await using srv = await startTestServer();
  await using c = await RawClient.connect(srv.port);
  await using pub = await RawClient.connect(srv.port);
  await c.call("HELLO", "3");
  await c.send(cmds([["SUBSCRIBE", "a"], ["PSUBSCRIBE", "b*"]]));
  await c.readStrings(2);
  assert.equal(await c.call("RESET"), "+RESET\r\n");
  assert.equal(await pub.call("PUBLISH", "a", "x"), ":0\r\n");
  assert.equal(await pub.call("PUBLISH", "bb", "x"), ":0\r\n");
  assert.equal(await c.call("GET", "k"), "$-1\r\n");
});

Deno.test("fan-out: 50 subscribers each receive every message, in order", async () => {
  await using srv = await startTestServer();
  const subs: RawClient[] = [];
  try {
    for (let i = 0; i < 50; i++) {
      const s = await RawClient.connect(srv.port);
      subs.push(s);
      await s.send(cmd(i % 2 === 0 ? "SUBSCRIBE" : "PSUBSCRIBE", i % 2 === 0 ? "fan" : "f*"));
      await s.readStrings(1);
    }
    await using pub = await RawClient.connect(srv.port);
    const n = 500;
    const replies = await pub.calls(
      Array.from({ length: n }, (_, i) => ["PUBLISH", "fan", `m${i}`]),
    );
    assert.ok(replies.every((r) => r === ":50\r\n"));
    await Promise.all(subs.map(async (s, k) => {
      const got = await s.readStrings(n);
      for (let i = 0; i < n; i++) {
        assert.equal(got[i], k % 2 === 0 ? msg("fan", `m${i}`) : pmsg("f*", "fan", `m${i}`));
      }
    }));
  } finally {
    for (const s of subs) s.close();
  }
});

Deno.test("a burst far larger than the hub's ring reaches a subscriber whole", async () => {
  // a ring of 16 messages; one pipeline publishes 5000 without yielding
  await using srv = await startTestServer({ pubsubCapacity: 16 });
  await using sub = await RawClient.connect(srv.port);
  await using pub = await RawClient.connect(srv.port);
  await sub.send(cmd("SUBSCRIBE", "burst"));
  await sub.readStrings(1);
  const n = 5000;
  const pending = sub.readStrings(n);
  await pub.send(cmds(Array.from({ length: n }, (_, i) => ["PUBLISH", "burst", String(i)])));
  const got = await pending;
  for (let i = 0; i < n; i++) assert.equal(got[i], msg("burst", String(i)));
  assert.equal(await sub.call("PING"), "*2\r\n$4\r\npong\r\n$0\r\n\r\n");
  (await pub.readStrings(n)).forEach((r) => assert.equal(r, ":1\r\n"));
});

Deno.test("a subscriber that lags behind the hub is disconnected, never left with a gap", () => {
  // the pressure drain disabled, so the ring overflows before the subscriber runs
  using hub = new PubSub({ capacity: 4, drainEvery: Infinity });
  const client = createClientState({ id: 1, addr: "test" });
  const received: string[] = [];
  let lagged = -1;
  client.handle = {
    kill() {},
    push() {},
    pushRaw: (bytes) => received.push(latin1(bytes)),
    flushPushes() {},
    lagged: (missed) => lagged = missed,
    outputLength: 0,
    inputLength: 0,
  };
  const sub = hub.subscriber(client);
  client.pubsub = sub;
  sub.subscribe(utf8("c"));
  for (let i = 0; i < 10; i++) assert.equal(hub.publish(utf8("c"), utf8(String(i))), 1);
  sub.drain();
  assert.equal(lagged, 6);
  assert.deepEqual(received, []); // nothing after the gap
  assert.equal(sub.count, 0); // and its subscriptions are gone
  assert.equal(hub.publish(utf8("c"), utf8("x")), 0);
});

Deno.test({
  name: "output buffer limit: a subscriber that does not read is disconnected, others unaffected",
  sanitizeResources: true,
  fn: async () => {
    await using srv = await startTestServer();
    await using control = await RawClient.connect(srv.port);
    assert.equal(
      await control.call("CONFIG", "SET", "client-output-buffer-limit", "pubsub 1mb 512kb 60"),
      "+OK\r\n",
    );
    await using slow = await RawClient.connect(srv.port);
    await using fast = await RawClient.connect(srv.port);
    await slow.send(cmd("SUBSCRIBE", "flood"));
    await slow.readStrings(1); // and never reads again
    await fast.send(cmd("SUBSCRIBE", "flood"));
    await fast.readStrings(1);
    const listed = parseReply(await control.call("CLIENT", "LIST", "TYPE", "pubsub")) as string;
    assert.equal(listed.split("\n").filter((l) => l !== "").length, 2);
    const payload = "x".repeat(256 * 1024);
    const n = 160; // 40 MB: far more than the kernel's socket buffers hold
    const received = (async () => {
      let count = 0;
      while (count < n) {
        const [m] = await fast.readStrings(1);
        assert.equal(m, msg("flood", payload));
        count++;
      }
      return count;
    })();
    const counts: number[] = [];
    for (let i = 0; i < n; i++) {
      counts.push(parseReply(await control.call("PUBLISH", "flood", payload)) as number);
    }
    assert.equal(await received, n); // the fast subscriber got everything
    assert.equal(counts[0], 2);
    assert.equal(counts[n - 1], 1); // the slow one was cut off along the way
    const stats = parseReply(await control.call("INFO", "stats")) as string;
    assert.match(stats, /\r\nclient_output_buffer_limit_disconnections:1\r\n/);
    assert.match(
      parseReply(await control.call("CLIENT", "LIST", "TYPE", "pubsub")) as string,
      /^id=\d+ [^\n]*\n$/,
    );
    // the slow client sees its socket closed once it reads what it had
    await slow.readUntilClose();
    assert.equal(await control.call("SET", "k", "v"), "+OK\r\n");
    assert.equal(await control.call("GET", "k"), "$1\r\nv\r\n");
  },
});

Deno.test("output buffer soft limit: disconnect once over it for longer than its seconds", async () => {
  let now = Date.now();
  await using srv = await startTestServer({ clock: () => now, sweepIntervalMs: 0 });
  await using control = await RawClient.connect(srv.port);
  await control.call("CONFIG", "SET", "client-output-buffer-limit", "pubsub 0 256kb 10");
  await using slow = await RawClient.connect(srv.port);
  await slow.send(cmd("SUBSCRIBE", "s"));
  await slow.readStrings(1);
  const payload = "y".repeat(128 * 1024);
  const omem = async () => {
    const line = parseReply(await control.call("CLIENT", "LIST", "TYPE", "pubsub")) as string;
    return Number(/ omem=(\d+) /.exec(line)?.[1] ?? -1);
  };
  // fill the kernel's buffers until the server holds more than the soft limit
  for (let i = 0; i < 400 && await omem() < 256 * 1024; i++) {
    assert.equal(await control.call("PUBLISH", "s", payload), ":1\r\n");
  }
  assert.ok(await omem() >= 256 * 1024);
  // over the soft limit, but not for long enough yet
  assert.equal(await control.call("PUBLISH", "s", payload), ":1\r\n");
  now += 10_000;
  assert.equal(await control.call("PUBLISH", "s", payload), ":1\r\n");
  now += 1_001;
  await control.call("PUBLISH", "s", payload); // this one finds it over for 11 s: disconnect
  assert.equal(await control.call("PUBLISH", "s", payload), ":0\r\n");
  await slow.readUntilClose();
});
