/**
 * The socket adapter on `node:net`, which Deno, Bun and Node all provide: the one ranks use under Node (Deno
 * and Bun have faster native adapters, `deno_net.ts` and `bun_net.ts`), and the one the launcher uses for its
 * coordinator on every runtime. Loaded only where it is used: on Deno, `node:net` costs 15-30 ms at start.
 *
 * @module
 */

import * as net from "node:net";
import type { ListenerHandle, SocketHandle } from "./runtime.ts";

class NetSocket implements SocketHandle {
  readonly remoteAddress: string;
  readonly localAddress: string;
  #socket: net.Socket;

  constructor(socket: net.Socket) {
    this.#socket = socket;
    this.remoteAddress = `${socket.remoteAddress ?? "?"}:${socket.remotePort ?? "?"}`;
    this.localAddress = (socket.localAddress ?? "127.0.0.1").replace(/^::ffff:/, "");
    socket.setNoDelay(true);
  }

  write(data: Uint8Array, done?: (error?: Error | null) => void): boolean {
    return this.#socket.write(data, done);
  }

  onData(callback: (chunk: Uint8Array) => void): void {
    this.#socket.removeAllListeners("data");
    this.#socket.on("data", callback);
  }

  onClose(callback: (error?: Error) => void): void {
    let failure: Error | undefined;
    this.#socket.on("error", (error) => failure = error);
    this.#socket.on("close", () => callback(failure));
  }

  onDrain(callback: () => void): void {
    this.#socket.on("drain", callback);
  }

  end(): void {
    this.#socket.end();
  }

  destroy(): void {
    this.#socket.destroy();
  }

  unref(): void {
    this.#socket.unref();
  }

  ref(): void {
    this.#socket.ref();
  }
}

/**
 * Listens on `host` (port 0 picks a free one) and hands every accepted connection to `onConnection`.
 *
 * @example
 * ```ts
 * import { connect, listen } from "./node_net.ts";
 * const listener = await listen("127.0.0.1", 0, (socket) => socket.destroy());
 * const socket = await connect("127.0.0.1", listener.port);
 * socket.destroy();
 * listener.close();
 * ```
 */
export function listen(
  host: string,
  port: number,
  onConnection: (socket: SocketHandle) => void,
): Promise<ListenerHandle> {
  return new Promise((resolve, reject) => {
    const server = net.createServer({ noDelay: true }, (socket) => onConnection(new NetSocket(socket)));
    server.once("error", reject);
    server.listen({ host, port, backlog: 511 }, () => {
      server.off("error", reject);
      server.on("error", () => {});
      const address = server.address() as net.AddressInfo;
      resolve({
        host: address.address,
        port: address.port,
        close: () => server.close(),
        unref: () => server.unref(),
      });
    });
  });
}

/** Connects to `host:port`; rejects with the runtime's error when nobody listens there. */
export function connect(host: string, port: number): Promise<SocketHandle> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port, noDelay: true });
    socket.once("error", reject);
    socket.once("connect", () => {
      socket.off("error", reject);
      resolve(new NetSocket(socket));
    });
  });
}

/** Listens on the Unix domain socket `path` (the file must not exist). */
export function listenUnix(
  path: string,
  onConnection: (socket: SocketHandle) => void,
): Promise<ListenerHandle> {
  return new Promise((resolve, reject) => {
    const server = net.createServer((socket) => onConnection(new NetSocket(socket)));
    server.once("error", reject);
    server.listen({ path, backlog: 511 }, () => {
      server.off("error", reject);
      server.on("error", () => {});
      resolve({ host: path, port: 0, close: () => server.close(), unref: () => server.unref() });
    });
  });
}

/** Connects to the Unix domain socket `path`. */
export function connectUnix(path: string): Promise<SocketHandle> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ path });
    socket.once("error", reject);
    socket.once("connect", () => {
      socket.off("error", reject);
      resolve(new NetSocket(socket));
    });
  });
}
