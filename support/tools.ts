/**
 * External tools in tests: whether one is installed (a PATH lookup, no
 * process started), running one to completion ({@linkcode runTool}) or
 * reading a long-running one's output as it arrives ({@linkcode ToolProcess}).
 *
 * No side effects on import beyond the PATH lookups behind the `HAVE_*`
 * constants (no process is started).
 *
 * @example
 * ```ts ignore
 * import { HAVE_REDIS_CLI, runTool } from "./tools.ts";
 * if (HAVE_REDIS_CLI) console.log((await runTool("redis-cli", ["--version"])).stdout);
 * ```
 *
 * @module
 */

const enc = new TextEncoder();

/**
 * Whether an executable named `name` is on `PATH` (a file lookup: nothing
 * is run). False without permission to read `PATH` or the directories.
 *
 * @example
 * ```ts ignore
 * import { onPath } from "./tools.ts";
 * console.log(onPath("redis-server"));
 * ```
 */
export function onPath(name: string): boolean {
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

/** Whether an executable can be run (`name --version` succeeds); starts a process. */
export async function hasExecutable(name: string): Promise<boolean> {
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

/** Whether `redis-server` is installed (tests that need it are ignored otherwise). */
export const HAVE_REDIS: boolean = onPath("redis-server");
/** Whether `redis-cli` is installed. */
export const HAVE_REDIS_CLI: boolean = onPath("redis-cli");
/** Whether `redis-benchmark` is installed. */
export const HAVE_REDIS_BENCHMARK: boolean = onPath("redis-benchmark");

/** What {@linkcode runTool} returns. */
export interface ToolOutput {
  /** Exit code. */
  readonly code: number;
  /** Standard output, decoded as UTF-8. */
  readonly stdout: string;
  /** Standard error, decoded as UTF-8. */
  readonly stderr: string;
}

/** Options of {@linkcode runTool}. */
export interface RunToolOptions {
  /** Bytes (or UTF-8 text) written to the tool's stdin, which is then closed. */
  stdin?: Uint8Array | string;
  /** The tool is killed after this long (a safety net, default 60000 ms). */
  timeoutMs?: number;
}

/**
 * Runs an external tool (e.g. `redis-cli`) to completion and returns its
 * exit code and output. Killed after `timeoutMs`, which then throws.
 *
 * @example
 * ```ts
 * import { runTool } from "./tools.ts";
 * const out = await runTool("redis-cli", ["-p", "6379", "PING"]);
 * console.log(out.stdout); // "PONG\n"
 * ```
 */
export async function runTool(
  name: string,
  args: readonly string[],
  options: RunToolOptions = {},
): Promise<ToolOutput> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), timeoutMs);
  try {
    const child = new Deno.Command(name, {
      args: [...args],
      stdin: options.stdin === undefined ? "null" : "piped",
      stdout: "piped",
      stderr: "piped",
      signal: abort.signal,
    }).spawn();
    const output = child.output();
    if (options.stdin !== undefined) {
      const writer = child.stdin.getWriter();
      try {
        await writer.write(
          typeof options.stdin === "string" ? enc.encode(options.stdin) : options.stdin,
        );
        await writer.close();
      } catch {
        // the tool exited without reading everything; its output says why
      }
    }
    const out = await output;
    if (abort.signal.aborted) {
      throw new Error(`${name} ${args.join(" ")}: killed after ${timeoutMs} ms`);
    }
    const dec = new TextDecoder();
    return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * A long-running external tool (e.g. `redis-cli SUBSCRIBE ch`) whose
 * standard output is read as it arrives. Standard error is collected.
 *
 * @example
 * ```ts
 * import { ToolProcess } from "./tools.ts";
 * await using sub = ToolProcess.spawn("redis-cli", ["-p", "6379", "SUBSCRIBE", "ch"]);
 * await sub.readUntil("subscribe\nch\n1\n");
 * ```
 */
export class ToolProcess implements AsyncDisposable {
  readonly #child: Deno.ChildProcess;
  readonly #reader: ReadableStreamDefaultReader<Uint8Array>;
  readonly #stderr: Promise<string>;
  readonly #dec = new TextDecoder();
  #stdout = "";
  #eof = false;
  #closed: Promise<Deno.CommandStatus> | undefined;

  private constructor(child: Deno.ChildProcess) {
    this.#child = child;
    this.#reader = child.stdout.getReader();
    this.#stderr = new Response(child.stderr).text();
  }

  /** Starts `name args...` with stdin closed. */
  static spawn(name: string, args: readonly string[]): ToolProcess {
    return new ToolProcess(
      new Deno.Command(name, {
        args: [...args],
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).spawn(),
    );
  }

  /** Everything read from stdout so far. */
  get stdout(): string {
    return this.#stdout;
  }

  /**
   * Reads stdout until everything read so far contains `text`; throws
   * (with the output so far) on EOF or after `timeoutMs` (default 10000).
   */
  async readUntil(text: string, timeoutMs = 10_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (!this.#stdout.includes(text)) {
      if (this.#eof) {
        throw new Error(
          `stdout ended before ${JSON.stringify(text)}; got ${JSON.stringify(this.#stdout)}`,
        );
      }
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<"timeout">((resolve) => {
        timer = setTimeout(() => resolve("timeout"), Math.max(0, deadline - Date.now()));
      });
      const pending = this.#pendingRead ??= this.#reader.read();
      const r = await Promise.race([pending, timeout]);
      clearTimeout(timer);
      if (r === "timeout") {
        throw new Error(
          `no ${JSON.stringify(text)} on stdout in ${timeoutMs} ms; got ${
            JSON.stringify(this.#stdout)
          }`,
        );
      }
      this.#pendingRead = undefined;
      if (r.done) this.#eof = true;
      else this.#stdout += this.#dec.decode(r.value, { stream: true });
    }
    return this.#stdout;
  }

  #pendingRead: Promise<ReadableStreamReadResult<Uint8Array>> | undefined;

  /** Terminates the tool (SIGTERM), drains its output and returns its stderr. Idempotent. */
  async close(): Promise<string> {
    if (this.#closed === undefined) {
      try {
        this.#child.kill("SIGTERM");
      } catch {
        // already exited
      }
      this.#closed = this.#child.status;
    }
    await this.#closed;
    if (!this.#eof) {
      for (;;) {
        const r = await (this.#pendingRead ?? this.#reader.read());
        this.#pendingRead = undefined;
        if (r.done) break;
        this.#stdout += this.#dec.decode(r.value, { stream: true });
      }
      this.#eof = true;
    }
    return await this.#stderr;
  }

  /** Same as {@linkcode ToolProcess.close}. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
