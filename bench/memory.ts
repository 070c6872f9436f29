/**
 * Memory benchmark: how much resident memory our server and `redis-server`
 * grow by when they hold the same collections, in the same run.
 *
 * Data sets (each loaded into a fresh pair of servers, so that each growth
 * is that data set's alone):
 * - `hashes`: 100,000 hashes of 10 small fields (`HSET hash:<i> f0 <v> ... f9 <v>`);
 * - `zset`: one sorted set of 1,000,000 members (`ZADD` 100 members per command);
 * - `list`: one list of 1,000,000 elements (`RPUSH` 100 elements per command);
 * - `set`: one set of 1,000,000 integers (`SADD` 100 integers per command).
 *
 * The loader is a raw TCP connection in this process that pipelines the
 * commands in bounded batches and checks every reply (an error reply, e.g.
 * `unknown command` before our server has the type, is reported in the
 * table instead of a figure). Memory is each server process's resident set
 * size (`VmRSS` of `/proc/<pid>/status`, the same measure for both) after
 * start-up and again once the data is loaded and the server has been idle
 * for a moment; the growth is the difference. Reported: both growths, the
 * ratio (target: at most 2x redis-server), bytes per element, the growth
 * of `used_memory` from `INFO memory` (Redis's allocator count of live
 * bytes; ours is V8's used heap plus external memory, which still holds
 * garbage not collected yet, so it is an upper bound of the live data), and
 * the element count each server reports afterwards (a check that both hold
 * the same data).
 *
 *     deno run --allow-all bench/memory.ts [--only hashes,zset,list,set]
 *       [--scale 1] [--settle-ms 8000]
 *
 * `--scale 0.1` loads a tenth of every data set (a quick check).
 *
 * @module
 */

import { parseArgs } from "node:util";
import { hasExecutable } from "../support/tools.ts";
import { writeAll } from "../support/raw_client.ts";
import { type PeerProcess, printTable, startPeers } from "./peers.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    only: { type: "string", default: "hashes,zset,list,set" },
    scale: { type: "string", default: "1" },
    "settle-ms": { type: "string", default: "8000" },
  },
});

const SCALE = Number(values.scale);
const SETTLE_MS = Number(values["settle-ms"]);
/** Target: our growth at most this many times redis-server's. */
const TARGET = 2;
/** Commands written per batch; the loader waits for a batch's replies before the next. */
const BATCH = 200;
/** A data set that takes longer than this to load failed (a safety net). */
const LOAD_TIMEOUT_MS = 600_000;

/** One data set: the commands that build it and how to count what was stored. */
interface DataSet {
  /** Its name in the table. */
  readonly name: string;
  /** What it is, in words. */
  readonly description: string;
  /** Number of elements stored (fields, members, elements). */
  readonly elements: number;
  /** Number of commands that build it. */
  readonly commands: number;
  /** The `i`-th command's arguments (ASCII). */
  command(i: number): string[];
  /** A command whose integer reply is the number of elements stored. */
  readonly count: string[];
}

function dataSets(): DataSet[] {
  const hashes = Math.round(100_000 * SCALE);
  const big = Math.round(1_000_000 * SCALE);
  const per = 100;
  const fields = 10;
  return [
    {
      name: "hashes",
      description: `${hashes} hashes of ${fields} fields`,
      elements: hashes * fields,
      commands: hashes,
      command(i) {
        const args = ["HSET", `hash:${i}`];
        for (let f = 0; f < fields; f++) args.push(`f${f}`, `v${i % 1000}-${f}`);
        return args;
      },
      // the fields of the last hash, times the number of hashes, is checked below
      count: ["DBSIZE"],
    },
    {
      name: "zset",
      description: `1 sorted set of ${big} members`,
      elements: big,
      commands: Math.ceil(big / per),
      command(i) {
        const args = ["ZADD", "zset"];
        for (let j = i * per; j < Math.min(big, (i + 1) * per); j++) {
          // scores out of member order, some repeated, some fractional
          args.push(String((j * 7919) % 1_000_003 / 4), `member:${j}`);
        }
        return args;
      },
      count: ["ZCARD", "zset"],
    },
    {
      name: "list",
      description: `1 list of ${big} elements`,
      elements: big,
      commands: Math.ceil(big / per),
      command(i) {
        const args = ["RPUSH", "list"];
        for (let j = i * per; j < Math.min(big, (i + 1) * per); j++) args.push(`element:${j}`);
        return args;
      },
      count: ["LLEN", "list"],
    },
    {
      name: "set",
      description: `1 set of ${big} integers`,
      elements: big,
      commands: Math.ceil(big / per),
      command(i) {
        const args = ["SADD", "set"];
        for (let j = i * per; j < Math.min(big, (i + 1) * per); j++) args.push(String(j));
        return args;
      },
      count: ["SCARD", "set"],
    },
  ];
}

const enc = new TextEncoder();
const dec = new TextDecoder();

function encodeCommand(args: readonly string[]): string {
  let s = `*${args.length}\r\n`;
  for (const a of args) s += `$${a.length}\r\n${a}\r\n`;
  return s;
}

/** Resident set size of a process in bytes (Linux `/proc/<pid>/status` VmRSS). */
async function rss(pid: number): Promise<number> {
  const status = await Deno.readTextFile(`/proc/${pid}/status`);
  const m = /^VmRSS:\s+(\d+) kB$/m.exec(status);
  if (!m) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(m[1]) * 1024;
}

/**
 * A pipelining loader over one connection: sends commands in batches and
 * reads their single-line replies (integers or errors). The first error
 * reply is kept; loading stops there.
 */
class Loader implements Disposable {
  #conn: Deno.Conn;
  #buf = new Uint8Array(1 << 16);
  #pending = "";

  private constructor(conn: Deno.Conn) {
    this.#conn = conn;
  }

  /** Connects to 127.0.0.1:`port`. */
  static async connect(port: number): Promise<Loader> {
    return new Loader(await Deno.connect({ hostname: "127.0.0.1", port }));
  }

  /** The next line of the reply stream, without its CRLF. */
  async #line(): Promise<string> {
    let nl = this.#pending.indexOf("\r\n");
    while (nl === -1) {
      const n = await this.#conn.read(this.#buf);
      if (n === null) throw new Error("connection closed by the server");
      this.#pending += dec.decode(this.#buf.subarray(0, n));
      nl = this.#pending.indexOf("\r\n");
    }
    const line = this.#pending.slice(0, nl);
    this.#pending = this.#pending.slice(nl + 2);
    return line;
  }

  /** Sends the commands and returns their single-line replies, in order. */
  async send(commands: readonly (readonly string[])[]): Promise<string[]> {
    await writeAll(this.#conn, enc.encode(commands.map(encodeCommand).join("")));
    const lines: string[] = [];
    while (lines.length < commands.length) {
      const line = await this.#line();
      if (!/^[:\-+]/.test(line)) throw new Error(`unexpected reply ${JSON.stringify(line)}`);
      lines.push(line);
    }
    return lines;
  }

  /** A field of `INFO memory` (ASCII text, so its length in bytes is its length). */
  async infoMemory(field: string): Promise<number> {
    await writeAll(this.#conn, enc.encode(encodeCommand(["INFO", "memory"])));
    const head = await this.#line();
    if (!head.startsWith("$")) throw new Error(`unexpected INFO reply ${JSON.stringify(head)}`);
    let text = "";
    for (let i = 0; i < 1000 && text.length < Number(head.slice(1)); i++) {
      text += (await this.#line()) + "\r\n";
    }
    // the bulk string's own CRLF (its text ends with one too)
    if ((await this.#line()) !== "") throw new Error("malformed INFO reply");
    const m = new RegExp(`^${field}:(\\d+)`, "m").exec(text);
    if (!m) throw new Error(`no ${field} in INFO memory`);
    return Number(m[1]);
  }

  /** Runs the data set's commands; returns the first error reply, if any. */
  async load(data: DataSet): Promise<string | undefined> {
    const deadline = Date.now() + LOAD_TIMEOUT_MS;
    for (let i = 0; i < data.commands; i += BATCH) {
      if (Date.now() > deadline) throw new Error(`loading ${data.name} took too long`);
      const batch: string[][] = [];
      for (let j = i; j < Math.min(data.commands, i + BATCH); j++) batch.push(data.command(j));
      const replies = await this.send(batch);
      const error = replies.find((r) => r.startsWith("-"));
      if (error !== undefined) return error.slice(1);
    }
    return undefined;
  }

  /** Closes the connection. */
  [Symbol.dispose](): void {
    this.#conn.close();
  }
}

/** The number of elements a server holds for the data set (or an error text). */
async function countStored(loader: Loader, data: DataSet): Promise<number | string> {
  if (data.name === "hashes") {
    const [keys, fields] = await loader.send([["DBSIZE"], ["HLEN", `hash:${data.commands - 1}`]]);
    if (!fields.startsWith(":")) return shortError(fields.slice(1));
    return Number(keys.slice(1)) * Number(fields.slice(1));
  }
  const [reply] = await loader.send([data.count]);
  return reply.startsWith(":") ? Number(reply.slice(1)) : shortError(reply.slice(1));
}

interface Measure {
  /** Resident set size growth. */
  growth: number;
  /** `used_memory` growth (INFO memory). */
  used: number;
  stored: number | string;
  error?: string;
}

async function measure(peer: PeerProcess, data: DataSet): Promise<Measure> {
  using loader = await Loader.connect(peer.port);
  await loader.send([["PING"]]);
  await new Promise((r) => setTimeout(r, SETTLE_MS));
  const before = await rss(peer.pid);
  const usedBefore = await loader.infoMemory("used_memory");
  const error = await loader.load(data);
  await new Promise((r) => setTimeout(r, SETTLE_MS));
  const after = await rss(peer.pid);
  const usedAfter = await loader.infoMemory("used_memory");
  const stored = await countStored(loader, data);
  return { growth: after - before, used: usedAfter - usedBefore, stored, error };
}

/** An error reply for the table: up to the quoted arguments, cut short. */
function shortError(text: string): string {
  const cut = text.replace(/, with args beginning with:.*$/s, "");
  return cut.length > 60 ? `${cut.slice(0, 57)}...` : cut;
}

function mib(bytes: number): string {
  return (bytes / (1024 * 1024)).toFixed(1);
}

async function main(): Promise<number> {
  if (!(await hasExecutable("redis-server"))) {
    console.error("bench/memory.ts: redis-server is not installed; nothing to compare against");
    return 1;
  }
  const only = new Set(values.only!.split(","));
  const rows: string[][] = [[
    "data set",
    "redis-server MiB",
    "mini-redis MiB",
    "ratio",
    "target",
    "RSS bytes/element (redis, ours)",
    "used_memory MiB (redis, ours)",
    "elements stored (redis, ours)",
  ]];
  let failed = false;
  for (const data of dataSets()) {
    if (!only.has(data.name)) continue;
    await using peers = await startPeers();
    const theirs = await measure(peers.redis, data);
    const mine = await measure(peers.ours, data);
    console.error(
      `${data.description}: redis-server +${mib(theirs.growth)} MiB, ` +
        `mini-redis +${mib(mine.growth)} MiB${
          mine.error ? ` (error: ${shortError(mine.error)})` : ""
        }`,
    );
    const stored = `${theirs.stored}, ${mine.stored}`;
    if (theirs.error !== undefined) throw new Error(`redis-server: ${theirs.error}`);
    if (mine.error !== undefined) {
      failed = true;
      rows.push([
        data.description,
        mib(theirs.growth),
        "-",
        "-",
        `failed: ${shortError(mine.error)}`,
        "-",
        "-",
        stored,
      ]);
      continue;
    }
    const ratio = mine.growth / theirs.growth;
    const ok = ratio <= TARGET && mine.stored === data.elements;
    if (!ok) failed = true;
    rows.push([
      data.description,
      mib(theirs.growth),
      mib(mine.growth),
      `${ratio.toFixed(2)}x`,
      `<= ${TARGET}x ${ratio <= TARGET ? "ok" : "ABOVE"}`,
      `${(theirs.growth / data.elements).toFixed(0)}, ${(mine.growth / data.elements).toFixed(0)}`,
      `${mib(theirs.used)}, ${mib(mine.used)}`,
      stored,
    ]);
  }
  printTable(rows);
  console.log(
    `\nresident set size growth (VmRSS) of each server process while loading the data set, ` +
      `measured ${SETTLE_MS} ms after start-up and after loading; fresh servers per data set; ` +
      `${navigator.hardwareConcurrency} CPU(s)`,
  );
  return failed ? 2 : 0;
}

Deno.exit(await main());
