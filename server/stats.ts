/**
 * Per-command statistics as Redis 7.0 keeps them for INFO `commandstats`,
 * `errorstats` and `latencystats`: calls, total microseconds, rejected and
 * failed calls per command, error replies counted by their first word
 * (`ERR`, `WRONGTYPE`, ...), and a latency histogram per command from which
 * the percentiles of `latency-tracking-info-percentiles` are read.
 *
 * The histograms have the layout of Redis's HdrHistogram (2 significant
 * figures: values below 256 ns exact, then 128 buckets per power of two, up
 * to 1 second; a value is clamped into 1 ns .. 1 s, as Redis records it),
 * so percentiles and LATENCY HISTOGRAM buckets are the values Redis would
 * report. A command's histogram is allocated on its first call.
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

/** Values below this are counted exactly (HdrHistogram's sub-bucket count for 2 significant figures). */
const SUB_BUCKETS = 256;
/** Buckets per power of two above {@linkcode SUB_BUCKETS}. */
const HALF = 128;
/** Largest value recorded (Redis's `LATENCY_HISTOGRAM_MAX_VALUE`: 1 s in ns). */
const MAX_VALUE = 1_000_000_000;
/** Powers of two above {@linkcode SUB_BUCKETS} up to {@linkcode MAX_VALUE}. */
const POWERS = Math.ceil(Math.log2(MAX_VALUE)) - 7;
const SIZE = SUB_BUCKETS + POWERS * HALF;

/** A latency histogram of nanosecond values, laid out as Redis's HdrHistogram. */
export class Histogram {
  /** Counts per bucket. */
  readonly counts: Uint32Array = new Uint32Array(SIZE);
  /** Values recorded. */
  total = 0;

  /** Records one value (clamped into 1 ns .. 1 s, as Redis does). */
  record(ns: number): void {
    const v = ns < 1 ? 1 : ns > MAX_VALUE ? MAX_VALUE : Math.floor(ns);
    this.counts[Histogram.index(v)]++;
    this.total++;
  }

  /** The bucket of a value. */
  static index(v: number): number {
    if (v < SUB_BUCKETS) return v;
    const m = Math.floor(Math.log2(v)); // v lies in [2^m, 2^(m+1)), m >= 8
    const width = 2 ** (m - 7);
    return SUB_BUCKETS + (m - 8) * HALF + Math.floor((v - 2 ** m) / width);
  }

  /** The lowest value of bucket `i`. */
  static lowest(i: number): number {
    if (i < SUB_BUCKETS) return i;
    const k = i - SUB_BUCKETS;
    const m = Math.floor(k / HALF) + 8;
    return 2 ** m + (k % HALF) * 2 ** (m - 7);
  }

  /** The highest value of bucket `i` (HdrHistogram's highest equivalent value). */
  static highest(i: number): number {
    if (i < SUB_BUCKETS) return i;
    const m = Math.floor((i - SUB_BUCKETS) / HALF) + 8;
    return Histogram.lowest(i) + 2 ** (m - 7) - 1;
  }

  /** The value at `percentile` (0..100), as `hdr_value_at_percentile`. */
  at(percentile: number): number {
    if (this.total === 0) return 0;
    const p = percentile < 100 ? percentile : 100;
    const rank = Math.max(1, Math.floor((p / 100) * this.total + 0.5));
    let seen = 0;
    for (let i = 0; i < this.counts.length; i++) {
      seen += this.counts[i];
      if (seen >= rank) return percentile === 0 ? Histogram.lowest(i) : Histogram.highest(i);
    }
    return 0;
  }

  /**
   * LATENCY HISTOGRAM's cumulative distribution: for each power of two of
   * nanoseconds from 1024 (HdrHistogram's logarithmic iteration), the
   * bucket's highest value in whole microseconds and the number of values
   * up to it, where that number grew.
   */
  cumulative(): [number, number][] {
    const out: [number, number][] = [];
    let seen = 0;
    let previous = 0;
    let i = 0;
    for (let level = 1024; seen < this.total; level *= 2) {
      const last = Histogram.index(Math.min(level, MAX_VALUE));
      for (; i <= last; i++) seen += this.counts[i];
      if (seen > previous) out.push([Math.floor(Histogram.highest(last) / 1000), seen]);
      previous = seen;
      if (level >= MAX_VALUE) break;
    }
    return out;
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

  /**
   * A call of `name` run by EXEC: counted without a time of its own (the
   * time is EXEC's).
   */
  countCall(name: string, failed: boolean): void {
    const e = this.#entry(name);
    e.calls++;
    if (failed) {
      e.failed++;
      this.failedCalls++;
    }
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

  /** The latency histogram of a command (full name), if it has recorded calls. */
  histogramOf(name: string): Histogram | undefined {
    const h = this.#commands.get(name)?.histogram;
    return h !== undefined && h.total > 0 ? h : undefined;
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

/** A percentile as Redis prints it in a field name: C's `%f` without trailing zeros (`99.9`). */
function formatPercentile(p: number): string {
  const s = p.toFixed(6);
  return s.includes(".") ? s.replace(/0+$/, "").replace(/\.$/, "") : s;
}
