/**
 * The collective half of {@linkcode Comm}: the collective calls on values and on buffers. Each checks its
 * trailing arguments and runs an algorithm of `collectives/` on the communicator's collective sequence (see
 * collective_calls.ts). Users hold a `Comm`, which extends this class: it is a class of its own only so that
 * each file holds one part of the API.
 *
 * @module
 */

import { allgatherBuffer, allgatherValue, allgathervBuffer } from "../collectives/allgather.ts";
import { allreduceBuffer, allreduceValue } from "../collectives/allreduce.ts";
import { alltoallBuffer, alltoallValue, alltoallvBuffer, alltoallwBuffer } from "../collectives/alltoall.ts";
import { barrier } from "../collectives/barrier.ts";
import { bcastBuffer, bcastValue } from "../collectives/bcast.ts";
import { gatherBuffer, gatherValue, gathervBuffer } from "../collectives/gather.ts";
import type { OpLike } from "../collectives/ops.ts";
import { reduceBuffer, reduceValue } from "../collectives/reduce.ts";
import { reduceScatterBlockBuffer, reduceScatterBuffer } from "../collectives/reduce_scatter.ts";
import { exscanBuffer, exscanValue, scanBuffer, scanValue } from "../collectives/scan.ts";
import { scatterBuffer, scatterValue, scattervBuffer } from "../collectives/scatter.ts";
import type { InPlace } from "../constants.ts";
import type { Prequest } from "../p2p/prequest.ts";
import { Request } from "../p2p/request.ts";
import type { BufferArg, VBufferArg, WBufferArg } from "../wire/buffers.ts";
import type { Cancellable } from "../p2p/cancellation.ts";
import {
  collective,
  countedReduction,
  reduction,
  rooted,
  rootedReduction,
  signalOf,
} from "./collective_calls.ts";
import type { CommCore } from "./core.ts";
import { collectiveInit } from "./persistent.ts";

/** The collective calls of a communicator: see {@linkcode Comm}, the class users hold. */
export class CollectiveComm {
  #core: CommCore;

  /** @internal Made by `Comm`'s constructor, with the same state. */
  constructor(core: CommCore) {
    this.#core = core;
  }

  // ---------------------------------------------------------------------------------------------------------
  // Collectives on values. Every rank must make the same collective calls in the same order; several may be
  // in flight at once (the non-blocking ones), and they never match point-to-point traffic.

  /**
   * Waits until every rank has called `barrier`.
   *
   * @example
   * ```ts
   * import { MPI } from "mpirun-deno";
   * await MPI.COMM_WORLD.barrier();
   * ```
   */
  barrier(options?: Cancellable): Promise<void> {
    // The usual call, without options, makes no function of its own.
    return options === undefined
      ? collective(this.#core, "barrier", true, barrier)
      : barrierWith(this.#core, options);
  }

  /** Starts a barrier; the request completes once every rank has started it. */
  ibarrier(): Request<void> {
    return new Request(this.barrier());
  }

  /**
   * Sends the root's value to every rank; each returns it (the root its own object). `bcast(obj, { root })`
   * works too.
   *
   * @example
   * ```ts
   * import { MPI } from "mpirun-deno";
   * const comm = MPI.COMM_WORLD;
   * const data = await comm.bcast(comm.rank === 0 ? { key1: [7, 2.72], key2: ["abc", "xyz"] } : null, 0);
   * ```
   */
  bcast<T>(obj: T, root?: number | { root?: number; signal?: AbortSignal }): Promise<T> {
    return rooted(this.#core, "bcast", false, root, (shape, root) => bcastValue(shape, obj, root));
  }

  /** Starts a broadcast of a value; see {@linkcode Comm.bcast}. */
  ibcast<T>(obj: T, root?: number | { root?: number; signal?: AbortSignal }): Request<T> {
    return new Request(this.bcast(obj, root));
  }

  /**
   * Gives item i of the root's list (exactly `size` items) to rank i. Other ranks pass anything (`null`).
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { MPI } from "mpirun-deno";
   * const comm = MPI.COMM_WORLD;
   * const items = comm.rank === 0 ? Array.from({ length: comm.size }, (_, i) => (i + 1) ** 2) : null;
   * assert.equal(await comm.scatter(items, 0), (comm.rank + 1) ** 2);
   * ```
   */
  scatter<T>(
    sendobj: readonly T[] | null | undefined,
    root?: number | { root?: number; signal?: AbortSignal },
  ): Promise<T> {
    return rooted(this.#core, "scatter", false, root, (shape, root) => scatterValue<T>(shape, sendobj, root));
  }

  /** Starts a scatter of values; see {@linkcode Comm.scatter}. */
  iscatter<T>(
    sendobj: readonly T[] | null | undefined,
    root?: number | { root?: number; signal?: AbortSignal },
  ): Request<T> {
    return new Request(this.scatter<T>(sendobj, root));
  }

  /**
   * Collects every rank's value at the root, as an array by rank; other ranks get `null`.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { MPI } from "mpirun-deno";
   * const comm = MPI.COMM_WORLD;
   * const all = await comm.gather((comm.rank + 1) ** 2, 0);
   * if (comm.rank === 0) assert.deepEqual(all, Array.from({ length: comm.size }, (_, i) => (i + 1) ** 2));
   * ```
   */
  gather<T>(sendobj: T, root?: number | { root?: number; signal?: AbortSignal }): Promise<T[] | null> {
    return rooted(this.#core, "gather", false, root, (shape, root) => gatherValue(shape, sendobj, root));
  }

  /** Starts a gather of values; see {@linkcode Comm.gather}. */
  igather<T>(sendobj: T, root?: number | { root?: number; signal?: AbortSignal }): Request<T[] | null> {
    return new Request(this.gather(sendobj, root));
  }

  /**
   * Collects every rank's value on every rank, as an array by rank.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { MPI } from "mpirun-deno";
   * const ranks = Array.from({ length: MPI.COMM_WORLD.size }, (_, i) => i);
   * assert.deepEqual(await MPI.COMM_WORLD.allgather(MPI.COMM_WORLD.rank), ranks);
   * ```
   */
  allgather<T>(sendobj: T, options?: Cancellable): Promise<T[]> {
    return collective(this.#core, "allgather", false, (shape, call) => {
      signalOf("allgather", options, call);
      return allgatherValue(shape, sendobj);
    });
  }

  /** Starts an allgather of values; see {@linkcode Comm.allgather}. */
  iallgather<T>(sendobj: T): Request<T[]> {
    return new Request(this.allgather(sendobj));
  }

  /**
   * Sends item i of this rank's list (exactly `size` items) to rank i; returns the items sent here, by rank.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { MPI } from "mpirun-deno";
   * const comm = MPI.COMM_WORLD;
   * const got = await comm.alltoall(Array.from({ length: comm.size }, (_, i) => `${comm.rank}->${i}`));
   * assert.equal(got[0], `0->${comm.rank}`);
   * ```
   */
  alltoall<T>(sendobj: readonly T[], options?: Cancellable): Promise<T[]> {
    return collective(this.#core, "alltoall", false, (shape, call) => {
      signalOf("alltoall", options, call);
      return alltoallValue<T>(shape, sendobj);
    });
  }

  /** Starts an all-to-all of values; see {@linkcode Comm.alltoall}. */
  ialltoall<T>(sendobj: readonly T[], options?: Cancellable): Request<T[]> {
    return new Request(this.alltoall<T>(sendobj, options));
  }

  /**
   * Combines every rank's value with `op` (default SUM) at the root; other ranks get `null`.
   * `reduce(obj, { op, root })` works too.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { MPI } from "mpirun-deno";
   * const comm = MPI.COMM_WORLD;
   * const total = await comm.reduce(comm.rank, MPI.SUM, 0);
   * if (comm.rank === 0) assert.equal(total, (comm.size * (comm.size - 1)) / 2);
   * ```
   */
  reduce<T>(
    sendobj: T,
    op?: OpLike | { op?: OpLike; root?: number; signal?: AbortSignal },
    root?: number,
  ): Promise<T | null> {
    return rootedReduction(
      this.#core,
      "reduce",
      false,
      [op, root],
      (shape, op, root) => reduceValue(shape, sendobj, op, root),
    );
  }

  /** Starts a reduction of values; see {@linkcode Comm.reduce}. */
  ireduce<T>(
    sendobj: T,
    op?: OpLike | { op?: OpLike; root?: number; signal?: AbortSignal },
    root?: number,
  ): Request<T | null> {
    return new Request(this.reduce(sendobj, op, root));
  }

  /**
   * Combines every rank's value with `op` (default SUM); every rank gets the result.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { MPI } from "mpirun-deno";
   * const comm = MPI.COMM_WORLD;
   * assert.deepEqual(await comm.allreduce([comm.rank, 1], MPI.SUM), [(comm.size * (comm.size - 1)) / 2, comm.size]);
   * ```
   */
  allreduce<T>(sendobj: T, op?: OpLike | { op?: OpLike; signal?: AbortSignal }): Promise<T> {
    return reduction(this.#core, "allreduce", false, op, (shape, op) => allreduceValue(shape, sendobj, op));
  }

  /** Starts an allreduce of values; see {@linkcode Comm.allreduce}. */
  iallreduce<T>(sendobj: T, op?: OpLike | { op?: OpLike; signal?: AbortSignal }): Request<T> {
    return new Request(this.allreduce(sendobj, op));
  }

  /**
   * Inclusive prefix reduction: rank r gets the values of ranks 0..r combined with `op` (default SUM).
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { MPI } from "mpirun-deno";
   * assert.equal(await MPI.COMM_WORLD.scan(1), MPI.COMM_WORLD.rank + 1);
   * ```
   */
  scan<T>(sendobj: T, op?: OpLike | { op?: OpLike; signal?: AbortSignal }): Promise<T> {
    return reduction(this.#core, "scan", false, op, (shape, op) => scanValue(shape, sendobj, op));
  }

  /**
   * Exclusive prefix reduction: rank r gets the values of ranks 0..r-1 combined; rank 0 gets `null`.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { MPI } from "mpirun-deno";
   * const rank = MPI.COMM_WORLD.rank;
   * assert.equal(await MPI.COMM_WORLD.exscan(1), rank === 0 ? null : rank);
   * ```
   */
  exscan<T>(sendobj: T, op?: OpLike | { op?: OpLike; signal?: AbortSignal }): Promise<T | null> {
    return reduction(this.#core, "exscan", false, op, (shape, op) => exscanValue(shape, sendobj, op));
  }

  // ---------------------------------------------------------------------------------------------------------
  // Collectives on buffers: the bytes of typed arrays, no encoding, received into the caller's arrays.
  // Buffers are a TypedArray, an ArrayBuffer or [buf, count]; the v-variants take [buf, counts, displs?] in
  // elements. IN_PLACE works where MPI allows it.

  /** Same as {@linkcode Comm.barrier}. */
  Barrier(options?: Cancellable): Promise<void> {
    return this.barrier(options);
  }

  /** Same as {@linkcode Comm.ibarrier}. */
  Ibarrier(): Request<void> {
    return this.ibarrier();
  }

  /**
   * Copies the root's buffer into `buf` on every rank. A `buf` of another size is an error (ERR_TRUNCATE if
   * smaller, ERR_COUNT if larger) on that rank.
   *
   * @example
   * ```ts
   * import { MPI } from "mpirun-deno";
   * const comm = MPI.COMM_WORLD;
   * const data = comm.rank === 0 ? Float64Array.from([0, 1, 2, 3]) : new Float64Array(4);
   * await comm.Bcast(data, 0);
   * ```
   */
  Bcast(buf: BufferArg, root?: number | { root?: number; signal?: AbortSignal }): Promise<void> {
    return rooted(this.#core, "Bcast", true, root, (shape, root) => bcastBuffer(shape, buf, root));
  }

  /** Starts a buffer broadcast; see {@linkcode Comm.Bcast}. Leave `buf` alone until the request completes. */
  Ibcast(buf: BufferArg, root?: number | { root?: number; signal?: AbortSignal }): Request<void> {
    return new Request(this.Bcast(buf, root));
  }

  /**
   * Gives block i of the root's `sendbuf` (cut into `size` equal blocks) to rank i's `recvbuf`. Other ranks
   * pass `null` as `sendbuf`; the root may pass `IN_PLACE` as `recvbuf`.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { MPI } from "mpirun-deno";
   * const comm = MPI.COMM_WORLD;
   * const all = comm.rank === 0 ? Int32Array.from({ length: 2 * comm.size }, (_, i) => i) : null;
   * const mine = new Int32Array(2);
   * await comm.Scatter(all, mine, 0);
   * assert.deepEqual(mine, Int32Array.of(2 * comm.rank, 2 * comm.rank + 1));
   * ```
   */
  Scatter(
    sendbuf: BufferArg | null,
    recvbuf: BufferArg | InPlace,
    root?: number | { root?: number; signal?: AbortSignal },
  ): Promise<void> {
    return rooted(
      this.#core,
      "Scatter",
      true,
      root,
      (shape, root) => scatterBuffer(shape, sendbuf, recvbuf, root),
    );
  }

  /**
   * Starts a Scatter; see {@linkcode Comm.Scatter}. Leave the buffers alone until the request completes.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { MPI } from "mpirun-deno";
   * const comm = MPI.COMM_WORLD;
   * const all = comm.rank === 0 ? Int32Array.from({ length: comm.size }, (_, i) => 10 * i) : null;
   * const mine = new Int32Array(1);
   * await comm.Iscatter(all, mine, 0).wait();
   * assert.deepEqual(mine, Int32Array.of(10 * comm.rank));
   * ```
   */
  Iscatter(
    sendbuf: BufferArg | null,
    recvbuf: BufferArg | InPlace,
    root?: number | { root?: number; signal?: AbortSignal },
  ): Request<void> {
    return new Request(this.Scatter(sendbuf, recvbuf, root));
  }

  /**
   * Gives rank i the block of `counts[i]` elements at `displs[i]` of the root's `[sendbuf, counts, displs]`
   * (without `displs`, the blocks are back to back).
   *
   * @example
   * ```ts
   * import { MPI } from "mpirun-deno";
   * const comm = MPI.COMM_WORLD;
   * const counts = Array.from({ length: comm.size }, (_, i) => i + 1);
   * const all = new Float64Array(counts.reduce((a, b) => a + b, 0));
   * const mine = new Float64Array(comm.rank + 1);
   * await comm.Scatterv(comm.rank === 0 ? [all, counts] : null, mine, 0);
   * ```
   */
  Scatterv(
    sendbuf: VBufferArg | null,
    recvbuf: BufferArg | InPlace,
    root?: number | { root?: number; signal?: AbortSignal },
  ): Promise<void> {
    return rooted(
      this.#core,
      "Scatterv",
      true,
      root,
      (shape, root) => scattervBuffer(shape, sendbuf, recvbuf, root),
    );
  }

  /**
   * Collects every rank's `sendbuf` into block i of the root's `recvbuf` (other ranks pass `null`); the root
   * may pass `IN_PLACE` as `sendbuf` when its block is already in place.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { MPI } from "mpirun-deno";
   * const comm = MPI.COMM_WORLD;
   * const all = comm.rank === 0 ? new Int32Array(comm.size) : null;
   * await comm.Gather(Int32Array.of(comm.rank * 10), all, 0);
   * if (all) assert.deepEqual(all, Int32Array.from({ length: comm.size }, (_, i) => 10 * i));
   * ```
   */
  Gather(
    sendbuf: BufferArg | InPlace,
    recvbuf: BufferArg | null,
    root?: number | { root?: number; signal?: AbortSignal },
  ): Promise<void> {
    return rooted(
      this.#core,
      "Gather",
      true,
      root,
      (shape, root) => gatherBuffer(shape, sendbuf, recvbuf, root),
    );
  }

  /**
   * Starts a Gather; see {@linkcode Comm.Gather}. Leave the buffers alone until the request completes.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { MPI } from "mpirun-deno";
   * const comm = MPI.COMM_WORLD;
   * const all = comm.rank === 0 ? new Int32Array(comm.size) : null;
   * await comm.Igather(Int32Array.of(comm.rank), all, 0).wait();
   * if (all) assert.deepEqual(all, Int32Array.from({ length: comm.size }, (_, i) => i));
   * ```
   */
  Igather(
    sendbuf: BufferArg | InPlace,
    recvbuf: BufferArg | null,
    root?: number | { root?: number; signal?: AbortSignal },
  ): Request<void> {
    return new Request(this.Gather(sendbuf, recvbuf, root));
  }

  /** Collects rank i's `sendbuf` into the block of `counts[i]` elements at `displs[i]` of the root's recvbuf. */
  Gatherv(
    sendbuf: BufferArg | InPlace,
    recvbuf: VBufferArg | null,
    root?: number | { root?: number; signal?: AbortSignal },
  ): Promise<void> {
    return rooted(
      this.#core,
      "Gatherv",
      true,
      root,
      (shape, root) => gathervBuffer(shape, sendbuf, recvbuf, root),
    );
  }

  /**
   * Collects every rank's `sendbuf` into block i of `recvbuf` on every rank (`IN_PLACE` as `sendbuf`: this
   * rank's block is already in `recvbuf`).
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { MPI } from "mpirun-deno";
   * const comm = MPI.COMM_WORLD;
   * const all = new Float64Array(comm.size);
   * await comm.Allgather(Float64Array.of(comm.rank), all);
   * assert.deepEqual(all, Float64Array.from({ length: comm.size }, (_, i) => i));
   * ```
   */
  Allgather(sendbuf: BufferArg | InPlace, recvbuf: BufferArg, options?: Cancellable): Promise<void> {
    return collective(this.#core, "Allgather", true, (shape, call) => {
      signalOf("Allgather", options, call);
      return allgatherBuffer(shape, sendbuf, recvbuf);
    });
  }

  /** Starts an Allgather; see {@linkcode Comm.Allgather}. */
  Iallgather(sendbuf: BufferArg | InPlace, recvbuf: BufferArg): Request<void> {
    return new Request(this.Allgather(sendbuf, recvbuf));
  }

  /** Allgather with a block of `counts[i]` elements at `displs[i]` of `[recvbuf, counts, displs]` per rank. */
  Allgatherv(sendbuf: BufferArg | InPlace, recvbuf: VBufferArg, options?: Cancellable): Promise<void> {
    return collective(this.#core, "Allgatherv", true, (shape, call) => {
      signalOf("Allgatherv", options, call);
      return allgathervBuffer(shape, sendbuf, recvbuf);
    });
  }

  /**
   * Sends block i of `sendbuf` to rank i and receives rank i's block into block i of `recvbuf`.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { MPI } from "mpirun-deno";
   * const comm = MPI.COMM_WORLD;
   * const out = Int32Array.from({ length: comm.size }, (_, i) => 100 * comm.rank + i);
   * const got = new Int32Array(comm.size);
   * await comm.Alltoall(out, got);
   * assert.deepEqual(got, Int32Array.from({ length: comm.size }, (_, i) => 100 * i + comm.rank));
   * ```
   */
  Alltoall(sendbuf: BufferArg | InPlace, recvbuf: BufferArg, options?: Cancellable): Promise<void> {
    return collective(this.#core, "Alltoall", true, (shape, call) => {
      signalOf("Alltoall", options, call);
      return alltoallBuffer(shape, sendbuf, recvbuf);
    });
  }

  /**
   * Starts an Alltoall; see {@linkcode Comm.Alltoall}. Leave the buffers alone until the request completes.
   *
   * @example
   * ```ts
   * import { MPI } from "mpirun-deno";
   * const comm = MPI.COMM_WORLD;
   * const got = new Int32Array(comm.size);
   * await comm.Ialltoall(Int32Array.from({ length: comm.size }, (_, i) => 100 * comm.rank + i), got);
   * ```
   */
  Ialltoall(sendbuf: BufferArg | InPlace, recvbuf: BufferArg): Request<void> {
    return new Request(this.Alltoall(sendbuf, recvbuf));
  }

  /** All-to-all with `[sendbuf, counts, displs]` and `[recvbuf, counts, displs]` blocks per rank. */
  Alltoallv(sendbuf: VBufferArg | InPlace, recvbuf: VBufferArg, options?: Cancellable): Promise<void> {
    return collective(this.#core, "Alltoallv", true, (shape, call) => {
      signalOf("Alltoallv", options, call);
      return alltoallvBuffer(shape, sendbuf, recvbuf);
    });
  }

  /**
   * Combines every rank's typed array element-wise with `op` (default SUM) into the root's `recvbuf`
   * (`IN_PLACE` as the root's `sendbuf`: its input is in `recvbuf`).
   *
   * @example
   * ```ts
   * import { MPI } from "mpirun-deno";
   * const comm = MPI.COMM_WORLD;
   * const total = comm.rank === 0 ? new Float64Array(2) : null;
   * await comm.Reduce(Float64Array.of(1, comm.rank), total, MPI.SUM, 0);
   * ```
   */
  Reduce(
    sendbuf: BufferArg | InPlace,
    recvbuf: BufferArg | null,
    op?: OpLike | { op?: OpLike; root?: number; signal?: AbortSignal },
    root?: number,
  ): Promise<void> {
    return rootedReduction(
      this.#core,
      "Reduce",
      true,
      [op, root],
      (shape, op, root) => reduceBuffer(shape, sendbuf, recvbuf, op, root),
    );
  }

  /** Starts a Reduce; see {@linkcode Comm.Reduce}. */
  Ireduce(
    sendbuf: BufferArg | InPlace,
    recvbuf: BufferArg | null,
    op?: OpLike | { op?: OpLike; root?: number; signal?: AbortSignal },
    root?: number,
  ): Request<void> {
    return new Request(this.Reduce(sendbuf, recvbuf, op, root));
  }

  /**
   * Combines every rank's typed array element-wise with `op` (default SUM) into `recvbuf` on every rank
   * (`IN_PLACE` as `sendbuf`: the input is in `recvbuf`).
   *
   * @example
   * ```ts
   * import { MPI } from "mpirun-deno";
   * const comm = MPI.COMM_WORLD;
   * const sum = new Float64Array(3);
   * await comm.Allreduce(Float64Array.of(1, 2, comm.rank), sum, MPI.SUM);
   * ```
   */
  Allreduce(
    sendbuf: BufferArg | InPlace,
    recvbuf: BufferArg,
    op?: OpLike | { op?: OpLike; signal?: AbortSignal },
  ): Promise<void> {
    return reduction(
      this.#core,
      "Allreduce",
      true,
      op,
      (shape, op) => allreduceBuffer(shape, sendbuf, recvbuf, op),
    );
  }

  /** Starts an Allreduce; see {@linkcode Comm.Allreduce}. */
  Iallreduce(
    sendbuf: BufferArg | InPlace,
    recvbuf: BufferArg,
    op?: OpLike | { op?: OpLike; signal?: AbortSignal },
  ): Request<void> {
    return new Request(this.Allreduce(sendbuf, recvbuf, op));
  }

  /**
   * Reduces `size` blocks element-wise and leaves block i of the result in rank i's `recvbuf` (`sendbuf`
   * holds `size` blocks of `recvbuf`'s length).
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { MPI } from "mpirun-deno";
   * const comm = MPI.COMM_WORLD;
   * const mine = new Int32Array(1);
   * await comm.Reduce_scatter_block(new Int32Array(comm.size).fill(1), mine, MPI.SUM);
   * assert.deepEqual(mine, Int32Array.of(comm.size));
   * ```
   */
  Reduce_scatter_block(
    sendbuf: BufferArg | InPlace,
    recvbuf: BufferArg,
    op?: OpLike | { op?: OpLike; signal?: AbortSignal },
  ): Promise<void> {
    return reduction(
      this.#core,
      "Reduce_scatter_block",
      true,
      op,
      (shape, op) => reduceScatterBlockBuffer(shape, sendbuf, recvbuf, op),
    );
  }

  /**
   * Starts a Reduce_scatter_block; see {@linkcode Comm.Reduce_scatter_block}. Leave the buffers alone until
   * the request completes.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { MPI } from "mpirun-deno";
   * const comm = MPI.COMM_WORLD;
   * const mine = new Int32Array(1);
   * await comm.Ireduce_scatter_block(new Int32Array(comm.size).fill(2), mine, MPI.SUM);
   * assert.deepEqual(mine, Int32Array.of(2 * comm.size));
   * ```
   */
  Ireduce_scatter_block(
    sendbuf: BufferArg | InPlace,
    recvbuf: BufferArg,
    op?: OpLike | { op?: OpLike; signal?: AbortSignal },
  ): Request<void> {
    return new Request(this.Reduce_scatter_block(sendbuf, recvbuf, op));
  }

  /**
   * Reduces `sendbuf` element-wise over every rank and leaves block i of the result, of `recvcounts[i]`
   * elements, in rank i's `recvbuf` (which must hold exactly that many): `sendbuf` holds the blocks back to
   * back, `sum(recvcounts)` elements. Without `recvcounts` (or with `null`), each rank's block is as long as
   * its own `recvbuf`, as mpi4py infers it (the lengths are allgathered first). With `IN_PLACE` as
   * `sendbuf`, `recvbuf` holds the input and gets the result in its first `recvcounts[rank]` elements
   * (`recvcounts` is then required). `Reduce_scatter(sendbuf, recvbuf, { recvcounts, op })` works too.
   *
   * @example Rank i gets i + 1 elements of the sum
   * ```ts
   * import assert from "node:assert/strict";
   * import { MPI } from "mpirun-deno";
   * const comm = MPI.COMM_WORLD;
   * const counts = Array.from({ length: comm.size }, (_, i) => i + 1);
   * const all = new Float64Array(counts.reduce((a, b) => a + b, 0)).fill(1);
   * const mine = new Float64Array(comm.rank + 1);
   * await comm.Reduce_scatter(all, mine, counts, MPI.SUM);
   * assert.deepEqual(mine, new Float64Array(comm.rank + 1).fill(comm.size));
   * await comm.Reduce_scatter(all, mine); // the same, the counts taken from each rank's recvbuf
   * assert.deepEqual(mine, new Float64Array(comm.rank + 1).fill(comm.size));
   * ```
   */
  Reduce_scatter(
    sendbuf: BufferArg | InPlace,
    recvbuf: BufferArg,
    recvcounts?: readonly number[] | ArrayLike<number> | null | {
      recvcounts?: readonly number[];
      op?: OpLike;
      signal?: AbortSignal;
    },
    op?: OpLike,
  ): Promise<void> {
    return countedReduction(
      this.#core,
      "Reduce_scatter",
      [recvcounts, op],
      (shape, recvcounts, op) => reduceScatterBuffer(shape, sendbuf, recvbuf, recvcounts, op),
    );
  }

  /** Inclusive prefix reduction of typed arrays into `recvbuf`: ranks 0..r on rank r. */
  Scan(
    sendbuf: BufferArg | InPlace,
    recvbuf: BufferArg,
    op?: OpLike | { op?: OpLike; signal?: AbortSignal },
  ): Promise<void> {
    return reduction(this.#core, "Scan", true, op, (shape, op) => scanBuffer(shape, sendbuf, recvbuf, op));
  }

  /**
   * Starts a Scan; see {@linkcode Comm.Scan}. Leave the buffers alone until the request completes.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { MPI } from "mpirun-deno";
   * const prefix = new Int32Array(1);
   * await MPI.COMM_WORLD.Iscan(Int32Array.of(1), prefix, MPI.SUM).wait();
   * assert.deepEqual(prefix, Int32Array.of(MPI.COMM_WORLD.rank + 1));
   * ```
   */
  Iscan(
    sendbuf: BufferArg | InPlace,
    recvbuf: BufferArg,
    op?: OpLike | { op?: OpLike; signal?: AbortSignal },
  ): Request<void> {
    return new Request(this.Scan(sendbuf, recvbuf, op));
  }

  /** Exclusive prefix reduction of typed arrays: ranks 0..r-1 on rank r; rank 0's `recvbuf` is untouched. */
  Exscan(
    sendbuf: BufferArg | InPlace,
    recvbuf: BufferArg,
    op?: OpLike | { op?: OpLike; signal?: AbortSignal },
  ): Promise<void> {
    return reduction(
      this.#core,
      "Exscan",
      true,
      op,
      (shape, op) => exscanBuffer(shape, sendbuf, recvbuf, op),
    );
  }

  /**
   * Starts an Exscan; see {@linkcode Comm.Exscan}. Leave the buffers alone until the request completes.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { MPI } from "mpirun-deno";
   * const before = new Int32Array(1);
   * await MPI.COMM_WORLD.Iexscan(Int32Array.of(1), before, MPI.SUM).wait(); // untouched on rank 0
   * assert.deepEqual(before, Int32Array.of(MPI.COMM_WORLD.rank));
   * ```
   */
  Iexscan(
    sendbuf: BufferArg | InPlace,
    recvbuf: BufferArg,
    op?: OpLike | { op?: OpLike; signal?: AbortSignal },
  ): Request<void> {
    return new Request(this.Exscan(sendbuf, recvbuf, op));
  }

  // ---------------------------------------------------------------------------------------------------------
  // The rest of MPI's buffer collectives: non-blocking v-variants, Alltoallw, and MPI-4's persistent
  // collectives (each `*_init` checks that the communicator is live; every `Start` runs the collective once
  // more with the same arguments, in the collective order of every rank, and checks them then).

  /** Starts a Gatherv; see {@linkcode Comm.Gatherv}. */
  Igatherv(
    sendbuf: BufferArg | InPlace,
    recvbuf: VBufferArg | null,
    root?: number | { root?: number },
  ): Request<void> {
    return new Request(this.Gatherv(sendbuf, recvbuf, root));
  }

  /** Starts a Scatterv; see {@linkcode Comm.Scatterv}. */
  Iscatterv(
    sendbuf: VBufferArg | null,
    recvbuf: BufferArg | InPlace,
    root?: number | { root?: number },
  ): Request<void> {
    return new Request(this.Scatterv(sendbuf, recvbuf, root));
  }

  /** Starts an Allgatherv; see {@linkcode Comm.Allgatherv}. */
  Iallgatherv(sendbuf: BufferArg | InPlace, recvbuf: VBufferArg): Request<void> {
    return new Request(this.Allgatherv(sendbuf, recvbuf));
  }

  /** Starts an Alltoallv; see {@linkcode Comm.Alltoallv}. */
  Ialltoallv(sendbuf: VBufferArg | InPlace, recvbuf: VBufferArg): Request<void> {
    return new Request(this.Alltoallv(sendbuf, recvbuf));
  }

  /** Starts a Reduce_scatter; see {@linkcode Comm.Reduce_scatter}. */
  Ireduce_scatter(
    sendbuf: BufferArg | InPlace,
    recvbuf: BufferArg,
    recvcounts?: readonly number[] | ArrayLike<number> | null | {
      recvcounts?: readonly number[];
      op?: OpLike;
    },
    op?: OpLike,
  ): Request<void> {
    return new Request(this.Reduce_scatter(sendbuf, recvbuf, recvcounts, op));
  }

  /**
   * All-to-all with a typed array type per block: `[buf, counts, displs, types]`, where rank i's block is
   * `counts[i]` elements of `types[i]` (such as `Float64Array`) at the byte displacement `displs[i]`, as
   * MPI's `MPI_Alltoallw`. The bytes travel as they are; a received block must fill its block of `recvbuf`.
   *
   * @example An Int32 to every rank, into a Float64Array's bytes
   * ```ts
   * import assert from "node:assert/strict";
   * import { MPI } from "mpirun-deno";
   * const comm = MPI.COMM_WORLD, n = comm.size;
   * const out = Int32Array.from({ length: n }, (_, i) => 10 * comm.rank + i);
   * const got = new Int32Array(n);
   * const types = new Array(n).fill(Int32Array), counts = new Array(n).fill(1);
   * const displs = Array.from({ length: n }, (_, i) => 4 * i);
   * await comm.Alltoallw([out, counts, displs, types], [got, counts, displs, types]);
   * assert.deepEqual(got, Int32Array.from({ length: n }, (_, i) => 10 * i + comm.rank));
   * ```
   */
  Alltoallw(sendbuf: WBufferArg | InPlace, recvbuf: WBufferArg): Promise<void> {
    return collective(this.#core, "Alltoallw", true, (shape) => alltoallwBuffer(shape, sendbuf, recvbuf));
  }

  /** Starts an Alltoallw; see {@linkcode Comm.Alltoallw}. */
  Ialltoallw(sendbuf: WBufferArg | InPlace, recvbuf: WBufferArg): Request<void> {
    return new Request(this.Alltoallw(sendbuf, recvbuf));
  }

  /** A persistent Barrier. */
  Barrier_init(): Prequest<void> {
    return collectiveInit(this.#core, "Barrier_init", () => this.Barrier());
  }

  /**
   * A persistent Bcast of `buf` (the root's contents at each start).
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { MPI } from "mpirun-deno";
   * const comm = MPI.COMM_WORLD;
   * const buf = new Int32Array(1);
   * const bcast = comm.Bcast_init(buf, 0);
   * for (let round = 1; round <= 3; round++) {
   *   if (comm.rank === 0) buf[0] = round;
   *   bcast.Start();
   *   await bcast.wait();
   *   assert.equal(buf[0], round);
   * }
   * ```
   */
  Bcast_init(buf: BufferArg, root?: number | { root?: number }): Prequest<void> {
    return collectiveInit(this.#core, "Bcast_init", () => this.Bcast(buf, root));
  }

  /** A persistent Gather. */
  Gather_init(
    sendbuf: BufferArg | InPlace,
    recvbuf: BufferArg | null,
    root?: number | { root?: number },
  ): Prequest<void> {
    return collectiveInit(this.#core, "Gather_init", () => this.Gather(sendbuf, recvbuf, root));
  }

  /** A persistent Gatherv. */
  Gatherv_init(
    sendbuf: BufferArg | InPlace,
    recvbuf: VBufferArg | null,
    root?: number | { root?: number },
  ): Prequest<void> {
    return collectiveInit(this.#core, "Gatherv_init", () => this.Gatherv(sendbuf, recvbuf, root));
  }

  /** A persistent Scatter. */
  Scatter_init(
    sendbuf: BufferArg | null,
    recvbuf: BufferArg | InPlace,
    root?: number | { root?: number },
  ): Prequest<void> {
    return collectiveInit(this.#core, "Scatter_init", () => this.Scatter(sendbuf, recvbuf, root));
  }

  /** A persistent Scatterv. */
  Scatterv_init(
    sendbuf: VBufferArg | null,
    recvbuf: BufferArg | InPlace,
    root?: number | { root?: number },
  ): Prequest<void> {
    return collectiveInit(this.#core, "Scatterv_init", () => this.Scatterv(sendbuf, recvbuf, root));
  }

  /** A persistent Allgather. */
  Allgather_init(sendbuf: BufferArg | InPlace, recvbuf: BufferArg): Prequest<void> {
    return collectiveInit(this.#core, "Allgather_init", () => this.Allgather(sendbuf, recvbuf));
  }

  /** A persistent Allgatherv. */
  Allgatherv_init(sendbuf: BufferArg | InPlace, recvbuf: VBufferArg): Prequest<void> {
    return collectiveInit(this.#core, "Allgatherv_init", () => this.Allgatherv(sendbuf, recvbuf));
  }

  /** A persistent Alltoall. */
  Alltoall_init(sendbuf: BufferArg | InPlace, recvbuf: BufferArg): Prequest<void> {
    return collectiveInit(this.#core, "Alltoall_init", () => this.Alltoall(sendbuf, recvbuf));
  }

  /** A persistent Alltoallv. */
  Alltoallv_init(sendbuf: VBufferArg | InPlace, recvbuf: VBufferArg): Prequest<void> {
    return collectiveInit(this.#core, "Alltoallv_init", () => this.Alltoallv(sendbuf, recvbuf));
  }

  /** A persistent Alltoallw. */
  Alltoallw_init(sendbuf: WBufferArg | InPlace, recvbuf: WBufferArg): Prequest<void> {
    return collectiveInit(this.#core, "Alltoallw_init", () => this.Alltoallw(sendbuf, recvbuf));
  }

  /** A persistent Reduce. */
  Reduce_init(
    sendbuf: BufferArg | InPlace,
    recvbuf: BufferArg | null,
    op?: OpLike | { op?: OpLike; root?: number },
    root?: number,
  ): Prequest<void> {
    return collectiveInit(this.#core, "Reduce_init", () => this.Reduce(sendbuf, recvbuf, op, root));
  }

  /** A persistent Allreduce. */
  Allreduce_init(
    sendbuf: BufferArg | InPlace,
    recvbuf: BufferArg,
    op?: OpLike | { op?: OpLike },
  ): Prequest<void> {
    return collectiveInit(this.#core, "Allreduce_init", () => this.Allreduce(sendbuf, recvbuf, op));
  }

  /** A persistent Reduce_scatter_block. */
  Reduce_scatter_block_init(
    sendbuf: BufferArg | InPlace,
    recvbuf: BufferArg,
    op?: OpLike | { op?: OpLike },
  ): Prequest<void> {
    return collectiveInit(
      this.#core,
      "Reduce_scatter_block_init",
      () => this.Reduce_scatter_block(sendbuf, recvbuf, op),
    );
  }

  /** A persistent Reduce_scatter. */
  Reduce_scatter_init(
    sendbuf: BufferArg | InPlace,
    recvbuf: BufferArg,
    recvcounts?: readonly number[] | ArrayLike<number> | null | {
      recvcounts?: readonly number[];
      op?: OpLike;
    },
    op?: OpLike,
  ): Prequest<void> {
    return collectiveInit(
      this.#core,
      "Reduce_scatter_init",
      () => this.Reduce_scatter(sendbuf, recvbuf, recvcounts, op),
    );
  }

  /** A persistent Scan. */
  Scan_init(sendbuf: BufferArg | InPlace, recvbuf: BufferArg, op?: OpLike | { op?: OpLike }): Prequest<void> {
    return collectiveInit(this.#core, "Scan_init", () => this.Scan(sendbuf, recvbuf, op));
  }

  /** A persistent Exscan. */
  Exscan_init(
    sendbuf: BufferArg | InPlace,
    recvbuf: BufferArg,
    op?: OpLike | { op?: OpLike },
  ): Prequest<void> {
    return collectiveInit(this.#core, "Exscan_init", () => this.Exscan(sendbuf, recvbuf, op));
  }
}

/** A barrier with options (`{ signal }`): apart, so that the usual call makes no closure. */
function barrierWith(core: CommCore, options: Cancellable): Promise<void> {
  return collective(core, "barrier", true, (shape, call) => {
    signalOf("barrier", options, call);
    return barrier(shape);
  });
}
