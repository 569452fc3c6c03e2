/**
 * The composite point-to-point calls that post a receive and then send: `isendrecv`/`Isendrecv` and
 * `Sendrecv_replace`/`Isendrecv_replace`. When the send half is refused (an unsendable value, a bad
 * destination, a lost peer), the posted receive is withdrawn before the error is raised, so that it cannot
 * swallow a later message with the same source and tag: the send's arguments are checked before the
 * receive is posted, and a send that fails after (a lost peer) withdraws it.
 *
 * @module
 */

import { ANY_SOURCE, ANY_TAG } from "../constants.ts";
import type { Request } from "../p2p/request.ts";
import type { Status } from "../p2p/status.ts";
import { resolveBuffer } from "../datatypes/typed_buffer.ts";
import { namedArgs } from "./args.ts";
import { type CommCore, trim } from "./core.ts";
import {
  type Posted,
  type PreparedSend,
  prepareSend,
  sendAfterPosting,
  startRecv,
  startRecvBuffer,
  toRequest,
} from "./p2p_calls.ts";

const ISENDRECV_NAMES = ["dest", "sendtag", "source", "recvtag"] as const;

/**
 * Checks the send half, posts the receive, then sends (see `sendAfterPosting`): a send refused by its
 * arguments posts nothing, and one that fails later (a lost peer) withdraws the receive before its error is
 * raised. Else the receive's result.
 */
export function sendThenReceive<T>(check: () => PreparedSend, post: () => Posted<T>): Promise<T> {
  const send = check();
  return sendAfterPosting(post(), send);
}

/** `isendrecv(sendobj, dest, sendtag, source, recvtag)` (or `{ dest, sendtag, source, recvtag }`). */
export function isendrecv<T>(core: CommCore, sendobj: unknown, named: unknown[]): Request<T> {
  let args;
  try {
    args = namedArgs("isendrecv", ISENDRECV_NAMES, trim(named));
  } catch (error) {
    return toRequest(() => ({ promise: Promise.reject(error) }));
  }
  return toRequest((status) => ({
    promise: sendThenReceive(
      () => prepareSend(core, "isendrecv", sendobj, args.dest, args.sendtag ?? 0, false),
      () => startRecv<T>(core, "isendrecv", args.source, args.recvtag, status),
    ),
  }));
}

/** `Isendrecv` on buffers: posts the receive into `recvbuf`, then sends `sendbuf`. */
export function isendrecvBuffer(
  core: CommCore,
  sendbuf: unknown,
  dest: unknown,
  sendtag: unknown,
  recvbuf: unknown,
  source: unknown,
  recvtag: unknown,
): Request<void> {
  return toRequest((status) => ({
    promise: sendThenReceive(
      () => prepareSend(core, "Isendrecv", sendbuf, dest, sendtag ?? 0, true),
      () => startRecvBuffer(core, "Isendrecv", recvbuf, source ?? ANY_SOURCE, recvtag ?? ANY_TAG, status),
    ),
  }));
}

/**
 * Sends the bytes of `buf` to `dest` and receives into `buf` from `source`: the bytes sent are copied
 * first, so the message received may overwrite them.
 */
export function sendrecvReplace(
  core: CommCore,
  where: string,
  buf: unknown,
  dest: unknown,
  sendtag: unknown,
  source: unknown,
  recvtag: unknown,
  status: Status | undefined,
): Promise<void> {
  let outgoing: Uint8Array;
  try {
    core.live(where);
    outgoing = resolveBuffer(buf, where, "buf").bytes.slice();
  } catch (error) {
    return Promise.reject(error);
  }
  return sendThenReceive(
    () => prepareSend(core, where, outgoing, dest, sendtag ?? 0, true),
    () => startRecvBuffer(core, where, buf, source ?? ANY_SOURCE, recvtag ?? ANY_TAG, status),
  );
}

/** `Isendrecv_replace`: {@linkcode sendrecvReplace} as a request. */
export function isendrecvReplace(
  core: CommCore,
  buf: unknown,
  dest: unknown,
  sendtag: unknown,
  source: unknown,
  recvtag: unknown,
): Request<void> {
  return toRequest((status) => ({
    promise: sendrecvReplace(core, "Isendrecv_replace", buf, dest, sendtag, source, recvtag, status),
  }));
}
