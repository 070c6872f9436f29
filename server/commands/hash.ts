/**
 * The HASH family (HSET, HGET, ...), with Redis 7.0's semantics, replies and error texts.
 *
 * @module
 */

import type { HandlerMap } from "../command.ts";

/** Handlers of the family by command name; metadata come from `meta.ts`. */
export const hashHandlers: HandlerMap = {};
