/**
 * Slow and broken clients for the fault tests, each as a small function:
 * half a frame then silence, a reset in the middle of a pipeline, a
 * half-close after a pipeline, subscribers that never read; plus
 * {@linkcode heapGrowth}, which runs a round of them against a measured
 * server and tells how much its heap after collection grew.
 *
 * No side effects on import.
 *
 * @module
 */

import { RawClient, waitFor } from "../helpers.ts";
import { cmds, concat, latin1 } from "../wire.ts";
import { heapAfterGc } from "../../support/child_servers.ts";

/** The `connected_clients` field of INFO, asked on `c`. */
export async function clientsConnected(c: RawClient): Promise<number> {
  const info = await c.call("INFO", "clients");
  return Number(/connected_clients:(\d+)/.exec(info)![1]);
}

/** Waits (bounded) until the server has `n` clients (default 1: `c` alone). */
export async function onlyClientLeft(c: RawClient, what: string, n = 1): Promise<void> {
  await waitFor(async () => (await clientsConnected(c)) === n, {
    what,
    timeoutMs: 20_000,
    intervalMs: 50,
  });
}

/** Connects and sends half a frame (a SET whose value never comes); returns the client. */
export async function halfFrameStall(port: number): Promise<RawClient> {
  const c = await RawClient.connect(port);
  await c.send("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$10\r\nhalf");
  return c;
}

/**
 * Sends a pipeline of 300 GETs of a 64 KB value, reads the first bytes of
 * the replies and closes with the rest unread (the kernel then resets the
 * connection). `control` creates the value.
 */
export async function resetMidPipeline(port: number, control: RawClient): Promise<void> {
  await control.call("SET", "big", "b".repeat(64 * 1024));
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const pipeline = cmds(Array.from({ length: 300 }, () => ["GET", "big"]));
  const writing = (async () => {
    let off = 0;
    try {
      while (off < pipeline.length) off += await conn.write(pipeline.subarray(off));
    } catch {
      // reset while writing: fine
    }
  })();
  await conn.read(new Uint8Array(4096));
  conn.close();
  await writing;
}

/**
 * Sends `n` INCRs (of three keys `hc:0..2`) then half-closes; returns
 * every byte received until the server closed.
 */
export async function halfClose(port: number, n: number): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  await conn.write(cmds(Array.from({ length: n }, (_, i) => ["INCR", `hc:${i % 3}`])));
  await conn.closeWrite();
  const parts: Uint8Array[] = [];
  const buf = new Uint8Array(64 * 1024);
  for (;;) {
    const r = await conn.read(buf).catch(() => null);
    if (r === null) break;
    parts.push(buf.slice(0, r));
  }
  conn.close();
  return latin1(concat(parts));
}

/**
 * `count` subscribers of `channel` that never read after their
 * confirmation, then 64 KB messages published until none of them is left
 * (their output buffer limit must cut them off) or 200 were sent.
 */
export async function slowSubscribers(
  port: number,
  control: RawClient,
  count: number,
): Promise<RawClient[]> {
  const slow = await Promise.all(Array.from({ length: count }, async () => {
    const s = await RawClient.connect(port);
    await s.call("SUBSCRIBE", "news");
    return s;
  }));
  const big = "m".repeat(64 * 1024);
  for (let i = 0; i < 200; i++) {
    if ((await control.call("PUBLISH", "news", big)) === ":0\r\n") break;
  }
  return slow;
}

/**
 * Runs `round` once (warm-up: code and caches belong to the baseline),
 * measures the heap after collection, runs it `times` more, measures
 * again, and returns the growth in bytes (heap used + external).
 */
export async function heapGrowth(
  port: number,
  round: () => Promise<void>,
  times = 3,
): Promise<{ grew: number; baseline: number }> {
  await round();
  const before = await heapAfterGc(port);
  for (let i = 0; i < times; i++) await round();
  const after = await heapAfterGc(port);
  const baseline = before.heapUsed + before.external;
  return { grew: after.heapUsed + after.external - baseline, baseline };
}
