/**
 * Runtime configuration for CONFIG GET / CONFIG SET: a table of parameters,
 * each with a getter and (when mutable) a setter. Adding a parameter is
 * adding one {@linkcode ConfigParam}.
 *
 * @example
 * ```ts
 * import { Config } from "./config.ts";
 * const config = new Config([{ name: "save", get: () => "" }]);
 * console.log(config.match(new TextEncoder().encode("sa*"))); // [["save", ""]]
 * ```
 *
 * @module
 */

import { globMatch } from "./glob.ts";
import { fromBinary } from "../resp/bytes.ts";

/** One configuration parameter. */
export interface ConfigParam {
  /** Lower-case name, as CONFIG GET prints it. */
  readonly name: string;
  /** Other names accepted by CONFIG GET/SET (e.g. `slaveof` for `replicaof`). */
  readonly aliases?: readonly string[];
  /** The current value, as Redis prints it. */
  get(): string;
  /**
   * Applies a new value; returns an error text (without `ERR `) when the
   * value is invalid. Absent for immutable parameters.
   */
  set?(value: string): string | undefined;
}

/** The parameter table. */
export class Config {
  #params = new Map<string, ConfigParam>();
  #ordered: ConfigParam[] = [];

  /**
   * Creates the table.
   *
   * @param params the initial parameters
   */
  constructor(params: Iterable<ConfigParam> = []) {
    for (const p of params) this.define(p);
  }

  /** Adds (or replaces) a parameter. */
  define(param: ConfigParam): void {
    const old = this.#params.get(param.name);
    if (old) this.#ordered.splice(this.#ordered.indexOf(old), 1);
    this.#ordered.push(param);
    this.#params.set(param.name, param);
    for (const alias of param.aliases ?? []) this.#params.set(alias, param);
  }

  /** The parameter called `name` (any case), if any. */
  get(name: string): ConfigParam | undefined {
    return this.#params.get(name.toLowerCase());
  }

  /** Every parameter once. */
  [Symbol.iterator](): IterableIterator<ConfigParam> {
    return this.#ordered.values();
  }

  /**
   * `[name, value]` of every parameter whose name matches the glob
   * `pattern` (case-insensitive, as CONFIG GET matches).
   */
  match(pattern: Uint8Array): [string, string][] {
    const out: [string, string][] = [];
    for (const p of this.#ordered) {
      if (globMatch(pattern, fromBinary(p.name), true)) out.push([p.name, p.get()]);
    }
    return out;
  }
}
