/**
 * `deno task bench:load`: what 10,000 open connections cost, beside
 * redis-server in the same run. For each server (a child process of its
 * own, `maxclients` 10,100):
 *
 * - memory per idle connection: resident memory with 10,000 connections
 *   open (each has sent one PING and got its reply) minus before, divided
 *   by 10,000; for ours also the heap after a full collection (the
 *   measured server's `HEAPSTAT`), which tells JS objects from what V8
 *   and the allocator keep;
 * - a control client's round-trip latency (PING, one at a time), p50 and
 *   p99, before the connections open and while they are open.
 *
 * ```sh
 * deno task bench:load [--connections 10000] [--samples 5000]
 * ```
 *
 * @module
 */

import { parseArgs } from "node:util";
import { RawClient } from "../support/raw_client.ts";
import { Crowd } from "../support/crowd.ts";
import {
  type ChildServer,
  heapAfterGc,
  rssOf,
  startMeasured,
  startRedisLimited,
  startServe,
} from "../support/child_servers.ts";
import { printTable } from "./peers.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: { connections: { type: "string" }, samples: { type: "string" } },
});
const N = Number(values.connections ?? 10_000);
const SAMPLES = Number(values.samples ?? 5_000);

interface Row {
  name: string;
  perConnection: number;
  heapPerConnection?: number;
  idle: [number, number];
  crowded: [number, number];
}

function percentiles(ms: number[]): [number, number] {
  const s = [...ms].sort((a, b) => a - b);
  const at = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  return [at(0.5), at(0.99)];
}

async function latency(c: RawClient): Promise<[number, number]> {
  const out: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    const t = performance.now();
    await c.call("PING");
    out.push(performance.now() - t);
  }
  return percentiles(out);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function measure(name: string, server: ChildServer, heap: boolean): Promise<Row> {
  await using control = await RawClient.connect(server.port);
  for (let i = 0; i < 1000; i++) await control.call("PING");
  const idle = await latency(control);
  await sleep(500);
  const rss0 = await rssOf(server.pid);
  const heap0 = heap ? await heapAfterGc(server.port) : undefined;
  await using crowd = await Crowd.open(server.port, N);
  await crowd.exchange(() => [["PING"]]);
  await sleep(1000);
  const rss1 = await rssOf(server.pid);
  const heap1 = heap ? await heapAfterGc(server.port) : undefined;
  const crowded = await latency(control);
  crowd.close();
  return {
    name,
    perConnection: (rss1 - rss0) / N,
    heapPerConnection: heap0 && heap1
      ? (heap1.heapUsed + heap1.external - heap0.heapUsed - heap0.external) / N
      : undefined,
    idle,
    crowded,
  };
}

const rows: Row[] = [];
{
  await using redis = await startRedisLimited({ args: ["--maxclients", "10100"] });
  rows.push(await measure("redis-server", redis, false));
}
{
  await using ours = await startServe({ args: ["--max-clients", "10100"] });
  rows.push(await measure("mini-redis (main.ts serve)", ours, false));
}
{
  await using ours = await startMeasured({ args: ["--max-clients", "10100"] });
  rows.push(await measure("mini-redis (measured, heap after GC)", ours, true));
}

const kb = (b: number) => `${(b / 1024).toFixed(1)} KB`;
const ms = (x: number) => `${x.toFixed(3)} ms`;
console.log(`\n${N} idle connections, control client PING x ${SAMPLES}\n`);
printTable([
  ["server", "RSS per idle conn", "heap per conn", "p50 / p99 alone", "p50 / p99 with conns open"],
  ...rows.map((r) => [
    r.name,
    kb(r.perConnection),
    r.heapPerConnection === undefined ? "-" : kb(r.heapPerConnection),
    `${ms(r.idle[0])} / ${ms(r.idle[1])}`,
    `${ms(r.crowded[0])} / ${ms(r.crowded[1])}`,
  ]),
]);
const [redis, ours] = rows;
console.log(
  `\nload: memory per idle connection ${kb(ours.perConnection)} vs redis-server ${
    kb(redis.perConnection)
  } (${(ours.perConnection / redis.perConnection).toFixed(2)}x); control p99 with ${N} open ${
    ms(ours.crowded[1])
  } vs ${ms(redis.crowded[1])} (${(ours.crowded[1] / redis.crowded[1]).toFixed(2)}x)`,
);
