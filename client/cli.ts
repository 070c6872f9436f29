/**
 * The CLI client subcommands (`ping`, `get`, `set`, `del`, `publish`,
 * `subscribe`), printing replies the way `redis-cli` does on a terminal:
 * `"value"`, `(nil)`, `(integer) 1`, `(error) ERR ...`, `PONG`.
 *
 * Exit codes: 0 success, 1 the server answered with an error, 2 bad usage
 * (including a malformed `--url`, `--url` given with `--host`/`--port`,
 * and a missing `--allow-net` permission), 3 the server could not be
 * reached (one line on stderr). Usage errors are printed as every usage
 * error of `mini-redis`: `mini-redis: <what is wrong>`, then the usage line.
 *
 * With `cluster: true` (`--cluster`, `-c`) the command is sent through a
 * {@linkcode ClusterClient}, which follows MOVED/ASK redirections like
 * `redis-cli -c`.
 *
 * `main.ts` parses the flags and calls {@linkcode runCli}; this module only
 * reads each command's positional arguments.
 *
 * @module
 */

import {
  Attribute,
  BigNumber,
  BinaryString,
  Double,
  type Frame,
  NullArray,
  Push,
  ReplyError,
  RespMap,
  RespSet,
  SimpleString,
  VerbatimString,
} from "../resp/frame.ts";
import { fromBinary, utf8 } from "../resp/bytes.ts";
import type { Arg } from "./commands.ts";
import { Client } from "./client.ts";
import { describeError } from "./connection.ts";
import { ConnectionError } from "./errors.ts";
import { type ClientOptions, resolveOptions } from "./options.ts";
import { Subscriber } from "./subscriber.ts";
import { ClusterClient, ClusterError } from "./cluster.ts";

/** The CLI client subcommands. */
export type CliCommand = "ping" | "get" | "set" | "del" | "publish" | "subscribe";

/** The parsed flags of a CLI client subcommand. */
export interface CliOptions {
  /** Server host (default 127.0.0.1). */
  host?: string;
  /** Server port (default 6379). */
  port?: number;
  /** `redis://[[user]:password@]host[:port][/db]`; wins over host/port. */
  url?: string;
  /** `set`: expire after this many seconds. */
  ex?: number;
  /** `set`: expire after this many milliseconds. */
  px?: number;
  /**
   * Talk to a Redis Cluster: the command goes to the node serving its key
   * and redirections are followed (like `redis-cli -c`). A server that is
   * not in cluster mode is used as is.
   */
  cluster?: boolean;
}

/** A text sink (stdout or stderr); `write` may return a promise, which is awaited. */
export interface CliWriter {
  /** Writes `text` as is (no newline added). */
  write(text: string): unknown;
}

/** Where the CLI prints, and (for tests) what stops `subscribe` instead of Ctrl-C. */
export interface CliIO {
  /** Replies go here. */
  stdout: CliWriter;
  /** Usage and connection errors go here. */
  stderr: CliWriter;
  /** Stops `subscribe` when aborted (default: SIGINT). */
  signal?: AbortSignal;
}

/** Exit code: the server replied with an error. */
export const EXIT_REPLY_ERROR = 1;
/** Exit code: bad usage. */
export const EXIT_USAGE = 2;
/** Exit code: the server could not be reached. */
export const EXIT_UNREACHABLE = 3;

/** Each subcommand's synopsis, as `mini-redis <command> --help` shows it. */
export const CLI_SYNOPSIS: Record<CliCommand, string> = {
  ping: "ping [message]",
  get: "get <key>",
  set: "set <key> <value> [--ex s|--px ms]",
  del: "del <key>...",
  publish: "publish <channel> <message>",
  subscribe: "subscribe <channel>...",
};

function stdWriter(file: typeof Deno.stdout | typeof Deno.stderr): CliWriter {
  return {
    async write(text: string) {
      const bytes = utf8(text);
      let n = 0;
      while (n < bytes.length) n += await file.write(bytes.subarray(n));
    },
  };
}

/**
 * Runs one CLI client subcommand and returns its exit code.
 *
 * @example
 * ```ts ignore
 * import { runCli } from "./cli.ts";
 * const code = await runCli("set", ["greeting", "hi"], { port: 6379, ex: 60 });
 * // prints OK; code is 0
 * ```
 */
export async function runCli(
  command: CliCommand,
  args: string[],
  options: CliOptions = {},
  io?: Partial<CliIO>,
): Promise<number> {
  const out = io?.stdout ?? stdWriter(Deno.stdout);
  const err = io?.stderr ?? stdWriter(Deno.stderr);
  const usage = async (why: string): Promise<number> => {
    await err.write(`mini-redis: ${why}\nUsage: mini-redis ${CLI_SYNOPSIS[command] ?? command}\n`);
    return EXIT_USAGE;
  };

  // ---- usage checks, before connecting ----
  let request: Arg[] | undefined;
  switch (command) {
    case "ping":
      if (args.length > 1) return usage("ping takes at most one message");
      request = ["PING", ...args];
      break;
    case "get":
      if (args.length !== 1) return usage("get takes exactly one key");
      request = ["GET", args[0]];
      break;
    case "set": {
      if (args.length !== 2) return usage("set takes a key and a value");
      request = ["SET", args[0], args[1]];
      const { ex, px } = options;
      if (ex !== undefined && px !== undefined) return usage("give --ex or --px, not both");
      for (const [flag, v] of [["--ex", ex], ["--px", px]] as const) {
        if (v === undefined) continue;
        if (!Number.isSafeInteger(v) || v <= 0) {
          return usage(`${flag} needs a positive integer, got ${v}`);
        }
        request.push(flag === "--ex" ? "EX" : "PX", v);
      }
      break;
    }
    case "del":
      if (args.length === 0) return usage("del takes at least one key");
      request = ["DEL", ...args];
      break;
    case "publish":
      if (args.length !== 2) return usage("publish takes a channel and a message");
      request = ["PUBLISH", args[0], args[1]];
      break;
    case "subscribe":
      if (args.length === 0) return usage("subscribe takes at least one channel");
      break;
    default:
      await err.write(`mini-redis: unknown command '${command}'\n`);
      return EXIT_USAGE;
  }
  if (command !== "set" && (options.ex !== undefined || options.px !== undefined)) {
    return usage("--ex and --px only apply to set");
  }

  if (options.url !== undefined && (options.host !== undefined || options.port !== undefined)) {
    return usage("give --url or --host/--port, not both");
  }
  if (options.url !== undefined && !/^[a-z][a-z0-9+.-]*:\/\//i.test(options.url)) {
    return usage(`--url must be a redis:// URL, got '${options.url}'`);
  }
  let address: string | { hostname: string; port: number };
  try {
    address = options.url ?? { hostname: options.host ?? "127.0.0.1", port: options.port ?? 6379 };
    resolveOptions(address); // validates
  } catch (e) {
    return usage((e as Error).message);
  }
  const clientOptions: ClientOptions = { connectTimeout: 5_000 };

  if (command === "subscribe") {
    return await subscribe(address, args, clientOptions, out, err, io?.signal);
  }

  if (options.cluster) {
    const code = await sendToCluster(address, request!, clientOptions, out, err);
    if (code !== undefined) return code;
  }

  let client: Client;
  try {
    client = await Client.connect(address, { ...clientOptions, reconnect: false });
  } catch (e) {
    return await reportFailure(e, address, out, err);
  }
  try {
    const reply = await client.send(request!);
    await out.write(formatReply(reply) + "\n");
    return 0;
  } catch (e) {
    return await reportFailure(e, address, out, err);
  } finally {
    await client.destroy();
  }
}

/**
 * Sends `request` through a {@linkcode ClusterClient} and prints the reply;
 * `undefined` when the server is not in cluster mode (then the caller sends
 * it the usual way).
 */
async function sendToCluster(
  address: string | { hostname: string; port: number },
  request: Arg[],
  options: ClientOptions,
  out: CliWriter,
  err: CliWriter,
): Promise<number | undefined> {
  let cluster: ClusterClient;
  try {
    cluster = await ClusterClient.connect(address, {
      ...options,
      reconnect: false,
      refreshInterval: 0,
    });
  } catch (e) {
    if (e instanceof ReplyError && e.message.includes("cluster support disabled")) return undefined;
    return await reportFailure(e, address, out, err);
  }
  try {
    const reply = await cluster.send(request);
    await out.write(formatReply(reply) + "\n");
    return 0;
  } catch (e) {
    if (e instanceof ClusterError) {
      await err.write(`Error: ${e.message}\n`);
      return EXIT_REPLY_ERROR;
    }
    return await reportFailure(e, address, out, err);
  } finally {
    await cluster.close();
  }
}

async function subscribe(
  address: string | { hostname: string; port: number },
  channels: string[],
  options: ClientOptions,
  out: CliWriter,
  err: CliWriter,
  signal: AbortSignal | undefined,
): Promise<number> {
  let sub: Subscriber;
  try {
    sub = await Subscriber.open(resolveOptions(address, options), { channels: [] });
    await sub.subscribe(...channels);
  } catch (e) {
    return await reportFailure(e, address, out, err);
  }
  const stop = () => void sub.close();
  let sigint = false;
  if (signal !== undefined) {
    if (signal.aborted) stop();
    else signal.addEventListener("abort", stop, { once: true });
  } else {
    Deno.addSignalListener("SIGINT", stop);
    sigint = true;
  }
  try {
    await out.write("Reading messages... (press Ctrl-C to quit)\n");
    for (let i = 0; i < channels.length; i++) {
      await out.write(formatReply([utf8("subscribe"), utf8(channels[i]), i + 1]) + "\n");
    }
    for await (const msg of sub) {
      const frame: Frame[] = msg.pattern === undefined
        ? [utf8("message"), utf8(msg.channel), msg.bytes]
        : [utf8("pmessage"), utf8(msg.pattern), utf8(msg.channel), msg.bytes];
      await out.write(formatReply(frame) + "\n");
    }
    return 0;
  } catch (e) {
    return await reportFailure(e, address, out, err);
  } finally {
    if (sigint) Deno.removeSignalListener("SIGINT", stop);
    signal?.removeEventListener("abort", stop);
    await sub.close();
  }
}

async function reportFailure(
  e: unknown,
  address: string | { hostname: string; port: number },
  out: CliWriter,
  err: CliWriter,
): Promise<number> {
  if (e instanceof ReplyError) {
    await out.write(`(error) ${e.message}\n`);
    return EXIT_REPLY_ERROR;
  }
  if (e instanceof ConnectionError && isPermissionError(e.cause)) {
    await err.write(
      "mini-redis: network access is not allowed: run it with --allow-net " +
        "(deno run --allow-net ...), or use the mini-redis binary\n",
    );
    return EXIT_USAGE;
  }
  if (e instanceof ConnectionError) {
    const o = resolveOptions(address);
    const cause = e.cause === undefined ? e.message : describeError(e.cause);
    const line = e.message.startsWith("Could not connect")
      ? `Could not connect to Redis at ${o.hostname}:${o.port}: ${cause}`
      : `Error: ${e.message}`;
    await err.write(line + "\n");
    return EXIT_UNREACHABLE;
  }
  throw e;
}

/** Whether an error is Deno refusing a permission (here: network access). */
function isPermissionError(e: unknown): boolean {
  return e instanceof Deno.errors.NotCapable || e instanceof Deno.errors.PermissionDenied;
}

/**
 * Formats a reply as `redis-cli` prints it on a terminal: `"value"` (escaped
 * like `redis-cli`), `(nil)`, `(integer) 1`, `(error) ERR ...`, `OK`, and
 * numbered lines for arrays.
 *
 * @example
 * ```ts
 * import { formatReply } from "./cli.ts";
 * console.log(formatReply(42)); // (integer) 42
 * console.log(formatReply(null)); // (nil)
 * ```
 */
export function formatReply(frame: Frame, indent = 0): string {
  if (frame === null || frame instanceof NullArray) return "(nil)";
  if (frame instanceof Uint8Array) return quote(frame);
  if (typeof frame === "string") return quote(utf8(frame));
  if (frame instanceof BinaryString) return quote(fromBinary(frame.value));
  if (typeof frame === "number" || typeof frame === "bigint") return `(integer) ${frame}`;
  if (typeof frame === "boolean") return frame ? "(true)" : "(false)";
  if (frame instanceof SimpleString) return frame.value;
  if (frame instanceof ReplyError) return `(error) ${frame.message}`;
  if (frame instanceof Double) return `(double) ${frame.value}`;
  if (frame instanceof BigNumber) return `(big number) ${frame.value}`;
  if (frame instanceof VerbatimString) return quote(frame.value);
  if (frame instanceof Attribute) return formatReply(frame.value, indent);
  if (frame instanceof RespMap) {
    if (frame.entries.length === 0) return "(empty hash)";
    return numbered(frame.entries.map(([k, v]) => [k, v]), indent, true);
  }
  const items = frame instanceof RespSet || frame instanceof Push ? frame.items : frame;
  if (items.length === 0) return "(empty array)";
  return numbered(items.map((f) => [f]), indent, false);
}

function numbered(rows: Frame[][], indent: number, map: boolean): string {
  const width = String(rows.length).length;
  const lines: string[] = [];
  rows.forEach((row, i) => {
    const label = `${String(i + 1).padStart(width)}) `;
    const pad = indent + label.length;
    const text = map
      ? `${formatReply(row[0], pad)} => ${formatReply(row[1], pad)}`
      : formatReply(row[0], pad);
    lines.push((i === 0 ? "" : " ".repeat(indent)) + label + text);
  });
  return lines.join("\n");
}

const HEX = "0123456789abcdef";

/** Quotes bytes as `redis-cli` does (sdscatrepr): `"a\"b\n\xff"`. */
export function quote(bytes: Uint8Array): string {
  let s = '"';
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i];
    switch (c) {
      case 0x5c:
        s += "\\\\";
        break;
      case 0x22:
        s += '\\"';
        break;
      case 0x0a:
        s += "\\n";
        break;
      case 0x0d:
        s += "\\r";
        break;
      case 0x09:
        s += "\\t";
        break;
      case 0x07:
        s += "\\a";
        break;
      case 0x08:
        s += "\\b";
        break;
      default:
        if (c >= 0x20 && c < 0x7f) s += String.fromCharCode(c);
        else s += "\\x" + HEX[c >> 4] + HEX[c & 15];
    }
  }
  return s + '"';
}
