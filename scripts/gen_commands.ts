/**
 * Regenerates `server/commands/redis_commands.json`, the one source of
 * command metadata (arity, flags, key positions, ACL categories, tips, key
 * specs, COMMAND DOCS) from a real redis-server 7.0.15's own `COMMAND INFO`
 * and `COMMAND DOCS` replies, read in RESP3 so that every map, set and
 * simple string keeps its type.
 *
 * Usage (redis-server 7.0.15 on PATH; it is started on a free loopback port
 * and stopped again): `deno task gen:commands`. `--check` compares instead
 * of writing, and exits 1 when the file is out of date.
 *
 * The file is stored flat, one entry per full name (`get`, `config|get`):
 * `{ "info": <COMMAND INFO entry without its subcommands>, "docs": <COMMAND
 * DOCS entry without its subcommands> }`, each a RESP3 frame in a tagged
 * JSON form (see `server/commands/meta.ts`).
 *
 * @module
 */

import { REFERENCE_VERSION, referenceRedis } from "./reference_redis.ts";
import { type Frame, RespMap, RespSet, SimpleString } from "../resp/frame.ts";

const OUT = new URL("../server/commands/redis_commands.json", import.meta.url);

/** A RESP3 frame as JSON: bulk string = string, simple string = {"+"}, map = {"%"}, set = {"~"}. */
type Tagged =
  | string
  | number
  | null
  | Tagged[]
  | { "+": string }
  | { "%": [Tagged, Tagged][] }
  | { "~": Tagged[] };

function tag(f: Frame): Tagged {
  if (f === null) return null;
  if (f instanceof Uint8Array) return new TextDecoder().decode(f);
  if (typeof f === "string" || typeof f === "number") return f;
  if (Array.isArray(f)) return f.map(tag);
  if (f instanceof SimpleString) return { "+": f.value };
  if (f instanceof RespMap) return { "%": f.entries.map(([k, v]) => [tag(k), tag(v)]) };
  if (f instanceof RespSet) return { "~": f.items.map(tag) };
  throw new Error(`unexpected frame in COMMAND reply: ${Deno.inspect(f)}`);
}

async function main(): Promise<void> {
  const check = Deno.args.includes("--check");
  await using ref = await referenceRedis();
  const c = ref.client;
  const infos = await c.send(["COMMAND", "INFO"]) as Frame[];
  const docs = await c.send(["COMMAND", "DOCS"]) as RespMap;
  const docsByName = new Map<string, RespMap>();
  const out: Record<string, { info: Tagged; docs: Tagged }> = {};

  const addDocs = (map: RespMap) => {
    for (const [name, d] of map.entries) {
      const entries = (d as RespMap).entries;
      const subs = entries.find(([k]) =>
        new TextDecoder().decode(k as Uint8Array) === "subcommands"
      );
      const rest = entries.filter(([k]) =>
        new TextDecoder().decode(k as Uint8Array) !== "subcommands"
      );
      docsByName.set(new TextDecoder().decode(name as Uint8Array), new RespMap(rest));
      if (subs) addDocs(subs[1] as RespMap);
    }
  };
  addDocs(docs);

  const addInfo = (entry: Frame[]) => {
    const name = new TextDecoder().decode(entry[0] as Uint8Array);
    const subs = entry[9];
    const own = entry.slice(0, 9).concat([new RespSet([])]);
    const d = docsByName.get(name);
    if (d === undefined) throw new Error(`no COMMAND DOCS entry for ${name}`);
    out[name] = { info: tag(own), docs: tag(d) };
    if (Array.isArray(subs)) { for (const s of subs) addInfo(s as Frame[]); }
  };
  for (const e of infos) addInfo(e as Frame[]);

  const sorted = Object.fromEntries(Object.entries(out).sort(([a], [b]) => a < b ? -1 : 1));
  const json = JSON.stringify({ version: REFERENCE_VERSION, commands: sorted }) + "\n";
  if (check) {
    const current = await Deno.readTextFile(OUT).catch(() => "");
    if (current !== json) {
      console.error("server/commands/redis_commands.json is out of date");
      Deno.exit(1);
    }
    console.log(`up to date: ${Object.keys(sorted).length} commands`);
  } else {
    await Deno.writeTextFile(OUT, json);
    console.log(`wrote ${Object.keys(sorted).length} commands to ${OUT.pathname}`);
  }
}

if (import.meta.main) await main();
