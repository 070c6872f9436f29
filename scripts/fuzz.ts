/**
 * `deno task fuzz`: long runs of the differential command fuzzer. Starts a
 * real redis-server (one database, as ours) and our server (`main.ts
 * serve`, a separate process), sends both the same random command
 * sequences for `--seconds`, and prints every kind of mismatch found,
 * shrunk to a ready-to-paste test case. The last line reads
 * `fuzz: <commands> commands, <mismatches> mismatches`.
 *
 * ```sh
 * deno task fuzz --seconds 60 [--seed 42] [--groups string,hash] [--exclude sort,info]
 * deno task fuzz --protocol --frames 1000000 [--connections 50] [--seed 42]
 * ```
 *
 * `--protocol` runs the protocol-level fuzz instead: random and damaged
 * RESP frames over many connections, a control client whose replies must
 * stay right, and the server's memory after the run beside its baseline.
 *
 * Exit code: 0 without mismatches, 1 with, 2 on a usage error.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { startRedis, startServeProcess } from "../support/servers.ts";
import { fuzzableCommands } from "../tests/fuzz/spec.ts";
import { formatRepro, REPRO_IMPORTS, runFuzz } from "../tests/fuzz/runner.ts";
import { runProtocolFuzz } from "../tests/fuzz/protocol.ts";
import { startMeasured } from "../support/child_servers.ts";

const USAGE = `usage: deno task fuzz [--seconds N] [--seed S] [--groups g1,g2] [--exclude c1,c2]
       deno task fuzz --protocol [--frames N] [--connections N] [--seed S]`;

function fail(message: string): never {
  console.error(`${message}\n${USAGE}`);
  Deno.exit(2);
}

function intOption(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) fail(`--${name} must be a non-negative integer`);
  return n;
}

const { values } = (() => {
  try {
    return parseArgs({
      args: Deno.args,
      options: {
        seconds: { type: "string" },
        seed: { type: "string" },
        groups: { type: "string" },
        exclude: { type: "string" },
        protocol: { type: "boolean" },
        frames: { type: "string" },
        connections: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
    });
  } catch (e) {
    fail(e instanceof Error ? e.message : String(e));
  }
})();
if (values.help) {
  console.log(USAGE);
  Deno.exit(0);
}

const seed = intOption(values.seed, "seed", (Math.random() * 2 ** 32) >>> 0) >>> 0;

/** Servers to stop if the run is interrupted (SIGINT, SIGTERM): no orphans left behind. */
const children: { close(): Promise<unknown> }[] = [];
let interrupted = false;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  Deno.addSignalListener(signal, async () => {
    interrupted = true;
    console.error(`fuzz: ${signal}, stopping the servers`);
    await Promise.allSettled(children.map((c) => c.close()));
    Deno.exit(130);
  });
}

try {
  Deno.exitCode = values.protocol ? await protocolFuzz() : await commandFuzz();
} catch (e) {
  // stopping the servers on a signal breaks the run's connections
  if (!interrupted) throw e;
  await new Promise(() => {}); // the signal handler exits
}
// the signal listeners would keep the process alive
Deno.exit();

async function protocolFuzz(): Promise<number> {
  const frames = intOption(values.frames, "frames", 1_000_000);
  const connections = intOption(values.connections, "connections", 50);
  await using ours = await startMeasured({ args: ["--log-level", "error"] });
  children.push(ours);
  console.log(`protocol fuzz: seed ${seed}, ${frames} frames over ${connections} connections`);
  const r = await runProtocolFuzz({
    port: ours.port,
    pid: ours.pid,
    seed,
    frames,
    connections,
    measureHeap: true,
    settleMs: 10_000,
    log: (line) => console.log(line),
  });
  for (const p of r.problems) console.log(`problem: ${p}`);
  console.log(
    `resident memory: baseline ${mb(r.baselineRss)} MB, peak ${mb(r.peakRss)} MB, after ${
      mb(r.finalRss)
    } MB; heap after collection: baseline ${mb(r.baselineHeap)} MB, after ${mb(r.finalHeap)} MB`,
  );
  console.log(
    `fuzz: ${r.frames} frames, ${r.controlCommands} control commands, ${r.problems.length} problems`,
  );
  return r.problems.length === 0 ? 0 : 1;
}

async function commandFuzz(): Promise<number> {
  const seconds = intOption(values.seconds, "seconds", 60);
  const groups = values.groups?.split(",").filter((g) => g !== "");
  const exclude = values.exclude?.split(",").filter((c) => c !== "");
  const commands = fuzzableCommands({ groups, exclude });
  if (commands.length === 0) fail("no command to fuzz in these groups");
  const containers = new Set(
    commands.filter((c) => c.words.length > 1).map((c) => c.words[0].toLowerCase()),
  );

  await using redis = await startRedis({ args: ["--databases", "1"] });
  children.push(redis);
  // --allow-read: the scripting engine loads its Lua runtime from the module cache
  await using ours = await startServeProcess(["--log-level", "error"], {}, {
    denoFlags: ["--allow-read"],
  });
  children.push(ours);
  console.log(
    `fuzz: seed ${seed}, ${seconds} s, ${commands.length} commands (${
      [...new Set(commands.map((c) => c.group))].join(", ")
    })`,
  );
  const result = await runFuzz({
    redisPort: redis.port,
    oursPort: ours.port,
    seed,
    commands,
    deadline: Date.now() + seconds * 1000,
    onMismatch: (m) => console.log(`mismatch: ${m.group} / ${m.difference.name.toUpperCase()}`),
  });
  if (result.mismatches.length > 0) {
    const byGroup = new Map<string, typeof result.mismatches[number][]>();
    for (const m of result.mismatches) {
      const list = byGroup.get(m.group) ?? [];
      list.push(m);
      byGroup.set(m.group, list);
    }
    console.log(`\n// imports for the test cases below:\n${REPRO_IMPORTS}\n`);
    for (const [group, list] of [...byGroup].sort(([a], [b]) => a.localeCompare(b))) {
      console.log(`// ===== ${group} =====\n`);
      for (const m of list) console.log(`${formatRepro(m, containers)}\n`);
    }
  }
  const rate = Math.round(result.commands / (result.elapsedMs / 1000));
  console.log(
    `${result.sequences} sequences, ${rate} commands/s compared (each sent to both servers)`,
  );
  console.log(`fuzz: ${result.commands} commands, ${result.mismatchCount} mismatches`);
  return result.mismatchCount === 0 ? 0 : 1;
}

function mb(bytes: number): string {
  return (bytes / 1024 / 1024).toFixed(1);
}
