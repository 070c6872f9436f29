/**
 * The command methods shared by {@linkcode Client} and {@linkcode BufferedClient}:
 * they are written once here, over an abstract `send(args, options)`.
 *
 * Method names are Redis's command names in lower case. Keys and values are
 * `string` (sent as UTF-8) or `Uint8Array` (sent as is). Bulk replies are
 * returned as UTF-8 strings by the plain methods (`get`, `mget`, ...) and as
 * bytes, binary-safe, by the `...Bytes` variants (`getBytes`, `mgetBytes`,
 * `getdelBytes`). Integer replies are `number`s (Redis integers beyond
 * `Number.MAX_SAFE_INTEGER` lose precision there: use `send` for those, which
 * returns them as `bigint`).
 *
 * @module
 */

import {
  Attribute,
  BigNumber,
  Double,
  type Frame,
  ReplyError,
  RespMap,
  RespSet,
  SimpleString,
  VerbatimString,
} from "../resp/frame.ts";
import { fromUtf8 } from "../resp/bytes.ts";
import type { ResolvedOptions } from "./options.ts";
import { Subscriber } from "./subscriber.ts";

/** One argument of a command: strings are sent as UTF-8, numbers in decimal. */
export type Arg = string | Uint8Array | number | bigint;

/** A key or a value: a UTF-8 string or raw bytes. */
export type Value = string | Uint8Array;

/** Options of one command. */
export interface CommandOptions {
  /**
   * Aborts the command: it rejects at once with `signal.reason`; if it was already
   * written, its late reply is read and discarded, so the connection stays in step.
   */
  signal?: AbortSignal;
  /** Timeout in ms of this command, instead of the client's `commandTimeout`. */
  timeout?: number;
}

/** Options of `SET`. Give at most one of `ex`, `px`, `exat`, `pxat`, `keepttl`. */
export interface SetOptions extends CommandOptions {
  /** Expire after this many seconds. */
  ex?: number;
  /** Expire after this many milliseconds. */
  px?: number;
  /** Expire at this Unix time in seconds. */
  exat?: number;
  /** Expire at this Unix time in milliseconds. */
  pxat?: number;
  /** Keep the key's current time to live. */
  keepttl?: boolean;
  /** Only set the key if it does not exist. */
  nx?: boolean;
  /** Only set the key if it already exists. */
  xx?: boolean;
  /** Return the old value (string or `null`) instead of `"OK"`. */
  get?: boolean;
}

/** Options of `GETEX`. Give at most one. */
export interface GetExOptions extends CommandOptions {
  /** Expire after this many seconds. */
  ex?: number;
  /** Expire after this many milliseconds. */
  px?: number;
  /** Expire at this Unix time in seconds. */
  exat?: number;
  /** Expire at this Unix time in milliseconds. */
  pxat?: number;
  /** Remove the time to live. */
  persist?: boolean;
}

/** Condition of `EXPIRE` and friends (Redis 7). */
export type ExpireMode = "NX" | "XX" | "GT" | "LT";

/** Options of `SCAN`. */
export interface ScanOptions extends CommandOptions {
  /** Glob pattern the keys must match. */
  match?: string;
  /** Hint of how many keys to look at per call. */
  count?: number;
  /** Only keys of this type (`string`, ...). */
  type?: string;
}

/** Converts a bulk/simple/verbatim string reply to a string (`null` stays `null`). */
export function asString(frame: Frame): string | null {
  if (frame === null) return null;
  if (frame instanceof Uint8Array) return fromUtf8(frame);
  if (frame instanceof SimpleString) return frame.value;
  if (frame instanceof VerbatimString) return fromUtf8(frame.value);
  if (typeof frame === "string") return frame;
  if (typeof frame === "number" || typeof frame === "bigint") return String(frame);
  if (frame instanceof Double || frame instanceof BigNumber) return String(frame.value);
  if (frame instanceof Attribute) return asString(frame.value);
  throw unexpected(frame);
}

/** Converts a bulk reply to bytes (`null` stays `null`). */
export function asBytes(frame: Frame): Uint8Array | null {
  if (frame === null || frame instanceof Uint8Array) return frame;
  if (frame instanceof VerbatimString) return frame.value;
  if (frame instanceof Attribute) return asBytes(frame.value);
  const s = asString(frame);
  return s === null ? null : new TextEncoder().encode(s);
}

/**
 * Converts an integer reply to a number. An integer beyond 2^53 cannot be a
 * `number` exactly: it throws a `RangeError` rather than round silently
 * (`send()` returns such replies as exact `bigint`s).
 */
export function asNumber(frame: Frame): number {
  if (typeof frame === "number") return frame;
  if (typeof frame === "bigint") {
    throw new RangeError(
      `integer reply ${frame} is beyond 2^53 and cannot be a number exactly: use send() for the bigint`,
    );
  }
  if (frame instanceof Double) return frame.value;
  if (frame instanceof Uint8Array) return Number(fromUtf8(frame));
  if (frame instanceof Attribute) return asNumber(frame.value);
  throw unexpected(frame);
}

/** Converts an integer (RESP2) or boolean (RESP3) reply to a boolean. */
export function asBoolean(frame: Frame): boolean {
  if (typeof frame === "boolean") return frame;
  return asNumber(frame) !== 0;
}

/** Converts an array/set reply to an array of frames (`null` gives `[]`). */
export function asArray(frame: Frame): Frame[] {
  if (Array.isArray(frame)) return frame;
  if (frame === null) return [];
  if (frame instanceof RespSet) return frame.items;
  if (frame instanceof RespMap) return frame.entries.flat();
  if (frame instanceof Attribute) return asArray(frame.value);
  throw unexpected(frame);
}

function unexpected(frame: Frame): TypeError {
  return new TypeError(`Unexpected reply type: ${describe(frame)}`);
}

function describe(frame: Frame): string {
  if (frame === null) return "null";
  if (Array.isArray(frame)) return "array";
  if (typeof frame === "object") return frame.constructor.name;
  return typeof frame;
}

function ok(frame: Frame): "OK" {
  if (frame instanceof SimpleString && frame.value === "OK") return "OK";
  throw unexpected(frame);
}

function okOrNull(frame: Frame): "OK" | null {
  return frame === null ? null : ok(frame);
}

function strings(frame: Frame): string[] {
  return asArray(frame).map((f) => asString(f) ?? "");
}

function nullableStrings(frame: Frame): (string | null)[] {
  return asArray(frame).map(asString);
}

function expiryArgs(args: Arg[], o: SetOptions | GetExOptions | undefined): void {
  if (o === undefined) return;
  if (o.ex !== undefined) args.push("EX", o.ex);
  if (o.px !== undefined) args.push("PX", o.px);
  if (o.exat !== undefined) args.push("EXAT", o.exat);
  if (o.pxat !== undefined) args.push("PXAT", o.pxat);
}

/** Picks the per-command options out of an options object (`undefined` when none). */
function cmdOpts(o: CommandOptions | undefined): CommandOptions | undefined {
  if (o === undefined || (o.signal === undefined && o.timeout === undefined)) return undefined;
  return { signal: o.signal, timeout: o.timeout };
}

/**
 * The typed command methods, implemented once over {@linkcode Commands.send}.
 * {@linkcode Client} and {@linkcode BufferedClient} extend it; `with(options)`
 * gives a view whose every command uses those options (e.g. a `signal`),
 * which is how variadic methods such as `del(...keys)` take options.
 *
 * @example
 * ```ts ignore
 * import { connect } from "./mod.ts";
 * await using client = await connect("127.0.0.1:6379");
 * await client.set("hello", "world", { ex: 60 });
 * console.log(await client.get("hello")); // "world"
 * await client.with({ signal: AbortSignal.timeout(100) }).del("a", "b");
 * ```
 */
export abstract class Commands {
  /**
   * Sends any command and resolves with its decoded reply frame (see
   * `resp/frame.ts`); an error reply rejects with a `ReplyError`.
   *
   * @example
   * ```ts ignore
   * const reply = await client.send(["OBJECT", "ENCODING", "k"]);
   * ```
   */
  abstract send(args: readonly Arg[], options?: CommandOptions): Promise<Frame>;

  /** The resolved connection options, used to open a {@linkcode Subscriber}'s own connection. */
  protected abstract connectionOptions(): ResolvedOptions;

  /**
   * A view of this client whose commands all use `options` (merged under each
   * call's own options).
   */
  with(options: CommandOptions): Commands {
    return new ScopedCommands(this, options);
  }

  // ---- connection ------------------------------------------------------------------------

  /** `PING [message]`: resolves with `"PONG"`, or with the message. */
  async ping(message?: Value, options?: CommandOptions): Promise<string> {
    const args: Arg[] = message === undefined ? ["PING"] : ["PING", message];
    return asString(await this.send(args, options)) ?? "";
  }

  /** `ECHO message`. */
  async echo(message: Value, options?: CommandOptions): Promise<string> {
    return asString(await this.send(["ECHO", message], options)) ?? "";
  }

  // ---- strings ---------------------------------------------------------------------------

  /** `GET key`: the value decoded as UTF-8, or `null` when the key does not exist. */
  async get(key: Value, options?: CommandOptions): Promise<string | null> {
    return asString(await this.send(["GET", key], options));
  }

  /** `GET key`: the value as bytes (binary-safe), or `null`. */
  async getBytes(key: Value, options?: CommandOptions): Promise<Uint8Array | null> {
    return asBytes(await this.send(["GET", key], options));
  }

  /**
   * `SET key value [NX|XX] [GET] [EX|PX|EXAT|PXAT|KEEPTTL]`: resolves with `"OK"`, or
   * `null` when NX/XX prevented it; with `get: true`, with the old value instead.
   */
  set(key: Value, value: Value, options: SetOptions & { get: true }): Promise<string | null>;
  /** `SET key value [NX|XX] [EX|PX|EXAT|PXAT|KEEPTTL]`: `"OK"`, or `null` when NX/XX prevented it. */
  set(key: Value, value: Value, options?: SetOptions): Promise<"OK" | null>;
  async set(key: Value, value: Value, options?: SetOptions): Promise<string | null> {
    if (options === undefined) return okOrNull(await this.send(["SET", key, value]));
    const args: Arg[] = ["SET", key, value];
    if (options.nx) args.push("NX");
    if (options.xx) args.push("XX");
    if (options.get) args.push("GET");
    expiryArgs(args, options);
    if (options.keepttl) args.push("KEEPTTL");
    const reply = await this.send(args, cmdOpts(options));
    return options.get ? asString(reply) : okOrNull(reply);
  }

  /** `SETNX key value`: `true` when the key was set. */
  async setnx(key: Value, value: Value, options?: CommandOptions): Promise<boolean> {
    return asBoolean(await this.send(["SETNX", key, value], options));
  }

  /** `SETEX key seconds value`. */
  async setex(key: Value, seconds: number, value: Value, options?: CommandOptions): Promise<"OK"> {
    return ok(await this.send(["SETEX", key, seconds, value], options));
  }

  /** `PSETEX key milliseconds value`. */
  async psetex(key: Value, ms: number, value: Value, options?: CommandOptions): Promise<"OK"> {
    return ok(await this.send(["PSETEX", key, ms, value], options));
  }

  /** `GETSET key value`: the old value, or `null`. */
  async getset(key: Value, value: Value, options?: CommandOptions): Promise<string | null> {
    return asString(await this.send(["GETSET", key, value], options));
  }

  /** `GETDEL key`: the value (then deleted), or `null`. */
  async getdel(key: Value, options?: CommandOptions): Promise<string | null> {
    return asString(await this.send(["GETDEL", key], options));
  }

  /** `GETDEL key`, as bytes. */
  async getdelBytes(key: Value, options?: CommandOptions): Promise<Uint8Array | null> {
    return asBytes(await this.send(["GETDEL", key], options));
  }

  /** `GETEX key [EX|PX|EXAT|PXAT|PERSIST]`: the value, or `null`. */
  async getex(key: Value, options?: GetExOptions): Promise<string | null> {
    const args: Arg[] = ["GETEX", key];
    expiryArgs(args, options);
    if (options?.persist) args.push("PERSIST");
    return asString(await this.send(args, cmdOpts(options)));
  }

  /** `MGET key...`: the values (UTF-8), `null` for missing keys. */
  async mget(...keys: Value[]): Promise<(string | null)[]> {
    return nullableStrings(await this.send(["MGET", ...keys]));
  }

  /** `MGET key...`: the values as bytes, `null` for missing keys. */
  async mgetBytes(...keys: Value[]): Promise<(Uint8Array | null)[]> {
    return asArray(await this.send(["MGET", ...keys])).map(asBytes);
  }

  /** `MSET key value ...` from a record or a list of pairs. */
  async mset(entries: Record<string, Value> | [Value, Value][]): Promise<"OK"> {
    return ok(await this.send(["MSET", ...pairs(entries)]));
  }

  /** `MSETNX key value ...`: `true` when every key was set (none existed). */
  async msetnx(entries: Record<string, Value> | [Value, Value][]): Promise<boolean> {
    return asBoolean(await this.send(["MSETNX", ...pairs(entries)]));
  }

  /** `APPEND key value`: the new length. */
  async append(key: Value, value: Value, options?: CommandOptions): Promise<number> {
    return asNumber(await this.send(["APPEND", key, value], options));
  }

  /** `STRLEN key`. */
  async strlen(key: Value, options?: CommandOptions): Promise<number> {
    return asNumber(await this.send(["STRLEN", key], options));
  }

  /** `GETRANGE key start end` (inclusive, negative from the end). */
  async getrange(
    key: Value,
    start: number,
    end: number,
    options?: CommandOptions,
  ): Promise<string> {
    return asString(await this.send(["GETRANGE", key, start, end], options)) ?? "";
  }

  /** `SETRANGE key offset value`: the new length. */
  async setrange(
    key: Value,
    offset: number,
    value: Value,
    options?: CommandOptions,
  ): Promise<number> {
    return asNumber(await this.send(["SETRANGE", key, offset, value], options));
  }

  /** `INCR key`: the new value. */
  async incr(key: Value, options?: CommandOptions): Promise<number> {
    return asNumber(await this.send(["INCR", key], options));
  }

  /** `DECR key`: the new value. */
  async decr(key: Value, options?: CommandOptions): Promise<number> {
    return asNumber(await this.send(["DECR", key], options));
  }

  /** `INCRBY key increment`: the new value. */
  async incrby(key: Value, increment: number | bigint, options?: CommandOptions): Promise<number> {
    return asNumber(await this.send(["INCRBY", key, increment], options));
  }

  /** `DECRBY key decrement`: the new value. */
  async decrby(key: Value, decrement: number | bigint, options?: CommandOptions): Promise<number> {
    return asNumber(await this.send(["DECRBY", key, decrement], options));
  }

  /** `INCRBYFLOAT key increment`: the new value. */
  async incrbyfloat(key: Value, increment: number, options?: CommandOptions): Promise<number> {
    return asNumber(await this.send(["INCRBYFLOAT", key, String(increment)], options));
  }

  /** `SETBIT key offset 0|1`: the bit's old value. */
  async setbit(key: Value, offset: number, bit: 0 | 1, options?: CommandOptions): Promise<0 | 1> {
    return asNumber(await this.send(["SETBIT", key, offset, bit], options)) as 0 | 1;
  }

  /** `GETBIT key offset`. */
  async getbit(key: Value, offset: number, options?: CommandOptions): Promise<0 | 1> {
    return asNumber(await this.send(["GETBIT", key, offset], options)) as 0 | 1;
  }

  /** `BITCOUNT key [start end [BYTE|BIT]]`. */
  async bitcount(
    key: Value,
    range?: { start: number; end: number; unit?: "BYTE" | "BIT" },
    options?: CommandOptions,
  ): Promise<number> {
    const args: Arg[] = ["BITCOUNT", key];
    if (range !== undefined) {
      args.push(range.start, range.end);
      if (range.unit !== undefined) args.push(range.unit);
    }
    return asNumber(await this.send(args, options));
  }

  // ---- keys ------------------------------------------------------------------------------

  /** `DEL key...`: how many keys were removed. */
  async del(...keys: Value[]): Promise<number> {
    return asNumber(await this.send(["DEL", ...keys]));
  }

  /** `UNLINK key...`: how many keys were removed. */
  async unlink(...keys: Value[]): Promise<number> {
    return asNumber(await this.send(["UNLINK", ...keys]));
  }

  /** `EXISTS key...`: how many of the keys exist (a key given twice counts twice). */
  async exists(...keys: Value[]): Promise<number> {
    return asNumber(await this.send(["EXISTS", ...keys]));
  }

  /** `TOUCH key...`: how many of the keys exist. */
  async touch(...keys: Value[]): Promise<number> {
    return asNumber(await this.send(["TOUCH", ...keys]));
  }

  /** `TYPE key`: `string`, `list`, ..., or `none`. */
  async type(key: Value, options?: CommandOptions): Promise<string> {
    return asString(await this.send(["TYPE", key], options)) ?? "none";
  }

  /** `KEYS pattern`: every key matching the glob pattern (prefer {@linkcode Commands.scanIterator}). */
  async keys(pattern: Value, options?: CommandOptions): Promise<string[]> {
    return strings(await this.send(["KEYS", pattern], options));
  }

  /** `SCAN cursor [MATCH] [COUNT] [TYPE]`: the next cursor (`"0"` when done) and a batch of keys. */
  async scan(cursor: string | number, options?: ScanOptions): Promise<[string, string[]]> {
    const args: Arg[] = ["SCAN", cursor];
    if (options?.match !== undefined) args.push("MATCH", options.match);
    if (options?.count !== undefined) args.push("COUNT", options.count);
    if (options?.type !== undefined) args.push("TYPE", options.type);
    const [next, keys] = asArray(await this.send(args, cmdOpts(options)));
    return [asString(next) ?? "0", strings(keys)];
  }

  /** Iterates over every key with `SCAN` (a key may be seen more than once, as with SCAN). */
  async *scanIterator(options?: ScanOptions): AsyncGenerator<string> {
    let cursor = "0";
    do {
      const [next, keys] = await this.scan(cursor, options);
      yield* keys;
      cursor = next;
    } while (cursor !== "0");
  }

  /** `RANDOMKEY`: a random key, or `null` when the database is empty. */
  async randomkey(options?: CommandOptions): Promise<string | null> {
    return asString(await this.send(["RANDOMKEY"], options));
  }

  /** `RENAME key newkey`. */
  async rename(key: Value, newKey: Value, options?: CommandOptions): Promise<"OK"> {
    return ok(await this.send(["RENAME", key, newKey], options));
  }

  /** `RENAMENX key newkey`: `true` when renamed (newkey did not exist). */
  async renamenx(key: Value, newKey: Value, options?: CommandOptions): Promise<boolean> {
    return asBoolean(await this.send(["RENAMENX", key, newKey], options));
  }

  /** `COPY source destination [REPLACE]`: `true` when copied. */
  async copy(
    source: Value,
    destination: Value,
    options?: CommandOptions & { replace?: boolean },
  ): Promise<boolean> {
    const args: Arg[] = ["COPY", source, destination];
    if (options?.replace) args.push("REPLACE");
    return asBoolean(await this.send(args, cmdOpts(options)));
  }

  /** `DBSIZE`: how many keys there are. */
  async dbsize(options?: CommandOptions): Promise<number> {
    return asNumber(await this.send(["DBSIZE"], options));
  }

  /** `FLUSHDB`: removes every key of the database. */
  async flushdb(options?: CommandOptions): Promise<"OK"> {
    return ok(await this.send(["FLUSHDB"], options));
  }

  /** `FLUSHALL`: removes every key of every database. */
  async flushall(options?: CommandOptions): Promise<"OK"> {
    return ok(await this.send(["FLUSHALL"], options));
  }

  // ---- expiry ----------------------------------------------------------------------------

  /** `EXPIRE key seconds [NX|XX|GT|LT]`: `true` when the timeout was set. */
  async expire(
    key: Value,
    seconds: number,
    mode?: ExpireMode,
    options?: CommandOptions,
  ): Promise<boolean> {
    return asBoolean(await this.send(withMode(["EXPIRE", key, seconds], mode), options));
  }

  /** `PEXPIRE key milliseconds [NX|XX|GT|LT]`: `true` when the timeout was set. */
  async pexpire(
    key: Value,
    ms: number,
    mode?: ExpireMode,
    options?: CommandOptions,
  ): Promise<boolean> {
    return asBoolean(await this.send(withMode(["PEXPIRE", key, ms], mode), options));
  }

  /** `EXPIREAT key unix-seconds [NX|XX|GT|LT]`: `true` when the timeout was set. */
  async expireat(
    key: Value,
    unixSeconds: number,
    mode?: ExpireMode,
    options?: CommandOptions,
  ): Promise<boolean> {
    return asBoolean(await this.send(withMode(["EXPIREAT", key, unixSeconds], mode), options));
  }

  /** `PEXPIREAT key unix-ms [NX|XX|GT|LT]`: `true` when the timeout was set. */
  async pexpireat(
    key: Value,
    unixMs: number,
    mode?: ExpireMode,
    options?: CommandOptions,
  ): Promise<boolean> {
    return asBoolean(await this.send(withMode(["PEXPIREAT", key, unixMs], mode), options));
  }

  /** `TTL key`: seconds left; -1 without expiry, -2 when the key does not exist. */
  async ttl(key: Value, options?: CommandOptions): Promise<number> {
    return asNumber(await this.send(["TTL", key], options));
  }

  /** `PTTL key`: milliseconds left; -1 without expiry, -2 when the key does not exist. */
  async pttl(key: Value, options?: CommandOptions): Promise<number> {
    return asNumber(await this.send(["PTTL", key], options));
  }

  /** `EXPIRETIME key`: the Unix time in seconds it expires at; -1 / -2 as TTL. */
  async expiretime(key: Value, options?: CommandOptions): Promise<number> {
    return asNumber(await this.send(["EXPIRETIME", key], options));
  }

  /** `PEXPIRETIME key`: the Unix time in ms it expires at; -1 / -2 as TTL. */
  async pexpiretime(key: Value, options?: CommandOptions): Promise<number> {
    return asNumber(await this.send(["PEXPIRETIME", key], options));
  }

  /** `PERSIST key`: `true` when a timeout was removed. */
  async persist(key: Value, options?: CommandOptions): Promise<boolean> {
    return asBoolean(await this.send(["PERSIST", key], options));
  }

  // ---- pub/sub ---------------------------------------------------------------------------

  /** `PUBLISH channel message`: how many subscribers received it. */
  async publish(channel: Value, message: Value, options?: CommandOptions): Promise<number> {
    return asNumber(await this.send(["PUBLISH", channel, message], options));
  }

  /**
   * Opens a {@linkcode Subscriber} on its own connection (same address and options as
   * this client) subscribed to `channels`; this client stays usable for commands.
   */
  subscribe(...channels: string[]): Promise<Subscriber> {
    return Subscriber.open(this.connectionOptions(), { channels });
  }

  /** Like {@linkcode Commands.subscribe}, with glob patterns (`PSUBSCRIBE`). */
  psubscribe(...patterns: string[]): Promise<Subscriber> {
    return Subscriber.open(this.connectionOptions(), { patterns });
  }
}

function withMode(args: Arg[], mode: ExpireMode | undefined): Arg[] {
  if (mode !== undefined) args.push(mode);
  return args;
}

function pairs(entries: Record<string, Value> | [Value, Value][]): Value[] {
  const out: Value[] = [];
  if (Array.isArray(entries)) {
    for (const [k, v] of entries) out.push(k, v);
  } else {
    for (const k of Object.keys(entries)) out.push(k, entries[k]);
  }
  return out;
}

/** The view returned by {@linkcode Commands.with}. */
class ScopedCommands extends Commands {
  #parent: Commands;
  #options: CommandOptions;
  constructor(parent: Commands, options: CommandOptions) {
    super();
    this.#parent = parent;
    this.#options = options;
  }
  send(args: readonly Arg[], options?: CommandOptions): Promise<Frame> {
    return this.#parent.send(
      args,
      options === undefined ? this.#options : {
        signal: options.signal ?? this.#options.signal,
        timeout: options.timeout ?? this.#options.timeout,
      },
    );
  }
  protected connectionOptions(): ResolvedOptions {
    // deno-lint-ignore no-explicit-any
    return (this.#parent as any).connectionOptions();
  }
}

export { ReplyError };
