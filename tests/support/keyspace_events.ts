/**
 * The keyspace events a command sequence fires, for comparing a family's
 * events with redis-server's. Starts nothing at import.
 *
 * @module
 */

import { type Arg, cmd } from "../../support/wire.ts";
import { RawClient } from "../../support/raw_client.ts";
import { parseReply } from "../../support/reply.ts";

/**
 * The keyspace events (`channel payload`) that `commands` fire on the
 * server at `port` with `notify-keyspace-events KEAn`, read by a pattern
 * subscriber up to a marker message. The database is flushed first and
 * notifications are turned off again after.
 */
export async function eventsOf(
  port: number,
  commands: readonly (readonly Arg[])[],
): Promise<string[]> {
  await using control = await RawClient.connect(port);
  await control.call("FLUSHALL");
  await control.call("CONFIG", "SET", "notify-keyspace-events", "KEAn");
  await using sub = await RawClient.connect(port);
  await sub.send(cmd("PSUBSCRIBE", "__key*__:*"));
  await sub.readStrings(1);
  await control.calls(commands);
  await control.call("PUBLISH", "__keyevent@0__:MARK", "end");
  const out: string[] = [];
  for (let i = 0; i < 10_000; i++) {
    const [, , channel, payload] = parseReply((await sub.readStrings(1))[0]) as string[];
    if (channel === "__keyevent@0__:MARK") break;
    out.push(`${channel} ${payload}`);
  }
  await control.call("CONFIG", "SET", "notify-keyspace-events", "");
  return out;
}
