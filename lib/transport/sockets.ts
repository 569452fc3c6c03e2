/**
 * The socket implementation this process uses, chosen once: the runtime's native sockets (`Bun.connect`,
 * `Deno.connect`), which measured faster than `node:net` on both, or `node:net` under Node; and for the
 * rank-to-rank sockets, the C library's through FFI where it can be bound (`MPIRUN_DENO_SOCKETS=auto`, the
 * default) unless `MPIRUN_DENO_SOCKETS=native` asks for the runtime's own. Every rank-side caller imports its
 * sockets from here (the rank-to-rank ones through `endpoints.ts`).
 *
 * @module
 */

import { EnvName, readChoiceEnv } from "../env.ts";
import * as bunNet from "../runtime/bun_net.ts";
import { runtimeName } from "../runtime/detect.ts";
import * as denoNet from "../runtime/deno_net.ts";
import { FfiReactor } from "./ffi_reactor.ts";
import { isIPv4, loadLibc } from "../runtime/libc.ts";
import type { ListenerHandle, SocketHandle } from "../runtime/runtime.ts";
import { settle } from "../runtime/socket_base.ts";

/** What a socket implementation provides. */
export interface SocketImplementation {
  listen(host: string, port: number, onConnection: (socket: SocketHandle) => void): Promise<ListenerHandle>;
  connect(host: string, port: number): Promise<SocketHandle>;
  listenUnix(path: string, onConnection: (socket: SocketHandle) => void): Promise<ListenerHandle>;
  connectUnix(path: string): Promise<SocketHandle>;
}

const wanted = readChoiceEnv(EnvName.SOCKETS, ["auto", "native"], "auto");

/** `node:net` is imported only where it is used: on Deno, loading it costs a rank 15-30 ms at start. */
async function choose(): Promise<SocketImplementation> {
  if (runtimeName === "bun") return bunNet;
  if (runtimeName === "deno") return denoNet;
  return await import("../runtime/node_net.ts");
}

const chosen = await choose();

/**
 * The reactor of this process's rank-to-rank sockets when they go through the C library (the default,
 * `auto`, wherever the library can be bound: see `libc.ts`); `undefined` when they are the runtime's own.
 * Unix sockets between ranks of one host and TCP (IPv4) between hosts both go through it, so that a waiting
 * rank serves every peer from one `poll(2)`; a waiting rank must pump it (see `Progress.attach`). The
 * launcher's and the rendezvous's connections stay the runtime's own.
 */
export const peerReactor: FfiReactor | undefined = (() => {
  if (wanted !== "auto") return undefined;
  const libc = loadLibc();
  return libc ? new FfiReactor(libc) : undefined;
})();

/**
 * Listens on TCP `host:port` (port 0 picks a free one) and hands every accepted connection to `onConnection`.
 *
 * @example
 * ```ts
 * import { connect, listen } from "./sockets.ts";
 * const listener = await listen("127.0.0.1", 0, (socket) => socket.destroy());
 * const socket = await connect("127.0.0.1", listener.port);
 * socket.destroy();
 * listener.close();
 * ```
 */
export const listen: SocketImplementation["listen"] = chosen.listen;
/** Connects to TCP `host:port`; rejects with the runtime's error when nobody listens there. */
export const connect: SocketImplementation["connect"] = chosen.connect;
/** Listens on the Unix domain socket `path` (the file must not exist). */
export const listenUnix: SocketImplementation["listenUnix"] = peerReactor
  ? (path, onConnection) => settle(() => peerReactor.listenUnix(path, onConnection))
  : chosen.listenUnix;
/** Connects to the Unix domain socket `path`. */
export const connectUnix: SocketImplementation["connectUnix"] = peerReactor
  ? (path) => peerReactor.connectUnix(path)
  : chosen.connectUnix;

/**
 * Listens on TCP `host:port` for other ranks: through {@linkcode peerReactor} when there is one and `host` is
 * an IPv4 address, else as {@linkcode listen}.
 */
export const listenPeers: SocketImplementation["listen"] = (host, port, onConnection) =>
  peerReactor && isIPv4(host)
    ? settle(() => peerReactor.listenTcp(host, port, onConnection))
    : listen(host, port, onConnection);

/** Connects to another rank at TCP `host:port`, the way {@linkcode listenPeers} listens. */
export const connectPeer: SocketImplementation["connect"] = (host, port) =>
  peerReactor && isIPv4(host) ? peerReactor.connectTcp(host, port) : connect(host, port);

/**
 * Did `connect` fail because the host name does not resolve here (rather than because nobody listens)?
 *
 * @example
 * ```ts
 * import { isUnresolvedName } from "./sockets.ts";
 * console.log(isUnresolvedName(new Error("getaddrinfo ENOTFOUND n1"))); // true
 * console.log(isUnresolvedName(new Error("Connection refused (os error 111)"))); // false
 * ```
 */
export function isUnresolvedName(error: unknown): boolean {
  return /ENOTFOUND|EAI_AGAIN|getaddrinfo|lookup address|name resolution|Name or service not known/i.test(
    String((error as Error)?.message ?? error),
  );
}
