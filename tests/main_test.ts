/** The entry point: help, version, usage errors and exit codes, run as a user runs it. */
import assert from "node:assert/strict";
import config from "../deno.json" with { type: "json" };
import { startServer } from "../server/mod.ts";
import { cmd, RawClient, startServeProcess, waitFor } from "./helpers.ts";

const mainPath = new URL("../main.ts", import.meta.url).pathname;

async function run(...args: string[]) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-net", "--allow-env", mainPath, ...args],
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

Deno.test("--help lists every subcommand and exits 0", async () => {
  const r = await run("--help");
  assert.equal(r.code, 0);
  for (const cmd of ["serve", "demo", "ping", "get", "set", "del", "publish", "subscribe"]) {
    assert.match(r.stdout, new RegExp(`^  ${cmd} `, "m"));
  }
});

Deno.test("--version prints the version from deno.json", async () => {
  const r = await run("--version");
  assert.equal(r.code, 0);
  assert.equal(r.stdout.trim(), `mini-redis ${config.version}`);
});

Deno.test("per-subcommand --help", async () => {
  const r = await run("serve", "--help");
  assert.equal(r.code, 0);
  assert.match(r.stdout, /Usage: mini-redis serve/);
  assert.match(r.stdout, /--max-clients/);
});

Deno.test("unknown subcommand: one-line error and usage on stderr, exit 2", async () => {
  const r = await run("frobnicate");
  assert.equal(r.code, 2);
  assert.equal(r.stdout, "");
  assert.equal(r.stderr.split("\n")[0], "mini-redis: unknown command 'frobnicate'");
  assert.match(r.stderr, /Usage: mini-redis <command>/);
});

Deno.test("unknown flag: one-line error and the subcommand's usage, exit 2", async () => {
  const r = await run("serve", "--bogus");
  assert.equal(r.code, 2);
  assert.equal(r.stderr.split("\n")[0], "mini-redis: unknown option '--bogus'");
  assert.match(r.stderr, /Usage: mini-redis serve/);
});

Deno.test("no subcommand: usage on stderr, exit 2", async () => {
  const r = await run();
  assert.equal(r.code, 2);
  assert.match(r.stderr, /Usage: mini-redis <command>/);
});

Deno.test("wrong number of positional arguments: exit 2", async () => {
  const r = await run("get");
  assert.equal(r.code, 2);
  assert.equal(r.stderr.split("\n")[0], "mini-redis: wrong number of arguments for 'get'");
});

/** Runs main.ts with only the given Deno permissions. */
async function runWith(permissions: string[], ...args: string[]) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", ...permissions, mainPath, ...args],
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

Deno.test("negative numbers are values; after -- everything is", async () => {
  await using server = await startServer({ port: 0, logLevel: "silent" });
  const port = String(server.addr.port);
  let r = await run("set", "counter", "-5", "--port", port);
  assert.deepEqual([r.code, r.stdout, r.stderr], [0, "OK\n", ""]);
  r = await run("get", "counter", "--port", port);
  assert.deepEqual([r.code, r.stdout], [0, '"-5"\n']);
  r = await run("set", "--port", port, "--", "-x", "-1.5");
  assert.deepEqual([r.code, r.stdout], [0, "OK\n"]);
  r = await run("get", "--port", port, "--", "-x");
  assert.deepEqual([r.code, r.stdout], [0, '"-1.5"\n']);
  // a negative option value is still checked as one
  r = await run("set", "k", "v", "--ex", "-5", "--port", port);
  assert.equal(r.code, 2);
  assert.equal(
    r.stderr.split("\n")[0],
    "mini-redis: --ex must be an integer from 1 to 9007199254740991, got '-5'",
  );
});

Deno.test("usage errors: a malformed --url, --url with --port; exit 2", async () => {
  for (
    const [args, first] of [
      [["get", "k", "--url", "notaurl"], "mini-redis: --url must be a redis:// URL, got 'notaurl'"],
      [
        ["get", "k", "--url", "http://x"],
        "mini-redis: Unsupported URL scheme 'http:': use redis://",
      ],
      [
        ["get", "k", "--url", "redis://127.0.0.1:6379", "--port", "1"],
        "mini-redis: give --url or --host/--port, not both",
      ],
    ] as const
  ) {
    const r = await run(...args);
    assert.equal(r.code, 2, args.join(" "));
    assert.deepEqual(r.stderr.split("\n").slice(0, 2), [first, "Usage: mini-redis get <key>"]);
  }
});

Deno.test("without --allow-net: the missing permission is named, exit 2", async () => {
  const r = await runWith([], "get", "k", "--port", "6379");
  assert.equal(r.code, 2);
  assert.match(r.stderr, /^mini-redis: network access is not allowed: run it with --allow-net/);
});

Deno.test("demo: a server it did not start keeps its keys unless --force", async () => {
  await using server = await startServer({ port: 0, logLevel: "silent" });
  const port = String(server.addr.port);
  await using c = await RawClient.connect(server.addr.port);
  assert.equal(await c.call("SET", "foo", "mine"), "+OK\r\n");
  let r = await run("demo", "--port", port, "--tasks", "2");
  assert.equal(r.code, 2);
  assert.match(
    r.stderr.split("\n")[0],
    /^mini-redis: the demo writes the keys foo and demo:task:<n> on 127\.0\.0\.1:\d+, and 1 of them exist: use --force/,
  );
  assert.equal(await c.call("GET", "foo"), "$4\r\nmine\r\n");
  r = await run("demo", "--port", port, "--tasks", "2", "--force");
  assert.equal(r.code, 0);
  assert.equal(await c.call("GET", "foo"), "$3\r\nbar\r\n");
});

Deno.test("help describes the demo by what it does", async () => {
  const r = await run("--help");
  assert.match(
    r.stdout,
    /demo +measure many tasks sharing one connection against one request at a time/,
  );
  assert.doesNotMatch(r.stdout + (await run("demo", "--help")).stdout, /seed/i);
});

Deno.test("serve: SHUTDOWN from a client stops the process, exit code 0", async () => {
  await using srv = await startServeProcess();
  await using c = await RawClient.connect(srv.port);
  await c.send(cmd("SHUTDOWN", "NOSAVE"));
  // Redis closes the connection without a reply; the process exits by itself (a
  // zombie until reaped, or gone): no signal is sent before that is seen
  assert.equal((await c.readUntilClose()).length, 0);
  await waitFor(async () => {
    try {
      const stat = await Deno.readTextFile(`/proc/${srv.pid}/stat`);
      return stat.split(") ")[1]?.startsWith("Z") ?? false;
    } catch {
      return true;
    }
  }, { what: "the serve process to exit" });
  assert.equal(await srv.close(), 0);
});
