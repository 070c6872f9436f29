/**
 * The OBJECT subcommands (ENCODING, FREQ, IDLETIME, REFCOUNT, HELP), with Redis 7.0's semantics, replies and error texts.
 *
 * @module
 */

import type { HandlerMap } from "../command.ts";

/** Handlers of the family by command name; metadata come from `meta.ts`. */
export const objectHandlers: HandlerMap = {};
