/**
 * MONITOR against redis-server 7.0.15 and ours: the lines (timestamp and
 * client address aside) byte for byte, which commands are shown (failed
 * ones yes, refused or admin ones no, EXEC's commands before EXEC,
 * passwords redacted, arguments escaped), a monitor's own commands after
 * their reply, MONITOR twice, RESET; and `redis-cli monitor` against ours.
 */
import assert from "node:assert/strict";
import {
  cmds,
  eachPeer,
  HAVE_REDIS_CLI,
  RawClient,
  startTestServer,
  ToolProcess,
} from "./helpers.ts";

/** A MONITOR line with its time and client address replaced by `T` and `ADDR`. */
function normalize(line: string): string {
  const m = /^\+(\d+)\.(\d{6}) \[0 127\.0\.0\.1:\d+\] (.*)\r\n$/s.exec(line);
  assert.ok(m, `not a MONITOR line: ${JSON.stringify(line)}`);
  const t = Number(m[1]);
  assert.ok(Math.abs(t - Date.now() / 1000) < 60, `time ${t} is not now`);
  return `+T [0 ADDR] ${m[3]}`;
}

eachPeer("MONITOR: which commands are shown, and how", async (p) => {
  await using m = await RawClient.connect(p.port);
  await using c = await RawClient.connect(p.port);
  assert.equal(await m.call("MONITOR"), "+OK\r\n");
  const requests = [
    ["SET", "k", 'a\nb\r\t\x07\x08\\"\x00\xff z'],
    ["GET", "k"],
    ["INCR", "k"], // fails: shown
    ["GET"], // refused: not shown
    ["NOSUCH", "x"], // unknown: not shown
    ["AUTH", "secret"], // redacted
    ["AUTH", "user", "secret"],
    ["HELLO", "2", "AUTH", "default", "secret", "SETNAME", "n"],
    ["CONFIG", "SET", "maxmemory", "0"], // admin: not shown
    ["CLIENT", "SETNAME", "x"],
    ["CLIENT", "LIST"], // admin
    ["MULTI"],
    ["SET", "a", "1"],
    ["CONFIG", "GET", "x"], // admin, even inside EXEC
    ["INCR", "a"],
    ["EXEC"],
    ["MULTI"],
    ["GET"], // the transaction fails
    ["EXEC"],
    ["SLOWLOG", "LEN"],
    ["PING"],
  ];
  const replies = await c.calls(requests);
  assert.equal(replies.length, requests.length);
  assert.equal(await c.call("ECHO", "last"), "$4\r\nlast\r\n");
  const lines: string[] = [];
  for (;;) {
    const [line] = await m.readStrings(1);
    lines.push(normalize(line));
    if (line.includes('"ECHO" "last"')) break;
  }
  assert.deepEqual(lines, [
    '+T [0 ADDR] "SET" "k" "a\\nb\\r\\t\\a\\b\\\\\\"\\x00\\xc3\\xbf z"', // (UTF-8 of ÿ)
    '+T [0 ADDR] "GET" "k"',
    '+T [0 ADDR] "INCR" "k"',
    '+T [0 ADDR] "AUTH" "(redacted)"',
    '+T [0 ADDR] "AUTH" "(redacted)" "(redacted)"',
    '+T [0 ADDR] "HELLO" "2" "AUTH" "(redacted)" "(redacted)" "SETNAME" "n"',
    '+T [0 ADDR] "CLIENT" "SETNAME" "x"',
    '+T [0 ADDR] "MULTI"',
    '+T [0 ADDR] "SET" "a" "1"',
    '+T [0 ADDR] "INCR" "a"',
    '+T [0 ADDR] "EXEC"',
    '+T [0 ADDR] "MULTI"',
    '+T [0 ADDR] "EXEC"',
    '+T [0 ADDR] "PING"',
    '+T [0 ADDR] "ECHO" "last"',
  ]);
});

eachPeer(
  "MONITOR: a monitor's own commands follow their reply; MONITOR twice; RESET",
  async (p) => {
    await using m = await RawClient.connect(p.port);
    assert.equal(await m.call("MONITOR"), "+OK\r\n");
    await m.send(cmds([["PING"], ["MONITOR"], ["ECHO", "x"]]));
    const got = await m.readStrings(4);
    assert.equal(got[0], "+PONG\r\n");
    assert.equal(normalize(got[1]), '+T [0 ADDR] "PING"');
    // the second MONITOR has no reply
    assert.equal(got[2], "$1\r\nx\r\n");
    assert.equal(normalize(got[3]), '+T [0 ADDR] "ECHO" "x"');
    assert.equal(await m.call("RESET"), "+RESET\r\n");
    await using c = await RawClient.connect(p.port);
    assert.equal(await c.call("SET", "after", "reset"), "+OK\r\n");
    assert.equal(await m.call("PING"), "+PONG\r\n"); // no line came
  },
);

eachPeer("MONITOR: a blocking command is shown when it blocks, once", async (p) => {
  await using m = await RawClient.connect(p.port);
  await using b = await RawClient.connect(p.port);
  await using c = await RawClient.connect(p.port);
  assert.equal(await m.call("MONITOR"), "+OK\r\n");
  await b.send(cmds([["BLPOP", "q", "0"]]));
  assert.equal(normalize((await m.readStrings(1))[0]), '+T [0 ADDR] "BLPOP" "q" "0"');
  assert.equal(await c.call("LPUSH", "q", "v"), ":1\r\n");
  assert.deepEqual(await b.readStrings(1), ["*2\r\n$1\r\nq\r\n$1\r\nv\r\n"]);
  assert.equal(normalize((await m.readStrings(1))[0]), '+T [0 ADDR] "LPUSH" "q" "v"');
  assert.equal(await c.call("ECHO", "end"), "$3\r\nend\r\n");
  assert.equal(normalize((await m.readStrings(1))[0]), '+T [0 ADDR] "ECHO" "end"');
});

Deno.test({
  name: "redis-cli monitor prints our lines as it prints Redis's",
  ignore: !HAVE_REDIS_CLI,
  fn: async () => {
    await using srv = await startTestServer();
    await using tool = ToolProcess.spawn("redis-cli", ["-p", String(srv.port), "monitor"]);
    await using c = await RawClient.connect(srv.port);
    // the monitor is ready once it has seen a command
    let ready = false;
    for (let i = 0; i < 40 && !ready; i++) {
      await c.call("PING");
      ready = await tool.readUntil('"PING"', 500).then(() => true, () => false);
    }
    assert.ok(ready, "redis-cli monitor never printed a command");
    assert.equal(await c.call("SET", "greeting", "hello world"), "+OK\r\n");
    const out = await tool.readUntil('"hello world"');
    const line = out.split("\n").find((l) => l.includes('"SET"'))!;
    assert.match(line, /^\d+\.\d{6} \[0 127\.0\.0\.1:\d+\] "SET" "greeting" "hello world"$/);
  },
});

eachPeer("MONITOR: a monitor may not touch the keyspace, as a replica", async (p) => {
  await using m = await RawClient.connect(p.port);
  assert.equal(await m.call("MONITOR"), "+OK\r\n");
  const refused = "-ERR Replica can't interact with the keyspace\r\n";
  await m.send(cmds([["GET", "a"], ["SET", "a", "1"], ["PUBLISH", "c", "m"], ["CLIENT", "ID"]]));
  const got = await m.readStrings(4);
  assert.deepEqual(got.slice(0, 3), [refused, refused, refused]);
  assert.match(got[3], /^:\d+\r\n$/);
  assert.equal(normalize((await m.readStrings(1))[0]), '+T [0 ADDR] "CLIENT" "ID"');
});
