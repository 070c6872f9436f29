/**
 * The differential command fuzzer in the test suite: a fixed-seed run of
 * 20,000 random commands (from the command table's own metadata) against
 * a real redis-server and our server, every reply compared; plus tests of
 * the fuzzer itself (it finds and shrinks a planted bug, its comparison
 * rules accept what Redis leaves random and nothing else, its generator
 * is deterministic and reaches every command).
 *
 * Long runs: `deno task fuzz --seconds N [--seed S]`. `FUZZ_SEED=<n>`
 * replays the suite's run with another seed.
 *
 * @module
 */

import assert from "node:assert/strict";
import { startRedis, startTestServer } from "../helpers.ts";
import { builtinCommands, commandsFromHandlers } from "../../server/commands/mod.ts";
import type { Handler } from "../../server/command.ts";
import { ruleFor, sameReply } from "./compare.ts";
import { type FuzzArg, Generator } from "./generator.ts";
import { formatRepro, type Mismatch, nameOf, runFuzz } from "./runner.ts";
import { type CommandSpec, fuzzableCommands } from "./spec.ts";

const SEED = Number(Deno.env.get("FUZZ_SEED") ?? 20_260_516) >>> 0;
const COMMANDS = 20_000;

/**
 * The command families (COMMAND DOCS groups) whose handlers are committed
 * and stable: the suite's run covers these. Long runs cover every family.
 */
const SUITE_GROUPS = [
  "string",
  "bitmap",
  "generic",
  "hash",
  "set",
  "sorted-set",
  "list",
  "connection",
  "server",
  "pubsub",
  "transactions",
];

/** A known difference from Redis, left out of the suite's run until its owner fixes it. */
interface Known {
  /** What differs, with the minimal repro the fuzzer printed. */
  readonly why: string;
  /** The requests it affects (lower-case full name and the arguments as sent). */
  readonly matches: (name: string, args: readonly string[]) => boolean;
}

/**
 * Known differences (reported to the families' owners with their
 * repros). Long runs (`deno task fuzz`) still send these requests.
 */
const KNOWN: readonly Known[] = [
  {
    why: "EXEC with arguments: Redis answers -EXECABORT Transaction discarded because of: " +
      "wrong number of arguments for 'exec' command (even outside MULTI); ours -ERR wrong number...",
    matches: (name, args) => name === "exec" && args.length > 1,
  },
  {
    why: 'SCAN with an empty cursor or one ending at a NUL byte (`SCAN ""`, `SCAN "1\\0"`): ' +
      "Redis reads it as strtoul does (0, 1); ours -ERR invalid cursor",
    matches: (name, args) => name === "scan" && args.length > 1 && !/^[0-9]+$/.test(args[1]),
  },
  {
    why: "COPY ... DB <n> with n outside the int range (`COPY k1 k2 DB 4294967296`): Redis " +
      "-ERR value is out of range, value must between -2147483648 and 2147483647; ours -ERR DB index is out of range",
    matches: (name, args) => name === "copy" && args.some((a) => a.toLowerCase() === "db"),
  },
  {
    why: "INCRBYFLOAT stores a value that OBJECT ENCODING reports as int (Redis: embstr) and " +
      "OBJECT REFCOUNT as shared, 2147483647 (Redis: 1): `INCRBYFLOAT k 7` then `OBJECT ENCODING k`",
    matches: (name) => name === "incrbyfloat",
  },
  {
    why: "CLIENT UNBLOCK with more than one option (`CLIENT UNBLOCK 10 ERROR ERROR`): Redis " +
      "-ERR unknown subcommand or wrong number of arguments for 'UNBLOCK'. Try CLIENT HELP.; ours :0",
    matches: (name, args) => name === "client|unblock" && args.length > 4,
  },
  {
    why: "BITCOUNT key start end <unit> with both indexes negative and start > end " +
      "(`BITCOUNT k -1 -2 XX` on an existing string): Redis answers :0 before reading the " +
      "unit; ours -ERR syntax error",
    matches: (name, args) => name === "bitcount" && args.length === 5,
  },
  {
    why: "ZRANDMEMBER key -9223372036854775808 on a missing key: Redis checks the count first " +
      "(-ERR value is out of range, value must between -9223372036854775807 and " +
      "9223372036854775807); ours *0",
    matches: (name, args) => name === "zrandmember" && args[2] === "-9223372036854775808",
  },
];

function containersOf(commands: readonly CommandSpec[]): Set<string> {
  return new Set(commands.filter((c) => c.words.length > 1).map((c) => c.words[0].toLowerCase()));
}

function report(mismatches: readonly Mismatch[], containers: ReadonlySet<string>): string {
  return mismatches.map((m) => formatRepro(m, containers)).join("\n\n");
}

Deno.test({
  name: `command fuzz: ${COMMANDS} random commands, same replies as redis-server (seed ${SEED})`,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const commands = fuzzableCommands({ groups: SUITE_GROUPS });
    const containers = containersOf(commands);
    const decoder = new TextDecoder();
    const skip = (args: readonly FuzzArg[]) => {
      const text = args.map((a) => typeof a === "string" ? a : decoder.decode(a));
      const name = nameOf(args, containers);
      return KNOWN.some((k) => k.matches(name, text));
    };
    await using redis = await startRedis({ args: ["--databases", "1"] });
    await using ours = await startTestServer();
    const result = await runFuzz({
      redisPort: redis.port,
      oursPort: ours.port,
      seed: SEED,
      commands,
      maxCommands: COMMANDS,
      shrinkBudget: 150,
      skip,
    });
    assert.equal(result.commands, COMMANDS);
    // A difference that a replay of its own minimal sequence does not show
    // every time depends on timing between the two servers: it is printed
    // for a human (and long runs find it again), but cannot fail the suite.
    const flaky = result.mismatches.filter((m) => !m.reproduced);
    if (flaky.length > 0) {
      console.warn(`not reproducible on every replay:\n\n${report(flaky, containers)}`);
    }
    const steady = result.mismatches.filter((m) => m.reproduced);
    assert.equal(
      steady.length,
      0,
      `${result.mismatchCount} mismatches; minimal repros:\n\n${report(steady, containers)}`,
    );
  },
});

Deno.test({
  name: "command fuzz: a planted bug is found and shrunk to a short repro",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    // STRLEN off by one for strings of 3 bytes or more
    const original = builtinCommands().find((c) => c.name === "strlen")!.handler!;
    const broken: Handler = (ctx, args) => {
      const r = original(ctx, args);
      return typeof r === "number" && r >= 3 ? r + 1 : r;
    };
    await using redis = await startRedis({ args: ["--databases", "1"] });
    await using ours = await startTestServer({
      commands: commandsFromHandlers([{ strlen: broken }]),
    });
    const commands = fuzzableCommands({ groups: ["string"] });
    const found: Mismatch[] = [];
    const result = await runFuzz({
      redisPort: redis.port,
      oursPort: ours.port,
      seed: 7,
      commands,
      maxCommands: 3000,
      onMismatch: (m) => found.push(m),
    });
    assert.ok(result.mismatchCount > 0, "the planted bug went unnoticed");
    const strlen = found.find((m) => m.difference.name === "strlen");
    assert.ok(
      strlen !== undefined,
      `no STRLEN mismatch among ${found.map((m) => m.difference.name)}`,
    );
    assert.ok(strlen.reproduced);
    // shrunk: something that makes a string of 3+ bytes, then STRLEN
    assert.ok(strlen.steps.length <= 3, report([strlen], new Set()));
    assert.ok(strlen.steps.length < strlen.originalLength || strlen.originalLength <= 3);
    assert.equal(nameOf(strlen.steps.at(-1)!.args, new Set()), "strlen");
    const n = Number(strlen.difference.expected.slice(1, -2));
    assert.equal(strlen.difference.actual, `:${n + 1}\r\n`);
    const repro = formatRepro(strlen);
    assert.match(repro, /compareWithRedis\(\{/);
    assert.match(repro, /\["(STRLEN|strlen|[sS][tT][rR][lL][eE][nN])",/);
  },
});

Deno.test("command fuzz: comparison rules", () => {
  const arr = (...items: string[]) => `*${items.length}\r\n${items.join("")}`;
  const b = (s: string) => `$${s.length}\r\n${s}\r\n`;
  const exact = ruleFor("get", ["GET", "k"]);
  assert.ok(sameReply(b("a"), b("a"), exact));
  assert.ok(!sameReply(b("a"), b("b"), exact));
  // unordered: a multiset, not a set
  const smembers = ruleFor("smembers", ["SMEMBERS", "k"]);
  assert.ok(sameReply(arr(b("a"), b("b")), arr(b("b"), b("a")), smembers));
  assert.ok(!sameReply(arr(b("a"), b("a")), arr(b("a"), b("b")), smembers));
  assert.ok(!sameReply(arr(b("a")), arr(b("a"), b("b")), smembers));
  // pairs stay together
  const hgetall = ruleFor("hgetall", ["HGETALL", "k"]);
  assert.ok(
    sameReply(arr(b("f"), b("1"), b("g"), b("2")), arr(b("g"), b("2"), b("f"), b("1")), hgetall),
  );
  assert.ok(
    !sameReply(arr(b("f"), b("2"), b("g"), b("1")), arr(b("f"), b("1"), b("g"), b("2")), hgetall),
  );
  const map = (...kv: string[]) => `%${kv.length / 2}\r\n${kv.join("")}`;
  assert.ok(
    sameReply(map(b("g"), b("2"), b("f"), b("1")), map(b("f"), b("1"), b("g"), b("2")), hgetall),
  );
  // random: shape only; errors never
  const rand = ruleFor("srandmember", ["SRANDMEMBER", "k", "2"]);
  assert.ok(sameReply(arr(b("a"), b("c")), arr(b("b"), b("d")), rand));
  assert.ok(!sameReply(arr(b("a")), arr(b("b"), b("d")), rand));
  assert.ok(!sameReply("-ERR x\r\n", "-ERR y\r\n", rand));
  // TTL: near
  const ttl = ruleFor("ttl", ["TTL", "k"]);
  assert.ok(sameReply(":99\r\n", ":100\r\n", ttl));
  assert.ok(!sameReply(":97\r\n", ":100\r\n", ttl));
  assert.ok(!sameReply(":-1\r\n", ":-2\r\n", ttl));
  // SCAN from 0: a finished scan has the same keys; an unfinished one a subset
  const scan0 = ruleFor("scan", ["SCAN", "0"]);
  const reply = (cursor: string, ...keys: string[]) => arr(b(cursor), arr(...keys.map(b)));
  assert.ok(sameReply(reply("0", "a", "b"), reply("0", "b", "a"), scan0));
  assert.ok(!sameReply(reply("0", "a"), reply("0", "b", "a"), scan0));
  assert.ok(sameReply(reply("3", "a"), reply("0", "b", "a"), scan0));
  assert.ok(!sameReply(reply("3", "c"), reply("0", "b", "a"), scan0));
  // SORT BY nosort: unordered; with LIMIT: random
  const inner = (args: string[]) => {
    const r = ruleFor(args[0].toLowerCase(), args);
    return r.kind === "sort" ? r.inner.kind : r.kind;
  };
  assert.equal(inner(["SORT", "k", "BY", "nosort"]), "unordered");
  assert.equal(inner(["SORT", "k", "by", "NOSORT", "LIMIT", "0", "1"]), "random");
  assert.equal(inner(["SORT", "k", "ALPHA"]), "exact");
  assert.equal(inner(["SORT", "k", "BY", "w_*"]), "exact");
  assert.equal(inner(["SORT_RO", "k", "BY", "w_*", "ALPHA"]), "unordered");
  assert.equal(inner(["SORT", "k", "BY", "k[12]"]), "unordered");
  assert.equal(inner(["SORT", "k", "BY", "nosort", "STORE", "d"]), "exact");
  const list = (...items: string[]) => arr(...items.map(b));
  // Redis's stale-errno conversion error: ours right when every element is a number
  const plain = ruleFor("sort", ["SORT", "k"]);
  const conversion = "-ERR One or more scores can't be converted into double\r\n";
  assert.ok(sameReply(list("-0", "3", "1e3", "0x10"), conversion, plain));
  assert.ok(!sameReply(list("3", "abc"), conversion, plain));
  assert.ok(!sameReply(list("3", "nan"), conversion, plain));
  assert.ok(!sameReply(list("3"), conversion, ruleFor("sort", ["SORT", "k", "BY", "w_*"])));
  assert.ok(!sameReply(list("3", "1"), list("1", "3"), plain));
  // INFO: sections and keyspace counts
  const info = ruleFor("info", ["INFO"]);
  const text = (s: string) => b(s);
  assert.ok(sameReply(
    text("# Server\r\nredis_version:1\r\n\r\n# Keyspace\r\ndb0:keys=2,expires=0,avg_ttl=5\r\n"),
    text(
      "# Server\r\nredis_version:2\r\nx:y\r\n\r\n# Keyspace\r\ndb0:keys=2,expires=0,avg_ttl=7\r\n",
    ),
    info,
  ));
  assert.ok(
    !sameReply(
      text("# Keyspace\r\ndb0:keys=3,expires=0,avg_ttl=0\r\n"),
      text("# Keyspace\r\ndb0:keys=2,expires=0,avg_ttl=0\r\n"),
      info,
    ),
  );
});

Deno.test("command fuzz: the generator is deterministic and reaches every command", () => {
  const commands = fuzzableCommands();
  assert.ok(commands.length > 50, `only ${commands.length} commands in the table`);
  const containers = containersOf(commands);
  const now = Date.now();
  const a = new Generator(123, commands, { now });
  const b = new Generator(123, commands, { now });
  const seen = new Set<string>();
  for (let i = 0; i < 30_000; i++) {
    const x = a.next();
    assert.deepEqual(b.next(), x);
    seen.add(nameOf(x, containers));
  }
  const missing = commands.map((c) => c.name).filter((n) => !seen.has(n));
  assert.deepEqual(missing, []);
});
