/**
 * A tiny server process for benchmarks: `deno run --allow-net --allow-env
 * bench/serve_child.ts --port N` runs `serve()` until SIGINT/SIGTERM.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { serve } from "../server/mod.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    port: { type: "string", default: "6379" },
    host: { type: "string", default: "127.0.0.1" },
    "log-level": { type: "string", default: "warn" },
  },
});

const code = await serve({
  host: values.host,
  port: Number(values.port),
  logLevel: values["log-level"] as "warn",
});
Deno.exit(code);
