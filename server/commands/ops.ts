/**
 * What operators watch and steer, per server: the slow log, the latency
 * monitor, MONITOR clients, client-side caching (tracking), CLIENT PAUSE,
 * CLIENT NO-EVICT, and a way to shut the server down (SHUTDOWN). One
 * {@linkcode Ops} per server state, found with {@linkcode opsOf}.
 *
 * The connection calls its hooks around each command. They cost one
 * boolean test ({@linkcode Ops.watching}) and one comparison
 * ({@linkcode Ops.thresholdNs}) when nobody monitors, tracks or pauses and
 * the command was fast:
 *
 * - {@linkcode Ops.before}: before a command runs; may return a promise to
 *   wait for (CLIENT PAUSE).
 * - {@linkcode Ops.after}: once it has run (or blocked): MONITOR lines,
 *   keys read by a tracking client.
 * - {@linkcode Ops.slow}: a command that took long enough for the slow
 *   log or the latency monitor.
 * - {@linkcode Ops.deliver}: after its reply is encoded: the messages for
 *   the client itself that must follow its reply (its own invalidations,
 *   its own MONITOR line).
 * - {@linkcode Ops.closed}: the client disconnected.
 *
 * @module
 */

import { type Frame, OK, ReplyError } from "../../resp/frame.ts";
import {
  type ClientState,
  type CommandFlag,
  type HandlerMap,
  NO_REPLY,
  type ResolvedCommand,
  type ServerState,
} from "../command.ts";
import { notifyHook } from "../db/notify.ts";
import { SlowLog, slowlogHandlers } from "./slowlog.ts";
import { latencyHandlers, LatencyMonitor } from "./latency.ts";
import { monitorLine, redactedArgs, shownByMonitor } from "./monitor.ts";
import { Tracking } from "./tracking.ts";
import type { TableParam } from "./config_params.ts";
import { debugHandlers } from "./debug.ts";
import { shutdownHandlers } from "./shutdown.ts";

/** What a connection tells about itself for CLIENT LIST (besides {@linkcode ClientState}). */
export interface ConnectionView {
  /** Bytes in the query buffer: the input being processed, or the unparsed part of a command. */
  readonly queryBufferLength: number;
  /** Bytes allocated for the query buffer. */
  readonly queryBufferCapacity: number;
  /** The arguments of the command running or blocked, if any. */
  readonly currentArgs: readonly Uint8Array[] | undefined;
  /** Bytes of the reply buffer, and the most it held in the last batch. */
  readonly replyBufferSize: number;
  readonly replyBufferPeak: number;
  /** Whether a write to the socket is in progress. */
  readonly writing: boolean;
}

/** A CLIENT PAUSE in effect. */
interface Pause {
  /** Unix ms when it ends. */
  end: number;
  /** ALL (every command) rather than WRITE (commands that write). */
  all: boolean;
  timer: ReturnType<typeof setTimeout> | undefined;
  /** Resolves the commands waiting for the end of the pause. */
  release: () => void;
  ended: Promise<Frame>;
}

/** The operator state of one server; see the module documentation. */
export class Ops {
  /** The slow log (SLOWLOG). */
  readonly slowlog: SlowLog = new SlowLog();
  /** The latency monitor (LATENCY). */
  readonly latency: LatencyMonitor = new LatencyMonitor();
  /** Clients in MONITOR mode. */
  readonly monitors: Set<ClientState> = new Set();
  /** Client-side caching. */
  readonly tracking: Tracking;
  /** Clients protected from eviction (CLIENT NO-EVICT ON). */
  readonly noEvict: Set<number> = new Set();
  /**
   * Commands that took at least this many nanoseconds are offered to the
   * slow log and the latency monitor (Infinity when both are off).
   */
  thresholdNs = 10_000_000;
  /** Someone monitors, tracks keys or pauses clients: the connection calls the hooks. */
  watching = false;
  /** Messages waiting for the reply of the client running a command ({@linkcode Ops.deliver}). */
  pendingCount = 0;
  /** Closes the server (SHUTDOWN); set by whoever owns the listener. */
  shutdown: (() => Promise<void>) | undefined;
  readonly #state: ServerState;
  readonly #views = new WeakMap<ClientState, ConnectionView>();
  #pause: Pause | undefined;
  /** The transaction EXEC is about to run (for MONITOR and tracking of its commands). */
  #queued: ClientState["multi"];
  #pending = new Map<ClientState, Uint8Array[]>();
  /** The keyspace notification hook of `notify-keyspace-events`, if any. */
  #keyspaceNotify: ((cls: number, event: string, key: string) => void) | undefined;

  /** @param state the server state */
  constructor(state: ServerState) {
    this.#state = state;
    this.tracking = new Tracking(state.db, state.clients);
    this.tracking.onChange = () => {
      this.#refresh();
      this.#applyNotify();
    };
  }

  /** Recomputes {@linkcode thresholdNs} and {@linkcode watching} after a setting changed. */
  #refresh(): void {
    const slow = this.slowlog.slowerThanUs < 0 ? Infinity : this.slowlog.slowerThanUs * 1000;
    const lat = this.latency.thresholdMs === 0 ? Infinity : this.latency.thresholdMs * 1e6;
    this.thresholdNs = Math.min(slow, lat);
    this.watching = this.monitors.size > 0 || this.tracking.clientCount > 0 ||
      this.#pause !== undefined;
  }

  /** `slowlog-log-slower-than` changed. */
  setSlowerThan(us: number): void {
    this.slowlog.slowerThanUs = us;
    this.#refresh();
  }

  /** `latency-monitor-threshold` changed. */
  setLatencyThreshold(ms: number): void {
    this.latency.thresholdMs = ms;
    this.#refresh();
  }

  /**
   * `notify-keyspace-events` changed: the keyspace's notification hook
   * serves both the keyspace events and the BCAST tracking clients.
   */
  setNotifyFlags(flags: number): void {
    this.#keyspaceNotify = notifyHook(flags, this.#state.pubsub);
    this.#applyNotify();
  }

  #applyNotify(): void {
    const ks = this.#keyspaceNotify;
    const db = this.#state.db;
    if (!this.tracking.broadcasting) {
      db.notify = ks ?? NO_NOTIFY;
      return;
    }
    const tracking = this.tracking;
    db.notify = (cls, event, key) => {
      if (ks !== undefined) ks(cls, event, key);
      if (event !== "keymiss") tracking.broadcastKey(key);
    };
  }

  /** A connection registers what CLIENT LIST shows of it. */
  register(client: ClientState, view: ConnectionView): void {
    this.#views.set(client, view);
  }

  /** What CLIENT LIST shows of a client's connection. */
  viewOf(client: ClientState): ConnectionView | undefined {
    return this.#views.get(client);
  }

  /** MONITOR: `client` receives every command from now on. */
  addMonitor(client: ClientState): void {
    this.monitors.add(client);
    this.#refresh();
  }

  /** Ends MONITOR mode and tracking (RESET; Redis 7.0 keeps NO-EVICT). */
  resetClient(client: ClientState): void {
    if (this.monitors.delete(client)) this.#refresh();
    this.tracking.disable(client);
  }

  /** The client disconnected. */
  closed(client: ClientState): void {
    this.resetClient(client);
    this.noEvict.delete(client.id);
    if (this.#pending.delete(client)) this.pendingCount = this.#pending.size;
    this.paused.delete(client);
  }

  // ---------------------------------------------------------------------------
  // CLIENT PAUSE

  /** CLIENT PAUSE: commands (ALL) or commands that write (WRITE) wait until `end` (Unix ms). */
  pause(end: number, all: boolean): void {
    this.unpause();
    let release = () => {};
    const ended = new Promise<Frame>((resolve) => {
      release = () => resolve(null);
    });
    const p: Pause = { end, all, timer: undefined, release, ended };
    p.timer = setTimeout(() => {
      if (this.#pause === p) this.unpause();
    }, Math.max(0, end - Date.now()));
    Deno.unrefTimer(p.timer);
    this.#pause = p;
    this.#refresh();
  }

  /** CLIENT UNPAUSE (and the end of a pause): the waiting commands run. */
  unpause(): void {
    const p = this.#pause;
    if (p === undefined) return;
    this.#pause = undefined;
    clearTimeout(p.timer);
    p.release();
    this.#refresh();
  }

  /** Clients whose next command waits for the end of a pause (CLIENT LIST's `b`). */
  readonly paused: Set<ClientState> = new Set();

  // ---------------------------------------------------------------------------
  // the connection's hooks

  /**
   * Before a command of `client` runs: a promise to wait for when the
   * command must wait for the end of a CLIENT PAUSE (then call `before`
   * again), the error that refuses it instead of running it (a MONITOR
   * client may not touch the keyspace), or undefined to run it.
   */
  before(client: ClientState, args: Uint8Array[]): Promise<Frame> | ReplyError | undefined {
    const monitor = this.monitors.has(client);
    if (monitor && this.#touchesKeyspace(client, args)) return REPLICA_KEYSPACE;
    const p = this.#pause;
    if (p !== undefined && !monitor && this.#pauses(p, client, args)) {
      this.paused.add(client);
      return p.ended;
    }
    if (this.paused.size !== 0) this.paused.delete(client);
    this.tracking.current = client;
    this.#queued = client.multi;
    return undefined;
  }

  /** Whether a pause holds this command (Redis: ALL, or WRITE and a command that may write). */
  #pauses(p: Pause, client: ClientState, args: Uint8Array[]): boolean {
    return p.all || this.#matches(client, args, WRITES);
  }

  /** Whether a command reads or writes keys (refused from a MONITOR client, as from a replica). */
  #touchesKeyspace(client: ClientState, args: Uint8Array[]): boolean {
    return this.#matches(client, args, KEYSPACE);
  }

  /** Whether the command (or, for EXEC, a queued one) has one of `flags`. */
  #matches(client: ClientState, args: Uint8Array[], flags: readonly string[]): boolean {
    const cmd = this.#state.commands.lookup(args);
    if (cmd instanceof ReplyError) return false;
    const has = (c: ResolvedCommand) =>
      flags.some((f) => c.flags.includes(f as CommandFlag)) ||
      (flags.includes("may_replicate") && MAY_REPLICATE.has(c.fullName));
    if (has(cmd)) return true;
    return cmd.name === "exec" && client.multi !== undefined && client.multi.commands.some(has);
  }

  /**
   * After a command of `client` ran (or blocked): MONITOR lines (EXEC's
   * commands first), the keys it read for tracking, the end of CLIENT
   * CACHING's effect.
   */
  after(
    client: ClientState,
    ran: ResolvedCommand | undefined,
    args: readonly Uint8Array[],
    reply: Frame | Promise<Frame>,
  ): void {
    const queued = this.#queued;
    this.#queued = undefined;
    this.tracking.current = undefined;
    if (ran === undefined) return;
    const execRan = ran.name === "exec" && ran.parent === undefined && queued !== undefined &&
      Array.isArray(reply);
    if (this.monitors.size > 0) {
      if (execRan) {
        for (let i = 0; i < queued.commands.length; i++) {
          this.#feed(client, queued.commands[i], queued.args[i]);
        }
      }
      this.#feed(client, ran, args);
    }
    const tracking = this.tracking;
    if (tracking.clientCount > 0) {
      const s = tracking.stateOf(client);
      if (s !== undefined && execRan) {
        for (let i = 0; i < queued.commands.length; i++) {
          tracking.remember(s, queued.commands[i], queued.args[i]);
        }
      }
      tracking.afterCommand(client, ran, args);
    }
    if (tracking.pending.length > 0) {
      this.#queue(client, tracking.pending.splice(0));
    }
  }

  /** Sends one command to the monitors. */
  #feed(client: ClientState, cmd: ResolvedCommand, args: readonly Uint8Array[]): void {
    if (!shownByMonitor(cmd)) return;
    const shown = redactedArgs(cmd, args, (name) => this.#sensitive(name));
    const line = monitorLine(
      (performance.timeOrigin + performance.now()) / 1000,
      client.db,
      client.addr,
      shown,
    );
    for (const m of this.monitors) {
      if (m === client) this.#queue(m, [line]);
      else {
        m.handle.pushRaw(line);
        m.handle.flushPushes();
      }
    }
  }

  #sensitive(name: string): boolean {
    return (this.#state.config.get(name) as TableParam | undefined)?.sensitive === true;
  }

  #queue(client: ClientState, messages: Uint8Array[]): void {
    const list = this.#pending.get(client);
    if (list === undefined) this.#pending.set(client, messages);
    else list.push(...messages);
    this.pendingCount = this.#pending.size;
  }

  /** After `client`'s reply was encoded: the messages that follow it. */
  deliver(client: ClientState): void {
    const list = this.#pending.get(client);
    if (list === undefined) return;
    this.#pending.delete(client);
    this.pendingCount = this.#pending.size;
    for (const m of list) client.handle.pushRaw(m);
  }

  /** A command that took `ns` nanoseconds (at least {@linkcode thresholdNs}). */
  slow(client: ClientState, cmd: ResolvedCommand, args: readonly Uint8Array[], ns: number): void {
    const us = Math.floor(ns / 1000);
    if (!cmd.flags.includes("skip_slowlog")) {
      const shown = redactedArgs(cmd, args, (name) => this.#sensitive(name));
      this.slowlog.push(shown, us, client.addr, client.name);
    }
    this.latency.addSampleIfNeeded(
      cmd.flags.includes("fast") ? "fast-command" : "command",
      Math.floor(us / 1000),
    );
  }
}

const NO_NOTIFY = () => {};

/**
 * Redis 7.0's commands flagged `may_replicate` (a flag COMMAND INFO does
 * not show, so the metadata table lacks it), besides write commands.
 */
const MAY_REPLICATE = new Set(["publish", "spublish", "eval", "evalsha", "fcall"]);

/** Flags of the commands CLIENT PAUSE WRITE holds. */
const WRITES = ["write", "may_replicate"];
/** Flags of the commands a MONITOR client may not run. */
const KEYSPACE = ["write", "readonly", "may_replicate"];
const REPLICA_KEYSPACE = new ReplyError("ERR Replica can't interact with the keyspace");

const registry = new WeakMap<object, Ops>();

/**
 * The {@linkcode Ops} of a server state (created on first use).
 *
 * @example
 * ```ts
 * import { createServerState } from "../server.ts";
 * import { opsOf } from "./ops.ts";
 * const state = createServerState();
 * console.log(opsOf(state).slowlog.length); // 0
 * state.db.close();
 * ```
 */
export function opsOf(state: ServerState): Ops {
  let ops = registry.get(state);
  if (ops === undefined) {
    ops = new Ops(state);
    registry.set(state, ops);
  }
  return ops;
}

/**
 * Lets SHUTDOWN close the server: whoever owns the listener registers how
 * (`startServer` does). Without it, SHUTDOWN answers Redis's error.
 */
export function setShutdownHandler(state: ServerState, close: () => Promise<void>): void {
  opsOf(state).shutdown = close;
}

/** SLOWLOG, LATENCY, MONITOR, DEBUG and SHUTDOWN. */
export const operatorHandlers: HandlerMap = {
  ...slowlogHandlers((server) => opsOf(server as ServerState).slowlog),
  ...latencyHandlers(
    (server) => opsOf(server).latency,
    (server) => ({ slowlogSlowerThanUs: opsOf(server).slowlog.slowerThanUs }),
  ),
  monitor: (ctx) => {
    const ops = opsOf(ctx.server);
    // (Redis ignores MONITOR from a client already in monitor mode: no reply)
    if (ops.monitors.has(ctx.client)) return NO_REPLY;
    ops.addMonitor(ctx.client);
    return OK;
  },
  ...debugHandlers,
  ...shutdownHandlers((server) => opsOf(server).shutdown),
};
