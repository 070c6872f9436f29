// The generic key commands on every collection type (hash, list, set,
// sorted set), compared with a real redis-server 7.0.15: TYPE, SCAN ... TYPE,
// DEL/UNLINK, EXISTS, RENAME, RENAMENX, COPY (a deep copy: changing the copy
// leaves the source as it was), RANDOMKEY, TOUCH, EXPIRE/TTL/PERSIST, OBJECT
// ENCODING kept by RENAME and COPY; the keyspace events these commands (and
// SORT ... STORE) fire on collections, and the keyspace statistics of SORT's
// pattern lookups.

import assert from "node:assert/strict";
import { type Arg, cmd, HAVE_REDIS, parseReply, RawClient } from "./helpers.ts";
import { type PeerKind, startPeer } from "./support/peers.ts";
import { compareWithRedis, type ScriptStep } from "./support/redis_compare.ts";

const ignore = !HAVE_REDIS;

/** One key of each type, the big ones past Redis's compact-encoding thresholds. */
const MAKE: readonly ScriptStep[] = [
  "SET str v",
  "HSET hash f1 v1 f2 v2",
  "RPUSH list a b c",
  "SADD set x y z",
  "SADD intset 1 2 3",
  "ZADD zset 1 a 2 b",
  ["HSET", "bighash", "f", "v".repeat(100)],
  ["SADD", "bigset", ...Array.from({ length: 600 }, (_, i) => String(i))],
  ["ZADD", "bigzset", ...Array.from({ length: 200 }, (_, i) => [String(i), `m${i}`]).flat()],
];
const COLLECTIONS = ["hash", "list", "set", "intset", "zset", "bighash", "bigset", "bigzset"];

/** The whole content of a key as a compared step (unordered where Redis leaves it so). */
function dump(key: string): ScriptStep[] {
  const steps: ScriptStep[] = [`TYPE ${key}`, `OBJECT ENCODING ${key}`];
  if (key.includes("hash")) steps.push({ args: `HGETALL ${key}`, compare: "unordered" });
  else if (key.includes("list")) steps.push(`LRANGE ${key} 0 -1`);
  else if (key.includes("zset")) steps.push(`ZRANGE ${key} 0 -1 WITHSCORES`);
  else if (key.includes("set")) steps.push({ args: `SMEMBERS ${key}`, compare: "unordered" });
  return steps;
}

/** A command that changes a collection of the key's kind. */
function modify(key: string): string {
  if (key.includes("hash")) return `HSET ${key} f1 changed added 1`;
  if (key.includes("list")) return `RPUSH ${key} added`;
  if (key.includes("zset")) return `ZADD ${key} 100 a 7 added`;
  if (key.includes("intset")) return `SADD ${key} 99`;
  return `SADD ${key} added`;
}

const CASES: Record<string, readonly ScriptStep[]> = {
  "TYPE, EXISTS, TOUCH, DEL and UNLINK": [
    ...MAKE,
    ...["str", "hash", "list", "set", "intset", "zset", "bigset", "nokey"].map((k) => `TYPE ${k}`),
    "EXISTS str hash list set zset nokey hash",
    "TOUCH str hash list set zset nokey",
    "DEL hash list nokey",
    "EXISTS hash list",
    "TYPE hash",
    "UNLINK set zset bigset bigzset",
    "EXISTS set zset bigset bigzset intset",
    "DBSIZE",
  ],
  "RENAME and RENAMENX": [
    ...MAKE,
    ...COLLECTIONS.flatMap((k) => [`RENAME ${k} ${k}2`, `EXISTS ${k}`, ...dump(`${k}2`)]),
    "RENAME hash2 list2",
    ...dump("list2"),
    "TYPE hash2",
    "RENAMENX set2 zset2",
    "RENAMENX set2 newset",
    ...dump("newset"),
    "RENAME nokey x",
    "RENAMENX nokey x",
    "EXPIRE newset 100",
    "RENAME newset ttlset",
    "TTL ttlset",
    "RENAME ttlset ttlset",
    "RENAMENX ttlset ttlset",
  ],
  "COPY is a deep copy": [
    ...MAKE,
    ...COLLECTIONS.flatMap((k) => [
      `COPY ${k} ${k}_copy`,
      ...dump(`${k}_copy`),
      modify(`${k}_copy`),
      ...dump(k),
      ...dump(`${k}_copy`),
      modify(k),
      ...dump(`${k}_copy`),
    ]),
    "COPY hash list",
    "COPY hash list REPLACE",
    ...dump("list"),
    "COPY nokey x",
    "COPY zset zset",
    "EXPIRE set 100",
    "COPY set set_ttl",
    "TTL set_ttl",
    "COPY set str REPLACE",
    "TYPE str",
    "COPY hash h DB 0",
  ],
  "RANDOMKEY": [
    "RANDOMKEY",
    "RPUSH list a",
    "RANDOMKEY",
    "DEL list",
    "ZADD z 1 a",
    "RANDOMKEY",
  ],
  "EXPIRE, TTL and PERSIST on collections": [
    ...MAKE,
    ...COLLECTIONS.flatMap((k) => [
      `TTL ${k}`,
      `EXPIRE ${k} 100`,
      `TTL ${k}`,
      `EXPIRE ${k} 200 GT`,
      `TTL ${k}`,
      `EXPIRE ${k} 50 XX`,
      `TTL ${k}`,
      `PERSIST ${k}`,
      `TTL ${k}`,
      `PERSIST ${k}`,
      `PEXPIRE ${k} 100000 NX`,
      `TTL ${k}`,
      modify(k),
      `TTL ${k}`,
      `EXPIREAT ${k} 1`,
      `EXISTS ${k}`,
      `TYPE ${k}`,
    ]),
    "RPUSH l a",
    "EXPIRE l 100",
    "LPOP l",
    "EXISTS l",
    "RPUSH l b",
    "TTL l",
  ],
};

Deno.test({
  name: "generic commands on hashes, lists, sets and sorted sets like Redis 7.0.15",
  ignore,
  fn: () => compareWithRedis(CASES),
});

/** A full SCAN iteration with `args` after the cursor: the keys found, sorted. */
async function scanAll(c: RawClient, args: readonly string[]): Promise<string[]> {
  const keys: string[] = [];
  let cursor = "0";
  for (let i = 0; i < 1000; i++) {
    const [next, batch] = parseReply(await c.call("SCAN", cursor, ...args)) as [string, string[]];
    keys.push(...batch);
    cursor = next;
    if (cursor === "0") return keys.sort();
  }
  throw new Error("SCAN did not finish");
}

Deno.test({
  name: "SCAN ... TYPE finds the keys of each type, as redis-server does",
  ignore,
  fn: async () => {
    const results: unknown[] = [];
    for (const kind of ["redis", "ours"] as PeerKind[]) {
      await using peer = await startPeer(kind);
      await using c = await RawClient.connect(peer.port);
      for (let i = 0; i < 30; i++) {
        await c.call("SET", `s${i}`, "v");
        await c.call("HSET", `h${i}`, "f", "v");
        await c.call("RPUSH", `l${i}`, "a");
        await c.call("SADD", `t${i}`, "m");
        await c.call("ZADD", `z${i}`, "1", "m");
      }
      const found: Record<string, unknown> = {};
      for (const type of ["string", "hash", "list", "set", "zset", "stream", "HASH", "nosuch"]) {
        found[type] = await scanAll(c, ["TYPE", type]);
        found[`${type} count 7`] = await scanAll(c, ["COUNT", "7", "TYPE", type]);
      }
      found["match"] = await scanAll(c, ["MATCH", "*1*", "TYPE", "zset"]);
      results.push(found);
    }
    assert.deepEqual(results[1], results[0]);
  },
});

/** Every keyspace event received so far, as `channel payload`, up to a marker message. */
async function takeEvents(c: RawClient, sub: RawClient): Promise<string[]> {
  await c.call("PUBLISH", "__keyevent@0__:MARK", "end");
  const out: string[] = [];
  for (let i = 0; i < 1000; i++) {
    const [, , channel, payload] = parseReply((await sub.readStrings(1))[0]) as string[];
    if (channel === "__keyevent@0__:MARK") return out;
    out.push(`${channel} ${payload}`);
  }
  throw new Error("no marker");
}

/**
 * Runs the same commands on redis-server and on our server with
 * `notify-keyspace-events` set to `flags` and asserts the same replies and
 * the same keyspace events, in order, after each group of commands.
 */
async function sameEvents(
  flags: string,
  groups: readonly (readonly Arg[])[][],
  extra: (c: RawClient) => Promise<unknown> = () => Promise.resolve(null),
): Promise<void> {
  const results: unknown[][] = [];
  for (const kind of ["redis", "ours"] as PeerKind[]) {
    await using peer = await startPeer(kind);
    await using c = await RawClient.connect(peer.port);
    await using sub = await RawClient.connect(peer.port);
    assert.equal(await c.call("CONFIG", "SET", "notify-keyspace-events", flags), "+OK\r\n");
    await sub.send(cmd("PSUBSCRIBE", "__key*__:*"));
    await sub.readStrings(1);
    const log: unknown[] = [];
    for (const group of groups) {
      for (const args of group) log.push(`${args.join(" ")} -> ${await c.call(...args)}`);
      log.push(await takeEvents(c, sub));
    }
    log.push(await extra(c));
    results.push(log);
  }
  assert.deepEqual(results[1], results[0]);
}

const split = (s: string) => s.split(" ");

Deno.test({
  name: "keyspace events of generic commands on collections like Redis 7.0.15",
  ignore,
  fn: () =>
    sameEvents("KEA", [
      ["HSET h f v", "RPUSH l a b", "SADD s m", "ZADD z 1 m"].map(split),
      ["DEL h", "UNLINK l", "DEL nokey"].map(split),
      ["RENAME s s2", "RENAMENX z s2", "RENAMENX z z2", "RENAME z2 s2"].map(split),
      ["SADD t 1 2", "COPY s2 t", "COPY s2 t REPLACE", "COPY t c"].map(split),
      ["EXPIRE c 100", "PEXPIRE c 100000", "PERSIST c", "EXPIRE c 100 LT", "EXPIRE c 0"].map(
        split,
      ),
      ["HSET h f v", "PEXPIREAT h 1", "EXISTS h"].map(split),
      ["RPUSH l a", "EXPIRE l 100", "LPOP l", "EXISTS l"].map(split),
      ["TOUCH s2", "TYPE s2", "EXISTS s2", "OBJECT ENCODING s2"].map(split),
    ]),
});

Deno.test({
  name: "keyspace events of SORT ... STORE and of collection creation like Redis 7.0.15",
  ignore,
  fn: () =>
    sameEvents("KEAn", [
      ["RPUSH l b a c", "SET w_a 1", "HSET h_b f 2", "ZADD z 1 x"].map(split),
      ["SORT l BY w_* GET h_*->f GET #", "SORT_RO l ALPHA", "SORT nokey"].map(split),
      ["SORT l ALPHA STORE dst", "SORT l ALPHA STORE dst", "SORT z STORE dst"].map(split),
      ["SORT l LIMIT 0 0 STORE dst", "SORT l LIMIT 0 0 STORE dst"].map(split),
      ["SET dst x", "EXPIRE dst 100", "SORT nokey STORE dst", "SORT l STORE dst"].map(split),
      ["TTL dst", "TYPE dst"].map(split),
    ]),
});

Deno.test({
  name: "SORT's lookups count as keyspace hits and misses and fire keymiss, as in Redis",
  ignore,
  fn: () =>
    sameEvents(
      "KEm",
      [
        ["RPUSH l b a c", "SET w_a 1", "HSET h_b f 2", "CONFIG RESETSTAT"].map(split),
        ["SORT l BY w_* GET h_*->f GET #", "SORT nokey", "SORT l BY nosort GET x_*"].map(split),
        ["SORT l ALPHA BY w_* STORE dst", "SORT_RO l GET #"].map(split),
      ],
      async (c) => {
        const info = parseReply(await c.call("INFO", "stats")) as string;
        return info.split("\r\n").filter((line) => line.startsWith("keyspace_"));
      },
    ),
});
