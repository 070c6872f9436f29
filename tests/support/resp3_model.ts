/**
 * An independent model of RESP3 for the codec fuzz tests: every RESP2 and
 * RESP3 type as plain tagged data ({@linkcode Model}), a writer of the wire
 * bytes for a model ({@linkcode writeModel}), a reference reader of wire
 * bytes ({@linkcode readModels}) and a seeded generator of random models
 * ({@linkcode randomModel}). Written from the RESP3 specification, sharing
 * nothing with `resp/`, so the project's codec is checked against something
 * other than itself. No side effects on import.
 *
 * Nulls are one kind (`_`, `$-1` and `*-1` all mean "null" to a client),
 * and a double is kept as its canonical text (`inf`, `-inf`, `nan`, `-0`,
 * or JavaScript's shortest form), so equal values compare equal however
 * they were written.
 *
 * @example
 * ```ts
 * import { readModels, writeModel } from "./resp3_model.ts";
 * const wire = writeModel({ t: "map", entries: [[{ t: "simple", v: "a" }, { t: "int", v: "1" }]] });
 * console.log(wire); // "%1\r\n+a\r\n:1\r\n"
 * console.log(readModels(wire)[0].t); // "map"
 * ```
 *
 * @module
 */

/** One RESP value as plain data. Strings of bytes are latin1 (one char per byte). */
export type Model =
  | { t: "bulk"; v: string }
  | { t: "simple"; v: string }
  | { t: "error"; v: string }
  | { t: "blobError"; v: string }
  | { t: "int"; v: string }
  | { t: "double"; v: string }
  | { t: "bool"; v: boolean }
  | { t: "null" }
  | { t: "bignum"; v: string }
  | { t: "verbatim"; format: string; v: string }
  | { t: "array"; items: Model[] }
  | { t: "set"; items: Model[] }
  | { t: "push"; items: Model[] }
  | { t: "map"; entries: [Model, Model][] }
  | { t: "attr"; entries: [Model, Model][]; value: Model };

/** The canonical text of a double (see the module documentation). */
export function canonicalDouble(d: number): string {
  if (d === Infinity) return "inf";
  if (d === -Infinity) return "-inf";
  if (d !== d) return "nan";
  if (d === 0 && 1 / d < 0) return "-0";
  return String(d);
}

/** Byte length of a latin1 string: its length. */
function len(s: string): number {
  return s.length;
}

/**
 * The RESP3 wire bytes of `m`, as a latin1 string. `doubleText` and
 * `nullForm` let a caller pick among the valid spellings of a value.
 */
export function writeModel(
  m: Model,
  spell: { double?: (canonical: string) => string; null?: () => string } = {},
): string {
  switch (m.t) {
    case "bulk":
      return `$${len(m.v)}\r\n${m.v}\r\n`;
    case "simple":
      return `+${m.v}\r\n`;
    case "error":
      return `-${m.v}\r\n`;
    case "blobError":
      return `!${len(m.v)}\r\n${m.v}\r\n`;
    case "int":
      return `:${m.v}\r\n`;
    case "double":
      return `,${spell.double ? spell.double(m.v) : m.v}\r\n`;
    case "bool":
      return `#${m.v ? "t" : "f"}\r\n`;
    case "null":
      return spell.null ? spell.null() : "_\r\n";
    case "bignum":
      return `(${m.v}\r\n`;
    case "verbatim":
      return `=${len(m.v) + 4}\r\n${m.format}:${m.v}\r\n`;
    case "array":
    case "set":
    case "push": {
      const head = { array: "*", set: "~", push: ">" }[m.t];
      return `${head}${m.items.length}\r\n` + m.items.map((i) => writeModel(i, spell)).join("");
    }
    case "map":
      return `%${m.entries.length}\r\n` +
        m.entries.map(([k, v]) => writeModel(k, spell) + writeModel(v, spell)).join("");
    case "attr":
      return `|${m.entries.length}\r\n` +
        m.entries.map(([k, v]) => writeModel(k, spell) + writeModel(v, spell)).join("") +
        writeModel(m.value, spell);
  }
}

/**
 * Reads every complete RESP value in `wire` (a latin1 string) with a
 * straightforward recursive reader; throws on anything malformed or on
 * trailing bytes that do not form a value.
 */
export function readModels(wire: string): Model[] {
  let pos = 0;
  const fail = (why: string): never => {
    throw new Error(`readModels: ${why} at byte ${pos}`);
  };
  const line = (): string => {
    const end = wire.indexOf("\r\n", pos);
    if (end === -1) fail("no CRLF");
    const s = wire.slice(pos, end);
    pos = end + 2;
    return s;
  };
  const count = (s: string): number => {
    if (!/^(0|[1-9][0-9]*)$/.test(s)) fail(`bad length ${JSON.stringify(s)}`);
    return Number(s);
  };
  const blob = (n: number): string => {
    if (wire.length < pos + n + 2 || wire.slice(pos + n, pos + n + 2) !== "\r\n") fail("bad blob");
    const s = wire.slice(pos, pos + n);
    pos += n + 2;
    return s;
  };
  const value = (): Model => {
    const type = wire[pos++];
    const head = line();
    switch (type) {
      case "$":
        return head === "-1" ? { t: "null" } : { t: "bulk", v: blob(count(head)) };
      case "!":
        return { t: "blobError", v: blob(count(head)) };
      case "=": {
        const s = blob(count(head));
        if (s.length < 4 || s[3] !== ":") fail("bad verbatim string");
        return { t: "verbatim", format: s.slice(0, 3), v: s.slice(4) };
      }
      case "+":
        return { t: "simple", v: head };
      case "-":
        return { t: "error", v: head };
      case ":":
        if (!/^-?[0-9]+$/.test(head)) fail("bad integer");
        return { t: "int", v: BigInt(head).toString() };
      case "(":
        if (!/^-?[0-9]+$/.test(head)) fail("bad big number");
        return { t: "bignum", v: BigInt(head).toString() };
      case ",": {
        const lower = head.toLowerCase();
        if (lower === "inf" || lower === "+inf") return { t: "double", v: "inf" };
        if (lower === "-inf") return { t: "double", v: "-inf" };
        if (lower === "nan" || lower === "-nan") return { t: "double", v: "nan" };
        if (!/^[-+]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]+)?$/.test(head)) {
          fail("bad double");
        }
        return { t: "double", v: canonicalDouble(Number(head)) };
      }
      case "#":
        if (head !== "t" && head !== "f") fail("bad boolean");
        return { t: "bool", v: head === "t" };
      case "_":
        if (head !== "") fail("bad null");
        return { t: "null" };
      case "*":
      case "~":
      case ">": {
        if (type === "*" && head === "-1") return { t: "null" };
        const items = Array.from({ length: count(head) }, value);
        return type === "*"
          ? { t: "array", items }
          : type === "~"
          ? { t: "set", items }
          : { t: "push", items };
      }
      case "%":
      case "|": {
        const n = count(head);
        const entries: [Model, Model][] = [];
        for (let i = 0; i < n; i++) entries.push([value(), value()]);
        return type === "%" ? { t: "map", entries } : { t: "attr", entries, value: value() };
      }
      default:
        return fail(`bad type byte ${JSON.stringify(type)}`);
    }
  };
  const out: Model[] = [];
  while (pos < wire.length) out.push(value());
  return out;
}

const PRINTABLE = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 _-:.*?()[]{}";

/** `n` random printable ASCII chars (safe in simple strings and errors). */
function text(rnd: () => number, n: number): string {
  let s = "";
  for (let i = 0; i < n; i++) s += PRINTABLE[Math.floor(rnd() * PRINTABLE.length)];
  return s;
}

/** `n` random bytes as latin1. */
function bytes(rnd: () => number, n: number): string {
  let s = "";
  for (let i = 0; i < n; i++) s += String.fromCharCode(Math.floor(rnd() * 256));
  return s;
}

const DOUBLES = [0, -0, 1, -1, 1.5, -2.25, 3.141592653589793, 1e300, -1e-300, 5e-324, 2 ** 53];

/**
 * A random model of any RESP3 type; aggregates nest up to depth 4. Push
 * frames appear only at the top (`depth` 0), as servers send them.
 */
export function randomModel(rnd: () => number, depth = 0): Model {
  const pick = Math.floor(rnd() * (depth >= 4 ? 11 : 16));
  const small = () => (rnd() < 0.9 ? Math.floor(rnd() * 40) : Math.floor(rnd() * 5000));
  switch (pick) {
    case 0:
      return { t: "bulk", v: bytes(rnd, small()) };
    case 1:
      return { t: "simple", v: text(rnd, Math.floor(rnd() * 20)) };
    case 2:
      return {
        t: rnd() < 0.5 ? "error" : "blobError",
        v: "ERR " + text(rnd, Math.floor(rnd() * 20)),
      };
    case 3: {
      const r = rnd();
      const v = r < 0.4
        ? Math.floor((rnd() - 0.5) * 2000)
        : r < 0.8
        ? Math.floor((rnd() - 0.5) * 2 ** 53)
        : BigInt.asIntN(64, BigInt(Math.floor(rnd() * 2 ** 32)) << 31n);
      return { t: "int", v: String(v) };
    }
    case 4: {
      const r = rnd();
      const d = r < 0.1
        ? Infinity
        : r < 0.2
        ? -Infinity
        : r < 0.3
        ? NaN
        : r < 0.6
        ? DOUBLES[Math.floor(rnd() * DOUBLES.length)]
        : (rnd() - 0.5) * 10 ** Math.floor(rnd() * 40 - 20);
      return { t: "double", v: canonicalDouble(d) };
    }
    case 5:
      return { t: "bool", v: rnd() < 0.5 };
    case 6:
      return { t: "null" };
    case 7: {
      let digits = String(1 + Math.floor(rnd() * 9));
      for (let i = Math.floor(rnd() * 60); i > 0; i--) digits += Math.floor(rnd() * 10);
      return { t: "bignum", v: (rnd() < 0.3 ? "-" : "") + digits };
    }
    case 8:
      return { t: "verbatim", format: rnd() < 0.5 ? "txt" : "mkd", v: bytes(rnd, small()) };
    case 9:
    case 10:
      return { t: "bulk", v: text(rnd, Math.floor(rnd() * 12)) };
    case 11:
    case 12:
      return { t: "array", items: many(rnd, depth) };
    case 13:
      return { t: "set", items: many(rnd, depth) };
    case 14:
      return { t: "map", entries: pairs(rnd, depth) };
    default:
      if (depth === 0 && rnd() < 0.5) return { t: "push", items: many(rnd, depth) };
      return { t: "attr", entries: pairs(rnd, depth), value: randomModel(rnd, depth + 1) };
  }
}

function many(rnd: () => number, depth: number): Model[] {
  return Array.from({ length: Math.floor(rnd() * 6) }, () => randomModel(rnd, depth + 1));
}

function pairs(rnd: () => number, depth: number): [Model, Model][] {
  return Array.from(
    { length: Math.floor(rnd() * 4) },
    () => [randomModel(rnd, depth + 1), randomModel(rnd, depth + 1)],
  );
}

/**
 * Other valid spellings of the same values, picked at random: doubles with
 * an exponent, a `+` sign or upper-case `INF`, and `$-1` / `*-1` for null.
 */
export function randomSpelling(
  rnd: () => number,
): { double: (canonical: string) => string; null: () => string } {
  return {
    double: (c) => {
      if (c === "inf") return rnd() < 0.5 ? "inf" : "+inf";
      if (c === "-inf" || c === "nan" || c === "-0") return c;
      const n = Number(c);
      const r = rnd();
      if (r < 0.3) return n.toExponential();
      if (r < 0.4 && n >= 0) return `+${c}`;
      return c;
    },
    null: () => {
      const r = rnd();
      return r < 0.5 ? "_\r\n" : r < 0.75 ? "$-1\r\n" : "*-1\r\n";
    },
  };
}
