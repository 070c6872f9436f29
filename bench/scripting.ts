/**
 * Scripting and transactions benchmark: our server against `redis-server`,
 * in the same run.
 *
 * Starts `redis-server` and our server (a separate Deno process running
 * `main.ts serve`) on free ports of 127.0.0.1 and measures, alternating which
 * server goes first, for a number of rounds (best round of each):
 *
 * - `EVALSHA` of a script making 5 `redis.call`s (SET, GET, INCR, HSET,
 *   GET), with redis-benchmark at `-P 1` and `-P 16`;
 * - `EVAL` of the same script (the body sent and hashed each time);
 * - `MULTI`, 5 commands (SET, GET, INCR, HSET, GET), `EXEC`, sent as one
 *   write as client libraries send a transaction, by this file's own load
 *   generator (redis-benchmark cannot send a transaction): `-P 1` is one
 *   transaction per round trip per connection, `-P 16` sixteen.
 *
 * Both servers get the same generator, so its own cost weighs on both; the
 * EVALSHA rows are also measured with that generator
 * (`evalsha (generator)`), to show how it compares with redis-benchmark.
 *
 *     deno run --allow-all bench/scripting.ts [--rounds 3] [--requests 100000]
 *       [--clients 50] [--pipelines 1,16] [--only evalsha,multi] [--cpu-prof DIR]
 *
 * Targets (issue 10): EVALSHA at least 0.5x redis-server at `-P 1`,
 * MULTI/EXEC at least 0.8x.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { RedisProcess, startServeProcess } from "../support/servers.ts";
import { hasExecutable } from "../support/tools.ts";
import { printTable } from "./peers.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    rounds: { type: "string", default: "3" },
    requests: { type: "string", default: "100000" },
    clients: { type: "string", default: "50" },
    pipelines: { type: "string", default: "1,16" },
    only: { type: "string" },
    "cpu-prof": { type: "string" },
  },
});

const ROUNDS = Number(values.rounds);
const REQUESTS = Number(values.requests);
const CLIENTS = Number(values.clients);

/** The benchmark script: 5 `redis.call`s (one line: redis-benchmark's CSV names the test by it). */
export const SCRIPT = "redis.call('SET', KEYS[1], ARGV[1]) " +
  "local v = redis.call('GET', KEYS[1]) " +
  "redis.call('INCR', KEYS[2]) " +
  "redis.call('HSET', KEYS[3], 'f', v) " +
  "return redis.call('GET', KEYS[1])";
const SCRIPT_KEYS = ["3", "bench:s", "bench:n", "bench:h", "hello"];

/** The transaction: MULTI, 5 commands, EXEC. */
const TRANSACTION = [
  ["MULTI"],
  ["SET", "bench:t", "hello"],
  ["GET", "bench:t"],
  ["INCR", "bench:tn"],
  ["HSET", "bench:th", "f", "hello"],
  ["GET", "bench:t"],
  ["EXEC"],
];

const enc = new TextEncoder();

/** `args` as a RESP array of bulk strings. */
function encodeCommand(args: readonly string[]): Uint8Array {
  let s = `*${args.length}\r\n`;
  for (const a of args) s += `$${enc.encode(a).length}\r\n${a}\r\n`;
  return enc.encode(s);
}

function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/**
 * Counts complete top-level RESP2 replies in a byte stream fed in chunks
 * (simple strings, errors, integers, bulk strings, arrays, nested).
 */
class ReplyCounter {
  #rest: Uint8Array = new Uint8Array(0);
  /** Replies completed so far. */
  count = 0;
  /** The first error reply seen, if any. */
  error: string | undefined;

  feed(chunk: Uint8Array): void {
    let buf = chunk;
    if (this.#rest.length > 0) buf = concatBytes([this.#rest, chunk]);
    let pos = 0;
    for (;;) {
      const end = this.#frame(buf, pos);
      if (end < 0) break;
      pos = end;
      this.count++;
    }
    this.#rest = pos === buf.length ? new Uint8Array(0) : buf.slice(pos);
  }

  /** The end of the frame at `pos`, or -1 if incomplete. */
  #frame(buf: Uint8Array, pos: number): number {
    if (pos >= buf.length) return -1;
    const lineEnd = buf.indexOf(10, pos);
    if (lineEnd < 0) return -1;
    const type = buf[pos];
    if (type === 43 || type === 58) return lineEnd + 1; // + :
    if (type === 45) {
      this.error ??= new TextDecoder().decode(buf.subarray(pos, lineEnd - 1));
      return lineEnd + 1;
    }
    const n = Number(new TextDecoder().decode(buf.subarray(pos + 1, lineEnd - 1)));
    if (type === 36) { // $
      if (n < 0) return lineEnd + 1;
      const end = lineEnd + 1 + n + 2;
      return end <= buf.length ? end : -1;
    }
    if (type === 42) { // *
      let p = lineEnd + 1;
      for (let i = 0; i < n; i++) {
        p = this.#frame(buf, p);
        if (p < 0) return -1;
      }
      return p;
    }
    throw new Error(`unexpected reply byte ${type}`);
  }
}

/**
 * Sends `batch` (which gets `repliesPerBatch` replies) over `clients`
 * connections, each waiting for a batch's replies before sending the next,
 * until `batches` batches are done; returns batches per second.
 */
async function generate(
  port: number,
  batch: Uint8Array,
  repliesPerBatch: number,
  batches: number,
): Promise<{ rate: number; error?: string }> {
  let started = 0;
  let error: string | undefined;
  const conns: Deno.TcpConn[] = [];
  for (let i = 0; i < CLIENTS; i++) {
    conns.push(await Deno.connect({ hostname: "127.0.0.1", port }));
  }
  const t0 = performance.now();
  await Promise.all(conns.map(async (conn) => {
    const buf = new Uint8Array(64 * 1024);
    const counter = new ReplyCounter();
    while (started < batches) {
      started++;
      const want = counter.count + repliesPerBatch;
      let off = 0;
      while (off < batch.length) off += await conn.write(batch.subarray(off));
      while (counter.count < want) {
        const n = await conn.read(buf);
        if (n === null) throw new Error("server closed the connection");
        counter.feed(buf.subarray(0, n));
      }
      error ??= counter.error;
    }
  }));
  const seconds = (performance.now() - t0) / 1000;
  for (const c of conns) c.close();
  return { rate: batches / seconds, error };
}

/** redis-benchmark with a custom command: requests per second. */
async function redisBenchmark(
  port: number,
  pipeline: number,
  command: readonly string[],
): Promise<{ rate: number; error?: string }> {
  const out = await new Deno.Command("redis-benchmark", {
    args: [
      "-h",
      "127.0.0.1",
      "-p",
      String(port),
      "-n",
      String(REQUESTS),
      "-c",
      String(CLIENTS),
      "-P",
      String(pipeline),
      "-q",
      "--csv",
      ...command,
    ],
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
  }).output();
  const stdout = new TextDecoder().decode(out.stdout);
  const stderr = new TextDecoder().decode(out.stderr).trim();
  for (const line of stdout.split("\n")) {
    const m = /^"[^"]+","([\d.]+)"/.exec(line);
    if (m) return { rate: Number(m[1]), error: stderr === "" ? undefined : stderr };
  }
  return { rate: 0, error: stderr || stdout.trim() || `redis-benchmark exited with ${out.code}` };
}

/** Sends one command and returns its first reply line. */
async function call(port: number, args: readonly string[]): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    const req = encodeCommand(args);
    let off = 0;
    while (off < req.length) off += await conn.write(req.subarray(off));
    const buf = new Uint8Array(4096);
    let text = "";
    while (!text.includes("\r\n")) {
      const n = await conn.read(buf);
      if (n === null) break;
      text += new TextDecoder().decode(buf.subarray(0, n));
    }
    const lines = text.split("\r\n");
    return lines[0].startsWith("$") ? lines[1] : lines[0];
  } finally {
    conn.close();
  }
}

interface Workload {
  readonly name: string;
  readonly target?: Readonly<Record<number, number>>;
  run(port: number, pipeline: number, sha: string): Promise<{ rate: number; error?: string }>;
}

const transaction = concatBytes(TRANSACTION.map(encodeCommand));
const evalshaBatch = (sha: string) => encodeCommand(["EVALSHA", sha, ...SCRIPT_KEYS]);

const WORKLOADS: Workload[] = [
  {
    name: "evalsha (5 calls)",
    target: { 1: 0.5 },
    run: (port, p, sha) => redisBenchmark(port, p, ["EVALSHA", sha, ...SCRIPT_KEYS]),
  },
  {
    name: "eval (5 calls)",
    run: (port, p) => redisBenchmark(port, p, ["EVAL", SCRIPT, ...SCRIPT_KEYS]),
  },
  {
    name: "multi/exec (5 commands)",
    target: { 1: 0.8 },
    run: (port, p) =>
      generate(
        port,
        concatBytes(new Array(p).fill(transaction)),
        TRANSACTION.length * p,
        Math.ceil(REQUESTS / p),
      ).then((r) => ({ ...r, rate: r.rate * p })),
  },
  {
    name: "evalsha (generator)",
    run: (port, p, sha) =>
      generate(port, concatBytes(new Array(p).fill(evalshaBatch(sha))), p, Math.ceil(REQUESTS / p))
        .then((r) => ({ ...r, rate: r.rate * p })),
  },
];

async function main(): Promise<number> {
  for (const tool of ["redis-server", "redis-benchmark"]) {
    if (!(await hasExecutable(tool))) {
      console.error(`bench/scripting.ts: ${tool} is not installed; nothing to compare against`);
      return 1;
    }
  }
  await using redis = await RedisProcess.start();
  const profile = values["cpu-prof"];
  await using ours = await startServeProcess(["--log-level", "warn"], {}, {
    denoFlags: [
      "--allow-read",
      ...(profile ? ["--cpu-prof", `--cpu-prof-dir=${profile}`] : []),
    ],
  });
  const peers = [{ who: "redis", port: redis.port }, { who: "ours", port: ours.port }];
  let sha = "";
  for (const peer of peers) {
    const got = await call(peer.port, ["SCRIPT", "LOAD", SCRIPT]);
    if (!/^[0-9a-f]{40}$/.test(got)) throw new Error(`SCRIPT LOAD on ${peer.who}: ${got}`);
    sha = got;
  }
  const pipelines = values.pipelines!.split(",").map(Number);
  const only = values.only?.split(",");
  const workloads = only === undefined
    ? WORKLOADS
    : WORKLOADS.filter((w) => only.some((o) => w.name.startsWith(o)));
  const best = new Map<string, number>();
  const errors: string[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    for (const p of pipelines) {
      for (const work of workloads) {
        const order = round % 2 === 0 ? peers : [...peers].reverse();
        for (const peer of order) {
          const r = await work.run(peer.port, p, sha);
          if (r.error !== undefined) errors.push(`${peer.who} ${work.name} -P ${p}: ${r.error}`);
          const k = `${work.name}|${p}|${peer.who}`;
          best.set(k, Math.max(best.get(k) ?? 0, r.rate));
          console.error(
            `round ${round + 1}/${ROUNDS} -P ${p} ${work.name} ${peer.who}: ${
              Math.round(r.rate)
            }/s`,
          );
        }
      }
    }
  }
  const rows: string[][] = [[
    "workload",
    "-P",
    "redis-server /s",
    "mini-redis /s",
    "ratio",
    "target",
  ]];
  let failed = false;
  for (const p of pipelines) {
    for (const work of workloads) {
      const theirs = best.get(`${work.name}|${p}|redis`) ?? 0;
      const mine = best.get(`${work.name}|${p}|ours`) ?? 0;
      const ratio = theirs > 0 ? mine / theirs : 0;
      const target = work.target?.[p];
      const ok = target === undefined || ratio >= target;
      if (!ok) failed = true;
      rows.push([
        work.name,
        String(p),
        theirs.toFixed(0),
        mine.toFixed(0),
        `${ratio.toFixed(2)}x`,
        target === undefined ? "-" : `>= ${target}x ${ok ? "ok" : "BELOW"}`,
      ]);
    }
  }
  printTable(rows);
  console.log(
    `\n${ROUNDS} round(s), best of each; ${REQUESTS} requests (transactions), ${CLIENTS} clients; ` +
      `${navigator.hardwareConcurrency} CPU(s)`,
  );
  if (errors.length > 0) {
    console.log(`errors:\n  ${[...new Set(errors)].join("\n  ")}`);
    return 1;
  }
  return failed ? 2 : 0;
}

if (import.meta.main) Deno.exit(await main());
