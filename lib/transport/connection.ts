/**
 * One TCP connection between two parties of a job (rank-rank or rank-launcher): raw bytes while the handshake
 * runs, then frames. The connection is the single owner of its socket's read side.
 *
 * @module
 */

import { smallArraysAreCheap } from "../runtime/detect.ts";
import type { SocketHandle } from "../runtime/runtime.ts";
import { HEADER_SIZE, writeHeader } from "../wire/frame.ts";
import type { FrameHeader } from "../wire/frame.ts";
import { FrameError, FrameReader } from "../wire/frame_reader.ts";
import { MAX_FRAME_PAYLOAD, MAX_HANDSHAKE_BYTES } from "../wire/limits.ts";
import { concatBytes } from "../wire/buffers.ts";

/** What a framed connection reports to its owner. */
export interface ConnectionEvents {
  /** A whole frame arrived. The payload view stays valid; the connection never writes into it again. */
  onFrame(header: FrameHeader, payload: Uint8Array): void;
  /** The connection ended: `error` is set unless the other side closed it cleanly. */
  onClose(error?: Error): void;
  /** Optional: where to assemble the payload of a frame that spans reads (see `FrameReader`). */
  payloadTarget?(header: FrameHeader): Uint8Array | undefined;
}

/** Raised when the handshake phase gets fewer bytes than it needs, or too many. */
export class HandshakeError extends Error {
  /** Did the other end close the connection before the handshake ended (rather than answer it wrongly)? */
  readonly closed: boolean;

  constructor(message: string, closed = false) {
    super(message);
    this.name = "HandshakeError";
    this.closed = closed;
  }
}

/** Below this size a header and payload are copied into one buffer so that one write sends both. */
const COALESCE_LIMIT = 16 * 1024;
/**
 * Frames of up to this many bytes are built in arrays of their own, not in the reused buffer, where those cost
 * less than its views (see `smallArraysAreCheap`).
 */
const SMALL_FRAME = smallArraysAreCheap ? 256 : 0;
/** The first size of the buffer a connection builds small frames in (it grows to the largest it needed). */
const SCRATCH_BYTES = 1024;

/**
 * A connection: `readBytes` during the handshake, then `startFrames` hands every frame to its events.
 *
 * @example
 * ```ts ignore
 * const connection = new Connection(socket);
 * const hello = await connection.readBytes(28);
 * connection.startFrames({ onFrame: (header) => console.log(header.kind), onClose: () => {} });
 * ```
 */
export class Connection {
  #socket: SocketHandle;
  #raw: Uint8Array[] = [];
  #rawBytes = 0;
  #heard = 0;
  #rawWaiter:
    | { need: number; resolve: (bytes: Uint8Array) => void; reject: (error: Error) => void }
    | undefined;
  #reader: FrameReader | undefined;
  #events: ConnectionEvents | undefined;
  #closed = false;
  #closeError: Error | undefined;
  /** Where small frames are built, while no socket queue holds it (see `send`). */
  #scratch: Uint8Array | undefined;

  constructor(socket: SocketHandle) {
    this.#socket = socket;
    this.#listen(socket);
  }

  /** The socket the connection reads and writes. */
  get socket(): SocketHandle {
    return this.#socket;
  }

  /**
   * Goes on over `socket` instead (during the handshake phase, once both sides agreed to): a socket that
   * wraps the old one, such as a ring in shared memory beside it. The old socket's events are ignored from
   * now on; bytes it delivered and nobody read yet stay first in line.
   */
  useSocket(socket: SocketHandle): void {
    this.#socket = socket;
    this.#listen(socket);
  }

  #listen(socket: SocketHandle): void {
    socket.onData((chunk) => {
      if (socket === this.#socket) this.#onData(chunk);
    });
    socket.onClose((error) => {
      if (socket === this.#socket) this.#onClose(error);
    });
  }

  /** Bytes the other end sent during the handshake phase: more than none proves its process ran. */
  get bytesHeard(): number {
    return this.#heard;
  }

  /** Has the socket closed? */
  get closed(): boolean {
    return this.#closed;
  }

  /** Resolves with exactly `count` bytes of the handshake phase; rejects if the socket closes first. */
  readBytes(count: number): Promise<Uint8Array> {
    return new Promise((resolve, reject) => {
      this.#rawWaiter = { need: count, resolve, reject };
      this.#serveRaw();
    });
  }

  /** Writes raw bytes (handshake phase). */
  writeRaw(bytes: Uint8Array): void {
    this.socket.write(bytes);
  }

  /** Ends the handshake phase: from now on bytes are frames, up to `maxPayload` bytes each. */
  startFrames(events: ConnectionEvents, maxPayload = MAX_FRAME_PAYLOAD): void {
    this.#events = events;
    const reader = new FrameReader(maxPayload, events.payloadTarget?.bind(events));
    this.#reader = reader;
    this.socket.readInto?.(() => reader.pendingPayload);
    const pending = this.#raw;
    this.#raw = [];
    this.#rawBytes = 0;
    for (const chunk of pending) {
      if (!this.#feed(chunk)) return;
    }
    if (this.#closed) events.onClose(this.#closeError);
  }

  /**
   * Sends one frame. Small payloads are copied behind the header so one write carries both; a large one is
   * written from the caller's bytes, which must stay unchanged until `done` runs.
   */
  send(header: FrameHeader, payload: Uint8Array | undefined, done?: (error?: Error | null) => void): void {
    const length = payload?.length ?? 0;
    header.length = length;
    if (length <= SMALL_FRAME - HEADER_SIZE) {
      // An array of its own, and a loop rather than `set` (which needs a view too).
      const bytes = new Uint8Array(HEADER_SIZE + length);
      writeHeader(bytes, header);
      for (let i = 0; i < length; i++) bytes[HEADER_SIZE + i] = payload![i];
      this.#write(bytes, done);
      return;
    }
    if (length <= COALESCE_LIMIT) {
      const bytes = this.#coalescing(HEADER_SIZE + length);
      writeHeader(bytes, header);
      if (payload) bytes.set(payload, HEADER_SIZE);
      const queued = this.#socket.queued;
      this.#write(bytes, done);
      // A socket that took every byte before returning (the kernel's or a ring's copy) leaves the buffer free
      // for the next frame; one that queued some keeps it, and the next frame gets a new one.
      if (queued === undefined || this.#socket.queued !== queued) this.#scratch = undefined;
      return;
    }
    const head = new Uint8Array(HEADER_SIZE);
    writeHeader(head, header);
    this.#write(head);
    this.#write(payload!, done);
  }

  /**
   * Sends a frame whose first {@linkcode HEADER_SIZE} bytes are free for the header (an encoder's headroom):
   * one write, no copy.
   */
  sendWithHeadroom(header: FrameHeader, frame: Uint8Array, done?: (error?: Error | null) => void): void {
    header.length = frame.length - HEADER_SIZE;
    writeHeader(frame, header);
    this.#write(frame, done);
  }

  /** Closes the connection after queued writes. */
  close(): void {
    this.socket.end();
  }

  /** Closes the connection at once. */
  destroy(): void {
    this.socket.destroy();
  }

  /** `length` bytes to build a small frame in: the free part of a buffer this connection reuses. */
  #coalescing(length: number): Uint8Array {
    let scratch = this.#scratch;
    if (scratch === undefined || scratch.length < length) {
      scratch = this.#scratch = new Uint8Array(Math.max(length, SCRATCH_BYTES));
    }
    return scratch.subarray(0, length);
  }

  #write(bytes: Uint8Array, done?: (error?: Error | null) => void): void {
    if (this.#closed) {
      done?.(this.#closeError ?? new Error("connection is closed"));
      return;
    }
    this.socket.write(bytes, done);
  }

  #onData(chunk: Uint8Array): void {
    if (this.#reader) {
      this.#feed(chunk);
      return;
    }
    this.#raw.push(chunk);
    this.#rawBytes += chunk.length;
    this.#heard += chunk.length;
    if (this.#rawBytes > MAX_HANDSHAKE_BYTES) {
      this.#fail(new HandshakeError(`sent ${this.#rawBytes} bytes before finishing the handshake`));
      return;
    }
    this.#serveRaw();
  }

  #feed(chunk: Uint8Array): boolean {
    try {
      this.#reader!.feed(chunk, this.#events!);
    } catch (error) {
      if (!(error instanceof FrameError)) throw error;
      this.#fail(error);
      return false;
    }
    return true;
  }

  #serveRaw(): void {
    const waiter = this.#rawWaiter;
    if (!waiter) return;
    if (this.#rawBytes < waiter.need) {
      if (this.#closed) {
        this.#rawWaiter = undefined;
        waiter.reject(
          new HandshakeError(`closed after ${this.#rawBytes} of ${waiter.need} handshake bytes`, true),
        );
      }
      return;
    }
    const all = concatBytes(this.#raw);
    const taken = all.slice(0, waiter.need);
    const rest = all.subarray(waiter.need);
    this.#raw = rest.length > 0 ? [rest] : [];
    this.#rawBytes = rest.length;
    this.#rawWaiter = undefined;
    waiter.resolve(taken);
  }

  #fail(error: Error): void {
    this.#closeError ??= error;
    this.socket.destroy();
    // Some runtimes report the close of a destroyed socket late or not at all; report it now.
    this.#onClose(error);
  }

  #onClose(error?: Error): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#closeError ??= error;
    if (this.#reader) {
      this.#events!.onClose(this.#closeError);
      return;
    }
    const waiter = this.#rawWaiter;
    if (waiter && this.#closeError) {
      this.#rawWaiter = undefined;
      waiter.reject(this.#closeError);
      return;
    }
    this.#serveRaw();
  }
}
