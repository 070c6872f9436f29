/**
 * The command families and the table built from them. Each family file
 * exports an array of {@linkcode Command} objects; adding a command is
 * adding one entry to its family's array (a new family is one more import
 * here).
 *
 * @example
 * ```ts
 * import { createCommandTable } from "./mod.ts";
 * const table = createCommandTable();
 * console.log(table.get("ping")?.arity); // -1
 * ```
 *
 * @module
 */

import { type Command, CommandTable } from "../command.ts";
import { connectionCommands } from "./connection.ts";
import { stringCommands } from "./strings.ts";
import { keyCommands } from "./keys.ts";
import { expireCommands } from "./expire.ts";
import { serverCommands } from "./server.ts";
import { pubsubCommands } from "./pubsub.ts";
import { withDocs } from "./docs.ts";
import type { HandlerMap } from "../command.ts";
import { hashHandlers } from "./hash.ts";
import { listHandlers } from "./list.ts";
import { setHandlers } from "./set.ts";
import { zsetHandlers } from "./zset.ts";
import { sortHandlers } from "./sort.ts";
import { objectHandlers } from "./object.ts";

/** The families written as handler maps (metadata from the generated table). */
export const FAMILY_HANDLERS: readonly HandlerMap[] = [
  hashHandlers,
  listHandlers,
  setHandlers,
  zsetHandlers,
  sortHandlers,
  objectHandlers,
];

export {
  connectionCommands,
  expireCommands,
  keyCommands,
  pubsubCommands,
  serverCommands,
  stringCommands,
};

/** Every built-in command, family by family, with its COMMAND DOCS entry (`docs.ts`). */
export function builtinCommands(): Command[] {
  return withDocs([
    ...connectionCommands,
    ...stringCommands,
    ...keyCommands,
    ...expireCommands,
    ...pubsubCommands,
    ...serverCommands,
  ]);
}

/**
 * A command table with every built-in command plus `extra` (an extra
 * command with a built-in's name replaces it).
 */
export function createCommandTable(extra: Iterable<Command> = []): CommandTable {
  return new CommandTable([...builtinCommands(), ...extra]);
}
