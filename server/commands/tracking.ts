/**
 * Client-side caching (CLIENT TRACKING, CACHING, GETREDIR, TRACKINGINFO),
 * as Redis 7.0's `tracking.c`.
 *
 * In the default mode the server remembers, for each key a tracking client
 * read (the keys of read-only commands, from the command's key specs), the
 * clients that may cache it; the first modification of the key (the
 * keyspace's "key modified" signal) sends them one invalidation and
 * forgets the key. In BCAST mode nothing is remembered: every key modified
 * under one of the client's prefixes is announced, the keys of one event
 * loop turn grouped in one message per prefix. OPTIN/OPTOUT make
 * remembering depend on CLIENT CACHING for the next command; NOLOOP skips
 * the client's own modifications. FLUSHALL/FLUSHDB send every tracking
 * client a null invalidation.
 *
 * An invalidation goes to a RESP3 client as a push (`>2 invalidate [keys]`);
 * with REDIRECT it goes to the other client: as a push when that one speaks
 * RESP3, as a `message` on `__redis__:invalidate` when it is a RESP2
 * client in pub/sub mode. A message for the client that is running the
 * command that caused it follows that command's reply.
 *
 * @module
 */

import { type Frame, OK, ReplyError, RespMap, RespSet } from "../../resp/frame.ts";
import { fromBinary, toBinary, utf8 } from "../../resp/bytes.ts";
import type { ClientState, ResolvedCommand } from "../command.ts";
import type { KeyListener, Keyspace } from "../db/keyspace.ts";
import { cText, formatError, int64Arg, isOption, SYNTAX_ERROR } from "../args.ts";
import { keysOf } from "./meta.ts";

/** One client's tracking state. */
export interface TrackingState {
  /** The client. */
  readonly client: ClientState;
  /** REDIRECT target id (0: none). */
  redirect: number;
  /** BCAST mode. */
  bcast: boolean;
  /** OPTIN mode. */
  optin: boolean;
  /** OPTOUT mode. */
  optout: boolean;
  /** NOLOOP. */
  noloop: boolean;
  /** CLIENT CACHING was given for the next command. */
  caching: boolean;
  /** The redirect target disconnected. */
  brokenRedirect: boolean;
  /** BCAST prefixes (binary strings). */
  prefixes: Set<string> | undefined;
}

/** One BCAST prefix: its clients and the keys modified under it since the last broadcast. */
interface PrefixState {
  readonly clients: Set<TrackingState>;
  /** Key -> the client that last modified it (undefined: no client, e.g. expiry). */
  keys: Map<string, ClientState | undefined>;
}

const REDIS_INVALIDATE_CHANNEL = "__redis__:invalidate";

/** Encodes a bulk string header and payload. */
function bulk(bytes: Uint8Array): Uint8Array {
  const head = utf8(`$${bytes.length}\r\n`);
  const out = new Uint8Array(head.length + bytes.length + 2);
  out.set(head);
  out.set(bytes, head.length);
  out[out.length - 2] = 13;
  out[out.length - 1] = 10;
  return out;
}

function concat(parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

const PUSH_HEAD = utf8(">2\r\n$10\r\ninvalidate\r\n");
const MESSAGE_HEAD = utf8(`*3\r\n$7\r\nmessage\r\n$20\r\n${REDIS_INVALIDATE_CHANNEL}\r\n`);
const NULL2 = utf8("$-1\r\n");
const NULL3 = utf8("_\r\n");

/** `*N` followed by the keys as bulk strings, in byte order (Redis's radix tree order). */
function keysArray(keys: string[]): Uint8Array {
  keys.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return concat([utf8(`*${keys.length}\r\n`), ...keys.map((k) => bulk(fromBinary(k)))]);
}

/** Tracking of one server. */
export class Tracking implements KeyListener {
  readonly #states = new Map<number, TrackingState>();
  /** Key -> ids of the clients that may cache it. */
  readonly #table = new Map<string, Set<number>>();
  #items = 0;
  readonly #prefixes = new Map<string, PrefixState>();
  #broadcastScheduled = false;
  readonly #db: Keyspace;
  readonly #clients: ReadonlyMap<number, ClientState>;
  /** Messages for the client running the current command, sent after its reply. */
  readonly pending: Uint8Array[] = [];
  /** The client whose command is running (set by the connection's hooks). */
  current: ClientState | undefined;
  /** `tracking-table-max-keys` (0: no limit). */
  maxKeys = 1_000_000;
  /** Called when the set of tracking clients or prefixes changes. */
  onChange: () => void = () => {};

  /**
   * @param db the keyspace whose modifications invalidate
   * @param clients the connected clients by id (redirect targets)
   */
  constructor(db: Keyspace, clients: ReadonlyMap<number, ClientState>) {
    this.#db = db;
    this.#clients = clients;
  }

  /** Number of clients with tracking on (INFO `tracking_clients`). */
  get clientCount(): number {
    return this.#states.size;
  }

  /** Keys remembered (INFO `tracking_total_keys`). */
  get totalKeys(): number {
    return this.#table.size;
  }

  /** Client entries of the remembered keys (INFO `tracking_total_items`). */
  get totalItems(): number {
    return this.#items;
  }

  /** BCAST prefixes in use (INFO `tracking_total_prefixes`). */
  get totalPrefixes(): number {
    return this.#prefixes.size;
  }

  /** Whether some client tracks in BCAST mode (every modified key is then of interest). */
  get broadcasting(): boolean {
    return this.#prefixes.size > 0;
  }

  /** A client's tracking state, if tracking is on. */
  stateOf(client: ClientState): TrackingState | undefined {
    return this.#states.get(client.id);
  }

  /** CLIENT TRACKING ON|OFF [REDIRECT id] [PREFIX p ...] [BCAST] [OPTIN] [OPTOUT] [NOLOOP]. */
  command(client: ClientState, args: Uint8Array[]): Frame {
    let redirect = 0;
    let bcast = false;
    let optin = false;
    let optout = false;
    let noloop = false;
    const prefixes: Uint8Array[] = [];
    for (let j = 3; j < args.length; j++) {
      const more = args.length - 1 - j;
      if (isOption(args[j], "redirect") && more > 0) {
        j++;
        if (redirect !== 0) {
          return new ReplyError("ERR A client can only redirect to a single other client");
        }
        redirect = Number(int64Arg(args[j]));
        if (!this.#clients.has(redirect)) {
          return new ReplyError("ERR The client ID you want redirect to does not exist");
        }
      } else if (isOption(args[j], "bcast")) bcast = true;
      else if (isOption(args[j], "optin")) optin = true;
      else if (isOption(args[j], "optout")) optout = true;
      else if (isOption(args[j], "noloop")) noloop = true;
      else if (isOption(args[j], "prefix") && more > 0) prefixes.push(args[++j]);
      else return SYNTAX_ERROR;
    }
    const state = this.#states.get(client.id);
    if (isOption(args[2], "on")) {
      if (!bcast && prefixes.length > 0) {
        return new ReplyError("ERR PREFIX option requires BCAST mode to be enabled");
      }
      if (state !== undefined && state.bcast !== bcast) {
        return new ReplyError(
          "ERR You can't switch BCAST mode on/off before disabling tracking for this client, and then re-enabling it with a different mode.",
        );
      }
      if (bcast && (optin || optout)) {
        return new ReplyError("ERR OPTIN and OPTOUT are not compatible with BCAST");
      }
      if (optin && optout) {
        return new ReplyError("ERR You can't specify both OPTIN mode and OPTOUT mode");
      }
      if ((optin && state?.optout) || (optout && state?.optin)) {
        return new ReplyError(
          "ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and then re-enabling it with a different mode.",
        );
      }
      if (bcast) {
        const err = prefixCollision(state?.prefixes, prefixes);
        if (err !== undefined) return err;
      }
      this.#enable(client, state, { redirect, bcast, optin, optout, noloop, prefixes });
      return OK;
    }
    if (isOption(args[2], "off")) {
      this.disable(client);
      return OK;
    }
    return SYNTAX_ERROR;
  }

  #enable(
    client: ClientState,
    old: TrackingState | undefined,
    o: {
      redirect: number;
      bcast: boolean;
      optin: boolean;
      optout: boolean;
      noloop: boolean;
      prefixes: Uint8Array[];
    },
  ): void {
    const s: TrackingState = old ?? {
      client,
      redirect: 0,
      bcast: false,
      optin: false,
      optout: false,
      noloop: false,
      caching: false,
      brokenRedirect: false,
      prefixes: undefined,
    };
    s.redirect = o.redirect;
    s.brokenRedirect = false;
    s.bcast = o.bcast;
    s.optin = o.optin;
    s.optout = o.optout;
    s.noloop = o.noloop;
    if (o.bcast) {
      const names = o.prefixes.length === 0 ? [""] : o.prefixes.map(toBinary);
      s.prefixes ??= new Set();
      for (const p of names) {
        if (s.prefixes.has(p)) continue;
        s.prefixes.add(p);
        let ps = this.#prefixes.get(p);
        if (ps === undefined) {
          ps = { clients: new Set(), keys: new Map() };
          this.#prefixes.set(p, ps);
        }
        ps.clients.add(s);
      }
    }
    this.#states.set(client.id, s);
    this.onChange();
  }

  /** CLIENT TRACKING OFF (and RESET, and a client that disconnects). */
  disable(client: ClientState): void {
    const s = this.#states.get(client.id);
    if (s === undefined) return;
    for (const p of s.prefixes ?? []) {
      const ps = this.#prefixes.get(p);
      if (ps === undefined) continue;
      ps.clients.delete(s);
      if (ps.clients.size === 0) this.#prefixes.delete(p);
    }
    this.#states.delete(client.id);
    this.onChange();
  }

  /** CLIENT CACHING YES|NO. */
  caching(client: ClientState, arg: Uint8Array): Frame {
    const s = this.#states.get(client.id);
    if (s === undefined) {
      return new ReplyError(
        "ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled",
      );
    }
    if (isOption(arg, "yes")) {
      if (!s.optin) {
        return new ReplyError(
          "ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.",
        );
      }
    } else if (isOption(arg, "no")) {
      if (!s.optout) {
        return new ReplyError(
          "ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.",
        );
      }
    } else {
      return SYNTAX_ERROR;
    }
    s.caching = true;
    return OK;
  }

  /** CLIENT GETREDIR. */
  getRedirect(client: ClientState): number {
    return this.#states.get(client.id)?.redirect ?? -1;
  }

  /** CLIENT TRACKINGINFO. */
  info(client: ClientState): RespMap {
    const s = this.#states.get(client.id);
    const flags: Frame[] = [s === undefined ? "off" : "on"];
    if (s !== undefined) {
      if (s.bcast) flags.push("bcast");
      if (s.optin) {
        flags.push("optin");
        if (s.caching) flags.push("caching-yes");
      }
      if (s.optout) {
        flags.push("optout");
        if (s.caching) flags.push("caching-no");
      }
      if (s.noloop) flags.push("noloop");
      if (s.brokenRedirect) flags.push("broken_redirect");
    }
    const prefixes = [...(s?.prefixes ?? [])].sort().map((p) => fromBinary(p));
    return new RespMap([
      ["flags", new RespSet(flags)],
      ["redirect", s === undefined ? -1 : s.redirect],
      ["prefixes", prefixes],
    ]);
  }

  /**
   * After a command of `client`: remembers the keys it read (a read-only
   * command, tracking on, not BCAST, and CACHING allowing it), and ends
   * the effect of CLIENT CACHING unless the client is in MULTI or the
   * command was a CLIENT subcommand, as Redis's `resetClient`.
   */
  afterCommand(client: ClientState, cmd: ResolvedCommand, args: readonly Uint8Array[]): void {
    const s = this.#states.get(client.id);
    if (s === undefined) return;
    this.remember(s, cmd, args);
    if (client.multi === undefined && cmd.name !== "client" && cmd.parent?.name !== "client") {
      s.caching = false;
    }
  }

  /** Remembers the keys `cmd` read for `s` (Redis's `trackingRememberKeys`). */
  remember(s: TrackingState, cmd: ResolvedCommand, args: readonly Uint8Array[]): void {
    if (s.bcast || !cmd.flags.includes("readonly") || cmd.flags.includes("pubsub")) return;
    if ((s.optin && !s.caching) || (s.optout && s.caching)) return;
    const keys = keysOf(cmd.meta, args);
    if (keys.length === 0) return;
    const id = s.client.id;
    for (const k of keys) {
      const key = toBinary(k);
      let ids = this.#table.get(key);
      if (ids === undefined) {
        ids = new Set();
        this.#table.set(key, ids);
        this.#db.listen(key, this);
      }
      if (!ids.has(id)) {
        ids.add(id);
        this.#items++;
      }
    }
    if (this.maxKeys > 0) {
      // Redis evicts tracked keys beyond tracking-table-max-keys, invalidating them
      for (const key of this.#table.keys()) {
        if (this.#table.size <= this.maxKeys) break;
        this.keyModified(key);
      }
    }
  }

  /** The "key modified" signal of a remembered key: invalidate it for its clients and forget it. */
  keyModified(key: string): void {
    const ids = this.#table.get(key);
    if (ids === undefined) return;
    this.#table.delete(key);
    this.#items -= ids.size;
    this.#db.unlisten(key, this);
    let payload: Uint8Array | undefined;
    for (const id of ids) {
      const s = this.#states.get(id);
      if (s === undefined || s.bcast) continue;
      if (s.noloop && s.client === this.current) continue;
      payload ??= concat([utf8("*1\r\n"), bulk(fromBinary(key))]);
      this.#send(s, payload);
    }
  }

  /** A key was modified (any key): remembered for the BCAST clients whose prefixes match. */
  broadcastKey(key: string): void {
    for (const [prefix, ps] of this.#prefixes) {
      if (prefix.length > key.length || !key.startsWith(prefix)) continue;
      ps.keys.set(key, this.current);
      if (!this.#broadcastScheduled) {
        this.#broadcastScheduled = true;
        setTimeout(() => this.#broadcast(), 0);
      }
    }
  }

  /** Sends the keys gathered per prefix (Redis's `trackingBroadcastInvalidationMessages`). */
  #broadcast(): void {
    this.#broadcastScheduled = false;
    const prefixes = [...this.#prefixes.keys()].sort();
    for (const prefix of prefixes) {
      const ps = this.#prefixes.get(prefix)!;
      if (ps.keys.size === 0) continue;
      const keys = ps.keys;
      ps.keys = new Map();
      const common = keysArray([...keys.keys()]);
      for (const s of ps.clients) {
        if (s.noloop) {
          const own = [...keys].filter(([, by]) => by !== s.client).map(([k]) => k);
          if (own.length > 0) this.#send(s, keysArray(own));
        } else {
          this.#send(s, common);
        }
      }
    }
  }

  /**
   * FLUSHALL/FLUSHDB: every tracking client gets a null invalidation and
   * the remembered keys are forgotten (Redis's `trackingInvalidateKeysOnFlush`).
   */
  flushed(): void {
    for (const key of this.#table.keys()) this.#db.unlisten(key, this);
    this.#table.clear();
    this.#items = 0;
    for (const s of this.#states.values()) {
      this.#send(s, s.client.protocol === 3 ? NULL3 : NULL2);
    }
  }

  /** Redis's `sendTrackingMessage`: to the client or its redirect target, in what it can receive. */
  #send(s: TrackingState, payload: Uint8Array): void {
    let target = s.client;
    let redirected = false;
    if (s.redirect !== 0) {
      const r = this.#clients.get(s.redirect);
      if (r === undefined) {
        s.brokenRedirect = true;
        if (target.protocol === 3) {
          this.#deliver(
            target,
            concat([
              utf8(`>2\r\n$21\r\ntracking-redir-broken\r\n:${s.redirect}\r\n`),
            ]),
          );
        }
        return;
      }
      target = r;
      redirected = true;
    }
    if (target.protocol === 3) {
      this.#deliver(target, concat([PUSH_HEAD, payload]));
    } else if (redirected && target.pubsub !== undefined && target.pubsub.count > 0) {
      this.#deliver(target, concat([MESSAGE_HEAD, payload]));
    }
  }

  #deliver(target: ClientState, bytes: Uint8Array): void {
    if (target === this.current) {
      this.pending.push(bytes);
      return;
    }
    target.handle.pushRaw(bytes);
    target.handle.flushPushes();
  }
}

/** Whether one of two byte strings is a prefix of the other (Redis's `stringCheckPrefix`). */
function overlap(a: string, b: string): boolean {
  const n = Math.min(a.length, b.length);
  return a.slice(0, n) === b.slice(0, n);
}

/** Redis's `checkPrefixCollisionsOrReply`. */
function prefixCollision(
  existing: Set<string> | undefined,
  given: Uint8Array[],
): ReplyError | undefined {
  for (let i = 0; i < given.length; i++) {
    const p = toBinary(given[i]);
    for (const e of existing ?? []) {
      if (overlap(e, p)) {
        return formatError(
          `ERR Prefix '${cText(given[i])}' overlaps with an existing prefix '${
            cText(fromBinary(e))
          }'. Prefixes for a single client must not overlap.`,
        );
      }
    }
    for (let j = i + 1; j < given.length; j++) {
      if (overlap(p, toBinary(given[j]))) {
        return formatError(
          `ERR Prefix '${cText(given[i])}' overlaps with another provided prefix '${
            cText(given[j])
          }'. Prefixes for a single client must not overlap.`,
        );
      }
    }
  }
  return undefined;
}
