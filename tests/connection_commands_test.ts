/**
 * Connection commands byte for byte: HELLO (RESP2/RESP3 reply maps,
 * NOPROTO, options), AUTH and `requirepass` (NOAUTH, WRONGPASS, HELLO AUTH,
 * RESET, the unauthenticated protocol limits, CONFIG SET requirepass),
 * CLIENT (ID, SETNAME, GETNAME, SETINFO, INFO, LIST, KILL, REPLY,
 * NO-EVICT, NO-TOUCH, HELP), RESET, ECHO, TIME, and the `timeout` setting.
 */
import assert from "node:assert/strict";
import { cmd, cmds, eachPeer, latin1, parseReply, RawClient } from "./helpers.ts";

const hello = (proto: 2 | 3, id: number) => {
  const body = "$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$6\r\n7.0.15\r\n" +
    `$5\r\nproto\r\n:${proto}\r\n$2\r\nid\r\n:${id}\r\n$4\r\nmode\r\n$10\r\nstandalone\r\n` +
    "$4\r\nrole\r\n$6\r\nmaster\r\n$7\r\nmodules\r\n*0\r\n";
  return (proto === 3 ? "%7\r\n" : "*14\r\n") + body;
};

const NOAUTH = "-NOAUTH Authentication required.\r\n";
const WRONGPASS = "-WRONGPASS invalid username-password pair or user is disabled.\r\n";

async function clientId(c: RawClient): Promise<number> {
  return parseReply(await c.call("CLIENT", "ID")) as number;
}

eachPeer("HELLO: the reply map in RESP2 and RESP3, and RESP3 replies afterwards", async (srv) => {
  await using c = await RawClient.connect(srv.port);
  const id = await clientId(c);
  assert.equal(await c.call("HELLO"), hello(2, id));
  assert.equal(await c.call("HELLO", "2"), hello(2, id));
  assert.equal(await c.call("HELLO", "3"), hello(3, id));
  assert.equal(await c.call("HELLO"), hello(3, id)); // no version: stays as it is
  // RESP3: null is `_`, CONFIG GET a map, INCRBYFLOAT a bulk string as in Redis 7.0
  assert.equal(await c.call("GET", "nokey"), "_\r\n");
  assert.equal(
    await c.call("CONFIG", "GET", "maxclients"),
    "%1\r\n$10\r\nmaxclients\r\n$5\r\n10000\r\n",
  );
  assert.equal(await c.call("INCRBYFLOAT", "f", "1.5"), "$3\r\n1.5\r\n");
  assert.equal(await c.call("MGET", "f", "nokey"), "*2\r\n$3\r\n1.5\r\n_\r\n");
  assert.match(await c.call("INFO", "server"), /^=\d+\r\ntxt:# Server\r\n/);
  assert.match(await c.call("CLIENT", "INFO"), /^=\d+\r\ntxt:id=\d+ addr=/);
  assert.equal(await c.call("HELLO", "2"), hello(2, id));
  assert.equal(await c.call("GET", "nokey"), "$-1\r\n");
});

eachPeer("HELLO: errors and options", async (srv) => {
  await using c = await RawClient.connect(srv.port);
  assert.equal(await c.call("HELLO", "4"), "-NOPROTO unsupported protocol version\r\n");
  assert.equal(await c.call("HELLO", "1"), "-NOPROTO unsupported protocol version\r\n");
  assert.equal(
    await c.call("HELLO", "x"),
    "-ERR Protocol version is not an integer or out of range\r\n",
  );
  assert.equal(await c.call("HELLO", "3", "FOO"), "-ERR Syntax error in HELLO option 'FOO'\r\n");
  assert.equal(
    await c.call("HELLO", "3", "AUTH", "default"),
    "-ERR Syntax error in HELLO option 'AUTH'\r\n",
  );
  assert.equal(
    await c.call("HELLO", "3", "SETNAME", "a b"),
    "-ERR Client names cannot contain spaces, newlines or special characters.\r\n",
  );
  assert.equal(await c.call("GET", "nokey"), "$-1\r\n"); // nothing changed
  // without a password any AUTH pair opens the default user, as in Redis
  const id = await clientId(c);
  assert.equal(await c.call("HELLO", "3", "AUTH", "default", "x", "SETNAME", "me"), hello(3, id));
  assert.equal(await c.call("CLIENT", "GETNAME"), "$2\r\nme\r\n");
  assert.equal(await c.call("HELLO", "3", "AUTH", "alice", "x"), WRONGPASS);
});

eachPeer("AUTH with requirepass: NOAUTH, WRONGPASS, AUTH, HELLO AUTH and RESET", async (srv) => {
  await using c = await RawClient.connect(srv.port);
  assert.equal(await c.call("GET", "k"), NOAUTH);
  assert.equal(await c.call("PING"), NOAUTH);
  assert.equal(await c.call("SUBSCRIBE", "a"), NOAUTH);
  assert.equal(await c.call("CLIENT", "ID"), NOAUTH);
  // lookup and arity errors come before the auth check, as in Redis
  assert.equal(
    await c.call("NOSUCH"),
    "-ERR unknown command 'NOSUCH', with args beginning with: \r\n",
  );
  assert.equal(await c.call("GET"), "-ERR wrong number of arguments for 'get' command\r\n");
  assert.equal(await c.call("AUTH", "wrong"), WRONGPASS);
  assert.equal(await c.call("AUTH", "default", "wrong"), WRONGPASS);
  assert.equal(await c.call("AUTH", "alice", "s3cret"), WRONGPASS);
  assert.equal(await c.call("AUTH", "a", "b", "c"), "-ERR syntax error\r\n");
  assert.equal(
    await c.call("HELLO", "3"),
    "-NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time\r\n",
  );
  assert.equal(await c.call("HELLO", "3", "AUTH", "default", "wrong"), WRONGPASS);
  assert.equal(await c.call("RESET"), "+RESET\r\n"); // allowed without auth
  assert.equal(await c.call("AUTH", "s3cret"), "+OK\r\n");
  assert.equal(await c.call("SET", "k", "v"), "+OK\r\n");
  assert.equal(await c.call("AUTH", "wrong"), WRONGPASS); // a failed AUTH does not log out
  assert.equal(await c.call("GET", "k"), "$1\r\nv\r\n");
  assert.equal(await c.call("RESET"), "+RESET\r\n"); // but RESET does
  assert.equal(await c.call("GET", "k"), NOAUTH);
  const id = await (async () => {
    const r = await c.call("HELLO", "3", "AUTH", "default", "s3cret");
    return Number(/\$2\r\nid\r\n:(\d+)\r\n/.exec(r)![1]);
  })();
  assert.ok(id > 0);
  assert.equal(await c.call("GET", "k"), "$1\r\nv\r\n");
  await using other = await RawClient.connect(srv.port);
  assert.equal(await other.call("QUIT"), "+OK\r\n"); // QUIT needs no auth either
}, { requirepass: "s3cret" });

eachPeer("AUTH <password> without a configured password is Redis's error", async (srv) => {
  await using c = await RawClient.connect(srv.port);
  assert.equal(
    await c.call("AUTH", "x"),
    "-ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?\r\n",
  );
  assert.equal(await c.call("AUTH", "default", "anything"), "+OK\r\n");
  assert.equal(await c.call("AUTH", "alice", "x"), WRONGPASS);
});

eachPeer("unauthenticated clients get Redis's small multibulk and bulk limits", async (srv) => {
  {
    await using c = await RawClient.connect(srv.port);
    await c.send("*11\r\n");
    assert.equal(
      latin1(await c.readUntilClose()),
      "-ERR Protocol error: unauthenticated multibulk length\r\n",
    );
  }
  {
    await using c = await RawClient.connect(srv.port);
    await c.send("*1\r\n$16385\r\n");
    assert.equal(
      latin1(await c.readUntilClose()),
      "-ERR Protocol error: unauthenticated bulk length\r\n",
    );
  }
  {
    // AUTH and a big command in one write: the limits lift right after AUTH
    await using c = await RawClient.connect(srv.port);
    const big = Array.from({ length: 11 }, (_, i) => String(i));
    await c.send(cmds([["AUTH", "pw"], ["ECHO", "x".repeat(20000)], ["DEL", ...big]]));
    assert.deepEqual(await c.readStrings(3), [
      "+OK\r\n",
      `$20000\r\n${"x".repeat(20000)}\r\n`,
      ":0\r\n",
    ]);
  }
}, { requirepass: "pw" });

eachPeer(
  "CONFIG SET requirepass at run time: connected clients stay in, new ones must AUTH",
  async (srv) => {
    await using admin = await RawClient.connect(srv.port);
    assert.equal(await admin.call("CONFIG", "SET", "requirepass", "pw"), "+OK\r\n");
    assert.equal(
      await admin.call("CONFIG", "GET", "requirepass"),
      "*2\r\n$11\r\nrequirepass\r\n$2\r\npw\r\n",
    );
    assert.equal(await admin.call("PING"), "+PONG\r\n");
    await using late = await RawClient.connect(srv.port);
    assert.equal(await late.call("PING"), NOAUTH);
    assert.equal(await admin.call("CONFIG", "SET", "requirepass", ""), "+OK\r\n");
    assert.equal(await late.call("PING"), "+PONG\r\n"); // no password: nothing to require
    // and its protocol limits are lifted too
    assert.equal(
      await late.call("DEL", ...Array.from({ length: 20 }, (_, i) => `k${i}`)),
      ":0\r\n",
    );
  },
);

eachPeer("CLIENT ID, SETNAME, GETNAME, INFO and errors", async (srv) => {
  await using c = await RawClient.connect(srv.port);
  const id = await clientId(c);
  assert.ok(id > 0);
  assert.equal(await c.call("CLIENT", "GETNAME"), "$-1\r\n");
  assert.equal(await c.call("CLIENT", "SETNAME", "worker-1"), "+OK\r\n");
  assert.equal(await c.call("CLIENT", "GETNAME"), "$8\r\nworker-1\r\n");
  for (const bad of ["a b", "a\nb", "h\u00e9", "\x7f"]) {
    assert.equal(
      await c.call("CLIENT", "SETNAME", bad),
      "-ERR Client names cannot contain spaces, newlines or special characters.\r\n",
    );
  }
  assert.equal(await c.call("CLIENT", "SETNAME", ""), "+OK\r\n");
  assert.equal(await c.call("CLIENT", "GETNAME"), "$-1\r\n");
  assert.equal(
    await c.call("CLIENT", "SETNAME"),
    "-ERR wrong number of arguments for 'client|setname' command\r\n",
  );
  // CLIENT SETINFO and NO-TOUCH came with Redis 7.2: 7.0.15 refuses them
  assert.equal(
    await c.call("CLIENT", "SETINFO", "lib-name", "mylib"),
    "-ERR unknown subcommand 'SETINFO'. Try CLIENT HELP.\r\n",
  );
  await c.call("CLIENT", "SETNAME", "me");
  const info = parseReply(await c.call("CLIENT", "INFO")) as string;
  // Redis shows the socket's file descriptor; ours has none to show (Deno hides it): -1.
  const fd = srv.kind === "redis" ? "\\d+" : "-1";
  assert.match(
    info,
    new RegExp(
      `^id=${id} addr=127\\.0\\.0\\.1:\\d+ laddr=127\\.0\\.0\\.1:${srv.port} fd=${fd} name=me age=\\d+ idle=\\d+ flags=N db=0 sub=0 psub=0 ssub=0 multi=-1 qbuf=\\d+ qbuf-free=\\d+ argv-mem=\\d+ multi-mem=0 rbs=\\d+ rbp=\\d+ obl=0 oll=0 omem=0 tot-mem=\\d+ events=r cmd=client\\|info user=default redir=-1 resp=2\\n$`,
    ),
  );
  assert.equal(await c.call("CLIENT", "NO-EVICT", "on"), "+OK\r\n");
  assert.equal(await c.call("CLIENT", "NO-EVICT", "maybe"), "-ERR syntax error\r\n");
  assert.equal(
    await c.call("CLIENT", "NO-TOUCH", "OFF"),
    "-ERR unknown subcommand 'NO-TOUCH'. Try CLIENT HELP.\r\n",
  );
  assert.equal(
    await c.call("CLIENT", "FOO"),
    "-ERR unknown subcommand 'FOO'. Try CLIENT HELP.\r\n",
  );
  assert.equal(await c.call("CLIENT"), "-ERR wrong number of arguments for 'client' command\r\n");
  const help = parseReply(await c.call("CLIENT", "HELP")) as string[];
  assert.equal(help[0], "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:");
  assert.ok(help.includes("REPLY (ON|OFF|SKIP)"));
});

eachPeer("CLIENT LIST: every client, TYPE and ID filters, errors", async (srv) => {
  await using a = await RawClient.connect(srv.port);
  await using b = await RawClient.connect(srv.port);
  const idA = await clientId(a);
  const idB = await clientId(b);
  await b.send(cmd("PSUBSCRIBE", "x*"));
  await b.readStrings(1);
  const all = parseReply(await a.call("CLIENT", "LIST")) as string;
  const lines = all.split("\n").filter((l) => l !== "");
  assert.equal(lines.length, 2);
  assert.ok(all.endsWith("\n"));
  assert.match(lines.find((l) => l.startsWith(`id=${idA} `))!, / flags=N .* cmd=client\|list /);
  assert.match(lines.find((l) => l.startsWith(`id=${idB} `))!, / flags=P db=0 sub=0 psub=1 /);
  const pubsub = parseReply(await a.call("CLIENT", "LIST", "TYPE", "pubsub")) as string;
  assert.match(pubsub, new RegExp(`^id=${idB} [^\\n]*\\n$`));
  const normal = parseReply(await a.call("CLIENT", "LIST", "TYPE", "normal")) as string;
  assert.match(normal, new RegExp(`^id=${idA} [^\\n]*\\n$`));
  assert.equal(await a.call("CLIENT", "LIST", "TYPE", "master"), "$0\r\n\r\n");
  const byId = parseReply(await a.call("CLIENT", "LIST", "ID", String(idB), "999999")) as string;
  assert.match(byId, new RegExp(`^id=${idB} [^\\n]*\\n$`));
  assert.equal(
    await a.call("CLIENT", "LIST", "TYPE", "bogus"),
    "-ERR Unknown client type 'bogus'\r\n",
  );
  assert.equal(await a.call("CLIENT", "LIST", "ID", "x"), "-ERR Invalid client ID\r\n");
  assert.equal(await a.call("CLIENT", "LIST", "foo"), "-ERR syntax error\r\n");
});

eachPeer("CLIENT KILL: ID, ADDR, the old form, TYPE, SKIPME and errors", async (srv) => {
  await using admin = await RawClient.connect(srv.port);
  await using v1 = await RawClient.connect(srv.port);
  await using v2 = await RawClient.connect(srv.port);
  await using v3 = await RawClient.connect(srv.port);
  const id1 = await clientId(v1);
  const addrOf = async (c: RawClient) =>
    /addr=(\S+)/.exec(parseReply(await c.call("CLIENT", "INFO")) as string)![1];
  const addr2 = await addrOf(v2);
  const addr3 = await addrOf(v3);
  assert.equal(await admin.call("CLIENT", "KILL", "ID", String(id1)), ":1\r\n");
  assert.equal(latin1(await v1.readUntilClose()), "");
  assert.equal(await admin.call("CLIENT", "KILL", "ADDR", addr2), ":1\r\n");
  assert.equal(latin1(await v2.readUntilClose()), "");
  assert.equal(await admin.call("CLIENT", "KILL", addr3), "+OK\r\n"); // old form
  assert.equal(latin1(await v3.readUntilClose()), "");
  assert.equal(await admin.call("CLIENT", "KILL", "1.2.3.4:5"), "-ERR No such client\r\n");
  assert.equal(await admin.call("CLIENT", "KILL", "ID", "999999"), ":0\r\n");
  assert.equal(
    await admin.call("CLIENT", "KILL", "ID", "x"),
    "-ERR client-id should be greater than 0\r\n",
  );
  assert.equal(
    await admin.call("CLIENT", "KILL", "ID", "0"),
    "-ERR client-id should be greater than 0\r\n",
  );
  assert.equal(
    await admin.call("CLIENT", "KILL", "TYPE", "bogus"),
    "-ERR Unknown client type 'bogus'\r\n",
  );
  assert.equal(
    await admin.call("CLIENT", "KILL", "USER", "alice"),
    "-ERR No such user 'alice'\r\n",
  );
  assert.equal(await admin.call("CLIENT", "KILL", "SKIPME", "maybe"), "-ERR syntax error\r\n");
  assert.equal(await admin.call("CLIENT", "KILL", "MAXAGE", "5"), "-ERR syntax error\r\n");
  // by type: a subscriber goes, the caller is skipped by default
  await using sub = await RawClient.connect(srv.port);
  await sub.send(cmd("SUBSCRIBE", "c"));
  await sub.readStrings(1);
  assert.equal(await admin.call("CLIENT", "KILL", "TYPE", "pubsub"), ":1\r\n");
  await sub.readUntilClose();
  assert.equal(await admin.call("PUBLISH", "c", "x"), ":0\r\n");
  assert.equal(await admin.call("CLIENT", "KILL", "TYPE", "normal"), ":0\r\n");
  // SKIPME no: the caller gets its reply, then the connection closes
  const id = await clientId(admin);
  await admin.send(cmd("CLIENT", "KILL", "ID", String(id), "SKIPME", "no"));
  assert.equal(latin1(await admin.readUntilClose()), ":1\r\n");
});

eachPeer("CLIENT REPLY ON, OFF and SKIP really suppress replies", async (srv) => {
  await using c = await RawClient.connect(srv.port);
  await c.send(
    cmds([
      ["CLIENT", "REPLY", "SKIP"],
      ["PING", "1"],
      ["PING", "2"],
      ["CLIENT", "REPLY", "OFF"],
      ["PING", "3"],
      ["SET", "k", "v"],
      ["GET"],
      ["CLIENT", "REPLY", "SKIP"],
      ["PING", "4"],
      ["CLIENT", "REPLY", "ON"],
      ["PING", "5"],
    ]),
  );
  assert.deepEqual(await c.readStrings(3), ["$1\r\n2\r\n", "+OK\r\n", "$1\r\n5\r\n"]);
  assert.equal(await c.call("GET", "k"), "$1\r\nv\r\n"); // the silent SET did happen
  assert.equal(await c.call("CLIENT", "REPLY", "x"), "-ERR syntax error\r\n");
});

eachPeer("CLIENT REPLY OFF does not silence pub/sub confirmations and messages", async (srv) => {
  await using c = await RawClient.connect(srv.port);
  await using pub = await RawClient.connect(srv.port);
  await c.send(cmds([["CLIENT", "REPLY", "OFF"], ["SUBSCRIBE", "a"], ["PING"]]));
  assert.deepEqual(await c.readStrings(1), ["*3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:1\r\n"]);
  assert.equal(await pub.call("PUBLISH", "a", "m"), ":1\r\n");
  assert.deepEqual(await c.readStrings(1), ["*3\r\n$7\r\nmessage\r\n$1\r\na\r\n$1\r\nm\r\n"]);
});

eachPeer("RESET: back to RESP2, no name, no subscriptions, replies on", async (srv) => {
  await using c = await RawClient.connect(srv.port);
  await c.call("HELLO", "3", "SETNAME", "n");
  await c.send(cmd("SUBSCRIBE", "a"));
  await c.readStrings(1);
  await c.send(cmds([["CLIENT", "REPLY", "OFF"], ["RESET"]]));
  assert.deepEqual(await c.readStrings(1), ["+RESET\r\n"]);
  assert.equal(await c.call("CLIENT", "GETNAME"), "$-1\r\n");
  assert.equal(await c.call("GET", "k"), "$-1\r\n");
  assert.match(parseReply(await c.call("CLIENT", "INFO")) as string, / sub=0 psub=0 .* resp=2\n$/);
  assert.equal(
    await c.call("RESET", "x"),
    "-ERR wrong number of arguments for 'reset' command\r\n",
  );
});

eachPeer("ECHO and TIME", async (srv) => {
  await using c = await RawClient.connect(srv.port);
  assert.equal(await c.call("ECHO", "bin\x00\r\nary"), "$9\r\nbin\x00\r\nary\r\n");
  assert.equal(await c.call("ECHO"), "-ERR wrong number of arguments for 'echo' command\r\n");
  const time = await c.call("TIME");
  const m = /^\*2\r\n\$(\d+)\r\n(\d+)\r\n\$(\d+)\r\n(\d+)\r\n$/.exec(time);
  assert.ok(m, time);
  assert.equal(Number(m[1]), m[2].length);
  assert.ok(Number(m[4]) < 1_000_000);
  assert.ok(Math.abs(Number(m[2]) - Date.now() / 1000) < 60); // the server's clock is the wall clock
  assert.equal(await c.call("TIME", "x"), "-ERR wrong number of arguments for 'time' command\r\n");
});

eachPeer("timeout: idle clients are closed, subscribers are not", async (srv) => {
  await using admin = await RawClient.connect(srv.port);
  await using sub = await RawClient.connect(srv.port);
  await sub.send(cmd("SUBSCRIBE", "a"));
  await sub.readStrings(1);
  await using idle = await RawClient.connect(srv.port);
  assert.equal(await idle.call("PING"), "+PONG\r\n");
  assert.equal(await admin.call("CONFIG", "SET", "timeout", "1"), "+OK\r\n");
  assert.equal(latin1(await idle.readUntilClose()), "");
  // (the admin connection may have been idle long enough too: use a fresh one)
  await using fresh = await RawClient.connect(srv.port);
  assert.equal(await fresh.call("CONFIG", "SET", "timeout", "0"), "+OK\r\n");
  assert.equal(await sub.call("PING"), "*2\r\n$4\r\npong\r\n$0\r\n\r\n");
});
