/**
 * The seam between the point-to-point engine (`p2p/engine.ts`) and whatever moves its frames: what the engine
 * asks of a transport, and the three calls a transport makes back. Nothing here does I/O.
 *
 * Downcalls, from the engine:
 * - {@linkcode FrameSink}: send a frame to a world rank, watch a rank, ask for a rank's process id;
 * - {@linkcode DirectCopy}: read a large message straight from another process of this host;
 * - {@linkcode Liveness}: keep the process alive while operations wait (and let a waiting rank poll).
 *
 * Upcalls, into the engine (given to the transport when it is built, as `MeshOptions` does):
 * - `onFrame(peer, header, payload)`: a whole frame arrived from world rank `peer`;
 * - `payloadTarget(peer, header)`: where to assemble the payload of the frame now arriving (optional);
 * - `onPeerLost(peer, why, unreachable)`: `peer` is gone.
 *
 * Failure semantics, which every implementation keeps (`tests/transport/_conformance.ts` checks them over the
 * socket mesh of every kind and over the in-memory mesh of the tests):
 * - Frames from one rank to another arrive whole and in the order of their `sendFrame` calls, sending to
 *   itself included. Frames to different peers are not ordered with each other.
 * - `done` runs exactly once per frame. `done()` (no error) means the bytes have left the caller's buffer: the
 *   caller may change or reuse `payload` from then on (before it, it must not). It does not mean that the
 *   peer has them, nor on every runtime that the kernel has (Bun may still hold them): a rank that ends shuts
 *   its connections down gracefully (`Mesh.shutdown`, which `peers.ts` runs before exit) so that they still
 *   go out. It may run before `sendFrame` returns. `done(error)` means the frame was not sent and never will
 *   be (the peer could not be reached, or the connection failed first); the loss of that peer is reported
 *   through `onPeerLost` as well, so the engine need not act on the error itself.
 * - `onPeerLost(peer)` comes after the last frame that `peer` sent: a peer that sends and exits at once is
 *   lost only once its messages have been delivered. It may come more than once for one peer (once per
 *   connection that ends); the first report counts, and no frame from `peer` follows it. `unreachable` says
 *   that the peer could not be reached at all: it may have ended normally before it was dialled.
 * - `watch(peer)` promises that the loss of `peer` will be reported even when no frame has gone to it, so a
 *   receive that waits for it fails instead of hanging. It is idempotent; a sink that always notices its
 *   peers' ends may omit it.
 *
 * To add a transport: an adapter in `runtime/` if the runtime must provide a new kind of socket, its choice in
 * `transport/sockets.ts`, its listener in `transport/endpoints.ts`, and `bootstrap/protocol.ts` only if peers
 * must advertise something new; then run the conformance suite over it.
 *
 * @module
 */

import type { FrameHeader } from "../wire/frame.ts";

/** Where the engine sends frames: the mesh of connections (or an in-memory mesh in tests). */
export interface FrameSink {
  /**
   * Sends a frame to world rank `peer` (this rank included); `done` runs once when the bytes have left
   * `payload` (no error) or will never be sent (an error). When `headroom` is true, `payload` starts with
   * `HEADER_SIZE` (`wire/frame.ts`) free bytes for the header. Frames to one peer arrive in call order.
   */
  sendFrame(
    peer: number,
    header: FrameHeader,
    payload: Uint8Array | undefined,
    headroom: boolean,
    done: (error?: Error | null) => void,
  ): void;
  /**
   * Makes sure the loss of world rank `peer` will be noticed (e.g. by connecting to it) even if no frame has
   * gone to it yet: a receive that waits for it must fail with ERR_PEER_LOST, not hang, when it dies.
   */
  watch?(peer: number): void;
  /**
   * Optional: the process id of world rank `peer` as this process sees it, when the peer runs on this host and
   * its connection can tell (undefined otherwise: no direct copies with it).
   */
  peerProcess?(peer: number): number | undefined;
}

/** What a transport tells the engine (the upcalls). */
export interface FrameHandler {
  /** A whole frame arrived from world rank `peer`. The payload view stays valid; nothing writes into it again. */
  onFrame(peer: number, header: FrameHeader, payload: Uint8Array): void;
  /**
   * `peer` is gone, after its last frame. `unreachable` when it could not be reached at all: it may have ended
   * normally before it was dialled, as well as failed.
   */
  onPeerLost(peer: number, why: string, unreachable?: boolean): void;
  /** Optional: where to assemble a frame's payload from `peer` (the receiver's buffer of a rendezvous). */
  payloadTarget?(peer: number, header: FrameHeader): Uint8Array | undefined;
}

/** Copies between the memories of processes on one host (see `transport/cross_memory.ts`). */
export interface DirectCopy {
  /** The address of `view`'s first byte, valid while `view` is alive. */
  addressOf(view: Uint8Array): number;
  /** Copies `target.length` bytes at `address` in process `pid` into `target`; false if that failed. */
  read(pid: number, address: number, target: Uint8Array): boolean;
  /** Copies `source` to `address` in process `pid`; false if that failed. */
  write(pid: number, address: number, source: Uint8Array): boolean;
}

/** Keeps the process alive while operations are pending, and lets it exit when none are. */
export interface Liveness {
  /** Called with +1 when an operation starts waiting and -1 when it ends. */
  adjust(delta: number): void;
  /**
   * A blocking call (`recv`, `Sendrecv`) is about to await an operation that waits: spin for it once, as soon
   * as the caller yields, before the event loop turns (see `Progress.spinFirst`).
   */
  spinFirst?(): void;
}
