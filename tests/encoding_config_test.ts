// The CONFIG parameters of the compact encodings (hash-max-listpack-entries
// and friends, with their ziplist aliases): values, ranges, memory units and
// error texts compared with a real redis-server, in RESP2 and RESP3.

import { compareWithRedis } from "./support/redis_compare.ts";

const NAMES = [
  "hash-max-listpack-entries",
  "hash-max-ziplist-entries",
  "hash-max-listpack-value",
  "hash-max-ziplist-value",
  "set-max-intset-entries",
  "zset-max-listpack-entries",
  "zset-max-ziplist-entries",
  "zset-max-listpack-value",
  "zset-max-ziplist-value",
  "list-max-listpack-size",
  "list-max-ziplist-size",
  "list-compress-depth",
];

Deno.test("encoding thresholds: CONFIG GET/SET like Redis 7.0.15", async () => {
  const steps: string[] = [];
  for (const name of NAMES) {
    steps.push(`CONFIG GET ${name}`);
    for (const v of ["1kb", "-1", "abc", "7", "0", "99999999999", "-3", "2147483648"]) {
      steps.push(`CONFIG SET ${name} ${v}`, `CONFIG GET ${name}`);
    }
    steps.push(`CONFIG SET ${name.toUpperCase()} x`);
  }
  await compareWithRedis({ "encoding thresholds": steps });
});
