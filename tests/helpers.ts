/**
 * Shared test helpers: start a private in-process server, talk raw RESP to
 * it byte for byte, and start a real `redis-server` for differential tests.
 *
 * The RESP encoder (in `wire.ts`, re-exported here) and reply splitter are
 * deliberately independent of `resp/`, so tests do not verify the codec
 * with itself.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { RawClient, startTestServer } from "./helpers.ts";
 *
 * Deno.test("GET of a missing key", async () => {
 *   await using srv = await startTestServer();
 *   await using c = await RawClient.connect(srv.port);
 *   assert.equal(await c.call("GET", "nokey"), "$-1\r\n");
 * });
 * ```
 *
 * @module
 */

import { type Server, type ServerOptions, startServer } from "../server/mod.ts";
import { type Arg, cmd, cmds, latin1 } from "./wire.ts";

export { type Arg, bulk, cmd, cmds, concat, fromLatin1, int, latin1, mulberry32 } from "./wire.ts";

const enc = new TextEncoder();

function lineEnd(buf: Uint8Array, from: number, end: number): number {
  for (let i = from; i + 1 < end; i++) if (buf[i] === 13 && buf[i + 1] === 10) return i;
  return -1;
}

function lineInt(buf: Uint8Array, from: number, to: number): number {
  let s = "";
  for (let i = from; i < to; i++) s += String.fromCharCode(buf[i]);
  return Number(s);
}

/**
 * Length in bytes of the complete RESP2/RESP3 reply starting at
 * `buf[start]`, or -1 when more bytes are needed.
 */
export function replyLength(buf: Uint8Array, start: number, end: number): number {
  let pos = start;
  let pending = 1; // values still to read at the current level(s)
  const stack: number[] = [];
  while (pending > 0 || stack.length > 0) {
    if (pending === 0) {
      pending = stack.pop()!;
      continue;
    }
    if (pos >= end) return -1;
    const type = buf[pos];
    const le = lineEnd(buf, pos + 1, end);
    if (le === -1) return -1;
    pending--;
    switch (type) {
      case 36: // $
      case 33: // !
      case 61: { // =
        const len = lineInt(buf, pos + 1, le);
        pos = le + 2;
        if (len >= 0) {
          if (end - pos < len + 2) return -1;
          pos += len + 2;
        }
        break;
      }
      case 42: // *
      case 126: // ~
      case 62: // >
      case 37: // %
      case 124: { // |
        let n = lineInt(buf, pos + 1, le);
        pos = le + 2;
        if (n < 0) n = 0;
        if (type === 37 || type === 124) n *= 2;
        if (type === 124) pending++; // an attribute annotates the value that follows
        stack.push(pending);
        pending = n;
        break;
      }
      default: // + - : _ , # (
        pos = le + 2;
    }
  }
  return pos - start;
}

/** Writes all of `data` to `conn` (a write may take only part of it). */
export async function writeAll(
  conn: { write(p: Uint8Array): Promise<number> },
  data: Uint8Array,
): Promise<void> {
  let off = 0;
  while (off < data.length) off += await conn.write(data.subarray(off));
}

/** Options of {@linkcode RawClient} reads. */
export interface ReadOptions {
  /** Safety net so a broken server fails the test instead of hanging it (default 10000 ms). */
  timeoutMs?: number;
}

/**
 * A raw TCP client: sends bytes, reads complete replies as their raw bytes.
 */
export class RawClient implements AsyncDisposable {
  readonly #conn: Deno.TcpConn;
  #buf = new Uint8Array(64 * 1024);
  #start = 0;
  #end = 0;
  #eof = false;
  #closed = false;

  private constructor(conn: Deno.TcpConn) {
    this.#conn = conn;
  }

  /** Connects to `hostname:port` (default 127.0.0.1). */
  static async connect(port: number, hostname = "127.0.0.1"): Promise<RawClient> {
    const conn = await Deno.connect({ hostname, port });
    conn.setNoDelay(true);
    return new RawClient(conn);
  }

  /** Writes raw bytes (a string is sent as UTF-8). */
  async send(data: Uint8Array | string): Promise<void> {
    await writeAll(this.#conn, typeof data === "string" ? enc.encode(data) : data);
  }

  /** Fills the buffer with one more read; false on EOF. */
  async #fill(deadline: number): Promise<boolean> {
    if (this.#eof) return false;
    if (this.#start > 0 && this.#start === this.#end) this.#start = this.#end = 0;
    if (this.#end === this.#buf.length) {
      const live = this.#end - this.#start;
      const next = new Uint8Array(
        live * 2 > this.#buf.length ? this.#buf.length * 2 : this.#buf.length,
      );
      next.set(this.#buf.subarray(this.#start, this.#end));
      this.#buf = next;
      this.#start = 0;
      this.#end = live;
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), Math.max(0, deadline - Date.now()));
    });
    try {
      const n = await Promise.race([this.#conn.read(this.#buf.subarray(this.#end)), timeout]);
      if (n === "timeout") throw new Error("RawClient: timed out waiting for the server");
      if (n === null) {
        this.#eof = true;
        return false;
      }
      this.#end += n;
      return true;
    } catch (e) {
      if (e instanceof Deno.errors.ConnectionReset || e instanceof Deno.errors.BrokenPipe) {
        this.#eof = true;
        return false;
      }
      throw e;
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Reads the next `n` complete replies and returns the raw bytes of each.
   * Rejects if the connection ends first.
   */
  async read(n = 1, options: ReadOptions = {}): Promise<Uint8Array[]> {
    const deadline = Date.now() + (options.timeoutMs ?? 10_000);
    const out: Uint8Array[] = [];
    while (out.length < n) {
      const len = replyLength(this.#buf, this.#start, this.#end);
      if (len === -1) {
        if (!(await this.#fill(deadline))) {
          throw new Error(
            `RawClient: connection closed after ${out.length} of ${n} replies` +
              ` (unparsed: ${JSON.stringify(latin1(this.#buf.subarray(this.#start, this.#end)))})`,
          );
        }
        continue;
      }
      out.push(this.#buf.slice(this.#start, this.#start + len));
      this.#start += len;
    }
    return out;
  }

  /** Like {@linkcode read}, as latin1 strings (byte-exact). */
  async readStrings(n = 1, options?: ReadOptions): Promise<string[]> {
    return (await this.read(n, options)).map(latin1);
  }

  /** Sends one command and returns its raw reply as a latin1 string, e.g. `"+OK\r\n"`. */
  async call(...args: Arg[]): Promise<string> {
    await this.send(cmd(...args));
    return (await this.readStrings(1))[0];
  }

  /** Sends the commands in one write and returns their raw replies, in order. */
  async calls(commands: readonly (readonly Arg[])[]): Promise<string[]> {
    await this.send(cmds(commands));
    return await this.readStrings(commands.length);
  }

  /**
   * Reads until the server closes the connection and returns every byte
   * received meanwhile (after any replies already consumed).
   */
  async readUntilClose(options: ReadOptions = {}): Promise<Uint8Array> {
    const deadline = Date.now() + (options.timeoutMs ?? 10_000);
    while (await this.#fill(deadline));
    const rest = this.#buf.slice(this.#start, this.#end);
    this.#start = this.#end;
    return rest;
  }

  /** Closes the socket (idempotent). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#conn.close();
    } catch {
      // already closed
    }
  }

  /** Same as {@linkcode close}. */
  [Symbol.asyncDispose](): Promise<void> {
    this.close();
    return Promise.resolve();
  }
}

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
 * Polls `check` every `intervalMs` until it returns true; throws after
 * `timeoutMs`. For waiting on asynchronous effects, never for timing.
 */
export async function waitFor(
  check: () => boolean | Promise<boolean>,
  { timeoutMs = 10_000, intervalMs = 10, what = "condition" } = {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`waitFor: ${what} not reached in ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** A free TCP port on 127.0.0.1 (it may be taken again by the time it is used). */
export function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/** Whether an executable can be run (`name --version` succeeds). */
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
export const HAVE_REDIS: boolean = await hasExecutable("redis-server");
/** Whether `redis-cli` is installed. */
export const HAVE_REDIS_CLI: boolean = await hasExecutable("redis-cli");

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
 * import { RawClient, RedisProcess } from "./helpers.ts";
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

  private constructor(port: number, dir: string, args: readonly string[]) {
    this.port = port;
    this.dir = dir;
    this.#args = args;
  }

  /**
   * Starts `redis-server` on a free port (retrying with another one if the
   * port is taken meanwhile) or on `options.port`, and waits until it
   * answers. Throws when `redis-server` is not installed.
   */
  static async start(options: RedisOptions = {}): Promise<RedisProcess> {
    if (!HAVE_REDIS) throw new Error("redis-server is not installed");
    const args = [...(options.args ?? [])];
    for (let attempt = 0; attempt < (options.port === undefined ? 3 : 1); attempt++) {
      const dir = await Deno.makeTempDir({ prefix: "mini-redis-test-redis-" });
      const p = new RedisProcess(options.port ?? freePort(), dir, args);
      try {
        if (await p.#spawn()) return p;
      } catch (e) {
        await p.close();
        throw e;
      }
      await p.close(); // it exited: the port was taken; try another
    }
    throw new Error("could not start redis-server");
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
          if (info.includes(`\r\nprocess_id:${child.pid}\r\n`)) return true;
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
 * import { startRedis } from "./helpers.ts";
 * await using redis = await startRedis({ args: ["--requirepass", "pw"] });
 * console.log(redis.port);
 * ```
 */
export function startRedis(options: RedisOptions = {}): Promise<RedisProcess> {
  return RedisProcess.start(options);
}

/** A decoded reply from {@linkcode parseReply}. */
export type Reply = string | number | bigint | null | boolean | { error: string } | Reply[];

/**
 * Decodes one raw RESP2/RESP3 reply (as returned by {@linkcode RawClient.call})
 * into plain values: bulk/simple strings as latin1 strings, integers as
 * numbers (bigint when unsafe), nulls as `null`, errors as `{ error }`,
 * aggregates as arrays (maps and attributes flattened).
 *
 * @example
 * ```ts
 * import { parseReply } from "./helpers.ts";
 * console.log(parseReply("*2\r\n$1\r\na\r\n:1\r\n")); // ["a", 1]
 * ```
 */
export function parseReply(text: string): Reply {
  let pos = 0;
  const line = (): string => {
    const end = text.indexOf("\r\n", pos);
    if (end === -1) throw new Error(`parseReply: incomplete reply ${JSON.stringify(text)}`);
    const s = text.slice(pos, end);
    pos = end + 2;
    return s;
  };
  const value = (): Reply => {
    const type = text[pos++];
    const head = line();
    switch (type) {
      case "+":
        return head;
      case "-":
        return { error: head };
      case ":": {
        const n = Number(head);
        return Number.isSafeInteger(n) ? n : BigInt(head);
      }
      case "_":
        return null;
      case "#":
        return head === "t";
      case ",":
      case "(":
        return head;
      case "$":
      case "!":
      case "=": {
        const len = Number(head);
        if (len < 0) return null;
        const s = text.slice(pos, pos + len);
        pos += len + 2;
        return type === "!" ? { error: s } : s;
      }
      case "*":
      case "~":
      case ">":
      case "%":
      case "|": {
        let n = Number(head);
        if (n < 0) return null;
        if (type === "%" || type === "|") n *= 2;
        const out: Reply[] = [];
        for (let i = 0; i < n; i++) out.push(value());
        if (type === "|") return value();
        return out;
      }
      default:
        throw new Error(`parseReply: unknown type ${JSON.stringify(type)}`);
    }
  };
  const v = value();
  if (pos !== text.length) throw new Error(`parseReply: trailing bytes in ${JSON.stringify(text)}`);
  return v;
}

/** Whether `redis-benchmark` is installed. */
export const HAVE_REDIS_BENCHMARK: boolean = await hasExecutable("redis-benchmark");

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
 * import { runTool } from "./helpers.ts";
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
 * import { ToolProcess } from "./helpers.ts";
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

/** Which server a compatibility test runs against: real Redis or ours. */
export type PeerKind = "redis" | "ours";

/** Both peers, real Redis first (a test is proven right against it before it judges ours). */
export const PEERS: readonly PeerKind[] = ["redis", "ours"];

/** Options of {@linkcode startPeer}. */
export interface PeerOptions {
  /** Require this password (`requirepass`). */
  requirepass?: string;
  /** Bind this port instead of a free one (to restart on the same port). */
  port?: number;
}

/** A server started by {@linkcode startPeer}. */
export interface Peer extends AsyncDisposable {
  /** Which server it is. */
  readonly kind: PeerKind;
  /** Its port on 127.0.0.1. */
  readonly port: number;
  /** Our in-process server (absent for `redis`). */
  readonly server?: Server;
  /** Stops it. */
  close(): Promise<void>;
}

/**
 * Starts a private `redis-server` child process (`"redis"`) or our server
 * in-process (`"ours"`) on 127.0.0.1, with the same settings.
 *
 * @example
 * ```ts
 * import { PEERS, RawClient, startPeer } from "./helpers.ts";
 * for (const kind of PEERS) {
 *   await using peer = await startPeer(kind);
 *   await using c = await RawClient.connect(peer.port);
 *   console.log(kind, await c.call("PING")); // "+PONG\r\n"
 * }
 * ```
 */
export async function startPeer(kind: PeerKind, options: PeerOptions = {}): Promise<Peer> {
  if (kind === "redis") {
    const args = options.requirepass === undefined ? [] : ["--requirepass", options.requirepass];
    const r = await startRedis({ args, port: options.port });
    const close = () => r.close();
    return { kind, port: r.port, close, [Symbol.asyncDispose]: close };
  }
  const srv = await startTestServer({ requirepass: options.requirepass, port: options.port });
  return {
    kind,
    port: srv.port,
    server: srv.server,
    close: srv.close,
    [Symbol.asyncDispose]: srv.close,
  };
}

/** The display name of a peer in test names: `redis-server` or `mini-redis`. */
export function peerName(kind: PeerKind): string {
  return kind === "redis" ? "redis-server" : "mini-redis";
}

/** Options of {@linkcode eachPeer}: those of {@linkcode startPeer}, plus required tools. */
export interface EachPeerOptions extends PeerOptions {
  /**
   * Other executables the test needs, with whether each is installed, e.g.
   * `{ "redis-cli": HAVE_REDIS_CLI }`; a missing one ignores both tests.
   */
  requires?: Readonly<Record<string, boolean>>;
}

/**
 * Registers `fn` as one test per peer (real Redis first), each with its own
 * private server from {@linkcode startPeer}, named `<what> [<peer name>]`.
 * A test that cannot run (a required tool or, for the `redis` peer,
 * `redis-server` not installed) is ignored with the reason in its name.
 *
 * @example
 * ```ts
 * import { eachPeer, RawClient } from "./helpers.ts";
 * eachPeer("PING answers PONG", async (peer) => {
 *   await using c = await RawClient.connect(peer.port);
 *   console.log(await c.call("PING")); // "+PONG\r\n"
 * });
 * ```
 */
export function eachPeer(
  what: string,
  fn: (peer: Peer) => Promise<void>,
  options: EachPeerOptions = {},
): void {
  const { requires = {}, ...peerOptions } = options;
  const missing = Object.entries(requires).find(([, installed]) => !installed)?.[0];
  for (const kind of PEERS) {
    const reason = missing !== undefined
      ? `${missing} is not installed`
      : kind === "redis" && !HAVE_REDIS
      ? "redis-server is not installed"
      : undefined;
    Deno.test({
      name: `${what} [${peerName(kind)}]${reason ? ` (ignored: ${reason})` : ""}`,
      ignore: reason !== undefined,
      fn: async () => {
        await using peer = await startPeer(kind, peerOptions);
        await fn(peer);
      },
    });
  }
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
 * answers `PING` (`+PONG`, or `-NOAUTH` when a password is required).
 *
 * @example
 * ```ts
 * import { startServeProcess } from "./helpers.ts";
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
          const reply = await c.call("PING");
          if (reply === "+PONG\r\n" || reply.startsWith("-NOAUTH")) {
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
