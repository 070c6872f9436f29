/**
 * Protocol fuzz: a seeded generator sends 100,000 random and mutated RESP
 * frames (valid commands, truncated frames, oversized and malformed
 * lengths, wrong type bytes, random bytes, inline junk, huge multibulk
 * counts), some sessions in RESP3 (`HELLO 3`), over 20 concurrent
 * connections, in randomly split writes.
 *
 * The main run sends every session, cut into the same writes, to a real
 * `redis-server` and to ours at once, and the bytes each connection gets
 * back must be identical (only the client id in a HELLO reply differs).
 * For that, each session works on keys and channels of its own, and the
 * generator avoids what depends on timing or on the server's identity
 * (TTLs, short expiries, DBSIZE, CLIENT ID/INFO) and NUL bytes (Redis finds
 * line ends with strchr, which stops at a NUL: it waits where we answer).
 * Checked on both servers too:
 * - every byte a connection receives parses as complete RESP replies
 *   (our `Decoder.next`), with nothing left over;
 * - a `-ERR Protocol error: ...` reply is the last thing a connection
 *   receives before the server closes it;
 * - a session of valid commands only gets exactly one reply per command;
 * - a control client on its own connection sees correct answers to a
 *   SET/GET/INCR workload the whole time, and the server still accepts
 *   connections at the end.
 *
 * Our server runs there as a `main.ts serve` process, like redis-server:
 * bytes arrive in the pieces the kernel makes, and a crash would end it. A
 * second run sends unrestricted sessions (NUL bytes, shared keys, short
 * expiries, TTLs) to our server in-process, which must release every
 * connection afterwards.
 *
 * The seed is printed; `FUZZ_SEED=<n>` replays a run (`FUZZ_SEED=random`
 * picks a new one), `FUZZ_FRAMES=<n>` changes the number of frames.
 *
 * @module
 */

import assert from "node:assert/strict";
import { Decoder, type Frame, ReplyError } from "../resp/mod.ts";
import {
  Changes,
  cmd,
  concat,
  HAVE_REDIS,
  latin1,
  mulberry32,
  RawClient,
  replyLength,
  startRedis,
  startServeProcess,
  startTestServer,
  waitFor,
} from "./helpers.ts";

const SEED: number = (() => {
  const env = Deno.env.get("FUZZ_SEED");
  if (env === "random") return (Math.random() * 2 ** 32) >>> 0;
  if (env !== undefined && env !== "") return Number(env) >>> 0;
  return 0x5eed_2026;
})();
const TOTAL_FRAMES = Number(Deno.env.get("FUZZ_FRAMES") ?? 100_000);
const CONNECTIONS = 20;
/** Safety net per session (the server must close within it); not a timing assertion. */
const SESSION_TIMEOUT_MS = 30_000;

const enc = new TextEncoder();

/** Random choices from a seeded stream. */
class Random {
  readonly #next: () => number;
  /**
   * Comparing with redis-server: no NUL bytes, keys and channels of the
   * session's own (`scope`), nothing that depends on timing or identity.
   */
  readonly compare: boolean;
  /** Prefix of the current session's keys and channels (compare mode). */
  scope = "";
  constructor(seed: number, compare: boolean) {
    this.#next = mulberry32(seed);
    this.compare = compare;
  }
  /** A float in [0, 1). */
  float(): number {
    return this.#next();
  }
  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.#next() * n);
  }
  /** An integer in [min, max]. */
  range(min: number, max: number): number {
    return min + this.int(max - min + 1);
  }
  chance(p: number): boolean {
    return this.#next() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }
  /** A random byte (never 0 in compare mode). */
  byte(): number {
    return this.compare ? 1 + this.int(255) : this.int(256);
  }
  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = this.byte();
    return out;
  }
  /** Printable ASCII without spaces or quotes (safe as an inline argument). */
  word(n: number): string {
    let s = "";
    for (let i = 0; i < n; i++) s += String.fromCharCode(this.pick(WORD_CHARS));
    return s;
  }
}

const WORD_CHARS = [
  ...enc.encode("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789:_-.*?"),
];

/** A generated command: its arguments and whether it gets exactly one reply. */
interface Command {
  args: (string | Uint8Array)[];
  /** One reply, no change of mode that adds or removes replies. */
  countable: boolean;
}

function key(r: Random): string {
  return `fuzz:${r.scope}${r.int(40)}`;
}

function channel(r: Random, n: number): string {
  return `fuzz.${r.scope}${r.int(n)}`;
}

function value(r: Random, big: boolean): string | Uint8Array {
  if (big && r.chance(0.02)) return r.bytes(r.range(1000, 20_000));
  if (r.chance(0.3)) return String(r.range(-1000, 1000));
  return r.chance(0.5) ? r.word(r.range(0, 16)) : r.bytes(r.range(0, 48));
}

/**
 * A valid command of the families both servers have, never one that
 * affects other clients or the server. `clean`: the session is not
 * mutated (allows big values and CONFIG GET).
 */
function validCommand(r: Random, clean: boolean): Command {
  const big = clean;
  const k = key(r);
  const c = (countable: boolean, ...args: (string | Uint8Array)[]): Command => ({
    args,
    countable,
  });
  switch (r.int(36)) {
    case 0:
      return c(true, "PING");
    case 1:
      return c(true, "PING", value(r, big));
    case 2:
      return c(true, "ECHO", value(r, big));
    case 3:
    case 4:
      return c(true, "SET", k, value(r, big));
    case 5:
      return c(
        true,
        "SET",
        k,
        value(r, big),
        "EX",
        String(r.range(r.compare ? 100 : 1, 1000)),
        "NX",
      );
    case 6:
      // (comparing: no expiry within the session, whatever the timing)
      return r.compare
        ? c(true, "SET", k, value(r, big), "PX", String(r.range(100_000, 200_000)), "GET")
        : c(true, "SET", k, value(r, big), "PX", String(r.range(1, 50)), "GET");
    case 7:
    case 8:
      return c(true, "GET", k);
    case 9:
      return c(true, "DEL", k, key(r), key(r));
    case 10:
      return c(true, "EXISTS", k, key(r));
    case 11:
      return c(true, "INCR", k);
    case 12:
      return c(true, "INCRBY", k, String(r.range(-100_000, 100_000)));
    case 13:
      return c(true, "INCRBYFLOAT", k, `${r.range(-100, 100)}.${r.int(1000)}`);
    case 14:
      return c(true, "APPEND", k, value(r, big));
    case 15:
      return c(true, "STRLEN", k);
    case 16:
      return c(true, "GETRANGE", k, String(r.range(-20, 20)), String(r.range(-20, 20)));
    case 17:
      // offsets stay below 10,000 so a mutated digit cannot ask for gigabytes
      return c(true, "SETRANGE", k, String(r.int(1000)), value(r, false));
    case 18:
      return c(true, "MGET", k, key(r), key(r), key(r));
    case 19:
      return c(true, "MSET", k, value(r, big), key(r), value(r, big));
    case 20:
      return c(true, "TYPE", k);
    case 21:
      return c(
        true,
        r.pick(r.compare ? ["PERSIST", "GETDEL"] : ["TTL", "PTTL", "PERSIST", "GETDEL"]),
        k,
      );
    case 22:
      return c(true, "EXPIRE", k, String(r.range(-5, 1000)));
    case 23:
      return r.compare ? c(true, "EXISTS", k) : c(true, "DBSIZE");
    case 24:
      return c(true, "KEYS", `fuzz:${r.scope}${r.int(4)}*`);
    case 25:
      return c(true, "PUBLISH", channel(r, 5), value(r, false));
    case 26:
      return c(true, r.pick(["NOSUCHCOMMAND", "GETT", "SETX"]), k);
    case 27:
      // wrong number of arguments
      return c(true, r.pick(["GET", "SET", "INCR", "ECHO"]));
    case 28:
      return c(true, "CLIENT", r.compare ? "GETNAME" : r.pick(["ID", "GETNAME", "INFO"]));
    case 29:
      return c(true, "CLIENT", "SETNAME", `fuzz-${r.word(r.range(1, 8))}`);
    case 30:
      // only where nothing mutates it: a mutated CONFIG GET can become a CONFIG SET
      if (r.compare) {
        return big ? c(true, "CONFIG", "GET", r.pick(["save", "appendonly"])) : c(true, "ECHO", k);
      }
      return big
        ? c(true, "CONFIG", "GET", r.pick(["maxclients", "save", "appendonly", "*max-*"]))
        : c(true, "CLIENT", "ID");
    case 31:
      return c(true, "HELLO", r.pick(["2", "3"]));
    case 32:
      return c(true, "SETBIT", k, String(r.int(1000)), r.pick(["0", "1"]));
    case 33:
      return c(false, "SUBSCRIBE", channel(r, 5), channel(r, 5));
    case 34:
      return c(false, r.pick(["PSUBSCRIBE", "PUNSUBSCRIBE"]), `${channel(r, 3)}*`);
    default:
      return c(false, r.pick(["UNSUBSCRIBE", "PUNSUBSCRIBE", "RESET", "QUIT"]));
  }
}

function isInlineSafe(args: (string | Uint8Array)[]): args is string[] {
  return args.every((a) => typeof a === "string" && /^[\x21-\x7e]+$/.test(a) && !/["']/.test(a));
}

/** A valid command encoded as multibulk, or as an inline command when possible. */
function encodeValid(r: Random, command: Command): Uint8Array {
  if (r.chance(0.1) && isInlineSafe(command.args)) {
    return enc.encode(command.args.join(r.pick([" ", "  ", "\t"])) + r.pick(["\r\n", "\n"]));
  }
  return cmd(...command.args);
}

const BAD_COUNTS = [
  "-5",
  "abc",
  "",
  "+3",
  " 3",
  "03",
  "99999999999999999999",
  "2147483648",
  "9223372036854775808",
  "1.5",
];
const BAD_BULK_LENGTHS = [
  "536870913",
  "-2",
  "abc",
  "",
  "99999999999999999999",
  "1099511627776",
  "3 ",
  "0x10",
];

/** Length of the inline request without a newline that is too long for Redis. */
const LONG_INLINE = 70_000;

/** Whether `frame` is that too long inline request. */
function isLongInline(frame: Uint8Array): boolean {
  return frame.length === LONG_INLINE && frame[0] === 88 && frame[LONG_INLINE - 1] === 88;
}

/** A malformed (or hostile but legal) frame, often derived from a valid one. */
function malformedFrame(r: Random): Uint8Array {
  const valid = cmd(...validCommand(r, false).args);
  switch (r.int(12)) {
    case 0: // truncated
      return valid.subarray(0, r.range(1, valid.length - 1));
    case 1: { // a byte replaced
      const out = valid.slice();
      out[r.int(out.length)] = r.byte();
      return out;
    }
    case 2: { // a byte deleted
      const at = r.int(valid.length);
      return concat([valid.subarray(0, at), valid.subarray(at + 1)]);
    }
    case 3: { // a declared length changed
      const text = latin1(valid);
      const lengths = [...text.matchAll(/\$(\d+)\r\n/g)];
      const m = r.pick(lengths);
      const n = Number(m[1]) + r.pick([-2, -1, 1, 2, 100, 70_000]);
      const at = m.index! + 1;
      return concat([
        valid.subarray(0, at),
        enc.encode(String(Math.max(0, n))),
        valid.subarray(at + m[1].length),
      ]);
    }
    case 4: // invalid multibulk count
      return enc.encode(`*${r.pick(BAD_COUNTS)}\r\n$4\r\nPING\r\n`);
    case 5: // invalid or oversized bulk length
      return enc.encode(`*2\r\n$3\r\nGET\r\n$${r.pick(BAD_BULK_LENGTHS)}\r\nk\r\n`);
    case 6: // wrong type byte where a bulk string must be
      return enc.encode(
        `*2\r\n$3\r\nGET\r\n${r.pick([":", "+", "-", "*", "%", "#", "_", "x"])}1\r\n`,
      );
    case 7: // random bytes
      return r.bytes(r.range(1, 200));
    case 8: { // inline junk: random words, unbalanced quotes, bare newlines
      const parts: string[] = [];
      for (let i = r.range(0, 6); i > 0; i--) {
        parts.push(
          r.pick([
            r.word(r.range(1, 10)),
            '"',
            "'",
            '"a"b',
            "\\x4",
            '"\\x41"',
            r.compare ? "\x01" : "\x00",
          ]),
        );
      }
      return enc.encode(parts.join(" ") + r.pick(["\r\n", "\n", "\r", ""]));
    }
    case 9: // huge but legal multibulk count: the server waits for elements that never come
      return enc.encode(`*${r.pick(["1048577", "2147483647", "100000"])}\r\n`);
    case 10: // a large but legal bulk length, then too few bytes
      return enc.encode(`*2\r\n$3\r\nGET\r\n$${r.pick(["65536", "1048576", "16777216"])}\r\nabc`);
    default: // an inline request without a newline, too long (> 64 KiB) for Redis
      // (Redis checks the 64 KiB limit only when a read leaves no newline in its buffer,
      // so a long line whose newline comes soon after may pass or not, depending on how
      // much each read takes: comparing, nothing follows it, see planSession.)
      return r.chance(0.1)
        ? enc.encode("X".repeat(LONG_INLINE))
        : enc.encode(`GET ${r.word(r.range(1, 5000))}`);
  }
}

/** One connection's worth of input. */
interface Session {
  /** All bytes, in the order sent. */
  bytes: Uint8Array;
  /** Number of frames in it. */
  frames: number;
  /** Valid, countable commands only: exactly `frames` replies expected. */
  clean: boolean;
  /** Number of malformed frames. */
  malformed: number;
  /** It starts with `HELLO 3`. */
  resp3: boolean;
}

function planSession(r: Random, maxFrames: number): Session {
  const frames = Math.min(maxFrames, r.range(1, 300));
  const clean = r.chance(0.35);
  const resp3 = r.chance(0.3);
  const mutationRate = clean ? 0 : r.pick([0.005, 0.02, 0.1, 0.5]);
  const parts: Uint8Array[] = [];
  let malformed = 0;
  for (let i = 0; i < frames; i++) {
    if (i === 0 && resp3) {
      parts.push(cmd("HELLO", "3"));
      continue;
    }
    if (!clean && r.chance(mutationRate)) {
      const frame = malformedFrame(r);
      parts.push(frame);
      malformed++;
      if (r.compare && isLongInline(frame)) {
        // Its error must not depend on when Redis reads the next newline: none follows.
        return { bytes: concat(parts), frames: i + 1, clean, malformed, resp3 };
      }
      continue;
    }
    let command = validCommand(r, clean);
    while (clean && !command.countable) command = validCommand(r, clean);
    parts.push(encodeValid(r, command));
  }
  return { bytes: concat(parts), frames, clean, malformed, resp3 };
}

/** Splits `bytes` into 1..8 chunks at random points (some tiny). */
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

function isConnectionGone(e: unknown): boolean {
  return e instanceof Deno.errors.ConnectionReset || e instanceof Deno.errors.BrokenPipe ||
    e instanceof Deno.errors.NotConnected;
}

/** What a session got back. */
interface Outcome {
  replies: Frame[];
  /** Every byte received, in order. */
  received: Uint8Array;
  /** Bytes left that do not form a complete reply. */
  leftover: number;
  /** Whether the server reset the connection (it closed with our bytes unread). */
  reset: boolean;
}

function describe(session: Session, where: string): string {
  const head = latin1(session.bytes.subarray(0, 300));
  return `${where}: session of ${session.frames} frame(s), clean=${session.clean}, ` +
    `resp3=${session.resp3}, malformed=${session.malformed}, ${session.bytes.length} bytes ` +
    `starting ${JSON.stringify(head)} (FUZZ_SEED=${SEED})`;
}

/**
 * Sends a session over a fresh connection, in the given writes, while
 * reading everything the server sends; then half-closes (for a clean
 * session once all replies are in) and reads until the server closes.
 */
async function runSession(port: number, chunks: Uint8Array[], session: Session, where: string) {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  conn.setNoDelay(true);
  const decoder = new Decoder();
  const received: Uint8Array[] = [];
  const outcome: Outcome = { replies: [], received: new Uint8Array(), leftover: 0, reset: false };
  let notify: (() => void) | undefined;
  const reading = (async () => {
    const buf = new Uint8Array(64 * 1024);
    for (;;) {
      let n: number | null;
      try {
        n = await conn.read(buf);
      } catch (e) {
        if (!isConnectionGone(e)) throw e;
        outcome.reset = true;
        break;
      }
      if (n === null) break;
      received.push(buf.slice(0, n));
      decoder.feed(buf.subarray(0, n));
      for (;;) {
        let frame: Frame | undefined;
        try {
          frame = decoder.next();
        } catch (e) {
          throw new Error(`${describe(session, where)}: invalid RESP from the server: ${e}`);
        }
        if (frame === undefined) break;
        outcome.replies.push(frame);
      }
      notify?.();
    }
    outcome.leftover = decoder.pending;
    outcome.received = concat(received);
    notify?.();
  })();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${describe(session, where)}: no close in ${SESSION_TIMEOUT_MS} ms`)),
      SESSION_TIMEOUT_MS,
    );
  });
  try {
    const writing = (async () => {
      for (const chunk of chunks) {
        try {
          let off = 0;
          while (off < chunk.length) off += await conn.write(chunk.subarray(off));
        } catch (e) {
          if (!isConnectionGone(e)) throw e;
          return; // the server closed (protocol error, QUIT): stop sending
        }
      }
      if (session.clean) {
        // half-closing early could cut replies still queued in redis-server
        await new Promise<void>((resolve) => {
          notify = () => {
            if (outcome.replies.length >= session.frames || outcome.reset) resolve();
          };
          notify();
        });
      }
      try {
        await conn.closeWrite();
      } catch (e) {
        if (!isConnectionGone(e)) throw e;
      }
    })();
    await Promise.race([Promise.all([writing, reading]), timedOut]);
  } finally {
    clearTimeout(timer);
    try {
      conn.close();
    } catch {
      // already closed
    }
    await reading.catch(() => {});
  }
  return outcome;
}

/** Frames as short readable text for failure messages. */
function show(frames: Frame[]): string {
  return JSON.stringify(frames, (_, v) => {
    if (v instanceof Uint8Array) return latin1(v.subarray(0, 40));
    if (v instanceof ReplyError) return `-${v.message}`;
    if (typeof v === "bigint") return String(v);
    if (
      v !== null && typeof v === "object" && !Array.isArray(v) &&
      Object.getPrototypeOf(v) !== Object.prototype
    ) {
      return { [v.constructor?.name ?? "object"]: { ...v } };
    }
    return v;
  });
}

function isProtocolError(frame: Frame): frame is ReplyError {
  return frame instanceof ReplyError && frame.message.startsWith("ERR Protocol error: ");
}

/** Totals over a run, printed at the end and checked for coverage. */
interface Stats {
  sessions: number;
  frames: number;
  malformed: number;
  bytes: number;
  replies: number;
  protocolErrors: number;
  cleanSessions: number;
  resp3Sessions: number;
  resets: number;
}

function newStats(): Stats {
  return {
    sessions: 0,
    frames: 0,
    malformed: 0,
    bytes: 0,
    replies: 0,
    protocolErrors: 0,
    cleanSessions: 0,
    resp3Sessions: 0,
    resets: 0,
  };
}

/** Checks one server's outcome of a session and counts it. */
function check(session: Session, outcome: Outcome, stats: Stats, where: string): void {
  stats.sessions++;
  stats.frames += session.frames;
  stats.malformed += session.malformed;
  stats.bytes += session.bytes.length;
  stats.replies += outcome.replies.length;
  if (session.resp3) stats.resp3Sessions++;
  if (outcome.reset) stats.resets++;
  assert.equal(outcome.leftover, 0, `${describe(session, where)}: a partial reply`);
  const errorAt = outcome.replies.findIndex(isProtocolError);
  if (errorAt !== -1) {
    stats.protocolErrors++;
    assert.equal(
      errorAt,
      outcome.replies.length - 1,
      `${describe(session, where)}: replies after "${
        (outcome.replies[errorAt] as ReplyError).message
      }": ${show(outcome.replies.slice(errorAt + 1, errorAt + 4))}`,
    );
  }
  if (session.clean) {
    stats.cleanSessions++;
    assert.equal(errorAt, -1, `${describe(session, where)}: a protocol error`);
    assert.equal(
      outcome.replies.length,
      session.frames,
      `${describe(session, where)}: one reply per command`,
    );
  }
}

/** The raw replies of a byte stream. */
function rawReplies(bytes: Uint8Array): string[] {
  const out: string[] = [];
  for (let pos = 0; pos < bytes.length;) {
    const n = replyLength(bytes, pos, bytes.length);
    if (n === -1) {
      out.push(`(incomplete) ${latin1(bytes.subarray(pos))}`);
      break;
    }
    out.push(latin1(bytes.subarray(pos, pos + n)));
    pos += n;
  }
  return out;
}

const UNSUBSCRIBED = /^([*>])3\r\n\$(1[12])\r\n(p?unsubscribe)\r\n\$(\d+)\r\n(.*)\r\n:(\d+)\r\n$/s;
const KEYS_LIKE = /^\*(\d+)\r\n((\$\d+\r\nfuzz:[^\r]*\r\n)+)$/;

/**
 * Replies made comparable between two servers, changing only what Redis
 * leaves to chance: the client id in a HELLO reply; the order of the keys
 * in a KEYS reply (an array of `fuzz:` keys) and of the channels in the
 * confirmations of an UNSUBSCRIBE or PUNSUBSCRIBE of everything (hash-table
 * order in Redis, with a random seed). The counts stay in order.
 */
function comparable(replies: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < replies.length; i++) {
    let r = replies[i].replace(/\$2\r\nid\r\n:\d+\r\n/, "$2\r\nid\r\n:ID\r\n");
    const keys = KEYS_LIKE.exec(r);
    if (keys !== null) {
      const items = r.slice(r.indexOf("\r\n") + 2).match(/\$\d+\r\n[^\r]*\r\n/g)!;
      r = `*${keys[1]}\r\n${items.sort().join("")}`;
    }
    const first = UNSUBSCRIBED.exec(r);
    if (first !== null) {
      const group = [first];
      while (i + 1 < replies.length) {
        const m = UNSUBSCRIBED.exec(replies[i + 1]);
        if (m === null || m[3] !== first[3]) break;
        group.push(m);
        i++;
      }
      const names = group.map((m) => m[5]).sort();
      out.push(
        `(${first[3]} of ${group.length}: channels ${JSON.stringify(names)}, counts ${
          group.map((m) => m[6]).join(",")
        }, ${first[1]})`,
      );
      continue;
    }
    out.push(r);
  }
  return out;
}

/** One server a run sends its sessions to. */
interface Target {
  readonly name: string;
  readonly port: number;
  readonly stats: Stats;
}

/**
 * One connection's sessions, each sent to every target in the same writes;
 * with two targets (redis-server first) their replies must be identical.
 */
async function worker(
  targets: readonly Target[],
  compare: boolean,
  index: number,
  frames: number,
  stop: () => boolean,
): Promise<void> {
  const r = new Random((SEED ^ Math.imul(index + 1, 0x9e3779b9)) >>> 0, compare);
  let sent = 0;
  let n = 0;
  while (sent < frames && !stop()) {
    if (compare) r.scope = `${index}.${n}:`;
    const session = planSession(r, frames - sent);
    sent += session.frames;
    const where = `connection ${index}, session ${n++}`;
    const chunks = split(r, session.bytes);
    const outcomes = await Promise.all(
      targets.map((t) => runSession(t.port, chunks, session, `${where} [${t.name}]`)),
    );
    targets.forEach((t, i) => check(session, outcomes[i], t.stats, `${where} [${t.name}]`));
    sessionsFinished++;
    progress.notify();
    if (targets.length === 2) {
      const [theirs, ours] = outcomes.map((o) => comparable(rawReplies(o.received)));
      for (let i = 0; i < Math.max(theirs.length, ours.length); i++) {
        if (ours[i] === theirs[i]) continue;
        assert.fail(
          `${describe(session, where)}: reply ${i} differs from redis-server's\n` +
            `  redis-server: ${JSON.stringify(theirs[i]?.slice(0, 300))}\n` +
            `  mini-redis:   ${JSON.stringify(ours[i]?.slice(0, 300))}\n` +
            `  (replies before it: ${JSON.stringify(theirs.slice(Math.max(0, i - 3), i))})`,
        );
      }
    }
  }
}

/** Wakes the control clients each time a worker finishes a session (or the run ends). */
const progress = new Changes();
let sessionsFinished = 0;

/**
 * The control client: a SET/GET/INCR workload whose every answer is known,
 * one round per session the workers finish (so it runs the whole time
 * without taking the CPU from them).
 */
async function control(port: number, done: () => boolean): Promise<number> {
  await using c = await RawClient.connect(port);
  assert.equal(await c.call("DEL", "control:counter"), ":0\r\n");
  let i = 0;
  while (!done()) {
    const seen = sessionsFinished;
    await progress.until(() => sessionsFinished > seen || done(), "a finished session");
    i++;
    const v = `value-${i}-${"x".repeat(i % 50)}`;
    const k = `control:${i % 100}`;
    assert.deepEqual(
      await c.calls([["SET", k, v], ["GET", k], ["INCR", "control:counter"], ["EXISTS", k]]),
      ["+OK\r\n", `$${v.length}\r\n${v}\r\n`, `:${i}\r\n`, ":1\r\n"],
      `control client, iteration ${i} (FUZZ_SEED=${SEED})`,
    );
  }
  assert.equal(await c.call("GET", "control:counter"), `$${String(i).length}\r\n${i}\r\n`);
  return i;
}

/** Runs the fuzz against `targets` (one, or redis-server and ours to compare). */
async function fuzz(targets: readonly Target[], compare: boolean): Promise<void> {
  console.log(`fuzz seed ${SEED} (replay with FUZZ_SEED=${SEED}), ${TOTAL_FRAMES} frames`);
  // the control clients run until the workers are done; the workers stop early if anything fails
  let finished = false;
  let failed = false;
  const stop = () => failed;
  const perWorker = Math.ceil(TOTAL_FRAMES / CONNECTIONS);
  const onFailure = (e: unknown) => {
    failed = true;
    progress.notify();
    throw e;
  };
  const results = await Promise.allSettled([
    Promise.all(targets.map((t) => control(t.port, () => finished || failed))).catch(onFailure),
    Promise.all(
      Array.from(
        { length: CONNECTIONS },
        (_, i) => worker(targets, compare, i, perWorker, stop).catch(onFailure),
      ),
    ).finally(() => {
      finished = true;
      progress.notify();
    }),
  ]);
  for (const r of results) if (r.status === "rejected") throw r.reason;
  const iterations = (results[0] as PromiseFulfilledResult<number[]>).value;
  for (const [i, t] of targets.entries()) {
    const s = t.stats;
    console.log(
      `${t.name}: ${s.sessions} sessions (${s.resp3Sessions} in RESP3), ${s.frames} frames ` +
        `(${s.malformed} malformed), ${(s.bytes / 1e6).toFixed(1)} MB sent, ` +
        `${s.replies} replies, ${s.protocolErrors} protocol errors, ` +
        `${s.resets} resets, ${s.cleanSessions} clean sessions; ` +
        `control client: ${iterations[i]} rounds`,
    );
    // the run exercised what it claims to
    assert.ok(s.frames >= TOTAL_FRAMES, `${s.frames} frames sent`);
    assert.ok(s.protocolErrors > 0, "no protocol error was provoked");
    assert.ok(s.cleanSessions > 0, "no clean session");
    assert.ok(s.resp3Sessions > 0, "no RESP3 session");
    assert.ok(iterations[i] > 0, "the control client never ran");
    // still serving, and still correct
    await using c = await RawClient.connect(t.port);
    assert.equal(await c.call("PING"), "+PONG\r\n");
    assert.equal(
      await c.call("GET", "control:counter"),
      `$${String(iterations[i]).length}\r\n${iterations[i]}\r\n`,
    );
  }
}

Deno.test({
  name: `fuzz: ${TOTAL_FRAMES} random and mutated frames over ${CONNECTIONS} connections, ` +
    `same replies as redis-server [mini-redis as a main.ts serve process]` +
    (HAVE_REDIS ? "" : " (ignored: redis-server is not installed)"),
  ignore: !HAVE_REDIS,
  fn: async () => {
    // Ours out of process, like redis-server: bytes arrive in the pieces the kernel makes,
    // neither server shares the test's event loop, and a crash would end the process.
    await using redis = await startRedis();
    const srv = await startServeProcess(["--log-level", "error"]);
    let code: number | undefined;
    try {
      await fuzz([
        { name: "redis-server", port: redis.port, stats: newStats() },
        { name: "mini-redis", port: srv.port, stats: newStats() },
      ], true);
    } finally {
      code = await srv.close();
    }
    assert.equal(code, 0, "the server process was still running and exited 0");
  },
});

Deno.test(
  `fuzz: ${TOTAL_FRAMES} random and mutated frames over ${CONNECTIONS} connections, ` +
    `unrestricted (NUL bytes, shared keys, expiries) [mini-redis]`,
  async () => {
    await using ours = await startTestServer();
    await fuzz([{ name: "mini-redis", port: ours.port, stats: newStats() }], false);
    // every connection was closed and released by our server
    await waitFor(() => ours.server.connections === 0, { what: "0 connections" });
  },
);
