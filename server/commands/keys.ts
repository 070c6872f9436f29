/**
 * Generic key commands: DEL, UNLINK, EXISTS, TYPE, KEYS, SCAN, RANDOMKEY,
 * RENAME, RENAMENX, COPY, DBSIZE, FLUSHDB, FLUSHALL, TOUCH.
 *
 * @module
 */

import { type Frame, OK, ReplyError, SimpleString } from "../../resp/frame.ts";
import { fromBinary, toBinary } from "../../resp/bytes.ts";
import type { Context, HandlerMap } from "../command.ts";
import {
  DB_OUT_OF_RANGE,
  intArg,
  isOption,
  NO_SUCH_KEY,
  parseScanCursor,
  rangeArg,
  SYNTAX_ERROR,
} from "../args.ts";
import { cloneValue, typeOf } from "../db/keyspace.ts";
import { NOTIFY_GENERIC } from "../db/notify.ts";
import { globMatch, isMatchAll } from "../glob.ts";
import { opsOf } from "./ops.ts";

const SAME_OBJECT = new ReplyError("ERR source and destination objects are the same");

const typeReplies = new Map<string, SimpleString>();
function typeReply(name: string): SimpleString {
  let r = typeReplies.get(name);
  if (r === undefined) {
    r = new SimpleString(name);
    typeReplies.set(name, r);
  }
  return r;
}

function del(ctx: Context, args: Uint8Array[]): number {
  const db = ctx.db;
  let n = 0;
  for (let i = 1; i < args.length; i++) {
    const key = toBinary(args[i]);
    if (db.delete(key)) {
      n++;
      db.changed(key, NOTIFY_GENERIC, "del");
    }
  }
  return n;
}

function countExisting(ctx: Context, args: Uint8Array[]): number {
  const db = ctx.db;
  let n = 0;
  for (let i = 1; i < args.length; i++) if (db.peek(toBinary(args[i])) !== undefined) n++;
  return n;
}

/** Redis's `getIntFromObjectOrReply` range error. */
const INT_RANGE = new ReplyError(
  "ERR value is out of range, value must between -2147483648 and 2147483647",
);

function rename(ctx: Context, args: Uint8Array[], nx: boolean): Frame {
  const db = ctx.db;
  const src = toBinary(args[1]);
  const dst = toBinary(args[2]);
  const e = db.get(src);
  if (e === undefined) return NO_SUCH_KEY;
  if (src === dst) return nx ? 0 : OK;
  if (db.has(dst)) {
    if (nx) return 0;
    db.delete(dst);
  }
  const { value, expiresAt } = e;
  db.delete(src);
  db.set(dst, value, expiresAt);
  db.changed(src, NOTIFY_GENERIC, "rename_from");
  db.changed(dst, NOTIFY_GENERIC, "rename_to");
  return nx ? 1 : OK;
}

function flush(ctx: Context, args: Uint8Array[]): Frame {
  if (args.length > 2) return SYNTAX_ERROR;
  if (args.length === 2 && !isOption(args[1], "async") && !isOption(args[1], "sync")) {
    return SYNTAX_ERROR;
  }
  opsOf(ctx.server).tracking.flushed(); // tracking clients get a null invalidation
  ctx.db.clear();
  return OK;
}

/** The generic key command family. */
export const keyHandlers: HandlerMap = {
  del: del,
  unlink: del,
  exists: countExisting,
  touch: (ctx, args) => {
    let n = 0;
    for (let i = 1; i < args.length; i++) if (ctx.db.get(toBinary(args[i])) !== undefined) n++;
    return n;
  },
  type: (ctx, args) => {
    const v = ctx.db.getValue(toBinary(args[1]));
    return typeReply(v === undefined ? "none" : typeOf(v));
  },
  keys: (ctx, args) => {
    const pattern = args[1].slice();
    const all = isMatchAll(pattern);
    const out: Uint8Array[] = [];
    ctx.db.forEach((e) => {
      const key = fromBinary(e.key);
      if (all || globMatch(pattern, key)) out.push(key);
    });
    return out;
  },
  scan: (ctx, args) => {
    const cursor = parseScanCursor(args[1]);
    let count = 10;
    let pattern: Uint8Array | null = null;
    let type: string | null = null;
    for (let i = 2; i < args.length; i += 2) {
      if (i + 1 >= args.length) return SYNTAX_ERROR;
      const opt = args[i];
      if (isOption(opt, "count")) {
        count = intArg(args[i + 1]);
        if (count < 1) return SYNTAX_ERROR;
      } else if (isOption(opt, "match")) {
        pattern = args[i + 1];
        if (isMatchAll(pattern)) pattern = null;
      } else if (isOption(opt, "type")) {
        type = toBinary(args[i + 1]).toLowerCase();
      } else {
        return SYNTAX_ERROR;
      }
    }
    const keys: Uint8Array[] = [];
    const next = ctx.db.scan(cursor, count, (e) => {
      if (type !== null && typeOf(e.value) !== type) return;
      const key = fromBinary(e.key);
      if (pattern !== null && !globMatch(pattern, key)) return;
      keys.push(key);
    });
    return [String(next), keys];
  },
  randomkey: (ctx) => {
    const key = ctx.db.randomKey();
    return key === undefined ? null : fromBinary(key);
  },
  rename: (ctx, args) => rename(ctx, args, false),
  renamenx: (ctx, args) => rename(ctx, args, true),
  copy: (ctx, args) => {
    let replace = false;
    for (let i = 3; i < args.length; i++) {
      if (isOption(args[i], "replace")) {
        replace = true;
      } else if (isOption(args[i], "db") && i + 1 < args.length) {
        if (rangeArg(args[i + 1], -2147483648, 2147483647, INT_RANGE) !== 0) {
          return DB_OUT_OF_RANGE;
        }
        i++;
      } else {
        return SYNTAX_ERROR;
      }
    }
    const db = ctx.db;
    const src = toBinary(args[1]);
    const dst = toBinary(args[2]);
    if (src === dst) return SAME_OBJECT;
    const e = db.get(src);
    if (e === undefined) return 0;
    if (db.has(dst)) {
      if (!replace) return 0;
      db.delete(dst);
    }
    db.set(dst, cloneValue(e.value), e.expiresAt);
    db.changed(dst, NOTIFY_GENERIC, "copy_to");
    return 1;
  },
  dbsize: (ctx) => ctx.db.size,
  flushdb: flush,
  flushall: flush,
};
