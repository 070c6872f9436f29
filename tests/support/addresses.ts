/**
 * The address and reconnection options the client tests share. No side
 * effects on import.
 *
 * @module
 */

/** The `{ hostname, port }` address of a test server on 127.0.0.1. */
export function addr(port: number): { hostname: string; port: number } {
  return { hostname: "127.0.0.1", port };
}

/**
 * Reconnection options for tests that drop connections: retry at once and
 * often, and give up only after a generous limit (a safety net).
 */
export const FAST_RECONNECT: { initialDelay: number; maxDelay: number; maxWait: number } = {
  initialDelay: 5,
  maxDelay: 50,
  maxWait: 10_000,
};
