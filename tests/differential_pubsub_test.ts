/**
 * Differential tests for issue 5: pub/sub, RESP3, AUTH, CLIENT, CONFIG and
 * keyspace notifications. The same scenario runs against a real
 * `redis-server` (7.0) and against our server; the raw bytes each
 * connection receives must be identical (client ids and times are the only
 * values normalised). Ignored when `redis-server` is not installed.
 */
import assert from "node:assert/strict";
import {
  type Arg,
  cmd,
  HAVE_REDIS,
  latin1,
  parseReply,
  PEERS,
  RawClient,
  startPeer,
} from "./helpers.ts";

const SKIP = HAVE_REDIS ? "" : " (ignored: redis-server is not installed)";

/** Client ids and clocks differ between servers; nothing else may. */
function normalise(reply: string): string {
  return reply.replace(/\$2\r\nid\r\n:\d+\r\n/g, "$2\r\nid\r\n:ID\r\n");
}

type Scenario = (port: number) => Promise<string[]>;

async function compare(name: string, scenario: Scenario, options: { requirepass?: string } = {}) {
  const results: string[][] = [];
  for (const kind of PEERS) {
    await using peer = await startPeer(kind, options);
    results.push((await scenario(peer.port)).map(normalise));
  }
  const [theirs, ours] = results;
  for (let i = 0; i < Math.max(theirs.length, ours.length); i++) {
    assert.equal(ours[i], theirs[i], `${name}: step ${i}`);
  }
}

/** One connection: each command's raw reply (all frames it caused, read with `counts`). */
function sequence(steps: (Arg[] | [Arg[], number])[]): Scenario {
  return async (port) => {
    await using c = await RawClient.connect(port);
    const out: string[] = [];
    for (const step of steps) {
      const [args, n] = Array.isArray(step[0]) ? step as [Arg[], number] : [step as Arg[], 1];
      await c.send(cmd(...args));
      out.push((await c.readStrings(n)).join(""));
    }
    return out;
  };
}

Deno.test({
  name: `pub/sub in RESP2: confirmations, subscribed mode, errors${SKIP}`,
  ignore: !HAVE_REDIS,
  fn: () =>
    compare(
      "resp2",
      sequence([
        ["UNSUBSCRIBE"],
        ["PUNSUBSCRIBE"],
        ["UNSUBSCRIBE", "x", "y"],
        [["SUBSCRIBE", "a", "b", "a"], 3],
        ["GET", "k"],
        ["CONFIG", "GET", "save"],
        ["CLIENT", "ID"],
        ["HELLO", "3"],
        ["PING"],
        ["PING", "x"],
        ["PING", "x", "y"],
        ["NOSUCH"],
        ["SUBSCRIBE"],
        [["PSUBSCRIBE", "p*", "q?", "[ab]"], 3],
        ["PUBLISH", "a", "x"],
        ["UNSUBSCRIBE", "a"],
        ["UNSUBSCRIBE", "b"],
        ["UNSUBSCRIBE"],
        [["PUNSUBSCRIBE", "q?", "zz"], 2],
        ["PUNSUBSCRIBE", "p*"],
        ["PUNSUBSCRIBE", "[ab]"],
        ["PUNSUBSCRIBE"],
        ["GET", "k"],
        ["PUBSUB", "NUMPAT"],
        ["PUBSUB", "NUMSUB", "a", "b"],
        ["PUBSUB", "CHANNELS"],
        ["PUBSUB", "CHANNELS", "a", "b"],
        ["PUBSUB", "SHARDCHANNELS"],
        ["PUBSUB", "SHARDNUMSUB", "a"],
        ["PUBSUB", "HELP"],
        ["PUBSUB", "NOPE"],
        ["PUBSUB"],
        ["PUBLISH", "a"],
        ["PUBLISH", "nobody", "x"],
        [["SUBSCRIBE", "c"], 1],
        ["RESET"],
        ["GET", "k"],
      ]),
    ),
});

Deno.test({
  name: `pub/sub in RESP3: pushes, commands while subscribed, own messages first${SKIP}`,
  ignore: !HAVE_REDIS,
  fn: () =>
    compare(
      "resp3",
      sequence([
        ["HELLO", "3"],
        [["SUBSCRIBE", "a"], 1],
        [["PUBLISH", "a", "x"], 2],
        ["GET", "nokey"],
        ["PING"],
        [["PSUBSCRIBE", "a*"], 1],
        [["PUBLISH", "a", "y"], 3],
        ["UNSUBSCRIBE"],
        ["PUNSUBSCRIBE"],
        ["UNSUBSCRIBE"],
        [["SUBSCRIBE", "b"], 1],
        ["HELLO", "2"],
        ["GET", "k"],
        ["PING"],
        ["RESET"],
        ["SET", "k", "v"],
        ["HELLO", "3"],
        ["CONFIG", "GET", "save"],
        ["CONFIG", "GET", "nosuch"],
        ["MGET", "k", "nokey"],
        ["INCRBYFLOAT", "f", "2.5"],
        ["EXISTS", "k"],
        ["TTL", "k"],
        ["TYPE", "k"],
        ["INFO", "nosuch"],
        ["CLIENT", "GETNAME"],
        ["CLIENT", "LIST", "ID", "999999"],
        ["COMMAND", "INFO", "get", "publish", "client|id"],
        ["HELLO", "2"],
        ["COMMAND", "INFO", "get", "publish", "echo", "setrange", "subscribe"],
      ]),
    ),
});

Deno.test({
  name: `pub/sub across connections: messages, patterns, counts${SKIP}`,
  ignore: !HAVE_REDIS,
  fn: () =>
    compare("fanout", async (port) => {
      await using s1 = await RawClient.connect(port);
      await using s2 = await RawClient.connect(port);
      await using p = await RawClient.connect(port);
      const out: string[] = [];
      await s1.send(cmd("SUBSCRIBE", "news", "bin\x00ary"));
      out.push(...await s1.readStrings(2));
      await s2.call("HELLO", "3");
      await s2.send(cmd("PSUBSCRIBE", "n*"));
      out.push(...await s2.readStrings(1));
      for (
        const [ch, msg] of [["news", "hello"], ["bin\x00ary", "\r\n"], ["nope", "x"], ["news", ""]]
      ) {
        out.push(await p.call("PUBLISH", ch, msg));
      }
      out.push(...await s1.readStrings(3));
      out.push(...await s2.readStrings(3));
      out.push(await p.call("PUBSUB", "NUMSUB", "news", "nope"));
      out.push(await p.call("PUBSUB", "NUMPAT"));
      out.push(await p.call("PUBSUB", "CHANNELS", "n*"));
      return out;
    }),
});

Deno.test({
  name: `HELLO, AUTH without a password, CLIENT, TIME/ECHO errors${SKIP}`,
  ignore: !HAVE_REDIS,
  fn: () =>
    compare(
      "connection",
      sequence([
        ["HELLO"],
        ["HELLO", "4"],
        ["HELLO", "1"],
        ["HELLO", "x"],
        ["HELLO", "3", "FOO"],
        ["HELLO", "3", "AUTH", "default"],
        ["HELLO", "3", "SETNAME", "a b"],
        ["HELLO", "2", "AUTH", "default", "x", "SETNAME", "me"],
        ["HELLO", "2", "AUTH", "alice", "x"],
        ["CLIENT", "GETNAME"],
        ["AUTH", "x"],
        ["AUTH", "default", "x"],
        ["AUTH", "alice", "x"],
        ["AUTH", "a", "b", "c"],
        ["CLIENT", "SETNAME", "a b"],
        ["CLIENT", "SETNAME", "h\u00e9"],
        ["CLIENT", "SETNAME"],
        ["CLIENT", "SETNAME", ""],
        ["CLIENT", "GETNAME"],
        ["CLIENT", "FOO"],
        ["CLIENT"],
        ["CLIENT", "ID", "x"],
        ["CLIENT", "NO-EVICT", "on"],
        ["CLIENT", "NO-EVICT", "x"],
        ["CLIENT", "REPLY", "x"],
        ["CLIENT", "KILL", "1.2.3.4:5"],
        ["CLIENT", "KILL", "ID", "99999"],
        ["CLIENT", "KILL", "ADDR", "1.2.3.4:5"],
        ["CLIENT", "KILL", "foo"],
        ["CLIENT", "KILL", "ID", "x"],
        ["CLIENT", "KILL", "ID", "0"],
        ["CLIENT", "KILL", "ID", "5", "ADDR", "x"],
        ["CLIENT", "KILL", "SKIPME", "yes"],
        ["CLIENT", "KILL", "SKIPME", "maybe"],
        ["CLIENT", "KILL", "USER", "x"],
        ["CLIENT", "KILL", "TYPE", "pubsub"],
        ["CLIENT", "KILL", "TYPE", "bogus"],
        ["CLIENT", "KILL", "LADDR", "x"],
        ["CLIENT", "KILL", "MAXAGE", "5"],
        ["CLIENT", "LIST", "TYPE", "pubsub"],
        ["CLIENT", "LIST", "TYPE", "bogus"],
        ["CLIENT", "LIST", "ID", "99999"],
        ["CLIENT", "LIST", "ID", "x"],
        ["CLIENT", "LIST", "foo"],
        ["ECHO"],
        ["ECHO", "a\x00b"],
        ["TIME", "x"],
        ["RESET", "x"],
        ["QUIT", "x"],
      ]),
    ),
});

Deno.test({
  name: `CLIENT REPLY OFF/SKIP/ON${SKIP}`,
  ignore: !HAVE_REDIS,
  fn: () =>
    compare("reply", async (port) => {
      await using c = await RawClient.connect(port);
      await c.send(
        [
          ["CLIENT", "REPLY", "SKIP"],
          ["PING", "1"],
          ["PING", "2"],
          ["CLIENT", "REPLY", "OFF"],
          ["PING", "3"],
          ["GET"],
          ["CLIENT", "REPLY", "SKIP"],
          ["PING", "4"],
          ["CLIENT", "REPLY", "ON"],
          ["PING", "5"],
          ["CLIENT", "REPLY", "OFF"],
          ["SUBSCRIBE", "a"],
          ["PING"],
          ["UNSUBSCRIBE", "a"],
          ["CLIENT", "REPLY", "ON"],
          ["PING", "6"],
        ].map((a) => latin1(cmd(...a))).join(""),
      );
      return await c.readStrings(7);
    }),
});

Deno.test({
  name: `CONFIG GET/SET errors and normalised values${SKIP}`,
  ignore: !HAVE_REDIS,
  fn: () =>
    compare(
      "config",
      sequence([
        ["CONFIG", "GET", "notify-keyspace-events"],
        ["CONFIG", "SET", "notify-keyspace-events", "KEA"],
        ["CONFIG", "GET", "notify-keyspace-events"],
        ["CONFIG", "SET", "notify-keyspace-events", "Kg$xn"],
        ["CONFIG", "GET", "notify-keyspace-events"],
        ["CONFIG", "SET", "notify-keyspace-events", "Z"],
        ["CONFIG", "SET", "notify-keyspace-events", ""],
        ["CONFIG", "GET", "client-output-buffer-limit"],
        ["CONFIG", "SET", "client-output-buffer-limit", "pubsub 1mb 512kb 10"],
        ["CONFIG", "GET", "client-output-buffer-limit"],
        ["CONFIG", "SET", "client-output-buffer-limit", "slave 1 2 3"],
        ["CONFIG", "GET", "client-output-buffer-limit"],
        ["CONFIG", "SET", "client-output-buffer-limit", "pubsub 1mb 512kb"],
        ["CONFIG", "SET", "client-output-buffer-limit", "foo 1 2 3"],
        ["CONFIG", "SET", "client-output-buffer-limit", "pubsub 1 x 3"],
        ["CONFIG", "GET", "maxclients"],
        ["CONFIG", "SET", "maxclients", "x"],
        ["CONFIG", "SET", "maxclients", "0"],
        ["CONFIG", "SET", "proto-max-bulk-len", "100"],
        ["CONFIG", "SET", "proto-max-bulk-len", "1mb"],
        ["CONFIG", "GET", "proto-max-bulk-len"],
        ["CONFIG", "SET", "proto-max-bulk-len", "512mb"],
        ["CONFIG", "GET", "requirepass"],
        ["CONFIG", "GET", "nosuch"],
        ["CONFIG", "SET", "nosuch", "1"],
        ["CONFIG", "SET", "maxclients", "100", "nosuch", "1"],
        ["CONFIG", "SET", "maxclients", "100", "maxclients", "200"],
        ["CONFIG", "SET", "maxclients", "100", "timeout", "x"],
        ["CONFIG", "GET", "maxclients"],
        ["CONFIG", "SET", "timeout", "-1"],
        ["CONFIG", "GET", "timeout"],
        ["CONFIG", "GET", "save"],
        ["CONFIG", "GET", "appendonly"],
        ["CONFIG", "GET", "client-query-buffer-limit"],
        ["CONFIG", "SET", "client-query-buffer-limit", "1k"],
        ["CONFIG", "GET", "MAXCLIENTS"],
        ["CONFIG", "SET", "databases", "2"],
      ]),
    ),
});

Deno.test({
  name: `AUTH with requirepass: the whole flow, unauthenticated limits${SKIP}`,
  ignore: !HAVE_REDIS,
  fn: async () => {
    await compare(
      "auth",
      sequence([
        ["GET", "a"],
        ["PING"],
        ["NOSUCH"],
        ["GET"],
        ["CLIENT", "ID"],
        ["SUBSCRIBE", "a"],
        ["AUTH", "wrong"],
        ["AUTH", "default", "wrong"],
        ["AUTH", "other", "secret"],
        ["AUTH", "a", "b", "c"],
        ["HELLO", "3"],
        ["HELLO", "3", "AUTH", "default", "wrong"],
        ["HELLO", "3", "SETNAME", "x"],
        ["RESET"],
        ["HELLO", "3", "AUTH", "default", "secret"],
        ["GET", "a"],
        ["RESET"],
        ["GET", "a"],
        ["AUTH", "secret"],
        ["AUTH", "wrong"],
        ["GET", "a"],
        ["CONFIG", "GET", "requirepass"],
        ["QUIT"],
      ]),
      { requirepass: "secret" },
    );
    for (const input of ["*11\r\n", "*1\r\n$16385\r\n", "*1\r\n$16384\r\n"]) {
      await compare(`unauthenticated ${JSON.stringify(input)}`, async (port) => {
        await using c = await RawClient.connect(port);
        await c.send(input);
        if (input.endsWith("16384\r\n")) {
          await c.send("x".repeat(16384) + "\r\n");
          return await c.readStrings(1);
        }
        return [latin1(await c.readUntilClose())];
      }, { requirepass: "secret" });
    }
  },
});

/** Keyspace events seen by a PSUBSCRIBE __key*__:* client while `script` runs. */
function notifications(flags: string, script: Arg[][]): Scenario {
  return async (port) => {
    await using c = await RawClient.connect(port);
    await using sub = await RawClient.connect(port);
    await c.call("CONFIG", "SET", "notify-keyspace-events", flags);
    await sub.send(cmd("PSUBSCRIBE", "__key*__:*"));
    await sub.readStrings(1);
    const out: string[] = [];
    for (const args of script) out.push(await c.call(...args));
    await c.call("PUBLISH", "__keyevent@0__:MARK", "end");
    for (;;) {
      const [m] = await sub.readStrings(1);
      if ((parseReply(m) as string[])[2] === "__keyevent@0__:MARK") break;
      out.push(m);
    }
    return out;
  };
}

const NOTIFY_SCRIPT: Arg[][] = [
  ["SET", "k", "v"],
  ["SET", "k", "v", "EX", "100"],
  ["APPEND", "k", "x"],
  ["SETRANGE", "k", "0", "y"],
  ["INCR", "n"],
  ["INCRBY", "n", "5"],
  ["DECR", "n"],
  ["INCRBYFLOAT", "n", "1.5"],
  ["EXPIRE", "k", "100"],
  ["PERSIST", "k"],
  ["RENAME", "k", "k2"],
  ["COPY", "k2", "k3"],
  ["DEL", "k2", "k3", "nokey"],
  ["MSET", "a", "1", "b", "2"],
  ["SETNX", "a", "x"],
  ["SETNX", "c", "x"],
  ["SETEX", "d", "100", "v"],
  ["PSETEX", "e", "100000", "v"],
  ["GETSET", "a", "z"],
  ["GETDEL", "a"],
  ["GETEX", "b", "EX", "100"],
  ["GETEX", "b", "PERSIST"],
  ["SETBIT", "bits", "3", "1"],
  ["EXPIRE", "b", "-1"],
  ["GET", "nokey"],
  ["EXISTS", "nokey"],
  ["MSETNX", "p", "1", "q", "2"],
  ["UNLINK", "p"],
  ["RENAMENX", "q", "r"],
  ["MGET", "r", "zz"],
  ["SET", "s", "1", "KEEPTTL"],
  ["SET", "s", "2", "GET"],
  ["EXPIREAT", "s", "1"],
  ["TOUCH", "r"],
  ["SET", "t", "1", "XX"],
  ["COPY", "r", "c", "REPLACE"],
  ["FLUSHALL"],
];

for (const flags of ["KEA", "KEAmn", "Kx", "E$", "Egm"]) {
  Deno.test({
    name: `keyspace notifications with '${flags}' match Redis${SKIP}`,
    ignore: !HAVE_REDIS,
    fn: () => compare(`notify ${flags}`, notifications(flags, NOTIFY_SCRIPT)),
  });
}
