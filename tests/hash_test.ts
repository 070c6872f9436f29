// Tests of the HASH family: the data structure (server/types/hash.ts) on its
// own, then every command, option and error compared byte for byte with a
// real redis-server in RESP2 and RESP3 (tests/support/redis_compare.ts),
// encoding conversions under small limits, a seeded random sequence sent to
// both servers, and the keyspace events.

import assert from "node:assert/strict";
import { RedisHash } from "../server/types/hash.ts";
import { DEFAULT_ENCODING_LIMITS, type EncodingLimits } from "../server/types/limits.ts";

function limits(over: Partial<EncodingLimits> = {}): EncodingLimits {
  return { ...DEFAULT_ENCODING_LIMITS, ...over };
}

Deno.test("RedisHash: listpack keeps insertion order, replaces in place, deletes in order", () => {
  const h = new RedisHash(limits());
  assert.equal(h.set("a", "1"), true);
  assert.equal(h.set("b", "2"), true);
  assert.equal(h.set("c", "3"), true);
  assert.equal(h.set("a", "9"), false);
  assert.deepEqual([...h.entries()], [["a", "9"], ["b", "2"], ["c", "3"]]);
  assert.equal(h.delete("b"), true);
  assert.equal(h.delete("b"), false);
  assert.deepEqual([...h.entries()], [["a", "9"], ["c", "3"]]);
  assert.equal(h.encoding, "listpack");
  assert.equal(h.get("c"), "3");
  assert.equal(h.get("zz"), undefined);
  assert.equal(h.size, 2);
});

Deno.test("RedisHash: converts one way at hash-max-listpack-entries and -value", () => {
  const lim = limits({ hashMaxListpackEntries: 3, hashMaxListpackValue: 4 });
  const h = new RedisHash(lim);
  for (const f of ["a", "b", "c"]) h.set(f, f);
  assert.equal(h.encoding, "listpack");
  h.set("d", "d");
  assert.equal(h.encoding, "hashtable");
  h.delete("d");
  h.delete("c");
  assert.equal(h.encoding, "hashtable", "no conversion back");
  const v = new RedisHash(lim);
  v.set("f", "1234");
  assert.equal(v.encoding, "listpack");
  v.set("f", "12345");
  assert.equal(v.encoding, "hashtable");
  assert.equal(v.get("f"), "12345");
  const p = new RedisHash(lim);
  p.prepareFor(["ok", "toolong"]);
  assert.equal(p.encoding, "hashtable");
  // a limit changed later (CONFIG SET) applies to existing hashes
  const q = new RedisHash(lim);
  q.set("a", "1");
  lim.hashMaxListpackEntries = 0;
  q.set("b", "2");
  assert.equal(q.encoding, "hashtable");
});

Deno.test("RedisHash: hashtable of 100k fields: O(1) set/get/delete, positions consistent", () => {
  const h = new RedisHash(limits());
  const n = 100_000;
  for (let i = 0; i < n; i++) h.set(`f${i}`, `v${i}`);
  assert.equal(h.encoding, "hashtable");
  assert.equal(h.size, n);
  for (let i = 0; i < n; i += 2) assert.equal(h.delete(`f${i}`), true);
  assert.equal(h.size, n / 2);
  for (let i = 0; i < n; i++) assert.equal(h.get(`f${i}`), i % 2 ? `v${i}` : undefined);
  const seen = new Set<string>();
  for (let i = 0; i < h.size; i++) {
    assert.equal(h.get(h.fieldAt(i)), h.valueAt(i));
    seen.add(h.fieldAt(i));
  }
  assert.equal(seen.size, n / 2);
});

Deno.test("RedisHash: scan visits every entry present throughout, despite deletes and adds", () => {
  const h = new RedisHash(limits({ hashMaxListpackEntries: 0 }));
  for (let i = 0; i < 1000; i++) h.set(`f${i}`, "v");
  const seen = new Set<string>();
  let cursor = 0;
  let steps = 0;
  do {
    cursor = h.scan(cursor, 7, (f) => seen.add(f));
    // churn: delete some fields not yet seen and some seen, add new ones
    h.delete(`f${steps * 3}`);
    h.set(`new${steps}`, "v");
    steps++;
    assert.ok(steps < 1000);
  } while (cursor !== 0);
  for (let i = 0; i < 1000; i++) {
    if (h.has(`f${i}`)) assert.ok(seen.has(`f${i}`), `f${i} missed`);
  }
  // a listpack is visited whole, cursor 0
  const small = new RedisHash(limits());
  small.set("a", "1");
  small.set("b", "2");
  const got: string[] = [];
  assert.equal(small.scan(12345, 1, (f, v) => got.push(f + v)), 0);
  assert.deepEqual(got, ["a1", "b2"]);
});

Deno.test("RedisHash: clone keeps the encoding and is independent", () => {
  const lim = limits({ hashMaxListpackEntries: 2 });
  const h = new RedisHash(lim);
  h.set("a", "1");
  const c1 = h.clone();
  assert.equal(c1.encoding, "listpack");
  h.set("b", "2");
  h.set("c", "3");
  const c2 = h.clone();
  assert.equal(c2.encoding, "hashtable");
  h.delete("a");
  assert.equal(c2.get("a"), "1");
  assert.equal(c1.size, 1);
  assert.deepEqual([...c2.entries()].sort(), [["a", "1"], ["b", "2"], ["c", "3"]]);
});
