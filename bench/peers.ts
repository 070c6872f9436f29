/**
 * Shared by the server benchmarks (`bench/server.ts`, `bench/pubsub.ts`):
 * start `redis-server` and our server (a separate Deno process running
 * `main.ts serve`) on free ports of 127.0.0.1, wait until both
 * answer, stop them; plus a markdown table printer.
 *
 * @example
 * ```ts
 * import { startPeers } from "./peers.ts";
 * await using peers = await startPeers();
 * console.log(peers.redis.port, peers.ours.port);
 * ```
 *
 * @module
 */

import { RedisProcess, type ServeProcess, startServeProcess } from "../support/servers.ts";

/** A server process under benchmark. */
export interface PeerProcess {
  /** `redis-server` or `mini-redis`. */
  readonly name: string;
  /** Its port on 127.0.0.1. */
  readonly port: number;
  /** The child's pid (for CPU accounting). */
  readonly pid: number;
}

/** Both servers, stopped by `close()` / `await using`. */
export interface Peers extends AsyncDisposable {
  /** The real redis-server. */
  readonly redis: PeerProcess;
  /** Our server. */
  readonly ours: PeerProcess;
  /** Stops both and waits for them to exit. */
  close(): Promise<void>;
}

/** Options of {@linkcode startPeers}. */
export interface PeersOptions {
  /** Write a V8 CPU profile of our server into this directory. */
  cpuProfileDir?: string;
}

/**
 * Starts `redis-server` (no persistence, in a temporary directory: the
 * tests' {@linkcode RedisProcess}) and our server (`main.ts serve`, the
 * tests' {@linkcode startServeProcess}) on free ports and waits until both
 * answer.
 */
export async function startPeers(options: PeersOptions = {}): Promise<Peers> {
  const redis = await RedisProcess.start();
  let ours: ServeProcess;
  try {
    ours = await startServeProcess(["--log-level", "warn"], {}, {
      denoFlags: options.cpuProfileDir
        ? ["--cpu-prof", `--cpu-prof-dir=${options.cpuProfileDir}`]
        : [],
    });
  } catch (e) {
    await redis.close();
    throw e;
  }
  const close = async () => {
    await Promise.all([redis.close(), ours.close()]);
  };
  return {
    redis: { name: "redis-server", port: redis.port, pid: redis.pid! },
    ours: { name: "mini-redis", port: ours.port, pid: ours.pid },
    close,
    [Symbol.asyncDispose]: close,
  };
}

/** CPU seconds (user + system, all threads) a process has used so far (Linux /proc). */
export async function cpuSeconds(pid: number): Promise<number | undefined> {
  try {
    const stat = await Deno.readTextFile(`/proc/${pid}/stat`);
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // utime and stime are fields 14 and 15 (1-based), in clock ticks (100 per second on Linux)
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}

/** Prints rows (the first is the header) as a markdown table. */
export function printTable(rows: string[][]): void {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  const fmt = (r: string[]) => "| " + r.map((c, i) => c.padEnd(widths[i])).join(" | ") + " |";
  console.log(fmt(rows[0]));
  console.log("|" + widths.map((w) => "-".repeat(w + 2)).join("|") + "|");
  for (const r of rows.slice(1)) console.log(fmt(r));
}
