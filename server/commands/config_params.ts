/**
 * Every configuration parameter of Redis 7.0.15, validated and shown as
 * Redis validates and shows it. The parameters, their defaults, types and
 * ranges come from `config_table.json`, learnt from a real redis-server by
 * `scripts/gen_config.ts`; a {@linkcode Binding} connects a parameter to
 * the server state it acts on. A parameter without a binding is accepted,
 * validated and remembered, and changes nothing.
 *
 * The parsers follow Redis's C code: integers as `string2ll` (no sign `+`,
 * no leading zeros, no spaces), memory values as `memtoull` (digits and an
 * optional `b`/`k`/`kb`/`m`/`mb`/`g`/`gb` unit, saturating and wrapping as
 * 64-bit unsigned arithmetic does), percentages (`maxmemory-clients`)
 * stored negated, booleans and enums case-insensitively, and read back in
 * their canonical spelling (`100mb` as `104857600`, `YES` as `yes`).
 *
 * @example
 * ```ts
 * import { buildParams } from "./config_params.ts";
 * const params = buildParams({});
 * const maxmemory = params.find((p) => p.name === "maxmemory")!;
 * maxmemory.set!("100mb");
 * console.log(maxmemory.get()); // "104857600"
 * console.log(maxmemory.set!("lots")); // "argument must be a memory value"
 * ```
 *
 * @module
 */

import TABLE from "./config_table.json" with { type: "json" };
import type { ConfigParam } from "../config.ts";

/** One parameter as `config_table.json` describes it. */
export interface ParamSpec {
  /** Its name, as CONFIG GET prints it. */
  readonly name: string;
  /** Its other names (`hash-max-ziplist-entries` for `hash-max-listpack-entries`). */
  readonly aliases?: readonly string[];
  /** Redis's default. */
  readonly default: string;
  /** Whether CONFIG SET may change it: `immutable` and `protected` ones are refused. */
  readonly mode: string;
  /** Its value is shown as `(redacted)` in SLOWLOG and MONITOR. */
  readonly sensitive?: boolean;
  /** `bool`, `enum`, `int`, `memory`, `memory-percent`, `string` or `special`. */
  readonly type?: string;
  /** Enum: each accepted word and the word it reads back as. */
  readonly values?: readonly (readonly string[])[];
  /** Numbers: the inclusive range. */
  readonly min?: string;
  readonly max?: string;
  /** Numbers: stored unsigned (a negative value wraps around). */
  readonly unsigned?: boolean;
}

/** Every Redis 7.0.15 parameter, by name (aliases under their main name). */
export const PARAM_SPECS: ReadonlyMap<string, ParamSpec> = new Map(
  (TABLE.params as ParamSpec[]).map((s) => [s.name, s]),
);

/** A valid value (normalized, with its number for numeric types) or Redis's error text. */
export type Validated = { value: string; num?: bigint } | { error: string };

/** What connects a parameter to the server: its live value and what a new value does. */
export interface Binding {
  /** Validation replacing the table's (for Redis's special parameters). */
  readonly validate?: (text: string) => Validated;
  /** The live value (default: the last value set, starting from {@linkcode Binding.initial}). */
  readonly get?: () => string;
  /** The starting value when it differs from Redis's default. */
  readonly initial?: string;
  /** CONFIG SET refuses it although Redis can change it (it cannot change here). */
  readonly immutable?: boolean;
  /** Whether the server acts on it (default: when the binding has `get` or `apply`). */
  readonly acts?: boolean;
  /**
   * Acts on a valid value (normalized, its number, and the text as given);
   * returns an error text to refuse it.
   */
  readonly apply?: (value: string, num: bigint | undefined, text: string) => string | undefined;
}

/** A parameter built by {@linkcode buildParams}: a {@linkcode ConfigParam} with Redis's flags. */
export interface TableParam extends ConfigParam {
  /** CONFIG SET answers `can't set protected config` (Redis: unless `enable-protected-configs`). */
  readonly protected?: boolean;
  /** CONFIG SET's value is shown as `(redacted)` in SLOWLOG and MONITOR. */
  readonly sensitive?: boolean;
  /** Whether the server acts on it (false: accepted and remembered only). */
  readonly bound: boolean;
}

const U64 = 1n << 64n;
const U64_MAX = U64 - 1n;

const UNITS: Record<string, bigint> = {
  "": 1n,
  b: 1n,
  k: 1000n,
  kb: 1024n,
  m: 1000n ** 2n,
  mb: 1024n ** 2n,
  g: 1000n ** 3n,
  gb: 1024n ** 3n,
};

/**
 * Redis's `memtoull`: digits and an optional unit, case-insensitive; an
 * empty number is 0, a number too large saturates at 2^64-1 and the unit's
 * product wraps around 2^64, as in C. Undefined when it is not a memory value.
 *
 * @example
 * ```ts
 * import { memtoull } from "./config_params.ts";
 * console.log(memtoull("1gb"), memtoull("5K"), memtoull("-1")); // 1073741824n 5000n undefined
 * ```
 */
export function memtoull(text: string): bigint | undefined {
  if (text.startsWith("-")) return undefined;
  let u = 0;
  while (u < text.length && text.charCodeAt(u) >= 48 && text.charCodeAt(u) <= 57) u++;
  const mul = UNITS[text.slice(u).toLowerCase()];
  if (mul === undefined || u >= 128) return undefined;
  let val = u === 0 ? 0n : BigInt(text.slice(0, u));
  if (val > U64_MAX) val = U64_MAX; // strtoull saturates
  return (val * mul) % U64;
}

/**
 * Redis's `string2ll`: an optional `-`, then digits without leading zeros
 * (`0` alone is fine), within a signed 64-bit integer. Undefined otherwise.
 *
 * @example
 * ```ts
 * import { string2ll } from "./config_params.ts";
 * console.log(string2ll("-5"), string2ll("05"), string2ll("+5")); // -5n undefined undefined
 * ```
 */
export function string2ll(text: string): bigint | undefined {
  if (!/^(0|-?[1-9][0-9]*)$/.test(text) || text.length > 20) return undefined;
  const v = BigInt(text);
  if (v < -(1n << 63n) || v >= 1n << 63n) return undefined;
  return v;
}

/**
 * Validation of a numeric parameter (`int`, `memory`, `memory-percent`
 * with `min` and `max`), as Redis's numeric configs.
 */
export function numericValidator(spec: ParamSpec): (text: string) => Validated {
  const memoryType = spec.type === "memory" || spec.type === "memory-percent";
  const percent = spec.type === "memory-percent";
  const min = BigInt(spec.min!);
  const max = BigInt(spec.max!);
  const unsigned = spec.unsigned === true || min >= 0n && max > (1n << 63n) - 1n;
  return (text) => {
    let v: bigint | undefined;
    if (memoryType) v = memtoull(text);
    if (v === undefined && percent && text.length > 1 && text.endsWith("%")) {
      const p = string2ll(text.slice(0, -1));
      if (p !== undefined && p >= 0n) v = -p;
    }
    if (v === undefined && !memoryType) v = string2ll(text);
    if (v === undefined) {
      return {
        error: percent
          ? "argument must be a memory or percent value"
          : memoryType
          ? "argument must be a memory value"
          : "argument couldn't be parsed into an integer",
      };
    }
    if (unsigned) {
      const u = BigInt.asUintN(64, v);
      if (u < min || u > max) {
        return { error: `argument must be between ${min} and ${max} inclusive` };
      }
      return { value: String(u), num: u };
    }
    const s = BigInt.asIntN(64, v);
    if (percent && s < 0n) {
      if (s < min) return { error: `percentage argument must be less or equal to ${-min}` };
      return { value: `${-s}%`, num: s };
    }
    if (s < min || s > max) {
      return { error: `argument must be between ${min} and ${max} inclusive` };
    }
    // memory values print unsigned (ull2string), integers signed
    return { value: String(memoryType ? BigInt.asUintN(64, s) : s), num: s };
  };
}

/** Validation by the table's type; undefined for `special` parameters. */
function tableValidation(spec: ParamSpec): ((text: string) => Validated) | undefined {
  switch (spec.type) {
    case "bool":
      return (text) => {
        const t = text.toLowerCase();
        return t === "yes" || t === "no"
          ? { value: t }
          : { error: "argument must be 'yes' or 'no'" };
      };
    case "enum": {
      const values = spec.values!;
      const error = `argument(s) must be one of the following: ${
        values.map((v) => v[0]).join(", ")
      }`;
      return (text) => {
        const t = text.toLowerCase();
        const hit = values.find((v) => v[0] === t);
        return hit === undefined ? { error } : { value: hit[1] };
      };
    }
    case "int":
    case "memory":
    case "memory-percent":
      return numericValidator(spec);
    case "string":
      return (text) => ({ value: text });
  }
  return undefined;
}

/**
 * The parameters of every table entry, each bound as `bindings` say.
 * Special parameters (Redis validates them by hand) need a binding with
 * `validate`, or are accepted as free strings. Aliases are accepted by
 * CONFIG GET/SET under their own names.
 */
export function buildParams(bindings: Readonly<Record<string, Binding>>): TableParam[] {
  const out: TableParam[] = [];
  for (const spec of PARAM_SPECS.values()) {
    const b = bindings[spec.name] ?? {};
    let current = b.initial ?? spec.default;
    const get = b.get ?? (() => current);
    const base = {
      name: spec.name,
      aliases: spec.aliases,
      sensitive: spec.sensitive,
      bound: b.acts ?? (b.get !== undefined || b.apply !== undefined),
      get,
    };
    if (spec.mode !== "mutable" || b.immutable === true) {
      out.push({ ...base, protected: spec.mode === "protected" ? true : undefined });
      continue;
    }
    const validate: (text: string) => Validated = b.validate ?? tableValidation(spec) ??
      ((text: string) => ({ value: text }));
    out.push({
      ...base,
      set(text: string): string | undefined {
        const v = validate(text);
        if ("error" in v) return v.error;
        const err = b.apply?.(v.value, v.num, text);
        if (err !== undefined) return err;
        current = v.value;
        return undefined;
      },
    });
  }
  return out;
}

/**
 * The words of a multi-argument parameter (`save`, `oom-score-adj-values`,
 * `latency-tracking-info-percentiles`) as Redis splits them: at every
 * single space, so two spaces make an empty word; an empty value has none.
 */
export function splitWords(text: string): string[] {
  return text === "" ? [] : text.split(" ");
}

/** C's `strtoll` with a full-match check: leading white space and a sign allowed, saturating. */
function strtollFull(word: string): bigint | undefined {
  const m = /^[ \t\n\v\f\r]*([+-]?)(\d+)$/.exec(word);
  if (m === null) return word === "" ? 0n : undefined;
  let v = BigInt(m[2]);
  if (m[1] === "-") v = -v;
  const lo = -(1n << 63n);
  const hi = (1n << 63n) - 1n;
  return v < lo ? lo : v > hi ? hi : v;
}

/** `save`: pairs of seconds (>= 1) and changes (>= 0), as Redis 7.0 checks them. */
export function validateSave(text: string): Validated {
  const words = splitWords(text);
  if (words.length % 2 === 1) return { error: "Invalid save parameters" };
  const nums: bigint[] = [];
  for (let j = 0; j < words.length; j++) {
    const v = strtollFull(words[j]);
    if (v === undefined || (j % 2 === 0 && v < 1n) || (j % 2 === 1 && v < 0n)) {
      return { error: "Invalid save parameters" };
    }
    nums.push(v);
  }
  return { value: nums.join(" ") };
}

/** `oom-score-adj-values`: three integers from -2000 to 2000. */
export function validateOomScoreAdjValues(text: string): Validated {
  const words = splitWords(text);
  if (words.length !== 3) return { error: "wrong number of arguments" };
  const nums: number[] = [];
  for (const w of words) {
    const v = /^[ \t\n\v\f\r]*[+-]?\d+$/.test(w) ? Number(w) : NaN;
    if (!(v >= -2000 && v <= 2000)) {
      return { error: "Invalid oom-score-adj-values, elements must be between -2000 and 2000." };
    }
    nums.push(v);
  }
  return { value: nums.join(" ") };
}

/** `cluster-announce-hostname`: empty, or letters, digits, `-` and `.`, under 256 characters. */
export function validateHostname(text: string): Validated {
  if (text.length >= 256) return { error: "Hostnames must be less than 256 characters" };
  if (!/^[A-Za-z0-9.-]*$/.test(text)) {
    return { error: "Hostnames may only contain alphanumeric characters, hyphens or dots" };
  }
  return { value: text };
}

const PROC_TITLE_VARIABLES = new Set([
  "title",
  "listen-addr",
  "server-mode",
  "port",
  "tls-port",
  "unixsocket",
  "config-file",
]);

/**
 * `proc-title-template`: Redis expands it with an empty title (`{name}`
 * variables, `{{` for a brace) and refuses it when a variable is unknown
 * or unterminated, or when nothing but spaces remains.
 */
export function procTitleValidator(
  vars: () => Record<string, string>,
): (text: string) => Validated {
  const error = { error: "template format is invalid or contains unknown variables" };
  return (text) => {
    const values = vars();
    let res = "";
    let p = 0;
    while (p < text.length) {
      const sv = text.indexOf("{", p);
      if (sv === -1) {
        res += text.slice(p);
        break;
      }
      res += text.slice(p, sv);
      if (sv + 1 >= text.length) return error;
      if (text[sv + 1] === "{") {
        res += "{";
        p = sv + 2;
        continue;
      }
      const ev = text.indexOf("}", sv + 1);
      if (ev === -1) return error;
      const name = text.slice(sv + 1, ev);
      if (!PROC_TITLE_VARIABLES.has(name)) return error;
      res += name === "title" ? "" : values[name] ?? "";
      p = ev + 1;
    }
    return res.replace(/^ +| +$/g, "") === "" ? error : { value: text };
  };
}

/**
 * Parses a `latency-tracking-info-percentiles` value: numbers from 0 to
 * 100 (`parse` is Redis's `string2d`: no spaces, no NaN), separated by
 * single spaces. Returns the list or Redis's error text.
 */
export function parsePercentiles(
  text: string,
  parse: (bytes: Uint8Array) => number | undefined,
): number[] | string {
  const list: number[] = [];
  for (const w of splitWords(text)) {
    const v = parse(new TextEncoder().encode(w));
    if (v === undefined) return "Invalid latency-tracking-info-percentiles parameters";
    if (!(v >= 0 && v <= 100)) {
      return "latency-tracking-info-percentiles parameters should sit between [0.0,100.0]";
    }
    list.push(v);
  }
  return list;
}

/** A double as C's `%f` with trailing zeros (and a trailing dot) removed: `99.9`, `50`, `100`. */
export function formatPercentile(p: number): string {
  const s = p.toFixed(6);
  return s.includes(".") ? s.replace(/0+$/, "").replace(/\.$/, "") : s;
}
