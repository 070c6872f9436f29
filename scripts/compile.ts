/**
 * `deno task compile`: runs `deno compile` with the arguments given
 * (`--allow-net ... --output dist/mini-redis main.ts`), after checking the
 * `DENORT_BIN` environment variable. `deno compile` builds a binary from
 * `denort`, Deno's runtime without the command line; `DENORT_BIN` names a
 * local copy when it cannot be downloaded. Pointed at the `deno` command
 * instead, `deno compile` succeeds but the binary it builds behaves as the
 * `deno` command and never runs mini-redis, so this refuses that case with
 * an explanation (exit 2) rather than build it.
 *
 * ```sh
 * deno task compile
 * DENORT_BIN=/path/to/denort deno task compile
 * ```
 *
 * @module
 */

/** Exit code when `DENORT_BIN` is not a usable denort. */
const EXIT_USAGE = 2;

/**
 * What is wrong with `DENORT_BIN`, if anything: it names no file, or a
 * program that answers `--version` as the `deno` command does (denort does
 * not have that option).
 */
export async function denortProblem(path: string): Promise<string | undefined> {
  try {
    const info = await Deno.stat(path);
    if (!info.isFile) return `DENORT_BIN=${path} is not a file`;
  } catch {
    return `DENORT_BIN=${path} does not exist`;
  }
  let version = "";
  try {
    const out = await new Deno.Command(path, {
      args: ["--version"],
      stdin: "null",
      stdout: "piped",
      stderr: "null",
      env: { DENO_NO_UPDATE_CHECK: "1" },
    }).output();
    version = new TextDecoder().decode(out.stdout);
  } catch (e) {
    return `DENORT_BIN=${path} cannot be run: ${e instanceof Error ? e.message : e}`;
  }
  const m = /^deno (\S+)/.exec(version);
  if (m === null) return undefined;
  return [
    `DENORT_BIN=${path} is the deno command (deno ${m[1]}), not denort, Deno's runtime without`,
    "the command line: a binary compiled from it would behave as `deno` and never run",
    "mini-redis. Point DENORT_BIN at denort (the denort-<target>.zip of the same Deno",
    `release, ${Deno.version.deno}, from https://github.com/denoland/deno/releases), or unset it`,
    "to let deno compile download it.",
  ].join("\n");
}

async function main(args: string[]): Promise<number> {
  const bin = Deno.env.get("DENORT_BIN");
  if (bin !== undefined && bin !== "") {
    const problem = await denortProblem(bin);
    if (problem !== undefined) {
      console.error(`mini-redis compile: ${problem}`);
      return EXIT_USAGE;
    }
  }
  const status = await new Deno.Command(Deno.execPath(), {
    args: ["compile", ...args],
    stdin: "inherit",
    stdout: "inherit",
    stderr: "inherit",
  }).spawn().status;
  return status.code;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
