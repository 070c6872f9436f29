/**
 * The command fuzzer's runner: sends the same random sequences to a real
 * redis-server and to our server, compares every reply
 * ({@linkcode sameReply}), and shrinks each mismatch to a minimal sequence
 * that still shows it, printed as a ready-to-paste test case
 * ({@linkcode formatRepro}).
 *
 * A sequence starts from a clean state on both servers (`RESET`,
 * `FLUSHALL`, and `HELLO 3` for a RESP3 sequence) and is sent in
 * pipelined batches. Where a command's effect is random (SPOP), the runner
 * makes both servers hold Redis's result again before going on. Inside
 * MULTI, each element of EXEC's reply is compared by the rule of the
 * command it answers. A sequence ends at its first mismatch (the servers'
 * states may differ from there on).
 *
 * @example
 * ```ts ignore
 * import { runFuzz } from "./runner.ts";
 * import { fuzzableCommands } from "./spec.ts";
 * const result = await runFuzz({ redisPort: 6379, oursPort: 6380, seed: 1, commands: fuzzableCommands(), maxCommands: 1000 });
 * console.log(result.commands, result.mismatches.length);
 * ```
 *
 * @module
 */

import { latin1, RawClient } from "../helpers.ts";
import { cmd, fromLatin1 } from "../wire.ts";
import { type Node, parseNode, RANDOM_WRITES, type Rule, ruleFor, sameReply } from "./compare.ts";
import { type FuzzArg, Generator, type GeneratorOptions } from "./generator.ts";
import type { CommandSpec } from "./spec.ts";
import { commandMeta } from "../../server/commands/meta.ts";

/** One command of a sequence. */
export interface Step {
  /** The arguments as sent. */
  readonly args: readonly FuzzArg[];
}

/** Where two servers' replies to a sequence first differ. */
export interface Difference {
  /** Index of the step in the sequence. */
  readonly index: number;
  /** Full lower-case name of that command. */
  readonly name: string;
  /** redis-server's reply (raw bytes as latin1). */
  readonly expected: string;
  /** Our server's reply (or what happened instead, in angle brackets). */
  readonly actual: string;
  /** The rule the replies were compared by. */
  readonly rule: Rule;
}

/** A mismatch found by {@linkcode runFuzz}, shrunk. */
export interface Mismatch {
  /** The seed of the run. */
  readonly seed: number;
  /** The number of the sequence in the run. */
  readonly sequence: number;
  /** RESP2 or RESP3. */
  readonly protocol: 2 | 3;
  /** The minimal sequence found (its last step shows the difference). */
  readonly steps: readonly Step[];
  /** The difference at the last step of {@linkcode Mismatch.steps}. */
  readonly difference: Difference;
  /** The command family (COMMAND DOCS group) of the differing command. */
  readonly group: string;
  /** Steps before shrinking. */
  readonly originalLength: number;
  /** Whether the shrunk sequence showed the difference in every replay (else: flaky). */
  readonly reproduced: boolean;
  /** How many sequences of the run ended with a mismatch of the same kind. */
  count: number;
}

/** Options of {@linkcode runFuzz}. */
export interface FuzzOptions {
  /** redis-server's port on 127.0.0.1. */
  readonly redisPort: number;
  /** Our server's port on 127.0.0.1. */
  readonly oursPort: number;
  /** The seed. */
  readonly seed: number;
  /** What may be sent. */
  readonly commands: readonly CommandSpec[];
  /** Stop after this many commands (default: no limit; give this or a deadline). */
  readonly maxCommands?: number;
  /** Stop at this `Date.now()` (default: no limit). */
  readonly deadline?: number;
  /** Commands per sequence (default 120). */
  readonly sequenceLength?: number;
  /** Shrink mismatches (default true). */
  readonly shrink?: boolean;
  /** Most replays spent shrinking one mismatch (default 300). */
  readonly shrinkBudget?: number;
  /** Generator probabilities. */
  readonly generator?: GeneratorOptions;
  /**
   * Requests never to send (e.g. known differences being fixed): the
   * generator draws another command instead.
   */
  readonly skip?: (args: readonly FuzzArg[]) => boolean;
  /** Called before each sequence is sent (tracing a run). */
  readonly onSequence?: (sequence: number, protocol: 2 | 3, steps: readonly Step[]) => void;
  /** Called with each new kind of mismatch, once shrunk. */
  readonly onMismatch?: (m: Mismatch) => void;
}

/** The result of {@linkcode runFuzz}. */
export interface FuzzResult {
  /** Commands compared (not counting the runner's own set-up commands). */
  readonly commands: number;
  /** Sequences run. */
  readonly sequences: number;
  /** Sequences that ended with a mismatch. */
  readonly mismatchCount: number;
  /** One shrunk mismatch per kind (command and reply kind), with counts. */
  readonly mismatches: readonly Mismatch[];
  /** Wall-clock milliseconds. */
  readonly elapsedMs: number;
}

const BATCH = 48;
const READ_TIMEOUT_MS = 10_000;

/** Both servers' connections. */
class Pair {
  redis!: RawClient;
  ours!: RawClient;
  readonly #redisPort: number;
  readonly #oursPort: number;

  constructor(redisPort: number, oursPort: number) {
    this.#redisPort = redisPort;
    this.#oursPort = oursPort;
  }

  async connect(): Promise<void> {
    this.close();
    this.redis = await RawClient.connect(this.#redisPort);
    this.ours = await RawClient.connect(this.#oursPort);
  }

  close(): void {
    this.redis?.close();
    this.ours?.close();
  }
}

/** The full lower-case name of a request (`config|help` for a container's subcommand). */
export function nameOf(args: readonly FuzzArg[], containers: ReadonlySet<string>): string {
  const first = text(args[0] ?? "").toLowerCase();
  if (containers.has(first) && args.length > 1) return `${first}|${text(args[1]).toLowerCase()}`;
  return first;
}

function text(a: FuzzArg): string {
  return typeof a === "string" ? a : latin1(a);
}

function encode(steps: readonly (readonly FuzzArg[])[]): Uint8Array {
  const parts = steps.map((s) => cmd(...s));
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/** Replays sequences on a pair of connections and finds the first difference. */
class Replayer {
  readonly #pair: Pair;
  readonly #containers: ReadonlySet<string>;

  constructor(pair: Pair, containers: ReadonlySet<string>) {
    this.#pair = pair;
    this.#containers = containers;
  }

  /** Sends the same commands to both; returns both replies (ours may be an error marker). */
  async #both(batch: readonly (readonly FuzzArg[])[]): Promise<[string[], string[]]> {
    const { redis, ours } = this.#pair;
    const bytes = encode(batch);
    // replies are read while the requests are written: a server that stops
    // reading until its replies are taken (ours does) must not stall the run
    const fromRedis = Promise.all([
      redis.send(bytes),
      redis.readStrings(batch.length, { timeoutMs: READ_TIMEOUT_MS }),
    ]);
    const sending = ours.send(bytes).catch(() => {});
    const actual: string[] = [];
    let lost: string | undefined;
    try {
      for (let i = 0; i < batch.length; i++) {
        actual.push((await ours.readStrings(1, { timeoutMs: READ_TIMEOUT_MS }))[0]);
      }
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      lost = msg.includes("timed out") ? "<no reply within 10 s>" : `<connection lost: ${msg}>`;
    }
    const [, expected] = await fromRedis;
    if (lost !== undefined) {
      actual.push(lost);
      await this.#pair.connect();
    } else {
      await sending;
    }
    return [expected, actual];
  }

  /** A clean state on both servers, in `protocol`. */
  async #reset(protocol: 2 | 3): Promise<void> {
    const prelude: FuzzArg[][] = [["RESET"], ["FLUSHALL"], ["DBSIZE"]];
    if (protocol === 3) prelude.push(["HELLO", "3"]);
    let [expected, actual] = await this.#both(prelude);
    if (actual.length < prelude.length) [expected, actual] = await this.#both(prelude);
    if (expected[2] !== ":0\r\n" || actual[2] !== ":0\r\n") {
      throw new Error(
        `the servers are not empty after RESET and FLUSHALL: ${JSON.stringify(expected)} / ${
          JSON.stringify(actual)
        }`,
      );
    }
  }

  /**
   * Runs `steps` from a clean state; returns the first difference, or
   * undefined when every reply matched. `onStep` counts the commands.
   */
  async run(
    steps: readonly Step[],
    protocol: 2 | 3,
    onStep?: () => void,
  ): Promise<Difference | undefined> {
    await this.#reset(protocol);
    let inMulti = false;
    let queued: { name: string; args: readonly FuzzArg[] }[] = [];
    let i = 0;
    while (i < steps.length) {
      // a batch ends after a command whose result the runner may have to fix up
      let end = i;
      while (end < steps.length && end - i < BATCH) {
        const name = nameOf(steps[end].args, this.#containers);
        end++;
        if (RANDOM_WRITES.has(name) || name === "exec") break;
      }
      const batch = steps.slice(i, end).map((s) => s.args);
      const [expected, actual] = await this.#both(batch);
      for (let j = 0; j < batch.length; j++) {
        const args = batch[j];
        const name = nameOf(args, this.#containers);
        const e = expected[j];
        const a = actual[j];
        let rule = ruleFor(name, args);
        let same: boolean;
        if (a === undefined) {
          return { index: i + j, name, expected: e, actual: "<no reply>", rule };
        }
        if (name === "exec" && inMulti) {
          same = sameExec(a, e, queued);
          rule = { kind: "exact" };
          inMulti = false;
        } else if (inMulti && e === "+QUEUED\r\n") {
          queued.push({ name, args });
          same = a === e;
        } else {
          same = sameReply(a, e, rule);
          if (name === "multi" && e === "+OK\r\n") {
            inMulti = true;
            queued = [];
          } else if ((name === "discard" || name === "reset") && !e.startsWith("-")) {
            inMulti = false;
          } else if (name === "exec") {
            inMulti = false;
          }
        }
        onStep?.();
        if (!same) return { index: i + j, name, expected: e, actual: a, rule };
        if (RANDOM_WRITES.has(name) && a !== e) await this.#sync(args);
      }
      // after EXEC, random writes inside it are fixed up too
      const last = batch[batch.length - 1];
      if (nameOf(last, this.#containers) === "exec") {
        for (const q of queued) if (RANDOM_WRITES.has(q.name)) await this.#sync(q.args);
        queued = [];
      }
      i = end;
    }
    return undefined;
  }

  /** Gives our server Redis's version of a set a random write changed (SPOP). */
  async #sync(args: readonly FuzzArg[]): Promise<void> {
    if (args.length < 2) return;
    const key = args[1];
    const [[members, pttl]] = await this.#both([["SMEMBERS", key], ["PTTL", key]]);
    const [node] = parseNode(members);
    const fix: FuzzArg[][] = [["DEL", key]];
    if (node.items !== undefined && node.items.length > 0) {
      fix.push(["SADD", key, ...node.items.map((n: Node) => fromLatin1(n.text))]);
      const ms = Number(pttl.slice(1, pttl.indexOf("\r")));
      if (ms > 0) fix.push(["PEXPIRE", key, String(ms)]);
    }
    await this.#both(fix);
  }
}

/**
 * Replays `steps` once on fresh connections to both servers (from a clean
 * state, as the fuzzer does) and returns the first difference, if any: a
 * repro checked outside a run.
 */
export async function replay(
  redisPort: number,
  oursPort: number,
  steps: readonly Step[],
  protocol: 2 | 3,
  containers: ReadonlySet<string>,
): Promise<Difference | undefined> {
  const pair = new Pair(redisPort, oursPort);
  await pair.connect();
  try {
    return await new Replayer(pair, containers).run(steps, protocol);
  } finally {
    pair.close();
  }
}

function sameExec(
  actual: string,
  expected: string,
  queued: readonly { name: string; args: readonly FuzzArg[] }[],
): boolean {
  if (actual === expected) return true;
  let a: Node;
  let e: Node;
  try {
    a = parseNode(actual)[0];
    e = parseNode(expected)[0];
  } catch {
    return false;
  }
  if (
    a.type !== e.type || a.items === undefined || e.items === undefined ||
    a.items.length !== e.items.length || e.items.length !== queued.length
  ) {
    return false;
  }
  for (let i = 0; i < queued.length; i++) {
    const rule = ruleFor(queued[i].name, queued[i].args);
    if (!sameReply(a.items[i].raw, e.items[i].raw, rule)) return false;
  }
  return true;
}

function kindOf(d: Difference): string {
  const e = d.expected;
  if (e.startsWith("-")) return `${d.name} ${e.slice(0, Math.min(e.indexOf("\r"), 40))}`;
  return `${d.name} ${e[0]} vs ${d.actual.startsWith("<") ? d.actual : d.actual[0]}`;
}

/**
 * Runs random sequences until `maxCommands` or `deadline`, comparing every
 * reply, and shrinks the first mismatch of each kind.
 */
export async function runFuzz(options: FuzzOptions): Promise<FuzzResult> {
  const started = Date.now();
  const pair = new Pair(options.redisPort, options.oursPort);
  await pair.connect();
  const containers = new Set(
    options.commands.filter((c) => c.words.length > 1).map((c) => c.words[0].toLowerCase()),
  );
  const groups = new Map<string, string>();
  for (const c of options.commands) groups.set(c.name, c.group);
  const replayer = new Replayer(pair, containers);
  const gen = new Generator(options.seed, options.commands, options.generator);
  const length = options.sequenceLength ?? 120;
  const found = new Map<string, Mismatch>();
  let commands = 0;
  let sequences = 0;
  let mismatchCount = 0;
  const done = () =>
    (options.maxCommands !== undefined && commands >= options.maxCommands) ||
    (options.deadline !== undefined && Date.now() >= options.deadline);
  try {
    while (!done()) {
      const protocol: 2 | 3 = gen.random.chance(0.5) ? 2 : 3;
      const steps: Step[] = [];
      const n = Math.min(length, (options.maxCommands ?? Infinity) - commands);
      for (let k = 0; k < n; k++) {
        let args = gen.next();
        while (options.skip?.(args)) args = gen.next();
        steps.push({ args });
      }
      const sequence = sequences++;
      options.onSequence?.(sequence, protocol, steps);
      const diff = await replayer.run(steps, protocol, () => commands++);
      if (diff === undefined) continue;
      mismatchCount++;
      const kind = kindOf(diff);
      const seen = found.get(kind);
      if (seen !== undefined) {
        seen.count++;
        continue;
      }
      const prefix = steps.slice(0, diff.index + 1);
      // shrinking gets at most 20 s, and nothing once the run is over
      const shrinkUntil = Math.min(Date.now() + 20_000, options.deadline ?? Infinity);
      const shrunk = options.shrink === false || Date.now() >= shrinkUntil
        ? { steps: prefix, difference: diff, reproduced: true }
        : await shrink(replayer, prefix, protocol, diff, options.shrinkBudget ?? 300, shrinkUntil);
      const m: Mismatch = {
        seed: options.seed,
        sequence,
        protocol,
        steps: shrunk.steps,
        difference: shrunk.difference,
        group: groups.get(diff.name) ?? commandMeta(diff.name)?.group ??
          commandMeta(diff.name.split("|")[0])?.group ?? "unknown",
        originalLength: prefix.length,
        reproduced: shrunk.reproduced,
        count: 1,
      };
      found.set(kind, m);
      options.onMismatch?.(m);
    }
  } finally {
    pair.close();
  }
  return {
    commands,
    sequences,
    mismatchCount,
    mismatches: [...found.values()],
    elapsedMs: Date.now() - started,
  };
}

/**
 * Shrinks a failing sequence: removes runs of steps (halving their length
 * down to one), then single arguments, then shortens long values, keeping
 * every change after which a replay still differs at a command of the
 * same name. At most `budget` replays, none after `until` (`Date.now()`).
 */
async function shrink(
  replayer: Replayer,
  original: readonly Step[],
  protocol: 2 | 3,
  diff: Difference,
  budget: number,
  until: number,
): Promise<{ steps: Step[]; difference: Difference; reproduced: boolean }> {
  let best = [...original];
  let bestDiff = diff;
  let runs = 0;
  const fails = async (candidate: Step[]): Promise<boolean> => {
    if (runs >= budget || Date.now() >= until) return false;
    runs++;
    const d = await replayer.run(candidate, protocol);
    if (d === undefined || d.name !== diff.name) return false;
    best = candidate.slice(0, d.index + 1);
    bestDiff = d;
    return true;
  };
  const reproduced = await fails(best);
  if (!reproduced) return { steps: best, difference: diff, reproduced: false };
  // whole steps (never the last: it shows the difference)
  for (let chunk = Math.max(1, best.length >> 1); chunk >= 1; chunk >>= 1) {
    let i = 0;
    while (i < best.length - 1 && runs < budget) {
      const candidate = [...best.slice(0, i), ...best.slice(Math.min(i + chunk, best.length - 1))];
      if (candidate.length < best.length && await fails(candidate)) continue;
      i += chunk;
    }
  }
  // single arguments, then long values made short
  for (let s = 0; s < best.length && runs < budget; s++) {
    for (let k = best[s].args.length - 1; k >= 1 && runs < budget; k--) {
      const args = [...best[s].args];
      args.splice(k, 1);
      await fails([...best.slice(0, s), { args }, ...best.slice(s + 1)]);
    }
  }
  for (let s = 0; s < best.length && runs < budget; s++) {
    for (let k = 1; k < best[s].args.length && runs < budget; k++) {
      const v = best[s].args[k];
      if (v.length <= 8) continue;
      for (const shorter of [v.slice(0, 8), v.slice(0, v.length >> 1)]) {
        const args = [...best[s].args];
        args[k] = shorter;
        if (await fails([...best.slice(0, s), { args }, ...best.slice(s + 1)])) break;
      }
    }
  }
  // a repro must show the difference every time it is replayed
  let steady = true;
  for (let i = 0; i < 2 && steady; i++) {
    const d = await replayer.run(best, protocol);
    steady = d !== undefined && d.name === diff.name && d.index === best.length - 1;
  }
  return { steps: best, difference: bestDiff, reproduced: steady };
}

// ---------------------------------------------------------------------------
// Printing a mismatch as a test case

function jsString(s: string): string {
  const run = /^(.)\1{39,}$/s.exec(s);
  if (run !== null) return `${JSON.stringify(run[1])}.repeat(${s.length})`;
  return JSON.stringify(s);
}

function argCode(a: FuzzArg): string {
  if (typeof a === "string") return jsString(a);
  let s = "";
  for (const b of a) {
    s += b >= 0x20 && b < 0x7f && b !== 0x22 && b !== 0x5c
      ? String.fromCharCode(b)
      : `\\x${b.toString(16).padStart(2, "0")}`;
  }
  return `fromLatin1("${s}")`;
}

function stepCode(args: readonly FuzzArg[], rule: Rule): string {
  const list = `[${args.map(argCode).join(", ")}]`;
  switch (rule.kind) {
    case "exact":
      return list;
    case "unordered":
    case "pairs":
      return `unordered(${list})`;
    default:
      return `random(${list})`;
  }
}

function shown(reply: string): string {
  return JSON.stringify(reply.length > 300 ? `${reply.slice(0, 300)}...` : reply);
}

/**
 * A mismatch as a ready-to-paste test case for a file in `tests/` (it
 * uses `compareWithRedis` of `tests/support/redis_compare.ts`), with both
 * replies in a comment.
 */
export function formatRepro(m: Mismatch, containers: ReadonlySet<string> = new Set()): string {
  const d = m.difference;
  const lines = [
    `// fuzz: ${m.group} / ${d.name.toUpperCase()} differs from redis-server ` +
    `(seed ${m.seed}, sequence ${m.sequence}, RESP${m.protocol}, ` +
    `${m.count} time(s)${m.reproduced ? "" : ", NOT reproduced by every replay: flaky"})`,
    `//   redis-server: ${shown(d.expected)}`,
    `//   ours:         ${shown(d.actual)}`,
    `Deno.test("fuzz repro: ${d.name.toUpperCase()} (seed ${m.seed} #${m.sequence})", () =>`,
    `  compareWithRedis({`,
    `    "seed ${m.seed} #${m.sequence}": [`,
    ...m.steps.map((s) =>
      `      ${stepCode(s.args, ruleFor(nameOf(s.args, containers), s.args))},`
    ),
    `    ],`,
    `  }, { protocols: [${m.protocol}] }));`,
  ];
  return lines.join("\n");
}

/** The imports a file needs for {@linkcode formatRepro}'s test cases. */
export const REPRO_IMPORTS =
  `import { fromLatin1 } from "./helpers.ts";\nimport { compareWithRedis, random, unordered } from "./support/redis_compare.ts";`;
