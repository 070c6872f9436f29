/**
 * The server core: lifecycle (startServer, serve), the connection loop
 * (pipelining, split frames, many connections, protocol errors, query
 * buffer limit, backpressure), max-clients, graceful shutdown, and the
 * connection/server commands (PING, ECHO, QUIT, SELECT, CONFIG, COMMAND).
 */
import assert from "node:assert/strict";
import {
  cmd,
  cmds,
  concat,
  latin1,
  parseReply,
  RawClient,
  startTestServer,
  waitFor,
} from "./helpers.ts";
import {
  type Command,
  createClientState,
  createServerState,
  Logger,
  serve,
  type ServerState,
  startServer,
} from "../server/mod.ts";
import { Connection } from "../server/connection.ts";
import { watch } from "../channels/mod.ts";
import { utf8 } from "../resp/bytes.ts";

// ---------------------------------------------------------------------------
// lifecycle

Deno.test("startServer listens on a free port, answers, and close() stops it", async () => {
  const server = await startServer({ port: 0, logLevel: "silent" });
  assert.equal(server.addr.hostname, "127.0.0.1");
  assert.ok(server.addr.port > 0);
  const c = await RawClient.connect(server.addr.port);
  assert.equal(await c.call("PING"), "+PONG\r\n");
  await server.close();
  // the open connection was closed by the shutdown
  assert.equal((await c.readUntilClose()).length, 0);
  c.close();
  await assert.rejects(Deno.connect({ hostname: "127.0.0.1", port: server.addr.port }));
  await server.close(); // idempotent
  await server.finished;
});

Deno.test("serve() logs the address, runs until aborted and returns 0", async () => {
  const lines: string[] = [];
  const ac = new AbortController();
  const done = serve({
    port: 0,
    logLevel: "info",
    logger: new Logger("info", (l) => lines.push(l)),
    signal: ac.signal,
  });
  await waitFor(() => lines.length > 0, { what: "the start-up line" });
  const m = /ready to accept connections on 127\.0\.0\.1:(\d+)/.exec(lines[0]);
  assert.ok(m, lines[0]);
  const c = await RawClient.connect(Number(m[1]));
  assert.equal(await c.call("PING"), "+PONG\r\n");
  ac.abort();
  assert.equal(await done, 0);
  assert.equal((await c.readUntilClose()).length, 0);
  c.close();
  assert.match(lines[0], /^\d{4}-\d\d-\d\dT\S+ INFO /);
  assert.equal(lines.filter((l) => l.includes("ready to accept")).length, 1);
});

Deno.test("serve() returns 1 when the port is taken", async () => {
  await using srv = await startTestServer();
  const lines: string[] = [];
  const code = await serve({
    port: srv.port,
    logger: new Logger("error", (l) => lines.push(l)),
  });
  assert.equal(code, 1);
  assert.equal(lines.length, 1);
  assert.match(lines[0], new RegExp(`ERROR Could not listen on 127\\.0\\.0\\.1:${srv.port}`));
});

Deno.test("accept errors are logged and retried with backoff, never a crash", async () => {
  const real = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  let failures = 3;
  // a listener whose first accepts fail (as with EMFILE), then work
  const flaky = new Proxy(real, {
    get(target, prop) {
      if (prop === "accept") {
        return () => {
          if (failures > 0) {
            failures--;
            return Promise.reject(new Error("Too many open files (os error 24)"));
          }
          return target.accept();
        };
      }
      const v = Reflect.get(target, prop, target);
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
  const lines: string[] = [];
  const server = await startServer({
    listener: flaky,
    logger: new Logger("warn", (l) => lines.push(l)),
  });
  try {
    await using c = await RawClient.connect(server.addr.port);
    assert.equal(await c.call("PING"), "+PONG\r\n");
    assert.equal(failures, 0);
    const errors = lines.filter((l) => l.includes("accept failed"));
    assert.equal(errors.length, 3);
    assert.match(
      errors[0],
      /ERROR accept failed: Too many open files \(os error 24\); retrying in 5 ms/,
    );
    assert.match(errors[1], /retrying in 10 ms/);
    assert.match(errors[2], /retrying in 20 ms/);
  } finally {
    await server.close();
  }
});

Deno.test("binding a non-loopback address logs a warning", async () => {
  // (tests bind 127.0.0.1 only: the listener pretends to be bound elsewhere)
  const real = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const wide = new Proxy(real, {
    get(target, prop) {
      if (prop === "addr") return { ...target.addr, hostname: "0.0.0.0" };
      const v = Reflect.get(target, prop, target);
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
  const lines: string[] = [];
  const server = await startServer({
    listener: wide,
    host: "0.0.0.0",
    logger: new Logger("warn", (l) => lines.push(l)),
  });
  await server.close();
  assert.equal(lines.length, 1);
  assert.match(lines[0], /WARN listening on 0\.0\.0\.0, which is not a loopback address/);
  const quiet: string[] = [];
  await (await startServer({ port: 0, logger: new Logger("warn", (l) => quiet.push(l)) })).close();
  assert.deepEqual(quiet, []);
});

// ---------------------------------------------------------------------------
// connection commands

Deno.test("PING, ECHO, SELECT, QUIT", async () => {
  await using srv = await startTestServer();
  await using c = await RawClient.connect(srv.port);
  assert.equal(await c.call("PING"), "+PONG\r\n");
  assert.equal(await c.call("ping", "hello world"), "$11\r\nhello world\r\n");
  assert.equal(
    await c.call("PING", "a", "b"),
    "-ERR wrong number of arguments for 'ping' command\r\n",
  );
  assert.equal(await c.call("ECHO", ""), "$0\r\n\r\n");
  assert.equal(await c.call("ECHO", "\x00\r\n"), "$3\r\n\x00\r\n\r\n");
  assert.equal(await c.call("ECHO"), "-ERR wrong number of arguments for 'echo' command\r\n");
  assert.equal(
    await c.call("ECHO", "a", "b"),
    "-ERR wrong number of arguments for 'echo' command\r\n",
  );
  assert.equal(await c.call("SELECT", "0"), "+OK\r\n");
  assert.equal(await c.call("SELECT", "1"), "-ERR DB index is out of range\r\n");
  assert.equal(await c.call("SELECT", "-1"), "-ERR DB index is out of range\r\n");
  assert.equal(await c.call("SELECT", "abc"), "-ERR value is not an integer or out of range\r\n");
  assert.equal(
    await c.call("SELECT", "99999999999"),
    "-ERR value is not an integer or out of range\r\n",
  );
  assert.equal(
    await c.call("SELECT", "0", "0"),
    "-ERR wrong number of arguments for 'select' command\r\n",
  );
  // QUIT: +OK, then the connection closes; commands after it are not run
  await c.send(cmds([["QUIT"], ["PING"]]));
  assert.deepEqual(await c.readStrings(1), ["+OK\r\n"]);
  assert.equal((await c.readUntilClose()).length, 0);
});

Deno.test("inline commands are accepted", async () => {
  await using srv = await startTestServer();
  await using c = await RawClient.connect(srv.port);
  await c.send('PING\r\nECHO "a b"\r\nping x\n');
  assert.deepEqual(await c.readStrings(3), ["+PONG\r\n", "$3\r\na b\r\n", "$1\r\nx\r\n"]);
});

// ---------------------------------------------------------------------------
// connection loop

Deno.test("pipelining: 10,000 commands in one write are answered in order", async () => {
  await using srv = await startTestServer();
  await using c = await RawClient.connect(srv.port);
  const commands: string[][] = [];
  for (let i = 0; i < 10_000; i++) commands.push(i % 3 === 2 ? ["PING"] : ["ECHO", `m${i}`]);
  await c.send(cmds(commands));
  const replies = await c.readStrings(10_000);
  for (let i = 0; i < 10_000; i++) {
    const expected = i % 3 === 2 ? "+PONG\r\n" : `$${`m${i}`.length}\r\nm${i}\r\n`;
    assert.equal(replies[i], expected, `reply ${i}`);
  }
});

/** A scripted Deno.Conn: reads return the given chunks, writes are recorded. */
class FakeConn {
  readonly written: Uint8Array[] = [];
  reads = 0;
  closed = false;
  #chunks: Uint8Array[];
  #writeGate: Promise<void> | undefined;
  constructor(chunks: Uint8Array[], writeGate?: Promise<void>) {
    this.#chunks = [...chunks];
    this.#writeGate = writeGate;
  }
  read(p: Uint8Array): Promise<number | null> {
    this.reads++;
    const chunk = this.#chunks.shift();
    if (chunk === undefined) return Promise.resolve(null);
    assert.ok(chunk.length <= p.length);
    p.set(chunk);
    return Promise.resolve(chunk.length);
  }
  async write(p: Uint8Array): Promise<number> {
    if (this.#writeGate) await this.#writeGate;
    this.written.push(p.slice());
    return p.length;
  }
  close(): void {
    this.closed = true;
  }
  get output(): string {
    return latin1(concat(this.written));
  }
}

function fakeState(): ServerState {
  return createServerState({ settings: { maxClients: 10 } });
}

async function runFake(conn: FakeConn, state = fakeState()): Promise<string> {
  const [tx, rx] = watch.channel(false);
  const client = createClientState({ id: 1, addr: "test" });
  const c = new Connection(conn as unknown as Deno.Conn, client, state.db, state, rx);
  await c.run();
  tx.close();
  return conn.output;
}

Deno.test("frames split across reads at every byte are decoded the same", async () => {
  const input = concat([
    cmd("PING"),
    cmd("ECHO", "hello\r\nworld"),
    utf8("PING inline\r\n"),
    cmd("ECHO", ""),
    cmd("EXISTS", "a", "b"),
  ]);
  const expected = "+PONG\r\n$12\r\nhello\r\nworld\r\n$6\r\ninline\r\n$0\r\n\r\n:0\r\n";
  assert.equal(await runFake(new FakeConn([input])), expected);
  for (let i = 1; i < input.length; i++) {
    const out = await runFake(new FakeConn([input.subarray(0, i), input.subarray(i)]));
    assert.equal(out, expected, `split at byte ${i}`);
  }
  // one byte per read
  const bytes = [...input].map((b) => new Uint8Array([b]));
  assert.equal(await runFake(new FakeConn(bytes)), expected);
});

Deno.test("replies of one read are written with one write", async () => {
  const conn = new FakeConn([cmds([["PING"], ["ECHO", "x"], ["PING"]]), cmd("PING")]);
  await runFake(conn);
  assert.equal(conn.written.length, 2);
  assert.equal(latin1(conn.written[0]), "+PONG\r\n$1\r\nx\r\n+PONG\r\n");
});

Deno.test("a client that does not take its replies is not read from", async () => {
  let release!: () => void;
  const gate = new Promise<void>((r) => release = r);
  const conn = new FakeConn([cmd("PING"), cmd("PING"), cmd("PING")], gate);
  const done = runFake(conn);
  // let the loop run for a while: it must be stuck in the first write
  for (let i = 0; i < 20; i++) await new Promise((r) => setTimeout(r, 0));
  assert.equal(conn.reads, 1);
  assert.equal(conn.written.length, 0);
  release();
  assert.equal(await done, "+PONG\r\n+PONG\r\n+PONG\r\n");
  assert.equal(conn.reads, 4);
});

Deno.test("frames split across TCP writes, byte by byte", async () => {
  await using srv = await startTestServer();
  await using c = await RawClient.connect(srv.port);
  const input = cmds([["ECHO", "split"], ["PING"]]);
  for (const b of input) await c.send(new Uint8Array([b]));
  assert.deepEqual(await c.readStrings(2), ["$5\r\nsplit\r\n", "+PONG\r\n"]);
});

Deno.test("100 connections at once", async () => {
  await using srv = await startTestServer();
  const clients = await Promise.all(
    Array.from({ length: 100 }, () => RawClient.connect(srv.port)),
  );
  try {
    const replies = await Promise.all(
      clients.map((c, i) => c.calls([["ECHO", `client ${i}`], ["PING"]])),
    );
    replies.forEach((r, i) => {
      assert.deepEqual(r, [`$${`client ${i}`.length}\r\nclient ${i}\r\n`, "+PONG\r\n"]);
    });
    assert.equal(srv.server.connections, 100);
  } finally {
    for (const c of clients) c.close();
  }
});

Deno.test("malformed input: protocol error and close for that connection only", async () => {
  await using srv = await startTestServer();
  await using good = await RawClient.connect(srv.port);
  await using bad = await RawClient.connect(srv.port);
  assert.equal(await good.call("PING"), "+PONG\r\n");
  // commands before the bad frame are answered; then the error; then close
  await bad.send(concat([cmd("PING"), utf8("*1\r\n$x\r\n"), cmd("PING")]));
  assert.deepEqual(await bad.readStrings(2), [
    "+PONG\r\n",
    "-ERR Protocol error: invalid bulk length\r\n",
  ]);
  assert.equal((await bad.readUntilClose()).length, 0);
  assert.equal(await good.call("ECHO", "still here"), "$10\r\nstill here\r\n");
  for (
    const [input, error] of [
      ["*x\r\n", "invalid multibulk length"],
      ["*1\r\n+PING\r\n", "expected '$', got '+'"],
      ['SET "a\r\n', "unbalanced quotes in request"],
    ]
  ) {
    await using c = await RawClient.connect(srv.port);
    await c.send(input);
    assert.deepEqual(await c.readStrings(1), [`-ERR Protocol error: ${error}\r\n`]);
    assert.equal((await c.readUntilClose()).length, 0);
  }
  assert.equal(await good.call("PING"), "+PONG\r\n");
});

Deno.test("query buffer limit: the client is closed, others are served", async () => {
  await using srv = await startTestServer({ queryBufferLimit: 64 * 1024 });
  await using good = await RawClient.connect(srv.port);
  await using big = await RawClient.connect(srv.port);
  // a bulk announced at 1 MB and sent in part: the unparsed buffer passes 64 KiB
  await big.send("*2\r\n$4\r\nECHO\r\n$1000000\r\n");
  const chunk = new Uint8Array(16 * 1024).fill(120);
  const sending = (async () => {
    try {
      for (let i = 0; i < 8; i++) await big.send(chunk);
    } catch {
      // the server may reset the connection while we write
    }
  })();
  assert.equal((await big.readUntilClose()).length, 0); // closed without a reply, as Redis
  await sending;
  assert.equal(await good.call("PING"), "+PONG\r\n");
  // a complete request below the limit is fine
  await using ok = await RawClient.connect(srv.port);
  const payload = "y".repeat(60 * 1024);
  assert.equal(await ok.call("ECHO", payload), `$${payload.length}\r\n${payload}\r\n`);
});

Deno.test("max-clients: one more client gets the error and is closed", async () => {
  await using srv = await startTestServer({ maxClients: 2 });
  const a = await RawClient.connect(srv.port);
  await using b = await RawClient.connect(srv.port);
  assert.equal(await a.call("PING"), "+PONG\r\n");
  assert.equal(await b.call("PING"), "+PONG\r\n");
  {
    await using c = await RawClient.connect(srv.port);
    assert.equal(latin1(await c.readUntilClose()), "-ERR max number of clients reached\r\n");
  }
  a.close();
  await waitFor(() => srv.server.connections < 2, { what: "the server to notice the close" });
  await using d = await RawClient.connect(srv.port);
  assert.equal(await d.call("PING"), "+PONG\r\n");
});

Deno.test("graceful shutdown: commands already read finish and their replies arrive", async () => {
  let entered!: () => void;
  const inHandler = new Promise<void>((r) => entered = r);
  let release!: () => void;
  const gate = new Promise<void>((r) => release = r);
  const slow: Command = {
    name: "slowop",
    arity: 1,
    flags: [],
    firstKey: 0,
    lastKey: 0,
    step: 0,
    handler: async () => {
      entered();
      await gate;
      return "done";
    },
  };
  const srv = await startTestServer({ commands: [slow] });
  const busy = await RawClient.connect(srv.port);
  const idle = await RawClient.connect(srv.port);
  assert.equal(await idle.call("PING"), "+PONG\r\n");
  await busy.send(cmds([["ECHO", "before"], ["SLOWOP"], ["ECHO", "after"]]));
  await inHandler;
  const closing = srv.close();
  // the idle connection is closed at once; the listener stops accepting
  assert.equal((await idle.readUntilClose()).length, 0);
  await assert.rejects(Deno.connect({ hostname: "127.0.0.1", port: srv.port }));
  release();
  assert.deepEqual(await busy.readStrings(3), [
    "$6\r\nbefore\r\n",
    "$4\r\ndone\r\n",
    "$5\r\nafter\r\n",
  ]);
  assert.equal((await busy.readUntilClose()).length, 0);
  await closing;
  busy.close();
  idle.close();
});

Deno.test("shutdown does not wait forever for a stuck connection", async () => {
  const never: Command = {
    name: "never",
    arity: 1,
    flags: [],
    firstKey: 0,
    lastKey: 0,
    step: 0,
    handler: () => new Promise(() => {}),
  };
  const srv = await startTestServer({ commands: [never], shutdownTimeoutMs: 50 });
  await using c = await RawClient.connect(srv.port);
  await c.send(cmd("NEVER"));
  await waitFor(() => srv.server.connections === 1);
  await srv.close();
  assert.equal((await c.readUntilClose()).length, 0);
});

// ---------------------------------------------------------------------------
// server commands

Deno.test("CONFIG GET answers as an in-memory Redis", async () => {
  await using srv = await startTestServer({ maxClients: 123 });
  await using c = await RawClient.connect(srv.port);
  assert.equal(await c.call("CONFIG", "GET", "save"), "*2\r\n$4\r\nsave\r\n$0\r\n\r\n");
  assert.equal(
    await c.call("CONFIG", "GET", "appendonly"),
    "*2\r\n$10\r\nappendonly\r\n$2\r\nno\r\n",
  );
  assert.equal(await c.call("CONFIG", "GET", "SAVE"), "*2\r\n$4\r\nSAVE\r\n$0\r\n\r\n");
  assert.equal(await c.call("CONFIG", "GET", "sav*"), "*2\r\n$4\r\nsave\r\n$0\r\n\r\n");
  assert.equal(
    await c.call("CONFIG", "GET", "maxclients"),
    "*2\r\n$10\r\nmaxclients\r\n$3\r\n123\r\n",
  );
  assert.equal(await c.call("CONFIG", "GET", "nosuch"), "*0\r\n");
  assert.deepEqual(
    parseReply(await c.call("CONFIG", "GET", "save", "appendonly", "save")),
    ["save", "", "appendonly", "no"],
  );
  const all = parseReply(await c.call("CONFIG", "GET", "*")) as string[];
  assert.ok(all.includes("client-query-buffer-limit"));
});

Deno.test("CONFIG SET, RESETSTAT, HELP and errors", async () => {
  await using srv = await startTestServer();
  await using c = await RawClient.connect(srv.port);
  assert.equal(await c.call("CONFIG", "SET", "maxclients", "77"), "+OK\r\n");
  assert.equal(srv.server.state.settings.maxClients, 77);
  assert.equal(await c.call("CONFIG", "SET", "save", ""), "+OK\r\n");
  assert.equal(
    await c.call("CONFIG", "SET", "foo", "bar"),
    "-ERR Unknown option or number of arguments for CONFIG SET - 'foo'\r\n",
  );
  assert.equal(
    await c.call("CONFIG", "SET", "maxclients", "abc"),
    "-ERR CONFIG SET failed (possibly related to argument 'maxclients') - argument couldn't be parsed into an integer\r\n",
  );
  assert.equal(
    await c.call("CONFIG", "SET", "port", "1"),
    "-ERR CONFIG SET failed (possibly related to argument 'port') - can't set immutable config\r\n",
  );
  assert.equal(await c.call("CONFIG", "SET", "save", "", "appendonly"), "-ERR syntax error\r\n");
  assert.equal(
    await c.call("CONFIG", "SET"),
    "-ERR wrong number of arguments for 'config|set' command\r\n",
  );
  assert.equal(await c.call("CONFIG", "RESETSTAT"), "+OK\r\n");
  assert.equal(await c.call("CONFIG"), "-ERR wrong number of arguments for 'config' command\r\n");
  assert.equal(
    await c.call("CONFIG", "foo"),
    "-ERR unknown subcommand 'foo'. Try CONFIG HELP.\r\n",
  );
  const help = parseReply(await c.call("CONFIG", "HELP")) as string[];
  assert.equal(help[0], "CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:");
  assert.equal(
    await c.call("CONFIG", "SET", "client-query-buffer-limit", "2mb"),
    "+OK\r\n",
  );
  assert.equal(srv.server.state.settings.queryBufferLimit, 2 * 1024 * 1024);
});

Deno.test("COMMAND, COMMAND COUNT/INFO/DOCS/LIST/GETKEYS", async () => {
  await using srv = await startTestServer();
  await using c = await RawClient.connect(srv.port);
  const count = parseReply(await c.call("COMMAND", "COUNT")) as number;
  assert.ok(count >= 30);
  assert.equal((parseReply(await c.call("COMMAND")) as unknown[]).length, count);
  assert.equal((parseReply(await c.call("COMMAND", "LIST")) as unknown[]).length, count);
  // as Redis 7.0.15, tips and key specs included
  assert.equal(
    await c.call("COMMAND", "INFO", "ttl", "nosuch"),
    "*2\r\n*10\r\n$3\r\nttl\r\n:2\r\n*2\r\n+readonly\r\n+fast\r\n:1\r\n:1\r\n:1\r\n" +
      "*3\r\n+@keyspace\r\n+@read\r\n+@fast\r\n*1\r\n$23\r\nnondeterministic_output\r\n" +
      "*1\r\n*6\r\n$5\r\nflags\r\n*2\r\n+RO\r\n+access\r\n" +
      "$12\r\nbegin_search\r\n*4\r\n$4\r\ntype\r\n$5\r\nindex\r\n$4\r\nspec\r\n*2\r\n$5\r\nindex\r\n:1\r\n" +
      "$9\r\nfind_keys\r\n*4\r\n$4\r\ntype\r\n$5\r\nrange\r\n$4\r\nspec\r\n" +
      "*6\r\n$7\r\nlastkey\r\n:0\r\n$7\r\nkeystep\r\n:1\r\n$5\r\nlimit\r\n:0\r\n*0\r\n$-1\r\n",
  );
  const docs = parseReply(await c.call("COMMAND", "DOCS", "ttl")) as unknown[];
  assert.equal(docs[0], "ttl");
  assert.ok(Array.isArray(parseReply(await c.call("COMMAND", "DOCS"))));
  assert.equal(await c.call("COMMAND", "GETKEYS", "EXPIRE", "k", "10"), "*1\r\n$1\r\nk\r\n");
  assert.equal(
    await c.call("COMMAND", "GETKEYS", "DEL", "a", "b"),
    "*2\r\n$1\r\na\r\n$1\r\nb\r\n",
  );
  assert.equal(
    await c.call("COMMAND", "GETKEYS", "PING", "x"),
    "-ERR The command has no key arguments\r\n",
  );
  assert.equal(
    await c.call("COMMAND", "GETKEYS", "NOPE", "x"),
    "-ERR Invalid command specified\r\n",
  );
  assert.equal(
    await c.call("COMMAND", "GETKEYS", "PING"),
    "-ERR wrong number of arguments for 'command|getkeys' command\r\n",
  );
  assert.equal(
    await c.call("COMMAND", "GETKEYS", "TTL", "a", "b"),
    "-ERR Invalid number of arguments specified for command\r\n",
  );
  assert.equal(
    await c.call("COMMAND", "foo"),
    "-ERR unknown subcommand 'foo'. Try COMMAND HELP.\r\n",
  );
});

Deno.test("an extra command replaces a built-in with the same name", async () => {
  const ping: Command = {
    name: "ping",
    arity: 1,
    flags: ["fast"],
    firstKey: 0,
    lastKey: 0,
    step: 0,
    handler: () => "custom",
  };
  await using srv = await startTestServer({ commands: [ping] });
  await using c = await RawClient.connect(srv.port);
  assert.equal(await c.call("PING"), "$6\r\ncustom\r\n");
});

Deno.test("a handler that throws a non-Redis error gets -ERR and the connection lives", async () => {
  const boom: Command = {
    name: "boom",
    arity: 1,
    flags: [],
    firstKey: 0,
    lastKey: 0,
    step: 0,
    handler: () => {
      throw new TypeError("kaboom");
    },
  };
  await using srv = await startTestServer({ commands: [boom] });
  await using c = await RawClient.connect(srv.port);
  assert.equal(await c.call("BOOM"), "-ERR kaboom\r\n");
  assert.equal(await c.call("PING"), "+PONG\r\n");
});

Deno.test("INFO: sections as Redis prints them; unknown section is empty", async () => {
  await using srv = await startTestServer({ maxClients: 42 });
  srv.server.db.set("a", utf8("1"));
  srv.server.db.set("b", utf8("1"), Date.now() + 100_000);
  await using c = await RawClient.connect(srv.port);
  // avg_ttl is Redis's estimate from the active expiry runs: 0 before the first
  assert.match(await c.call("INFO", "keyspace"), /avg_ttl=0\r\n/);
  srv.server.db.sweep();
  const all = parseReply(await c.call("INFO")) as string;
  assert.match(all, /^# Server\r\nredis_version:7\.0\.15\r\n/);
  assert.match(
    all,
    /\r\n\r\n# Clients\r\nconnected_clients:1\r\ncluster_connections:0\r\nmaxclients:42\r\n/,
  );
  assert.match(all, /\r\n# Persistence\r\nloading:0\r\n/);
  assert.match(all, /\r\n# Keyspace\r\ndb0:keys=2,expires=1,avg_ttl=\d{5,6}\r\n$/);
  assert.match(
    await c.call("INFO", "keyspace"),
    /^\$\d+\r\n# Keyspace\r\ndb0:keys=2,expires=1,avg_ttl=\d{5,6}\r\n\r\n$/,
  );
  assert.equal(await c.call("INFO", "nosuch"), "$0\r\n\r\n");
  const sections = (text: string) => text.match(/^# \w+/gm);
  assert.deepEqual(sections(parseReply(await c.call("INFO", "default")) as string), sections(all));
  assert.deepEqual(sections(parseReply(await c.call("INFO", "ALL")) as string), [
    "# Server",
    "# Clients",
    "# Memory",
    "# Persistence",
    "# Stats",
    "# Replication",
    "# CPU",
    "# Modules",
    "# Commandstats",
    "# Errorstats",
    "# Latencystats",
    "# Cluster",
    "# Keyspace",
  ]);
  assert.deepEqual(sections(all), [
    "# Server",
    "# Clients",
    "# Memory",
    "# Persistence",
    "# Stats",
    "# Replication",
    "# CPU",
    "# Modules",
    "# Errorstats",
    "# Cluster",
    "# Keyspace",
  ]);
});

Deno.test("ioredis connects (ready check via INFO) and runs commands", async () => {
  const { Redis } = await import("ioredis");
  await using srv = await startTestServer();
  const redis = new Redis({
    host: "127.0.0.1",
    port: srv.port,
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  try {
    await redis.connect();
    assert.equal(await redis.ping(), "PONG");
    assert.equal(await redis.exists("nokey"), 0);
    assert.equal(await redis.echo("hi"), "hi");
    await assert.rejects(redis.call("NOSUCH"), /unknown command 'NOSUCH'/);
  } finally {
    redis.disconnect();
  }
});
