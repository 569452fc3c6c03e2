/**
 * A rank's transport, wired once: the mesh of connections to its peers (the {@linkcode FrameSink}), the
 * {@linkcode Progress} that keeps the process alive while operations wait and pumps the C library's sockets,
 * direct copies between processes of one host, host-shared memory for collectives, and the exit hooks that
 * close connections gracefully and say what could not be sent. `comm/world.ts` opens it between the bootstrap
 * and the engine.
 *
 * @module
 */

import { EnvName, readIntEnv, readTransport } from "../env.ts";
import { cpuCount, onBeforeExit, onExit, pid } from "../runtime/host.ts";
import { loadLibc } from "../runtime/libc.ts";
import type { SocketHandle } from "../runtime/runtime.ts";
import { CrossMemory } from "./cross_memory.ts";
import type { PeerEndpoint } from "./endpoints.ts";
import { Mesh } from "./mesh.ts";
import { defaultPollMicros, Progress } from "./progress.ts";
import { HostSharedMemory } from "./shared_memory.ts";
import { peerReactor } from "./sockets.ts";
import type { DirectCopy, FrameHandler, FrameSink } from "./transport.ts";

/** Who this rank is, and where its diagnostics go. */
export interface PeersOptions {
  rank: number;
  size: number;
  /** The secret every connection of the job proves. */
  token: Uint8Array;
  /** Diagnostics that must not disturb the job: refused strangers, messages lost at exit. */
  log(message: string): void;
}

/** One rank's transport; see {@linkcode openPeers}. */
export interface Peers {
  /** Where the engine sends frames. */
  readonly sink: FrameSink;
  /** The engine's liveness: keeps the process alive while operations wait, and polls meanwhile. */
  readonly progress: Progress;
  /** Copies from another process of this host, where the C library can be bound. */
  readonly direct: DirectCopy | undefined;
  /** Sets who receives frames and losses (the engine); before any peer is reached. */
  deliverTo(handler: FrameHandler): void;
  /** Takes a socket a bootstrap's listener accepted (see `endpoints.ts`). */
  accept(socket: SocketHandle): void;
  /**
   * Gives every rank's endpoint, once the rendezvous has them, and how many ranks share this host (it sets
   * how long a wait polls).
   */
  join(endpoints: PeerEndpoint[], localSize: number): void;
  /**
   * Host-shared memory for collectives and for rings between ranks of this host (see `rings.ts`), unless
   * `MPIRUN_DENO_TRANSPORT` turns it off (`socket`, `tcp`) or the C library cannot be bound (then `shm` is an
   * error: it asks for shared memory).
   */
  readonly shared: HostSharedMemory | undefined;
  /**
   * Ends every connection this rank dialled once its queued bytes are written (once; later calls wait for the
   * same). Runs by itself before the process exits.
   */
  shutdown(): Promise<void>;
}

/** How long a finished rank waits for its connections to close gracefully before it exits anyway. */
const SHUTDOWN_WAIT_MS = 5000;

/** How long a rank that exits by itself blocks to hand its queued bytes to the kernel. */
const EXIT_DRAIN_MS = 2000;

/**
 * Opens this rank's transport and installs its exit hooks. Nothing is dialled before {@linkcode Peers.join}.
 *
 * @example
 * ```ts ignore
 * const peers = openPeers({ rank, size, token, log: console.error });
 * const engine = new Engine(rank, size, peers.sink, peers.progress, peers.direct);
 * peers.deliverTo(engine);
 * const rendezvous = await boot.rendezvous((socket) => peers.accept(socket));
 * peers.join(rendezvous.peers, localSize);
 * ```
 */
export function openPeers(options: PeersOptions): Peers {
  const { rank, size, token, log } = options;
  let handler: FrameHandler | undefined;
  const shared = sharedMemory();
  const mesh = new Mesh({
    rank,
    size,
    token,
    onFrame: (peer, header, payload) => handler!.onFrame(peer, header, payload),
    onPeerLost: (peer, why, unreachable) => handler!.onPeerLost(peer, why, unreachable),
    payloadTarget: (peer, header) => handler!.payloadTarget?.(peer, header),
    log,
    // Messages between ranks of this host go on rings in shared memory wherever it is on (`auto`, `shm`).
    rings: shared && peerReactor ? { shared, reactor: peerReactor } : undefined,
  });
  const progress = new Progress();
  let closing: Promise<void> | undefined;
  const shutdown = () => closing ??= mesh.shutdown();
  // When the script is done, close the connections this rank dialled gracefully before the process exits, so
  // that no byte a peer still needs is lost (the wait is bounded: a peer that never closes cannot hold us).
  onBeforeExit(() => {
    if (closing) return;
    const timer = setTimeout(() => {}, SHUTDOWN_WAIT_MS);
    shutdown().then(() => clearTimeout(timer));
  });
  // A script that exits on its own (`process.exit`, `Deno.exit`) skips that: write what the kernel has not
  // taken yet while the process still can, and say what could not go out rather than lose it silently.
  onExit(() => {
    if (closing) return;
    mesh.farewell();
    peerReactor?.drain(EXIT_DRAIN_MS);
    for (const { peer, frames, bytes } of mesh.unsent()) {
      const what = frames > 0 ? `${frames} messages (${bytes} bytes)` : `${bytes} bytes`;
      log(
        `exiting with ${what} to rank ${peer} not sent: they are lost ` +
          `(wait for every send to complete before exiting)`,
      );
    }
  });
  return {
    sink: mesh,
    progress,
    direct: peerReactor && new CrossMemory(peerReactor.libc),
    deliverTo: (target) => handler = target,
    accept: (socket) => mesh.accept(socket),
    join(endpoints, localSize) {
      mesh.setPeers(endpoints);
      if (shared) shared.crowded = localSize > cpuCount();
      if (peerReactor) progress.attach(peerReactor, localSize > cpuCount());
      progress.pollMicros = readIntEnv(EnvName.POLL_US, 0, 10_000_000) ??
        defaultPollMicros(localSize, peerReactor !== undefined);
    },
    shared,
    shutdown,
  };
}

function sharedMemory(): HostSharedMemory | undefined {
  const transport = readTransport();
  if (transport === "socket" || transport === "tcp") return undefined;
  const libc = peerReactor?.libc ?? loadLibc();
  if (!libc) {
    if (transport === "shm") {
      throw new Error(
        `${EnvName.TRANSPORT}=shm asks for shared memory, but the C library cannot be bound here ` +
          `(Deno needs --allow-ffi; only Linux with glibc is supported)`,
      );
    }
    return undefined;
  }
  return new HostSharedMemory(libc, pid);
}
