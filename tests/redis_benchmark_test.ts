/**
 * `redis-benchmark` against our server, unchanged: small, bounded runs
 * (`-n 2000 -c 10`) that must exit 0 and print no warnings or errors, and
 * leave the keyspace as they leave Redis's. Speed is measured in
 * `bench/server.ts`, not here.
 *
 * Every test runs against a real `redis-server` first, then against ours.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  eachPeer,
  HAVE_REDIS_BENCHMARK,
  latin1,
  type Peer,
  type PeerOptions,
  RawClient,
  runTool,
} from "./helpers.ts";

const REQUESTS = 2000;

function benchTest(
  what: string,
  fn: (peer: Peer) => Promise<void>,
  options: PeerOptions = {},
): void {
  eachPeer(`redis-benchmark: ${what}`, fn, {
    ...options,
    requires: { "redis-benchmark": HAVE_REDIS_BENCHMARK },
  });
}

/**
 * Runs `redis-benchmark -q` with `args` and returns requests/s per test
 * name, after asserting exit 0 and no warning or error anywhere in its
 * output.
 */
async function benchmark(peer: Peer, args: string[]): Promise<Map<string, number>> {
  const out = await runTool("redis-benchmark", [
    "-h",
    "127.0.0.1",
    "-p",
    String(peer.port),
    "-n",
    String(REQUESTS),
    "-c",
    "10",
    "-q",
    ...args,
  ]);
  const all = out.stdout + out.stderr;
  assert.equal(out.code, 0, `redis-benchmark ${args.join(" ")} exited ${out.code}:\n${all}`);
  assert.doesNotMatch(all, /WARNING|ERROR|Error|error/, `redis-benchmark printed:\n${all}`);
  // -q prints "\r"-separated progress, then one "NAME: N requests per second, ..." per test
  const rps = new Map<string, number>();
  for (const line of all.split(/[\r\n]/)) {
    const m = /^\s*(.+): ([\d.]+) requests per second/.exec(line);
    if (m) rps.set(m[1], Number(m[2]));
  }
  return rps;
}

benchTest("-t ping,set,get,incr,mset", async (peer) => {
  const rps = await benchmark(peer, ["-t", "ping,set,get,incr,mset"]);
  assert.deepEqual([...rps.keys()], [
    "PING_INLINE",
    "PING_MBULK",
    "SET",
    "GET",
    "INCR",
    "MSET (10 keys)",
  ]);
  for (const [test, v] of rps) assert.ok(v > 0, `${test}: ${v} requests per second`);
  // the keyspace is what those commands leave behind
  await using c = await RawClient.connect(peer.port);
  assert.equal(await c.call("GET", "counter:__rand_int__"), `$4\r\n${REQUESTS}\r\n`);
  assert.match(await c.call("GET", "key:__rand_int__"), /^\$3\r\n...\r\n$/);
  assert.equal(await c.call("DBSIZE"), ":2\r\n");
});

benchTest("-t set,get,incr -P 16 (pipelined)", async (peer) => {
  const rps = await benchmark(peer, ["-t", "set,get,incr", "-P", "16"]);
  assert.deepEqual([...rps.keys()], ["SET", "GET", "INCR"]);
  await using c = await RawClient.connect(peer.port);
  assert.equal(await c.call("GET", "counter:__rand_int__"), `$4\r\n${REQUESTS}\r\n`);
});

benchTest("-3 (RESP3 session) -t ping,set,get", async (peer) => {
  const rps = await benchmark(peer, ["-3", "-t", "ping,set,get"]);
  assert.deepEqual([...rps.keys()], ["PING_INLINE", "PING_MBULK", "SET", "GET"]);
});

benchTest("custom command PUBLISH, delivered to a subscriber", async (peer) => {
  await using sub = await RawClient.connect(peer.port);
  assert.equal(
    await sub.call("SUBSCRIBE", "bench"),
    "*3\r\n$9\r\nsubscribe\r\n$5\r\nbench\r\n:1\r\n",
  );
  const rps = await benchmark(peer, ["PUBLISH", "bench", "hello"]);
  assert.deepEqual([...rps.keys()], ["PUBLISH bench hello"]);
  const messages = await sub.read(REQUESTS);
  const expected = "*3\r\n$7\r\nmessage\r\n$5\r\nbench\r\n$5\r\nhello\r\n";
  assert.equal(messages.filter((m) => latin1(m) === expected).length, REQUESTS);
});

benchTest("-a <password> with requirepass", async (peer) => {
  const rps = await benchmark(peer, ["-a", "pw", "-t", "ping,set,get"]);
  assert.deepEqual([...rps.keys()], ["PING_INLINE", "PING_MBULK", "SET", "GET"]);
}, { requirepass: "pw" });

benchTest("without the password, requirepass stops it with NOAUTH", async (peer) => {
  const out = await runTool("redis-benchmark", [
    "-h",
    "127.0.0.1",
    "-p",
    String(peer.port),
    "-n",
    "10",
    "-c",
    "1",
    "-q",
    "-t",
    "ping",
  ]);
  assert.equal(out.code, 1);
  assert.match(out.stdout + out.stderr, /NOAUTH Authentication required\./);
}, { requirepass: "pw" });
