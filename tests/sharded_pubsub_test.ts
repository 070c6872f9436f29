/**
 * Sharded pub/sub (SSUBSCRIBE, SUNSUBSCRIBE, SPUBLISH, PUBSUB SHARDCHANNELS
 * and SHARDNUMSUB) against a real redis-server 7.0: the same scenario runs
 * on both servers and the raw bytes every connection receives must be
 * identical, in RESP2 and RESP3, with several clients, in plain mode and
 * in the one-node cluster mode (`--cluster-enabled yes`, compared with a
 * redis-server cluster node owning every slot). Client ids are normalised;
 * replies Redis orders by its hash tables (SUNSUBSCRIBE without arguments,
 * SHARDCHANNELS) are compared as multisets. Ignored when redis-server is
 * not installed.
 */
import assert from "node:assert/strict";
import {
  type Arg,
  cmd,
  HAVE_REDIS,
  parseReply,
  PEERS,
  RawClient,
  startPeer,
  startTestServer,
  waitFor,
} from "./helpers.ts";
import { ClusterNode, HAVE_REDIS_CLUSTER } from "../support/cluster.ts";
import { PubSub } from "../server/pubsub.ts";
import { utf8 } from "../resp/bytes.ts";
import { compareWithRedis } from "./support/redis_compare.ts";

const SKIP = HAVE_REDIS ? "" : " (ignored: redis-server is not installed)";
const SKIP_CLUSTER = HAVE_REDIS_CLUSTER
  ? ""
  : " (ignored: redis-server / redis-cli are not installed)";

/** Client ids differ between servers; nothing else may. */
function normalise(reply: string): string {
  return reply.replace(/\$2\r\nid\r\n:\d+\r\n/g, "$2\r\nid\r\n:ID\r\n");
}

/**
 * Frames whose order Redis leaves to its hash tables: the confirmations of
 * an UNSUBSCRIBE-all as their kinds and counts in order plus the names as
 * a sorted list; an array reply as its sorted elements.
 */
function orderless(frames: string[]): string {
  if (frames.length === 1) {
    const reply = parseReply(frames[0]);
    assert.ok(Array.isArray(reply), `an array reply: ${JSON.stringify(frames[0])}`);
    return `${frames[0].slice(0, 1)} ${JSON.stringify([...reply].map(String).sort())}`;
  }
  const parsed = frames.map((f) => parseReply(f) as unknown[]);
  const shape = parsed.map(([kind, , count], i) => `${frames[i].slice(0, 2)} ${kind} ${count}`);
  const names = parsed.map(([, name]) => String(name)).sort();
  return JSON.stringify({ shape, names });
}

type Scenario = (port: number) => Promise<string[]>;

/** Runs `scenario` on redis-server and on our server; every step's bytes must match. */
async function compare(name: string, scenario: Scenario): Promise<void> {
  const results: string[][] = [];
  for (const kind of PEERS) {
    await using peer = await startPeer(kind);
    results.push((await scenario(peer.port)).map(normalise));
  }
  assertSame(name, results[0], results[1]);
}

function assertSame(name: string, theirs: string[], ours: string[]): void {
  for (let i = 0; i < Math.max(theirs.length, ours.length); i++) {
    assert.equal(ours[i], theirs[i], `${name}: step ${i}`);
  }
  assert.ok(theirs.length > 0, `${name}: the scenario observed something`);
}

/**
 * One step: which connection sends, the command, how many frames it
 * causes on that connection, and whether their order is Redis's hash order.
 */
type Step = [who: number, args: Arg[], frames?: number, orderless?: "orderless"];

/** Connections 0..n-1; each step's frames as one string (or its orderless form). */
function steps(connections: number, script: Step[]): Scenario {
  return async (port) => {
    const conns: RawClient[] = [];
    try {
      for (let i = 0; i < connections; i++) conns.push(await RawClient.connect(port));
      const out: string[] = [];
      for (const [who, args, n = 1, mode] of script) {
        const c = conns[who];
        if (args.length !== 0) await c.send(cmd(...args));
        const frames = await c.readStrings(n);
        out.push(mode === "orderless" ? orderless(frames) : frames.join(""));
      }
      return out;
    } finally {
      for (const c of conns) c.close();
    }
  };
}

/** Reads `n` more frames on connection `who` (messages published by another one). */
function read(who: number, n = 1): Step {
  return [who, [], n];
}

Deno.test({
  name: `sharded pub/sub in RESP2: confirmations, subscribed mode, smessage, errors${SKIP}`,
  ignore: !HAVE_REDIS,
  fn: () =>
    compare(
      "resp2",
      steps(2, [
        [0, ["SUNSUBSCRIBE"]],
        [0, ["SUNSUBSCRIBE", "x", "y"], 2],
        [0, ["SSUBSCRIBE", "a", "b", "a"], 3],
        [0, ["GET", "k"]],
        [0, ["SET", "k", "v"]],
        [0, ["PING"]],
        [0, ["PING", "hi"]],
        [0, ["SPUBLISH", "a", "x"]],
        [0, ["PUBSUB", "SHARDNUMSUB", "a"]],
        [0, ["SSUBSCRIBE"]],
        [0, ["SUBSCRIBE", "c"]],
        [0, ["PSUBSCRIBE", "p*"]],
        [0, ["SSUBSCRIBE", "d"]],
        [1, ["SPUBLISH", "a", "hi"]],
        read(0),
        [1, ["SPUBLISH", "c", "not a shard channel"]],
        [1, ["PUBLISH", "a", "not a channel"]],
        [1, ["SPUBLISH", "pz", "patterns do not match shard channels"]],
        [1, ["PUBLISH", "c", "plain"]],
        read(0),
        [1, ["PUBSUB", "SHARDNUMSUB", "a", "b", "c", "zz"]],
        [1, ["PUBSUB", "SHARDNUMSUB"]],
        [1, ["PUBSUB", "SHARDCHANNELS"], 1, "orderless"],
        [1, ["PUBSUB", "SHARDCHANNELS", "[ab]"], 1, "orderless"],
        [1, ["PUBSUB", "SHARDCHANNELS", "d*"]],
        [1, ["PUBSUB", "SHARDCHANNELS", "a", "b"]],
        [1, ["PUBSUB", "NUMSUB", "a", "c"]],
        [1, ["PUBSUB", "CHANNELS"]],
        [0, ["UNSUBSCRIBE"]],
        [0, ["PUNSUBSCRIBE"]],
        [0, ["UNSUBSCRIBE"]],
        [0, ["GET", "k"]],
        [0, ["SUNSUBSCRIBE", "a", "nope"], 2],
        [0, ["SUNSUBSCRIBE"], 2, "orderless"],
        [0, ["GET", "k"]],
        [0, ["SUNSUBSCRIBE"]],
        [0, ["SPUBLISH", "a"]],
        [0, ["SPUBLISH", "a", "b", "c"]],
        [0, ["MULTI"]],
        [0, ["SPUBLISH", "a", "x"]],
        [0, ["EXEC"]],
        [0, ["SSUBSCRIBE", "e"]],
        [0, ["QUIT"]],
        [1, ["PUBSUB", "SHARDNUMSUB", "e"]],
      ]),
    ),
});

Deno.test({
  name: `sharded pub/sub in RESP3: pushes, commands while subscribed, protocol switches${SKIP}`,
  ignore: !HAVE_REDIS,
  fn: () =>
    compare(
      "resp3",
      steps(2, [
        [0, ["HELLO", "3"]],
        [0, ["SUNSUBSCRIBE"]],
        [0, ["SSUBSCRIBE", "a", "b"], 2],
        [0, ["GET", "k"]],
        [0, ["PING"]],
        [0, ["SPUBLISH", "a", "own"], 2],
        [1, ["SPUBLISH", "b", "other"]],
        read(0),
        [0, ["SUBSCRIBE", "a"]],
        [1, ["PUBLISH", "a", "plain"]],
        read(0),
        [1, ["SPUBLISH", "a", "sharded"]],
        read(0),
        [0, ["UNSUBSCRIBE"]],
        [0, ["SUNSUBSCRIBE", "b"]],
        [0, ["HELLO", "2"]],
        [0, ["GET", "k"]],
        [1, ["SPUBLISH", "a", "now in RESP2"]],
        read(0),
        [0, ["RESET"]],
        [0, ["GET", "k"]],
        [1, ["PUBSUB", "SHARDNUMSUB", "a", "b"]],
        [1, ["SPUBLISH", "a", "nobody"]],
        [0, ["HELLO", "3"]],
        [0, ["SSUBSCRIBE", "bin\x00ary"]],
        [1, ["SPUBLISH", "bin\x00ary", "\r\n"]],
        [1, ["SPUBLISH", "bin\x00ary", ""]],
        read(0, 2),
        [0, ["SUNSUBSCRIBE"]],
      ]),
    ),
});

/** The `ssub=`, `sub=`, `psub=` and `flags=` fields of CLIENT LIST, sorted by line. */
function clientListFields(reply: string): string[] {
  return (parseReply(reply) as string).trim().split("\n").map((line) =>
    line.split(" ").filter((f) => /^(ssub|sub|psub|flags|cmd|resp)=/.test(f)).join(" ")
  ).sort();
}

/** The `pubsub*` lines of INFO stats. */
function infoPubsub(reply: string): string[] {
  return (parseReply(reply) as string).split("\r\n").filter((l) => l.startsWith("pubsub"));
}

Deno.test({
  name:
    `sharded pub/sub across clients: fan-out, counts, INFO, CLIENT LIST, RESET, disconnect${SKIP}`,
  ignore: !HAVE_REDIS,
  fn: () =>
    compare("fanout", async (port) => {
      await using s1 = await RawClient.connect(port); // RESP2, shard channels
      await using s2 = await RawClient.connect(port); // RESP3, everything
      await using s3 = await RawClient.connect(port); // RESP2, a plain channel only
      await using p = await RawClient.connect(port);
      const out: string[] = [];
      const sub = async (c: RawClient, args: Arg[], n: number) => {
        await c.send(cmd(...args));
        out.push((await c.readStrings(n)).join(""));
      };
      await sub(s1, ["SSUBSCRIBE", "news", "sport"], 2);
      out.push(normalise(await s2.call("HELLO", "3")));
      await sub(s2, ["SSUBSCRIBE", "news"], 1);
      await sub(s2, ["SUBSCRIBE", "news"], 1);
      await sub(s2, ["PSUBSCRIBE", "*"], 1);
      await sub(s3, ["SUBSCRIBE", "news"], 1);
      out.push(await p.call("SPUBLISH", "news", "to shard subscribers"));
      out.push(await p.call("PUBLISH", "news", "to channel and pattern subscribers"));
      out.push(await p.call("SPUBLISH", "sport", "to s1"));
      out.push(await p.call("SPUBLISH", "weather", "to nobody"));
      out.push(...await s1.readStrings(2));
      out.push(...await s2.readStrings(3));
      out.push(...await s3.readStrings(1));
      out.push(await p.call("PUBSUB", "SHARDNUMSUB", "news", "sport", "weather"));
      out.push(await p.call("PUBSUB", "NUMSUB", "news", "sport"));
      out.push(orderless([await p.call("PUBSUB", "SHARDCHANNELS")]));
      out.push(await p.call("PUBSUB", "NUMPAT"));
      out.push(...infoPubsub(await p.call("INFO", "stats")));
      out.push(...clientListFields(await p.call("CLIENT", "LIST")));
      out.push(...clientListFields(await p.call("CLIENT", "LIST", "TYPE", "pubsub")));
      // RESET drops the shard subscriptions without confirmations
      out.push(await s1.call("RESET"));
      out.push(await p.call("PUBSUB", "SHARDNUMSUB", "news", "sport"));
      out.push(await p.call("SPUBLISH", "sport", "after RESET"));
      out.push(await s1.call("PING"));
      // a disconnected client's shard subscriptions go with it
      s2.close();
      await waitFor(
        async () => (await p.call("PUBSUB", "SHARDNUMSUB", "news")).endsWith(":0\r\n"),
        { what: "the closed subscriber's shard channel to go" },
      );
      out.push(await p.call("SPUBLISH", "news", "after disconnect"));
      out.push(await p.call("PUBLISH", "news", "s3 still listens"));
      out.push(...await s3.readStrings(1));
      out.push(await p.call("PUBSUB", "SHARDCHANNELS"));
      out.push(...infoPubsub(await p.call("INFO", "stats")));
      return out;
    }),
});

Deno.test({
  name: `keyspace notifications never reach shard subscribers${SKIP}`,
  ignore: !HAVE_REDIS,
  fn: () =>
    compare("notifications", async (port) => {
      await using c = await RawClient.connect(port);
      await using s = await RawClient.connect(port);
      const out: string[] = [];
      out.push(await c.call("CONFIG", "SET", "notify-keyspace-events", "KEA"));
      await s.send(cmd("SSUBSCRIBE", "__keyevent@0__:set"));
      out.push(...await s.readStrings(1));
      await s.send(cmd("SUBSCRIBE", "__keyspace@0__:k"));
      out.push(...await s.readStrings(1));
      out.push(await c.call("SET", "k", "v"));
      out.push(await c.call("DEL", "k"));
      out.push(await c.call("SPUBLISH", "__keyevent@0__:set", "marker"));
      // the keyspace events arrive as plain messages, the marker as the only smessage
      out.push(...await s.readStrings(3));
      out.push(await s.call("PING"));
      return out;
    }),
});

Deno.test("hub: shard channels are their own namespace", () => {
  using hub = new PubSub();
  const fakeClient = {
    protocol: 2,
    handle: { push() {}, pushRaw() {}, flushPushes() {}, kill() {}, lagged() {} },
  };
  // deno-lint-ignore no-explicit-any
  const sub = hub.subscriber(fakeClient as any);
  assert.equal(sub.ssubscribe(utf8("a")), 1);
  assert.equal(sub.subscribe(utf8("b")), 1);
  assert.equal(sub.ssubscribe(utf8("c")), 2);
  assert.equal(sub.psubscribe(utf8("*")), 2);
  assert.equal(sub.count, 4);
  assert.equal(hub.shardChannelCount, 2);
  assert.equal(hub.spublish(utf8("a"), utf8("x")), 1);
  assert.equal(hub.spublish(utf8("b"), utf8("x")), 0);
  assert.equal(hub.publish(utf8("a"), utf8("x")), 1); // the pattern only
  assert.equal(hub.shardNumsub(utf8("a")), 1);
  assert.equal(hub.numsub(utf8("a")), 0);
  assert.equal(sub.sunsubscribe(utf8("a")), 1);
  assert.equal(sub.sunsubscribe(utf8("a")), 1);
  sub.close(false);
  assert.equal(hub.shardChannelCount, 0);
  assert.equal(hub.spublish(utf8("c"), utf8("x")), 0);
  assert.equal(hub.active, false);
});

/** A real redis-server that is a one-node cluster owning every slot. */
async function startRedisNode(): Promise<ClusterNode> {
  const node = await ClusterNode.start(2_000);
  try {
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

// "a" and "b" hash to different slots; "{a}x", "{a}y" and "a" to the same one.
const CLUSTER_SCRIPT: Step[] = [
  [0, ["SSUBSCRIBE", "a", "b"]],
  [0, ["SSUBSCRIBE", "{a}x", "{a}y", "a"], 3],
  [0, ["SSUBSCRIBE", "b"]],
  [0, ["SUNSUBSCRIBE", "a", "b"]],
  [0, ["SUNSUBSCRIBE", "{a}x", "a"], 2],
  [0, ["GET", "k"]],
  [0, ["PING"]],
  [1, ["SPUBLISH", "b", "m"]],
  [1, ["SPUBLISH", "{a}y", "n"]],
  read(0, 2),
  [1, ["SPUBLISH", "a", "nobody"]],
  [1, ["PUBSUB", "SHARDNUMSUB", "a", "b", "{a}y"]],
  [1, ["PUBSUB", "SHARDCHANNELS"], 1, "orderless"],
  [1, ["MULTI"]],
  [1, ["SPUBLISH", "a", "x"]],
  [1, ["SPUBLISH", "b", "x"]],
  [1, ["EXEC"]],
  [1, ["MULTI"]],
  [1, ["SPUBLISH", "a", "x"]],
  [1, ["GET", "a"]],
  [1, ["EXEC"]],
  [0, ["SUNSUBSCRIBE"], 2, "orderless"],
  [0, ["GET", "k"]],
  [0, ["HELLO", "3"]],
  [0, ["SSUBSCRIBE", "a", "b"]],
  [0, ["SSUBSCRIBE", "a"]],
  [0, ["GET", "a"]],
  [1, ["SPUBLISH", "a", "z"]],
  read(0),
  [0, ["SUNSUBSCRIBE", "a", "b"]],
  [0, ["SUNSUBSCRIBE"]],
  [1, ["PUBLISH", "a", "b"]],
];

Deno.test({
  name:
    `sharded pub/sub in cluster mode: CROSSSLOT per command, as a redis-server cluster node${SKIP_CLUSTER}`,
  ignore: !HAVE_REDIS_CLUSTER,
  fn: async () => {
    const scenario = steps(2, CLUSTER_SCRIPT);
    let theirs: string[];
    const node = await startRedisNode();
    try {
      theirs = (await scenario(node.port)).map(normalise);
    } finally {
      await node.close();
    }
    await using ours = await startTestServer({ clusterEnabled: true });
    assertSame("cluster", theirs, (await scenario(ours.port)).map(normalise));
    assert.match(theirs[0], /^-CROSSSLOT /);
  },
});

Deno.test("SSUBSCRIBE inside MULTI is refused at EXEC, as Redis 7.0.15 (DENY BLOCKING)", () =>
  compareWithRedis({
    "ssubscribe in exec": [
      "MULTI",
      "SSUBSCRIBE a",
      "SUBSCRIBE b",
      "EXEC",
      "SPUBLISH a x",
      "UNSUBSCRIBE",
      "PING",
    ],
  }));
