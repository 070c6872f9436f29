/**
 * Prints frames/s and MB/s of our RESP codec against redis-parser (and a
 * naive encoder) on the same bytes in the same run; deno bench prints only
 * times and ratios. The contenders of a table run interleaved, round after
 * round, and each row is the median round, so that garbage left behind by
 * one contender does not bias the next.
 *
 *     deno run --allow-all bench/resp_report.ts [--rounds 15] [--ms 150] [--clock cpu|wall] [--only requests|replies|encode]
 *
 * @module
 */

import process from "node:process";
import { parseArgs } from "node:util";
import { Encoder } from "../resp/mod.ts";
import {
  asBuffers,
  chunked,
  commandArgs,
  floorFrames,
  floorWalk,
  naiveEncode,
  oursCommands,
  oursEncode,
  oursReplies,
  redisParser,
  replyStream,
  requestStream,
} from "./resp_data.ts";

const { values } = parseArgs({
  options: {
    rounds: { type: "string", default: "15" },
    ms: { type: "string", default: "150" },
    only: { type: "string" },
    clock: { type: "string", default: "cpu" },
  },
});
/** Process CPU time (user + system, all threads) or wall time, in ms. */
const clock = values.clock === "wall" ? () => performance.now() : () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const only = values.only;
const ROUNDS = Number(values.rounds);
const ROUND_MS = Number(values.ms);

interface Contender {
  name: string;
  run: () => number;
}

function table(
  title: string,
  frames: number,
  bytes: number,
  contenders: Contender[],
  baseline: number,
) {
  // warm up every contender
  for (const c of contenders) {
    for (let i = 0; i < 30; i++) {
      if (c.run() !== frames) throw new Error(`${c.name}: wrong frame count`);
    }
  }
  const rates: number[][] = contenders.map(() => []);
  for (let r = 0; r < ROUNDS; r++) {
    contenders.forEach((c, k) => {
      let iterations = 0;
      const start = performance.now();
      const c0 = clock();
      while (performance.now() - start < ROUND_MS) {
        c.run();
        iterations++;
      }
      rates[k].push(iterations / ((clock() - c0) / 1000)); // iterations per second
    });
  }
  const mid = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const median = rates.map(mid);
  // The ratio is the median of per-round ratios: neighbours in time see the
  // same machine load, so this is robust when the machine is busy.
  const ratio = rates.map((rs) => mid(rs.map((r, i) => r / rates[baseline][i])));
  console.log(`\n${title}`);
  console.log(`| contender | frames/s | MB/s | vs ${contenders[baseline].name} |`);
  console.log("| --- | ---: | ---: | ---: |");
  contenders.forEach((c, k) => {
    const it = median[k];
    console.log(
      `| ${c.name} | ${(it * frames / 1e6).toFixed(2)} M | ${(it * bytes / 1e6).toFixed(0)} | ${
        ratio[k].toFixed(2)
      }x |`,
    );
  });
}

console.log(
  `Deno ${Deno.version.deno}, V8 ${Deno.version.v8}; ${ROUNDS} interleaved rounds of ${ROUND_MS} ms; rates per ${
    values.clock === "wall" ? "wall" : "CPU"
  } second (medians), ratios medians of per-round ratios`,
);

if (!only || only === "requests") {
  const req = requestStream();
  const reqChunks = chunked(req.bytes);
  const reqBuffers = asBuffers(reqChunks);
  table(
    `decode: ${req.frames} pipelined SET/GET requests, ${req.bytes.length} bytes in ${reqChunks.length} chunks of 64 KiB`,
    req.frames,
    req.bytes.length,
    [
      { name: "ours nextCommand()", run: () => oursCommands(reqChunks) },
      { name: "redis-parser (returnBuffers)", run: () => redisParser(reqBuffers, true) },
      { name: "redis-parser (strings)", run: () => redisParser(reqBuffers, false) },
    ],
    1,
  );
}
if (!only || only === "replies") {
  const rep = replyStream();
  const repChunks = chunked(rep.bytes);
  const repBuffers = asBuffers(repChunks);
  table(
    `decode: ${rep.frames} mixed replies, ${rep.bytes.length} bytes in ${repChunks.length} chunks of 64 KiB`,
    rep.frames,
    rep.bytes.length,
    [
      { name: "ours next() zeroCopy (views)", run: () => oursReplies(repChunks, true) },
      { name: "ours next() (copies)", run: () => oursReplies(repChunks) },
      { name: "redis-parser (returnBuffers)", run: () => redisParser(repBuffers, true) },
      { name: "redis-parser (strings)", run: () => redisParser(repBuffers, false) },
    ],
    2,
  );
  const whole = [rep.bytes];
  const wholeBuffers = asBuffers(whole);
  table(
    "where the time goes: the same replies in ONE buffer (no chunk boundaries)",
    rep.frames,
    rep.bytes.length,
    [
      { name: "floor: walk the headers only", run: () => floorWalk(rep.bytes, false) },
      {
        name: "floor: walk + one view per bulk, one array per array",
        run: () => floorWalk(rep.bytes, true),
      },
      {
        name: "floor: walk + the frames (views, filled arrays), no validation",
        run: () => floorFrames(rep.bytes),
      },
      { name: "ours next() zeroCopy (views)", run: () => oursReplies(whole, true) },
      { name: "redis-parser (returnBuffers)", run: () => redisParser(wholeBuffers, true) },
    ],
    4,
  );
}
if (!only || only === "encode") {
  const cmds = commandArgs();
  const encoder = new Encoder();
  const encodedBytes = oursEncode(encoder, cmds);
  table(
    `encode: ${cmds.length} SET/GET commands into one batch (${encodedBytes} bytes)`,
    cmds.length,
    encodedBytes,
    [
      { name: "ours writeCommand()", run: () => oursEncode(encoder, cmds) && cmds.length },
      { name: "naive per-command concat", run: () => naiveEncode(cmds) && cmds.length },
    ],
    1,
  );
}
