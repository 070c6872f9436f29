/**
 * Server benchmark: our server against `redis-server`, in the same run.
 *
 * Starts `redis-server` and our server (a separate Deno process running
 * `bench/serve_child.ts`) on free ports, then runs
 * `redis-benchmark -t set,get,incr,mset -n 200000 -c 50 -q --csv` with
 * `-P 1` and `-P 16` against each, alternating which goes first, for a
 * number of rounds; prints requests/s of both and the ratio (best round of
 * each), and fails if redis-benchmark printed warnings or errors for us.
 *
 *     deno run --allow-all bench/server.ts [--rounds 2] [--requests 200000]
 *       [--clients 50] [--tests set,get,incr,mset] [--cpu-prof DIR]
 *
 * Targets: at least 0.9x redis-server at -P 1 and 0.5x at -P 16.
 *
 * @module
 */

import { parseArgs } from "node:util";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    rounds: { type: "string", default: "2" },
    requests: { type: "string", default: "200000" },
    clients: { type: "string", default: "50" },
    tests: { type: "string", default: "set,get,incr,mset" },
    pipelines: { type: "string", default: "1,16" },
    "cpu-prof": { type: "string" },
  },
});

const ROUNDS = Number(values.rounds);
const TARGETS: Record<number, number> = { 1: 0.9, 16: 0.5 };

async function installed(name: string): Promise<boolean> {
  try {
    await new Deno.Command(name, { args: ["--version"], stdout: "null", stderr: "null" })
      .output();
    return true;
  } catch {
    return false;
  }
}

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

async function waitForPing(port: number, child: Deno.ChildProcess): Promise<void> {
  let exited = false;
  child.status.then(() => exited = true);
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline && !exited) {
    try {
      const c = await Deno.connect({ hostname: "127.0.0.1", port });
      try {
        await c.write(new TextEncoder().encode("PING\r\n"));
        const buf = new Uint8Array(16);
        const n = await c.read(buf);
        if (n && new TextDecoder().decode(buf.subarray(0, n)) === "+PONG\r\n") return;
      } finally {
        c.close();
      }
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`server on port ${port} did not come up`);
}

interface Result {
  rps: Map<string, number>;
  warnings: string[];
}

/** CPU seconds (user + system, all threads) a process has used so far (Linux /proc). */
async function cpuSeconds(pid: number): Promise<number | undefined> {
  try {
    const stat = await Deno.readTextFile(`/proc/${pid}/stat`);
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // utime and stime are fields 14 and 15 (1-based), in clock ticks (100 per second on Linux)
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}

async function redisBenchmark(port: number, pipeline: number): Promise<Result> {
  const out = await new Deno.Command("redis-benchmark", {
    args: [
      "-h",
      "127.0.0.1",
      "-p",
      String(port),
      "-t",
      values.tests!,
      "-n",
      values.requests!,
      "-c",
      values.clients!,
      "-P",
      String(pipeline),
      "-q",
      "--csv",
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
    if (!(await installed(tool))) {
      console.error(`bench/server.ts: ${tool} is not installed; nothing to compare against`);
      return 1;
    }
  }
  const redisPort = freePort();
  const redis = new Deno.Command("redis-server", {
    args: [
      "--port",
      String(redisPort),
      "--bind",
      "127.0.0.1",
      "--save",
      "",
      "--appendonly",
      "no",
    ],
    stdout: "null",
    stderr: "null",
    stdin: "null",
  }).spawn();
  const oursPort = freePort();
  const denoArgs = ["run", "--allow-net", "--allow-env"];
  if (values["cpu-prof"]) denoArgs.push("--cpu-prof", `--cpu-prof-dir=${values["cpu-prof"]}`);
  denoArgs.push(
    new URL("./serve_child.ts", import.meta.url).pathname,
    "--port",
    String(oursPort),
  );
  const ours = new Deno.Command(Deno.execPath(), {
    args: denoArgs,
    stdout: "null",
    stderr: "inherit",
    stdin: "null",
  }).spawn();
  try {
    await waitForPing(redisPort, redis);
    await waitForPing(oursPort, ours);
    const pipelines = values.pipelines!.split(",").map(Number);
    // best requests/s per pipeline, test and server
    const best = new Map<string, number>();
    // server CPU seconds spent per pipeline, and requests served meanwhile
    const cpu = new Map<string, { seconds: number; requests: number }>();
    const oursWarnings: string[] = [];
    const key = (p: number, test: string, who: string) => `${p}|${test}|${who}`;
    for (let round = 0; round < ROUNDS; round++) {
      for (const p of pipelines) {
        const order: ["redis" | "ours", number][] = round % 2 === 0
          ? [["redis", redisPort], ["ours", oursPort]]
          : [["ours", oursPort], ["redis", redisPort]];
        for (const [who, port] of order) {
          const pid = who === "ours" ? ours.pid : redis.pid;
          const before = await cpuSeconds(pid);
          const r = await redisBenchmark(port, p);
          const after = await cpuSeconds(pid);
          if (before !== undefined && after !== undefined) {
            const c = cpu.get(`${p}|${who}`) ?? { seconds: 0, requests: 0 };
            c.seconds += after - before;
            c.requests += r.rps.size * Number(values.requests);
            cpu.set(`${p}|${who}`, c);
          }
          if (who === "ours") oursWarnings.push(...r.warnings);
          else if (r.warnings.length) console.error(`redis-server run: ${r.warnings.join("; ")}`);
          for (const [test, rps] of r.rps) {
            const k = key(p, test, who);
            best.set(k, Math.max(best.get(k) ?? 0, rps));
          }
          console.error(
            `round ${round + 1}/${ROUNDS} -P ${p} ${who}: ${
              [...r.rps].map(([t, v]) => `${t} ${Math.round(v)}`).join(", ")
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
    const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
    const fmt = (r: string[]) => "| " + r.map((c, i) => c.padEnd(widths[i])).join(" | ") + " |";
    console.log(fmt(rows[0]));
    console.log("|" + widths.map((w) => "-".repeat(w + 2)).join("|") + "|");
    for (const r of rows.slice(1)) console.log(fmt(r));
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
        ` -t ${values.tests}; ${navigator.hardwareConcurrency} CPU(s)`,
    );
    if (oursWarnings.length > 0) {
      console.log(
        `redis-benchmark warnings/errors against mini-redis:\n  ${oursWarnings.join("\n  ")}`,
      );
      return 1;
    }
    console.log("redis-benchmark printed no warnings or errors against mini-redis");
    return failed ? 2 : 0;
  } finally {
    for (const child of [redis, ours]) {
      try {
        child.kill("SIGTERM");
      } catch {
        // already gone
      }
      await child.status;
    }
  }
}

Deno.exit(await main());
