/**
 * One client connection: the loop that reads, decodes, executes and
 * answers. Everything decoded from one read is executed in order and its
 * replies are encoded into one buffer and written with one write, which is
 * awaited before the socket is read again (so a client that does not read
 * its replies stops being read, and server memory stays bounded).
 *
 * A connection with pub/sub subscriptions also receives messages at any
 * time. They are appended to the same output buffer (so they interleave
 * with replies in the order Redis would send them) and written by a
 * background flush that takes everything accumulated at once, while the
 * loop goes on reading. What such a client leaves unread counts against
 * `client-output-buffer-limit pubsub`: past the hard limit, or past the
 * soft limit for longer than its seconds, it is disconnected.
 *
 * @module
 */

import { Decoder, Encoder, type Frame, ProtocolError, ReplyError } from "../resp/mod.ts";
import {
  authRequired,
  type ClientHandle,
  type ClientState,
  type CommandTable,
  type Context,
  execute,
  GATE_PUBSUB,
  NO_REPLY,
  refreshGate,
  releaseClient,
  REPLY_OFF,
  REPLY_SKIP,
  REPLY_SKIP_NEXT,
  type ResolvedCommand,
  type ServerState,
} from "./command.ts";
import type { Keyspace } from "./db/keyspace.ts";
import { formatError } from "./args.ts";
import type { watch } from "../channels/mod.ts";
import { type ConnectionView, type Ops, opsOf } from "./commands/ops.ts";

/** Size of each connection's reusable read buffer (Redis's PROTO_IOBUF_LEN). */
export const READ_BUFFER_SIZE = 16 * 1024;

/** Initial size of each connection's reply buffers. */
const REPLY_BUFFER_SIZE = 4096;

/** How long a client must be idle before the buffer of a long command is released (Redis: 2 s). */
const QUERY_BUFFER_IDLE_MS = 2000;

/** Why a connection loop ended. */
export type CloseReason =
  | "eof"
  | "quit"
  | "protocol"
  | "querybuf"
  | "shutdown"
  | "io"
  | "killed";

/**
 * The state and loop of one connection. The server creates one per accepted
 * socket and calls {@linkcode Connection.run}. It is also the client's
 * {@linkcode ClientHandle}: commands reach it through `client.handle`.
 */
export class Connection implements ClientHandle, ConnectionView {
  /** The client's state, shared with command handlers. */
  readonly client: ClientState;
  readonly #conn: Deno.Conn;
  readonly #ctx: Context;
  readonly #table: CommandTable;
  readonly #server: ServerState;
  readonly #shutdown: watch.Receiver<boolean>;
  readonly #decoder = new Decoder();
  /** Where replies and pushes are appended. */
  #enc = new Encoder({ initialCapacity: REPLY_BUFFER_SIZE });
  /** The other buffer: being written by a background flush, or idle. */
  #spare = new Encoder({ initialCapacity: REPLY_BUFFER_SIZE });
  /** The background flush in progress, if any. */
  #writing: Promise<void> | undefined;
  /** Bytes of the background write not yet accepted by the socket. */
  #inflight = 0;
  /** True while a batch of commands executes (pushes then wait for the batch's write). */
  #inBatch = false;
  /** Clock time the output first stayed over the soft limit (0 = not over). */
  #softSince = 0;
  /** Set once the client is to be closed after its last reply: no more pushes (Redis's CLOSE_AFTER_REPLY). */
  #closing = false;
  #reading = false;
  /** True while a blocking command (BLPOP, ...) waits: the socket is read on the side. */
  #blocked = false;
  /** The read started while blocked, still in flight: the next read takes its bytes. */
  #sideRead: Promise<Uint8Array | null> | undefined;
  /** Input that arrived while blocked, not parsed yet (copies). */
  #queuedInput: Uint8Array[] = [];
  #queuedBytes = 0;
  #draining = false;
  #killed = false;
  #closed = false;
  /** Operator hooks: MONITOR, tracking, CLIENT PAUSE, slow log (see `commands/ops.ts`). */
  readonly #ops: Ops;
  /** The arguments of the command running or blocked (CLIENT LIST `argv-mem`). */
  #args: Uint8Array[] | undefined;
  /** Bytes of the input being processed (CLIENT LIST `qbuf`). */
  #batchBytes = 0;
  /** The most reply bytes one batch produced lately (CLIENT LIST `rbp`). */
  #replyPeak = 0;
  /** A command spanned reads: the decoder grew a buffer of its own, to release once idle. */
  #bigQuery = false;
  /** The most input held at once since the decoder's buffer was last released. */
  #queryPeak = 0;
  /** The timer that releases the decoder's buffer once the client is idle. */
  #releaseTimer: ReturnType<typeof setTimeout> | undefined;

  /**
   * @param conn the accepted socket (owned from now on)
   * @param client the client's state (its `handle` becomes this connection)
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
    client.handle = this;
    this.#ops = opsOf(server);
    this.#ops.register(client, this);
  }

  /** CLIENT LIST `qbuf`: the input being processed, or the part of a command received so far. */
  get queryBufferLength(): number {
    // (a blocked client's query buffer holds what follows the blocked command)
    if (this.#blocked) return this.#decoder.pending + this.#queuedBytes;
    return this.#batchBytes !== 0 ? this.#batchBytes : this.#decoder.pending;
  }

  /** CLIENT LIST `qbuf` + `qbuf-free`: the read buffer, or the decoder's own buffer while it holds a long command. */
  get queryBufferCapacity(): number {
    return this.#bigQuery ? Math.max(READ_BUFFER_SIZE, this.#queryPeak) : READ_BUFFER_SIZE;
  }

  /** CLIENT LIST `argv-mem`: the arguments of the command running or blocked. */
  get currentArgs(): readonly Uint8Array[] | undefined {
    return this.#args;
  }

  /** CLIENT LIST `rbs`: the reply buffer's size at rest. */
  get replyBufferSize(): number {
    return REPLY_BUFFER_SIZE;
  }

  /** CLIENT LIST `rbp`: the most reply bytes of one batch lately. */
  get replyBufferPeak(): number {
    return this.#replyPeak;
  }

  /** CLIENT LIST `events`: `w` while a write is in progress. */
  get writing(): boolean {
    return this.#writing !== undefined || this.#inflight > 0;
  }

  /** Bytes of output not written yet (replies and pushes). */
  get outputLength(): number {
    return this.#enc.length + this.#inflight;
  }

  /** Bytes received but not parsed yet. */
  get inputLength(): number {
    return this.#decoder.pending;
  }

  /**
   * Asks the connection to finish: it completes the commands it has already
   * read, writes their replies and closes. A connection waiting for input
   * is closed at once (it has nothing pending).
   */
  drain(): void {
    this.#draining = true;
    const waitingOnKeys = this.#blocked && this.#server.blocking.isBlocked(this.client.id);
    if ((this.#reading || waitingOnKeys) && this.#writing === undefined) this.#close();
  }

  /** Closes the socket now, whatever is in flight. */
  abort(): void {
    this.#draining = true;
    this.#close();
  }

  /** Closes the connection now (CLIENT KILL, timeout); its unwritten output is dropped. */
  kill(): void {
    this.#killed = true;
    this.abort();
  }

  /** Appends a push frame in the client's protocol (pub/sub), whatever the reply mode. */
  push(frame: Frame): void {
    if (this.#closed || this.#closing) return;
    this.#encode(frame);
    this.#checkOutput();
  }

  /** Appends an already encoded push. */
  pushRaw(bytes: Uint8Array): void {
    if (this.#closed || this.#closing) return;
    this.#enc.writeRaw(bytes);
    this.#checkOutput();
  }

  /** Starts writing the pushes appended so far (during a batch, its write takes them). */
  flushPushes(): void {
    if (!this.#inBatch) this.#kick();
  }

  /** The pub/sub receiver lost messages: disconnect rather than leave a gap. */
  lagged(missed: number): void {
    this.#server.log.warn(
      `closing client id=${this.client.id} addr=${this.client.addr}: it missed ${missed} pub/sub messages`,
    );
    this.kill();
  }

  /**
   * Runs the connection until EOF, QUIT, an error, or shutdown; always
   * closes the socket, releases the shutdown receiver and drops the
   * client's subscriptions.
   */
  async run(): Promise<CloseReason> {
    const shutdown = this.#shutdown;
    if (shutdown.borrow()) this.#draining = true;
    else shutdown.changed().then(() => this.drain(), () => {});
    const conn = this.#conn;
    const client = this.client;
    const ctx = this.#ctx;
    const table = this.#table;
    const server = this.#server;
    const settings = server.settings;
    const stats = server.stats;
    const log = server.log;
    const buf = new Uint8Array(READ_BUFFER_SIZE);
    const decoder = this.#decoder;
    const ops = this.#ops;
    decoder.maxBufferLength = Infinity; // the query buffer limit is checked here, as Redis does
    let reason: CloseReason = "eof";
    try {
      for (;;) {
        if (this.#draining) {
          reason = "shutdown";
          break;
        }
        decoder.unauthenticated = authRequired(client, settings);
        decoder.maxBulkLength = settings.protoMaxBulkLen;
        let n: number | null;
        let chunk: Uint8Array;
        this.#reading = true;
        try {
          if (this.#queuedInput.length !== 0 || this.#sideRead !== undefined) {
            // input that arrived while a command was blocked comes first
            const side = this.#queuedInput.length !== 0
              ? this.#queuedInput.shift()!
              : await this.#takeSideRead();
            if (side !== null) this.#queuedBytes -= side.length;
            n = side === null ? null : side.length;
            chunk = side ?? buf;
          } else {
            if (this.#bigQuery && this.#releaseTimer === undefined) this.#releaseQueryBuffer();
            n = await conn.read(buf);
            if (n !== null) stats.netInputBytes += n;
            chunk = buf;
          }
        } catch (e) {
          reason = this.#killed ? "killed" : this.#draining ? "shutdown" : "io";
          if (!this.#draining) log.debug(`client ${client.addr}: read failed: ${e}`);
          break;
        } finally {
          this.#reading = false;
        }
        if (n === null) break;
        client.lastInteraction = Date.now();
        if (decoder.pending + n > READ_BUFFER_SIZE) {
          this.#bigQuery = true;
          if (decoder.pending + n > this.#queryPeak) this.#queryPeak = decoder.pending + n;
        }
        if (decoder.pending + n > settings.queryBufferLimit) {
          // Redis closes such a client without a reply.
          log.warn(
            `closing client ${client.addr} that reached max query buffer length (${settings.queryBufferLimit} bytes)`,
          );
          reason = "querybuf";
          break;
        }
        let protocolError = false;
        let blockAborted = false;
        this.#inBatch = true;
        this.#batchBytes = decoder.pending + n;
        try {
          decoder.feed(chunk.subarray(0, n));
          // one clock read per command: each command's time runs from the end of the
          // previous one (its decoding included), which halves the cost of timing it
          let clock = performance.now();
          for (;;) {
            const args = decoder.nextCommand();
            if (args === undefined) break;
            stats.commandsProcessed++;
            this.#args = args;
            const watching = ops.watching;
            let refused: ReplyError | undefined;
            if (watching) {
              // CLIENT PAUSE: wait (replies so far are written meanwhile)
              let wait = ops.before(client, args);
              while (wait instanceof Promise) {
                if (await this.#awaitBlocked(wait) === BLOCK_ABORTED) break;
                wait = ops.before(client, args);
              }
              if (wait instanceof Promise || this.#closed) {
                blockAborted = true;
                break;
              }
              clock = performance.now(); // (a pause is not the command's time)
              refused = wait; // (a monitor's command on the keyspace)
            }
            const txn = client.multi;
            client.lastCommand = undefined;
            let reply = refused ?? execute(table, ctx, args);
            let ran = client.lastCommand as ResolvedCommand | undefined;
            const finished = performance.now();
            const ns = (finished - clock) * 1e6;
            clock = finished;
            let named = ran;
            if (ran === undefined) {
              // refused, or queued by MULTI: CLIENT LIST shows the command named, as Redis
              named = client.lastCommand = this.#named(args);
            } else if (!isNamedBy(ran, args[0])) {
              // EXEC and scripts run other commands: the one run is the one asked for
              ran = table.lookup(args) as ResolvedCommand;
              client.lastCommand = ran;
            }
            if (watching || ops.watching) ops.after(client, ran, args, reply);
            if (reply instanceof Promise) {
              const r = await this.#awaitBlocked(reply);
              if (r === BLOCK_ABORTED) {
                blockAborted = true;
                break;
              }
              reply = r;
              clock = performance.now(); // (the wait is not the next command's time)
            }
            this.#count(ran, named, ns, reply, args);
            if (txn !== undefined && ran?.name === "exec" && Array.isArray(reply)) {
              this.#countQueued(txn, reply);
            }
            if (client.gate === 0 && !decoder.unauthenticated) this.#encode(reply);
            else this.#afterGated(reply);
            if (ops.pendingCount !== 0) ops.deliver(client);
            this.#args = undefined;
            if (client.closeAfterReply || this.#closed) break;
          }
        } catch (e) {
          if (!(e instanceof ProtocolError)) throw e;
          protocolError = true;
          log.debug(`client ${client.addr}: ${e.message}`);
          // binary text: "expected '$', got '<c>'" quotes the client's raw byte
          this.#encode(formatError(`ERR ${e.message}`));
        } finally {
          this.#inBatch = false;
          this.#batchBytes = 0;
          this.#args = undefined;
        }
        if (this.#closed || blockAborted) {
          reason = this.#killed
            ? "killed"
            : this.#draining
            ? "shutdown"
            : blockAborted
            ? "eof"
            : "io";
          break;
        }
        const closing = protocolError || client.closeAfterReply;
        if (closing) {
          // nothing more is sent after the last reply, not even messages
          this.#closing = true;
          client.pubsub?.close(false);
        }
        if (this.#writing === undefined && (client.gate & GATE_PUBSUB) === 0) {
          // the common case: write this batch's replies and wait for the write
          const enc = this.#enc;
          if (enc.length > 0) {
            this.#checkOutput();
            if (this.#closed) {
              reason = "killed";
              break;
            }
            const out = enc.take();
            this.#replyPeak = out.length;
            const written = await conn.write(out);
            if (written < out.length) await writeAll(conn, out.subarray(written));
            stats.netOutputBytes += out.length;
          }
        } else {
          // a subscriber (or a flush in progress): write in the background and
          // keep reading unless this client must now be answered and closed
          this.#checkOutput();
          this.#kick();
          if (this.#writing !== undefined && (closing || (client.gate & GATE_PUBSUB) === 0)) {
            await this.#writing;
          }
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
      reason = this.#killed ? "killed" : this.#draining ? "shutdown" : "io";
    } finally {
      server.blocking.cancel(client.id);
      releaseClient(client); // its MULTI and watched keys
      ops.closed(client); // MONITOR, tracking, pause

      client.pubsub?.close(false);
      if (this.#writing !== undefined && !this.#closed) await this.#writing;
      this.#close();
      shutdown.close();
    }
    return reason;
  }

  /**
   * Waits for the reply of a blocked command (BLPOP, ...). Replies already
   * made in this batch are written first, as Redis sends them before the
   * client blocks. The socket keeps being read meanwhile (into copies,
   * parsed after the blocked command): a client that disconnects is
   * noticed and its waiter freed, and the query buffer limit holds.
   * Returns {@linkcode BLOCK_ABORTED} when the connection ended or must
   * close instead.
   */
  async #awaitBlocked(reply: Promise<Frame>): Promise<Frame | typeof BLOCK_ABORTED> {
    const server = this.#server;
    const client = this.client;
    this.#kick();
    if (this.#writing !== undefined) await this.#writing;
    if (this.#closed) return BLOCK_ABORTED;
    let settled: Frame | undefined;
    let done = false;
    const replied = reply.then((r) => {
      settled = r;
      done = true;
    });
    this.#blocked = true;
    try {
      while (!done) {
        // a shutdown disconnects clients blocked on keys (a slow command finishes)
        if (this.#draining && server.blocking.isBlocked(client.id)) this.#close();
        if (this.#closed) return BLOCK_ABORTED;
        const read = this.#sideRead ??= this.#readSide();
        await Promise.race([replied, read]);
        if (done) break;
        const bytes = await this.#takeSideRead();
        if (bytes === null) return BLOCK_ABORTED;
        this.#queuedInput.push(bytes);
        this.#queuedBytes += bytes.length;
        client.lastInteraction = Date.now();
        if (this.#decoder.pending + this.#queuedBytes > server.settings.queryBufferLimit) {
          server.log.warn(
            `closing client ${client.addr} that reached max query buffer length (${server.settings.queryBufferLimit} bytes)`,
          );
          return BLOCK_ABORTED;
        }
      }
      return settled!;
    } finally {
      this.#blocked = false;
      if (!done) server.blocking.cancel(client.id);
    }
  }

  /** One read into a fresh buffer (while blocked); null at EOF or on error. */
  async #readSide(): Promise<Uint8Array | null> {
    const side = new Uint8Array(READ_BUFFER_SIZE);
    try {
      const n = await this.#conn.read(side);
      if (n === null) return null;
      this.#server.stats.netInputBytes += n;
      return side.subarray(0, n);
    } catch {
      return null;
    }
  }

  /** The bytes of the side read in flight (it is then no longer in flight). */
  async #takeSideRead(): Promise<Uint8Array | null> {
    const r = await this.#sideRead!;
    this.#sideRead = undefined;
    return r;
  }

  /**
   * INFO commandstats, errorstats and latencystats for one request: a call
   * of the command that ran (its synchronous time; a blocked command's wait
   * is not counted, as in Redis), failed when it replied an error; an error
   * before it ran is a rejected call of the command it named (or of none,
   * for an unknown command).
   */
  #count(
    ran: ResolvedCommand | undefined,
    named: ResolvedCommand | undefined,
    ns: number,
    reply: Frame,
    args: Uint8Array[],
  ): void {
    if (ns >= this.#ops.thresholdNs && ran !== undefined) {
      this.#ops.slow(this.client, ran, args, ns);
    }
    const cs = this.#server.commandStats;
    const failed = reply instanceof ReplyError;
    if (failed) cs.error(reply.message);
    if (ran !== undefined) cs.record(ran.fullName, ns, failed);
    else if (failed && named !== undefined) cs.reject(named.fullName);
  }

  /**
   * The command a request names, whether or not it ran (Redis's
   * `lookupCommand`): undefined for an unknown command or subcommand.
   */
  #named(args: Uint8Array[]): ResolvedCommand | undefined {
    const cmd = this.#table.lookup(args);
    if (!(cmd instanceof ReplyError)) return cmd;
    const m = /^ERR wrong number of arguments for '([^']*)' command$/.exec(cmd.message);
    if (m === null) return undefined;
    const bar = m[1].indexOf("|");
    if (bar === -1) return this.#table.get(m[1]);
    return this.#table.get(m[1].slice(0, bar))?.subcommandMap?.get(m[1].slice(bar + 1));
  }

  /**
   * Releases the buffer the decoder grew for a command longer than the
   * read buffer, once the client has been idle for a while (Redis's
   * `clientsCronResizeQueryBuffer`): a client that once sent 1 MB does not
   * keep 1 MB. Called when the loop starts waiting for input.
   */
  #releaseQueryBuffer(): void {
    const decoder = this.#decoder;
    this.#releaseTimer = setTimeout(() => {
      this.#releaseTimer = undefined;
      if (this.#closed || !this.#bigQuery) return;
      const idle = Date.now() - this.client.lastInteraction >= QUERY_BUFFER_IDLE_MS;
      if (idle && this.#reading && decoder.pending === 0) {
        // nothing half-received: drop the decoder's buffers
        decoder.reset();
        this.#bigQuery = false;
        this.#queryPeak = 0;
      } else if (this.#reading) {
        this.#releaseQueryBuffer();
      }
    }, QUERY_BUFFER_IDLE_MS);
    Deno.unrefTimer(this.#releaseTimer);
  }

  /**
   * INFO commandstats for the commands EXEC ran, as Redis counts them: a
   * call each with its own time (also part of EXEC's), failed when its reply
   * is an error.
   */
  #countQueued(txn: NonNullable<ClientState["multi"]>, replies: Frame[]): void {
    const cs = this.#server.commandStats;
    for (let i = 0; i < txn.commands.length; i++) {
      const ns = txn.times[i];
      const failed = replies[i] instanceof ReplyError;
      if (ns === undefined) cs.countCall(txn.commands[i].fullName, failed);
      else cs.record(txn.commands[i].fullName, ns, failed);
    }
  }

  /** After a command of a client with auth, pub/sub or CLIENT REPLY state. */
  #afterGated(reply: Frame): void {
    const client = this.client;
    // messages published before this reply go first, as in Redis
    if ((client.gate & GATE_PUBSUB) !== 0) client.pubsub!.drain();
    const flags = client.replyFlags;
    if ((flags & (REPLY_OFF | REPLY_SKIP)) === 0) this.#encode(reply);
    if ((flags & (REPLY_SKIP | REPLY_SKIP_NEXT)) !== 0) {
      // Redis's resetClient: SKIP lasts one command, SKIP_NEXT becomes SKIP
      client.replyFlags = (flags & REPLY_SKIP_NEXT) !== 0
        ? (flags & ~REPLY_SKIP_NEXT) | REPLY_SKIP
        : flags & ~REPLY_SKIP;
      refreshGate(client);
    }
    this.#decoder.unauthenticated = authRequired(client, this.#server.settings);
  }

  #encode(reply: Frame): void {
    if (reply === NO_REPLY) return;
    const enc = this.#enc;
    enc.protocol = this.client.protocol;
    try {
      enc.write(reply);
    } catch (e) {
      this.#server.log.error(`cannot encode a reply: ${e}`);
      enc.write(new ReplyError("ERR internal error: the reply could not be encoded"));
    }
  }

  /**
   * Enforces `client-output-buffer-limit` for the client's class (pubsub
   * while it has subscriptions, normal otherwise), as Redis's
   * `checkClientOutputBufferLimits`: at the hard limit at once, over the
   * soft limit once it has lasted more than its seconds.
   */
  #checkOutput(): void {
    const limits = this.#server.settings.outputLimits;
    const limit = (this.client.gate & GATE_PUBSUB) !== 0 ? limits.pubsub : limits.normal;
    if (limit.hard === 0 && limit.soft === 0) return;
    const used = this.#enc.length + this.#inflight;
    let over = limit.hard !== 0 && used >= limit.hard;
    if (!over && limit.soft !== 0 && used >= limit.soft) {
      const now = this.#ctx.db.now();
      if (this.#softSince === 0) this.#softSince = now;
      else if (now - this.#softSince > limit.softSeconds * 1000) over = true;
    } else if (!over) {
      this.#softSince = 0;
    }
    if (!over) return;
    this.#server.stats.outputLimitDisconnections++;
    this.#server.log.warn(
      `Client id=${this.client.id} addr=${this.client.addr} closed for overcoming of output buffer limits (${used} bytes pending).`,
    );
    this.kill();
  }

  /** Starts a background flush of the output unless one is running. */
  #kick(): void {
    if (this.#writing !== undefined || this.#closed || this.#enc.length === 0) return;
    this.#writing = this.#flush();
  }

  /**
   * Writes everything in the output buffer, including what is appended
   * meanwhile: each round swaps the buffers, so appends go to the other one
   * while a write is in flight, and the next round takes them all at once.
   */
  async #flush(): Promise<void> {
    const conn = this.#conn;
    try {
      while (this.#enc.length > 0 && !this.#closed) {
        const enc = this.#enc;
        const out = enc.take();
        this.#enc = this.#spare;
        this.#spare = enc;
        this.#inflight = out.length;
        let off = 0;
        while (off < out.length) {
          off += await conn.write(off === 0 ? out : out.subarray(off));
          this.#inflight = out.length - off;
        }
        this.#server.stats.netOutputBytes += out.length;
      }
    } catch (e) {
      if (!this.#closed) this.#server.log.debug(`client ${this.client.addr}: write failed: ${e}`);
      this.#close();
    } finally {
      this.#inflight = 0;
      this.#writing = undefined;
      // a drain asked while this write was in flight and the loop waits for input
      if (this.#draining && this.#reading) this.#close();
    }
  }

  #close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#releaseTimer);
    this.client.pubsub?.close(false);
    try {
      this.#conn.close();
    } catch {
      // already closed
    }
  }
}

/**
 * Whether the request's name (`args[0]`) is the command's own (or its
 * container's), ASCII case-insensitively: false when the command that ran
 * last was run by another (EXEC, EVAL).
 */
function isNamedBy(cmd: ResolvedCommand, name: Uint8Array): boolean {
  const own = (cmd.parent ?? cmd).name;
  if (own.length !== name.length) return false;
  for (let i = 0; i < name.length; i++) {
    let c = name[i];
    if (c >= 65 && c <= 90) c += 32;
    if (c !== own.charCodeAt(i)) return false;
  }
  return true;
}

/** {@linkcode Connection}'s "the blocked command's connection ended" result. */
const BLOCK_ABORTED = Symbol("block aborted");

/** Writes all of `data` (a socket write may be partial). */
export async function writeAll(conn: Deno.Conn, data: Uint8Array): Promise<void> {
  let off = 0;
  while (off < data.length) {
    off += await conn.write(off === 0 ? data : data.subarray(off));
  }
}
