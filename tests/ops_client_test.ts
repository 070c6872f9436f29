/**
 * CLIENT LIST/INFO fields against redis-server 7.0.15 (names, order and
 * meanings: flags, multi, qbuf, argv-mem, multi-mem, omem, events, cmd,
 * redir, resp), the query buffer released when idle, CLIENT NO-EVICT,
 * CLIENT PAUSE/UNPAUSE, SHUTDOWN and DEBUG.
 */
import assert from "node:assert/strict";
import { cmd, eachPeer, parseReply, RawClient, startTestServer, waitFor } from "./helpers.ts";

/** A CLIENT LIST line as field -> value, keeping the order of the fields. */
function fields(line: string): [string, string][] {
  return line.split(" ").map((kv) => {
    const eq = kv.indexOf("=");
    return [kv.slice(0, eq), kv.slice(eq + 1)];
  });
}

/** The fields whose values depend on the process, not on Redis's meaning of them. */
const VOLATILE = new Set([
  "id",
  "addr",
  "laddr",
  "fd",
  "age",
  "idle",
  "qbuf-free",
  "rbs",
  "rbp",
  "obl",
  "tot-mem",
]);

async function listByName(c: RawClient): Promise<Map<string, Map<string, string>>> {
  const text = parseReply(await c.call("CLIENT", "LIST")) as string;
  const out = new Map<string, Map<string, string>>();
  for (const line of text.split("\n").filter((l) => l !== "")) {
    const f = fields(line);
    const m = new Map(f.filter(([k]) => !VOLATILE.has(k)));
    out.set(m.get("name")!, m);
  }
  return out;
}

const FIELD_ORDER = [
  "id",
  "addr",
  "laddr",
  "fd",
  "name",
  "age",
  "idle",
  "flags",
  "db",
  "sub",
  "psub",
  "ssub",
  "multi",
  "qbuf",
  "qbuf-free",
  "argv-mem",
  "multi-mem",
  "rbs",
  "rbp",
  "obl",
  "oll",
  "omem",
  "tot-mem",
  "events",
  "cmd",
  "user",
  "redir",
  "resp",
];

eachPeer("CLIENT LIST: Redis 7.0.15's fields, in its order, with its meanings", async (p) => {
  await using a = await RawClient.connect(p.port);
  await using b = await RawClient.connect(p.port);
  await using t = await RawClient.connect(p.port);
  await using d = await RawClient.connect(p.port);
  await using e = await RawClient.connect(p.port);
  for (const [c, name] of [[a, "a"], [b, "b"], [t, "t"], [d, "d"], [e, "e"]] as const) {
    assert.equal(await c.call("CLIENT", "SETNAME", name), "+OK\r\n");
  }
  assert.equal(await a.call("MULTI"), "+OK\r\n");
  assert.equal(await a.call("SET", "aa", "bbb"), "+QUEUED\r\n");
  assert.equal(await a.call("GET", "aa"), "+QUEUED\r\n");
  assert.match(await b.call("SUBSCRIBE", "ch"), /^\*3/);
  assert.match(await b.call("PSUBSCRIBE", "p*"), /^\*3/);
  assert.equal(await t.call("HELLO", "3").then((r) => r.slice(0, 4)), "%7\r\n");
  assert.equal(await t.call("CLIENT", "TRACKING", "on", "BCAST"), "+OK\r\n");
  assert.equal(await t.call("CLIENT", "NO-EVICT", "on"), "+OK\r\n");
  assert.equal(await t.call("WATCH", "w"), "+OK\r\n");
  assert.equal(await e.call("SET", "w", "1"), "+OK\r\n"); // t's watch is now dirty
  await t.readStrings(1); // (the BCAST invalidation of w)
  await d.send(cmd("BLPOP", "nokey", "0"));
  await waitFor(async () =>
    (parseReply(await e.call("CLIENT", "LIST")) as string).includes("flags=b")
  );
  const raw = parseReply(await e.call("CLIENT", "LIST")) as string;
  for (const line of raw.split("\n").filter((l) => l !== "")) {
    assert.deepEqual(fields(line).map(([k]) => k), FIELD_ORDER);
  }
  const list = await listByName(e);
  const pick = (name: string, keys: string[]) => keys.map((k) => `${k}=${list.get(name)!.get(k)}`);
  assert.deepEqual(pick("a", ["flags", "multi", "multi-mem", "argv-mem", "qbuf", "cmd", "redir"]), [
    "flags=x",
    "multi=2",
    "multi-mem=53",
    "argv-mem=0",
    "qbuf=0",
    "cmd=get",
    "redir=-1",
  ]);
  assert.deepEqual(pick("b", ["flags", "sub", "psub", "ssub", "cmd", "resp"]), [
    "flags=P",
    "sub=1",
    "psub=1",
    "ssub=0",
    "cmd=psubscribe",
    "resp=2",
  ]);
  assert.deepEqual(pick("t", ["flags", "redir", "resp", "cmd"]), [
    "flags=tBde",
    "redir=0",
    "resp=3",
    "cmd=watch",
  ]);
  assert.deepEqual(pick("d", ["flags", "argv-mem", "qbuf", "cmd"]), [
    "flags=b",
    "argv-mem=11",
    "qbuf=0",
    "cmd=blpop",
  ]);
  // the client asking: its own request is in the query buffer, its arguments in argv-mem
  assert.deepEqual(
    pick("e", ["flags", "qbuf", "argv-mem", "oll", "omem", "events", "cmd", "user"]),
    [
      "flags=N",
      "qbuf=26",
      "argv-mem=10",
      "oll=0",
      "omem=0",
      "events=r",
      "cmd=client|list",
      "user=default",
    ],
  );
  const info = fields((parseReply(await e.call("CLIENT", "INFO")) as string).trimEnd());
  assert.deepEqual(info.map(([k]) => k), FIELD_ORDER);
  assert.deepEqual(
    info.filter(([k]) => ["qbuf", "argv-mem", "cmd"].includes(k)),
    [["qbuf", "26"], ["argv-mem", "10"], ["cmd", "client|info"]],
  );
  // an unknown command leaves cmd=NULL; a refused known one names it
  await e.call("NOSUCH");
  assert.deepEqual(parseReply(await a.call("EXEC")), ["OK", "bbb"]);
  assert.deepEqual(await t.readStrings(1), [">2\r\n$10\r\ninvalidate\r\n*1\r\n$2\r\naa\r\n"]);
  assert.equal(list.get("a")!.get("cmd"), "get");
  const after = await listByName(a);
  assert.equal(after.get("e")!.get("cmd"), "NULL");
  assert.equal(after.get("a")!.get("cmd"), "client|list");
  assert.equal(after.get("a")!.get("multi"), "-1");
  assert.match(
    parseReply(
      await e.call(
        "CLIENT",
        "LIST",
        "ID",
        await a.call("CLIENT", "ID").then((r) => r.slice(1, -2)),
      ),
    ) as string,
    / cmd=client\|id /,
  );
  await e.call("GET");
  assert.equal((await listByName(a)).get("e")!.get("cmd"), "get");
  // RESET ends tracking and the watch; Redis 7.0 keeps NO-EVICT
  assert.equal(await t.call("RESET"), "+RESET\r\n");
  assert.equal(await t.call("CLIENT", "SETNAME", "t"), "+OK\r\n");
  assert.equal((await listByName(e)).get("t")!.get("flags"), "e");
});

eachPeer("CLIENT NO-EVICT: the e flag; errors", async (p) => {
  await using c = await RawClient.connect(p.port);
  assert.equal(await c.call("CLIENT", "NO-EVICT", "on"), "+OK\r\n");
  assert.match(parseReply(await c.call("CLIENT", "INFO")) as string, / flags=e /);
  assert.equal(await c.call("CLIENT", "NO-EVICT", "OFF"), "+OK\r\n");
  assert.match(parseReply(await c.call("CLIENT", "INFO")) as string, / flags=N /);
  assert.equal(await c.call("CLIENT", "NO-EVICT", "maybe"), "-ERR syntax error\r\n");
  assert.equal(
    await c.call("CLIENT", "NO-EVICT"),
    "-ERR wrong number of arguments for 'client|no-evict' command\r\n",
  );
});

eachPeer("CLIENT PAUSE WRITE: reads go on, writes wait for UNPAUSE; errors", async (p) => {
  await using admin = await RawClient.connect(p.port);
  await using w = await RawClient.connect(p.port);
  const err = (m: string) => `-ERR ${m}\r\n`;
  assert.equal(
    await admin.call("CLIENT", "PAUSE", "10", "foo"),
    err("CLIENT PAUSE mode must be WRITE or ALL"),
  );
  assert.equal(
    await admin.call("CLIENT", "PAUSE", "x"),
    err("timeout is not an integer or out of range"),
  );
  assert.equal(await admin.call("CLIENT", "PAUSE", "-1"), err("timeout is negative"));
  assert.equal(
    await admin.call("CLIENT", "PAUSE", "10", "write", "x"),
    err("unknown subcommand or wrong number of arguments for 'PAUSE'. Try CLIENT HELP."),
  );
  assert.equal(await admin.call("CLIENT", "UNPAUSE"), "+OK\r\n");
  assert.equal(await admin.call("CLIENT", "PAUSE", "60000", "WRITE"), "+OK\r\n");
  assert.equal(await w.call("GET", "k"), "$-1\r\n");
  await w.send(cmd("SET", "k", "v"));
  // the writer waits, shown blocked
  await waitFor(async () =>
    (parseReply(await admin.call("CLIENT", "LIST")) as string).includes("flags=b")
  );
  assert.equal(await admin.call("GET", "k"), "$-1\r\n");
  assert.equal(await admin.call("CLIENT", "UNPAUSE"), "+OK\r\n");
  assert.deepEqual(await w.readStrings(1), ["+OK\r\n"]);
  assert.equal(await admin.call("GET", "k"), "$1\r\nv\r\n");
});

eachPeer("CLIENT PAUSE ALL: every command waits, but a monitor's (not paused)", async (p) => {
  await using admin = await RawClient.connect(p.port);
  await using m = await RawClient.connect(p.port);
  await using w = await RawClient.connect(p.port);
  assert.equal(await w.call("CLIENT", "SETNAME", "w"), "+OK\r\n");
  assert.equal(await m.call("MONITOR"), "+OK\r\n");
  assert.equal(await admin.call("CLIENT", "PAUSE", "60000", "ALL"), "+OK\r\n");
  await w.send(cmd("PING"));
  await admin.send(cmd("PING"));
  // the monitor is not paused: it sees both clients wait
  await waitFor(async () => {
    const list = parseReply(await m.call("CLIENT", "LIST")) as string;
    return list.split("\n").filter((l) => l.includes(" flags=b ")).length === 2;
  });
  assert.equal(await m.call("CLIENT", "UNPAUSE"), "+OK\r\n");
  assert.deepEqual(await w.readStrings(1), ["+PONG\r\n"]);
  assert.deepEqual(await admin.readStrings(1), ["+PONG\r\n"]);
});

eachPeer("the query buffer of a long command is released once the client is idle", async (p) => {
  await using big = await RawClient.connect(p.port);
  await using c = await RawClient.connect(p.port);
  assert.equal(await big.call("CLIENT", "SETNAME", "big"), "+OK\r\n");
  assert.equal(await big.call("SET", "k", "x".repeat(1024 * 1024)), "+OK\r\n");
  const bufferOf = async () => {
    const text = parseReply(await c.call("CLIENT", "LIST")) as string;
    const line = text.split("\n").find((l) => l.includes(" name=big "))!;
    const f = new Map(fields(line));
    return Number(f.get("qbuf")) + Number(f.get("qbuf-free"));
  };
  assert.ok((await bufferOf()) > 1024 * 1024, "the buffer held the command");
  await waitFor(async () => (await bufferOf()) <= 32 * 1024, { timeoutMs: 20_000 });
});

eachPeer("SHUTDOWN and DEBUG: Redis's errors", async (p) => {
  await using c = await RawClient.connect(p.port);
  assert.equal(await c.call("SHUTDOWN", "NOSAVE", "SAVE"), "-ERR syntax error\r\n");
  assert.equal(await c.call("SHUTDOWN", "ABORT", "NOW"), "-ERR syntax error\r\n");
  assert.equal(await c.call("SHUTDOWN", "LATER"), "-ERR syntax error\r\n");
  assert.equal(await c.call("SHUTDOWN", "ABORT"), "-ERR No shutdown in progress.\r\n");
  assert.equal(await c.call("MULTI"), "+OK\r\n");
  assert.equal(
    await c.call("SHUTDOWN"),
    "-ERR Command not allowed inside a transaction\r\n",
  );
  assert.equal(await c.call("DISCARD"), "+OK\r\n");
  const notAllowed =
    '-ERR DEBUG command not allowed. If the enable-debug-command option is set to "local", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.\r\n';
  assert.equal(await c.call("DEBUG", "foo"), notAllowed);
  assert.equal(await c.call("DEBUG", "SLEEP", "0"), notAllowed);
  assert.equal(await c.call("DEBUG"), "-ERR wrong number of arguments for 'debug' command\r\n");
});

Deno.test("SHUTDOWN: the server closes and the client gets no reply; SAVE cannot save", async () => {
  await using srv = await startTestServer(); // (startServer wires SHUTDOWN to close())
  await using c = await RawClient.connect(srv.port);
  await using other = await RawClient.connect(srv.port);
  assert.equal(await c.call("SHUTDOWN", "SAVE"), "-ERR Errors trying to SHUTDOWN. Check logs.\r\n");
  assert.equal(await c.call("PING"), "+PONG\r\n");
  await c.send(cmd("SHUTDOWN", "NOSAVE"));
  assert.equal((await c.readUntilClose()).length, 0);
  assert.equal((await other.readUntilClose()).length, 0);
  await srv.server.finished;
});
