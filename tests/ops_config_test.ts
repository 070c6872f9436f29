/**
 * CONFIG, exact: every parameter of redis-server 7.0.15, and for each the
 * same battery of values given to CONFIG SET on both servers, with the
 * same reply and the same value read back by CONFIG GET (memory units,
 * booleans, enums, ranges, percentages, the special parameters, Redis's
 * error texts). The few parameters that cannot behave as in Redis here
 * are listed with the reason.
 */
import assert from "node:assert/strict";
import { eachPeer, parseReply, RawClient, startRedis, startTestServer } from "./helpers.ts";
import { ignoredParams } from "../server/commands/server.ts";

/** Values tried on every mutable parameter. */
const VALUES = [
  "",
  "yes",
  "No",
  "abc",
  "0",
  "-1",
  "1",
  "05",
  "+5",
  "100",
  "65536",
  "1k",
  "1KB",
  "2mb",
  "3Gb",
  "1.5",
  "10%",
  "101%",
  "99999999999999999999",
  "-9223372036854775808",
  "9223372036854775807",
  "4294967296",
  "1 2",
  "a b c d",
  "local",
  "everysec",
  "allkeys-lru",
  "0 200 800",
  "normal 1mb 2mb 3",
  "50 99.99999",
  "{title} x",
  "KEA",
];

/**
 * Parameters whose value cannot behave as in Redis here, with the reason;
 * their defaults and CONFIG SET replies are not compared.
 */
const DIFFERENT: Record<string, string> = {
  port: "the listener cannot move: CONFIG SET port is refused as immutable",
  bind: "the listener cannot move: only the address bound is accepted",
  dir: "the working directory of each process",
  databases: "this server has one database",
  "oom-score-adj": "Redis adjusts its own OOM score when allowed to",
  daemonize: "started differently",
  logfile: "started differently",
  pidfile: "started differently",
  "io-threads-do-reads": "",
  maxclients: "Redis lowers it to what its file descriptor limit allows",
};

async function configGetAll(c: RawClient): Promise<Map<string, string>> {
  const flat = parseReply(await c.call("CONFIG", "GET", "*")) as string[];
  const m = new Map<string, string>();
  for (let i = 0; i < flat.length; i += 2) m.set(flat[i], flat[i + 1]);
  return m;
}

Deno.test("CONFIG GET *: the parameters of Redis 7.0.15, with its defaults", async () => {
  await using redis = await startRedis();
  await using ours = await startTestServer();
  await using r = await RawClient.connect(redis.port);
  await using o = await RawClient.connect(ours.port);
  const theirs = await configGetAll(r);
  const mine = await configGetAll(o);
  assert.deepEqual([...mine.keys()].sort(), [...theirs.keys()].sort());
  for (const [name, value] of theirs) {
    if (name in DIFFERENT || name === "save" || name === "appendonly") continue;
    assert.equal(mine.get(name), value, name);
  }
});

Deno.test("CONFIG SET/GET: every parameter and value as Redis 7.0.15", async () => {
  await using redis = await startRedis();
  await using ours = await startTestServer();
  await using r = await RawClient.connect(redis.port);
  await using o = await RawClient.connect(ours.port);
  const defaults = await configGetAll(r);
  const mismatches: string[] = [];
  for (const name of [...defaults.keys()].sort()) {
    if (name in DIFFERENT) continue;
    const original = defaults.get(name)!;
    for (const value of VALUES) {
      const [theirs, mine] = [
        await r.call("CONFIG", "SET", name, value),
        await o.call("CONFIG", "SET", name, value),
      ];
      const [theirsNow, mineNow] = [
        await r.call("CONFIG", "GET", name),
        await o.call("CONFIG", "GET", name),
      ];
      if (theirs !== mine || theirsNow !== mineNow) {
        mismatches.push(
          `${name} ${JSON.stringify(value)}: redis ${JSON.stringify(theirs)} ${
            JSON.stringify(theirsNow)
          }, ours ${JSON.stringify(mine)} ${JSON.stringify(mineNow)}`,
        );
      }
      await r.call("CONFIG", "SET", name, original);
      await o.call("CONFIG", "SET", name, original);
    }
  }
  assert.deepEqual(mismatches, []);
});

eachPeer("CONFIG SET: aliases, duplicates, immutable and protected parameters", async (p) => {
  await using c = await RawClient.connect(p.port);
  const failed = (name: string, why: string) =>
    `-ERR CONFIG SET failed (possibly related to argument '${name}') - ${why}\r\n`;
  // an alias is a parameter of its own name: not a duplicate of its target
  assert.equal(
    await c.call(
      "CONFIG",
      "SET",
      "hash-max-ziplist-entries",
      "5",
      "hash-max-listpack-entries",
      "6",
    ),
    "+OK\r\n",
  );
  assert.equal(
    await c.call("CONFIG", "GET", "hash-max-ziplist-entries"),
    "*2\r\n$24\r\nhash-max-ziplist-entries\r\n$1\r\n6\r\n",
  );
  assert.equal(
    await c.call("CONFIG", "SET", "timeout", "1", "TIMEOUT", "2"),
    failed("TIMEOUT", "duplicate parameter"),
  );
  assert.equal(
    await c.call("CONFIG", "SET", "databases", "3"),
    failed("databases", "can't set immutable config"),
  );
  assert.equal(
    await c.call("CONFIG", "SET", "dir", "/tmp"),
    failed("dir", "can't set protected config"),
  );
  assert.equal(
    await c.call("CONFIG", "SET", "dbfilename", "x.rdb"),
    failed("dbfilename", "can't set protected config"),
  );
  // the first problem is the one reported; nothing is set
  assert.equal(
    await c.call("CONFIG", "SET", "maxmemory", "1mb", "nosuch", "1", "databases", "1"),
    "-ERR Unknown option or number of arguments for CONFIG SET - 'nosuch'\r\n",
  );
  assert.equal(
    await c.call("CONFIG", "SET", "maxmemory", "1mb", "hz", "x"),
    failed("hz", "argument couldn't be parsed into an integer"),
  );
  assert.equal(await c.call("CONFIG", "GET", "maxmemory"), "*2\r\n$9\r\nmaxmemory\r\n$1\r\n0\r\n");
  // names any case, read back as given; aliases listed by patterns
  assert.equal(await c.call("CONFIG", "GET", "MaxMemory"), "*2\r\n$9\r\nMaxMemory\r\n$1\r\n0\r\n");
  const slaves = parseReply(await c.call("CONFIG", "GET", "slave-*")) as string[];
  assert.ok(slaves.includes("slave-read-only") && slaves.includes("slave-priority"));
  // hz is clamped to 500, as Redis does
  assert.equal(await c.call("CONFIG", "SET", "hz", "100000"), "+OK\r\n");
  assert.equal(await c.call("CONFIG", "GET", "hz"), "*2\r\n$2\r\nhz\r\n$3\r\n500\r\n");
});

Deno.test("CONFIG: the parameters accepted but ignored are the documented ones", async () => {
  await using srv = await startTestServer();
  const ignored = ignoredParams(srv.server.state);
  // acted on: the server's own settings, the operator features, the encodings
  for (
    const name of [
      "maxclients",
      "timeout",
      "requirepass",
      "slowlog-log-slower-than",
      "latency-monitor-threshold",
      "tracking-table-max-keys",
      "hash-max-listpack-entries",
      "notify-keyspace-events",
    ]
  ) {
    assert.ok(!ignored.includes(name), name);
  }
  for (
    const name of ["appendonly", "save", "maxmemory", "activedefrag", "lazyfree-lazy-eviction"]
  ) {
    assert.ok(ignored.includes(name), name);
  }
});
