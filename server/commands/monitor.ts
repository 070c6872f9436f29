/**
 * MONITOR's lines, as Redis 7.0.15 writes them and `redis-cli monitor`
 * prints them: `+<seconds>.<microseconds> [<db> <addr>] "arg" "arg"`, each
 * argument quoted and escaped as Redis's `sdscatrepr` (`\n`, `\r`, `\t`,
 * `\a`, `\b`, `\\`, `\"`, other bytes outside printable ASCII as `\xHH`).
 * A command is shown once it has run (a blocking command once it blocks),
 * failed or not, but not when it was refused before running; commands
 * flagged `admin` or `skip_monitor` are not shown, except the scripting
 * commands, which Redis shows itself; EXEC's commands come before EXEC.
 * Passwords (AUTH, HELLO AUTH, the sensitive CONFIG SET parameters) are
 * shown as `(redacted)`, as in SLOWLOG.
 *
 * @example
 * ```ts
 * import { monitorLine } from "./monitor.ts";
 * const enc = new TextEncoder();
 * const line = monitorLine(1700000000.5, 0, "127.0.0.1:5000", [enc.encode("SET"), enc.encode("a\nb")]);
 * console.log(new TextDecoder().decode(line)); // '+1700000000.500000 [0 127.0.0.1:5000] "SET" "a\\nb"\r\n'
 * ```
 *
 * @module
 */

import type { ResolvedCommand } from "../command.ts";
import { toBinary, utf8 } from "../../resp/bytes.ts";

const REDACTED = utf8("(redacted)");

/** Whether MONITOR shows a command that ran. */
export function shownByMonitor(cmd: ResolvedCommand): boolean {
  const top = cmd.parent ?? cmd;
  if (SCRIPTING.has(top.name)) return true;
  const flags = cmd.flags;
  return !flags.includes("admin") && !flags.includes("skip_monitor") &&
    !(cmd.parent !== undefined && cmd.parent.flags.includes("admin"));
}

/** Commands Redis feeds to monitors itself, although flagged `skip_monitor`. */
const SCRIPTING = new Set(["eval", "eval_ro", "evalsha", "evalsha_ro", "fcall", "fcall_ro"]);

/**
 * The arguments as SLOWLOG and MONITOR show them: passwords replaced by
 * `(redacted)` (Redis's `redactClientCommandArgument`). `sensitive` tells
 * whether a CONFIG SET parameter (lower case) is sensitive.
 */
export function redactedArgs(
  cmd: ResolvedCommand,
  args: readonly Uint8Array[],
  sensitive: (name: string) => boolean,
): readonly Uint8Array[] {
  switch (cmd.fullName) {
    case "auth": {
      const out = args.slice();
      for (let i = 1; i < out.length; i++) out[i] = REDACTED;
      return out;
    }
    case "hello": {
      let out: Uint8Array[] | undefined;
      for (let j = 2; j < args.length; j++) {
        const opt = toBinary(args[j]).toLowerCase();
        if (opt === "auth" && j + 2 < args.length) {
          out ??= args.slice();
          out[j + 1] = REDACTED;
          out[j + 2] = REDACTED;
          j += 2;
        } else if (opt === "setname" && j + 1 < args.length) {
          j++;
        } else {
          break;
        }
      }
      return out ?? args;
    }
    case "config|set": {
      let out: Uint8Array[] | undefined;
      for (let i = 2; i + 1 < args.length; i += 2) {
        if (sensitive(toBinary(args[i]).toLowerCase())) {
          out ??= args.slice();
          out[i + 1] = REDACTED;
        }
      }
      return out ?? args;
    }
  }
  return args;
}

const HEX = "0123456789abcdef";

/** Redis's `sdscatrepr` of one argument, quoted, as bytes appended to `out`. */
function repr(arg: Uint8Array, out: number[]): void {
  out.push(34);
  for (let i = 0; i < arg.length; i++) {
    const c = arg[i];
    switch (c) {
      case 92: // \
      case 34: // "
        out.push(92, c);
        break;
      case 10:
        out.push(92, 110);
        break;
      case 13:
        out.push(92, 114);
        break;
      case 9:
        out.push(92, 116);
        break;
      case 7:
        out.push(92, 97);
        break;
      case 8:
        out.push(92, 98);
        break;
      default:
        if (c >= 32 && c <= 126) out.push(c);
        else out.push(92, 120, HEX.charCodeAt(c >> 4), HEX.charCodeAt(c & 15));
    }
  }
  out.push(34);
}

/**
 * One MONITOR line as sent to monitors (a simple string, in RESP2 and
 * RESP3 alike). `time` is Unix seconds with microseconds.
 */
export function monitorLine(
  time: number,
  db: number,
  addr: string,
  args: readonly Uint8Array[],
): Uint8Array {
  const sec = Math.floor(time);
  const usec = Math.min(999999, Math.floor((time - sec) * 1e6 + 0.5));
  const out: number[] = [];
  for (const c of utf8(`+${sec}.${String(usec).padStart(6, "0")} [${db} ${addr}] `)) out.push(c);
  for (let j = 0; j < args.length; j++) {
    if (j > 0) out.push(32);
    repr(args[j], out);
  }
  out.push(13, 10);
  return new Uint8Array(out);
}
