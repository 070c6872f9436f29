/**
 * Keyspace notifications (Redis's notify.c): the `notify-keyspace-events`
 * flag letters, and the hook that turns the keyspace's events into
 * messages on `__keyspace@0__:<key>` (payload: the event name) and
 * `__keyevent@0__:<event>` (payload: the key), published through the
 * pub/sub hub like any PUBLISH.
 *
 * Commands report events with `ctx.db.changed(key, NOTIFY_HASH, "hset")`:
 * the caller names the event's class, as Redis's code does, and the event
 * is published only when its class and `K` and/or `E` are enabled.
 *
 * @example
 * ```ts
 * import { formatNotifyFlags, parseNotifyFlags } from "./notify.ts";
 * console.log(formatNotifyFlags(parseNotifyFlags("KEA")!)); // "AKE"
 * console.log(parseNotifyFlags("Z")); // undefined
 * ```
 *
 * @module
 */

import { fromBinary, utf8 } from "../../resp/bytes.ts";
import type { NotifyHook } from "./keyspace.ts";
import type { PubSub } from "../pubsub.ts";

/** `K`: publish on `__keyspace@<db>__:<key>`. */
export const NOTIFY_KEYSPACE = 1 << 0;
/** `E`: publish on `__keyevent@<db>__:<event>`. */
export const NOTIFY_KEYEVENT = 1 << 1;
/** `g`: generic commands (DEL, EXPIRE, RENAME, COPY, PERSIST, ...). */
export const NOTIFY_GENERIC = 1 << 2;
/** `$`: string commands. */
export const NOTIFY_STRING = 1 << 3;
/** `l`: list commands. */
export const NOTIFY_LIST = 1 << 4;
/** `s`: set commands. */
export const NOTIFY_SET = 1 << 5;
/** `h`: hash commands. */
export const NOTIFY_HASH = 1 << 6;
/** `z`: sorted set commands. */
export const NOTIFY_ZSET = 1 << 7;
/** `x`: a key expired (lazily or by the active sweeper). */
export const NOTIFY_EXPIRED = 1 << 8;
/** `e`: a key was evicted (never here: there is no maxmemory eviction). */
export const NOTIFY_EVICTED = 1 << 9;
/** `t`: stream commands. */
export const NOTIFY_STREAM = 1 << 10;
/** `m`: a read-only command looked up a missing key (not part of `A`). */
export const NOTIFY_KEY_MISS = 1 << 11;
/** `d`: module events. */
export const NOTIFY_MODULE = 1 << 13;
/** `n`: a key was created (not part of `A`). */
export const NOTIFY_NEW = 1 << 14;
/** `A`: every class but `m` and `n`. */
export const NOTIFY_ALL = NOTIFY_GENERIC | NOTIFY_STRING | NOTIFY_LIST | NOTIFY_SET |
  NOTIFY_HASH | NOTIFY_ZSET | NOTIFY_EXPIRED | NOTIFY_EVICTED | NOTIFY_STREAM | NOTIFY_MODULE;

const LETTERS: Record<string, number> = {
  A: NOTIFY_ALL,
  g: NOTIFY_GENERIC,
  $: NOTIFY_STRING,
  l: NOTIFY_LIST,
  s: NOTIFY_SET,
  h: NOTIFY_HASH,
  z: NOTIFY_ZSET,
  x: NOTIFY_EXPIRED,
  e: NOTIFY_EVICTED,
  K: NOTIFY_KEYSPACE,
  E: NOTIFY_KEYEVENT,
  t: NOTIFY_STREAM,
  m: NOTIFY_KEY_MISS,
  d: NOTIFY_MODULE,
  n: NOTIFY_NEW,
};

/** Redis's error for a bad letter in `notify-keyspace-events`. */
export const NOTIFY_FLAGS_ERROR = "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.";

/**
 * Parses `notify-keyspace-events` letters (Redis's
 * `keyspaceEventsStringToFlags`); undefined for an unknown letter.
 *
 * @example
 * ```ts
 * import { NOTIFY_KEYEVENT, NOTIFY_STRING, parseNotifyFlags } from "./notify.ts";
 * console.log(parseNotifyFlags("E$") === (NOTIFY_KEYEVENT | NOTIFY_STRING)); // true
 * ```
 */
export function parseNotifyFlags(text: string): number | undefined {
  let flags = 0;
  for (const c of text) {
    const f = LETTERS[c];
    if (f === undefined) return undefined;
    flags |= f;
  }
  return flags;
}

/**
 * The flags in Redis's normalised spelling (`keyspaceEventsFlagsToString`):
 * `A` or the class letters in a fixed order, then `K`, `E`, `m`.
 */
export function formatNotifyFlags(flags: number): string {
  let s = "";
  if ((flags & NOTIFY_ALL) === NOTIFY_ALL) {
    s += "A";
  } else {
    if (flags & NOTIFY_GENERIC) s += "g";
    if (flags & NOTIFY_STRING) s += "$";
    if (flags & NOTIFY_LIST) s += "l";
    if (flags & NOTIFY_SET) s += "s";
    if (flags & NOTIFY_HASH) s += "h";
    if (flags & NOTIFY_ZSET) s += "z";
    if (flags & NOTIFY_EXPIRED) s += "x";
    if (flags & NOTIFY_EVICTED) s += "e";
    if (flags & NOTIFY_STREAM) s += "t";
    if (flags & NOTIFY_MODULE) s += "d";
    if (flags & NOTIFY_NEW) s += "n";
  }
  if (flags & NOTIFY_KEYSPACE) s += "K";
  if (flags & NOTIFY_KEYEVENT) s += "E";
  if (flags & NOTIFY_KEY_MISS) s += "m";
  return s;
}

const KEYSPACE_PREFIX = "__keyspace@0__:";
const KEYEVENT_PREFIX = "__keyevent@0__:";

/**
 * The keyspace's notify hook for `flags`: publishes each enabled event on
 * the keyspace and/or keyevent channel, in that order (as Redis does).
 * Returns undefined when nothing can ever be published (the server then
 * leaves the keyspace's no-op hook in place, so the write path pays
 * nothing).
 *
 * @example
 * ```ts
 * import { PubSub } from "../pubsub.ts";
 * import { notifyHook, NOTIFY_STRING, parseNotifyFlags } from "./notify.ts";
 * using hub = new PubSub();
 * const hook = notifyHook(parseNotifyFlags("KEA")!, hub)!;
 * hook(NOTIFY_STRING, "set", "greeting"); // publishes (to nobody: no subscriber)
 * ```
 */
export function notifyHook(flags: number, hub: PubSub): NotifyHook | undefined {
  if ((flags & (NOTIFY_KEYSPACE | NOTIFY_KEYEVENT)) === 0) return undefined;
  if ((flags & ~(NOTIFY_KEYSPACE | NOTIFY_KEYEVENT)) === 0) return undefined;
  const keyspace = (flags & NOTIFY_KEYSPACE) !== 0;
  const keyevent = (flags & NOTIFY_KEYEVENT) !== 0;
  const eventBytes = new Map<string, Uint8Array>();
  return (eventClass: number, event: string, key: string) => {
    if ((flags & eventClass) === 0 || !hub.active) return;
    let name = eventBytes.get(event);
    if (name === undefined) {
      name = utf8(event);
      eventBytes.set(event, name);
    }
    if (keyspace) hub.publish(fromBinary(KEYSPACE_PREFIX + key), name);
    if (keyevent) hub.publish(utf8(KEYEVENT_PREFIX + event), fromBinary(key));
  };
}
