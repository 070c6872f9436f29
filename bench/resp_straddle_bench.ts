/**
 * Request decoding when commands straddle read boundaries, against
 * redis-parser on the same chunks in the same run: the pipelined SET/GET
 * stream cut into 480-byte and 16 KiB reads (almost every read ends inside
 * a command), and cut at command boundaries only (no straddles) for
 * comparison. Guards the straddle path of `Decoder.nextCommand()` (bridge,
 * pull, relocate), which once ran 20-30% slower than the plain path.
 *
 *     deno bench --allow-all bench/resp_straddle_bench.ts
 *
 * @module
 */

import { asBuffers, oursCommands, redisParser, requestStream } from "./resp_data.ts";

const req = requestStream();

/** Cuts `input` into `size`-byte pieces (copies, as socket reads would be). */
function cut(input: Uint8Array, size: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < input.length; i += size) out.push(input.slice(i, i + size));
  return out;
}

/** Cuts `input` at the last command boundary before every `size` bytes. */
function cutWhole(input: Uint8Array, size: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  let start = 0;
  let last = 0;
  for (let i = 0; i < input.length; i++) {
    // A request starts with `*` right after an LF (payloads here are letters and digits).
    if (input[i] === 42 && (i === 0 || input[i - 1] === 10)) {
      if (i - start > size && last > start) {
        out.push(input.slice(start, last));
        start = last;
      }
      last = i;
    }
  }
  out.push(input.slice(start));
  return out;
}

function check(name: string, got: number, want: number): void {
  if (got !== want) throw new Error(`${name}: decoded ${got} frames, expected ${want}`);
}

for (
  const [group, chunks] of [
    ["480-byte reads", cut(req.bytes, 480)],
    ["16 KiB reads", cut(req.bytes, 16 * 1024)],
    ["reads of whole commands (about 480 bytes)", cutWhole(req.bytes, 480)],
  ] as const
) {
  const buffers = asBuffers([...chunks]);
  Deno.bench({
    name: "redis-parser (returnBuffers)",
    group: `decode 10k SET/GET requests, ${group}`,
    baseline: true,
    fn: () => check("redis-parser", redisParser(buffers, true), req.frames),
  });
  Deno.bench({
    name: "ours nextCommand()",
    group: `decode 10k SET/GET requests, ${group}`,
    fn: () => check("ours", oursCommands([...chunks]), req.frames),
  });
}
