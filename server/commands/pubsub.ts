/**
 * Pub/sub commands: SUBSCRIBE, UNSUBSCRIBE, PSUBSCRIBE, PUNSUBSCRIBE,
 * PUBLISH and PUBSUB (CHANNELS, NUMSUB, NUMPAT, SHARDCHANNELS,
 * SHARDNUMSUB, HELP), with Redis 7.0's replies.
 *
 * Subscription confirmations are push frames (`*3` arrays in RESP2, `>3`
 * pushes in RESP3), one per channel, sent through the client's connection
 * like messages, so they are delivered even under CLIENT REPLY OFF, as in
 * Redis; the handlers therefore return {@linkcode NO_REPLY}. The hub and
 * the per-client subscription state live in `../pubsub.ts`.
 *
 * @example
 * ```ts
 * import { CommandTable } from "../command.ts";
 * import { commandsFromHandlers } from "./mod.ts";
 * import { pubsubHandlers } from "./pubsub.ts";
 * const table = new CommandTable(commandsFromHandlers([pubsubHandlers]));
 * console.log(table.get("subscribe")?.arity); // -2
 * ```
 *
 * @module
 */

import { type Frame, Push, ReplyError, SimpleString } from "../../resp/frame.ts";
import { utf8 } from "../../resp/bytes.ts";
import { type Context, type Handler, type HandlerMap, NO_REPLY, refreshGate } from "../command.ts";
import type { Subscriber } from "../pubsub.ts";
import { asciiUpper, cText, formatError } from "../args.ts";

const SUBSCRIBE = utf8("subscribe");
const UNSUBSCRIBE = utf8("unsubscribe");
const PSUBSCRIBE = utf8("psubscribe");
const PUNSUBSCRIBE = utf8("punsubscribe");

/** The client's subscription state, created on first use. */
function subscriberOf(ctx: Context): Subscriber {
  return ctx.client.pubsub ??= ctx.server.pubsub.subscriber(ctx.client);
}

function confirm(ctx: Context, kind: Uint8Array, name: Uint8Array | null, count: number): void {
  ctx.client.handle.push(new Push([kind, name, count]));
}

/** SUBSCRIBE / PSUBSCRIBE: one confirmation per argument, with the count after it. */
function subscribeHandler(pattern: boolean): Handler {
  const kind = pattern ? PSUBSCRIBE : SUBSCRIBE;
  return (ctx, args) => {
    const sub = subscriberOf(ctx);
    for (let i = 1; i < args.length; i++) {
      const count = pattern ? sub.psubscribe(args[i]) : sub.subscribe(args[i]);
      confirm(ctx, kind, args[i], count);
    }
    refreshGate(ctx.client);
    return NO_REPLY;
  };
}

/**
 * UNSUBSCRIBE / PUNSUBSCRIBE: the named channels (or all of them), one
 * confirmation each; with none to leave, one confirmation with a null name.
 */
function unsubscribeHandler(pattern: boolean): Handler {
  const kind = pattern ? PUNSUBSCRIBE : UNSUBSCRIBE;
  return (ctx, args) => {
    const sub = ctx.client.pubsub;
    const names = args.length > 1
      ? args.slice(1)
      : sub === undefined
      ? []
      : pattern
      ? sub.patterns()
      : sub.channels();
    if (names.length === 0) {
      confirm(ctx, kind, null, sub?.count ?? 0);
      return NO_REPLY;
    }
    for (const name of names) {
      const count = sub === undefined
        ? 0
        : pattern
        ? sub.punsubscribe(name)
        : sub.unsubscribe(name);
      confirm(ctx, kind, name, count);
    }
    refreshGate(ctx.client);
    return NO_REPLY;
  };
}

const PUBSUB_HELP = [
  "PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
  "CHANNELS [<pattern>]",
  "    Return the currently active channels matching a <pattern> (default: '*').",
  "NUMPAT",
  "    Return number of subscriptions to patterns.",
  "NUMSUB [<channel> ...]",
  "    Return the number of subscribers for the specified channels, excluding",
  "    pattern subscriptions(default: no channels).",
  "SHARDCHANNELS [<pattern>]",
  "    Return the currently active shard level channels matching a <pattern> (default: '*').",
  "SHARDNUMSUB [<shardchannel> ...]",
  "    Return the number of subscribers for the specified shard level channel(s)",
  "HELP",
  "    Prints this help.",
].map((line) => new SimpleString(line));

/** Redis's `addReplySubcommandSyntaxError`. */
function subcommandSyntaxError(args: Uint8Array[]): ReplyError {
  return formatError(
    `ERR unknown subcommand or wrong number of arguments for '${cText(args[1], 128)}'. Try ${
      asciiUpper(cText(args[0]))
    } HELP.`,
  );
}

/** The pub/sub command family. */
export const pubsubHandlers: HandlerMap = {
  subscribe: subscribeHandler(false),
  unsubscribe: unsubscribeHandler(false),
  psubscribe: subscribeHandler(true),
  punsubscribe: unsubscribeHandler(true),
  publish: (ctx, args) => ctx.server.pubsub.publish(args[1], args[2]),
  "pubsub|channels": (ctx, args) => {
    if (args.length > 3) return subcommandSyntaxError(args);
    return ctx.server.pubsub.channels(args[2]);
  },
  "pubsub|numsub": (ctx, args) => {
    const out: Frame[] = [];
    for (let i = 2; i < args.length; i++) out.push(args[i], ctx.server.pubsub.numsub(args[i]));
    return out;
  },
  "pubsub|numpat": (ctx) => ctx.server.pubsub.patternCount,
  "pubsub|shardchannels": (_ctx, args) => args.length > 3 ? subcommandSyntaxError(args) : [],
  "pubsub|shardnumsub": (_ctx, args) => {
    const out: Frame[] = [];
    for (let i = 2; i < args.length; i++) out.push(args[i], 0);
    return out;
  },
  "pubsub|help": () => PUBSUB_HELP,
};
