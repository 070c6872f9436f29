/**
 * Generic key commands over raw TCP, byte for byte (expected bytes checked
 * against Redis 7.0): DEL, UNLINK, EXISTS, TOUCH, TYPE, KEYS, SCAN,
 * RANDOMKEY, RENAME, RENAMENX, COPY, DBSIZE, FLUSHDB, FLUSHALL, plus the
 * unknown-command and arity errors. Keys are seeded through the keyspace
 * API so these tests do not depend on the string commands.
 */
import assert from "node:assert/strict";
import {
  HAVE_REDIS,
  parseReply,
  RawClient,
  type Reply,
  startTestServer,
  type TestServer,
} from "./helpers.ts";
import { compareWithRedis } from "./support/redis_compare.ts";
import type { RedisObject } from "../server/mod.ts";
import { toBinary, utf8 } from "../resp/bytes.ts";

function seed(srv: TestServer, keys: Record<string, string>, expiresAt = 0): void {
  for (const [k, v] of Object.entries(keys)) {
    srv.server.db.set(toBinary(utf8(k)), utf8(v), expiresAt);
  }
}

function value(srv: TestServer, key: string): string | null {
  const v = srv.server.db.getString(toBinary(utf8(key)));
  return v === null ? null : new TextDecoder().decode(v);
}

/** A stand-in for a future non-string type. */
class FakeList implements RedisObject {
  readonly type = "list";
  readonly size = 1;
  readonly encoding = "quicklist";
  constructor(public items: string[]) {}
  clone(): FakeList {
    return new FakeList([...this.items]);
  }
}

function sorted(reply: Reply): Reply {
  assert.ok(Array.isArray(reply), `not an array: ${JSON.stringify(reply)}`);
  return [...reply].sort();
}

async function session(
  srv: TestServer,
  steps: [readonly (string | Uint8Array | number)[], string][],
): Promise<void> {
  await using c = await RawClient.connect(srv.port);
  for (const [args, expected] of steps) {
    assert.equal(await c.call(...args), expected, `reply to ${args.join(" ")}`);
  }
}

Deno.test("unknown command and wrong arity use Redis's exact text", async () => {
  await using srv = await startTestServer();
  await session(srv, [
    [["FOO", "a", "b"], "-ERR unknown command 'FOO', with args beginning with: 'a' 'b' \r\n"],
    [["foo"], "-ERR unknown command 'foo', with args beginning with: \r\n"],
    [["foo", "x\r\ny"], "-ERR unknown command 'foo', with args beginning with: 'x  y' \r\n"],
    [["GET"], "-ERR wrong number of arguments for 'get' command\r\n"],
    [["del"], "-ERR wrong number of arguments for 'del' command\r\n"],
    [["TYPE", "a", "b"], "-ERR wrong number of arguments for 'type' command\r\n"],
    [["config"], "-ERR wrong number of arguments for 'config' command\r\n"],
    [["config", "foo"], "-ERR unknown subcommand 'foo'. Try CONFIG HELP.\r\n"],
    [["config", "get"], "-ERR wrong number of arguments for 'config|get' command\r\n"],
  ]);
  // the argument list stops growing after 128 bytes, each argument cut to what is left
  await using c = await RawClient.connect(srv.port);
  const long = "x".repeat(200);
  assert.equal(
    await c.call("foo", long, "b"),
    `-ERR unknown command 'foo', with args beginning with: '${"x".repeat(128)}' \r\n`,
  );
  assert.equal(
    await c.call("foo", "a".repeat(100), "b".repeat(100), "c"),
    `-ERR unknown command 'foo', with args beginning with: '${"a".repeat(100)}' '${
      "b".repeat(25)
    }' \r\n`,
  );
});

Deno.test("command names are case-insensitive", async () => {
  await using srv = await startTestServer();
  seed(srv, { k: "v" });
  await session(srv, [
    [["exists", "k"], ":1\r\n"],
    [["EXISTS", "k"], ":1\r\n"],
    [["ExIsTs", "k"], ":1\r\n"],
  ]);
});

Deno.test("DEL and UNLINK count the keys removed", async () => {
  await using srv = await startTestServer();
  seed(srv, { a: "1", b: "2", c: "3" });
  await session(srv, [
    [["DEL", "a", "b", "nokey", "a"], ":2\r\n"],
    [["EXISTS", "a"], ":0\r\n"],
    [["UNLINK", "c", "nokey"], ":1\r\n"],
    [["DBSIZE"], ":0\r\n"],
    [["UNLINK"], "-ERR wrong number of arguments for 'unlink' command\r\n"],
  ]);
});

Deno.test("EXISTS and TOUCH count every argument, duplicates included", async () => {
  await using srv = await startTestServer();
  seed(srv, { a: "1", b: "2" });
  await session(srv, [
    [["EXISTS", "a", "a", "b", "nokey"], ":3\r\n"],
    [["EXISTS", "nokey"], ":0\r\n"],
    [["TOUCH", "a", "b", "c"], ":2\r\n"],
    [["TOUCH"], "-ERR wrong number of arguments for 'touch' command\r\n"],
  ]);
});

Deno.test("TYPE replies a simple string per type", async () => {
  await using srv = await startTestServer();
  seed(srv, { s: "x" });
  srv.server.db.set("l", new FakeList(["a"]));
  await session(srv, [
    [["TYPE", "s"], "+string\r\n"],
    [["TYPE", "l"], "+list\r\n"],
    [["TYPE", "nokey"], "+none\r\n"],
  ]);
});

Deno.test("keys are binary safe", async () => {
  await using srv = await startTestServer();
  const key = new Uint8Array([0, 255, 13, 10, 32, 0xc3]);
  srv.server.db.set(toBinary(key), utf8("v"));
  await using c = await RawClient.connect(srv.port);
  assert.equal(await c.call("EXISTS", key), ":1\r\n");
  assert.equal(await c.call("EXISTS", key.subarray(0, 5)), ":0\r\n");
  assert.equal(
    await c.call("KEYS", "*"),
    "*1\r\n$6\r\n\x00\xff\r\n \xc3\r\n",
  );
  assert.equal(
    await c.call("KEYS", new Uint8Array([42, 255, 42])),
    "*1\r\n$6\r\n\x00\xff\r\n \xc3\r\n",
  );
  assert.equal(await c.call("DEL", key), ":1\r\n");
});

Deno.test("KEYS matches Redis glob patterns", async () => {
  await using srv = await startTestServer();
  const names = [
    "hello",
    "hallo",
    "hxllo",
    "hllo",
    "heeeello",
    "h*llo",
    "h?llo",
    "x",
    "foo:1",
    "foo:2",
  ];
  for (const n of names) seed(srv, { [n]: "v" });
  await using c = await RawClient.connect(srv.port);
  const keys = async (pattern: string) => sorted(parseReply(await c.call("KEYS", pattern)));
  assert.deepEqual(await keys("*"), [...names].sort());
  assert.deepEqual(await keys("h?llo"), ["h*llo", "h?llo", "hallo", "hello", "hxllo"]);
  assert.deepEqual(
    await keys("h*llo"),
    ["h*llo", "h?llo", "hallo", "heeeello", "hello", "hllo", "hxllo"],
  );
  assert.deepEqual(await keys("h[ae]llo"), ["hallo", "hello"]);
  assert.deepEqual(await keys("h[^e]llo"), ["h*llo", "h?llo", "hallo", "hxllo"]);
  assert.deepEqual(await keys("h[a-b]llo"), ["hallo"]);
  assert.deepEqual(await keys("h[b-a]llo"), ["hallo"]); // reversed range
  assert.deepEqual(await keys("h\\*llo"), ["h*llo"]);
  assert.deepEqual(await keys("h\\?llo"), ["h?llo"]);
  assert.deepEqual(await keys("h[\\*]llo"), ["h*llo"]);
  assert.deepEqual(await keys("foo:*"), ["foo:1", "foo:2"]);
  assert.deepEqual(await keys("nomatch*"), []);
  assert.deepEqual(await keys("x"), ["x"]);
  assert.deepEqual(await keys("(.*)"), []); // no regex semantics
  assert.equal(await c.call("KEYS", "nomatch"), "*0\r\n");
});

Deno.test("SCAN iterates everything in COUNT-sized steps, with MATCH and TYPE", async () => {
  await using srv = await startTestServer();
  const all: string[] = [];
  for (let i = 0; i < 100; i++) {
    all.push(`key:${i}`);
    seed(srv, { [`key:${i}`]: "v" });
  }
  srv.server.db.set("alist", new FakeList([]));
  await using c = await RawClient.connect(srv.port);
  const scanAll = async (...opts: string[]) => {
    const seen: string[] = [];
    let cursor = "0";
    let calls = 0;
    do {
      const r = parseReply(await c.call("SCAN", cursor, ...opts)) as [string, string[]];
      cursor = r[0];
      seen.push(...r[1]);
      assert.ok(++calls < 1000, "SCAN did not terminate");
    } while (cursor !== "0");
    return seen;
  };
  assert.deepEqual((await scanAll("COUNT", "7")).sort(), [...all, "alist"].sort());
  assert.deepEqual((await scanAll()).sort(), [...all, "alist"].sort());
  assert.deepEqual(
    (await scanAll("MATCH", "key:1*", "COUNT", "1000")).sort(),
    all.filter((k) => k.startsWith("key:1")).sort(),
  );
  assert.deepEqual(await scanAll("TYPE", "list"), ["alist"]);
  assert.deepEqual(await scanAll("TYPE", "LIST"), ["alist"]);
  assert.deepEqual((await scanAll("type", "string")).length, 100);
  assert.deepEqual(await scanAll("TYPE", "nosuchtype"), []);
  // one step returns at most about COUNT keys and a non-zero cursor
  const first = parseReply(await c.call("SCAN", "0", "COUNT", "10")) as [string, string[]];
  assert.notEqual(first[0], "0");
  assert.equal(first[1].length, 10);
  // an empty database
  await c.call("FLUSHALL");
  assert.equal(await c.call("SCAN", "0"), "*2\r\n$1\r\n0\r\n*0\r\n");
});

Deno.test("SCAN errors match Redis", async () => {
  await using srv = await startTestServer();
  await session(srv, [
    [["SCAN", "abc"], "-ERR invalid cursor\r\n"],
    [["SCAN", ""], "*2\r\n$1\r\n0\r\n*0\r\n"], // strtoul: an empty cursor is 0, as in Redis
    [["SCAN", "18446744073709551616"], "-ERR invalid cursor\r\n"],
    [["SCAN", "18446744073709551615"], "*2\r\n$1\r\n0\r\n*0\r\n"],
    [["SCAN", "0", "COUNT", "0"], "-ERR syntax error\r\n"],
    [["SCAN", "0", "COUNT", "-1"], "-ERR syntax error\r\n"],
    [["SCAN", "0", "COUNT", "x"], "-ERR value is not an integer or out of range\r\n"],
    [["SCAN", "0", "COUNT"], "-ERR syntax error\r\n"],
    [["SCAN", "0", "MATCH"], "-ERR syntax error\r\n"],
    [["SCAN", "0", "FOO", "bar"], "-ERR syntax error\r\n"],
    [["SCAN"], "-ERR wrong number of arguments for 'scan' command\r\n"],
  ]);
});

Deno.test("SCAN returns every key present throughout, despite adds and deletes", async () => {
  await using srv = await startTestServer();
  const db = srv.server.db;
  const stable = new Set<string>();
  for (let i = 0; i < 2000; i++) {
    const k = `k${i}`;
    db.set(k, utf8("v"));
    if (i % 3 !== 0) stable.add(k);
  }
  await using c = await RawClient.connect(srv.port);
  const seen = new Map<string, number>();
  let cursor = "0";
  let step = 0;
  let added = 0;
  do {
    const r = parseReply(await c.call("SCAN", cursor, "COUNT", "25")) as [string, string[]];
    cursor = r[0];
    for (const k of r[1]) seen.set(k, (seen.get(k) ?? 0) + 1);
    // churn: delete some unstable keys (which also forces slot compaction) and add new ones
    for (let j = 0; j < 30; j++) {
      const victim = `k${(step * 30 + j) * 3 % 2000}`;
      if (!stable.has(victim)) db.delete(victim);
      db.set(`new${added++}`, utf8("v"));
    }
    step++;
    assert.ok(step < 10_000, "SCAN did not terminate");
  } while (cursor !== "0");
  for (const k of stable) assert.equal(seen.get(k), 1, `stable key ${k} seen ${seen.get(k)} times`);
  for (const [k, n] of seen) assert.equal(n, 1, `${k} returned twice`);
});

Deno.test("RANDOMKEY", async () => {
  await using srv = await startTestServer();
  await using c = await RawClient.connect(srv.port);
  assert.equal(await c.call("RANDOMKEY"), "$-1\r\n");
  seed(srv, { only: "v" });
  assert.equal(await c.call("RANDOMKEY"), "$4\r\nonly\r\n");
  seed(srv, { a: "1", b: "2", c: "3" });
  for (let i = 0; i < 20; i++) {
    assert.ok(["only", "a", "b", "c"].includes(parseReply(await c.call("RANDOMKEY")) as string));
  }
  // after many deletions, the remaining key is still found
  for (let i = 0; i < 500; i++) seed(srv, { [`tmp${i}`]: "v" });
  for (let i = 0; i < 500; i++) srv.server.db.delete(`tmp${i}`);
  await c.call("DEL", "a", "b", "c");
  assert.equal(await c.call("RANDOMKEY"), "$4\r\nonly\r\n");
  assert.equal(
    await c.call("RANDOMKEY", "x"),
    "-ERR wrong number of arguments for 'randomkey' command\r\n",
  );
});

Deno.test("RANDOMKEY skips and reclaims expired keys", async () => {
  let now = 1_000_000;
  await using srv = await startTestServer({ clock: () => now, sweepIntervalMs: 0 });
  seed(srv, { gone1: "v", gone2: "v" }, now + 10);
  seed(srv, { live: "v" });
  now += 11;
  await using c = await RawClient.connect(srv.port);
  for (let i = 0; i < 5; i++) assert.equal(await c.call("RANDOMKEY"), "$4\r\nlive\r\n");
  srv.server.db.delete("live");
  assert.equal(await c.call("RANDOMKEY"), "$-1\r\n");
});

Deno.test("RENAME and RENAMENX", async () => {
  await using srv = await startTestServer();
  seed(srv, { a: "1", b: "2" });
  await session(srv, [
    [["RENAME", "nokey", "x"], "-ERR no such key\r\n"],
    [["RENAMENX", "nokey", "x"], "-ERR no such key\r\n"],
    [["RENAME", "a", "a"], "+OK\r\n"],
    [["RENAMENX", "a", "a"], ":0\r\n"],
    [["RENAMENX", "a", "b"], ":0\r\n"],
    [["RENAME", "a", "c"], "+OK\r\n"],
    [["EXISTS", "a"], ":0\r\n"],
    [["RENAME", "c", "b"], "+OK\r\n"],
    [["RENAMENX", "b", "d"], ":1\r\n"],
    [["DBSIZE"], ":1\r\n"],
    [["RENAME", "d"], "-ERR wrong number of arguments for 'rename' command\r\n"],
  ]);
  assert.equal(value(srv, "d"), "1");
});

Deno.test("RENAME keeps the TTL", async () => {
  const now = 1_000_000;
  await using srv = await startTestServer({ clock: () => now, sweepIntervalMs: 0 });
  seed(srv, { a: "1" }, now + 5000);
  seed(srv, { b: "2" });
  await session(srv, [
    [["RENAME", "a", "b"], "+OK\r\n"],
    [["PTTL", "b"], ":5000\r\n"],
  ]);
});

Deno.test("COPY", async () => {
  const now = 1_000_000;
  await using srv = await startTestServer({ clock: () => now, sweepIntervalMs: 0 });
  seed(srv, { a: "1", b: "2" });
  seed(srv, { t: "ttl" }, now + 7000);
  srv.server.db.set("l", new FakeList(["x"]));
  await session(srv, [
    [["COPY", "a", "a"], "-ERR source and destination objects are the same\r\n"],
    [["COPY", "nokey", "c"], ":0\r\n"],
    [["COPY", "a", "b"], ":0\r\n"],
    [["COPY", "a", "b", "REPLACE"], ":1\r\n"],
    [["COPY", "a", "c", "DB", "0"], ":1\r\n"],
    [["COPY", "a", "c", "DB", "1"], "-ERR DB index is out of range\r\n"],
    [["COPY", "a", "c", "DB", "x"], "-ERR value is not an integer or out of range\r\n"],
    [["COPY", "a", "c", "foo"], "-ERR syntax error\r\n"],
    [["COPY", "a", "c", "db"], "-ERR syntax error\r\n"],
    [["COPY", "a"], "-ERR wrong number of arguments for 'copy' command\r\n"],
    [["COPY", "t", "t2"], ":1\r\n"],
    [["PTTL", "t2"], ":7000\r\n"],
    [["COPY", "l", "l2"], ":1\r\n"],
    [["TYPE", "l2"], "+list\r\n"],
  ]);
  assert.equal(value(srv, "b"), "1");
  assert.equal(value(srv, "c"), "1");
  // deep copy: the copy does not share the source's value
  const src = srv.server.db.getValue("l") as FakeList;
  src.items.push("y");
  assert.deepEqual((srv.server.db.getValue("l2") as FakeList).items, ["x"]);
  const bytesA = srv.server.db.getString("a")!;
  bytesA[0] = 57;
  assert.equal(value(srv, "c"), "1");
});

Deno.test("DBSIZE, FLUSHDB and FLUSHALL", async () => {
  await using srv = await startTestServer();
  seed(srv, { a: "1", b: "2", c: "3" });
  await session(srv, [
    [["DBSIZE"], ":3\r\n"],
    [["DBSIZE", "x"], "-ERR wrong number of arguments for 'dbsize' command\r\n"],
    [["FLUSHDB", "SYNC", "ASYNC"], "-ERR syntax error\r\n"],
    [["FLUSHALL", "foo"], "-ERR syntax error\r\n"],
    [["DBSIZE"], ":3\r\n"],
    [["FLUSHDB"], "+OK\r\n"],
    [["DBSIZE"], ":0\r\n"],
  ]);
  seed(srv, { a: "1" });
  await session(srv, [
    [["FLUSHALL", "async"], "+OK\r\n"],
    [["DBSIZE"], ":0\r\n"],
    [["FLUSHALL", "SYNC"], "+OK\r\n"],
    [["FLUSHDB", "async"], "+OK\r\n"],
  ]);
  seed(srv, { again: "1" });
  assert.equal(value(srv, "again"), "1");
  assert.equal(srv.server.db.size, 1);
});

Deno.test({
  name: "SCAN-family cursors are parsed as Redis's strtoul: empty is 0, a NUL ends it" +
    (HAVE_REDIS ? "" : " (ignored: redis-server is not installed)"),
  ignore: !HAVE_REDIS,
  fn: () =>
    compareWithRedis({
      "cursors": [
        "SET k v",
        ["SCAN", ""],
        ["SCAN", "0\x00junk"],
        ["SCAN", "x"],
        ["SCAN", "-0"],
        ["SCAN", "18446744073709551616"],
        "HSET h f v",
        "SADD s a",
        "ZADD z 1 m",
        ["HSCAN", "h", ""],
        ["SSCAN", "s", "0\x00x"],
        ["ZSCAN", "z", "+0"],
        ["HSCAN", "h", " 0"],
      ],
    }),
});

Deno.test({
  name: "COPY's DB argument and CLIENT UNBLOCK's argument count answer as Redis" +
    (HAVE_REDIS ? "" : " (ignored: redis-server is not installed)"),
  ignore: !HAVE_REDIS,
  fn: () =>
    compareWithRedis({
      "argument checks": [
        "SET k v",
        "COPY k k2 DB 4294967296",
        "COPY k k2 DB -2147483649",
        "COPY k k2 DB 2147483647",
        "COPY k k2 DB x",
        "COPY k k2 DB 0",
        "CLIENT UNBLOCK 10 ERROR ERROR",
        "client unblock 10 timeout x y",
        "CLIENT UNBLOCK 10 ERROR",
      ],
    }),
});
