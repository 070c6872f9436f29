// The connection side of blocked clients (server/connection.ts with
// server/db/blocking.ts), through a minimal blocking command of our own
// (BWAIT key timeout-ms: waits until the key exists, replies its value):
// replies made before a command blocks are sent at once, commands pipelined
// after it run after it, a client that disconnects while blocked is
// forgotten, CLIENT UNBLOCK answers it, and a shutdown closes it.

import assert from "node:assert/strict";
import { NULL_ARRAY } from "../resp/frame.ts";
import { toBinary } from "../resp/bytes.ts";
import { type Command, STRING } from "../server/mod.ts";
import { cmds, RawClient, startTestServer, waitFor } from "./helpers.ts";

const bwait: Command = {
  name: "bwait",
  arity: 3,
  flags: ["readonly", "blocking"],
  firstKey: 1,
  lastKey: 1,
  step: 1,
  handler: (ctx, args) => {
    const key = toBinary(args[1]);
    const timeoutMs = Number(toBinary(args[2]));
    const attempt = () => ctx.db.read(key, STRING)?.slice();
    const now = attempt();
    if (now !== undefined) return now;
    return ctx.server.blocking.wait({
      clientId: ctx.client.id,
      keys: [key],
      timeoutMs,
      timeoutReply: NULL_ARRAY,
      attempt,
    });
  },
};

async function blockedClients(c: RawClient): Promise<number> {
  const info = await c.call("INFO", "clients");
  return Number(/blocked_clients:(\d+)/.exec(info)![1]);
}

Deno.test("blocking: earlier replies go out at once; later commands wait their turn", async () => {
  await using srv = await startTestServer({ commands: [bwait] });
  await using a = await RawClient.connect(srv.port);
  await using b = await RawClient.connect(srv.port);
  await a.send(cmds([["PING"], ["BWAIT", "k", "0"], ["ECHO", "after"]]));
  // PONG arrives while BWAIT is blocked
  assert.deepEqual(await a.readStrings(1), ["+PONG\r\n"]);
  await waitFor(async () => (await blockedClients(b)) === 1, { what: "the client to block" });
  assert.equal(await b.call("SET", "k", "v"), "+OK\r\n");
  assert.deepEqual(await a.readStrings(2), ["$1\r\nv\r\n", "$5\r\nafter\r\n"]);
  assert.equal(await blockedClients(b), 0);
});

Deno.test("blocking: input sent while blocked is run after the blocked command, in order", async () => {
  await using srv = await startTestServer({ commands: [bwait] });
  await using a = await RawClient.connect(srv.port);
  await using b = await RawClient.connect(srv.port);
  await a.send(cmds([["BWAIT", "k", "0"]]));
  await waitFor(async () => (await blockedClients(b)) === 1, { what: "the client to block" });
  await a.send(cmds([["ECHO", "one"], ["ECHO", "two"]]));
  // the commands sent meanwhile do not run before the blocked one is served
  assert.equal(await b.call("CLIENT", "LIST").then((l) => l.includes("cmd=bwait")), true);
  assert.equal(await b.call("SET", "k", "v"), "+OK\r\n");
  assert.deepEqual(await a.readStrings(3), ["$1\r\nv\r\n", "$3\r\none\r\n", "$3\r\ntwo\r\n"]);
});

Deno.test("blocking: a client that disconnects while blocked is forgotten", async () => {
  await using srv = await startTestServer({ commands: [bwait] });
  await using b = await RawClient.connect(srv.port);
  const a = await RawClient.connect(srv.port);
  await a.send(cmds([["BWAIT", "k", "0"]]));
  await waitFor(async () => (await blockedClients(b)) === 1, { what: "the client to block" });
  a.close();
  await waitFor(async () => (await blockedClients(b)) === 0, { what: "the waiter to be freed" });
  await waitFor(() => srv.server.connections === 1, { what: "the connection to close" });
  // a later write to the key finds nobody to serve
  assert.equal(await b.call("SET", "k", "v"), "+OK\r\n");
  assert.equal(await b.call("GET", "k"), "$1\r\nv\r\n");
});

Deno.test("blocking: timeout, CLIENT UNBLOCK TIMEOUT and ERROR", async () => {
  await using srv = await startTestServer({ commands: [bwait] });
  await using a = await RawClient.connect(srv.port);
  await using b = await RawClient.connect(srv.port);
  assert.equal(await a.call("BWAIT", "k", "10"), "*-1\r\n");
  const id = (await a.call("CLIENT", "ID")).slice(1, -2);
  for (
    const [reason, reply] of [["TIMEOUT", "*-1\r\n"], [
      "ERROR",
      "-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n",
    ]]
  ) {
    await a.send(cmds([["BWAIT", "k", "0"]]));
    await waitFor(async () => (await blockedClients(b)) === 1, { what: "the client to block" });
    assert.equal(await b.call("CLIENT", "UNBLOCK", id, reason), ":1\r\n");
    assert.deepEqual(await a.readStrings(1), [reply]);
  }
  assert.equal(await b.call("CLIENT", "UNBLOCK", id), ":0\r\n");
  assert.equal(
    await b.call("CLIENT", "UNBLOCK", id, "FOO"),
    "-ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR\r\n",
  );
  assert.equal(
    await b.call("CLIENT", "UNBLOCK", "x"),
    "-ERR value is not an integer or out of range\r\n",
  );
});

Deno.test("blocking: a shutdown closes a blocked client without a reply", async () => {
  const srv = await startTestServer({ commands: [bwait] });
  await using a = await RawClient.connect(srv.port);
  await using b = await RawClient.connect(srv.port);
  await a.send(cmds([["BWAIT", "k", "0"]]));
  await waitFor(async () => (await blockedClients(b)) === 1, { what: "the client to block" });
  b.close();
  await srv.close();
  assert.equal((await a.readUntilClose()).length, 0);
});
