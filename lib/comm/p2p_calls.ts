/**
 * The point-to-point calls of `Comm`, once it has handed over its state: the arguments are normalised and
 * checked, values encoded or buffers viewed, and the message handed to the engine; receives are posted,
 * tracked for hang reports, and finish into a value, a buffer and a `Status`. As mpi4py's `msgpickle.pxi`
 * (values) and `msgbuffer.pxi` (buffers) are to its `Comm.pyx`.
 *
 * @module
 */

import { ANY_SOURCE, ANY_TAG, PROC_NULL } from "../constants.ts";
import { ErrorCode, mpiError } from "../errors.ts";
import { cancelledError, checkSignal, raceSignal } from "../p2p/cancellation.ts";
import type { ReceiveCompletion, Received, ReceiveHandle } from "../p2p/engine.ts";
import type { Pattern } from "../p2p/matching.ts";
import { nextTurn, Request } from "../p2p/request.ts";
import { COMPLETED } from "../p2p/completed.ts";
import { Status } from "../p2p/status.ts";
import { resolveBuffer, type TypedView } from "../datatypes/typed_buffer.ts";
import { decodeValue, encodeValue } from "../wire/codec.ts";
import { HEADER_SIZE } from "../wire/frame.ts";
import { checkDest, checkRecvTag, checkSendTag, checkSource, namedArgs } from "./args.ts";
import type { Activities, Activity } from "./activity.ts";
import { type CommCore, trim } from "./core.ts";

const SEND_NAMES = ["dest", "tag"] as const;
const RECV_NAMES = ["source", "tag", "status", "signal"] as const;
const PROBE_NAMES = RECV_NAMES;
const SENDRECV_NAMES = ["dest", "sendtag", "source", "recvtag", "status"] as const;

/** A posted receive: its result, and how to withdraw it. */
export interface Posted<T> {
  promise: Promise<T>;
  cancel?: () => boolean;
  /** The receive was refused before it was posted (a bad argument): `promise` rejects, nothing waits. */
  refused?: true;
  /** The receive was posted and waits for its message (it did not settle as it was posted). */
  waiting?: boolean;
}

/** A send whose arguments are checked and whose payload is ready: calling it hands the message over. */
export type PreparedSend = () => Promise<void>;

/** Normalises `dest, tag` or `{ dest, tag }` and sends a value or (with `raw`) a buffer. */
export function send(
  core: CommCore,
  where: string,
  data: unknown,
  dest: unknown,
  tag: number | undefined,
  raw: boolean,
  sync: boolean,
): Promise<void> {
  if (typeof dest === "object" && dest !== null) {
    const args = namedArgs(where, SEND_NAMES, tag === undefined ? [dest] : [dest, tag]);
    dest = args.dest;
    tag = args.tag as number | undefined;
  }
  try {
    return sendChecked(core, where, checkSend(core, where, data, dest, tag ?? 0, raw), sync);
  } catch (error) {
    return Promise.reject(error);
  }
}

/** Receives a value: `source, tag, status` positionally or as one options object. */
export function recv<T>(core: CommCore, source: unknown, tag: unknown, status: unknown): Promise<T> {
  const args = receiveArgs("recv", source, tag, status);
  return awaitedNow(core, startRecv<T>(core, "recv", args.source, args.tag, args.status, args.signal))
    .promise;
}

/** Starts receiving a value; the request's status gets the envelope. */
export function irecv<T>(core: CommCore, source: unknown, tag: unknown): Request<T> {
  const args = receiveArgs("irecv", source, tag);
  return toRequest((status) => startRecv<T>(core, "irecv", args.source, args.tag, status, args.signal));
}

/** Receives bytes into `buf`: `source, tag, status` positionally or as one options object. */
export function recvBuffer(
  core: CommCore,
  buf: unknown,
  source: unknown,
  tag: unknown,
  status: unknown,
): Promise<void> {
  const args = receiveArgs("Recv", source, tag, status);
  return awaitedNow(core, startRecvBuffer(core, "Recv", buf, args.source, args.tag, args.status, args.signal))
    .promise;
}

/** Starts receiving bytes into `buf`; the request's status gets the envelope. */
export function irecvBuffer(core: CommCore, buf: unknown, source: unknown, tag: unknown): Request<void> {
  const args = receiveArgs("Irecv", source, tag);
  return toRequest((status) =>
    startRecvBuffer(core, "Irecv", buf, args.source, args.tag, status, args.signal)
  );
}

/**
 * Posts the receive, then sends: pairs of ranks that both call it do not deadlock. The send is checked and
 * its value encoded first, so a refused send leaves nothing posted; a send that fails once under way (its
 * peer is lost) withdraws the receive, which then swallows no later message.
 */
export function sendrecv<T>(core: CommCore, sendobj: unknown, named: unknown[]): Promise<T> {
  let args;
  let send: PreparedSend;
  try {
    args = namedArgs("sendrecv", SENDRECV_NAMES, trim(named));
    send = prepareSend(core, "sendrecv", sendobj, args.dest, args.sendtag ?? 0, false);
  } catch (error) {
    return Promise.reject(error);
  }
  const status = args.status as Status | undefined;
  return sendAfterPosting(
    awaitedNow(core, startRecv<T>(core, "sendrecv", args.source, args.recvtag, status)),
    send,
  );
}

/** `Sendrecv` on buffers: posts the receive into `recvbuf`, then sends `sendbuf` (cleaned up as `sendrecv`). */
export function sendrecvBuffer(
  core: CommCore,
  sendbuf: unknown,
  dest: number,
  sendtag: number,
  recvbuf: unknown,
  source: number,
  recvtag: number,
  status: Status | undefined,
): Promise<void> {
  let send: PreparedSend;
  try {
    send = prepareSend(core, "Sendrecv", sendbuf, dest, sendtag, true);
  } catch (error) {
    return Promise.reject(error);
  }
  return sendAfterPosting(
    awaitedNow(core, startRecvBuffer(core, "Sendrecv", recvbuf, source, recvtag, status)),
    send,
  );
}

/**
 * Marks `receive` as one that a blocking call awaits as soon as it yields: if it still waits, it gets a first
 * spin before the event loop turns (see `Progress.spinFirst`). Returns `receive`.
 */
function awaitedNow<T>(core: CommCore, receive: Posted<T>): Posted<T> {
  if (receive.waiting) core.job.engine.spinFirst();
  return receive;
}

/**
 * The two halves of a send-receive: `send` runs once `receive` is posted; a receive refused up front sends
 * nothing, and a send that fails withdraws the receive (which would otherwise take the next matching
 * message, with nobody to hand it to). Resolves with the receive's result; rejects with the first failure.
 */
export async function sendAfterPosting<T>(receive: Posted<T>, send: PreparedSend): Promise<T> {
  if (receive.refused) return receive.promise;
  receive.promise.catch(() => {}); // raised below, after the send
  try {
    await send();
  } catch (error) {
    receive.cancel?.();
    throw error;
  }
  return receive.promise;
}

/** Waits for a matching message and returns its envelope; the message stays to be received. */
export async function probe(core: CommCore, named: unknown[]): Promise<Status> {
  const args = namedArgs("probe", PROBE_NAMES, trim(named));
  const pattern = patternOf(core, "probe", args.source, args.tag);
  const signal = checkSignal("probe", args.signal);
  const result = (args.status as Status | undefined) ?? new Status();
  if (pattern.source === PROC_NULL) return procNullStatus(result);
  const label = `probe(source=${showRank(pattern.source)}, tag=${showTag(pattern.tag)}) on ${core.name}`;
  if (signal?.aborted) throw cancelledError(label, signal);
  let withdraw = () => false;
  let probed = core.job.engine.probe(pattern, signal && ((take) => withdraw = take));
  if (signal) probed = raceSignal(probed, signal, () => label, () => withdraw());
  const arrival = await core.job.activities.track(label, probed);
  fillStatus(result, arrival.source, arrival.tag, arrival.size);
  return result;
}

/** Says whether a matching message has arrived, after letting pending I/O run once if none has yet. */
export async function iprobe(core: CommCore, named: unknown[]): Promise<boolean> {
  const args = namedArgs("iprobe", PROBE_NAMES, trim(named));
  const pattern = patternOf(core, "iprobe", args.source, args.tag);
  const result = args.status as Status | undefined;
  if (pattern.source === PROC_NULL) {
    if (result) procNullStatus(result);
    return true;
  }
  let arrival = core.job.engine.peek(pattern);
  if (!arrival) {
    await nextTurn();
    arrival = core.job.engine.peek(pattern);
  }
  if (!arrival) return false;
  if (result) fillStatus(result, arrival.source, arrival.tag, arrival.size);
  return true;
}

export function patternOf(core: CommCore, where: string, source: unknown, tag: unknown) {
  core.live(where);
  const checkedSource = checkSource(where, source ?? ANY_SOURCE, core.size);
  const checkedTag = checkRecvTag(where, tag ?? ANY_TAG);
  return {
    context: core.contexts.p2p,
    source: checkedSource,
    tag: checkedTag,
    peer: checkedSource < 0 ? -1 : core.members[checkedSource],
    members: checkedSource < 0 ? core.members : undefined,
  };
}

/** A send whose arguments are checked and whose payload is ready (see {@linkcode sendChecked}). */
export interface CheckedSend {
  /** The destination's rank in the communicator, or PROC_NULL. */
  dest: number;
  tag: number;
  payload: Uint8Array;
  /** A value's encoding, with room for the header (see `encodeValue`), which the engine then owns. */
  value: boolean;
}

/** Checks a send and encodes its value (or, `raw`, views its buffer); throws what is wrong. */
export function checkSend(
  core: CommCore,
  where: string,
  data: unknown,
  dest: unknown,
  tag: unknown,
  raw: boolean,
): CheckedSend {
  core.live(where);
  const checkedDest = checkDest(where, dest, core.size);
  const checkedTag = checkSendTag(where, tag);
  const payload = raw
    ? resolveBuffer(data, where, "buf").bytes
    : encodeValue(data, { where, headroom: HEADER_SIZE });
  return { dest: checkedDest, tag: checkedTag, payload, value: !raw };
}

/**
 * Hands a checked send to the engine. One that completed as it was made (`COMPLETED`) is returned as it is;
 * one still under way is tracked for hang reports until it completes.
 */
function sendChecked(core: CommCore, where: string, send: CheckedSend, sync: boolean): Promise<void> {
  if (send.dest === PROC_NULL) return Promise.resolve();
  const sent = core.job.engine.send({
    peer: core.members[send.dest],
    context: core.contexts.p2p,
    source: core.rank,
    tag: send.tag,
    payload: send.payload,
    headroom: send.value,
    raw: !send.value,
    sync,
    owned: send.value,
  });
  if (sent === COMPLETED) return sent;
  return core.job.activities.track(
    () => `${where}(dest=${send.dest}, tag=${send.tag}) on ${core.name}`,
    sent,
  );
}

/**
 * Checks a send and encodes its value (or, `raw`, views its buffer); throws what is wrong. The returned
 * function hands the message to the engine: composite calls post their receive in between (see
 * `sendAfterPosting`), so that a refused send leaves nothing posted.
 */
export function prepareSend(
  core: CommCore,
  where: string,
  data: unknown,
  dest: unknown,
  tag: unknown,
  raw: boolean,
  sync = false,
): PreparedSend {
  const send = checkSend(core, where, data, dest, tag, raw);
  return () => sendChecked(core, where, send, sync);
}

/** Starts receiving a value (`recv`, `irecv`, `sendrecv`...), posted as `receive` posts it. */
export function startRecv<T>(
  core: CommCore,
  where: string,
  source: unknown,
  tag: unknown,
  status: Status | undefined,
  signal?: unknown,
  post?: Post,
): Posted<T> {
  return receive<T>(core, where, source, tag, status, signal, post, undefined);
}

/** Starts receiving bytes into `buf` (`Recv`, `Irecv`, `Sendrecv`...), posted as `receive` posts it. */
export function startRecvBuffer(
  core: CommCore,
  where: string,
  buf: unknown,
  source: unknown,
  tag: unknown,
  status: Status | undefined,
  signal?: unknown,
  post?: Post,
): Posted<void> {
  let view: TypedView;
  try {
    core.live(where);
    view = resolveBuffer(buf, where, "buf");
  } catch (error) {
    return { promise: Promise.reject(error), refused: true };
  }
  return receive<void>(core, where, source, tag, status, signal, post, view);
}

/**
 * How a receive is posted, settling through `completion` (see `Engine.receiveWith`): by default a receive
 * matched by the engine (`Message` posts its own).
 */
export type Post = <T>(
  pattern: Pattern,
  into: Uint8Array | undefined,
  completion: ReceiveCompletion<T>,
) => ReceiveHandle<T>;

/**
 * Posts a receive of a value, or with `view` of bytes into it; its call (see {@linkcode ReceiveCall}) makes the
 * result of the message (`undefined` if the receive was withdrawn) and fills `status`. The pending call is
 * tracked for hang reports with a label that is only built if one is asked for, until it is finished.
 */
function receive<T>(
  core: CommCore,
  where: string,
  source: unknown,
  tag: unknown,
  status: Status | undefined,
  signal: unknown,
  post: Post | undefined,
  view: TypedView | undefined,
): Posted<T> {
  let pattern;
  let abortSignal;
  try {
    pattern = patternOf(core, where, source, tag);
    abortSignal = checkSignal(where, signal);
  } catch (error) {
    return { promise: Promise.reject(error), refused: true };
  }
  if (pattern.source === PROC_NULL) {
    if (status) procNullStatus(status);
    return { promise: Promise.resolve(null as T) };
  }
  const activities = core.job.activities;
  const call = new ReceiveCall<T>(activities, core.name, where, pattern, status, view);
  if (abortSignal?.aborted) return { promise: Promise.reject(cancelledError(call.label(), abortSignal)) };
  // The call is its own activity, and the receive settles with its result through it.
  activities.add(call);
  const into = view?.bytes;
  const handle = post ? post(pattern, into, call) : core.job.engine.receiveWith(pattern, into, call);
  // A receive that settled as it was posted (its message was here, or its peer is lost) has ended already.
  const promise = call.ended ? handle.promise : activities.settlesWith(call, handle.promise);
  if (abortSignal) {
    const cancel = () => handle.cancel();
    return { promise: raceSignal(promise, abortSignal, () => call.label(), cancel), cancel };
  }
  return new PostedCall(promise, handle, !call.ended);
}

/**
 * A receive under way, as the hang report and `--report` see it (an activity: see `activity.ts`), which
 * turns its message into the call's result as the engine settles it (see `ReceiveCompletion`): a value, or
 * with a `view` the bytes into the caller's buffer. Its label is made only if a report asks for it. One object
 * per receive, with no closure.
 */
class ReceiveCall<T> implements Activity, ReceiveCompletion<T> {
  since = 0;
  older: Activity | undefined;
  newer: Activity | undefined;
  readonly #activities: Activities;
  readonly #comm: string;
  readonly #where: string;
  readonly #pattern: Pattern;
  readonly #status: Status | undefined;
  readonly #view: TypedView | undefined;

  constructor(
    activities: Activities,
    comm: string,
    where: string,
    pattern: Pattern,
    status: Status | undefined,
    view: TypedView | undefined,
  ) {
    this.#activities = activities;
    this.#comm = comm;
    this.#where = where;
    this.#pattern = pattern;
    this.#status = status;
    this.#view = view;
  }

  /** `recv(source=1, tag=5) on COMM_WORLD`. */
  label(): string {
    const pattern = this.#pattern;
    return `${this.#where}(source=${showRank(pattern.source)}, tag=${showTag(pattern.tag)}) on ${this.#comm}`;
  }

  /** Has the receive settled (its activity ended)? */
  ended = false;

  finish(message: Received | undefined): T {
    try {
      if (!arrived(message, this.#status)) return undefined as T;
      return this.#view ? this.#intoBuffer(message, this.#view) as T : this.#value(message);
    } finally {
      this.ended = true;
      this.#activities.end(this);
    }
  }

  failed(): void {
    this.ended = true;
    this.#activities.end(this);
  }

  /** The value `message` carries. */
  #value(message: Received): T {
    if (message.raw) {
      throw mpiError(
        ErrorCode.ERR_TYPE,
        `${this.#where}: rank ${message.source} sent a buffer (tag ${message.tag}) with Send; receive it with Recv`,
      );
    }
    return decodeValue(message.payload) as T;
  }

  /** The bytes `message` carries, into the caller's buffer (`view`). */
  #intoBuffer(message: Received, view: TypedView): void {
    const where = this.#where;
    const bytes = view.bytes;
    if (!message.raw) {
      throw mpiError(
        ErrorCode.ERR_TYPE,
        `${where}: rank ${message.source} sent a value (tag ${message.tag}) with send; receive it with recv`,
      );
    }
    if (message.payload.length > bytes.length) {
      throw mpiError(
        ErrorCode.ERR_TRUNCATE,
        `${where}: the message from rank ${message.source} (tag ${message.tag}) has ${message.payload.length} bytes, ` +
          `more than the ${bytes.length} bytes of the receive buffer`,
      );
    }
    // A large payload may have been assembled in place (Engine.payloadTarget); `.buffer` is only asked of
    // large ones, as it costs an allocation per small message on JavaScriptCore.
    const payload = message.payload;
    if (
      payload.length < 16384 || payload.byteOffset !== bytes.byteOffset || payload.buffer !== bytes.buffer
    ) {
      bytes.set(message.payload);
    }
    view.writeBack?.(); // a non-contiguous datatype: from the staging buffer into the user's array
  }
}

/** A posted receive whose `cancel` is made only when asked for (a blocking receive never is). */
class PostedCall<T> implements Posted<T> {
  readonly promise: Promise<T>;
  readonly waiting: boolean;
  readonly #handle: ReceiveHandle<unknown>;

  constructor(promise: Promise<T>, handle: ReceiveHandle<unknown>, waiting: boolean) {
    this.promise = promise;
    this.waiting = waiting;
    this.#handle = handle;
  }

  get cancel(): () => boolean {
    const handle = this.#handle;
    return () => handle.cancel();
  }
}

/** Did a receive get a message (it was not withdrawn)? Then `status`, if given, gets its envelope. */
function arrived(message: Received | undefined, status: Status | undefined): message is Received {
  if (message === undefined) return false;
  if (status) fillStatus(status, message.source, message.tag, message.payload.length);
  return true;
}

/** A request for a receive that `start` posts with the request's status. */
export function toRequest<T>(start: (status: Status) => Posted<T>): Request<T> {
  const status = new Status();
  const posted = start(status);
  return new Request(posted.promise, posted.cancel, status);
}

/**
 * The `source, tag, status` of a receive, given positionally or as one options object (`{ source, tag }`).
 * Positional numbers, the common case, take no detour.
 */
export function receiveArgs(
  where: string,
  source: unknown,
  tag?: unknown,
  status?: unknown,
): { source: unknown; tag: unknown; status: Status | undefined; signal?: unknown } {
  if (typeof source !== "object" || source === null) {
    return { source, tag, status: status as Status | undefined };
  }
  const args = namedArgs(where, RECV_NAMES, trim([source, tag, status]));
  return {
    source: args.source,
    tag: args.tag,
    status: args.status as Status | undefined,
    signal: args.signal,
  };
}

export function fillStatus(status: Status, source: number, tag: number, count: number): void {
  status.source = source;
  status.tag = tag;
  status.count = count;
  status.error = 0;
}

export function procNullStatus(status: Status): Status {
  fillStatus(status, PROC_NULL, ANY_TAG, 0);
  return status;
}

export function showRank(rank: number): string {
  return rank === ANY_SOURCE ? "ANY_SOURCE" : String(rank);
}

export function showTag(tag: number): string {
  return tag === ANY_TAG ? "ANY_TAG" : String(tag);
}
