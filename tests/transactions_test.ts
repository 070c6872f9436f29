// Tests of transactions (server/commands/transactions.ts and the MULTI
// queueing in server/command.ts): MULTI/EXEC/DISCARD/WATCH/UNWATCH replies
// and errors compared byte for byte with a real redis-server in RESP2 and
// RESP3, WATCH invalidation by each cause (other clients' writes, the same
// client's writes, expiry, FLUSHALL/FLUSHDB, RENAME, deletion, creation),
// atomicity against other clients, and blocked clients woken after EXEC.

import assert from "node:assert/strict";
import { type Arg, HAVE_REDIS, RawClient, startRedis, startTestServer } from "./helpers.ts";
import { compareWithRedis } from "./support/redis_compare.ts";
import type { Command } from "../server/mod.ts";

const ignore = !HAVE_REDIS;

Deno.test({
  name: "MULTI/EXEC/DISCARD replies and errors as redis-server",
  ignore,
  fn: () =>
    compareWithRedis({
      "queue and exec": ["MULTI", "SET a 1", "INCR a", "GET a", "EXEC", "GET a"],
      "empty transaction": ["MULTI", "EXEC"],
      "nested MULTI is refused, transaction goes on": ["MULTI", "MULTI", "SET a 1", "EXEC"],
      "EXEC and DISCARD without MULTI": ["EXEC", "DISCARD", "UNWATCH"],
      "DISCARD drops the queue": ["MULTI", "SET a 1", "DISCARD", "GET a", "EXEC"],
      "unknown command aborts": ["MULTI", "SET a 1", "NOSUCHCMD x y", "EXEC", "GET a"],
      "wrong arity aborts": ["MULTI", "SET a 1", "GET", "EXEC", "GET a"],
      "unknown subcommand aborts": ["MULTI", "OBJECT NOSUCH a", "EXEC"],
      "abort then a new transaction works": ["MULTI", "GET", "EXEC", "MULTI", "PING", "EXEC"],
      "runtime errors do not stop the others": [
        "SET s x",
        "MULTI",
        "INCR s",
        "SADD s m",
        "SET a b XX NX",
        "SET t 1",
        "INCR t",
        "EXEC",
      ],
      "WATCH inside MULTI is refused, transaction goes on": [
        "MULTI",
        "WATCH a",
        "SET a 1",
        "EXEC",
      ],
      "UNWATCH inside MULTI is queued": ["MULTI", "UNWATCH", "EXEC"],
      "WATCH arity": ["WATCH"],
      "blocking commands do not block inside MULTI": [
        "MULTI",
        "BZPOPMIN nozset 0",
        "BZPOPMAX nozset 1",
        "ZADD z 1 a",
        "BZPOPMIN z 0",
        "EXEC",
      ],
      "watched key modified by the same client": [
        "WATCH a",
        "SET a 5",
        "MULTI",
        "GET a",
        "EXEC",
        "MULTI",
        "GET a",
        "EXEC",
      ],
      "EXEC unwatches": ["WATCH a", "MULTI", "EXEC", "SET a 1", "MULTI", "GET a", "EXEC"],
      "DISCARD unwatches": ["WATCH a", "MULTI", "DISCARD", "SET a 1", "MULTI", "GET a", "EXEC"],
      "UNWATCH clears a dirty watch": ["WATCH a", "SET a 1", "UNWATCH", "MULTI", "GET a", "EXEC"],
      "WATCH after dirty stays dirty": [
        "WATCH a",
        "SET a 1",
        "WATCH b",
        "MULTI",
        "PING",
        "EXEC",
      ],
      "read of a watched key is no change": ["SET a 1", "WATCH a", "GET a", "MULTI", "EXEC"],
      "write to another key is no change": ["WATCH a", "SET b 1", "MULTI", "GET b", "EXEC"],
      "a failed write is no change": ["SET a x", "WATCH a", "INCR a", "MULTI", "PING", "EXEC"],
      "RESET ends MULTI and WATCH": [
        "WATCH a",
        "MULTI",
        "SET a 1",
        "RESET",
        "EXEC",
        "SET a 2",
        "MULTI",
        "GET a",
        "EXEC",
      ],
      "ECHO inside MULTI is queued": ["MULTI", "ECHO hi", "EXEC"],
      "SUBSCRIBE inside MULTI": ["MULTI", "SUBSCRIBE ch", "EXEC", "UNSUBSCRIBE ch"],
    }),
});

/** One step of a multi-client script. */
type Step =
  | { readonly client: number; readonly args: string | readonly Arg[] }
  | { readonly client: number; readonly pipeline: readonly string[] }
  | { readonly client: number; readonly send: string }
  | { readonly client: number; readonly read: true }
  | { readonly sleep: number };

const on = (client: number, args: string | readonly Arg[]): Step => ({ client, args });

/**
 * Runs each script with three clients per server against redis-server and
 * ours, in RESP2 and RESP3, and asserts identical replies.
 */
async function compareClients(
  scripts: Readonly<Record<string, readonly Step[]>>,
  options: { lazyExpiryOnly?: boolean } = {},
): Promise<void> {
  const lazy = options.lazyExpiryOnly ?? false;
  await using redis = await startRedis({ args: lazy ? ["--enable-debug-command", "yes"] : [] });
  await using ours = await startTestServer(lazy ? { sweepIntervalMs: 0 } : {});
  if (lazy) {
    await using c = await RawClient.connect(redis.port);
    assert.equal(await c.call("DEBUG", "SET-ACTIVE-EXPIRE", "0"), "+OK\r\n");
  }
  for (const protocol of [2, 3]) {
    for (const [name, script] of Object.entries(scripts)) {
      const replies: string[][] = [];
      for (const port of [redis.port, ours.port]) {
        const clients = [
          await RawClient.connect(port),
          await RawClient.connect(port),
          await RawClient.connect(port),
        ];
        try {
          await clients[0].call("FLUSHALL");
          for (const c of clients) await c.call("HELLO", String(protocol));
          const got: string[] = [];
          for (const step of script) {
            if ("sleep" in step) {
              await new Promise((r) => setTimeout(r, step.sleep));
            } else if ("args" in step) {
              const args = typeof step.args === "string" ? step.args.split(" ") : step.args;
              got.push(await clients[step.client].call(...args));
            } else if ("pipeline" in step) {
              const c = clients[step.client];
              got.push(...await c.calls(step.pipeline.map((s) => s.split(" "))));
            } else if ("send" in step) {
              await clients[step.client].send(step.send + "\r\n");
            } else {
              got.push(...await clients[step.client].readStrings(1));
            }
          }
          replies.push(got);
        } finally {
          for (const c of clients) c.close();
        }
      }
      assert.deepEqual(replies[1], replies[0], `${name} (RESP${protocol})`);
    }
  }
}

Deno.test({
  name: "WATCH is invalidated by every kind of modification, as redis-server",
  ignore,
  fn: () =>
    compareClients({
      "another client's SET": [on(0, "SET a 1"), on(0, "WATCH a"), on(1, "SET a 1"), ...exec()],
      "another client's write of the same value": [
        on(0, "SET a 1"),
        on(0, "WATCH a"),
        on(1, "SET a 1"),
        ...exec(),
      ],
      "DEL": [on(0, "SET a 1"), on(0, "WATCH a"), on(1, "DEL a"), ...exec()],
      "DEL of a missing key is no change": [on(0, "WATCH a"), on(1, "DEL a"), ...exec()],
      "creation": [on(0, "WATCH a"), on(1, "SET a 1"), ...exec()],
      "EXPIRE": [on(0, "SET a 1"), on(0, "WATCH a"), on(1, "EXPIRE a 100"), ...exec()],
      "PERSIST": [on(0, "SET a 1 EX 100"), on(0, "WATCH a"), on(1, "PERSIST a"), ...exec()],
      "RENAME source": [on(0, "SET a 1"), on(0, "WATCH a"), on(1, "RENAME a b"), ...exec()],
      "RENAME destination": [
        on(0, "SET a 1"),
        on(0, "WATCH b"),
        on(1, "RENAME a b"),
        ...exec(),
      ],
      "FLUSHALL with the key": [on(0, "SET a 1"), on(0, "WATCH a"), on(1, "FLUSHALL"), ...exec()],
      "FLUSHALL without the key": [
        on(0, "SET b 1"),
        on(0, "WATCH a"),
        on(1, "FLUSHALL"),
        ...exec(),
      ],
      "FLUSHDB with the key": [on(0, "SET a 1"), on(0, "WATCH a"), on(1, "FLUSHDB"), ...exec()],
      "a collection emptied": [
        on(0, "ZADD z 1 m"),
        on(0, "WATCH z"),
        on(1, "ZREM z m"),
        ...exec(),
      ],
      "one of several keys": [on(0, "WATCH a b c"), on(1, "SET c 1"), ...exec()],
      "keys watched by two clients": [
        on(0, "WATCH a"),
        on(1, "WATCH a"),
        on(2, "SET a 1"),
        ...exec(0),
        ...exec(1),
      ],
      "a queued command does not invalidate its own transaction": [
        on(0, "WATCH a"),
        on(0, "MULTI"),
        on(0, "SET a 1"),
        on(0, "EXEC"),
        on(0, "GET a"),
      ],
      "UNWATCH then another client's write": [
        on(0, "WATCH a"),
        on(0, "UNWATCH"),
        on(1, "SET a 1"),
        ...exec(),
      ],
    }),
});

const EXPIRY_SCRIPTS: Readonly<Record<string, readonly Step[]>> = {
  "the key expires between WATCH and EXEC": [
    { client: 0, pipeline: ["SET a 1 PX 100", "WATCH a"] },
    { sleep: 250 },
    ...exec(),
  ],
  "the key expires and is read by another client": [
    { client: 0, pipeline: ["SET a 1 PX 100", "WATCH a"] },
    { sleep: 250 },
    on(1, "GET a"),
    ...exec(),
  ],
  "the key had already expired at WATCH": [
    on(0, "SET a 1 PX 20"),
    { sleep: 100 },
    on(0, "WATCH a"),
    on(1, "GET a"),
    ...exec(),
  ],
  "an expired key recreated after WATCH": [
    on(0, "SET a 1 PX 20"),
    { sleep: 100 },
    on(0, "WATCH a"),
    on(1, "SET a 2"),
    ...exec(),
  ],
};

Deno.test({
  name: "WATCH and expiry as redis-server, with active expiry",
  ignore,
  fn: () => compareClients(EXPIRY_SCRIPTS),
});

Deno.test({
  name: "WATCH and expiry as redis-server, with lazy expiry only",
  ignore,
  fn: () => compareClients(EXPIRY_SCRIPTS, { lazyExpiryOnly: true }),
});

function exec(client = 0): Step[] {
  return [on(client, "MULTI"), on(client, "GET a"), on(client, "EXEC")];
}

Deno.test({
  name: "blocked clients are served after EXEC, with the transaction's final state",
  ignore,
  fn: () =>
    compareClients({
      "BZPOPMIN woken by EXEC": [
        { client: 1, send: "BZPOPMIN z 0" },
        { sleep: 50 },
        on(0, "MULTI"),
        on(0, "ZADD z 1 a"),
        on(0, "ZREM z a"),
        on(0, "ZADD z 2 b"),
        on(0, "EXEC"),
        { client: 1, read: true },
        on(0, "ZCARD z"),
      ],
    }),
});

Deno.test({
  name: "no other client's command runs between the commands of one EXEC",
  ignore,
  async fn() {
    for (const start of [startRedis, startTestServer]) {
      await using server = await start();
      await using a = await RawClient.connect(server.port);
      await using b = await RawClient.connect(server.port);
      await a.call("DEL", "x");
      const n = 200;
      const tx = ["MULTI", ...Array(n).fill("INCR x"), "EXEC"].map((s) => s.split(" "));
      // client b reads x over and over while a's transaction arrives
      const reads = (async () => {
        const seen: string[] = [];
        for (let i = 0; i < 50; i++) seen.push(await b.call("GET", "x"));
        return seen;
      })();
      const replies = await a.calls(tx);
      assert.equal(replies.at(-1)!.split("\r\n")[0], `*${n}`);
      for (const v of await reads) {
        assert.ok(v === "$-1\r\n" || v === `$${String(n).length}\r\n${n}\r\n`, v);
      }
    }
  },
});

Deno.test("commands flagged no-multi are refused inside MULTI and abort EXEC", async () => {
  // SHUTDOWN, SAVE, SYNC and PSYNC are Redis's no-multi commands; this
  // server's embedder command carries the same flag.
  const save: Command = {
    name: "save",
    arity: 1,
    flags: ["admin", "noscript", "no_async_loading", "no_multi"],
    firstKey: 0,
    lastKey: 0,
    step: 0,
    handler: () => "saved",
  };
  await using ours = await startTestServer({ commands: [save] });
  await using c = await RawClient.connect(ours.port);
  assert.deepEqual(await c.calls([["MULTI"], ["SAVE"], ["PING"], ["EXEC"], ["SAVE"]]), [
    "+OK\r\n",
    "-ERR Command not allowed inside a transaction\r\n",
    "+QUEUED\r\n",
    "-EXECABORT Transaction discarded because of previous errors.\r\n",
    "$5\r\nsaved\r\n",
  ]);
});

Deno.test("EXEC with arguments discards the transaction and the watch, as Redis 7.0.15", () =>
  compareWithRedis({
    "exec arity": [
      "EXEC x",
      "MULTI",
      "SET a 1",
      "exec x",
      "EXEC",
      "GET a",
      "WATCH a",
      "EXEC y z",
      "SET a 2",
      "MULTI",
      "GET a",
      "EXEC",
    ],
  }));
