/**
 * Server processes for the load and fault tests and `bench/load.ts`: our
 * server and redis-server as children with their own open-file limit (a
 * `sh -c 'ulimit -n N; exec ...'` wrapper, so the limit is the child's,
 * not the test's), their log captured, their memory measured.
 *
 * - {@linkcode startServe}: `main.ts serve`, as users run it.
 * - {@linkcode startMeasured}: our server with a `HEAPSTAT` command that
 *   collects garbage first (`measured_server.ts`), for leak checks.
 * - {@linkcode startRedisLimited}: `redis-server`, no persistence.
 *
 * No side effects on import.
 *
 * @example
 * ```ts ignore
 * import { startServe } from "./child_servers.ts";
 * await using srv = await startServe({ fdLimit: 256, args: ["--max-clients", "10000"] });
 * console.log(srv.port, srv.output());
 * ```
 *
 * @module
 */

import { RawClient } from "./raw_client.ts";
import { freePort } from "./servers.ts";

/** A server child process. */
export interface ChildServer extends AsyncDisposable {
  /** Its port on 127.0.0.1. */
  readonly port: number;
  /** Its pid. */
  readonly pid: number;
  /** Everything it logged so far (stdout and stderr). */
  output(): string;
  /** Stops it (SIGTERM, then SIGKILL after 5 s) and returns its exit code. */
  close(): Promise<number>;
}

/** Options of the starters. */
export interface ChildOptions {
  /** The child's open-file limit (`ulimit -n`); default: inherited. */
  readonly fdLimit?: number;
  /** Extra arguments. */
  readonly args?: readonly string[];
}

const MAIN = new URL("../main.ts", import.meta.url).pathname;
const MEASURED = new URL("./measured_server.ts", import.meta.url).pathname;

function quote(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`;
}

/** Spawns `argv` under `sh` with the limit, collecting its output. */
function spawn(argv: readonly string[], fdLimit: number | undefined) {
  const script = `${fdLimit === undefined ? "" : `ulimit -n ${fdLimit} || exit 97; `}exec ${
    argv.map(quote).join(" ")
  }`;
  const child = new Deno.Command("sh", {
    args: ["-c", script],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let text = "";
  const changed = new Set<() => void>();
  const pump = async (stream: ReadableStream<Uint8Array>) => {
    const dec = new TextDecoder();
    for await (const chunk of stream) {
      text += dec.decode(chunk, { stream: true });
      for (const f of changed) f();
    }
  };
  const pumps = Promise.all([pump(child.stdout), pump(child.stderr)]);
  let exited = false;
  const status = child.status.then(async (s) => {
    exited = true;
    await pumps.catch(() => {});
    for (const f of changed) f();
    return s;
  });
  /** Resolves with the first match of `re` in the output (or undefined once it exits). */
  const waitFor = (re: RegExp, ms: number) =>
    new Promise<RegExpExecArray | undefined>((resolve) => {
      const check = () => {
        const m = re.exec(text);
        if (m !== null || exited) {
          changed.delete(check);
          clearTimeout(timer);
          resolve(m ?? undefined);
        }
      };
      const timer = setTimeout(() => {
        changed.delete(check);
        resolve(undefined);
      }, ms);
      changed.add(check);
      check();
    });
  let closing: Promise<number> | undefined;
  const close = () =>
    closing ??= (async () => {
      if (!exited) {
        try {
          child.kill("SIGTERM");
        } catch {
          // gone
        }
        const t = setTimeout(() => {
          try {
            child.kill("SIGKILL");
          } catch {
            // gone
          }
        }, 5000);
        const s = await status;
        clearTimeout(t);
        return s.code;
      }
      return (await status).code;
    })();
  return { child, output: () => text, waitFor, close, isExited: () => exited };
}

function childServer(
  port: number,
  pid: number,
  output: () => string,
  close: () => Promise<number>,
): ChildServer {
  return {
    port,
    pid,
    output,
    close,
    [Symbol.asyncDispose]: async () => {
      await close();
    },
  };
}

/**
 * Starts `main.ts serve --port 0` (with `args`, at log level info unless
 * `args` say otherwise) under its own open-file limit and reads the port
 * from its start-up line.
 */
export async function startServe(options: ChildOptions = {}): Promise<ChildServer> {
  const args = options.args ?? [];
  const level = args.includes("--log-level") ? [] : ["--log-level", "info"];
  const p = spawn(
    [
      Deno.execPath(),
      "run",
      "--allow-net",
      "--allow-env",
      "--allow-read",
      MAIN,
      "serve",
      "--port",
      "0",
      ...level,
      ...args,
    ],
    options.fdLimit,
  );
  const m = await p.waitFor(/ready to accept connections on [^\s:]+:(\d+)/, 30_000);
  if (m === undefined) {
    await p.close();
    throw new Error(`main.ts serve did not start:\n${p.output()}`);
  }
  return childServer(Number(m[1]), p.child.pid, p.output, p.close);
}

/**
 * Starts our server with the `HEAPSTAT` command (`measured_server.ts`,
 * `--expose-gc`) under its own open-file limit.
 */
export async function startMeasured(options: ChildOptions = {}): Promise<ChildServer> {
  const p = spawn(
    [
      Deno.execPath(),
      "run",
      "--v8-flags=--expose-gc",
      "--allow-net",
      "--allow-env",
      "--allow-read",
      MEASURED,
      ...(options.args ?? []),
    ],
    options.fdLimit,
  );
  const m = await p.waitFor(/^port (\d+)$/m, 30_000);
  if (m === undefined) {
    await p.close();
    throw new Error(`measured_server.ts did not start:\n${p.output()}`);
  }
  return childServer(Number(m[1]), p.child.pid, p.output, p.close);
}

/**
 * Starts `redis-server` (no persistence, in a temporary directory) under
 * its own open-file limit; its log is its stdout.
 */
export async function startRedisLimited(options: ChildOptions = {}): Promise<ChildServer> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const dir = await Deno.makeTempDir({ prefix: "mini-redis-load-" });
    const port = freePort();
    const p = spawn(
      [
        "redis-server",
        "--port",
        String(port),
        "--bind",
        "127.0.0.1",
        "--dir",
        dir,
        "--save",
        "",
        "--appendonly",
        "no",
        ...(options.args ?? []),
      ],
      options.fdLimit,
    );
    const close = async () => {
      const code = await p.close();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
      return code;
    };
    const deadline = Date.now() + 10_000;
    while (!p.isExited() && Date.now() < deadline) {
      try {
        await using c = await RawClient.connect(port);
        const info = await c.call("INFO", "server");
        if (info.includes(`\r\nprocess_id:${p.child.pid}\r\n`)) {
          return childServer(port, p.child.pid, p.output, close);
        }
      } catch {
        // not yet
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    await close();
  }
  throw new Error("could not start redis-server");
}

/**
 * Resident memory of a process in bytes, or 0 when unknown: from
 * `/proc/<pid>/status` (Linux; Deno lets only `--allow-all` read it), else
 * from `ps -o rss=` (needs `--allow-run`).
 */
export async function rssOf(pid: number): Promise<number> {
  try {
    const status = await Deno.readTextFile(`/proc/${pid}/status`);
    const m = /VmRSS:\s+(\d+) kB/.exec(status);
    if (m !== null) return Number(m[1]) * 1024;
  } catch {
    // not readable here: ask ps
  }
  try {
    const out = await new Deno.Command("ps", {
      args: ["-o", "rss=", "-p", String(pid)],
      stdout: "piped",
      stderr: "null",
    }).output();
    const kb = Number(new TextDecoder().decode(out.stdout).trim());
    return Number.isFinite(kb) ? kb * 1024 : 0;
  } catch {
    return 0;
  }
}

/** The heap of a {@linkcode startMeasured} server after a full collection. */
export interface HeapStat {
  /** V8 heap in use (bytes). */
  readonly heapUsed: number;
  /** Memory outside the heap held by JS objects (buffers). */
  readonly external: number;
  /** Resident memory. */
  readonly rss: number;
}

/** Asks a {@linkcode startMeasured} server for its heap after collecting garbage. */
export async function heapAfterGc(port: number): Promise<HeapStat> {
  await using c = await RawClient.connect(port);
  const reply = await c.call("HEAPSTAT");
  const [heapUsed, external, rss] = [...reply.matchAll(/:(\d+)\r\n/g)].map((m) => Number(m[1]));
  return { heapUsed, external, rss };
}
