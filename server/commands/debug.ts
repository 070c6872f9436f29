/**
 * DEBUG, as Redis 7.0.15 answers it. Redis refuses DEBUG unless
 * `enable-debug-command` is `yes` (or `local`, for loopback clients); it
 * is `no` by default, as in Redis, and this server implements none of
 * DEBUG's internals: allowed, it answers HELP and Redis's error for every
 * other subcommand.
 *
 * @module
 */

import { ReplyError, SimpleString } from "../../resp/frame.ts";
import type { HandlerMap } from "../command.ts";
import { cText, formatError, isOption } from "../args.ts";

const NOT_ALLOWED = new ReplyError(
  'ERR DEBUG command not allowed. If the enable-debug-command option is set to "local", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.',
);

const DEBUG_HELP = [
  "DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
  "HELP",
  "    Prints this help.",
].map((line) => new SimpleString(line));

function isLoopback(addr: string): boolean {
  return addr.startsWith("127.") || addr.startsWith("[::1]") || addr.startsWith("::1:");
}

/** The DEBUG command. */
export const debugHandlers: HandlerMap = {
  debug: (ctx, args) => {
    const mode = ctx.server.config.get("enable-debug-command")?.get() ?? "no";
    if (mode !== "yes" && !(mode === "local" && isLoopback(ctx.client.addr))) return NOT_ALLOWED;
    if (args.length === 2 && isOption(args[1], "help")) return DEBUG_HELP;
    return formatError(
      `ERR unknown subcommand or wrong number of arguments for '${
        cText(args[1], 128)
      }'. Try DEBUG HELP.`,
    );
  },
};
