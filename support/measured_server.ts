/**
 * Our server in a process of its own whose heap can be measured exactly:
 * run with `--v8-flags=--expose-gc`, it adds one command, `HEAPSTAT`, that
 * runs a full garbage collection and replies `[heapUsed, external, rss]`
 * in bytes. Leak tests compare the heap after collection before and after
 * a workload, which resident memory (kept by V8 and the allocator) cannot
 * tell.
 *
 * ```sh
 * deno run --v8-flags=--expose-gc --allow-net --allow-env support/measured_server.ts [--max-clients N]
 * ```
 *
 * Prints `port <n>` on stdout once listening on 127.0.0.1 (a free port);
 * logs go to stderr; SIGTERM shuts it down.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { type Command, startServer } from "../server/mod.ts";

/** The extra command's name. */
export const HEAPSTAT = "heapstat";

/** The `HEAPSTAT` command (needs `--expose-gc`; without it, no collection is forced). */
export function heapstatCommand(): Command {
  return {
    name: HEAPSTAT,
    arity: 1,
    flags: ["admin", "noscript"],
    firstKey: 0,
    lastKey: 0,
    step: 0,
    group: "server",
    summary: "Collects garbage and replies heap used, external and resident bytes",
    handler: () => {
      const gc = (globalThis as { gc?: () => void }).gc;
      if (gc !== undefined) { for (let i = 0; i < 3; i++) gc(); }
      const m = Deno.memoryUsage();
      return [m.heapUsed, m.external, m.rss];
    },
  };
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      "max-clients": { type: "string" },
      "log-level": { type: "string" },
    },
  });
  const server = await startServer({
    port: 0,
    host: "127.0.0.1",
    maxClients: values["max-clients"] === undefined ? undefined : Number(values["max-clients"]),
    logLevel: (values["log-level"] ?? "warn") as "warn",
    commands: [heapstatCommand()],
  });
  console.log(`port ${server.addr.port}`);
  const stop = () => server.close();
  Deno.addSignalListener("SIGTERM", stop);
  await server.finished;
  Deno.removeSignalListener("SIGTERM", stop);
}
