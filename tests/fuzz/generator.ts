/**
 * The command fuzzer's generator: random commands made from the argument
 * specs of COMMAND DOCS ({@linkcode CommandSpec}), mostly valid, some with
 * deliberate mistakes (a missing, extra, swapped or wrong-typed argument,
 * an unknown subcommand, a bare command name), over a small key space so
 * that commands of every family meet on the same keys.
 *
 * Values follow the argument's type and name: keys from a pool of seven,
 * members from a small pool (so sets and sorted sets overlap), integers
 * mostly small with edge values (int64 limits, non-numbers), doubles with
 * `inf`/`nan`/exclusive bounds, expiry times far enough away that no key
 * expires between two servers' runs of the same command (or already in
 * the past), binary and occasionally large values.
 *
 * Deterministic: the same seed (and clock, `now`) gives the same commands.
 * Expiry times are made from the clock at creation; they are far enough
 * away (or past) for runs of a few hours.
 *
 * @example
 * ```ts
 * import { Generator } from "./generator.ts";
 * import { fuzzableCommands } from "./spec.ts";
 * const g = new Generator(42, fuzzableCommands());
 * console.log(g.next().length > 0); // true
 * ```
 *
 * @module
 */

import { mulberry32 } from "../wire.ts";
import type { ArgSpec, CommandSpec } from "./spec.ts";

/** One argument as sent: text (UTF-8, mostly ASCII) or raw bytes. */
export type FuzzArg = string | Uint8Array;

/** Random choices from a seeded stream. */
export class Random {
  readonly #next: () => number;

  /** A stream for `seed`. */
  constructor(seed: number) {
    this.#next = mulberry32(seed);
  }

  /** A float in [0, 1). */
  float(): number {
    return this.#next();
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.#next() * n);
  }

  /** An integer in [min, max]. */
  range(min: number, max: number): number {
    return min + this.int(max - min + 1);
  }

  /** True with probability `p`. */
  chance(p: number): boolean {
    return this.#next() < p;
  }

  /** One of `items`. */
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }

  /** `n` random bytes. */
  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = this.int(256);
    return out;
  }
}

/** The keys every command works on (a small space, so commands interact). */
export const KEYS: readonly string[] = ["k1", "k2", "k3", "k4", "k5", "1", "{k}6"];

const MEMBERS = ["a", "b", "c", "d", "1", "2", "3", "10", "-1", "1.5", "k1", "k2", "", "é"];
const VALUES = [
  "0",
  "1",
  "2",
  "-1",
  "10",
  "100",
  "3.5",
  "-0",
  "1e3",
  "abc",
  "hello world",
  "",
  "9223372036854775807",
  "-9223372036854775808",
  "9223372036854775808",
  "0x10",
  " 1",
  "1 ",
  "inf",
  "nan",
  "a",
  "b",
  "k2",
  "field",
];
const SMALL_INTS = ["0", "1", "2", "3", "-1", "-2", "5", "10", "-10", "4", "7"];
const EDGE_INTS = [
  "9223372036854775807",
  "-9223372036854775808",
  "9223372036854775808",
  "-9223372036854775809",
  "2147483647",
  "-2147483648",
  "4294967296",
  "1.5",
  "abc",
  "",
  "+1",
  " 1",
  "1e3",
  "0x10",
  "-0",
  "00",
  "1\u0000",
];
const DOUBLES = [
  "0",
  "1",
  "-1",
  "1.5",
  "-2.5",
  "3",
  "10",
  "0.1",
  "1e-3",
  "inf",
  "-inf",
  "+inf",
  "nan",
  "1e308",
  "1e400",
  "-0",
  "abc",
  "(1",
  "(2.5",
  "(-inf",
  "0x10",
  " 1",
  "",
  "1.7976931348623157e308",
  "4.9e-324",
  "12345678901234567890",
];
const LEX = ["-", "+", "[a", "(a", "[b", "(c", "[d", "[", "(", "a", "[1", "(10"];
const PATTERNS = ["*", "k*", "k?", "[a-k]*", "*1", "a*", "h*llo", "\\*", "[", "k[12]", "*->f", ""];
const SORT_PATTERNS = ["nosort", "k*", "*", "w_*", "k*->f", "#", "nosuchkey_*", "k1->a"];
const CHANNELS = ["ch1", "ch2", "news.*", "n?ws"];
const SCRIPTS = [
  "return 1",
  "return redis.call('GET', KEYS[1])",
  "return {1, 2, {3, 'x'}}",
  "return ARGV[1]",
  "return redis.call('INCR', KEYS[1])",
  "return redis.error_reply('boom')",
  "return redis.status_reply('fine')",
  "error('x')",
  "return nil",
  "return 3.99",
  "syntax error here",
];
const TYPES = ["string", "list", "set", "zset", "hash", "stream", "nosuch", "STRING"];
const JUNK: readonly FuzzArg[] = [
  "",
  "abc",
  "-1",
  "NX",
  "XX",
  "WITHSCORES",
  "LIMIT",
  "9223372036854775808",
  "1.5",
  "k1",
  "\r\n",
  new Uint8Array([0, 255, 13, 10]),
];

/** The probabilities of the generator's choices. */
export interface GeneratorOptions {
  /** Chance that a command carries a deliberate mistake (default 0.12). */
  readonly mistakes?: number;
  /** Chance that an optional argument is given (default 0.45). */
  readonly optional?: number;
  /** Chance of a value of 1 to 100 KB (default 0.004). */
  readonly huge?: number;
  /** The clock expiry times are made from, in Unix ms (default `Date.now()` when created). */
  readonly now?: number;
}

/** Generates random commands from the specs. */
export class Generator {
  /** The random stream (shared with the runner's own choices). */
  readonly random: Random;
  readonly #commands: readonly CommandSpec[];
  readonly #weights: number[];
  readonly #total: number;
  readonly #mistakes: number;
  readonly #optional: number;
  readonly #huge: number;
  readonly #names: string[];
  readonly #now: number;
  #forced: number | undefined;
  #spec: CommandSpec | undefined;

  /**
   * A generator drawing from `commands`.
   *
   * @param seed the seed of the random stream
   * @param commands what may be sent (see `fuzzableCommands`)
   * @param options probabilities
   */
  constructor(seed: number, commands: readonly CommandSpec[], options: GeneratorOptions = {}) {
    if (commands.length === 0) throw new Error("no commands to fuzz");
    this.random = new Random(seed);
    this.#commands = commands;
    this.#mistakes = options.mistakes ?? 0.12;
    this.#optional = options.optional ?? 0.45;
    this.#huge = options.huge ?? 0.004;
    this.#now = options.now ?? Date.now();
    this.#weights = commands.map(weight);
    this.#total = this.#weights.reduce((a, b) => a + b, 0);
    this.#names = commands.map((c) => c.words.join(" ").toLowerCase());
  }

  /** The commands it draws from. */
  get commands(): readonly CommandSpec[] {
    return this.#commands;
  }

  /** A command spec, drawn by weight. */
  pickCommand(): CommandSpec {
    let x = this.random.float() * this.#total;
    for (let i = 0; i < this.#commands.length; i++) {
      x -= this.#weights[i];
      if (x < 0) return this.#commands[i];
    }
    return this.#commands[this.#commands.length - 1];
  }

  /** The next random command, as its wire arguments. */
  next(): FuzzArg[] {
    return this.command(this.pickCommand());
  }

  /** A random invocation of `spec`, mostly valid. */
  command(spec: CommandSpec): FuzzArg[] {
    const r = this.random;
    this.#spec = spec;
    this.#forced = undefined;
    const out: FuzzArg[] = spec.words.map((w) => this.#casing(w));
    this.#list(spec.args, out);
    if (r.chance(this.#mistakes)) this.#mistake(spec, out);
    return out;
  }

  #casing(word: string): string {
    const r = this.random;
    if (!r.chance(0.15)) return word;
    if (r.chance(0.5)) return word.toLowerCase();
    let s = "";
    for (const c of word) s += r.chance(0.5) ? c.toLowerCase() : c;
    return s;
  }

  #list(args: readonly ArgSpec[], out: FuzzArg[]): void {
    for (const a of args) {
      const forced = a.multiple && this.#forced !== undefined;
      if (a.optional && !forced && !this.random.chance(this.#optional)) continue;
      this.#arg(a, out);
    }
  }

  #arg(a: ArgSpec, out: FuzzArg[]): void {
    const r = this.random;
    let n = 1;
    if (a.multiple) {
      if (this.#forced !== undefined) {
        n = this.#forced;
        this.#forced = undefined;
      } else {
        n = r.chance(0.02) ? r.range(100, 140) : r.range(1, 4);
      }
    }
    for (let i = 0; i < n; i++) {
      if (a.token !== undefined && a.type !== "pure-token" && (i === 0 || a.multipleToken)) {
        out.push(this.#casing(a.token));
      }
      this.#one(a, out);
    }
  }

  #one(a: ArgSpec, out: FuzzArg[]): void {
    const r = this.random;
    switch (a.type) {
      case "pure-token":
        out.push(this.#casing(a.token ?? a.name));
        return;
      case "oneof":
        if (a.args.length > 0) this.#arg(r.pick(a.args), out);
        return;
      case "block":
        this.#list(a.args, out);
        return;
      case "key":
        out.push(this.key());
        return;
      case "integer":
        out.push(this.#integer(a.name));
        return;
      case "double":
        out.push(this.#double(a.name));
        return;
      case "unix-time":
        out.push(this.#unixTime(a.name));
        return;
      case "pattern":
        out.push(r.pick(PATTERNS));
        return;
      default:
        out.push(this.#string(a.name));
    }
  }

  /** A key from the pool (now and then an odd one). */
  key(): FuzzArg {
    const r = this.random;
    if (r.chance(0.01)) return r.pick(["", "nokey", new Uint8Array([107, 0, 255])]);
    return r.pick(KEYS);
  }

  /** A value for a string, member or field. */
  value(): FuzzArg {
    const r = this.random;
    const x = r.float();
    if (x < this.#huge) return "x".repeat(r.range(1024, 100 * 1024));
    if (x < 0.45) return r.pick(MEMBERS);
    if (x < 0.85) return r.pick(VALUES);
    if (x < 0.93) return String(r.range(-1000, 100000));
    if (x < 0.97) return r.bytes(r.range(1, 12));
    return "v".repeat(r.range(30, 80)); // beyond the listpack value limit
  }

  #integer(name: string): string {
    const r = this.random;
    const spec = this.#spec!;
    const blocking = spec.flags.includes("blocking");
    if (name === "timeout" && blocking) return r.pick(["0.01", "0.02", "-1", "abc", "0.001"]);
    if (name === "numkeys") {
      const n = r.range(1, 3);
      this.#forced = n;
      return r.chance(0.05)
        ? r.pick(["0", "-1", String(n + 1), "abc", "9223372036854775807"])
        : String(n);
    }
    if (name === "seconds") return r.pick(["100", "1000", "100000", "0", "-1", ...EDGE_INTS]);
    if (name === "milliseconds") {
      return r.pick(["100000", "1000000", "0", "-5", ...EDGE_INTS]);
    }
    if (name === "db" || name === "index") return r.pick(["0", "1", "2", "15", "16", "-1", "a"]);
    if (name === "count" && /rand|spop|pop/.test(spec.name)) {
      // a negative count repeats picks: a large one builds a reply of that
      // many elements (Redis takes minutes for -2147483648), so the edges
      // here are only those Redis refuses or caps
      if (r.chance(0.95)) return String(r.range(-12, 12));
      return r.pick(["9223372036854775807", "-9223372036854775808", "abc", "1.5", "", "+1"]);
    }
    if (name === "offset" && /setbit|setrange|bitfield/.test(spec.name)) {
      // offsets that make the servers allocate hundreds of MB are left out
      const bad = spec.name === "setrange" ? "536870912" : "4294967296";
      return r.pick(["0", "1", "7", "8", "100", "1000", "-1", bad, "abc"]);
    }
    if (r.chance(0.85)) return r.pick(SMALL_INTS);
    return r.pick(EDGE_INTS);
  }

  #double(name: string): string {
    const r = this.random;
    if (name === "timeout" && this.#spec!.flags.includes("blocking")) {
      return r.pick(["0.01", "0.02", "-1", "abc", "0.001"]);
    }
    if (r.chance(0.5)) return r.pick(SMALL_INTS);
    return r.pick(DOUBLES);
  }

  #unixTime(name: string): string {
    const r = this.random;
    const now = this.#now;
    const ms = name.includes("milli");
    const offsets = [1_000_000, 100_000, 10_000_000, -100_000, -10];
    if (r.chance(0.15)) return r.pick(["0", "-1", "1", ...EDGE_INTS]);
    const t = now + r.pick(offsets) * (r.chance(0.5) ? 1 : 1000);
    return String(ms ? t : Math.floor(t / 1000));
  }

  #string(name: string): FuzzArg {
    const r = this.random;
    const spec = this.#spec!;
    switch (name) {
      case "min":
      case "max":
        if (spec.name.includes("lex")) return r.pick(LEX);
        return r.pick(DOUBLES);
      case "start":
      case "stop":
        if (spec.name === "zrange" || spec.name === "zrangestore") {
          return r.pick([...SMALL_INTS, ...LEX, "(1", "-inf", "+inf", "(2"]);
        }
        break;
      case "pattern":
        return spec.name === "sort" || spec.name === "sort_ro"
          ? r.pick(SORT_PATTERNS)
          : r.pick(PATTERNS);
      case "channel":
      case "shardchannel":
        return r.pick(CHANNELS);
      case "script":
      case "function-code":
        return r.pick(SCRIPTS);
      case "sha1":
        return r.pick([
          "e0e1f9fabfc9d4800c877a703b823ac0578ff8db",
          "0000000000000000000000000000000000000000",
          "abc",
        ]);
      case "command-name":
      case "command":
        return this.#casing(
          r.chance(0.9) ? r.pick(this.#names).split(" ")[0] : r.pick(["nosuch", "", "x|y"]),
        );
      case "connection-name":
        return r.pick(["n1", "", "a b", "name\n", "x".repeat(20)]);
      case "username":
        return r.pick(["default", "nobody"]);
      case "password":
        return r.pick(["", "pw", "secret"]);
      case "type":
        return r.pick(TYPES);
      case "section":
        return r.pick(["server", "keyspace", "stats", "all", "default", "everything", "nosuch"]);
      case "encoding":
        return r.pick(["string", "raw"]);
      case "subcommand":
        return r.pick(["help", "nosuch", "GET"]);
      case "message":
        return r.pick(["hi", "", "a b c"]);
    }
    return this.value();
  }

  #mistake(spec: CommandSpec, out: FuzzArg[]): void {
    const r = this.random;
    const first = spec.words.length;
    switch (r.int(7)) {
      case 0: // drop an argument
        if (out.length > first) out.splice(r.range(first, out.length - 1), 1);
        return;
      case 1: // one too many
        out.push(r.pick(JUNK));
        return;
      case 2: // a wrong-typed value
        if (out.length > first) out[r.range(first, out.length - 1)] = r.pick(JUNK);
        return;
      case 3: // two arguments swapped
        if (out.length > first + 1) {
          const i = r.range(first, out.length - 1);
          const j = r.range(first, out.length - 1);
          [out[i], out[j]] = [out[j], out[i]];
        }
        return;
      case 4: // nothing but the name
        out.length = first;
        return;
      case 5: // an unknown subcommand or a garbled name
        if (first > 1) out[1] = r.pick(["nosuch", "", "HELP", "x y"]);
        else if (r.chance(0.2)) out[0] = r.pick(["nosuchcommand", `${out[0]}x`, ""]);
        else out.push(r.pick(JUNK), r.pick(JUNK));
        return;
      default: // an option repeated
        if (out.length > first) out.push(out[r.range(first, out.length - 1)]);
    }
  }
}

/** How often a command is drawn: writes more than reads of nothing, admin commands rarely. */
function weight(c: CommandSpec): number {
  if (c.name === "flushall" || c.name === "flushdb") return 0.05;
  if (c.name === "reset" || c.name === "select" || c.name === "swapdb") return 0.2;
  if (c.name.endsWith("|help")) return 0.1;
  if (c.flags.includes("blocking")) return 0.3;
  if (c.group === "server" || c.group === "connection") return 0.3;
  if (c.flags.includes("write")) return 1.5;
  return 1;
}
