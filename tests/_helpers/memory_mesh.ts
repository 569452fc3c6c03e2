/**
 * Ranks of one process joined by an in-memory mesh that delivers frames asynchronously and in order, as a
 * socket would: a {@linkcode FrameSink} per rank (checked by `tests/transport/_conformance.ts` like the socket
 * mesh), and engines on it for tests of the engine and of what is built on it.
 */

import { Engine } from "../../lib/p2p/engine.ts";
import type { DirectCopy, FrameHandler, FrameSink } from "../../lib/transport/transport.ts";
import type { FrameHeader } from "../../lib/wire/frame.ts";
import { HEADER_SIZE } from "../../lib/wire/frame.ts";

/** Every frame that crossed the memory mesh, for tests that count messages. */
export interface SentFrame {
  from: number;
  to: number;
  header: FrameHeader;
  payload: Uint8Array;
}

/**
 * `size` ranks whose frames go through memory. Rank r's frames and losses go to `handlers(r)`, asked when
 * they arrive (so handlers may be built after the mesh).
 */
export class MemoryMesh {
  /** Every frame sent so far, in send order. */
  readonly sent: SentFrame[] = [];
  readonly sinks: FrameSink[] = [];
  #handlers: (rank: number) => FrameHandler;
  #dead: boolean[];

  constructor(size: number, handlers: (rank: number) => FrameHandler, peerProcess?: number) {
    this.#handlers = handlers;
    this.#dead = new Array(size).fill(false);
    for (let rank = 0; rank < size; rank++) {
      this.sinks.push({
        sendFrame: (peer, header, payload, headroom, done) =>
          this.#send(rank, peer, header, payload, headroom, done),
        peerProcess: peerProcess === undefined ? undefined : () => peerProcess,
      });
    }
  }

  /**
   * Rank `rank` ends, as a process that exits: the frames it sent are still delivered, then every other rank
   * is told it is lost; frames sent to it from now on fail.
   */
  kill(rank: number): void {
    this.#dead[rank] = true;
    queueMicrotask(() => {
      this.#dead.forEach((dead, other) => {
        if (!dead) this.#handlers(other).onPeerLost(rank, "it was killed");
      });
    });
  }

  #send(
    from: number,
    to: number,
    header: FrameHeader,
    payload: Uint8Array | undefined,
    headroom: boolean,
    done: (error?: Error | null) => void,
  ): void {
    if (this.#dead[to] || this.#dead[from]) {
      queueMicrotask(() => done(new Error(`rank ${to} is gone`)));
      return;
    }
    const body = payload === undefined
      ? new Uint8Array(0)
      : (headroom ? payload.subarray(HEADER_SIZE) : payload).slice();
    const copy = { ...header, length: body.length };
    this.sent.push({ from, to, header: copy, payload: body });
    queueMicrotask(() => {
      done();
      if (!this.#dead[to]) this.#handlers(to).onFrame(from, copy, body);
    });
  }
}

/**
 * Builds `size` engines that talk to each other through memory. With `direct`, each engine reads large
 * messages from the "peer process" `peerProcess` (this process, for real cross-memory reads); `chunkBytes`
 * sets the largest RDATA frame (default: the engine's).
 */
export function memoryEngines(
  size: number,
  direct?: { copy: DirectCopy; peerProcess: number },
  chunkBytes?: number,
): { engines: Engine[]; sent: SentFrame[] } {
  const engines: Engine[] = [];
  const mesh = new MemoryMesh(size, (rank) => engines[rank], direct?.peerProcess);
  for (let rank = 0; rank < size; rank++) {
    engines.push(new Engine(rank, size, mesh.sinks[rank], undefined, direct?.copy, chunkBytes));
  }
  return { engines, sent: mesh.sent };
}
