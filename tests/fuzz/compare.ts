/**
 * How the command fuzzer compares two servers' replies: byte for byte,
 * except where Redis itself leaves the reply random or unordered. Each
 * command has a {@linkcode Rule}; {@linkcode sameReply} applies it to the
 * raw replies (latin1 strings, one char per byte, as `RawClient` returns
 * them).
 *
 * - `exact`: identical bytes.
 * - `unordered`: the top-level elements as a multiset (SMEMBERS, KEYS, ...).
 * - `pairs`: the top-level elements as a multiset of pairs (HGETALL: a
 *   RESP2 flat array or a RESP3 map).
 * - `random`: the same types and lengths, any contents (SRANDMEMBER, TIME).
 * - `scan`: `[cursor, elements]`; from cursor 0, a finished scan (cursor 0)
 *   must have found the same elements, an unfinished one a subset of the
 *   other's.
 * - `near`: integers within a tolerance (TTL: the servers run the same
 *   command a few milliseconds apart).
 * - `info`: the same sections and keyspace counts, any other fields and values.
 * - `sort`: SORT by its options: unordered where Redis's order is left to
 *   a hash table or to qsort (BY without `*`, BY with ALPHA), and Redis's
 *   spurious conversion error (a stale `errno`) accepted when every element
 *   is a number.
 *
 * No side effects on import.
 *
 * @example
 * ```ts
 * import { ruleFor, sameReply } from "./compare.ts";
 * const rule = ruleFor("smembers", ["SMEMBERS", "s"]);
 * console.log(sameReply("*2\r\n$1\r\na\r\n$1\r\nb\r\n", "*2\r\n$1\r\nb\r\n$1\r\na\r\n", rule)); // true
 * ```
 *
 * @module
 */

import type { FuzzArg } from "./generator.ts";

/** How a command's reply is compared (see the module doc). */
export type Rule =
  | { readonly kind: "exact" }
  | { readonly kind: "unordered" }
  | { readonly kind: "pairs" }
  | { readonly kind: "random" }
  | { readonly kind: "scan"; readonly pairs: boolean; readonly fromStart: boolean }
  | { readonly kind: "near"; readonly tolerance: number }
  | { readonly kind: "info" }
  | { readonly kind: "sort"; readonly inner: Rule; readonly plain: boolean };

const EXACT: Rule = { kind: "exact" };
const UNORDERED: Rule = { kind: "unordered" };
const PAIRS: Rule = { kind: "pairs" };
const RANDOM: Rule = { kind: "random" };

const RULES: Readonly<Record<string, Rule>> = {
  smembers: UNORDERED,
  sinter: UNORDERED,
  sunion: UNORDERED,
  sdiff: UNORDERED,
  keys: UNORDERED,
  hkeys: UNORDERED,
  hvals: UNORDERED,
  "pubsub|channels": UNORDERED,
  "pubsub|shardchannels": UNORDERED,
  hgetall: PAIRS,
  srandmember: RANDOM,
  spop: RANDOM,
  hrandfield: RANDOM,
  zrandmember: RANDOM,
  randomkey: RANDOM,
  time: RANDOM,
  lastsave: RANDOM,
  "client|id": RANDOM,
  ttl: { kind: "near", tolerance: 1 },
  expiretime: { kind: "near", tolerance: 1 },
  pttl: { kind: "near", tolerance: 1500 },
  pexpiretime: { kind: "near", tolerance: 1500 },
  // a shared integer's idle time is the last access of any key holding it
  "object|idletime": RANDOM,
  info: { kind: "info" },
};

const SCANS: Readonly<Record<string, { cursorAt: number; pairs: boolean }>> = {
  scan: { cursorAt: 1, pairs: false },
  sscan: { cursorAt: 2, pairs: false },
  hscan: { cursorAt: 2, pairs: true },
  zscan: { cursorAt: 2, pairs: true },
};

/** Commands whose effect is random (the runner makes both servers agree again afterwards). */
export const RANDOM_WRITES: ReadonlySet<string> = new Set(["spop"]);

function text(a: FuzzArg): string {
  return typeof a === "string" ? a : new TextDecoder().decode(a);
}

/** The comparison rule of a command (`fullName` lower case, `args` as sent). */
export function ruleFor(fullName: string, args: readonly FuzzArg[]): Rule {
  if (fullName === "sort" || fullName === "sort_ro") {
    // A BY pattern without '*' (nosort) leaves a set's order to its hash
    // table; with ALPHA, elements whose BY values are equal (or missing)
    // compare equal and come in the order of the C library's qsort.
    const words = args.map((a) => text(a).toLowerCase());
    const by = words.lastIndexOf("by", words.length - 2);
    let inner = EXACT;
    if (by > 1 && !words.includes("store")) {
      const unsorted = !words[by + 1].includes("*") || words.includes("alpha");
      if (unsorted) inner = words.includes("limit") ? RANDOM : UNORDERED;
    }
    const plain = by === -1 && !words.includes("get") && !words.includes("alpha") &&
      !words.includes("store");
    return { kind: "sort", inner, plain };
  }
  const scan = SCANS[fullName];
  if (scan !== undefined) {
    const cursor = args[scan.cursorAt];
    return {
      kind: "scan",
      pairs: scan.pairs,
      fromStart: cursor !== undefined && text(cursor) === "0",
    };
  }
  return RULES[fullName] ?? EXACT;
}

/** A parsed RESP value: its type byte, its line or bulk text, its elements. */
export interface Node {
  /** The type byte (`+`, `$`, `*`, `%`, ...). */
  readonly type: string;
  /** The text of a simple value or bulk, or the count of an aggregate. */
  readonly text: string;
  /** The elements of an aggregate (map: keys and values alternating). */
  readonly items?: Node[];
  /** The raw bytes of the whole value. */
  readonly raw: string;
}

/** Parses the RESP value at `pos` of `s` (a complete reply); returns it and where it ends. */
export function parseNode(s: string, pos = 0): [Node, number] {
  const type = s[pos];
  const end = s.indexOf("\r\n", pos);
  if (end === -1) throw new Error(`incomplete reply: ${JSON.stringify(s.slice(pos, pos + 40))}`);
  const line = s.slice(pos + 1, end);
  switch (type) {
    case "$":
    case "!":
    case "=": {
      const n = Number(line);
      if (n < 0) return [{ type, text: line, raw: s.slice(pos, end + 2) }, end + 2];
      const next = end + 2 + n + 2;
      return [{ type, text: s.slice(end + 2, end + 2 + n), raw: s.slice(pos, next) }, next];
    }
    case "*":
    case "~":
    case ">":
    case "%":
    case "|": {
      const n = Number(line);
      if (n < 0) return [{ type, text: line, raw: s.slice(pos, end + 2) }, end + 2];
      const count = type === "%" || type === "|" ? n * 2 : n;
      const items: Node[] = [];
      let p = end + 2;
      for (let i = 0; i < count; i++) {
        const [node, next] = parseNode(s, p);
        items.push(node);
        p = next;
      }
      if (type === "|") {
        // an attribute: the value it annotates follows
        const [node, next] = parseNode(s, p);
        return [node, next];
      }
      return [{ type, text: line, items, raw: s.slice(pos, p) }, p];
    }
    default:
      return [{ type, text: line, raw: s.slice(pos, end + 2) }, end + 2];
  }
}

function shape(n: Node): string {
  if (n.items === undefined) return n.type;
  return `${n.type}${n.items.length}(${n.items.map(shape).join(",")})`;
}

function multiset(items: readonly string[]): string {
  return [...items].sort().join("\u0001");
}

function groups(items: readonly Node[], size: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < items.length; i += size) {
    let s = "";
    for (let j = i; j < i + size && j < items.length; j++) s += items[j].raw;
    out.push(s);
  }
  return out;
}

function isSubset(small: readonly string[], big: readonly string[]): boolean {
  const counts = new Map<string, number>();
  for (const b of big) counts.set(b, (counts.get(b) ?? 0) + 1);
  for (const s of small) {
    const c = counts.get(s) ?? 0;
    if (c === 0) return false;
    counts.set(s, c - 1);
  }
  return true;
}

/**
 * INFO as its section headers, plus the key and expiry counts of the
 * Keyspace section: every other value (and which fields each server
 * reports) is the server's own business.
 */
function infoFields(n: Node): string {
  const out: string[] = [];
  let keyspace = false;
  for (const line of n.text.split("\r\n")) {
    if (line.startsWith("#")) {
      out.push(line);
      keyspace = line === "# Keyspace";
    } else if (keyspace && line !== "") {
      out.push(line.replace(/,avg_ttl=\d+/, ""));
    }
  }
  return out.join("\n");
}

/** strtod's numbers (decimal, hex, inf), without NaN: what a numeric SORT accepts. */
const STRTOD =
  /^[ \t\n\v\f\r]*[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?|inf(?:inity)?|0x(?:[0-9a-f]+\.?[0-9a-f]*|\.[0-9a-f]+)(?:p[+-]?\d+)?)$/i;

const SORT_CONVERSION = "-ERR One or more scores can't be converted into double\r\n";

/** Whether `actual` (ours) and `expected` (Redis's) are the same reply under `rule`. */
export function sameReply(actual: string, expected: string, rule: Rule): boolean {
  if (actual === expected) return true;
  if (rule.kind === "sort") {
    if (expected === SORT_CONVERSION && rule.plain && actual.startsWith("*")) {
      // Redis 7.0's SORT reads errno without clearing it first: an ERANGE left by
      // an earlier conversion (say of "1e400") fails a sort of valid numbers. Ours
      // is right if every element is a number strtod reads in full.
      try {
        const items = parseNode(actual)[0].items ?? [];
        return items.every((n) => n.type === "$" && STRTOD.test(n.text) && n.text.length > 0);
      } catch {
        return false;
      }
    }
    return sameReply(actual, expected, rule.inner);
  }
  if (rule.kind === "exact") return false;
  let a: Node;
  let e: Node;
  try {
    a = parseNode(actual)[0];
    e = parseNode(expected)[0];
  } catch {
    return false;
  }
  if (a.type !== e.type) return false;
  // errors are errors: same text whatever the rule
  if (e.type === "-" || e.type === "!") return false;
  switch (rule.kind) {
    case "unordered":
    case "pairs": {
      if (a.items === undefined || e.items === undefined) return false;
      if (a.items.length !== e.items.length) return false;
      const size = rule.kind === "pairs" || e.type === "%" ? 2 : 1;
      return multiset(groups(a.items, size)) === multiset(groups(e.items, size));
    }
    case "random":
      return shape(a) === shape(e);
    case "near": {
      if (e.type !== ":") return false;
      const x = Number(a.text);
      const y = Number(e.text);
      return x >= 0 && y >= 0 && Math.abs(x - y) <= rule.tolerance;
    }
    case "info":
      return infoFields(a) === infoFields(e);
    case "scan": {
      if (a.items?.length !== 2 || e.items?.length !== 2) return false;
      const [ac, ae] = a.items;
      const [ec, ee] = e.items;
      if (ac.type !== ec.type || ae.items === undefined || ee.items === undefined) return false;
      const size = rule.pairs ? 2 : 1;
      const ag = groups(ae.items, size);
      const eg = groups(ee.items, size);
      const aDone = ac.text === "0";
      const eDone = ec.text === "0";
      // from a cursor other than 0, each server's table layout decides what is left
      if (!rule.fromStart) return true;
      if (aDone && eDone) return multiset(ag) === multiset(eg);
      if (eDone) return isSubset(ag, eg);
      if (aDone) return isSubset(eg, ag);
      return true;
    }
  }
}
