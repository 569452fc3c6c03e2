/**
 * The point-to-point engine: turns sends into frames and frames into completed receives. Small messages go
 * eagerly; large or synchronous ones by rendezvous (RTS -> CTS -> RDATA), and eager bytes in flight to one peer
 * are bounded by a credit window, so a sender far ahead of its receiver cannot exhaust the receiver's memory.
 * Between two ranks of one host a large message's RTS carries its address, and the receiver copies it straight
 * from the sender's memory (RTS -> DONE, see {@linkcode DirectCopy}); where that fails, it answers CTS as usual.
 * From {@linkcode SHARED_COPY_MIN} bytes on, with a peer whose memory it has read before, the receiver asks
 * the sender to write the first half into its buffer while it reads the second half itself (RTS -> CTS with
 * SHARE -> RDATA with SHARE -> DONE): two cores copy at once. A sender busy outside MPI calls does not hold
 * the receive up: the receiver then revokes the offer and reads the first half too (`share_claims.ts`).
 * No public API lives here: `comm/` checks arguments and calls this.
 *
 * @module
 */

import { ErrorCode, type MPIError, mpiError } from "../errors.ts";
import { FrameFlag, type FrameHeader, FrameKind, getUint32, HEADER_SIZE, putUint32 } from "../wire/frame.ts";
import {
  CREDIT_BATCH,
  DIRECT_MIN,
  EAGER_LIMIT,
  EAGER_WINDOW,
  RDATA_CHUNK_BYTES,
  SHARED_COPY_MIN,
} from "../wire/limits.ts";
import type { DirectCopy, FrameHandler, FrameSink, Liveness } from "../transport/transport.ts";
import { type Arrival, matches, MatchQueues, type Pattern } from "./matching.ts";
import { COMPLETED } from "./completed.ts";
import { CLAIMED, ShareClaims, WRITTEN } from "./share_claims.ts";

/** A message as a receive gets it. */
export interface Received {
  source: number;
  tag: number;
  raw: boolean;
  payload: Uint8Array;
}

/** What to send. */
export interface SendOrder {
  /** World rank of the destination process. */
  peer: number;
  context: number;
  /** The sender's rank in the communicator. */
  source: number;
  tag: number;
  /** The bytes; with `headroom`, the first {@linkcode HEADER_SIZE} bytes are free for the header. */
  payload: Uint8Array;
  headroom: boolean;
  raw: boolean;
  /** Synchronous: resolve only once the receiver has matched the message. */
  sync: boolean;
  /**
   * Does the engine own `payload` (an encoded value nobody else holds)? It still completes only once written:
   * a send that resolved earlier could be lost by a process that exits right after it.
   */
  owned: boolean;
}

/** A receive in the posted queue. */
interface PostedReceive extends Pattern {
  /** The receiver's buffer, where a rendezvous payload may land directly. */
  into?: Uint8Array;
  resolve(message: Received): void;
  reject(error: unknown): void;
}

/** A probe waiting for a matching message. */
interface ProbeWaiter extends Pattern {
  resolve(arrival: Arrival): void;
  reject(error: unknown): void;
}

/** A rendezvous send waiting for its CTS. */
interface PendingSend {
  order: SendOrder;
  /** Its slot of claim words, when the receiver may share the copy (see `share_claims.ts`). */
  claim?: number;
  resolve(): void;
  reject(error: unknown): void;
}

/**
 * A rendezvous receive cleared to send (CTS), waiting for its payload. A payload larger than one chunk is
 * assembled in `target` (the receive's buffer, or one of the message's size), chunk by chunk.
 */
interface AwaitedData {
  receive: PostedReceive;
  arrival: Arrival;
  /** Where the chunks of a chunked payload land (undefined: the payload comes as one frame). */
  target?: Uint8Array;
  /** Bytes of the payload received so far. */
  received: number;
  /** Why the receive failed already (no memory for its payload): its chunks are read and dropped. */
  failed?: boolean;
  /** A shared copy: the bytes at the start of `target` that the sender writes (see `SHARED_COPY_MIN`). */
  share?: number;
}

/** A pending receive: its promise and a way to withdraw it. */
export interface ReceiveHandle<T = Received | undefined> {
  promise: Promise<T>;
  cancel(): boolean;
}

/**
 * What a receive makes of its message as it settles (see {@linkcode Engine.receiveWith}): the receive's
 * promise then resolves with the result itself, with no promise or reaction of the caller's in between.
 */
export interface ReceiveCompletion<T> {
  /** The result from the message (`undefined`: the receive was withdrawn); what it throws fails the receive. */
  finish(message: Received | undefined): T;
  /** Told once as the receive fails, before its promise rejects. */
  failed(error: unknown): void;
}

const NO_LIVENESS: Liveness = { adjust() {} };

/**
 * One engine per process, shared by every communicator (contexts keep their traffic apart).
 *
 * The transport calls it back (`onFrame`, `onPeerLost`, `payloadTarget`: see `transport/transport.ts`); in a
 * rank, `transport/peers.ts` wires the two together. Here a world of one rank whose sink hands every frame
 * straight back:
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Engine } from "./engine.ts";
 * import type { FrameSink } from "../transport/transport.ts";
 * import { HEADER_SIZE } from "../wire/frame.ts";
 *
 * const loopback: FrameSink = {
 *   sendFrame(peer, header, payload, headroom, done) {
 *     const body = (headroom ? payload!.subarray(HEADER_SIZE) : payload ?? new Uint8Array(0)).slice();
 *     done();
 *     queueMicrotask(() => engine.onFrame(peer, { ...header, length: body.length }, body));
 *   },
 * };
 * const engine = new Engine(0, 1, loopback);
 * const payload = new Uint8Array([1, 2, 3]);
 * const sent = engine.send({
 *   peer: 0, context: 0, source: 0, tag: 7, payload, headroom: false, raw: true, sync: false, owned: false,
 * });
 * const message = await engine.receive({ context: 0, source: 0, tag: 7, peer: 0 }).promise;
 * await sent;
 * assert.deepEqual(message?.payload, payload);
 * ```
 */
export class Engine implements FrameHandler {
  /** World rank of this process. */
  readonly rank: number;
  /** Number of processes in the world. */
  readonly size: number;
  #sink: FrameSink;
  #liveness: Liveness;
  #queues = new MatchQueues<PostedReceive>();
  #probes: ProbeWaiter[] = [];
  #eagerInFlight: Int32Array;
  #eagerConsumed: Int32Array;
  #nextSeq: Uint32Array;
  #pendingSends: Map<number, PendingSend>[];
  #awaitingData: Map<number, AwaitedData>[];
  #lost: (MPIError | undefined)[];
  /** Peers the sink was asked to watch (once each). */
  #watched: Uint8Array;
  /** Peers that said their script was done (a BYE frame): their end is no failure. */
  #finished: Uint8Array;
  /** Lost peers that failed (see {@linkcode Engine.onPeerLost}): they fail ANY_SOURCE receives too. */
  #failed: Uint8Array;
  #direct: DirectCopy | undefined;
  /** Peers with whom a direct copy failed once (either way): their rendezvous go over the socket. */
  #directFailed: Uint8Array;
  /** Peers whose memory a direct read has reached: large messages from them are copied by both sides. */
  #directWorked: Uint8Array;
  /** The claim words of this rank's shared copies, when it can copy directly. */
  #claims: ShareClaims | undefined;
  /** Largest payload of one RDATA frame: a larger message goes in chunks (see {@linkcode RDATA_CHUNK_BYTES}). */
  #chunkBytes: number;

  constructor(
    rank: number,
    size: number,
    sink: FrameSink,
    liveness: Liveness = NO_LIVENESS,
    direct?: DirectCopy,
    chunkBytes: number = RDATA_CHUNK_BYTES,
  ) {
    this.rank = rank;
    this.#chunkBytes = chunkBytes;
    this.size = size;
    this.#sink = sink;
    this.#liveness = liveness;
    this.#direct = direct;
    this.#directFailed = new Uint8Array(size);
    this.#directWorked = new Uint8Array(size);
    this.#claims = direct && new ShareClaims();
    this.#eagerInFlight = new Int32Array(size);
    this.#eagerConsumed = new Int32Array(size);
    this.#nextSeq = new Uint32Array(size);
    this.#pendingSends = Array.from({ length: size }, () => new Map());
    this.#awaitingData = Array.from({ length: size }, () => new Map());
    this.#lost = new Array(size);
    this.#watched = new Uint8Array(size);
    this.#finished = new Uint8Array(size);
    this.#failed = new Uint8Array(size);
  }

  /**
   * Sends a message; resolves once its bytes are out of the caller's hands and handed to the transport's
   * kernel side (so a process that exits after the promise resolves loses nothing), or for `sync` once
   * matched. A message of any size goes whole: one larger than a frame travels in chunks.
   */
  send(order: SendOrder): Promise<void> {
    const lost = this.#lost[order.peer];
    if (lost) return Promise.reject(lost);
    const size = order.payload.length - (order.headroom ? HEADER_SIZE : 0);
    const peer = order.peer;
    if (
      !order.sync && size <= EAGER_LIMIT && this.#eagerInFlight[peer] + size <= EAGER_WINDOW &&
      !(size >= DIRECT_MIN && this.#directPeer(peer) !== undefined)
    ) {
      this.#eagerInFlight[peer] += size;
      const header = this.#header(FrameKind.EAGER, order, 0, 0);
      return this.#sendAndWait(peer, header, order.payload, order.headroom);
    }
    return this.#sendRendezvous(order, peer, size);
  }

  /** Sends `order` by rendezvous: its RTS now, its data once the receiver clears it (or copies it itself). */
  #sendRendezvous(order: SendOrder, peer: number, size: number): Promise<void> {
    const seq = this.#nextSeq[peer]++;
    this.#busy(1);
    let pending: PendingSend;
    return new Promise<void>((resolve, reject) => {
      pending = { order, resolve, reject };
      this.#pendingSends[peer].set(seq, pending);
      const header = this.#header(FrameKind.RTS, order, seq, size);
      const address = this.#directAddress(peer, pending, size);
      if (address) header.flags |= FrameFlag.DIRECT;
      this.#sink.sendFrame(peer, header, address, false, (error) => {
        if (error) this.#failSend(peer, seq, error);
      });
    }).finally(() => {
      if (pending.claim !== undefined) this.#claims!.release(pending.claim);
      this.#busy(-1);
    });
  }

  /**
   * A blocking call is about to await an operation of this engine that waits: the transport spins for it
   * once before the event loop turns (see `Liveness.spinFirst`).
   */
  spinFirst(): void {
    this.#liveness.spinFirst?.();
  }

  /**
   * Posts a receive for `pattern` (its `peer` is the world rank of a specific source, or -1). Resolves with the
   * message, or `undefined` if cancelled.
   */
  receive(pattern: Pattern, into?: Uint8Array): ReceiveHandle {
    return this.#receive<Received | undefined>(pattern, into, undefined);
  }

  /**
   * Posts a receive as {@linkcode Engine.receive} does, but one that settles through `completion`: its promise
   * resolves with `completion.finish(message)` (or rejects with what that throws, or, after
   * `completion.failed`, with why the receive failed). A message that has arrived already is finished before
   * this returns.
   */
  receiveWith<T>(
    pattern: Pattern,
    into: Uint8Array | undefined,
    completion: ReceiveCompletion<T>,
  ): ReceiveHandle<T> {
    return this.#receive(pattern, into, completion);
  }

  #receive<T>(
    pattern: Pattern,
    into: Uint8Array | undefined,
    completion: ReceiveCompletion<T> | undefined,
  ): ReceiveHandle<T> {
    const arrival = this.#queues.takeUnexpected(pattern);
    if (arrival?.payload) return this.#arrived(arrival, completion);
    const receive = new WaitingReceive(pattern, into, this.#liveness, completion, this.#withdraw);
    if (arrival) {
      this.#requestData(arrival, receive);
      return receive;
    }
    const lost = this.#lostFor(pattern);
    if (lost) {
      receive.reject(lost);
      return receive;
    }
    this.#queues.post(receive);
    this.#watch(pattern);
    return receive;
  }

  /** A receive of `arrival`, whose eager payload is here: settled now (it never counted as waiting). */
  #arrived<T>(arrival: Arrival, completion: ReceiveCompletion<T> | undefined): ReceiveHandle<T> {
    this.#consumeEager(arrival.peer, arrival.size);
    const receive = new WaitingReceive(arrival, undefined, NO_LIVENESS, completion, undefined);
    receive.resolve(received(arrival, arrival.payload!));
    return receive;
  }

  /** Takes a posted receive back from matching (see `WaitingReceive.cancel`). */
  #withdraw = (receive: PostedReceive): boolean => this.#queues.withdraw(receive);

  /**
   * Takes `arrival` (found by {@linkcode Engine.peek} or {@linkcode Engine.probe}) out of matching, as
   * MPI's `Mprobe` does: no receive can match it any more, only {@linkcode Engine.receiveMatched}. False if
   * a receive took it first.
   */
  claim(arrival: Arrival): boolean {
    return this.#queues.removeUnexpected(arrival);
  }

  /**
   * Receives a message taken out of matching by {@linkcode Engine.claim}, into `into` where it fits; with
   * `completion`, settling through it as {@linkcode Engine.receiveWith} does.
   */
  receiveMatched<T = Received | undefined>(
    arrival: Arrival,
    into?: Uint8Array,
    completion?: ReceiveCompletion<T>,
  ): ReceiveHandle<T> {
    if (arrival.payload) return this.#arrived(arrival, completion);
    const receive = new WaitingReceive(arrival, into, this.#liveness, completion, undefined);
    const lost = this.#lost[arrival.peer];
    if (lost) receive.reject(lost);
    else this.#requestData(arrival, receive);
    return receive;
  }

  /**
   * Where the payload of a frame from `peer` should be assembled: the buffer of the receive a rendezvous was
   * cleared for, so that its data lands in place (undefined: anywhere).
   */
  payloadTarget(peer: number, header: FrameHeader): Uint8Array | undefined {
    if (header.kind !== FrameKind.RDATA) return undefined;
    const awaiting = this.#awaitingData[peer].get(header.seq);
    if (awaiting === undefined) return undefined;
    if (awaiting.target === undefined) return awaiting.receive.into;
    const end = header.size + header.length;
    return end <= awaiting.target.length ? awaiting.target.subarray(header.size, end) : undefined;
  }

  /** The messages that arrived and that no receive has taken (yet), oldest first. */
  unreceived(): readonly Arrival[] {
    return this.#queues.unexpected;
  }

  /** The envelope of the earliest matching message that has arrived, without receiving it. */
  peek(pattern: Pattern): Arrival | undefined {
    return this.#queues.peekUnexpected(pattern);
  }

  /**
   * Waits until a matching message has arrived; resolves with its envelope, leaving it to be received.
   * `withdraw`, if given, is handed a function that takes the probe back (false once it has matched).
   */
  probe(pattern: Pattern, withdraw?: (take: () => boolean) => void): Promise<Arrival> {
    const arrival = this.#queues.peekUnexpected(pattern);
    if (arrival) return Promise.resolve(arrival);
    const lost = this.#lostFor(pattern);
    if (lost) return Promise.reject(lost);
    this.#watch(pattern);
    this.#busy(1);
    return new Promise<Arrival>((resolve, reject) => {
      const waiter = { ...pattern, resolve, reject };
      this.#probes.push(waiter);
      withdraw?.(() => {
        const index = this.#probes.indexOf(waiter);
        if (index < 0) return false;
        this.#probes.splice(index, 1);
        reject(undefined);
        return true;
      });
    }).finally(() => this.#busy(-1));
  }

  /** Feeds one frame from world rank `peer`. */
  onFrame(peer: number, header: FrameHeader, payload: Uint8Array): void {
    switch (header.kind) {
      case FrameKind.EAGER:
      case FrameKind.RTS:
        this.#onArrival({
          context: header.context,
          source: header.source,
          tag: header.tag,
          peer,
          raw: (header.flags & FrameFlag.RAW) !== 0,
          payload: header.kind === FrameKind.EAGER ? payload : undefined,
          size: header.kind === FrameKind.EAGER ? payload.length : header.size,
          seq: header.seq,
          address: (header.flags & FrameFlag.DIRECT) !== 0 && payload.length >= 8
            ? addressAt(payload, 0)
            : undefined,
          claim: (header.flags & FrameFlag.DIRECT) !== 0 && payload.length === 16
            ? addressAt(payload, 8)
            : undefined,
        });
        return;
      case FrameKind.CTS:
        if ((header.flags & FrameFlag.SHARE) !== 0) {
          this.#onShareRequest(peer, header.seq, header.size, payload);
          return;
        }
        if ((header.flags & FrameFlag.DIRECT) !== 0) this.#directFailed[peer] = 1;
        this.#onClearToSend(peer, header.seq);
        return;
      case FrameKind.RDATA:
        if ((header.flags & FrameFlag.SHARE) !== 0) this.#onShareWritten(peer, header.seq, header.size);
        else this.#onRendezvousData(peer, header.seq, header.size, payload);
        return;
      case FrameKind.CREDIT:
        this.#eagerInFlight[peer] -= header.size;
        return;
      case FrameKind.DONE:
        this.#onDirectDone(peer, header.seq);
        return;
      case FrameKind.BYE:
        this.#finished[peer] = 1;
        return;
    }
  }

  /**
   * Marks world rank `peer` as gone: every operation that can only complete through it fails with
   * ERR_PEER_LOST, and so does every later operation that names it. A peer that failed (it did not say it
   * was done, and was not just `unreachable`, which a peer that ended normally also is) fails, besides, the
   * ANY_SOURCE receives and probes of the communicators it belongs to, now and later: they might wait for it.
   */
  onPeerLost(peer: number, why: string, unreachable = false): void {
    if (this.#lost[peer]) return;
    const error = mpiError(ErrorCode.ERR_PEER_LOST, `rank ${peer} is gone (${why})`);
    this.#lost[peer] = error;
    if (!unreachable && !this.#finished[peer]) this.#failed[peer] = 1;
    const failed = this.#failed[peer] === 1;
    const waitsFor = (pattern: Pattern) =>
      pattern.peer === peer || (failed && pattern.peer < 0 && pattern.members?.includes(peer) === true);
    for (const pending of this.#pendingSends[peer].values()) pending.reject(error);
    this.#pendingSends[peer].clear();
    for (const { receive } of this.#awaitingData[peer].values()) receive.reject(error);
    this.#awaitingData[peer].clear();
    for (const receive of this.#queues.takePostedWhere(waitsFor)) receive.reject(error);
    const probes = this.#probes.filter(waitsFor);
    this.#probes = this.#probes.filter((probe) => !waitsFor(probe));
    for (const probe of probes) probe.reject(error);
  }

  /**
   * Makes sure the loss of world rank `peer` will be noticed (see `FrameSink.watch`), though nothing may ever
   * be sent to it: for waits that no message ends (a barrier in shared memory).
   */
  watch(peer: number): void {
    if (peer === this.rank || this.#watched[peer]) return;
    this.#watched[peer] = 1;
    this.#sink.watch?.(peer);
  }

  /** The error a lost peer left, if it is lost. */
  lostPeer(peer: number): MPIError | undefined {
    return this.#lost[peer];
  }

  /**
   * The error a lost peer left, if it failed: it ended without saying its script was done (see
   * {@linkcode Engine.onPeerLost}). A peer that ended normally is lost but did not fail.
   */
  failedPeer(peer: number): MPIError | undefined {
    return this.#failed[peer] ? this.#lost[peer] : undefined;
  }

  /** Fails every pending operation with `error` (the job is ending). */
  abortAll(error: unknown): void {
    for (const receive of this.#queues.takePostedWhere(() => true)) receive.reject(error);
    for (const probe of this.#probes.splice(0)) probe.reject(error);
    for (let peer = 0; peer < this.size; peer++) {
      for (const pending of this.#pendingSends[peer].values()) pending.reject(error);
      this.#pendingSends[peer].clear();
      for (const { receive } of this.#awaitingData[peer].values()) receive.reject(error);
      this.#awaitingData[peer].clear();
    }
  }

  /**
   * The error of a lost peer that `pattern` could wait for: its `peer`, or for ANY_SOURCE the first member of
   * its communicator that failed (see {@linkcode Engine.onPeerLost}). Undefined while none is lost.
   */
  #lostFor(pattern: Pattern): MPIError | undefined {
    if (pattern.peer >= 0) return this.#lost[pattern.peer];
    for (const member of pattern.members ?? []) if (this.#failed[member]) return this.#lost[member];
    return undefined;
  }

  /**
   * Makes sure the loss of every peer `pattern` could wait for is noticed (see {@linkcode FrameSink.watch}):
   * its `peer`, or every other member of its communicator for ANY_SOURCE.
   */
  #watch(pattern: Pattern): void {
    if (pattern.peer >= 0) this.watch(pattern.peer);
    else for (const peer of pattern.members ?? []) this.watch(peer);
  }

  #onArrival(arrival: Arrival): void {
    const receive = this.#queues.takePosted(arrival);
    if (receive) {
      if (arrival.payload) {
        this.#consumeEager(arrival.peer, arrival.size);
        receive.resolve(received(arrival, arrival.payload));
      } else {
        this.#requestData(arrival, receive);
      }
      return;
    }
    this.#queues.addUnexpected(arrival);
    if (this.#probes.length === 0) return;
    const index = this.#probes.findIndex((probe) => matches(probe, arrival));
    if (index >= 0) this.#probes.splice(index, 1)[0].resolve(arrival);
  }

  #requestData(arrival: Arrival, receive: PostedReceive): void {
    const copied = arrival.address !== undefined && this.#readDirect(arrival, receive);
    if (copied === "shared") return;
    if (copied === "done") {
      this.#answer(arrival, FrameKind.DONE, 0);
      return;
    }
    this.#awaitingData[arrival.peer].set(arrival.seq, this.#awaitData(arrival, receive));
    // An address this rank did not use: the sender should not offer one again.
    this.#answer(arrival, FrameKind.CTS, arrival.address !== undefined ? FrameFlag.DIRECT : 0);
  }

  /** Sends the sender of rendezvous `arrival` a control frame about it (CTS, DONE). */
  #answer(arrival: Arrival, kind: FrameKind, flags: number, size = 0, payload?: Uint8Array): void {
    const header: FrameHeader = {
      length: 0,
      kind,
      flags,
      context: arrival.context,
      source: this.rank,
      tag: 0,
      seq: arrival.seq,
      size,
    };
    this.#sink.sendFrame(arrival.peer, header, payload, false, () => {});
  }

  /**
   * What a rendezvous receive waits with for its payload. A payload of more than one chunk gets its target
   * now: the receive's buffer when it has room, else a buffer of the message's size. If that cannot be
   * allocated, the receive fails at once (ERR_NO_MEM, naming the size and the sender) and the chunks, which
   * the sender sends anyway, are dropped as they come.
   */
  #awaitData(arrival: Arrival, receive: PostedReceive): AwaitedData {
    const awaiting: AwaitedData = { receive, arrival, received: 0 };
    if (arrival.size <= this.#chunkBytes) return awaiting;
    const target = this.#targetFor(arrival, receive);
    if (target === undefined) awaiting.failed = true;
    else awaiting.target = target;
    return awaiting;
  }

  /**
   * A buffer for the whole payload of `arrival`: the receive's own when it has room, else a new one. When no
   * memory is left for it, fails the receive and returns undefined.
   */
  #targetFor(arrival: Arrival, receive: PostedReceive): Uint8Array | undefined {
    const into = receive.into;
    if (into !== undefined && into.length >= arrival.size) return into.subarray(0, arrival.size);
    try {
      return new Uint8Array(arrival.size);
    } catch (error) {
      receive.reject(mpiError(
        ErrorCode.ERR_NO_MEM,
        `no memory for the ${arrival.size} bytes of the message from rank ${arrival.source} ` +
          `(tag ${arrival.tag}): ${(error as Error).message}`,
      ));
      return undefined;
    }
  }

  #onClearToSend(peer: number, seq: number): void {
    const pending = this.#pendingSends[peer].get(seq);
    if (!pending) return;
    this.#pendingSends[peer].delete(seq);
    const { order } = pending;
    const payload = messageOf(order);
    // Every chunk but the last settles nothing: the frames to one peer go out in order, and a failed write
    // fails the ones after it, so the last one's outcome is the send's.
    for (let offset = 0; offset < payload.length || offset === 0; offset += this.#chunkBytes) {
      const end = Math.min(offset + this.#chunkBytes, payload.length);
      const header = this.#header(FrameKind.RDATA, order, seq, offset);
      const last = end === payload.length;
      this.#sink.sendFrame(peer, header, payload.subarray(offset, end), false, (error) => {
        if (error) pending.reject(this.#writeFailed(peer, error));
        else if (last) pending.resolve();
      });
      if (last) break;
    }
  }

  /**
   * The address to announce in the RTS of a send to `peer`, as 8 bytes, when the peer may read the message
   * from this process's memory: it runs on this host, no direct copy with it has failed, and the message has
   * at least {@linkcode DIRECT_MIN} bytes (so its memory is off the runtime's moving heap).
   */
  #directAddress(peer: number, pending: PendingSend, size: number): Uint8Array | undefined {
    if (size < DIRECT_MIN || this.#directPeer(peer) === undefined) return undefined;
    const { order } = pending;
    const payload = messageOf(order);
    const address = this.#direct!.addressOf(payload);
    pending.claim = size >= SHARED_COPY_MIN ? this.#claims!.take() : undefined;
    if (pending.claim === undefined) return addressBytes(address);
    const bytes = new Uint8Array(16);
    bytes.set(addressBytes(address));
    bytes.set(addressBytes(this.#claims!.addressOf(pending.claim, this.#direct!)), 8);
    return bytes;
  }

  /**
   * The process id of `peer` when direct copies with it are possible (see {@linkcode DirectCopy}): this
   * engine can copy, the peer runs on this host, and no direct copy with it has failed. Else undefined.
   */
  #directPeer(peer: number): number | undefined {
    if (this.#direct === undefined || this.#directFailed[peer]) return undefined;
    return this.#sink.peerProcess?.(peer);
  }

  /**
   * Copies a rendezvous message from the sender's memory into the receive's buffer (or a new one), and
   * completes the receive ("done"). From {@linkcode SHARED_COPY_MIN} bytes on, once a read from that peer has
   * worked, it asks the sender to write the first half and reads the second ("shared": the receive completes
   * when the sender's answer comes, in `#onShareWritten`). False, and never again for that
   * peer, if the copy failed (no permission, another PID namespace): the caller then clears the sender to
   * send it over the socket.
   */
  #readDirect(arrival: Arrival, receive: PostedReceive): "done" | "shared" | false {
    const peer = arrival.peer;
    const pid = this.#directPeer(peer);
    if (pid === undefined) return false;
    const target = this.#targetFor(arrival, receive);
    // No memory for it: the receive failed, and the sender's copy is done with (DONE).
    if (target === undefined) return "done";
    const address = arrival.address!;
    if (this.#directWorked[peer] && arrival.claim !== undefined && arrival.size >= SHARED_COPY_MIN) {
      const share = Math.floor(arrival.size / 2);
      // Asked first, so that the sender writes while this rank reads.
      this.#answer(
        arrival,
        FrameKind.CTS,
        FrameFlag.SHARE,
        share,
        addressBytes(this.#direct!.addressOf(target)),
      );
      const awaiting: AwaitedData = { receive, arrival, target, received: 0, share };
      this.#awaitingData[peer].set(arrival.seq, awaiting);
      // A read that failed where reads worked before: the rest is asked for by socket when the answer comes.
      if (!this.#direct!.read(pid, address + share, target.subarray(share))) {
        awaiting.failed = true;
        return "shared";
      }
      const state = this.#claims!.revoke(this.#direct!, pid, arrival.claim);
      // The sender is writing its half, or its words could not be reached: its answer completes the receive.
      if (state === CLAIMED || state === undefined) return "shared";
      // It wrote its half, or it will not write it: then this rank reads that half too.
      if (state !== WRITTEN && !this.#direct!.read(pid, address, target.subarray(0, share))) {
        awaiting.failed = true;
        return "shared";
      }
      this.#awaitingData[peer].delete(arrival.seq);
      receive.resolve(received(arrival, target));
      return "done";
    }
    if (!this.#direct!.read(pid, address, target)) {
      this.#directFailed[peer] = 1;
      return false;
    }
    this.#directWorked[peer] = 1;
    receive.resolve(received(arrival, target));
    return "done";
  }

  /**
   * The sender's part of a shared copy: unless the receiver revoked it already (see `share_claims.ts`), writes
   * the first `share` bytes of send `seq` to the receiver's buffer at the address in `payload`; answers with
   * the bytes written (0 if it did not write them).
   */
  #onShareRequest(peer: number, seq: number, share: number, payload: Uint8Array): void {
    const pending = this.#pendingSends[peer].get(seq);
    if (!pending) return;
    const { order, claim } = pending;
    const message = messageOf(order);
    const pid = this.#sink.peerProcess?.(peer);
    let written = false;
    if (claim !== undefined && this.#claims!.claim(claim)) {
      written = pid !== undefined && payload.length === 8 && share <= message.length &&
        this.#direct!.write(pid, addressAt(payload, 0), message.subarray(0, share));
      this.#claims!.finish(claim, written);
    }
    const header = this.#header(FrameKind.RDATA, order, seq, written ? share : 0);
    header.flags |= FrameFlag.SHARE;
    // Not an error if it cannot go: a receiver that revoked the half may have completed and ended already
    // (its DONE is on the way), and the loss of one that did not fails this send on its own.
    this.#sink.sendFrame(peer, header, undefined, false, () => {});
  }

  /**
   * The sender's answer to a shared copy that this rank waited for (it saw the sender writing): it wrote
   * `written` bytes. Completes the receive and the send (DONE), reading the first half itself if the sender
   * did not write it; if a read fails, the whole message is asked for over the socket instead (CTS), into
   * the same buffer.
   */
  #onShareWritten(peer: number, seq: number, written: number): void {
    const awaiting = this.#awaitingData[peer].get(seq);
    if (!awaiting || awaiting.share === undefined) return;
    const { arrival, receive, target } = awaiting;
    const pid = this.#directPeer(peer);
    if (
      awaiting.failed ||
      written !== awaiting.share &&
        !(pid !== undefined && this.#direct!.read(pid, arrival.address!, target!.subarray(0, awaiting.share)))
    ) {
      this.#directFailed[peer] = 1;
      awaiting.share = undefined;
      awaiting.failed = false;
      if (arrival.size <= this.#chunkBytes) awaiting.target = undefined;
      this.#answer(arrival, FrameKind.CTS, FrameFlag.DIRECT);
      return;
    }
    this.#awaitingData[peer].delete(seq);
    receive.resolve(received(arrival, target!));
    this.#answer(arrival, FrameKind.DONE, 0);
  }

  #onDirectDone(peer: number, seq: number): void {
    const pending = this.#pendingSends[peer].get(seq);
    if (!pending) return;
    this.#pendingSends[peer].delete(seq);
    pending.resolve();
  }

  /** One RDATA frame: the whole payload of rendezvous `seq`, or its chunk at `offset`. */
  #onRendezvousData(peer: number, seq: number, offset: number, payload: Uint8Array): void {
    const awaiting = this.#awaitingData[peer].get(seq);
    if (!awaiting) return;
    const { arrival, target } = awaiting;
    if (target === undefined && !awaiting.failed) {
      this.#awaitingData[peer].delete(seq);
      awaiting.receive.resolve(received(arrival, payload));
      return;
    }
    if (offset !== awaiting.received || offset + payload.length > arrival.size) {
      // A protocol error: the peer is lost, which fails this receive with everything else pending on it.
      this.onPeerLost(
        peer,
        `it sent bytes ${offset}..${offset + payload.length} of a ${arrival.size}-byte message out of order`,
      );
      return;
    }
    // A chunk that came whole in one read is a view of that read: it still has to be copied in place.
    if (
      target !== undefined &&
      !(payload.buffer === target.buffer && payload.byteOffset === target.byteOffset + offset)
    ) {
      target.set(payload, offset);
    }
    awaiting.received += payload.length;
    if (awaiting.received < arrival.size) return;
    this.#awaitingData[peer].delete(seq);
    if (target !== undefined) awaiting.receive.resolve(received(arrival, target));
  }

  #failSend(peer: number, seq: number, error: Error): void {
    const lost = this.#writeFailed(peer, error);
    const pending = this.#pendingSends[peer].get(seq);
    if (!pending) return;
    this.#pendingSends[peer].delete(seq);
    pending.reject(lost);
  }

  /**
   * A write to `peer` failed (its connection broke: reset, closed, refused): the peer is lost, as if its
   * connection had reported it (see {@linkcode Engine.onPeerLost}). Returns the ERR_PEER_LOST naming the
   * peer, which is what every operation with it fails with: never the socket's own error.
   */
  #writeFailed(peer: number, error: Error): MPIError {
    this.onPeerLost(peer, `its connection failed: ${error.message}`);
    return this.#lost[peer]!;
  }

  #consumeEager(peer: number, size: number): void {
    const consumed = this.#eagerConsumed[peer] + size;
    if (consumed < CREDIT_BATCH) {
      this.#eagerConsumed[peer] = consumed;
      return;
    }
    this.#eagerConsumed[peer] = 0;
    const header: FrameHeader = {
      length: 0,
      kind: FrameKind.CREDIT,
      flags: 0,
      context: 0,
      source: this.rank,
      tag: 0,
      seq: 0,
      size: consumed,
    };
    this.#sink.sendFrame(peer, header, undefined, false, () => {});
  }

  /**
   * Sends one frame; resolves when its bytes have left `payload`. A frame the sink wrote before returning (the
   * usual case for an eager message) gets {@linkcode COMPLETED}, with no promise of its own.
   */
  #sendAndWait(peer: number, header: FrameHeader, payload: Uint8Array, headroom: boolean): Promise<void> {
    // Set once the send is still under way as the sink returns; until then `done` records the outcome. Only
    // such a send counts as busy: one written at once never waits (no keep-alive, no polling for it).
    let settle: ((error?: Error | null) => void) | undefined;
    let finished = false;
    let failure: Error | null | undefined;
    this.#sink.sendFrame(peer, header, payload, headroom, (error) => {
      if (settle) {
        this.#busy(-1);
        settle(error);
      } else {
        finished = true;
        failure = error;
      }
    });
    if (finished) return failure ? Promise.reject(this.#writeFailed(peer, failure)) : COMPLETED;
    this.#busy(1);
    return new Promise<void>((resolve, reject) => {
      settle = (error) => error ? reject(this.#writeFailed(peer, error)) : resolve();
    });
  }

  #header(kind: number, order: SendOrder, seq: number, size: number): FrameHeader {
    return {
      length: 0,
      kind,
      flags: (order.raw ? FrameFlag.RAW : 0) | (order.sync ? FrameFlag.SYNC : 0),
      context: order.context,
      source: order.source,
      tag: order.tag,
      seq,
      size,
    };
  }

  #busy(delta: number): void {
    this.#liveness.adjust(delta);
  }
}

/**
 * A receive that waits in the engine: in the posted queue, for a rendezvous' data, or settled already. It is
 * its own handle (promise and `cancel`), and it counts busy until it settles (once): one object per receive,
 * with no closure of its own.
 */
class WaitingReceive<T> implements PostedReceive, ReceiveHandle<T> {
  readonly context: number;
  readonly source: number;
  readonly tag: number;
  readonly peer: number;
  readonly members: readonly number[] | undefined;
  readonly into: Uint8Array | undefined;
  readonly promise: Promise<T>;
  #settle!: (value: T) => void;
  #fail!: (error: unknown) => void;
  #liveness: Liveness | undefined;
  readonly #completion: ReceiveCompletion<T> | undefined;
  readonly #withdraw: ((receive: PostedReceive) => boolean) | undefined;

  constructor(
    pattern: Pattern,
    into: Uint8Array | undefined,
    liveness: Liveness,
    completion: ReceiveCompletion<T> | undefined,
    withdraw: ((receive: PostedReceive) => boolean) | undefined,
  ) {
    this.context = pattern.context;
    this.source = pattern.source;
    this.tag = pattern.tag;
    this.peer = pattern.peer;
    this.members = pattern.members;
    this.into = into;
    this.#completion = completion;
    this.#withdraw = withdraw;
    // An executor, not Promise.withResolvers: fewer objects, but slower on both runtimes (measured: 56 against
    // 32 ns on Bun, 45 against 30 on Deno).
    this.promise = new Promise<T>((resolve, reject) => {
      this.#settle = resolve;
      this.#fail = reject;
    });
    this.#liveness = liveness;
    liveness.adjust(1);
  }

  resolve(message: Received | undefined): void {
    if (!this.#done()) return;
    const completion = this.#completion;
    if (completion === undefined) return this.#settle(message as T);
    let result: T;
    try {
      result = completion.finish(message);
    } catch (error) {
      return this.#fail(error);
    }
    this.#settle(result);
  }

  reject(error: unknown): void {
    if (!this.#done()) return;
    this.#completion?.failed(error);
    this.#fail(error);
  }

  /**
   * Withdraws the receive if it still waits in the posted queue (no message has matched it): it resolves with
   * `undefined`.
   */
  cancel(): boolean {
    if (this.#withdraw?.(this) !== true) return false;
    this.resolve(undefined);
    return true;
  }

  /** Releases the busy count, once; false when the receive had settled already. */
  #done(): boolean {
    const liveness = this.#liveness;
    if (liveness === undefined) return false;
    this.#liveness = undefined;
    liveness.adjust(-1);
    return true;
  }
}

const TWO_TO_32 = 2 ** 32;

function received(arrival: Arrival, payload: Uint8Array): Received {
  return { source: arrival.source, tag: arrival.tag, raw: arrival.raw, payload };
}

/** The message bytes of `order`, without the headroom its encoder left for the header. */
function messageOf(order: SendOrder): Uint8Array {
  return order.headroom ? order.payload.subarray(HEADER_SIZE) : order.payload;
}

/** An address as the 8 bytes a frame carries it in (u32 low, u32 high). */
function addressBytes(address: number): Uint8Array {
  const bytes = new Uint8Array(8);
  putUint32(bytes, 0, address % TWO_TO_32);
  putUint32(bytes, 4, Math.floor(address / TWO_TO_32));
  return bytes;
}

/** The address in the 8 bytes at `offset` of `bytes` (u32 low, u32 high). */
function addressAt(bytes: Uint8Array, offset: number): number {
  return getUint32(bytes, offset) + getUint32(bytes, offset + 4) * TWO_TO_32;
}
