/**
 * A tiny levelled logger writing one line per message to stderr.
 *
 * @example
 * ```ts
 * import { Logger } from "./log.ts";
 * const log = new Logger("info");
 * log.info("listening on 127.0.0.1:6379");
 * log.debug("not printed at level info");
 * ```
 *
 * @module
 */

/** Log levels, most severe first; `silent` prints nothing. */
export type LogLevel = "silent" | "error" | "warn" | "info" | "debug";

/** Every accepted level name, for argument validation. */
export const LOG_LEVELS: readonly LogLevel[] = ["silent", "error", "warn", "info", "debug"];

const RANK: Record<LogLevel, number> = { silent: 0, error: 1, warn: 2, info: 3, debug: 4 };

/** Where log lines go (default: `console.error`, i.e. stderr). */
export type LogSink = (line: string) => void;

/**
 * Writes `<ISO time> <LEVEL> <message>` lines for messages at or above the
 * configured level.
 */
export class Logger {
  #rank: number;
  #sink: LogSink;

  /**
   * Creates a logger.
   *
   * @param level the most verbose level printed
   * @param sink where lines go (default stderr)
   */
  constructor(level: LogLevel = "info", sink: LogSink = (line) => console.error(line)) {
    this.#rank = RANK[level];
    this.#sink = sink;
  }

  /** Changes the level. */
  set level(level: LogLevel) {
    this.#rank = RANK[level];
  }

  /** Whether messages of `level` are printed (use to skip building costly messages). */
  enabled(level: Exclude<LogLevel, "silent">): boolean {
    return RANK[level] <= this.#rank;
  }

  /** Logs at level error. */
  error(message: string): void {
    if (this.#rank >= 1) this.#write("ERROR", message);
  }

  /** Logs at level warn. */
  warn(message: string): void {
    if (this.#rank >= 2) this.#write("WARN", message);
  }

  /** Logs at level info. */
  info(message: string): void {
    if (this.#rank >= 3) this.#write("INFO", message);
  }

  /** Logs at level debug. */
  debug(message: string): void {
    if (this.#rank >= 4) this.#write("DEBUG", message);
  }

  #write(tag: string, message: string): void {
    this.#sink(`${new Date().toISOString()} ${tag} ${message}`);
  }
}
