/**
 * The command families and the table built from them. Each family file
 * exports a {@linkcode HandlerMap}: handlers by full command name. Arity,
 * flags, key specs, ACL categories and docs come from the one metadata
 * table of Redis 7.0.15 (`meta.ts`); a handler whose name that table does
 * not know is an error at start-up (and in the test suite).
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

import { type Command, type CommandFlag, CommandTable, type HandlerMap } from "../command.ts";
import { commandMeta } from "./meta.ts";
import { connectionHandlers } from "./connection.ts";
import { stringHandlers } from "./strings.ts";
import { keyHandlers } from "./keys.ts";
import { expireHandlers } from "./expire.ts";
import { serverHandlers } from "./server.ts";
import { pubsubHandlers } from "./pubsub.ts";
import { hashHandlers } from "./hash.ts";
import { listHandlers } from "./list.ts";
import { setHandlers } from "./set.ts";
import { zsetHandlers } from "./zset.ts";
import { sortHandlers } from "./sort.ts";
import { objectHandlers } from "./object.ts";
import { clusterHandlers } from "./cluster.ts";
import { transactionHandlers } from "./transactions.ts";
import { scriptingHandlers } from "./scripting.ts";
import { operatorHandlers } from "./ops.ts";

/** Every family's handlers, in the order COMMAND lists them. */
export const FAMILY_HANDLERS: readonly HandlerMap[] = [
  connectionHandlers,
  stringHandlers,
  keyHandlers,
  expireHandlers,
  pubsubHandlers,
  serverHandlers,
  hashHandlers,
  listHandlers,
  setHandlers,
  zsetHandlers,
  sortHandlers,
  objectHandlers,
  transactionHandlers,
  scriptingHandlers,
  clusterHandlers,
  operatorHandlers,
];

function fromMeta(
  fullName: string,
  handler: HandlerMap[string] | undefined,
  subs?: Command[],
): Command {
  const meta = commandMeta(fullName);
  if (meta === undefined) {
    throw new Error(`command '${fullName}' has a handler but Redis 7.0.15 has no such command`);
  }
  const bar = fullName.indexOf("|");
  return {
    name: bar === -1 ? fullName : fullName.slice(bar + 1),
    arity: meta.arity,
    flags: meta.flags as CommandFlag[],
    firstKey: meta.firstKey,
    lastKey: meta.lastKey,
    step: meta.step,
    group: meta.group,
    summary: meta.summary,
    handler,
    subcommands: subs,
    meta,
  };
}

/**
 * The built-in commands made from handler maps and the metadata table:
 * `config|get` entries become subcommands of a `config` container.
 * Throws when a handler names a command Redis 7.0.15 does not have.
 */
export function commandsFromHandlers(maps: readonly HandlerMap[]): Command[] {
  const top = new Map<
    string,
    { handler?: HandlerMap[string]; subs: [string, HandlerMap[string]][] }
  >();
  for (const map of maps) {
    for (const [name, handler] of Object.entries(map)) {
      const bar = name.indexOf("|");
      const parent = bar === -1 ? name : name.slice(0, bar);
      let t = top.get(parent);
      if (t === undefined) {
        t = { subs: [] };
        top.set(parent, t);
      }
      if (bar === -1) t.handler = handler;
      else t.subs.push([name, handler]);
    }
  }
  const out: Command[] = [];
  for (const [name, t] of top) {
    const subs = t.subs.length === 0 ? undefined : t.subs.map(([n, h]) => fromMeta(n, h));
    out.push(fromMeta(name, t.handler, subs));
  }
  return out;
}

/** Every built-in command, with Redis 7.0.15's metadata. */
export function builtinCommands(): Command[] {
  return commandsFromHandlers(FAMILY_HANDLERS);
}

/**
 * A command table with every built-in command plus `extra` (an extra
 * command with a built-in's name replaces it).
 */
export function createCommandTable(extra: Iterable<Command> = []): CommandTable {
  return new CommandTable([...builtinCommands(), ...extra]);
}
