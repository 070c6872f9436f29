/**
 * Slow and broken clients, resource limits, and a client facing a broken
 * network. Server-side cases run against a real redis-server first (which
 * proves the test right) and then ours:
 *
 * - half a frame, then silence: `timeout` closes the idle client;
 * - a subscriber that never reads while others publish: its output buffer
 *   limit disconnects it, the other subscriber gets every message;
 * - a client that resets the connection in the middle of a pipeline;
 * - a client that half-closes after its commands: every reply, then EOF;
 * - stalled, reset and half-closed clients, and subscribers cut off by
 *   their output buffer limit, many times over: the server's heap after
 *   collection is back at its baseline;
 * - `maxclients` above the open-file limit is lowered with a warning
 *   (redis-server here; ours in `faults_pending.ts` until it does);
 * - accept errors (EMFILE) do not spin: the server backs off, then serves.
 *
 * Client side: a `BufferedClient` behind a fault-injecting proxy that
 * chunks, delays, black-holes, drops and cuts replies: every caller gets
 * its own reply or a clear error, none hangs, none gets another's reply.
 *
 * @module
 */

import assert from "node:assert/strict";
import { eachPeer, latin1, RawClient, startTestServer, waitFor } from "./helpers.ts";
import { FaultProxy } from "./support/fault_proxy.ts";
import { startMeasured, startRedisLimited, startServe } from "../support/child_servers.ts";
import {
  halfClose,
  halfFrameStall,
  heapGrowth,
  onlyClientLeft,
  resetMidPipeline,
  slowSubscribers,
} from "./fuzz/faulty_clients.ts";
import { BufferedClient, ConnectionError } from "../client/mod.ts";
import { startServer } from "../server/mod.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------
// The server's side: each scenario once

eachPeer(
  "half a frame, then silence: timeout closes the idle client, others go on",
  async (peer) => {
    await using control = await RawClient.connect(peer.port);
    assert.equal(await control.call("CONFIG", "SET", "timeout", "1"), "+OK\r\n");
    await using staller = await halfFrameStall(peer.port);
    // the control client keeps talking while the staller waits
    const closed = staller.readUntilClose({ timeoutMs: 15_000 });
    let answered = 0;
    let done = false;
    closed.finally(() => done = true);
    while (!done) {
      assert.equal(await control.call("PING"), "+PONG\r\n");
      answered++;
      await sleep(100);
    }
    // closed without a reply (the half command never ran)
    assert.equal(latin1(await closed), "");
    assert.ok(answered > 0);
    assert.equal(await control.call("EXISTS", "k"), ":0\r\n");
    await onlyClientLeft(control, "the staller gone");
  },
);

eachPeer(
  "a subscriber that never reads: its output buffer limit disconnects it, the others see every message",
  async (peer) => {
    await using control = await RawClient.connect(peer.port);
    assert.equal(
      await control.call("CONFIG", "SET", "client-output-buffer-limit", "pubsub 262144 0 0"),
      "+OK\r\n",
    );
    await using slow = await RawClient.connect(peer.port);
    await using good = await RawClient.connect(peer.port);
    for (const s of [slow, good]) {
      assert.match(await s.call("SUBSCRIBE", "news"), /^\*3\r\n\$9\r\nsubscribe\r\n/);
    }
    // 300 messages of 64 KB: far more than the limit plus the sockets' buffers
    const MESSAGES = 300;
    const payload = (i: number) => `${String(i).padStart(6, "0")}${"x".repeat(64 * 1024 - 6)}`;
    const reading = (async () => {
      const got = await good.readStrings(MESSAGES, { timeoutMs: 60_000 });
      for (let i = 0; i < MESSAGES; i++) {
        const p = payload(i);
        assert.equal(got[i], `*3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n$${p.length}\r\n${p}\r\n`);
      }
    })();
    const receivers: number[] = [];
    for (let i = 0; i < MESSAGES; i++) {
      const r = await control.call("PUBLISH", "news", payload(i));
      receivers.push(Number(r.slice(1, -2)));
    }
    await reading;
    // both received at first; the slow one was cut off somewhere along the way
    assert.equal(receivers[0], 2);
    assert.equal(receivers.at(-1), 1, `receivers: ${receivers.join(",")}`);
    assert.ok(receivers.every((n, i) => i === 0 || n <= receivers[i - 1]));
    // what the slow subscriber gets is a prefix of the messages, then the end
    await slow.readUntilClose({ timeoutMs: 30_000 });
    await onlyClientLeft(control, "the slow subscriber gone", 2);
    assert.equal(await good.call("PING"), "*2\r\n$4\r\npong\r\n$0\r\n\r\n");
  },
);

eachPeer(
  "a client resets the connection in the middle of a pipeline: the server carries on",
  async (peer) => {
    await using control = await RawClient.connect(peer.port);
    for (let i = 0; i < 5; i++) await resetMidPipeline(peer.port, control);
    // also a reset with a half-sent command
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: peer.port });
    await conn.write(new TextEncoder().encode("*2\r\n$3\r\nGET\r\n$3\r\nbi"));
    conn.close();
    await onlyClientLeft(control, "the reset clients gone");
    assert.equal(await control.call("STRLEN", "big"), `:${64 * 1024}\r\n`);
    assert.equal(await control.call("PING"), "+PONG\r\n");
  },
);

eachPeer(
  "a client half-closes after its commands: it gets every reply, then the end",
  async (peer) => {
    await using control = await RawClient.connect(peer.port);
    const got = await halfClose(peer.port, 100);
    let expected = "";
    for (let i = 0; i < 100; i++) expected += `:${Math.floor(i / 3) + 1}\r\n`;
    assert.equal(got, expected);
    await onlyClientLeft(control, "the half-closed client gone");
  },
);

// ---------------------------------------------------------------------------
// Memory after all of it, many times

// ---------------------------------------------------------------------------
// Memory after all of it, many times

Deno.test({
  name: "after stalled, reset and half-closed clients, the heap is back at its baseline",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using srv = await startMeasured({ args: ["--log-level", "error"] });
    await using control = await RawClient.connect(srv.port);
    await control.call("CONFIG", "SET", "timeout", "1");
    const { grew, baseline } = await heapGrowth(srv.port, async () => {
      const stallers = await Promise.all(
        Array.from({ length: 50 }, () => halfFrameStall(srv.port)),
      );
      for (let i = 0; i < 20; i++) await resetMidPipeline(srv.port, control);
      await Promise.all(Array.from({ length: 20 }, () => halfClose(srv.port, 50)));
      await onlyClientLeft(control, "every faulty client gone");
      for (const c of stallers) c.close();
      await control.call("DEL", "big", "hc:0", "hc:1", "hc:2");
    });
    assert.ok(
      grew < 1024 * 1024,
      `heap after collection grew by ${(grew / 1024).toFixed(0)} KB over three rounds ` +
        `(baseline ${(baseline / 2 ** 20).toFixed(1)} MB)`,
    );
  },
});

Deno.test({
  name: "after subscribers cut off by their output buffer limit, the heap is back at its baseline",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using srv = await startMeasured({ args: ["--log-level", "error"] });
    await using control = await RawClient.connect(srv.port);
    await control.call("CONFIG", "SET", "client-output-buffer-limit", "pubsub 262144 0 0");
    const { grew, baseline } = await heapGrowth(srv.port, async () => {
      const slow = await slowSubscribers(srv.port, control, 5);
      await onlyClientLeft(control, "the slow subscribers gone");
      for (const c of slow) c.close();
    });
    assert.ok(
      grew < 1024 * 1024,
      `heap after collection grew by ${(grew / 1024).toFixed(0)} KB over three rounds ` +
        `(baseline ${(baseline / 2 ** 20).toFixed(1)} MB)`,
    );
  },
});

// ---------------------------------------------------------------------------
// Resource limits

Deno.test({
  name: "maxclients above the open-file limit is lowered, with Redis's warning [redis-server]",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using redis = await startRedisLimited({ fdLimit: 256, args: ["--maxclients", "10000"] });
    await using c = await RawClient.connect(redis.port);
    assert.equal(
      await c.call("CONFIG", "GET", "maxclients"),
      "*2\r\n$10\r\nmaxclients\r\n$3\r\n224\r\n",
    );
    assert.match(
      redis.output(),
      /Current maximum open files is 256\. maxclients has been reduced to 224 to compensate for low ulimit\. If you need higher maxclients increase 'ulimit -n'\./,
    );
  },
});

Deno.test({
  name: "accept errors (EMFILE) back off instead of spinning, and accepting resumes",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const real = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    let failing = true;
    let calls = 0;
    // the real listener, whose accept() fails with EMFILE while `failing`
    const listener = new Proxy(real, {
      get(target, prop) {
        if (prop === "accept") {
          return async () => {
            calls++;
            if (failing) {
              await sleep(0);
              throw new Error("Too many open files (os error 24)");
            }
            return await target.accept();
          };
        }
        const v = Reflect.get(target, prop, target);
        return typeof v === "function" ? v.bind(target) : v;
      },
    });
    await using server = await startServer({ listener, logLevel: "silent" });
    await sleep(1500);
    const during = calls;
    // a spinning loop would have called accept() thousands of times by now
    assert.ok(during >= 2 && during <= 20, `accept() called ${during} times in 1.5 s`);
    failing = false;
    await using c = await RawClient.connect(server.addr.port);
    assert.equal(await c.call("PING"), "+PONG\r\n");
  },
});

Deno.test({
  name: "out of file descriptors for real: the server backs off, then serves again",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using ours = await startServe({ fdLimit: 64, args: ["--max-clients", "1000"] });
    const conns = await Promise.all(
      Array.from({ length: 100 }, () => Deno.connect({ hostname: "127.0.0.1", port: ours.port })),
    );
    await sleep(1500);
    const failures = ours.output().split("\n").filter((l) => l.includes("accept failed")).length;
    for (const c of conns) c.close();
    // a spinning accept loop logs thousands of lines; backing off, a handful
    assert.ok(failures <= 30, `${failures} accept failures logged in 1.5 s`);
    await waitFor(async () => {
      try {
        await using c = await RawClient.connect(ours.port);
        return (await c.call("PING")) === "+PONG\r\n";
      } catch {
        return false;
      }
    }, { what: "serving again", timeoutMs: 10_000, intervalMs: 100 });
  },
});

// ---------------------------------------------------------------------------
// The client's side: BufferedClient behind a faulty network

/** What happened to each caller. */
interface Outcome {
  ok: number;
  connectionErrors: number;
  timeouts: number;
}

/**
 * `n` concurrent callers each ECHO their own value (some large); each must
 * get exactly its value or a ConnectionError/TimeoutError, within a bound.
 */
async function callers(
  client: BufferedClient,
  n: number,
  tag: string,
  bigValues = true,
): Promise<Outcome> {
  const out: Outcome = { ok: 0, connectionErrors: 0, timeouts: 0 };
  const value = (i: number) =>
    `${tag}:${i}:${bigValues && i % 17 === 0 ? "z".repeat(40_000) : "v".repeat(i % 50)}`;
  const all = Promise.all(Array.from({ length: n }, async (_, i) => {
    try {
      const got = await client.echo(value(i));
      assert.equal(got, value(i), `caller ${i} got another caller's reply`);
      out.ok++;
    } catch (e) {
      if (e instanceof ConnectionError) out.connectionErrors++;
      else if (e instanceof DOMException && e.name === "TimeoutError") out.timeouts++;
      else throw e;
    }
  }));
  let timer: ReturnType<typeof setTimeout> | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${tag}: a caller still waits after 30 s`)), 30_000);
  });
  try {
    await Promise.race([all, hang]);
  } finally {
    clearTimeout(timer);
  }
  return out;
}

async function withProxy(
  fn: (proxy: FaultProxy, client: BufferedClient) => Promise<void>,
  clientOptions: { commandTimeout?: number } = {},
): Promise<void> {
  await using srv = await startTestServer();
  await using proxy = FaultProxy.start(srv.port, { seed: 7 });
  await using client = await BufferedClient.connect(`127.0.0.1:${proxy.port}`, {
    reconnect: { initialDelay: 10, maxDelay: 100, maxWait: 10_000 },
    ...clientOptions,
  });
  await fn(proxy, client);
}

Deno.test({
  name: "BufferedClient: segments cut anywhere and delayed, every caller gets its own reply",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await withProxy(async (proxy, client) => {
      proxy.faults = { chunk: 7 };
      const r = await callers(client, 300, "chunked", false);
      assert.deepEqual(r, { ok: 300, connectionErrors: 0, timeouts: 0 });
      // a delay before each of a few hundred segments
      proxy.faults = { chunk: 64, delayMs: 2 };
      const d = await callers(client, 100, "delayed", false);
      assert.deepEqual(d, { ok: 100, connectionErrors: 0, timeouts: 0 });
      // big replies cut anywhere
      proxy.faults = { chunk: 4096 };
      const b = await callers(client, 100, "big");
      assert.deepEqual(b, { ok: 100, connectionErrors: 0, timeouts: 0 });
    });
  },
});

Deno.test({
  name:
    "BufferedClient: connections closed in the middle of a reply, callers get their reply or a ConnectionError",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await withProxy(async (proxy, client) => {
      proxy.faults = { chunk: 64 };
      let errors = 0;
      for (let round = 0; round < 10; round++) {
        proxy.cutNextReply();
        const r = await callers(client, 100, `cut${round}`);
        assert.equal(r.ok + r.connectionErrors, 100);
        assert.equal(r.timeouts, 0);
        errors += r.connectionErrors;
      }
      assert.ok(proxy.cut >= 10, `${proxy.cut} replies cut`);
      assert.ok(errors > 0, "no caller saw a cut-off reply");
      // reconnected and in step
      proxy.faults = {};
      assert.deepEqual(await callers(client, 50, "after"), {
        ok: 50,
        connectionErrors: 0,
        timeouts: 0,
      });
    });
  },
});

Deno.test({
  name:
    "BufferedClient: connections dropped under load, callers get their reply or a ConnectionError",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await withProxy(async (proxy, client) => {
      let errors = 0;
      for (let round = 0; round < 5; round++) {
        // commands written and unanswered when the connection drops
        proxy.faults = { blackhole: true };
        const running = callers(client, 200, `drop${round}`);
        await sleep(20);
        proxy.dropAll();
        proxy.faults = { chunk: 2000 };
        const r = await running;
        assert.equal(r.ok + r.connectionErrors, 200);
        errors += r.connectionErrors;
        // and a drop in the middle of the traffic
        const busy = callers(client, 200, `busy${round}`);
        await sleep(2);
        proxy.dropAll();
        const b = await busy;
        assert.equal(b.ok + b.connectionErrors, 200);
      }
      assert.ok(errors > 0, "no command was in flight when its connection dropped");
      proxy.faults = {};
      assert.deepEqual(await callers(client, 50, "after"), {
        ok: 50,
        connectionErrors: 0,
        timeouts: 0,
      });
      assert.ok(proxy.accepted >= 6, `${proxy.accepted} connections: the client did not reconnect`);
    });
  },
});

Deno.test({
  name:
    "BufferedClient: a server that stops answering, commandTimeout rejects, late replies never reach the wrong caller",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await withProxy(async (proxy, client) => {
      proxy.faults = { blackhole: true };
      const r = await callers(client, 60, "held");
      assert.deepEqual(r, { ok: 0, connectionErrors: 0, timeouts: 60 });
      // the held requests and their replies now arrive, late, in small pieces:
      // they are read and discarded, and the next callers get their own replies
      proxy.faults = { chunk: 256 };
      assert.deepEqual(await callers(client, 100, "after", false), {
        ok: 100,
        connectionErrors: 0,
        timeouts: 0,
      });
    }, { commandTimeout: 300 });
  },
});
