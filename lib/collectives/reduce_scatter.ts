/**
 * Reduce-scatter: `Reduce_scatter_block` and `Reduce_scatter` (typed arrays: block i of the element-wise
 * reduction lands on rank i; the blocks are equal in the first, `recvcounts[i]` elements in the second).
 *
 * - ring (commutative op, long buffers): `p - 1` steps; in each, every rank passes one partially reduced block
 *   to its right neighbour and combines the block coming from its left into its own buffer. Each rank sends
 *   `(p-1)/p n` bytes for equal blocks, which is optimal: time `(p-1) a + (p-1)/p n (b + c)` (with unequal
 *   blocks, each step waits for the largest block in flight).
 * - binomial reduce to rank 0 + binomial scatter (short buffers, non-commutative ops, which must combine in
 *   rank order): `2 ceil(log2 p)` rounds.
 *
 * `Reduce_scatter` without `recvcounts` first allgathers every rank's recvbuf length (as mpi4py does), in
 * `ceil(log2 p)` more rounds of 16 bytes per block.
 *
 * @module
 */

import { ErrorCode, mpiError } from "../errors.ts";
import type { TypedArray } from "../wire/buffers.ts";
import { bruckAllgather } from "./allgather.ts";
import {
  checkLocalSize,
  checkSameType,
  copyVector,
  countsArg,
  equalBlocks,
  isInPlace,
  type ResolvedVector,
  setVector,
  sizeMismatch,
  vectorArg,
} from "./buffer_args.ts";
import type { Channel, Run, Shape } from "./channel.ts";
import { bytesOf } from "./combine.ts";
import type { Op } from "./ops.ts";
import { treeReduceVector } from "./reduce.ts";
import { ringReduceScatter } from "./ring.ts";
import { treeScatter } from "./scatter.ts";
import { reduceAlgorithm } from "./select.ts";

/**
 * `Reduce_scatter_block(sendbuf, recvbuf, op)`: `sendbuf` holds `size` blocks of `recvbuf`'s length; rank i
 * gets the element-wise reduction of everyone's block i. With `IN_PLACE`, `recvbuf` holds the `size` blocks
 * and the result goes to its first block.
 */
export function reduceScatterBlockBuffer(
  shape: Shape,
  sendbuf: unknown,
  recvbuf: unknown,
  op: Op,
): Run<void> {
  const where = "Reduce_scatter_block";
  const { send, recv, inPlace } = reductionArgs(where, sendbuf, recvbuf, op);
  const count = inPlace
    ? equalBlocks(where, recv, "recvbuf (holding the input, with IN_PLACE)", shape.size) / recv.elementSize
    : recv.vector.length;
  if (!inPlace) {
    checkLocalSize(
      where,
      "sendbuf",
      send.bytes.length,
      recv.bytes.length * shape.size,
      `${shape.size} blocks the size of recvbuf`,
    );
  }
  const result = recv.vector.subarray(0, count);
  const offsets = offsetsOf(new Array<number>(shape.size).fill(count));
  return (channel) => reduceScatter(channel, send.vector, offsets, result, op);
}

/**
 * `Reduce_scatter(sendbuf, recvbuf, recvcounts, op)`: `sendbuf` holds a block of `recvcounts[i]` elements per
 * rank, back to back; rank i gets the element-wise reduction of everyone's block i in `recvbuf` (exactly
 * `recvcounts[i]` elements). Without `recvcounts` (undefined or null), each rank's count is the length of its
 * own `recvbuf`, learnt by an allgather. With `IN_PLACE`, `recvbuf` holds the input (the sum of
 * `recvcounts`, which must then be given) and the result goes to its first `recvcounts[rank]` elements.
 */
export function reduceScatterBuffer(
  shape: Shape,
  sendbuf: unknown,
  recvbuf: unknown,
  recvcounts: unknown,
  op: Op,
): Run<void> {
  const where = "Reduce_scatter";
  const { send, recv, inPlace } = reductionArgs(where, sendbuf, recvbuf, op);
  if (recvcounts === undefined || recvcounts === null) {
    if (inPlace) {
      throw mpiError(
        ErrorCode.ERR_ARG,
        `${where}: recvcounts must be given with IN_PLACE (recvbuf then holds every rank's block, so its length is not this rank's count)`,
      );
    }
    return async (channel) => {
      const counts = await agreedCounts(channel, recv.vector.length, send.bytes.length, recv.elementSize);
      return reduceScatter(channel, send.vector, offsetsOf(counts), recv.vector, op);
    };
  }
  const counts = countsArg(where, recvcounts, "recvcounts", shape.size);
  const offsets = offsetsOf(counts);
  const total = offsets[shape.size];
  const unit = recv.elementSize;
  const mine = counts[shape.rank];
  if (inPlace) {
    checkLocalSize(
      where,
      `recvbuf (holding the input, with IN_PLACE)`,
      recv.bytes.length,
      total * unit,
      `the ${total} elements of recvcounts`,
    );
  } else {
    checkLocalSize(where, "sendbuf", send.bytes.length, total * unit, `the ${total} elements of recvcounts`);
    checkLocalSize(
      where,
      `recvcounts[${shape.rank}] (${mine} elements)`,
      mine * unit,
      recv.bytes.length,
      "recvbuf",
    );
  }
  const result = recv.vector.subarray(0, mine);
  return (channel) => reduceScatter(channel, send.vector, offsets, result, op);
}

/**
 * The typed arrays of a reduce-scatter, checked for one element type that `op` applies to; with `IN_PLACE`,
 * `send` is `recv`, which holds the input.
 */
function reductionArgs(
  where: string,
  sendbuf: unknown,
  recvbuf: unknown,
  op: Op,
): { send: ResolvedVector; recv: ResolvedVector; inPlace: boolean } {
  const recv = vectorArg(where, recvbuf, "recvbuf");
  const inPlace = isInPlace(sendbuf);
  const send = inPlace ? recv : vectorArg(where, sendbuf, "sendbuf");
  if (!inPlace) checkSameType(where, send.vector, recv.vector, "sendbuf and recvbuf");
  op.checkVectorType(where, send.vector);
  return { send, recv, inPlace };
}

/**
 * The reduce-scatter itself, once the arguments are checked: every rank's `send` is cut into blocks at
 * `offsets` (elements, `size + 1` boundaries, alike on every rank), and the reduction of everyone's block r
 * goes into `result` on rank r.
 */
async function reduceScatter(
  channel: Channel,
  send: TypedArray,
  offsets: readonly number[],
  result: TypedArray,
  op: Op,
): Promise<void> {
  const { rank, size, where } = channel;
  if (reduceAlgorithm(size, send.byteLength, send.length, op.commute) === "ring") {
    const acc = copyVector(send);
    await ringReduceScatter(channel, acc, offsets, op);
    setVector(result, acc.subarray(offsets[rank], offsets[rank + 1]));
    return;
  }
  const full = rank === 0 ? copyVector(send) : undefined;
  await treeReduceVector(channel, 0, send, op, full);
  const blocks = full
    ? Array.from({ length: size }, (_, i) => bytesOf(full.subarray(offsets[i], offsets[i + 1])))
    : undefined;
  const mine = await treeScatter(channel, 0, blocks);
  const into = bytesOf(result);
  if (mine.length !== into.length) throw sizeMismatch(where, "rank 0", mine.length, into.length, "recvbuf");
  into.set(mine);
}

/** The `size + 1` block boundaries of blocks of `counts` elements, back to back. */
function offsetsOf(counts: readonly number[]): number[] {
  const offsets = [0];
  for (const count of counts) offsets.push(offsets[offsets.length - 1] + count);
  return offsets;
}

/**
 * Every rank's count when `Reduce_scatter` has no `recvcounts`: the length of each rank's recvbuf (in
 * elements of `unit` bytes). The sendbuf lengths travel too, so that every rank finds a sendbuf that does not hold the sum, and all fail
 * alike instead of leaving the others waiting.
 */
async function agreedCounts(
  channel: Channel,
  recvLength: number,
  sendBytes: number,
  unit: number,
): Promise<number[]> {
  const blocks = await bruckAllgather(channel, bytesOf(Float64Array.of(recvLength, sendBytes)));
  const pairs = blocks.map((block) => new Float64Array(block.slice().buffer));
  const counts = pairs.map((pair) => pair[0]);
  const total = counts.reduce((a, b) => a + b, 0);
  pairs.forEach((pair, rank) =>
    checkLocalSize(
      channel.where,
      `the sendbuf of rank ${rank}`,
      pair[1],
      total * unit,
      `the recvbufs of all ${channel.size} ranks (recvcounts omitted)`,
    )
  );
  return counts;
}
