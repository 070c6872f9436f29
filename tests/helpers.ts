/**
 * Shared test helpers, one import for every test file: a private in-process
 * server, a raw RESP client that asserts byte for byte, a real
 * `redis-server` for differential tests, one runner for "the same test
 * against both servers", external tools, network fakes and bounded waits.
 *
 * The implementations live in `tests/support/`, one concept per module, and
 * have no side effects on import: nothing is started until a test asks, and
 * every test stops what it started (`await using`). The RESP encoder
 * (`wire.ts`) and reply splitter are deliberately independent of `resp/`, so
 * tests do not verify the codec with itself.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { eachPeer, RawClient, startTestServer } from "./helpers.ts";
 *
 * Deno.test("GET of a missing key", async () => {
 *   await using srv = await startTestServer();
 *   await using c = await RawClient.connect(srv.port);
 *   assert.equal(await c.call("GET", "nokey"), "$-1\r\n");
 * });
 *
 * // once against a real redis-server, once against ours
 * eachPeer("PING answers PONG", async (peer) => {
 *   await using c = await RawClient.connect(peer.port);
 *   assert.equal(await c.call("PING"), "+PONG\r\n");
 * });
 * ```
 *
 * @module
 */

export { type Arg, bulk, cmd, cmds, concat, fromLatin1, int, latin1, mulberry32 } from "./wire.ts";
export { RawClient, type ReadOptions, replyLength, writeAll } from "./support/raw_client.ts";
export { parseReply, type Reply } from "./support/reply.ts";
export {
  bounded,
  Changes,
  type StateWatchable,
  WAIT_LIMIT_MS,
  waitFor,
  waitForState,
} from "./support/wait.ts";
export {
  hasExecutable,
  HAVE_REDIS,
  HAVE_REDIS_BENCHMARK,
  HAVE_REDIS_CLI,
  onPath,
  runTool,
  type RunToolOptions,
  type ToolOutput,
  ToolProcess,
} from "./support/tools.ts";
export {
  freePort,
  REDIS_VERSION_ASSUMED,
  type RedisOptions,
  RedisProcess,
  type ServeProcess,
  type ServeProcessOptions,
  startRedis,
  startServeProcess,
  startTestServer,
  type TestServer,
} from "./support/servers.ts";
export {
  eachPeer,
  type EachPeerOptions,
  type Peer,
  type PeerKind,
  peerName,
  type PeerOptions,
  PEERS,
  startPeer,
} from "./support/peers.ts";
export {
  type FakeOptions,
  type FakeReply,
  FakeServer,
  FullBacklog,
  parseCommand,
  type ProxyEvent,
  TcpProxy,
} from "./support/net_fakes.ts";
export { addr, FAST_RECONNECT } from "./support/addresses.ts";
