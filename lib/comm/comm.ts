/**
 * `Comm`: the communicator object users hold. It checks arguments, turns mpi4py-style positional parameters
 * or an options object into one shape, encodes values or views buffers, and delegates to the point-to-point
 * engine (and to `collectives/`).
 *
 * @module
 */

import { ANY_SOURCE, ANY_TAG, PROC_NULL } from "../constants.ts";
import { ErrorCode, mpiError } from "../errors.ts";
import type { Engine, Received } from "../p2p/engine.ts";
import { nextTurn, Request } from "../p2p/request.ts";
import { Status } from "../p2p/status.ts";
import { toByteView } from "../wire/buffers.ts";
import { decodeValue, encodeValue } from "../wire/codec.ts";
import { HEADER_SIZE } from "../wire/frame.ts";
import type { Activities } from "./activity.ts";
import { checkDest, checkRecvTag, checkSendTag, checkSource, namedArgs } from "./args.ts";

/** What every communicator of a process shares. */
export interface Job {
  engine: Engine;
  activities: Activities;
  /** Ends the whole job with `code`; never resolves. */
  abort(code: number, reason: string): Promise<never>;
  /** Host name of every world rank, indexed by world rank. */
  hostnames: readonly string[];
}

/** The context ids of one communicator: one for point-to-point traffic, one for collectives. */
export interface Contexts {
  p2p: number;
  collective: number;
}

const SEND_NAMES = ["dest", "tag"] as const;
const RECV_NAMES = ["source", "tag", "status"] as const;
const PROBE_NAMES = RECV_NAMES;
const SENDRECV_NAMES = ["dest", "sendtag", "source", "recvtag", "status"] as const;

/**
 * A communicator: a group of ranks and a private space for their messages.
 *
 * @example Point to point on values
 * ```ts
 * import { MPI } from "mpirun-deno";
 * const comm = MPI.COMM_WORLD;
 * if (comm.size >= 2) {
 *   if (comm.rank === 0) await comm.send({ x: 1, y: 2.0 }, 1, 7);
 *   if (comm.rank === 1) console.log(await comm.recv(0, 7)); // { x: 1, y: 2 }
 * }
 * ```
 */
export class Comm {
  /** @internal */
  readonly job: Job;
  /** @internal World rank of each member, indexed by rank in this communicator. */
  readonly members: readonly number[];
  /** @internal */
  readonly contexts: Contexts;
  #rank: number;
  #name: string;

  /** @internal Communicators are made by `Dup`, `Split` and `Create`, or are `COMM_WORLD`/`COMM_SELF`. */
  constructor(job: Job, members: readonly number[], rank: number, contexts: Contexts, name: string) {
    this.job = job;
    this.members = members;
    this.contexts = contexts;
    this.#rank = rank;
    this.#name = name;
  }

  /** This process's rank in the communicator. */
  get rank(): number {
    return this.#rank;
  }

  /** Number of ranks in the communicator. */
  get size(): number {
    return this.members.length;
  }

  /** This process's rank in the communicator. */
  Get_rank(): number {
    return this.#rank;
  }

  /** Number of ranks in the communicator. */
  Get_size(): number {
    return this.members.length;
  }

  /** The communicator's name, such as `"COMM_WORLD"`. */
  Get_name(): string {
    return this.#name;
  }

  /** Renames the communicator (names show in error messages and hang reports). */
  Set_name(name: string): void {
    this.#name = String(name);
  }

  /** The communicator's name. */
  get name(): string {
    return this.#name;
  }

  // ---------------------------------------------------------------------------------------------------------
  // Point to point on values

  /**
   * Sends a value (anything msgpack-able: see the module docs) to `dest`. Resolves once the value is out of
   * the caller's hands. `send(obj, { dest, tag })` works too.
   */
  send(obj: unknown, dest: number | { dest: number; tag?: number }, tag?: number): Promise<void> {
    const args = namedArgs("send", SEND_NAMES, tag === undefined ? [dest] : [dest, tag]);
    return this.#sendValue("send", obj, args.dest, args.tag ?? 0, false);
  }

  /** Sends a value and resolves once the receiver has matched it. */
  ssend(obj: unknown, dest: number | { dest: number; tag?: number }, tag?: number): Promise<void> {
    const args = namedArgs("ssend", SEND_NAMES, tag === undefined ? [dest] : [dest, tag]);
    return this.#sendValue("ssend", obj, args.dest, args.tag ?? 0, true);
  }

  /** Starts sending a value; the request completes as `send` would. */
  isend(obj: unknown, dest: number | { dest: number; tag?: number }, tag?: number): Request<void> {
    const args = namedArgs("isend", SEND_NAMES, tag === undefined ? [dest] : [dest, tag]);
    return new Request(this.#sendValue("isend", obj, args.dest, args.tag ?? 0, false));
  }

  /** Starts a synchronous send; the request completes once the receiver has matched it. */
  issend(obj: unknown, dest: number | { dest: number; tag?: number }, tag?: number): Request<void> {
    const args = namedArgs("issend", SEND_NAMES, tag === undefined ? [dest] : [dest, tag]);
    return new Request(this.#sendValue("issend", obj, args.dest, args.tag ?? 0, true));
  }

  /**
   * Receives a value from `source` (default ANY_SOURCE) with `tag` (default ANY_TAG); fills `status` if given.
   * `recv({ source, tag, status })` works too.
   */
  // deno-lint-ignore no-explicit-any
  recv<T = any>(
    source?: number | { source?: number; tag?: number; status?: Status },
    tag?: number,
    status?: Status,
  ): Promise<T> {
    const args = namedArgs("recv", RECV_NAMES, trim([source, tag, status]));
    return this.#startRecv<T>("recv", args).wait(args.status as Status | undefined);
  }

  /** Starts receiving a value; `await` the request (or `wait()`) for it. */
  // deno-lint-ignore no-explicit-any
  irecv<T = any>(source?: number | { source?: number; tag?: number }, tag?: number): Request<T> {
    const args = namedArgs("irecv", RECV_NAMES, trim([source, tag]));
    return this.#startRecv<T>("irecv", args);
  }

  /** Sends `sendobj` to `dest` and receives a value from `source`, without deadlock when peers pair up. */
  // deno-lint-ignore no-explicit-any
  async sendrecv<T = any>(
    sendobj: unknown,
    dest: number | { dest: number; sendtag?: number; source?: number; recvtag?: number; status?: Status },
    sendtag?: number,
    source?: number,
    recvtag?: number,
    status?: Status,
  ): Promise<T> {
    const args = namedArgs("sendrecv", SENDRECV_NAMES, trim([dest, sendtag, source, recvtag, status]));
    const receive = this.#startRecv<T>("sendrecv", { source: args.source, tag: args.recvtag });
    await this.#sendValue("sendrecv", sendobj, args.dest, args.sendtag ?? 0, false);
    return receive.wait(args.status as Status | undefined);
  }

  /** Waits until a matching message has arrived and returns its envelope (it stays to be received). */
  async probe(
    source?: number | { source?: number; tag?: number; status?: Status },
    tag?: number,
    status?: Status,
  ): Promise<Status> {
    const args = namedArgs("probe", PROBE_NAMES, trim([source, tag, status]));
    const pattern = this.#pattern("probe", args.source, args.tag);
    const result = (args.status as Status | undefined) ?? new Status();
    if (pattern.source === PROC_NULL) return procNullStatus(result);
    const arrival = await this.job.activities.track(
      `probe(source=${showRank(pattern.source)}, tag=${showTag(pattern.tag)}) on ${this.#name}`,
      this.job.engine.probe(pattern),
    );
    fillStatus(result, arrival.source, arrival.tag, arrival.size);
    return result;
  }

  /** Says whether a matching message has arrived, without waiting for one (it lets pending I/O run once). */
  async iprobe(
    source?: number | { source?: number; tag?: number; status?: Status },
    tag?: number,
    status?: Status,
  ): Promise<boolean> {
    const args = namedArgs("iprobe", PROBE_NAMES, trim([source, tag, status]));
    const pattern = this.#pattern("iprobe", args.source, args.tag);
    const result = args.status as Status | undefined;
    if (pattern.source === PROC_NULL) {
      if (result) procNullStatus(result);
      return true;
    }
    let arrival = this.job.engine.peek(pattern);
    if (!arrival) {
      await nextTurn();
      arrival = this.job.engine.peek(pattern);
    }
    if (!arrival) return false;
    if (result) fillStatus(result, arrival.source, arrival.tag, arrival.size);
    return true;
  }

  // ---------------------------------------------------------------------------------------------------------
  // Point to point on buffers

  /** Sends the bytes of a typed array (or `[array, count]`) with no encoding. */
  Send(buf: unknown, dest: number | { dest: number; tag?: number }, tag?: number): Promise<void> {
    const args = namedArgs("Send", SEND_NAMES, tag === undefined ? [dest] : [dest, tag]);
    return this.#sendBuffer("Send", buf, args.dest, args.tag ?? 0, false);
  }

  /** Sends the bytes of a typed array and resolves once the receiver has matched them. */
  Ssend(buf: unknown, dest: number | { dest: number; tag?: number }, tag?: number): Promise<void> {
    const args = namedArgs("Ssend", SEND_NAMES, tag === undefined ? [dest] : [dest, tag]);
    return this.#sendBuffer("Ssend", buf, args.dest, args.tag ?? 0, true);
  }

  /** Starts sending the bytes of a typed array; do not change it until the request completes. */
  Isend(buf: unknown, dest: number | { dest: number; tag?: number }, tag?: number): Request<void> {
    const args = namedArgs("Isend", SEND_NAMES, tag === undefined ? [dest] : [dest, tag]);
    return new Request(this.#sendBuffer("Isend", buf, args.dest, args.tag ?? 0, false));
  }

  /** Starts a synchronous buffer send. */
  Issend(buf: unknown, dest: number | { dest: number; tag?: number }, tag?: number): Request<void> {
    const args = namedArgs("Issend", SEND_NAMES, tag === undefined ? [dest] : [dest, tag]);
    return new Request(this.#sendBuffer("Issend", buf, args.dest, args.tag ?? 0, true));
  }

  /**
   * Receives bytes into `buf` (a typed array, an ArrayBuffer or `[array, count]`). A longer message is an
   * ERR_TRUNCATE error; `status.Get_count()` gives the bytes received.
   */
  Recv(
    buf: unknown,
    source?: number | { source?: number; tag?: number; status?: Status },
    tag?: number,
    status?: Status,
  ): Promise<void> {
    const args = namedArgs("Recv", RECV_NAMES, trim([source, tag, status]));
    return this.#startRecvBuffer("Recv", buf, args).wait(args.status as Status | undefined);
  }

  /** Starts receiving bytes into `buf`. */
  Irecv(buf: unknown, source?: number | { source?: number; tag?: number }, tag?: number): Request<void> {
    const args = namedArgs("Irecv", RECV_NAMES, trim([source, tag]));
    return this.#startRecvBuffer("Irecv", buf, args);
  }

  /** Sends `sendbuf` to `dest` and receives into `recvbuf` from `source`. */
  async Sendrecv(
    sendbuf: unknown,
    dest: number,
    sendtag = 0,
    recvbuf: unknown = undefined,
    source: number = ANY_SOURCE,
    recvtag: number = ANY_TAG,
    status?: Status,
  ): Promise<void> {
    const receive = this.#startRecvBuffer("Sendrecv", recvbuf, { source, tag: recvtag });
    await this.#sendBuffer("Sendrecv", sendbuf, dest, sendtag, false);
    await receive.wait(status);
  }

  // ---------------------------------------------------------------------------------------------------------
  // Everything else

  /** Ends the whole job: every rank exits, and the launcher exits with `errorcode`. */
  Abort(errorcode = 1): Promise<never> {
    return this.job.abort(errorcode, `Abort(${errorcode}) called on ${this.#name}`);
  }

  /** Same as {@linkcode Comm.Abort}. */
  abort(errorcode = 1): Promise<never> {
    return this.Abort(errorcode);
  }

  /** @internal World rank of `rank`. */
  worldRank(rank: number): number {
    return this.members[rank];
  }

  #pattern(where: string, source: unknown, tag: unknown) {
    const checkedSource = checkSource(where, source ?? ANY_SOURCE, this.size);
    const checkedTag = checkRecvTag(where, tag ?? ANY_TAG);
    return {
      context: this.contexts.p2p,
      source: checkedSource,
      tag: checkedTag,
      peer: checkedSource < 0 ? -1 : this.members[checkedSource],
    };
  }

  #sendValue(where: string, obj: unknown, dest: unknown, tag: unknown, sync: boolean): Promise<void> {
    let payload: Uint8Array;
    let peer: number;
    let checkedTag: number;
    try {
      const checkedDest = checkDest(where, dest, this.size);
      checkedTag = checkSendTag(where, tag);
      payload = encodeValue(obj, { where, headroom: HEADER_SIZE });
      if (checkedDest === PROC_NULL) return Promise.resolve();
      peer = this.members[checkedDest];
    } catch (error) {
      return Promise.reject(error);
    }
    const sent = this.job.engine.send({
      peer,
      context: this.contexts.p2p,
      source: this.#rank,
      tag: checkedTag,
      payload,
      headroom: true,
      raw: false,
      sync,
      owned: true,
    });
    if (!sync) return sent;
    return this.job.activities.track(`${where}(dest=${dest}, tag=${checkedTag}) on ${this.#name}`, sent);
  }

  #sendBuffer(where: string, buf: unknown, dest: unknown, tag: unknown, sync: boolean): Promise<void> {
    let view;
    let peer: number;
    let checkedTag: number;
    try {
      const checkedDest = checkDest(where, dest, this.size);
      checkedTag = checkSendTag(where, tag);
      view = toByteView(buf, where, "buf");
      if (checkedDest === PROC_NULL) return Promise.resolve();
      peer = this.members[checkedDest];
    } catch (error) {
      return Promise.reject(error);
    }
    return this.job.activities.track(
      `${where}(dest=${dest}, tag=${checkedTag}) on ${this.#name}`,
      this.job.engine.send({
        peer,
        context: this.contexts.p2p,
        source: this.#rank,
        tag: checkedTag,
        payload: view.bytes,
        headroom: false,
        raw: true,
        sync,
        owned: false,
      }),
    );
  }

  #startRecv<T>(where: string, args: Record<string, unknown>): Request<T> {
    return this.#receive<T>(where, args.source, args.tag, (message) => {
      if (message.raw) {
        throw mpiError(
          ErrorCode.ERR_TYPE,
          `${where}: rank ${message.source} sent a buffer (tag ${message.tag}) with Send; receive it with Recv`,
        );
      }
      return decodeValue(message.payload) as T;
    });
  }

  #startRecvBuffer(where: string, buf: unknown, args: Record<string, unknown>): Request<void> {
    let bytes: Uint8Array;
    try {
      bytes = toByteView(buf, where, "buf").bytes;
    } catch (error) {
      return new Request(Promise.reject(error));
    }
    return this.#receive<void>(where, args.source, args.tag, (message) => {
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
      bytes.set(message.payload);
    });
  }

  #receive<T>(where: string, source: unknown, tag: unknown, finish: (message: Received) => T): Request<T> {
    let pattern;
    try {
      pattern = this.#pattern(where, source, tag);
    } catch (error) {
      return new Request<T>(Promise.reject(error));
    }
    let request!: Request<T>;
    if (pattern.source === PROC_NULL) {
      request = new Request<T>(Promise.resolve(null as T));
      procNullStatus(request.status);
      return request;
    }
    const handle = this.job.engine.receive(pattern);
    const label = `${where}(source=${showRank(pattern.source)}, tag=${showTag(pattern.tag)}) on ${this.#name}`;
    const promise = this.job.activities.track(label, handle.promise).then((message) => {
      if (message === undefined) return undefined as T;
      fillStatus(request.status, message.source, message.tag, message.payload.length);
      return finish(message);
    });
    request = new Request<T>(promise, handle.cancel);
    return request;
  }
}

function trim(args: unknown[]): unknown[] {
  let end = args.length;
  while (end > 0 && args[end - 1] === undefined) end--;
  return args.slice(0, end);
}

function fillStatus(status: Status, source: number, tag: number, count: number): void {
  status.source = source;
  status.tag = tag;
  status.count = count;
  status.error = 0;
}

function procNullStatus(status: Status): Status {
  fillStatus(status, PROC_NULL, ANY_TAG, 0);
  return status;
}

function showRank(rank: number): string {
  return rank === ANY_SOURCE ? "ANY_SOURCE" : String(rank);
}

function showTag(tag: number): string {
  return tag === ANY_TAG ? "ANY_TAG" : String(tag);
}
