/**
 * Regenerates `server/commands/config_table.json`: every configuration
 * parameter of a real redis-server 7.0.15 with its default, whether CONFIG
 * SET may change it, and how Redis validates a value: booleans, enums (with
 * the name each accepted word reads back as), integers and memory values
 * (with their range), or free strings. Everything is learnt by asking the
 * server: CONFIG GET for defaults, CONFIG SET of invalid values for the
 * error texts that reveal a type and range, SLOWLOG for which values are
 * redacted.
 *
 * Usage (redis-server 7.0.15 on PATH; it is started on a free loopback port
 * and stopped again): `deno run -A scripts/gen_config.ts`. `--check`
 * compares instead of writing, and exits 1 when the file is out of date.
 *
 * @module
 */

import { REFERENCE_VERSION, referenceRedis, replyText } from "./reference_redis.ts";
import { type Frame, ReplyError, RespMap } from "../resp/frame.ts";

const OUT = new URL("../server/commands/config_table.json", import.meta.url);

/** One parameter as stored in the table. */
interface Spec {
  /** Its name, and the other names of the same parameter. */
  name: string;
  aliases?: string[];
  /** The value a fresh redis-server reports. */
  default: string;
  /** `mutable`, `immutable` (CONFIG SET refuses) or `protected` (refused unless enabled). */
  mode: "mutable" | "immutable" | "protected";
  /** CONFIG SET's argument is shown as `(redacted)` in SLOWLOG and MONITOR. */
  sensitive?: boolean;
  /** How a value is validated (mutable parameters only). */
  type?: "bool" | "enum" | "int" | "memory" | "memory-percent" | "string" | "special";
  /** Enum: each accepted word and the word it reads back as. */
  values?: [string, string][];
  /** Numbers: the inclusive range, as Redis prints it in its error. */
  min?: string;
  max?: string;
  /** Numbers: stored unsigned (a negative value wraps around, as in C). */
  unsigned?: boolean;
  /** Special parameters: Redis's error for an invalid value. */
  invalid?: string;
}

/** Names that are another name of the same parameter (Redis 7.0's aliases). */
const ALIASES: Record<string, string> = {
  "hash-max-ziplist-entries": "hash-max-listpack-entries",
  "hash-max-ziplist-value": "hash-max-listpack-value",
  "zset-max-ziplist-entries": "zset-max-listpack-entries",
  "zset-max-ziplist-value": "zset-max-listpack-value",
  "list-max-ziplist-size": "list-max-listpack-size",
  "slaveof": "replicaof",
  "slave-serve-stale-data": "replica-serve-stale-data",
  "slave-read-only": "replica-read-only",
  "slave-ignore-maxmemory": "replica-ignore-maxmemory",
  "slave-lazy-flush": "replica-lazy-flush",
  "slave-priority": "replica-priority",
  "slave-announce-ip": "replica-announce-ip",
  "slave-announce-port": "replica-announce-port",
  "repl-ping-slave-period": "repl-ping-replica-period",
  "min-slaves-to-write": "min-replicas-to-write",
  "min-slaves-max-lag": "min-replicas-max-lag",
  "cluster-slave-validity-factor": "cluster-replica-validity-factor",
  "cluster-slave-no-failover": "cluster-replica-no-failover",
  "lua-time-limit": "busy-reply-threshold",
};

/** Parameters whose value is never set by the probe (it would move or stop the server). */
const UNTOUCHABLE = new Set([
  "port",
  "bind",
  "tls-port",
  "cluster-announce-port",
  "cluster-port",
  "unixsocket",
  "requirepass",
  "enable-protected-configs",
  "enable-debug-command",
  "enable-module-command",
  "replicaof",
  "masterauth",
  "masteruser",
]);

async function main(): Promise<void> {
  const check = Deno.args.includes("--check");
  await using ref = await referenceRedis();
  const c = ref.client;

  const all = await c.send(["CONFIG", "GET", "*"]) as RespMap;
  const defaults = new Map<string, string>();
  for (const [k, v] of all.entries) defaults.set(replyText(k), replyText(v));
  const set = async (name: string, value: string): Promise<string> => {
    try {
      await c.send(["CONFIG", "SET", name, value]);
      return "OK";
    } catch (e) {
      if (e instanceof ReplyError || (e instanceof Error && "message" in e)) {
        const m = /\) - (.*)$/s.exec(e.message);
        return m ? m[1] : e.message;
      }
      throw e;
    }
  };
  const get = async (name: string) =>
    replyText((await c.send(["CONFIG", "GET", name]) as RespMap).entries[0][1]);

  // the defaults of the probe's own command line, not Redis's
  const ownArgs: Record<string, string> = { port: "6379", bind: "* -::*", dir: "" };
  for (const [name, value] of Object.entries(ownArgs)) defaults.set(name, value);
  const restoreValues = new Map<string, string>([["port", String(ref.port)], [
    "bind",
    "127.0.0.1",
  ]]);
  const specs: Spec[] = [];
  const names = [...defaults.keys()].filter((n) => !(n in ALIASES)).sort();
  for (const name of names) {
    const def = defaults.get(name)!;
    const aliases = Object.entries(ALIASES).filter(([, p]) => p === name).map(([a]) => a);
    const spec: Spec = { name, default: def, mode: "mutable" };
    if (aliases.length > 0) spec.aliases = aliases;
    specs.push(spec);
    const bad = await set(name, "xyz_not_valid");
    if (bad === "can't set immutable config") {
      spec.mode = "immutable";
      continue;
    }
    if (bad === "can't set protected config") {
      spec.mode = "protected";
      continue;
    }
    if (UNTOUCHABLE.has(name)) {
      spec.type = "special";
      spec.invalid = bad;
      continue;
    }
    if (bad === "argument must be 'yes' or 'no'") {
      spec.type = "bool";
    } else if (bad.startsWith("argument(s) must be one of the following: ")) {
      spec.type = "enum";
      const words = bad.slice("argument(s) must be one of the following: ".length).split(", ");
      spec.values = [];
      for (const w of words) {
        const r = await set(name, w);
        spec.values.push([w, r === "OK" ? await get(name) : `!${r}`]);
      }
    } else if (
      bad === "argument couldn't be parsed into an integer" ||
      bad === "argument must be a memory value" ||
      bad === "argument must be a memory or percent value"
    ) {
      spec.type = bad.includes("percent")
        ? "memory-percent"
        : bad.includes("memory")
        ? "memory"
        : "int";
      for (
        const v of [
          "-1",
          "-9223372036854775808",
          "9223372036854775807",
          "18446744073709551615",
        ]
      ) {
        const r = await set(name, v);
        const m = /^argument must be between (-?\d+) and (-?\d+) inclusive$/.exec(r);
        if (m) {
          spec.min = m[1];
          spec.max = m[2];
          break;
        }
      }
      if (spec.type === "memory-percent") {
        // a percentage is stored negated: the lower bound is minus the largest percentage
        const m = /less or equal to (\d+)$/.exec(await set(name, "99999%"));
        spec.min = m ? `-${m[1]}` : "0";
        spec.max = "9223372036854775807";
      }
      if (spec.min === undefined) {
        spec.min = spec.type === "int" ? "-9223372036854775808" : "0";
        spec.max = spec.type === "int" ? "9223372036854775807" : "18446744073709551615";
      }
      if (BigInt(spec.max!) > 9223372036854775807n) spec.unsigned = true;
    } else if (bad === "OK") {
      spec.type = "string";
    } else {
      spec.type = "special";
      spec.invalid = bad;
    }
    const restore = await set(name, restoreValues.get(name) ?? def);
    if (restore !== "OK") console.error(`could not restore ${name}=${def}: ${restore}`);
  }

  // which parameters SLOWLOG shows redacted
  await c.send(["CONFIG", "SET", "slowlog-log-slower-than", "0", "slowlog-max-len", "10000"]);
  await c.send(["SLOWLOG", "RESET"]);
  for (const s of specs) await set(s.name, "xyz_not_valid");
  const log = await c.send(["SLOWLOG", "GET", "-1"]) as Frame[][];
  for (const entry of log) {
    const args = (entry[3] as Frame[]).map(replyText);
    if (args[0] === "CONFIG" && args[3] === "(redacted)") {
      const s = specs.find((s) => s.name === args[2]);
      if (s) s.sensitive = true;
    }
  }

  const json = JSON.stringify({ version: REFERENCE_VERSION, params: specs }, null, 2) + "\n";
  if (check) {
    const current = await Deno.readTextFile(OUT).catch(() => "");
    if (current !== json) {
      console.error("server/commands/config_table.json is out of date");
      Deno.exit(1);
    }
    console.log(`up to date: ${specs.length} parameters`);
  } else {
    await Deno.writeTextFile(OUT, json);
    console.log(`wrote ${specs.length} parameters`);
  }
}

if (import.meta.main) await main();
