/**
 * CLI client subcommands (`runCli`) and the `demo` subcommand (`runDemo`):
 * redis-cli-style output and exit codes (0 ok, 1 server error, 2 bad usage,
 * 3 unreachable), against our server and a real redis-server.
 */

import assert from "node:assert/strict";
import { connect } from "../client/mod.ts";
import { formatReply, quote, runCli } from "../client/cli.ts";
import { runDemo } from "../client/demo.ts";
import { startServer } from "../server/mod.ts";
import {
  bounded,
  Changes,
  eachPeer,
  FakeServer,
  freePort,
  HAVE_REDIS,
  startRedis,
} from "./helpers.ts";

/** Captures what runCli prints. */
function capture() {
  const io = { out: "", err: "" };
  const changes = new Changes();
  return {
    io,
    stdout: { write: (s: string) => void (io.out += s, changes.notify()) },
    stderr: { write: (s: string) => void (io.err += s, changes.notify()) },
    /** Resolves once stdout contains `text` (bounded: fails with what was printed). */
    until(text: string): Promise<void> {
      return changes.until(
        () => io.out.includes(text),
        `${JSON.stringify(text)} on stdout (got ${JSON.stringify(io.out)})`,
      );
    },
  };
}

async function cli(command: Parameters<typeof runCli>[0], args: string[], options = {}) {
  const c = capture();
  const code = await runCli(command, args, options, { stdout: c.stdout, stderr: c.stderr });
  return { code, out: c.io.out, err: c.io.err };
}

eachPeer("ping, set, get, del print like redis-cli and exit 0", async ({ port }) => {
  assert.deepEqual(await cli("ping", [], { port }), { code: 0, out: "PONG\n", err: "" });
  assert.deepEqual(await cli("ping", ["hi there"], { port }), {
    code: 0,
    out: '"hi there"\n',
    err: "",
  });
  assert.deepEqual(await cli("set", ["k", 'va"l\n'], { port }), { code: 0, out: "OK\n", err: "" });
  assert.deepEqual(await cli("get", ["k"], { port }), { code: 0, out: '"va\\"l\\n"\n', err: "" });
  assert.deepEqual(await cli("get", ["missing"], { host: "127.0.0.1", port }), {
    code: 0,
    out: "(nil)\n",
    err: "",
  });
  assert.deepEqual(await cli("set", ["e", "1"], { port, ex: 100 }), {
    code: 0,
    out: "OK\n",
    err: "",
  });
  assert.deepEqual(
    await cli("set", ["p", "1"], { url: `redis://127.0.0.1:${port}/0`, px: 100_000 }),
    {
      code: 0,
      out: "OK\n",
      err: "",
    },
  );
  await using c = await connect({ hostname: "127.0.0.1", port });
  assert.ok((await c.ttl("e")) > 90);
  assert.ok((await c.pttl("p")) > 90_000);
  assert.deepEqual(await cli("del", ["k", "e", "nope"], { port }), {
    code: 0,
    out: "(integer) 2\n",
    err: "",
  });
});

eachPeer("publish prints the receiver count", async ({ port }) => {
  assert.deepEqual(await cli("publish", ["news", "hi"], { port }), {
    code: 0,
    out: "(integer) 0\n",
    err: "",
  });
});

eachPeer("subscribe prints messages until stopped, then exits 0", async ({ port }) => {
  const c = capture();
  const ac = new AbortController();
  const running = runCli("subscribe", ["news", "sport"], { port }, {
    stdout: c.stdout,
    stderr: c.stderr,
    signal: ac.signal,
  });
  await c.until("3) (integer) 2\n");
  await using publisher = await connect({ hostname: "127.0.0.1", port });
  assert.equal(await publisher.publish("sport", "goal"), 1);
  await c.until('"goal"\n');
  ac.abort();
  assert.equal(await bounded(running, "the subscribe command to stop"), 0);
  assert.equal(
    c.io.out,
    [
      "Reading messages... (press Ctrl-C to quit)",
      '1) "subscribe"',
      '2) "news"',
      "3) (integer) 1",
      '1) "subscribe"',
      '2) "sport"',
      "3) (integer) 2",
      '1) "message"',
      '2) "sport"',
      '3) "goal"',
      "",
    ].join("\n"),
  );
  assert.equal(c.io.err, "");
});

Deno.test("a server error prints (error) ... and exits 1", async () => {
  await using fake = FakeServer.start(() => "-ERR something went wrong\r\n");
  await fake.autoAnswer();
  assert.deepEqual(await cli("get", ["k"], { port: fake.port }), {
    code: 1,
    out: "(error) ERR something went wrong\n",
    err: "",
  });
});

Deno.test({
  name: "WRONGTYPE from the server exits 1 [redis-server]" +
    (HAVE_REDIS ? "" : " (ignored: redis-server is not installed)"),
  ignore: !HAVE_REDIS,
  async fn() {
    await using server = await startRedis();
    await using c = await connect({ hostname: "127.0.0.1", port: server.port });
    await c.send(["LPUSH", "list", "x"]);
    assert.deepEqual(await cli("get", ["list"], { port: server.port }), {
      code: 1,
      out: "(error) WRONGTYPE Operation against a key holding the wrong kind of value\n",
      err: "",
    });
  },
});

Deno.test("bad usage exits 2 with a usage line on stderr, without connecting", async () => {
  const port = freePort(); // nothing listens: usage is checked first
  const cases: [Parameters<typeof runCli>[0], string[], object][] = [
    ["get", [], {}],
    ["get", ["a", "b"], {}],
    ["set", ["k"], {}],
    ["set", ["k", "v"], { ex: 1, px: 1 }],
    ["set", ["k", "v"], { ex: 0 }],
    ["set", ["k", "v"], { px: Number.NaN }],
    ["get", ["k"], { ex: 5 }],
    ["del", [], {}],
    ["publish", ["only-channel"], {}],
    ["subscribe", [], {}],
    ["ping", ["a", "b"], {}],
    ["get", ["k"], { url: "http://nope" }],
    ["get", ["k"], { url: "notaurl" }],
    ["get", ["k"], { url: "redis://127.0.0.1:99999" }],
    ["get", ["k"], { url: "redis://127.0.0.1:6379", host: "127.0.0.1" }],
  ];
  for (const [command, args, options] of cases) {
    const r = await cli(command, args, "url" in options ? options : { port, ...options });
    assert.equal(r.code, 2, `${command} ${args.join(" ")} ${JSON.stringify(options)}`);
    assert.equal(r.out, "");
    // every usage error in one style: what is wrong, then the usage line
    assert.match(r.err, /^mini-redis: .+\nUsage: mini-redis /);
  }
  const r = await cli("set", ["k"], { port });
  assert.equal(
    r.err,
    "mini-redis: set takes a key and a value\nUsage: mini-redis set <key> <value> [--ex s|--px ms]\n",
  );
  const both = await cli("get", ["k"], { url: `redis://127.0.0.1:${port}`, port });
  assert.equal(both.err.split("\n")[0], "mini-redis: give --url or --host/--port, not both");
});

Deno.test("an unreachable server exits 3 with one line on stderr", async () => {
  const port = freePort();
  for (const command of ["ping", "get", "subscribe"] as const) {
    const r = await cli(command, command === "ping" ? [] : ["k"], { port });
    assert.deepEqual(r, {
      code: 3,
      out: "",
      err: `Could not connect to Redis at 127.0.0.1:${port}: Connection refused\n`,
    });
  }
});

Deno.test("formatReply and quote follow redis-cli", () => {
  const enc = new TextEncoder();
  assert.equal(
    quote(new Uint8Array([0x61, 0x22, 0x5c, 0x0a, 0x0d, 0x09, 0x07, 0x08, 0x00, 0xff])),
    '"a\\"\\\\\\n\\r\\t\\a\\b\\x00\\xff"',
  );
  assert.equal(quote(enc.encode("é")), '"\\xc3\\xa9"');
  assert.equal(formatReply(null), "(nil)");
  assert.equal(formatReply(7), "(integer) 7");
  assert.equal(formatReply([]), "(empty array)");
  assert.equal(
    formatReply([enc.encode("a"), [1, null], 3]),
    ['1) "a"', "2) 1) (integer) 1", "   2) (nil)", "3) (integer) 3"].join("\n"),
  );
  const ten = Array.from({ length: 10 }, (_, i) => i);
  assert.equal(formatReply(ten).split("\n")[0], " 1) (integer) 0");
  assert.equal(formatReply(ten).split("\n")[9], "10) (integer) 9");
});

Deno.test("demo: two tasks on one connection, then one-at-a-time against the BufferedClient", async () => {
  const lines: string[] = [];
  const code = await runDemo({
    tasks: 10,
    ops: 400,
    startServer: () => startServer({ host: "127.0.0.1", port: 0, logLevel: "silent" }),
    print: (line) => lines.push(line),
  });
  assert.equal(code, 0);
  const text = lines.join("\n");
  assert.match(text, /embedded server/);
  assert.match(text, /task 1: SET foo bar -> OK/);
  assert.match(text, /task 2: GET hello {3}-> \(nil\)/);
  assert.match(text, /\(a\) one request at a time \(callers take turns\) +[\d,]+ ops\/s/);
  assert.match(text, /\(b\) BufferedClient \(commands written together\) +[\d,]+ ops\/s/);
  assert.match(text, /speed-up: \d+\.\dx/);
  assert.match(text, /every reply reached the task that asked for it/);
});

Deno.test("demo: an unreachable server exits 3 with one line", async () => {
  const errors: string[] = [];
  const port = freePort();
  const code = await runDemo({ port, print: () => {}, printError: (l) => errors.push(l) });
  assert.equal(code, 3);
  assert.equal(errors.length, 1);
  assert.match(errors[0], new RegExp(`127\\.0\\.0\\.1:${port}.*Connection refused`));
});
