/**
 * Pub/sub commands: SUBSCRIBE, UNSUBSCRIBE, PSUBSCRIBE, PUNSUBSCRIBE,
 * PUBLISH, the sharded SSUBSCRIBE, SUNSUBSCRIBE and SPUBLISH, and PUBSUB
 * (CHANNELS, NUMSUB, NUMPAT, SHARDCHANNELS, SHARDNUMSUB, HELP), with Redis
 * 7.0's replies.
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
const SSUBSCRIBE = utf8("ssubscribe");
const SUNSUBSCRIBE = utf8("sunsubscribe");

/** What a (un)subscribe command acts on. */
const enum Kind {
  Channel,
  Pattern,
  Shard,
}

const SUBSCRIBE_NAMES = [SUBSCRIBE, PSUBSCRIBE, SSUBSCRIBE];
const UNSUBSCRIBE_NAMES = [UNSUBSCRIBE, PUNSUBSCRIBE, SUNSUBSCRIBE];

/** The client's subscription state, created on first use. */
function subscriberOf(ctx: Context): Subscriber {
  return ctx.client.pubsub ??= ctx.server.pubsub.subscriber(ctx.client);
}

function confirm(ctx: Context, kind: Uint8Array, name: Uint8Array | null, count: number): void {
  ctx.client.handle.push(new Push([kind, name, count]));
}

/** Redis 7.0's reply to SSUBSCRIBE run by EXEC. */
const SSUBSCRIBE_IN_EXEC = new ReplyError(
  "ERR SSUBSCRIBE isn't allowed for a DENY BLOCKING client",
);

/**
 * SUBSCRIBE / PSUBSCRIBE / SSUBSCRIBE: one confirmation per argument, with
 * the count after it (channels plus patterns, or shard channels for
 * SSUBSCRIBE).
 */
function subscribeHandler(kind: Kind): Handler {
  const name = SUBSCRIBE_NAMES[kind];
  return (ctx, args) => {
    // Redis 7.0 refuses SSUBSCRIBE in EXEC (its client is flagged DENY BLOCKING there)
    if (kind === Kind.Shard && ctx.server.blocking.atomic) return SSUBSCRIBE_IN_EXEC;
    const sub = subscriberOf(ctx);
    for (let i = 1; i < args.length; i++) {
      const count = kind === Kind.Channel
        ? sub.subscribe(args[i])
        : kind === Kind.Pattern
        ? sub.psubscribe(args[i])
        : sub.ssubscribe(args[i]);
      confirm(ctx, name, args[i], count);
    }
    refreshGate(ctx.client);
    return NO_REPLY;
  };
}

/**
 * UNSUBSCRIBE / PUNSUBSCRIBE / SUNSUBSCRIBE: the named channels (or all of
 * them), one confirmation each; with none to leave, one confirmation with a
 * null name. The client leaves subscribed mode once it has no subscription
 * of any kind left.
 */
function unsubscribeHandler(kind: Kind): Handler {
  const name = UNSUBSCRIBE_NAMES[kind];
  return (ctx, args) => {
    const sub = ctx.client.pubsub;
    const names = args.length > 1
      ? args.slice(1)
      : sub === undefined
      ? []
      : kind === Kind.Channel
      ? sub.channels()
      : kind === Kind.Pattern
      ? sub.patterns()
      : sub.shardChannels();
    if (names.length === 0) {
      const count = sub === undefined
        ? 0
        : kind === Kind.Shard
        ? sub.shardChannelCount
        : sub.subscriptionCount;
      confirm(ctx, name, null, count);
      return NO_REPLY;
    }
    for (const n of names) {
      const count = sub === undefined
        ? 0
        : kind === Kind.Channel
        ? sub.unsubscribe(n)
        : kind === Kind.Pattern
        ? sub.punsubscribe(n)
        : sub.sunsubscribe(n);
      confirm(ctx, name, n, count);
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
  subscribe: subscribeHandler(Kind.Channel),
  unsubscribe: unsubscribeHandler(Kind.Channel),
  psubscribe: subscribeHandler(Kind.Pattern),
  punsubscribe: unsubscribeHandler(Kind.Pattern),
  ssubscribe: subscribeHandler(Kind.Shard),
  sunsubscribe: unsubscribeHandler(Kind.Shard),
  publish: (ctx, args) => ctx.server.pubsub.publish(args[1], args[2]),
  spublish: (ctx, args) => ctx.server.pubsub.spublish(args[1], args[2]),
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
  "pubsub|shardchannels": (ctx, args) => {
    if (args.length > 3) return subcommandSyntaxError(args);
    return ctx.server.pubsub.shardChannels(args[2]);
  },
  "pubsub|shardnumsub": (ctx, args) => {
    const out: Frame[] = [];
    for (let i = 2; i < args.length; i++) {
      out.push(args[i], ctx.server.pubsub.shardNumsub(args[i]));
    }
    return out;
  },
  "pubsub|help": () => PUBSUB_HELP,
};
