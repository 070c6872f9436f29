// Channel throughput: `deno bench --allow-all bench/channels_bench.ts`.
//
// One group per scenario; within a group, our channel and its peers move the
// same number of messages in the same run (`ours` is the baseline, so the
// summary reads "ours is N x faster/slower than peer"). Messages/s and ratios
// in one table: `deno run --allow-all bench/channels_report.ts`.

import { BROADCAST, MPSC, MPSC_SCENARIOS, RECEIVERS } from "./channels_cases.ts";

const N = 10_000;
// Bounded iteration counts keep the slow peers (repeater: ~100 ms per
// iteration) from stretching the run; ratios are what matter.
const ITERATIONS = { n: 40, warmup: 5 };
const BROADCAST_CAPACITY = 32;

for (const { capacity, producers } of MPSC_SCENARIOS) {
  const group = `mpsc capacity ${capacity}, ${producers} producer${producers > 1 ? "s" : ""}`;
  for (const [name, run] of Object.entries(MPSC)) {
    Deno.bench({
      name: `${name} (${N} messages)`,
      group,
      baseline: name === "ours",
      ...ITERATIONS,
      fn: async () => {
        await run(capacity, producers, N);
      },
    });
  }
}

for (const [name, run] of Object.entries(BROADCAST)) {
  Deno.bench({
    name: `${name} (${N} messages)`,
    group: `broadcast capacity ${BROADCAST_CAPACITY}, ${RECEIVERS} receivers`,
    baseline: name === "ours",
    ...ITERATIONS,
    fn: async () => {
      await run(BROADCAST_CAPACITY, RECEIVERS, N);
    },
  });
}
