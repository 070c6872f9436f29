// Tests for channels/: mpsc, oneshot, broadcast, watch.
//
// Deterministic: nothing is timed. `settle()` lets pending promise work (and
// the Web Streams machinery behind waiting mpsc sends) run to completion by
// waiting one macrotask; it never decides an outcome by racing a clock.

import assert from "node:assert/strict";
import {
  broadcast,
  LaggedError,
  mpsc,
  oneshot,
  RecvError,
  SendError,
  watch,
} from "../channels/mod.ts";
import { mulberry32 } from "./wire.ts";

/** Lets every queued microtask (and the stream machinery) run. */
async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise<void>((resolve) => setTimeout(resolve, 0));
}

type State = "pending" | "fulfilled" | "rejected";

/** Tracks a promise's state without changing it; the rejection counts as handled. */
function track<T>(promise: Promise<T>): { readonly state: State; value?: T; error?: unknown } {
  const t: { state: State; value?: T; error?: unknown } = { state: "pending" };
  promise.then((value) => {
    t.state = "fulfilled";
    t.value = value;
  }, (error) => {
    t.state = "rejected";
    t.error = error;
  });
  return t;
}

// ---------------------------------------------------------------- mpsc

Deno.test("mpsc: values arrive in order, then the end marker after the last sender", async () => {
  const [tx, rx] = mpsc.channel<number>(4);
  await tx.send(1);
  await tx.send(2);
  assert.equal(rx.length, 2);
  assert.equal(await rx.recv(), 1);
  await tx.send(3);
  tx.close();
  assert.equal(rx.closed, true);
  assert.equal(rx.done, false, "values are still queued");
  assert.equal(await rx.recv(), 2);
  assert.equal(await rx.recv(), 3);
  assert.equal(rx.done, true);
  assert.equal(await rx.recv(), undefined);
  assert.equal(await rx.recv(), undefined, "the end marker repeats");
});

Deno.test("mpsc: a pending recv gets the end marker when the last sender is released", async () => {
  const [tx, rx] = mpsc.channel<string>(2);
  const pending = track(rx.recv());
  await settle();
  assert.equal(pending.state, "pending");
  tx.close();
  await settle();
  assert.equal(pending.state, "fulfilled");
  assert.equal(pending.value, undefined);
});

for (const capacity of [1, 3, 32]) {
  Deno.test(`mpsc: backpressure waits at exactly capacity ${capacity}`, async () => {
    const [tx, rx] = mpsc.channel<number>(capacity);
    const first = [];
    for (let i = 0; i < capacity; i++) first.push(track(tx.send(i)));
    await settle();
    assert.ok(first.every((t) => t.state === "fulfilled"), "the first `capacity` sends resolve");
    const over1 = track(tx.send(capacity));
    const over2 = track(tx.send(capacity + 1));
    await settle();
    assert.equal(over1.state, "pending", "send number capacity+1 waits");
    assert.equal(over2.state, "pending");
    assert.equal(tx.trySend(-1), false, "trySend reports full");
    assert.equal(rx.length, capacity);

    assert.equal(await rx.recv(), 0);
    await settle();
    assert.equal(over1.state, "fulfilled", "one recv lets exactly one waiting send in");
    assert.equal(over2.state, "pending");
    assert.equal(rx.length, capacity);

    assert.equal(await rx.recv(), 1);
    await settle();
    assert.equal(over2.state, "fulfilled");
    tx.close();
    const rest = [];
    for await (const v of rx) rest.push(v);
    assert.deepEqual(rest, Array.from({ length: capacity }, (_, i) => i + 2));
  });
}

Deno.test("mpsc: waiting sends are admitted in the order they were made", async () => {
  const [tx, rx] = mpsc.channel<string>(1);
  await tx.send("a");
  const order: string[] = [];
  const sends = ["b", "c", "d", "e"].map((v) => tx.send(v).then(() => order.push(v)));
  // Each recv frees one slot; the oldest waiting send takes it.
  const got = [];
  for (let i = 0; i < 5; i++) got.push(await rx.recv());
  await Promise.all(sends);
  assert.deepEqual(got, ["a", "b", "c", "d", "e"]);
  assert.deepEqual(order, ["b", "c", "d", "e"]);
  tx.close();
});

Deno.test("mpsc: a send made while others wait queues behind them even if room appeared", async () => {
  const [tx, rx] = mpsc.channel<number>(1);
  await tx.send(1);
  const two = tx.send(2); // waits
  rx.tryRecv(); // room for one; 2 is first in line
  const three = tx.send(3);
  await two;
  assert.equal(tx.trySend(4), false, "3 waits behind 2; 4 must not overtake it");
  assert.equal(await rx.recv(), 2);
  await three;
  assert.equal(await rx.recv(), 3);
  tx.close();
});

Deno.test("mpsc: trySend and tryRecv never wait", async () => {
  const [tx, rx] = mpsc.channel<number>(2);
  assert.equal(rx.tryRecv(), undefined);
  assert.equal(rx.done, false, "empty, not ended");
  assert.equal(tx.trySend(1), true);
  assert.equal(tx.trySend(2), true);
  assert.equal(tx.trySend(3), false);
  assert.equal(rx.tryRecv(), 1);
  assert.equal(tx.trySend(3), true);
  assert.deepEqual(rx.drain(), [2, 3]);
  tx.close();
  assert.equal(rx.tryRecv(), undefined);
  assert.equal(rx.done, true, "ended");
  assert.equal(await rx.recv(), undefined);
});

Deno.test("mpsc: trySend hands a value straight to a waiting recv", async () => {
  const [tx, rx] = mpsc.channel<string>(1);
  const pending = rx.recv();
  assert.equal(tx.trySend("direct"), true);
  assert.equal(tx.trySend("queued"), true, "the first value did not take the slot");
  assert.equal(await pending, "direct");
  assert.equal(await rx.recv(), "queued");
  tx.close();
});

Deno.test("mpsc: drain takes everything queued, including a send that was waiting", async () => {
  const [tx, rx] = mpsc.channel<number>(3);
  for (let i = 0; i < 3; i++) await tx.send(i);
  const waiting = track(tx.send(3));
  await settle();
  assert.equal(waiting.state, "pending");
  assert.deepEqual(rx.drain(2), [0, 1], "max is respected");
  assert.deepEqual(rx.drain(), [2, 3], "the waiting send moved in as room appeared");
  await settle();
  assert.equal(waiting.state, "fulfilled");
  assert.deepEqual(rx.drain(), []);
  tx.close();
});

Deno.test("mpsc: the manager pattern: await one recv, then drain the rest in one go", async () => {
  const [tx, rx] = mpsc.channel<number>(32);
  const producers = [0, 1, 2, 3].map(async (p) => {
    using mine = tx.clone();
    for (let i = 0; i < 50; i++) await mine.send(p * 1000 + i);
  });
  tx.close();
  const batches: number[][] = [];
  let first: number | undefined;
  while ((first = await rx.recv()) !== undefined) batches.push([first, ...rx.drain()]);
  await Promise.all(producers);
  assert.equal(batches.flat().length, 200);
  assert.ok(batches.some((b) => b.length > 1), "values were batched");
  assert.ok(batches.every((b) => b.length <= 33), "never more than capacity + one admitted send");
});

Deno.test("mpsc: unbounded channel never waits and never reports full", async () => {
  const [tx, rx] = mpsc.unboundedChannel<number>();
  assert.equal(tx.capacity, Infinity);
  for (let i = 0; i < 10_000; i++) assert.equal(tx.trySend(i), true);
  const sent = track(tx.send(10_000));
  await settle();
  assert.equal(sent.state, "fulfilled");
  tx.close();
  let n = 0;
  for await (const v of rx) assert.equal(v, n++);
  assert.equal(n, 10_001);
});

Deno.test("mpsc: clones keep the channel open until every sender is released", async () => {
  const [tx, rx] = mpsc.channel<string>(4);
  const tx2 = tx.clone();
  const tx3 = tx2.clone();
  tx.close();
  tx.close(); // idempotent: must not release a second reference
  await tx2.send("two");
  tx2.close();
  assert.equal(rx.closed, false);
  await tx3.send("three");
  tx3.close();
  assert.equal(rx.closed, true);
  assert.deepEqual([await rx.recv(), await rx.recv(), await rx.recv()], [
    "two",
    "three",
    undefined,
  ]);
  assert.throws(() => tx.clone(), TypeError);
  await assert.rejects(tx.send("late"), (e) => e instanceof SendError && e.value === "late");
  assert.throws(() => tx.trySend("late"), SendError);
});

Deno.test("mpsc: receiver close fails later and waiting sends with the value, keeps the queue", async () => {
  const [tx, rx] = mpsc.channel<string>(2);
  await tx.send("a");
  await tx.send("b");
  const waiting1 = track(tx.send("c"));
  const waiting2 = track(tx.send("d"));
  const gone = track(tx.whenClosed());
  await settle();
  assert.equal(tx.closed, false);
  assert.equal(gone.state, "pending");
  rx.close();
  rx.close(); // idempotent
  assert.equal(tx.closed, true);
  await settle();
  assert.equal(gone.state, "fulfilled");
  assert.equal(waiting1.state, "rejected");
  assert.ok(waiting1.error instanceof SendError);
  assert.equal((waiting1.error as SendError<string>).value, "c");
  assert.equal((waiting2.error as SendError<string>).value, "d");
  await assert.rejects(tx.send("e"), (e) => e instanceof SendError && e.value === "e");
  assert.throws(() => tx.trySend("f"), (e) => e instanceof SendError && e.value === "f");
  // Values queued before the close can still be received, then the end marker.
  assert.deepEqual([await rx.recv(), await rx.recv(), await rx.recv()], ["a", "b", undefined]);
  tx.close();
});

Deno.test("mpsc: sends waiting in several stream chunks all fail with their own value on close", async () => {
  const [tx, rx] = mpsc.channel<string>(1);
  await tx.send("a");
  const b = track(tx.send("b"));
  await settle(); // "b" is now held by the stream's sink
  const later = ["c", "d", "e"].map((v) => track(tx.send(v))); // queued behind it
  await settle();
  assert.ok([b, ...later].every((t) => t.state === "pending"));
  rx.close();
  await settle();
  for (const [t, v] of [[b, "b"], [later[0], "c"], [later[1], "d"], [later[2], "e"]] as const) {
    assert.equal(t.state, "rejected");
    assert.ok(t.error instanceof SendError);
    assert.equal(t.error.value, v);
  }
  assert.equal(await rx.recv(), "a");
  assert.equal(await rx.recv(), undefined);
  tx.close();
});

Deno.test("mpsc: many waiting sends are admitted one per received value, in order", async () => {
  const [tx, rx] = mpsc.channel<number>(2);
  const sends = Array.from({ length: 50 }, (_, i) => track(tx.send(i)));
  await settle();
  assert.equal(sends.filter((t) => t.state === "fulfilled").length, 2);
  for (let i = 0; i < 50; i++) {
    assert.equal(await rx.recv(), i);
    await settle();
    const admitted = sends.filter((t) => t.state === "fulfilled").length;
    assert.equal(admitted, Math.min(50, i + 3), "exactly capacity values queued at all times");
    assert.equal(rx.length, Math.min(2, 49 - i));
  }
  tx.close();
  assert.equal(await rx.recv(), undefined);
});

Deno.test("mpsc: disposing the receiver (using) drops the queue and closes senders", async () => {
  const [tx, rx] = mpsc.channel<number>(4);
  {
    using scoped = rx;
    await tx.send(1);
    assert.equal(scoped.length, 1);
  }
  assert.equal(tx.closed, true);
  assert.equal(rx.length, 0, "queued values were dropped");
  assert.equal(await rx.recv(), undefined);
  await assert.rejects(tx.send(2), SendError);
  tx.close();
});

Deno.test("mpsc: disposing senders with using ends the stream", async () => {
  const [tx, rx] = mpsc.channel<number>(4);
  {
    using a = tx;
    using b = a.clone();
    await a.send(1);
    await b.send(2);
  }
  assert.equal(tx.released, true);
  const got = [];
  for await (const v of rx) got.push(v);
  assert.deepEqual(got, [1, 2]);
});

Deno.test("mpsc: an aborted recv rejects with the reason and loses no value", async () => {
  const [tx, rx] = mpsc.channel<string>(4);
  const ac = new AbortController();
  const aborted = track(rx.recv(ac.signal));
  const reason = new Error("stop waiting");
  ac.abort(reason);
  await settle();
  assert.equal(aborted.state, "rejected");
  assert.equal(aborted.error, reason);
  await tx.send("kept");
  assert.equal(await rx.recv(), "kept", "the aborted receive did not take it");

  // An already aborted signal rejects at once even with values queued; they stay.
  await tx.send("still here");
  await assert.rejects(rx.recv(AbortSignal.abort(reason)), (e) => e === reason);
  assert.equal(rx.length, 1);
  assert.equal(await rx.recv(), "still here");

  // Aborting after the value was handed over changes nothing.
  const ac2 = new AbortController();
  const got = rx.recv(ac2.signal);
  await tx.send("delivered");
  ac2.abort();
  assert.equal(await got, "delivered");
  tx.close();
});

Deno.test("mpsc: with several waiting receives, the aborted one is skipped", async () => {
  const [tx, rx] = mpsc.channel<number>(4);
  const ac = new AbortController();
  const first = track(rx.recv(ac.signal));
  const second = track(rx.recv());
  ac.abort();
  await tx.send(7);
  await settle();
  assert.equal(first.state, "rejected");
  assert.equal(second.state, "fulfilled");
  assert.equal(second.value, 7);
  tx.close();
});

Deno.test("mpsc: async iteration; breaking out does not close the receiver", async () => {
  const [tx, rx] = mpsc.channel<number>(8);
  for (let i = 0; i < 6; i++) await tx.send(i);
  tx.close();
  const firstHalf = [];
  for await (const v of rx) {
    firstHalf.push(v);
    if (v === 2) break;
  }
  const secondHalf = [];
  for await (const v of rx) secondHalf.push(v);
  assert.deepEqual(firstHalf, [0, 1, 2]);
  assert.deepEqual(secondHalf, [3, 4, 5]);
});

Deno.test("mpsc: the receiver plugs into Web Streams with ReadableStream.from", async () => {
  const [tx, rx] = mpsc.channel<string>(2);
  void (async () => {
    for (const s of ["a", "b", "c"]) await tx.send(s);
    tx.close();
  })();
  const upper = ReadableStream.from(rx).pipeThrough(
    new TransformStream<string, string>({ transform: (s, c) => c.enqueue(s.toUpperCase()) }),
  );
  const got = await Array.fromAsync(upper);
  assert.deepEqual(got, ["A", "B", "C"]);
});

Deno.test("mpsc: invalid capacity and undefined values are refused", async () => {
  for (const bad of [0, -1, 1.5, NaN, Infinity]) {
    assert.throws(() => mpsc.channel(bad), RangeError);
  }
  const [tx, rx] = mpsc.channel<number | undefined>(1);
  await assert.rejects(tx.send(undefined), TypeError);
  assert.throws(() => tx.trySend(undefined), TypeError);
  tx.close();
  rx.close();
});

Deno.test("mpsc: a sender closing while its send waits still delivers it", async () => {
  const [tx, rx] = mpsc.channel<number>(1);
  await tx.send(1);
  const waiting = tx.send(2);
  tx.close();
  assert.equal(rx.closed, false, "a send is still on its way");
  assert.equal(await rx.recv(), 1);
  await waiting;
  assert.equal(await rx.recv(), 2);
  assert.equal(await rx.recv(), undefined);
});

Deno.test("mpsc: the end marker waits for a send still on its way, then reaches every waiter", async () => {
  const [tx, rx] = mpsc.channel<string>(1);
  await tx.send("a");
  const b = tx.send("b"); // must wait: written to the stream
  assert.equal(rx.tryRecv(), "a"); // room again, but "b" has not reached the buffer yet
  tx.close();
  assert.equal(rx.closed, false, "b is still on its way");
  const first = track(rx.recv());
  const second = track(rx.recv());
  await b;
  await settle();
  assert.equal(first.value, "b");
  assert.equal(second.state, "fulfilled");
  assert.equal(second.value, undefined);
});

Deno.test("mpsc: stress: 8 producers x 100k values, per-producer order, no loss, no duplicates", async () => {
  const producers = 8;
  const perProducer = 100_000;
  const [tx, rx] = mpsc.channel<number>(32);
  const running = Array.from({ length: producers }, async (_, p) => {
    using mine = tx.clone();
    for (let i = 0; i < perProducer; i++) await mine.send(p * perProducer + i);
  });
  tx.close();
  const next = new Array<number>(producers).fill(0);
  let total = 0;
  const check = (v: number) => {
    const p = Math.floor(v / perProducer);
    assert.equal(v % perProducer, next[p], `producer ${p} out of order or duplicated`);
    next[p]++;
    total++;
  };
  let v: number | undefined;
  let turn = 0;
  while ((v = await rx.recv()) !== undefined) {
    check(v);
    // Mix the three ways of receiving.
    if (++turn % 3 === 0) { for (const w of rx.drain()) check(w); }
    else if (turn % 3 === 1) {
      const w = rx.tryRecv();
      if (w !== undefined) check(w);
    }
  }
  await Promise.all(running);
  assert.equal(total, producers * perProducer);
  assert.deepEqual(next, new Array(producers).fill(perProducer));
});

Deno.test("mpsc: stress with random aborts and capacity 1: nothing lost or reordered", async () => {
  const random = mulberry32(42);
  const producers = 8;
  const perProducer = 5_000;
  const [tx, rx] = mpsc.channel<[number, number]>(1);
  const running = Array.from({ length: producers }, async (_, p) => {
    using mine = tx.clone();
    for (let i = 0; i < perProducer; i++) await mine.send([p, i]);
  });
  tx.close();
  const next = new Array<number>(producers).fill(0);
  const check = ([p, i]: [number, number]) => {
    assert.equal(i, next[p], `producer ${p}`);
    next[p]++;
  };
  let abortedWhileWaiting = 0;
  let abortedUpFront = 0;
  for (;;) {
    const r = random();
    // Empty the queue first half of the time, so that the receive below waits.
    if (r < 0.5) rx.drain().forEach(check);
    const ac = new AbortController();
    if (r >= 0.4 && r < 0.5) ac.abort("up front");
    const waited = rx.length === 0;
    const got = rx.recv(ac.signal);
    // Abort after 0 to 4 microtask hops: before, during or after a delivery.
    if (r < 0.4) {
      let hops = Math.floor(random() * 5);
      const hop = () => hops-- > 0 ? queueMicrotask(hop) : ac.abort("raced");
      hop();
    }
    let item: [number, number] | undefined;
    try {
      item = await got;
    } catch (e) {
      assert.equal(e, ac.signal.reason);
      if (e === "up front") abortedUpFront++;
      else if (waited) abortedWhileWaiting++;
      continue;
    }
    if (item === undefined) break;
    check(item);
  }
  await Promise.all(running);
  assert.deepEqual(next, new Array(producers).fill(perProducer));
  assert.ok(abortedWhileWaiting > 100, `aborted while waiting: ${abortedWhileWaiting}`);
  assert.ok(abortedUpFront > 100, `aborted up front: ${abortedUpFront}`);
});

// ---------------------------------------------------------------- oneshot

Deno.test("oneshot: send before or after the receiver waits", async () => {
  const [tx1, rx1] = oneshot.channel<number>();
  assert.equal(tx1.send(1), true);
  assert.equal(await rx1, 1);
  assert.equal(await rx1.recv(), 1, "awaiting again gives the same value");

  const [tx2, rx2] = oneshot.channel<number>();
  const pending = track(rx2.recv());
  await settle();
  assert.equal(pending.state, "pending");
  tx2.send(2);
  await settle();
  assert.equal(pending.value, 2);

  const [tx3, rx3] = oneshot.channel<string>();
  queueMicrotask(() => tx3.send("thenable"));
  assert.deepEqual(await Promise.all([rx3, Promise.resolve("x")]), ["thenable", "x"]);
});

Deno.test("oneshot: a sender released without sending rejects the receiver at once", async () => {
  const [tx, rx] = oneshot.channel<number>();
  const waiting = track(rx.recv());
  tx.close();
  await settle();
  assert.equal(waiting.state, "rejected");
  assert.ok(waiting.error instanceof RecvError);
  await assert.rejects(rx.recv(), RecvError);
  await assert.rejects(async () => await rx, RecvError);
  assert.throws(() => rx.tryRecv(), RecvError);

  const [tx2, rx2] = oneshot.channel<number>();
  {
    using _released = tx2;
  }
  await assert.rejects(rx2.recv(), RecvError, "released by using");
});

Deno.test("oneshot: a closed receiver makes send return false; closed/whenClosed report it", async () => {
  const [tx, rx] = oneshot.channel<string>();
  const gone = track(tx.whenClosed());
  assert.equal(tx.closed, false);
  await settle();
  assert.equal(gone.state, "pending");
  rx.close();
  assert.equal(tx.closed, true);
  await settle();
  assert.equal(gone.state, "fulfilled");
  assert.equal(tx.send("nobody"), false);
  await assert.rejects(rx.recv(), RecvError);
  await tx.whenClosed(); // resolves at once now
});

Deno.test("oneshot: closing the receiver rejects a pending recv; a sent value survives close", async () => {
  const [tx, rx] = oneshot.channel<number>();
  const pending = track(rx.recv());
  rx.close();
  await settle();
  assert.ok(pending.error instanceof RecvError);
  tx.close();

  const [tx2, rx2] = oneshot.channel<number>();
  tx2.send(9);
  rx2.close();
  assert.equal(rx2.tryRecv(), 9);
  assert.equal(await rx2, 9);
});

Deno.test("oneshot: a sender sends at most once", () => {
  const [tx, rx] = oneshot.channel<number>();
  tx.send(1);
  assert.throws(() => tx.send(2), (e) => e instanceof SendError && e.value === 2);
  tx.close(); // no-op after send
  assert.equal(rx.tryRecv(), 1);

  const [tx2] = oneshot.channel<number>();
  tx2.close();
  assert.throws(() => tx2.send(3), SendError);
});

Deno.test("oneshot: an aborted recv rejects with the reason and the value is kept", async () => {
  const [tx, rx] = oneshot.channel<string>();
  const ac = new AbortController();
  const first = track(rx.recv(ac.signal));
  ac.abort("timeout");
  await settle();
  assert.equal(first.state, "rejected");
  assert.equal(first.error, "timeout");
  await assert.rejects(rx.recv(AbortSignal.abort("early")), (e) => e === "early");
  assert.equal(tx.send("late reply"), true);
  assert.equal(await rx.recv(), "late reply");
  // A signal that never fires leaves no listener behind and does not matter.
  const ac2 = new AbortController();
  assert.equal(await rx.recv(ac2.signal), "late reply");
});

Deno.test("oneshot: tryRecv before and after send; dispose drops the value", () => {
  const [tx, rx] = oneshot.channel<{ big: number[] }>();
  assert.equal(rx.tryRecv(), undefined);
  tx.send({ big: [1, 2, 3] });
  assert.deepEqual(rx.tryRecv(), { big: [1, 2, 3] });
  rx[Symbol.dispose]();
  assert.throws(() => rx.tryRecv(), RecvError);
});

// ---------------------------------------------------------------- broadcast

Deno.test("broadcast: every receiver sees every value, in order", async () => {
  const [tx, rx1] = broadcast.channel<number>(16);
  const rx2 = tx.subscribe();
  assert.equal(tx.receiverCount, 2);
  for (let i = 0; i < 5; i++) assert.equal(tx.send(i), 2);
  tx.close();
  const [a, b] = await Promise.all([Array.fromAsync(rx1), Array.fromAsync(rx2)]);
  assert.deepEqual(a, [0, 1, 2, 3, 4]);
  assert.deepEqual(b, [0, 1, 2, 3, 4]);
  rx1.close();
  rx2.close();
});

Deno.test("broadcast: a subscriber sees only values sent after it subscribed", async () => {
  const [tx, rx] = broadcast.channel<string>(4);
  tx.send("before");
  const late = tx.subscribe();
  tx.send("after");
  assert.equal(await late.recv(), "after");
  assert.equal(late.tryRecv(), undefined);
  assert.equal(await rx.recv(), "before");
  tx.close();
  rx.close();
  late.close();
});

Deno.test("broadcast: a lagging receiver gets LaggedError with the count, then the oldest kept", async () => {
  const [tx, slow] = broadcast.channel<number>(4);
  const fast = tx.subscribe();
  for (let i = 0; i < 10; i++) {
    tx.send(i); // never waits, even though `slow` reads nothing
    assert.equal(await fast.recv(), i);
  }
  await assert.rejects(slow.recv(), (e) => e instanceof LaggedError && e.missed === 6);
  assert.deepEqual([await slow.recv(), await slow.recv()], [6, 7]);
  // Lag again from a partly read position.
  for (let i = 10; i < 15; i++) tx.send(i); // 8 and 9 are overwritten as well
  assert.equal(slow.length, 4);
  assert.throws(() => slow.tryRecv(), (e) => e instanceof LaggedError && e.missed === 3);
  assert.deepEqual([slow.tryRecv(), slow.tryRecv(), slow.tryRecv(), slow.tryRecv()], [
    11,
    12,
    13,
    14,
  ]);
  assert.equal(slow.tryRecv(), undefined);
  tx.close();
  slow.close();
  fast.close();
});

Deno.test("broadcast: lag counts at exactly capacity and capacity + 1", async () => {
  const [tx, rx] = broadcast.channel<number>(3);
  for (let i = 0; i < 3; i++) tx.send(i);
  assert.equal(await rx.recv(), 0, "exactly capacity behind: nothing lost");
  for (let i = 3; i < 5; i++) tx.send(i);
  // rx has read 0; 1..4 were sent; capacity 3 keeps 2..4: one missed.
  await assert.rejects(rx.recv(), (e) => e instanceof LaggedError && e.missed === 1);
  assert.deepEqual([await rx.recv(), await rx.recv(), await rx.recv()], [2, 3, 4]);
  tx.close();
  assert.equal(await rx.recv(), undefined);
});

Deno.test("broadcast: iteration throws LaggedError; a new loop continues from the oldest kept", async () => {
  const [tx, rx] = broadcast.channel<number>(2);
  for (let i = 0; i < 5; i++) tx.send(i);
  tx.close();
  await assert.rejects(Array.fromAsync(rx), LaggedError);
  assert.deepEqual(await Array.fromAsync(rx), [3, 4]);
});

Deno.test("broadcast: send reports the receiver count; zero receivers is not an error", () => {
  const [tx, rx] = broadcast.channel<string>(4);
  assert.equal(tx.send("a"), 1);
  const rx2 = rx.clone();
  assert.equal(tx.send("b"), 2);
  rx.close();
  rx2.close();
  assert.equal(tx.receiverCount, 0);
  assert.equal(tx.send("nobody"), 0);
  const fresh = tx.subscribe();
  assert.equal(fresh.tryRecv(), undefined, "a value sent with no receivers is not kept");
  fresh.close();
  tx.close();
  assert.throws(() => tx.send("late"), (e) => e instanceof SendError && e.value === "late");
  assert.throws(() => tx.send(undefined as unknown as string), SendError);
});

Deno.test("broadcast: undefined cannot be sent; capacity is validated", () => {
  const [tx, rx] = broadcast.channel<number | undefined>(1);
  assert.throws(() => tx.send(undefined), TypeError);
  assert.throws(() => broadcast.channel(0), RangeError);
  tx.close();
  rx.close();
});

Deno.test("broadcast: waiting receivers all wake on send, and on the last sender's release", async () => {
  const [tx, rx1] = broadcast.channel<string>(4);
  const rx2 = tx.subscribe();
  const tx2 = tx.clone();
  const a = track(rx1.recv());
  const b = track(rx2.recv());
  await settle();
  assert.equal(a.state, "pending");
  tx2.send("wake");
  await settle();
  assert.equal(a.value, "wake");
  assert.equal(b.value, "wake");
  const c = track(rx1.recv());
  tx.close();
  await settle();
  assert.equal(c.state, "pending", "tx2 is still open");
  tx2.close();
  await settle();
  assert.equal(c.state, "fulfilled");
  assert.equal(c.value, undefined);
  assert.equal(rx2.done, true);
  assert.equal(await rx2.recv(), undefined);
  rx1.close();
  rx2.close();
});

Deno.test("broadcast: an aborted recv loses no value; closing resolves a pending recv", async () => {
  const [tx, rx] = broadcast.channel<number>(4);
  const ac = new AbortController();
  const aborted = track(rx.recv(ac.signal));
  ac.abort("bye");
  await settle();
  assert.equal(aborted.error, "bye");
  tx.send(1);
  assert.equal(await rx.recv(), 1);
  const pending = track(rx.recv());
  await assert.rejects(rx.recv(), TypeError, "one pending recv per receiver");
  rx.close();
  await settle();
  assert.equal(pending.state, "fulfilled");
  assert.equal(pending.value, undefined);
  assert.equal(tx.receiverCount, 0);
  tx.close();
});

Deno.test("broadcast: clone keeps the position, resubscribe starts from now", async () => {
  const [tx, rx] = broadcast.channel<number>(8);
  tx.send(1);
  tx.send(2);
  assert.equal(await rx.recv(), 1);
  const copy = rx.clone();
  const fresh = rx.resubscribe();
  tx.send(3);
  assert.deepEqual([await rx.recv(), await rx.recv()], [2, 3]);
  assert.deepEqual([await copy.recv(), await copy.recv()], [2, 3]);
  assert.equal(await fresh.recv(), 3);
  tx.close();
  for (const r of [rx, copy, fresh]) {
    assert.equal(await r.recv(), undefined);
    r.close();
  }
});

Deno.test("broadcast: many receivers through a small buffer with using", async () => {
  const [first, unused] = broadcast.channel<number>(8);
  using tx = first;
  unused.close();
  const receivers = Array.from({ length: 4 }, () => tx.subscribe());
  const readers = receivers.map(async (rx) => {
    using r = rx;
    const got: number[] = [];
    for await (const v of r) {
      got.push(v);
      if (got.length === 1000) break;
    }
    return got;
  });
  for (let i = 0; i < 1000; i++) {
    tx.send(i);
    if (i % 8 === 7) await new Promise((resolve) => setTimeout(resolve, 0)); // readers keep up
  }
  const all = await Promise.all(readers);
  for (const got of all) assert.deepEqual(got, Array.from({ length: 1000 }, (_, i) => i));
  assert.equal(tx.receiverCount, 0, "using closed every receiver");
});

// ---------------------------------------------------------------- watch

Deno.test("watch: borrow, send, changed", async () => {
  const [tx, rx] = watch.channel("initial");
  assert.equal(rx.borrow(), "initial");
  assert.equal(rx.hasChanged(), false, "the initial value counts as seen");
  const changed = track(rx.changed());
  await settle();
  assert.equal(changed.state, "pending");
  assert.equal(tx.send("next"), true);
  await settle();
  assert.equal(changed.state, "fulfilled");
  assert.equal(rx.borrow(), "next");
  assert.equal(tx.borrow(), "next");
  assert.equal(rx.hasChanged(), false);
  tx.close();
  rx.close();
});

Deno.test("watch: a slow receiver skips intermediate values and wakes once", async () => {
  const [tx, rx] = watch.channel(0);
  for (let i = 1; i <= 5; i++) tx.send(i);
  assert.equal(rx.hasChanged(), true);
  await rx.changed();
  assert.equal(rx.borrow(), 5);
  const again = track(rx.changed());
  await settle();
  assert.equal(again.state, "pending", "no newer value than 5");
  tx.send(6);
  tx.send(7);
  await settle();
  assert.equal(again.state, "fulfilled");
  assert.equal(rx.borrow(), 7);
  assert.equal(rx.hasChanged(), false, "the wake-up marked 7 seen");
  tx.close();
  rx.close();
});

Deno.test("watch: every receiver is woken; each tracks what it has seen", async () => {
  const [tx, rx1] = watch.channel("a");
  const rx2 = rx1.clone();
  const rx3 = tx.subscribe();
  assert.equal(tx.receiverCount, 3);
  const waits = [rx1, rx2, rx3].map((r) => track(r.changed()));
  tx.send("b");
  await settle();
  assert.ok(waits.every((w) => w.state === "fulfilled"));
  tx.send("c");
  assert.equal(rx1.borrowAndUpdate(), "c");
  assert.equal(rx1.hasChanged(), false);
  assert.equal(rx2.hasChanged(), true);
  rx2.markSeen();
  assert.equal(rx2.hasChanged(), false);
  rx2.markChanged();
  await rx2.changed(); // resolves at once
  const copy = rx3.clone();
  assert.equal(copy.hasChanged(), true, "a clone has seen what its origin has seen");
  for (const r of [rx1, rx2, rx3, copy]) r.close();
  tx.close();
});

Deno.test("watch: the last sender's release rejects changed() after the last value is seen", async () => {
  const [tx, rx] = watch.channel(1);
  const tx2 = tx.clone();
  const waiting = track(rx.changed());
  tx.close();
  await settle();
  assert.equal(waiting.state, "pending", "tx2 still open");
  tx2.send(2);
  tx2.close();
  await settle();
  assert.equal(waiting.state, "fulfilled");
  assert.equal(rx.closed, true);
  await assert.rejects(rx.changed(), RecvError);
  assert.equal(rx.borrow(), 2, "the last value stays readable");

  const [tx3, rx3] = watch.channel("x");
  tx3.send("y");
  tx3.close();
  await rx3.changed(); // an unseen value is still reported
  await assert.rejects(rx3.changed(), RecvError);
  const pending = track(watch.channel(0)[1].changed());
  await settle();
  assert.equal(pending.state, "pending"); // sender never released: stays pending, holds nothing
  rx.close();
  rx3.close();
});

Deno.test("watch: a waiting changed() rejects when the sender goes", async () => {
  const [tx, rx] = watch.channel(false);
  const waiting = track(rx.changed());
  using _ = rx;
  {
    using _tx = tx;
  }
  await settle();
  assert.ok(waiting.error instanceof RecvError);
});

Deno.test("watch: receiver close, receiverCount, closed and whenClosed", async () => {
  const [tx, rx] = watch.channel(0);
  const rx2 = tx.subscribe();
  const gone = track(tx.whenClosed());
  const pending = track(rx.changed());
  rx.close();
  await settle();
  assert.ok(pending.error instanceof RecvError, "closing rejects its own pending changed()");
  assert.equal(tx.receiverCount, 1);
  assert.equal(gone.state, "pending");
  assert.equal(tx.closed, false);
  rx2.close();
  await settle();
  assert.equal(gone.state, "fulfilled");
  assert.equal(tx.closed, true);
  assert.equal(tx.send(5), false, "no receivers, but the value is stored");
  const again = tx.subscribe();
  assert.equal(again.borrow(), 5);
  assert.equal(tx.closed, false);
  await assert.rejects(rx.changed(), RecvError);
  assert.throws(() => rx.clone(), TypeError);
  again.close();
  tx.close();
});

Deno.test("watch: an aborted changed() keeps the change for the next call", async () => {
  const [tx, rx] = watch.channel(0);
  const ac = new AbortController();
  const aborted = track(rx.changed(ac.signal));
  ac.abort("no");
  await settle();
  assert.equal(aborted.error, "no");
  tx.send(1);
  assert.equal(rx.hasChanged(), true);
  await assert.rejects(rx.changed(AbortSignal.abort("early")), (e) => e === "early");
  assert.equal(rx.hasChanged(), true);
  await rx.changed();
  tx.close();
  rx.close();
});

Deno.test("watch: iteration yields the current value, then the latest after each change", async () => {
  const [tx, rx] = watch.channel("connecting");
  const seen: string[] = [];
  const reader = (async () => {
    for await (const state of rx) seen.push(state);
  })();
  await settle();
  tx.send("ready");
  await settle();
  tx.send("closing");
  tx.send("closed"); // "closing" is skipped: the reader had not run in between
  await settle();
  tx.close();
  await reader;
  assert.deepEqual(seen, ["connecting", "ready", "closed"]);
  rx.close();
});

Deno.test("watch: sendReplace and sendIfModified", async () => {
  const [tx, rx] = watch.channel({ n: 0 });
  assert.deepEqual(tx.sendReplace({ n: 1 }), { n: 0 });
  await rx.changed();
  assert.equal(tx.sendIfModified(() => false), false);
  assert.equal(rx.hasChanged(), false);
  assert.equal(
    tx.sendIfModified((s) => {
      s.n++;
      return true;
    }),
    true,
  );
  assert.equal(rx.hasChanged(), true);
  assert.equal(rx.borrow().n, 2);
  tx.close();
  assert.throws(() => tx.send({ n: 3 }), SendError);
  rx.close();
});

// ---------------------------------------------------------------- module

Deno.test("channels/mod.ts exports the four namespaces and the errors", () => {
  for (const ns of [mpsc, oneshot, broadcast, watch]) assert.equal(typeof ns.channel, "function");
  assert.equal(typeof mpsc.unboundedChannel, "function");
  const e = new SendError(42);
  assert.ok(e instanceof Error);
  assert.equal(e.name, "SendError");
  assert.equal(e.value, 42);
  assert.equal(new LaggedError(3).missed, 3);
  assert.equal(new RecvError().name, "RecvError");
});
