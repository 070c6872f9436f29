/**
 * Expiry commands: EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT (NX, XX, GT, LT),
 * TTL, PTTL, EXPIRETIME, PEXPIRETIME, PERSIST.
 *
 * @module
 */

import { type Frame, ReplyError } from "../../resp/frame.ts";
import { toBinary } from "../../resp/bytes.ts";
import type { Context, Handler, HandlerMap } from "../command.ts";
import { NOTIFY_GENERIC } from "../db/notify.ts";
import { cText, expireAtArg, formatError, isOption, type TimeUnit } from "../args.ts";

const NX = 1;
const XX = 2;
const GT = 4;
const LT = 8;

const NX_CONFLICT = new ReplyError(
  "ERR NX and XX, GT or LT options at the same time are not compatible",
);
const GT_LT_CONFLICT = new ReplyError("ERR GT and LT options at the same time are not compatible");

/** Redis's `parseExtendedExpireArgumentsOrReply`. */
function parseFlags(args: Uint8Array[]): number {
  let flags = 0;
  for (let i = 3; i < args.length; i++) {
    const a = args[i];
    if (isOption(a, "nx")) flags |= NX;
    else if (isOption(a, "xx")) flags |= XX;
    else if (isOption(a, "gt")) flags |= GT;
    else if (isOption(a, "lt")) flags |= LT;
    else {
      throw formatError(`ERR Unsupported option ${cText(a)}`);
    }
  }
  if ((flags & NX) && (flags & (XX | GT | LT))) throw NX_CONFLICT;
  if ((flags & GT) && (flags & LT)) throw GT_LT_CONFLICT;
  return flags;
}

/** Redis's `expireGenericCommand`. */
function expireGeneric(name: string, unit: TimeUnit, absolute: boolean): Handler {
  return (ctx: Context, args: Uint8Array[]): Frame => {
    const flags = parseFlags(args);
    const db = ctx.db;
    const now = db.now();
    const when = expireAtArg(args[2], unit, absolute ? 0 : now, name);
    const key = toBinary(args[1]);
    const e = db.get(key);
    if (e === undefined) return 0;
    if (flags !== 0) {
      const current = e.expiresAt === 0 ? -1 : e.expiresAt;
      if ((flags & NX) && current !== -1) return 0;
      if ((flags & XX) && current === -1) return 0;
      if ((flags & GT) && (when <= current || current === -1)) return 0;
      if ((flags & LT) && current !== -1 && when >= current) return 0;
    }
    if (when <= now) {
      db.delete(key);
      db.changed(key, NOTIFY_GENERIC, "del");
    } else {
      db.setExpiry(key, when);
      db.changed(key, NOTIFY_GENERIC, "expire");
    }
    return 1;
  };
}

/** Redis's `ttlGenericCommand`. */
function ttlGeneric(ms: boolean, absolute: boolean): Handler {
  return (ctx: Context, args: Uint8Array[]): Frame => {
    const e = ctx.db.peek(toBinary(args[1]));
    if (e === undefined) return -2;
    if (e.expiresAt === 0) return -1;
    let ttl = absolute ? e.expiresAt : e.expiresAt - ctx.db.now();
    if (ttl < 0) ttl = 0;
    return ms ? ttl : Math.floor((ttl + 500) / 1000);
  };
}

/** The expiry command family. */
export const expireHandlers: HandlerMap = {
  expire: expireGeneric("expire", "s", false),
  pexpire: expireGeneric("pexpire", "ms", false),
  expireat: expireGeneric("expireat", "s", true),
  pexpireat: expireGeneric("pexpireat", "ms", true),
  ttl: ttlGeneric(false, false),
  pttl: ttlGeneric(true, false),
  expiretime: ttlGeneric(false, true),
  pexpiretime: ttlGeneric(true, true),
  persist: (ctx, args) => {
    const key = toBinary(args[1]);
    if (!ctx.db.persist(key)) return 0;
    ctx.db.changed(key, NOTIFY_GENERIC, "persist");
    return 1;
  },
};
