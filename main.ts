/**
 * The only entry point: parses argv, dispatches to a subcommand and sets the
 * exit code. Subcommand bodies live in `server/` and `client/`.
 *
 * ```sh
 * deno run --allow-net --allow-env main.ts serve --port 6379
 * deno run --allow-net --allow-env main.ts set counter -5
 * deno run --allow-net --allow-env main.ts demo
 * ```
 *
 * Arguments that start with `-` followed by a digit (`-5`, `-1.5`) are
 * values, not options; after `--` every argument is a value.
 *
 * @module
 */
import { parseArgs, type ParseArgsOptionsConfig } from "node:util";
import config from "./deno.json" with { type: "json" };
import { LOG_LEVELS, type LogLevel, serve, startServer } from "./server/mod.ts";
import { CLI_SYNOPSIS, type CliCommand, runCli } from "./client/cli.ts";
import { runDemo } from "./client/demo.ts";
import { Client } from "./client/client.ts";

/** Exit code for bad usage (unknown subcommand or flag, missing argument). */
const USAGE = 2;

type Values = Record<string, string | boolean | undefined>;

interface Subcommand {
  /** One line for the global usage. */
  summary: string;
  /** The synopsis after `mini-redis <name>`. */
  synopsis: string;
  /** Each option's flag and description. */
  help: [string, string][];
  options: ParseArgsOptionsConfig;
  /** Bounds on positional arguments. */
  minArgs: number;
  maxArgs: number;
  run(values: Values, args: string[]): Promise<number>;
}

const addressOptions: ParseArgsOptionsConfig = {
  host: { type: "string" },
  port: { type: "string" },
  url: { type: "string" },
};
const addressHelp: [string, string][] = [
  ["--host <host>", "server host (default 127.0.0.1)"],
  ["--port <port>", "server port (default 6379)"],
  ["--url <url>", "redis://[:password@]host:port instead of --host/--port"],
];

const clusterOptions: ParseArgsOptionsConfig = { cluster: { type: "boolean", short: "c" } };
const clusterHelp: [string, string][] = [
  ["-c, --cluster", "Redis Cluster: follow MOVED/ASK redirections (like redis-cli -c)"],
  ["--", "end of options: every argument after it is a value, even '-x'"],
];

/** A flag whose value is wrong: reported like any other usage error. */
class UsageError extends Error {}

function integerFlag(values: Values, name: string, min: number, max: number): number | undefined {
  const text = values[name];
  if (text === undefined) return undefined;
  const n = Number(text);
  if (typeof text !== "string" || !/^\d+$/.test(text) || n < min || n > max) {
    throw new UsageError(`--${name} must be an integer from ${min} to ${max}, got '${text}'`);
  }
  return n;
}

function yesNoFlag(values: Values, name: string): boolean | undefined {
  const text = values[name];
  if (text === undefined) return undefined;
  if (text === "yes") return true;
  if (text === "no") return false;
  throw new UsageError(`--${name} must be yes or no, got '${text}'`);
}

function addressFlags(values: Values) {
  return {
    host: values.host as string | undefined,
    port: integerFlag(values, "port", 0, 65535),
    url: values.url as string | undefined,
  };
}

function clientCommand(
  name: CliCommand,
  summary: string,
  minArgs: number,
  maxArgs: number,
  extra: { options?: ParseArgsOptionsConfig; help?: [string, string][] } = {},
): Subcommand {
  return {
    summary,
    synopsis: CLI_SYNOPSIS[name],
    help: [...(extra.help ?? []), ...addressHelp, ...clusterHelp],
    options: { ...addressOptions, ...clusterOptions, ...extra.options },
    minArgs,
    maxArgs,
    run: (values, args) =>
      runCli(name, args, {
        ...addressFlags(values),
        ex: integerFlag(values, "ex", 1, Number.MAX_SAFE_INTEGER),
        px: integerFlag(values, "px", 1, Number.MAX_SAFE_INTEGER),
        cluster: values.cluster === true,
      }),
  };
}

const subcommands: Record<string, Subcommand> = {
  serve: {
    summary: "run the server (in memory) until SIGINT/SIGTERM",
    synopsis: "serve [options]",
    help: [
      ["--host <host>", "address to bind (default 127.0.0.1; anything else is an explicit choice)"],
      ["--port <port>", "port to listen on, 0 picks a free one (default 6379)"],
      ["--max-clients <n>", "maximum simultaneous clients (default 10000)"],
      ["--log-level <level>", "error, warn, info or debug (default info)"],
      ["--requirepass <pw>", "require AUTH with this password (default: $MINI_REDIS_PASSWORD)"],
      ["--cluster-enabled <yes|no>", "answer as a one-node Redis Cluster (default no)"],
    ],
    options: {
      host: { type: "string" },
      port: { type: "string" },
      "max-clients": { type: "string" },
      "log-level": { type: "string" },
      requirepass: { type: "string" },
      "cluster-enabled": { type: "string" },
    },
    minArgs: 0,
    maxArgs: 0,
    run: (values) => {
      const logLevel = (values["log-level"] ?? "info") as LogLevel;
      if (!LOG_LEVELS.includes(logLevel)) {
        throw new UsageError(`--log-level must be one of ${LOG_LEVELS.join(", ")}`);
      }
      return serve({
        host: values.host as string | undefined,
        port: integerFlag(values, "port", 0, 65535),
        maxClients: integerFlag(values, "max-clients", 1, 1_000_000),
        logLevel,
        requirepass: values.requirepass as string | undefined,
        clusterEnabled: yesNoFlag(values, "cluster-enabled"),
      });
    },
  },
  demo: {
    summary: "measure many tasks sharing one connection against one request at a time",
    synopsis: "demo [options]",
    help: [
      ["--tasks <n>", "concurrent tasks in the load phase (default 100)"],
      ["--host <host>", "use this server (default: start an embedded one on a free port)"],
      ["--port <port>", "port of that server (default 6379 when --host is given)"],
      ["--force", "on a server given with --host/--port, overwrite the demo's keys if they exist"],
    ],
    options: {
      host: { type: "string" },
      port: { type: "string" },
      tasks: { type: "string" },
      force: { type: "boolean" },
    },
    minArgs: 0,
    maxArgs: 0,
    run: async (values) => {
      const host = values.host as string | undefined;
      const port = integerFlag(values, "port", 0, 65535);
      const tasks = integerFlag(values, "tasks", 1, 100_000);
      if ((host !== undefined || port !== undefined) && values.force !== true) {
        const existing = await demoKeysPresent(host ?? "127.0.0.1", port ?? 6379, tasks ?? 100);
        if (existing > 0) {
          throw new UsageError(
            `the demo writes the keys foo and demo:task:<n> on ${host ?? "127.0.0.1"}:${
              port ?? 6379
            }, and ${existing} of them exist: use --force to overwrite them`,
          );
        }
      }
      return runDemo({
        host,
        port,
        tasks,
        startServer: () => startServer({ port: 0, logLevel: "warn" }),
      });
    },
  },
  ping: clientCommand("ping", "PING the server", 0, 1),
  get: clientCommand("get", "GET a key", 1, 1),
  set: clientCommand("set", "SET a key", 2, 2, {
    options: { ex: { type: "string" }, px: { type: "string" } },
    help: [
      ["--ex <seconds>", "expire after this many seconds"],
      ["--px <ms>", "expire after this many milliseconds"],
    ],
  }),
  del: clientCommand("del", "DEL keys", 1, Infinity),
  publish: clientCommand("publish", "PUBLISH a message", 2, 2),
  subscribe: clientCommand(
    "subscribe",
    "print messages from channels until Ctrl-C",
    1,
    Infinity,
  ),
};

/**
 * How many of the keys the demo writes (`foo`, `demo:task:0` ...) exist on
 * the server; 0 when it cannot be reached (the demo then reports that).
 */
async function demoKeysPresent(hostname: string, port: number, tasks: number): Promise<number> {
  let client: Client;
  try {
    client = await Client.connect({ hostname, port }, { reconnect: false, connectTimeout: 5_000 });
  } catch {
    return 0;
  }
  try {
    const keys = ["foo", ...Array.from({ length: tasks }, (_, i) => `demo:task:${i}`)];
    const n = await client.send(["EXISTS", ...keys]);
    return typeof n === "number" ? n : 0;
  } catch {
    return 0;
  } finally {
    await client.destroy();
  }
}

/**
 * Marks the arguments that are negative numbers (`-5`, `-1.5`, `-.5`) so
 * that the option parser takes them as values; {@linkcode unmarkValue}
 * restores them.
 */
function markNegativeNumbers(args: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "--") {
      out.push(...args.slice(i));
      break;
    }
    out.push(/^-(\d|\.\d)/.test(args[i]) ? VALUE_MARK + args[i] : args[i]);
  }
  return out;
}

/** Prefix of an argument taken as a value whatever it looks like. */
const VALUE_MARK = "\u0000";

function unmarkValue(arg: string): string {
  return arg.startsWith(VALUE_MARK) ? arg.slice(VALUE_MARK.length) : arg;
}

function globalUsage(): string {
  const width = Math.max(...Object.keys(subcommands).map((n) => n.length));
  return [
    `mini-redis ${config.version}: a Redis-compatible server and client for Deno`,
    "",
    "Usage: mini-redis <command> [options]",
    "",
    "Commands:",
    ...Object.entries(subcommands).map(([n, s]) => `  ${n.padEnd(width)}  ${s.summary}`),
    "",
    "Options:",
    "  -h, --help     show this help (or `mini-redis <command> --help`)",
    "  -V, --version  print the version",
  ].join("\n");
}

function commandUsage(sub: Subcommand): string {
  const help: [string, string][] = [...sub.help, ["-h, --help", "show this help"]];
  const width = Math.max(...help.map(([flag]) => flag.length));
  return [
    `Usage: mini-redis ${sub.synopsis}`,
    "",
    sub.summary,
    "",
    "Options:",
    ...help.map(([flag, text]) => `  ${flag.padEnd(width)}  ${text}`),
  ].join("\n");
}

function usageError(message: string, usage: string): number {
  console.error(`mini-redis: ${message}`);
  console.error(usage);
  return USAGE;
}

/**
 * Runs the command line `argv` (without the program name) and returns the
 * exit code.
 */
export async function main(argv: string[]): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined) return usageError("missing command", globalUsage());
  if (first === "-h" || first === "--help" || first === "help") {
    const topic = first === "help" ? rest[0] : undefined;
    if (topic !== undefined && Object.hasOwn(subcommands, topic)) {
      console.log(commandUsage(subcommands[topic]));
    } else console.log(globalUsage());
    return 0;
  }
  if (first === "-V" || first === "--version") {
    console.log(`mini-redis ${config.version}`);
    return 0;
  }
  if (!Object.hasOwn(subcommands, first)) {
    const what = first.startsWith("-") ? `unknown option '${first}'` : `unknown command '${first}'`;
    return usageError(what, globalUsage());
  }
  const sub = subcommands[first];
  let parsed;
  try {
    parsed = parseArgs({
      args: markNegativeNumbers(rest),
      options: { ...sub.options, help: { type: "boolean", short: "h" } },
      allowPositionals: true,
      strict: true,
    });
  } catch (err) {
    const text = err instanceof Error ? err.message : String(err);
    const unknown = /^Unknown option '([^']*)'/.exec(text);
    const message = unknown ? `unknown option '${unknown[1]}'` : text.split("\n")[0];
    return usageError(message, commandUsage(sub));
  }
  if (parsed.values.help) {
    console.log(commandUsage(sub));
    return 0;
  }
  const args = parsed.positionals.map(unmarkValue);
  for (const [k, v] of Object.entries(parsed.values)) {
    if (typeof v === "string") (parsed.values as Values)[k] = unmarkValue(v);
  }
  if (args.length < sub.minArgs || args.length > sub.maxArgs) {
    return usageError(`wrong number of arguments for '${first}'`, commandUsage(sub));
  }
  try {
    return await sub.run(parsed.values as Values, args);
  } catch (err) {
    if (err instanceof UsageError) return usageError(err.message, commandUsage(sub));
    throw err;
  }
}

if (import.meta.main) {
  Deno.exitCode = await main(Deno.args);
}
