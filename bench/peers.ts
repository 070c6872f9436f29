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

/** A server process under benchmark. */
export interface PeerProcess {
  /** `redis-server` or `mini-redis`. */
  readonly name: string;
  /** Its port on 127.0.0.1. */
  readonly port: number;
  /** The child process (its pid for CPU accounting). */
  readonly child: Deno.ChildProcess;
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

/** Whether an executable can be run (`name --version` succeeds). */
export async function installed(name: string): Promise<boolean> {
  try {
    const r = await new Deno.Command(name, {
      args: ["--version"],
      stdout: "null",
      stderr: "null",
      stdin: "null",
    }).output();
    return r.success;
  } catch {
    return false;
  }
}

/** A free TCP port on 127.0.0.1. */
export function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/** Waits (bounded) until `port` answers `PING` with `+PONG`; throws if `child` exits first. */
export async function waitForPing(port: number, child: Deno.ChildProcess): Promise<void> {
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

async function stop(child: Deno.ChildProcess): Promise<void> {
  try {
    child.kill("SIGTERM");
  } catch {
    // already gone
  }
  await child.status;
}

/**
 * Starts `redis-server` (no persistence, in a temporary directory) and our
 * server on free ports and waits until both answer.
 */
export async function startPeers(options: PeersOptions = {}): Promise<Peers> {
  const dir = await Deno.makeTempDir({ prefix: "mini-redis-bench-" });
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
      "--dir",
      dir,
    ],
    stdout: "null",
    stderr: "null",
    stdin: "null",
  }).spawn();
  const oursPort = freePort();
  const denoArgs = ["run", "--allow-net", "--allow-env"];
  if (options.cpuProfileDir) {
    denoArgs.push("--cpu-prof", `--cpu-prof-dir=${options.cpuProfileDir}`);
  }
  denoArgs.push(
    new URL("../main.ts", import.meta.url).pathname,
    "serve",
    "--port",
    String(oursPort),
    "--log-level",
    "warn",
  );
  const ours = new Deno.Command(Deno.execPath(), {
    args: denoArgs,
    stdout: "null",
    stderr: "inherit",
    stdin: "null",
  }).spawn();
  const close = async () => {
    await Promise.all([stop(redis), stop(ours)]);
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  };
  try {
    await waitForPing(redisPort, redis);
    await waitForPing(oursPort, ours);
  } catch (e) {
    await close();
    throw e;
  }
  return {
    redis: { name: "redis-server", port: redisPort, child: redis },
    ours: { name: "mini-redis", port: oursPort, child: ours },
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
