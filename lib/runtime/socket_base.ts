/**
 * What the native socket adapters of this folder (`deno_net.ts`, `bun_net.ts`, `../transport/ffi_reactor.ts`) share behind
 * {@linkcode SocketHandle}: the single reader and the chunks that arrive before it is set, reads into a slab
 * or straight into the reader's buffer, the queue of writes the kernel has not taken yet (kept as views of
 * the caller's bytes, never copied), a queued `end()`, and closing once with the callbacks told in order.
 * An adapter supplies only the calls into its runtime.
 *
 * @module
 */

import { smallArraysAreCheap } from "./detect.ts";
import type { SocketHandle } from "./runtime.ts";

/** Told when a write has gone to the kernel, or with the error that stopped it. */
export type WriteDone = (error?: Error | null) => void;

/** Bytes of each read slab; a read never asks for less than `MIN_READ`, so a slab is cut into few chunks. */
const SLAB = 256 * 1024;
const MIN_READ = 16 * 1024;
/** A read goes straight into the reader's buffer (see `readInto`) when at least this much of it is left. */
const MIN_DIRECT = 16 * 1024;
/**
 * Reads of up to this many bytes (a ring's small frames) go into arrays of their own where those cost less
 * than views of the slab (see `smallArraysAreCheap`).
 */
const SMALL_READ = smallArraysAreCheap ? 256 : 0;
/** Queued bytes above which `write` reports backpressure. */
const HIGH_WATER = 1 << 20;

/** A write not yet fully taken by the kernel: the bytes left and who to tell. */
interface PendingWrite {
  bytes: Uint8Array;
  done: WriteDone | undefined;
}

/**
 * The runtime-independent half of a socket. Subclasses implement `writeNow` (hand the kernel what it takes
 * at once), `finishEnd` (half-close after the last queued byte), `destroy`, `ref` and `unref`, and report
 * what their runtime tells them through `received`/`deliver`, `flushPending`/`wrote` and `markClosed`.
 *
 * @example
 * ```ts
 * import { SocketBase } from "./socket_base.ts";
 * class Loopback extends SocketBase {
 *   readonly remoteAddress = "loopback";
 *   readonly localAddress = "127.0.0.1";
 *   protected writeNow(bytes: Uint8Array): number {
 *     this.deliver(bytes.slice());
 *     return bytes.length;
 *   }
 *   protected finishEnd(): void {
 *     this.markClosed(undefined);
 *   }
 *   destroy(): void {
 *     this.markClosed(undefined);
 *   }
 *   ref(): void {}
 *   unref(): void {}
 * }
 * const socket = new Loopback();
 * socket.onData((chunk) => console.log(chunk.length)); // 2
 * socket.write(new Uint8Array(2));
 * ```
 */
export abstract class SocketBase implements SocketHandle {
  abstract readonly remoteAddress: string;
  abstract readonly localAddress: string;
  /** Writes the kernel has not fully taken yet, oldest first; the head is the one being written. */
  protected readonly pending: PendingWrite[] = [];
  /** Set once the stream is closed; nothing is read or written after. */
  protected closed = false;
  /** Why the stream failed, if it did; handed to close callbacks and failed writes. */
  protected failure: Error | undefined;
  #queuedBytes = 0;
  #ending = false;
  #onData: ((chunk: Uint8Array) => void) | undefined;
  #early: Uint8Array[] = [];
  #next: (() => Uint8Array | undefined) | undefined;
  #closeCallbacks: ((error?: Error) => void)[] = [];
  #drainCallbacks: (() => void)[] = [];
  #slab = new Uint8Array(0);
  #offset = 0;
  /** The part of the slab {@linkcode readTarget} last gave out, until {@linkcode received} takes it back. */
  #slabTarget: Uint8Array | undefined;

  /**
   * Hands the kernel what it takes of `bytes` now: the count (0 if it must wait for a later flush), or -1
   * when the socket is closed (after setting `failure` if something failed).
   */
  protected abstract writeNow(bytes: Uint8Array): number;
  /** Half-closes the stream; called once, when the last queued write has gone out after `end()`. */
  protected abstract finishEnd(): void;
  abstract destroy(): void;
  abstract unref(): void;
  abstract ref(): void;

  /** Bytes written but not yet taken by the kernel. */
  get queued(): number {
    return this.#queuedBytes;
  }

  write(data: Uint8Array, done?: WriteDone): boolean {
    if (this.closed || this.#ending) {
      done?.(this.failure ?? new Error("socket is closed"));
      return false;
    }
    if (this.pending.length === 0) {
      const written = this.writeNow(data);
      if (written < 0) {
        done?.(this.failure ?? new Error("write on a closed socket"));
        return false;
      }
      if (written === data.length) {
        done?.();
        return true;
      }
      if (written > 0) data = data.subarray(written);
    }
    this.pending.push({ bytes: data, done });
    this.#queuedBytes += data.length;
    this.queuedWrite();
    return this.#queuedBytes < HIGH_WATER;
  }

  onData(callback: (chunk: Uint8Array) => void): void {
    this.#onData = callback;
    const early = this.#early;
    this.#early = [];
    for (const chunk of early) callback(chunk);
  }

  readInto(next: () => Uint8Array | undefined): void {
    this.#next = next;
  }

  onClose(callback: (error?: Error) => void): void {
    if (this.closed) queueMicrotask(() => callback(this.failure));
    else this.#closeCallbacks.push(callback);
  }

  onDrain(callback: () => void): void {
    this.#drainCallbacks.push(callback);
  }

  end(): void {
    if (this.closed || this.#ending) return;
    this.#ending = true;
    if (this.pending.length === 0) this.finishEnd();
  }

  /** Called when a write had to be queued; a subclass starts its writer here if it has one. */
  protected queuedWrite(): void {}

  /**
   * Writes queued bytes with `writeNow` until the queue is empty or the kernel takes no more. Returns true
   * when the queue emptied.
   */
  protected flushPending(): boolean {
    while (this.pending.length > 0) {
      const written = this.writeNow(this.pending[0].bytes);
      if (written < 0 || !this.wrote(written)) return false;
    }
    return true;
  }

  /**
   * Records that the kernel took `count` bytes of the head write. True when that write is complete; when it
   * was the last one queued, the drain callbacks run and a queued `end()` goes out.
   */
  protected wrote(count: number): boolean {
    const head = this.pending[0];
    this.#queuedBytes -= count;
    if (count < head.bytes.length) {
      // Nothing taken (a full ring, a full kernel buffer: every pass while it stays full) makes no view.
      if (count > 0) head.bytes = head.bytes.subarray(count);
      return false;
    }
    this.pending.shift();
    head.done?.();
    if (this.pending.length === 0) {
      for (const callback of this.#drainCallbacks) callback();
      if (this.#ending && !this.closed) this.finishEnd();
    }
    return true;
  }

  /**
   * Where the next read should land: the reader's own buffer when enough of it is left, else the free part
   * of the slab, cut to `wanted` bytes when the caller knows how many it will read (a ring: then a read that
   * fills it is delivered as it is, without another view). Pass what the read returned to
   * {@linkcode received}.
   */
  protected readTarget(wanted = SLAB): Uint8Array {
    const direct = this.#next?.();
    if (direct !== undefined && direct.length >= MIN_DIRECT) return direct;
    if (wanted <= SMALL_READ) return new Uint8Array(wanted);
    if (this.#slab.length - this.#offset < MIN_READ) {
      this.#slab = new Uint8Array(SLAB);
      this.#offset = 0;
    }
    const offset = this.#offset;
    const end = Math.min(this.#slab.length, offset + wanted);
    const target = offset === 0 && end === this.#slab.length ? this.#slab : this.#slab.subarray(offset, end);
    this.#slabTarget = target;
    return target;
  }

  /** Hands the first `count` bytes read into `target` (from {@linkcode readTarget}) to the reader. */
  protected received(target: Uint8Array, count: number): void {
    if (target === this.#slabTarget) {
      this.#offset += count;
      this.#slabTarget = undefined;
    }
    this.deliver(count === target.length ? target : target.subarray(0, count));
  }

  /** Hands a chunk to the reader, or keeps it until there is one. */
  protected deliver(chunk: Uint8Array): void {
    if (this.#onData) this.#onData(chunk);
    else this.#early.push(chunk);
  }

  /**
   * Marks the stream closed, once: queued writes fail, then every close callback is told, with `error` (or
   * an earlier `failure`). Returns false if it was closed already.
   */
  protected markClosed(error: Error | undefined): boolean {
    if (this.closed) return false;
    this.closed = true;
    this.failure ??= error;
    const failure = this.failure;
    for (const write of this.pending.splice(0)) {
      write.done?.(failure ?? new Error("socket closed before the write"));
    }
    this.#queuedBytes = 0;
    for (const callback of this.#closeCallbacks.splice(0)) callback(failure);
    return true;
  }
}

/** How a Unix socket path reads in messages ("@name": a Linux abstract socket, whose path starts with NUL). */
export function showUnixPath(path: string): string {
  return path.replace(/^\0/, "@");
}

/**
 * Runs `make` and turns what it returns or throws into a promise: the runtimes' `listen` (and the reactor's)
 * throw at once, where callers expect a rejection.
 *
 * @example
 * ```ts
 * import { settle } from "./socket_base.ts";
 * await settle(() => 1); // 1
 * await settle(() => { throw new Error("in use"); }).catch((error) => error.message); // "in use"
 * ```
 */
export function settle<T>(make: () => T | Promise<T>): Promise<T> {
  try {
    return Promise.resolve(make());
  } catch (error) {
    return Promise.reject(error);
  }
}
