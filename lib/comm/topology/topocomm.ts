/**
 * `Topocomm`: what the communicators with a topology share (`Cartcomm`, `Graphcomm`, `Distgraphcomm`):
 * their neighbours, and the neighbourhood collectives over them (algorithms in `collectives/neighbor.ts`).
 *
 * @module
 */

import {
  neighborAllgatherBuffer,
  neighborAllgatherValue,
  neighborAllgathervBuffer,
  neighborAlltoallBuffer,
  neighborAlltoallValue,
  neighborAlltoallvBuffer,
  neighborAlltoallwBuffer,
  type Neighbourhood,
} from "../../collectives/neighbor.ts";
import type { Run } from "../../collectives/channel.ts";
import { Request } from "../../p2p/request.ts";
import type { BufferArg, VBufferArg, WBufferArg } from "../../wire/buffers.ts";
import { collective } from "../collective_calls.ts";
import { Comm } from "../comm.ts";

/**
 * A communicator with a topology: its ranks know their neighbours, and the neighbourhood collectives
 * exchange data with them alone. Made by `Create_cart`, `Create_graph`, `Create_dist_graph_adjacent` or
 * `Create_dist_graph`; every call of {@linkcode Comm} works on it. In a neighbourhood collective each rank
 * receives one block from each of its `inedges` (its sources) and sends one to each of its `outedges`;
 * a `PROC_NULL` neighbour (at the open edge of a Cartesian grid) moves nothing, and its block of the receive
 * buffer is left alone (in the value forms, its entry is null).
 *
 * @example Neighbours on a ring
 * ```ts
 * import assert from "node:assert/strict";
 * import { MPI } from "mpirun-deno";
 * const { rank, size } = MPI.COMM_WORLD;
 * const ring = await MPI.COMM_WORLD.Create_cart([size], { periods: [true] });
 * assert.ok(ring instanceof MPI.Topocomm);
 * // Slot 0 is the rank below, slot 1 the rank above.
 * assert.deepEqual(await ring.neighbor_allgather(rank), [(rank - 1 + size) % size, (rank + 1) % size]);
 * ```
 */
export abstract class Topocomm extends Comm {
  /** The ranks this one receives from in a neighbourhood collective, by slot (`PROC_NULL`: none). */
  abstract get inedges(): number[];

  /** The ranks this one sends to in a neighbourhood collective, by slot (`PROC_NULL`: none). */
  abstract get outedges(): number[];

  /** Number of source slots (`PROC_NULL` ones included). */
  get indegree(): number {
    return this.inedges.length;
  }

  /** Number of destination slots (`PROC_NULL` ones included). */
  get outdegree(): number {
    return this.outedges.length;
  }

  /** `[indegree, outdegree]`. */
  get degrees(): [indegree: number, outdegree: number] {
    return [this.indegree, this.outdegree];
  }

  /** `[inedges, outedges]`. */
  get inoutedges(): [inedges: number[], outedges: number[]] {
    return [this.inedges, this.outedges];
  }

  /** @internal The neighbours as the neighbourhood collectives use them; throws when they cannot be used. */
  protected abstract neighbourhood(where: string): Neighbourhood;

  /**
   * Sends `sendobj` to every destination and returns the value of every source, by slot (null for
   * `PROC_NULL`).
   */
  // deno-lint-ignore no-explicit-any
  neighbor_allgather<T = any>(sendobj: unknown): Promise<(T | null)[]> {
    return this.#neighbours("neighbor_allgather", false, (hood) => neighborAllgatherValue<T>(hood, sendobj));
  }

  /**
   * Sends item i of `sendobj` (one per destination) to destination i; returns the item every source sent
   * here, by slot (null for `PROC_NULL`).
   *
   * @example Values to the ranks below and above on a ring
   * ```ts
   * import assert from "node:assert/strict";
   * import { MPI } from "mpirun-deno";
   * const { rank, size } = MPI.COMM_WORLD;
   * const ring = await MPI.COMM_WORLD.Create_cart([size], { periods: [true] });
   * const got = await ring.neighbor_alltoall([`down from ${rank}`, `up from ${rank}`]);
   * assert.deepEqual(got, [`up from ${(rank - 1 + size) % size}`, `down from ${(rank + 1) % size}`]);
   * ```
   */
  // deno-lint-ignore no-explicit-any
  neighbor_alltoall<T = any>(sendobj: readonly unknown[]): Promise<(T | null)[]> {
    return this.#neighbours("neighbor_alltoall", false, (hood) => neighborAlltoallValue<T>(hood, sendobj));
  }

  /** Starts a {@linkcode Topocomm.neighbor_allgather}. */
  // deno-lint-ignore no-explicit-any
  ineighbor_allgather<T = any>(sendobj: unknown): Request<(T | null)[]> {
    return new Request(this.neighbor_allgather<T>(sendobj));
  }

  /** Starts a {@linkcode Topocomm.neighbor_alltoall}. */
  // deno-lint-ignore no-explicit-any
  ineighbor_alltoall<T = any>(sendobj: readonly unknown[]): Request<(T | null)[]> {
    return new Request(this.neighbor_alltoall<T>(sendobj));
  }

  /**
   * Sends `sendbuf` to every destination; block i of `recvbuf` (one block per source, each the size of
   * `sendbuf`) receives from source i.
   *
   * @example The left and right values on a line
   * ```ts
   * import assert from "node:assert/strict";
   * import { MPI } from "mpirun-deno";
   * const { rank, size } = MPI.COMM_WORLD;
   * const line = await MPI.COMM_WORLD.Create_cart([size]);
   * const got = Float64Array.of(-1, -1);
   * await line.Neighbor_allgather(Float64Array.of(rank), got);
   * assert.deepEqual(got, Float64Array.of(rank > 0 ? rank - 1 : -1, rank < size - 1 ? rank + 1 : -1));
   * ```
   */
  Neighbor_allgather(sendbuf: BufferArg, recvbuf: BufferArg): Promise<void> {
    return this.#neighbours(
      "Neighbor_allgather",
      true,
      (hood) => neighborAllgatherBuffer(hood, sendbuf, recvbuf),
    );
  }

  /** Like {@linkcode Topocomm.Neighbor_allgather}, with `[recvbuf, counts, displs]`: a block per source. */
  Neighbor_allgatherv(sendbuf: BufferArg, recvbuf: VBufferArg): Promise<void> {
    return this.#neighbours(
      "Neighbor_allgatherv",
      true,
      (hood) => neighborAllgathervBuffer(hood, sendbuf, recvbuf),
    );
  }

  /**
   * Block i of `sendbuf` (one per destination) goes to destination i; block i of `recvbuf` (one per source,
   * of the same size) comes from source i.
   */
  Neighbor_alltoall(sendbuf: BufferArg, recvbuf: BufferArg): Promise<void> {
    return this.#neighbours(
      "Neighbor_alltoall",
      true,
      (hood) => neighborAlltoallBuffer(hood, sendbuf, recvbuf),
    );
  }

  /** Like {@linkcode Topocomm.Neighbor_alltoall}, with `[buf, counts, displs]` on both sides. */
  Neighbor_alltoallv(sendbuf: VBufferArg, recvbuf: VBufferArg): Promise<void> {
    return this.#neighbours(
      "Neighbor_alltoallv",
      true,
      (hood) => neighborAlltoallvBuffer(hood, sendbuf, recvbuf),
    );
  }

  /**
   * Like {@linkcode Topocomm.Neighbor_alltoallv}, with a datatype per block and displacements in bytes:
   * `[buf, counts, displs, types]` on both sides, one entry per destination (sendbuf) or source (recvbuf), as
   * MPI's `MPI_Neighbor_alltoallw`. A type is a committed `Datatype` (a column of a grid as a vector type
   * goes straight from and into the grid) or a typed array type. The bytes travel as they are: a received
   * block must fill its block of `recvbuf` exactly.
   *
   * @example Ints to the rank below, a column of doubles to the rank above, on a ring
   * ```ts
   * import assert from "node:assert/strict";
   * import { MPI } from "mpirun-deno";
   * const { rank, size } = MPI.COMM_WORLD;
   * const ring = await MPI.COMM_WORLD.Create_cart([size], { periods: [true] });
   * // A 2 x 3 grid of doubles after 2 ints; its column 1 is the vector (2 rows, 1 each, stride 3).
   * const column = MPI.DOUBLE.Create_vector(2, 1, 3).Commit();
   * const out = new ArrayBuffer(8 + 48);
   * new Int32Array(out, 0, 2).set([rank, -rank]);
   * new Float64Array(out, 8).set([0, rank, 0, 0, rank + 0.5, 0]);
   * const into = new ArrayBuffer(8 + 48);
   * const send = [out, [2, 1], [0, 8 + 8], [MPI.INT, column]] as const;
   * // Slot 0 (below) sent its column up; slot 1 (above) sent its ints down.
   * const recv = [into, [1, 2], [8 + 8, 0], [column, Int32Array]] as const;
   * await ring.Neighbor_alltoallw(send, recv);
   * const below = (rank - 1 + size) % size, above = (rank + 1) % size;
   * assert.deepEqual(new Int32Array(into, 0, 2), Int32Array.of(above, -above));
   * assert.deepEqual(new Float64Array(into, 8), Float64Array.of(0, below, 0, 0, below + 0.5, 0));
   * column.Free();
   * ```
   */
  Neighbor_alltoallw(sendbuf: WBufferArg, recvbuf: WBufferArg): Promise<void> {
    return this.#neighbours(
      "Neighbor_alltoallw",
      true,
      (hood) => neighborAlltoallwBuffer(hood, sendbuf, recvbuf),
    );
  }

  /** Starts a {@linkcode Topocomm.Neighbor_allgather}. */
  Ineighbor_allgather(sendbuf: BufferArg, recvbuf: BufferArg): Request<void> {
    return new Request(this.Neighbor_allgather(sendbuf, recvbuf));
  }

  /** Starts a {@linkcode Topocomm.Neighbor_allgatherv}. */
  Ineighbor_allgatherv(sendbuf: BufferArg, recvbuf: VBufferArg): Request<void> {
    return new Request(this.Neighbor_allgatherv(sendbuf, recvbuf));
  }

  /** Starts a {@linkcode Topocomm.Neighbor_alltoall}. */
  Ineighbor_alltoall(sendbuf: BufferArg, recvbuf: BufferArg): Request<void> {
    return new Request(this.Neighbor_alltoall(sendbuf, recvbuf));
  }

  /** Starts a {@linkcode Topocomm.Neighbor_alltoallv}. */
  Ineighbor_alltoallv(sendbuf: VBufferArg, recvbuf: VBufferArg): Request<void> {
    return new Request(this.Neighbor_alltoallv(sendbuf, recvbuf));
  }

  /** Starts a {@linkcode Topocomm.Neighbor_alltoallw}. */
  Ineighbor_alltoallw(sendbuf: WBufferArg, recvbuf: WBufferArg): Request<void> {
    return new Request(this.Neighbor_alltoallw(sendbuf, recvbuf));
  }

  /** Runs a neighbourhood collective on this communicator's collective sequence. */
  #neighbours<T>(where: string, raw: boolean, prepare: (hood: Neighbourhood) => Run<T>): Promise<T> {
    return collective(this.core, where, raw, () => prepare(this.neighbourhood(where)));
  }
}

/** The slots in order: the send order of a graph, where each pair's messages match in list order. */
export function inListOrder(count: number): number[] {
  return Array.from({ length: count }, (_, slot) => slot);
}
