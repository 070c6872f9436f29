// Tests of the SORTED SET family: the data structure (server/types/zset*.ts)
// against a plain model, score printing/parsing against C's printf/strtod
// as Redis uses them, and every command compared byte for byte with a real
// redis-server (RESP2 and RESP3), plus a seeded random command sequence.

import assert from "node:assert/strict";
import { mulberry32 } from "./helpers.ts";
import { ScoreTree } from "../server/types/zset_tree.ts";
import {
  formatListpackScore,
  formatScore,
  formatSkiplistScore,
  parseRangeScore,
  parseScore,
} from "../server/types/zset_double.ts";
import { LEX_MINUS, LEX_PLUS, LEX_VALUE, type LexBound, RedisZset } from "../server/types/zset.ts";
import { DEFAULT_ENCODING_LIMITS, type EncodingLimits } from "../server/types/limits.ts";

const enc = new TextEncoder();

// ---------------------------------------------------------------------------
// Data structure

type Pair = [number, string];
const byPair = (a: Pair, b: Pair) =>
  a[0] !== b[0] ? (a[0] < b[0] ? -1 : 1) : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0;

function sortedModel(model: Map<string, number>): Pair[] {
  return [...model].map(([m, s]) => [s, m] as Pair).sort(byPair);
}

function treeContents(t: ScoreTree): Pair[] {
  const out: Pair[] = [];
  if (t.size === 0) return out;
  const c = t.seek(0);
  do out.push([c.score, c.member]); while (c.next());
  return out;
}

Deno.test("ScoreTree: random inserts, deletes and range deletes match a sorted model", () => {
  for (const ascending of [false, true]) {
    const rnd = mulberry32(ascending ? 11 : 12);
    const t = new ScoreTree();
    const model = new Map<string, number>();
    for (let step = 0; step < 60000; step++) {
      const op = rnd();
      const m = "m" + Math.floor(rnd() * 3000);
      if (op < 0.55) {
        if (!model.has(m)) {
          const s = ascending ? step : Math.floor(rnd() * 50);
          model.set(m, s);
          t.insert(s, m);
        }
      } else if (op < 0.98) {
        const s = model.get(m);
        if (s !== undefined) {
          t.delete(s, m);
          model.delete(m);
        }
      } else if (model.size > 0) {
        const sorted = sortedModel(model);
        const a = Math.floor(rnd() * sorted.length);
        const b = Math.min(sorted.length, a + Math.floor(rnd() * 700));
        const gone: string[] = [];
        t.deleteRange(a, b, (x) => gone.push(x));
        assert.deepEqual(gone, sorted.slice(a, b).map((p) => p[1]));
        for (const g of gone) model.delete(g);
      }
      if (step % 3000 === 0) {
        t.verify();
        const sorted = sortedModel(model);
        assert.deepEqual(treeContents(t), sorted);
        for (let i = 0; i < sorted.length; i += 17) {
          assert.equal(t.rank(sorted[i][0], sorted[i][1]), i);
          assert.equal(t.seek(i).member, sorted[i][1]);
        }
        assert.equal(t.rank(-1, "absent"), -1);
        for (let v = -1; v <= 51; v += 3) {
          assert.equal(t.countScoreBelow(v, false), sorted.filter((p) => p[0] < v).length);
          assert.equal(t.countScoreBelow(v, true), sorted.filter((p) => p[0] <= v).length);
        }
      }
    }
  }
});

Deno.test("ScoreTree: backwards walk, lex bounds among equal scores, 100k elements", () => {
  const t = new ScoreTree();
  const n = 100_000;
  const names: string[] = [];
  for (let i = 0; i < n; i++) names.push(`k${String(i).padStart(6, "0")}`);
  const rnd = mulberry32(3);
  const order = names.map((_, i) => i).sort(() => rnd() - 0.5);
  for (const i of order) t.insert(0, names[i]);
  t.verify();
  assert.equal(t.size, n);
  const c = t.seek(n - 1);
  let seen = 1;
  let last = c.member;
  while (c.prev()) {
    assert.ok(c.member < last);
    last = c.member;
    seen++;
  }
  assert.equal(seen, n);
  assert.equal(t.countMemberBelow("k050000", false), 50000);
  assert.equal(t.countMemberBelow("k050000", true), 50001);
  assert.equal(t.countMemberBelow("k0500005", false), 50001);
  // every rank and seek agrees
  for (let i = 0; i < n; i += 997) {
    assert.equal(t.rank(0, names[i]), i);
    assert.equal(t.seek(i).member, names[i]);
  }
  t.deleteRange(10, n - 10);
  t.verify();
  assert.deepEqual(treeContents(t).map((p) => p[1]), [
    ...names.slice(0, 10),
    ...names.slice(n - 10),
  ]);
});

function limits(entries: number, value: number): EncodingLimits {
  return {
    ...DEFAULT_ENCODING_LIMITS,
    zsetMaxListpackEntries: entries,
    zsetMaxListpackValue: value,
  };
}

function zsetContents(z: RedisZset): Pair[] {
  const out: Pair[] = [];
  z.forEachInRanks(0, z.size, false, (m, s) => {
    out.push([s, m]);
  });
  return out;
}

Deno.test("RedisZset: both encodings behave alike; conversion is one way", () => {
  const rnd = mulberry32(5);
  const small = limits(16, 8);
  const z = new RedisZset();
  const model = new Map<string, number>();
  let converted = false;
  for (let step = 0; step < 4000; step++) {
    const m = "m" + Math.floor(rnd() * 40) + (rnd() < 0.01 ? "-long-member" : "");
    const s = Math.floor(rnd() * 10) - 5;
    const op = rnd();
    const cur = z.score(m);
    assert.equal(cur, model.get(m));
    if (op < 0.5) {
      if (cur === undefined) z.add(m, s, small);
      else z.update(m, cur, s);
      model.set(m, s);
    } else if (op < 0.9) {
      assert.equal(z.delete(m), model.delete(m));
    } else {
      const sorted = sortedModel(model);
      const lo = Math.floor(rnd() * (sorted.length + 1));
      const hi = Math.min(sorted.length, lo + Math.floor(rnd() * 4));
      assert.equal(z.deleteRanks(lo, hi), Math.max(0, hi - lo));
      for (const p of sorted.slice(lo, hi)) model.delete(p[1]);
    }
    if (z.encoding === "skiplist") converted = true;
    else assert.equal(converted, false, "a skiplist never goes back to a listpack");
    const sorted = sortedModel(model);
    assert.deepEqual(zsetContents(z), sorted);
    assert.equal(z.size, model.size);
    if (sorted.length > 0) {
      const i = Math.floor(rnd() * sorted.length);
      assert.equal(z.rank(sorted[i][1]), i);
      assert.equal(z.memberAt(i), sorted[i][1]);
      assert.equal(z.scoreAt(i), sorted[i][0]);
      const [lo, hi] = z.scoreRange({ min: -2, minExclusive: true, max: 2, maxExclusive: false });
      const inRange = sorted.filter((p) => p[0] > -2 && p[0] <= 2);
      assert.equal(hi - lo, inRange.length);
      if (inRange.length > 0) assert.equal(z.memberAt(lo), inRange[0][1]);
    }
  }
  assert.ok(converted);
});

Deno.test("RedisZset: encoding thresholds, -0 in a listpack, clone, fromEntries", () => {
  const lim = limits(3, 5);
  const z = new RedisZset();
  z.add("a", -0, lim);
  assert.equal(Object.is(z.score("a"), 0), true, "a listpack keeps -0 as the integer 0");
  z.add("b", 1, lim);
  z.add("c", 2, lim);
  assert.equal(z.encoding, "listpack");
  z.add("d", 3, lim);
  assert.equal(z.encoding, "skiplist");
  const big = new RedisZset();
  big.add("toolong", -0, lim);
  assert.equal(big.encoding, "skiplist");
  assert.equal(Object.is(big.score("toolong"), -0), true, "a skiplist keeps -0");
  const copy = z.clone();
  z.delete("a");
  assert.equal(copy.size, 4);
  assert.equal(copy.encoding, "skiplist");
  assert.deepEqual(zsetContents(copy).map((p) => p[1]), ["a", "b", "c", "d"]);
  const f = RedisZset.fromEntries(["x", "y", "w"], [2, 1, 2], lim);
  assert.equal(f.encoding, "listpack");
  assert.deepEqual(zsetContents(f), [[1, "y"], [2, "w"], [2, "x"]]);
  assert.equal(RedisZset.fromEntries(["x", "y", "w", "v"], [1, 1, 1, 1], lim).encoding, "skiplist");
  assert.equal(RedisZset.fromEntries(["xxxxxx"], [1], lim).encoding, "skiplist");
});

function bound(text: string): LexBound {
  if (text === "-") return { kind: LEX_MINUS, value: "", exclusive: true };
  if (text === "+") return { kind: LEX_PLUS, value: "", exclusive: true };
  return { kind: LEX_VALUE, value: text.slice(1), exclusive: text[0] === "(" };
}

Deno.test("RedisZset: lex ranges agree in both encodings when scores are equal", () => {
  const members = ["a", "aa", "b", "bb", "c", "d", "e"];
  const lp = new RedisZset();
  const sl = new RedisZset();
  for (const m of members) {
    lp.add(m, 0, DEFAULT_ENCODING_LIMITS);
    sl.add(m, 0, limits(0, 64));
  }
  assert.equal(sl.encoding, "skiplist");
  const bounds = ["-", "+", "[a", "(a", "[b", "(b", "[bz", "(c", "[e", "(e", "[0", "[z"];
  for (const min of bounds) {
    for (const max of bounds) {
      const range = { min: bound(min), max: bound(max) };
      for (const reverse of [false, true]) {
        assert.deepEqual(sl.lexRange(range, reverse), lp.lexRange(range, reverse), `${min} ${max}`);
      }
    }
  }
  assert.deepEqual(lp.lexRange({ min: bound("[b"), max: bound("(d") }, false), [2, 5]);
});

Deno.test("RedisZset: ZSCAN cursor of a skiplist returns every member exactly once when unchanged", () => {
  const z = new RedisZset();
  const lim = limits(0, 64);
  for (let i = 0; i < 1000; i++) z.add(`m${i}`, i % 37 === 0 ? 5 : i / 7, lim);
  const seen = new Map<string, number>();
  let cursor = 0n;
  let calls = 0;
  do {
    cursor = z.scan(cursor, 10, (m) => seen.set(m, (seen.get(m) ?? 0) + 1));
    calls++;
  } while (cursor !== 0n && calls < 10000);
  assert.equal(seen.size, 1000);
  assert.ok([...seen.values()].every((n) => n === 1));
  assert.ok(calls > 50);
});

// ---------------------------------------------------------------------------
// Score printing and parsing

Deno.test("formatScore is C's %.17g (ties to even) and ZSCAN's listpack/skiplist texts", () => {
  const cases: [number, string][] = [
    [0.1, "0.10000000000000001"],
    [1e20, "1e+20"],
    [3, "3"],
    [-0, "-0"],
    [1.5, "1.5"],
    [1e-5, "1.0000000000000001e-05"],
    [123456789012345678, "1.2345678901234568e+17"],
    [1e16, "10000000000000000"],
    [1e17, "1e+17"],
    [0.0001, "0.0001"],
    [Infinity, "inf"],
    [-Infinity, "-inf"],
    [1e-310, "9.9999999999999694e-311"],
    // exact ties at the 17th digit round to even, as glibc does
    [2251799813685246.25, "2251799813685246.2"],
    [2251799813685247.75, "2251799813685247.8"],
    [-2251799813685246.25, "-2251799813685246.2"],
  ];
  for (const [x, s] of cases) assert.equal(formatScore(x), s, String(x));
  assert.equal(formatListpackScore(1e18), "1000000000000000000");
  assert.equal(formatListpackScore(123456789012345678), "123456789012345680");
  assert.equal(formatListpackScore(1e19), "1e+19");
  assert.equal(formatListpackScore(0.5), "0.5");
  assert.equal(formatSkiplistScore(-0), "0");
  assert.equal(formatSkiplistScore(1e18), "1e+18");
});

Deno.test("parseScore follows getDoubleFromObject; parseRangeScore follows zslParseRange", () => {
  const ok: [string, number][] = [
    ["1", 1],
    ["-1.5", -1.5],
    ["+inf", Infinity],
    ["-INFINITY", -Infinity],
    ["0x10", 16],
    ["0x1.8p1", 3],
    ["5.", 5],
    [".5e1", 5],
    ["1e-310", 1e-310],
    ["-0", -0],
  ];
  for (const [s, v] of ok) assert.equal(Object.is(parseScore(enc.encode(s)), v), true, s);
  for (const s of ["", " 1", "1 ", "nan", "1e400", "1e-400", "abc", "1e", "0x", "1\x002", "--1"]) {
    assert.equal(parseScore(enc.encode(s)), undefined, JSON.stringify(s));
  }
  assert.equal(parseRangeScore(enc.encode(" 1"), 0), 1);
  assert.equal(parseRangeScore(enc.encode(""), 0), 0);
  assert.equal(parseRangeScore(enc.encode("(2"), 1), 2);
  assert.equal(parseRangeScore(enc.encode("3\x00junk"), 0), 3);
  assert.equal(parseRangeScore(enc.encode("1e999"), 0), Infinity);
  assert.equal(parseRangeScore(enc.encode("1 "), 0), undefined);
  assert.equal(parseRangeScore(enc.encode("nan"), 0), undefined);
});
