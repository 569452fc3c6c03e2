/**
 * Sockets on Deno's native `Deno.listen`/`Deno.connect` (TCP and Unix domain), behind {@linkcode SocketHandle}.
 * One read loop per socket reads into a slab that it only ever moves forward through, so a chunk handed to the
 * reader is never written again (the frame reader keeps views of it) and no chunk is allocated per read. Writes
 * go out in order from the caller's bytes, without copies, one at a time. While the reader assembles a large
 * payload, reads go straight into its buffer (`readInto`): the receiver's own array, for a rendezvous.
 *
 * @module
 */

import type { ListenerHandle, SocketHandle } from "./runtime.ts";

// deno-lint-ignore no-explicit-any
type DenoConn = any;
// deno-lint-ignore no-explicit-any
const Deno = (globalThis as any).Deno;

type Done = (error?: Error | null) => void;

/** Bytes of each read slab; a read never asks for less than `MIN_READ`, so a slab is cut into few chunks. */
const SLAB = 256 * 1024;
const MIN_READ = 16 * 1024;
/** A read goes straight into the reader's buffer (see `readInto`) when at least this much of it is left. */
const MIN_DIRECT = 16 * 1024;
/** Queued bytes above which `write` reports backpressure. */
const HIGH_WATER = 1 << 20;

interface PendingWrite {
  bytes: Uint8Array;
  done: Done | undefined;
}

class NativeSocket implements SocketHandle {
  readonly remoteAddress: string;
  readonly localAddress: string;
  #conn: DenoConn;
  #queue: PendingWrite[] = [];
  #queued = 0;
  #writing = false;
  #ending = false;
  #onData: ((chunk: Uint8Array) => void) | undefined;
  #next: (() => Uint8Array | undefined) | undefined;
  #early: Uint8Array[] = [];
  #closeCallbacks: ((error?: Error) => void)[] = [];
  #drainCallbacks: (() => void)[] = [];
  #closed = false;
  #error: Error | undefined;

  constructor(conn: DenoConn, unix: string | undefined) {
    this.#conn = conn;
    if (unix) {
      this.remoteAddress = unix.replace(/^\0/, "@"); // "@name": a Linux abstract socket
      this.localAddress = "127.0.0.1";
    } else {
      conn.setNoDelay(true);
      this.remoteAddress = `${conn.remoteAddr.hostname}:${conn.remoteAddr.port}`;
      this.localAddress = String(conn.localAddr.hostname).replace(/^::ffff:/, "");
    }
    this.#readLoop();
  }

  write(data: Uint8Array, done?: Done): boolean {
    if (this.#closed || this.#ending) {
      done?.(this.#error ?? new Error("socket is closed"));
      return false;
    }
    this.#queue.push({ bytes: data, done });
    this.#queued += data.length;
    if (!this.#writing) this.#pump();
    return this.#queued < HIGH_WATER;
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
    if (this.#closed) queueMicrotask(() => callback(this.#error));
    else this.#closeCallbacks.push(callback);
  }

  onDrain(callback: () => void): void {
    this.#drainCallbacks.push(callback);
  }

  end(): void {
    if (this.#closed || this.#ending) return;
    this.#ending = true;
    if (!this.#writing) this.#finishEnd();
  }

  destroy(): void {
    if (this.#closed) return;
    try {
      this.#conn.close();
    } catch {
      // Already closed.
    }
    this.#closing();
  }

  unref(): void {
    this.#conn.unref();
  }

  ref(): void {
    this.#conn.ref();
  }

  async #pump(): Promise<void> {
    this.#writing = true;
    const queue = this.#queue;
    try {
      while (queue.length > 0) {
        const head = queue[0];
        let offset = 0;
        while (offset < head.bytes.length) offset += await this.#conn.write(head.bytes.subarray(offset));
        queue.shift();
        this.#queued -= head.bytes.length;
        head.done?.();
      }
    } catch (error) {
      this.#error ??= error as Error;
      this.destroy();
      return;
    } finally {
      this.#writing = false;
    }
    for (const callback of this.#drainCallbacks) callback();
    if (this.#ending) this.#finishEnd();
  }

  #finishEnd(): void {
    try {
      this.#conn.closeWrite();
    } catch {
      this.destroy();
    }
  }

  async #readLoop(): Promise<void> {
    let slab = new Uint8Array(SLAB);
    let offset = 0;
    try {
      while (true) {
        const direct = this.#next?.();
        let chunk: Uint8Array;
        if (direct !== undefined && direct.length >= MIN_DIRECT) {
          const count: number | null = await this.#conn.read(direct);
          if (count === null) break;
          chunk = direct.subarray(0, count);
        } else {
          if (slab.length - offset < MIN_READ) {
            slab = new Uint8Array(SLAB);
            offset = 0;
          }
          const count: number | null = await this.#conn.read(slab.subarray(offset));
          if (count === null) break;
          chunk = slab.subarray(offset, offset + count);
          offset += count;
        }
        if (this.#onData) this.#onData(chunk);
        else this.#early.push(chunk);
      }
    } catch (error) {
      if (!this.#closed) this.#error ??= error as Error;
    }
    if (!this.#closed) {
      try {
        this.#conn.close();
      } catch {
        // Already closed.
      }
    }
    this.#closing();
  }

  #closing(): void {
    if (this.#closed) return;
    this.#closed = true;
    const error = this.#error;
    for (const write of this.#queue.splice(0)) {
      write.done?.(error ?? new Error("socket closed before the write"));
    }
    this.#queued = 0;
    for (const callback of this.#closeCallbacks.splice(0)) callback(error);
  }
}

function serve(
  listener: DenoConn,
  unix: string | undefined,
  onConnection: (socket: SocketHandle) => void,
): void {
  (async () => {
    try {
      for await (const conn of listener) onConnection(new NativeSocket(conn, unix));
    } catch {
      // The listener was closed.
    }
  })();
}

function handle(listener: DenoConn, host: string, port: number): ListenerHandle {
  return {
    host,
    port,
    close: () => {
      try {
        listener.close();
      } catch {
        // Already closed.
      }
    },
    unref: () => listener.unref(),
  };
}

/** Listens on TCP `host:port` (0 picks a free port). */
export function listen(
  host: string,
  port: number,
  onConnection: (socket: SocketHandle) => void,
): Promise<ListenerHandle> {
  return settle(() => {
    const listener = Deno.listen({ hostname: host, port, transport: "tcp" });
    serve(listener, undefined, onConnection);
    return handle(listener, listener.addr.hostname, listener.addr.port);
  });
}

/** Connects to TCP `host:port`; rejects when nobody listens there. */
export async function connect(host: string, port: number): Promise<SocketHandle> {
  return new NativeSocket(await Deno.connect({ hostname: host, port, transport: "tcp" }), undefined);
}

/** Listens on the Unix domain socket `path` (which must not exist). */
export function listenUnix(
  path: string,
  onConnection: (socket: SocketHandle) => void,
): Promise<ListenerHandle> {
  return settle(() => {
    const listener = Deno.listen({ path, transport: "unix" });
    serve(listener, path, onConnection);
    return handle(listener, path, 0);
  });
}

/** Connects to the Unix domain socket `path`. */
export async function connectUnix(path: string): Promise<SocketHandle> {
  return new NativeSocket(await Deno.connect({ path, transport: "unix" }), path);
}

/** Runs `make` and turns what it returns or throws into a promise (the runtime's listen throws at once). */
function settle<T>(make: () => T): Promise<T> {
  try {
    return Promise.resolve(make());
  } catch (error) {
    return Promise.reject(error);
  }
}
