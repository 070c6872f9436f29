/**
 * The server's one-node cluster mode (`server/cluster.ts`,
 * `server/commands/cluster.ts`) against a real redis-server 7.0 that is a
 * one-node cluster owning all 16384 slots: CLUSTER replies byte for byte
 * (node id, ports normalised), the CROSSSLOT decision for multi-key
 * commands, MULTI and scripts, the "cluster support disabled" errors, and
 * cluster clients (ours, ioredis `Cluster`, node-redis `createCluster`)
 * working unchanged against our server.
 *
 * Our server is started with the cluster handlers as extra commands and
 * `enableCluster(server.state)`, as `serve --cluster-enabled yes` will do.
 */

import assert from "node:assert/strict";
import { Cluster } from "ioredis";
import { createCluster } from "redis";
import { RawClient } from "./support/raw_client.ts";
import { startRedis, startTestServer, type TestServer } from "./support/servers.ts";
import { waitFor } from "./support/wait.ts";
import { ClusterNode, HAVE_REDIS_CLUSTER, redisCli } from "../support/cluster.ts";
import { ClusterClient, keySlot } from "../client/mod.ts";
import {
  binaryKeySlot,
  crossSlotCheck,
  crossSlotCheckAll,
  enableCluster,
  keyHashSlot,
} from "../server/cluster.ts";
import { createCommandTable } from "../server/commands/mod.ts";
import { commandMeta } from "../server/commands/meta.ts";
import { ReplyError } from "../resp/frame.ts";
import { toBinary, utf8 } from "../resp/bytes.ts";

const IGNORE = HAVE_REDIS_CLUSTER ? undefined : "redis-server / redis-cli are not installed";
const suffix = IGNORE ? ` (ignored: ${IGNORE})` : "";

/** Our server with the cluster commands; `cluster` turns the one-node cluster mode on. */
async function startOurs(cluster: boolean): Promise<TestServer> {
  // The bus port Redis announces is port + 10000: keep it a real port number.
  for (let attempt = 0; attempt < 20; attempt++) {
    const s = await startTestServer({ clusterEnabled: cluster });
    if (s.port + 10000 <= 65535) return s;
    await s.close();
  }
  throw new Error("no port below 55536 for our server");
}

/** A real redis-server that is a one-node cluster (announcing 127.0.0.1) owning every slot. */
async function startRedisNode(): Promise<ClusterNode> {
  const node = await ClusterNode.start(2_000);
  try {
    await node.call("CONFIG", "SET", "cluster-announce-ip", "127.0.0.1");
    await node.call("CLUSTER", "ADDSLOTSRANGE", "0", "16383");
    await waitFor(async () => (await node.call("CLUSTER", "INFO")).includes("cluster_state:ok"), {
      what: "cluster_state:ok",
      intervalMs: 100,
    });
    return node;
  } catch (e) {
    await node.close();
    throw e;
  }
}

Deno.test("server: keyHashSlot and binaryKeySlot agree with the client's keySlot", () => {
  let seed = 11;
  for (let i = 0; i < 2000; i++) {
    const n = (seed = (seed * 1103515245 + 12345) >>> 0) % 10;
    const bytes = new Uint8Array(n);
    for (let j = 0; j < n; j++) {
      seed = (seed * 1103515245 + 12345) >>> 0;
      bytes[j] = [0x7b, 0x7d, 0x61, 0x62, 0xff, 0x00][seed % 6];
    }
    const slot = keySlot(bytes);
    assert.equal(keyHashSlot(bytes), slot);
    assert.equal(binaryKeySlot(toBinary(bytes)), slot);
  }
  assert.equal(keyHashSlot(utf8("foo")), 12182);
});

Deno.test({
  name: `server: CLUSTER replies as a one-node Redis 7.0 cluster${suffix}`,
  ignore: IGNORE !== undefined,
  async fn() {
    await using ours = await startOurs(true);
    const redis = await startRedisNode();
    try {
      const redisId = await redis.call("CLUSTER", "MYID");
      const oursId = enableCluster(ours.server.state).id; // already on: its state
      assert.match(oursId, /^[0-9a-f]{40}$/);
      const normalize = (text: string, id: string, port: number, bus: number) =>
        text.replaceAll(id, "<id>").replaceAll(String(bus), "BBBBB").replaceAll(
          String(port),
          "PPPPP",
        );
      const lines: string[][] = [
        ["CLUSTER", "INFO"],
        ["CLUSTER", "MYID"],
        ["CLUSTER", "NODES"],
        ["CLUSTER", "SLOTS"],
        ["CLUSTER", "SHARDS"],
        ["CLUSTER", "KEYSLOT", "foo"],
        ["CLUSTER", "KEYSLOT", "{user1000}.following"],
        ["CLUSTER", "KEYSLOT", ""],
        ["CLUSTER", "KEYSLOT"],
        ["CLUSTER", "COUNTKEYSINSLOT", "12182"],
        ["CLUSTER", "COUNTKEYSINSLOT", "16384"],
        ["CLUSTER", "COUNTKEYSINSLOT", "-1"],
        ["CLUSTER", "COUNTKEYSINSLOT", "x"],
        ["CLUSTER", "GETKEYSINSLOT", "12182", "10"],
        ["CLUSTER", "GETKEYSINSLOT", "12182", "0"],
        ["CLUSTER", "GETKEYSINSLOT", "12182", "-1"],
        ["CLUSTER", "GETKEYSINSLOT", "16384", "1"],
        ["CLUSTER", "GETKEYSINSLOT", "x", "1"],
        ["CLUSTER", "GETKEYSINSLOT", "1", "x"],
        ["CLUSTER", "LINKS"],
        ["CLUSTER", "HELP"],
        ["CLUSTER", "NOSUCH"],
        ["READONLY"],
        ["READWRITE"],
        ["ASKING"],
        // the cluster checks of ordinary commands
        ["MSET", "a", "1", "b", "2"],
        ["MSET", "{t}a", "1", "{t}b", "2"],
        ["MGET", "{t}a", "{t}b"],
        ["DEL", "a", "b"],
        ["RENAME", "{t}a", "{t}c"],
        ["SELECT", "0"],
        ["SELECT", "1"],
        ["CONFIG", "GET", "cluster-enabled"],
        ["INFO", "cluster"],
        ["MULTI"],
        ["SET", "a", "1"],
        ["SET", "b", "1"],
        ["EXEC"],
        ["MULTI"],
        ["MSET", "a", "1", "b", "2"],
        ["EXEC"],
        ["MULTI"],
        ["SET", "{t}a", "1"],
        ["GET", "{t}b"],
        ["EXEC"],
      ];
      for (const protocol of [2, 3]) {
        await using r = await RawClient.connect(redis.port);
        await using o = await RawClient.connect(ours.port);
        if (protocol === 3) {
          await r.call("HELLO", "3");
          await o.call("HELLO", "3");
        }
        for (const k of ["foo", "{foo}x", "bar"]) {
          await r.call("SET", k, "v");
          await o.call("SET", k, "v");
        }
        assert.match(await o.call("HELLO", String(protocol)), /mode.{2,12}cluster/s);
        for (const args of lines) {
          const theirs = normalize(await r.call(...args), redisId, redis.port, redis.busPort);
          const mine = normalize(await o.call(...args), oursId, ours.port, ours.port + 10000);
          assert.equal(mine, theirs, `RESP${protocol} ${args.join(" ")}`);
        }
      }
    } finally {
      await redis.close();
    }
  },
});

Deno.test({
  name: `server: with cluster mode off, cluster commands answer as Redis does${suffix}`,
  ignore: IGNORE !== undefined,
  async fn() {
    await using ours = await startOurs(false);
    await using redis = await startRedis();
    await using o = await RawClient.connect(ours.port);
    await using r = await RawClient.connect(redis.port);
    const lines = [
      ["CLUSTER", "INFO"],
      ["CLUSTER", "KEYSLOT", "a"],
      ["CLUSTER", "HELP"],
      ["CLUSTER", "NOSUCH"],
      ["READONLY"],
      ["READWRITE"],
      ["ASKING"],
    ];
    for (const args of lines) {
      assert.equal(await o.call(...args), await r.call(...args), args.join(" "));
    }
  },
});

Deno.test({
  name: `server: crossSlotCheck refuses what Redis refuses with CROSSSLOT${suffix}`,
  ignore: IGNORE !== undefined,
  async fn() {
    const redis = await startRedisNode();
    try {
      const table = createCommandTable();
      const lines: string[][] = [
        ["GET", "a"],
        ["MSET", "a", "1", "b", "2"],
        ["MSET", "{t}a", "1", "{t}b", "2"],
        ["MGET", "a", "b"],
        ["MGET", "{t}a", "{t}b", "{t}c"],
        ["DEL", "a", "b"],
        ["EXISTS", "a", "a"],
        ["RENAME", "a", "b"],
        ["RENAME", "{t}a", "{t}b"],
        ["EVAL", "return 1", "2", "a", "b"],
        ["EVAL", "return 1", "2", "{t}a", "{t}b"],
        ["EVAL", "return 1", "0"],
        ["ZUNIONSTORE", "d", "2", "a", "b"],
        ["ZUNIONSTORE", "{t}d", "2", "{t}a", "{t}b"],
        ["XREAD", "STREAMS", "a", "b", "0", "0"],
        ["SORT", "{t}a", "BY", "nosort", "STORE", "b"],
        ["SORT", "{t}a", "BY", "nosort", "STORE", "{t}b"],
        ["LMOVE", "a", "b", "LEFT", "RIGHT"],
        ["SINTERCARD", "2", "a", "b"],
        ["SSUBSCRIBE", "a", "b"],
        ["SUNSUBSCRIBE", "a", "b"],
        ["SPUBLISH", "a", "m"],
        ["PUBLISH", "a", "m"],
      ];
      for (const args of lines) {
        const reply = await redisCli(["-p", String(redis.port), ...args], 10_000);
        const theirs = reply.stdout.startsWith("CROSSSLOT");
        // The check needs only Redis 7.0.15's metadata of the command (key specs).
        const meta = commandMeta(args[0].toLowerCase());
        assert(meta !== undefined, args[0]);
        const mine = crossSlotCheck({ meta }, args.map(utf8));
        assert.equal(mine !== undefined, theirs, `${args.join(" ")}: Redis said ${reply.stdout}`);
        if (mine !== undefined) assert.equal(mine.message, reply.stdout.trim());
      }
      // EXEC checks the whole transaction.
      await using r = await RawClient.connect(redis.port);
      const replies = await r.calls([["MULTI"], ["SET", "a", "1"], ["SET", "b", "2"], ["EXEC"]]);
      assert.equal(replies[3], "-CROSSSLOT Keys in request don't hash to the same slot\r\n");
      const queued = [["SET", "a", "1"], ["SET", "b", "2"]].map((a) => {
        const args = a.map(utf8);
        const cmd = table.lookup(args);
        assert(!(cmd instanceof ReplyError));
        return { cmd, args };
      });
      assert.equal(crossSlotCheck(queued[0].cmd, queued[0].args), undefined);
      assert.equal(crossSlotCheckAll(queued)?.message, replies[3].slice(1, -2));
      assert.equal(crossSlotCheckAll(queued.slice(0, 1)), undefined);
    } finally {
      await redis.close();
    }
  },
});

Deno.test("server: cluster clients work unchanged against the one-node cluster mode", async () => {
  await using ours = await startOurs(true);
  // Ours.
  {
    await using c = await ClusterClient.connect(`127.0.0.1:${ours.port}`);
    assert.deepEqual(c.masters, [`127.0.0.1:${ours.port}`]);
    assert.equal(await c.set("{u}a", "1"), "OK");
    assert.deepEqual(await c.mget("{u}a", "{u}b"), ["1", null]);
    assert.equal(await c.incr("counter"), 1);
  }
  // ioredis Cluster.
  {
    const c = new Cluster([{ host: "127.0.0.1", port: ours.port }], { lazyConnect: true });
    try {
      await c.connect();
      assert.equal(await c.set("io", "redis"), "OK");
      assert.equal(await c.get("io"), "redis");
      assert.equal(await c.get("{u}a"), "1");
    } finally {
      await c.quit();
    }
  }
  // node-redis createCluster.
  {
    const c = createCluster({ rootNodes: [{ url: `redis://127.0.0.1:${ours.port}` }] });
    c.on("error", () => {});
    await c.connect();
    try {
      assert.equal(await c.set("node", "redis"), "OK");
      assert.equal(await c.get("node"), "redis");
      assert.equal(await c.get("io"), "redis");
    } finally {
      await c.quit();
    }
  }
});
