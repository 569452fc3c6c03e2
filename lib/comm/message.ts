/**
 * Matched probes (`mprobe`/`improbe`, MPI-3's `MPI_Mprobe`/`MPI_Improbe`): the probe takes the message out of
 * matching, so no other receive can take it, and the `Message` it returns receives exactly that message.
 *
 * @module
 */

import { PROC_NULL } from "../constants.ts";
import { ErrorCode, mpiError } from "../errors.ts";
import type { Arrival } from "../p2p/matching.ts";
import { nextTurn, type Request } from "../p2p/request.ts";
import type { Status } from "../p2p/status.ts";
import { namedArgs } from "./args.ts";
import { type CommCore, trim } from "./core.ts";
import {
  fillStatus,
  patternOf,
  type Post,
  procNullStatus,
  showRank,
  showTag,
  startRecv,
  startRecvBuffer,
  toRequest,
} from "./p2p_calls.ts";

const PROBE_NAMES = ["source", "tag", "status"] as const;

/**
 * A message taken out of matching by `mprobe`/`improbe`: receive it once, with `recv`/`irecv` (a value) or
 * `Recv`/`Irecv` (a buffer). A probe of `PROC_NULL` gives a message whose receive completes at once with
 * `null` and a `PROC_NULL` status, as MPI's `MPI_MESSAGE_NO_PROC`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { MPI } from "mpirun-deno";
 * const comm = MPI.COMM_WORLD;
 * await comm.send({ hello: comm.rank }, comm.rank, 3);
 * const message = await comm.mprobe(comm.rank, 3);
 * assert.deepEqual(await message.recv(), { hello: comm.rank });
 * ```
 */
export class Message {
  #core: CommCore;
  #arrival: Arrival | undefined;
  #received = false;

  /** @internal Made by `mprobe`/`improbe`; `arrival` undefined is the message of PROC_NULL. */
  constructor(core: CommCore, arrival: Arrival | undefined) {
    this.#core = core;
    this.#arrival = arrival;
  }

  /** The sender's rank in the communicator (PROC_NULL for the message of PROC_NULL). */
  get source(): number {
    return this.#arrival?.source ?? PROC_NULL;
  }

  /** The message's tag. */
  get tag(): number {
    return this.#arrival?.tag ?? -1;
  }

  /** Receives the message as a value (sent with `send`); fills `status` if given. */
  // deno-lint-ignore no-explicit-any
  recv<T = any>(status?: Status): Promise<T> {
    const post = this.#take("recv");
    if (post instanceof Error) return Promise.reject(post);
    return startRecv<T>(this.#core, "Message.recv", this.source, this.tag, status, undefined, post).promise;
  }

  /** Starts receiving the message as a value; the request's status gets its envelope. */
  // deno-lint-ignore no-explicit-any
  irecv<T = any>(): Request<T> {
    const post = this.#take("irecv");
    return toRequest((status) =>
      post instanceof Error
        ? { promise: Promise.reject(post) }
        : startRecv<T>(this.#core, "Message.irecv", this.source, this.tag, status, undefined, post)
    );
  }

  /** Receives the message's bytes (sent with `Send`) into `buf`; ERR_TRUNCATE if they do not fit. */
  Recv(buf: unknown, status?: Status): Promise<void> {
    const post = this.#take("Recv");
    if (post instanceof Error) return Promise.reject(post);
    return startRecvBuffer(this.#core, "Message.Recv", buf, this.source, this.tag, status, undefined, post)
      .promise;
  }

  /** Starts receiving the message's bytes into `buf`. */
  Irecv(buf: unknown): Request<void> {
    const post = this.#take("Irecv");
    return toRequest((status) =>
      post instanceof Error
        ? { promise: Promise.reject(post) }
        : startRecvBuffer(this.#core, "Message.Irecv", buf, this.source, this.tag, status, undefined, post)
    );
  }

  /** How the one receive of this message is posted; an error for the second. */
  #take(where: string): Post | Error {
    if (this.#received) {
      return mpiError(ErrorCode.ERR_ARG, `Message.${where}: this message has already been received`);
    }
    this.#received = true;
    const arrival = this.#arrival;
    const engine = this.#core.job.engine;
    return (_pattern, into, completion) => engine.receiveMatched(arrival!, into, completion);
  }
}

/** Waits for a matching message and takes it out of matching: only the returned `Message` receives it. */
export async function mprobe(core: CommCore, named: unknown[]): Promise<Message> {
  const args = namedArgs("mprobe", PROBE_NAMES, trim(named));
  const pattern = patternOf(core, "mprobe", args.source, args.tag);
  const status = args.status as Status | undefined;
  if (pattern.source === PROC_NULL) {
    if (status) procNullStatus(status);
    return new Message(core, undefined);
  }
  const label = `mprobe(source=${showRank(pattern.source)}, tag=${showTag(pattern.tag)}) on ${core.name}`;
  for (;;) {
    const arrival = await core.job.activities.track(label, core.job.engine.probe(pattern));
    // A receive may have taken it between the probe's resolving and now: then wait for the next one.
    if (core.job.engine.claim(arrival)) return matched(core, arrival, status);
  }
}

/**
 * Takes a matching message out of matching if one has arrived (after letting pending I/O run once if none
 * has yet) and returns its `Message`; `null` if none has.
 */
export async function improbe(core: CommCore, named: unknown[]): Promise<Message | null> {
  const args = namedArgs("improbe", PROBE_NAMES, trim(named));
  const pattern = patternOf(core, "improbe", args.source, args.tag);
  const status = args.status as Status | undefined;
  if (pattern.source === PROC_NULL) {
    if (status) procNullStatus(status);
    return new Message(core, undefined);
  }
  let arrival = core.job.engine.peek(pattern);
  if (!arrival) {
    await nextTurn();
    arrival = core.job.engine.peek(pattern);
  }
  if (!arrival || !core.job.engine.claim(arrival)) return null;
  return matched(core, arrival, status);
}

function matched(core: CommCore, arrival: Arrival, status: Status | undefined): Message {
  if (status) fillStatus(status, arrival.source, arrival.tag, arrival.size);
  return new Message(core, arrival);
}
