/**
 * Deterministic inputs and decode loops shared by bench/resp_bench.ts and
 * bench/resp_report.ts: a pipelined SET/GET request stream and a mixed reply
 * stream, both cut into 64 KiB chunks, decoded by our Decoder and by the npm
 * package redis-parser (the parser ioredis used) on the same bytes.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import Parser from "redis-parser";
import { Decoder, Encoder } from "../resp/mod.ts";
import { cmds, mulberry32 } from "../support/wire.ts";

/** The chunk size the streams are cut into (a typical socket read). */
export const CHUNK = 64 * 1024;

function bytesOf(rnd: () => number, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = 97 + Math.floor(rnd() * 26);
  return out;
}

/** Cuts `input` into CHUNK-sized pieces (copies, as socket reads would be). */
export function chunked(input: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < input.length; i += CHUNK) out.push(input.slice(i, i + CHUNK));
  return out;
}

/** A stream of `n` pipelined requests, alternating SET key value (3-64 byte values) and GET key. */
export function requestStream(n = 10_000): { bytes: Uint8Array; frames: number } {
  const rnd = mulberry32(42);
  const e = new Encoder();
  for (let i = 0; i < n; i++) {
    const key = `key:${String(Math.floor(rnd() * 100_000)).padStart(6, "0")}`;
    if (i % 2 === 0) e.writeCommand(["SET", key, bytesOf(rnd, 3 + Math.floor(rnd() * 62))]);
    else e.writeCommand(["GET", key]);
  }
  return { bytes: e.take().slice(), frames: n };
}

/**
 * A stream of `n` replies: bulk strings of 10 B to 10 KB (log-uniform), +OK,
 * integers, arrays of 1-10 short bulk strings/integers, and null bulks.
 */
export function replyStream(n = 10_000): { bytes: Uint8Array; frames: number } {
  const rnd = mulberry32(7);
  const e = new Encoder({ protocol: 2 });
  for (let i = 0; i < n; i++) {
    const r = rnd();
    if (r < 0.35) e.write(bytesOf(rnd, Math.floor(10 * 1024 ** rnd())));
    else if (r < 0.5) e.writeRaw(new TextEncoder().encode("+OK\r\n"));
    else if (r < 0.7) e.write(Math.floor(rnd() * 1_000_000));
    else if (r < 0.9) {
      const items = Array.from(
        { length: 1 + Math.floor(rnd() * 10) },
        () => rnd() < 0.7 ? bytesOf(rnd, 10 + Math.floor(rnd() * 90)) : Math.floor(rnd() * 1000),
      );
      e.write(items);
    } else e.write(null);
  }
  return { bytes: e.take().slice(), frames: n };
}

/** Node Buffers viewing the same chunks (redis-parser needs Buffer methods). */
export function asBuffers(chunks: Uint8Array[]): Buffer[] {
  return chunks.map((c) => Buffer.from(c.buffer, c.byteOffset, c.length));
}

/** Decodes requests with our nextCommand; returns the number of commands. */
export function oursCommands(chunks: Uint8Array[]): number {
  const d = new Decoder();
  let n = 0;
  for (const c of chunks) {
    d.feed(c);
    while (d.nextCommand() !== undefined) n++;
  }
  return n;
}

/** Decodes replies with our next() (copies, or views with zeroCopy); returns the number of frames. */
export function oursReplies(chunks: Uint8Array[], zeroCopy = false): number {
  const d = new Decoder({ zeroCopy });
  let n = 0;
  for (const c of chunks) {
    d.feed(c);
    while (d.next() !== undefined) n++;
  }
  return n;
}

/** Decodes with redis-parser; returns the number of frames. */
export function redisParser(chunks: Buffer[], returnBuffers: boolean): number {
  let n = 0;
  const p = new Parser({
    returnReply: () => {
      n++;
    },
    returnError: () => {
      n++;
    },
    returnBuffers,
  });
  for (const c of chunks) p.execute(c);
  return n;
}

/** Commands to encode: the SET/GET mix as argument lists. */
export function commandArgs(n = 10_000): (string | Uint8Array)[][] {
  const rnd = mulberry32(99);
  const out: (string | Uint8Array)[][] = [];
  for (let i = 0; i < n; i++) {
    const key = `key:${String(Math.floor(rnd() * 100_000)).padStart(6, "0")}`;
    out.push(i % 2 === 0 ? ["SET", key, bytesOf(rnd, 3 + Math.floor(rnd() * 62))] : ["GET", key]);
  }
  return out;
}

/** Our encoder: every command into one reused buffer; returns the byte count. */
export function oursEncode(encoder: Encoder, commands: (string | Uint8Array)[][]): number {
  for (const c of commands) encoder.writeCommand(c);
  return encoder.take().length;
}

/**
 * The naive way: each command built from per-part Uint8Arrays, concatenated,
 * then the commands concatenated into one batch (one write per batch, as ours
 * does). This is the tests' reference encoder, `cmds` of `tests/wire.ts`.
 */
export function naiveEncode(commands: (string | Uint8Array)[][]): number {
  return cmds(commands).length;
}

/**
 * A lower bound for any reply parser, for the analysis in resp_report.ts:
 * walks the headers of a RESP2 stream held in ONE buffer (no chunk
 * boundaries, no validation, no frames built) and, with `views`, also
 * creates what a binary-safe parser must return (one view per bulk string,
 * one array per array). Returns the number of top-level frames.
 */
export function floorWalk(buf: Uint8Array, views: boolean): number {
  const end = buf.length;
  const ab = buf.buffer;
  const base = buf.byteOffset;
  let pos = 0;
  let frames = 0;
  let open = 0; // elements still expected by the arrays in progress
  let sink = 0;
  while (pos < end) {
    const type = buf[pos];
    let i = pos + 1;
    const negative = buf[i] === 45;
    if (negative) i++;
    let v = 0;
    let c;
    while ((c = buf[i]) !== 13) {
      v = v * 10 + c - 48;
      i++;
    }
    pos = i + 2;
    if (type === 36 && !negative) {
      if (views) sink += new Uint8Array(ab, base + pos, v).length;
      pos += v + 2;
    } else if (type === 42 && !negative && v > 0) {
      if (views) sink += new Array(v).length;
      if (open === 0) frames++;
      open += v;
      continue;
    }
    if (open > 0) open--;
    else frames++;
  }
  return frames + (sink & 0);
}

/**
 * A tighter lower bound than {@linkcode floorWalk}: the same header walk
 * (no validation, ONE buffer), but building the frames a caller gets — one
 * view per bulk string, arrays filled with their elements, integers and
 * nulls — and handing each top-level frame to a sink. Returns the number of
 * top-level frames.
 */
export function floorFrames(buf: Uint8Array): number {
  const end = buf.length;
  const ab = buf.buffer;
  const base = buf.byteOffset;
  let pos = 0;
  const one = (): unknown => {
    const type = buf[pos];
    let i = pos + 1;
    const negative = buf[i] === 45;
    if (negative) i++;
    let v = 0;
    let c;
    while ((c = buf[i]) !== 13) {
      v = v * 10 + c - 48;
      i++;
    }
    pos = i + 2;
    if (negative) return null;
    if (type === 36) {
      const view = new Uint8Array(ab, base + pos, v);
      pos += v + 2;
      return view;
    }
    if (type === 42) {
      const items: unknown[] = new Array(v);
      for (let k = 0; k < v; k++) items[k] = one();
      return items;
    }
    return v;
  };
  let frames = 0;
  while (pos < end) {
    floorSink = one();
    frames++;
  }
  return frames;
}

/** Where {@linkcode floorFrames} puts each frame, so that none is optimised away. */
export let floorSink: unknown = null;
