/**
 * ClusterClient against a real Redis Cluster: 3 masters and 3 replicas
 * (`redis-server --cluster-enabled yes`, joined by `redis-cli --cluster
 * create`), started once for the whole file and stopped at its end. The
 * steps run in order on the same cluster; the last two change it (a live
 * resharding, then a master killed with SIGKILL).
 *
 * Ignored when redis-server / redis-cli are not installed.
 */

import assert from "node:assert/strict";
import { bounded, waitFor } from "./support/wait.ts";
import { HAVE_REDIS_CLUSTER, redisCli, RedisCluster, type ShardView } from "../support/cluster.ts";
import {
  Client,
  ClusterClient,
  ClusterError,
  ConnectionError,
  keySlot,
  ReplyError,
} from "../client/mod.ts";
import { CommandTable } from "../client/cluster_commands.ts";
import { crc16 } from "../client/cluster_slot.ts";
import { runCli } from "../client/cli.ts";
import { main } from "../main.ts";
import { fromUtf8, utf8 } from "../resp/bytes.ts";
import type { Frame } from "../resp/frame.ts";

const IGNORE = HAVE_REDIS_CLUSTER ? undefined : "redis-server / redis-cli are not installed";
const dec = (f: Frame | ReplyError) => f instanceof Uint8Array ? fromUtf8(f) : String(f);
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** The error `work` rejects with (fails when it resolves). */
async function rejection(work: () => Promise<unknown>): Promise<unknown> {
  try {
    await work();
  } catch (e) {
    return e;
  }
  throw new assert.AssertionError({ message: "expected a rejection" });
}

/** The master port serving `slot` in a shard view. */
function ownerPort(shards: ShardView[], slot: number): number {
  for (const s of shards) {
    for (const [a, b] of s.slots) if (slot >= a && slot <= b) return s.master;
  }
  throw new Error(`no owner for slot ${slot}`);
}

/** A key (with the given prefix) whose slot is served by the master on `port`. */
function keyOn(shards: ShardView[], port: number, prefix: string): string {
  for (let i = 0;; i++) {
    const k = `${prefix}${i}`;
    if (ownerPort(shards, keySlot(k)) === port) return k;
  }
}

/** `calls` of a command in a node's INFO commandstats (0 when never called). */
async function calls(cluster: RedisCluster, port: number, command: string): Promise<number> {
  const text = await cluster.node(port).call("INFO", "commandstats");
  const m = new RegExp(`cmdstat_${command}:calls=(\\d+)`).exec(text);
  return m === null ? 0 : Number(m[1]);
}

Deno.test("keySlot follows the Redis Cluster specification's examples", () => {
  assert.equal(crc16(utf8("123456789")), 0x31c3);
  assert.equal(keySlot("foo"), 12182);
  assert.equal(keySlot("{user1000}.following"), keySlot("user1000"));
  assert.equal(keySlot("{user1000}.followers"), keySlot("user1000"));
  assert.equal(keySlot("foo{}{bar}"), crc16(utf8("foo{}{bar}")) % 16384);
  assert.equal(keySlot("foo{{bar}}zap"), keySlot("{bar"));
  assert.equal(keySlot("foo{bar}{zap}"), keySlot("bar"));
  assert.equal(keySlot(utf8("{user1000}x")), keySlot("user1000"));
  assert.equal(keySlot(42), keySlot("42"));
});

Deno.test({
  name: `ClusterClient against a real Redis Cluster${IGNORE ? ` (ignored: ${IGNORE})` : ""}`,
  ignore: IGNORE !== undefined,
  async fn(t) {
    await using cluster = await RedisCluster.start({ masters: 3, replicas: 1, nodeTimeout: 2_000 });
    const seeds = cluster.seeds;
    let shards = await cluster.shards();
    assert.equal(shards.length, 3);
    const options = {
      reconnect: { initialDelay: 20, maxDelay: 200, maxWait: 10_000 },
      retryDelay: 50,
    };

    await t.step("key slots match CLUSTER KEYSLOT (hash tags, UTF-8, binary)", async () => {
      await using c = await Client.connect(seeds[0]);
      const keys: (string | Uint8Array)[] = [
        "",
        "foo",
        "{}",
        "{a}",
        "a{b}c",
        "{{a}}",
        "}{a}",
        "é",
        "{é}x",
        "日本語",
        "emoji 😀",
        "lone \ud800 surrogate",
        new Uint8Array([0xff, 0x00, 0x7b, 0x41, 0x7d]),
        new Uint8Array([0xc3, 0x28]),
      ];
      let seed = 7;
      for (let i = 0; i < 300; i++) {
        let s = "";
        const n = (seed = (seed * 1103515245 + 12345) >>> 0) % 12;
        for (let j = 0; j < n; j++) {
          seed = (seed * 1103515245 + 12345) >>> 0;
          s += "ab{}c\u00e9\u4e2d"[seed % 7];
        }
        keys.push(s);
      }
      const replies = await Promise.all(keys.map((k) => c.send(["CLUSTER", "KEYSLOT", k])));
      keys.forEach((k, i) => assert.equal(keySlot(k), Number(replies[i]), `key ${String(k)}`));
    });

    await t.step("keys are found with the cluster's key specs (as COMMAND GETKEYS)", async () => {
      await using c = await Client.connect(seeds[0]);
      const table = CommandTable.parse(await c.send(["COMMAND"]));
      assert(table.size > 200);
      const lines: string[][] = [
        ["GET", "a"],
        ["set", "a", "1", "EX", "10"],
        ["MSET", "a", "1", "b", "2", "c", "3"],
        ["MGET", "a", "b", "c"],
        ["DEL", "a", "b"],
        ["EVAL", "return 1", "2", "k1", "k2", "arg"],
        ["FCALL", "f", "1", "k1", "a"],
        ["XREAD", "COUNT", "2", "STREAMS", "s1", "s2", "0", "0"],
        ["XREADGROUP", "GROUP", "g", "c", "STREAMS", "s1", ">"],
        ["ZUNIONSTORE", "dst", "2", "z1", "z2", "WEIGHTS", "1", "2"],
        ["ZINTER", "2", "z1", "z2"],
        ["LMPOP", "2", "l1", "l2", "LEFT"],
        ["BLMPOP", "0", "2", "l1", "l2", "LEFT"],
        ["GEORADIUS", "g", "0", "0", "10", "km", "STORE", "dst"],
        ["OBJECT", "ENCODING", "k"],
        ["XINFO", "STREAM", "s"],
        ["BITOP", "AND", "dst", "a", "b"],
        ["SINTERCARD", "2", "a", "b", "LIMIT", "1"],
        ["RENAME", "a", "b"],
        ["BLPOP", "a", "b", "0"],
        ["LMOVE", "a", "b", "LEFT", "RIGHT"],
        ["MEMORY", "USAGE", "k"],
      ];
      for (const args of lines) {
        const info = table.lookup(args);
        assert(info !== undefined, args.join(" "));
        const ours = table.keys(info, args).map((i) => args[i]);
        const theirs = (await c.send(["COMMAND", "GETKEYS", ...args]) as Frame[]).map(dec);
        assert.deepEqual(ours, theirs, args.join(" "));
      }
      // Keyless lines, and the channel of SPUBLISH (a "not_key" spec, used for routing).
      const noKeys = table.lookup(["EVAL", "return 1", "0", "arg"])!;
      assert.deepEqual(table.keys(noKeys, ["EVAL", "return 1", "0", "arg"]), []);
      const spublish = ["SPUBLISH", "ch", "m"];
      assert.deepEqual(table.keys(table.lookup(spublish)!, spublish), [1]);
      assert.equal(table.lookup(["NOSUCHCOMMAND"]), undefined);
    });

    await t.step("keys spread over all masters; 100 concurrent callers", async () => {
      await using c = await ClusterClient.connect(seeds[3], options);
      assert.equal(c.masters.length, 3);
      const before = await Promise.all(shards.map((s) => cluster.node(s.master).call("DBSIZE")));
      await Promise.all(Array.from({ length: 100 }, async (_, w) => {
        for (let i = 0; i < 30; i++) {
          assert.equal(await c.set(`spread:${w}:${i}`, `${w}.${i}`), "OK");
          await c.incr("spread:counter");
        }
      }));
      assert.equal(await c.get("spread:counter"), "3000", "no increment lost");
      const reads = await Promise.all(
        Array.from(
          { length: 100 },
          (_, w) => Promise.all(Array.from({ length: 30 }, (_, i) => c.get(`spread:${w}:${i}`))),
        ),
      );
      reads.forEach((row, w) => row.forEach((v, i) => assert.equal(v, `${w}.${i}`)));
      const after = await Promise.all(shards.map((s) => cluster.node(s.master).call("DBSIZE")));
      for (let i = 0; i < 3; i++) {
        assert(Number(after[i]) - Number(before[i]) > 500, `master ${i} got its share of keys`);
      }
      // Each key is on the master that serves its slot.
      for (const k of ["spread:0:0", "spread:42:7", "spread:99:29"]) {
        assert.equal(await cluster.node(ownerPort(shards, keySlot(k))).call("EXISTS", k), "1");
      }
    });

    await t.step(
      "CROSSSLOT before sending; transactions and pipelines pinned to a slot",
      async () => {
        await using c = await ClusterClient.connect(seeds, options);
        assert.notEqual(keySlot("a"), keySlot("b"));
        const mgetsBefore = await Promise.all(shards.map((s) => calls(cluster, s.master, "mget")));
        const e = await rejection(() => c.mget("a", "b"));
        assert(e instanceof ReplyError);
        assert.equal(e.message, "CROSSSLOT Keys in request don't hash to the same slot");
        await assert.rejects(() => c.mset({ a: "1", b: "2" }), /^ReplyError: CROSSSLOT/);
        await assert.rejects(() => c.send(["EVAL", "return 1", 2, "a", "b"]), /CROSSSLOT/);
        const mgetsAfter = await Promise.all(shards.map((s) => calls(cluster, s.master, "mget")));
        assert.deepEqual(mgetsAfter, mgetsBefore, "nothing was sent");
        // One hash tag, one slot.
        assert.equal(await c.mset({ "{u1}a": "1", "{u1}b": "2" }), "OK");
        assert.deepEqual(await c.mget("{u1}a", "{u1}b"), ["1", "2"]);

        const execsBefore = await calls(cluster, ownerPort(shards, keySlot("u1")), "exec");
        const results = await c.transaction([
          ["INCR", "{u1}a"],
          ["GET", "{u1}b"],
          ["LPUSH", "{u1}a", "x"],
        ]);
        assert.equal(results[0], 2);
        assert.equal(dec(results[1]), "2");
        assert(results[2] instanceof ReplyError, "WRONGTYPE inside EXEC is a value");
        assert.equal(
          await calls(cluster, ownerPort(shards, keySlot("u1")), "exec"),
          execsBefore + 1,
          "EXEC ran on the master of the slot",
        );
        await assert.rejects(
          () => c.transaction([["SET", "{u1}a", "1"], ["SET", "{u2}a", "1"]]),
          /CROSSSLOT/,
        );
        const aborted = await rejection(() => c.transaction([["SET", "{u1}a"], ["GET", "{u1}a"]]));
        assert(aborted instanceof ReplyError && aborted.code === "EXECABORT");
        assert(aborted.cause instanceof ReplyError);
        assert.match(aborted.cause.message, /wrong number of arguments/);

        const piped = await c.pipeline([["SET", "{p}x", "1"], ["INCR", "{p}x"], ["LPOP", "{p}x"]]);
        assert.equal(dec(piped[0]), "OK");
        assert.equal(piped[1], 2);
        assert(piped[2] instanceof ReplyError);
        await assert.rejects(() => c.pipeline([["GET", "a"], ["GET", "b"]]), /CROSSSLOT/);
        await assert.rejects(() => c.send(["MULTI"]), /TypeError: MULTI .*transaction/);
      },
    );

    await t.step("keyless commands follow Redis's request and response policies", async () => {
      await using c = await ClusterClient.connect(seeds, options);
      const sizes = await Promise.all(shards.map((s) => cluster.node(s.master).call("DBSIZE")));
      assert.equal(await c.dbsize(), sizes.reduce((n, s) => n + Number(s), 0));
      const keys = await c.keys("spread:1:*");
      assert.deepEqual(keys.sort(), Array.from({ length: 30 }, (_, i) => `spread:1:${i}`).sort());
      const scanned: string[] = [];
      for await (const k of c.scanIterator({ match: "spread:2:*" })) scanned.push(k);
      assert.deepEqual(
        scanned.sort(),
        Array.from({ length: 30 }, (_, i) => `spread:2:${i}`).sort(),
      );
      assert.equal(await c.ping(), "PONG");
    });

    await t.step("readFrom: replica sends read-only commands to replicas (READONLY)", async () => {
      await using c = await ClusterClient.connect(seeds, { ...options, readFrom: "replica" });
      const shard = shards[0];
      const key = keyOn(shards, shard.master, "replica-read:");
      assert.equal(await c.set(key, "v"), "OK");
      const replicaGets = await calls(cluster, shard.replicas[0], "get");
      const masterGets = await calls(cluster, shard.master, "get");
      // Replication is asynchronous: read until the replica has it.
      await waitFor(async () => (await c.get(key)) === "v", { what: "the replica to serve v" });
      assert(await calls(cluster, shard.replicas[0], "get") > replicaGets, "the replica served");
      assert.equal(await calls(cluster, shard.master, "get"), masterGets, "not the master");
      assert.equal(await c.set(key, "w"), "OK", "writes go to the master");
    });

    await t.step("pub/sub on any node; sharded pub/sub routed by channel slot", async () => {
      await using c = await ClusterClient.connect(seeds, options);
      await using sub = await c.subscribe("news");
      await using other = await Client.connect(seeds[5]);
      await other.publish("news", "hello"); // published on some node, heard on another
      const msg = await bounded(sub.recv(), "the message");
      assert.deepEqual([msg?.channel, msg?.payload], ["news", "hello"]);

      const channels = ["orders:1", "orders:2", "orders:3", "orders:4", "{orders:1}b"];
      const owners = new Set(channels.map((ch) => ownerPort(shards, keySlot(ch))));
      assert(owners.size >= 2, "channels on several shards");
      await using ssub = await c.ssubscribe(...channels);
      assert.equal(ssub.nodes.length, owners.size);
      for (const ch of channels) assert.equal(await c.spublish(ch, `to ${ch}`), 1);
      const got: string[] = [];
      for (let i = 0; i < channels.length; i++) {
        const m = await bounded(ssub.recv(), "a sharded message");
        assert.equal(m?.payload, `to ${m?.channel}`);
        got.push(m!.channel);
      }
      assert.deepEqual(got.sort(), [...channels].sort());
      await ssub.sunsubscribe("orders:1");
      assert.equal(await c.spublish("orders:1", "gone"), 0);
      assert.deepEqual(ssub.channels.sort(), channels.slice(1).sort());
    });

    await t.step("ASK during a migration, TRYAGAIN for split keys, MOVED after it", async () => {
      await using c = await ClusterClient.connect(seeds, { ...options, refreshInterval: 0 });
      const source = shards[1].master;
      const target = shards[2].master;
      const sourceId = await cluster.node(source).call("CLUSTER", "MYID");
      const targetId = await cluster.node(target).call("CLUSTER", "MYID");
      let tag = "";
      for (let i = 0;; i++) { // a slot of the source with no keys yet
        tag = `mig${i}`;
        const s = keySlot(tag);
        if (ownerPort(shards, s) !== source) continue;
        if (await cluster.node(source).call("CLUSTER", "COUNTKEYSINSLOT", String(s)) === "0") break;
      }
      const slot = keySlot(tag);
      await c.set(`{${tag}}old`, "on-source");
      await cluster.node(target).call("CLUSTER", "SETSLOT", String(slot), "IMPORTING", sourceId);
      await cluster.node(source).call("CLUSTER", "SETSLOT", String(slot), "MIGRATING", targetId);
      // A new key of the slot: the source answers ASK, the target takes it after ASKING.
      assert.equal(await c.set(`{${tag}}new`, "on-target"), "OK");
      assert.equal(
        await cluster.node(target).call("CLUSTER", "COUNTKEYSINSLOT", String(slot)),
        "1",
      );
      assert.equal(c.masterOf(slot), `127.0.0.1:${source}`, "ASK leaves the map as it is");
      assert.equal(await c.get(`{${tag}}old`), "on-source");
      assert.equal(await c.get(`{${tag}}new`), "on-target");
      // Both keys at once while they are split: TRYAGAIN until the migration ends.
      const tryagains = async () => {
        const text = await cluster.node(source).call("INFO", "errorstats");
        return Number(/errorstat_TRYAGAIN:count=(\d+)/.exec(text)?.[1] ?? 0);
      };
      const before = await tryagains();
      const mget = c.mget(`{${tag}}old`, `{${tag}}new`);
      await waitFor(async () => await tryagains() > before, { what: "a TRYAGAIN reply" });
      await cluster.node(source).call(
        "MIGRATE",
        "127.0.0.1",
        String(target),
        "",
        "0",
        "5000",
        "KEYS",
        `{${tag}}old`,
      );
      for (const port of [target, source, shards[0].master]) {
        await cluster.node(port).call("CLUSTER", "SETSLOT", String(slot), "NODE", targetId);
      }
      assert.deepEqual(await bounded(mget, "MGET after TRYAGAIN"), ["on-source", "on-target"]);
      // Wait until every node (replicas learn it over the cluster bus) says the slot is
      // the target's: a topology refresh from a node that has not heard yet could
      // otherwise put the old owner back after the MOVED below.
      await waitFor(async () => {
        for (const node of cluster.nodes) {
          const text = await node.call("CLUSTER", "NODES");
          const owner = text.split("\n").find((l) =>
            l.split(" ").slice(8).some((r) => {
              const [a, b] = r.split("-").map(Number);
              return a <= slot && slot <= (b ?? a);
            })
          );
          if (owner === undefined || !owner.startsWith(targetId)) return false;
        }
        return true;
      }, { what: "every node to see the slot on the target", intervalMs: 50 });
      // That MGET ended with an ASK or a MOVED; from now on the source answers MOVED,
      // and the map follows.
      assert.equal(await c.get(`{${tag}}old`), "on-source");
      assert.equal(c.masterOf(slot), `127.0.0.1:${target}`, "MOVED updated the map");
      shards = await cluster.shards();
    });

    await t.step("a redirection loop ends with a ClusterError", async () => {
      await using c = await ClusterClient.connect(seeds, { ...options, maxRedirections: 5 });
      const source = shards[0].master;
      const key = keyOn(shards, source, "loop:");
      const slot = String(keySlot(key));
      const targetId = await cluster.node(shards[1].master).call("CLUSTER", "MYID");
      // MIGRATING without IMPORTING on the other side: ASK there, MOVED back, forever.
      await cluster.node(source).call("CLUSTER", "SETSLOT", slot, "MIGRATING", targetId);
      try {
        const e = await rejection(() => c.set(key, "v"));
        assert(e instanceof ClusterError, String(e));
        assert.match(e.message, /^Too many Cluster redirections/);
        assert(e.cause instanceof ReplyError && ["ASK", "MOVED"].includes(e.cause.code));
      } finally {
        await cluster.node(source).call("CLUSTER", "SETSLOT", slot, "STABLE");
      }
      assert.equal(await c.set(key, "v"), "OK");
    });

    await t.step("CLI --cluster follows redirections (like redis-cli -c)", async () => {
      const port = shards[0].master;
      const key = keyOn(shards, shards[1].master, "cli:");
      const out: string[] = [];
      const sink = { write: (s: string) => void out.push(s) };
      const io = { stdout: sink, stderr: sink };
      assert.equal(await runCli("set", [key, "v"], { port, cluster: true }, io), 0);
      assert.equal(await runCli("get", [key], { port, cluster: true }, io), 0);
      assert.deepEqual(out, ["OK\n", '"v"\n']);
      out.length = 0;
      assert.equal(await runCli("get", [key], { port }, io), 1);
      assert.match(out[0], /^\(error\) MOVED \d+ 127\.0\.0\.1:\d+\n$/);
      out.length = 0;
      assert.equal(await runCli("del", ["a", "b"], { port, cluster: true }, io), 1);
      assert.deepEqual(out, ["(error) CROSSSLOT Keys in request don't hash to the same slot\n"]);
      assert.equal(await main(["del", key, "--port", String(port), "--cluster"]), 0);
      assert.equal(await main(["get", key, "--port", String(port)]), 1, "MOVED without -c");
    });

    await t.step("a node that never answers: connect and command timeouts", async () => {
      const silent = Deno.listen({ hostname: "127.0.0.1", port: 0 });
      const held: Deno.Conn[] = [];
      const accepting = (async () => {
        for await (const conn of silent) held.push(conn);
      })();
      const silentSeed = `127.0.0.1:${(silent.addr as Deno.NetAddr).port}`;
      try {
        await assert.rejects(
          () => ClusterClient.connect([silentSeed], { connectTimeout: 300 }),
          ConnectionError,
        );
        await using c = await ClusterClient.connect([silentSeed, seeds[0]], {
          ...options,
          connectTimeout: 300,
        });
        const key = keyOn(shards, shards[2].master, "frozen:");
        await c.set(key, "1");
        const node = cluster.node(shards[2].master);
        node.pause(); // SIGSTOP, for less than the failover timeout
        try {
          const e = await bounded(rejection(() => c.get(key, { timeout: 200 })), "a timeout");
          assert.equal((e as DOMException).name, "TimeoutError");
        } finally {
          node.resume();
        }
        assert.equal(await c.get(key), "1", "the connection stays in step");
      } finally {
        silent.close();
        for (const conn of held) conn.close();
        await accepting.catch(() => {});
      }
    });

    await t.step("live resharding: 1,000 slots move while callers write and read", async () => {
      await cluster.waitHealthy();
      shards = await cluster.shards();
      const from = shards[0].master;
      const to = shards[1].master;
      const fromId = await cluster.node(from).call("CLUSTER", "MYID");
      const toId = await cluster.node(to).call("CLUSTER", "MYID");
      // redis-cli moves the source's lowest slots: half the traffic goes to them.
      const first = shards[0].slots[0][0];
      const tags: string[] = [];
      for (let i = 0; tags.length < 50; i++) {
        const s = keySlot(`t${i}`);
        if (s >= first && s < first + 1000) tags.push(`t${i}`);
      }
      const channel = `{${tags[0]}}events`;
      await using c = await ClusterClient.connect(seeds, options);
      await using idle = await ClusterClient.connect(seeds, { ...options, refreshInterval: 200 });
      await using ssub = await c.ssubscribe(channel);
      const acked = new Map<string, string>();
      const errors: unknown[] = [];
      let stop = false;
      let ops = 0;
      const callers = Array.from({ length: 20 }, async (_, w) => {
        for (let i = 0; !stop; i++) {
          const tag = tags[(w + i) % tags.length];
          const key = i % 2 === 0 ? `{${tag}}w${w}:${i}` : `w${w}:${i}`;
          try {
            await c.set(key, `${i}`);
            acked.set(key, `${i}`);
            const read = await c.get(key);
            if (read !== `${i}`) errors.push(`${key}: read ${read}, wrote ${i}`);
            if (i % 10 === 0) {
              await c.mset({ [`{${tag}}m${w}`]: `${i}`, [`{${tag}}n${w}`]: `${i}` });
              acked.set(`{${tag}}m${w}`, `${i}`);
              acked.set(`{${tag}}n${w}`, `${i}`);
            }
            ops++;
          } catch (e) {
            errors.push(e);
          }
        }
      });
      try {
        await waitFor(() => ops > 200, { what: "callers running" });
        const r = await redisCli([
          "--cluster",
          "reshard",
          `127.0.0.1:${from}`,
          "--cluster-from",
          fromId,
          "--cluster-to",
          toId,
          "--cluster-slots",
          "1000",
          "--cluster-yes",
        ], 60_000);
        assert.equal(r.code, 0, r.stdout + r.stderr);
        const opsAtEnd = ops;
        await waitFor(() => ops > opsAtEnd + 200, { what: "callers running after resharding" });
      } finally {
        stop = true;
        await bounded(Promise.all(callers), "callers to stop");
      }
      assert.deepEqual(errors.map(String), [], "no caller saw an error");
      for (const [k, v] of acked) assert.equal(await c.get(k), v, `acknowledged ${k}`);
      // The slots moved; the client's map followed (MOVED), as did an idle client's (refresh).
      shards = await cluster.shards();
      assert.equal(ownerPort(shards, first), to);
      assert.equal(c.masterOf(first), `127.0.0.1:${to}`);
      await waitFor(() => idle.masterOf(first) === `127.0.0.1:${to}`, { what: "periodic refresh" });
      // The sharded subscription followed its channel's slot.
      await waitFor(async () => (await c.spublish(channel, "after")) === 1, {
        what: "the sharded subscription on the new node",
        intervalMs: 50,
      });
      let m = await bounded(ssub.recv(), "a message after resharding");
      while (m?.payload !== "after") m = await bounded(ssub.recv(), "a message after resharding");
      assert.equal(m.channel, channel);
      assert.deepEqual(ssub.nodes, [`127.0.0.1:${to}`]);
    });

    await t.step(
      "failover: a master killed with SIGKILL; the client recovers by itself",
      async () => {
        shards = await cluster.shards();
        const victim = shards[2];
        const heir = victim.replicas[0];
        // Enough retries to outlast the failover (CLUSTERDOWN until the replica is promoted).
        await using c = await ClusterClient.connect(seeds, { ...options, maxRedirections: 60 });
        const victimKey = keyOn(shards, victim.master, "fo:");
        const slot = keySlot(victimKey);
        await c.set(victimKey, "before");
        const outcomes: { caller: number; error?: unknown }[] = [];
        let stop = false;
        const callers = Array.from({ length: 20 }, async (_, w) => {
          for (let i = 0; !stop; i++) {
            const key = w % 2 === 0
              ? keyOn(shards, victim.master, `fo:${w}:${i}:`)
              : `fo:${w}:${i}`;
            try {
              // A hang fails the test (bounded); anything else is recorded.
              await bounded(c.set(key, "v"), `SET ${key}`, 30_000);
              outcomes.push({ caller: w });
            } catch (e) {
              if (e instanceof Error && e.message.includes("no progress")) throw e;
              outcomes.push({ caller: w, error: e });
              await sleep(20);
            }
          }
        });
        let killedAt = 0;
        try {
          await waitFor(() => outcomes.length > 100, { what: "callers running" });
          await cluster.node(victim.master).kill();
          killedAt = outcomes.length;
          // The replica is promoted; the client finds it without being told.
          await waitFor(async () => {
            await c.set(victimKey, "after");
            return c.masterOf(slot) === `127.0.0.1:${heir}`;
          }, { what: "recovery after the failover", timeoutMs: 30_000, intervalMs: 100 });
          const recoveredAt = outcomes.length;
          await waitFor(() => outcomes.length > recoveredAt + 200, {
            what: "callers after recovery",
          });
        } finally {
          stop = true;
          await bounded(Promise.all(callers), "callers to stop");
        }
        // Only commands already written to the dead master fail ("Connection lost", never
        // resent): at most one per caller. Everything sent later waited, or was routed
        // again to the promoted replica, and succeeded.
        const failures = outcomes.slice(killedAt).filter((o) => o.error !== undefined);
        for (const o of failures) {
          assert(o.error instanceof ConnectionError, `a clear error: ${o.error}`);
          assert.match(o.error.message, /^Connection lost/);
        }
        const perCaller = new Map<number, number>();
        for (const o of failures) perCaller.set(o.caller, (perCaller.get(o.caller) ?? 0) + 1);
        assert([...perCaller.values()].every((n) => n === 1), "at most one failure per caller");
        assert.equal(await c.get(victimKey), "after");
      },
    );
  },
});
