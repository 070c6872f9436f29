/**
 * {@linkcode parseReply}: decodes one raw reply (as `RawClient`
 * returns it) into plain values for readable assertions. Independent of
 * `resp/`. No side effects on import.
 *
 * @module
 */

/** A decoded reply from {@linkcode parseReply}. */
export type Reply = string | number | bigint | null | boolean | { error: string } | Reply[];

/**
 * Decodes one raw RESP2/RESP3 reply (as returned by `RawClient.call`)
 * into plain values: bulk/simple strings as latin1 strings, integers as
 * numbers (bigint when unsafe), nulls as `null`, errors as `{ error }`,
 * aggregates as arrays (maps and attributes flattened).
 *
 * @example
 * ```ts
 * import { parseReply } from "./reply.ts";
 * console.log(parseReply("*2\r\n$1\r\na\r\n:1\r\n")); // ["a", 1]
 * ```
 */
export function parseReply(text: string): Reply {
  let pos = 0;
  const line = (): string => {
    const end = text.indexOf("\r\n", pos);
    if (end === -1) throw new Error(`parseReply: incomplete reply ${JSON.stringify(text)}`);
    const s = text.slice(pos, end);
    pos = end + 2;
    return s;
  };
  const value = (): Reply => {
    const type = text[pos++];
    const head = line();
    switch (type) {
      case "+":
        return head;
      case "-":
        return { error: head };
      case ":": {
        const n = Number(head);
        return Number.isSafeInteger(n) ? n : BigInt(head);
      }
      case "_":
        return null;
      case "#":
        return head === "t";
      case ",":
      case "(":
        return head;
      case "$":
      case "!":
      case "=": {
        const len = Number(head);
        if (len < 0) return null;
        const s = text.slice(pos, pos + len);
        pos += len + 2;
        return type === "!" ? { error: s } : s;
      }
      case "*":
      case "~":
      case ">":
      case "%":
      case "|": {
        let n = Number(head);
        if (n < 0) return null;
        if (type === "%" || type === "|") n *= 2;
        const out: Reply[] = [];
        for (let i = 0; i < n; i++) out.push(value());
        if (type === "|") return value();
        return out;
      }
      default:
        throw new Error(`parseReply: unknown type ${JSON.stringify(type)}`);
    }
  };
  const v = value();
  if (pos !== text.length) throw new Error(`parseReply: trailing bytes in ${JSON.stringify(text)}`);
  return v;
}
