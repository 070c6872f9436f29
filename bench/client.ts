/**
 * Client benchmark (`deno task bench:client`): against one `redis-server`
 * started on a free port, 100 concurrent workers each do `SET k v` then
 * `GET k`, sequentially, until 200,000 operations in total. Measured in the
 * same run, rounds alternating, median of the rounds:
 *
 * - our `Client` (one request at a time, shared by the workers: its queue is the mutex),
 * - our `BufferedClient` (the manager task, automatic pipelining),
 * - ioredis, default and with `enableAutoPipelining`,
 * - node-redis (npm `redis`).
 *
 * Flags: `--ops N` (default 200000), `--workers N` (100), `--rounds N` (3),
 * `--only name,name` (substring filter), `--port N` (use a running server).
 *
 * @module
 */

import { parseArgs } from "node:util";
import { Redis } from "ioredis";
import { createClient } from "redis";
import { BufferedClient, Client } from "../client/mod.ts";
import { RedisProcess } from "../support/servers.ts";

interface Contender {
  name: string;
  open(port: number): Promise<Driver>;
}

interface Driver {
  set(key: string, value: string): Promise<unknown>;
  get(key: string): Promise<unknown>;
  close(): Promise<unknown>;
}

const contenders: Contender[] = [
  {
    name: "mini-redis Client (one at a time)",
    async open(port) {
      const c = await Client.connect({ hostname: "127.0.0.1", port });
      return { set: (k, v) => c.set(k, v), get: (k) => c.get(k), close: () => c.close() };
    },
  },
  {
    name: "mini-redis BufferedClient",
    async open(port) {
      const c = await BufferedClient.connect({ hostname: "127.0.0.1", port });
      return { set: (k, v) => c.set(k, v), get: (k) => c.get(k), close: () => c.close() };
    },
  },
  {
    name: "ioredis",
    async open(port) {
      const c = new Redis({ host: "127.0.0.1", port, lazyConnect: true });
      await c.connect();
      return { set: (k, v) => c.set(k, v), get: (k) => c.get(k), close: () => c.quit() };
    },
  },
  {
    name: "ioredis (enableAutoPipelining)",
    async open(port) {
      const c = new Redis({
        host: "127.0.0.1",
        port,
        lazyConnect: true,
        enableAutoPipelining: true,
      });
      await c.connect();
      return { set: (k, v) => c.set(k, v), get: (k) => c.get(k), close: () => c.quit() };
    },
  },
  {
    name: "node-redis",
    async open(port) {
      const c = createClient({ socket: { host: "127.0.0.1", port } });
      c.on("error", () => {});
      await c.connect();
      return { set: (k, v) => c.set(k, v), get: (k) => c.get(k), close: () => c.quit() };
    },
  },
];

async function run(driver: Driver, workers: number, ops: number): Promise<number> {
  let claimed = 0;
  const start = performance.now();
  await Promise.all(Array.from({ length: workers }, async (_, w) => {
    const key = `bench:${w}`;
    const value = `value-${w}`;
    while (claimed < ops) {
      claimed += 2;
      await driver.set(key, value);
      const got = await driver.get(key);
      if (got !== value) throw new Error(`worker ${w}: expected ${value}, got ${got}`);
    }
  }));
  const seconds = (performance.now() - start) / 1000;
  return claimed / seconds;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      ops: { type: "string", default: "200000" },
      workers: { type: "string", default: "100" },
      rounds: { type: "string", default: "3" },
      only: { type: "string" },
      port: { type: "string" },
    },
  });
  const ops = Number(values.ops);
  const workers = Number(values.workers);
  const rounds = Number(values.rounds);
  const only = values.only?.split(",");
  const chosen = only
    ? contenders.filter((c) => only.some((o) => c.name.toLowerCase().includes(o.toLowerCase())))
    : contenders;

  const server = values.port ? undefined : await RedisProcess.start();
  const port = values.port ? Number(values.port) : server!.port;
  const version = new TextDecoder().decode(
    (await new Deno.Command("redis-server", { args: ["--version"], stdout: "piped" }).output())
      .stdout,
  ).split(" ").find((w) => w.startsWith("v="))?.slice(2) ?? "?";
  console.log(
    `client benchmark: redis-server ${version} on 127.0.0.1:${port}, ${workers} workers, ` +
      `SET k v then GET k, ${ops.toLocaleString("en-US")} ops per run, ${rounds} rounds (median)`,
  );
  try {
    const results = new Map<string, number[]>(chosen.map((c) => [c.name, []]));
    // Warm-up (JIT) for every contender, not measured.
    for (const c of chosen) {
      const d = await c.open(port);
      await run(d, workers, Math.min(ops, 20_000));
      await d.close();
    }
    for (let r = 0; r < rounds; r++) {
      // Alternate the order between rounds so no contender always goes first.
      const order = r % 2 === 0 ? chosen : [...chosen].reverse();
      for (const c of order) {
        const d = await c.open(port);
        const opsPerSec = await run(d, workers, ops);
        await d.close();
        results.get(c.name)!.push(opsPerSec);
        console.error(`  round ${r + 1}: ${c.name}: ${Math.round(opsPerSec)} ops/s`);
      }
    }
    const med = new Map([...results].map(([k, v]) => [k, median(v)]));
    const base = med.get("ioredis");
    const width = Math.max(...chosen.map((c) => c.name.length));
    const fmt = (n: number) => Math.round(n).toLocaleString("en-US");
    console.log("");
    console.log(`${"client".padEnd(width)}  ${"ops/s".padStart(10)}  ${"vs ioredis".padStart(10)}`);
    console.log(`${"-".repeat(width)}  ${"-".repeat(10)}  ${"-".repeat(10)}`);
    for (const c of chosen) {
      const v = med.get(c.name)!;
      const ratio = base ? `${(v / base).toFixed(2)}x` : "-";
      console.log(`${c.name.padEnd(width)}  ${fmt(v).padStart(10)}  ${ratio.padStart(10)}`);
    }
    const ours = med.get("mini-redis BufferedClient");
    const auto = med.get("ioredis (enableAutoPipelining)");
    if (ours && base) {
      console.log("");
      console.log(
        `BufferedClient / ioredis = ${(ours / base).toFixed(2)}x (target >= 1.25x)` +
          (auto ? `; / ioredis autopipelining = ${(ours / auto).toFixed(2)}x` : ""),
      );
    }
  } finally {
    await server?.close();
  }
}
