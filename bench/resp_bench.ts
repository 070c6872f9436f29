/**
 * RESP codec benchmarks, each against a peer on the same bytes in the same
 * run: our Decoder against the npm package redis-parser (the parser ioredis
 * used) on a pipelined SET/GET request stream and on a mixed reply stream,
 * both cut into 64 KiB chunks, and our Encoder against naive per-command
 * concatenation. deno bench prints times and ratios; for frames/s and MB/s
 * run `deno run --allow-all bench/resp_report.ts`.
 *
 *     deno bench --allow-all bench/resp_bench.ts
 *
 * @module
 */

import { Encoder } from "../resp/mod.ts";
import {
  asBuffers,
  chunked,
  commandArgs,
  naiveEncode,
  oursCommands,
  oursEncode,
  oursReplies,
  redisParser,
  replyStream,
  requestStream,
} from "./resp_data.ts";

const req = requestStream();
const reqChunks = chunked(req.bytes);
const reqBuffers = asBuffers(reqChunks);

function check(name: string, got: number, want: number): void {
  if (got !== want) throw new Error(`${name}: decoded ${got} frames, expected ${want}`);
}

Deno.bench({
  name: "redis-parser (returnBuffers)",
  group: "decode 10k SET/GET requests",
  baseline: true,
  fn: () => check("redis-parser", redisParser(reqBuffers, true), req.frames),
});
Deno.bench({
  name: "ours nextCommand()",
  group: "decode 10k SET/GET requests",
  fn: () => check("ours", oursCommands(reqChunks), req.frames),
});
Deno.bench({
  name: "redis-parser (strings)",
  group: "decode 10k SET/GET requests",
  fn: () => check("redis-parser", redisParser(reqBuffers, false), req.frames),
});

const rep = replyStream();
const repChunks = chunked(rep.bytes);
const repBuffers = asBuffers(repChunks);

Deno.bench({
  name: "redis-parser (returnBuffers)",
  group: "decode 10k mixed replies",
  baseline: true,
  fn: () => check("redis-parser", redisParser(repBuffers, true), rep.frames),
});
Deno.bench({
  name: "ours next() zeroCopy (views)",
  group: "decode 10k mixed replies",
  fn: () => check("ours", oursReplies(repChunks, true), rep.frames),
});
Deno.bench({
  name: "ours next() (copies)",
  group: "decode 10k mixed replies",
  fn: () => check("ours", oursReplies(repChunks), rep.frames),
});
Deno.bench({
  name: "redis-parser (strings)",
  group: "decode 10k mixed replies",
  fn: () => check("redis-parser", redisParser(repBuffers, false), rep.frames),
});

const cmds = commandArgs();
const encoder = new Encoder();

Deno.bench({
  name: "naive per-command concat",
  group: "encode 10k SET/GET commands",
  baseline: true,
  fn: () => {
    naiveEncode(cmds);
  },
});
Deno.bench({
  name: "ours writeCommand() into one buffer",
  group: "encode 10k SET/GET commands",
  fn: () => {
    oursEncode(encoder, cmds);
  },
});
