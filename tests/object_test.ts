// OBJECT ENCODING, FREQ, IDLETIME, REFCOUNT and HELP (server/commands/object.ts):
// replies and error texts compared byte for byte with a real redis-server
// 7.0.15 in RESP2 and RESP3 (string encodings by Redis's rules, collection
// encodings across the thresholds, shared integers, missing keys, LFU
// policy errors); the lookup's effect on keyspace statistics and `keymiss`
// events compared with Redis; idle time and LFU frequency with an injected
// clock (their values against Redis depend on when a second or minute starts).

import assert from "node:assert/strict";
import { cmd, HAVE_REDIS, parseReply, RawClient, startTestServer } from "./helpers.ts";
import { startPeer } from "./support/peers.ts";
import { compareWithRedis, random, type ScriptStep } from "./support/redis_compare.ts";

const ignore = !HAVE_REDIS;

/** A string of `n` copies of `c`. */
const rep = (c: string, n: number) => c.repeat(n);

const STRINGS: Record<string, readonly ScriptStep[]> = {
  "integers": [
    "SET k 100",
    "OBJECT ENCODING k",
    "OBJECT REFCOUNT k",
    "SET k 0",
    "OBJECT REFCOUNT k",
    "SET k 9999",
    "OBJECT REFCOUNT k",
    "SET k 10000",
    "OBJECT ENCODING k",
    "OBJECT REFCOUNT k",
    "SET k -1",
    "OBJECT ENCODING k",
    "OBJECT REFCOUNT k",
    "SET k 9223372036854775807",
    "OBJECT ENCODING k",
    "SET k -9223372036854775808",
    "OBJECT ENCODING k",
    "SET k 9223372036854775808",
    "OBJECT ENCODING k",
    "SET k 0123",
    "OBJECT ENCODING k",
    "SET k -0",
    "OBJECT ENCODING k",
    "SET k +1",
    "OBJECT ENCODING k",
    "SET k 1.5",
    "OBJECT ENCODING k",
    ["SET", "k", " 1"],
    "OBJECT ENCODING k",
    "INCR n",
    "OBJECT ENCODING n",
    "OBJECT REFCOUNT n",
    "INCRBY n 20000",
    "OBJECT ENCODING n",
    "OBJECT REFCOUNT n",
    "DECRBY n 20001",
    "OBJECT ENCODING n",
    "OBJECT REFCOUNT n",
    "MSET a 1 b 2",
    "OBJECT ENCODING a",
    "OBJECT REFCOUNT b",
    "GETSET a 77",
    "OBJECT REFCOUNT a",
    "SETEX e 100 5",
    "OBJECT REFCOUNT e",
  ],
  "embstr and raw": [
    "SET k hello",
    "OBJECT ENCODING k",
    "OBJECT REFCOUNT k",
    ["SET", "k", ""],
    "OBJECT ENCODING k",
    ["SET", "k", rep("x", 44)],
    "OBJECT ENCODING k",
    ["SET", "k", rep("x", 45)],
    "OBJECT ENCODING k",
    "OBJECT REFCOUNT k",
    ["SET", "k", rep("9", 21)],
    "OBJECT ENCODING k",
    ["SET", "k", "\u00ff\u0000\u0001"],
    "OBJECT ENCODING k",
    "SETNX fresh abc",
    "OBJECT ENCODING fresh",
    "APPEND new 123",
    "OBJECT ENCODING new",
    "APPEND new2 abc",
    "OBJECT ENCODING new2",
  ],
  "missing keys and errors": [
    "OBJECT ENCODING nokey",
    "OBJECT REFCOUNT nokey",
    "OBJECT IDLETIME nokey",
    "OBJECT FREQ nokey",
    "SET k v",
    "OBJECT FREQ k",
    // the idle time and the LFU counter depend on when a second or a minute
    // starts: against Redis only their reply types are compared
    random("OBJECT IDLETIME k"),
    "OBJECT",
    "OBJECT ENCODING",
    "OBJECT ENCODING a b",
    "OBJECT REFCOUNT",
    "OBJECT FREQ",
    "OBJECT IDLETIME",
    "OBJECT FOO k",
    "OBJECT encoding k",
    "object Refcount k",
  ],
  "HELP": [
    "OBJECT HELP",
    "object help",
    "OBJECT HELP extra",
  ],
  "LFU policy": [
    "SET k v",
    "CONFIG SET maxmemory-policy allkeys-lfu",
    "OBJECT IDLETIME k",
    "OBJECT IDLETIME nokey",
    "OBJECT FREQ nokey",
    "SET k2 v",
    random("OBJECT FREQ k2"),
    "CONFIG SET maxmemory-policy volatile-lfu",
    "OBJECT IDLETIME k",
    "CONFIG SET maxmemory-policy volatile-lru",
    "OBJECT FREQ k",
    random("OBJECT IDLETIME k"),
    "CONFIG SET maxmemory-policy noeviction",
  ],
  "shared integers under maxmemory": [
    "CONFIG SET maxmemory-policy allkeys-lru",
    "SET k 5",
    "OBJECT REFCOUNT k",
    "CONFIG SET maxmemory-policy noeviction",
  ],
};

Deno.test({
  name: "OBJECT on strings, missing keys, errors and HELP like Redis 7.0.15",
  ignore,
  fn: () => compareWithRedis(STRINGS),
});

// Redis keeps a string `raw` once APPEND, SETRANGE or SETBIT has modified it,
// even a short or numeric one. (Not covered: an INCRBYFLOAT result that reads
// as an integer is `embstr` with refcount 1 in Redis, `int` here.)
Deno.test({
  name: "OBJECT ENCODING after APPEND, SETRANGE, SETBIT and INCRBYFLOAT like Redis 7.0.15",
  ignore,
  fn: () =>
    compareWithRedis({
      "modified strings": [
        "SET k hello",
        "APPEND k x",
        "OBJECT ENCODING k",
        "SET k 12",
        "APPEND k 3",
        "OBJECT ENCODING k",
        "OBJECT REFCOUNT k",
        "SET k abc",
        "OBJECT ENCODING k",
        "SETRANGE r 0 abc",
        "OBJECT ENCODING r",
        "SET r abc",
        "SETRANGE r 1 x",
        "OBJECT ENCODING r",
        "SETBIT b 1 1",
        "OBJECT ENCODING b",
        "SET b 5",
        "SETBIT b 1 1",
        "OBJECT ENCODING b",
        "INCR b",
        "OBJECT ENCODING b",
        "INCRBYFLOAT f 1.5",
        "OBJECT ENCODING f",
        "INCR f2",
        "APPEND f2 0",
        "INCR f2",
        "OBJECT ENCODING f2",
      ],
    }),
});

/** OBJECT ENCODING of every collection type across Redis's default thresholds. */
const COLLECTIONS: Record<string, readonly ScriptStep[]> = {
  "hash": [
    "HSET h f v",
    "OBJECT ENCODING h",
    "OBJECT REFCOUNT h",
    ["HSET", "h", "long", rep("v", 65)],
    "OBJECT ENCODING h",
    "HSET h2 f v",
    ...Array.from({ length: 128 }, (_, i) => `HSET h2 f${i} v`),
    "OBJECT ENCODING h2",
    "HSET h3 f v",
    ["HSET", "h3", "g", rep("v", 64)],
    "OBJECT ENCODING h3",
  ],
  "list": [
    "RPUSH l a b c",
    "OBJECT ENCODING l",
    "OBJECT REFCOUNT l",
    ["RPUSH", "l", rep("x", 10000)],
    "OBJECT ENCODING l",
  ],
  "set": [
    "SADD s 1 2 3",
    "OBJECT ENCODING s",
    "SADD s x",
    "OBJECT ENCODING s",
    "SADD big " + Array.from({ length: 512 }, (_, i) => i).join(" "),
    "OBJECT ENCODING big",
    "SADD big 512",
    "OBJECT ENCODING big",
    "SADD neg -1",
    "OBJECT ENCODING neg",
    "SADD huge 9223372036854775807",
    "OBJECT ENCODING huge",
    "SADD huge2 9223372036854775808",
    "OBJECT ENCODING huge2",
  ],
  "zset": [
    "ZADD z 1 a",
    "OBJECT ENCODING z",
    "OBJECT REFCOUNT z",
    ["ZADD", "z", "2", rep("m", 65)],
    "OBJECT ENCODING z",
    ["ZADD", "z3", "2", rep("m", 64)],
    "OBJECT ENCODING z3",
    ...Array.from({ length: 129 }, (_, i) => `ZADD z2 ${i} m${i}`),
    "OBJECT ENCODING z2",
  ],
};

Deno.test({
  name: "OBJECT ENCODING of hashes, lists, sets and sorted sets like Redis 7.0.15",
  ignore,
  fn: () => compareWithRedis(COLLECTIONS),
});

/** `keyspace_hits` and `keyspace_misses` of INFO stats. */
async function lookupStats(c: RawClient): Promise<[number, number]> {
  const info = parseReply(await c.call("INFO", "stats")) as string;
  const get = (name: string) => Number(new RegExp(`^${name}:(\\d+)`, "m").exec(info)![1]);
  return [get("keyspace_hits"), get("keyspace_misses")];
}

Deno.test({
  name: "OBJECT counts keyspace hits and misses but fires no keymiss event, as Redis does",
  ignore,
  fn: async () => {
    const results: unknown[] = [];
    for (const kind of ["redis", "ours"] as const) {
      await using peer = await startPeer(kind);
      await using c = await RawClient.connect(peer.port);
      await using sub = await RawClient.connect(peer.port);
      assert.equal(await c.call("CONFIG", "SET", "notify-keyspace-events", "KEAm"), "+OK\r\n");
      await sub.send(cmd("SUBSCRIBE", "__keyevent@0__:keymiss"));
      await sub.readStrings(1);
      await c.call("SET", "k", "v");
      await c.call("CONFIG", "RESETSTAT");
      for (const sub of ["ENCODING", "REFCOUNT", "IDLETIME", "FREQ"]) {
        await c.call("OBJECT", sub, "k");
        await c.call("OBJECT", sub, "nokey");
      }
      const stats = await lookupStats(c);
      // a GET of a missing key does fire keymiss: the first message must be its
      await c.call("GET", "marker");
      const [message] = await sub.readStrings(1);
      results.push({ stats, message: parseReply(message) });
    }
    assert.deepEqual(results[1], results[0]);
  },
});

Deno.test({
  name: "OBJECT IDLETIME and FREQ: time since the last access, at 1 s resolution",
  fn: async () => {
    let now = 1_700_000_000_000;
    await using srv = await startTestServer({ clock: () => now, sweepIntervalMs: 0 });
    await using c = await RawClient.connect(srv.port);
    // what the server's cron does ten times a second (Redis's LRU clock)
    const advance = (ms: number) => {
      now += ms;
      srv.server.db.updateClock();
    };
    assert.equal(await c.call("SET", "k", "v"), "+OK\r\n");
    assert.equal(await c.call("OBJECT", "IDLETIME", "k"), ":0\r\n");
    advance(999);
    assert.equal(await c.call("OBJECT", "IDLETIME", "k"), ":0\r\n");
    advance(1);
    assert.equal(await c.call("OBJECT", "IDLETIME", "k"), ":1\r\n");
    advance(41_000);
    // OBJECT itself does not touch the key, nor do EXISTS and TTL (LOOKUP_NOTOUCH)
    assert.equal(await c.call("OBJECT", "IDLETIME", "k"), ":42\r\n");
    assert.equal(await c.call("EXISTS", "k"), ":1\r\n");
    assert.equal(await c.call("TTL", "k"), ":-1\r\n");
    assert.equal(await c.call("OBJECT", "IDLETIME", "k"), ":42\r\n");
    // a read does
    assert.equal(await c.call("GET", "k"), "$1\r\nv\r\n");
    assert.equal(await c.call("OBJECT", "IDLETIME", "k"), ":0\r\n");
    advance(5_000);
    assert.equal(await c.call("OBJECT", "IDLETIME", "k"), ":5\r\n");
    // and so does a write
    assert.equal(await c.call("APPEND", "k", "w"), ":2\r\n");
    assert.equal(await c.call("OBJECT", "IDLETIME", "k"), ":0\r\n");
    // under an LFU policy IDLETIME is refused and FREQ decays by one per idle minute
    assert.equal(await c.call("CONFIG", "SET", "maxmemory-policy", "allkeys-lfu"), "+OK\r\n");
    assert.match(
      await c.call("OBJECT", "IDLETIME", "k"),
      /^-ERR An LFU maxmemory policy is selected, idle time not tracked/,
    );
    assert.equal(await c.call("OBJECT", "FREQ", "k"), ":5\r\n");
    advance(120_000);
    assert.equal(await c.call("OBJECT", "FREQ", "k"), ":3\r\n");
    advance(3_600_000);
    assert.equal(await c.call("OBJECT", "FREQ", "k"), ":0\r\n");
  },
});
