/**
 * Per-command statistics as Redis 7.0 keeps them for INFO `commandstats`,
 * `errorstats` and `latencystats`: calls, total microseconds, rejected and
 * failed calls per command, error replies counted by their first word
 * (`ERR`, `WRONGTYPE`, ...), and a latency histogram per command from which
 * the percentiles of `latency-tracking-info-percentiles` are read.
 *
 * The histogram is log-linear (128 sub-buckets per power of two of
 * nanoseconds, under 1% error), allocated for a command on its first call.
 *
 * @example
 * ```ts
 * import { CommandStats } from "./stats.ts";
 * const stats = new CommandStats();
 * stats.record("get", 1500, false);
 * console.log(stats.commandLines()); // ["cmdstat_get:calls=1,usec=1,usec_per_call=1.00,..."]
 * ```
 *
 * @module
 */

/** Values below this are counted exactly; above, 64 buckets per power of two (under 1.6% error). */
const LINEAR = 128;
const HALF = 64;
/** Powers of two above {@linkcode LINEAR} covered (nanoseconds up to 2^47, about 39 hours). */
const POWERS = 40;
const SIZE = LINEAR + POWERS * HALF;

/** A latency histogram of nanosecond values (HdrHistogram-like, log-linear). */
class Histogram {
  readonly counts = new Uint32Array(SIZE);
  total = 0;

  record(ns: number): void {
    this.counts[Histogram.index(Math.max(0, Math.floor(ns)))]++;
    this.total++;
  }

  static index(v: number): number {
    if (v < LINEAR) return v;
    const p = Math.floor(Math.log2(v)) - 6; // v / 2^p lies in [64, 128)
    if (p > POWERS) return SIZE - 1;
    const sub = Math.floor(v / 2 ** p);
    return LINEAR + (p - 1) * HALF + (sub - HALF);
  }

  /** The highest value of bucket `i` (as HdrHistogram reports a percentile). */
  static highest(i: number): number {
    if (i < LINEAR) return i;
    const k = i - LINEAR;
    const p = Math.floor(k / HALF) + 1;
    const sub = (k % HALF) + HALF;
    return (sub + 1) * 2 ** p - 1;
  }

  /** The value at `percentile` (0..100). */
  at(percentile: number): number {
    if (this.total === 0) return 0;
    const rank = Math.max(1, Math.ceil((percentile / 100) * this.total));
    let seen = 0;
    for (let i = 0; i < this.counts.length; i++) {
      seen += this.counts[i];
      if (seen >= rank) return Histogram.highest(i);
    }
    return 0;
  }
}

class Entry {
  calls = 0;
  usec = 0;
  rejected = 0;
  failed = 0;
  histogram: Histogram | undefined;
}

/** The statistics behind INFO commandstats, errorstats and latencystats. */
export class CommandStats {
  #commands = new Map<string, Entry>();
  #errors = new Map<string, number>();
  /** Error replies sent (INFO `total_error_replies`). */
  errorReplies = 0;
  /** Commands rejected before running: unknown, wrong arity, refused (INFO `rejected_calls`... per command). */
  rejectedCalls = 0;
  /** Commands that ran and replied an error. */
  failedCalls = 0;
  /** The percentiles INFO latencystats prints (`latency-tracking-info-percentiles`). */
  percentiles: number[] = [50, 99, 99.9];
  /** Whether latency histograms are kept (`latency-tracking`). */
  latencyTracking = true;

  #entry(name: string): Entry {
    let e = this.#commands.get(name);
    if (e === undefined) {
      e = new Entry();
      this.#commands.set(name, e);
    }
    return e;
  }

  /** One executed call of `name` (full name, `config|get`) that took `ns` nanoseconds. */
  record(name: string, ns: number, failed: boolean): void {
    const e = this.#entry(name);
    e.calls++;
    e.usec += ns / 1000;
    if (failed) {
      e.failed++;
      this.failedCalls++;
    }
    if (this.latencyTracking) (e.histogram ??= new Histogram()).record(ns);
  }

  /** A call of `name` refused before it ran (wrong arity, NOAUTH, ...). */
  reject(name: string): void {
    this.#entry(name).rejected++;
    this.rejectedCalls++;
  }

  /** An error reply was sent: counted under its first word (`ERR`, `WRONGTYPE`). */
  error(message: string): void {
    this.errorReplies++;
    const space = message.indexOf(" ");
    const code = space === -1 ? message : message.slice(0, space);
    this.#errors.set(code, (this.#errors.get(code) ?? 0) + 1);
  }

  /** CONFIG RESETSTAT. */
  reset(): void {
    this.#commands.clear();
    this.#errors.clear();
    this.errorReplies = 0;
    this.rejectedCalls = 0;
    this.failedCalls = 0;
  }

  /** INFO commandstats lines (`cmdstat_<name>:calls=..`). */
  commandLines(): string[] {
    const out: string[] = [];
    for (const [name, e] of this.#commands) {
      if (e.calls === 0 && e.rejected === 0 && e.failed === 0) continue;
      const usec = Math.floor(e.usec);
      const per = e.calls === 0 ? 0 : e.usec / e.calls;
      out.push(
        `cmdstat_${name}:calls=${e.calls},usec=${usec},usec_per_call=${
          per.toFixed(2)
        },rejected_calls=${e.rejected},failed_calls=${e.failed}`,
      );
    }
    return out;
  }

  /** INFO errorstats lines (`errorstat_ERR:count=..`). */
  errorLines(): string[] {
    return [...this.#errors].map(([code, n]) => `errorstat_${code}:count=${n}`);
  }

  /** INFO latencystats lines (`latency_percentiles_usec_<name>:p50=..`). */
  latencyLines(): string[] {
    const out: string[] = [];
    for (const [name, e] of this.#commands) {
      const h = e.histogram;
      if (h === undefined || h.total === 0) continue;
      const parts = this.percentiles.map((p) =>
        `p${formatPercentile(p)}=${(h.at(p) / 1000).toFixed(3)}`
      );
      out.push(`latency_percentiles_usec_${name}:${parts.join(",")}`);
    }
    return out;
  }
}

/** A percentile as Redis prints it in a field name: `50`, `99`, `99.9`. */
function formatPercentile(p: number): string {
  return String(Number(p.toFixed(3)));
}
