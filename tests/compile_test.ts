/**
 * `deno task compile` builds a standalone binary; this test builds it with the
 * task's own flags, runs `--help`, then `serve --port 0` and a PING round trip.
 *
 * `deno compile` needs the `denort` runtime, which it downloads from a host
 * that may be unreachable. The test runs when denort is available (the
 * `DENORT_BIN` environment variable names a file, or a denort archive is in
 * Deno's cache) and is reported as ignored, with that reason, otherwise.
 */
import assert from "node:assert/strict";
import config from "../deno.json" with { type: "json" };
import { bounded, RawClient } from "./helpers.ts";

function denortAvailable(): { ok: boolean; reason: string } {
  const bin = Deno.env.get("DENORT_BIN");
  if (bin) {
    try {
      Deno.statSync(bin);
      return { ok: true, reason: `DENORT_BIN=${bin}` };
    } catch {
      return { ok: false, reason: `DENORT_BIN=${bin} does not exist` };
    }
  }
  const out = new Deno.Command(Deno.execPath(), { args: ["info", "--json"], stderr: "null" })
    .outputSync();
  if (out.success) {
    const info = JSON.parse(new TextDecoder().decode(out.stdout));
    const dir = `${info.denoDir}/dl/release/v${Deno.version.deno}`;
    try {
      for (const entry of Deno.readDirSync(dir)) {
        if (entry.name.startsWith("denort-")) return { ok: true, reason: `${dir}/${entry.name}` };
      }
    } catch { /* no cache directory */ }
  }
  return {
    ok: false,
    reason: "denort is not available (set DENORT_BIN to a local denort, or cache it)",
  };
}

const denort = denortAvailable();
const name = denort.ok
  ? "compiled binary: --help and serve/PING round trip"
  : `compiled binary: ignored because ${denort.reason}`;

Deno.test({ name, ignore: !denort.ok }, async () => {
  const dir = await Deno.makeTempDir();
  try {
    const output = `${dir}/mini-redis`;
    // The task's own flags, so the test checks what `deno task compile` builds.
    const args = config.tasks.compile.split(/\s+/).slice(1)
      .map((a, i, all) => all[i - 1] === "--output" ? output : a);
    const built = await new Deno.Command(Deno.execPath(), {
      args,
      stdout: "piped",
      stderr: "piped",
    })
      .output();
    assert.ok(built.success, new TextDecoder().decode(built.stderr));

    const help = await new Deno.Command(output, { args: ["--help"], stdout: "piped" }).output();
    assert.equal(help.code, 0);
    assert.match(new TextDecoder().decode(help.stdout), /Usage: mini-redis/);

    const child = new Deno.Command(output, {
      args: ["serve", "--port", "0"],
      stdout: "null",
      stderr: "piped",
    }).spawn();
    let status: Deno.CommandStatus;
    try {
      // The start-up log line names the address it listens on.
      const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
      let text = "";
      const port = await bounded(
        (async () => {
          for (;;) {
            const { value, done } = await reader.read();
            if (done) throw new Error(`serve exited before listening: ${text}`);
            text += value;
            const m = /127\.0\.0\.1:(\d+)/.exec(text);
            if (m) return Number(m[1]);
          }
        })(),
        () => `the start-up line (stderr so far: ${JSON.stringify(text)})`,
      );
      reader.releaseLock();
      child.stderr.cancel().catch(() => {});
      await using c = await RawClient.connect(port);
      assert.equal(await c.call("PING"), "+PONG\r\n");
    } finally {
      child.kill("SIGTERM");
      status = await child.status;
    }
    assert.equal(status.code, 0, "serve exits 0 on SIGTERM");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
