/**
 * The one-node cluster mode (`serve --cluster-enabled yes`): the server
 * answers as a Redis Cluster of one master that owns all 16384 slots, so
 * applications written for a cluster (and cluster clients such as ioredis
 * `Cluster`, node-redis `createCluster` or our `ClusterClient`) run against
 * it unchanged. There is no cluster bus and nothing ever moves: what this
 * mode adds is the `CLUSTER` commands (`commands/cluster.ts`) and Redis's
 * `CROSSSLOT` refusal of requests whose keys hash to different slots.
 *
 * Key slots are CRC16 (XMODEM) of the key, or of its `{hash tag}`, mod 16384.
 *
 * @example
 * ```ts
 * import { keyHashSlot } from "./cluster.ts";
 * console.log(keyHashSlot(new TextEncoder().encode("foo"))); // 12182
 * ```
 *
 * @module
 */

import { ReplyError } from "../resp/frame.ts";
import { type CommandMeta, keyPositions } from "./commands/meta.ts";

/** Number of hash slots of a Redis Cluster. */
export const CLUSTER_SLOTS = 16384;

/** Redis's reply to keys (or shard channels) in different slots. */
export const CROSSSLOT_ERROR: ReplyError = new ReplyError(
  "CROSSSLOT Keys in request don't hash to the same slot",
);

/** Redis's reply to cluster commands when cluster mode is off. */
export const CLUSTER_DISABLED_ERROR: ReplyError = new ReplyError(
  "ERR This instance has cluster support disabled",
);

const TABLE = (() => {
  const t = new Uint16Array(256);
  for (let i = 0; i < 256; i++) {
    let crc = i << 8;
    for (let j = 0; j < 8; j++) {
      crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
    }
    t[i] = crc;
  }
  return t;
})();

/**
 * CRC16-CCITT (XMODEM) of `bytes[start..end)`, Redis Cluster's key hash.
 *
 * @example
 * ```ts
 * import { crc16 } from "./cluster.ts";
 * console.log(crc16(new TextEncoder().encode("123456789")).toString(16)); // "31c3"
 * ```
 */
export function crc16(bytes: Uint8Array, start = 0, end: number = bytes.length): number {
  let crc = 0;
  for (let i = start; i < end; i++) {
    crc = ((crc << 8) & 0xffff) ^ TABLE[((crc >> 8) ^ bytes[i]) & 0xff];
  }
  return crc;
}

/**
 * The slot of a key given as bytes (Redis's `keyHashSlot`): only the hash
 * tag is hashed when the key has a non-empty one.
 *
 * @example
 * ```ts
 * import { keyHashSlot } from "./cluster.ts";
 * const enc = new TextEncoder();
 * console.log(keyHashSlot(enc.encode("{user1000}.following")) === keyHashSlot(enc.encode("user1000"))); // true
 * ```
 */
export function keyHashSlot(key: Uint8Array): number {
  const open = key.indexOf(0x7b);
  if (open !== -1) {
    const close = key.indexOf(0x7d, open + 1);
    if (close > open + 1) return crc16(key, open + 1, close) & (CLUSTER_SLOTS - 1);
  }
  return crc16(key) & (CLUSTER_SLOTS - 1);
}

/** CRC16 of a binary string (one char per byte, the keyspace's key form) from `start` to `end`. */
function crc16Binary(key: string, start: number, end: number): number {
  let crc = 0;
  for (let i = start; i < end; i++) {
    crc = ((crc << 8) & 0xffff) ^ TABLE[((crc >> 8) ^ key.charCodeAt(i)) & 0xff];
  }
  return crc;
}

/**
 * The slot of a key in the keyspace's binary-string form (one char per
 * byte), without converting it back to bytes.
 *
 * @example
 * ```ts
 * import { binaryKeySlot } from "./cluster.ts";
 * console.log(binaryKeySlot("foo")); // 12182
 * ```
 */
export function binaryKeySlot(key: string): number {
  const open = key.indexOf("{");
  if (open !== -1) {
    const close = key.indexOf("}", open + 1);
    if (close > open + 1) return crc16Binary(key, open + 1, close) & (CLUSTER_SLOTS - 1);
  }
  return crc16Binary(key, 0, key.length) & (CLUSTER_SLOTS - 1);
}

/** The state of this server as a one-node cluster. */
export interface OneNodeCluster {
  /** The node id: 40 hex digits, fixed for the life of the process (CLUSTER MYID). */
  readonly id: string;
}

const clusters = new WeakMap<object, OneNodeCluster>();

/**
 * Turns cluster mode on for a server (call it once at start-up, with the
 * `ServerState` the handlers see as `ctx.server`). Returns its state.
 *
 * @example
 * ```ts
 * import { clusterOf, enableCluster } from "./cluster.ts";
 * const server = {};
 * const node = enableCluster(server);
 * console.log(clusterOf(server) === node, node.id.length); // true 40
 * ```
 */
export function enableCluster(server: object, options: { id?: string } = {}): OneNodeCluster {
  let node = clusters.get(server);
  if (node === undefined) {
    const id = options.id ?? randomNodeId();
    if (!/^[0-9a-f]{40}$/.test(id)) throw new TypeError(`invalid cluster node id: ${id}`);
    node = { id };
    clusters.set(server, node);
  }
  return node;
}

/** The cluster state of a server, or `undefined` when cluster mode is off. */
export function clusterOf(server: object): OneNodeCluster | undefined {
  return clusters.get(server);
}

function randomNodeId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(20));
  let s = "";
  for (const b of bytes) s += b.toString(16).padStart(2, "0");
  return s;
}

/** Per command metadata: 0 = it has at most one key (nothing to check), 1 = check. */
const shapes = new WeakMap<object, 0 | 1>();

function shapeOf(meta: Pick<CommandMeta, "keySpecs" | "name">): 0 | 1 {
  let shape = shapes.get(meta);
  if (shape === undefined) {
    const specs = meta.keySpecs;
    const single = specs.length === 0 ||
      (specs.length === 1 && specs[0].beginSearch.type === "index" &&
        specs[0].findKeys.type === "range" && specs[0].findKeys.lastkey === 0);
    // SORT / SORT_RO find their keys with a procedure (STORE may add one).
    shape = single && meta.name !== "sort" ? 0 : 1;
    shapes.set(meta, shape);
  }
  return shape;
}

/**
 * The slot of a request's keys (and shard channels): -1 when it has none;
 * throws {@linkcode CROSSSLOT_ERROR} when they hash to different slots.
 */
export function requestSlot(
  cmd: { readonly meta: Pick<CommandMeta, "keySpecs" | "name"> },
  args: readonly Uint8Array[],
): number {
  const positions = keyPositions(cmd.meta, args);
  if (positions.length === 0) return -1;
  const slot = keyHashSlot(args[positions[0]]);
  for (let i = 1; i < positions.length; i++) {
    if (keyHashSlot(args[positions[i]]) !== slot) throw CROSSSLOT_ERROR;
  }
  return slot;
}

/**
 * Redis's cluster check of one request (`getNodeByQuery` on a node that owns
 * every slot): `CROSSSLOT Keys in request don't hash to the same slot` when
 * its keys (or, for SSUBSCRIBE/SUNSUBSCRIBE/SPUBLISH, its shard channels)
 * hash to different slots; `undefined` when it may run. Requests with at
 * most one key cost one cached lookup.
 *
 * Call it in cluster mode only, after the command lookup, arity and auth
 * checks and before running or queuing (MULTI) the command, as Redis does.
 *
 * @example
 * ```ts ignore
 * const refused = crossSlotCheck(cmd, args);
 * if (refused !== undefined) return refused;
 * ```
 */
export function crossSlotCheck(
  cmd: { readonly meta: Pick<CommandMeta, "keySpecs" | "name"> },
  args: readonly Uint8Array[],
): ReplyError | undefined {
  if (shapeOf(cmd.meta) === 0) return undefined;
  try {
    requestSlot(cmd, args);
  } catch (e) {
    if (e === CROSSSLOT_ERROR) return CROSSSLOT_ERROR;
    throw e;
  }
  return undefined;
}

/**
 * Redis's check at EXEC in cluster mode: every queued command's keys must
 * hash to one slot, else `CROSSSLOT ...` (and the transaction is discarded).
 *
 * @example
 * ```ts ignore
 * const refused = crossSlotCheckAll(client.multi.queued); // [{ cmd, args }, ...]
 * if (refused !== undefined) { discard(); return refused; }
 * ```
 */
export function crossSlotCheckAll(
  queued: readonly {
    readonly cmd: { readonly meta: Pick<CommandMeta, "keySpecs" | "name"> };
    readonly args: readonly Uint8Array[];
  }[],
): ReplyError | undefined {
  let slot = -1;
  try {
    for (const { cmd, args } of queued) {
      const s = requestSlot(cmd, args);
      if (s === -1) continue;
      if (slot !== -1 && s !== slot) return CROSSSLOT_ERROR;
      slot = s;
    }
  } catch (e) {
    if (e === CROSSSLOT_ERROR) return CROSSSLOT_ERROR;
    throw e;
  }
  return undefined;
}
