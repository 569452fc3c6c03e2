/**
 * Gather to a root: `gather` (values), `Gather` and `Gatherv` (buffer bytes).
 *
 * Binomial tree: each rank sends its subtree's blocks to its parent in one bundle, so the root receives
 * `ceil(log2 p)` messages in as many rounds, time `ceil(log2 p) a + (p-1)/p N b` for N bytes gathered (every
 * byte crosses at most `log2 p` links). Blocks travel in bundles (`bundle.ts`), so ranks on the way need not
 * know the other ranks' sizes; the root checks every block against its receive buffer and names the rank
 * whose block does not fit.
 *
 * @module
 */

import { decodeValue, encodeValue } from "../wire/codec.ts";
import { pack, unpack } from "./bundle.ts";
import {
  bufferArg,
  checkLocalSize,
  EMPTY,
  equalBlocks,
  isInPlace,
  sizeMismatch,
  vBufferArg,
} from "./buffer_args.ts";
import type { Channel, Run, Shape } from "./channel.ts";
import { ErrorCode, mpiError } from "../errors.ts";
import { binomialTree } from "./topology.ts";

/**
 * Binomial-tree gather of one block per rank. At the root, returns the blocks indexed by rank (the root's
 * own is `block` itself); elsewhere `undefined`.
 */
export async function treeGather(
  channel: Channel,
  root: number,
  block: Uint8Array,
): Promise<Uint8Array[] | undefined> {
  const { rank, size } = channel;
  const node = binomialTree(rank, size, root);
  const blocks: Uint8Array[] = [block];
  // Children nearest first: their relative ranges follow this rank's in order.
  const bundles = await Promise.all(node.children.map((child) => channel.receive(child.rank)));
  node.children.forEach((child, i) => {
    const received = unpack(bundles[i], channel.where);
    if (received.length !== child.subtree) {
      throw mpiError(
        ErrorCode.ERR_INTERN,
        `${channel.where}: rank ${child.rank} sent ${received.length} blocks for a subtree of ${child.subtree}`,
      );
    }
    for (const item of received) blocks.push(item);
  });
  if (node.parent >= 0) {
    await channel.send(node.parent, pack(blocks), true);
    return undefined;
  }
  const byRank = new Array<Uint8Array>(size);
  for (let relative = 0; relative < size; relative++) byRank[(relative + root) % size] = blocks[relative];
  return byRank;
}

/** `gather(obj, root)`: every rank's value, by rank, at the root; `null` elsewhere. */
export function gatherValue<T>(shape: Shape, obj: T, root: number): Run<T[] | null> {
  const encoded = shape.rank === root ? EMPTY : encodeValue(obj, { where: "gather" });
  return async (channel) => {
    const blocks = await treeGather(channel, root, encoded);
    if (blocks === undefined) return null;
    return blocks.map((block, rank) => rank === root ? obj : decodeValue(block) as T);
  };
}

/** `Gather(sendbuf, recvbuf, root)`: equal blocks, by rank, into `recvbuf` at the root. */
export function gatherBuffer(shape: Shape, sendbuf: unknown, recvbuf: unknown, root: number): Run<void> {
  const where = "Gather";
  const isRoot = shape.rank === root;
  const inPlace = isRoot && isInPlace(sendbuf);
  const send = inPlace ? undefined : bufferArg(where, sendbuf, "sendbuf");
  if (!isRoot) return async (channel) => void await treeGather(channel, root, send!.bytes);
  const recv = bufferArg(where, recvbuf, "recvbuf");
  const block = equalBlocks(where, recv, "recvbuf", shape.size);
  if (send) {
    checkLocalSize(
      where,
      "sendbuf",
      send.bytes.length,
      block,
      `each of the ${shape.size} blocks of recvbuf`,
    );
  }
  return async (channel) => {
    const blocks = (await treeGather(channel, root, EMPTY))!;
    placeBlocks(where, blocks, recv.bytes, root, (rank) => rank * block, () => block);
    if (send) recv.bytes.set(send.bytes, root * block);
  };
}

/** `Gatherv(sendbuf, [recvbuf, counts, displs], root)`: a block of `counts[i]` elements per rank. */
export function gathervBuffer(shape: Shape, sendbuf: unknown, recvbuf: unknown, root: number): Run<void> {
  const where = "Gatherv";
  const isRoot = shape.rank === root;
  const inPlace = isRoot && isInPlace(sendbuf);
  const send = inPlace ? undefined : bufferArg(where, sendbuf, "sendbuf");
  if (!isRoot) return async (channel) => void await treeGather(channel, root, send!.bytes);
  const recv = vBufferArg(where, recvbuf, "recvbuf", shape.size);
  if (send) {
    checkLocalSize(
      where,
      "sendbuf",
      send.bytes.length,
      recv.lengths[root],
      "the root's block of recvbuf",
    );
  }
  return async (channel) => {
    const blocks = (await treeGather(channel, root, EMPTY))!;
    placeBlocks(where, blocks, recv.bytes, root, (rank) => recv.starts[rank], (rank) => recv.lengths[rank]);
    if (send) recv.bytes.set(send.bytes, recv.starts[root]);
  };
}

/** Copies each rank's block (but the root's) into place, checking its size first. */
export function placeBlocks(
  where: string,
  blocks: readonly Uint8Array[],
  into: Uint8Array,
  skip: number,
  start: (rank: number) => number,
  length: (rank: number) => number,
): void {
  for (let rank = 0; rank < blocks.length; rank++) {
    if (rank === skip) continue;
    const expected = length(rank);
    if (blocks[rank].length !== expected) {
      throw sizeMismatch(where, `rank ${rank}`, blocks[rank].length, expected, "its block of recvbuf");
    }
    into.set(blocks[rank], start(rank));
  }
}
