/**
 * `scripts/compile.ts` (what `deno task compile` runs): a `DENORT_BIN`
 * pointing at the `deno` command, or at nothing, is refused with an
 * explanation and exit 2 instead of building a binary that acts as `deno`.
 */
import assert from "node:assert/strict";
import { denortProblem } from "../scripts/compile.ts";

const script = new URL("../scripts/compile.ts", import.meta.url).pathname;

async function compile(denortBin: string) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-env",
      "--allow-run",
      "--allow-read",
      script,
      "--output",
      "/nonexistent/x",
      "main.ts",
    ],
    env: { DENORT_BIN: denortBin },
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code: out.code, stderr: new TextDecoder().decode(out.stderr) };
}

Deno.test("DENORT_BIN pointing at the deno command is refused, explained", async () => {
  const r = await compile(Deno.execPath());
  assert.equal(r.code, 2);
  assert.match(
    r.stderr,
    /^mini-redis compile: DENORT_BIN=.* is the deno command \(deno \d+\.\d+\.\d+\), not denort/,
  );
  assert.match(r.stderr, /would behave as `deno` and never run\nmini-redis/);
});

Deno.test("DENORT_BIN naming no file is refused", async () => {
  const r = await compile("/nonexistent/denort");
  assert.deepEqual(r, {
    code: 2,
    stderr: "mini-redis compile: DENORT_BIN=/nonexistent/denort does not exist\n",
  });
});

Deno.test("a program that is not the deno command passes the check", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const fake = `${dir}/denort`;
    await Deno.writeTextFile(fake, "#!/bin/sh\necho 'error: no standalone data' >&2\nexit 1\n");
    await Deno.chmod(fake, 0o755);
    assert.equal(await denortProblem(fake), undefined);
    assert.equal(await denortProblem(dir), `DENORT_BIN=${dir} is not a file`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
