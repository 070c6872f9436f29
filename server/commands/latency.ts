/**
 * The latency monitor and LATENCY LATEST, HISTORY, RESET, DOCTOR, GRAPH,
 * HISTOGRAM and HELP, as Redis 7.0.15 answers them.
 *
 * With `latency-monitor-threshold` above 0, every command that takes at
 * least that many milliseconds adds a sample to the `command` event (or
 * `fast-command` for a command flagged `fast`): one sample per second (the
 * highest), the last 160 seconds kept, plus the all-time maximum. DOCTOR
 * prints Redis's report and advice, GRAPH Redis's ASCII sparkline.
 * HISTOGRAM prints the per-command latency distribution that INFO
 * latencystats summarises.
 *
 * @example
 * ```ts
 * import { LatencyMonitor } from "./latency.ts";
 * const m = new LatencyMonitor();
 * m.thresholdMs = 1;
 * m.addSampleIfNeeded("command", 20);
 * console.log(m.latest()[0]); // ["command", <unix time>, 20, 20]
 * ```
 *
 * @module
 */

import { type Frame, RespMap, SimpleString, VerbatimString } from "../../resp/frame.ts";
import { toBinary, utf8 } from "../../resp/bytes.ts";
import type { Context, HandlerMap, ResolvedCommand } from "../command.ts";
import { cText, formatError } from "../args.ts";

/** Samples kept per event (Redis's `LATENCY_TS_LEN`). */
const TS_LEN = 160;

/** One event's time series. */
class TimeSeries {
  readonly time = new Array<number>(TS_LEN).fill(0);
  readonly latency = new Array<number>(TS_LEN).fill(0);
  idx = 0;
  max = 0;
}

/** The latency events of one server. */
export class LatencyMonitor {
  readonly #events = new Map<string, TimeSeries>();
  /** `latency-monitor-threshold` in milliseconds; 0 disables the monitor. */
  thresholdMs = 0;

  /** Adds a sample to `event` when `ms` reaches the threshold (Redis's `latencyAddSampleIfNeeded`). */
  addSampleIfNeeded(event: string, ms: number): void {
    if (this.thresholdMs !== 0 && ms >= this.thresholdMs) this.addSample(event, ms);
  }

  /** Adds a sample (Redis's `latencyAddSample`): one per second, the highest. */
  addSample(event: string, ms: number, now = Math.floor(Date.now() / 1000)): void {
    let ts = this.#events.get(event);
    if (ts === undefined) {
      ts = new TimeSeries();
      this.#events.set(event, ts);
    }
    if (ms > ts.max) ts.max = ms;
    const prev = (ts.idx + TS_LEN - 1) % TS_LEN;
    if (ts.time[prev] === now) {
      if (ms > ts.latency[prev]) ts.latency[prev] = ms;
      return;
    }
    ts.time[ts.idx] = now;
    ts.latency[ts.idx] = ms;
    ts.idx = (ts.idx + 1) % TS_LEN;
  }

  /** Forgets `event` (any case), or every event; returns how many were forgotten. */
  reset(event?: string): number {
    let n = 0;
    for (const name of [...this.#events.keys()]) {
      if (event === undefined || name.toLowerCase() === event.toLowerCase()) {
        this.#events.delete(name);
        n++;
      }
    }
    return n;
  }

  /** LATENCY LATEST: `[event, time, latest ms, max ms]` per event. */
  latest(): Frame[] {
    const out: Frame[] = [];
    for (const [name, ts] of this.#events) {
      const last = (ts.idx + TS_LEN - 1) % TS_LEN;
      out.push([name, ts.time[last], ts.latency[last], ts.max]);
    }
    return out;
  }

  /** LATENCY HISTORY: `[time, ms]` per sample, oldest first. */
  history(event: string): Frame[] {
    const ts = this.#events.get(event);
    if (ts === undefined) return [];
    const out: Frame[] = [];
    for (let j = 0; j < TS_LEN; j++) {
      const i = (ts.idx + j) % TS_LEN;
      if (ts.time[i] !== 0) out.push([ts.time[i], ts.latency[i]]);
    }
    return out;
  }

  /** LATENCY GRAPH's text (Redis's `latencyCommandGenSparkeline`), or undefined without samples. */
  graph(event: string, now = Math.floor(Date.now() / 1000)): string | undefined {
    const ts = this.#events.get(event);
    if (ts === undefined) return undefined;
    const values: number[] = [];
    const labels: string[] = [];
    let min = 0;
    let max = 0;
    for (let j = 0; j < TS_LEN; j++) {
      const i = (ts.idx + j) % TS_LEN;
      if (ts.time[i] === 0) continue;
      const v = ts.latency[i];
      if (values.length === 0) min = max = v;
      else {
        if (v > max) max = v;
        if (v < min) min = v;
      }
      const elapsed = now - ts.time[i];
      labels.push(
        elapsed < 60
          ? `${elapsed}s`
          : elapsed < 3600
          ? `${Math.trunc(elapsed / 60)}m`
          : elapsed < 86400
          ? `${Math.trunc(elapsed / 3600)}h`
          : `${Math.trunc(elapsed / 86400)}d`,
      );
      values.push(v);
    }
    return `${event} - high ${max} ms, low ${min} ms (all time high ${ts.max} ms)\n` +
      "-".repeat(80) + "\n" + sparkline(values, labels, 80, 4);
  }

  /**
   * LATENCY DOCTOR's report (Redis's `createLatencyReport`) for the
   * events this server records (`command`, `fast-command`).
   */
  doctor(settings: { slowlogSlowerThanUs: number }): string {
    if (this.#events.size === 0 && this.thresholdMs === 0) {
      return "I'm sorry, Dave, I can't do that. Latency monitoring is disabled in this Redis instance. You may use \"CONFIG SET latency-monitor-threshold <milliseconds>.\" in order to enable it. If we weren't in a deep space mission I'd suggest to take a look at https://redis.io/topics/latency-monitor.\n";
    }
    let report = "";
    let eventnum = 0;
    let advices = 0;
    let slowlogEnabled = false;
    let slowlogTuning = false;
    let slowlogInspect = false;
    let scheduler = false;
    let largeObjects = false;
    const now = Math.floor(Date.now() / 1000);
    for (const [event, ts] of this.#events) {
      eventnum++;
      if (eventnum === 1) {
        report +=
          "Dave, I have observed latency spikes in this Redis instance. You don't mind talking about it, do you Dave?\n\n";
      }
      const s = analyze(ts, now);
      report +=
        `${eventnum}. ${event}: ${s.samples} latency spikes (average ${s.avg}ms, mean deviation ${s.mad}ms, period ${
          (s.period / s.samples).toFixed(2)
        } sec). Worst all time event ${ts.max}ms.`;
      if (event.toLowerCase() === "command") {
        if (settings.slowlogSlowerThanUs < 0) {
          slowlogEnabled = true;
          advices++;
        } else if (Math.trunc(settings.slowlogSlowerThanUs / 1000) > this.thresholdMs) {
          slowlogTuning = true;
          advices++;
        }
        slowlogInspect = true;
        largeObjects = true;
        advices += 2;
      }
      if (event.toLowerCase() === "fast-command") {
        scheduler = true;
        advices++;
      }
      report += "\n";
    }
    if (eventnum === 0 && advices === 0) {
      return report +
        "Dave, no latency spike was observed during the lifetime of this Redis instance, not in the slightest bit. I honestly think you ought to sit down calmly, take a stress pill, and think things over.\n";
    }
    if (eventnum > 0 && advices === 0) {
      return report +
        "\nWhile there are latency events logged, I'm not able to suggest any easy fix. Please use the Redis community to get some help, providing this report in your help request.\n";
    }
    report += "\nI have a few advices for you:\n\n";
    const threshold = this.thresholdMs * 1000;
    if (slowlogEnabled) {
      report +=
        `- There are latency issues with potentially slow commands you are using. Try to enable the Slow Log Redis feature using the command 'CONFIG SET slowlog-log-slower-than ${threshold}'. If the Slow log is disabled Redis is not able to log slow commands execution for you.\n`;
    }
    if (slowlogTuning) {
      report +=
        `- Your current Slow Log configuration only logs events that are slower than your configured latency monitor threshold. Please use 'CONFIG SET slowlog-log-slower-than ${threshold}'.\n`;
    }
    if (slowlogInspect) {
      report +=
        "- Check your Slow Log to understand what are the commands you are running which are too slow to execute. Please check https://redis.io/commands/slowlog for more information.\n";
    }
    if (scheduler) {
      report +=
        "- The system is slow to execute Redis code paths not containing system calls. This usually means the system does not provide Redis CPU time to run for long periods. You should try to:\n" +
        "  1) Lower the system load.\n" +
        "  2) Use a computer / VM just for Redis if you are running other software in the same system.\n" +
        '  3) Check if you have a "noisy neighbour" problem.\n' +
        "  4) Check with 'redis-cli --intrinsic-latency 100' what is the intrinsic latency in your system.\n" +
        "  5) Check if the problem is allocator-related by recompiling Redis with MALLOC=libc, if you are using Jemalloc. However this may create fragmentation problems.\n";
    }
    if (largeObjects) {
      report +=
        "- Deleting, expiring or evicting (because of maxmemory policy) large objects is a blocking operation. If you have very large objects that are often deleted, expired, or evicted, try to fragment those objects into multiple smaller objects.\n";
    }
    return report;
  }
}

/** Redis's `analyzeLatencyForEvent`: samples, integer average and mean deviation, period. */
function analyze(ts: TimeSeries, now: number) {
  let samples = 0;
  let sum = 0;
  let oldest = 0;
  for (let j = 0; j < TS_LEN; j++) {
    if (ts.time[j] === 0) continue;
    samples++;
    sum += ts.latency[j];
    if (oldest === 0 || ts.time[j] < oldest) oldest = ts.time[j];
  }
  let avg = 0;
  let period = 0;
  if (samples > 0) {
    avg = Math.trunc(sum / samples);
    period = now - oldest;
    if (period === 0) period = 1;
  }
  let dev = 0;
  for (let j = 0; j < TS_LEN; j++) {
    if (ts.time[j] !== 0) dev += Math.abs(avg - ts.latency[j]);
  }
  return { samples, avg, mad: samples > 0 ? Math.trunc(dev / samples) : 0, period };
}

/**
 * Redis's `sparklineRender` with `SPARKLINE_FILL`: `rows` rows of `_o#|`
 * per column (`columns` samples per block), a blank line, then each
 * sample's label written downwards.
 */
export function sparkline(
  values: readonly number[],
  labels: readonly string[],
  columns: number,
  rows: number,
): string {
  let min = 0;
  let max = 0;
  values.forEach((v, i) => {
    if (i === 0) min = max = v;
    else if (v < min) min = v;
    else if (v > max) max = v;
  });
  const charset = "_o#";
  const steps = charset.length * rows;
  const relmax = max - min === 0 ? 1 : max - min;
  let out = "";
  for (let off = 0; off < values.length; off += columns) {
    if (off !== 0) out += "\n";
    const len = Math.min(columns, values.length - off);
    let row = 0;
    for (let loop = true; loop;) {
      loop = false;
      const chars = new Array<string>(len).fill(" ");
      for (let j = 0; j < len; j++) {
        const relval = values[off + j] - min;
        let step = Math.trunc(Math.trunc(relval * steps) / relmax);
        if (step < 0) step = 0;
        if (step >= steps) step = steps - 1;
        if (row < rows) {
          const idx = step - (rows - row - 1) * charset.length;
          loop = true;
          if (idx >= 0 && idx < charset.length) chars[j] = charset[idx];
          else if (idx >= charset.length) chars[j] = "|";
        } else {
          if (labels.length > 0 && row - rows < 1) {
            loop = true;
            chars.fill(" ");
            break;
          }
          const label = labels[off + j] ?? "";
          const at = row - rows - 1;
          if (label.length > at) {
            loop = true;
            chars[j] = label[at];
          }
        }
      }
      if (loop) {
        row++;
        out += chars.join("") + "\n";
      }
    }
  }
  return out;
}

const LATENCY_HELP = [
  "LATENCY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
  "DOCTOR",
  "    Return a human readable latency analysis report.",
  "GRAPH <event>",
  "    Return an ASCII latency graph for the <event> class.",
  "HISTORY <event>",
  "    Return time-latency samples for the <event> class.",
  "LATEST",
  "    Return the latest latency samples for all events.",
  "RESET [<event> ...]",
  "    Reset latency data of one or more <event> classes.",
  "    (default: reset all data for all event classes)",
  "HISTOGRAM [COMMAND ...]",
  "    Return a cumulative distribution of latencies in the format of a histogram for the specified command names.",
  "    If no commands are specified then all histograms are replied.",
  "HELP",
  "    Prints this help.",
].map((line) => new SimpleString(line));

/** LATENCY HISTOGRAM's entry of one command: calls and the cumulative distribution. */
function histogramEntry(ctx: Context, cmd: ResolvedCommand, out: [Frame, Frame][]): void {
  const h = ctx.server.commandStats.histogramOf(cmd.fullName);
  if (h !== undefined) {
    const buckets: [Frame, Frame][] = h.cumulative().map(([us, n]) => [us, n]);
    out.push([
      cmd.fullName,
      new RespMap([["calls", h.total], ["histogram_usec", new RespMap(buckets)]]),
    ]);
  }
}

/** The LATENCY family, given a way to find a server's monitor and the settings DOCTOR reads. */
export function latencyHandlers(
  monitorOf: (server: Context["server"]) => LatencyMonitor,
  doctorSettings: (server: Context["server"]) => { slowlogSlowerThanUs: number },
): HandlerMap {
  const text = (s: string) => new VerbatimString("txt", utf8(s));
  return {
    "latency|latest": (ctx) => monitorOf(ctx.server).latest(),
    "latency|history": (ctx, args) => monitorOf(ctx.server).history(toBinary(args[2])),
    "latency|reset": (ctx, args) => {
      const m = monitorOf(ctx.server);
      if (args.length === 2) return m.reset();
      let n = 0;
      for (let j = 2; j < args.length; j++) n += m.reset(toBinary(args[j]));
      return n;
    },
    "latency|doctor": (ctx) => text(monitorOf(ctx.server).doctor(doctorSettings(ctx.server))),
    "latency|graph": (ctx, args) => {
      const g = monitorOf(ctx.server).graph(toBinary(args[2]));
      if (g === undefined) {
        return formatError(`ERR No samples available for event '${cText(args[2])}'`);
      }
      return text(g);
    },
    "latency|histogram": (ctx, args) => {
      const table = ctx.server.commands;
      const out: [Frame, Frame][] = [];
      if (args.length === 2) {
        for (const cmd of table) {
          histogramEntry(ctx, cmd, out);
          for (const sub of cmd.subcommandMap?.values() ?? []) histogramEntry(ctx, sub, out);
        }
      } else {
        for (let j = 2; j < args.length; j++) {
          const name = toBinary(args[j]).toLowerCase();
          const bar = name.indexOf("|");
          const cmd = bar === -1
            ? table.get(name)
            : table.get(name.slice(0, bar))?.subcommandMap?.get(name.slice(bar + 1));
          if (cmd === undefined) continue;
          histogramEntry(ctx, cmd, out);
          for (const sub of cmd.subcommandMap?.values() ?? []) histogramEntry(ctx, sub, out);
        }
      }
      return new RespMap(out);
    },
    "latency|help": () => LATENCY_HELP,
  };
}
