/**
 * Connection commands: PING, ECHO, QUIT, SELECT.
 *
 * @module
 */

import { OK, PONG } from "../../resp/frame.ts";
import type { Command } from "../command.ts";
import { arityError } from "../command.ts";
import { DB_OUT_OF_RANGE, rangeArg } from "../args.ts";

/** The connection command family. */
export const connectionCommands: Command[] = [
  {
    name: "ping",
    arity: -1,
    flags: ["fast"],
    firstKey: 0,
    lastKey: 0,
    step: 0,
    group: "connection",
    summary: "Ping the server",
    handler: (_ctx, args) => {
      if (args.length > 2) return arityError("ping");
      return args.length === 1 ? PONG : args[1];
    },
  },
  {
    name: "echo",
    arity: 2,
    flags: ["fast"],
    firstKey: 0,
    lastKey: 0,
    step: 0,
    group: "connection",
    summary: "Echo the given string",
    handler: (_ctx, args) => args[1],
  },
  {
    name: "quit",
    arity: -1,
    flags: ["noscript", "loading", "stale", "fast", "no_auth", "allow_busy"],
    firstKey: 0,
    lastKey: 0,
    step: 0,
    group: "connection",
    summary: "Close the connection",
    handler: (ctx) => {
      ctx.client.closeAfterReply = true;
      return OK;
    },
  },
  {
    name: "select",
    arity: 2,
    flags: ["loading", "stale", "fast"],
    firstKey: 0,
    lastKey: 0,
    step: 0,
    group: "connection",
    summary: "Change the selected database for the current connection",
    handler: (_ctx, args) => {
      // only database 0 exists
      // (Redis parses a C int: beyond it, the integer error)
      if (rangeArg(args[1], -2147483648, 2147483647) !== 0) return DB_OUT_OF_RANGE;
      return OK;
    },
  },
];
