/**
 * Pub/sub fan-out benchmark: 1 publisher, 50 subscribers on one channel,
 * 20,000 messages, against `redis-server` and our server in the same run
 * (rounds alternate which goes first; best round of each).
 *
 * The clients are raw TCP connections in this process, so the client side
 * costs the same for both servers: the publisher pipelines `PUBLISH`
 * commands (a bounded window of batches) and checks that every reply is
 * `:50` (every subscriber got it); each subscriber counts the bytes of the
 * `message` frames it receives (all the same size) and checks the last one.
 * Reported: messages delivered per second (publishes × subscribers over the
 * time from the first publish to the last delivery), publishes per second,
 * and the ratio to redis-server.
 *
 *     deno run --allow-all bench/pubsub.ts [--subscribers 50]
 *       [--messages 20000] [--size 32] [--rounds 5] [--batch 100]
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
    subscribers: { type: "string", default: "50" },
    messages: { type: "string", default: "20000" },
    size: { type: "string", default: "32" },
    rounds: { type: "string", default: "5" },
    batch: { type: "string", default: "100" },
  },
});

const SUBSCRIBERS = Number(values.subscribers);
const MESSAGES = Number(values.messages);
const SIZE = Number(values.size);
const ROUNDS = Number(values.rounds);
const BATCH = Number(values.batch);
/** Batches in flight before the publisher waits for replies. */
const WINDOW = 4;
/** A round that takes longer than this failed (a safety net). */
const ROUND_TIMEOUT_MS = 120_000;
const CHANNEL = "bench:fanout";

const enc = new TextEncoder();

function bulk(s: string): string {
  return `$${enc.encode(s).length}\r\n${s}\r\n`;
}

/** Reads exactly `n` bytes (or throws on EOF). */
async function readExactly(conn: Deno.Conn, n: number): Promise<Uint8Array> {
  const out = new Uint8Array(n);
  let got = 0;
  while (got < n) {
    const r = await conn.read(out.subarray(got));
    if (r === null) throw new Error("connection closed by the server");
    got += r;
  }
  return out;
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** One subscriber: subscribes, then counts message bytes until all have arrived. */
class Subscriber {
  readonly #conn: Deno.TcpConn;
  constructor(conn: Deno.TcpConn) {
    this.#conn = conn;
  }

  static async connect(port: number): Promise<Subscriber> {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    conn.setNoDelay(true);
    const sub = new Subscriber(conn);
    await writeAll(conn, enc.encode(`*2\r\n${bulk("SUBSCRIBE")}${bulk(CHANNEL)}`));
    const confirm = enc.encode(`*3\r\n${bulk("subscribe")}${bulk(CHANNEL)}:1\r\n`);
    const got = await readExactly(conn, confirm.length);
    if (!equal(got, confirm)) throw new Error(`unexpected SUBSCRIBE reply ${got}`);
    return sub;
  }

  /** Resolves when `total` bytes of messages arrived; checks the last frame. */
  async receive(total: number, frame: Uint8Array): Promise<void> {
    const buf = new Uint8Array(256 * 1024);
    let got = 0;
    // the last frame.length bytes received (a frame may straddle reads)
    let tail = new Uint8Array(0);
    while (got < total) {
      const n = await this.#conn.read(buf);
      if (n === null) throw new Error(`subscriber closed after ${got} of ${total} bytes`);
      got += n;
      const joined = new Uint8Array(tail.length + Math.min(n, frame.length));
      joined.set(tail);
      joined.set(buf.subarray(n - Math.min(n, frame.length), n), tail.length);
      tail = joined.slice(Math.max(0, joined.length - frame.length));
    }
    if (got !== total) throw new Error(`subscriber got ${got} bytes, expected ${total}`);
    if (!equal(tail, frame)) throw new Error("the last message frame differs from the one sent");
  }

  close(): void {
    this.#conn.close();
  }
}

/** Publishes `MESSAGES` messages in pipelined batches; checks every reply is `:<subscribers>`. */
async function publish(conn: Deno.TcpConn, payload: string): Promise<void> {
  const command = enc.encode(`*3\r\n${bulk("PUBLISH")}${bulk(CHANNEL)}${bulk(payload)}`);
  const reply = enc.encode(`:${SUBSCRIBERS}\r\n`);
  const batches = Math.ceil(MESSAGES / BATCH);
  const batchBytes = (count: number) => {
    const out = new Uint8Array(command.length * count);
    for (let i = 0; i < count; i++) out.set(command, i * command.length);
    return out;
  };
  const full = batchBytes(BATCH);
  const sizes = Array.from({ length: batches }, (_, i) => Math.min(BATCH, MESSAGES - i * BATCH));
  let acked = 0;
  let wake: (() => void) | undefined;
  const reading = (async () => {
    for (const count of sizes) {
      const got = await readExactly(conn, reply.length * count);
      for (let i = 0; i < count; i++) {
        if (!equal(got.subarray(i * reply.length, (i + 1) * reply.length), reply)) {
          throw new Error(
            `PUBLISH replied ${new TextDecoder().decode(got.subarray(i * reply.length))}`,
          );
        }
      }
      acked++;
      wake?.();
    }
  })();
  let failed = false;
  reading.catch(() => {
    failed = true;
    wake?.();
  });
  for (let i = 0; i < batches && !failed; i++) {
    while (i - acked >= WINDOW && !failed) await new Promise<void>((resolve) => wake = resolve);
    await writeAll(conn, sizes[i] === BATCH ? full : batchBytes(sizes[i]));
  }
  await reading;
}

interface RoundResult {
  seconds: number;
}

async function round(peer: PeerProcess): Promise<RoundResult> {
  const payload = "m".repeat(SIZE);
  const frame = enc.encode(`*3\r\n${bulk("message")}${bulk(CHANNEL)}${bulk(payload)}`);
  const subs: Subscriber[] = [];
  const pub = await Deno.connect({ hostname: "127.0.0.1", port: peer.port });
  pub.setNoDelay(true);
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    for (let i = 0; i < SUBSCRIBERS; i++) subs.push(await Subscriber.connect(peer.port));
    const start = performance.now();
    const work = Promise.all([
      publish(pub, payload),
      ...subs.map((s) => s.receive(frame.length * MESSAGES, frame)),
    ]);
    await Promise.race([
      work,
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`${peer.name}: round not done in ${ROUND_TIMEOUT_MS} ms`)),
          ROUND_TIMEOUT_MS,
        );
      }),
    ]);
    return { seconds: (performance.now() - start) / 1000 };
  } finally {
    clearTimeout(timer);
    pub.close();
    for (const s of subs) s.close();
  }
}

async function main(): Promise<number> {
  if (!(await hasExecutable("redis-server"))) {
    console.error("bench/pubsub.ts: redis-server is not installed; nothing to compare against");
    return 1;
  }
  await using peers = await startPeers();
  const best = new Map<string, number>();
  for (let r = 0; r < ROUNDS; r++) {
    const order = r % 2 === 0 ? [peers.redis, peers.ours] : [peers.ours, peers.redis];
    for (const peer of order) {
      const { seconds } = await round(peer);
      best.set(peer.name, Math.min(best.get(peer.name) ?? Infinity, seconds));
      console.error(
        `round ${r + 1}/${ROUNDS} ${peer.name}: ${seconds.toFixed(3)} s, ` +
          `${Math.round((MESSAGES * SUBSCRIBERS) / seconds)} deliveries/s`,
      );
    }
  }
  const redisSeconds = best.get("redis-server")!;
  const rows: string[][] = [["server", "deliveries/s", "publishes/s", "time (s)", "ratio"]];
  for (const name of ["redis-server", "mini-redis"]) {
    const s = best.get(name)!;
    rows.push([
      name,
      Math.round((MESSAGES * SUBSCRIBERS) / s).toString(),
      Math.round(MESSAGES / s).toString(),
      s.toFixed(3),
      `${(redisSeconds / s).toFixed(2)}x`,
    ]);
  }
  printTable(rows);
  console.log(
    `\n1 publisher, ${SUBSCRIBERS} subscribers, ${MESSAGES} messages of ${SIZE} bytes ` +
      `(PUBLISH pipelined ${BATCH} per write, ${WINDOW} writes in flight); ` +
      `best of ${ROUNDS} round(s); ${navigator.hardwareConcurrency} CPU(s)`,
  );
  return 0;
}

Deno.exit(await main());
