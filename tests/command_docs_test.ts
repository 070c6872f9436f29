/**
 * COMMAND DOCS: every command we implement is documented as Redis 7.0
 * documents it (summary, since, group, complexity, doc flags, history and
 * the argument specs `redis-cli` builds its hints from), in RESP2 and RESP3.
 *
 * The reference is a real `redis-server` 7.0: for each of our commands and
 * subcommands that it also has, its `COMMAND DOCS <name>` reply and ours are
 * decoded with our resp Decoder and compared structurally (frame kinds
 * included: sets, maps, simple strings), and byte for byte where the reply
 * holds no hash-ordered map. Those tests are ignored, with the reason, when
 * `redis-server` (or `redis-cli`, for the hint test) is not installed.
 *
 * @module
 */

import assert from "node:assert/strict";
import { Decoder } from "../resp/decoder.ts";
import { encode } from "../resp/encoder.ts";
import { type Frame, RespMap, RespSet, SimpleString } from "../resp/frame.ts";
import type { Command, CommandArg } from "../server/command.ts";
import { builtinCommands, createCommandTable } from "../server/commands/mod.ts";
import { COMMAND_DOCS } from "../server/commands/docs.ts";
import {
  type Arg,
  cmd,
  HAVE_REDIS,
  HAVE_REDIS_CLI,
  latin1,
  RawClient,
  startRedis,
  startTestServer,
} from "./helpers.ts";

/**
 * Our commands that Redis 7.0 does not have: their docs follow Redis 7.2,
 * which added them. (A name listed here that Redis 7.0 does have fails the
 * test, so the list cannot go stale.)
 */
const NOT_IN_REDIS_7_0: ReadonlyMap<string, string> = new Map([
  ["client|setinfo", "added in Redis 7.2"],
  ["client|no-touch", "added in Redis 7.2"],
]);

/**
 * Fields of Redis's COMMAND DOCS entries that we deliberately leave out,
 * with the reason. None: every field Redis 7.0 returns for the commands we
 * implement is reproduced (including `history`).
 */
const OMITTED_FIELDS: ReadonlyMap<string, string> = new Map();

/** Every full name in our table: commands, then `parent|sub` for each subcommand. */
function ourNames(): string[] {
  const names: string[] = [];
  for (const c of createCommandTable()) {
    names.push(c.name);
    for (const s of c.subcommandMap?.values() ?? []) names.push(s.fullName);
  }
  return names;
}

function decode(bytes: Uint8Array): Frame {
  const d = new Decoder();
  d.feed(bytes);
  const f = d.next();
  assert.notEqual(f, undefined, `incomplete reply ${JSON.stringify(latin1(bytes))}`);
  return f!;
}

/**
 * A frame as plain data for deepEqual, keeping what a client can tell
 * apart: bulk vs simple strings, arrays vs sets vs maps (maps keep their
 * order; `unordered` maps are sorted by key, for Redis's hash-ordered ones).
 */
function canon(f: Frame, unordered = false): unknown {
  if (f instanceof Uint8Array) return latin1(f);
  if (f instanceof SimpleString) return { simple: f.value };
  if (f instanceof RespSet) return { set: f.items.map((x) => canon(x)) };
  if (f instanceof RespMap) {
    const entries = f.entries.map(([k, v]) => {
      const key = canon(k);
      return [key, canon(v, key === "subcommands")] as const;
    }).filter(([k]) => !OMITTED_FIELDS.has(String(k)));
    if (unordered) entries.sort((a, b) => String(a[0]) < String(b[0]) ? -1 : 1);
    return { map: entries };
  }
  if (Array.isArray(f)) return f.map((x) => canon(x));
  return f;
}

/** The entries of a decoded map reply, by key. */
function mapOf(f: Frame): Map<string, Frame> {
  assert.ok(f instanceof RespMap, `expected a map, got ${Deno.inspect(f)}`);
  return new Map(f.entries.map(([k, v]) => [latin1(k as Uint8Array), v]));
}

/** One COMMAND DOCS call: the raw reply bytes. */
async function docsRaw(c: RawClient, ...names: Arg[]): Promise<Uint8Array> {
  await c.send(cmd("COMMAND", "DOCS", ...names));
  return (await c.read(1))[0];
}

Deno.test("COMMAND DOCS table: every built-in command and subcommand has its entry, and only those", () => {
  const names = ourNames();
  for (const n of names) assert.ok(COMMAND_DOCS[n] !== undefined, `no docs for ${n}`);
  for (const n of Object.keys(COMMAND_DOCS)) assert.ok(names.includes(n), `docs for unknown ${n}`);
  // the built-in commands carry them
  const check = (c: Command, prefix: string) => {
    assert.equal(c.docs, COMMAND_DOCS[prefix + c.name], prefix + c.name);
    for (const s of c.subcommands ?? []) check(s, c.name + "|");
  };
  for (const c of builtinCommands()) check(c, "");
  // well-formed arguments: parts exactly for oneof/block, a key spec for keys
  const wellFormed = (a: CommandArg, where: string) => {
    const nested = a.type === "oneof" || a.type === "block";
    assert.equal(a.arguments !== undefined, nested, `${where} ${a.name}: arguments`);
    if (a.type === "key") assert.ok(a.keySpecIndex !== undefined, `${where} ${a.name}: key spec`);
    if (a.type === "pure-token") assert.ok(a.token !== undefined, `${where} ${a.name}: token`);
    for (const s of a.arguments ?? []) wellFormed(s, `${where} ${a.name}`);
  };
  for (const [n, d] of Object.entries(COMMAND_DOCS)) {
    assert.match(d.since, /^\d+\.\d+\.\d+$/, n);
    for (const a of d.arguments ?? []) wellFormed(a, n);
  }
});

Deno.test("COMMAND DOCS: reply shapes (RESP2 flat, RESP3 maps), all commands, unknown names skipped", async () => {
  await using srv = await startTestServer();
  await using c = await RawClient.connect(srv.port);
  const table = createCommandTable();
  // no names: every top-level command, each as when asked by name
  const all2 = await docsRaw(c);
  await c.call("HELLO", "3");
  const all = mapOf(decode(await docsRaw(c)));
  assert.deepEqual([...all.keys()], [...table].map((x) => x.name));
  for (const [name, entry] of all) {
    const one = await docsRaw(c, name);
    assert.deepEqual(canon(decode(one)), canon(new RespMap([[name, entry]])), name);
    // RESP2 is the same data with maps and sets as flat arrays
    await c.call("HELLO", "2");
    assert.deepEqual(latin1(await docsRaw(c, name)), latin1(encode(decode(one), 2)), name);
    await c.call("HELLO", "3");
  }
  assert.equal(latin1(all2), latin1(encode(new RespMap([...all]), 2)));
  // names in any case, subcommands as parent|sub; unknown ones skipped
  const some = mapOf(decode(await docsRaw(c, "GET", "nosuch", "Client|Id", "config|nosuch")));
  assert.deepEqual([...some.keys()], ["get", "client|id"]);
  assert.equal(latin1(await docsRaw(c, "nosuch")), "%0\r\n");
  await c.call("HELLO", "2");
  assert.equal(latin1(await docsRaw(c, "nosuch")), "*0\r\n");
});

Deno.test({
  name: "COMMAND DOCS equals redis-server 7.0's for every command we implement" +
    (HAVE_REDIS ? "" : " (ignored: redis-server is not installed)"),
  ignore: !HAVE_REDIS,
  fn: async () => {
    await using redis = await startRedis();
    await using srv = await startTestServer();
    await using theirs = await RawClient.connect(redis.port);
    await using ours = await RawClient.connect(srv.port);
    const compared: string[] = [];
    for (const protocol of [3, 2] as const) {
      await theirs.call("HELLO", String(protocol));
      await ours.call("HELLO", String(protocol));
      for (const name of ourNames()) {
        const t = await docsRaw(theirs, name);
        const o = await docsRaw(ours, name);
        const tDoc = protocol === 3 ? mapOf(decode(t)).get(name) : undefined;
        if (protocol === 3 && tDoc === undefined) {
          assert.ok(NOT_IN_REDIS_7_0.has(name), `redis-server 7.0 has no ${name}`);
          continue;
        }
        if (NOT_IN_REDIS_7_0.has(name)) {
          assert.ok(protocol === 2, `${name} is listed as missing from Redis 7.0 but it has it`);
          continue;
        }
        if (protocol === 2) {
          if (!latin1(t).includes("subcommands")) assert.equal(latin1(o), latin1(t), name);
          continue;
        }
        compared.push(name);
        const oDoc = mapOf(decode(o)).get(name)!;
        const tMap = mapOf(tDoc!), oMap = mapOf(oDoc);
        if (!tMap.has("subcommands")) {
          assert.deepEqual(canon(oDoc), canon(tDoc!), name);
          assert.equal(latin1(o), latin1(t), name); // and byte for byte
          continue;
        }
        // A container: the same fields, in the same order; its subcommands
        // are those we implement (each compared on its own above or below),
        // a subset of Redis's.
        assert.deepEqual([...oMap.keys()], [...tMap.keys()], name);
        for (const [k, v] of tMap) {
          if (k !== "subcommands") assert.deepEqual(canon(oMap.get(k)!), canon(v), `${name} ${k}`);
        }
        const tSubs = mapOf(tMap.get("subcommands")!), oSubs = mapOf(oMap.get("subcommands")!);
        for (const [sub, doc] of oSubs) {
          if (NOT_IN_REDIS_7_0.has(sub)) continue;
          assert.ok(tSubs.has(sub), `redis-server 7.0 has no ${sub}`);
          assert.deepEqual(canon(doc), canon(tSubs.get(sub)!), sub);
        }
      }
    }
    assert.ok(compared.length >= 60, `only ${compared.length} commands compared`);
  },
});

/**
 * An interactive `redis-cli` on a pseudo-terminal (`script`), as a user
 * types into it: its output, with the hints it draws after the cursor.
 */
class InteractiveCli implements AsyncDisposable {
  readonly #child: Deno.ChildProcess;
  readonly #writer: WritableStreamDefaultWriter<Uint8Array>;
  readonly #reader: ReadableStreamDefaultReader<Uint8Array>;
  #output = "";

  constructor(port: number) {
    this.#child = new Deno.Command("script", {
      // a wide terminal, so that long hints are drawn whole
      args: ["-qfec", `stty cols 500 rows 50; redis-cli -h 127.0.0.1 -p ${port}`, "/dev/null"],
      env: { TERM: "xterm" },
      stdin: "piped",
      stdout: "piped",
      stderr: "null",
    }).spawn();
    this.#writer = this.#child.stdin.getWriter();
    this.#reader = this.#child.stdout.getReader();
  }

  /** Types `text` (no Enter). */
  async type(text: string): Promise<void> {
    await this.#writer.write(new TextEncoder().encode(text));
  }

  /** Reads the terminal output until it contains `text` (bounded: a safety net). */
  async readUntil(text: string, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const dec = new TextDecoder();
    while (!this.#output.includes(text)) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<"timeout">((resolve) => {
        timer = setTimeout(() => resolve("timeout"), Math.max(0, deadline - Date.now()));
      });
      const r = await Promise.race([this.#pending ??= this.#reader.read(), timeout]);
      clearTimeout(timer);
      if (r === "timeout" || r.done) {
        throw new Error(`no ${JSON.stringify(text)} in ${JSON.stringify(this.#output)}`);
      }
      this.#pending = undefined;
      this.#output += dec.decode(r.value, { stream: true });
    }
  }

  #pending: Promise<ReadableStreamReadResult<Uint8Array>> | undefined;

  /**
   * Quits redis-cli (Ctrl-C at its prompt) and waits for it and `script` to
   * end; kills them if they are still there after a while (a safety net).
   */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.#writer.write(new Uint8Array([3])).catch(() => {});
    await this.#writer.close().catch(() => {});
    const timer = setTimeout(() => {
      try {
        this.#child.kill("SIGKILL");
      } catch {
        // already exited
      }
    }, 10_000);
    try {
      if (this.#pending) await this.#pending.catch(() => {});
      while (!(await this.#reader.read()).done);
      await this.#child.status;
    } finally {
      clearTimeout(timer);
    }
  }
}

const HAVE_SCRIPT = await (async () => {
  try {
    return (await new Deno.Command("script", { args: ["-V"], stdout: "null", stderr: "null" })
      .output()).success;
  } catch {
    return false;
  }
})();

/** The hint redis-cli 7 draws after `SET `, made from the server's COMMAND DOCS. */
const SET_HINT =
  "key value [NX|XX] [GET] [EX seconds|PX milliseconds|EXAT unix-time-seconds|PXAT unix-time-milliseconds|KEEPTTL]";

const HINT_IGNORE = !HAVE_REDIS_CLI
  ? " (ignored: redis-cli is not installed)"
  : !HAVE_SCRIPT
  ? " (ignored: script, for a pseudo-terminal, is not installed)"
  : "";

Deno.test({
  name: "redis-cli draws its hints from our COMMAND DOCS" + HINT_IGNORE,
  ignore: HINT_IGNORE !== "",
  fn: async () => {
    // a command only our COMMAND DOCS can describe: redis-cli's own table does not know it
    const probe: Command = {
      name: "docsprobe",
      arity: -2,
      flags: ["readonly"],
      firstKey: 1,
      lastKey: 1,
      step: 1,
      group: "generic",
      summary: "A command documented only by the server",
      docs: {
        since: "7.0.0",
        arguments: [
          { name: "probe-key", type: "key", keySpecIndex: 0 },
          {
            name: "mode",
            type: "oneof",
            optional: true,
            arguments: [
              { name: "frobnicate", type: "pure-token", token: "FROBNICATE" },
              { name: "width", type: "integer", token: "WIDTH" },
            ],
          },
        ],
      },
      handler: () => 0,
    };
    await using srv = await startTestServer({ commands: [probe] });
    {
      await using cli = new InteractiveCli(srv.port);
      await cli.readUntil(`127.0.0.1:${srv.port}> `);
      await cli.type("docsprobe ");
      await cli.readUntil("probe-key [FROBNICATE|WIDTH width]");
    }
    {
      await using cli = new InteractiveCli(srv.port);
      await cli.readUntil(`127.0.0.1:${srv.port}> `);
      await cli.type("set ");
      await cli.readUntil(SET_HINT);
    }
  },
});

Deno.test({
  name: "redis-cli draws the same SET hint from redis-server" +
    (HINT_IGNORE || (HAVE_REDIS ? "" : " (ignored: redis-server is not installed)")),
  ignore: HINT_IGNORE !== "" || !HAVE_REDIS,
  fn: async () => {
    await using redis = await startRedis();
    await using cli = new InteractiveCli(redis.port);
    await cli.readUntil(`127.0.0.1:${redis.port}> `);
    await cli.type("set ");
    await cli.readUntil(SET_HINT);
  },
});
