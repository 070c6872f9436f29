/**
 * The differential runner of the data-type families: a case is data (a
 * list of commands), and the expected reply of every command is what a
 * real redis-server 7.0 answers in the same run. Each script runs on a
 * flushed database of both servers, in RESP2 and again in RESP3 (after
 * `HELLO 3`), and every reply must be identical byte for byte, except
 * where a command is marked unordered (its aggregate reply is compared as
 * a multiset) or random (only its shape is compared).
 *
 * Starts nothing at import; {@linkcode compareWithRedis} starts both
 * servers and stops them.
 *
 * @example
 * ```ts ignore
 * import { compareWithRedis, unordered } from "./support/redis_compare.ts";
 * Deno.test("hashes like Redis", () =>
 *   compareWithRedis({
 *     "HSET and HGET": ["HSET h a 1", "HGET h a", unordered("HGETALL h"), "HSET h"],
 *   }));
 * ```
 */

import assert from "node:assert/strict";
import { type Arg, RawClient, startRedis, startTestServer } from "../helpers.ts";
import type { ServerOptions } from "../../server/mod.ts";

/** How a command's reply is compared. */
export type Compare = "exact" | "unordered" | "shape";

/** One command of a script, with how its reply is compared. */
export interface Step {
  /** The command: a string splits on spaces; an array is sent as is. */
  readonly args: readonly Arg[] | string;
  /** `exact` (default), `unordered` (top-level elements as a multiset; map pairs kept together), `shape` (types and lengths only). */
  readonly compare: Compare;
}

/** A script's command: a plain string/array is compared exactly. */
export type ScriptStep = Step | readonly Arg[] | string;

/** A step whose aggregate reply Redis orders unspecifiedly (SMEMBERS, HGETALL of a big hash, ...). */
export function unordered(args: readonly Arg[] | string): Step {
  return { args, compare: "unordered" };
}

/** A step whose reply is random (SPOP, SRANDMEMBER, ...): compared by shape only. */
export function random(args: readonly Arg[] | string): Step {
  return { args, compare: "shape" };
}

function stepOf(s: ScriptStep): Step {
  if (typeof s === "string" || Array.isArray(s)) {
    return { args: s as readonly Arg[] | string, compare: "exact" };
  }
  return s as Step;
}

function argsOf(a: readonly Arg[] | string): readonly Arg[] {
  return typeof a === "string" ? a.split(" ") : a;
}

/** Options of {@linkcode compareWithRedis}. */
export interface CompareOptions {
  /** Extra redis-server arguments (e.g. `["--hash-max-listpack-entries", "4"]`). */
  redisArgs?: readonly string[];
  /** Options of our server. */
  serverOptions?: ServerOptions;
  /** Protocols to run each script in (default both). */
  protocols?: readonly (2 | 3)[];
}

/**
 * Runs every script against redis-server and our server, in RESP2 and
 * RESP3, and asserts identical replies (the first difference fails with
 * the script name, protocol, command and both replies).
 */
export async function compareWithRedis(
  scripts: Readonly<Record<string, readonly ScriptStep[]>>,
  options: CompareOptions = {},
): Promise<void> {
  await using redis = await startRedis({ args: options.redisArgs ?? [] });
  await using ours = await startTestServer(options.serverOptions ?? {});
  await using a = await RawClient.connect(redis.port);
  await using b = await RawClient.connect(ours.port);
  for (const protocol of options.protocols ?? [2, 3]) {
    for (const [name, script] of Object.entries(scripts)) {
      for (const c of [a, b]) {
        await c.call("FLUSHALL");
        await c.call("HELLO", String(protocol));
      }
      for (const raw of script) {
        const step = stepOf(raw);
        const args = argsOf(step.args);
        const expected = await a.call(...args);
        const actual = await b.call(...args);
        const where = `${name} (RESP${protocol}): ${args.map(String).join(" ")}`;
        assertSameReply(actual, expected, step.compare, where);
      }
    }
  }
}

/** Asserts two raw replies are the same under `compare` (see {@linkcode Step}). */
export function assertSameReply(
  actual: string,
  expected: string,
  compare: Compare,
  where: string,
): void {
  if (compare === "exact" || actual === expected) {
    assert.equal(actual, expected, where);
    return;
  }
  if (compare === "shape" && !"*~%>".includes(expected[0])) {
    // a single random value (SPOP, SRANDMEMBER, HRANDFIELD without a count): its type
    const nil = (t: string) => t === "$-1\r\n" || t === "_\r\n";
    assert.equal(actual[0], expected[0], `${where}: reply type`);
    assert.equal(nil(actual), nil(expected), `${where}: null or not`);
    return;
  }
  const ea = splitTop(expected);
  const aa = splitTop(actual);
  assert.equal(aa.head, ea.head, `${where}: reply header`);
  if (compare === "unordered") {
    assert.deepEqual([...aa.items].sort(), [...ea.items].sort(), where);
  } else {
    assert.deepEqual(aa.items.map(shape), ea.items.map(shape), `${where}: reply shape`);
  }
}

/** The header line and the top-level elements (map pairs joined) of a raw reply. */
function splitTop(text: string): { head: string; items: string[] } {
  const end = text.indexOf("\r\n");
  const head = text.slice(0, end);
  const type = head[0];
  if (!"*~%>".includes(type) || Number(head.slice(1)) < 0) return { head: text, items: [] };
  const n = Number(head.slice(1)) * (type === "%" ? 2 : 1);
  const items: string[] = [];
  let pos = end + 2;
  for (let i = 0; i < n; i++) {
    const next = skip(text, pos);
    items.push(text.slice(pos, next));
    pos = next;
  }
  if (type === "%") {
    const pairs: string[] = [];
    for (let i = 0; i < items.length; i += 2) pairs.push(items[i] + items[i + 1]);
    return { head, items: pairs };
  }
  return { head, items };
}

/** The end of the RESP value starting at `pos`. */
function skip(text: string, pos: number): number {
  const end = text.indexOf("\r\n", pos);
  const type = text[pos];
  const n = Number(text.slice(pos + 1, end));
  switch (type) {
    case "$":
    case "!":
    case "=":
      return n < 0 ? end + 2 : end + 2 + n + 2;
    case "*":
    case "~":
    case ">":
    case "%":
    case "|": {
      if (n < 0) return end + 2;
      let p = end + 2;
      const count = type === "%" || type === "|" ? n * 2 + (type === "|" ? 1 : 0) : n;
      for (let i = 0; i < count; i++) p = skip(text, p);
      return p;
    }
    default:
      return end + 2;
  }
}

/** A reply's shape: its type bytes and aggregate lengths, not its contents. */
function shape(text: string): string {
  let out = "";
  let pos = 0;
  const walk = () => {
    const end = text.indexOf("\r\n", pos);
    const type = text[pos];
    const n = Number(text.slice(pos + 1, end));
    if ("*~%>".includes(type) && n >= 0) {
      out += `${type}${n}(`;
      pos = end + 2;
      const count = type === "%" ? n * 2 : n;
      for (let i = 0; i < count; i++) walk();
      out += ")";
    } else {
      out += type;
      pos = skip(text, pos);
    }
  };
  walk();
  return out;
}
