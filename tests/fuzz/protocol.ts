/**
 * The protocol-level fuzz at scale: random and damaged RESP frames over
 * many connections at once (`connections` workers, each opening one
 * connection after another until `frames` frames are sent), while a
 * control client on its own connection runs a SET/GET/INCR workload whose
 * every reply is checked. Afterwards the server must answer on a new
 * connection and its resident memory, once the clients are gone and the
 * keyspace flushed, must be back near its baseline.
 *
 * Checked for every connection (with an independent reply splitter, not
 * the project's decoder):
 * - everything the server sends splits into complete RESP replies;
 * - a `-ERR Protocol error` reply is the last thing the connection gets;
 * - a connection that sent only valid commands gets exactly one reply
 *   each, and no protocol error.
 *
 * No side effects on import.
 *
 * @example
 * ```ts ignore
 * import { runProtocolFuzz } from "./protocol.ts";
 * const r = await runProtocolFuzz({ port: 6380, pid: 1234, seed: 1, frames: 100_000, connections: 50 });
 * console.log(r.problems); // []
 * ```
 *
 * @module
 */

import { RawClient, replyLength } from "../helpers.ts";
import { cmd, concat, latin1 } from "../wire.ts";
import { Random } from "./generator.ts";
import { heapAfterGc, rssOf } from "../../support/child_servers.ts";

const enc = new TextEncoder();

/** Options of {@linkcode runProtocolFuzz}. */
export interface ProtocolFuzzOptions {
  /** The server's port on 127.0.0.1. */
  readonly port: number;
  /** The server's pid, for its resident memory (Linux /proc); none: memory not measured. */
  readonly pid?: number;
  /** The seed. */
  readonly seed: number;
  /** Frames to send in total. */
  readonly frames: number;
  /** Connections open at once. */
  readonly connections: number;
  /** Progress lines. */
  readonly log?: (line: string) => void;
  /**
   * The server is a `measured_server.ts` process: also compare its heap
   * after garbage collection (`HEAPSTAT`) before and after the run.
   */
  readonly measureHeap?: boolean;
  /** How long to watch resident memory settle after the run (default 2000 ms). */
  readonly settleMs?: number;
  /** The most a connection may take to be answered and closed (default 30 s): a safety net. */
  readonly sessionTimeoutMs?: number;
}

/** The result of {@linkcode runProtocolFuzz}. */
export interface ProtocolFuzzResult {
  /** Frames sent. */
  readonly frames: number;
  /** Of which damaged. */
  readonly malformed: number;
  /** Connections opened. */
  readonly sessions: number;
  /** Connections closed by the server after a protocol error. */
  readonly protocolErrors: number;
  /** Commands the control client ran (all answered correctly unless listed in `problems`). */
  readonly controlCommands: number;
  /** What went wrong (empty: nothing). */
  readonly problems: string[];
  /** Resident memory before (bytes; 0 when not measured). */
  readonly baselineRss: number;
  /** Highest resident memory seen during the run. */
  readonly peakRss: number;
  /** Resident memory after the run, the clients gone and the keyspace flushed. */
  readonly finalRss: number;
  /** Heap after collection before the run (bytes; 0 unless `measureHeap`). */
  readonly baselineHeap: number;
  /** Heap after collection after the run, the clients gone and the keyspace flushed. */
  readonly finalHeap: number;
}

function value(r: Random): string | Uint8Array {
  const x = r.float();
  if (x < 0.01) return r.bytes(r.range(1000, 20_000));
  if (x < 0.3) return String(r.range(-1000, 1000));
  if (x < 0.6) return "v".repeat(r.range(0, 20));
  return r.bytes(r.range(0, 40));
}

/** A valid command with exactly one reply, on keys of this worker only. */
function validCommand(r: Random, scope: string): (string | Uint8Array)[] {
  const k = `pf:${scope}:${r.int(20)}`;
  switch (r.int(20)) {
    case 0:
      return ["PING"];
    case 1:
      return ["ECHO", value(r)];
    case 2:
    case 3:
      return ["SET", k, value(r)];
    case 4:
      return ["GET", k];
    case 5:
      return ["INCR", k];
    case 6:
      return ["DEL", k, `pf:${scope}:${r.int(20)}`];
    case 7:
      return ["APPEND", k, value(r)];
    case 8:
      return ["MGET", k, `pf:${scope}:${r.int(20)}`];
    case 9:
      return ["HSET", k, "f", value(r)];
    case 10:
      return ["SADD", k, value(r), value(r)];
    case 11:
      return ["ZADD", k, String(r.range(-5, 5)), value(r)];
    case 12:
      return ["EXPIRE", k, String(r.range(1, 1000))];
    case 13:
      return ["TYPE", k];
    case 14:
      return ["PUBLISH", `pf.${scope}`, value(r)];
    case 15:
      return [r.pick(["NOSUCH", "GETT"]), k];
    case 16:
      return [r.pick(["GET", "SET", "INCR"])];
    case 17:
      return ["SETRANGE", k, String(r.int(1000)), value(r)];
    case 18:
      return ["HELLO", r.pick(["2", "3"])];
    default:
      return ["EXISTS", k];
  }
}

function encodeValid(r: Random, args: (string | Uint8Array)[]): Uint8Array {
  const inline = args.every((a) =>
    typeof a === "string" && /^[\x21-\x7e]+$/.test(a) && !/["'\\]/.test(a)
  );
  if (inline && r.chance(0.1)) return enc.encode(args.join(" ") + r.pick(["\r\n", "\n"]));
  return cmd(...args);
}

const BAD_COUNTS = ["-5", "abc", "", "+3", " 3", "99999999999999999999", "2147483648", "1.5"];
const BAD_LENGTHS = ["536870913", "-2", "abc", "", "99999999999999999999", "3 ", "0x10"];

/** A damaged frame (or a hostile but legal one). */
function malformed(r: Random, scope: string): Uint8Array {
  const valid = cmd(...validCommand(r, scope));
  switch (r.int(10)) {
    case 0:
      return valid.subarray(0, r.range(1, valid.length - 1));
    case 1: {
      const out = valid.slice();
      out[r.int(out.length)] = r.int(256);
      return out;
    }
    case 2: {
      const at = r.int(valid.length);
      return concat([valid.subarray(0, at), valid.subarray(at + 1)]);
    }
    case 3:
      return enc.encode(`*${r.pick(BAD_COUNTS)}\r\n$4\r\nPING\r\n`);
    case 4:
      return enc.encode(`*2\r\n$3\r\nGET\r\n$${r.pick(BAD_LENGTHS)}\r\nk\r\n`);
    case 5:
      return enc.encode(`*2\r\n$3\r\nGET\r\n${r.pick([":", "+", "-", "*", "%", "x"])}1\r\n`);
    case 6:
      return r.bytes(r.range(1, 200));
    case 7:
      return enc.encode(`${r.pick(['"', "'", 'SET "a', "GET 'b", '"a"b'])}\r\n`);
    case 8:
      return enc.encode(`*${r.pick(["1048577", "100000"])}\r\n`);
    default:
      return enc.encode(`*2\r\n$3\r\nGET\r\n$${r.pick(["65536", "1048576"])}\r\nabc`);
  }
}

/** Splits bytes into up to 8 writes at random points. */
function split(r: Random, bytes: Uint8Array): Uint8Array[] {
  const cuts = new Set<number>();
  for (let i = r.int(8); i > 0; i--) cuts.add(r.range(1, Math.max(1, bytes.length - 1)));
  const sorted = [...cuts].filter((c) => c < bytes.length).sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let from = 0;
  for (const c of sorted) {
    out.push(bytes.subarray(from, c));
    from = c;
  }
  out.push(bytes.subarray(from));
  return out;
}

function gone(e: unknown): boolean {
  return e instanceof Deno.errors.ConnectionReset || e instanceof Deno.errors.BrokenPipe ||
    e instanceof Deno.errors.NotConnected;
}

/** What one connection sent and got. */
interface Outcome {
  replies: string[];
  leftover: string;
}

/**
 * Sends `bytes` in `chunks` over a new connection while reading; a clean
 * session half-closes once all replies are in, another right after
 * sending; then reads until the server closes.
 */
async function session(
  port: number,
  chunks: Uint8Array[],
  expected: number | undefined,
  timeoutMs: number,
): Promise<Outcome> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  conn.setNoDelay(true);
  const out: Outcome = { replies: [], leftover: "" };
  let buf = new Uint8Array(64 * 1024);
  let start = 0;
  let end = 0;
  let wake: (() => void) | undefined;
  const reading = (async () => {
    for (;;) {
      if (end === buf.length) {
        const live = end - start;
        const next = new Uint8Array(live * 2 > buf.length ? buf.length * 2 : buf.length);
        next.set(buf.subarray(start, end));
        buf = next;
        start = 0;
        end = live;
      }
      let n: number | null;
      try {
        n = await conn.read(buf.subarray(end));
      } catch (e) {
        if (!gone(e)) throw e;
        n = null;
      }
      if (n === null) break;
      end += n;
      for (;;) {
        const len = replyLength(buf, start, end);
        if (len === -1) break;
        out.replies.push(latin1(buf.subarray(start, start + len)));
        start += len;
      }
      if (start === end) start = end = 0;
      wake?.();
    }
    out.leftover = latin1(buf.subarray(start, end));
    wake?.();
  })();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no close within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    const writing = (async () => {
      for (const c of chunks) {
        try {
          let off = 0;
          while (off < c.length) off += await conn.write(c.subarray(off));
        } catch (e) {
          if (!gone(e)) throw e;
          return;
        }
      }
      if (expected !== undefined) {
        await new Promise<void>((resolve) => {
          wake = () => {
            if (out.replies.length >= expected) resolve();
          };
          wake();
          reading.then(resolve);
        });
      }
      try {
        await conn.closeWrite();
      } catch (e) {
        if (!gone(e)) throw e;
      }
    })();
    await Promise.race([Promise.all([writing, reading]), timeout]);
  } finally {
    clearTimeout(timer);
    try {
      conn.close();
    } catch {
      // closed already
    }
    await reading.catch(() => {});
  }
  return out;
}

/** Runs the protocol fuzz (see the module doc). */
export async function runProtocolFuzz(options: ProtocolFuzzOptions): Promise<ProtocolFuzzResult> {
  const log = options.log ?? (() => {});
  const timeoutMs = options.sessionTimeoutMs ?? 30_000;
  const problems: string[] = [];
  const problem = (p: string) => {
    if (problems.length < 50) problems.push(p);
  };
  const pid = options.pid;
  let peak = 0;
  const sample = async () => {
    if (pid === undefined) return 0;
    const rss = await rssOf(pid);
    if (rss > peak) peak = rss;
    return rss;
  };

  // warm up (so the baseline includes what the first connections allocate once)
  await using control = await RawClient.connect(options.port);
  for (let i = 0; i < 200; i++) await control.call("SET", `ctl:${i}`, "x");
  await control.call("FLUSHALL");
  const heap = async () => {
    if (!options.measureHeap) return 0;
    const h = await heapAfterGc(options.port);
    return h.heapUsed + h.external;
  };
  const baselineHeap = await heap();
  const baseline = await sample();

  let left = options.frames;
  let sent = 0;
  let damaged = 0;
  let sessions = 0;
  let protocolErrors = 0;
  let finished = false;
  let lastLog = Date.now();

  const worker = async (w: number) => {
    const r = new Random((options.seed + w * 0x9e3779b9) >>> 0);
    const scope = String(w);
    while (left > 0 && problems.length < 50) {
      const n = Math.min(left, r.range(1, 200));
      left -= n;
      const clean = r.chance(0.35);
      const rate = clean ? 0 : r.pick([0.005, 0.02, 0.1, 0.5]);
      const parts: Uint8Array[] = [];
      let bad = 0;
      for (let i = 0; i < n; i++) {
        if (r.chance(rate)) {
          parts.push(malformed(r, scope));
          bad++;
        } else {
          parts.push(encodeValid(r, validCommand(r, scope)));
        }
      }
      const bytes = concat(parts);
      let out: Outcome;
      try {
        out = await session(options.port, split(r, bytes), clean ? n : undefined, timeoutMs);
      } catch (e) {
        problem(
          `worker ${w}, session ${sessions}: ${e instanceof Error ? e.message : e}; it sent ` +
            JSON.stringify(latin1(bytes.subarray(0, 200))),
        );
        continue;
      }
      sessions++;
      sent += n;
      damaged += bad;
      const what = () =>
        `worker ${w} (seed ${options.seed}), ${n} frames (${bad} damaged) starting ` +
        JSON.stringify(latin1(bytes.subarray(0, 120)));
      if (out.leftover !== "") {
        problem(`${what()}: a partial reply ${JSON.stringify(out.leftover.slice(0, 80))}`);
      }
      const at = out.replies.findIndex((x) => x.startsWith("-ERR Protocol error"));
      if (at !== -1) {
        protocolErrors++;
        if (at !== out.replies.length - 1) {
          problem(`${what()}: replies after a protocol error: ${out.replies.slice(at, at + 3)}`);
        }
      }
      if (clean && (at !== -1 || out.replies.length !== n)) {
        problem(`${what()}: ${out.replies.length} replies to ${n} valid commands`);
      }
      if (Date.now() - lastLog > 5000) {
        lastLog = Date.now();
        log(
          `  ${sent} frames, ${sessions} connections, rss ${
            ((await sample()) / 2 ** 20).toFixed(1)
          } MB`,
        );
      }
    }
  };

  let controlCommands = 0;
  const controlLoop = (async () => {
    let i = 0;
    while (!finished && problems.length < 50) {
      const k = `ctl:${i % 100}`;
      const v = `value-${i}`;
      const replies = await control.calls([["SET", k, v], ["GET", k], ["INCR", "ctl:n"]]);
      const expected = ["+OK\r\n", `$${v.length}\r\n${v}\r\n`, `:${i + 1}\r\n`];
      for (let j = 0; j < 3; j++) {
        if (replies[j] !== expected[j]) {
          problem(
            `control client: ${JSON.stringify(replies[j])} instead of ${
              JSON.stringify(expected[j])
            }`,
          );
        }
      }
      controlCommands += 3;
      i++;
      if (i % 50 === 0) await sample();
    }
  })();
  await Promise.all(Array.from({ length: options.connections }, (_, w) => worker(w)));
  finished = true;
  await controlLoop;

  // the server still accepts and answers; the clients and the keys are gone
  await using after = await RawClient.connect(options.port);
  if ((await after.call("PING")) !== "+PONG\r\n") problem("no PONG after the run");
  await after.call("FLUSHALL");
  for (let i = 0; i < 50; i++) {
    const info = await after.call("INFO", "clients");
    if (/connected_clients:2\r\n/.test(info)) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const finalHeap = await heap();
  let final = 0;
  if (pid !== undefined) {
    // the lowest of the samples over `settleMs`: V8 hands freed pages back
    // to the system only after a while idle
    final = Infinity;
    const until = Date.now() + (options.settleMs ?? 2000);
    do {
      final = Math.min(final, await rssOf(pid));
      await new Promise((r) => setTimeout(r, 200));
    } while (Date.now() < until);
  }
  return {
    frames: sent,
    malformed: damaged,
    sessions,
    protocolErrors,
    controlCommands,
    problems,
    baselineRss: baseline,
    peakRss: peak,
    finalRss: final,
    baselineHeap,
    finalHeap,
  };
}
