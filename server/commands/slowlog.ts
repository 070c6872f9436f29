/**
 * SLOWLOG GET, LEN, RESET and HELP: the commands that took at least
 * `slowlog-log-slower-than` microseconds (-1 disables the log, 0 logs
 * everything), newest first, at most `slowlog-max-len` of them, each with
 * Redis's entry shape: id, Unix time, microseconds, the arguments (at most
 * 32, each cut at 128 bytes, with Redis's `... (N more ...)` markers), the
 * client's address and name.
 *
 * @example
 * ```ts
 * import { SlowLog } from "./slowlog.ts";
 * const log = new SlowLog();
 * log.slowerThanUs = 0;
 * log.push([new TextEncoder().encode("PING")], 12, "127.0.0.1:5000", "");
 * console.log(log.length); // 1
 * ```
 *
 * @module
 */

import { type Frame, OK, ReplyError, SimpleString } from "../../resp/frame.ts";
import { utf8 } from "../../resp/bytes.ts";
import type { HandlerMap } from "../command.ts";
import { cText, formatError, intArg } from "../args.ts";

/** Arguments kept per entry (Redis's `SLOWLOG_ENTRY_MAX_ARGC`). */
const MAX_ARGC = 32;
/** Bytes kept per argument (Redis's `SLOWLOG_ENTRY_MAX_STRING`). */
const MAX_STRING = 128;

/** One slow log entry. */
interface Entry {
  readonly id: number;
  readonly time: number;
  readonly durationUs: number;
  readonly args: Uint8Array[];
  readonly peer: string;
  readonly name: string;
}

/** The slow log of one server. */
export class SlowLog {
  /** Entries, newest first. */
  #entries: Entry[] = [];
  #nextId = 0;
  /** `slowlog-log-slower-than` in microseconds; negative disables the log. */
  slowerThanUs = 10000;
  /** `slowlog-max-len`. */
  maxLen = 128;

  /** Number of entries (SLOWLOG LEN). */
  get length(): number {
    return this.#entries.length;
  }

  /**
   * Logs a command that took `durationUs` microseconds if that reaches the
   * threshold (Redis's `slowlogPushEntryIfNeeded`), then trims the log to
   * `slowlog-max-len`. `args` are copied (cut as Redis cuts them).
   */
  push(args: readonly Uint8Array[], durationUs: number, peer: string, name: string): void {
    if (this.slowerThanUs < 0 || durationUs < this.slowerThanUs) return;
    const argc = Math.min(args.length, MAX_ARGC);
    const kept: Uint8Array[] = new Array(argc);
    for (let j = 0; j < argc; j++) {
      if (argc !== args.length && j === argc - 1) {
        kept[j] = utf8(`... (${args.length - argc + 1} more arguments)`);
      } else if (args[j].length > MAX_STRING) {
        const more = utf8(`... (${args[j].length - MAX_STRING} more bytes)`);
        const cut = new Uint8Array(MAX_STRING + more.length);
        cut.set(args[j].subarray(0, MAX_STRING));
        cut.set(more, MAX_STRING);
        kept[j] = cut;
      } else {
        kept[j] = args[j].slice();
      }
    }
    this.#entries.unshift({
      id: this.#nextId++,
      time: Math.floor(Date.now() / 1000),
      durationUs: Math.floor(durationUs),
      args: kept,
      peer,
      name,
    });
    if (this.#entries.length > this.maxLen) this.#entries.length = this.maxLen;
  }

  /** SLOWLOG RESET. */
  reset(): void {
    this.#entries = [];
  }

  /** The newest `count` entries as SLOWLOG GET replies them. */
  get(count: number): Frame[] {
    return this.#entries.slice(0, count).map((e) => [
      e.id,
      e.time,
      e.durationUs,
      e.args,
      e.peer,
      e.name,
    ]);
  }
}

const SLOWLOG_HELP = [
  "SLOWLOG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
  "GET [<count>]",
  "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
  "    Entries are made of:",
  "    id, timestamp, time in microseconds, arguments array, client IP and port,",
  "    client name",
  "LEN",
  "    Return the length of the slowlog.",
  "RESET",
  "    Reset the slowlog.",
  "HELP",
  "    Prints this help.",
].map((line) => new SimpleString(line));

const BAD_COUNT = new ReplyError("ERR count should be greater than or equal to -1");

/** The SLOWLOG family, given a way to find a server's slow log. */
export function slowlogHandlers(logOf: (server: object) => SlowLog): HandlerMap {
  return {
    "slowlog|get": (ctx, args) => {
      const log = logOf(ctx.server);
      if (args.length > 3) {
        return formatError(
          `ERR unknown subcommand or wrong number of arguments for '${
            cText(args[1], 128)
          }'. Try SLOWLOG HELP.`,
        );
      }
      let count = 10;
      if (args.length === 3) {
        count = intArg(args[2], BAD_COUNT);
        if (count < -1) return BAD_COUNT;
        if (count === -1) count = log.length;
      }
      return log.get(count);
    },
    "slowlog|len": (ctx) => logOf(ctx.server).length,
    "slowlog|reset": (ctx) => {
      logOf(ctx.server).reset();
      return OK;
    },
    "slowlog|help": () => SLOWLOG_HELP,
  };
}
