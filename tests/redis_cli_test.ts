/**
 * `redis-cli` against our server, unchanged: PING, SET/GET, `--pipe` mass
 * insertion, SUBSCRIBE/PSUBSCRIBE in a second process, RESP3 (`-3`,
 * `--json`) and `-a` with `requirepass`.
 *
 * Every test runs against a real `redis-server` first (which proves the
 * expectation is Redis's) and then against ours, with the same arguments.
 * Ignored when `redis-cli` is not installed; the redis-server half is
 * ignored when `redis-server` is not.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  eachPeer,
  HAVE_REDIS_CLI,
  type Peer,
  type PeerOptions,
  RawClient,
  runTool,
  startServeProcess,
  ToolProcess,
} from "./helpers.ts";

/** Registers `fn` once per peer, each with its own private server. */
function cliTest(
  what: string,
  fn: (peer: Peer) => Promise<void>,
  options: PeerOptions = {},
): void {
  eachPeer(`redis-cli: ${what}`, fn, { ...options, requires: { "redis-cli": HAVE_REDIS_CLI } });
}

/** `redis-cli -h 127.0.0.1 -p <port> ...args`, expecting exit 0. */
async function cli(
  peer: Peer,
  args: string[],
  stdin?: Uint8Array | string,
): Promise<{ stdout: string; stderr: string }> {
  const out = await runTool("redis-cli", ["-h", "127.0.0.1", "-p", String(peer.port), ...args], {
    stdin,
  });
  assert.equal(
    out.code,
    0,
    `redis-cli ${args.join(" ")} exited ${out.code}: ${out.stdout}${out.stderr}`,
  );
  return { stdout: out.stdout, stderr: out.stderr };
}

const enc = new TextEncoder();

cliTest("PING, PING <message>, ECHO", async (peer) => {
  assert.deepEqual(await cli(peer, ["PING"]), { stdout: "PONG\n", stderr: "" });
  assert.equal((await cli(peer, ["PING", "hello world"])).stdout, "hello world\n");
  assert.equal((await cli(peer, ["ECHO", "héllo"])).stdout, "héllo\n");
  // --no-raw formats replies as the interactive mode does
  assert.equal((await cli(peer, ["--no-raw", "PING"])).stdout, "PONG\n");
  assert.equal((await cli(peer, ["--no-raw", "ECHO", "x y"])).stdout, '"x y"\n');
});

cliTest("SET, GET, a missing key, an error reply", async (peer) => {
  assert.equal((await cli(peer, ["SET", "greeting", "hello world"])).stdout, "OK\n");
  assert.equal((await cli(peer, ["GET", "greeting"])).stdout, "hello world\n");
  assert.equal((await cli(peer, ["GET", "nokey"])).stdout, "\n");
  assert.equal((await cli(peer, ["--no-raw", "GET", "nokey"])).stdout, "(nil)\n");
  assert.equal((await cli(peer, ["--no-raw", "GET", "greeting"])).stdout, '"hello world"\n');
  assert.equal((await cli(peer, ["INCR", "n"])).stdout, "1\n");
  assert.equal((await cli(peer, ["--no-raw", "INCRBY", "n", "41"])).stdout, "(integer) 42\n");
  assert.equal(
    (await cli(peer, ["--no-raw", "INCR", "greeting"])).stdout,
    "(error) ERR value is not an integer or out of range\n",
  );
  assert.equal(
    (await cli(peer, ["--no-raw", "MGET", "greeting", "nokey", "n"])).stdout,
    '1) "hello world"\n2) (nil)\n3) "42"\n',
  );
});

/** RESP of `count` commands: every 10th is `INCR counter`, the others `SET key:<i> value:<i>`. */
function massInsertion(count: number): Uint8Array {
  const parts: string[] = [];
  for (let i = 0; i < count; i++) {
    if (i % 10 === 9) {
      parts.push("*2\r\n$4\r\nINCR\r\n$7\r\ncounter\r\n");
    } else {
      const key = `key:${i}`;
      const value = `value:${i}`;
      parts.push(`*3\r\n$3\r\nSET\r\n$${key.length}\r\n${key}\r\n$${value.length}\r\n${value}\r\n`);
    }
  }
  return enc.encode(parts.join(""));
}

cliTest("--pipe mass insertion of 100,000 commands", async (peer) => {
  const count = 100_000;
  const { stdout } = await cli(peer, ["--pipe"], massInsertion(count));
  assert.match(stdout, /All data transferred\. Waiting for the last reply\.\.\./);
  assert.match(stdout, /Last reply received from server\./);
  assert.match(stdout, /errors: 0, replies: 100000\n$/);
  assert.equal((await cli(peer, ["DBSIZE"])).stdout, `${count - count / 10 + 1}\n`);
  assert.equal((await cli(peer, ["GET", "counter"])).stdout, `${count / 10}\n`);
  assert.equal((await cli(peer, ["GET", "key:0"])).stdout, "value:0\n");
  assert.equal((await cli(peer, ["GET", "key:99998"])).stdout, "value:99998\n");
  assert.equal((await cli(peer, ["EXISTS", "key:99999"])).stdout, "0\n");
});

cliTest("--pipe counts error replies", async (peer) => {
  const input = "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n*1\r\n$7\r\nNOSUCHC\r\n" +
    "*2\r\n$4\r\nINCR\r\n$1\r\nk\r\n*1\r\n$4\r\nPING\r\n";
  const out = await runTool("redis-cli", ["-h", "127.0.0.1", "-p", String(peer.port), "--pipe"], {
    stdin: input,
  });
  assert.equal(out.code, 1, "redis-cli --pipe exits 1 when a reply was an error");
  assert.match(out.stdout, /errors: 2, replies: 4\n$/);
  assert.match(
    out.stderr + out.stdout,
    /ERR unknown command 'NOSUCHC', with args beginning with: /,
  );
  assert.match(out.stderr + out.stdout, /ERR value is not an integer or out of range/);
});

cliTest("SUBSCRIBE in a second redis-cli receives a PUBLISH", async (peer) => {
  await using sub = ToolProcess.spawn("redis-cli", [
    "-h",
    "127.0.0.1",
    "-p",
    String(peer.port),
    "SUBSCRIBE",
    "news",
    "weather",
  ]);
  // the confirmations say the subscription is live before anything is published
  await sub.readUntil("subscribe\nnews\n1\nsubscribe\nweather\n2\n");
  assert.equal((await cli(peer, ["PUBLISH", "news", "hello world"])).stdout, "1\n");
  assert.equal((await cli(peer, ["PUBLISH", "nobody-listens", "x"])).stdout, "0\n");
  assert.equal((await cli(peer, ["PUBLISH", "weather", "sunny"])).stdout, "1\n");
  const out = await sub.readUntil("message\nweather\nsunny\n");
  assert.equal(
    out,
    "subscribe\nnews\n1\nsubscribe\nweather\n2\n" +
      "message\nnews\nhello world\nmessage\nweather\nsunny\n",
  );
  // while it listens, PUBSUB sees it
  assert.equal(
    (await cli(peer, ["PUBSUB", "NUMSUB", "news", "other"])).stdout,
    "news\n1\nother\n0\n",
  );
});

cliTest("PSUBSCRIBE in a second redis-cli receives pmessages (--no-raw)", async (peer) => {
  await using sub = ToolProcess.spawn("redis-cli", [
    "-h",
    "127.0.0.1",
    "-p",
    String(peer.port),
    "--no-raw",
    "PSUBSCRIBE",
    "news.*",
  ]);
  await sub.readUntil('1) "psubscribe"\n2) "news.*"\n3) (integer) 1\n');
  assert.equal((await cli(peer, ["PUBLISH", "news.tech", "deno 2"])).stdout, "1\n");
  assert.equal((await cli(peer, ["PUBLISH", "sport", "no match"])).stdout, "0\n");
  assert.equal((await cli(peer, ["PUBSUB", "NUMPAT"])).stdout, "1\n");
  const out = await sub.readUntil('4) "deno 2"\n');
  assert.equal(
    out,
    "Reading messages... (press Ctrl-C to quit)\n" +
      '1) "psubscribe"\n2) "news.*"\n3) (integer) 1\n' +
      '1) "pmessage"\n2) "news.*"\n3) "news.tech"\n4) "deno 2"\n',
  );
});

cliTest("-3 SUBSCRIBE (RESP3 push messages) receives a PUBLISH", async (peer) => {
  await using sub = ToolProcess.spawn("redis-cli", [
    "-h",
    "127.0.0.1",
    "-p",
    String(peer.port),
    "-3",
    "SUBSCRIBE",
    "ch",
  ]);
  await sub.readUntil("subscribe\nch\n1\n");
  assert.equal((await cli(peer, ["PUBLISH", "ch", "pushed"])).stdout, "1\n");
  assert.equal(
    await sub.readUntil("message\nch\npushed\n"),
    "subscribe\nch\n1\nmessage\nch\npushed\n",
  );
});

cliTest("-3: HELLO 3 reply map, RESP3 maps and nulls", async (peer) => {
  const hello = (await cli(peer, ["-3", "--no-raw", "HELLO", "3"])).stdout.split("\n");
  assert.equal(hello.length, 8, `HELLO 3 has 7 fields: ${hello.join("\n")}`);
  assert.match(hello[0], /^1# "server" => "[^"]+"$/);
  assert.match(hello[1], /^2# "version" => "\d+\.\d+\.\d+[^"]*"$/);
  assert.equal(hello[2], '3# "proto" => (integer) 3');
  assert.match(hello[3], /^4# "id" => \(integer\) \d+$/);
  assert.equal(hello[4], '5# "mode" => "standalone"');
  assert.equal(hello[5], '6# "role" => "master"');
  assert.equal(hello[6], '7# "modules" => (empty array)');
  assert.equal(hello[7], "");
  // CONFIG GET is a map in RESP3 and a flat array in RESP2
  assert.equal(
    (await cli(peer, ["-3", "--no-raw", "CONFIG", "GET", "maxclients"])).stdout,
    '1# "maxclients" => "10000"\n',
  );
  assert.equal(
    (await cli(peer, ["-2", "--no-raw", "CONFIG", "GET", "maxclients"])).stdout,
    '1) "maxclients"\n2) "10000"\n',
  );
  assert.equal((await cli(peer, ["-3", "--no-raw", "GET", "nokey"])).stdout, "(nil)\n");
  assert.equal((await cli(peer, ["-3", "--no-raw", "PING"])).stdout, "PONG\n");
  assert.equal((await cli(peer, ["-3", "SET", "k", "v"])).stdout, "OK\n");
  assert.equal(
    (await cli(peer, ["-3", "--no-raw", "MGET", "k", "nokey"])).stdout,
    '1) "v"\n2) (nil)\n',
  );
});

cliTest("--json (RESP3): HELLO 3, CONFIG GET, null", async (peer) => {
  const hello = JSON.parse((await cli(peer, ["--json", "HELLO", "3"])).stdout);
  assert.deepEqual(Object.keys(hello), [
    "server",
    "version",
    "proto",
    "id",
    "mode",
    "role",
    "modules",
  ]);
  assert.equal(typeof hello.server, "string");
  assert.equal(typeof hello.version, "string");
  assert.equal(hello.proto, 3);
  assert.ok(Number.isSafeInteger(hello.id) && hello.id > 0, `id ${hello.id}`);
  assert.equal(hello.mode, "standalone");
  assert.equal(hello.role, "master");
  assert.deepEqual(hello.modules, []);
  assert.deepEqual(
    JSON.parse((await cli(peer, ["--json", "CONFIG", "GET", "maxclients"])).stdout),
    {
      maxclients: "10000",
    },
  );
  assert.deepEqual(
    JSON.parse((await cli(peer, ["--json", "-2", "CONFIG", "GET", "maxclients"])).stdout),
    ["maxclients", "10000"],
  );
  assert.equal(JSON.parse((await cli(peer, ["--json", "GET", "nokey"])).stdout), null);
  await cli(peer, ["SET", "k", "v"]);
  assert.deepEqual(JSON.parse((await cli(peer, ["--json", "MGET", "k", "nokey"])).stdout), [
    "v",
    null,
  ]);
});

const PASSWORD = "s3cret pass";

cliTest("requirepass: NOAUTH without -a", async (peer) => {
  assert.equal((await cli(peer, ["PING"])).stdout, "NOAUTH Authentication required.\n\n");
  assert.equal(
    (await cli(peer, ["--no-raw", "SET", "k", "v"])).stdout,
    "(error) NOAUTH Authentication required.\n",
  );
  // nothing was written
  await using c = await RawClient.connect(peer.port);
  assert.equal(await c.call("AUTH", PASSWORD), "+OK\r\n");
  assert.equal(await c.call("EXISTS", "k"), ":0\r\n");
}, { requirepass: PASSWORD });

cliTest("requirepass: -a <password>", async (peer) => {
  // redis-cli's own warning about -a on the command line goes to stderr
  const first = await cli(peer, ["-a", PASSWORD, "PING"]);
  assert.equal(first.stdout, "PONG\n");
  assert.match(first.stderr, /^Warning: Using a password with '-a' or '-u' option/);
  assert.deepEqual(await cli(peer, ["-a", PASSWORD, "--no-auth-warning", "SET", "k", "v"]), {
    stdout: "OK\n",
    stderr: "",
  });
  assert.equal(
    (await cli(peer, ["--pass", PASSWORD, "--no-auth-warning", "GET", "k"])).stdout,
    "v\n",
  );
  // -3 with -a: the password travels in HELLO 3 AUTH default <password>
  const hello = JSON.parse(
    (await cli(peer, ["-a", PASSWORD, "--no-auth-warning", "--json", "HELLO", "3"])).stdout,
  );
  assert.equal(hello.proto, 3);
  // --pipe authenticates too
  const piped = await cli(peer, ["-a", PASSWORD, "--no-auth-warning", "--pipe"], massInsertion(20));
  assert.match(piped.stdout, /errors: 0, replies: 20\n$/);
}, { requirepass: PASSWORD });

cliTest("requirepass: --user default -a <password> (AUTH username password)", async (peer) => {
  assert.deepEqual(
    await cli(peer, ["--user", "default", "-a", PASSWORD, "--no-auth-warning", "PING"]),
    { stdout: "PONG\n", stderr: "" },
  );
}, { requirepass: PASSWORD });

cliTest("requirepass: a wrong -a password gives WRONGPASS, then NOAUTH", async (peer) => {
  const out = await cli(peer, ["-a", "wrong", "--no-auth-warning", "PING"]);
  assert.equal(
    out.stderr,
    "AUTH failed: WRONGPASS invalid username-password pair or user is disabled.\n",
  );
  assert.equal(out.stdout, "NOAUTH Authentication required.\n\n");
}, { requirepass: PASSWORD });

// The `serve` subcommand as a process (what users run), not in-process.
for (
  const [what, args, env] of [
    ["serve --requirepass <pw>", ["--requirepass", PASSWORD], {}],
    ["serve with MINI_REDIS_PASSWORD in the environment", [], { MINI_REDIS_PASSWORD: PASSWORD }],
  ] as [string, string[], Record<string, string>][]
) {
  Deno.test({
    name: `redis-cli: ${what} (a main.ts process) [mini-redis]${
      HAVE_REDIS_CLI ? "" : " (ignored: redis-cli is not installed)"
    }`,
    ignore: !HAVE_REDIS_CLI,
    fn: async () => {
      const srv = await startServeProcess(["--log-level", "warn", ...args], env);
      let code: number | undefined;
      try {
        const peer = { kind: "ours", port: srv.port } as Peer;
        assert.equal((await cli(peer, ["PING"])).stdout, "NOAUTH Authentication required.\n\n");
        assert.equal(
          (await cli(peer, ["-a", PASSWORD, "--no-auth-warning", "SET", "k", "v"])).stdout,
          "OK\n",
        );
        assert.equal(
          (await cli(peer, ["-a", PASSWORD, "--no-auth-warning", "GET", "k"])).stdout,
          "v\n",
        );
      } finally {
        code = await srv.close();
      }
      assert.equal(code, 0, "serve exits 0 on SIGTERM");
    },
  });
}
