/**
 * Load: 10,000 client connections open at once, each sending a pipeline,
 * every reply checked, against a real redis-server first (which proves the
 * test right) and then our server (`main.ts serve`, its own process). The
 * servers run with `maxclients` 10,100; each is a child process with its
 * own open-file limit, and this test process holds the client ends (the
 * machine's limit must allow 10,000 + a few descriptors: see
 * {@linkcode CONNECTIONS}).
 *
 * Memory per idle connection and the control client's latency are
 * measured by `bench/load.ts`, not asserted here.
 *
 * @module
 */

import assert from "node:assert/strict";
import { RawClient, waitFor } from "./helpers.ts";
import { Crowd } from "../support/crowd.ts";
import { type ChildServer, startRedisLimited, startServe } from "../support/child_servers.ts";

/** This process's open-file limit (Linux /proc), or undefined. */
async function fdLimit(): Promise<number | undefined> {
  try {
    const limits = await Deno.readTextFile("/proc/self/limits");
    const m = /Max open files\s+(\d+)/.exec(limits);
    return m === null ? undefined : Number(m[1]);
  } catch {
    return undefined;
  }
}

const WANTED = 10_000;
/**
 * Connections opened: 10,000, or as many as this process's open-file
 * limit allows (with 200 to spare) when it is lower; the test says so.
 */
const CONNECTIONS = await (async () => {
  const limit = await fdLimit();
  return limit === undefined ? WANTED : Math.min(WANTED, limit - 200);
})();

async function connectedClients(c: RawClient): Promise<number> {
  const info = await c.call("INFO", "clients");
  return Number(/connected_clients:(\d+)/.exec(info)![1]);
}

async function crowdRound(server: ChildServer, name: string): Promise<void> {
  if (CONNECTIONS < WANTED) {
    console.warn(`open-file limit: ${CONNECTIONS} connections instead of ${WANTED}`);
  }
  await using control = await RawClient.connect(server.port);
  await control.call("FLUSHALL");
  await using crowd = await Crowd.open(server.port, CONNECTIONS);
  // every connection is open at once: the server sees them all
  await waitFor(
    async () => (await connectedClients(control)) === CONNECTIONS + 1,
    { what: `${name}: ${CONNECTIONS} connections`, timeoutMs: 60_000, intervalMs: 100 },
  );
  const replies = await crowd.exchange((i) => [
    ["SET", `load:${i}`, `value-${i}`],
    ["INCR", "load:counter"],
    ["GET", `load:${i}`],
    ["ECHO", `hello ${i}`],
    ["PING"],
  ]);
  const counters = new Set<number>();
  for (let i = 0; i < replies.length; i++) {
    const [set, incr, get, echo, ping] = replies[i];
    const where = `${name}, connection ${i}`;
    assert.equal(set, "+OK\r\n", where);
    assert.match(incr, /^:\d+\r\n$/, where);
    counters.add(Number(incr.slice(1, -2)));
    const v = `value-${i}`;
    assert.equal(get, `$${v.length}\r\n${v}\r\n`, where);
    const e = `hello ${i}`;
    assert.equal(echo, `$${e.length}\r\n${e}\r\n`, where);
    assert.equal(ping, "+PONG\r\n", where);
  }
  // each INCR got its own value: 1..N, none twice
  assert.equal(counters.size, CONNECTIONS, `${name}: distinct INCR replies`);
  assert.equal(Math.min(...counters), 1);
  assert.equal(Math.max(...counters), CONNECTIONS);
  // a second round on the same connections, while all stay open
  const again = await crowd.exchange((i) => [["GET", `load:${i}`], ["DEL", `load:${i}`]]);
  for (let i = 0; i < again.length; i++) {
    const v = `value-${i}`;
    assert.deepEqual(again[i], [`$${v.length}\r\n${v}\r\n`, ":1\r\n"], `${name}, connection ${i}`);
  }
  assert.equal(
    await control.call("GET", "load:counter"),
    `$${String(CONNECTIONS).length}\r\n${CONNECTIONS}\r\n`,
  );
  assert.equal(await control.call("DBSIZE"), ":1\r\n");
  crowd.close();
  // all gone: the server forgets them
  await waitFor(
    async () => (await connectedClients(control)) === 1,
    { what: `${name}: back to one client`, timeoutMs: 60_000, intervalMs: 100 },
  );
  assert.equal(await control.call("PING"), "+PONG\r\n");
}

Deno.test({
  name:
    `load: ${CONNECTIONS} connections at once, each with a pipeline, all answered (redis-server)`,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using redis = await startRedisLimited({ args: ["--maxclients", "10100"] });
    await crowdRound(redis, "redis-server");
  },
});

Deno.test({
  name: `load: ${CONNECTIONS} connections at once, each with a pipeline, all answered (ours)`,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using ours = await startServe({ args: ["--max-clients", "10100"] });
    await crowdRound(ours, "ours");
  },
});
