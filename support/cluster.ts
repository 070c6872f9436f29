/**
 * A real Redis Cluster for tests and benchmarks: `redis-server` processes
 * started with `--cluster-enabled yes` on free ports of 127.0.0.1, each in
 * its own temporary directory, joined with
 * `redis-cli --cluster create ... --cluster-replicas N --cluster-yes`, and
 * stopped (directories removed) by `close()`.
 *
 * Shared by `tests/` and `bench/` (bench never imports tests). Importing it
 * starts nothing (`HAVE_REDIS_CLUSTER` is a PATH lookup); every wait is bounded.
 *
 * @example
 * ```ts ignore
 * import { RedisCluster } from "./cluster.ts";
 * await using cluster = await RedisCluster.start({ masters: 3, replicas: 1 });
 * console.log(cluster.seeds); // ["127.0.0.1:41234", ...]
 * ```
 *
 * @module
 */

/** Whether an executable named `name` is on `PATH` (a file lookup: nothing is run). */
function onPath(name: string): boolean {
  let path: string | undefined;
  try {
    path = Deno.env.get("PATH");
  } catch {
    return false;
  }
  for (const dir of (path ?? "").split(":")) {
    if (dir === "") continue;
    try {
      const st = Deno.statSync(`${dir}/${name}`);
      if (st.isFile && (st.mode === null || (st.mode & 0o111) !== 0)) return true;
    } catch {
      // not in this directory
    }
  }
  return false;
}

/** Whether `redis-server` and `redis-cli` are on `PATH` (a cluster can be started). */
export const HAVE_REDIS_CLUSTER: boolean = onPath("redis-server") && onPath("redis-cli");

/** A free TCP port on 127.0.0.1 (it may be taken again by the time it is used). */
export function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** What a `redis-cli` run printed. */
export interface CliResult {
  /** Exit code (-1 when it was killed after its timeout). */
  code: number;
  /** Standard output. */
  stdout: string;
  /** Standard error. */
  stderr: string;
}

/**
 * Runs `redis-cli` with `args`, killing it after `timeoutMs` (default 60 s).
 *
 * @example
 * ```ts ignore
 * const r = await redisCli(["-p", "7000", "CLUSTER", "INFO"]);
 * console.log(r.stdout.includes("cluster_state:ok"));
 * ```
 */
export async function redisCli(args: string[], timeoutMs = 60_000): Promise<CliResult> {
  const child = new Deno.Command("redis-cli", {
    args,
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
  }).spawn();
  let killed = false;
  const timer = setTimeout(() => {
    killed = true;
    try {
      child.kill("SIGKILL");
    } catch {
      // already gone
    }
  }, timeoutMs);
  try {
    const out = await child.output();
    const dec = new TextDecoder();
    return {
      code: killed ? -1 : out.code,
      stdout: dec.decode(out.stdout),
      stderr: dec.decode(out.stderr),
    };
  } finally {
    clearTimeout(timer);
  }
}

/** One `redis-server` of a {@linkcode RedisCluster}. */
export class ClusterNode {
  /** Client port on 127.0.0.1. */
  readonly port: number;
  /** Cluster bus port (`--cluster-port`). */
  readonly busPort: number;
  /** Its working directory (holds `nodes.conf`). */
  readonly dir: string;
  readonly #nodeTimeout: number;
  #child: Deno.ChildProcess | undefined;
  #status: Promise<Deno.CommandStatus> | undefined;
  #exited = false;

  private constructor(port: number, busPort: number, dir: string, nodeTimeout: number) {
    this.port = port;
    this.busPort = busPort;
    this.dir = dir;
    this.#nodeTimeout = nodeTimeout;
  }

  /** Starts a node on free ports (retried on other ports if it cannot bind) and waits until it answers. */
  static async start(nodeTimeout: number): Promise<ClusterNode> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const dir = await Deno.makeTempDir({ prefix: "mini-redis-cluster-" });
      const node = new ClusterNode(freePort(), freePort(), dir, nodeTimeout);
      if (node.port !== node.busPort && await node.#spawn()) return node;
      await node.close();
    }
    throw new Error("could not start a cluster node");
  }

  /** `host:port`. */
  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** The running child's pid, or undefined when stopped. */
  get pid(): number | undefined {
    return this.#exited ? undefined : this.#child?.pid;
  }

  /** Whether the process is running. */
  get running(): boolean {
    return this.#child !== undefined && !this.#exited;
  }

  /** Runs one command on this node with `redis-cli` and returns its raw output (trimmed). */
  async call(...args: string[]): Promise<string> {
    const r = await redisCli(["-p", String(this.port), ...args], 10_000);
    if (r.code !== 0) throw new Error(`redis-cli ${args.join(" ")}: ${r.stderr || r.stdout}`);
    return r.stdout.trim();
  }

  /** Kills it with SIGKILL (no goodbye) and waits for it to exit. */
  kill(): Promise<void> {
    return this.#signal("SIGKILL");
  }

  /** Freezes it (SIGSTOP): it accepts nothing and answers nothing until {@linkcode ClusterNode.resume}. */
  pause(): void {
    if (this.running) Deno.kill(this.#child!.pid, "SIGSTOP");
  }

  /** Lets a paused node run again (SIGCONT). */
  resume(): void {
    if (this.running) Deno.kill(this.#child!.pid, "SIGCONT");
  }

  /** Starts it again (same ports, same directory, so same node id), waiting until it answers. */
  async restart(): Promise<void> {
    await this.kill();
    if (!(await this.#spawn())) throw new Error(`node ${this.address} did not start again`);
  }

  /** Stops it and removes its directory (idempotent). */
  async close(): Promise<void> {
    this.resume(); // a paused process does not act on SIGKILL until continued on some systems
    await this.kill();
    await Deno.remove(this.dir, { recursive: true }).catch(() => {});
  }

  async #signal(signal: Deno.Signal): Promise<void> {
    const child = this.#child;
    if (child === undefined || this.#exited) return;
    try {
      child.kill(signal);
    } catch {
      // already gone
    }
    await this.#status;
  }

  /** Spawns the child and waits until it answers PING; false if it exited first. */
  async #spawn(): Promise<boolean> {
    this.#exited = false;
    const child = new Deno.Command("redis-server", {
      args: [
        "--port",
        String(this.port),
        "--cluster-port",
        String(this.busPort),
        "--bind",
        "127.0.0.1",
        "--dir",
        this.dir,
        "--cluster-enabled",
        "yes",
        "--cluster-config-file",
        "nodes.conf",
        "--cluster-node-timeout",
        String(this.#nodeTimeout),
        "--save",
        "",
        "--appendonly",
        "no",
        "--daemonize",
        "no",
        // Replicas sync at once (the default waits 5 s for more replicas to join).
        "--repl-diskless-sync-delay",
        "0",
      ],
      stdout: "null",
      stderr: "null",
      stdin: "null",
    }).spawn();
    this.#child = child;
    this.#status = child.status.then((s) => {
      this.#exited = true;
      return s;
    });
    const deadline = Date.now() + 10_000;
    while (!this.#exited && Date.now() < deadline) {
      if (await ping(this.port, child.pid)) return true;
      await sleep(20);
    }
    const timedOut = !this.#exited;
    await this.kill();
    if (timedOut) throw new Error(`cluster node on port ${this.port} did not answer in time`);
    return false;
  }
}

/** True when the server on `port` answers `INFO server` with this `pid`. */
async function ping(port: number, pid: number): Promise<boolean> {
  let conn: Deno.TcpConn;
  try {
    conn = await Deno.connect({ hostname: "127.0.0.1", port });
  } catch {
    return false;
  }
  try {
    await conn.write(new TextEncoder().encode("*2\r\n$4\r\nINFO\r\n$6\r\nserver\r\n"));
    const buf = new Uint8Array(16384);
    let text = "";
    const deadline = Date.now() + 2_000;
    while (!text.includes("process_id:") || !text.includes("\r\n", text.indexOf("process_id:"))) {
      if (Date.now() > deadline) return false;
      const n = await conn.read(buf);
      if (n === null) return false;
      text += new TextDecoder().decode(buf.subarray(0, n));
    }
    return text.includes(`\r\nprocess_id:${pid}\r\n`);
  } catch {
    return false;
  } finally {
    conn.close();
  }
}

/** Options of {@linkcode RedisCluster.start}. */
export interface ClusterStartOptions {
  /** Number of masters (default 3, at least 3 as `redis-cli --cluster create` requires). */
  masters?: number;
  /** Replicas per master (default 1). */
  replicas?: number;
  /** `cluster-node-timeout` in ms (default 2,000): how soon a dead master is failed over. */
  nodeTimeout?: number;
}

/** A shard of a running cluster, as its nodes report it. */
export interface ShardView {
  /** The slot ranges, `[start, end]` inclusive. */
  slots: [number, number][];
  /** Port of the master. */
  master: number;
  /** Ports of the replicas. */
  replicas: number[];
}

/**
 * A running Redis Cluster of `masters * (1 + replicas)` nodes.
 */
export class RedisCluster implements AsyncDisposable {
  /** Every node, in the order given to `redis-cli --cluster create` (masters first). */
  readonly nodes: ClusterNode[];

  private constructor(nodes: ClusterNode[]) {
    this.nodes = nodes;
  }

  /**
   * Starts the nodes, creates the cluster and waits until every node reports
   * `cluster_state:ok`, agrees on the slot map, and every replica is in sync.
   */
  static async start(options: ClusterStartOptions = {}): Promise<RedisCluster> {
    if (!HAVE_REDIS_CLUSTER) throw new Error("redis-server / redis-cli are not installed");
    const masters = options.masters ?? 3;
    const replicas = options.replicas ?? 1;
    const total = masters * (1 + replicas);
    const nodes: ClusterNode[] = [];
    const cluster = new RedisCluster(nodes);
    try {
      const started = await Promise.all(
        Array.from({ length: total }, () => ClusterNode.start(options.nodeTimeout ?? 2_000)),
      );
      nodes.push(...started);
      const r = await redisCli([
        "--cluster",
        "create",
        ...nodes.map((n) => n.address),
        "--cluster-replicas",
        String(replicas),
        "--cluster-yes",
      ], 60_000);
      if (r.code !== 0) {
        throw new Error(`redis-cli --cluster create failed: ${r.stdout}${r.stderr}`);
      }
      await cluster.waitHealthy();
      return cluster;
    } catch (e) {
      await cluster.close();
      throw e;
    }
  }

  /** `host:port` of every node. */
  get seeds(): string[] {
    return this.nodes.map((n) => n.address);
  }

  /** The node on `port`. */
  node(port: number): ClusterNode {
    const n = this.nodes.find((n) => n.port === port);
    if (n === undefined) throw new Error(`no node on port ${port}`);
    return n;
  }

  /** The shards as the node on `port` (default: the first running node) sees them. */
  async shards(port?: number): Promise<ShardView[]> {
    const node = port === undefined ? this.nodes.find((n) => n.running)! : this.node(port);
    // CLUSTER NODES: <id> <ip:port@cport> <flags> <master> <ping> <pong> <epoch> <link> <slot>...
    const text = await node.call("CLUSTER", "NODES");
    const byId = new Map<
      string,
      { port: number; flags: string[]; master: string; slots: string[] }
    >();
    for (const line of text.split("\n")) {
      const f = line.trim().split(" ");
      if (f.length < 8) continue;
      byId.set(f[0], {
        port: Number(f[1].split("@")[0].split(":").pop()),
        flags: f[2].split(","),
        master: f[3],
        slots: f.slice(8),
      });
    }
    const out: ShardView[] = [];
    for (const [id, n] of byId) {
      if (!n.flags.includes("master") || n.flags.includes("fail")) continue;
      const slots: [number, number][] = [];
      for (const s of n.slots) {
        if (s.startsWith("[")) continue; // a migration in progress
        const [a, b] = s.split("-").map(Number);
        slots.push([a, b ?? a]);
      }
      if (slots.length === 0) continue;
      const replicas = [...byId.values()]
        .filter((r) => r.master === id && !r.flags.includes("fail"))
        .map((r) => r.port);
      out.push({ slots, master: n.port, replicas });
    }
    return out.sort((a, b) => a.slots[0][0] - b.slots[0][0]);
  }

  /**
   * Waits (bounded by `timeoutMs`) until every running node says
   * `cluster_state:ok`, they all report the same masters and slots, every
   * shard has its replicas, and every replica's link to its master is up.
   */
  async waitHealthy(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = "";
    for (;;) {
      try {
        last = await this.#health();
        if (last === "") return;
      } catch (e) {
        last = String(e);
      }
      if (Date.now() > deadline) throw new Error(`cluster not healthy in ${timeoutMs} ms: ${last}`);
      await sleep(100);
    }
  }

  /** "" when healthy, else what is wrong. */
  async #health(): Promise<string> {
    const running = this.nodes.filter((n) => n.running);
    let reference: string | undefined;
    for (const n of running) {
      const info = await n.call("CLUSTER", "INFO");
      if (!info.includes("cluster_state:ok")) return `${n.address} is not ok`;
      const view = JSON.stringify(await this.shards(n.port));
      if (reference === undefined) reference = view;
      else if (view !== reference) return `${n.address} sees another map`;
    }
    for (const shard of JSON.parse(reference ?? "[]") as ShardView[]) {
      for (const port of shard.replicas) {
        const info = await this.node(port).call("INFO", "replication");
        if (!info.includes("master_link_status:up")) return `replica ${port} is not in sync`;
      }
    }
    return "";
  }

  /** Stops every node and removes their directories. */
  async close(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.close()));
  }

  /** Same as {@linkcode RedisCluster.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
