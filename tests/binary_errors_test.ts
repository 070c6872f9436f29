/**
 * Error replies that quote what the client sent (`unknown command '<name>'`,
 * `Unsupported option <arg>`, `expected '$', got '<byte>'`, ...) echo those
 * bytes exactly as Redis 7.0 does: byte for byte, whether or not they are
 * valid UTF-8, cut at NUL and at 128 bytes where Redis cuts, CR and LF
 * turned into spaces (and trimmed at the ends for `addReplyErrorFormat`
 * texts).
 *
 * The expected bytes below were taken from redis-server 7.0.15; the
 * differential test at the end checks them, and many generated cases,
 * against a real `redis-server` when one is installed.
 *
 * @module
 */

import assert from "node:assert/strict";
import { encode } from "../resp/encoder.ts";
import { ReplyError } from "../resp/frame.ts";
import {
  cmd,
  concat,
  fromLatin1,
  HAVE_REDIS,
  latin1,
  mulberry32,
  RawClient,
  startPeer,
  startTestServer,
} from "./helpers.ts";

/** A command whose arguments are latin1 strings (one char per byte). */
type Case = readonly string[];

const bin = (args: Case): Uint8Array => cmd(...args.map(fromLatin1));
const show = (s: string): string => JSON.stringify(s);

const A200 = "a".repeat(200);
const FF130 = "\xff".repeat(130);
const E_ACUTE_70 = "\xc3\xa9".repeat(70); // "é" x 70 as UTF-8: 140 bytes

/** Commands and the raw reply redis-server 7.0 sends (RESP2 and RESP3 alike). */
const EXPECTED: readonly [Case, string][] = [
  // unknown command: name and arguments echoed raw
  [
    ["\xd8A", "x\xffy", "a\r\nb"],
    "-ERR unknown command '\xd8A', with args beginning with: 'x\xffy' 'a  b' \r\n",
  ],
  [["\xd8A\r\n"], "-ERR unknown command '\xd8A  ', with args beginning with: \r\n"],
  [["\r\nfoo\n"], "-ERR unknown command '  foo ', with args beginning with: \r\n"],
  [["foo\x00bar", "a\x00b"], "-ERR unknown command 'foo', with args beginning with: 'a' \r\n"],
  [
    ["foo\t\x0b\x0c\x1b", "\x01\x7f"],
    "-ERR unknown command 'foo\t\x0b\x0c\x1b', with args beginning with: '\x01\x7f' \r\n",
  ],
  [
    ["foo", A200],
    `-ERR unknown command 'foo', with args beginning with: '${"a".repeat(128)}' \r\n`,
  ],
  [
    ["foo", "a".repeat(100), "b".repeat(100), "c"],
    `-ERR unknown command 'foo', with args beginning with: '${"a".repeat(100)}' '${
      "b".repeat(25)
    }' \r\n`,
  ],
  [
    ["foo", "a", "b", "c", "d", "e"],
    "-ERR unknown command 'foo', with args beginning with: 'a' 'b' 'c' 'd' 'e' \r\n",
  ],
  [
    [FF130, "x"],
    `-ERR unknown command '${"\xff".repeat(128)}', with args beginning with: 'x' \r\n`,
  ],
  [
    ["foo", E_ACUTE_70],
    `-ERR unknown command 'foo', with args beginning with: '${"\xc3\xa9".repeat(64)}' \r\n`,
  ],
  // unknown subcommand of a container command
  [["config", "\xd8x"], "-ERR unknown subcommand '\xd8x'. Try CONFIG HELP.\r\n"],
  [["Config", "\r\nx\xff"], "-ERR unknown subcommand '  x\xff'. Try CONFIG HELP.\r\n"],
  [["client", "\xd8"], "-ERR unknown subcommand '\xd8'. Try CLIENT HELP.\r\n"],
  [["pubsub", "\xd8x"], "-ERR unknown subcommand '\xd8x'. Try PUBSUB HELP.\r\n"],
  [
    ["pubsub", A200],
    `-ERR unknown subcommand '${"a".repeat(128)}'. Try PUBSUB HELP.\r\n`,
  ],
  [
    ["pubsub", "ChAnNeLs", "a", "b"],
    "-ERR unknown subcommand or wrong number of arguments for 'ChAnNeLs'. Try PUBSUB HELP.\r\n",
  ],
  // addReplyErrorFormat texts: CR/LF trimmed at the ends, spaces inside, %s stops at NUL
  [["expire", "k", "10", "\xd8\r\n"], "-ERR Unsupported option \xd8\r\n"],
  [["expire", "k", "10", "\r\nab\x00cd"], "-ERR Unsupported option   ab\r\n"],
  [["pexpire", "k", "10", "\r\n"], "-ERR Unsupported option \r\n"],
  [
    ["config", "set", "\xd8opt\r\n", "v"],
    "-ERR Unknown option or number of arguments for CONFIG SET - '\xd8opt  '\r\n",
  ],
  [
    ["config", "set", "\nopt\xd8", "v"],
    "-ERR Unknown option or number of arguments for CONFIG SET - ' opt\xd8'\r\n",
  ],
  [
    ["config", "set", "DAtabases", "3"],
    "-ERR CONFIG SET failed (possibly related to argument 'DAtabases') - can't set immutable config\r\n",
  ],
  [
    // a value Redis rejects names the parameter, not the argument
    ["config", "set", "TIMEOUT", "-5"],
    "-ERR CONFIG SET failed (possibly related to argument 'timeout') - argument must be between 0 and 2147483647 inclusive\r\n",
  ],
  [["hello", "3", "\xd8opt\n"], "-ERR Syntax error in HELLO option '\xd8opt '\r\n"],
  [["client", "kill", "type", "\xd8\r"], "-ERR Unknown client type '\xd8 '\r\n"],
  [["client", "kill", "type", "\x00x"], "-ERR Unknown client type ''\r\n"],
  [["client", "list", "type", "\xd8\r"], "-ERR Unknown client type '\xd8 '\r\n"],
  [["client", "kill", "user", "\xd8\r"], "-ERR No such user '\xd8 '\r\n"],
  // the command name of an arity error comes from the table
  [["GET"], "-ERR wrong number of arguments for 'get' command\r\n"],
];

/** Inline commands (latin1) and Redis's raw replies. */
const INLINE: readonly [string, string][] = [
  ["\xd8A x\xff\r\n", "-ERR unknown command '\xd8A', with args beginning with: 'x\xff' \r\n"],
  [
    "\"\\xd8\\x00z\" 'a\\'b'\r\n",
    "-ERR unknown command '\xd8', with args beginning with: 'a'b' \r\n",
  ],
];

/** Request bytes that break the protocol (latin1), and Redis's last words before closing. */
const PROTOCOL: readonly [string, string][] = [
  ["*1\r\n\xd8\r\n", "-ERR Protocol error: expected '$', got '\xd8'\r\n"],
  ["*2\r\n$1\r\na\r\n\xff\r\n", "-ERR Protocol error: expected '$', got '\xff'\r\n"],
  ["*1\r\n\x80abc\r\n", "-ERR Protocol error: expected '$', got '\x80'\r\n"],
  ["*1\r\n\r\n", "-ERR Protocol error: expected '$', got ' '\r\n"],
  ["*1\r\n\n\r\n", "-ERR Protocol error: expected '$', got ' '\r\n"],
];

Deno.test("binary error text: the encoder writes it byte for byte, other text as UTF-8", () => {
  const raw = (e: ReplyError, protocol: 2 | 3 = 2) => latin1(encode(e, protocol));
  assert.equal(raw(new ReplyError("ERR '\xd8A'", false, true)), "-ERR '\xd8A'\r\n");
  assert.equal(raw(new ReplyError("ERR \xff\r\n\x00x", false, true)), "-ERR \xff  \x00x\r\n");
  // RESP3 bulk errors carry CR/LF as they are
  assert.equal(raw(new ReplyError("ERR \xff\r\n", true, true), 3), "!7\r\nERR \xff\r\n\r\n");
  assert.equal(raw(new ReplyError("ERR \xff\r\n", true, true), 2), "-ERR \xff  \r\n");
  // ordinary (decoded, UTF-16) text is still UTF-8: "é" stays C3 A9
  assert.equal(raw(new ReplyError("ERR é")), "-ERR \xc3\xa9\r\n");
  assert.equal(raw(new ReplyError("ERR é", true), 3), "!6\r\nERR \xc3\xa9\r\n");
  // text that is not binary after all (a char above 255) falls back to UTF-8, whole
  assert.equal(raw(new ReplyError("ERR \xe9\u20ac", false, true)), "-ERR \xc3\xa9\xe2\x82\xac\r\n");
  assert.equal(raw(new ReplyError("ERR \u20ac", true, true), 3), "!7\r\nERR \xe2\x82\xac\r\n");
  assert.equal(new ReplyError("ERR x").binary, false);
  assert.equal(new ReplyError("ERR x", false, true).code, "ERR");
});

Deno.test("error replies echo the client's bytes as Redis does (RESP2, pipelined)", async () => {
  await using srv = await startTestServer();
  await using c = await RawClient.connect(srv.port);
  await c.send(concat(EXPECTED.map(([args]) => bin(args))));
  const replies = await c.readStrings(EXPECTED.length);
  for (let i = 0; i < EXPECTED.length; i++) {
    assert.equal(
      show(replies[i]),
      show(EXPECTED[i][1]),
      `reply to ${show(EXPECTED[i][0].join(" "))}`,
    );
  }
  assert.equal(await c.call("PING"), "+PONG\r\n");
});

Deno.test("error replies echo the client's bytes as Redis does (RESP3)", async () => {
  await using srv = await startTestServer();
  await using c = await RawClient.connect(srv.port);
  assert.ok((await c.call("HELLO", "3")).startsWith("%"));
  await c.send(concat(EXPECTED.map(([args]) => bin(args))));
  const replies = await c.readStrings(EXPECTED.length);
  for (let i = 0; i < EXPECTED.length; i++) {
    assert.equal(
      show(replies[i]),
      show(EXPECTED[i][1]),
      `reply to ${show(EXPECTED[i][0].join(" "))}`,
    );
  }
});

Deno.test("inline commands: unknown names and arguments echoed raw", async () => {
  await using srv = await startTestServer();
  await using c = await RawClient.connect(srv.port);
  for (const [line, reply] of INLINE) {
    await c.send(fromLatin1(line));
    assert.equal(show((await c.readStrings(1))[0]), show(reply), `reply to ${show(line)}`);
  }
});

Deno.test("protocol errors quote the offending byte raw, then close", async () => {
  await using srv = await startTestServer();
  for (const [request, reply] of PROTOCOL) {
    await using c = await RawClient.connect(srv.port);
    await c.send(fromLatin1(request));
    assert.equal(show(latin1(await c.readUntilClose())), show(reply), `reply to ${show(request)}`);
  }
});

// ---- differential: the same bytes from redis-server and from us ----

/** Random bytes biased towards the interesting ones: high-bit, CR, LF, NUL, controls. */
function randomBytes(rnd: () => number, max: number): string {
  const n = Math.floor(rnd() * rnd() * max);
  let s = "";
  for (let i = 0; i < n; i++) {
    const r = rnd();
    const c = r < 0.35
      ? 0x80 + Math.floor(rnd() * 128)
      : r < 0.45
      ? [13, 10, 0, 9, 32, 39][Math.floor(rnd() * 6)]
      : r < 0.5
      ? Math.floor(rnd() * 32)
      : 97 + Math.floor(rnd() * 26);
    s += String.fromCharCode(c);
  }
  return s;
}

/** Random bytes that cannot be a command, option, type or parameter name. */
function unknownWord(rnd: () => number, max: number): string {
  const s = randomBytes(rnd, max);
  return /^[a-z0-9_|-]*$/.test(s) ? "\xff" + s : s;
}

/** Commands that put random bytes where an error reply quotes them. */
function generatedCases(seed: number, count: number): Case[] {
  const rnd = mulberry32(seed);
  const out: Case[] = [];
  const long = () => (rnd() < 0.15 ? 400 : 40);
  for (let i = 0; i < count; i++) {
    const word = () => unknownWord(rnd, long());
    const any = () => randomBytes(rnd, long());
    switch (i % 9) {
      case 0:
      case 1: {
        const args = [word()];
        const n = Math.floor(rnd() * 6);
        for (let k = 0; k < n; k++) args.push(any());
        out.push(args);
        break;
      }
      case 2:
        out.push([["config", "CLIENT", "pubsub", "Command"][Math.floor(rnd() * 4)], word()]);
        break;
      case 3:
        out.push([rnd() < 0.5 ? "expire" : "pexpire", "k", "10", word()]);
        break;
      case 4:
        out.push(["config", "set", word(), any()]);
        break;
      case 5:
        out.push(["hello", rnd() < 0.5 ? "2" : "3", word()]);
        break;
      case 6:
        out.push(["client", rnd() < 0.5 ? "kill" : "list", "type", word()]);
        break;
      case 7:
        out.push(["client", "kill", "user", word()]);
        break;
      case 8:
        out.push(["pubsub", "channels", word(), any()]);
        break;
    }
  }
  return out;
}

/** Raw replies of one peer to `cases`, pipelined on one connection (RESP3 after HELLO 3 if asked). */
async function replies(port: number, cases: readonly Case[], resp3: boolean): Promise<string[]> {
  await using c = await RawClient.connect(port);
  if (resp3) await c.call("HELLO", "3"); // its reply differs (id, version): not compared
  await c.send(concat(cases.map(bin)));
  return await c.readStrings(cases.length);
}

Deno.test({
  name: "binary error replies are byte-identical to redis-server's" +
    (HAVE_REDIS ? "" : " (ignored: redis-server is not installed)"),
  ignore: !HAVE_REDIS,
  async fn() {
    const cases: Case[] = [...EXPECTED.map(([args]) => args), ...generatedCases(0xb1e, 450)];
    await using redis = await startPeer("redis");
    await using ours = await startPeer("ours");
    for (const resp3 of [false, true]) {
      const want = await replies(redis.port, cases, resp3);
      const got = await replies(ours.port, cases, resp3);
      for (let i = 0; i < cases.length; i++) {
        assert.equal(
          show(got[i]),
          show(want[i]),
          `RESP${resp3 ? 3 : 2} reply to ${show(cases[i].join(" "))}`,
        );
      }
      // the hard-coded expectations are Redis's own bytes
      for (let i = 0; i < EXPECTED.length; i++) assert.equal(want[i], EXPECTED[i][1]);
    }
    for (const [line, reply] of INLINE) {
      for (const peer of [redis, ours]) {
        await using c = await RawClient.connect(peer.port);
        await c.send(fromLatin1(line));
        assert.equal(show((await c.readStrings(1))[0]), show(reply), `${peer.kind}: ${show(line)}`);
      }
    }
    // every byte where '$' belongs (but NUL: Redis's strchr stops there and it waits)
    const requests = PROTOCOL.map(([request]) => request);
    for (let b = 1; b < 256; b++) {
      if (b !== 36) requests.push(`*1\r\n${String.fromCharCode(b)}x\r\n`);
    }
    for (const request of requests) {
      const out: string[] = [];
      for (const peer of [redis, ours]) {
        await using c = await RawClient.connect(peer.port);
        await c.send(fromLatin1(request));
        out.push(latin1(await c.readUntilClose()));
      }
      assert.equal(show(out[1]), show(out[0]), `reply to ${show(request)}`);
    }
  },
});
