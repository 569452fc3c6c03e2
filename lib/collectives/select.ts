/**
 * Which algorithm each collective uses, from what every rank knows alike: the communicator size, the byte
 * count of the buffers (equal on every rank, as MPI requires) and the op's commutativity. Never from values,
 * whose encoded sizes differ between ranks. Pure.
 *
 * The thresholds are of the order MPICH uses. Measured on one 2-core host over loopback TCP (4 ranks, Deno
 * and Bun), the two sides of each threshold are within noise of each other near it, and the long-message
 * schemes win clearly only well past it (an 8 MiB Bcast: about 25 ms against 25 to 55 ms for the tree). Their
 * real gain is on networks, where each rank's link, not the host's cores, is the bottleneck.
 *
 * @module
 */

/** Broadcasts of at least this many bytes use scatter + ring allgather (van de Geijn) instead of a binomial tree. */
export const BCAST_LONG_BYTES = 512 * 1024;

/** Commutative reductions of at least this many bytes use a ring reduce-scatter (then allgather or gather). */
export const REDUCE_LONG_BYTES = 64 * 1024;

/** Allgathers of at least this many bytes in all (the whole receive buffer) use the ring instead of Bruck's rounds. */
export const ALLGATHER_LONG_BYTES = 64 * 1024;

/** How a buffer broadcast moves its bytes. */
export type BcastAlgorithm = "binomial" | "scatter-allgather";

/**
 * Binomial tree (`ceil(log2 p)` rounds, the root sends `ceil(log2 p)` copies) for short messages; scatter +
 * ring allgather (each rank sends about `2n` bytes in all) for long ones.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { bcastAlgorithm } from "./select.ts";
 * assert.equal(bcastAlgorithm(8, 1024), "binomial");
 * assert.equal(bcastAlgorithm(8, 8 << 20), "scatter-allgather");
 * ```
 */
export function bcastAlgorithm(size: number, bytes: number): BcastAlgorithm {
  return size > 2 && bytes >= BCAST_LONG_BYTES ? "scatter-allgather" : "binomial";
}

/** How a buffer reduction (Reduce, Allreduce, Reduce_scatter_block) combines its data. */
export type ReduceAlgorithm = "tree" | "ring";

/**
 * Trees for short messages, for non-commutative ops (they keep rank order) and when there are fewer elements
 * than ranks; a ring reduce-scatter (bandwidth-optimal: each rank sends `(p-1)/p * n` bytes) otherwise.
 * "tree" means recursive doubling for Allreduce, a binomial tree for Reduce.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { reduceAlgorithm } from "./select.ts";
 * assert.equal(reduceAlgorithm(4, 8 << 20, 1 << 20, true), "ring");
 * assert.equal(reduceAlgorithm(4, 8 << 20, 1 << 20, false), "tree");
 * ```
 */
export function reduceAlgorithm(
  size: number,
  bytes: number,
  count: number,
  commute: boolean,
): ReduceAlgorithm {
  return commute && size > 1 && bytes >= REDUCE_LONG_BYTES && count >= size ? "ring" : "tree";
}

/** How an allgather moves its blocks. */
export type AllgatherAlgorithm = "bruck" | "ring";

/**
 * Bruck's `ceil(log2 p)` rounds for short totals; the ring's `p - 1` neighbour steps (each block crosses each
 * link once, copied straight into place) for long ones.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { allgatherAlgorithm } from "./select.ts";
 * assert.equal(allgatherAlgorithm(64), "bruck");
 * ```
 */
export function allgatherAlgorithm(totalBytes: number): AllgatherAlgorithm {
  return totalBytes >= ALLGATHER_LONG_BYTES ? "ring" : "bruck";
}
