/**
 * SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] [ABORT], as Redis 7.0.15 without a
 * save point configured: the server closes (clients finish the commands
 * they have sent and are disconnected) and the client that asked gets no
 * reply. There is no persistence: SAVE is a save that cannot be done, so
 * it fails with Redis's error unless FORCE says to shut down anyway. With
 * no replicas there is never a shutdown in progress to ABORT.
 *
 * @module
 */

import { ReplyError } from "../../resp/frame.ts";
import { type HandlerMap, NO_REPLY, type ServerState } from "../command.ts";
import { isOption, SYNTAX_ERROR } from "../args.ts";

const SHUTDOWN_FAILED = new ReplyError("ERR Errors trying to SHUTDOWN. Check logs.");

/** The SHUTDOWN command, given how to close a server (undefined: it cannot be closed). */
export function shutdownHandlers(
  closerOf: (server: ServerState) => (() => Promise<void>) | undefined,
): HandlerMap {
  return {
    shutdown: (ctx, args) => {
      let nosave = false;
      let save = false;
      let force = false;
      let abort = false;
      let other = false; // any flag but ABORT
      for (let i = 1; i < args.length; i++) {
        if (isOption(args[i], "abort")) {
          abort = true;
          continue;
        }
        if (isOption(args[i], "nosave")) nosave = true;
        else if (isOption(args[i], "save")) save = true;
        else if (isOption(args[i], "force")) force = true;
        else if (!isOption(args[i], "now")) return SYNTAX_ERROR;
        other = true;
      }
      if ((abort && other) || (nosave && save)) return SYNTAX_ERROR;
      if (abort) return new ReplyError("ERR No shutdown in progress.");
      const log = ctx.server.log;
      log.warn("User requested shutdown...");
      if (save) {
        log.warn("Error trying to save the DB: this server keeps no data on disk.");
        if (!force) {
          log.warn("Errors trying to shut down the server. Check the logs for more information.");
          return SHUTDOWN_FAILED;
        }
      }
      const close = closerOf(ctx.server);
      if (close === undefined) {
        log.error("SHUTDOWN: this server's owner gave no way to close it");
        return SHUTDOWN_FAILED;
      }
      ctx.client.closeAfterReply = true;
      setTimeout(() => {
        close().catch((e) => log.error(`shutdown failed: ${e}`));
      }, 0);
      return NO_REPLY;
    },
  };
}
