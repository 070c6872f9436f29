/**
 * Server benchmark: our server against `redis-server`, in the same run.
 *
 * Starts `redis-server` and our server (a separate Deno process running
 * `main.ts serve`) on free ports, then runs redis-benchmark's own tests
 * against each with `-P 1` and `-P 16`, alternating which server goes
 * first, for a number of rounds; prints requests/s of both and the ratio
 * (best round of each), and fails if redis-benchmark printed warnings or
 * errors for us or a ratio is below its target.
 *
 * The workloads, each one redis-benchmark run per server and pipeline:
 * - the string tests `-t ping,set,get,incr,mset` in one run;
 * - the custom command `PUBLISH bench:channel hello` (redis-benchmark 7.0
 *   has no publish test);
 * - the collection tests `lpush,rpush,lpop,rpop,sadd,hset,spop,zadd,
 *   zpopmin,lrange_100,lrange_300,lrange_600`, one run per test (the three
 *   `lrange_*` share one run, as they share redis-benchmark's populating
 *   `LPUSH`), so that a command our server does not know fails its own
 *   rows ("failed: ERR unknown command ...") instead of stopping the rest:
 *   redis-benchmark exits at the first error reply.
 *
 * The keys are redis-benchmark's fixed ones (no `-r`), in its own test
 * order, so both servers see the same data.
 *
 *     deno run --allow-all bench/server.ts [--rounds 2] [--requests 200000]
 *       [--clients 50] [--tests ping,set,get,incr,mset] [--no-publish]
 *       [--types lpush,rpush,...] [--pipelines 1,16] [--cpu-prof DIR]
 *
 * Targets: at least 0.9x redis-server at -P 1 for every test; at -P 16
 * 0.5x for the string tests and PUBLISH, 0.6x for the collection tests.
 * The pub/sub fan-out benchmark is `bench/pubsub.ts`, memory per data type
 * `bench/memory.ts`.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { hasExecutable } from "../support/tools.ts";
import { cpuSeconds, printTable, startPeers } from "./peers.ts";

/** redis-benchmark's collection tests (issue 9), in its own run order. */
const COLLECTION_TESTS =
  "lpush,rpush,lpop,rpop,sadd,hset,spop,zadd,zpopmin,lrange_100,lrange_300,lrange_600";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    rounds: { type: "string", default: "2" },
    requests: { type: "string", default: "200000" },
    clients: { type: "string", default: "50" },
    tests: { type: "string", default: "ping,set,get,incr,mset" },
    "no-publish": { type: "boolean", default: false },
    types: { type: "string", default: COLLECTION_TESTS },
    pipelines: { type: "string", default: "1,16" },
    "cpu-prof": { type: "string" },
  },
});

const ROUNDS = Number(values.rounds);
/** redis-benchmark runs a custom command when given one instead of `-t`. */
const PUBLISH = ["PUBLISH", "bench:channel", "hello"];

/** One redis-benchmark invocation per server and pipeline, with its ratio targets. */
interface Workload {
  /** redis-benchmark arguments after the common ones (`-t ...` or a command). */
  readonly args: readonly string[];
  /** Least acceptable ratio (ours / redis-server) by pipeline depth. */
  readonly targets: Readonly<Record<number, number>>;
}

const STRING_TARGETS = { 1: 0.9, 16: 0.5 };
const COLLECTION_TARGETS = { 1: 0.9, 16: 0.6 };

/**
 * The collection tests as workloads: one per test, except that the
 * `lrange_*` tests share one (each redis-benchmark run of them first
 * populates the list with `-n` LPUSHes).
 */
function collectionWorkloads(tests: string): Workload[] {
  const names = tests.split(",").map((t) => t.trim()).filter((t) => t !== "");
  const lrange = names.filter((t) => t.startsWith("lrange"));
  const out: Workload[] = names
    .filter((t) => !t.startsWith("lrange"))
    .map((t) => ({ args: ["-t", t], targets: COLLECTION_TARGETS }));
  if (lrange.length > 0) out.push({ args: ["-t", lrange.join(",")], targets: COLLECTION_TARGETS });
  return out;
}

/** A failure line for the table: without redis-benchmark's prefix, cut short. */
function shortError(line: string | undefined): string {
  if (line === undefined) return "no result";
  const text = line.replace(/^Error from server: /, "").trim();
  return text.length > 48 ? `${text.slice(0, 45)}...` : text;
}

interface Result {
  rps: Map<string, number>;
  warnings: string[];
}

async function redisBenchmark(
  port: number,
  pipeline: number,
  work: readonly string[],
): Promise<Result> {
  const out = await new Deno.Command("redis-benchmark", {
    args: [
      "-h",
      "127.0.0.1",
      "-p",
      String(port),
      "-n",
      values.requests!,
      "-c",
      values.clients!,
      "-P",
      String(pipeline),
      "-q",
      "--csv",
      ...work,
    ],
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
  }).output();
  const stdout = new TextDecoder().decode(out.stdout);
  const stderr = new TextDecoder().decode(out.stderr);
  const rps = new Map<string, number>();
  const warnings: string[] = [];
  for (const line of stdout.split("\n")) {
    if (line.trim() === "" || line.startsWith('"test"')) continue;
    const m = /^"([^"]+)","([\d.]+)"/.exec(line);
    if (m) rps.set(m[1], Number(m[2]));
    else warnings.push(line);
  }
  for (const line of stderr.split("\n")) if (line.trim() !== "") warnings.push(line);
  if (!out.success) warnings.push(`redis-benchmark exited with ${out.code}`);
  return { rps, warnings };
}

async function main(): Promise<number> {
  for (const tool of ["redis-server", "redis-benchmark"]) {
    if (!(await hasExecutable(tool))) {
      console.error(`bench/server.ts: ${tool} is not installed; nothing to compare against`);
      return 1;
    }
  }
  await using peers = await startPeers({ cpuProfileDir: values["cpu-prof"] });
  const pipelines = values.pipelines!.split(",").map(Number);
  const workloads: Workload[] = [];
  if (values.tests!.trim() !== "") {
    workloads.push({ args: ["-t", values.tests!], targets: STRING_TARGETS });
  }
  if (!values["no-publish"]) workloads.push({ args: PUBLISH, targets: STRING_TARGETS });
  workloads.push(...collectionWorkloads(values.types!));
  // best requests/s per pipeline, test and server
  const best = new Map<string, number>();
  // the tests each workload reported (from either server), in order
  const testsOf = new Map<Workload, string[]>();
  // why a workload failed against mini-redis, per pipeline (the first error line)
  const failures = new Map<string, string>();
  // server CPU seconds spent per pipeline, and requests served meanwhile
  const cpu = new Map<string, { seconds: number; requests: number }>();
  const oursWarnings: string[] = [];
  const key = (p: number, test: string, who: string) => `${p}|${test}|${who}`;
  for (let round = 0; round < ROUNDS; round++) {
    for (const p of pipelines) {
      const order = round % 2 === 0 ? [peers.redis, peers.ours] : [peers.ours, peers.redis];
      for (const peer of order) {
        const who = peer === peers.ours ? "ours" : "redis";
        const before = await cpuSeconds(peer.pid);
        const rps = new Map<string, number>();
        for (const work of workloads) {
          const r = await redisBenchmark(peer.port, p, work.args);
          const names = testsOf.get(work) ?? [];
          for (const [t, v] of r.rps) {
            rps.set(t, v);
            if (!names.includes(t)) names.push(t);
          }
          testsOf.set(work, names);
          if (who === "ours") {
            oursWarnings.push(...r.warnings);
            const error = r.warnings.find((w) => w.startsWith("Error from server"));
            if (r.warnings.length > 0 && !failures.has(`${p}|${work.args.join(" ")}`)) {
              failures.set(`${p}|${work.args.join(" ")}`, error ?? r.warnings[0]);
            }
          } else if (r.warnings.length) {
            console.error(`redis-server run: ${r.warnings.join("; ")}`);
          }
        }
        const after = await cpuSeconds(peer.pid);
        if (before !== undefined && after !== undefined) {
          const c = cpu.get(`${p}|${who}`) ?? { seconds: 0, requests: 0 };
          c.seconds += after - before;
          c.requests += rps.size * Number(values.requests);
          cpu.set(`${p}|${who}`, c);
        }
        for (const [test, v] of rps) {
          const k = key(p, test, who);
          best.set(k, Math.max(best.get(k) ?? 0, v));
        }
        console.error(
          `round ${round + 1}/${ROUNDS} -P ${p} ${who}: ${
            [...rps].map(([t, v]) => `${t} ${Math.round(v)}`).join(", ")
          }`,
        );
      }
    }
  }
  const rows: string[][] = [[
    "test",
    "-P",
    "redis-server rps",
    "mini-redis rps",
    "ratio",
    "target",
  ]];
  let failed = false;
  for (const p of pipelines) {
    for (const work of workloads) {
      const failure = failures.get(`${p}|${work.args.join(" ")}`);
      for (const test of testsOf.get(work) ?? []) {
        const theirs = best.get(key(p, test, "redis")) ?? 0;
        const mine = best.get(key(p, test, "ours"));
        const target = work.targets[p];
        if (mine === undefined) {
          failed = true;
          rows.push([
            test,
            String(p),
            theirs.toFixed(0),
            "-",
            "-",
            `failed: ${shortError(failure)}`,
          ]);
          continue;
        }
        const ratio = theirs > 0 ? mine / theirs : 0;
        const ok = target === undefined || ratio >= target;
        if (!ok) failed = true;
        rows.push([
          test,
          String(p),
          theirs.toFixed(0),
          mine.toFixed(0),
          `${ratio.toFixed(2)}x`,
          target === undefined ? "-" : `>= ${target}x ${ok ? "ok" : "BELOW"}`,
        ]);
      }
    }
  }
  printTable(rows);
  if (cpu.size > 0) {
    console.log("\nserver CPU time per request (user + system, all threads; lower is better):");
    for (const p of pipelines) {
      const t = cpu.get(`${p}|redis`);
      const m = cpu.get(`${p}|ours`);
      if (!t || !m) continue;
      const tu = (t.seconds / t.requests) * 1e6;
      const mu = (m.seconds / m.requests) * 1e6;
      console.log(
        `  -P ${p}: redis-server ${tu.toFixed(2)} us, mini-redis ${mu.toFixed(2)} us ` +
          `(mini-redis costs ${(mu / tu).toFixed(2)}x)`,
      );
    }
  }
  console.log(
    `\n${ROUNDS} round(s), best of each; redis-benchmark -n ${values.requests} -c ${values.clients}` +
      `: ${workloads.map((w) => w.args.join(" ")).join("; ")}; ` +
      `${navigator.hardwareConcurrency} CPU(s)`,
  );
  if (oursWarnings.length > 0) {
    const unique = [...new Set(oursWarnings)];
    console.log(`redis-benchmark warnings/errors against mini-redis:\n  ${unique.join("\n  ")}`);
    return 1;
  }
  console.log("redis-benchmark printed no warnings or errors against mini-redis");
  return failed ? 2 : 0;
}

Deno.exit(await main());
