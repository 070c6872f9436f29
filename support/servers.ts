/**
 * The servers tests run against, each started on demand and stopped by the
 * test that started it: our server in-process ({@linkcode startTestServer}),
 * a real `redis-server` child process ({@linkcode RedisProcess}), and our
 * server as a `main.ts serve` child process ({@linkcode startServeProcess}).
 *
 * No side effects on import: nothing is started until a test asks.
 *
 * Ports: our in-process server binds port 0 and reads the port back. A
 * child process cannot report its port back, so it gets a free port and the
 * helper checks it answers as *this* child (its `INFO server` reports the
 * child's pid) before returning, trying another port if it was taken.
 *
 * The tests assume redis-server 7.0.x (the version our server reports):
 * {@linkcode RedisProcess.start} fails with a clear message on another one.
 *
 * @module
 */

import { type Server, type ServerOptions, startServer } from "../server/mod.ts";
import { RawClient } from "./raw_client.ts";
import { HAVE_REDIS } from "./tools.ts";

/** The redis-server version the tests compare against (what our server reports). */
export const REDIS_VERSION_ASSUMED = "7.0";

/** A server started by {@linkcode startTestServer}. */
export interface TestServer extends AsyncDisposable {
  /** The bound port. */
  readonly port: number;
  /** The server itself (db, state, connections). */
  readonly server: Server;
  /** Graceful shutdown. */
  close(): Promise<void>;
}

/**
 * Starts a private server in-process on 127.0.0.1 and a free port (or
 * `options.port`, e.g. to restart on the same port), with logging off
 * unless `options.logLevel` says otherwise.
 */
export async function startTestServer(options: ServerOptions = {}): Promise<TestServer> {
  const server = await startServer({
    logLevel: "silent",
    ...options,
    host: "127.0.0.1",
    port: options.port ?? 0,
  });
  return {
    port: server.addr.port,
    server,
    close: () => server.close(),
    [Symbol.asyncDispose]: () => server.close(),
  };
}

/**
 * A TCP port on 127.0.0.1 where nothing listens right now (for "connection
 * refused" tests). Never bind a server to it later: bind port 0 instead.
 */
export function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/** Options of {@linkcode RedisProcess.start} / {@linkcode startRedis}. */
export interface RedisOptions {
  /** Extra `redis-server` arguments, e.g. `["--requirepass", "s3cret"]`. */
  args?: readonly string[];
  /** Bind this port instead of a free one (no retry if it is taken). */
  port?: number;
}

/**
 * A real `redis-server` child process on 127.0.0.1, without persistence,
 * in its own temporary `--dir` (so no `dump.rdb` or AOF lands in the
 * project, nor is loaded by the next one). It can be SIGKILLed and started
 * again on the same port with the same arguments and directory.
 *
 * Started means answering: the helper polls (bounded) until `INFO server`
 * on the port reports this child's `process_id` (after `AUTH` when
 * `--requirepass` is given), so another process's server that happens to
 * hold the port is never mistaken for ours.
 *
 * @example
 * ```ts
 * import { RawClient, RedisProcess } from "./servers.ts";
 * await using redis = await RedisProcess.start({ args: ["--maxmemory", "10mb"] });
 * await using c = await RawClient.connect(redis.port);
 * console.log(await c.call("PING")); // "+PONG\r\n"
 * await redis.kill(); // SIGKILL: no goodbye to the clients
 * await redis.restart(); // same port, same arguments
 * ```
 */
export class RedisProcess implements AsyncDisposable {
  /** Its port on 127.0.0.1. */
  readonly port: number;
  /** Its working directory (`--dir`), removed by {@linkcode RedisProcess.close}. */
  readonly dir: string;
  readonly #args: readonly string[];
  #child: Deno.ChildProcess | undefined;
  #status: Promise<Deno.CommandStatus> | undefined;
  #closed = false;
  #version = "";

  private constructor(port: number, dir: string, args: readonly string[]) {
    this.port = port;
    this.dir = dir;
    this.#args = args;
  }

  /**
   * Starts `redis-server` on a free port (retrying with another one if the
   * port is taken meanwhile) or on `options.port`, and waits until it
   * answers. Throws when `redis-server` is not installed, or is not the
   * version the tests assume ({@linkcode REDIS_VERSION_ASSUMED}`.x`): its
   * replies are the reference every comparison checks against.
   */
  static async start(options: RedisOptions = {}): Promise<RedisProcess> {
    if (!HAVE_REDIS) throw new Error("redis-server is not installed");
    const args = [...(options.args ?? [])];
    for (let attempt = 0; attempt < (options.port === undefined ? 3 : 1); attempt++) {
      const dir = await Deno.makeTempDir({ prefix: "mini-redis-test-redis-" });
      const p = new RedisProcess(options.port ?? freePort(), dir, args);
      try {
        if (await p.#spawn()) {
          if (!p.version.startsWith(`${REDIS_VERSION_ASSUMED}.`)) {
            throw new Error(
              `redis-server ${p.version} found; the tests compare against redis-server ` +
                `${REDIS_VERSION_ASSUMED}.x (the version mini-redis reports)`,
            );
          }
          return p;
        }
      } catch (e) {
        await p.close();
        throw e;
      }
      await p.close(); // it exited: the port was taken; try another
    }
    throw new Error("could not start redis-server");
  }

  /** The `redis_version` it reported when it started, e.g. `7.0.15`. */
  get version(): string {
    return this.#version;
  }

  /** The pid of the running child (e.g. for CPU accounting), or undefined when stopped. */
  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /**
   * Starts it again on the same port with the same arguments and directory
   * (stopping it first with SIGTERM if it still runs), and waits until it
   * answers.
   */
  async restart(): Promise<void> {
    if (this.#closed) throw new Error("RedisProcess: restart after close");
    await this.stop();
    if (!(await this.#spawn())) {
      throw new Error(`redis-server exited instead of starting again on port ${this.port}`);
    }
  }

  /** Kills it with SIGKILL (no goodbye to the clients) and waits for it to exit. */
  kill(): Promise<void> {
    return this.#signal("SIGKILL");
  }

  /** Stops it with SIGTERM and waits for it to exit (it can be restarted). */
  stop(): Promise<void> {
    return this.#signal("SIGTERM");
  }

  /** Stops it and removes its directory (idempotent). */
  async close(): Promise<void> {
    this.#closed = true;
    await this.stop();
    await Deno.remove(this.dir, { recursive: true }).catch(() => {});
  }

  /** Same as {@linkcode RedisProcess.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #signal(signal: Deno.Signal): Promise<void> {
    const child = this.#child;
    const status = this.#status;
    this.#child = this.#status = undefined;
    if (child === undefined) return;
    try {
      child.kill(signal);
    } catch {
      // already gone
    }
    await status;
  }

  /** Spawns the child and waits until it answers; false if it exited first. */
  async #spawn(): Promise<boolean> {
    const child = new Deno.Command("redis-server", {
      args: [
        "--port",
        String(this.port),
        "--dir",
        this.dir,
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
        "--daemonize",
        "no",
        ...this.#args,
      ],
      stdout: "null",
      stderr: "null",
      stdin: "null",
    }).spawn();
    let exited = false;
    this.#child = child;
    this.#status = child.status.then((s) => {
      exited = true;
      return s;
    });
    const deadline = Date.now() + 10_000;
    while (!exited && Date.now() < deadline) {
      try {
        const c = await RawClient.connect(this.port);
        try {
          // With --requirepass it answers -NOAUTH until AUTH. Then it must be
          // our child: another process's redis-server may hold the port when
          // both picked the same free port and ours failed to bind it.
          const pass = this.#args.indexOf("--requirepass");
          if (pass !== -1) await c.call("AUTH", this.#args[pass + 1]);
          const info = await c.call("INFO", "server");
          if (info.includes(`\r\nprocess_id:${child.pid}\r\n`)) {
            this.#version = /\r\nredis_version:([^\r]*)\r\n/.exec(info)?.[1] ?? "unknown";
            return true;
          }
        } finally {
          c.close();
        }
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    const timedOut = !exited;
    await this.kill();
    if (timedOut) throw new Error(`redis-server on port ${this.port} did not answer in time`);
    return false;
  }
}

/**
 * Starts a real `redis-server` ({@linkcode RedisProcess.start}): on a free
 * port unless `options.port` is given, with `options.args` appended.
 *
 * @example
 * ```ts
 * import { startRedis } from "./servers.ts";
 * await using redis = await startRedis({ args: ["--requirepass", "pw"] });
 * console.log(redis.port);
 * ```
 */
export function startRedis(options: RedisOptions = {}): Promise<RedisProcess> {
  return RedisProcess.start(options);
}

/** Our server as a separate process: `main.ts serve`, started by {@linkcode startServeProcess}. */
export interface ServeProcess extends AsyncDisposable {
  /** Its port on 127.0.0.1. */
  readonly port: number;
  /** The child's pid (e.g. for CPU accounting). */
  readonly pid: number;
  /** Sends SIGTERM and returns the exit code (idempotent). */
  close(): Promise<number>;
}

/** Options of {@linkcode startServeProcess}. */
export interface ServeProcessOptions {
  /** Extra flags for `deno run` before `main.ts`, e.g. `["--cpu-prof"]`. */
  denoFlags?: readonly string[];
}

/**
 * Runs `deno run --allow-net --allow-env [denoFlags] main.ts serve --port <free port>
 * ...args` with extra environment variables, and waits (bounded) until it
 * answers as this child: `INFO server` (after `AUTH` when `--requirepass` or
 * `MINI_REDIS_PASSWORD` is given) reports its pid.
 *
 * @example
 * ```ts
 * import { startServeProcess } from "./servers.ts";
 * await using srv = await startServeProcess(["--log-level", "warn"]);
 * console.log(srv.port);
 * ```
 */
export async function startServeProcess(
  args: string[] = [],
  env: Record<string, string> = {},
  options: ServeProcessOptions = {},
): Promise<ServeProcess> {
  const main = new URL("../main.ts", import.meta.url).pathname;
  const passAt = args.indexOf("--requirepass");
  const password = passAt !== -1 ? args[passAt + 1] : env.MINI_REDIS_PASSWORD;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = freePort();
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-net",
        "--allow-env",
        ...(options.denoFlags ?? []),
        main,
        "serve",
        "--port",
        String(port),
        ...args,
      ],
      env,
      stdin: "null",
      stdout: "null",
      stderr: "inherit",
    }).spawn();
    let exited = false;
    const status = child.status.then((s) => {
      exited = true;
      return s;
    });
    let closing: Promise<number> | undefined;
    const close = () =>
      closing ??= (async () => {
        if (!exited) {
          try {
            child.kill("SIGTERM");
          } catch {
            // already gone
          }
        }
        return (await status).code;
      })();
    const deadline = Date.now() + 20_000;
    while (!exited && Date.now() < deadline) {
      try {
        const c = await RawClient.connect(port);
        try {
          // It must be this child: another process may hold the port when both
          // picked the same free port and this one failed to bind it.
          if (password !== undefined) await c.call("AUTH", password);
          const info = await c.call("INFO", "server");
          if (info.includes(`\r\nprocess_id:${child.pid}\r\n`)) {
            return {
              port,
              pid: child.pid,
              close,
              [Symbol.asyncDispose]: async () => {
                await close();
              },
            };
          }
        } finally {
          c.close();
        }
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    const timedOut = !exited;
    const code = await close();
    if (timedOut) throw new Error(`main.ts serve on port ${port} did not answer in time`);
    // exit code 1: the port was taken meanwhile; try another. Anything else is an answer.
    if (code !== 1) throw new Error(`main.ts serve ${args.join(" ")} exited with code ${code}`);
  }
  throw new Error("could not start main.ts serve");
}
