/**
 * The RESP codec shared by the server and the client: the {@linkcode Frame}
 * type, the incremental {@linkcode Decoder} and the buffered
 * {@linkcode Encoder}. No I/O in here.
 *
 * @example
 * ```ts
 * import { Decoder, Encoder, OK } from "./mod.ts";
 *
 * const out = new Encoder({ protocol: 3 });
 * out.write(OK);
 * out.write([1, "two", null]);
 * const decoder = new Decoder();
 * decoder.feed(out.take());
 * console.log(decoder.next() === OK); // true
 * console.log(decoder.next()); // [ 1, Uint8Array(3) [ 116, 119, 111 ], null ]
 * ```
 *
 * @module
 */

export * from "./frame.ts";
export * from "./bytes.ts";
export * from "./decoder.ts";
export * from "./encoder.ts";
