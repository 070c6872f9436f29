/**
 * The protocol-level fuzz in the test suite: random and damaged RESP frames
 * over 50 connections at once against our server (a measured process of
 * its own), a control client whose replies stay right throughout, and the
 * heap after collection back at its baseline afterwards. The suite sends
 * 40,000 frames; `deno task fuzz --protocol --frames 1000000` is the long
 * run. `PROTOCOL_FUZZ_SEED=<n>` replays another seed.
 *
 * @module
 */

import assert from "node:assert/strict";
import { runProtocolFuzz } from "./protocol.ts";
import { startMeasured } from "../../support/child_servers.ts";

const SEED = Number(Deno.env.get("PROTOCOL_FUZZ_SEED") ?? 0x50_2026) >>> 0;
const FRAMES = 40_000;

Deno.test({
  name: `protocol fuzz: ${FRAMES} random and damaged frames over 50 connections (seed ${SEED})`,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using srv = await startMeasured({ args: ["--log-level", "error"] });
    const r = await runProtocolFuzz({
      port: srv.port,
      pid: srv.pid,
      seed: SEED,
      frames: FRAMES,
      connections: 50,
      measureHeap: true,
    });
    assert.deepEqual(r.problems, []);
    assert.equal(r.frames, FRAMES);
    // the run exercised what it is for
    assert.ok(r.malformed > 500, `${r.malformed} damaged frames`);
    assert.ok(r.protocolErrors > 20, `${r.protocolErrors} protocol errors`);
    assert.ok(r.sessions > 100, `${r.sessions} connections`);
    assert.ok(r.controlCommands > 0, "the control client never ran");
    // what the connections left behind is gone
    assert.ok(
      r.finalHeap - r.baselineHeap < 4 * 1024 * 1024,
      `heap after collection: ${(r.baselineHeap / 2 ** 20).toFixed(1)} MB before, ${
        (r.finalHeap / 2 ** 20).toFixed(1)
      } MB after`,
    );
  },
});
