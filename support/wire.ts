/**
 * Pure test helpers with no I/O and no project imports: RESP request
 * builders, byte/latin1 conversions, expected-reply builders and a seeded
 * PRNG. Re-exported by `tests/helpers.ts`; codec tests and benchmarks
 * import this module directly so they depend on nothing else.
 *
 * The encoder here is deliberately independent of `resp/`, so tests do not
 * verify the codec with itself.
 *
 * @example
 * ```ts
 * import { bulk, cmd, latin1, mulberry32 } from "./wire.ts";
 * console.log(latin1(cmd("GET", "k"))); // "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n"
 * console.log(bulk("v")); // "$1\r\nv\r\n"
 * console.log(mulberry32(42)() === mulberry32(42)()); // true
 * ```
 *
 * @module
 */

/** An argument of {@linkcode cmd}: strings are UTF-8, numbers decimal. */
export type Arg = string | Uint8Array | number | bigint;

const enc = new TextEncoder();

function argBytes(a: Arg): Uint8Array {
  return a instanceof Uint8Array ? a : enc.encode(String(a));
}

/**
 * Encodes one or more commands as RESP multibulk bytes.
 *
 * @example
 * ```ts
 * import { cmd } from "./wire.ts";
 * console.log(new TextDecoder().decode(cmd("GET", "k"))); // "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n"
 * ```
 */
export function cmd(...args: Arg[]): Uint8Array {
  const parts: Uint8Array[] = [enc.encode(`*${args.length}\r\n`)];
  for (const a of args) {
    const b = argBytes(a);
    parts.push(enc.encode(`$${b.length}\r\n`), b, enc.encode("\r\n"));
  }
  return concat(parts);
}

/** Encodes several commands back to back (one pipeline). */
export function cmds(commands: readonly (readonly Arg[])[]): Uint8Array {
  return concat(commands.map((c) => cmd(...c)));
}

/** Concatenates byte arrays. */
export function concat(parts: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/** Bytes as a one-char-per-byte ("latin1") string, handy for byte-exact asserts. */
export function latin1(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 8192) {
    s += String.fromCharCode(...bytes.subarray(i, i + 8192));
  }
  return s;
}

/** The inverse of {@linkcode latin1}. */
export function fromLatin1(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}

/**
 * The raw bulk-string reply of `s` as a latin1 string (one char per byte,
 * as `RawClient` returns replies); `null` gives the RESP2 null bulk.
 *
 * @example
 * ```ts
 * import { bulk } from "./wire.ts";
 * console.log(bulk("v") === "$1\r\nv\r\n", bulk(null) === "$-1\r\n"); // true true
 * ```
 */
export function bulk(s: string | null): string {
  return s === null ? "$-1\r\n" : `$${s.length}\r\n${s}\r\n`;
}

/** The raw integer reply of `n`, e.g. `int(1) === ":1\r\n"`. */
export function int(n: number | bigint | string): string {
  return `:${n}\r\n`;
}

/**
 * mulberry32: a tiny seeded PRNG returning floats in [0, 1), for
 * reproducible randomised tests.
 *
 * @example
 * ```ts
 * import { mulberry32 } from "./wire.ts";
 * const rnd = mulberry32(42);
 * console.log(rnd() === mulberry32(42)()); // true
 * ```
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
