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
import { settle, showUnixPath, SocketBase } from "./socket_base.ts";

// deno-lint-ignore no-explicit-any
type DenoConn = any;
// deno-lint-ignore no-explicit-any
const Deno = (globalThis as any).Deno;

class NativeSocket extends SocketBase {
  readonly remoteAddress: string;
  readonly localAddress: string;
  #conn: DenoConn;
  #writing = false;

  constructor(conn: DenoConn, unix: string | undefined) {
    super();
    this.#conn = conn;
    if (unix) {
      this.remoteAddress = showUnixPath(unix);
      this.localAddress = "127.0.0.1";
    } else {
      conn.setNoDelay(true);
      this.remoteAddress = `${conn.remoteAddr.hostname}:${conn.remoteAddr.port}`;
      this.localAddress = String(conn.localAddr.hostname).replace(/^::ffff:/, "");
    }
    this.#readLoop();
  }

  destroy(): void {
    if (this.closed) return;
    try {
      this.#conn.close();
    } catch {
      // Already closed.
    }
    this.markClosed(undefined);
  }

  unref(): void {
    this.#conn.unref();
  }

  ref(): void {
    this.#conn.ref();
  }

  /** Deno writes only asynchronously: every write is queued, and one writer sends the queue in order. */
  protected writeNow(): number {
    return 0;
  }

  protected override queuedWrite(): void {
    if (!this.#writing) this.#pump();
  }

  protected finishEnd(): void {
    try {
      this.#conn.closeWrite();
    } catch {
      this.destroy();
    }
  }

  async #pump(): Promise<void> {
    this.#writing = true;
    try {
      while (this.pending.length > 0) {
        const written: number = await this.#conn.write(this.pending[0].bytes);
        if (this.closed) return; // destroyed meanwhile: the queue has been failed
        this.wrote(written);
      }
    } catch (error) {
      this.failure ??= error as Error;
      this.destroy();
    } finally {
      this.#writing = false;
    }
  }

  async #readLoop(): Promise<void> {
    try {
      while (true) {
        const target = this.readTarget();
        const count: number | null = await this.#conn.read(target);
        if (count === null) break;
        this.received(target, count);
      }
    } catch (error) {
      if (!this.closed) this.failure ??= error as Error;
    }
    if (!this.closed) {
      try {
        this.#conn.close();
      } catch {
        // Already closed.
      }
    }
    this.markClosed(undefined);
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
