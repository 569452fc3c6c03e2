/**
 * Where a rank listens for its peers and how it reaches theirs: a TCP listener for every peer, a Unix domain
 * socket for the peers of its own host (unless `MPIRUN_DENO_TRANSPORT=tcp`), and the dial that picks between
 * them. Every bootstrap listens through {@linkcode listenForPeers}; the mesh dials through
 * {@linkcode dialPeer}.
 *
 * @module
 */

import { readTransport } from "../env.ts";
import {
  onExit,
  pid,
  platform,
  randomBytes,
  removeFileQuietly,
  tempDirectory,
  toHex,
} from "../runtime/host.ts";
import type { ListenerHandle, SocketHandle } from "../runtime/runtime.ts";
import { CONNECT_TIMEOUT_MS } from "../wire/limits.ts";
import { connectPeer, connectUnix, listenPeers, listenUnix } from "./sockets.ts";

/** Where a peer listens. */
export interface PeerEndpoint {
  host: string;
  port: number;
  /** The peer's host name: a peer on this rank's host with a Unix socket `path` is dialled there. */
  hostname?: string;
  /** The Unix domain socket the peer also listens on, if any. */
  path?: string;
}

/** The sockets ranks reach each other with: by default this process's choice (see `sockets.ts`). */
export interface PeerSockets {
  listen(host: string, port: number, accept: (socket: SocketHandle) => void): Promise<ListenerHandle>;
  listenUnix(path: string, accept: (socket: SocketHandle) => void): Promise<ListenerHandle>;
  connect(host: string, port: number): Promise<SocketHandle>;
  connectUnix(path: string): Promise<SocketHandle>;
}

/** This process's rank-to-rank sockets: through the C library where it can be bound, the runtime's otherwise. */
export const processSockets: PeerSockets = {
  listen: listenPeers,
  listenUnix,
  connect: connectPeer,
  connectUnix,
};

/** Where this rank listens, to advertise in the rendezvous. */
export interface PeerListeners {
  /** The TCP listener's address and port. */
  host: string;
  port: number;
  /** The Unix domain socket, when there is one. */
  path?: string;
  /** Stops listening (a rank listens until it exits; tests stop sooner). */
  close(): void;
}

/**
 * Listens for peers on TCP `host` (a free port) and, for the ranks of this host, on a fresh Unix domain socket
 * (see {@linkcode listenLocal}), handing every accepted socket to `accept` from the start, so that no early
 * dial is lost. The listeners do not keep the process alive.
 *
 * @example
 * ```ts ignore
 * const { host, port, path } = await listenForPeers("127.0.0.1", (socket) => mesh.accept(socket));
 * ```
 */
export async function listenForPeers(
  host: string,
  accept: (socket: SocketHandle) => void,
  sockets: PeerSockets = processSockets,
): Promise<PeerListeners> {
  const listeners = [await sockets.listen(host, 0, accept)];
  listeners[0].unref();
  const local = await listenLocal(accept, sockets);
  if (local) listeners.push(local.listener);
  return {
    host: listeners[0].host,
    port: listeners[0].port,
    ...(local ? { path: local.path } : {}),
    close: () => listeners.forEach((listener) => listener.close()),
  };
}

/** Longest Unix socket path every platform accepts (Linux allows 107 bytes, macOS 103). */
const MAX_UNIX_PATH = 100;

/**
 * Listens on a fresh Unix domain socket too, for the ranks on this host (see `Mesh`). On Linux it is an
 * abstract socket (no file: the kernel drops it with the process, however the process ends); elsewhere a file
 * in the temporary directory, removed when the process exits. Returns its path and (unreferenced) listener,
 * or `undefined` when `MPIRUN_DENO_TRANSPORT=tcp` asks for TCP only or the socket cannot be made (the peers
 * then use TCP).
 */
async function listenLocal(
  accept: (socket: SocketHandle) => void,
  sockets: PeerSockets,
): Promise<{ path: string; listener: ListenerHandle } | undefined> {
  if (readTransport() === "tcp" || platform === "win32") return undefined;
  const name = `mpirun-deno-${pid}-${toHex(randomBytes(6))}`;
  const abstract = platform === "linux";
  const file = abstract ? `\0${name}` : `${tempDirectory().replace(/\/$/, "")}/${name}.sock`;
  if (file.length > MAX_UNIX_PATH) return undefined;
  let listener: ListenerHandle;
  try {
    listener = await sockets.listenUnix(file, accept);
    listener.unref();
  } catch {
    return undefined;
  }
  if (!abstract) {
    onExit(() => removeFileQuietly(file));
  }
  return { path: file, listener };
}

/**
 * Connects to `endpoint`: on its Unix socket when `local` (it runs on this rank's host) and it has one,
 * else, or when that fails (the host names may match across containers), over TCP, retrying what is not a
 * refusal until `CONNECT_TIMEOUT_MS`. The socket does not keep the process alive.
 */
export async function dialPeer(
  endpoint: PeerEndpoint,
  local: boolean,
  sockets: PeerSockets = processSockets,
): Promise<SocketHandle> {
  const deadline = Date.now() + CONNECT_TIMEOUT_MS;
  let socket: SocketHandle | undefined = await dialUnix(endpoint, local, sockets);
  for (let delay = 10; !socket; delay = Math.min(delay * 2, 500)) {
    try {
      socket = await sockets.connect(endpoint.host, endpoint.port);
    } catch (error) {
      // Every peer listened before the rendezvous ended, so a refusal means the peer is gone: no retries.
      const refused = (error as { code?: string }).code === "ECONNREFUSED" ||
        /refused/i.test(String(error));
      if (refused || Date.now() + delay > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
  socket.unref();
  return socket;
}

/**
 * A peer on this host that listens on a Unix domain socket is dialled there (no TCP/IP stack: shorter round
 * trips, more bandwidth). Any failure falls back to TCP.
 */
async function dialUnix(
  endpoint: PeerEndpoint,
  local: boolean,
  sockets: PeerSockets,
): Promise<SocketHandle | undefined> {
  if (!endpoint.path || !local) return undefined;
  try {
    return await sockets.connectUnix(endpoint.path);
  } catch {
    return undefined;
  }
}
