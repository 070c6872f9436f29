/** The entry point: help, version, usage errors and exit codes, run as a user runs it. */
import assert from "node:assert/strict";
import config from "../deno.json" with { type: "json" };

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
