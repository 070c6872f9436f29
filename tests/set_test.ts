// Tests of the SET family: the data structure (server/types/set.ts) on its
// own, then every command, option and error compared byte for byte with a
// real redis-server in RESP2 and RESP3 (tests/support/redis_compare.ts),
// encoding conversions under small limits, a seeded random sequence sent to
// both servers, and the keyspace events.

import assert from "node:assert/strict";
import { integerMember, RedisSet } from "../server/types/set.ts";
import { DEFAULT_ENCODING_LIMITS, type EncodingLimits } from "../server/types/limits.ts";

function limits(over: Partial<EncodingLimits> = {}): EncodingLimits {
  return { ...DEFAULT_ENCODING_LIMITS, ...over };
}

function setOf(members: string[], lim: EncodingLimits = limits()): RedisSet {
  const s = new RedisSet(lim);
  for (const m of members) s.add(m);
  return s;
}

Deno.test("integerMember: Redis's string2ll rules, int64 exact", () => {
  assert.equal(integerMember("0"), 0);
  assert.equal(integerMember("-7"), -7);
  assert.equal(integerMember("123456789012345"), 123456789012345);
  assert.equal(integerMember("9007199254740993"), 9007199254740993n);
  assert.equal(integerMember("9223372036854775807"), 9223372036854775807n);
  assert.equal(integerMember("-9223372036854775808"), -9223372036854775808n);
  assert.equal(integerMember("9007199254740991"), 9007199254740991);
  for (const bad of ["", "-", "-0", "01", "+1", " 1", "1 ", "1.0", "9223372036854775808", "abc"]) {
    assert.equal(integerMember(bad), null, bad);
  }
});

Deno.test("RedisSet: intset sorted (int64 exact), converts one way", () => {
  const s = setOf(["5", "-3", "9223372036854775807", "9007199254740993", "9007199254740992", "0"]);
  assert.equal(s.encoding, "intset");
  assert.deepEqual(s.toArray(), [
    "-3",
    "0",
    "5",
    "9007199254740992",
    "9007199254740993",
    "9223372036854775807",
  ]);
  assert.equal(s.add("5"), false);
  assert.equal(s.has("9007199254740993"), true);
  assert.equal(s.has("9007199254740994"), false);
  assert.equal(s.has("05"), false);
  assert.equal(s.delete("05"), false);
  assert.equal(s.delete("5"), true);
  assert.equal(s.size, 5);
  s.add("x");
  assert.equal(s.encoding, "hashtable");
  s.delete("x");
  assert.equal(s.encoding, "hashtable", "no conversion back");
  assert.equal(s.has("9007199254740993"), true);
  const lim = limits({ setMaxIntsetEntries: 3 });
  const t = setOf(["1", "2", "3"], lim);
  assert.equal(t.encoding, "intset");
  t.add("4");
  assert.equal(t.encoding, "hashtable");
});

Deno.test("RedisSet: 1M integers, O(1) membership and random pops", () => {
  const s = new RedisSet(limits());
  const n = 1_000_000;
  for (let i = 0; i < n; i++) s.add(String(i));
  assert.equal(s.encoding, "hashtable");
  assert.equal(s.size, n);
  for (let i = 0; i < n; i += 997) assert.ok(s.has(String(i)));
  const popped = new Set<string>();
  for (let i = 0; i < 100_000; i++) popped.add(s.pop());
  assert.equal(popped.size, 100_000);
  assert.equal(s.size, n - 100_000);
  for (const m of popped) assert.ok(!s.has(m));
});

Deno.test("RedisSet: popMany and randomDistinct give distinct members of the set", () => {
  for (const [size, count] of [[100, 10], [100, 90], [600, 550], [10, 9]]) {
    const s = new RedisSet(limits());
    for (let i = 0; i < size; i++) s.add(String(i));
    const before = new Set(s.toArray());
    const r = s.randomDistinct(count);
    assert.equal(new Set(r).size, count);
    for (const m of r) assert.ok(before.has(m));
    const p = s.popMany(count);
    assert.equal(new Set(p).size, count);
    assert.equal(s.size, size - count);
    for (const m of p) assert.ok(before.has(m) && !s.has(m));
  }
  // Redis's SPOP "keep the survivors" strategy re-creates the set: 600
  // integers (a hashtable) with 50 left become an intset again
  const big = new RedisSet(limits());
  for (let i = 0; i < 600; i++) big.add(String(i));
  assert.equal(big.encoding, "hashtable");
  big.popMany(550);
  assert.equal(big.encoding, "intset");
});

Deno.test("RedisSet: scan visits every member present throughout", () => {
  const s = new RedisSet(limits({ setMaxIntsetEntries: 0 }));
  for (let i = 0; i < 1000; i++) s.add(`m${i}`);
  const seen = new Set<string>();
  let cursor = 0;
  let steps = 0;
  do {
    cursor = s.scan(cursor, 5, (m) => seen.add(m));
    s.delete(`m${(steps * 7) % 1000}`);
    s.add(`new${steps}`);
    steps++;
    assert.ok(steps < 1000);
  } while (cursor !== 0);
  for (let i = 0; i < 1000; i++) if (s.has(`m${i}`)) assert.ok(seen.has(`m${i}`), `m${i}`);
});

Deno.test("RedisSet: intersect, union, difference (and Redis's encodings of results)", () => {
  const a = setOf(["1", "2", "3", "4"]);
  const b = setOf(["3", "4", "5", "x"]);
  const c = setOf(["4", "3", "9"]);
  assert.deepEqual(RedisSet.intersect([a, b, c]).sort(), ["3", "4"]);
  assert.deepEqual(RedisSet.intersect([a, c]), ["3", "4"], "smallest set's order");
  assert.equal(RedisSet.intersect([a, b, c], 1).length, 1);
  const u = RedisSet.union([a, undefined, c], limits());
  assert.equal(u.encoding, "intset");
  assert.deepEqual(u.toArray(), ["1", "2", "3", "4", "9"]);
  assert.equal(RedisSet.union([a, b], limits()).encoding, "hashtable");
  assert.deepEqual(RedisSet.difference([a, b, undefined], limits()).toArray(), ["1", "2"]);
  assert.equal(RedisSet.difference([undefined, a], limits()).size, 0);
  assert.equal(RedisSet.difference([a, a], limits()).size, 0);
  // the "add all then remove" algorithm (first set much larger than the
  // rest) leaves a hashtable when the first set was one
  const big = setOf(["x", ...Array.from({ length: 20 }, (_, i) => String(i))]);
  const d = RedisSet.difference([big, setOf(["x"]), setOf(["y"])], limits());
  assert.deepEqual(d.toArray().sort(), Array.from({ length: 20 }, (_, i) => String(i)).sort());
  assert.equal(d.encoding, "hashtable");
  const d1 = RedisSet.difference([setOf(["x", "1", "2"]), setOf(["x", "y", "z"])], limits());
  assert.equal(d1.encoding, "intset");
});

Deno.test("RedisSet: clone keeps the encoding and is independent", () => {
  const s = setOf(["1", "2"]);
  const c = s.clone();
  assert.equal(c.encoding, "intset");
  s.add("a");
  const h = s.clone();
  assert.equal(h.encoding, "hashtable");
  s.delete("1");
  assert.equal(c.size, 2);
  assert.ok(h.has("1") && h.has("a"));
});
