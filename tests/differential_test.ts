/**
 * Differential tests: the same commands go to our server and to a real
 * `redis-server` (started on a free port), and the raw reply bytes must be
 * identical, in RESP2 and again in RESP3 (after `HELLO 3`, whose reply
 * carries each server's client id and is not compared). Ignored when
 * `redis-server` is not installed. The redis-cli test compares what
 * `redis-cli` prints for both servers.
 */
import assert from "node:assert/strict";
import {
  type Arg,
  HAVE_REDIS,
  HAVE_REDIS_CLI,
  latin1,
  RawClient,
  runTool,
  startRedis,
  startTestServer,
} from "./helpers.ts";

const SKIP = HAVE_REDIS ? "" : " (ignored: redis-server is not installed)";

/** Deterministic commands (no timing, ordering or multi-db differences). */
const COMMANDS: Arg[][] = [
  ["FLUSHALL"],
  ["PING"],
  ["PING", "hello"],
  ["ECHO", "bin\x00ary"],
  ["SELECT", "0"],
  ["SELECT", "abc"],
  ["NOSUCHCMD", "a", "b"],
  ["nosuchcmd"],
  ["GET"],
  ["SET", "k", "v"],
  ["GET", "k"],
  ["TYPE", "k"],
  ["TYPE", "nokey"],
  ["EXISTS", "k", "k", "nokey"],
  ["TOUCH", "k", "nokey"],
  ["DBSIZE"],
  ["KEYS", "k*"],
  ["KEYS", "x*"],
  ["SCAN", "0"],
  ["SCAN", "0", "MATCH", "k", "COUNT", "100", "TYPE", "string"],
  ["SCAN", "0", "TYPE", "list"],
  ["SCAN", "abc"],
  ["SCAN", "0", "COUNT", "0"],
  ["SCAN", "0", "COUNT", "x"],
  ["SCAN", "0", "MATCH"],
  ["RANDOMKEY"],
  ["RENAME", "nokey", "x"],
  ["RENAME", "k", "k"],
  ["RENAMENX", "k", "k"],
  ["RENAME", "k", "k2"],
  ["RENAMENX", "k2", "k"],
  ["SET", "other", "1"],
  ["RENAMENX", "k", "other"],
  ["COPY", "k", "k"],
  ["COPY", "nokey", "x"],
  ["COPY", "k", "other"],
  ["COPY", "k", "other", "REPLACE"],
  ["COPY", "k", "c", "DB", "0"],
  ["COPY", "k", "c", "foo"],
  ["COPY", "k", "c", "DB"],
  ["COPY", "k", "c", "DB", "x"],
  ["GET", "other"],
  ["DEL", "c", "nokey"],
  ["UNLINK", "other"],
  ["EXPIRE", "nokey", "100"],
  ["EXPIRE", "k", "100"],
  ["TTL", "k"],
  ["TTL", "nokey"],
  ["PTTL", "nokey"],
  ["EXPIRETIME", "nokey"],
  ["PEXPIRETIME", "nokey"],
  ["EXPIRE", "k", "100", "NX"],
  ["EXPIRE", "k", "200", "GT"],
  ["EXPIRE", "k", "100", "GT"],
  ["EXPIRE", "k", "50", "LT"],
  ["EXPIRE", "k", "100", "XX"],
  ["EXPIRE", "k", "10", "NX", "XX"],
  ["EXPIRE", "k", "10", "GT", "LT"],
  ["EXPIRE", "k", "10", "bogus"],
  ["EXPIRE", "k", "abc"],
  ["EXPIRE", "k", "9223372036854775807"],
  ["PEXPIRE", "k", "9223372036854775807"],
  ["EXPIREAT", "k", "9223372036854775807"],
  ["PERSIST", "k"],
  ["PERSIST", "k"],
  ["TTL", "k"],
  ["PEXPIRETIME", "k"],
  ["SET", "gone", "1"],
  ["EXPIRE", "gone", "-1"],
  ["EXISTS", "gone"],
  ["SET", "gone", "1"],
  ["PEXPIREAT", "gone", "1"],
  ["EXISTS", "gone"],
  ["INCR", "n"],
  ["INCRBY", "n", "10"],
  ["APPEND", "n", "x"],
  ["INCR", "n"],
  ["STRLEN", "n"],
  ["MSET", "a", "1", "b", "2"],
  ["MGET", "a", "b", "nokey"],
  ["CONFIG", "GET", "save"],
  ["CONFIG", "GET", "appendonly"],
  ["CONFIG"],
  ["CONFIG", "nosuch"],
  ["CONFIG", "GET"],
  ["CONFIG", "SET", "nosuch", "x"],
  ["COMMAND", "nosuch"],
  ["INFO", "nosuchsection"],
  ["COMMAND", "GETKEYS", "EXPIRE", "k", "10"],
  ["DBSIZE"],
  ["FLUSHDB", "SYNC", "ASYNC"],
  ["FLUSHALL", "bogus"],
  ["FLUSHDB", "ASYNC"],
  ["DBSIZE"],
  ["RANDOMKEY"],
  ["SCAN", "0"],
];

/** A connection speaking `protocol` (after `HELLO 3`, its reply checked and set aside). */
async function open(port: number, protocol: 2 | 3): Promise<RawClient> {
  const c = await RawClient.connect(port);
  if (protocol === 3) assert.match(await c.call("HELLO", "3"), /^%7\r\n/);
  return c;
}

async function replies(port: number, protocol: 2 | 3, commands: Arg[][]): Promise<string[]> {
  await using c = await open(port, protocol);
  return await c.calls(commands);
}

for (const protocol of [2, 3] as const) {
  Deno.test({
    name: `same reply bytes as redis-server, RESP${protocol}${SKIP}`,
    ignore: !HAVE_REDIS,
    fn: async () => {
      await using redis = await startRedis();
      await using ours = await startTestServer();
      // one command per round trip, then the whole list as one pipeline
      const theirs: string[] = [];
      const mine: string[] = [];
      {
        await using a = await open(redis.port, protocol);
        await using b = await open(ours.port, protocol);
        for (const command of COMMANDS) {
          theirs.push(await a.call(...command));
          mine.push(await b.call(...command));
        }
      }
      for (let i = 0; i < COMMANDS.length; i++) {
        assert.equal(mine[i], theirs[i], `reply to ${JSON.stringify(COMMANDS[i])}`);
      }
      assert.deepEqual(
        await replies(ours.port, protocol, COMMANDS),
        await replies(redis.port, protocol, COMMANDS),
      );
    },
  });
}

Deno.test({
  name: `same protocol errors as redis-server${SKIP}`,
  ignore: !HAVE_REDIS,
  fn: async () => {
    await using redis = await startRedis();
    await using ours = await startTestServer();
    const inputs = [
      "*1\r\n$x\r\n",
      "*x\r\n",
      "*1\r\n+PING\r\n",
      '"unbalanced\r\n',
      "*2\r\n$4\r\nECHO\r\n$-5\r\n",
      "PING\r\n*1\r\n$4\r\nPI",
    ];
    for (const input of inputs) {
      const got: string[] = [];
      for (const port of [redis.port, ours.port]) {
        await using c = await RawClient.connect(port);
        await c.send(input);
        // a trailing partial frame waits for more bytes: take the complete reply, then stop
        got.push(
          input.endsWith("PI") ? (await c.readStrings(1))[0] : latin1(await c.readUntilClose()),
        );
      }
      assert.equal(got[1], got[0], `reply to ${JSON.stringify(input)}`);
    }
  },
});

async function cli(port: number, args: string[]): Promise<string> {
  const out = await runTool("redis-cli", ["-h", "127.0.0.1", "-p", String(port), ...args]);
  return out.stdout + out.stderr;
}

Deno.test({
  name: `redis-cli prints the same for both servers${
    HAVE_REDIS && HAVE_REDIS_CLI ? "" : " (ignored: redis-server/redis-cli not installed)"
  }`,
  ignore: !HAVE_REDIS || !HAVE_REDIS_CLI,
  fn: async () => {
    await using redis = await startRedis();
    await using ours = await startTestServer();
    const script = [
      ["PING"],
      ["SET", "k", "hello"],
      ["GET", "k"],
      ["EXISTS", "k"],
      ["TYPE", "k"],
      ["EXPIRE", "k", "100"],
      ["TTL", "k"],
      ["PERSIST", "k"],
      ["KEYS", "*"],
      ["RENAME", "k", "k2"],
      ["RENAME", "nokey", "x"],
      ["DBSIZE"],
      ["CONFIG", "GET", "save"],
      ["NOSUCH", "cmd"],
      ["DEL", "k2"],
      ["GET", "k2"],
    ];
    for (const args of script) {
      assert.equal(await cli(ours.port, args), await cli(redis.port, args), args.join(" "));
    }
  },
});
