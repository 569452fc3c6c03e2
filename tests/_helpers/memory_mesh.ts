/**
 * Engines of several ranks in one process, joined by an in-memory sink that delivers frames asynchronously
 * and in order, as TCP would: for tests of the engine and of what is built on it.
 */

import { Engine } from "../../lib/p2p/engine.ts";
import type { DirectCopy, FrameSink } from "../../lib/transport/transport.ts";
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
 * Builds `size` engines that talk to each other through memory. With `direct`, each engine reads large
 * messages from the "peer process" `peerProcess` (this process, for real cross-memory reads).
 */
export function memoryEngines(
  size: number,
  direct?: { copy: DirectCopy; peerProcess: number },
): { engines: Engine[]; sent: SentFrame[] } {
  const engines: Engine[] = [];
  const sent: SentFrame[] = [];
  for (let rank = 0; rank < size; rank++) {
    const sink: FrameSink = {
      sendFrame(peer, header, payload, headroom, done) {
        const body = payload === undefined
          ? new Uint8Array(0)
          : (headroom ? payload.subarray(HEADER_SIZE) : payload).slice();
        const copy = { ...header, length: body.length };
        sent.push({ from: rank, to: peer, header: copy, payload: body });
        queueMicrotask(() => {
          done();
          engines[peer].onFrame(rank, copy, body);
        });
      },
      peerProcess: direct && (() => direct.peerProcess),
    };
    engines.push(new Engine(rank, size, sink, undefined, direct?.copy));
  }
  return { engines, sent };
}
