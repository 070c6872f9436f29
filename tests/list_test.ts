// Tests of the LIST family: the data structure (server/types/list.ts) on
// its own against a plain array model (small node limits so that nodes
// split, merge and empty), then every command, option and error compared
// byte for byte with a real redis-server in RESP2 and RESP3
// (tests/support/redis_compare.ts), a seeded random sequence sent to both
// servers, the keyspace events, and the memory of a 1M-element list.
// The blocking commands' waiting is tested in blocking_test.ts.

import assert from "node:assert/strict";
import {
  type Arg,
  fromLatin1,
  HAVE_REDIS,
  mulberry32,
  RawClient,
  startRedis,
  startTestServer,
} from "./helpers.ts";
import { eventsOf } from "./support/keyspace_events.ts";
import { assertSameReply, compareWithRedis, type ScriptStep } from "./support/redis_compare.ts";
import { HEAD, RedisList, SMALL_MAX, TAIL } from "../server/types/list.ts";

/** An element as binary text (one char per byte; TextDecoder's "latin1" is windows-1252). */
function text(b: Uint8Array | string): string {
  if (typeof b === "string") return b;
  let s = "";
  for (let i = 0; i < b.length; i++) s += String.fromCharCode(b[i]);
  return s;
}
function bytes(s: string): Uint8Array {
  return Uint8Array.from(s, (c) => c.charCodeAt(0));
}

// ---------------------------------------------------------------------------
// The data structure

Deno.test("RedisList: push and pop at both ends, index, range", () => {
  const l = new RedisList({ listMaxListpackSize: -2 });
  for (const s of ["c", "b", "a"]) l.push(HEAD, bytes(s));
  for (const s of ["d", "e"]) l.push(TAIL, bytes(s));
  assert.equal(l.size, 5);
  assert.equal(l.encoding, "quicklist");
  assert.deepEqual(l.toArray().map(text), ["a", "b", "c", "d", "e"]);
  assert.equal(text(l.at(0)!), "a");
  assert.equal(text(l.at(-1)!), "e");
  assert.equal(l.at(5), undefined);
  assert.equal(l.at(-6), undefined);
  assert.deepEqual(l.range(1, 3).map(text), ["b", "c", "d"]);
  assert.equal(text(l.pop(HEAD)!), "a");
  assert.equal(text(l.pop(TAIL)!), "e");
  assert.equal(l.size, 3);
  for (let i = 0; i < 3; i++) l.pop(TAIL);
  assert.equal(l.pop(HEAD), undefined);
  assert.equal(l.size, 0);
});

Deno.test("RedisList: a small list is an array of strings until it grows past SMALL_MAX, one way", () => {
  const l = new RedisList({ listMaxListpackSize: -2 });
  for (let i = 0; i < SMALL_MAX; i++) l.push(i & 1 ? HEAD : TAIL, bytes(`e${i}`));
  assert.equal(l.small, true);
  assert.equal(l.nodeCount, 0);
  assert.equal(typeof l.at(0), "string");
  const before = l.toArray().map(text);
  l.push(TAIL, bytes("one more"));
  assert.equal(l.small, false);
  assert.ok(l.nodeCount >= 1);
  assert.deepEqual(l.toArray().map(text), [...before, "one more"]);
  assert.ok(l.at(0) instanceof Uint8Array);
  while (l.size > 1) l.pop(TAIL);
  assert.equal(l.small, false, "no conversion back");
  // LINSERT into a full small list converts it first
  const m = new RedisList({ listMaxListpackSize: -2 });
  for (let i = 0; i < SMALL_MAX; i++) m.push(TAIL, bytes(`${i}`));
  assert.equal(m.insert(bytes("5"), bytes("x"), true), true);
  assert.equal(m.small, false);
  assert.equal(text(m.at(6)!), "x");
  assert.equal(m.size, SMALL_MAX + 1);
});

Deno.test("RedisList: popped elements are copies that later changes do not touch", () => {
  const l = new RedisList({ listMaxListpackSize: -2 });
  l.push(TAIL, bytes("abc"));
  const x = l.pop(TAIL)!;
  l.push(TAIL, bytes("xyz"));
  assert.equal(text(x), "abc");
  const arg = bytes("input");
  l.push(TAIL, arg);
  arg[0] = 0x41;
  assert.equal(text(l.at(-1)!), "input");
});

Deno.test("RedisList: elements of every length class survive (varint lengths)", () => {
  const l = new RedisList({ listMaxListpackSize: -2 });
  const sizes = [0, 1, 127, 128, 16383, 16384, 70000, 2097151, 2097152];
  for (const n of sizes) {
    const b = new Uint8Array(n);
    for (let i = 0; i < n; i++) b[i] = (i * 31 + n) & 0xff;
    l.push(TAIL, b);
    l.push(HEAD, b);
  }
  const all = l.toArray();
  assert.equal(all.length, sizes.length * 2);
  for (let k = 0; k < sizes.length; k++) {
    const n = sizes[k];
    for (const b of [all[sizes.length + k], all[sizes.length - 1 - k]]) {
      assert.equal(b.length, n);
      for (let i = 0; i < n; i += 997) assert.equal(b[i], (i * 31 + n) & 0xff);
    }
  }
});

Deno.test("RedisList: a random sequence matches an array model, for every node limit", () => {
  for (const fill of [-2, -1, -5, 1, 2, 3, 7, 128]) {
    const rnd = mulberry32(1000 + fill);
    const l = new RedisList({ listMaxListpackSize: fill });
    let m: string[] = [];
    const element = () => {
      const r = rnd();
      const n = r < 0.03
        ? Math.floor(rnd() * 9000)
        : r < 0.2
        ? Math.floor(rnd() * 200)
        : Math.floor(rnd() * 3);
      return String.fromCharCode(97 + Math.floor(rnd() * 3)).repeat(n);
    };
    for (let step = 0; step < 6000; step++) {
      const e = element();
      const b = bytes(e);
      const op = Math.floor(rnd() * 14);
      const where = `fill ${fill} step ${step} op ${op}`;
      switch (op) {
        case 0:
        case 11:
          l.push(HEAD, b);
          m.unshift(e);
          break;
        case 1:
        case 12:
          l.push(TAIL, b);
          m.push(e);
          break;
        case 2: {
          const x = l.pop(HEAD);
          assert.equal(x && text(x), m.shift(), where);
          break;
        }
        case 3: {
          const x = l.pop(TAIL);
          assert.equal(x && text(x), m.pop(), where);
          break;
        }
        case 4: {
          const i = Math.floor(rnd() * (m.length * 2 + 2)) - m.length - 1;
          const x = l.at(i);
          assert.equal(x && text(x), i < 0 ? m[m.length + i] : m[i], where);
          break;
        }
        case 5: {
          const i = Math.floor(rnd() * (m.length * 2 + 2)) - m.length - 1;
          const j = i < 0 ? m.length + i : i;
          const ok = l.set(i, b);
          assert.equal(ok, j >= 0 && j < m.length, where);
          if (ok) m[j] = e;
          break;
        }
        case 6: {
          const pivot = element();
          const after = rnd() < 0.5;
          const j = m.indexOf(pivot);
          assert.equal(l.insert(bytes(pivot), b, after), j !== -1, where);
          if (j !== -1) m.splice(after ? j + 1 : j, 0, e);
          break;
        }
        case 7: {
          const count = Math.floor(rnd() * 5) - 2;
          const limit = count === 0 ? Infinity : Math.abs(count);
          let removed = 0;
          const order = count < 0 ? [...m.keys()].reverse() : [...m.keys()];
          const drop = new Set<number>();
          for (const i of order) {
            if (removed < limit && m[i] === e) {
              drop.add(i);
              removed++;
            }
          }
          m = m.filter((_, i) => !drop.has(i));
          assert.equal(l.remove(count, b), removed, where);
          break;
        }
        case 8: {
          const a = Math.floor(rnd() * 4);
          const z = Math.floor(rnd() * 4);
          l.removeEnds(a, z);
          m.splice(0, a);
          m.splice(Math.max(0, m.length - z), z);
          break;
        }
        case 9: {
          const s = Math.floor(rnd() * (m.length + 1));
          const c = Math.floor(rnd() * (m.length - s + 1));
          assert.deepEqual(l.range(s, c).map(text), m.slice(s, s + c), where);
          break;
        }
        case 10: {
          const rank = (Math.floor(rnd() * 3) + 1) * (rnd() < 0.5 ? -1 : 1);
          const count = Math.floor(rnd() * 3);
          const maxlen = Math.floor(rnd() * 6);
          const expected: number[] = [];
          let matches = 0;
          const limit = maxlen === 0 ? m.length : Math.min(maxlen, m.length);
          for (let k = 0; k < limit; k++) {
            const idx = rank > 0 ? k : m.length - 1 - k;
            if (m[idx] === e && ++matches >= Math.abs(rank)) {
              expected.push(idx);
              if (count !== 0 && expected.length >= count) break;
            }
          }
          assert.deepEqual(l.positions(b, rank, count, maxlen), expected, where);
          break;
        }
        case 13:
          if (rnd() < 0.1) {
            const copy = l.clone();
            assert.deepEqual(copy.toArray().map(text), m, where);
            copy.push(TAIL, bytes("only in the copy"));
            assert.equal(l.size, m.length, where);
          }
          break;
      }
      assert.equal(l.size, m.length, where);
      if (step % 50 === 0) assert.deepEqual(l.toArray().map(text), m, where);
    }
    assert.deepEqual(l.toArray().map(text), m, `fill ${fill}`);
  }
});

Deno.test("RedisList: 200k elements: O(1) ends, nodes stay within the size limit", () => {
  const l = new RedisList({ listMaxListpackSize: -2 });
  const n = 200_000;
  for (let i = 0; i < n; i++) l.push(i & 1 ? TAIL : HEAD, bytes(`element:${i}`));
  assert.equal(l.size, n);
  // 8 KiB nodes hold about 600 such elements: the buffers are about the bytes
  const payload = n * ("element:100000".length + 2);
  assert.ok(l.bufferBytes < payload * 1.3, `${l.bufferBytes} bytes of nodes for ${payload}`);
  assert.ok(l.nodeCount > n / 1000 && l.nodeCount < n / 300, `${l.nodeCount} nodes`);
  assert.equal(text(l.at(0)!), `element:${n - 2}`);
  assert.equal(text(l.at(-1)!), `element:${n - 1}`);
  assert.equal(text(l.at(n / 2)!), "element:1");
  assert.equal(text(l.at(n / 2 - 1)!), "element:0");
  for (let i = 0; i < n / 2; i++) {
    l.pop(HEAD);
    l.pop(TAIL);
  }
  assert.equal(l.size, 0);
  assert.equal(l.nodeCount, 0);
});

Deno.test("RedisList: LSET with longer and shorter values and LINSERT split full nodes", () => {
  const l = new RedisList({ listMaxListpackSize: -1 });
  const m: string[] = [];
  for (let i = 0; i < 2000; i++) {
    l.push(TAIL, bytes(`v${i}`));
    m.push(`v${i}`);
  }
  const nodes = l.nodeCount;
  for (let i = 0; i < 2000; i += 3) {
    const v = "x".repeat(i % 50);
    assert.ok(l.set(i, bytes(v)));
    m[i] = v;
  }
  for (let i = 0; i < 200; i++) {
    const pivot = `v${i * 7 + 1}`;
    const j = m.indexOf(pivot);
    assert.equal(l.insert(bytes(pivot), bytes("inserted".repeat(10)), true), j !== -1);
    if (j !== -1) m.splice(j + 1, 0, "inserted".repeat(10));
  }
  assert.deepEqual(l.toArray().map(text), m);
  assert.ok(l.nodeCount > nodes, "full nodes were split");
  assert.ok(l.bufferBytes < l.nodeCount * 4096 * 1.01, "no node much beyond 4 KiB");
});

// ---------------------------------------------------------------------------
// Every command against redis-server

const big = "x".repeat(300);
const bin = fromLatin1("\x00\xff\r\n\x80");

const CASES: Record<string, readonly ScriptStep[]> = {
  "LPUSH RPUSH LPUSHX RPUSHX LLEN": [
    "LPUSH l a b c",
    "RPUSH l d e",
    "LRANGE l 0 -1",
    "LLEN l",
    "LLEN nokey",
    "LPUSHX nokey a",
    "RPUSHX nokey a",
    "EXISTS nokey",
    "LPUSHX l x y",
    "RPUSHX l z",
    "LRANGE l 0 -1",
    "TYPE l",
    "OBJECT ENCODING l",
    ["RPUSH", "b", bin, "", big],
    ["LRANGE", "b", "0", "-1"],
    "SET s v",
    "LPUSH s a",
    "RPUSH s a",
    "LPUSHX s a",
    "RPUSHX s a",
    "LLEN s",
    "LPUSH l",
    "LPUSHX l",
    "LLEN",
    "LLEN a b",
  ],
  "LPOP RPOP with and without count": [
    "RPUSH l a b c d e",
    "LPOP l",
    "RPOP l",
    "LPOP l 2",
    "RPOP l 0",
    "LPOP l 0",
    "RPOP l 5",
    "EXISTS l",
    "LPOP l",
    "LPOP l 1",
    "RPOP l 0",
    "RPUSH l a b c",
    "RPOP l 2",
    "LPOP l 9223372036854775807",
    "RPUSH l a",
    "LPOP l -1",
    "LPOP l abc",
    "LPOP l 1.5",
    "LPOP l 9223372036854775808",
    "LPOP l 1 2",
    "RPOP l 1 2",
    "LPOP nokey -1",
    "SET s v",
    "LPOP s",
    "RPOP s 1",
    "LPOP s -1",
    "LPOP",
  ],
  "LINDEX LSET": [
    "RPUSH l a b c",
    "LINDEX l 0",
    "LINDEX l -1",
    "LINDEX l 2",
    "LINDEX l 3",
    "LINDEX l -4",
    "LINDEX l 9999999999999",
    "LINDEX l -9223372036854775808",
    "LINDEX l abc",
    "LINDEX nokey abc",
    "LINDEX nokey 0",
    "LSET l 0 A",
    "LSET l -1 C",
    ["LSET", "l", "1", big],
    "LRANGE l 0 -1",
    "LSET l 1 b",
    "LRANGE l 0 -1",
    "LSET l 3 x",
    "LSET l -4 x",
    "LSET l abc x",
    "LSET nokey 0 x",
    "LSET nokey abc x",
    "SET s v",
    "LINDEX s 0",
    "LINDEX s abc",
    "LSET s 0 x",
    "LSET s abc x",
    "LINDEX l",
    "LSET l 0",
  ],
  "LINSERT": [
    "RPUSH l a b c b",
    "LINSERT l BEFORE b x",
    "LINSERT l after b y",
    "LRANGE l 0 -1",
    "LINSERT l BEFORE zz x",
    "LINSERT l AFTER c z",
    "LINSERT l before a first",
    "LRANGE l 0 -1",
    "LINSERT l middle a x",
    ["LINSERT", "l", "after\x00junk", "a", "nul"],
    "LRANGE l 0 2",
    "LINSERT nokey BEFORE a x",
    "LINSERT nokey middle a x",
    "EXISTS nokey",
    "SET s v",
    "LINSERT s BEFORE a x",
    "LINSERT s middle a x",
    "LINSERT l BEFORE a",
  ],
  "LRANGE": [
    "RPUSH l a b c d e",
    "LRANGE l 0 -1",
    "LRANGE l 1 3",
    "LRANGE l -2 -1",
    "LRANGE l -100 100",
    "LRANGE l 0 9999999999",
    "LRANGE l 3 1",
    "LRANGE l 5 10",
    "LRANGE l -1 -2",
    "LRANGE l -9223372036854775808 9223372036854775807",
    "LRANGE l 0 0",
    "LRANGE l a 1",
    "LRANGE l 0 b",
    "LRANGE nokey 0 -1",
    "LRANGE nokey a b",
    "SET s v",
    "LRANGE s 0 -1",
    "LRANGE s a 0",
    "LRANGE l 0",
  ],
  "LTRIM": [
    "RPUSH l a b c d e f",
    "LTRIM l 1 -2",
    "LRANGE l 0 -1",
    "LTRIM l 0 9999999999",
    "LRANGE l 0 -1",
    "LTRIM l -2 -1",
    "LRANGE l 0 -1",
    "LTRIM l 1 0",
    "EXISTS l",
    "RPUSH l a b c",
    "LTRIM l 5 10",
    "EXISTS l",
    "LTRIM nokey 0 1",
    "LTRIM nokey a 1",
    "RPUSH l a",
    "LTRIM l a 1",
    "LTRIM l 0 b",
    "SET s v",
    "LTRIM s 0 1",
    "LTRIM l 0",
  ],
  "LREM": [
    "RPUSH l a b a c a b a",
    "LREM l 2 a",
    "LRANGE l 0 -1",
    "LREM l -1 a",
    "LRANGE l 0 -1",
    "LREM l 0 b",
    "LRANGE l 0 -1",
    "LREM l 0 zz",
    "LREM l 9223372036854775807 a",
    "LRANGE l 0 -1",
    "LREM l -9223372036854775808 c",
    "EXISTS l",
    "LREM nokey 1 a",
    "LREM nokey x a",
    "RPUSH l a",
    "LREM l x a",
    ["RPUSH", "bl", bin, "x", bin],
    ["LREM", "bl", "0", bin],
    "LRANGE bl 0 -1",
    "SET s v",
    "LREM s 1 a",
    "LREM l 1",
  ],
  "LPOS": [
    "RPUSH l a b c a b c a",
    "LPOS l a",
    "LPOS l c",
    "LPOS l zz",
    "LPOS l a RANK 2",
    "LPOS l a RANK -1",
    "LPOS l a RANK -3",
    "LPOS l a RANK 4",
    "LPOS l a COUNT 0",
    "LPOS l a COUNT 2",
    "LPOS l a COUNT 2 RANK -1",
    "LPOS l a COUNT 0 RANK 2",
    "LPOS l a MAXLEN 1",
    "LPOS l a MAXLEN 3 COUNT 0",
    "LPOS l a MAXLEN 3 COUNT 0 RANK -1",
    "LPOS l b MAXLEN 1",
    "LPOS l zz COUNT 1",
    "LPOS l a COUNT 9223372036854775807",
    "LPOS l a RANK 9223372036854775807",
    "LPOS l a RANK -9223372036854775807",
    "LPOS l a RANK -9223372036854775808",
    "LPOS l a RANK -9223372036854775808 COUNT 1",
    "LPOS l a RANK -9223372036854775808 COUNT 2 MAXLEN 4",
    "LPOS l a RANK -9223372036854775808 COUNT 0",
    "LPOS l a RANK 0",
    "LPOS l a RANK x",
    "LPOS l a COUNT -1",
    "LPOS l a COUNT x",
    "LPOS l a MAXLEN -1",
    "LPOS l a MAXLEN x",
    "LPOS l a RANK",
    "LPOS l a FOO 1",
    "LPOS l a rank 1 count 1 maxlen 0",
    ["LPOS", "l", "a", "rank\x00x", "2"],
    "LPOS nokey a",
    "LPOS nokey a COUNT 1",
    "LPOS nokey a RANK 0",
    "SET s v",
    "LPOS s a",
    "LPOS s a RANK 0",
    "LPOS l",
  ],
  "LMOVE RPOPLPUSH": [
    "RPUSH src a b c",
    "LMOVE src dst LEFT RIGHT",
    "LMOVE src dst RIGHT LEFT",
    "LRANGE src 0 -1",
    "LRANGE dst 0 -1",
    "LMOVE src src LEFT RIGHT",
    "LRANGE src 0 -1",
    "LMOVE src dst left left",
    "EXISTS src",
    "LMOVE src dst LEFT LEFT",
    "RPOPLPUSH dst dst",
    "LRANGE dst 0 -1",
    "RPOPLPUSH dst other",
    "RPOPLPUSH nokey other",
    "LMOVE dst other MIDDLE LEFT",
    "LMOVE dst other LEFT MIDDLE",
    "LMOVE nokey other MIDDLE LEFT",
    "SET s v",
    "LMOVE s dst LEFT LEFT",
    "LMOVE dst s LEFT LEFT",
    "LMOVE nokey s LEFT LEFT",
    "RPOPLPUSH s dst",
    "RPOPLPUSH dst s",
    "LRANGE dst 0 -1",
    "LMOVE dst other LEFT",
    "RPOPLPUSH dst",
  ],
  "LMPOP": [
    "RPUSH l1 a b c",
    "RPUSH l2 x y z",
    "LMPOP 2 nokey l1 LEFT",
    "LMPOP 2 l1 l2 RIGHT COUNT 5",
    "LMPOP 2 l1 l2 LEFT COUNT 2",
    "LMPOP 1 l2 left count 9223372036854775807",
    "LMPOP 2 l1 l2 LEFT",
    "LMPOP 0 l1 LEFT",
    "LMPOP -1 l1 LEFT",
    "LMPOP x l1 LEFT",
    "LMPOP 9223372036854775807 l1 LEFT",
    "LMPOP 3 l1 l2 LEFT",
    "LMPOP 1 l1 MIDDLE",
    "LMPOP 1 l1 LEFT COUNT 0",
    "LMPOP 1 l1 LEFT COUNT -1",
    "LMPOP 1 l1 LEFT COUNT x",
    "LMPOP 1 l1 LEFT COUNT 1 COUNT 1",
    "LMPOP 1 l1 LEFT COUNT",
    "LMPOP 1 l1 LEFT FOO",
    "SET s v",
    "RPUSH l3 a",
    "LMPOP 2 s l3 LEFT",
    "LMPOP 2 l3 s LEFT",
    "LMPOP 1 l1",
  ],
  "blocking commands that need not block": [
    "RPUSH l1 a b c",
    "RPUSH l2 x y",
    "BLPOP nokey l1 l2 0",
    "BRPOP l2 l1 0",
    "BLPOP l1 1.5",
    "BLMPOP 0 2 nokey l2 RIGHT COUNT 5",
    "EXISTS l2",
    "RPUSH l2 x y",
    "BLMOVE l2 d LEFT RIGHT 0",
    "BRPOPLPUSH l2 d 0",
    "LRANGE d 0 -1",
    "BLMPOP 0.01 1 d LEFT",
    "SET s v",
    "BLPOP s 0",
    "BLPOP nokey s 0",
    "BLPOP d s 0",
    "RPUSH d a b",
    "BLMOVE s d LEFT LEFT 0",
    "BLMOVE d s LEFT LEFT 0",
    "BRPOPLPUSH s d 0",
    "BLMPOP 0 2 nokey s LEFT",
  ],
  "blocking commands time out": [
    "BLPOP nokey 0.01",
    "BRPOP a b c 0.001",
    "BLMOVE nokey d LEFT RIGHT 0.01",
    "BRPOPLPUSH nokey d 0.01",
    "BLMPOP 0.01 2 a b LEFT COUNT 3",
    "SET s v",
    "BLMOVE nokey s LEFT RIGHT 0.01",
    "BLPOP nokey 1e-400",
    "BLPOP nokey 0x0.01p-3",
  ],
  "blocking commands: timeout and argument errors": [
    "BLPOP k -1",
    "BLPOP k -0.002",
    "BLPOP k -1.5",
    "BLPOP k abc",
    "BLPOP k inf",
    "BLPOP k -inf",
    "BLPOP k nan",
    "BLPOP k 1e400",
    "BLPOP k 1e-5000",
    "BLPOP k 9223372036854775807",
    "BLPOP k 9223372036854775.808",
    ["BLPOP", "k", " 1"],
    ["BLPOP", "k", "1 "],
    ["BLPOP", "k", ""],
    ["BLPOP", "k", "1\x00"],
    "BRPOP k -1",
    "BLMOVE a b LEFT RIGHT -1",
    "BLMOVE a b LEFT RIGHT x",
    "BLMOVE a b MIDDLE RIGHT x",
    "BLMOVE a b LEFT MIDDLE -1",
    "BRPOPLPUSH a b -1",
    "BRPOPLPUSH a b x",
    "BLMPOP -1 1 a LEFT",
    "BLMPOP x 1 a LEFT",
    "BLMPOP x 0 a LEFT",
    "BLMPOP x 1 a MIDDLE",
    "BLMPOP x 1 a LEFT COUNT 0",
    "BLMPOP 0 2 a LEFT",
    "BLMPOP 0 1 a LEFT COUNT 1 COUNT 1",
    "SET s v",
    "BLPOP s -1",
    "BLPOP s x",
    "BLPOP k",
    "BLMOVE a b LEFT RIGHT",
    "BLMPOP 0 1 a",
  ],
  "blocking commands inside MULTI reply at once": [
    "MULTI",
    "BLPOP nokey 0",
    "BRPOP nokey 0",
    "BLMOVE nokey d LEFT LEFT 0",
    "BRPOPLPUSH nokey d 0",
    "BLMPOP 0 1 nokey LEFT",
    "RPUSH l a",
    "BLPOP l 0",
    "BLPOP l 0",
    "EXEC",
  ],
  "OBJECT ENCODING and COPY": [
    "RPUSH l a b c",
    "OBJECT ENCODING l",
    ["RPUSH", "big", "x".repeat(10000)],
    "OBJECT ENCODING big",
    "COPY l l2",
    "RPUSH l2 d",
    "LRANGE l 0 -1",
    "LRANGE l2 0 -1",
    "RENAME l2 l3",
    "LRANGE l3 0 -1",
    "TYPE l3",
  ],
};

Deno.test({
  name: "list commands reply as redis-server (RESP2 and RESP3)",
  ignore: !HAVE_REDIS,
  fn: () => compareWithRedis(CASES),
});

Deno.test({
  name: "list commands reply as redis-server with small nodes (list-max-listpack-size 2)",
  ignore: !HAVE_REDIS,
  fn: () =>
    compareWithRedis({
      "small nodes": [
        "CONFIG SET list-max-listpack-size 2",
        "RPUSH l a b c d e f g",
        ["RPUSH", "l", ...Array.from({ length: 40 }, (_, i) => `n${i}`)],
        "LINSERT l AFTER c x",
        "LSET l 0 " + "y".repeat(50),
        "LRANGE l 0 -1",
        "LREM l -1 e",
        "LTRIM l 1 -2",
        "LRANGE l 0 -1",
        "LPOS l x",
        "OBJECT ENCODING l",
        "CONFIG SET list-max-listpack-size -2",
      ],
    }),
});

// ---------------------------------------------------------------------------
// A seeded random sequence sent to both servers

Deno.test({
  name: "a seeded random sequence of list commands replies as redis-server",
  ignore: !HAVE_REDIS,
  async fn() {
    await using redis = await startRedis();
    await using ours = await startTestServer();
    await using a = await RawClient.connect(redis.port);
    await using b = await RawClient.connect(ours.port);
    const rand = mulberry32(17);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];
    // l3 grows past the small form (an array of strings) into nodes
    const keys = ["l0", "l1", "l2", "l3", "str"];
    const elements = ["a", "b", "c", "", "1", "-7", "x".repeat(100), fromLatin1("\x00\xff")];
    const element = () => pick(elements);
    const index = () => pick(["0", "1", "-1", "-3", "5", "100", "-100", "x"]);
    const side = () => pick(["LEFT", "RIGHT"]);
    const gens: (() => Arg[])[] = [
      () => ["LPUSH", pick(keys), element(), element()],
      () => ["RPUSH", pick(keys), element(), element(), element()],
      () => ["LPUSHX", pick(keys), element()],
      () => ["RPUSHX", pick(keys), element()],
      () => ["LPOP", pick(keys), ...(rand() < 0.5 ? [pick(["0", "1", "3", "-1"])] : [])],
      () => ["RPOP", pick(keys), ...(rand() < 0.5 ? [pick(["0", "2", "100"])] : [])],
      () => ["LLEN", pick(keys)],
      () => ["LINDEX", pick(keys), index()],
      () => ["LSET", pick(keys), index(), element()],
      () => ["LINSERT", pick(keys), pick(["BEFORE", "AFTER"]), element(), element()],
      () => ["LRANGE", pick(keys), index(), index()],
      () => ["LTRIM", pick(keys), index(), pick(["-1", "10", "3"])],
      () => ["LREM", pick(keys), pick(["0", "1", "-1", "2", "-2"]), element()],
      () => [
        "LPOS",
        pick(keys),
        element(),
        "RANK",
        pick(["1", "-1", "2", "-2"]),
        "COUNT",
        pick(["0", "1", "2"]),
      ],
      () => ["LPOS", pick(keys), element(), "MAXLEN", pick(["0", "2"])],
      () => ["LMOVE", pick(keys), pick(keys), side(), side()],
      () => ["RPOPLPUSH", pick(keys), pick(keys)],
      () => ["LMPOP", "2", pick(keys), pick(keys), side(), "COUNT", pick(["1", "2", "5"])],
      () => ["EXISTS", pick(keys)],
      () => ["RPUSH", "l3", ...Array.from({ length: 12 }, element)],
      () => ["LPUSH", "l3", ...Array.from({ length: 12 }, element)],
    ];
    // the blocking forms, rarely: redis-server notices a timeout only at its next cron tick
    const blocking: (() => Arg[])[] = [
      () => ["BLPOP", pick(keys), pick(keys), "0.001"],
      () => ["BLMPOP", "0.001", "1", pick(keys), side()],
      () => ["BLMOVE", pick(keys), pick(keys), side(), side(), "0.001"],
    ];
    for (const protocol of [2, 3]) {
      for (const c of [a, b]) {
        await c.call("FLUSHALL");
        await c.call("HELLO", String(protocol));
        await c.call("SET", "str", "v");
      }
      for (let i = 0; i < 1500; i++) {
        const args = rand() < 0.03 ? pick(blocking)() : pick(gens)();
        const expected = await a.call(...args);
        const actual = await b.call(...args);
        assertSameReply(actual, expected, "exact", `#${i} RESP${protocol} ${args.join(" ")}`);
      }
      for (const key of keys.slice(0, 4)) {
        assert.equal(
          await b.call("LRANGE", key, "0", "-1"),
          await a.call("LRANGE", key, "0", "-1"),
        );
      }
    }
  },
});

// ---------------------------------------------------------------------------
// Keyspace events, compared with redis-server's

Deno.test({
  name: "list commands fire the keyspace events redis-server fires",
  ignore: !HAVE_REDIS,
  async fn() {
    await using redis = await startRedis();
    await using ours = await startTestServer();
    const script: Arg[][] = [
      ["LPUSH", "l", "a", "b"],
      ["RPUSH", "l", "c"],
      ["LPUSHX", "l", "d"],
      ["RPUSHX", "l", "e"],
      ["LPUSHX", "nokey", "d"],
      ["LINSERT", "l", "BEFORE", "a", "x"],
      ["LINSERT", "l", "BEFORE", "zz", "x"],
      ["LSET", "l", "0", "y"],
      ["LSET", "l", "100", "y"],
      ["LREM", "l", "0", "zz"],
      ["LREM", "l", "1", "x"],
      ["LTRIM", "l", "0", "-1"],
      ["LTRIM", "l", "1", "-1"],
      ["LPOP", "l"],
      ["RPOP", "l", "2"],
      ["LPOP", "l", "0"],
      ["LMOVE", "l", "m", "LEFT", "RIGHT"],
      ["RPOPLPUSH", "m", "m"],
      ["LMOVE", "m", "n", "RIGHT", "LEFT"],
      ["RPUSH", "p", "1", "2", "3"],
      ["LMPOP", "2", "nokey", "p", "RIGHT", "COUNT", "2"],
      ["BLPOP", "p", "0"],
      ["RPUSH", "q", "1"],
      ["BRPOPLPUSH", "q", "r", "0"],
      ["BLMPOP", "0", "1", "r", "LEFT"],
      ["RPUSH", "t", "1", "2"],
      ["LTRIM", "t", "5", "6"],
      ["RPUSH", "u", "1", "1"],
      ["LREM", "u", "0", "1"],
      ["RPUSH", "v", "1"],
      ["LMOVE", "v", "v", "LEFT", "LEFT"],
      ["LLEN", "nokey"],
      ["LRANGE", "nokey", "0", "1"],
      ["LINDEX", "nokey", "0"],
      ["LPOS", "nokey", "a"],
    ];
    assert.deepEqual(await eventsOf(ours.port, script), await eventsOf(redis.port, script));
  },
});

// ---------------------------------------------------------------------------
// Memory of a 1M-element list beside redis-server's

Deno.test({
  name: "RedisList: a 1M-element list holds about its bytes (memory estimate beside redis-server)",
  ignore: !HAVE_REDIS,
  async fn() {
    await using redis = await startRedis();
    await using c = await RawClient.connect(redis.port);
    // redis-server's own figure for the same list
    const lua = "for i=0,999999 do redis.call('rpush','L','element:'..i) end return 1";
    await c.call("EVAL", lua, "0");
    const usage = Number((await c.call("MEMORY", "USAGE", "L", "SAMPLES", "0")).slice(1, -2));
    const l = new RedisList({ listMaxListpackSize: -2 });
    const enc = new TextEncoder();
    for (let i = 0; i < 1_000_000; i++) l.push(TAIL, enc.encode(`element:${i}`));
    // node buffers plus about 200 bytes of objects per 8 KiB node
    const ours = l.bufferBytes + l.nodeCount * 200;
    assert.ok(ours < usage * 1.5, `ours ~${ours} bytes, redis-server's MEMORY USAGE ${usage}`);
  },
});
