// Tests of the blocking list commands (BLPOP, BRPOP, BLMOVE, BRPOPLPUSH,
// BLMPOP) and the waiter mechanism behind them (server/db/blocking.ts).
//
// The scenarios with several clients run the same steps against a real
// redis-server and our server and compare the transcripts: clients block
// one after the other (each step waits until INFO counts the new blocked
// client, so the arrival order is the same on both), then a driver client
// pushes, and every reply each client got is recorded. Where Redis's
// result is deterministic the transcripts must be identical.
//
// Blocking.atomically (what EXEC and scripts run their commands in) and
// the bookkeeping that INFO shows are also tested on their own.

import assert from "node:assert/strict";
import {
  type Arg,
  cmd,
  HAVE_REDIS,
  mulberry32,
  RawClient,
  startRedis,
  startTestServer,
  waitFor,
} from "./helpers.ts";
import { Keyspace } from "../server/db/keyspace.ts";
import { Blocking } from "../server/db/blocking.ts";
import { NULL_ARRAY } from "../resp/frame.ts";

// ---------------------------------------------------------------------------
// The waiter mechanism on its own

Deno.test("Blocking: waiters of one key are served oldest first, each once", async () => {
  using db = new Keyspace({ sweepIntervalMs: 0 });
  using blocking = new Blocking(db);
  db.set("k", new Uint8Array(0));
  const items = ["a", "b"];
  const replies = [1, 2, 3].map((id) =>
    blocking.wait({
      clientId: id,
      keys: ["k"],
      timeoutMs: 0,
      timeoutReply: null,
      attempt: () => items.shift() === undefined ? undefined : `client ${id}`,
    })
  );
  assert.equal(blocking.blockedClients, 3);
  db.signal("k");
  blocking.serveReady();
  assert.equal(await replies[0], "client 1");
  assert.equal(await replies[1], "client 2");
  assert.equal(blocking.blockedClients, 1);
  assert.ok(blocking.isBlocked(3));
  assert.equal(blocking.unblock(3), true);
  assert.equal(await replies[2], null);
  assert.equal(blocking.blockedClients, 0);
  assert.equal(blocking.blockingKeys, 0);
});

Deno.test("Blocking: a client is served from the key that became ready, once, whatever its key order", async () => {
  using db = new Keyspace({ sweepIntervalMs: 0 });
  using blocking = new Blocking(db);
  db.set("a", new Uint8Array(0));
  db.set("b", new Uint8Array(0));
  const tried: string[] = [];
  const reply = blocking.wait({
    clientId: 1,
    keys: ["a", "b", "a"],
    timeoutMs: 0,
    timeoutReply: null,
    attempt: (key) => {
      tried.push(key);
      return `from ${key}`;
    },
  });
  assert.equal(blocking.blockingKeys, 2);
  db.signal("b");
  db.signal("a");
  blocking.serveReady();
  assert.equal(await reply, "from b");
  assert.deepEqual(tried, ["b"]);
  assert.equal(blocking.blockingKeys, 0);
});

Deno.test("Blocking: a key that does not exist is not offered; its waiters stay blocked", () => {
  using db = new Keyspace({ sweepIntervalMs: 0 });
  using blocking = new Blocking(db);
  let tries = 0;
  blocking.wait({
    clientId: 1,
    keys: ["k"],
    timeoutMs: 0,
    timeoutReply: null,
    attempt: () => {
      tries++;
      return undefined;
    },
  });
  db.signal("k");
  blocking.serveReady();
  assert.equal(tries, 0);
  db.set("k", new Uint8Array(0));
  db.signal("k");
  blocking.serveReady();
  assert.equal(tries, 1);
  assert.equal(blocking.blockedClients, 1);
  blocking.cancel(1);
  assert.equal(blocking.blockedClients, 0);
  assert.equal(blocking.blockingKeys, 0);
});

Deno.test("Blocking.atomically: no blocking inside, and waiters are served only after the step", async () => {
  using db = new Keyspace({ sweepIntervalMs: 0 });
  using blocking = new Blocking(db);
  const list: string[] = [];
  const waiter = Promise.resolve(blocking.wait({
    clientId: 1,
    keys: ["k"],
    timeoutMs: 0,
    timeoutReply: null,
    attempt: () => list.shift(),
  }));
  let served = false;
  void waiter.then(() => served = true);
  const inner = blocking.atomically(() => {
    // a blocking command inside gets its denied reply at once
    const r = blocking.wait({
      clientId: 2,
      keys: ["k"],
      timeoutMs: 0,
      timeoutReply: NULL_ARRAY,
      deniedReply: "denied",
      attempt: () => undefined,
    });
    // a push then a pop of the same element inside the step: nothing to serve after it
    db.set("k", new Uint8Array(0));
    list.push("x");
    db.signal("k");
    blocking.serveReady(); // what the dispatcher does after each command: deferred here
    assert.equal(list.length, 1, "not served inside the step");
    list.pop();
    db.signal("k");
    return r;
  });
  assert.equal(inner, "denied");
  assert.equal(blocking.isBlocked(2), false);
  await Promise.resolve();
  assert.equal(served, false);
  assert.equal(blocking.blockedClients, 1);
  // a step that leaves an element serves the waiter when it ends
  blocking.atomically(() => {
    list.push("y");
    db.signal("k");
    blocking.atomically(() => db.signal("k")); // nested steps serve at the outermost end
    assert.equal(blocking.blockedClients, 1);
  });
  assert.equal(await waiter, "y");
  assert.equal(blocking.blockedClients, 0);
});

Deno.test("Blocking: a timeout longer than one timer (2^31 ms) does not fire early", async () => {
  using db = new Keyspace({ sweepIntervalMs: 0 });
  using blocking = new Blocking(db);
  const reply = blocking.wait({
    clientId: 1,
    keys: ["k"],
    timeoutMs: 2 ** 31 + 10,
    timeoutReply: "timed out",
    attempt: () => undefined,
  });
  assert.equal(blocking.withTimeout, 1);
  // setTimeout fires at once for such a delay; the waiter must re-arm instead
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(blocking.isBlocked(1), true);
  assert.equal(blocking.unblock(1, true), true);
  assert.match(String(await reply), /UNBLOCKED/);
  assert.equal(blocking.withTimeout, 0);
});

Deno.test("Blocking: 10k waiters on one key are served in order in linear time", async () => {
  using db = new Keyspace({ sweepIntervalMs: 0 });
  using blocking = new Blocking(db);
  const n = 10_000;
  const queue: number[] = [];
  let attempts = 0;
  const replies: Promise<unknown>[] = [];
  for (let id = 1; id <= n; id++) {
    replies.push(Promise.resolve(blocking.wait({
      clientId: id,
      keys: ["k", `own${id}`],
      timeoutMs: 0,
      timeoutReply: null,
      attempt: () => {
        attempts++;
        const v = queue.shift();
        if (queue.length === 0) db.delete("k");
        return v === undefined ? undefined : `${id}:${v}`;
      },
    })));
  }
  // one element at a time: each push serves exactly the oldest waiter, trying nobody else
  for (let i = 0; i < n; i++) {
    db.set("k", new Uint8Array(0));
    queue.push(i);
    db.signal("k");
    blocking.serveReady();
  }
  assert.equal(attempts, n);
  const got = await Promise.all(replies);
  for (let id = 1; id <= n; id++) assert.equal(got[id - 1], `${id}:${id - 1}`);
  assert.equal(blocking.blockingKeys, 0);
});

// ---------------------------------------------------------------------------
// Against the servers

/** INFO clients' `blocked_clients`. */
async function blockedClients(c: RawClient): Promise<number> {
  const info = await c.call("INFO", "clients");
  return Number(/blocked_clients:(\d+)/.exec(info)![1]);
}

/** A scenario: steps on clients of one server, returning its transcript. */
type Scenario = (s: Session) => Promise<void>;

/** Clients of one server and the transcript of what they saw. */
class Session implements AsyncDisposable {
  readonly log: string[] = [];
  readonly #clients = new Map<string, RawClient>();
  readonly #ids = new Map<string, string>();
  /** Clients sent a blocking command and not answered yet. */
  readonly #waiting = new Set<string>();
  constructor(readonly port: number, readonly driver: RawClient) {}

  async client(name: string): Promise<RawClient> {
    let c = this.#clients.get(name);
    if (c === undefined) {
      c = await RawClient.connect(this.port);
      this.#clients.set(name, c);
      this.#ids.set(name, (await c.call("CLIENT", "ID")).slice(1, -2));
    }
    return c;
  }

  /** The driver runs a command; its reply goes to the transcript. */
  async run(...args: Arg[]): Promise<string> {
    const r = await this.driver.call(...args);
    this.log.push(`driver ${args.join(" ")} -> ${r}`);
    return r;
  }

  /** `name` sends a blocking command; returns once the server counts it as blocked. */
  async block(name: string, ...args: Arg[]): Promise<void> {
    const c = await this.client(name);
    await c.send(cmd(...args));
    this.#waiting.add(name);
    await waitFor(async () => (await blockedClients(this.driver)) === this.#waiting.size, {
      what: `${name} to block on ${args.join(" ")}`,
    });
  }

  /** Reads the next reply of `name` (who must have one coming) into the transcript. */
  async reply(name: string): Promise<string> {
    const [r] = await (await this.client(name)).readStrings(1);
    this.#waiting.delete(name);
    this.log.push(`${name} <- ${r}`);
    return r;
  }

  /** The server's count of blocked clients, into the transcript. */
  async blocked(): Promise<number> {
    const n = await blockedClients(this.driver);
    assert.equal(n, this.#waiting.size, "blocked clients as counted by the test");
    this.log.push(`blocked_clients ${n}`);
    return n;
  }

  /** Closes `name`'s connection (it counts as unblocked once the server notices). */
  disconnect(name: string): void {
    this.#clients.get(name)?.close();
    this.#clients.delete(name);
    this.#waiting.delete(name);
  }

  /** The driver sends CLIENT UNBLOCK for `name` (logged by name: ids differ between servers). */
  async unblock(name: string, ...reason: string[]): Promise<string> {
    const id = this.#ids.get(name)!;
    const r = await this.driver.call("CLIENT", "UNBLOCK", id, ...reason);
    this.log.push(`driver CLIENT UNBLOCK ${[name, ...reason].join(" ")} -> ${r}`);
    return r;
  }

  [Symbol.asyncDispose](): Promise<void> {
    for (const c of this.#clients.values()) c.close();
    this.driver.close();
    return Promise.resolve();
  }
}

/** Runs `scenario` on redis-server and on our server; their transcripts must be equal. */
async function sameAsRedis(scenario: Scenario, protocol: 2 | 3 = 2): Promise<string[]> {
  const logs: string[][] = [];
  await using redis = await startRedis();
  await using ours = await startTestServer();
  for (const port of [redis.port, ours.port]) {
    await using s = new Session(port, await RawClient.connect(port));
    if (protocol === 3) {
      for (const name of ["driver", "a", "b", "c", "d"]) {
        const c = name === "driver" ? s.driver : await s.client(name);
        await c.call("HELLO", "3");
      }
    }
    await scenario(s);
    logs.push(s.log);
  }
  assert.deepEqual(logs[1], logs[0]);
  return logs[1];
}

const redisTest = (name: string, fn: () => Promise<unknown>) =>
  Deno.test({ name, ignore: !HAVE_REDIS, fn: async () => void await fn() });

redisTest("BLPOP: clients blocked on a key are served in arrival order", async () => {
  for (const protocol of [2, 3] as const) {
    const log = await sameAsRedis(async (s) => {
      await s.block("a", "BLPOP", "k", "0");
      await s.block("b", "BRPOP", "k", "0");
      await s.block("c", "BLPOP", "k", "0");
      await s.run("RPUSH", "k", "1", "2");
      await s.reply("a");
      await s.reply("b");
      await s.blocked();
      await s.run("LPUSH", "k", "3");
      await s.reply("c");
      await s.run("EXISTS", "k");
      await s.blocked();
    }, protocol);
    assert.ok(log.includes("a <- *2\r\n$1\r\nk\r\n$1\r\n1\r\n"), log.join("\n"));
  }
});

redisTest(
  "BLPOP on several keys: served from the key that became ready first (MULTI)",
  () =>
    sameAsRedis(async (s) => {
      await s.block("a", "BLPOP", "k1", "k2", "0");
      await s.block("b", "BLPOP", "k2", "k1", "0");
      await s.run("MULTI");
      await s.run("RPUSH", "k2", "x");
      await s.run("RPUSH", "k1", "y");
      await s.run("EXEC");
      await s.reply("a");
      await s.reply("b");
      await s.blocked();
    }),
);

redisTest(
  "BZPOPMIN on several keys: served from the key that became ready first (MULTI)",
  () =>
    sameAsRedis(async (s) => {
      await s.block("a", "BZPOPMIN", "k1", "k2", "0");
      await s.block("b", "BZPOPMIN", "k2", "k1", "0");
      await s.run("MULTI");
      await s.run("ZADD", "k2", "1", "x");
      await s.run("ZADD", "k1", "2", "y");
      await s.run("EXEC");
      await s.reply("a");
      await s.reply("b");
      await s.blocked();
    }),
);

redisTest(
  "MULTI: waiters wake only after EXEC, and a push undone inside wakes nobody",
  () =>
    sameAsRedis(async (s) => {
      await s.block("a", "BLPOP", "k", "0");
      await s.run("MULTI");
      await s.run("RPUSH", "k", "x");
      await s.run("LPOP", "k");
      await s.run("EXEC");
      await s.blocked();
      await s.run("MULTI");
      await s.run("RPUSH", "k", "1", "2", "3");
      await s.run("LPOP", "k");
      await s.run("EXEC");
      await s.reply("a");
      await s.run("LRANGE", "k", "0", "-1");
      await s.blocked();
    }),
);

redisTest("blocking commands time out with a null array (RESP2 *-1, RESP3 _)", async () => {
  for (const protocol of [2, 3] as const) {
    await sameAsRedis(async (s) => {
      for (
        const args of [
          ["BLPOP", "k", "0.01"],
          ["BRPOP", "k", "k2", "0.02"],
          ["BLMOVE", "k", "d", "LEFT", "RIGHT", "0.01"],
          ["BRPOPLPUSH", "k", "d", "0.01"],
          ["BLMPOP", "0.01", "1", "k", "LEFT", "COUNT", "2"],
        ]
      ) {
        await (await s.client("a")).send(cmd(...args));
        await s.reply("a");
      }
      await s.blocked();
    }, protocol);
  }
});

redisTest(
  "CLIENT UNBLOCK: TIMEOUT gives the timeout reply, ERROR the UNBLOCKED error",
  async () => {
    for (const protocol of [2, 3] as const) {
      await sameAsRedis(async (s) => {
        await s.client("a");
        for (
          const args of [
            ["BLPOP", "k", "0"],
            ["BLMOVE", "k", "d", "LEFT", "RIGHT", "0"],
            ["BLMPOP", "0", "2", "k", "k2", "RIGHT"],
          ]
        ) {
          for (const reason of ["TIMEOUT", "ERROR"]) {
            await s.block("a", ...args);
            await s.unblock("a", reason);
            await s.reply("a");
          }
        }
        await s.unblock("a");
        await s.blocked();
      }, protocol);
    }
  },
);

redisTest(
  "a client that disconnects while blocked is freed (blocked_clients back to 0)",
  () =>
    sameAsRedis(async (s) => {
      await s.block("a", "BLPOP", "k", "0");
      await s.block("b", "BLMOVE", "k", "d", "LEFT", "LEFT", "10");
      await s.block("c", "BLPOP", "k", "0");
      s.disconnect("a");
      s.disconnect("b");
      await waitFor(async () => (await blockedClients(s.driver)) === 1, {
        what: "the waiters to be freed",
      });
      await s.blocked();
      // the next push goes to the remaining client
      await s.run("RPUSH", "k", "x", "y");
      await s.reply("c");
      await s.run("LRANGE", "k", "0", "-1");
      await s.blocked();
    }),
);

redisTest("a push that serves a BLMOVE wakes the destination's waiters too", async () => {
  const log = await sameAsRedis(async (s) => {
    await s.block("a", "BLMOVE", "src", "mid", "LEFT", "RIGHT", "0");
    await s.block("b", "BRPOPLPUSH", "mid", "dst", "0");
    await s.block("c", "BLPOP", "dst", "0");
    await s.run("RPUSH", "src", "x");
    await s.reply("a");
    await s.reply("b");
    await s.reply("c");
    await s.run("EXISTS", "src", "mid", "dst");
    await s.blocked();
  });
  assert.ok(log.includes("c <- *2\r\n$3\r\ndst\r\n$1\r\nx\r\n"), log.join("\n"));
});

redisTest(
  "BLMOVE to the key it waits on, then a BLPOP waiter on that key",
  () =>
    sameAsRedis(async (s) => {
      await s.block("a", "BLMOVE", "k", "k", "RIGHT", "LEFT", "0");
      await s.block("b", "BLPOP", "k", "0");
      await s.run("RPUSH", "k", "x");
      await s.reply("a");
      await s.reply("b");
      await s.run("EXISTS", "k");
      await s.blocked();
    }),
);

redisTest(
  "Redis 7.0: a key set to another type leaves its waiters blocked",
  () =>
    sameAsRedis(async (s) => {
      await s.block("a", "BLPOP", "k", "0");
      await s.block("b", "BLMPOP", "0", "1", "k", "LEFT");
      await s.run("SET", "k", "string");
      await s.blocked();
      await s.run("DEL", "k");
      await s.run("SADD", "k", "member");
      await s.blocked();
      await s.run("DEL", "k");
      await s.run("RPUSH", "k", "1", "2", "3");
      await s.reply("a");
      await s.reply("b");
      await s.blocked();
    }),
);

redisTest(
  "a served BLMOVE whose destination holds another type gets WRONGTYPE",
  () =>
    sameAsRedis(async (s) => {
      await s.block("a", "BLMOVE", "src", "dst", "LEFT", "LEFT", "0");
      await s.block("b", "BLPOP", "src", "0");
      await s.run("SET", "dst", "v");
      await s.run("RPUSH", "src", "x");
      await s.reply("a");
      await s.reply("b");
      await s.run("EXISTS", "src");
      await s.blocked();
    }),
);

redisTest(
  "BLMPOP with COUNT takes what is there when woken; pipelined commands wait their turn",
  () =>
    sameAsRedis(async (s) => {
      const a = await s.client("a");
      await a.send(cmd("PING"));
      await s.reply("a");
      await s.block("a", "BLMPOP", "0", "2", "k1", "k2", "RIGHT", "COUNT", "10");
      await a.send(cmd("ECHO", "after"));
      await s.run("RPUSH", "k2", "1", "2", "3");
      await s.reply("a");
      await s.reply("a");
      await s.blocked();
    }),
);

redisTest(
  "a negative timeout above -1 ms rounds up to 0: it waits until served",
  () =>
    sameAsRedis(async (s) => {
      await s.block("a", "BLPOP", "k", "-0.0001");
      await s.block("b", "BLPOP", "k", "-0.001");
      await s.run("RPUSH", "k", "1", "2");
      await s.reply("a");
      await s.reply("b");
    }),
);

redisTest(
  "many clients blocked on many keys: the same clients get the same elements",
  () =>
    sameAsRedis(async (s) => {
      const rand = mulberry32(7);
      const keys = Array.from({ length: 8 }, (_, i) => `k${i}`);
      const names = Array.from({ length: 24 }, (_, i) => `c${i}`);
      for (const name of names) {
        await s.client(name);
        const mine = keys.filter(() => rand() < 0.3);
        if (mine.length === 0) mine.push(keys[0]);
        const kind = rand();
        if (kind < 0.5) await s.block(name, "BLPOP", ...mine, "0");
        else if (kind < 0.7) await s.block(name, "BRPOP", ...mine, "0");
        else if (kind < 0.85) {
          await s.block(name, "BLMPOP", "0", String(mine.length), ...mine, "LEFT", "COUNT", "2");
        } else {
          const to = keys[Math.floor(rand() * keys.length)];
          await s.block(name, "BLMOVE", mine[0], to, "LEFT", "RIGHT", "0");
        }
      }
      for (let i = 0; i < 30; i++) {
        const key = keys[Math.floor(rand() * keys.length)];
        const n = 1 + Math.floor(rand() * 3);
        await s.run("RPUSH", key, ...Array.from({ length: n }, (_, j) => `${i}.${j}`));
      }
      // everyone still blocked is unblocked, so every client has exactly one reply
      for (const name of names) await s.unblock(name);
      for (const name of names) await s.reply(name);
      for (const key of keys) await s.run("LRANGE", key, "0", "-1");
      await s.blocked();
    }),
);
