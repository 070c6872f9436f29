/**
 * Many client connections at once, cheaply (a few hundred bytes each, no
 * `RawClient` with its 64 KB buffer): {@linkcode Crowd.open} connects
 * them in waves, {@linkcode Crowd.exchange} sends every connection its
 * own pipeline in one write and reads exactly its replies. Used by the
 * load test and `bench/load.ts`.
 *
 * No side effects on import.
 *
 * @example
 * ```ts ignore
 * import { Crowd } from "./crowd.ts";
 * await using crowd = await Crowd.open(6379, 1000);
 * const replies = await crowd.exchange((i) => [["PING"], ["ECHO", String(i)]]);
 * console.log(replies[0]); // ["+PONG\r\n", "$1\r\n0\r\n"]
 * ```
 *
 * @module
 */

import { replyLength } from "./raw_client.ts";
import { cmds, latin1 } from "./wire.ts";

/** Options of {@linkcode Crowd.open}. */
export interface CrowdOptions {
  /** Connections opened at once (default 200). */
  readonly wave?: number;
  /** The most one connection's replies may take (default 60 s): a safety net. */
  readonly timeoutMs?: number;
}

/** N open connections to one server. */
export class Crowd implements AsyncDisposable {
  readonly #conns: Deno.TcpConn[];
  readonly #timeoutMs: number;
  readonly #wave: number;

  private constructor(conns: Deno.TcpConn[], options: CrowdOptions) {
    this.#conns = conns;
    this.#timeoutMs = options.timeoutMs ?? 60_000;
    this.#wave = options.wave ?? 200;
  }

  /** Opens `n` connections to `port` on 127.0.0.1, `wave` at a time. */
  static async open(port: number, n: number, options: CrowdOptions = {}): Promise<Crowd> {
    const conns: Deno.TcpConn[] = [];
    const wave = options.wave ?? 200;
    try {
      for (let i = 0; i < n; i += wave) {
        const batch = await Promise.all(
          Array.from(
            { length: Math.min(wave, n - i) },
            () => Deno.connect({ hostname: "127.0.0.1", port }),
          ),
        );
        for (const c of batch) {
          c.setNoDelay(true);
          conns.push(c);
        }
      }
    } catch (e) {
      for (const c of conns) c.close();
      throw new Error(`opened ${conns.length} of ${n} connections: ${e}`);
    }
    return new Crowd(conns, options);
  }

  /** Number of connections. */
  get size(): number {
    return this.#conns.length;
  }

  /**
   * Sends connection `i` the commands `commands(i)` in one write and reads
   * exactly as many replies (raw, latin1); `wave` connections at a time.
   */
  async exchange(commands: (i: number) => readonly (readonly string[])[]): Promise<string[][]> {
    const out: string[][] = new Array(this.#conns.length);
    for (let i = 0; i < this.#conns.length; i += this.#wave) {
      const end = Math.min(this.#conns.length, i + this.#wave);
      const work: Promise<void>[] = [];
      for (let j = i; j < end; j++) {
        const list = commands(j);
        work.push(
          this.#one(this.#conns[j], cmds(list), list.length).then((r) => {
            out[j] = r;
          }),
        );
      }
      await Promise.all(work);
    }
    return out;
  }

  async #one(conn: Deno.TcpConn, request: Uint8Array, replies: number): Promise<string[]> {
    let off = 0;
    while (off < request.length) off += await conn.write(request.subarray(off));
    let buf = new Uint8Array(512);
    let end = 0;
    const out: string[] = [];
    let start = 0;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), this.#timeoutMs);
    });
    try {
      while (out.length < replies) {
        const len = replyLength(buf, start, end);
        if (len !== -1) {
          out.push(latin1(buf.subarray(start, start + len)));
          start += len;
          continue;
        }
        if (end === buf.length) {
          const next = new Uint8Array(buf.length * 2);
          next.set(buf.subarray(0, end));
          buf = next;
        }
        const n = await Promise.race([conn.read(buf.subarray(end)), timeout]);
        if (n === "timeout") throw new Error(`no reply within ${this.#timeoutMs} ms`);
        if (n === null) {
          throw new Error(`connection closed after ${out.length} of ${replies} replies`);
        }
        end += n;
      }
    } finally {
      clearTimeout(timer);
    }
    return out;
  }

  /** Closes every connection. */
  close(): void {
    for (const c of this.#conns) {
      try {
        c.close();
      } catch {
        // closed already
      }
    }
    this.#conns.length = 0;
  }

  /** Same as {@linkcode Crowd.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    this.close();
    return Promise.resolve();
  }
}
