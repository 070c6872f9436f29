/**
 * The one `Frame` type that the server and the client share.
 *
 * The common RESP shapes are plain JavaScript values, so that decoding a
 * reply stream allocates no wrapper objects:
 *
 * | RESP                         | Frame                                  |
 * | ---------------------------- | -------------------------------------- |
 * | `$` bulk string              | `Uint8Array` (decoded); the encoder also accepts a `string`, written as UTF-8, and a {@linkcode BinaryString} |
 * | `:` integer                  | `number`, or `bigint` outside the safe range |
 * | `$-1`, `*-1`, `_` null       | `null` (decoders); {@linkcode NULL_ARRAY} encodes `*-1` in RESP2 |
 * | `*` array                    | `Frame[]`                              |
 * | `#` boolean                  | `boolean`                              |
 * | `+` simple string            | {@linkcode SimpleString}               |
 * | `-` error, `!` bulk error    | {@linkcode ReplyError} (text as UTF-8, or byte for byte when `binary`) |
 * | `,` double                   | {@linkcode Double}                     |
 * | `(` big number               | {@linkcode BigNumber}                  |
 * | `=` verbatim string          | {@linkcode VerbatimString}             |
 * | `%` map                      | {@linkcode RespMap}                    |
 * | `~` set                      | {@linkcode RespSet}                    |
 * | `>` push                     | {@linkcode Push}                       |
 * | `\|` attribute               | {@linkcode Attribute} (wraps the frame it annotates) |
 *
 * @module
 */

/** A RESP frame; see the module documentation for the mapping. */
export type Frame =
  | Uint8Array
  | string
  | number
  | bigint
  | boolean
  | null
  | Frame[]
  | SimpleString
  | BinaryString
  | ReplyError
  | Double
  | BigNumber
  | VerbatimString
  | RespMap
  | RespSet
  | Push
  | Attribute
  | NullArray;

/**
 * A RESP simple string (`+OK\r\n`).
 *
 * @example
 * ```ts
 * import { SimpleString } from "./frame.ts";
 * const ok = new SimpleString("OK");
 * console.log(ok.value); // "OK"
 * ```
 */
export class SimpleString {
  /**
   * Creates the frame.
   *
   * @param value the text, which must not contain CR or LF
   */
  constructor(readonly value: string) {}
  /** The text of the simple string. */
  toString(): string {
    return this.value;
  }
}

/**
 * A bulk string given as binary text: one char per byte (chars below 256),
 * as `toBinary` in `bytes.ts` makes them. The server keeps collection
 * elements (hash fields, set members, ...) as such strings; this frame
 * writes them back byte for byte without converting them to bytes first.
 * Encode-only: decoders return bulk strings as `Uint8Array`.
 *
 * @example
 * ```ts
 * import { BinaryString } from "./frame.ts";
 * import { encode } from "./encoder.ts";
 * console.log(encode(new BinaryString("\xff\x00"))); // Uint8Array [36, 50, 13, 10, 255, 0, 13, 10]
 * ```
 */
export class BinaryString {
  /**
   * Creates the frame.
   *
   * @param value the binary text (every char below 256)
   */
  constructor(readonly value: string) {}
}

/** The shared `+OK` frame; decoders return this instance for every `+OK`. */
export const OK: SimpleString = new SimpleString("OK");
/** The shared `+PONG` frame. */
export const PONG: SimpleString = new SimpleString("PONG");
/** The shared `+QUEUED` frame. */
export const QUEUED: SimpleString = new SimpleString("QUEUED");

/**
 * An error reply (`-ERR ...` or the RESP3 bulk error `!`). It is a frame the
 * server sends and, on the client side, the error a command rejects with:
 * `message` is Redis's text without the leading `-`, and `code` is its first
 * word (`ERR`, `WRONGTYPE`, `NOAUTH`, ...).
 *
 * @example
 * ```ts
 * import { ReplyError } from "./frame.ts";
 * const e = new ReplyError("ERR syntax error");
 * console.log(e.code); // "ERR"
 * ```
 */
export class ReplyError extends Error {
  /** The first word of the message, e.g. `ERR` or `WRONGTYPE`. */
  readonly code: string;
  /** Whether it travels as a RESP3 bulk error (`!`) rather than `-`. */
  readonly bulk: boolean;
  /**
   * Whether `message` is binary text: one char per byte (code points
   * 0-255, as `toBinary` in `bytes.ts` makes them), which encoders write
   * byte for byte. Otherwise (the default, and what decoders produce) the
   * message is ordinary text, written as UTF-8.
   *
   * Servers set it on errors that quote bytes a client sent (`unknown
   * command '<name>'`), so that those bytes are echoed exactly as Redis
   * echoes them, valid UTF-8 or not. It is a flag rather than a rule such
   * as "chars below 256 are bytes" because such a rule would re-encode
   * ordinary text: `"ERR é"` must stay `C3 A9` on the wire when it was
   * decoded from UTF-8.
   *
   * @example
   * ```ts
   * import { ReplyError } from "./frame.ts";
   * import { encode } from "./encoder.ts";
   * import { toBinary } from "./bytes.ts";
   * const name = toBinary(new Uint8Array([0xd8, 0x41]));
   * const e = new ReplyError(`ERR unknown command '${name}'`, false, true);
   * console.log(encode(e).includes(0xd8)); // true: the raw byte, not C3 98
   * ```
   */
  readonly binary: boolean;
  /**
   * Creates the error reply.
   *
   * @param message Redis's text, e.g. `ERR syntax error`
   * @param bulk encode as a RESP3 bulk error
   * @param binary `message` is binary text, one char per byte (see {@linkcode ReplyError.binary})
   */
  constructor(message: string, bulk = false, binary = false) {
    super(message);
    this.name = "ReplyError";
    const space = message.indexOf(" ");
    this.code = space === -1 ? message : message.slice(0, space);
    this.bulk = bulk;
    this.binary = binary;
  }
}

/**
 * A RESP3 double (`,3.14\r\n`, `,inf\r\n`, `,-inf\r\n`, `,nan\r\n`).
 * RESP2 encoders write it as a bulk string.
 */
export class Double {
  /**
   * Creates the frame.
   *
   * @param value the number, which may be `Infinity`, `-Infinity` or `NaN`
   */
  constructor(readonly value: number) {}
}

/** A RESP3 big number (`(12345678901234567890\r\n`). RESP2 writes a bulk string. */
export class BigNumber {
  /**
   * Creates the frame.
   *
   * @param value the integer
   */
  constructor(readonly value: bigint) {}
}

/** A RESP3 verbatim string (`=15\r\ntxt:Some string\r\n`). RESP2 writes a bulk string. */
export class VerbatimString {
  /**
   * Creates the frame.
   *
   * @param format the three-letter format, e.g. `txt` or `mkd`
   * @param value the payload bytes
   */
  constructor(readonly format: string, readonly value: Uint8Array) {}
}

/** A RESP3 map (`%`). RESP2 writes a flat array of key, value, key, value. */
export class RespMap {
  /**
   * Creates the frame.
   *
   * @param entries the key/value pairs, in order
   */
  constructor(readonly entries: [Frame, Frame][]) {}
}

/** A RESP3 set (`~`). RESP2 writes an array. */
export class RespSet {
  /**
   * Creates the frame.
   *
   * @param items the members, in order
   */
  constructor(readonly items: Frame[]) {}
}

/** A RESP3 push frame (`>`), e.g. a pub/sub message. RESP2 writes an array. */
export class Push {
  /**
   * Creates the frame.
   *
   * @param items the elements, the first being the kind (`message`, ...)
   */
  constructor(readonly items: Frame[]) {}
}

/**
 * A RESP3 attribute (`|`) together with the frame it annotates. RESP2
 * encoders drop the attribute and write only `value`.
 */
export class Attribute {
  /**
   * Creates the frame.
   *
   * @param entries the attribute's key/value pairs
   * @param value the frame that follows the attribute
   */
  constructor(readonly entries: [Frame, Frame][], readonly value: Frame) {}
}

/** The RESP2 null array (`*-1`); RESP3 writes `_`. Use {@linkcode NULL_ARRAY}. */
export class NullArray {
  private constructor() {}
  /** The only instance. */
  static readonly instance: NullArray = new NullArray();
}

/** The RESP2 null array frame (`*-1\r\n`); decoders return `null` for it. */
export const NULL_ARRAY: NullArray = NullArray.instance;

/**
 * A malformed byte stream. The message follows Redis's wording, e.g.
 * `Protocol error: invalid bulk length`; a server replies `-ERR ` + message
 * and closes the connection.
 */
export class ProtocolError extends Error {
  /**
   * Creates the frame.
   *
   * @param message Redis's wording, starting with `Protocol error:`
   */
  constructor(message: string) {
    super(message);
    this.name = "ProtocolError";
  }
}
