/**
 * Reduce-scatter: `Reduce_scatter_block` (typed arrays: block i of the element-wise reduction lands on rank
 * i).
 *
 * - ring (commutative op, long buffers): `p - 1` steps; in each, every rank passes one partially reduced block
 *   to its right neighbour and combines the block coming from its left into its own buffer. Each rank sends
 *   `(p-1)/p n` bytes, which is optimal: time `(p-1) a + (p-1)/p n (b + c)`.
 * - binomial reduce to rank 0 + binomial scatter (short buffers, non-commutative ops, which must combine in
 *   rank order): `2 ceil(log2 p)` rounds.
 *
 * @module
 */

import {
  checkLocalSize,
  checkSameType,
  copyVector,
  equalBlocks,
  isInPlace,
  setVector,
  sizeMismatch,
  vectorArg,
} from "./buffer_args.ts";
import type { Run, Shape } from "./channel.ts";
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
  const recv = vectorArg(where, recvbuf, "recvbuf");
  const inPlace = isInPlace(sendbuf);
  const send = inPlace ? recv : vectorArg(where, sendbuf, "sendbuf");
  const count = inPlace
    ? equalBlocks(where, recv, "recvbuf (holding the input, with IN_PLACE)", shape.size) / recv.elementSize
    : recv.vector.length;
  if (!inPlace) {
    checkSameType(where, send.vector, recv.vector, "sendbuf and recvbuf");
    checkLocalSize(
      where,
      "sendbuf",
      send.bytes.length,
      recv.bytes.length * shape.size,
      `${shape.size} blocks the size of recvbuf`,
    );
  }
  op.checkVectorType(where, send.vector);
  const result = recv.vector.subarray(0, count);
  return async (channel) => {
    const { rank, size } = channel;
    const offsets = Array.from({ length: size + 1 }, (_, i) => i * count);
    if (reduceAlgorithm(size, send.bytes.length, send.vector.length, op.commute) === "ring") {
      const acc = copyVector(send.vector);
      await ringReduceScatter(channel, acc, offsets, op);
      setVector(result, acc.subarray(offsets[rank], offsets[rank + 1]));
      return;
    }
    const full = rank === 0 ? copyVector(send.vector) : undefined;
    await treeReduceVector(channel, 0, send.vector, op, full);
    const blocks = full
      ? Array.from({ length: size }, (_, i) => bytesOf(full.subarray(i * count, (i + 1) * count)))
      : undefined;
    const mine = await treeScatter(channel, 0, blocks);
    const into = bytesOf(result);
    if (mine.length !== into.length) throw sizeMismatch(where, "rank 0", mine.length, into.length, "recvbuf");
    into.set(mine);
  };
}
