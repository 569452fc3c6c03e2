/**
 * The contract every socket adapter keeps ({@linkcode SocketHandle}, {@linkcode ListenerHandle}) and the
 * names of the runtimes. The adapters (`deno_net.ts`, `bun_net.ts`, `node_net.ts`, and the C library's in
 * `transport/ffi_reactor.ts`) implement it; `transport/sockets.ts` picks one. This folder is the only place
 * that knows Deno from Bun and Node: everything else asks it (host facts in `host.ts`).
 *
 * @module
 */

/** The runtimes mpirun-deno runs on. */
export type RuntimeName = "deno" | "bun" | "node";

/** A connected byte stream (TCP). One owner reads it; writes are queued in order. */
export interface SocketHandle {
  /** Address of the other end, for messages. */
  readonly remoteAddress: string;
  /** This end's IP address: an address of this host that the other end could reach. */
  readonly localAddress: string;
  /**
   * Queues `data` for writing (the caller must not change it until `done` runs). Returns false when the
   * runtime's write queue is above its high-water mark.
   */
  write(data: Uint8Array, done?: (error?: Error | null) => void): boolean;
  /** Sets the single reader of incoming chunks. */
  onData(callback: (chunk: Uint8Array) => void): void;
  /**
   * Optional: before each read, a socket that can read into a given buffer asks `next` where the bytes should
   * land (undefined: anywhere). The chunk it then hands to `onData` is a view of that buffer.
   */
  readInto?(next: () => Uint8Array | undefined): void;
  /**
   * Optional: the process at the other end, numbered as this process sees it, when it runs on this host and
   * the socket can tell (a Unix socket through the C library); undefined otherwise.
   */
  readonly peerProcess?: number;
  /**
   * Optional: true for a Unix socket through the C library, whose other end runs on this host, whether or
   * not {@linkcode peerProcess} can name it (a process in another PID namespace cannot be named). Both ends
   * of such a socket say so alike.
   */
  readonly sameHost?: boolean;
  /** Optional: bytes written but not yet taken by the kernel. */
  readonly queued?: number;
  /** Called once when the stream ends, with the error if it failed (may be called to add more listeners). */
  onClose(callback: (error?: Error) => void): void;
  /** Called when the write queue has drained below its high-water mark. */
  onDrain(callback: () => void): void;
  /** Ends the stream after queued writes. */
  end(): void;
  /** Closes the stream at once. */
  destroy(): void;
  /** Lets the process exit while this stream is open. */
  unref(): void;
  /** Keeps the process alive while this stream is open. */
  ref(): void;
}

/** A listening TCP socket. */
export interface ListenerHandle {
  readonly host: string;
  readonly port: number;
  close(): void;
  unref(): void;
}
