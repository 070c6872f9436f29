// Tests of Lua scripting (server/commands/scripting.ts, server/scripting/):
// EVAL/EVALSHA/EVAL_RO/EVALSHA_RO and SCRIPT subcommands compared byte for
// byte with a real redis-server in RESP2 and RESP3: the conversion rules
// between Lua values and replies case by case, redis.call's checks and
// error texts, the libraries (cjson, cmsgpack, bit, struct), binary-safe
// strings, atomicity and blocked clients served after a script.

import assert from "node:assert/strict";
import { type Arg, cmd, HAVE_REDIS, RawClient, startRedis, startTestServer } from "./helpers.ts";
import { setBusyReplyThreshold } from "../server/commands/scripting.ts";
import { compareWithRedis, type ScriptStep } from "./support/redis_compare.ts";

const ignore = !HAVE_REDIS;

/** `EVAL <script> <numkeys> ...` as an argument array. */
function ev(script: string, ...rest: Arg[]): Arg[] {
  return ["EVAL", script, ...(rest.length === 0 ? ["0"] : rest)];
}

const CONVERSIONS: Record<string, ScriptStep[]> = {
  "Lua to reply: numbers, strings, booleans, nil": [
    ev("return 1"),
    ev("return 3.99"),
    ev("return -3.99"),
    ev("return 'hello'"),
    ev("return true"),
    ev("return false"),
    ev("return nil"),
    ev("return"),
    ev("return 2^53 + 10"),
    ev("return -2^63"),
    ev("return 1e300"),
    ev("return 0/0 ~= 0/0"),
  ],
  "Lua to reply: tables": [
    ev("return {1, 2, 3.7, 'x', nil, 5}"),
    ev("return {1, false, true}"),
    ev("return {}"),
    ev("return {{1, {2, {'deep'}}}, 'a'}"),
    ev("return {a = 1, b = 2}"),
    ev("return {ok = 'FINE'}"),
    ev("return {ok = 'line\\r\\nbreak'}"),
    ev("return {err = 'ERR custom failure'}"),
    ev("return {err = 'WRONGTYPE my own'}"),
    ev("return {1, {ok = 'X'}, {err = 'ERR inner'}}"),
    ev("return redis.status_reply('FINE')"),
    ev("return redis.error_reply('ERR My Error')"),
  ],
  "Lua to reply under RESP3": [
    ev("redis.setresp(3); return {double = 3.5}"),
    ev("redis.setresp(3); return {double = 1/0}"),
    ev("redis.setresp(3); return {map = {a = 1}}"),
    ev("redis.setresp(3); return {set = {x = true}}"),
    ev("redis.setresp(3); return true"),
    ev("redis.setresp(3); return false"),
    ev("redis.setresp(3); return nil"),
    ev("redis.setresp(3); return {big_number = '123456789012345678901234567890'}"),
  ],
  "redis.call replies to Lua": [
    "SET s hello",
    "HSET h f v",
    "SADD set m",
    "ZADD z 1.5 m",
    ev("return redis.call('GET', 's')"),
    ev("return redis.call('GET', 'missing')"),
    ev("return redis.call('GET', 'missing') == false"),
    ev("return redis.call('SET', 'x', 'y')"),
    ev("return redis.call('SET', 'x', 'y').ok"),
    ev("return redis.call('PING')"),
    ev("return redis.call('INCR', 'n')"),
    ev("return redis.call('ZRANGE', 'z', 0, -1)"),
    ev("return redis.call('HGETALL', 'h')"),
    ev("return redis.call('ZSCORE', 'z', 'm')"),
    ev("return redis.call('ZRANGE', 'z', 0, -1, 'WITHSCORES')"),
    ev("return redis.pcall('INCR', 's')"),
    ev("return redis.pcall('INCR', 's').err"),
    ev("return type(redis.pcall('NOSUCH'))"),
    ev("return redis.call('EXISTS', 's', 'missing', 's')"),
  ],
  "redis.call replies to Lua under RESP3": [
    "HSET h f v",
    "SADD set m",
    "ZADD z 1.5 m",
    ev("redis.setresp(3); return redis.call('HGETALL', 'h')"),
    ev("redis.setresp(3); local t = redis.call('HGETALL', 'h'); return t.map.f"),
    ev("redis.setresp(3); return redis.call('SMEMBERS', 'set')"),
    ev("redis.setresp(3); return redis.call('ZSCORE', 'z', 'm')"),
    ev("redis.setresp(3); return redis.call('ZSCORE', 'z', 'm').double"),
    ev("redis.setresp(3); return redis.call('HGETALL', 'nohash')"),
    ev("redis.setresp(2); return redis.call('HGETALL', 'h')"),
  ],
};

const ERRORS: Record<string, ScriptStep[]> = {
  "runtime errors": [
    "SET s str",
    ev("return x.y"),
    ev("return undefined_global"),
    ev("x = 5"),
    ev("error('boom')"),
    ev("local t = nil; return t[1]"),
    ev("return redis.call('INCR', KEYS[1])", "1", "s"),
    ev("return redis.call('HSET', KEYS[1], 'f', 'v')", "1", "s"),
  ],
  "redis.call's checks": [
    ev("return redis.call('nosuch')"),
    ev("return redis.call('get')"),
    ev("return redis.call('object', 'nosuch')"),
    ev("return redis.call('multi')"),
    ev("return redis.call('eval', 'return 1', 0)"),
    ev("return redis.call('subscribe', 'x')"),
    ev("return redis.call()"),
    ev("return redis.call('get', {})"),
    ev("return redis.call('get', 1.5)"),
    ev("return redis.call('set', 'n', 12.5), redis.call('get', 'n')"),
    ev("return redis.pcall('nosuch')"),
  ],
  "syntax errors": [
    ev("return ("),
    ev("this is not lua"),
    ["SCRIPT", "LOAD", "return ("],
  ],
  "numkeys": [
    ev("return 1", "2", "a"),
    ev("return 1", "-1"),
    ev("return 1", "x"),
    ev("return {KEYS[1], KEYS[2], ARGV[1], ARGV[2], #KEYS, #ARGV}", "2", "k1", "k2", "a1", "a2"),
  ],
  "read-only scripts": [
    ["EVAL_RO", "return redis.call('set', 'a', 'b')", "0"],
    ["EVAL_RO", "return redis.call('get', 'a')", "0"],
    ["SCRIPT", "LOAD", "return redis.call('del', 'a')"],
    ["EVALSHA_RO", "23e9b53a17e0de375fe9ac52973d74a9231496c2", "0"],
  ],
};

/** Error and value conversions where Redis has quirks of its own. */
const QUIRKS: Record<string, ScriptStep[]> = {
  "errors raised with error()": [
    ev("error({err='My Error'})"),
    ev("error({err='WRONGTYPE x'})"),
    ev("error({err='ERR x'}, 0)"),
    ev("error('plain')"),
    ev("error(12)"),
    ev("error(nil)"),
    ev("error()"),
    ev("error(redis.error_reply('nested'))"),
    ev("local ok, e = pcall(error, {err='caught'}) return e.err"),
  ],
  "error and status replies": [
    ev("return redis.error_reply('msg')"),
    ev("return redis.error_reply('ERR msg')"),
    ev("return redis.error_reply('two words')"),
    ev("return redis.error_reply('')"),
    ev("return {err='msg'}"),
    ev("return {err=''}"),
    ev("return redis.status_reply('')"),
    ev("return {ok=''}"),
  ],
  "nil, NaN and infinities": [
    ev("redis.setresp(3) return nil"),
    ev("redis.setresp(3) return {1, nil, 2}"),
    ev("return 0/0"),
    ev("return {0/0}"),
    ev("return -(0/0)"),
    ev("return 1/0"),
    ev("return -1/0"),
    ev("return {1/0, -1/0}"),
  ],
};

const SCRIPT_CACHE: Record<string, ScriptStep[]> = {
  "SCRIPT LOAD, EXISTS, EVALSHA, FLUSH": [
    ["SCRIPT", "LOAD", "return 'loaded'"],
    [
      "SCRIPT",
      "EXISTS",
      "b534286061d4b9e4026607613b95c06c06015ae8",
      "ab",
      "B534286061D4B9E4026607613B95C06C06015AE8",
    ],
    ["EVALSHA", "b534286061d4b9e4026607613b95c06c06015ae8", "0"],
    ["EVALSHA", "B534286061D4B9E4026607613B95C06C06015AE8", "0"],
    ["EVALSHA", "ffffffffffffffffffffffffffffffffffffffff", "0"],
    ["EVALSHA", "fff", "0"],
    ["SCRIPT", "FLUSH", "BAD"],
    ["SCRIPT", "FLUSH", "ASYNC"],
    ["SCRIPT", "EXISTS", "b534286061d4b9e4026607613b95c06c06015ae8"],
    ev("return 'via eval'"),
    ["SCRIPT", "EXISTS", "7b4dd9d867deb864cee5b15d67ea3fd724623b45"],
    ["EVALSHA", "b534286061d4b9e4026607613b95c06c06015ae8", "0"],
    ["SCRIPT", "FLUSH"],
    ["SCRIPT", "FLUSH", "SYNC"],
    ["SCRIPT", "KILL"],
    ["FUNCTION", "KILL"],
  ],
  "EVAL caches its script for EVALSHA": [
    ev("return 'cached'"),
    ["EVALSHA", "952f49ffc8f7b098d8ab5da45d3164ca36ed18b1", "0"],
    ["SCRIPT", "EXISTS", "952f49ffc8f7b098d8ab5da45d3164ca36ed18b1"],
  ],
};

const ENVIRONMENT: Record<string, ScriptStep[]> = {
  "the redis table and globals": [
    ev("return redis.REDIS_VERSION"),
    ev("return redis.REDIS_VERSION_NUM"),
    ev("return redis.sha1hex('abc')"),
    ev("return redis.sha1hex('')"),
    ev("return {redis.LOG_DEBUG, redis.LOG_VERBOSE, redis.LOG_NOTICE, redis.LOG_WARNING}"),
    ev("redis.log(redis.LOG_DEBUG, 'quiet'); return 1"),
    ev("return redis.set_repl(redis.REPL_ALL)"),
    ev("return redis.replicate_commands()"),
    ev("return {redis.REPL_NONE, redis.REPL_AOF, redis.REPL_REPLICA, redis.REPL_ALL}"),
    ev("return type(unpack) .. type(loadstring) .. type(pcall) .. type(tostring)"),
    ev("return print"),
    ev("return tostring(10/2) .. ' ' .. tostring(1/3)"),
    ev("return unpack({1, 2, 3})"),
    ev("return select('#', unpack({1, 2, 3}))"),
    ev("return string.format('%5.2f|%d|%s', 3.14159, 42, 'x')"),
    ev("return table.concat({1, 2, 3}, ',')"),
    ev("return math.floor(-3.5) .. math.huge"),
    ev("local r = math.random(100); return {type(r), r >= 1 and r <= 100}"),
  ],
  "cjson, cmsgpack, bit, struct": [
    ev("return cjson.encode({1, 2, 3})"),
    ev('return cjson.decode(\'{"a":[1,2,{"b":true}]}\').a[3].b'),
    ev("return cjson.decode('[1,\"x\",null]')[2]"),
    ev('return cjson.encode(cjson.decode(\'{"k":"v"}\'))'),
    ev("return cmsgpack.pack({1, 2, 'three'})"),
    ev("return cmsgpack.unpack(cmsgpack.pack({1, 2, 'three'}))"),
    ev(
      "return {bit.band(0xff, 0x0f), bit.bor(1, 2), bit.bxor(3, 1), bit.lshift(1, 10), bit.tohex(255)}",
    ),
    ev("return bit.tobit(2^32 + 5)"),
    ev("return struct.pack('>I2', 258)"),
    ev("return {struct.unpack('>I2', ARGV[1])}", "0", "\x01\x02"),
  ],
  "binary-safe strings both ways": [
    ev("return ARGV[1]", "0", "a\x00b\xff\r\n"),
    ev("return #ARGV[1]", "0", "a\x00b\xff"),
    ev(
      "redis.call('SET', KEYS[1], ARGV[1]); return redis.call('GET', KEYS[1])",
      "1",
      "k\x00",
      "\x00\xfe\xff",
    ),
    ["GET", "k\x00"],
    ev("return string.char(0, 1, 255)"),
  ],
  "blocking commands do not block in scripts": [
    ev("return redis.call('BZPOPMIN', 'nozset', 0)"),
    ev("redis.call('ZADD', 'z', 1, 'a'); return redis.call('BZPOPMIN', 'z', 0)"),
  ],
};

const LIB = "#!lua name=mylib\n" +
  "redis.register_function('myfunc', function(keys, args) return {keys[1], args[1]} end)\n" +
  "redis.register_function{function_name='ro', callback=function(keys, args) " +
  "return redis.call('GET', keys[1]) end, flags={'no-writes'}, description='read it'}";
const WLIB = "#!lua name=wlib\n" +
  "local function w(keys, args) return redis.call('SET', keys[1], args[1]) end\n" +
  "redis.register_function('w', w)";
const BADLIB = "#!lua name=badlib\n\nredis.register_function('bad', function() return x.y end)";

const FUNCTIONS: Record<string, ScriptStep[]> = {
  "FUNCTION LOAD and FCALL": [
    "FUNCTION FLUSH",
    ["FUNCTION", "LOAD", LIB],
    ["FUNCTION", "LOAD", WLIB],
    ["FUNCTION", "LOAD", BADLIB],
    ["FCALL", "myfunc", "1", "k", "a"],
    ["FCALL", "w", "1", "k", "v"],
    ["FCALL", "ro", "1", "k"],
    ["FCALL_RO", "ro", "1", "k"],
    ["FCALL_RO", "w", "1", "k", "v"],
    ["FCALL", "bad", "0"],
    ["FCALL", "nosuch", "0"],
    ["FCALL", "myfunc", "3", "k"],
    ["FCALL", "myfunc", "-1"],
    ["FUNCTION", "LIST", "LIBRARYNAME", "wlib", "WITHCODE"],
    ["FUNCTION", "LIST", "LIBRARYNAME", "bad*"],
    ["FUNCTION", "LIST", "LIBRARYNAME"],
    ["FUNCTION", "LIST", "BOGUS"],
    "FUNCTION STATS",
    ["FUNCTION", "DELETE", "nosuch"],
    ["FUNCTION", "DELETE", "badlib"],
    ["FCALL", "bad", "0"],
    [
      "FUNCTION",
      "LOAD",
      "REPLACE",
      "#!lua name=wlib\nredis.register_function('w', function() return 2 end)",
    ],
    ["FCALL", "w", "0"],
    "FUNCTION STATS",
    ["FUNCTION", "FLUSH", "BAD"],
    ["FUNCTION", "FLUSH", "ASYNC"],
    "FUNCTION LIST",
  ],
  "a library's code runs once, at FUNCTION LOAD": [
    "FUNCTION FLUSH",
    [
      "FUNCTION",
      "LOAD",
      "#!lua name=counter\nlocal n = 0\n" +
      "redis.register_function('cnt', function() n = n + 1 return n end)",
    ],
    ["FCALL", "cnt", "0"],
    ["FCALL", "cnt", "0"],
    ["FCALL", "cnt", "0"],
    [
      "FUNCTION",
      "LOAD",
      "REPLACE",
      "#!lua name=counter\nlocal n = 10\n" +
      "redis.register_function('cnt', function() n = n + 1 return n end)",
    ],
    ["FCALL", "cnt", "0"],
  ],
  "FUNCTION LOAD errors": [
    "FUNCTION FLUSH",
    ["FUNCTION", "LOAD", LIB],
    ["FUNCTION", "LOAD", LIB],
    [
      "FUNCTION",
      "LOAD",
      "#!lua name=lib2\nredis.register_function('myfunc', function() return 1 end)",
    ],
    ["FUNCTION", "LOAD", "#!lua name=lib3\nreturn 1"],
    ["FUNCTION", "LOAD", "#!lua name=lib4\nredis.call('ping')"],
    ["FUNCTION", "LOAD", "#!lua name=lib5\nreturn ("],
    ["FUNCTION", "LOAD", "no shebang"],
    ["FUNCTION", "LOAD", "#!lua"],
    ["FUNCTION", "LOAD", "#!lua name=a-b\n"],
    ["FUNCTION", "LOAD", "#!lua name=x foo=bar\n"],
    ["FUNCTION", "LOAD", "#!js name=x\n"],
    ["FUNCTION", "LOAD", "#!lua name=lib6\nredis.register_function('bad-name', function() end)"],
    [
      "FUNCTION",
      "LOAD",
      "#!lua name=lib7\nredis.register_function{function_name='f7', callback=function() end, flags={'bogus'}}",
    ],
    ["FUNCTION", "LOAD", "#!lua name=lib8\nredis.register_function('f8')"],
    ["FUNCTION", "LOAD", "#!lua name=lib9\nredis.register_function('f9', 'notafunction')"],
    "FUNCTION STATS",
  ],
};

Deno.test({
  name: "FUNCTION LOAD/LIST/DELETE/FLUSH/STATS and FCALL as redis-server",
  ignore,
  fn: () => compareWithRedis(FUNCTIONS),
});

Deno.test({
  name: "Lua values and replies convert as redis-server's (RESP2 and RESP3)",
  ignore,
  fn: () => compareWithRedis(CONVERSIONS),
});

Deno.test({
  name: "error() values, error_reply, nil, NaN and infinities as redis-server's",
  ignore,
  fn: () => compareWithRedis(QUIRKS),
});

Deno.test({
  name: "script errors as redis-server's",
  ignore,
  fn: () => compareWithRedis(ERRORS),
});

Deno.test({
  name: "SCRIPT LOAD/EXISTS/FLUSH/KILL and EVALSHA as redis-server",
  ignore,
  fn: () => compareWithRedis(SCRIPT_CACHE),
});

Deno.test({
  name: "the scripting environment and libraries as redis-server's",
  ignore,
  fn: () => compareWithRedis(ENVIRONMENT),
});

Deno.test({
  name: "a script is atomic and blocked clients are served after it",
  ignore,
  async fn() {
    const got: string[][] = [];
    for (const start of [startRedis, startTestServer]) {
      await using server = await start();
      await using a = await RawClient.connect(server.port);
      await using b = await RawClient.connect(server.port);
      await b.send("*3\r\n$8\r\nBZPOPMIN\r\n$1\r\nz\r\n$1\r\n0\r\n");
      // wait until b is blocked
      for (let i = 0; i < 100; i++) {
        const info = await a.call("INFO", "clients");
        if (info.includes("blocked_clients:1")) break;
        await new Promise((r) => setTimeout(r, 10));
      }
      const reply = await a.call(
        "EVAL",
        "redis.call('ZADD', 'z', 1, 'a'); redis.call('ZREM', 'z', 'a'); " +
          "redis.call('ZADD', 'z', 2, 'b'); return redis.call('ZCARD', 'z')",
        "0",
      );
      got.push([reply, ...await b.readStrings(1)]);
    }
    assert.deepEqual(got[1], got[0]);
    assert.deepEqual(got[0], [":1\r\n", "*3\r\n$1\r\nz\r\n$1\r\nb\r\n$1\r\n2\r\n"]);
  },
});

Deno.test({
  name: "scripts inside MULTI/EXEC, and WATCH invalidated by a script's write",
  ignore,
  fn: () =>
    compareWithRedis({
      "the first script of the server inside EXEC (the engine loads meanwhile)": [
        "SET k 1",
        "MULTI",
        ev("return redis.call('GET', 'k')"),
        "SET k 2",
        ev("return redis.call('GET', 'k')"),
        "EXEC",
      ],
      "EVAL queued": [
        "MULTI",
        ev("return redis.call('INCR', 'n')"),
        ev("return redis.call('INCR', 'n')"),
        "EXEC",
      ],
      "WATCH and a script": [
        "WATCH w",
        ev("return redis.call('SET', 'w', 1)"),
        "MULTI",
        "PING",
        "EXEC",
      ],
    }),
});

// ---------------------------------------------------------------------------
// Busy scripts: past busy-reply-threshold, other clients get -BUSY, SCRIPT
// KILL / FUNCTION KILL stop a script that has not written, -UNKILLABLE
// otherwise. Each scenario runs against redis-server and our server (with a
// 100 ms threshold) and the replies must be the same.

const BUSY_MS = 100;

/** Our server or redis-server with `busy-reply-threshold` 100 ms. */
async function startBusyPeer(which: "redis" | "ours"): Promise<AsyncDisposable & { port: number }> {
  if (which === "redis") {
    return await startRedis({ args: ["--busy-reply-threshold", String(BUSY_MS)] });
  }
  const t = await startTestServer();
  setBusyReplyThreshold(t.server.state, BUSY_MS);
  return t;
}

/** Sends PING until the reply is an error (the server is busy); returns it. */
async function waitBusy(c: RawClient): Promise<string> {
  for (let i = 0; i < 200; i++) {
    const r = await c.call("PING");
    if (r.startsWith("-")) return r;
    await new Promise((res) => setTimeout(res, 10));
  }
  throw new Error("the server never became busy");
}

const SPIN = "local i = 0\nwhile true do\n  i = i + 1\nend";
/** Writes, then runs for 1 to 2 seconds. */
const WRITE_THEN_SPIN = "redis.call('SET', 'w', '1')\n" +
  "local t = tonumber(redis.call('TIME')[1])\n" +
  "while tonumber(redis.call('TIME')[1]) - t < 2 do end\nreturn 'done'";
const SPIN_LIB = "#!lua name=busy\n" +
  "redis.register_function('spin', function(keys, args)\n" +
  "  local i = 0\n" +
  "  while true do\n" +
  "    i = i + 1\n" +
  "  end\n" +
  "end)";

/** Runs `scenario` against both servers and asserts the same transcript. */
async function sameOnBoth(
  scenario: (port: number) => Promise<string[]>,
): Promise<void> {
  const got: string[][] = [];
  for (const which of ["redis", "ours"] as const) {
    await using peer = await startBusyPeer(which);
    got.push(await scenario(peer.port));
  }
  assert.deepEqual(got[1], got[0]);
}

Deno.test({
  name: "busy script: other clients get -BUSY, SCRIPT KILL stops it (as redis-server)",
  ignore,
  fn: () =>
    sameOnBoth(async (port) => {
      await using a = await RawClient.connect(port);
      await using b = await RawClient.connect(port);
      await a.send(cmd("EVAL", SPIN, "0"));
      const out = [await waitBusy(b)];
      for (
        const c of [
          ["GET", "x"],
          ["SET", "x", "1"],
          ["EVAL", "return 1", "0"],
          ["FUNCTION", "KILL"],
          ["FUNCTION", "STATS"],
          ["MULTI"],
          ["GET", "x"],
          ["EXEC"],
          ["EXEC"],
          ["SCRIPT", "KILL"],
        ]
      ) out.push(await b.call(...c));
      out.push(...await a.readStrings(1));
      out.push(await b.call("PING"), await b.call("SCRIPT", "KILL"), await b.call("GET", "x"));
      return out;
    }),
});

Deno.test({
  name: "SCRIPT KILL stops a busy script that catches errors with pcall (as redis-server)",
  ignore,
  fn: () =>
    sameOnBoth(async (port) => {
      await using a = await RawClient.connect(port);
      await using b = await RawClient.connect(port);
      await a.send(
        cmd(
          "EVAL",
          "local n = 0\nwhile true do\n  pcall(function() while true do n = n + 1 end end)\nend",
          "0",
        ),
      );
      const out = [await waitBusy(b), await b.call("SCRIPT", "KILL")];
      out.push(...await a.readStrings(1), await b.call("PING"));
      return out;
    }),
});

Deno.test({
  name:
    "busy script that wrote: SCRIPT KILL and FUNCTION KILL answer -UNKILLABLE (as redis-server)",
  ignore,
  fn: () =>
    sameOnBoth(async (port) => {
      await using a = await RawClient.connect(port);
      await using b = await RawClient.connect(port);
      await a.send(cmd("EVAL", WRITE_THEN_SPIN, "0"));
      const out = [await waitBusy(b)];
      out.push(await b.call("SCRIPT", "KILL"), await b.call("FUNCTION", "KILL"));
      out.push(await b.call("GET", "w"));
      out.push(...await a.readStrings(1, { timeoutMs: 20_000 }));
      out.push(await b.call("GET", "w"));
      return out;
    }),
});

Deno.test({
  name:
    "busy function: FUNCTION KILL stops it, SCRIPT KILL refuses, FUNCTION STATS shows it (as redis-server)",
  ignore,
  fn: () =>
    sameOnBoth(async (port) => {
      await using a = await RawClient.connect(port);
      await using b = await RawClient.connect(port);
      const out = [await a.call("FUNCTION", "LOAD", SPIN_LIB)];
      await a.send(cmd("FCALL", "spin", "1", "k", "arg"));
      out.push(await waitBusy(b));
      out.push(await b.call("SCRIPT", "KILL"));
      // duration_ms varies: everything else must match
      out.push((await b.call("FUNCTION", "STATS")).replace(/duration_ms\r\n:\d+/, "duration_ms"));
      out.push(await b.call("FUNCTION", "KILL"));
      out.push(...await a.readStrings(1));
      out.push(await b.call("FUNCTION", "KILL"), await b.call("PING"));
      return out;
    }),
});

Deno.test({
  name:
    "a busy script inside EXEC: others get -BUSY until the whole transaction ran (as redis-server)",
  ignore,
  fn: () =>
    sameOnBoth(async (port) => {
      await using a = await RawClient.connect(port);
      await using b = await RawClient.connect(port);
      for (
        const c of [["MULTI"], ["SET", "before", "1"], ["EVAL", SPIN, "0"], ["SET", "after", "1"], [
          "EXEC",
        ]]
      ) await a.send(cmd(...c));
      // (redis-server sends the +QUEUED replies once the EXEC is over)
      const out = [
        await waitBusy(b),
        await b.call("GET", "before"),
        await b.call("SCRIPT", "KILL"),
      ];
      out.push(...await a.readStrings(5));
      out.push(await b.call("MGET", "before", "after"));
      return out;
    }),
});

Deno.test("busy-reply-threshold and its alias lua-time-limit: CONFIG GET/SET as Redis 7.0.15", () =>
  compareWithRedis({
    "busy-reply-threshold": [
      "CONFIG GET busy-reply-threshold",
      "CONFIG GET lua-time-limit",
      "CONFIG SET lua-time-limit 100",
      "CONFIG GET busy-reply-threshold",
      "CONFIG SET busy-reply-threshold x",
      "CONFIG SET busy-reply-threshold -1",
      "CONFIG SET busy-reply-threshold 5000",
      "CONFIG GET lua-time-limit",
    ],
  }));
