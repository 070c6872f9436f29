/**
 * The reference the generators read Redis's own tables from: a private
 * redis-server 7.0.15 (started by `support/servers.ts` on a free loopback
 * port, in its own temporary directory) and a RESP3 client connected to it.
 *
 * @module
 */

import { connect } from "../client/mod.ts";
import type { Client } from "../client/client.ts";
import { type Frame, VerbatimString } from "../resp/frame.ts";
import { startRedis } from "../support/servers.ts";

/** The Redis version whose tables the generators read. */
export const REFERENCE_VERSION = "7.0.15";

/** Text of a bulk or verbatim reply. */
export function replyText(f: Frame): string {
  if (f instanceof Uint8Array) return new TextDecoder().decode(f);
  if (f instanceof VerbatimString) return new TextDecoder().decode(f.value);
  return String(f);
}

/**
 * Starts the reference redis-server, checks its version, and returns a RESP3
 * client to it and its port; disposing the result closes both.
 */
export async function referenceRedis(): Promise<
  { client: Client; port: number } & AsyncDisposable
> {
  const redis = await startRedis();
  try {
    const client = await connect({ hostname: "127.0.0.1", port: redis.port }, { protocol: 3 });
    const info = replyText(await client.send(["INFO", "server"]));
    const version = /redis_version:(\S+)/.exec(info)?.[1];
    if (version !== REFERENCE_VERSION) {
      await client.close();
      throw new Error(`need redis-server ${REFERENCE_VERSION}, found ${version}`);
    }
    return {
      client,
      port: redis.port,
      async [Symbol.asyncDispose]() {
        await client.close();
        await redis.close();
      },
    };
  } catch (e) {
    await redis.close();
    throw e;
  }
}
