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
import type { Command } from "../server/command.ts";
import {
  commandsFromHandlers,
  createCommandTable,
  FAMILY_HANDLERS,
} from "../server/commands/mod.ts";
import { commandMeta, keysOf, METADATA_VERSION } from "../server/commands/meta.ts";
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
 * Fields of Redis's COMMAND DOCS entries that we deliberately leave out,
 * with the reason. None: the entries are Redis's own (`redis_commands.json`).
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

Deno.test("command metadata: every handler has Redis 7.0.15's metadata and the table holds exactly the handlers", () => {
  const handled = new Set<string>();
  for (const map of FAMILY_HANDLERS) {
    for (const name of Object.keys(map)) {
      assert.ok(!handled.has(name), `two handlers for ${name}`);
      handled.add(name);
      assert.ok(commandMeta(name) !== undefined, `a handler for ${name}, which Redis 7.0.15 lacks`);
    }
  }
  // the reverse: every command the table serves (and COMMAND lists) has a
  // handler; a container without one has subcommands that do
  const names = ourNames();
  for (const n of names) {
    const bar = n.indexOf("|");
    const container = bar === -1 && names.some((m) => m.startsWith(n + "|"));
    assert.ok(handled.has(n) || container, `${n} is listed but has no handler`);
  }
  for (const n of handled) {
    assert.ok(names.includes(n), `${n} has a handler but is not in the table`);
  }
  // the table's arity, flags and key positions are the metadata's
  for (const c of createCommandTable()) {
    const m = commandMeta(c.fullName)!;
    assert.equal(c.meta, m, c.fullName);
    assert.deepEqual([c.arity, c.flags, c.firstKey, c.lastKey, c.step], [
      m.arity,
      m.flags,
      m.firstKey,
      m.lastKey,
      m.step,
    ]);
  }
  // a handler under a name Redis does not have is refused
  assert.throws(
    () => commandsFromHandlers([{ hsetx: () => 0 }]),
    /'hsetx' has a handler but Redis 7.0.15 has no such command/,
  );
  assert.equal(METADATA_VERSION, "7.0.15");
});

Deno.test("command metadata: key specs find the keys as Redis does", () => {
  const enc = (s: string) => s.split(" ").map((w) => new TextEncoder().encode(w));
  const keys = (name: string, line: string) =>
    keysOf(commandMeta(name)!, enc(line)).map((k) => new TextDecoder().decode(k));
  assert.deepEqual(keys("rename", "RENAME a b"), ["a", "b"]);
  assert.deepEqual(keys("mset", "MSET a 1 b 2"), ["a", "b"]);
  assert.deepEqual(keys("lmove", "LMOVE s d LEFT RIGHT"), ["s", "d"]);
  assert.deepEqual(keys("zunionstore", "ZUNIONSTORE dst 2 a b WEIGHTS 1 2"), ["dst", "a", "b"]);
  assert.deepEqual(keys("sort", "SORT l BY w_* STORE out"), ["l", "out"]);
  assert.deepEqual(keys("blmpop", "BLMPOP 0 2 a b LEFT"), ["a", "b"]);
  assert.deepEqual(keys("xread", "XREAD COUNT 2 STREAMS s1 s2 0 0"), ["s1", "s2"]);
});

Deno.test({
  name: "command metadata: redis_commands.json is what redis-server 7.0.15 reports" +
    (HAVE_REDIS ? "" : " (ignored: redis-server is not installed)"),
  ignore: !HAVE_REDIS,
  fn: async () => {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-all", "scripts/gen_commands.ts", "--check"],
      cwd: new URL("..", import.meta.url),
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
    assert.ok(out.success, text);
    assert.match(text, /up to date: \d+ commands/);
  },
});

Deno.test({
  name:
    "COMMAND INFO, COUNT, LIST and GETKEYS equal redis-server's for every command we implement" +
    (HAVE_REDIS ? "" : " (ignored: redis-server is not installed)"),
  ignore: !HAVE_REDIS,
  fn: async () => {
    await using redis = await startRedis();
    await using srv = await startTestServer();
    await using theirs = await RawClient.connect(redis.port);
    await using ours = await RawClient.connect(srv.port);
    const table = createCommandTable();
    for (const protocol of [2, 3]) {
      await theirs.call("HELLO", String(protocol));
      await ours.call("HELLO", String(protocol));
      for (const name of ourNames()) {
        const container = table.get(name)?.subcommandMap !== undefined;
        if (container) continue; // its subcommand list is ours (compared one by one)
        assert.equal(
          await ours.call("COMMAND", "INFO", name),
          await theirs.call("COMMAND", "INFO", name),
          `COMMAND INFO ${name} (RESP${protocol})`,
        );
      }
      assert.equal(
        await ours.call("COMMAND", "INFO", "nosuch"),
        await theirs.call("COMMAND", "INFO", "nosuch"),
      );
      for (
        const line of [
          "RENAME a b",
          "MSET a 1 b 2",
          "GET a",
          "SET a b EX 10",
          "PING",
          "GET",
          "NOSUCH a",
          "COPY a b DB 0",
          "EXPIRE k 10",
        ]
      ) {
        const args = line.split(" ");
        assert.equal(
          await ours.call("COMMAND", "GETKEYS", ...args),
          await theirs.call("COMMAND", "GETKEYS", ...args),
          `COMMAND GETKEYS ${line}`,
        );
      }
    }
    // COUNT and LIST tell what we implement: a subset of Redis's
    const count = Number((await ours.call("COMMAND", "COUNT")).slice(1, -2));
    assert.equal(count, table.size);
    const theirCount = Number((await theirs.call("COMMAND", "COUNT")).slice(1, -2));
    assert.ok(count <= theirCount, `${count} > ${theirCount}`);
  },
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
        if (protocol === 3) assert.ok(tDoc !== undefined, `redis-server 7.0 has no ${name}`);
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
