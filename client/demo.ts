/**
 * The `demo` subcommand: two tasks use one connection at the same time
 * (one sets `foo`, the other gets `hello`), then N tasks hammer one
 * connection and it prints ops/s for one request at a time (callers take
 * turns) against the {@linkcode BufferedClient} (callers' commands are
 * pipelined together), measured in this run.
 *
 * `client/` does not import `server/`: `main.ts` passes `startServer` for the
 * embedded server.
 *
 * @module
 */

import { BufferedClient } from "./buffered.ts";
import { Client } from "./client.ts";
import type { Commands } from "./commands.ts";
import { ConnectionError } from "./errors.ts";

/** Options of {@linkcode runDemo}. */
export interface DemoOptions {
  /** Server host; with neither host nor port, an embedded server is started (if `startServer` is given). */
  host?: string;
  /** Server port. */
  port?: number;
  /** How many concurrent tasks hammer the connection (default 100). */
  tasks?: number;
  /** Operations per measurement (default 20,000; each task does SET then GET of its own key). */
  ops?: number;
  /** Starts an embedded server on a free port (injected by `main.ts`). */
  startServer?: () => Promise<
    { addr: { hostname: string; port: number }; close(): Promise<void> }
  >;
  /** Where lines are printed (default `console.log`). */
  print?: (line: string) => void;
  /** Where the one-line error goes when the server cannot be reached (default `console.error`). */
  printError?: (line: string) => void;
}

const fmt = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });

/**
 * Runs the demo and returns the exit code (0, or 3 when the server cannot be reached).
 *
 * @example
 * ```ts ignore
 * import { runDemo } from "./demo.ts";
 * import { startServer } from "../server/mod.ts";
 * await runDemo({ startServer: () => startServer({ port: 0 }) });
 * ```
 */
export async function runDemo(options: DemoOptions = {}): Promise<number> {
  const print = options.print ?? ((line: string) => console.log(line));
  const printError = options.printError ?? ((line: string) => console.error(line));
  const tasks = Math.max(1, options.tasks ?? 100);
  const ops = Math.max(2 * tasks, options.ops ?? 20_000);

  let embedded: { addr: { hostname: string; port: number }; close(): Promise<void> } | undefined;
  let address: { hostname: string; port: number };
  if (options.host === undefined && options.port === undefined && options.startServer) {
    embedded = await options.startServer();
    address = { hostname: embedded.addr.hostname, port: embedded.addr.port };
  } else {
    address = { hostname: options.host ?? "127.0.0.1", port: options.port ?? 6379 };
  }
  const where = `${address.hostname}:${address.port}`;
  try {
    let shared: BufferedClient;
    let plain: Client;
    try {
      shared = BufferedClient.from(await Client.connect(address));
      plain = await Client.connect(address);
    } catch (e) {
      if (e instanceof ConnectionError) {
        printError(e.message);
        return 3;
      }
      throw e;
    }
    try {
      print(`mini-redis demo against ${where}${embedded ? " (embedded server)" : ""}`);
      print("");
      print("Two tasks use one connection at the same time: their commands are queued and");
      print("written together, and each task gets its own reply.");
      const t1 = (async () => {
        const reply = await shared.set("foo", "bar");
        print(`  task 1: SET foo bar -> ${reply}`);
      })();
      const t2 = (async () => {
        const value = await shared.get("hello");
        print(`  task 2: GET hello   -> ${value === null ? "(nil)" : JSON.stringify(value)}`);
      })();
      await Promise.all([t1, t2]);
      print("");

      print(
        `${tasks} tasks hammer one connection: ${fmt.format(ops)} operations each way ` +
          `(every task: SET its key, then GET it back)`,
      );
      // Warm both up (JIT) before measuring, so neither is favoured by going second.
      await hammer(plain, tasks, Math.min(ops, 2_000));
      await hammer(shared, tasks, Math.min(ops, 2_000));
      const a = await hammer(plain, tasks, ops);
      const b = await hammer(shared, tasks, ops);
      const rows: [string, number][] = [
        ["(a) one request at a time (callers take turns)", a.opsPerSec],
        ["(b) BufferedClient (commands written together)", b.opsPerSec],
      ];
      const width = Math.max(...rows.map(([label]) => label.length));
      const numWidth = Math.max(...rows.map(([, v]) => fmt.format(v).length));
      for (const [label, value] of rows) {
        print(`  ${label.padEnd(width)}  ${fmt.format(value).padStart(numWidth)} ops/s`);
      }
      print(`  speed-up: ${(b.opsPerSec / a.opsPerSec).toFixed(1)}x`);
      const wrong = a.mismatches + b.mismatches;
      print(
        wrong === 0
          ? "  every reply reached the task that asked for it."
          : `  ${wrong} replies did not match their task!`,
      );
      await shared.del(...Array.from({ length: tasks }, (_, i) => `demo:task:${i}`));
      return wrong === 0 ? 0 : 1;
    } finally {
      await shared.close();
      await plain.close();
    }
  } finally {
    await embedded?.close();
  }
}

async function hammer(
  client: Commands,
  tasks: number,
  ops: number,
): Promise<{ opsPerSec: number; mismatches: number }> {
  const rounds = Math.max(1, Math.floor(ops / (2 * tasks)));
  let mismatches = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: tasks }, async (_, i) => {
      const key = `demo:task:${i}`;
      for (let r = 0; r < rounds; r++) {
        const value = `${i}:${r}`;
        await client.set(key, value);
        if (await client.get(key) !== value) mismatches++;
      }
    }),
  );
  const seconds = (performance.now() - start) / 1000;
  return { opsPerSec: (rounds * tasks * 2) / seconds, mismatches };
}
