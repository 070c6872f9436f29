// INFO commandstats, errorstats, latencystats and total_error_replies:
// the same requests to redis-server and to ours give the same counts (calls,
// rejected and failed calls per command, errors by code); times differ, so
// they are compared by shape. CONFIG RESETSTAT clears them.

import assert from "node:assert/strict";
import {
  type Arg,
  eachPeer,
  parseReply,
  RawClient,
  startRedis,
  startTestServer,
} from "./helpers.ts";

const REQUESTS: Arg[][] = [
  ["SET", "a", "1"],
  ["GET", "a"],
  ["GET", "a"],
  ["GET"],
  ["NOSUCH", "x"],
  ["INCR", "a"],
  ["SET", "s", "x"],
  ["INCR", "s"],
  ["HSET", "s", "f", "v"],
  ["CONFIG", "GET", "maxclients"],
  ["CONFIG", "SET"],
  ["HSET", "h", "f"],
];

async function stats(port: number): Promise<Record<string, string>> {
  await using c = await RawClient.connect(port);
  await c.call("CONFIG", "RESETSTAT"); // (the start-up check of the test helper ran INFO)
  for (const r of REQUESTS) await c.call(...r);
  const text = parseReply(
    await c.call("INFO", "commandstats", "errorstats", "latencystats", "stats"),
  );
  const out: Record<string, string> = {};
  for (const line of (text as string).split("\r\n")) {
    const colon = line.indexOf(":");
    if (colon === -1) continue;
    const name = line.slice(0, colon);
    let value = line.slice(colon + 1);
    if (name.startsWith("cmdstat_")) value = value.replace(/usec=\d+,usec_per_call=[\d.]+,/, "");
    if (name.startsWith("latency_percentiles_usec_")) value = value.replace(/[\d.]+/g, "N");
    if (
      name.startsWith("cmdstat_") || name.startsWith("errorstat_") || name.startsWith("latency_") ||
      name === "total_error_replies"
    ) {
      out[name] = value;
    }
  }
  out["after RESETSTAT"] = String(
    await (async () => {
      await using c2 = await RawClient.connect(port);
      await c2.call("CONFIG", "RESETSTAT");
      return parseReply(await c2.call("INFO", "errorstats"));
    })(),
  );
  return out;
}

Deno.test("INFO commandstats, errorstats and latencystats count as Redis 7.0.15", async () => {
  await using redis = await startRedis();
  await using ours = await startTestServer();
  const theirs = await stats(redis.port);
  const mine = await stats(ours.port);
  // the INFO call itself is counted by the time its own reply is made
  assert.deepEqual(mine, theirs);
  assert.equal(theirs["errorstat_ERR"], "count=5");
});

eachPeer(
  "INFO latencystats follows latency-tracking and latency-tracking-info-percentiles",
  async (p) => {
    await using c = await RawClient.connect(p.port);
    const latency = async () => {
      const text = parseReply(await c.call("INFO", "latencystats")) as string;
      return text.split("\r\n").filter((l) => l.startsWith("latency_percentiles_usec_ping:"))
        .map((l) => l.replace(/=[\d.]+/g, "=N"));
    };
    assert.equal(await c.call("CONFIG", "RESETSTAT"), "+OK\r\n");
    assert.equal(
      await c.call("CONFIG", "SET", "latency-tracking-info-percentiles", "50 99.99999 0"),
      "+OK\r\n",
    );
    await c.call("PING");
    assert.deepEqual(await latency(), ["latency_percentiles_usec_ping:p50=N,p99.99999=N,p0=N"]);
    assert.equal(await c.call("CONFIG", "SET", "latency-tracking-info-percentiles", ""), "+OK\r\n");
    assert.deepEqual(await latency(), ["latency_percentiles_usec_ping:"]);
    assert.equal(await c.call("CONFIG", "SET", "latency-tracking", "no"), "+OK\r\n");
    assert.equal(await c.call("CONFIG", "RESETSTAT"), "+OK\r\n");
    await c.call("PING");
    assert.deepEqual(await latency(), []);
  },
);
