/**
 * Cluster client benchmark (`deno task bench:cluster`): a real Redis Cluster
 * of 3 masters (`redis-server --cluster-enabled yes`, started on free ports
 * by `support/cluster.ts`), 100 concurrent workers each doing `SET k v` then
 * `GET k` on their own key (the keys spread over the 3 masters), until
 * 200,000 operations in total. Measured in the same run against the same
 * cluster, rounds alternating, median of the rounds:
 *
 * - our `ClusterClient` (one BufferedClient per node: automatic pipelining),
 * - ioredis `Cluster` (default options),
 * - ioredis `Cluster` with `enableAutoPipelining`.
 *
 * Flags: `--ops N` (default 200000), `--workers N` (100), `--rounds N` (3),
 * `--replicas N` (replicas per master, default 0), `--only name,name`.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { Cluster } from "ioredis";
import { ClusterClient } from "../client/mod.ts";
import { RedisCluster } from "../support/cluster.ts";

interface Driver {
  set(key: string, value: string): Promise<unknown>;
  get(key: string): Promise<unknown>;
  close(): Promise<unknown>;
}

interface Contender {
  name: string;
  open(seeds: { host: string; port: number }[]): Promise<Driver>;
}

const OURS = "mini-redis ClusterClient";
const IOREDIS = "ioredis Cluster";

const contenders: Contender[] = [
  {
    name: OURS,
    async open(seeds) {
      const c = await ClusterClient.connect(seeds.map((s) => ({ hostname: s.host, port: s.port })));
      return { set: (k, v) => c.set(k, v), get: (k) => c.get(k), close: () => c.close() };
    },
  },
  {
    name: IOREDIS,
    async open(seeds) {
      const c = new Cluster(seeds, { lazyConnect: true });
      await c.connect();
      return { set: (k, v) => c.set(k, v), get: (k) => c.get(k), close: () => c.quit() };
    },
  },
  {
    name: "ioredis Cluster (enableAutoPipelining)",
    async open(seeds) {
      const c = new Cluster(seeds, { lazyConnect: true, enableAutoPipelining: true });
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
  return claimed / ((performance.now() - start) / 1000);
}

/** Prints rows (the first is the header) as a markdown table. */
function printTable(rows: string[][]): void {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  const fmt = (r: string[]) => "| " + r.map((c, i) => c.padEnd(widths[i])).join(" | ") + " |";
  console.log(fmt(rows[0]));
  console.log("|" + widths.map((w) => "-".repeat(w + 2)).join("|") + "|");
  for (const r of rows.slice(1)) console.log(fmt(r));
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
      replicas: { type: "string", default: "0" },
      only: { type: "string" },
    },
  });
  const ops = Number(values.ops);
  const workers = Number(values.workers);
  const rounds = Number(values.rounds);
  const only = values.only?.split(",");
  const chosen = only
    ? contenders.filter((c) => only.some((o) => c.name.toLowerCase().includes(o.toLowerCase())))
    : contenders;

  await using cluster = await RedisCluster.start({
    masters: 3,
    replicas: Number(values.replicas),
  });
  const seeds = cluster.nodes.map((n) => ({ host: "127.0.0.1", port: n.port }));
  const version = (await cluster.nodes[0].call("INFO", "server"))
    .match(/redis_version:(\S+)/)?.[1] ?? "?";
  console.log(
    `cluster benchmark: redis-server ${version}, 3 masters (${values.replicas} replicas each) on ` +
      `127.0.0.1, ${workers} workers, SET k v then GET k, ` +
      `${ops.toLocaleString("en-US")} ops per run, ${rounds} rounds (median)`,
  );
  const results = new Map<string, number[]>(chosen.map((c) => [c.name, []]));
  // Warm-up (JIT, connections) for every contender, not measured.
  for (const c of chosen) {
    const d = await c.open(seeds);
    await run(d, workers, Math.min(ops, 20_000));
    await d.close();
  }
  for (let r = 0; r < rounds; r++) {
    // Alternate the order between rounds so no contender always goes first.
    const order = r % 2 === 0 ? chosen : [...chosen].reverse();
    for (const c of order) {
      const d = await c.open(seeds);
      const opsPerSec = await run(d, workers, ops);
      await d.close();
      results.get(c.name)!.push(opsPerSec);
      console.error(`  round ${r + 1}: ${c.name}: ${Math.round(opsPerSec)} ops/s`);
    }
  }
  const med = new Map([...results].map(([k, v]) => [k, median(v)]));
  const base = med.get(IOREDIS);
  const fmt = (n: number) => Math.round(n).toLocaleString("en-US");
  console.log("");
  printTable([
    ["client", "ops/s", "vs ioredis Cluster"],
    ...chosen.map((c) => {
      const v = med.get(c.name)!;
      return [c.name, fmt(v), base ? `${(v / base).toFixed(2)}x` : "-"];
    }),
  ]);
  const ours = med.get(OURS);
  if (ours && base) {
    console.log("");
    console.log(`ClusterClient / ioredis Cluster = ${(ours / base).toFixed(2)}x (target >= 1.5x)`);
  }
}
