/**
 * A raw TCP client for tests: sends bytes, reads complete RESP2/RESP3
 * replies as their raw bytes, so tests can assert byte for byte. The reply
 * splitter is deliberately independent of `resp/`, so tests do not verify
 * the codec with itself.
 *
 * No side effects on import.
 *
 * @example
 * ```ts ignore
 * import { RawClient } from "./raw_client.ts";
 * await using c = await RawClient.connect(6379);
 * console.log(await c.call("PING")); // "+PONG\r\n"
 * ```
 *
 * @module
 */

import { type Arg, cmd, cmds, latin1 } from "./wire.ts";

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
