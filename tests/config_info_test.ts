/**
 * CONFIG GET (glob patterns, several at once, RESP3 maps) and CONFIG SET
 * (several pairs, all or nothing, Redis's errors) for the settings the
 * server acts on; INFO sections and counters; COMMAND INFO/DOCS/COUNT
 * shapes in RESP2 and RESP3.
 */
import assert from "node:assert/strict";
import {
  cmd,
  cmds,
  eachPeer,
  latin1,
  parseReply,
  RawClient,
  startTestServer,
  waitFor,
} from "./helpers.ts";

const pairs = (reply: string) => {
  const flat = parseReply(reply) as string[];
  const out: Record<string, string> = {};
  for (let i = 0; i < flat.length; i += 2) out[flat[i]] = flat[i + 1];
  return out;
};

const setError = (name: string, why: string) =>
  `-ERR CONFIG SET failed (possibly related to argument '${name}') - ${why}\r\n`;

eachPeer(
  "CONFIG GET: exact names, globs, several patterns, unknown names, RESP3 map",
  async (srv) => {
    await using c = await RawClient.connect(srv.port);
    assert.equal(await c.call("CONFIG", "GET", "save"), "*2\r\n$4\r\nsave\r\n$0\r\n\r\n");
    assert.equal(
      await c.call("CONFIG", "GET", "appendonly"),
      "*2\r\n$10\r\nappendonly\r\n$2\r\nno\r\n",
    );
    assert.equal(await c.call("CONFIG", "GET", "nosuch"), "*0\r\n");
    assert.equal(
      await c.call("CONFIG", "GET", "MAXCLIENTS"),
      "*2\r\n$10\r\nMAXCLIENTS\r\n$5\r\n10000\r\n",
    );
    assert.deepEqual(pairs(await c.call("CONFIG", "GET", "client-*-buffer-limit")), {
      "client-output-buffer-limit":
        "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60",
      "client-query-buffer-limit": "1073741824",
    });
    assert.deepEqual(pairs(await c.call("CONFIG", "GET", "save", "appendonly", "sav?")), {
      save: "",
      appendonly: "no",
    });
    const all = pairs(await c.call("CONFIG", "GET", "*"));
    for (
      const name of [
        "maxclients",
        "requirepass",
        "notify-keyspace-events",
        "proto-max-bulk-len",
        "timeout",
        "port",
      ]
    ) assert.ok(name in all, name);
    assert.equal(all["port"], String(srv.port));
    assert.equal(all["proto-max-bulk-len"], "536870912");
    await c.call("HELLO", "3");
    assert.equal(
      await c.call("CONFIG", "GET", "save", "nosuch"),
      "%1\r\n$4\r\nsave\r\n$0\r\n\r\n",
    );
    assert.equal(await c.call("CONFIG", "GET", "nosuch"), "%0\r\n");
  },
);

eachPeer("CONFIG SET: several pairs, all or nothing, Redis's errors", async (srv) => {
  await using c = await RawClient.connect(srv.port);
  assert.equal(await c.call("CONFIG", "SET", "maxclients", "100", "timeout", "5"), "+OK\r\n");
  assert.deepEqual(pairs(await c.call("CONFIG", "GET", "maxclients", "timeout")), {
    maxclients: "100",
    timeout: "5",
  });
  // one bad value: nothing changes
  assert.equal(
    await c.call("CONFIG", "SET", "maxclients", "200", "timeout", "x"),
    setError("timeout", "argument couldn't be parsed into an integer"),
  );
  assert.equal(pairs(await c.call("CONFIG", "GET", "maxclients")).maxclients, "100");
  assert.equal(
    await c.call("CONFIG", "SET", "maxclients", "1", "maxclients", "2"),
    setError("maxclients", "duplicate parameter"),
  );
  assert.equal(
    await c.call("CONFIG", "SET", "maxclients", "1", "nosuch", "2"),
    "-ERR Unknown option or number of arguments for CONFIG SET - 'nosuch'\r\n",
  );
  assert.equal(
    await c.call("CONFIG", "SET", "databases", "2"),
    setError("databases", "can't set immutable config"),
  );
  assert.equal(
    await c.call("CONFIG", "SET", "maxclients", "0"),
    setError("maxclients", "argument must be between 1 and 4294967295 inclusive"),
  );
  assert.equal(
    await c.call("CONFIG", "SET", "timeout", "-1"),
    setError("timeout", "argument must be between 0 and 2147483647 inclusive"),
  );
  assert.equal(
    await c.call("CONFIG", "SET", "proto-max-bulk-len", "100"),
    setError(
      "proto-max-bulk-len",
      "argument must be between 1048576 and 9223372036854775807 inclusive",
    ),
  );
  assert.equal(
    await c.call("CONFIG", "SET", "proto-max-bulk-len", "abc"),
    setError("proto-max-bulk-len", "argument must be a memory value"),
  );
  assert.equal(
    await c.call("CONFIG", "SET", "maxclients", "1", "timeout"),
    "-ERR syntax error\r\n",
  );
  assert.equal(await c.call("CONFIG", "SET", "save", ""), "+OK\r\n");
  assert.equal(await c.call("CONFIG", "SET", "appendonly", "no"), "+OK\r\n");
  assert.equal(
    await c.call("CONFIG", "SET", "appendonly", "maybe"),
    setError("appendonly", "argument must be 'yes' or 'no'"),
  );
});

eachPeer("CONFIG notify-keyspace-events: Redis's letters, normalised on GET", async (srv) => {
  await using c = await RawClient.connect(srv.port);
  const get = async () =>
    pairs(await c.call("CONFIG", "GET", "notify-keyspace-events"))["notify-keyspace-events"];
  assert.equal(await get(), "");
  for (
    const [given, shown] of [
      ["KEA", "AKE"],
      ["Kg$", "g$K"],
      ["A", "A"],
      ["Exg", "gxE"],
      ["KEAmn", "AKEm"],
      ["Knm", "nKm"],
      ["g$lshzxetd", "A"],
      ["", ""],
    ]
  ) {
    assert.equal(await c.call("CONFIG", "SET", "notify-keyspace-events", given), "+OK\r\n");
    assert.equal(await get(), shown, given);
  }
  assert.equal(
    await c.call("CONFIG", "SET", "notify-keyspace-events", "KZ"),
    setError("notify-keyspace-events", "Invalid event class character. Use 'Ag$lshzxeKEtmdn'."),
  );
});

eachPeer("CONFIG client-output-buffer-limit: Redis's format and errors", async (srv) => {
  await using c = await RawClient.connect(srv.port);
  const get = async () =>
    pairs(
      await c.call("CONFIG", "GET", "client-output-buffer-limit"),
    )["client-output-buffer-limit"];
  assert.equal(
    await c.call("CONFIG", "SET", "client-output-buffer-limit", "pubsub 1mb 512kb 10"),
    "+OK\r\n",
  );
  assert.equal(await get(), "normal 0 0 0 slave 268435456 67108864 60 pubsub 1048576 524288 10");
  assert.equal(
    await c.call("CONFIG", "SET", "client-output-buffer-limit", "replica 1 2 3 normal 0 0 5"),
    "+OK\r\n",
  );
  assert.equal(await get(), "normal 0 0 5 slave 1 2 3 pubsub 1048576 524288 10");
  const err = (why: string) => setError("client-output-buffer-limit", why);
  assert.equal(
    await c.call("CONFIG", "SET", "client-output-buffer-limit", "pubsub 1mb 512kb"),
    err("Wrong number of arguments in buffer limit configuration."),
  );
  assert.equal(
    await c.call("CONFIG", "SET", "client-output-buffer-limit", "foo 1 2 3"),
    err("Invalid client class specified in buffer limit configuration."),
  );
  assert.equal(
    await c.call("CONFIG", "SET", "client-output-buffer-limit", "pubsub 1 x 3"),
    err("Error in hard, soft or soft_seconds setting in buffer limit configuration."),
  );
  assert.equal(await get(), "normal 0 0 5 slave 1 2 3 pubsub 1048576 524288 10");
  // a normal-class hard limit applies to a big reply, as in Redis
  assert.equal(await c.call("SET", "big", "x".repeat(2 * 1024 * 1024)), "+OK\r\n");
  assert.equal(
    await c.call("CONFIG", "SET", "client-output-buffer-limit", "normal 1mb 0 0"),
    "+OK\r\n",
  );
  await using reader = await RawClient.connect(srv.port);
  await reader.send(cmd("GET", "big"));
  assert.equal(latin1(await reader.readUntilClose()), "");
  assert.equal(await c.call("STRLEN", "big"), ":2097152\r\n");
});

eachPeer("CONFIG SET maxclients and proto-max-bulk-len take effect at once", async (srv) => {
  await using c = await RawClient.connect(srv.port);
  assert.equal(await c.call("CONFIG", "SET", "maxclients", "1"), "+OK\r\n");
  {
    await using extra = await RawClient.connect(srv.port);
    assert.equal(latin1(await extra.readUntilClose()), "-ERR max number of clients reached\r\n");
  }
  assert.equal(
    await c.call("CONFIG", "SET", "maxclients", "10", "proto-max-bulk-len", "1mb"),
    "+OK\r\n",
  );
  const ok = "x".repeat(1024 * 1024);
  assert.equal(await c.call("SET", "k", ok), "+OK\r\n");
  await c.send(`*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$${1024 * 1024 + 1}\r\n`);
  assert.equal(latin1(await c.readUntilClose()), "-ERR Protocol error: invalid bulk length\r\n");
});

eachPeer("INFO: sections, everything/all/default, several sections, counters", async (srv) => {
  await using c = await RawClient.connect(srv.port);
  const info = async (...sections: string[]) =>
    parseReply(await c.call("INFO", ...sections)) as string;
  const field = (text: string, name: string) => {
    const m = new RegExp(`\\r\\n${name}:([^\\r]*)\\r\\n`).exec(text);
    assert.ok(m, `${name} in INFO`);
    return m[1];
  };
  const sections = (text: string) => text.match(/^# \w+/gm);
  const all = await info(); // the default sections
  assert.deepEqual(sections(all), [
    "# Server",
    "# Clients",
    "# Memory",
    "# Persistence",
    "# Stats",
    "# Replication",
    "# CPU",
    "# Modules",
    "# Errorstats",
    "# Cluster",
    "# Keyspace",
  ]);
  for (const word of ["default", "DEFAULT"]) {
    assert.deepEqual(sections(await info(word)), sections(all), word);
  }
  assert.deepEqual(sections(await info("keyspace", "SERVER")), ["# Server", "# Keyspace"]);
  assert.equal(await c.call("INFO", "nosuch"), "$0\r\n\r\n");
  assert.match(all, /^# Server\r\nredis_version:7\.0\.15\r\n/);
  assert.equal(field(all, "redis_mode"), "standalone");
  assert.equal(field(all, "tcp_port"), String(srv.port));
  // (ours adds its own version, after Redis's fields)
  if (srv.kind === "ours") assert.match(field(all, "mini_redis_version"), /^\d+\.\d+\.\d+/);
  assert.match(field(all, "run_id"), /^[0-9a-f]{40}$/);
  assert.match(field(all, "used_memory"), /^\d+$/);
  assert.match(field(all, "used_memory_human"), /^\d+(\.\d\d[KMG])?B?$/);
  assert.equal(field(all, "role"), "master");
  assert.equal(field(all, "loading"), "0");
  assert.equal(field(all, "connected_clients"), "1");
  assert.match(field(all, "instantaneous_ops_per_sec"), /^\d+$/);
  // counters move
  const before = Number(field(await info("stats"), "total_commands_processed"));
  await c.calls([["SET", "a", "1"], ["GET", "a"], ["GET", "nokey"], ["EXISTS", "a", "nokey"]]);
  const stats = await info("stats");
  assert.equal(Number(field(stats, "total_commands_processed")), before + 5); // + this INFO
  assert.equal(field(stats, "keyspace_hits"), "2");
  assert.equal(field(stats, "keyspace_misses"), "2");
  assert.ok(Number(field(stats, "total_connections_received")) >= 1);
  assert.ok(Number(field(stats, "total_net_input_bytes")) > 0);
  await using sub = await RawClient.connect(srv.port);
  await sub.send(cmds([["SUBSCRIBE", "x", "y"], ["PSUBSCRIBE", "p*"]]));
  await sub.readStrings(3);
  const later = await info("stats", "clients");
  assert.equal(field(later, "pubsub_channels"), "2");
  assert.equal(field(later, "pubsub_patterns"), "1");
  assert.equal(field(later, "connected_clients"), "2");
  // keyspace line (its avg_ttl is an estimate Redis updates in the background)
  await c.call("SET", "v", "1", "EX", "1000");
  assert.match(await info("keyspace"), /^# Keyspace\r\ndb0:keys=2,expires=1,avg_ttl=\d+\r\n$/);
});

eachPeer("INFO all and everything add Commandstats and Latencystats, as Redis 7.0.15", async (
  srv,
) => {
  await using c = await RawClient.connect(srv.port);
  const sections = async (...words: string[]) =>
    (parseReply(await c.call("INFO", ...words)) as string).match(/^# \w+/gm);
  for (const word of ["all", "everything", "ALL"]) {
    assert.deepEqual(await sections(word), [
      "# Server",
      "# Clients",
      "# Memory",
      "# Persistence",
      "# Stats",
      "# Replication",
      "# CPU",
      "# Modules",
      "# Commandstats",
      "# Errorstats",
      "# Latencystats",
      "# Cluster",
      "# Keyspace",
    ], word);
  }
  assert.deepEqual(await sections("commandstats"), ["# Commandstats"]);
  assert.deepEqual(await sections("latencystats"), ["# Latencystats"]);
});

eachPeer("INFO keyspace right after SET EX: avg_ttl=0, as Redis 7.0.15", async (srv) => {
  // Redis estimates avg_ttl in its background expiry cycle, starting from 0: in the same
  // batch as the SET, before any cycle can run, it is 0.
  await using c = await RawClient.connect(srv.port);
  await c.send(cmds([["SET", "v", "1", "EX", "1000"], ["SET", "w", "1"], ["INFO", "keyspace"]]));
  const [, , keyspace] = await c.readStrings(3);
  assert.equal(parseReply(keyspace), "# Keyspace\r\ndb0:keys=2,expires=1,avg_ttl=0\r\n");
});

Deno.test("INFO counts expired keys and the ops/s metric is sampled", async () => {
  let now = Date.now();
  await using srv = await startTestServer({ clock: () => now, sweepIntervalMs: 0 });
  await using c = await RawClient.connect(srv.port);
  await c.call("SET", "k", "v", "PX", "10");
  now += 20;
  assert.equal(await c.call("GET", "k"), "$-1\r\n");
  assert.match(parseReply(await c.call("INFO", "stats")) as string, /\r\nexpired_keys:1\r\n/);
  // keep the server busy until the 100 ms sampler has seen some commands
  await waitFor(async () => {
    await c.calls(Array.from({ length: 50 }, () => ["PING"]));
    const stats = parseReply(await c.call("INFO", "stats")) as string;
    return Number(/instantaneous_ops_per_sec:(\d+)/.exec(stats)![1]) > 0;
  });
});

eachPeer("COMMAND INFO/DOCS/COUNT: shapes as Redis 7.0, RESP3 sets", async (srv) => {
  await using c = await RawClient.connect(srv.port);
  const count = parseReply(await c.call("COMMAND", "COUNT")) as number;
  assert.equal((parseReply(await c.call("COMMAND")) as unknown[]).length, count);
  // the first seven fields of these are byte-identical to Redis 7.0's
  assert.equal(
    await c.call("COMMAND", "INFO", "publish"),
    "*1\r\n*10\r\n$7\r\npublish\r\n:3\r\n*4\r\n+pubsub\r\n+loading\r\n+stale\r\n+fast\r\n" +
      ":0\r\n:0\r\n:0\r\n*2\r\n+@pubsub\r\n+@fast\r\n*0\r\n*0\r\n*0\r\n",
  );
  assert.equal(
    await c.call("COMMAND", "INFO", "client|id"),
    "*1\r\n*10\r\n$9\r\nclient|id\r\n:2\r\n*3\r\n+noscript\r\n+loading\r\n+stale\r\n" +
      ":0\r\n:0\r\n:0\r\n*2\r\n+@slow\r\n+@connection\r\n*0\r\n*0\r\n*0\r\n",
  );
  assert.equal(
    await c.call("COMMAND", "INFO", "auth"),
    "*1\r\n*10\r\n$4\r\nauth\r\n:-2\r\n*6\r\n+noscript\r\n+loading\r\n+stale\r\n+fast\r\n" +
      "+no_auth\r\n+allow_busy\r\n:0\r\n:0\r\n:0\r\n*2\r\n+@fast\r\n+@connection\r\n*0\r\n*0\r\n*0\r\n",
  );
  // a container lists its subcommands
  const client = (parseReply(await c.call("COMMAND", "INFO", "client")) as unknown[][])[0];
  const subs = (client[9] as unknown[][]).map((s) => s[0]);
  for (const s of ["client|id", "client|kill", "client|list", "client|reply", "client|unblock"]) {
    assert.ok(subs.includes(s), s);
  }
  // key positions and specs
  const mset = (parseReply(await c.call("COMMAND", "INFO", "mset")) as unknown[][])[0];
  assert.deepEqual(mset.slice(0, 6), ["mset", -3, ["write", "denyoom"], 1, -1, 2]);
  await c.call("HELLO", "3");
  assert.match(
    await c.call("COMMAND", "INFO", "get"),
    /^\*1\r\n\*10\r\n\$3\r\nget\r\n:2\r\n~2\r\n\+readonly\r\n\+fast\r\n:1\r\n:1\r\n:1\r\n~3\r\n\+@read\r\n\+@string\r\n\+@fast\r\n~0\r\n~1\r\n%3\r\n/,
  );
  const docs = await c.call("COMMAND", "DOCS", "subscribe");
  assert.ok(docs.startsWith("%1\r\n$9\r\nsubscribe\r\n%5\r\n$7\r\nsummary\r\n"), docs);
  assert.ok(docs.includes("$5\r\ngroup\r\n$6\r\npubsub\r\n"));
  await c.call("HELLO", "2");
  assert.equal(await c.call("COMMAND", "DOCS", "nosuch"), "*0\r\n");
  await c.send(cmd("COMMAND", "GETKEYS", "MSET", "a", "1", "b", "2"));
  assert.deepEqual(await c.readStrings(1), ["*2\r\n$1\r\na\r\n$1\r\nb\r\n"]);
});
