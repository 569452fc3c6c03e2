/**
 * Collectives through memory shared by the ranks of one host: a communicator whose members all run on one
 * host gets a region (see {@linkcode SharedMemory}) where Barrier, Bcast, Reduce and Allreduce move their
 * bytes with plain copies and synchronise with `Atomics`, no messages at all (as Open MPI's `coll/sm` and
 * MPICH's `ch4/shm` collectives do).
 *
 * Layout of the region, for `p` ranks and slots of `S` bytes:
 *
 * ```
 * line 0      arrival counter          (every rank adds to it)
 * line 1      sleepers                 (ranks asleep in futex on the release word; rarely touched)
 * line 2      release word             (the last rank to arrive stores the barrier's number here)
 * lines 4..   byte lengths: 2 x p f64  (each rank's buffer size per call, by epoch parity)
 * then        calls: 2 x p i32         (which call each rank makes, by epoch parity)
 * then        2 result areas of S bytes, by epoch parity
 * then        p slots of S bytes       (each rank's contribution to a reduction)
 * ```
 *
 * The two hot words sit 128 bytes apart, not just on lines of their own: Intel's L2 prefetcher fetches lines
 * in aligned pairs, so a counter and a release word in one pair would still pass between the ranks together
 * (folly and crossbeam pad to 128 bytes for the same reason).
 *
 * Everything is organised in epochs between barriers. Data written during epoch `e` (before barrier `e`) is
 * read during epoch `e + 1` (after it): area `e & 1` is written again only in epoch `e + 2`, after every
 * reader has passed barrier `e + 1`, so no epoch waits for its readers.
 *
 * - Barrier: each rank adds 1 to the counter; the one that brings it to `p * n` (call n) stores `n` in the
 *   release word and wakes the sleepers; the others wait for it. One atomic add per rank, no messages.
 * - Bcast: the root copies a chunk into the result area, barrier, the others copy it out. Chunks of `S`.
 * - Allgather (of values): each rank copies its bytes into its slot, barrier, every rank copies every slot
 *   out, barrier. Values that do not fit a slot on some rank go by messages on every rank.
 * - Reduce/Allreduce: each rank copies a chunk into its slot, barrier, rank `i` reduces the `i`-th piece of
 *   every slot in rank order into the result area (so the op's order is kept and every rank sees the same
 *   bits), barrier, the ranks that want the result copy it out. Time per chunk: `2 barriers + n c / p`.
 *
 * Calls on one communicator run one after the other on its region (non-blocking ones included); every rank
 * makes them in the same order, so they agree.
 *
 * A waiting rank spins for a first slice of {@linkcode SPIN_SLICE_MS} before it gives the event loop a turn,
 * and most barriers of ranks that call together end within it. A call whose barriers all end so runs to its
 * end before it returns, with no promise of its own to await: its steps are a generator that yields each
 * barrier's wait (`Steps`, driven by `run`), and only a wait that outlasts the slice makes the rest of the
 * call asynchronous. A barrier alone returns {@linkcode COMPLETED} then. Each await saved is a turn of the
 * microtask queue on every rank, and with many ranks the slowest rank's turns are everyone's.
 *
 * @module
 */

import { ErrorCode, mpiError } from "../errors.ts";
import { COMPLETED } from "../p2p/completed.ts";
import type { TypedArray } from "../wire/buffers.ts";
import { elementClass, setVector, sizeMismatch, type TypedArrayClass } from "./buffer_args.ts";
import { bytesOf } from "./combine.ts";
import type { Op } from "./ops.ts";
import { blockOffsets } from "./topology.ts";

/** A mapped region of host-shared memory, as the collectives use it (see `transport/shared_memory.ts`). */
export interface SharedSpace {
  /** How the other ranks of the host open it (see {@linkcode SharedMemory.open}). */
  readonly address: string;
  readonly bytes: Uint8Array;
  readonly words: Int32Array;
  /** Sleeps while word `index` holds `expected`, for up to `timeoutMs`. */
  wait(index: number, expected: number, timeoutMs: number): void;
  /** Wakes every rank sleeping on word `index`. */
  wake(index: number): void;
  /** Gives the processor to another process. */
  yieldProcessor(): void;
  /** Creator: closes the way in once every rank has mapped the region (nobody else can open it then). */
  unlink(): void;
  /** Unmaps the region from this process; no view of it is touched afterwards. */
  release(): void;
}

/** Makes and opens regions of host-shared memory: what a communicator needs for {@linkcode HostArena}. */
export interface SharedMemory {
  /** Creates a region of `length` bytes, labelled `label` where the system shows it; throws if it cannot. */
  create(label: string, length: number): SharedSpace;
  /** Opens the region at `address` (its {@linkcode SharedSpace.address}) that another rank created; throws if it cannot. */
  open(address: string, length: number): SharedSpace;
  /** Do the host's ranks outnumber its cores? Then a waiting rank gives its core away as it spins. */
  readonly crowded: boolean;
}

/** Words of one cache line. */
const LINE_WORDS = 16;
const COUNT = 0;
const SLEEPERS = LINE_WORDS;
const RELEASE = 2 * LINE_WORDS;
/** Byte offset of the lengths (line 4). */
const LENGTHS_AT = 4 * 64;

/** Bytes of all slots together, at most: 32 MiB, so that 16 ranks get 1 MiB slots and 128 ranks 240 KiB. */
const SLOTS_BUDGET = 32 << 20;
/** Largest and smallest slot. */
const SLOT_MAX = 1 << 20;
const SLOT_MIN = 64 << 10;

/** A waiting rank spins in one synchronous stretch for at most this long before the event loop gets a turn. */
const SPIN_SLICE_MS = 0.05;
/** ... and spins in all for this long before it sleeps in futex. */
const SPIN_BUDGET_MS = 1;
/** Sleeps in futex last this long at first, doubling up to the longest (an idle rank then wakes rarely). */
const SLEEP_FIRST_MS = 1;
const SLEEP_LONGEST_MS = 16;

/** The bytes of a region for `size` ranks with slots of `slot` bytes. */
function regionLength(size: number, slot: number): number {
  return dataStart(size) + (size + 2) * slot;
}

/** Byte offset of the call words: after the lengths. */
function callsStart(size: number): number {
  return LENGTHS_AT + 2 * size * 8;
}

/** Where the result areas begin: after the call words, on a 4 KiB boundary. */
function dataStart(size: number): number {
  return Math.ceil((callsStart(size) + 2 * size * 4) / 4096) * 4096;
}

/** The calls that run in shared memory, by the number each publishes (see {@linkcode callNumber}). */
const CALL_NAMES = new Map<number, string>();
/** The hash of each call's name, made once per name (see {@linkcode callNumber}). */
const CALL_HASHES = new Map<string, number>();

/** A number for the call `where` (value or buffer kind): the same in every process. */
function callNumber(where: string, raw: boolean): number {
  let hash = CALL_HASHES.get(where);
  if (hash === undefined) {
    hash = 0x811c9dc5; // FNV-1a
    for (let i = 0; i < where.length; i++) hash = Math.imul(hash ^ where.charCodeAt(i), 0x01000193);
    hash &= ~1;
    CALL_HASHES.set(where, hash);
    if (!CALL_NAMES.has(hash)) CALL_NAMES.set(hash, where).set(hash | 1, where);
  }
  return hash | (raw ? 1 : 0);
}

/** The error of a rank whose neighbour made another collective call (all of them fail alike). */
function callMismatch(owner: ArenaOwner, rank: number, theirs: number): Error {
  if ((theirs & 1) !== (owner.raw ? 1 : 0)) {
    const mine = owner.raw ? "a buffer collective (capitalised method)" : "a value collective";
    const other = theirs & 1 ? "a buffer collective" : "a value collective";
    return mpiError(
      ErrorCode.ERR_TYPE,
      `${owner.where}: rank ${rank} is in ${other} while this rank called ${mine}; every rank must make the same call`,
    );
  }
  const name = CALL_NAMES.get(theirs) ?? "another collective";
  return mpiError(
    ErrorCode.ERR_OTHER,
    `${owner.where}: rank ${rank} is in ${name} while this rank called ${owner.where}; every rank must make the same call`,
  );
}

/** The slot size for `size` ranks: a multiple of 4 KiB within the budget. */
export function slotBytes(size: number): number {
  const even = Math.floor(SLOTS_BUDGET / (size + 2) / 4096) * 4096;
  return Math.max(SLOT_MIN, Math.min(SLOT_MAX, even));
}

/** What a region needs to know of its communicator. */
export interface ArenaOwner {
  rank: number;
  size: number;
  /** The call under way, for error messages. */
  where: string;
  /** Does the call move buffer bytes (the capitalised methods) rather than encoded values? */
  raw: boolean;
  /** The error of a member that is gone, if one is: a wait then fails instead of hanging. */
  lostMember(): Error | undefined;
}

/**
 * One communicator's region and the collectives that run through it.
 *
 * @example
 * ```ts ignore
 * const arena = new HostArena(space, 4, slotBytes(4), false);
 * await arena.barrier(owner);
 * ```
 */
export class HostArena {
  readonly size: number;
  readonly slot: number;
  readonly #space: SharedSpace;
  readonly #words: Int32Array;
  readonly #lengths: Float64Array;
  readonly #calls: Int32Array;
  readonly #crowded: boolean;
  /** Barriers passed on this region (the next one's number is this + 1, wrapping like an int32). */
  #barriers = 0;
  /** The previous call's end: calls run one after the other. */
  #previous: Promise<unknown> = Promise.resolve();
  #busy = false;
  /** Set by {@linkcode close}: the region is (or is about to be) unmapped. */
  #closed = false;
  #views = new Map<string, ChunkViews>();
  /** The views of the last chunk shape asked for (a call that repeats asks for the same). */
  #lastViews: ChunkViews | undefined;
  /** Every rank's length in the last call (see `#published`). */
  #seen: number[];

  constructor(space: SharedSpace, size: number, slot: number, crowded: boolean) {
    this.#space = space;
    this.#words = space.words;
    this.#lengths = new Float64Array(space.bytes.buffer, space.bytes.byteOffset + LENGTHS_AT, 2 * size);
    this.#calls = new Int32Array(space.bytes.buffer, space.bytes.byteOffset + callsStart(size), 2 * size);
    this.size = size;
    this.slot = slot;
    this.#seen = new Array<number>(size).fill(0);
    this.#crowded = crowded;
  }

  /** The bytes a region for `size` ranks needs. */
  static regionLength(size: number): number {
    return regionLength(size, slotBytes(size));
  }

  /**
   * Unmaps the region once the calls under way on it have ended (the communicator was freed); later calls
   * fail with ERR_COMM. Each rank unmaps its own mapping; the memory goes when the last one has.
   */
  close(): Promise<void> {
    this.#closed = true;
    const release = () => {
      this.#views.clear();
      this.#lastViews = undefined;
      this.#space.release();
    };
    return this.#busy ? this.#previous.then(release, release) : Promise.resolve(release());
  }

  /**
   * Resolves once every rank has called it. A barrier that every rank reaches while this one spins its first
   * slice returns {@linkcode COMPLETED}: no promise, reaction or microtask of its own.
   */
  barrier(owner: ArenaOwner): Promise<void> {
    // A barrier that finds the region free makes no object of its own; one that waits, or waits its turn,
    // makes its closures elsewhere (a function that creates one allocates its scope on every call).
    if (this.#closed || this.#busy) return this.#serialBarrier(owner);
    let wait: Promise<void> | undefined;
    try {
      wait = this.#barrierStep(owner);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#settled(wait);
  }

  /** A barrier that waits for the call before it (see {@linkcode #serial}). */
  #serialBarrier(owner: ArenaOwner): Promise<void> {
    return this.#serial(() => this.#barrierStep(owner));
  }

  /**
   * A barrier's step, by hand rather than through `run` (the generators' objects cost a barrier about a fifth
   * of its time): undefined when it ended as it was made, else its wait.
   */
  #barrierStep(owner: ArenaOwner): Promise<void> | undefined {
    const first = this.#announce(owner, 0);
    const wait = this.#barrier(owner);
    if (wait) return this.#publishedAfter(wait, owner, first);
    this.#published(owner, first);
    return undefined;
  }

  /** Checks the calls published in the epoch at `first` once `wait` ends (see {@linkcode #published}). */
  #publishedAfter(wait: Promise<void>, owner: ArenaOwner, first: number): Promise<void> {
    return wait.then(() => void this.#published(owner, first));
  }

  /**
   * The root's `buffer`, into `buffer` of every rank (or, where `buffer` is undefined, a new one of the
   * root's length: value broadcasts). Resolves with the new bytes, or with nothing where `buffer` was given
   * (then a call that ended as it was made is {@linkcode COMPLETED}). A rank whose buffer differs in size
   * from the root's still takes part in every step (so that the others finish), then fails with ERR_COUNT or
   * ERR_TRUNCATE.
   */
  bcast(owner: ArenaOwner, buffer: Uint8Array | undefined, root: number): Promise<Uint8Array | undefined> {
    return this.#start(this.#bcastSteps(owner, buffer, root));
  }

  *#bcastSteps(
    owner: ArenaOwner,
    buffer: Uint8Array | undefined,
    root: number,
  ): Steps<Uint8Array | undefined> {
    const isRoot = owner.rank === root;
    const first = this.#announce(owner, buffer?.length ?? -1);
    if (isRoot) this.#chunkIntoResult(buffer!, 0);
    yield this.#barrier(owner);
    const lengths = this.#published(owner, first);
    const total = lengths[root];
    const bytes = buffer ?? new Uint8Array(total);
    const fits = total === bytes.length;
    for (let offset = 0;;) {
      const length = Math.min(this.slot, total - offset);
      // The root wrote this chunk before the barrier that ended its epoch: read it now.
      if (fits && !isRoot) bytes.set(this.#result(this.#barriers, length), offset);
      offset += length;
      if (offset >= total) break;
      if (isRoot) this.#chunkIntoResult(bytes, offset);
      yield this.#barrier(owner);
    }
    if (!fits) throw sizeMismatch(owner.where, `root ${root}`, total, bytes.length, "buf");
    // Into a buffer, the call ends with nothing to return: as it was made, it completes as a barrier does.
    return buffer === undefined ? bytes : undefined;
  }

  /**
   * Every rank's `bytes`, in rank order, on every rank (copies), when every rank's fit in a slot; `undefined`
   * on every rank alike otherwise (then messages must do the call). Two barriers: one after every rank has
   * written its slot, one after every rank has read them all (the next call writes the slots again).
   */
  allgather(owner: ArenaOwner, bytes: Uint8Array): Promise<Uint8Array[] | undefined> {
    return this.#start(this.#allgatherSteps(owner, bytes));
  }

  *#allgatherSteps(owner: ArenaOwner, bytes: Uint8Array): Steps<Uint8Array[] | undefined> {
    const fits = bytes.length <= this.slot;
    const first = this.#announce(owner, fits ? bytes.length : -1);
    if (fits) this.#space.bytes.set(bytes, this.#slotStart(owner.rank));
    yield this.#barrier(owner);
    const lengths = this.#published(owner, first);
    if (lengths.some((length) => length < 0)) return undefined;
    const all = lengths.map((length, rank) => {
      const start = this.#slotStart(rank);
      return this.#space.bytes.slice(start, start + length);
    });
    yield this.#barrier(owner);
    return all;
  }

  /**
   * The element-wise reduction of every rank's `send` (in rank order) into `out`: on every rank for
   * Allreduce (`root` -1), at the root only for Reduce (`out` undefined elsewhere). Buffers of different
   * sizes fail on every rank alike (ERR_COUNT or ERR_TRUNCATE), after one barrier.
   */
  reduce(
    owner: ArenaOwner,
    send: TypedArray,
    out: TypedArray | undefined,
    op: Op,
    root: number,
  ): Promise<void> {
    return this.#start(this.#reduceSteps(owner, send, out, op, root));
  }

  *#reduceSteps(
    owner: ArenaOwner,
    send: TypedArray,
    out: TypedArray | undefined,
    op: Op,
    root: number,
  ): Steps<void> {
    // MAXLOC and MINLOC work on (value, index) pairs: chunks and pieces never split one.
    const perChunk = Math.floor(this.slot / send.BYTES_PER_ELEMENT / 2) * 2;
    const count = send.length;
    const rank = owner.rank;
    const firstViews = this.#chunkViews(send, Math.min(perChunk, count), rank);
    const words = this.#announce(owner, send.byteLength);
    setVector(firstViews.slot, chunkOf(send, 0, firstViews.elements));
    yield this.#barrier(owner);
    const lengths = this.#published(owner, words);
    for (let odd = 0; odd < lengths.length; odd++) {
      if (lengths[odd] === send.byteLength) continue;
      throw sizeMismatch(owner.where, `rank ${odd}`, lengths[odd], send.byteLength, "this rank's buffer");
    }
    for (let first = 0;; first += perChunk) {
      const elements = Math.min(perChunk, count - first);
      // Every slot holds its rank's chunk: reduce this rank's piece of them, in rank order.
      const views = this.#chunkViews(send, elements, rank);
      const parity = (this.#barriers + 1) & 1;
      if (views.pieces.length > 0) {
        const target = views.targets[parity];
        views.targetBytes[parity].set(views.pieceBytes);
        for (let from = 1; from < this.size; from++) {
          op.reduceVectors(owner.where, target, views.pieces[from], target);
        }
      }
      yield this.#barrier(owner);
      if (out !== undefined && (root < 0 || rank === root)) {
        setVector(chunkOf(out, first, elements), views.results[parity]);
      }
      const next = first + perChunk;
      if (next >= count) break;
      const nextViews = this.#chunkViews(send, Math.min(perChunk, count - next), rank);
      setVector(nextViews.slot, chunkOf(send, next, nextViews.elements));
      yield this.#barrier(owner);
    }
  }

  /**
   * The views a chunk of `elements` elements of `like`'s type needs on this rank: its piece of every slot,
   * its piece of each result area, and each result area whole. Made once per shape and kept (a few shapes),
   * so that a call that repeats makes no garbage here: with many ranks, one rank's garbage collection holds
   * up every rank.
   */
  #chunkViews(like: TypedArray, elements: number, rank: number): ChunkViews {
    const kind = elementClass(like);
    let views = this.#lastViews;
    if (views?.kind === kind && views.elements === elements) return views;
    const key = `${kind.name}:${elements}`;
    views = this.#views.get(key);
    if (views === undefined) {
      views = this.#makeChunkViews(kind, elements, rank);
      if (this.#views.size >= VIEW_SHAPES) this.#views.clear();
      this.#views.set(key, views);
    }
    this.#lastViews = views;
    return views;
  }

  #makeChunkViews(kind: TypedArrayClass, elements: number, rank: number): ChunkViews {
    const pieces = blockOffsets(Math.floor(elements / 2), this.size).map((pairs) => pairs * 2);
    pieces[this.size] = elements;
    const from = pieces[rank], to = pieces[rank + 1];
    const bytes = this.#space.bytes;
    const typed = (start: number, count: number) =>
      new kind(bytes.buffer, bytes.byteOffset + start, count) as TypedArray;
    const unit = kind.BYTES_PER_ELEMENT;
    const piece = (start: number) => typed(start + from * unit, to - from);
    const slots = to > from
      ? Array.from({ length: this.size }, (_, owner) => piece(this.#slotStart(owner)))
      : [];
    const targets = [0, 1].map((parity) => piece(this.#resultStart(parity)));
    return {
      kind,
      elements,
      slot: typed(this.#slotStart(rank), elements),
      pieces: slots,
      pieceBytes: slots.length > 0 ? bytesOf(slots[0]) : new Uint8Array(0),
      targets,
      targetBytes: targets.map(bytesOf),
      results: [0, 1].map((parity) => typed(this.#resultStart(parity), elements)),
    };
  }

  /**
   * Writes this rank's length and call into the words of the epoch under way (before its barrier); returns
   * where that epoch's words start. A sized call's first epoch: every rank announces its length and writes
   * its first chunk, then a barrier, then {@linkcode #published} gives every rank the same lengths, so that
   * all decide alike.
   */
  #announce(owner: ArenaOwner, length: number): number {
    const first = ((this.#barriers + 1) & 1) * this.size;
    this.#lengths[first + owner.rank] = length;
    this.#calls[first + owner.rank] = callNumber(owner.where, owner.raw);
    return first;
  }

  /**
   * Every rank's length in the epoch whose words start at `first` (see {@linkcode #announce}), once each is
   * checked to have made this rank's call: in an array reused by the next call, to be read at once.
   */
  #published(owner: ArenaOwner, first: number): number[] {
    const call = this.#calls[first + owner.rank];
    const seen = this.#seen;
    for (let rank = 0; rank < this.size; rank++) {
      if (this.#calls[first + rank] !== call) throw callMismatch(owner, rank, this.#calls[first + rank]);
      seen[rank] = this.#lengths[first + rank];
    }
    return seen;
  }

  /** Copies the chunk of `bytes` at `offset` into the result area of the epoch under way. */
  #chunkIntoResult(bytes: Uint8Array, offset: number): void {
    const length = Math.min(this.slot, bytes.length - offset);
    const start = this.#resultStart(this.#barriers + 1);
    // A view costs more than the copy for a small value (and makes JavaScriptCore give the array a buffer).
    this.#space.bytes.set(length === bytes.length ? bytes : bytes.subarray(offset, offset + length), start);
  }

  /** The first `length` bytes of the result area written in the epoch that barrier `epoch` ended. */
  #result(epoch: number, length: number): Uint8Array {
    const start = this.#resultStart(epoch);
    return this.#space.bytes.subarray(start, start + length);
  }

  #resultStart(epoch: number): number {
    return dataStart(this.size) + (epoch & 1) * this.slot;
  }

  #slotStart(rank: number): number {
    return dataStart(this.size) + (2 + rank) * this.slot;
  }

  /**
   * Runs `call` once the previous call on this region has ended, whether it succeeded or not. A call that
   * runs at once and ends before it returns (it returns no promise) leaves nothing to wait for: its result
   * is returned settled, `undefined` as {@linkcode COMPLETED}.
   */
  #serial<T>(call: () => T | Promise<T>): Promise<T> {
    if (this.#closed) {
      return Promise.reject(mpiError(ErrorCode.ERR_COMM, "the communicator's shared memory was released"));
    }
    if (this.#busy) return this.#track(this.#previous.then(call, call));
    let result: T | Promise<T>;
    try {
      result = call();
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#settled(result);
  }

  /**
   * Runs a call's steps as {@linkcode #serial} runs a call. One that finds the region free makes no object
   * beyond its generator; one that waits its turn makes its closure apart (see {@linkcode #startLater}).
   */
  #start<T>(steps: Steps<T>): Promise<T> {
    if (this.#closed || this.#busy) return this.#startLater(steps);
    let result: T | Promise<T>;
    try {
      result = run(steps);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#settled(result);
  }

  /** Runs `steps` once the call before them has ended (see {@linkcode #start}). */
  #startLater<T>(steps: Steps<T>): Promise<T> {
    return this.#serial(() => run(steps));
  }

  /**
   * The promise of a call that ran on a free region: `result` settled when the call ended as it was made
   * (`undefined` as {@linkcode COMPLETED}), else `result`, marking the region busy until it ends.
   */
  #settled<T>(result: T | Promise<T>): Promise<T> {
    if (result instanceof Promise) return this.#track(result);
    return result === undefined ? COMPLETED as Promise<T> : Promise.resolve(result);
  }

  /** Marks the region busy until `running` (the call under way on it) has ended; returns it. */
  #track<T>(running: Promise<T>): Promise<T> {
    this.#busy = true;
    this.#previous = running;
    const idle = () => {
      if (this.#previous === running) this.#busy = false;
    };
    running.then(idle, idle);
    return running;
  }

  /**
   * Arrives at the next barrier and waits until every rank has: spinning for one slice here (most barriers of
   * ranks that call together end in it, with no promise), then, if some rank has not arrived yet, through
   * the promise this returns.
   */
  #barrier(owner: ArenaOwner): Promise<void> | undefined {
    const words = this.#words;
    const number = (this.#barriers + 1) | 0;
    this.#barriers = number;
    const arrived = (Atomics.add(words, COUNT, 1) + 1) | 0;
    if (arrived === Math.imul(number, this.size)) {
      Atomics.store(words, RELEASE, number);
      if (Atomics.load(words, SLEEPERS) > 0) this.#space.wake(RELEASE);
      return undefined;
    }
    const started = performance.now();
    if (this.#spin(number, started + SPIN_SLICE_MS)) return undefined;
    return this.#waitForRelease(owner, number, started);
  }

  /** Has barrier `number` been released? */
  #released(number: number): boolean {
    return ((Atomics.load(this.#words, RELEASE) - number) | 0) >= 0;
  }

  /** Spins until barrier `number` is released (true) or the clock passes `until` (false). */
  #spin(number: number, until: number): boolean {
    do {
      for (let i = 0; i < 64; i++) if (this.#released(number)) return true;
      if (this.#crowded) this.#space.yieldProcessor();
    } while (performance.now() < until);
    return false;
  }

  /**
   * Waits, after the first slice of spinning (which began at `started`), until the release word reaches
   * `number`: it gives the event loop a turn, spins again until the budget is spent, then sleeps; fails if
   * a member is gone.
   */
  async #waitForRelease(owner: ArenaOwner, number: number, started: number): Promise<void> {
    const words = this.#words;
    let sleep = SLEEP_FIRST_MS;
    for (;;) {
      const lost = owner.lostMember();
      if (lost && !this.#released(number)) throw lost;
      // A turn of the event loop: messages, timers and the launcher's requests go on meanwhile.
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (this.#released(number)) return;
      const now = performance.now();
      if (now - started < SPIN_BUDGET_MS) {
        if (this.#spin(number, now + SPIN_SLICE_MS)) return;
        continue;
      }
      Atomics.add(words, SLEEPERS, 1);
      const seen = Atomics.load(words, RELEASE);
      if (((seen - number) | 0) < 0) this.#space.wait(RELEASE, seen, sleep);
      Atomics.sub(words, SLEEPERS, 1);
      if (this.#released(number)) return;
      sleep = Math.min(sleep * 2, SLEEP_LONGEST_MS);
    }
  }
}

/**
 * The steps of a call in shared memory: a generator that yields the wait of each barrier it passes
 * (`undefined` when the barrier was over as it returned) and returns the call's result.
 */
type Steps<T> = Generator<Promise<void> | undefined, T, void>;

/**
 * Runs a call's steps: at once as long as each barrier was over as it returned (the result then comes back as
 * it is, with no promise), and from the first that was not, as each wait ends (a promise of the result).
 */
function run<T>(steps: Steps<T>): T | Promise<T> {
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
    if (step.value !== undefined) return runAfter(step.value, steps);
  }
}

/** Runs the rest of `steps` once `wait` ends (apart from `run`: a call that never waits makes no closure). */
function runAfter<T>(wait: Promise<void>, steps: Steps<T>): Promise<T> {
  return wait.then(() => run(steps));
}

/** Elements `first` to `first + elements` of `array`: the array itself when that is all of it (no view). */
function chunkOf(array: TypedArray, first: number, elements: number): TypedArray {
  return elements === array.length ? array : array.subarray(first, first + elements);
}

/** See `HostArena.#chunkViews`. */
interface ChunkViews {
  /** The element type and the chunk's length, in elements, that these views are for. */
  kind: TypedArrayClass;
  elements: number;
  /** This rank's slot, as a chunk of elements. */
  slot: TypedArray;
  /** This rank's piece of each rank's slot, by rank (none when this rank's piece is empty). */
  pieces: TypedArray[];
  /** The piece of rank 0's slot, as bytes. */
  pieceBytes: Uint8Array;
  /** This rank's piece of each result area, by epoch parity, as elements and as bytes. */
  targets: TypedArray[];
  targetBytes: Uint8Array[];
  /** Each result area's chunk whole, by epoch parity. */
  results: TypedArray[];
}

/** Chunk shapes whose views an arena keeps (a call's chunks have at most two: whole and last). */
const VIEW_SHAPES = 8;
