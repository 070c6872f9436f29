/**
 * Server benchmark: our server against `redis-server`, in the same run.
 *
 * Starts `redis-server` and our server (a separate Deno process running
 * `main.ts serve`) on free ports, then runs
 * `redis-benchmark -t ping,set,get,incr,mset -n 200000 -c 50 -q --csv`
 * and the custom command `redis-benchmark ... PUBLISH bench:channel hello`
 * (redis-benchmark 7.0 has no publish test) with `-P 1` and `-P 16`
 * against each, alternating which goes first, for a number of rounds;
 * prints requests/s of both and the ratio (best round of each), and fails
 * if redis-benchmark printed warnings or errors for us.
 *
 *     deno run --allow-all bench/server.ts [--rounds 2] [--requests 200000]
 *       [--clients 50] [--tests ping,set,get,incr,mset] [--no-publish]
 *       [--pipelines 1,16] [--cpu-prof DIR]
 *
 * Targets: at least 0.9x redis-server at -P 1 and 0.5x at -P 16.
 * The pub/sub fan-out benchmark is `bench/pubsub.ts`.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { hasExecutable } from "../tests/helpers.ts";
import { cpuSeconds, printTable, startPeers } from "./peers.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    rounds: { type: "string", default: "2" },
    requests: { type: "string", default: "200000" },
    clients: { type: "string", default: "50" },
    tests: { type: "string", default: "ping,set,get,incr,mset" },
    "no-publish": { type: "boolean", default: false },
    pipelines: { type: "string", default: "1,16" },
    "cpu-prof": { type: "string" },
  },
});

const ROUNDS = Number(values.rounds);
const TARGETS: Record<number, number> = { 1: 0.9, 16: 0.5 };
/** redis-benchmark runs a custom command when given one instead of `-t`. */
const PUBLISH = ["PUBLISH", "bench:channel", "hello"];

interface Result {
  rps: Map<string, number>;
  warnings: string[];
}

async function redisBenchmark(port: number, pipeline: number, work: string[]): Promise<Result> {
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
  const workloads: string[][] = [["-t", values.tests!]];
  if (!values["no-publish"]) workloads.push(PUBLISH);
  // best requests/s per pipeline, test and server
  const best = new Map<string, number>();
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
          const r = await redisBenchmark(peer.port, p, work);
          for (const [t, v] of r.rps) rps.set(t, v);
          if (who === "ours") oursWarnings.push(...r.warnings);
          else if (r.warnings.length) console.error(`redis-server run: ${r.warnings.join("; ")}`);
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
  const tests = [...new Set([...best.keys()].map((k) => k.split("|")[1]))];
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
    for (const test of tests) {
      const theirs = best.get(key(p, test, "redis")) ?? 0;
      const mine = best.get(key(p, test, "ours")) ?? 0;
      const ratio = theirs > 0 ? mine / theirs : 0;
      const target = TARGETS[p];
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
      ` -t ${values.tests}${values["no-publish"] ? "" : ` and ${PUBLISH.join(" ")}`}; ` +
      `${navigator.hardwareConcurrency} CPU(s)`,
  );
  if (oursWarnings.length > 0) {
    console.log(
      `redis-benchmark warnings/errors against mini-redis:\n  ${oursWarnings.join("\n  ")}`,
    );
    return 1;
  }
  console.log("redis-benchmark printed no warnings or errors against mini-redis");
  return failed ? 2 : 0;
}

Deno.exit(await main());
