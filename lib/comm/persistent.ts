/**
 * Persistent requests (`Send_init`, `Ssend_init`, `Bsend_init`, `Rsend_init`, `Recv_init`, and MPI-4's
 * persistent collectives such as `Bcast_init`): the arguments are checked once, when the request is made,
 * and each `Start` runs the operation again with them. See {@linkcode Prequest}.
 *
 * @module
 */

import { Prequest } from "../p2p/prequest.ts";
import { resolveBuffer } from "../datatypes/typed_buffer.ts";
import { checkDest, checkSendTag, namedArgs } from "./args.ts";
import { bsend } from "./bsend.ts";
import type { CommCore } from "./core.ts";
import { patternOf, receiveArgs, send, startRecvBuffer } from "./p2p_calls.ts";

const SEND_NAMES = ["dest", "tag"] as const;

/**
 * How a persistent send sends: `standard` as `Send`; `sync` as `Ssend`; `buffered` as `Bsend`; `ready` as
 * `Rsend`, which is a standard send here (as in Open MPI: see `Comm.Rsend`).
 */
export type SendMode = "standard" | "sync" | "buffered" | "ready";

/** A persistent buffer send: `buf, dest, tag` (or `buf, { dest, tag }`), checked now, sent at each start. */
export function sendInit(
  core: CommCore,
  where: string,
  buf: unknown,
  dest: unknown,
  tag: unknown,
  mode: SendMode,
): Prequest<void> {
  if (typeof dest === "object" && dest !== null) {
    const args = namedArgs(where, SEND_NAMES, tag === undefined ? [dest] : [dest, tag]);
    dest = args.dest;
    tag = args.tag;
  }
  core.live(where);
  checkDest(where, dest, core.size);
  checkSendTag(where, tag ?? 0);
  resolveBuffer(buf, where, "buf");
  const checkedTag = (tag ?? 0) as number;
  return new Prequest(where, () => ({
    promise: mode === "buffered"
      ? bsend(core, where, buf, dest, checkedTag, true)
      : send(core, where, buf, dest as number, checkedTag, true, mode === "sync"),
  }));
}

/** A persistent buffer receive: `buf, source, tag` (or `buf, { source, tag }`), posted at each start. */
export function recvInit(core: CommCore, buf: unknown, source: unknown, tag: unknown): Prequest<void> {
  const where = "Recv_init";
  const args = receiveArgs(where, source, tag);
  patternOf(core, where, args.source, args.tag);
  resolveBuffer(buf, where, "buf");
  return new Prequest(where, (status) => startRecvBuffer(core, where, buf, args.source, args.tag, status));
}

/** A persistent collective: `run` starts the collective once (checking its arguments each time). */
export function collectiveInit<T>(core: CommCore, where: string, run: () => Promise<T>): Prequest<T> {
  core.live(where);
  return new Prequest(where, () => ({ promise: run() }));
}
