/**
 * SLOWLOG and LATENCY against redis-server 7.0.15 and ours: the entries
 * (arguments cut and redacted as Redis does, client address and name), the
 * length limit, the errors; the latency monitor's events, DOCTOR, GRAPH,
 * HISTORY, LATEST, RESET and HISTOGRAM.
 */
import assert from "node:assert/strict";
import { eachPeer, parseReply, RawClient, type Reply, startRedis } from "./helpers.ts";
import { startServer } from "../server/mod.ts";
import { OK } from "../resp/frame.ts";
import { LatencyMonitor, sparkline } from "../server/commands/latency.ts";

type Entry = [number, number, number, string[], string, string];

/** SLOWLOG GET entries with id, time, duration and address checked and dropped. */
function entries(reply: string): [string[], string][] {
  const list = parseReply(reply) as Entry[];
  const now = Date.now() / 1000;
  for (let i = 0; i < list.length; i++) {
    const [id, time, us, , addr] = list[i];
    if (i > 0) assert.equal(id, list[i - 1][0] - 1, "ids count down, newest first");
    assert.ok(Math.abs(time - now) < 60, `time ${time}`);
    assert.ok(us >= 0);
    assert.match(addr, /^127\.0\.0\.1:\d+$/);
  }
  return list.map((e) => [e[3], e[5]]);
}

eachPeer("SLOWLOG: entries, cut and redacted as Redis", async (p) => {
  await using c = await RawClient.connect(p.port);
  assert.equal(await c.call("CONFIG", "SET", "slowlog-log-slower-than", "0"), "+OK\r\n");
  assert.equal(await c.call("SLOWLOG", "RESET"), "+OK\r\n");
  const long = "x".repeat(200);
  const many = Array.from({ length: 38 }, (_, i) => String(i));
  await c.call("SET", "k", long);
  await c.call("CLIENT", "SETNAME", "slowpoke");
  await c.call("RPUSH", "l", ...many);
  await c.call("AUTH", "nopass");
  await c.call("CONFIG", "SET", "masteruser", "someone");
  await c.call("GET"); // refused: not logged
  await c.call("GET", "k");
  assert.deepEqual(entries(await c.call("SLOWLOG", "GET", "-1")), [
    [["GET", "k"], "slowpoke"],
    [["CONFIG", "SET", "masteruser", "(redacted)"], "slowpoke"],
    [["AUTH", "(redacted)"], "slowpoke"],
    [["RPUSH", "l", ...many.slice(0, 29), "... (9 more arguments)"], "slowpoke"],
    [["CLIENT", "SETNAME", "slowpoke"], "slowpoke"], // (logged once it has run)
    [["SET", "k", "x".repeat(128) + "... (72 more bytes)"], ""],
    [["SLOWLOG", "RESET"], ""],
  ]);
  assert.equal(await c.call("SLOWLOG", "LEN"), ":8\r\n"); // (SLOWLOG GET itself)
  assert.deepEqual(entries(await c.call("SLOWLOG", "GET", "2")), [
    [["SLOWLOG", "LEN"], "slowpoke"],
    [["SLOWLOG", "GET", "-1"], "slowpoke"],
  ]);
  assert.deepEqual(entries(await c.call("SLOWLOG", "GET")).length, 10); // default 10
  assert.equal(await c.call("CONFIG", "SET", "masteruser", ""), "+OK\r\n");
});

eachPeer("SLOWLOG: slowlog-max-len, disabled with -1, errors and HELP", async (p) => {
  await using c = await RawClient.connect(p.port);
  assert.equal(
    await c.call("CONFIG", "SET", "slowlog-log-slower-than", "0", "slowlog-max-len", "3"),
    "+OK\r\n",
  );
  for (let i = 0; i < 5; i++) await c.call("ECHO", String(i));
  assert.equal(await c.call("SLOWLOG", "LEN"), ":3\r\n");
  assert.deepEqual(entries(await c.call("SLOWLOG", "GET", "-1")).map((e) => e[0]), [
    ["SLOWLOG", "LEN"],
    ["ECHO", "4"],
    ["ECHO", "3"],
  ]);
  assert.equal(await c.call("CONFIG", "SET", "slowlog-log-slower-than", "-1"), "+OK\r\n");
  assert.equal(await c.call("SLOWLOG", "RESET"), "+OK\r\n");
  await c.call("PING");
  assert.equal(await c.call("SLOWLOG", "LEN"), ":0\r\n");
  assert.equal(
    await c.call("SLOWLOG", "GET", "-2"),
    "-ERR count should be greater than or equal to -1\r\n",
  );
  assert.equal(
    await c.call("SLOWLOG", "GET", "x"),
    "-ERR count should be greater than or equal to -1\r\n",
  );
  assert.equal(
    await c.call("SLOWLOG", "GET", "1", "2"),
    "-ERR unknown subcommand or wrong number of arguments for 'GET'. Try SLOWLOG HELP.\r\n",
  );
  assert.equal(
    await c.call("SLOWLOG", "LEN", "x"),
    "-ERR wrong number of arguments for 'slowlog|len' command\r\n",
  );
  const help = parseReply(await c.call("SLOWLOG", "HELP")) as string[];
  assert.equal(help[0], "SLOWLOG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:");
  assert.equal(help.length, 12);
  assert.equal(
    await c.call("CONFIG", "SET", "slowlog-log-slower-than", "-2"),
    "-ERR CONFIG SET failed (possibly related to argument 'slowlog-log-slower-than') - argument must be between -1 and 9223372036854775807 inclusive\r\n",
  );
});

eachPeer("LATENCY: disabled, no events, errors, HELP, HISTOGRAM", async (p) => {
  await using c = await RawClient.connect(p.port);
  assert.equal(
    parseReply(await c.call("LATENCY", "DOCTOR")),
    "I'm sorry, Dave, I can't do that. Latency monitoring is disabled in this Redis instance. You may use \"CONFIG SET latency-monitor-threshold <milliseconds>.\" in order to enable it. If we weren't in a deep space mission I'd suggest to take a look at https://redis.io/topics/latency-monitor.\n",
  );
  assert.equal(await c.call("CONFIG", "SET", "latency-monitor-threshold", "1000"), "+OK\r\n");
  assert.equal(
    parseReply(await c.call("LATENCY", "DOCTOR")),
    "Dave, no latency spike was observed during the lifetime of this Redis instance, not in the slightest bit. I honestly think you ought to sit down calmly, take a stress pill, and think things over.\n",
  );
  assert.equal(await c.call("LATENCY", "LATEST"), "*0\r\n");
  assert.equal(await c.call("LATENCY", "HISTORY", "command"), "*0\r\n");
  assert.equal(await c.call("LATENCY", "RESET"), ":0\r\n");
  assert.equal(
    await c.call("LATENCY", "GRAPH", "command"),
    "-ERR No samples available for event 'command'\r\n",
  );
  assert.equal(
    await c.call("LATENCY", "HISTORY"),
    "-ERR wrong number of arguments for 'latency|history' command\r\n",
  );
  assert.equal(
    await c.call("LATENCY", "FOO"),
    "-ERR unknown subcommand 'FOO'. Try LATENCY HELP.\r\n",
  );
  const help = parseReply(await c.call("LATENCY", "HELP")) as string[];
  assert.equal(help.length, 17);
  assert.equal(help[12], "HISTOGRAM [COMMAND ...]");
  // HISTOGRAM: calls and the cumulative distribution per command
  assert.equal(await c.call("CONFIG", "RESETSTAT"), "+OK\r\n");
  for (let i = 0; i < 3; i++) await c.call("SET", "k", "v");
  await c.call("GET", "k");
  const h = parseReply(await c.call("LATENCY", "HISTOGRAM", "set", "GET", "nosuch")) as Reply[];
  assert.deepEqual([h[0], h[2]], ["set", "get"]);
  for (const [i, calls] of [[1, 3], [3, 1]]) {
    const entry = h[i] as Reply[];
    assert.deepEqual(entry.slice(0, 3), ["calls", calls, "histogram_usec"]);
    const buckets = entry[3] as number[];
    for (let j = 0; j < buckets.length; j += 2) {
      // Redis's bucket labels: the highest value of each power of two from 1024 ns, in µs
      assert.ok([1, 2, 4, 8, 16, 33, 66, 132, 264, 528, 1056, 2113].includes(buckets[j]));
      if (j > 0) assert.ok(buckets[j + 1] > buckets[j - 1]);
    }
    assert.equal(buckets[buckets.length - 1], calls);
  }
  // a container names its subcommands (CONFIG RESETSTAT was counted after the reset)
  assert.match(
    await c.call("LATENCY", "HISTOGRAM", "config"),
    /^\*2\r\n\$16\r\nconfig\|resetstat\r\n\*4\r\n\$5\r\ncalls\r\n:1\r\n/,
  );
});

Deno.test("LATENCY: a slow command is a `command` event; LATEST, HISTORY, DOCTOR, GRAPH", async () => {
  // a command that keeps the server busy for 5 ms, as a slow command does
  await using server = await startServer({
    port: 0,
    logLevel: "silent",
    commands: [{
      name: "slowcmd",
      arity: 1,
      flags: [],
      firstKey: 0,
      lastKey: 0,
      step: 0,
      handler: () => {
        const end = performance.now() + 5;
        while (performance.now() < end) { /* busy */ }
        return OK;
      },
    }],
  });
  await using c = await RawClient.connect(server.addr.port);
  assert.equal(await c.call("CONFIG", "SET", "latency-monitor-threshold", "2"), "+OK\r\n");
  assert.equal(await c.call("SLOWCMD"), "+OK\r\n");
  const latest = parseReply(await c.call("LATENCY", "LATEST")) as [
    string,
    number,
    number,
    number,
  ][];
  assert.equal(latest.length, 1);
  const [event, time, ms, max] = latest[0];
  assert.equal(event, "command");
  assert.ok(Math.abs(time - Date.now() / 1000) < 60);
  assert.ok(ms >= 5 && max === ms, `${ms} ms`);
  assert.deepEqual(parseReply(await c.call("LATENCY", "HISTORY", "command")), [[time, ms]]);
  const doctor = parseReply(await c.call("LATENCY", "DOCTOR")) as string;
  assert.equal(
    doctor,
    "Dave, I have observed latency spikes in this Redis instance. You don't mind talking about it, do you Dave?\n\n" +
      `1. command: 1 latency spikes (average ${ms}ms, mean deviation 0ms, period 1.00 sec). Worst all time event ${ms}ms.\n` +
      "\nI have a few advices for you:\n\n" +
      "- Your current Slow Log configuration only logs events that are slower than your configured latency monitor threshold. Please use 'CONFIG SET slowlog-log-slower-than 2000'.\n" +
      "- Check your Slow Log to understand what are the commands you are running which are too slow to execute. Please check https://redis.io/commands/slowlog for more information.\n" +
      "- Deleting, expiring or evicting (because of maxmemory policy) large objects is a blocking operation. If you have very large objects that are often deleted, expired, or evicted, try to fragment those objects into multiple smaller objects.\n",
  );
  const graph = parseReply(await c.call("LATENCY", "GRAPH", "command")) as string;
  assert.equal(
    graph,
    `command - high ${ms} ms, low ${ms} ms (all time high ${ms} ms)\n` + "-".repeat(80) +
      "\n \n \n \n_\n \n0\ns\n",
  );
  // the slow log got it too (10 ms threshold: not by default, with 1000 µs yes)
  assert.equal(await c.call("LATENCY", "RESET", "COMMAND", "nosuch"), ":1\r\n");
  assert.equal(await c.call("LATENCY", "LATEST"), "*0\r\n");
});

Deno.test("LATENCY: Redis 7.0.15 reports a slow command the same way (DEBUG SLEEP)", async () => {
  await using redis = await startRedis({ args: ["--enable-debug-command", "yes"] });
  await using c = await RawClient.connect(redis.port);
  assert.equal(await c.call("CONFIG", "SET", "latency-monitor-threshold", "2"), "+OK\r\n");
  assert.equal(await c.call("DEBUG", "SLEEP", "0.005"), "+OK\r\n");
  const [[event, , ms]] = parseReply(await c.call("LATENCY", "LATEST")) as [
    string,
    number,
    number,
  ][];
  assert.equal(event, "command");
  const graph = parseReply(await c.call("LATENCY", "GRAPH", "command")) as string;
  assert.equal(
    graph,
    `command - high ${ms} ms, low ${ms} ms (all time high ${ms} ms)\n` + "-".repeat(80) +
      "\n \n \n \n_\n \n0\ns\n",
  );
  assert.match(
    parseReply(await c.call("LATENCY", "DOCTOR")) as string,
    new RegExp(
      `^1\\. command: 1 latency spikes \\(average ${ms}ms, mean deviation 0ms, period 1\\.00 sec\\)`,
      "m",
    ),
  );
});

Deno.test("LATENCY GRAPH: Redis's sparkline for several samples", () => {
  const m = new LatencyMonitor();
  m.thresholdMs = 1;
  const now = 1_700_000_000;
  m.addSample("command", 10, now - 130);
  m.addSample("command", 40, now - 70);
  m.addSample("command", 25, now - 3);
  // (the rendering Redis's sparklineRender gives for these samples and labels)
  assert.equal(
    m.graph("command", now),
    "command - high 40 ms, low 10 ms (all time high 40 ms)\n" + "-".repeat(80) + "\n" +
      " # \n" +
      " |_\n" +
      " ||\n" +
      "_||\n" +
      "   \n" +
      "213\n" +
      "mms\n",
  );
  assert.equal(sparkline([1, 1], ["a", "bc"], 80, 1), "__\n  \nab\n c\n");
});
