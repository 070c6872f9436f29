// Typed integer methods never round: an integer reply beyond 2^53 makes them
// throw a RangeError, and send() gives the exact bigint (ours and redis-server).

import assert from "node:assert/strict";
import { connect } from "../client/mod.ts";
import { eachPeer } from "./helpers.ts";

eachPeer("typed integer methods throw instead of rounding beyond 2^53", async (peer) => {
  await using c = await connect({ hostname: "127.0.0.1", port: peer.port });
  await c.set("n", "9007199254740990");
  assert.equal(await c.incr("n"), 9007199254740991); // 2^53 - 1: still exact
  await assert.rejects(() => c.incr("n"), RangeError);
  // (the INCR that threw did run: the counter is at 2^53 now)
  assert.equal(await c.send(["INCR", "n"]), 9007199254740993n);
  assert.equal(await c.get("n"), "9007199254740993");
});
