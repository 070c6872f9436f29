/**
 * The cluster commands of the one-node cluster mode (see `../cluster.ts`):
 * `CLUSTER INFO|MYID|SHARDS|SLOTS|NODES|KEYSLOT|COUNTKEYSINSLOT|GETKEYSINSLOT|LINKS|HELP`
 * and `READONLY`, `READWRITE`, `ASKING`. The node owns all 16384 slots; it
 * announces the address the client connected to. With cluster mode off every
 * one of them answers `ERR This instance has cluster support disabled`, as
 * Redis 7.0 does.
 *
 * @module
 */

import { type Frame, RespMap, SimpleString, VerbatimString } from "../../resp/frame.ts";
import { fromBinary, utf8 } from "../../resp/bytes.ts";
import type { Context, HandlerMap } from "../command.ts";
import { int64Arg } from "../args.ts";
import { ReplyError } from "../../resp/frame.ts";
import {
  binaryKeySlot,
  CLUSTER_DISABLED_ERROR,
  CLUSTER_SLOTS,
  clusterOf,
  keyHashSlot,
  type OneNodeCluster,
} from "../cluster.ts";

const OK = new SimpleString("OK");
const INVALID_SLOT = new ReplyError("ERR Invalid slot");
const INVALID_SLOT_OR_COUNT = new ReplyError("ERR Invalid slot or number of keys");

const CLUSTER_HELP = [
  "CLUSTER <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
  "ADDSLOTS <slot> [<slot> ...]",
  "    Assign slots to current node.",
  "ADDSLOTSRANGE <start slot> <end slot> [<start slot> <end slot> ...]",
  "    Assign slots which are between <start-slot> and <end-slot> to current node.",
  "BUMPEPOCH",
  "    Advance the cluster config epoch.",
  "COUNT-FAILURE-REPORTS <node-id>",
  "    Return number of failure reports for <node-id>.",
  "COUNTKEYSINSLOT <slot>",
  "    Return the number of keys in <slot>.",
  "DELSLOTS <slot> [<slot> ...]",
  "    Delete slots information from current node.",
  "DELSLOTSRANGE <start slot> <end slot> [<start slot> <end slot> ...]",
  "    Delete slots information which are between <start-slot> and <end-slot> from current node.",
  "FAILOVER [FORCE|TAKEOVER]",
  "    Promote current replica node to being a master.",
  "FORGET <node-id>",
  "    Remove a node from the cluster.",
  "GETKEYSINSLOT <slot> <count>",
  "    Return key names stored by current node in a slot.",
  "FLUSHSLOTS",
  "    Delete current node own slots information.",
  "INFO",
  "    Return information about the cluster.",
  "KEYSLOT <key>",
  "    Return the hash slot for <key>.",
  "MEET <ip> <port> [<bus-port>]",
  "    Connect nodes into a working cluster.",
  "MYID",
  "    Return the node id.",
  "NODES",
  "    Return cluster configuration seen by node. Output format:",
  "    <id> <ip:port> <flags> <master> <pings> <pongs> <epoch> <link> <slot> ...",
  "REPLICATE <node-id>",
  "    Configure current node as replica to <node-id>.",
  "RESET [HARD|SOFT]",
  "    Reset current node (default: soft).",
  "SET-CONFIG-EPOCH <epoch>",
  "    Set config epoch of current node.",
  "SETSLOT <slot> (IMPORTING <node-id>|MIGRATING <node-id>|STABLE|NODE <node-id>)",
  "    Set slot state.",
  "REPLICAS <node-id>",
  "    Return <node-id> replicas.",
  "SAVECONFIG",
  "    Force saving cluster configuration on disk.",
  "SLOTS",
  "    Return information about slots range mappings. Each range is made of:",
  "    start, end, master and replicas IP addresses, ports and ids",
  "SHARDS",
  "    Return information about slot range mappings and the nodes associated with them.",
  "LINKS",
  "    Return information about all network links between this node and its peers.",
  "    Output format is an array where each array element is a map containing attributes of a link",
  "HELP",
  "    Prints this help.",
].map((line) => new SimpleString(line));

/** The node's state, or throws Redis's "cluster support disabled" error. */
function node(ctx: Context): OneNodeCluster {
  const n = clusterOf(ctx.server);
  if (n === undefined) throw CLUSTER_DISABLED_ERROR;
  return n;
}

/** The IP the client connected to (what the node announces to it), "" when unknown. */
function announcedIp(ctx: Context): string {
  const laddr = ctx.client.laddr;
  const colon = laddr.lastIndexOf(":");
  if (colon <= 0) return "";
  const host = laddr.slice(0, colon);
  return host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
}

/** The client port: the one in `laddr`, else the configured one. */
function announcedPort(ctx: Context): number {
  const laddr = ctx.client.laddr;
  const port = Number(laddr.slice(laddr.lastIndexOf(":") + 1));
  return laddr !== "" && Number.isInteger(port) && port > 0 ? port : ctx.server.settings.port;
}

/** Text as RESP2 bulk, RESP3 verbatim `txt` (Redis's `addReplyVerbatim`). */
function text(ctx: Context, s: string): Frame {
  const bytes = utf8(s);
  return ctx.client.protocol === 3 ? new VerbatimString("txt", bytes) : bytes;
}

function slotArg(arg: Uint8Array, error: ReplyError): number {
  const v = int64Arg(arg);
  if (typeof v === "bigint" || v < 0 || v >= CLUSTER_SLOTS) throw error;
  return v;
}

function info(ctx: Context): Frame {
  node(ctx);
  const lines = [
    "cluster_state:ok",
    `cluster_slots_assigned:${CLUSTER_SLOTS}`,
    `cluster_slots_ok:${CLUSTER_SLOTS}`,
    "cluster_slots_pfail:0",
    "cluster_slots_fail:0",
    "cluster_known_nodes:1",
    "cluster_size:1",
    "cluster_current_epoch:0",
    "cluster_my_epoch:0",
    "cluster_stats_messages_sent:0",
    "cluster_stats_messages_received:0",
    "total_cluster_links_buffer_limit_exceeded:0",
  ];
  return text(ctx, lines.join("\r\n") + "\r\n");
}

function nodes(ctx: Context): Frame {
  const { id } = node(ctx);
  const port = announcedPort(ctx);
  const bus = port + 10000 <= 65535 ? port + 10000 : 0;
  const ip = announcedIp(ctx);
  const host = ip.includes(":") ? `[${ip}]` : ip;
  return text(
    ctx,
    `${id} ${host}:${port}@${bus} myself,master - 0 0 0 connected 0-${CLUSTER_SLOTS - 1}\n`,
  );
}

function slots(ctx: Context): Frame {
  const { id } = node(ctx);
  return [[0, CLUSTER_SLOTS - 1, [announcedIp(ctx), announcedPort(ctx), id, new RespMap([])]]];
}

function shards(ctx: Context): Frame {
  const { id } = node(ctx);
  const ip = announcedIp(ctx);
  const self = new RespMap([
    ["id", id],
    ["port", announcedPort(ctx)],
    ["ip", ip],
    ["endpoint", ip],
    ["role", "master"],
    ["replication-offset", 0],
    ["health", "online"],
  ]);
  return [new RespMap([["slots", [0, CLUSTER_SLOTS - 1]], ["nodes", [self]]])];
}

function countKeysInSlot(ctx: Context, args: Uint8Array[]): Frame {
  node(ctx);
  const slot = slotArg(args[2], INVALID_SLOT);
  let n = 0;
  ctx.db.forEach((e) => {
    if (binaryKeySlot(e.key) === slot) n++;
  });
  return n;
}

function getKeysInSlot(ctx: Context, args: Uint8Array[]): Frame {
  node(ctx);
  const slot = int64Arg(args[2]);
  const max = int64Arg(args[3]);
  if (typeof slot === "bigint" || slot < 0 || slot >= CLUSTER_SLOTS || max < 0) {
    throw INVALID_SLOT_OR_COUNT;
  }
  // Redis lists a slot's keys newest first (each key is added at the head of its slot's list).
  const keys: string[] = [];
  ctx.db.forEach((e) => {
    if (binaryKeySlot(e.key) === slot) keys.push(e.key);
  });
  const out: Frame[] = [];
  for (let i = keys.length - 1; i >= 0 && out.length < max; i--) out.push(fromBinary(keys[i]));
  return out;
}

/** OK in cluster mode (READONLY, READWRITE, ASKING: every slot is served here). */
function okInCluster(ctx: Context): Frame {
  node(ctx);
  return OK;
}

/**
 * The cluster family's handlers, by full command name. Their arity, flags
 * and docs come from the metadata table, like every family's.
 */
export const clusterHandlers: HandlerMap = {
  "cluster|info": info,
  "cluster|myid": (ctx) => node(ctx).id,
  "cluster|nodes": nodes,
  "cluster|slots": slots,
  "cluster|shards": shards,
  "cluster|keyslot": (ctx, args) => {
    node(ctx);
    return keyHashSlot(args[2]);
  },
  "cluster|countkeysinslot": countKeysInSlot,
  "cluster|getkeysinslot": getKeysInSlot,
  "cluster|links": (ctx) => {
    node(ctx);
    return [];
  },
  "cluster|help": (ctx) => {
    node(ctx);
    return CLUSTER_HELP;
  },
  readonly: okInCluster,
  readwrite: okInCluster,
  asking: okInCluster,
};
