/**
 * Expiry: EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT (NX, XX, GT, LT), TTL, PTTL,
 * EXPIRETIME, PEXPIRETIME, PERSIST over raw TCP, byte for byte (expected
 * bytes checked against Redis 7.0); lazy expiry on access; the active
 * sweeper reclaiming keys nobody reads. Exact TTL values come from an
 * injected clock, so no assertion depends on timing.
 */
import assert from "node:assert/strict";
import { HAVE_REDIS, RawClient, startTestServer, type TestServer, waitFor } from "./helpers.ts";
import { compareWithRedis } from "./support/redis_compare.ts";
import { Keyspace } from "../server/mod.ts";
import { utf8 } from "../resp/bytes.ts";

const T0 = 1_700_000_000_000; // a fixed "now" in Unix ms

function seed(srv: TestServer, key: string, expiresAt = 0): void {
  srv.server.db.set(key, utf8("v"), expiresAt);
}

async function session(
  srv: TestServer,
  steps: [readonly (string | number)[], string][],
): Promise<void> {
  await using c = await RawClient.connect(srv.port);
  for (const [args, expected] of steps) {
    assert.equal(await c.call(...args), expected, `reply to ${args.join(" ")}`);
  }
}

Deno.test("EXPIRE family sets the TTL; TTL/PTTL/EXPIRETIME/PEXPIRETIME read it", async () => {
  const now = T0;
  await using srv = await startTestServer({ clock: () => now, sweepIntervalMs: 0 });
  seed(srv, "k");
  await session(srv, [
    [["TTL", "nokey"], ":-2\r\n"],
    [["PTTL", "nokey"], ":-2\r\n"],
    [["EXPIRETIME", "nokey"], ":-2\r\n"],
    [["PEXPIRETIME", "nokey"], ":-2\r\n"],
    [["TTL", "k"], ":-1\r\n"],
    [["PTTL", "k"], ":-1\r\n"],
    [["EXPIRETIME", "k"], ":-1\r\n"],
    [["PEXPIRETIME", "k"], ":-1\r\n"],
    [["EXPIRE", "nokey", "100"], ":0\r\n"],
    [["EXPIRE", "k", "100"], ":1\r\n"],
    [["TTL", "k"], ":100\r\n"],
    [["PTTL", "k"], ":100000\r\n"],
    [["PEXPIRETIME", "k"], `:${T0 + 100_000}\r\n`],
    [["EXPIRETIME", "k"], `:${(T0 + 100_000) / 1000}\r\n`],
    [["PEXPIRE", "k", "1500"], ":1\r\n"],
    [["PTTL", "k"], ":1500\r\n"],
    [["TTL", "k"], ":2\r\n"], // rounded as Redis does: (ttl + 500) / 1000
    [["PEXPIRE", "k", "1499"], ":1\r\n"],
    [["TTL", "k"], ":1\r\n"],
    [["EXPIREAT", "k", String(T0 / 1000 + 50)], ":1\r\n"],
    [["TTL", "k"], ":50\r\n"],
    [["PEXPIREAT", "k", String(T0 + 1234)], ":1\r\n"],
    [["PTTL", "k"], ":1234\r\n"],
    [["PEXPIRETIME", "k"], `:${T0 + 1234}\r\n`],
    [["EXPIRETIME", "k"], `:${Math.floor((T0 + 1234 + 500) / 1000)}\r\n`],
    [["PERSIST", "k"], ":1\r\n"],
    [["PERSIST", "k"], ":0\r\n"],
    [["PERSIST", "nokey"], ":0\r\n"],
    [["TTL", "k"], ":-1\r\n"],
  ]);
});

Deno.test("NX, XX, GT and LT", async () => {
  const now = T0;
  await using srv = await startTestServer({ clock: () => now, sweepIntervalMs: 0 });
  seed(srv, "a");
  await session(srv, [
    [["EXPIRE", "a", "100", "GT"], ":0\r\n"], // no TTL counts as infinite
    [["EXPIRE", "a", "100", "XX"], ":0\r\n"],
    [["EXPIRE", "a", "100", "LT"], ":1\r\n"],
    [["EXPIRE", "a", "100", "NX"], ":0\r\n"],
    [["EXPIRE", "a", "100", "xx"], ":1\r\n"],
    [["EXPIRE", "a", "200", "GT"], ":1\r\n"],
    [["EXPIRE", "a", "200", "GT"], ":0\r\n"], // not strictly greater
    [["EXPIRE", "a", "300", "LT"], ":0\r\n"],
    [["EXPIRE", "a", "150", "LT"], ":1\r\n"],
    [["TTL", "a"], ":150\r\n"],
    [["EXPIRE", "a", "400", "XX", "GT"], ":1\r\n"],
    [["TTL", "a"], ":400\r\n"],
    [["PERSIST", "a"], ":1\r\n"],
    [["EXPIRE", "a", "50", "NX"], ":1\r\n"],
    [["TTL", "a"], ":50\r\n"],
    [["EXPIRE", "nokey", "50", "NX"], ":0\r\n"],
  ]);
});

Deno.test("EXPIRE errors use Redis's wording", async () => {
  await using srv = await startTestServer();
  seed(srv, "k");
  await session(srv, [
    [
      ["EXPIRE", "k", "10", "NX", "XX"],
      "-ERR NX and XX, GT or LT options at the same time are not compatible\r\n",
    ],
    [
      ["EXPIRE", "k", "10", "NX", "GT"],
      "-ERR NX and XX, GT or LT options at the same time are not compatible\r\n",
    ],
    [
      ["PEXPIRE", "k", "10", "LT", "NX"],
      "-ERR NX and XX, GT or LT options at the same time are not compatible\r\n",
    ],
    [
      ["EXPIRE", "k", "10", "GT", "LT"],
      "-ERR GT and LT options at the same time are not compatible\r\n",
    ],
    [["EXPIRE", "k", "10", "foo"], "-ERR Unsupported option foo\r\n"],
    [["EXPIRE", "k", "abc", "foo"], "-ERR Unsupported option foo\r\n"], // options are checked first
    [["EXPIRE", "k", "abc"], "-ERR value is not an integer or out of range\r\n"],
    [["EXPIRE", "k", "1.5"], "-ERR value is not an integer or out of range\r\n"],
    [["EXPIRE", "k", "9223372036854775807"], "-ERR invalid expire time in 'expire' command\r\n"],
    [["EXPIRE", "k", "-9223372036854775807"], "-ERR invalid expire time in 'expire' command\r\n"],
    [["PEXPIRE", "k", "9223372036854775807"], "-ERR invalid expire time in 'pexpire' command\r\n"],
    [
      ["EXPIREAT", "k", "9223372036854775807"],
      "-ERR invalid expire time in 'expireat' command\r\n",
    ],
    [["EXPIRE", "k", "9223372036854775808"], "-ERR value is not an integer or out of range\r\n"],
    [["EXPIRE", "k"], "-ERR wrong number of arguments for 'expire' command\r\n"],
    [["TTL"], "-ERR wrong number of arguments for 'ttl' command\r\n"],
    [["PERSIST", "a", "b"], "-ERR wrong number of arguments for 'persist' command\r\n"],
    [["EXISTS", "k"], ":1\r\n"], // nothing above touched the key
    [["TTL", "k"], ":-1\r\n"],
  ]);
});

Deno.test("a time in the past deletes the key and replies 1", async () => {
  const now = T0;
  await using srv = await startTestServer({ clock: () => now, sweepIntervalMs: 0 });
  for (const k of ["a", "b", "c", "d", "e"]) seed(srv, k);
  await session(srv, [
    [["EXPIRE", "a", "0"], ":1\r\n"],
    [["EXISTS", "a"], ":0\r\n"],
    [["PEXPIRE", "b", "-5"], ":1\r\n"],
    [["EXISTS", "b"], ":0\r\n"],
    [["EXPIREAT", "c", "1"], ":1\r\n"],
    [["EXISTS", "c"], ":0\r\n"],
    [["PEXPIREAT", "d", String(T0)], ":1\r\n"], // exactly now is already expired
    [["EXISTS", "d"], ":0\r\n"],
    [["PEXPIREAT", "e", String(T0 + 1)], ":1\r\n"],
    [["EXISTS", "e"], ":1\r\n"],
    [["DBSIZE"], ":1\r\n"],
  ]);
});

Deno.test("lazy expiry: an expired key is gone on access and reclaimed", async () => {
  let now = T0;
  await using srv = await startTestServer({ clock: () => now, sweepIntervalMs: 0 });
  seed(srv, "k");
  await using c = await RawClient.connect(srv.port);
  assert.equal(await c.call("PEXPIRE", "k", "50"), ":1\r\n");
  now += 50;
  assert.equal(await c.call("PTTL", "k"), ":0\r\n"); // alive at exactly its expiry time, as Redis
  now += 1;
  assert.equal(srv.server.db.size, 1); // not reclaimed yet: nobody looked
  assert.equal(await c.call("EXISTS", "k"), ":0\r\n");
  assert.equal(srv.server.db.size, 0);
  assert.equal(await c.call("TTL", "k"), ":-2\r\n");
});

Deno.test("a key with a 50 ms TTL is gone after it (real clock)", async () => {
  await using srv = await startTestServer();
  seed(srv, "k");
  await using c = await RawClient.connect(srv.port);
  assert.equal(await c.call("PEXPIRE", "k", "50"), ":1\r\n");
  await waitFor(async () => (await c.call("EXISTS", "k")) === ":0\r\n", {
    what: "the key to expire",
  });
  assert.equal(await c.call("PTTL", "k"), ":-2\r\n");
});

Deno.test("the sweeper reclaims 10,000 volatile keys nobody reads", async () => {
  let now = T0;
  await using srv = await startTestServer({ clock: () => now, sweepIntervalMs: 10 });
  const db = srv.server.db;
  for (let i = 0; i < 10_000; i++) db.set(`vol:${i}`, utf8("v"), now + 100 + (i % 7));
  for (let i = 0; i < 100; i++) db.set(`keep:${i}`, utf8("v"));
  for (let i = 0; i < 100; i++) db.set(`later:${i}`, utf8("v"), now + 1_000_000);
  assert.equal(db.size, 10_200);
  now += 200; // every vol:* key is now expired; nobody reads them
  await waitFor(() => db.size === 200, { what: "the sweeper to reclaim expired keys" });
  assert.equal(db.volatileSize, 100);
  assert.equal(db.expiredTotal, 10_000);
  await using c = await RawClient.connect(srv.port);
  assert.equal(await c.call("DBSIZE"), ":200\r\n");
  assert.equal(await c.call("EXISTS", "keep:5", "later:5", "vol:5"), ":2\r\n");
});

Deno.test("one sweep does bounded work and keeps a cursor across runs", () => {
  let now = T0;
  using db = new Keyspace({ clock: () => now, sweepIntervalMs: 0 });
  // mostly live volatile keys: a sweep samples one batch and stops
  for (let i = 0; i < 1000; i++) db.set(`live:${i}`, utf8("v"), now + 1_000_000);
  for (let i = 0; i < 10; i++) db.set(`dead:${i}`, utf8("v"), now + 1);
  now += 2;
  let removed = 0;
  let runs = 0;
  while (removed < 10) {
    const r = db.sweep();
    assert.ok(r <= 10, `one run removed ${r}`);
    removed += r;
    assert.ok(++runs <= 1010 / 20 + 1, "the cursor did not advance through the keys");
  }
  assert.equal(db.size, 1000);
  // many expired keys: a run keeps going while batches are mostly expired,
  // but never beyond one pass over the volatile keys
  for (let i = 0; i < 5000; i++) db.set(`x:${i}`, utf8("v"), now + 1);
  now += 2;
  runs = 0;
  while (db.size > 1000) {
    const before = db.volatileSize;
    const r = db.sweep(Infinity);
    assert.ok(r <= before);
    assert.ok(++runs <= 6000 / 20 + 2, "the sweeper made no progress");
  }
  // 1000 live keys first: each run samples at least 200 keys, then goes on while batches are
  // mostly expired
  assert.ok(runs <= 1000 / 200 + 2, `took ${runs} runs`);
});

Deno.test("notify hook fires 'expired' for lazy and active expiry", () => {
  let now = T0;
  using db = new Keyspace({ clock: () => now, sweepIntervalMs: 0 });
  const events: string[] = [];
  db.notify = (_cls, event, key) => events.push(`${event}:${key}`);
  db.set("lazy", utf8("v"), now + 1);
  db.set("active", utf8("v"), now + 1);
  now += 2;
  assert.equal(db.get("lazy"), undefined);
  db.sweep();
  // (creating a key fires "new", too)
  assert.deepEqual(events.filter((e) => e.startsWith("expired:")).sort(), [
    "expired:active",
    "expired:lazy",
  ]);
});

Deno.test("overwriting or persisting a volatile key keeps the sweeper's books right", () => {
  let now = T0;
  using db = new Keyspace({ clock: () => now, sweepIntervalMs: 0 });
  db.set("a", utf8("1"), now + 10);
  db.set("b", utf8("1"), now + 10);
  db.set("c", utf8("1"), now + 10);
  assert.equal(db.volatileSize, 3);
  db.set("a", utf8("2")); // plain SET clears the TTL
  db.persist("b");
  db.setKeepTtl("c", utf8("2"));
  assert.equal(db.volatileSize, 1);
  now += 11;
  db.sweep();
  assert.equal(db.size, 2);
  assert.equal(db.volatileSize, 0);
  assert.ok(db.has("a") && db.has("b") && !db.has("c"));
});

Deno.test({
  name: "option words end at a NUL byte in every family, as Redis's strcasecmp" +
    (HAVE_REDIS ? "" : " (ignored: redis-server is not installed)"),
  ignore: !HAVE_REDIS,
  fn: () =>
    compareWithRedis({
      "NUL-cut options": [
        "SET k v",
        ["EXPIRE", "k", "100", "nx\x00z"],
        ["EXPIRE", "k", "100", "n\x00x"],
        ["EXPIRE", "k", "200", "GT\x00"],
        "TTL k",
        ["SCAN", "0", "count\x00x", "10"],
        ["COPY", "k", "k2", "replace\x00"],
        "GET k2",
      ],
    }),
});
