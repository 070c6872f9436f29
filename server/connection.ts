/**
 * One client connection: the loop that reads, decodes, executes and
 * answers. Everything decoded from one read is executed in order and its
 * replies are encoded into one buffer and written with one write, which is
 * awaited before the socket is read again (so a client that does not read
 * its replies stops being read, and server memory stays bounded).
 *
 * @module
 */

import { Decoder, Encoder, type Frame, ProtocolError, ReplyError } from "../resp/mod.ts";
import { type ClientState, type CommandTable, type Context, execute } from "./command.ts";
import type { Keyspace } from "./keyspace.ts";
import type { ServerState } from "./command.ts";
import type { watch } from "../channels/mod.ts";

/** Size of each connection's reusable read buffer (Redis's PROTO_IOBUF_LEN). */
export const READ_BUFFER_SIZE = 16 * 1024;

/** Why a connection loop ended. */
export type CloseReason =
  | "eof"
  | "quit"
  | "protocol"
  | "querybuf"
  | "shutdown"
  | "io";

/**
 * The state and loop of one connection. The server creates one per accepted
 * socket and calls {@linkcode Connection.run}.
 */
export class Connection {
  /** The client's state, shared with command handlers. */
  readonly client: ClientState;
  readonly #conn: Deno.Conn;
  readonly #ctx: Context;
  readonly #table: CommandTable;
  readonly #server: ServerState;
  readonly #shutdown: watch.Receiver<boolean>;
  #reading = false;
  #draining = false;
  #closed = false;

  /**
   * @param conn the accepted socket (owned from now on)
   * @param client the client's state
   * @param db the keyspace
   * @param server the server state
   * @param shutdown the server's shutdown watch (owned from now on): `true` asks the connection to drain
   */
  constructor(
    conn: Deno.Conn,
    client: ClientState,
    db: Keyspace,
    server: ServerState,
    shutdown: watch.Receiver<boolean>,
  ) {
    this.#conn = conn;
    this.#shutdown = shutdown;
    this.client = client;
    this.#server = server;
    this.#table = server.commands;
    this.#ctx = { db, client, server };
  }

  /**
   * Asks the connection to finish: it completes the commands it has already
   * read, writes their replies and closes. A connection waiting for input
   * is closed at once (it has nothing pending).
   */
  drain(): void {
    this.#draining = true;
    if (this.#reading) this.#close();
  }

  /** Closes the socket now, whatever is in flight. */
  abort(): void {
    this.#draining = true;
    this.#close();
  }

  /**
   * Runs the connection until EOF, QUIT, an error, or shutdown; always
   * closes the socket and releases the shutdown receiver.
   */
  async run(): Promise<CloseReason> {
    const shutdown = this.#shutdown;
    if (shutdown.borrow()) this.#draining = true;
    else shutdown.changed().then(() => this.drain(), () => {});
    const conn = this.#conn;
    const client = this.client;
    const ctx = this.#ctx;
    const table = this.#table;
    const settings = this.#server.settings;
    const log = this.#server.log;
    const buf = new Uint8Array(READ_BUFFER_SIZE);
    const decoder = new Decoder();
    decoder.maxBufferLength = Infinity; // the query buffer limit is checked here, as Redis does
    // replies grow the buffer as needed; idle connections stay small
    const encoder = new Encoder({ initialCapacity: 4096 });
    let reason: CloseReason = "eof";
    try {
      for (;;) {
        if (this.#draining) {
          reason = "shutdown";
          break;
        }
        let n: number | null;
        this.#reading = true;
        try {
          n = await conn.read(buf);
        } catch (e) {
          reason = this.#draining ? "shutdown" : "io";
          if (!this.#draining) log.debug(`client ${client.addr}: read failed: ${e}`);
          break;
        } finally {
          this.#reading = false;
        }
        if (n === null) break;
        if (decoder.pending + n > settings.queryBufferLimit) {
          // Redis closes such a client without a reply.
          log.warn(
            `closing client ${client.addr} that reached max query buffer length (${settings.queryBufferLimit} bytes)`,
          );
          reason = "querybuf";
          break;
        }
        let protocolError = false;
        try {
          decoder.feed(buf.subarray(0, n));
          for (;;) {
            const args = decoder.nextCommand();
            if (args === undefined) break;
            let reply = execute(table, ctx, args);
            if (reply instanceof Promise) reply = await reply;
            this.#encode(encoder, reply);
            if (client.closeAfterReply) break;
          }
        } catch (e) {
          if (!(e instanceof ProtocolError)) throw e;
          protocolError = true;
          log.debug(`client ${client.addr}: ${e.message}`);
          encoder.protocol = client.protocol;
          encoder.write(new ReplyError(`ERR ${e.message}`));
        }
        if (encoder.length > 0) {
          const out = encoder.take();
          const written = await conn.write(out);
          if (written < out.length) await writeAll(conn, out.subarray(written));
        }
        if (protocolError) {
          reason = "protocol";
          break;
        }
        if (client.closeAfterReply) {
          reason = "quit";
          break;
        }
      }
    } catch (e) {
      if (!this.#closed) log.debug(`client ${client.addr}: ${e}`);
      reason = this.#draining ? "shutdown" : "io";
    } finally {
      this.#close();
      shutdown.close();
    }
    return reason;
  }

  #encode(encoder: Encoder, reply: Frame): void {
    encoder.protocol = this.client.protocol;
    try {
      encoder.write(reply);
    } catch (e) {
      this.#server.log.error(`cannot encode a reply: ${e}`);
      encoder.write(new ReplyError("ERR internal error: the reply could not be encoded"));
    }
  }

  #close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#conn.close();
    } catch {
      // already closed
    }
  }
}

/** Writes all of `data` (a socket write may be partial). */
export async function writeAll(conn: Deno.Conn, data: Uint8Array): Promise<void> {
  let off = 0;
  while (off < data.length) {
    off += await conn.write(off === 0 ? data : data.subarray(off));
  }
}
