/**
 * Bounded waits for tests: every wait here fails with a message after a
 * generous limit instead of hanging CI. The limits are safety nets, never
 * timing assertions: a test waits for an event, and the limit only turns a
 * missing event into a readable failure.
 *
 * No side effects on import.
 *
 * @example
 * ```ts
 * import { bounded, Changes } from "./wait.ts";
 * const changes = new Changes();
 * let n = 0;
 * setTimeout(() => { n = 1; changes.notify(); }, 1);
 * await changes.until(() => n === 1, "n to become 1");
 * console.log(await bounded(Promise.resolve(42), "the answer")); // 42
 * ```
 *
 * @module
 */

/** The default limit of every wait here (ms): generous, so only a hang reaches it. */
export const WAIT_LIMIT_MS = 20_000;

/**
 * Resolves or rejects as `work` does, or rejects with `"<what>: no progress
 * in <ms> ms"` once `ms` have passed (a safety net, not a timing assertion).
 * `what` may be a function, called only then (to describe the state reached).
 *
 * @example
 * ```ts
 * import { bounded } from "./wait.ts";
 * console.log(await bounded(Promise.resolve("ok"), "a reply")); // "ok"
 * ```
 */
export async function bounded<T>(
  work: Promise<T>,
  what: string | (() => string),
  ms: number = WAIT_LIMIT_MS,
): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      work,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          const text = typeof what === "string" ? what : what();
          reject(new Error(`${text}: no progress in ${ms} ms`));
        }, ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Polls `check` every `intervalMs` until it returns true; throws after
 * `timeoutMs`. For waiting on asynchronous effects, never for timing.
 *
 * @example
 * ```ts
 * import { waitFor } from "./wait.ts";
 * let ready = false;
 * setTimeout(() => ready = true, 1);
 * await waitFor(() => ready, { what: "ready" });
 * ```
 */
export async function waitFor(
  check: () => boolean | Promise<boolean>,
  { timeoutMs = WAIT_LIMIT_MS, intervalMs = 10, what = "condition" } = {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`waitFor: ${what} not reached in ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/**
 * Wakes waiters whenever something they watch changes: the owner calls
 * {@linkcode Changes.notify} after each change, waiters call
 * {@linkcode Changes.until} with a condition. No polling, and bounded.
 */
export class Changes {
  #waiters: (() => void)[] = [];

  /** Wakes every waiter so it checks its condition again. */
  notify(): void {
    const w = this.#waiters;
    this.#waiters = [];
    for (const f of w) f();
  }

  /**
   * Resolves once `check()` holds (checked now and after every
   * {@linkcode Changes.notify}); rejects with `what` in the message after
   * `timeoutMs`.
   */
  until(check: () => boolean, what: string, timeoutMs: number = WAIT_LIMIT_MS): Promise<void> {
    if (check()) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((w) => w !== wake);
        reject(new Error(`gave up waiting for ${what} after ${timeoutMs} ms`));
      }, timeoutMs);
      const wake = () => {
        if (check()) {
          clearTimeout(timer);
          resolve();
        } else {
          this.#waiters.push(wake);
        }
      };
      this.#waiters.push(wake);
    });
  }
}

/** What {@linkcode waitForState} needs of a client: its state as a `watch` channel. */
export interface StateWatchable {
  /** A new receiver of the state channel. */
  watchState(): { borrow(): string; changed(): Promise<void>; close(): void };
}

/**
 * Waits until a client's (or subscriber's) `watch` channel of states shows
 * `state`; rejects after `timeoutMs` with the states seen meanwhile.
 *
 * @example
 * ```ts ignore
 * import { waitForState } from "./wait.ts";
 * await waitForState(client, "reconnecting");
 * ```
 */
export async function waitForState(
  client: StateWatchable,
  state: string,
  timeoutMs: number = WAIT_LIMIT_MS,
): Promise<void> {
  const rx = client.watchState();
  const seen = [rx.borrow()];
  try {
    await bounded(
      (async () => {
        while (rx.borrow() !== state) {
          await rx.changed();
          seen.push(rx.borrow());
        }
      })(),
      () => `waiting for state "${state}" (seen: ${seen.join(" -> ")})`,
      timeoutMs,
    );
  } finally {
    rx.close();
  }
}
