// Channel throughput as one table: messages/s for our channels and each peer,
// measured in the same run, and the ratios the targets are about.
//
//   deno run --allow-all bench/channels_report.ts [--rounds 7] [--messages 20000]
//
// Each round runs every implementation of a scenario once, in rotating order;
// a figure is the median of the rounds. Targets (capacity 32): faster than
// both npm peers, and at least 0.25x the minimal queue.

import { parseArgs } from "node:util";
import { BROADCAST, MPSC, MPSC_SCENARIOS, RECEIVERS, type Runner } from "./channels_cases.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    rounds: { type: "string", default: "7" },
    messages: { type: "string", default: "20000" },
  },
});
const ROUNDS = Number(values.rounds);
const N = Number(values.messages);

async function measure(
  impls: Record<string, Runner>,
  capacity: number,
  k: number,
): Promise<Record<string, number>> {
  const names = Object.keys(impls);
  const samples: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  for (const name of names) await impls[name](capacity, k, Math.min(N, 2000)); // warm-up
  for (let round = 0; round < ROUNDS; round++) {
    for (let j = 0; j < names.length; j++) {
      const name = names[(round + j) % names.length];
      const start = performance.now();
      await impls[name](capacity, k, N);
      samples[name].push(N / ((performance.now() - start) / 1000));
    }
  }
  const median = (xs: number[]) => xs.sort((a, b) => a - b)[xs.length >> 1];
  return Object.fromEntries(names.map((n) => [n, median(samples[n])]));
}

const fmt = (x: number) => x >= 1e6 ? `${(x / 1e6).toFixed(2)}M` : `${(x / 1e3).toFixed(0)}k`;
const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}x`;

const rows: string[] = [];
const verdicts: string[] = [];
rows.push(
  "| scenario | ours | ours+drain | mini | repeater | async-channel | ours/mini | ours/repeater | ours/async-channel |",
  "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
);
for (const { capacity, producers } of MPSC_SCENARIOS) {
  const r = await measure(MPSC, capacity, producers);
  const scenario = `mpsc cap ${capacity}, ${producers} prod`;
  rows.push(
    `| ${scenario} | ${fmt(r.ours)} | ${fmt(r["ours+drain"])} | ${fmt(r.mini)} | ${
      fmt(r.repeater)
    } | ${fmt(r["async-channel"])} | ${ratio(r.ours, r.mini)} | ${ratio(r.ours, r.repeater)} | ${
      ratio(r.ours, r["async-channel"])
    } |`,
  );
  if (capacity === 32) {
    const met = r.ours > r.repeater && r.ours > r["async-channel"] && r.ours / r.mini >= 0.25;
    verdicts.push(`${scenario}: ${met ? "target met" : "TARGET MISSED"}`);
  }
}
{
  const r = await measure(BROADCAST, 32, RECEIVERS);
  rows.push(
    `| broadcast cap 32, ${RECEIVERS} receivers | ${fmt(r.ours)} | - | ${fmt(r.mini)} | ${
      fmt(r.repeater)
    } | ${fmt(r["async-channel"])} | ${ratio(r.ours, r.mini)} | ${ratio(r.ours, r.repeater)} | ${
      ratio(r.ours, r["async-channel"])
    } |`,
  );
}

console.log(
  `messages/s, median of ${ROUNDS} rounds of ${N} messages (Deno ${Deno.version.deno})\n`,
);
console.log(rows.join("\n"));
console.log(
  "\nbroadcast peers fan out: one queue per receiver, each send awaited on all of them.",
);
console.log(verdicts.join("\n"));
