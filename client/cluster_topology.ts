/**
 * The cluster's slot map: which shard (a master and its replicas) serves each
 * of the 16384 slots, parsed from `CLUSTER SHARDS` (Redis 7) or from
 * `CLUSTER SLOTS` (older servers).
 *
 * @module
 */

import type { Frame } from "../resp/frame.ts";
import { fieldMap } from "./cluster_commands.ts";
import { fromUtf8 } from "../resp/bytes.ts";
import { SLOTS } from "./cluster_slot.ts";

/** Where a node listens. */
export interface NodeAddress {
  /** Host name or IP. */
  hostname: string;
  /** TCP port. */
  port: number;
}

/** A master, its replicas, and the slots it serves. */
export interface Shard {
  /** The master: writes (and reads by default) go there. */
  master: NodeAddress;
  /** Its replicas that are not marked failed. */
  replicas: NodeAddress[];
}

/** `host:port` of an address, the key of node maps. */
export function addressKey(a: NodeAddress): string {
  return a.hostname.includes(":") ? `[${a.hostname}]:${a.port}` : `${a.hostname}:${a.port}`;
}

function str(f: Frame | undefined): string {
  if (f === undefined || f === null) return "";
  if (f instanceof Uint8Array) return fromUtf8(f);
  if (typeof f === "string" || typeof f === "number" || typeof f === "bigint") return String(f);
  if (typeof f === "object" && "value" in f) return String((f as { value: unknown }).value);
  return "";
}

function arr(f: Frame | undefined): Frame[] {
  if (Array.isArray(f)) return f;
  if (f !== null && typeof f === "object" && "items" in f) return (f as { items: Frame[] }).items;
  return [];
}

/** A node's endpoint: `endpoint` (or `ip`) unless unknown (`?`, empty), then `fallback`'s host. */
function endpoint(host: string, port: number, fallback: NodeAddress): NodeAddress {
  return { hostname: host === "" || host === "?" ? fallback.hostname : host, port };
}

/**
 * The slot map. `owner[slot]` is the index in `shards` of the shard serving
 * the slot, or -1 when no shard does.
 */
export class Topology {
  /** The shards that serve at least one slot (or were named by a redirection). */
  readonly shards: Shard[] = [];
  /** Shard index per slot, -1 when unserved. */
  readonly owner: Int32Array = new Int32Array(SLOTS).fill(-1);

  /**
   * Parses `CLUSTER SHARDS`. `from` is the node that answered (its address
   * stands in for endpoints the server reports as unknown).
   */
  static fromShards(reply: Frame, from: NodeAddress): Topology {
    const t = new Topology();
    for (const entry of arr(reply)) {
      const shard = fieldMap(entry);
      const ranges = arr(shard.get("slots")).map((f) => Number(str(f)));
      if (ranges.length < 2) continue;
      let master: NodeAddress | undefined;
      let masterFailed = true;
      const replicas: NodeAddress[] = [];
      for (const n of arr(shard.get("nodes"))) {
        const node = fieldMap(n);
        const port = Number(str(node.get("port")));
        const host = str(node.get("endpoint")) || str(node.get("ip"));
        const health = str(node.get("health"));
        const address = endpoint(host, port, from);
        if (str(node.get("role")) === "master") {
          // Prefer a master that is not failed (after a failover the old one may linger).
          if (master === undefined || (masterFailed && health !== "failed")) {
            master = address;
            masterFailed = health === "failed";
          }
        } else if (health !== "failed") replicas.push(address);
      }
      if (master === undefined) continue;
      const index = t.shards.push({ master, replicas }) - 1;
      for (let i = 0; i + 1 < ranges.length; i += 2) {
        t.owner.fill(index, ranges[i], ranges[i + 1] + 1);
      }
    }
    return t;
  }

  /** Parses `CLUSTER SLOTS` (one entry per slot range: start, end, master, replicas...). */
  static fromSlots(reply: Frame, from: NodeAddress): Topology {
    const t = new Topology();
    const byMaster = new Map<string, number>();
    for (const entry of arr(reply)) {
      const e = arr(entry);
      if (e.length < 3) continue;
      const start = Number(str(e[0]));
      const end = Number(str(e[1]));
      const nodes = e.slice(2).map((n) => {
        const f = arr(n);
        return endpoint(str(f[0]), Number(str(f[1])), from);
      });
      const key = addressKey(nodes[0]);
      let index = byMaster.get(key);
      if (index === undefined) {
        index = t.shards.push({ master: nodes[0], replicas: nodes.slice(1) }) - 1;
        byMaster.set(key, index);
      }
      t.owner.fill(index, start, end + 1);
    }
    return t;
  }

  /** The shard serving `slot`, if any. */
  shardOf(slot: number): Shard | undefined {
    const i = this.owner[slot];
    return i < 0 ? undefined : this.shards[i];
  }

  /**
   * Records a `MOVED slot host:port`: the slot is now served by that node
   * (as master of an existing shard, or of a new one without known replicas).
   */
  move(slot: number, to: NodeAddress): void {
    const key = addressKey(to);
    let index = this.shards.findIndex((s) => addressKey(s.master) === key);
    if (index === -1) index = this.shards.push({ master: to, replicas: [] }) - 1;
    this.owner[slot] = index;
  }

  /** Every distinct node address (masters and replicas). */
  addresses(): NodeAddress[] {
    const seen = new Map<string, NodeAddress>();
    for (const s of this.shards) {
      for (const a of [s.master, ...s.replicas]) seen.set(addressKey(a), a);
    }
    return [...seen.values()];
  }

  /** The masters that serve at least one slot. */
  masters(): NodeAddress[] {
    const used = new Set<number>();
    for (let i = 0; i < SLOTS; i++) if (this.owner[i] >= 0) used.add(this.owner[i]);
    return [...used].map((i) => this.shards[i].master);
  }

  /** How many slots have no shard. */
  unserved(): number {
    let n = 0;
    for (let i = 0; i < SLOTS; i++) if (this.owner[i] < 0) n++;
    return n;
  }
}
