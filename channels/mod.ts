/**
 * Tokio's four channel kinds for Deno: message passing between tasks.
 *
 * | kind        | producers | consumers | values            | use it for                         |
 * | ----------- | --------- | --------- | ----------------- | ---------------------------------- |
 * | `mpsc`      | many      | one       | a bounded queue   | commands to a task that owns a resource |
 * | `oneshot`   | one       | one       | exactly one       | the reply to one command           |
 * | `broadcast` | many      | many      | every receiver sees every value | pub/sub fan-out    |
 * | `watch`     | many      | many      | the latest only   | shutdown flag, connection state    |
 *
 * Each namespace has a `channel(...)` that returns a `[sender, receiver]`
 * tuple. JavaScript has no `Drop`: every handle is released with `close()`
 * or a `using` declaration, and releasing the last sender is what ends the
 * stream for receivers.
 *
 * @example
 * ```ts
 * import { mpsc, oneshot } from "./mod.ts";
 *
 * type Command = { key: string; reply: oneshot.Sender<string | null> };
 * const [tx, rx] = mpsc.channel<Command>(32);
 *
 * // The manager task owns the resource (here a Map; in the client, the connection).
 * const store = new Map([["hello", "world"]]);
 * const manager = (async () => {
 *   for await (const { key, reply } of rx) reply.send(store.get(key) ?? null);
 * })();
 *
 * // Any task can ask.
 * const [replyTx, replyRx] = oneshot.channel<string | null>();
 * await tx.send({ key: "hello", reply: replyTx });
 * console.log(await replyRx); // "world"
 *
 * tx.close(); // the last sender: the manager's loop ends
 * await manager;
 * ```
 *
 * @module
 */

export * as mpsc from "./mpsc.ts";
export * as oneshot from "./oneshot.ts";
export * as broadcast from "./broadcast.ts";
export * as watch from "./watch.ts";
export { LaggedError, RecvError, SendError } from "./errors.ts";
