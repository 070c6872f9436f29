/**
 * Helpers for the client tests (being folded into `helpers.ts` and
 * `support/`): the two targets every suite runs against, and re-exports of
 * the network fakes and waits. No side effects on import.
 *
 * @module
 */

import { HAVE_REDIS, startRedis, startTestServer } from "./helpers.ts";

export { FakeServer, TcpProxy, waitForState } from "./helpers.ts";

/** A server a suite runs against. */
export interface Target {
  /** Its name in test names: `ours` or `redis`. */
  readonly name: "ours" | "redis";
  /** Why the suite is ignored for this target, if it is. */
  readonly ignore: string | undefined;
  /** Starts a private instance. */
  start(): Promise<Instance>;
}

/** A running server instance of a target. */
export interface Instance extends AsyncDisposable {
  /** Its port on 127.0.0.1. */
  readonly port: number;
  /** Stops it. */
  close(): Promise<void>;
}

/** Our server, in-process on a free port. */
export const OURS: Target = {
  name: "ours",
  ignore: undefined,
  start: () => startTestServer(),
};

/** A real redis-server child process on a free port (ignored when not installed). */
export const REDIS: Target = {
  name: "redis",
  ignore: HAVE_REDIS ? undefined : "redis-server is not installed",
  start: () => startRedis(),
};

/** Both targets. */
export const TARGETS: readonly Target[] = [OURS, REDIS];

/**
 * The reason a test is ignored for `target` (only when it is not installed),
 * or undefined when it runs. `_feature` is kept for existing callers: every
 * feature of our server is tested, so a missing one fails the test.
 */
export function lacks(target: Target, _feature?: Feature): string | undefined {
  return target.ignore;
}

/** A test name with the ignore reason appended, so the report says why. */
export function testName(target: Target, what: string, ignore: string | undefined): string {
  return `${target.name}: ${what}${ignore === undefined ? "" : ` (ignored: ${ignore})`}`;
}

/** A feature a test uses (informational: no feature is ever skipped). */
export type Feature = "pubsub" | "hello" | "auth";

/**
 * Registers `fn` as one test per target, each with a private server; a
 * target that is not installed is ignored with the reason in the test name.
 *
 * @example
 * ```ts
 * import { eachTarget } from "./client_helpers.ts";
 * eachTarget("PING", async (_target, port) => {
 *   console.log(port);
 * });
 * ```
 */
export function eachTarget(
  what: string,
  fn: (target: Target, port: number) => Promise<void>,
  ...features: Feature[]
): void {
  for (const target of TARGETS) {
    const ignore = target.ignore;
    void features;
    Deno.test({
      name: testName(target, what, ignore),
      ignore: ignore !== undefined,
      async fn() {
        await using server = await target.start();
        await fn(target, server.port);
      },
    });
  }
}

/** Lets pending I/O callbacks and timers of 0 ms run a few times (being replaced by event waits). */
export async function settle(turns = 10): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise((r) => setTimeout(r, 0));
}
