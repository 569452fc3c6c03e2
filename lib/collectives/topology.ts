/**
 * Pure builders of the communication patterns the collectives use: binomial trees, the ring, recursive
 * doubling partners (with the fold that handles sizes which are not a power of two), dissemination and Bruck
 * rounds, and block partitions. No I/O: each function answers "whom do I talk to, about which part".
 *
 * Ranks here are ranks in the communicator. Trees are built on *relative* ranks
 * (`(rank - root + size) % size`), so the root is relative rank 0 and every subtree covers a contiguous range
 * of relative ranks.
 *
 * @module
 */

/** One child of a binomial tree node. */
export interface TreeChild {
  /** The child's rank. */
  rank: number;
  /** The child's relative rank; its subtree covers relative ranks `relative .. relative + subtree - 1`. */
  relative: number;
  /** Number of ranks in the child's subtree, the child included. */
  subtree: number;
}

/** A rank's place in a binomial tree. */
export interface TreeNode {
  /** The parent's rank, or -1 at the root. */
  parent: number;
  /** This rank's relative rank: `(rank - root + size) % size`. */
  relative: number;
  /** Number of ranks in this rank's subtree, itself included: relative ranks `relative .. relative + subtree - 1`. */
  subtree: number;
  /**
   * The children, nearest first (smallest subtree first): the order in which their data completes, and the
   * order of their relative-rank ranges. Senders go through them backwards, largest subtree first.
   */
  children: TreeChild[];
}

/**
 * This rank's place in the binomial tree over `size` ranks rooted at `root`. Relative rank `v` receives from
 * `v` minus its lowest set bit and sends to `v + 2^k` for every `2^k` below that bit: a broadcast takes
 * `ceil(log2 size)` rounds and the root sends `ceil(log2 size)` messages.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { binomialTree } from "./topology.ts";
 * const root = binomialTree(0, 5, 0);
 * assert.deepEqual(root.children.map((child) => child.rank), [1, 2, 4]);
 * assert.equal(binomialTree(3, 5, 0).parent, 2);
 * ```
 */
export function binomialTree(rank: number, size: number, root: number): TreeNode {
  const relative = (rank - root + size) % size;
  let mask = 1;
  let parent = -1;
  while (mask < size) {
    if (relative & mask) {
      parent = (relative - mask + root) % size;
      break;
    }
    mask <<= 1;
  }
  const children: TreeChild[] = [];
  for (let bit = 1; bit < mask; bit <<= 1) {
    const child = relative + bit;
    if (child >= size) break;
    children.push({ rank: (child + root) % size, relative: child, subtree: Math.min(bit, size - child) });
  }
  return { parent, relative, subtree: Math.min(mask, size - relative), children };
}

/** Number of rounds of a binomial-tree broadcast, dissemination barrier or Bruck allgather: `ceil(log2 size)`. */
export function ceilLog2(size: number): number {
  let rounds = 0;
  while ((1 << rounds) < size) rounds++;
  return rounds;
}

/** Neighbours on the ring `0 -> 1 -> ... -> size-1 -> 0`. */
export interface RingNeighbours {
  /** The rank this rank receives from. */
  left: number;
  /** The rank this rank sends to. */
  right: number;
}

/**
 * This rank's neighbours on the ring.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ring } from "./topology.ts";
 * assert.deepEqual(ring(0, 4), { left: 3, right: 1 });
 * ```
 */
export function ring(rank: number, size: number): RingNeighbours {
  return { left: (rank - 1 + size) % size, right: (rank + 1) % size };
}

/**
 * The fold that lets recursive doubling run on any size: with `pof2` the largest power of two not above
 * `size` and `rem = size - pof2`, the first `2 * rem` ranks pair up; each even one hands its data to the odd
 * one above it and sits the exchange out (`newRank` -1), so `pof2` ranks remain, numbered `0 .. pof2 - 1`.
 */
export interface Fold {
  pof2: number;
  rem: number;
  /** This rank's number among the `pof2` ranks that exchange, or -1 if it sits out. */
  newRank: number;
}

/**
 * The recursive-doubling fold for `rank` (see {@linkcode Fold}).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { fold } from "./topology.ts";
 * assert.deepEqual(fold(0, 5), { pof2: 4, rem: 1, newRank: -1 });
 * assert.deepEqual(fold(1, 5), { pof2: 4, rem: 1, newRank: 0 });
 * ```
 */
export function fold(rank: number, size: number): Fold {
  let pof2 = 1;
  while (pof2 * 2 <= size) pof2 *= 2;
  const rem = size - pof2;
  const newRank = rank < 2 * rem ? (rank % 2 === 0 ? -1 : rank >> 1) : rank - rem;
  return { pof2, rem, newRank };
}

/** The rank that has number `newRank` after the fold (the inverse of {@linkcode fold}'s numbering). */
export function unfold(newRank: number, rem: number): number {
  return newRank < rem ? newRank * 2 + 1 : newRank + rem;
}

/**
 * Partners of recursive doubling after the fold, one per round (`newRank ^ 1`, `^ 2`, `^ 4`, ...), as ranks.
 * Empty for a rank that sits out.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { doublingPartners } from "./topology.ts";
 * assert.deepEqual(doublingPartners(0, 4), [1, 2]);
 * assert.deepEqual(doublingPartners(4, 5), [3, 2]);
 * ```
 */
export function doublingPartners(rank: number, size: number): number[] {
  const { pof2, rem, newRank } = fold(rank, size);
  const partners: number[] = [];
  if (newRank < 0) return partners;
  for (let mask = 1; mask < pof2; mask <<= 1) partners.push(unfold(newRank ^ mask, rem));
  return partners;
}

/** One round of a dissemination pattern: send to `to`, receive from `from`. */
export interface Round {
  to: number;
  from: number;
  /** The distance of this round, `2^k`. */
  distance: number;
}

/**
 * The `ceil(log2 size)` rounds of the dissemination barrier: in round `k` send to `rank + 2^k` and receive
 * from `rank - 2^k` (mod size).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { disseminationRounds } from "./topology.ts";
 * assert.deepEqual(disseminationRounds(0, 3).map((round) => round.to), [1, 2]);
 * ```
 */
export function disseminationRounds(rank: number, size: number): Round[] {
  const rounds: Round[] = [];
  for (let distance = 1; distance < size; distance <<= 1) {
    rounds.push({ to: (rank + distance) % size, from: (rank - distance + size) % size, distance });
  }
  return rounds;
}

/**
 * The rounds of Bruck's allgather: in round `k` send the first `min(2^k, size - 2^k)` blocks held to
 * `rank - 2^k` and receive as many from `rank + 2^k`. After `ceil(log2 size)` rounds rank `r` holds the blocks
 * of ranks `r, r + 1, ..., r + size - 1` (mod size), in that order.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { bruckRounds } from "./topology.ts";
 * assert.deepEqual(bruckRounds(0, 5).map((round) => round.from), [1, 2, 4]);
 * ```
 */
export function bruckRounds(rank: number, size: number): Round[] {
  const rounds: Round[] = [];
  for (let distance = 1; distance < size; distance <<= 1) {
    rounds.push({ to: (rank - distance + size) % size, from: (rank + distance) % size, distance });
  }
  return rounds;
}

/**
 * Splits `count` items into `parts` contiguous blocks whose sizes differ by at most one (the first
 * `count % parts` blocks get the extra item). Returns the `parts + 1` boundaries: block `i` is
 * `offsets[i] .. offsets[i + 1]`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { blockOffsets } from "./topology.ts";
 * assert.deepEqual(blockOffsets(10, 4), [0, 3, 6, 8, 10]);
 * ```
 */
export function blockOffsets(count: number, parts: number): number[] {
  const base = Math.floor(count / parts);
  const extra = count % parts;
  const offsets = new Array<number>(parts + 1);
  offsets[0] = 0;
  for (let i = 0; i < parts; i++) offsets[i + 1] = offsets[i] + base + (i < extra ? 1 : 0);
  return offsets;
}
