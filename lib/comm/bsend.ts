/**
 * Buffered sends (`bsend`/`Bsend`, MPI's `MPI_Bsend`) and the process's attached buffer (`Attach_buffer`,
 * `Detach_buffer`). A buffered send copies the message and completes at once, whatever the receiver does;
 * the copy travels in the background. The attached buffer's size bounds the bytes of buffered messages in
 * flight (each also costs {@linkcode BSEND_OVERHEAD}); a send that does not fit fails with ERR_BUFFER, as in
 * MPI. Its memory itself is not written: the copies are the engine's own, so the user's buffer is only a
 * budget here.
 *
 * @module
 */

import { PROC_NULL } from "../constants.ts";
import { ErrorCode, mpiError } from "../errors.ts";
import { toByteView } from "../wire/buffers.ts";
import { HEADER_SIZE } from "../wire/frame.ts";
import type { CommCore } from "./core.ts";
import { checkSend } from "./p2p_calls.ts";

/**
 * Bytes of the attached buffer that each buffered message takes besides its own, as MPI's
 * `MPI_BSEND_OVERHEAD`: size a buffer for n messages of b bytes as `n * (b + BSEND_OVERHEAD)`.
 *
 * @example
 * ```ts
 * import { MPI } from "mpirun-deno";
 * MPI.Attach_buffer(new Uint8Array(4 * (1024 + MPI.BSEND_OVERHEAD)));
 * await MPI.Detach_buffer();
 * ```
 */
export const BSEND_OVERHEAD = 64;

/** The attached buffer of this process, and the buffered messages in flight. */
interface Attached {
  buffer: unknown;
  capacity: number;
  used: number;
  inFlight: Set<Promise<void>>;
  failure: unknown;
}

const ATTACHED_KEY = Symbol.for("mpirun-deno.bsend-buffer.v1");
const state = ((globalThis as Record<symbol, unknown>)[ATTACHED_KEY] ??= { attached: undefined }) as {
  attached: Attached | undefined;
};

/**
 * Attaches `buf` (a typed array or an ArrayBuffer) as this process's buffer for buffered sends, as mpi4py's
 * `MPI.Attach_buffer`. ERR_BUFFER if one is attached already.
 *
 * @example
 * ```ts
 * import { MPI } from "mpirun-deno";
 * MPI.Attach_buffer(new ArrayBuffer(1 << 16));
 * const comm = MPI.COMM_WORLD;
 * await comm.bsend("buffered", comm.rank, 1); // complete at once, even before the receive
 * console.log(await comm.recv(comm.rank, 1));
 * await MPI.Detach_buffer();
 * ```
 */
export function Attach_buffer(buf: unknown): void {
  const bytes = toByteView(buf, "Attach_buffer", "buf").bytes;
  if (state.attached) {
    throw mpiError(
      ErrorCode.ERR_BUFFER,
      `Attach_buffer: a buffer of ${state.attached.capacity} bytes is attached already: detach it first`,
    );
  }
  state.attached = { buffer: buf, capacity: bytes.length, used: 0, inFlight: new Set(), failure: undefined };
}

/**
 * Waits until every buffered message has been sent, detaches the buffer and returns it. ERR_BUFFER if none
 * is attached; a buffered send that failed (its peer was lost) makes it reject with that send's error.
 */
export async function Detach_buffer(): Promise<unknown> {
  const attached = state.attached;
  if (!attached) throw mpiError(ErrorCode.ERR_BUFFER, "Detach_buffer: no buffer is attached");
  while (attached.inFlight.size > 0) await Promise.allSettled([...attached.inFlight]);
  if (state.attached === attached) state.attached = undefined;
  if (attached.failure !== undefined) throw attached.failure;
  return attached.buffer;
}

/**
 * A buffered send of a value or (with `raw`) a buffer: checks, copies, and completes once the copy is
 * handed over, or fails with ERR_BUFFER when the attached buffer has no room for it.
 */
export function bsend(
  core: CommCore,
  where: string,
  data: unknown,
  dest: unknown,
  tag: unknown,
  raw: boolean,
): Promise<void> {
  try {
    const checked = checkSend(core, where, data, dest, tag ?? 0, raw);
    const { dest: checkedDest, tag: checkedTag } = checked;
    // A buffer is copied: the call completes once the copy is handed over, and the caller may reuse it.
    const payload = raw ? checked.payload.slice() : checked.payload;
    if (checkedDest === PROC_NULL) return Promise.resolve();
    const size = payload.length - (raw ? 0 : HEADER_SIZE) + BSEND_OVERHEAD;
    const attached = reserve(where, size);
    const sent = core.job.engine.send({
      peer: core.members[checkedDest],
      context: core.contexts.p2p,
      source: core.rank,
      tag: checkedTag,
      payload,
      headroom: !raw,
      raw,
      sync: false,
      owned: true,
    });
    const settled = sent.then(() => {}, (error) => {
      attached.failure ??= error;
    }).finally(() => {
      attached.used -= size;
      attached.inFlight.delete(settled);
    });
    attached.inFlight.add(settled);
    return Promise.resolve();
  } catch (error) {
    return Promise.reject(error);
  }
}

/** Takes `size` bytes of the attached buffer; ERR_BUFFER, with the sizes, if it has no room. */
function reserve(where: string, size: number): Attached {
  const attached = state.attached;
  if (!attached) {
    throw mpiError(
      ErrorCode.ERR_BUFFER,
      `${where}: no buffer is attached for buffered sends: call MPI.Attach_buffer first ` +
        `(this message needs ${size} bytes with the overhead)`,
    );
  }
  if (attached.used + size > attached.capacity) {
    throw mpiError(
      ErrorCode.ERR_BUFFER,
      `${where}: the attached buffer has ${attached.capacity - attached.used} of its ${attached.capacity} ` +
        `bytes free, and this message needs ${size} (with the overhead ${BSEND_OVERHEAD})`,
    );
  }
  attached.used += size;
  return attached;
}
