/**
 * Client-side caching against redis-server 7.0.15 and ours, byte for byte:
 * CLIENT TRACKING in RESP3 (invalidation pushes after the reply of the
 * command that caused them), RESP2 redirection to a `__redis__:invalidate`
 * subscriber, BCAST with prefixes, OPTIN/OPTOUT with CLIENT CACHING,
 * NOLOOP, FLUSHALL, a broken redirect, TRACKINGINFO, GETREDIR, the errors
 * and the INFO fields.
 */
import assert from "node:assert/strict";
import { eachPeer, parseReply, RawClient } from "./helpers.ts";

const inval = (...keys: string[]) =>
  ">2\r\n$10\r\ninvalidate\r\n" + `*${keys.length}\r\n` +
  keys.map((k) => `$${k.length}\r\n${k}\r\n`).join("");
const message = (...keys: string[]) =>
  "*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n" + `*${keys.length}\r\n` +
  keys.map((k) => `$${k.length}\r\n${k}\r\n`).join("");

async function resp3(port: number): Promise<RawClient> {
  const c = await RawClient.connect(port);
  assert.match(await c.call("HELLO", "3"), /^%7\r\n/);
  return c;
}

async function idOf(c: RawClient): Promise<number> {
  return parseReply(await c.call("CLIENT", "ID")) as number;
}

eachPeer(
  "TRACKING (RESP3): a read key is invalidated once, after the modifying reply",
  async (p) => {
    await using a = await resp3(p.port);
    await using b = await RawClient.connect(p.port);
    assert.equal(await a.call("CLIENT", "TRACKING", "on"), "+OK\r\n");
    assert.equal(await a.call("GET", "k"), "_\r\n");
    assert.equal(await a.call("MGET", "k2", "k3"), "*2\r\n_\r\n_\r\n");
    // the client's own write: the push follows the reply
    await a.send("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n");
    assert.deepEqual(await a.readStrings(2), ["+OK\r\n", inval("k")]);
    // forgotten after the invalidation: a second write sends nothing
    assert.equal(await b.call("SET", "k", "w"), "+OK\r\n");
    assert.equal(await a.call("PING"), "+PONG\r\n");
    // another client's write: pushed to the reader at once
    assert.equal(await b.call("DEL", "k2", "k3"), ":0\r\n");
    assert.equal(await b.call("SET", "k3", "x"), "+OK\r\n");
    assert.deepEqual(await a.readStrings(1), [inval("k3")]);
    // a key read again is tracked again; FLUSHALL sends a null invalidation
    assert.equal(await a.call("GET", "k"), "$1\r\nw\r\n");
    assert.equal(await b.call("FLUSHALL"), "+OK\r\n");
    assert.deepEqual(await a.readStrings(1), [">2\r\n$10\r\ninvalidate\r\n_\r\n"]);
    // writes are not tracked, only reads
    assert.equal(await a.call("SET", "w", "1"), "+OK\r\n");
    assert.equal(await b.call("SET", "w", "2"), "+OK\r\n");
    assert.equal(await a.call("PING"), "+PONG\r\n");
    // off: nothing more
    assert.equal(await a.call("GET", "z"), "_\r\n");
    assert.equal(await a.call("CLIENT", "TRACKING", "off"), "+OK\r\n");
    assert.equal(await b.call("SET", "z", "1"), "+OK\r\n");
    assert.equal(await a.call("PING"), "+PONG\r\n");
  },
);

eachPeer("TRACKING (RESP2): REDIRECT to a __redis__:invalidate subscriber", async (p) => {
  await using sub = await RawClient.connect(p.port);
  await using a = await RawClient.connect(p.port);
  await using b = await RawClient.connect(p.port);
  const subId = await idOf(sub);
  assert.equal(
    await sub.call("SUBSCRIBE", "__redis__:invalidate"),
    "*3\r\n$9\r\nsubscribe\r\n$20\r\n__redis__:invalidate\r\n:1\r\n",
  );
  assert.equal(await a.call("CLIENT", "TRACKING", "on", "REDIRECT", subId), "+OK\r\n");
  assert.equal(await a.call("CLIENT", "GETREDIR"), `:${subId}\r\n`);
  assert.equal(await a.call("GET", "user:1"), "$-1\r\n");
  assert.equal(await b.call("SET", "user:1", "x"), "+OK\r\n");
  assert.deepEqual(await sub.readStrings(1), [message("user:1")]);
  assert.equal(await b.call("FLUSHDB"), "+OK\r\n");
  assert.deepEqual(await sub.readStrings(1), [
    "*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n$-1\r\n",
  ]);
  // a RESP2 client without redirection gets nothing (it cannot receive pushes)
  assert.equal(await b.call("CLIENT", "TRACKING", "on"), "+OK\r\n");
  assert.equal(await b.call("GET", "q"), "$-1\r\n");
  assert.equal(await b.call("SET", "q", "1"), "+OK\r\n");
  assert.equal(await b.call("PING"), "+PONG\r\n");
});

eachPeer("TRACKING BCAST: the keys of one write per prefix, sorted; NOLOOP", async (p) => {
  await using a = await resp3(p.port);
  await using b = await RawClient.connect(p.port);
  assert.equal(
    await a.call("CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "user:", "PREFIX", "job:"),
    "+OK\r\n",
  );
  assert.equal(await b.call("MSET", "user:2", "a", "other", "b", "user:1", "c"), "+OK\r\n");
  assert.deepEqual(await a.readStrings(1), [inval("user:1", "user:2")]);
  assert.equal(await b.call("LPUSH", "job:9", "x"), ":1\r\n");
  assert.deepEqual(await a.readStrings(1), [inval("job:9")]);
  // its own writes too, unless NOLOOP
  await a.send("*3\r\n$3\r\nSET\r\n$6\r\nuser:3\r\n$1\r\nv\r\n");
  assert.deepEqual(await a.readStrings(2), ["+OK\r\n", inval("user:3")]);
  assert.equal(await a.call("CLIENT", "TRACKING", "on", "BCAST", "NOLOOP"), "+OK\r\n");
  assert.equal(await a.call("SET", "user:4", "v"), "+OK\r\n");
  assert.equal(await b.call("SET", "job:1", "v"), "+OK\r\n");
  // (BCAST ON again without PREFIX added the empty prefix: every key)
  const got = await a.readStrings(2);
  assert.deepEqual(got.sort(), [inval("job:1"), inval("job:1")].sort());
  const info = parseReply(await a.call("CLIENT", "TRACKINGINFO"));
  assert.deepEqual(info, ["flags", ["on", "bcast", "noloop"], "redirect", 0, "prefixes", [
    "",
    "job:",
    "user:",
  ]]);
});

eachPeer("TRACKING OPTIN/OPTOUT: CLIENT CACHING decides for the next command", async (p) => {
  await using a = await resp3(p.port);
  await using b = await RawClient.connect(p.port);
  assert.equal(await a.call("CLIENT", "TRACKING", "on", "OPTIN"), "+OK\r\n");
  assert.equal(await a.call("GET", "a"), "_\r\n"); // not tracked
  assert.equal(await a.call("CLIENT", "CACHING", "yes"), "+OK\r\n");
  assert.match(await a.call("CLIENT", "TRACKINGINFO"), /caching-yes/); // CLIENT keeps it
  assert.equal(await a.call("GET", "b"), "_\r\n"); // tracked
  assert.equal(await a.call("GET", "c"), "_\r\n"); // not: CACHING lasted one command
  assert.equal(await b.call("MSET", "a", "1", "b", "2", "c", "3"), "+OK\r\n");
  assert.deepEqual(await a.readStrings(1), [inval("b")]);
  assert.equal(await a.call("PING"), "+PONG\r\n");
  assert.equal(await a.call("CLIENT", "TRACKING", "off"), "+OK\r\n");
  assert.equal(await a.call("CLIENT", "TRACKING", "on", "OPTOUT"), "+OK\r\n");
  assert.equal(await a.call("CLIENT", "CACHING", "no"), "+OK\r\n");
  assert.equal(await a.call("GET", "a"), "$1\r\n1\r\n"); // not tracked
  assert.equal(await a.call("GET", "c"), "$1\r\n3\r\n"); // tracked
  assert.equal(await b.call("MSET", "a", "1", "c", "3"), "+OK\r\n");
  assert.deepEqual(await a.readStrings(1), [inval("c")]);
  assert.equal(await a.call("PING"), "+PONG\r\n");
  // in MULTI, CACHING covers the whole transaction
  assert.equal(await a.call("CLIENT", "TRACKING", "off"), "+OK\r\n");
  assert.equal(await a.call("CLIENT", "TRACKING", "on", "OPTIN"), "+OK\r\n");
  assert.equal(await a.call("CLIENT", "CACHING", "yes"), "+OK\r\n");
  assert.equal(await a.call("MULTI"), "+OK\r\n");
  assert.equal(await a.call("GET", "a"), "+QUEUED\r\n");
  assert.equal(await a.call("GET", "c"), "+QUEUED\r\n");
  assert.equal(await a.call("EXEC"), "*2\r\n$1\r\n1\r\n$1\r\n3\r\n");
  assert.equal(await b.call("DEL", "c", "a"), ":2\r\n");
  // one push per key, in the order the keys are deleted
  assert.deepEqual(await a.readStrings(2), [inval("c"), inval("a")]);
});

eachPeer("TRACKING NOLOOP: the client's own writes are not announced to it", async (p) => {
  await using a = await resp3(p.port);
  await using b = await RawClient.connect(p.port);
  assert.equal(await a.call("CLIENT", "TRACKING", "on", "NOLOOP"), "+OK\r\n");
  assert.equal(await a.call("GET", "k"), "_\r\n");
  assert.equal(await a.call("SET", "k", "1"), "+OK\r\n");
  assert.equal(await a.call("PING"), "+PONG\r\n");
  // (the key is forgotten all the same)
  assert.equal(await b.call("SET", "k", "2"), "+OK\r\n");
  assert.equal(await a.call("PING"), "+PONG\r\n");
  assert.equal(await a.call("GET", "k"), "$1\r\n2\r\n");
  assert.equal(await b.call("SET", "k", "3"), "+OK\r\n");
  assert.deepEqual(await a.readStrings(1), [inval("k")]);
});

eachPeer("TRACKING: a redirect to a client that left is reported once it matters", async (p) => {
  await using a = await resp3(p.port);
  await using b = await RawClient.connect(p.port);
  const gone = await RawClient.connect(p.port);
  const goneId = await idOf(gone);
  assert.equal(await a.call("CLIENT", "TRACKING", "on", "REDIRECT", goneId), "+OK\r\n");
  gone.close();
  // wait until the server noticed
  for (let i = 0; i < 200; i++) {
    const list = parseReply(await b.call("CLIENT", "LIST")) as string;
    if (!list.includes(`id=${goneId} `)) break;
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.equal(await a.call("GET", "k"), "_\r\n");
  assert.equal(await b.call("SET", "k", "1"), "+OK\r\n");
  assert.deepEqual(await a.readStrings(1), [
    `>2\r\n$21\r\ntracking-redir-broken\r\n:${goneId}\r\n`,
  ]);
  const info = parseReply(await a.call("CLIENT", "TRACKINGINFO"));
  assert.deepEqual(info, ["flags", ["on", "broken_redirect"], "redirect", goneId, "prefixes", []]);
  assert.match(parseReply(await a.call("CLIENT", "INFO")) as string, / flags=tR /);
});

eachPeer("TRACKING: TRACKINGINFO, GETREDIR and CLIENT LIST in both protocols", async (p) => {
  await using c = await RawClient.connect(p.port);
  assert.equal(
    await c.call("CLIENT", "TRACKINGINFO"),
    "*6\r\n$5\r\nflags\r\n*1\r\n$3\r\noff\r\n$8\r\nredirect\r\n:-1\r\n$8\r\nprefixes\r\n*0\r\n",
  );
  assert.equal(await c.call("CLIENT", "GETREDIR"), ":-1\r\n");
  assert.equal(await c.call("CLIENT", "TRACKING", "on", "OPTOUT", "NOLOOP"), "+OK\r\n");
  assert.equal(await c.call("CLIENT", "GETREDIR"), ":0\r\n");
  assert.equal(
    await c.call("CLIENT", "TRACKINGINFO"),
    "*6\r\n$5\r\nflags\r\n*3\r\n$2\r\non\r\n$6\r\noptout\r\n$6\r\nnoloop\r\n" +
      "$8\r\nredirect\r\n:0\r\n$8\r\nprefixes\r\n*0\r\n",
  );
  assert.match(parseReply(await c.call("CLIENT", "INFO")) as string, / flags=t .* redir=0 /);
  assert.equal(await c.call("HELLO", "3").then((r) => r.slice(0, 4)), "%7\r\n");
  assert.equal(
    await c.call("CLIENT", "TRACKINGINFO"),
    "%3\r\n$5\r\nflags\r\n~3\r\n$2\r\non\r\n$6\r\noptout\r\n$6\r\nnoloop\r\n" +
      "$8\r\nredirect\r\n:0\r\n$8\r\nprefixes\r\n*0\r\n",
  );
  assert.equal(await c.call("RESET"), "+RESET\r\n");
  assert.equal(await c.call("CLIENT", "GETREDIR"), ":-1\r\n");
});

eachPeer("TRACKING: Redis's errors", async (p) => {
  await using c = await RawClient.connect(p.port);
  const err = (m: string) => `-ERR ${m}\r\n`;
  assert.equal(await c.call("CLIENT", "TRACKING", "maybe"), err("syntax error"));
  assert.equal(await c.call("CLIENT", "TRACKING", "on", "FOO"), err("syntax error"));
  assert.equal(
    await c.call("CLIENT", "TRACKING", "on", "PREFIX", "a"),
    err("PREFIX option requires BCAST mode to be enabled"),
  );
  assert.equal(
    await c.call("CLIENT", "TRACKING", "on", "OPTIN", "OPTOUT"),
    err("You can't specify both OPTIN mode and OPTOUT mode"),
  );
  assert.equal(
    await c.call("CLIENT", "TRACKING", "on", "BCAST", "OPTIN"),
    err("OPTIN and OPTOUT are not compatible with BCAST"),
  );
  assert.equal(
    await c.call("CLIENT", "TRACKING", "on", "REDIRECT", "999999"),
    err("The client ID you want redirect to does not exist"),
  );
  assert.equal(
    await c.call("CLIENT", "TRACKING", "on", "REDIRECT", "x"),
    err("value is not an integer or out of range"),
  );
  const id = await idOf(c);
  assert.equal(
    await c.call("CLIENT", "TRACKING", "on", "REDIRECT", id, "REDIRECT", id),
    err("A client can only redirect to a single other client"),
  );
  assert.equal(
    await c.call("CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "ab", "PREFIX", "abc"),
    err(
      "Prefix 'ab' overlaps with another provided prefix 'abc'. Prefixes for a single client must not overlap.",
    ),
  );
  assert.equal(
    await c.call("CLIENT", "CACHING", "yes"),
    err(
      "CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled",
    ),
  );
  assert.equal(await c.call("CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "a:"), "+OK\r\n");
  assert.equal(
    await c.call("CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "a:b"),
    err(
      "Prefix 'a:b' overlaps with an existing prefix 'a:'. Prefixes for a single client must not overlap.",
    ),
  );
  assert.equal(
    await c.call("CLIENT", "TRACKING", "on"),
    err(
      "You can't switch BCAST mode on/off before disabling tracking for this client, and then re-enabling it with a different mode.",
    ),
  );
  assert.equal(
    await c.call("CLIENT", "CACHING", "yes"),
    err("CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode."),
  );
  assert.equal(
    await c.call("CLIENT", "CACHING", "no"),
    err("CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode."),
  );
  assert.equal(await c.call("CLIENT", "CACHING", "maybe"), err("syntax error"));
  assert.equal(await c.call("CLIENT", "TRACKING", "off"), "+OK\r\n");
  assert.equal(await c.call("CLIENT", "TRACKING", "on", "OPTIN"), "+OK\r\n");
  assert.equal(
    await c.call("CLIENT", "TRACKING", "on", "OPTOUT"),
    err(
      "You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and then re-enabling it with a different mode.",
    ),
  );
});

eachPeer("TRACKING: INFO tracking_clients and tracking_total_keys/items/prefixes", async (p) => {
  await using a = await resp3(p.port);
  await using b = await RawClient.connect(p.port);
  const field = async (name: string) => {
    const text = parseReply(await b.call("INFO", "everything")) as string;
    return Number(new RegExp(`\\r\\n${name}:(\\d+)\\r\\n`).exec(text)![1]);
  };
  assert.equal(await a.call("CLIENT", "TRACKING", "on"), "+OK\r\n");
  assert.equal(
    await b.call("CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "x", "PREFIX", "y"),
    "+OK\r\n",
  );
  assert.equal(await a.call("MGET", "k1", "k2", "k3"), "*3\r\n_\r\n_\r\n_\r\n");
  assert.equal(await field("tracking_clients"), 2);
  assert.equal(await field("tracking_total_keys"), 3);
  assert.equal(await field("tracking_total_items"), 3);
  assert.equal(await field("tracking_total_prefixes"), 2);
  assert.equal(await b.call("CLIENT", "TRACKING", "off"), "+OK\r\n");
  assert.equal(await field("tracking_total_prefixes"), 0);
  assert.equal(await field("tracking_clients"), 1);
});
